"""Does the anonymised copy of the REAL exports give the original's analyses (issue #10, item 5)?

Imports every real export qunkit recognises from shared/realdata into a temporary store (with facts),
writes ``qunkit anonymize --key-file K --map-file M`` of it, maps the copy's results back with the map
file and compares, row by row: ``roles`` (role, scores, reasons), ``risk`` (score, level, reasons,
features), ``prune --days 30``, ``activity`` (week) and the stored facts message by message.

It prints counts only (rows equal / different / only in one store, per analysis and per group, the
group named by its number and platform), never a name, an id or a text: the exports are real people's.
With ``--show`` it also prints which FIELDS differ (still no values), to look for a mechanism.

    PYTHONPATH=src python benchmarks/anonymize_realdata.py [REALDATA_DIR] [--show]

REALDATA_DIR defaults to $QUNKIT_REALDATA, else ../shared/realdata beside the repository.
Exit code: 0 when every compared row is equal, 1 when some differ, 2 without real data.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("QUNKIT_NO_CACHE", "1")     # both stores are computed, never read from a result cache

from click.testing import CliRunner  # noqa: E402

from qunkit.anonymize import Pseudonyms, unmapper  # noqa: E402
from qunkit.cli import cli  # noqa: E402
from qunkit.derived import enable  # noqa: E402
from qunkit.errors import BadInput  # noqa: E402
from qunkit.ingest import import_file  # noqa: E402
from qunkit.store import Store  # noqa: E402

REALDATA = Path(os.environ.get("QUNKIT_REALDATA") or Path(__file__).resolve().parents[1] / ".." / "shared" / "realdata")
FOLDERS = ("qq-txt", "qce-txt", "whatsapp-txt", "telegram-json", "wechat")
FACT_COLUMNS = ("ts", "day", "kind", "chars", "act", "is_system", "is_flood", "is_duplicate", "reply_evidence",
                "reply_confidence", "event")
FACT_NAMES = ("member_id", "reply_to_member", "event_member")          # whole values, mapped back
# (command, row key, fields compared; None: every field)
ANALYSES: dict[str, tuple[list[str], tuple[str, ...], tuple[str, ...] | None]] = {
    "roles": (["roles"], ("group_id", "member_id"), ("member_name", "role", "messages", "scores", "reasons",
                                                     "present")),
    "risk": (["risk"], ("group_id",), ("score", "level", "reasons", "features", "group_type", "group_subtype",
                                       "group_type_confidence", "group_type_reason")),
    "prune": (["prune", "--days", "30"], ("group_name", "member_id"), None),
    "activity": (["activity"], ("group_id", "period"), None),
}


def run(*args: object) -> str:
    res = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    if res.exit_code not in (0, 1):
        raise SystemExit(f"qunkit {args[0]} exited {res.exit_code}")
    return res.stdout


def import_all(root: Path, store: Store) -> tuple[int, list[str]]:
    """Import every recognised file; (files imported, the folders/indexes of files qunkit refused)."""
    enable(store)
    done, refused = 0, []
    for folder in FOLDERS:
        for i, path in enumerate(sorted((root / folder).glob("*"))):
            if not path.is_file():
                continue
            try:
                import_file(store, path)
                done += 1
            except BadInput:
                refused.append(f"{folder}#{i}")
    return done, refused


def compare_rows(name: str, orig: list[dict], copy: list[dict], group_of: dict[str, str], show: bool) -> Counter:
    """Counter of (group label, equal|different|only original|only copy) for one analysis."""
    _, key_cols, fields = ANALYSES[name]
    a = {tuple(r[k] for k in key_cols): r for r in orig}
    b = {tuple(r[k] for k in key_cols): r for r in copy}
    out: Counter = Counter()
    fields_off: Counter = Counter()
    for k in a.keys() | b.keys():
        g = group_of.get(str(k[0]), "?")
        if k not in b:
            out[g, "only original"] += 1
            continue
        if k not in a:
            out[g, "only copy"] += 1
            continue
        cols = fields or tuple(sorted(a[k].keys() | b[k].keys()))
        diff = [c for c in cols if json.dumps(a[k].get(c), sort_keys=True) != json.dumps(b[k].get(c), sort_keys=True)]
        if name == "risk" and "features" in diff:
            fa, fb = a[k]["features"], b[k]["features"]
            diff += [f"features.{f}" for f in sorted(fa.keys() | fb.keys()) if fa.get(f) != fb.get(f)]
        if name == "roles" and "scores" in diff:
            sa, sb = a[k]["scores"], b[k]["scores"]
            diff += [f"scores.{f}" for f in sorted(sa.keys() | sb.keys()) if sa.get(f) != sb.get(f)]
        out[g, "different" if diff else "equal"] += 1
        fields_off.update((g, c) for c in diff)
    if show and fields_off:
        for (g, c), n in sorted(fields_off.items()):
            print(f"    {name} {g}: field {c} differs on {n} row(s)")
    return out


def compare_facts(src: Store, copy: Store, key: bytes, back: dict[str, str], labels: dict[str, str],
                  show: bool) -> Counter:
    """Counter of (group label, equal|different) over the stored facts, joined on the re-keyed message key."""
    a, b = src.facts(), copy.facts()
    mix = Pseudonyms(key).mix
    rk = pd.Series(mix(a["reply_to"].fillna(0).to_numpy(np.uint64)), index=a.index, dtype="UInt64")
    a = a.assign(k=mix(a["msg_key"].to_numpy(np.uint64)), rk=rk.where(a["reply_to"].notna()))
    b = b.assign(k=b["msg_key"].to_numpy(np.uint64))
    j = a.merge(b, on="k", how="outer", suffixes=("", "_c"), indicator=True)
    out: Counter = Counter()
    label = j["group_key"].map(labels).fillna("?")
    out.update((g, "only copy") for g in label[j["_merge"] == "right_only"])
    out.update((g, "only original") for g in label[j["_merge"] == "left_only"])
    both = j[j["_merge"] == "both"]
    bad = pd.DataFrame(index=both.index)
    for col in FACT_COLUMNS:
        bad[col] = both[col].astype(object).fillna("-").astype(str) != both[col + "_c"].astype(object).fillna("-").astype(str)
    for col in FACT_NAMES:
        mapped = both[col + "_c"].astype(object).map(lambda v: back.get(v, v) if isinstance(v, str) else "-")
        bad[col] = both[col].astype(object).fillna("-").astype(str) != mapped.astype(str)
    bad["reply_to"] = both["rk"].astype(object).fillna(0).astype(str) != both["reply_to_c"].astype(object).fillna(0).astype(str)
    bad["mentions"] = [sorted(x if x is not None else []) != sorted(back.get(v, v) for v in (y if y is not None else []))
                       for x, y in zip(both["mentions"], both["mentions_c"], strict=True)]
    row_bad = bad.any(axis=1)
    g = label[both.index]
    out.update((x, "different") for x in g[row_bad])
    out.update((x, "equal") for x in g[~row_bad])
    if show:
        for col in bad.columns:
            for grp, n in Counter(g[bad[col]]).items():
                print(f"    facts {grp}: field {col} differs on {n} message(s)")
    return out


def main(argv: list[str]) -> int:
    show = "--show" in argv
    args = [a for a in argv[1:] if a != "--show"]
    root = Path(args[0]) if args else REALDATA
    if not root.is_dir():
        print(f"no real data at {root}: nothing to compare (set QUNKIT_REALDATA or pass the folder)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="qunkit-anon-") as tmp:
        tmp_p = Path(tmp)
        src = Store(tmp_p / "store")
        t0 = time.perf_counter()
        n_files, refused = import_all(root, src)
        t_import = time.perf_counter() - t0
        metas = src.metas()
        order = sorted(metas, key=lambda k: (metas[k]["platform"], k))
        labels = {k: f"g{i + 1:02d}-{metas[k]['platform']}" for i, k in enumerate(order)}
        n_msgs = len(src.facts())
        print(f"imported {n_files} file(s) into {len(metas)} group(s), {n_msgs} messages in {t_import:.1f} s"
              + (f"; not recognised: {', '.join(refused)}" if refused else ""))

        c0, t0 = time.process_time(), time.perf_counter()
        run("anonymize", "--to", tmp_p / "copy", "--key-file", tmp_p / "k", "--map-file", tmp_p / "map.json",
            "--store", src.root, "-q")
        print(f"anonymize: {time.perf_counter() - t0:.1f} s wall, {time.process_time() - c0:.1f} s CPU (this process)")
        back = json.loads((tmp_p / "map.json").read_text(encoding="utf-8"))
        key = bytes.fromhex((tmp_p / "k").read_text().strip())
        copy = Store(tmp_p / "copy")
        unmap = unmapper(back)

        # a row's first key field (group id or name) -> its group's label
        group_of = {}
        for k, meta in metas.items():
            for v in (meta["group_id"], meta["group_name"], *meta.get("names", [])):
                group_of[str(v)] = labels[k]

        totals: dict[str, Counter] = {}
        for name, (command, _, _) in ANALYSES.items():
            orig = json.loads(run(*command, "--store", src.root, "--format", "json"))
            mapped = unmap(json.loads(run(*command, "--store", copy.root, "--format", "json")))
            totals[name] = compare_rows(name, orig, mapped, group_of, show)
        totals["facts"] = compare_facts(src, copy, key, back, labels, show)

    kinds = ("equal", "different", "only original", "only copy")
    summary = pd.DataFrame([{"analysis": name, **{k: sum(n for (_, kk), n in c.items() if kk == k) for k in kinds}}
                            for name, c in totals.items()])
    pd.set_option("display.width", 200)
    print(summary.to_string(index=False))
    per_group = pd.DataFrame([{"group": g, "analysis": name, "kind": k, "n": n}
                              for name, c in totals.items() for (g, k), n in c.items()])
    off = per_group[per_group["kind"] != "equal"]
    if len(off):
        print("\nrows not equal, per group:")
        print(off.pivot_table(index="group", columns=["analysis", "kind"], values="n", aggfunc="sum", fill_value=0)
              .to_string())
    return 1 if len(off) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
