"""Group type (seed 002): strong-relationship, purpose or negative-value, told from what a group talks about.

Seed 002 sorts groups three ways: strong-relationship groups (家友群, 亲戚群, friends) are the
liveliest but their activity is emotional belonging, not value; purpose groups (learning,
sharing, work, interest) are weak ties with a lasting aim and carry value; negative-value
groups (游戏复活群, 广告转发群, 刷单群) bring their members nothing and "need no reviving".
So the type is shown beside the risk (``qunkit risk``, ``analyze``, the report): a dying
negative-value group is not worth saving.  The risk score itself is not changed.

Figures per group, over its spoken messages of the ``TYPE_DAYS`` days up to its own last
message (what it talked about, even when it has been silent since; all of them for a younger
group), each a share of those messages:

- *junk*: ads (the features' ``ad`` or the ``ad`` act), help-me links (``help_link`` cue:
  助力, 砍一刀, 复活 ...) and task talk (``task_work``: 刷单, 垫付, 返款 ...); *bare links*:
  links, cards and forwarded chats nobody replied to;
- *kin*: kinship terms (``kin``) and, at half weight, everyday-life talk (``daily_life``);
  *banter*: the ``banter`` act (laughter, stickers, red packets);
- *Q&A*: questions and answers (acts, and the features' reply-based answers); *long*: the
  features' substantive long messages; *topic*: study, work or sharing words (cues); all three
  among the messages that are not junk (a 助力 link with a "?" asks nothing).

The cue words live in ``qunkit/data/acts.json`` (one owner: the act lexicon, which users
extend with the same file shape); acts ignore them (``acts.TOPIC_CUES``).

Scores, each 0-1 (``_ramp(x, lo, hi)``: 0 at ``lo``, 1 at ``hi``):

- negative-value = ramp(junk + bare links / 2, 15%, 45%);
- strong-relationship = max(family = ramp(kin, 4%, 12%),
  friends = ramp(banter, 15%, 35%) x (1 - ramp(Q&A + topic, 15%, 35%)));
- purpose = 0.4 ramp(Q&A, 5%, 20%) + 0.3 ramp(long, 5%, 20%) + 0.3 ramp(topic, 5%, 15%).

The best score names the type when it reaches ``DECIDE`` and leads the next by ``MARGIN``;
otherwise, or with fewer than ``MIN_MESSAGES`` messages or ``MIN_SPEAKERS`` speakers, the
type is ``unclear``.  ``confidence`` = evidence size (messages / ``FULL_MESSAGES``, at most 1)
x (half the winning score + half its lead, full at a lead of 0.5).  The thresholds were set
by reading the seed's description against generated groups, not tuned on real exports.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .acts import TOPIC_CUES, ActRules, resolve_rules
from .text_features import Features
from .textscan import _arrow, _run_regexes

TYPES = ("strong-relationship", "purpose", "negative-value")
UNCLEAR = "unclear"
TYPE_DAYS = 90
MIN_MESSAGES = 100
MIN_SPEAKERS = 3
FULL_MESSAGES = 300
DECIDE = 0.5
MARGIN = 0.15
TOPIC_MIN = 0.03           # a purpose subtype (learning/work/sharing) needs its words in 3% of messages
LINK_KINDS = ("link", "forward", "card")
COLUMNS = ["group_id", "group_name", "group_type", "subtype", "confidence", "worth_saving", "reason", "evidence"]


def _ramp(x: float, lo: float, hi: float) -> float:
    return float(np.clip((x - lo) / (hi - lo), 0.0, 1.0))


def topic_flags(texts: pd.Series, rules: ActRules) -> dict[str, np.ndarray]:
    """Each topic cue over the distinct texts, as one boolean per text."""
    arr = _arrow(texts.astype(object).fillna(""), pa.string())
    enc = pc.dictionary_encode(arr) if len(arr) else None
    if enc is None:
        return {c: np.zeros(0, bool) for c in TOPIC_CUES}
    codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    per_text = _run_regexes(enc.dictionary, {c: ("match", rules.cues.regex(c)) for c in TOPIC_CUES})
    return {c: v[codes] for c, v in per_text.items()}


def _figures(F: Features, messages: pd.DataFrame, rules: ActRules, builtin: bool) -> pd.DataFrame:
    """Per group (a row of ``F.groups``): message count, speakers and every share the scores use;
    ``builtin``: ``rules`` are the built-in ones (then the topic cues stored with ``F`` hold)."""
    f = F.msgs
    G = len(F.groups)
    # the group's own last TYPE_DAYS (what it talked about, even if it has been silent since)
    last = F.groups["last_ts"].array.as_unit("ns").asi8
    lo = last - pd.Timedelta(days=TYPE_DAYS).value
    in_window = f["t"].to_numpy() > lo[f["g"].to_numpy(np.int64)] if len(f) else np.zeros(0, bool)
    n_in = int(in_window.sum())

    def col(name: str) -> np.ndarray:      # the window's rows of one column (no copy of the whole frame)
        return f[name].to_numpy(bool)[in_window] if name in f.columns else np.zeros(n_in, bool)

    g = f["g"].to_numpy(np.int64)[in_window]
    textual = col("textual")
    if F.topics is not None and builtin:        # stored with the features (``stored_features``)
        topic = {c: v[in_window] for c, v in F.topics.items()}
    elif n_in:
        topic = topic_flags(messages["text"].iloc[f["src"].to_numpy()[in_window]], rules)
    else:
        topic = {c: np.zeros(0, bool) for c in TOPIC_CUES}
    topic = {c: v & textual for c, v in topic.items()}

    ad = col("ad") | col("act_ad")
    linkish = col("link") | f["kind"].isin(LINK_KINDS).to_numpy(bool)[in_window]
    junk = ad | topic["help_link"] | topic["task_work"]
    masks = {
        "ads": ad, "help_links": topic["help_link"], "task_talk": topic["task_work"], "junk": junk,
        "links": linkish, "bare_links": linkish & ~junk & ~col("replied"),
        "kin": topic["kin"], "daily_life": topic["daily_life"], "banter": col("act_banter"),
        # purpose evidence counts only the rest: a 助力 link with a "?" or a long URL is no question or essay
        "qa": (col("act_question") | col("act_answer") | col("answer")) & ~junk, "long": col("long") & ~junk,
        "study": topic["study"] & ~junk, "work": topic["work"] & ~junk, "share": topic["share"] & ~junk,
        "topic": (topic["study"] | topic["work"] | topic["share"]) & ~junk, "replied": col("replied"),
    }
    n = np.bincount(g, minlength=G)
    P = max(len(F.people), 1)
    pairs = np.unique(g * P + f["mk"].to_numpy(np.int64)[in_window])        # distinct (group, speaker)
    out = pd.DataFrame({"messages": n, "speakers": np.bincount(pairs // P, minlength=G)})
    for k, m in masks.items():
        out[k] = np.bincount(g, weights=m.astype(float), minlength=G) / np.maximum(n, 1)
    span = (F.groups["last_ts"] - F.groups["first_ts"]).dt.total_seconds().to_numpy() / 86400
    out["days"] = np.minimum(TYPE_DAYS, span).round(1)
    return out


def _scores(r: pd.Series) -> dict[str, float]:
    life = r["kin"] + r["daily_life"] / 2
    family = _ramp(life, 0.03, 0.10)
    friends = (_ramp(r["banter"], 0.15, 0.35) * _ramp(life, 0.01, 0.04)
               * (1 - _ramp(r["qa"] + r["topic"], 0.15, 0.35)))
    return {
        "negative-value": _ramp(r["junk"] + r["bare_links"] / 2, 0.15, 0.45),
        "strong-relationship": max(family, friends),
        "purpose": 0.4 * _ramp(r["qa"], 0.05, 0.20) + 0.3 * _ramp(r["long"], 0.02, 0.10)
        + 0.3 * _ramp(r["topic"], 0.03, 0.12),
        "_family": family, "_friends": friends,
    }


def _pct(x: float) -> str:
    return f"{x:.0%}" if x >= 0.01 or x == 0 else "<1%"


def _subtype(kind: str, r: pd.Series, s: dict[str, float]) -> str:
    if kind == "negative-value":
        parts = {"game-revive/助力": r["help_links"], "刷单/task": r["task_talk"],
                 "ad-forwarding": r["ads"] + r["bare_links"] / 2}
        return max(parts, key=parts.get)
    if kind == "strong-relationship":
        return "family" if s["_family"] >= s["_friends"] else "friends"
    if kind == "purpose":
        parts = {"learning": r["study"], "work": r["work"], "sharing": r["share"]}
        best = max(parts, key=parts.get)
        return best if parts[best] >= TOPIC_MIN else "interest"
    return ""


def _reason(kind: str, r: pd.Series, s: dict[str, float], top: str) -> str:
    n = f"{int(r['messages'])} messages from {int(r['speakers'])} speakers in {r['days']:g} days"
    if kind == UNCLEAR and (r["messages"] < MIN_MESSAGES or r["speakers"] < MIN_SPEAKERS):
        return f"thin evidence: {n} (a type needs {MIN_MESSAGES} messages from {MIN_SPEAKERS} speakers)"
    figures = {
        "negative-value": f"{_pct(r['junk'])} ads, help-me links (助力/砍一刀) or 刷单 talk "
                          f"(ads {_pct(r['ads'])}, help links {_pct(r['help_links'])}, tasks {_pct(r['task_talk'])}); "
                          f"{_pct(r['bare_links'])} links or cards nobody replied to",
        "strong-relationship": f"kinship words in {_pct(r['kin'])}, everyday-life talk in {_pct(r['daily_life'])}, "
                               f"banter {_pct(r['banter'])}; questions/answers {_pct(r['qa'])}",
        "purpose": f"questions/answers {_pct(r['qa'])}, long messages {_pct(r['long'])}, study/work/sharing words "
                   f"{_pct(r['topic'])} (study {_pct(r['study'])}, work {_pct(r['work'])}, "
                   f"sharing {_pct(r['share'])})",
    }
    scores = ", ".join(f"{t} {s[t]:.2f}" for t in TYPES)
    if kind == UNCLEAR:
        return (f"no type stands out (scores {scores}; a type needs {DECIDE} and a lead of {MARGIN}); "
                f"{figures[top]}; {n}")
    return f"{figures[kind]}; {n} (scores {scores})"


def group_types(messages: pd.DataFrame, features: Features, rules: ActRules | dict | str | Path | None = None
                ) -> pd.DataFrame:
    """One row per group of ``features``: ``group_type`` (strong-relationship, purpose, negative-value or
    unclear), ``subtype``, ``confidence`` (0-1), ``worth_saving`` (False for negative-value),
    ``reason`` (the figures in words) and ``evidence`` (every figure and score).

    ``messages`` is the frame ``features`` was computed from (the texts are read back by row)."""
    F = features
    if not len(F.groups):
        return pd.DataFrame(columns=COLUMNS)
    fig = _figures(F, messages, resolve_rules(rules), builtin=rules is None)
    rows = []
    for i, r in fig.iterrows():  # one iteration per group, not per message
        s = _scores(r)
        ranked = sorted(TYPES, key=lambda t: (-s[t], TYPES.index(t)))
        top, second = ranked[0], ranked[1]
        lead = s[top] - s[second]
        thin = r["messages"] < MIN_MESSAGES or r["speakers"] < MIN_SPEAKERS
        kind = top if not thin and s[top] >= DECIDE and lead >= MARGIN else UNCLEAR
        size = min(1.0, r["messages"] / FULL_MESSAGES)
        conf = 0.0 if kind == UNCLEAR else round(size * (0.5 * s[top] + 0.5 * min(1.0, lead / 0.5)), 2)
        evidence = {k: (int(v) if k in ("messages", "speakers") else round(float(v), 4)) for k, v in r.items()}
        evidence.update({f"score_{t}": round(s[t], 3) for t in TYPES})
        rows.append({"group_id": str(F.groups["group_id"].iloc[i]), "group_name": str(F.groups["group_name"].iloc[i]),
                     "group_type": kind, "subtype": _subtype(kind, r, s), "confidence": conf,
                     "worth_saving": kind != "negative-value", "reason": _reason(kind, r, s, top),
                     "evidence": evidence})
    return pd.DataFrame(rows, columns=COLUMNS)


def not_worth_saving(types: pd.DataFrame | Sequence[dict]) -> list[str]:
    """Names of the negative-value groups (the note risk and analyze print)."""
    frame = pd.DataFrame(types)
    if frame.empty:
        return []
    return sorted(frame.loc[frame["group_type"] == "negative-value", "group_name"].astype(str))


NOT_WORTH_SAVING = ("negative-value group(s) {items}: mostly ads, help-me links or 刷单 with nothing of value to "
                    "members (seed 002), not worth saving: prune or close rather than revive")
