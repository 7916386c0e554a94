"""Scale: import, risk and prune times and peak memory as the store grows (groups scaled with it).

    python benchmarks/bench_scale.py                                   # 1M/60 and 4M/240 groups
    python benchmarks/bench_scale.py --sizes 1000000:60 4000000:240 20000000:2000 --cache /tmp/qk-scale
    python benchmarks/bench_scale.py --sizes 1000000:60 --jobs 1       # one process (no pool)
    python benchmarks/bench_scale.py --sizes 1000000:60 --jobs 1 --no-cache   # CPU per message, cold
    python benchmarks/bench_scale.py --sizes 20000000:2000 --facts --no-cache --cache /tmp/qk-scale

Each size is generated once (``corpus.py``: QQ .txt exports with rosters) into
``--cache``/N-G and reused by later runs.  Every step runs as its own process,
the way cron runs it, and is measured from outside: wall time, and peak RSS
summed over the process and all its children (the pool's workers), sampled
every 50 ms.  Steps: the first import (library ``import_file`` per export, with
its roster), then the nightly round -- ``qunkit import`` of the same exports
(nothing new) + ``qunkit risk`` + ``qunkit prune`` -- each timed.  The goals
(issue #10): 20M messages in 2,000 groups, risk + prune < 2 min and < 4 GB on
2 cores; time linear in the messages; peak memory flat in the number of
groups; the nightly round on 1M < 5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import corpus
import psutil

ROOT = Path(__file__).resolve().parents[1]
IMPORT = """
import json, sys
from pathlib import Path
from qunkit.ingest import import_file
from qunkit.store import Store
rows = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
store = Store(sys.argv[2])
for r in rows:
    import_file(store, r["export"], roster=r["roster_file"], roster_group=r["group"])
"""


def measure(cmd: list[str]) -> tuple[float, float, float]:
    """(wall seconds, peak RSS in MB of the process tree, CPU seconds of the tree) of one command; a
    failure stops the benchmark.  CPU seconds say more than wall time on a loaded machine."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0]
    cpu: dict[int, float] = {}        # last CPU seconds seen per process of the tree (workers included)
    done = threading.Event()

    def sample() -> None:
        top = psutil.Process(proc.pid)
        while not done.is_set():
            try:
                tree = [top, *top.children(recursive=True)]
                rss = 0
                for p in tree:
                    with p.oneshot():
                        rss += p.memory_info().rss
                        t = p.cpu_times()
                        cpu[p.pid] = t.user + t.system
                peak[0] = max(peak[0], rss)
            except psutil.Error:
                pass
            time.sleep(0.05)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - t0
    done.set()
    th.join()
    if proc.returncode not in (0, 1):          # 1: a threshold, not a failure
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.decode(errors='replace')[-2000:]}")
    return wall, peak[0] / 2**20, sum(cpu.values())


