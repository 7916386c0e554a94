"""One child process timed the way ``/usr/bin/time -v`` does: wall seconds, CPU (user + sys) and peak RSS.

Shared by the benchmarks that compare qunkit with the read floor (reading and decoding the file in
Python), so every "x floor" figure means the same thing.  Scripts import it as ``childrun``.
"""

from __future__ import annotations

import compileall
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
# the floor: the whole file read and decoded in one process (what any Python parser must at least do)
FLOOR = "import sys; t = open(sys.argv[1], 'rb').read().decode('utf-8'); print(len(t))"
# the floor plus cutting the text into one str per line (what a line-at-a-time Python parser also pays:
# millions of str objects: on the 149 MB QQ export twice the time of the floor and 1.5x its memory)
LINES_FLOOR = "import sys; t = open(sys.argv[1], 'rb').read().decode('utf-8'); print(len(t.splitlines()))"
SMALL_PARENT_MB = 64   # a bare interpreter is ~15 MB; a parent past this is holding data
FLOOR_RUNS = 3   # the floor is the median of this many runs: one run on a shared machine varies 2-4x
# the CLI as a user runs it, from this checkout's sources (``qunkit_env``)
QUNKIT = "import sys; from qunkit.cli import main; sys.argv = ['qunkit'] + sys.argv[1:]; main()"


@dataclass
class Run:
    seconds: float    # wall clock
    cpu: float        # user + sys of the child
    peak_mb: float    # the child's peak resident set
    stdout: str


def qunkit_env() -> dict[str, str]:
    """The environment for a child that imports this checkout's qunkit, its bytecode compiled first.

    A user's installed qunkit starts from ``.pyc`` files (pip compiles them at install; a checkout
    writes them at its first run), but where ``PYTHONDONTWRITEBYTECODE`` is set no run ever writes
    them and every child would compile all ~150 modules again (~0.1 s on the 2-core machine): a cost
    of that environment, not of qunkit.  ``compileall`` writes them whatever that variable says."""
    src = HERE.parent / "src"
    if not _COMPILED:
        compileall.compile_dir(src / "qunkit", quiet=1)
        _COMPILED.append(src)
    return dict(os.environ, PYTHONPATH=str(src))


_COMPILED: list[Path] = []


def measure(argv: list[str], env: dict | None = None, peak: bool = True) -> Run:
    """Run ``argv`` to completion and measure it (``os.wait4``).  Both streams go to files: a tool that
    logs a line per message (chat-miner) would block on a full pipe.

    Linux keeps the peak RSS of the process that forked the child across ``exec``, so a child's
    figure is never below this process's own resident set at the spawn: a benchmark keeps its own
    process small (generating in a child) and a figure that may be the parent's is refused
    (``peak=False``: the caller reads only the times, and the peak it gets may be the parent's)."""
    parent_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            raise SystemExit(f"{argv[0]} failed: {err.read()[-2000:]}")
        out.seek(0)
        peak_mb = usage.ru_maxrss / 1024
        if peak and parent_mb > SMALL_PARENT_MB and peak_mb <= parent_mb * 1.05:
            raise SystemExit(f"the peak RSS of {argv[0]} ({peak_mb:,.0f} MB) may be this process's own "
                             f"({parent_mb:,.0f} MB): keep the measuring process small")
        return Run(seconds, usage.ru_utime + usage.ru_stime, peak_mb, out.read())


def median_run(argv: list[str], runs: int = FLOOR_RUNS, env: dict | None = None) -> Run:
    """``measure`` ``argv`` ``runs`` times; the run of median wall time (its CPU and peak with it)."""
    return median([measure(argv, env) for _ in range(runs)])


def floor_argv(path: Path, lines: bool = False) -> list[str]:
    """The child that reads + decodes ``path`` (the floor every import is compared with); ``lines``
    also cuts it into one str per line (``LINES_FLOOR``)."""
    return [sys.executable, "-c", LINES_FLOOR if lines else FLOOR, str(path)]


def floor(path: Path, lines: bool = False) -> Run:
    """Read + decode ``path`` in a child (``floor_argv``), median of ``FLOOR_RUNS``."""
    return median_run(floor_argv(path, lines))


def median(runs: list[Run]) -> Run:
    """The run of median wall time."""
    return sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]


def qunkit(*args: str, peak: bool = True) -> Run:
    """``qunkit ARGS`` in a child, from this checkout (``peak``: as in ``measure``)."""
    return measure([sys.executable, "-c", QUNKIT, *args], qunkit_env(), peak)
