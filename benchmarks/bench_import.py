"""Import throughput and peak memory for a generated QQ export.

    python benchmarks/bench_import.py --messages 1000000

Generates one QQ message-manager .txt with the package's generator (timed
separately), then, each in a child process of its own:

- the floor: the whole file read and decoded (``childrun.FLOOR``; 3 runs, then one more just before
  each import run, and the median of them all: it moves with the machine), and the same plus one str
  per line (``childrun.LINES_FLOOR``, what a line-at-a-time parser also pays; the median of 3 runs);
- the plain import, issue #11's figure: ``qunkit import FILE`` into a fresh store with the store's
  default settings (no facts or aggregates), timed as a whole process (wall, CPU, peak RSS) and
  given as a multiple of the floor measured in the same run (``--runs``: the median of several);
- the same import through ``import_file`` (the library call, start-up excluded), then the
  facts and aggregates alone (``rebuild --force``, which turns them on for the store), a nightly
  re-import of the unchanged file (hash check only) and a forced re-read (everything parsed,
  nothing added).

``--export FILE`` reuses a generated export.  The export is generated in a child process: Linux
hands a child the peak RSS of the process that started it, so this one stays small.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import childrun

GENERATE = """
import sys
from pathlib import Path
import corpus
_, rows = corpus.write(Path(sys.argv[1]), int(sys.argv[2]), 7, int(sys.argv[3]), single_file=True)
print(rows[0]["export"])
"""

IMPORT = """
import resource, sys, time
from qunkit.ingest import import_file
from qunkit.store import Store
t = time.perf_counter()
res = import_file(Store(sys.argv[1]), sys.argv[2], force=len(sys.argv) > 3)
print(res.report.messages, res.added_total, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def run_import(store: Path, export: Path, force: bool = False) -> tuple[int, int, float, float]:
    out = subprocess.run([sys.executable, "-c", IMPORT, str(store), str(export)] + (["force"] if force else []),
                         check=True, capture_output=True, text=True).stdout.split()
    return int(out[0]), int(out[1]), float(out[2]), int(out[3]) / 1024  # the import process's own peak


REBUILD = """
import resource, sys, time
from qunkit.commands.rebuild import rebuild
from qunkit.store import Store
t = time.perf_counter()
res = rebuild(Store(sys.argv[1]), force=True)
print(sum(r["messages"] for r in res.rows), time.perf_counter() - t,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def run_rebuild(store: Path) -> tuple[int, float, float]:
    out = subprocess.run([sys.executable, "-c", REBUILD, str(store)], check=True, capture_output=True,
                         text=True).stdout.split()
    return int(out[0]), float(out[1]), int(out[2]) / 1024


def stored_rows(store: Path) -> list[int]:
    """Rows stored per part (footers only), to check the plain import stored everything."""
    import pyarrow.parquet as pq  # noqa: PLC0415 (the parent process stays light)

    return [pq.read_metadata(p).num_rows for p in sorted(store.glob("messages/*/part-*.parquet"))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=1_000_000, help="messages in the generated export")
    ap.add_argument("--groups", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=None, help="keep files here (default: a temp dir)")
    ap.add_argument("--export", type=Path, default=None, help="import this export instead of generating one")
    ap.add_argument("--plain-only", action="store_true", help="the floor and the plain import only")
    ap.add_argument("--runs", type=int, default=1, help="plain imports to run (the median is shown)")
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="qunkit-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    if args.export is None:
        out = subprocess.run([sys.executable, "-c", GENERATE, str(work / "gen"), str(args.groups),
                              str(args.messages // args.groups)], check=True, capture_output=True, text=True,
                             env=dict(childrun.qunkit_env(), PYTHONPATH=os.pathsep.join(
                                 [str(childrun.HERE), childrun.qunkit_env()["PYTHONPATH"]])))
        export = Path(out.stdout.split("\n")[-2])
    else:
        export = args.export
    gen_s = time.perf_counter() - t
    size_mb = export.stat().st_size / 1e6
    print(f"generated {export.name}: {size_mb:.1f} MB in {gen_s:.1f} s")
    print(f"load average before the runs: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    # the floor moves with the machine (0.35-0.41 s between runs on a quiet one): it is measured again
    # just before every import run, and the figure is the median of all its runs
    floors = [childrun.measure(childrun.floor_argv(export)) for _ in range(childrun.FLOOR_RUNS)]
    fll = childrun.floor(export, lines=True)
    print(f"read + decode + a str per line (median of {childrun.FLOOR_RUNS}): {fll.seconds:6.2f} s  "
          f"cpu {fll.cpu:5.2f} s  peak RSS {fll.peak_mb:,.0f} MB")
    plain = work / "store-plain"
    runs = []
    for _ in range(max(1, args.runs)):
        shutil.rmtree(plain, ignore_errors=True)
        floors.append(childrun.measure(childrun.floor_argv(export)))
        runs.append(childrun.qunkit("import", str(export), "--store", str(plain), "--quiet"))
    fl, pl = childrun.median(floors), childrun.median(runs)
    print(f"read + decode (floor, median of {len(floors)}, one before each import run; range "
          f"{min(r.seconds for r in floors):.2f}-{max(r.seconds for r in floors):.2f} s): {fl.seconds:6.2f} s  "
          f"cpu {fl.cpu:5.2f} s  peak RSS {fl.peak_mb:,.0f} MB")
    n_plain = sum(stored_rows(plain))
    print(f"plain import (qunkit import, whole process{f', median of {len(runs)}' if len(runs) > 1 else ''}): "
          f"{n_plain:,} messages  {pl.seconds:6.2f} s  cpu {pl.cpu:5.2f} s  peak RSS {pl.peak_mb:,.0f} MB  "
          f"{pl.seconds / fl.seconds:4.1f}x the floor (CPU {pl.cpu / fl.cpu:4.1f}x), {pl.seconds / fll.seconds:4.1f}x the lines floor "
          f"(goal: 6x the floor, 400 MB)")
    print(f"load average after the runs: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    shutil.rmtree(plain, ignore_errors=True)
    if args.plain_only:
        return
    store = work / "store"
    shutil.rmtree(store, ignore_errors=True)  # the first import must start from an empty store
    n, added, secs, peak = run_import(store, export)
    print(f"import_file  : {n:>9,} messages  {secs:6.1f} s  {n / secs:>9,.0f} msg/s  {size_mb / secs:5.1f} MB/s  "
          f"peak RSS {peak:,.0f} MB")
    nd, secs_d, peak_d = run_rebuild(store)
    print(f"facts+aggregates: {nd:>6,} messages  {secs_d:6.1f} s  {nd / secs_d:>9,.0f} msg/s  "
          f"peak RSS {peak_d:,.0f} MB (rebuild --force alone)")
    n2, added2, secs2, _ = run_import(store, export)
    print(f"re-import    : unchanged file, {added2} added, {secs2:.2f} s (hash check only)")
    n3, added3, secs3, _ = run_import(store, export, force=True)
    print(f"forced re-read: {n3:,} parsed, {added3} added, {secs3:.1f} s")


if __name__ == "__main__":
    main()
