"""The nightly round (``examples/nightly.sh``'s import + risk + prune), cold, warm and with one group changed.

    python benchmarks/bench_nightly.py                          # 1M messages in 60 groups
    python benchmarks/bench_nightly.py --sizes 200000:12 --work /tmp/qk-nightly --verify

The corpus (``corpus.py``: QQ .txt exports with rosters, as ``qunkit generate`` writes them) is
generated once into ``--work``/N-G and reused; each run copies its exports and starts an empty
store.  Every step is its own process, as cron runs it, measured from outside (``bench_scale.measure``:
wall seconds and the CPU seconds of the process and its pool workers).  Rounds:

- cold: the first night: ``qunkit import EXPORT_DIR --roster-dir ROSTER_DIR`` into an empty store,
  then ``qunkit risk`` and ``qunkit prune --days 90`` (nothing cached yet);
- warm: the same three again with nothing new (issue #10: under 5 s on 1M messages);
- one changed: five messages appended to one export, inside the stored period (the default as_of,
  the newest message of all, stays): one group recomputed;
- newer as_of: five messages after every other: the as_of moves, so every group is judged at a new
  moment and recomputed (the cache cannot help; the import still reads only the changed file).

``--verify`` also runs risk and prune with ``--no-cache`` after each round and checks the outputs
are identical to the cached ones.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bench_scale import corpus_dir, measure

ROOT = Path(__file__).resolve().parents[1]


def added(day: str) -> str:
    """Five QQ .txt messages on ``day`` (appended to one export)."""
    return "".join(f"{day} 00:0{i}:00 夜班测试员(99999001)\r\n第{i}条新消息\r\n\r\n" for i in range(5))


# one changed: messages inside the period already stored (the run's as_of, the newest message, stays);
# newer: messages after every other, so the as_of moves and every group is judged at a new moment
CHANGES = {"one changed": added("2024-03-31"), "newer as_of": added("2024-04-01")}


def round_(work: Path, exports: Path, rosters: Path, store: Path, jobs: list[str], verify: bool, name: str
           ) -> dict:
    """One nightly round: import, risk, prune; each output kept as ``work/<name>.<step>``."""
    q = [sys.executable, "-m", "qunkit"]
    steps = {
        "import": [*q, "import", str(exports), "--roster-dir", str(rosters), "--store", str(store), "--quiet",
                   "--format", "json", "-o", str(work / f"{name}.import.json")],
        "risk": [*q, "risk", "--store", str(store), "--quiet", "--format", "json", "-o", str(work / f"{name}.risk"),
                 *jobs],
        "prune": [*q, "prune", "--days", "90", "--store", str(store), "--quiet", "--format", "csv",
                  "-o", str(work / f"{name}.prune"), *jobs],
    }
    out = {step: measure(cmd) for step, cmd in steps.items()}
    if verify:
        for step in ("risk", "prune"):
            cold = work / f"{name}.{step}.cold"
            cmd = [c if c != str(work / f"{name}.{step}") else str(cold) for c in steps[step]] + ["--no-cache"]
            subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
            if cold.read_bytes() != (work / f"{name}.{step}").read_bytes():
                raise SystemExit(f"{name}: {step} with the cache differs from --no-cache")
        out["verified"] = True
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", nargs="+", default=["1000000:60"], metavar="MESSAGES:GROUPS")
    ap.add_argument("--work", type=Path, default=Path("/tmp/qunkit-bench-nightly"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=None, help="qunkit --jobs (default: the cores)")
    ap.add_argument("--verify", action="store_true", help="check cached outputs against --no-cache runs")
    args = ap.parse_args(argv)
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; jobs {args.jobs or 'default'}")
    print(f"{'messages':>11} {'groups':>6} {'round':<12} | {'import s':>8} {'risk s':>7} {'prune s':>7} | "
          f"{'round s':>7} {'cpu s':>6}")
    for spec in args.sizes:
        n, g = (int(x) for x in spec.split(":"))
        root, total = corpus_dir(args.work, n, g, args.seed)
        work = args.work / f"{n}-{g}-round"
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(root / "exports", work / "exports")
        store = work / "store"
        for name in ("cold", "warm", *CHANGES):
            if name in CHANGES:
                first = sorted((work / "exports").iterdir())[0]
                with first.open("a", encoding="utf-8", newline="") as fh:
                    fh.write(CHANGES[name])
            r = round_(work, work / "exports", root / "rosters", store, jobs, args.verify, name.replace(" ", "-"))
            wall = sum(r[s][0] for s in ("import", "risk", "prune"))
            cpu = sum(r[s][2] for s in ("import", "risk", "prune"))
            print(f"{total:>11,} {g:>6} {name:<12} | {r['import'][0]:>8.1f} {r['risk'][0]:>7.1f} "
                  f"{r['prune'][0]:>7.1f} | {wall:>7.1f} {cpu:>6.1f}{'  (verified)' if r.get('verified') else ''}",
                  flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}; s = wall seconds per process, cpu = CPU seconds of "
          "the processes and their pool workers (the figure a loaded machine distorts least)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
