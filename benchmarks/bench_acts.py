"""Precision, recall and F1 of the message acts on the labelled set, and their speed.

    PYTHONPATH=src python benchmarks/bench_acts.py                 # quality + speed
    PYTHONPATH=src python benchmarks/bench_acts.py --no-speed      # quality only

Quality is printed for ``tune`` (the rows the rules were tuned on) and ``holdout``
(never looked at while tuning) separately.  Speed: ``classify_texts`` on 1M messages
with ~300k distinct texts (labelled texts made distinct by a number, drawn with
repetition), with jieba and, when installed, rjieba as the segmenter; and the raw
segmentation rate of both over distinct texts (why acts segment only a few texts).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import jieba
import numpy as np
import pandas as pd

from qunkit.analysis.acts import ACTS, classify_texts

SET = Path(__file__).resolve().parents[1] / "tests" / "data" / "acts" / "messages.tsv"


def load_set(path: Path = SET) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", keep_default_na=False, dtype=str, quoting=0)


def scores(gold: pd.DataFrame, pred: pd.DataFrame) -> pd.DataFrame:
    """Per-act precision, recall, F1 and support, plus a macro row."""
    rows = []
    for act in ACTS:
        g = gold["acts"].str.split(",").apply(lambda a, act=act: act in a).to_numpy()
        p = pred[act].to_numpy()
        tp, fp, fn = int((g & p).sum()), int((~g & p).sum()), int((g & ~p).sum())
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        rows.append({"act": act, "precision": prec, "recall": rec, "f1": f1, "support": int(g.sum())})
    out = pd.DataFrame(rows)
    macro = {"act": "macro", **out[["precision", "recall", "f1"]].mean().to_dict(), "support": len(gold)}
    return pd.concat([out, pd.DataFrame([macro])], ignore_index=True)


def quality(data: pd.DataFrame) -> dict[str, pd.DataFrame]:
    pred = classify_texts(data["text"].tolist())
    return {split: scores(data[data["split"] == split], pred[(data["split"] == split).to_numpy()])
            for split in ("tune", "holdout")}


def _segmenters() -> dict[str, object]:
    jieba.setLogLevel(60)
    segs: dict[str, object] = {"jieba": jieba.lcut}
    try:
        import rjieba  # noqa: PLC0415 -- optional dependency, compared only when installed

        segs["rjieba"] = rjieba.cut
    except ImportError:
        pass
    return segs


def speed(data: pd.DataFrame, messages: int, distinct: int, seg_sample: int) -> None:
    rng = np.random.default_rng(0)
    base = data["text"].to_numpy()
    uniq = np.array([f"{base[i % len(base)]}{i // len(base) or ''}" for i in range(distinct)], dtype=object)
    msgs = uniq[rng.integers(0, distinct, messages)].tolist()
    segs = _segmenters()
    for name, cut in segs.items():
        cut = None if name == "jieba" else cut     # the default: qunkit's own jieba tokenizer
        classify_texts(["群主不管"], cut=cut)        # loads the dictionary outside the timing
        t0, c0 = time.perf_counter(), time.process_time()
        classify_texts(msgs, cut=cut)
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"classify_texts [{name}]: {messages:,} messages / {distinct:,} distinct in {dt:.2f} s wall, "
              f"{cpu:.2f} s CPU ({distinct / dt:,.0f} distinct texts/s)")
    sample = uniq[rng.choice(distinct, min(seg_sample, distinct), replace=False)].tolist()
    for name, cut in segs.items():
        t0 = time.perf_counter()
        for s in sample:
            cut(s)
        dt = time.perf_counter() - t0
        print(f"segment every distinct text [{name}]: {len(sample) / dt:,.0f} texts/s "
              f"(so {distinct:,} would take {distinct / (len(sample) / dt):.1f} s)")


def _load() -> str:
    try:
        return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"
    except OSError:
        return ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--distinct", type=int, default=300_000)
    ap.add_argument("--seg-sample", type=int, default=50_000, help="distinct texts for the segmenter rates")
    args = ap.parse_args()
    data = load_set()
    print(f"labelled set: {len(data)} rows ({(data['split'] == 'holdout').sum()} holdout)")
    pd.set_option("display.float_format", "{:.3f}".format)
    for split, table in quality(data).items():
        print(f"\n[{split}]")
        print(table.to_string(index=False))
    if not args.no_speed:
        print(f"\n{_load()}")
        speed(data, args.messages, args.distinct, args.seg_sample)


if __name__ == "__main__":
    main()
