"""Size and build time of ``qunkit report`` (goals: < 5 MB for a 500-member group with a year of history;
< 10 s for 1M messages).

    python benchmarks/bench_report.py                          # both cases
    python benchmarks/bench_report.py --messages 200000 --groups 20 --skip-year
    python benchmarks/bench_report.py --store /tmp/qk-bench    # keep (or reuse) the 1M store (bench_analysis's layout)
    python benchmarks/bench_report.py --store /tmp/qk-bench --facts --skip-year   # with derived tables (rebuild, timed)

Case 1: one generated healthy QQ group, 500 members, 365 days, exported as a QQ .txt with its roster and
imported.  Case 2: the 1M-message corpus of ``bench_analysis.py`` (60 groups).  Each prints the page
size and the time of ``qunkit.commands.report.report`` in this process (``--jobs 1``, loading the store
included), with the parts (the trend's replays, reply links and keywords are the costly ones), then the
goal's figure: ``qunkit report --no-cache -o FILE`` as a user runs it (all cores), whole process, wall time.
``--facts`` first brings the big store's derived tables up to date (``qunkit rebuild``, timed; a store that
keeps them reads the trend's points from ``risk_weekly`` instead of replaying them).
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import childrun
import corpus

from qunkit.analysis.scope import Scope
from qunkit.commands import report as report_mod
from qunkit.commands.report import report
from qunkit.engine import Engine
from qunkit.generate import generate_group, write_qq_txt, write_roster_csv
from qunkit.ingest import import_file
from qunkit.store import Store


def timed_report(store: Store, trend_weeks: int) -> tuple[float, float, int, dict[str, float]]:
    """Build the page; return (wall seconds, CPU seconds of this process, bytes, wall seconds per costly part).
    On a shared machine the CPU time is the steadier figure: wall time grows with the other processes."""
    parts: dict[str, float] = {}
    originals = {name: getattr(report_mod, name) for name in ("risk_at", "_links", "_keywords")}

    def timer(name, fn):
        def run(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                parts[name] = parts.get(name, 0.0) + time.perf_counter() - t
        return run

    for name, fn in originals.items():
        setattr(report_mod, name, timer(name, fn))
    try:
        t, c = time.perf_counter(), time.process_time()
        page = report(store, Scope(), trend_weeks=trend_weeks, engine=Engine(jobs=1, cache=False)).text
        return time.perf_counter() - t, time.process_time() - c, len(page.encode("utf-8")), parts
    finally:
        for name, fn in originals.items():
            setattr(report_mod, name, fn)


def year_group(root: Path) -> Store:
    g = generate_group("五百人年度群", "healthy", n_members=500, start="2023-04-01", as_of="2024-03-31",
                       messages=60_000, seed=1)
    write_qq_txt([g], root / "year.txt")
    write_roster_csv(g, root / "year-roster.csv")
    store = Store(root / "store")
    import_file(store, root / "year.txt", roster=root / "year-roster.csv")
    return store


def show(label: str, store: Store, trend_weeks: int) -> None:
    n = len(store.messages(columns=["ts"]))
    seconds, cpu, size, parts = timed_report(store, trend_weeks)
    detail = ", ".join(f"{k.strip('_')} {v:.1f} s" for k, v in parts.items())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label}: {n:,} messages -> {size / 1e6:.2f} MB page in {seconds:.1f} s, CPU {cpu:.1f} s ({detail}); "
          f"without the risk trend's {trend_weeks} replays {seconds - parts.get('risk_at', 0.0):.1f} s; "
          f"peak RSS so far {peak:.0f} MB; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="qunkit-bench-page-") as tmp:
        got = childrun.qunkit("report", "--store", str(store.root), "--no-cache", "--trend-weeks", str(trend_weeks),
                              "-o", str(Path(tmp) / "r.html"), peak=False)
    print(f"  qunkit report (all {os.cpu_count()} cores, whole process): {got.seconds:.1f} s wall, "
          f"load average {os.getloadavg()[0]:.1f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--groups", type=int, default=60)
    ap.add_argument("--store", type=Path, default=None, help="directory to build (or reuse) the big store in")
    ap.add_argument("--trend-weeks", type=int, default=report_mod.TREND_WEEKS)
    ap.add_argument("--skip-year", action="store_true")
    ap.add_argument("--skip-big", action="store_true")
    ap.add_argument("--facts", action="store_true", help="qunkit rebuild the big store first (timed)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qunkit-bench-report-") as tmp:
        if not args.skip_year:
            (Path(tmp) / "year").mkdir()
            show("500 members, one year", year_group(Path(tmp) / "year"), args.trend_weeks)
        if not args.skip_big:
            root = args.store or Path(tmp) / "big"
            if not (root / "store" / "groups").exists():
                t = time.perf_counter()
                corpus.build_store(root, args.groups, 0, args.messages // args.groups)
                print(f"(generated and imported the corpus in {time.perf_counter() - t:.0f} s)")
            if args.facts:
                got = childrun.qunkit("rebuild", "--store", str(root / "store"), "--quiet", peak=False)
                print(f"(qunkit rebuild: {got.seconds:.1f} s wall, {got.cpu:.1f} CPU s)")
            show(f"{args.groups} groups", Store(root / "store"), args.trend_weeks)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
