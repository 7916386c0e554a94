"""Agreement of qunkit's roles with a person's reading of the same members (issue 9's real-data check).

    python benchmarks/role_agreement.py --store STORE --labels labels.csv [--labels more.csv ...]
    python benchmarks/role_agreement.py --store STORE --labels tune.csv --labels held.csv --split

``labels.csv`` has the columns ``group_name,member_id,role`` (and optionally ``part``): one row per
member an operator read, ``role`` one of the seven (organizer, thinker, joker, asker, challenger,
advertiser, lurker).  Labels of real people stay outside the repository: this script reads them,
prints figures only (members, agreement, macro-F1 over the roles the labels or qunkit use, F1 per role,
the largest confusions) and writes nothing.

Each group is judged at its own newest message, as ``qunkit roles --at-group-end`` does (``--as-of-store``
judges all at the store's newest one instead): exports of different groups end years apart, and a
member of a group that ended long ago would otherwise be judged by a rate diluted by years nobody
could speak in.  ``--split`` prints a
line per ``part`` (or per labels file) beside the total, so tuning and held-out parts stay apart.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import pandas as pd

from qunkit.analysis.scope import Scope
from qunkit.commands.analysis import roles
from qunkit.store import Store
from qunkit.vocabulary import ROLES


def qunkit_roles(store: Store, per_group: bool = True) -> pd.DataFrame:
    """qunkit's roles (``qunkit roles``, private chats included), each group at its own newest message
    (``--at-group-end``) unless ``per_group`` is false."""
    rows = roles(store, Scope(at_group_end=per_group, include_private=True)).rows
    return rows.assign(group_name=rows["group_name"].astype(str), member_id=rows["member_id"].astype(str))


def read_labels(paths: list[Path]) -> pd.DataFrame:
    frames = []
    for p in paths:
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
        missing = {"group_name", "member_id", "role"} - set(df.columns)
        if missing:
            raise SystemExit(f"{p}: missing column(s) {', '.join(sorted(missing))}; "
                             "expected group_name,member_id,role[,part]")
        bad = sorted(set(df["role"]) - set(ROLES))
        if bad:
            raise SystemExit(f"{p}: unknown role(s) {bad}; expected one of {', '.join(ROLES)}")
        if "part" not in df.columns:
            df["part"] = p.stem
        frames.append(df[["group_name", "member_id", "role", "part"]])
    return pd.concat(frames, ignore_index=True)


def agreement(label: pd.Series, pred: pd.Series) -> dict:
    """Share of equal roles, and F1 per role over the roles either side uses (macro-F1 their mean)."""
    f1 = {}
    for r in ROLES:
        tp = int(((label == r) & (pred == r)).sum())
        fp = int(((label != r) & (pred == r)).sum())
        fn = int(((label == r) & (pred != r)).sum())
        if tp + fp + fn:
            f1[r] = 2 * tp / (2 * tp + fp + fn)
    return {"members": len(label), "agree": float((label == pred).mean()) if len(label) else 0.0,
            "macro_f1": sum(f1.values()) / len(f1) if f1 else 0.0, "f1": f1}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", required=True, type=Path)
    ap.add_argument("--labels", required=True, type=Path, action="append", help="CSV group_name,member_id,role[,part]")
    ap.add_argument("--split", action="store_true", help="a line per part beside the total")
    ap.add_argument("--as-of-store", action="store_true", help="judge every group at the store's newest message")
    args = ap.parse_args(argv)
    labels = read_labels(args.labels)
    pred = qunkit_roles(Store(args.store), per_group=not args.as_of_store)
    j = labels.merge(pred[["group_name", "member_id", "role"]].rename(columns={"role": "qunkit"}),
                     on=["group_name", "member_id"], how="left")
    unmatched = int(j["qunkit"].isna().sum())
    if unmatched:
        print(f"note: {unmatched} labelled member(s) not found in the store (left out)", file=sys.stderr)
    j = j.dropna(subset=["qunkit"])
    parts = [(p, j[j["part"] == p]) for p in sorted(j["part"].unique())] if args.split else []
    for name, sub in [*parts, ("all", j)]:
        a = agreement(sub["role"], sub["qunkit"])
        per = ", ".join(f"{r} {v:.2f}" for r, v in a["f1"].items())
        print(f"{name:>12}: {a['members']} members, agree {a['agree']:.1%}, macro-F1 {a['macro_f1']:.3f} ({per})")
    conf = Counter(zip(j["role"], j["qunkit"], strict=True))
    worst = [(k, v) for k, v in conf.most_common() if k[0] != k[1]][:8]
    print("largest confusions (label -> qunkit): " + "; ".join(f"{a} -> {b} {n}" for (a, b), n in worst))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
