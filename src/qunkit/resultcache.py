"""Per-group results of a run, kept between runs: a nightly round with nothing new recomputes nothing.

``qunkit.engine.run`` calls a per-group task that is a pure function of one group's scoped messages,
its members and the run's options (the engine's contract).  So a group's result can be reused
whenever everything it depends on is the same; the cache key holds exactly that:

- the group's data state: the name, size and mtime of every message part a reader counts (parts
  are written once under a fresh name, compaction writes a new one), the stat of its roster, its
  meta.json;
- the task (module and name), the scope with its as_of, the columns read and every option passed
  (a ``--lexicon`` file by its content, a frame such as prune's roles by a hash of its rows);
- qunkit's version and a digest of its own files (code and built-in lexicons: an edit or an upgrade
  invalidates everything).

Entries live in ``STORE/cache/<task>/<group key>-<entry>.pkl`` (outside the Parquet table folders,
so dataset readers and ``qunkit sql`` never see them), at most ``KEEP`` per task and group (the
newest).  They are derived results of the store's chats, private as the store: the folder is created
``0700`` and each file ``0600``; an entry that is not owned by this user or is writable by others is
ignored (it is a pickle: only a file this user wrote is ever loaded).  Deleting ``STORE/cache`` is
always safe.  ``--no-cache`` on a command, or ``QUNKIT_NO_CACHE=1``, neither reads nor writes it.

Only the process that runs ``engine.run`` reads and writes the cache (never a pool or dask worker).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import pickle
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import __version__
from .unchanged import fingerprint

DIR = "cache"
ENV = "QUNKIT_NO_CACHE"
KEEP = 4                     # entries kept per task and group (e.g. default as_of and a replayed one)
_PACKAGE = Path(__file__).resolve().parent
_code: str | None = None


def disabled_by_env() -> bool:
    """``QUNKIT_NO_CACHE`` set to anything but "", "0" or "false"."""
    return os.environ.get(ENV, "").strip().lower() not in ("", "0", "false", "no")


def code_digest() -> str:
    """qunkit's version and the name, size and mtime of every file of the package (once per process)."""
    global _code
    if _code is None:
        h = hashlib.sha256(__version__.encode())
        for p in sorted(_PACKAGE.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                st = p.stat()
                h.update(f"{p.relative_to(_PACKAGE)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        _code = h.hexdigest()
    return _code


class _Untokenisable(Exception):
    """An option whose value the cache cannot name: that run is not cached."""


def token(value: Any) -> str:
    """A stable text naming ``value`` for the key (raises ``_Untokenisable`` for unknown types)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    if isinstance(value, Path):
        return f"file:{fingerprint(value) or f'unreadable:{value}'}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(token(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{token(k)}:{token(value[k])}" for k in sorted(value, key=repr)) + "}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return type(value).__name__ + token({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    return _pandas_token(value)


def _pandas_token(value: Any) -> str:
    import pandas as pd  # noqa: PLC0415 - callers hold pandas values already; the module stays light

    if isinstance(value, (pd.Timestamp, pd.Timedelta)):
        return repr(value)
    if isinstance(value, pd.DataFrame):
        rows = pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes()
        head = repr([(str(c), str(t)) for c, t in value.dtypes.items()])
        return "frame:" + hashlib.sha256(head.encode() + rows).hexdigest()
    raise _Untokenisable(type(value).__name__)


def task_name(task: Callable[..., Any]) -> str:
    return f"{task.__module__}.{task.__qualname__}"


class ResultCache:
    """The cache of one store: ``entry`` names a result, ``get``/``put`` read and write it."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root) / DIR

    def entry(self, task: str, state: str, *parts: Any) -> str | None:
        """The entry name of ``task`` on a group in ``state`` with ``parts`` (scope, options), or None
        when an option cannot be named (the run is then computed, not cached)."""
        try:
            text = "\n".join([code_digest(), task, state, *(token(p) for p in parts)])
        except _Untokenisable:
            return None
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    @staticmethod
    def combine(task: str, entries: list[tuple[str, str]]) -> str:
        """One entry name for the results of ``task`` on several groups (key, entry), in that order."""
        text = "\n".join([code_digest(), task, *(f"{k}:{e}" for k, e in entries)])
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def _path(self, task: str, key: str, entry: str) -> Path:
        return self.root / task / f"{key}-{entry}.pkl"

    def get(self, task: str, key: str, entry: str) -> tuple[bool, Any]:
        """(True, result) for a stored entry this user wrote, else (False, None)."""
        path = self._path(task, key, entry)
        try:
            with open(path, "rb") as fh:
                st = os.fstat(fh.fileno())
                if not _private(st) or not _private(path.parent.stat()):
                    return False, None
                return True, pickle.loads(fh.read())  # noqa: S301 - this user's own 0600 file (see module doc)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
            return False, None

    def put(self, task: str, key: str, entry: str, result: Any) -> None:
        """Store ``result`` (atomically, 0600) and drop this group's oldest entries beyond ``KEEP``.
        A cache that cannot be written is skipped silently: it only saves time."""
        path = self._path(task, key, entry)
        try:
            data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
            for d in (self.root, path.parent):
                d.mkdir(mode=0o700, exist_ok=True)
            tmp = path.with_name(f".tmp-{uuid.uuid4().hex}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
            self._evict(path.parent, key)
        except (OSError, pickle.PicklingError, TypeError, AttributeError):
            return

    @staticmethod
    def _evict(folder: Path, key: str) -> None:
        entries = sorted(folder.glob(f"{key}-*.pkl"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in entries[KEEP:]:
            with contextlib.suppress(OSError):
                old.unlink()


def _private(st: os.stat_result) -> bool:
    """Owned by this user and writable by no one else."""
    return (not hasattr(os, "getuid") or st.st_uid == os.getuid()) and not st.st_mode & 0o022
