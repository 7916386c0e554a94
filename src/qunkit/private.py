"""Owner-only files and folders: what qunkit writes (the store, ``-o`` outputs) is chat data.

Every file qunkit creates is mode 0600 and every folder it creates 0700, whatever the umask:
a store in a shared home directory or on a multi-user server must not be readable by the other
accounts.  The mode is set on the open descriptor (``fchmod``) before a byte is written, so no
reader ever sees the data under a wider mode, and it is set explicitly because ``os.open``'s mode
is only a ceiling that the umask lowers further (a umask of 0277 would leave a file unwritable).

Folders that already exist keep the mode their owner gave them (a user who shares a store with a
group on purpose keeps doing so); ``make_dirs`` only sets the mode of the folders it creates.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import IO

FILE_MODE = 0o600
DIR_MODE = 0o700


def make_dirs(path: str | os.PathLike) -> Path:
    """``mkdir -p`` whose newly created folders are 0700 (existing ones are left alone)."""
    path = Path(path)
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=DIR_MODE)
        except FileExistsError:     # a concurrent writer made it first; its mode is its own
            continue
        os.chmod(d, DIR_MODE)
    if not path.is_dir():
        raise NotADirectoryError(20, "Not a directory", str(path))
    return path


def open_private(path: str | os.PathLike, mode: str = "wb", **kwargs) -> IO:
    """Create (or truncate) ``path`` as a 0600 file and open it for writing (``"wb"`` or ``"w"``)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        return os.fdopen(fd, mode, **kwargs)
    except BaseException:
        with contextlib.suppress(OSError):
            os.close(fd)
        raise


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with open_private(path, "wb") as fh:
        fh.write(data)


def write_text(path: str | os.PathLike, text: str) -> None:
    with open_private(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
