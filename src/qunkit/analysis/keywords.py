"""Hot words per period: what a group talked about this week that it did not talk about every week.

jieba segments the texts (its default dictionary, HMM off: faster and fewer invented words); words in
``data/stopwords.txt`` (Chinese and English function words, chat fillers, placeholders such as 图片),
single CJK characters, short Latin tokens and numbers are dropped.  Each word is scored by the log-odds
ratio of its use in this period against all the other periods, as a z-score with an informative Dirichlet
prior (``_log_odds``): a word this period uses far more than the others ranks first, a word used at the
same rate every period (the group's jargon, its own name, 群主) scores about zero however frequent and is
not listed.  With a single period the score is the plain frequency.  ``scorer="tfidf"`` is the earlier
score (TF-IDF with the periods as documents), kept for comparison.

Topics: a period's *topic* is a set of its keywords that are talked about together.  Chat topics come
as threads (one person asks about 快门, the next answers about 光圈), so two of the period's top
``TOPIC_POOL`` keywords are linked when they occur in the same run of ``BLOCK`` consecutive texts (of the
period's sample) at least twice, in at least ``LINK`` of the runs of the rarer one and ``LIFT`` times more
often than chance (a filler word in every stretch meets everything, by chance); a topic is the best
keyword not yet in a topic with the free keywords linked to it (two or more words; no chains of links, which
glue unrelated threads together), ranked by the texts that use any of its words.

Measured (``benchmarks/bench_keywords.py``: generated groups with a different topic planted in each
month): the log-odds score finds the planted topic far more often than the TF-IDF over periods, jieba's
own TF-IDF (``extract_tags``, a general-language IDF that ranks the group's everyday jargon first) and its
TextRank; the README has the figures.

Speed: jieba segments about 8,000 short texts a second, so each period is segmented on an even sample of
at most ``per_period`` texts (the counts then stand for the sample; ``sampled`` says how many were used).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from importlib import resources

import jieba
import numpy as np
import pandas as pd

from . import segmenter

PER_PERIOD = 1500          # texts segmented per period at most (even sample)
MIN_PER_PERIOD = 50        # ... and at least, when a budget is shared by many groups and periods
TOPIC_POOL = 16            # a period's best keywords that topics are made of
BLOCK = 5                  # consecutive texts (of the sample) that make one stretch of conversation
LINK = 0.25                # two keywords are linked when this share of the rarer one's stretches has both
LIFT = 1.5                 # ... and they meet this many times more often than chance would have them
TOPICS = 3                 # topics shown per period
PRIOR = 0.2                # the log-odds prior's weight, as a share of all the words counted (``_log_odds``)
_WORD = re.compile(r"[\u3400-\u9fff]{2,}|[A-Za-z][A-Za-z'\-]{2,}")
_REPEAT = re.compile(r"(.)\1\1")          # hhhh, 哈哈哈: laughter, not a topic


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    text = resources.files("qunkit").joinpath("data/stopwords.txt").read_text(encoding="utf-8")
    return frozenset(w.strip().lower() for w in text.splitlines() if w.strip() and not w.startswith("#"))


@lru_cache(maxsize=1)
def _tokenizer() -> jieba.Tokenizer:
    """A private jieba tokenizer (the module-level one may carry other callers' words)."""
    return segmenter.tokenizer()


def per_period_share(budget: int, periods: int) -> int:
    """Texts each of ``periods`` periods may have segmented when ``budget`` texts are shared by them (the
    report's and the digest's bound on jieba, ~8,000 texts a second): at least ``MIN_PER_PERIOD``, at most
    ``PER_PERIOD``."""
    return max(MIN_PER_PERIOD, min(PER_PERIOD, budget // max(1, periods)))


def _sample(idx: np.ndarray, n: int) -> np.ndarray:
    """At most ``n`` of the positions ``idx``, evenly spread (so a busy week is not only its Monday)."""
    return idx if len(idx) <= n else idx[np.arange(n) * len(idx) // n]


def segment(texts: list[str], names: str = "") -> list[list[str]]:
    """Content words of each text (one jieba pass over them joined by newlines), stop words, laughter and
    pieces of member names (``names``: the names joined by newlines) removed."""
    stop = stopwords()
    tokens = _tokenizer().lcut("\n".join(texts), HMM=False)
    out: list[list[str]] = [[]]
    for tok in tokens:
        if tok == "\n":
            out.append([])
            continue
        t = tok.lower()
        if _WORD.fullmatch(t) and t not in stop and not _REPEAT.search(t) and t not in names:
            out[-1].append(t)
    return out


def words(texts: list[str], names: str = "") -> Counter:
    """Content words of ``texts`` counted (``segment``)."""
    return Counter(w for ws in segment(texts, names) for w in ws)


def period_keywords(texts: pd.Series, periods: pd.Series, top: int = 8, per_period: int = PER_PERIOD,
                    exclude: list[str] = (), topics: int = TOPICS, scorer: str = "logodds") -> dict[object, dict]:
    """Per period label: ``{"words": [(word, count), ...], "topics": [{"words": [...], "texts": n}, ...],
    "sampled": n, "texts": total}``, best first.

    ``texts`` and ``periods`` are aligned (one label per text, e.g. the week's start date, texts in time
    order within a period); words inside any of ``exclude`` (member names: an @name is not a topic) are
    dropped.  ``topics``: how many topics per period (0: none); ``scorer``: ``logodds`` or ``tfidf`` (module doc)."""
    names = "\n".join(exclude).lower()
    codes, labels = pd.factorize(np.asarray(periods), sort=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(labels) + 1))
    segs: dict[object, list[list[str]]] = {}
    counts: dict[object, Counter] = {}
    sizes: dict[object, tuple[int, int]] = {}
    for j, label in enumerate(labels):   # one pass per period, not per message; only the sample is copied
        idx = _sample(order[bounds[j]:bounds[j + 1]], per_period)
        segs[label] = segment([str(t) for t in texts.iloc[idx]], names)
        counts[label] = Counter(w for ws in segs[label] for w in ws)
        sizes[label] = (len(idx), int(bounds[j + 1] - bounds[j]))
    ranked = _rank(counts, scorer)
    out = {}
    for label, scored in ranked.items():
        out[label] = {"words": scored[:top],
                      "topics": topic_clusters(segs[label], [w for w, _ in scored[:TOPIC_POOL]])[:topics],
                      "sampled": sizes[label][0], "texts": sizes[label][1]}
    return out


def _rank(counts: dict[object, Counter], scorer: str) -> dict[object, list[tuple[str, int]]]:
    """Each period's words, best first, as (word, count): ``logodds`` (the default) or ``tfidf``."""
    vocab = sorted({w for c in counts.values() for w in c})
    if not vocab:
        return {label: [] for label in counts}
    col = {w: i for i, w in enumerate(vocab)}
    y = np.zeros((len(counts), len(vocab)))
    for r, c in enumerate(counts.values()):      # one row per period (a few dozen), words as columns
        y[r, [col[w] for w in c]] = list(c.values())
    n_p = y.sum(axis=1, keepdims=True)
    if scorer == "tfidf":
        idf = np.log((1 + len(counts)) / (1 + (y > 0).sum(axis=0))) + 1.0
        score = y / np.maximum(n_p, 1) * idf
    elif scorer == "logodds":      # only words a period uses more than the others (z > 0)
        score = np.where(_log_odds(y) > 0, _log_odds(y), -np.inf) if len(counts) > 1 else y
    else:
        raise ValueError(f"unknown scorer {scorer!r}")
    small = n_p < 20                               # a tiny period: every word counts, even once
    score = np.where((y >= 2) | ((y >= 1) & small), score, -np.inf)
    out = {}
    words = np.array(vocab, dtype=object)
    for r, label in enumerate(counts):
        ok = np.flatnonzero(np.isfinite(score[r]))
        order = ok[np.lexsort((words[ok], -score[r, ok]))]
        out[label] = [(str(words[i]), int(y[r, i])) for i in order[:TOPIC_POOL * 4]]
    return out


def _log_odds(y: np.ndarray, prior: float = PRIOR) -> np.ndarray:
    """z-scores of the log-odds ratio of each word in a period against all the other periods, with an
    informative Dirichlet prior (Monroe, Colaresi & Quinn 2008, "Fightin' Words"): a word used at the same
    rate every period scores about 0 however frequent, a word a period uses far more than the others
    scores high, and the prior keeps rare words from winning on one or two uses."""
    total = y.sum(axis=0)
    alpha = prior * total          # = (prior x all words) x each word's share of them
    a0 = alpha.sum()
    rest = total[None, :] - y
    n_p, n_r = y.sum(axis=1, keepdims=True), rest.sum(axis=1, keepdims=True)
    delta = (np.log((y + alpha) / (n_p + a0 - y - alpha)) - np.log((rest + alpha) / (n_r + a0 - rest - alpha)))
    return delta / np.sqrt(1.0 / (y + alpha) + 1.0 / (rest + alpha))


def topic_clusters(segmented: list[list[str]], pool: list[str]) -> list[dict]:
    """Topics among the keywords ``pool`` (best first) of one period's ``segmented`` texts (see the module
    doc): ``[{"words": [...], "texts": n}, ...]``, the words in ``pool`` order, the topics by ``texts``."""
    if len(pool) < 2:
        return []
    pos = {w: i for i, w in enumerate(pool)}
    hits = [(t, pos[w]) for t, ws in enumerate(segmented) for w in set(ws) if w in pos]
    if not hits:
        return []
    text_of, word_of = np.array(hits, dtype=np.int64).T
    k = len(pool)
    # word x stretch incidence, then co-occurrence counts by one matrix product (k is small)
    n_blocks = int(text_of.max()) // BLOCK + 1
    inc = np.zeros((k, n_blocks), dtype=np.int32)
    inc[word_of, text_of // BLOCK] = 1
    co = inc @ inc.T
    per_word = np.diag(co).astype(float)
    rarer = np.minimum.outer(per_word, per_word)
    lift = co * n_blocks / np.maximum(np.outer(per_word, per_word), 1)   # > 1: together more than by chance
    linked = (co >= 2) & (co >= LINK * np.maximum(rarer, 1)) & (lift >= LIFT)
    np.fill_diagonal(linked, False)
    uses = np.zeros((k, int(text_of.max()) + 1), dtype=bool)
    uses[word_of, text_of] = True
    out = []
    free = np.ones(k, dtype=bool)
    for seed in range(k):          # the pool's words (16 at most), best first: each free one seeds a topic
        if not free[seed]:
            continue
        members = np.flatnonzero(free & (linked[seed] | (np.arange(k) == seed)))
        if len(members) >= 2:      # a seed and the free words linked to it (no chains: a topic stays one thread)
            free[members] = False
            out.append({"words": [pool[i] for i in members], "texts": int(uses[members].any(axis=0).sum())})
    return sorted(out, key=lambda t: -t["texts"])
