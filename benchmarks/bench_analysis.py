"""Time activity + roles + risk on a generated store (goal: 1M messages / 60 groups in < 15 s on 2 cores).

    python benchmarks/bench_analysis.py                       # 1,000,000 messages in 60 groups
    python benchmarks/bench_analysis.py --messages 200000 --groups 20
    python benchmarks/bench_analysis.py --store /tmp/qk-bench  # keep (or reuse) the imported store

The corpus (``corpus.py``) comes from ``qunkit.generate``, is written as QQ .txt
exports with rosters and imported through the normal path, so the analysis reads exactly
what a user's store holds.  Timed: loading messages + members from the store,
then the per-message features (shared), ``activity`` (weekly),
``assign_roles`` and ``group_risk``.  Also timed on its own: what jieba word
segmentation of every text would add (qunkit does not segment).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import corpus
import jieba

from qunkit.analysis.activity import activity
from qunkit.analysis.risk import group_risk
from qunkit.analysis.roles import assign_roles
from qunkit.analysis.scope import Scope
from qunkit.analysis.text_features import compute_features
from qunkit.store import Store


def build_store(root: Path, n_messages: int, n_groups: int, seed: int) -> float:
    t0 = time.perf_counter()
    corpus.build_store(root, n_groups, seed, n_messages // n_groups)
    return time.perf_counter() - t0


def peak_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 1024 / 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--groups", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--store", type=Path, default=None, help="directory to build (or reuse) the store in")
    ap.add_argument("--jieba", action="store_true", help="also time jieba segmentation of every text (slow)")
    args = ap.parse_args(argv)

    tmp = None
    root = args.store
    if root is None:
        tmp = tempfile.TemporaryDirectory(prefix="qunkit-bench-")
        root = Path(tmp.name)
    if not (root / "store" / "groups").exists():
        build_s = build_store(root, args.messages, args.groups, args.seed)
        print(f"generated, exported and imported in {build_s:.1f} s")
    store = Store(root / "store")

    t0 = time.perf_counter()
    messages, as_of = Scope().apply(store.messages())
    members = store.members(messages=messages)
    t_load = time.perf_counter() - t0

    timings = {}
    t = time.perf_counter()
    features = compute_features(messages, as_of, members=members)
    timings["features (shared)"] = time.perf_counter() - t
    t = time.perf_counter()
    act = activity(messages, members, as_of, by="week", features=features)
    timings["activity (weekly)"] = time.perf_counter() - t
    t = time.perf_counter()
    roles = assign_roles(messages, members, as_of, features=features)
    timings["roles"] = time.perf_counter() - t
    t = time.perf_counter()
    risk = group_risk(messages, members, as_of, features=features)
    timings["risk"] = time.perf_counter() - t
    total = sum(timings.values())

    n = len(messages)
    print(f"{n:,} messages, {messages['group_id'].nunique()} groups, {len(members):,} members; "
          f"{len(act):,} group-weeks, {len(roles):,} role rows, {len(risk)} risk rows; {os.cpu_count()} CPUs")
    print(f"load from store (messages + members): {t_load:.2f} s")
    for k, v in timings.items():
        print(f"  {k:<20} {v:6.2f} s")
    print(f"activity + roles + risk: {total:.2f} s ({n / total:,.0f} messages/s); peak memory {peak_mb():,.0f} MB")
    if args.jieba:
        jieba.initialize()
        texts = messages["text"].astype(str).tolist()
        t = time.perf_counter()
        for s in texts:
            jieba.lcut(s)
        print(f"jieba.lcut over every text (not used by qunkit): {time.perf_counter() - t:.1f} s")
    cmd = f"python benchmarks/bench_analysis.py --messages {args.messages} --groups {args.groups} --seed {args.seed}"
    print(f"reproduce: {cmd}")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