def corpus_dir(cache: Path, n: int, groups: int, seed: int) -> tuple[Path, int]:
    """The generated exports of one size (written once), and how many messages they hold."""
    root = cache / f"{n}-{groups}"
    rows_file = root / "rows.json"
    if not rows_file.exists():
        t0 = time.perf_counter()
        gen, rows = corpus.write(root, groups, seed, n // groups)
        total = sum(len(g.messages) for g in gen)
        keep = [{"export": str(r["export"]), "roster_file": str(r["roster_file"]), "group": r["group"]}
                for r in rows]
        (root / "total.txt").write_text(str(total))
        rows_file.write_text(json.dumps(keep, ensure_ascii=False), encoding="utf-8")
        print(f"  generated {total:,} messages in {groups} groups in {time.perf_counter() - t0:.0f} s", flush=True)
    return root, int((root / "total.txt").read_text())


def one_size(cache: Path, n: int, groups: int, seed: int, jobs: list[str], facts: bool) -> dict:
    root, total = corpus_dir(cache, n, groups, seed)
    store = root / "store"
    qunkit = [sys.executable, "-m", "qunkit"]
    out = {"messages": total, "groups": groups}
    if not (store / "groups").exists():
        out["import"] = measure([sys.executable, "-c", IMPORT, str(root / "rows.json"), str(store)])
    if facts:    # facts + aggregates of every stale group (none when a reused store has them already)
        out["rebuild"] = measure([*qunkit, "rebuild", "--store", str(store), "--quiet",
                                  *[j for j in jobs if j != "--no-cache"]])
    exports = sorted(str(p) for p in (root / "exports").iterdir())
    out["reimport"] = measure([*qunkit, "import", *exports, "--store", str(store), "--quiet"])
    out["risk"] = measure([*qunkit, "risk", "--store", str(store), "--format", "json", "--quiet", *jobs])
    out["prune"] = measure([*qunkit, "prune", "--store", str(store), "--format", "json", "--quiet", *jobs])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", nargs="+", default=["1000000:60", "4000000:240"], metavar="MESSAGES:GROUPS")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/qunkit-bench-scale"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=None, help="qunkit --jobs (default: the cores)")
    ap.add_argument("--no-cache", action="store_true",
                    help="risk and prune with --no-cache: compute every group (a reused store otherwise answers "
                         "from the result cache of the previous run)")
    ap.add_argument("--facts", action="store_true",
                    help="keep facts in the store (`qunkit rebuild`, timed) so that risk and prune read the "
                         "stored per-text flags instead of scanning the texts")
    args = ap.parse_args(argv)
    jobs = (["--jobs", str(args.jobs)] if args.jobs else []) + (["--no-cache"] if args.no_cache else [])
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; jobs {args.jobs or 'default'}")
    head = (f"{'messages':>11} {'groups':>6} | {'import s':>8} {'MB':>6} | {'nightly s':>9} | {'re-import s':>11} | "
            f"{'risk s':>6} {'cpu':>6} {'MB':>6} | {'prune s':>7} {'cpu':>6} {'MB':>6} | {'risk+prune s':>12}")
    rows = []
    for spec in args.sizes:
        n, g = (int(x) for x in spec.split(":"))
        r = one_size(args.cache, n, g, args.seed, jobs, args.facts)
        rows.append(r)
        imp = r.get("import")
        nightly = r["reimport"][0] + r["risk"][0] + r["prune"][0]
        print(head if len(rows) == 1 else "", end="\n" if len(rows) == 1 else "")
        print(f"{r['messages']:>11,} {r['groups']:>6} | {imp[0] if imp else float('nan'):>8.1f} "
              f"{imp[1] if imp else float('nan'):>6.0f} | {nightly:>9.1f} | {r['reimport'][0]:>11.1f} | "
              f"{r['risk'][0]:>6.1f} {r['risk'][2]:>6.1f} {r['risk'][1]:>6.0f} | "
              f"{r['prune'][0]:>7.1f} {r['prune'][2]:>6.1f} {r['prune'][1]:>6.0f} | "
              f"{r['risk'][0] + r['prune'][0]:>12.1f}", flush=True)
        if "rebuild" in r:
            print(f"{'':>11} {'':>6}   rebuild (facts + aggregates): {r['rebuild'][0]:.1f} s wall, "
                  f"{r['rebuild'][2]:.1f} CPU s, {r['rebuild'][1]:.0f} MB", flush=True)
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        grow = b["messages"] / a["messages"]
        t = (b["risk"][0] + b["prune"][0]) / (a["risk"][0] + a["prune"][0])
        cpu = (b["risk"][2] + b["prune"][2]) / (a["risk"][2] + a["prune"][2])
        print(f"{grow:.1f}x the messages: risk+prune took {t:.1f}x the time ({cpu:.1f}x the CPU), "
              f"peak memory {max(b['risk'][1], b['prune'][1]) / max(a['risk'][1], a['prune'][1]):.1f}x")
    print("import: first import (empty store; blank when the cached store was reused); nightly = re-import "
          "(nothing new) + risk + prune; s = wall seconds, cpu = CPU seconds of the process and its workers, "
          "MB = peak RSS of the process and its workers summed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
