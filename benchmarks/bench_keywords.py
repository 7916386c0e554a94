"""Keywords and topics per period against a known answer: qunkit's TF-IDF over periods vs jieba's own
TF-IDF (``jieba.analyse.extract_tags``) and TextRank (``jieba.analyse.textrank``).

    python benchmarks/bench_keywords.py              # 6 groups x 6 months
    python benchmarks/bench_keywords.py --groups 2   # quicker

The set: generated groups (``qunkit.generate``), each about its own topic (摄影, 考研 ...: its everyday
jargon, every month).  Into each month a *different* topic is planted: ``BURSTS`` conversations of
``BURST`` consecutive on-topic texts taken from a generated group about that topic, inserted at random
places of the month's timeline.  The answer for a month is the planted topic's words
(``generate.phrases.TOPICS``: nouns and products).  Every method sees the same texts (the same even sample
per month that ``analysis.keywords`` segments) and the same filters (stop words, laughter, member names).

Printed per method: P@5 (share of the top 5 keywords that are planted words), hit@3 (months with a
planted word in the top 3), everyday@5 (share of the top 5 that are the group's own jargon: a method
that shows them says what the group always talks about, not what this month was about) and seconds; for
qunkit's topics: months whose first topic is the planted one (two or more planted words, most of its
words planted) and the purity of the first topic.
"""

from __future__ import annotations

import argparse
import random
import time

import jieba
import jieba.analyse
import numpy as np
import pandas as pd

from qunkit.analysis.keywords import _REPEAT, _WORD, PER_PERIOD, _sample, period_keywords, stopwords
from qunkit.generate import generate_group
from qunkit.generate.phrases import TOPICS

MONTHS = pd.period_range("2024-01", "2024-06", freq="M")
BURSTS, BURST = 5, 8


def _texts(g) -> pd.DataFrame:
    m = g.messages
    m = m[(m["kind"] == "text") & (m["sender_id"] != "system")]
    return pd.DataFrame({"ts": m["ts"].dt.tz_convert("Asia/Shanghai"), "text": m["text"].astype(str),
                         "name": m["sender_name"].astype(str)})


def _topic_words(topic) -> set[str]:
    return {w.lower() for w in (*topic.nouns, *topic.products)}


def _matches(word: str, truth: set[str]) -> bool:
    return any(word == w or (len(word) >= 2 and word in w) or w in word for w in truth)


def build(n_groups: int, seed: int) -> list[dict]:
    """Per group: its texts with month labels (planted bursts inserted), the truth per month, its own words."""
    r = random.Random(seed)
    out = []
    for i in range(n_groups):
        own = TOPICS[i % len(TOPICS)]
        g = generate_group(f"评测群{i}", "healthy", n_members=80, start="2024-01-01", as_of="2024-06-30",
                           messages=7000, seed=seed + i, topic=own.label)
        base = _texts(g)
        others = [t for t in TOPICS if t.label != own.label]
        r.shuffle(others)
        parts, truth = [], {}
        for k, month in enumerate(MONTHS):
            mine = base[base["ts"].dt.tz_localize(None).dt.to_period("M") == month]
            planted = others[k % len(others)]
            donor = _texts(generate_group(f"捐赠群{i}{k}", "healthy", n_members=40, start="2024-01-01",
                                          as_of="2024-03-31", messages=3000, seed=seed + 100 * i + k,
                                          topic=planted.label))
            words = _topic_words(planted)
            on_topic = donor[donor["text"].str.lower().map(lambda s, w=words: any(x in s for x in w))]
            rows = list(mine.itertuples(index=False))
            for _ in range(BURSTS):
                burst = on_topic.sample(BURST, random_state=r.randrange(1 << 30))
                at = r.randrange(len(rows) + 1)
                rows[at:at] = list(burst.itertuples(index=False))
            parts.append(pd.DataFrame(rows, columns=mine.columns).assign(month=str(month)))
            truth[str(month)] = words
        out.append({"texts": pd.concat(parts, ignore_index=True), "truth": truth, "own": _topic_words(own)})
    return out


