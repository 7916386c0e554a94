"""One child process timed the way ``/usr/bin/time -v`` does: wall seconds, CPU (user + sys) and peak RSS.

Shared by the benchmarks that compare qunkit with the read floor (reading and decoding the file in
Python), so every "x floor" figure means the same thing.  Scripts import it as ``childrun``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
# the floor: the whole file read and decoded in one process (what any Python parser must at least do)
FLOOR = "import sys; t = open(sys.argv[1], 'rb').read().decode('utf-8'); print(len(t.splitlines()))"
# the CLI as a user runs it, from this checkout's sources (``qunkit_env``)
QUNKIT = "import sys; from qunkit.cli import main; sys.argv = ['qunkit'] + sys.argv[1:]; main()"


@dataclass
class Run:
    seconds: float    # wall clock
    cpu: float        # user + sys of the child
    peak_mb: float    # the child's peak resident set
    stdout: str


def qunkit_env() -> dict[str, str]:
    """The environment for a child that imports this checkout's qunkit."""
    return dict(os.environ, PYTHONPATH=str(HERE.parent / "src"))


def measure(argv: list[str], env: dict | None = None) -> Run:
    """Run ``argv`` to completion and measure it (``os.wait4``).  Both streams go to files: a tool that
    logs a line per message (chat-miner) would block on a full pipe."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            raise SystemExit(f"{argv[0]} failed: {err.read()[-2000:]}")
        out.seek(0)
        return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.read())


def floor(path: Path) -> Run:
    """Read + decode ``path`` in a child (the floor every import is compared with)."""
    return measure([sys.executable, "-c", FLOOR, str(path)])


def qunkit(*args: str) -> Run:
    """``qunkit ARGS`` in a child, from this checkout."""
    return measure([sys.executable, "-c", QUNKIT, *args], qunkit_env())