def _filtered(tags: list[str], names: str, top: int) -> list[str]:
    stop = stopwords()
    keep = [t.lower() for t in tags]
    keep = [t for t in keep if _WORD.fullmatch(t) and t not in stop and not _REPEAT.search(t) and t not in names]
    return keep[:top]


def jieba_method(kind: str):
    tfidf, textrank = jieba.analyse.TFIDF(), jieba.analyse.TextRank()
    jieba.setLogLevel(60)

    def run(texts: pd.Series, months: pd.Series, names: list[str], top: int) -> dict[str, list[str]]:
        joined_names = "\n".join(names).lower()
        out = {}
        for month in sorted(months.unique()):
            idx = _sample(np.flatnonzero((months == month).to_numpy()), PER_PERIOD)
            doc = "\n".join(texts.iloc[idx])
            tags = tfidf.extract_tags(doc, topK=60) if kind == "tfidf" else textrank.textrank(doc, topK=60)
            out[month] = _filtered(tags, joined_names, top)
        return out
    return run


def qunkit_method(scorer: str):
    def run(texts: pd.Series, months: pd.Series, names: list[str], top: int) -> dict[str, list[str]]:
        kw = period_keywords(texts, months, top=top, exclude=names, scorer=scorer, topics=0)
        return {m: [w for w, _ in v["words"]] for m, v in kw.items()}
    return run


def score(groups: list[dict], method, top: int = 5) -> dict[str, float]:
    p, hit, everyday, secs = [], [], [], 0.0
    for g in groups:
        t = time.perf_counter()
        got = method(g["texts"]["text"], g["texts"]["month"], sorted(g["texts"]["name"].unique()), top)
        secs += time.perf_counter() - t
        for month, truth in g["truth"].items():
            words = got.get(month, [])[:top]
            p.append(sum(_matches(w, truth) for w in words) / top)
            hit.append(any(_matches(w, truth) for w in words[:3]))
            everyday.append(sum(_matches(w, g["own"]) for w in words) / top)
    return {"P@5": float(np.mean(p)), "hit@3": float(np.mean(hit)), "everyday@5": float(np.mean(everyday)),
            "seconds": secs}


def topic_score(groups: list[dict], scorer: str) -> dict[str, float]:
    found, purity, counted = [], [], 0
    for g in groups:
        kw = period_keywords(g["texts"]["text"], g["texts"]["month"], exclude=sorted(g["texts"]["name"].unique()),
                             scorer=scorer)
        for month, truth in g["truth"].items():
            topics = kw[month]["topics"]
            counted += bool(topics)
            first = topics[0]["words"] if topics else []
            planted = sum(_matches(w, truth) for w in first)
            purity.append(planted / len(first) if first else 0.0)
            found.append(planted >= 2 and planted >= len(first) / 2)
    return {"first topic is the planted one": float(np.mean(found)), "purity of the first topic": float(np.mean(purity)),
            "months with a topic": counted / len(found)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--groups", type=int, default=6)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-textrank", action="store_true", help="jieba's TextRank is the slow one")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    groups = build(args.groups, args.seed)
    n = sum(len(g["texts"]) for g in groups)
    print(f"{args.groups} groups x {len(MONTHS)} months, {n:,} texts ({time.perf_counter() - t:.0f} s to build)")
    for name, method in (("qunkit log-odds over periods", qunkit_method("logodds")),
                         ("qunkit TF-IDF over periods", qunkit_method("tfidf")),
                         ("jieba extract_tags (TF-IDF)", jieba_method("tfidf")),
                         *(() if args.skip_textrank else (("jieba textrank", jieba_method("textrank")),))):
        s = score(groups, method)
        print(f"{name:30s} P@5 {s['P@5']:.2f}  hit@3 {s['hit@3']:.2f}  everyday@5 {s['everyday@5']:.2f}  "
              f"{s['seconds']:.1f} s")
    for scorer in ("logodds", "tfidf"):
        ts = topic_score(groups, scorer)
        print(f"qunkit topics ({scorer} keywords): " + ", ".join(f"{k} {v:.2f}" for k, v in ts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
