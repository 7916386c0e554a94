"""Core-group and KOL candidates (核心群 / KOL 培养): members whose presence makes the group talk.

Four signals, each counted per member from the shared per-message features
(``text_features.compute_features``), all vectorised:

- *starts*: a message after ``SILENCE`` of group silence (a new conversation)
  that ``STARTERS_JOIN`` or more other people then join before the next silence;
- *answers*: substantive answers (the features' ``answer`` or ``act_answer``);
- *months*: distinct calendar months (local time) with at least one message;
- *repliers*: how many different people replied to them (``replier``).

The score is the mean of the member's percentile within the group on each
signal (so it does not depend on the group's size or pace), weighted toward
starts.  Advertisers (roles engine) and members no longer present are not
candidates.  ``groups_core`` counts the groups where the same member id is in
that group's top ``top``: someone who matters in several groups.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..localtime import DEFAULT_TZ
from ..members import keys_in, member_key, present_at
from .text_features import Features

SILENCE = pd.Timedelta(hours=2)
STARTERS_JOIN = 3
WEIGHTS = {"starts": 0.35, "answers": 0.25, "months": 0.2, "repliers": 0.2}
COLUMNS = ["group_name", "rank", "member_id", "member_name", "score", "reason", "starts", "answers", "months",
           "repliers", "messages", "role", "groups_core"]


def _signals(F: Features, tz: str) -> pd.DataFrame:
    """Per speaker (a row of ``F.people``): starts, answers, months, repliers, messages."""
    f, P = F.msgs, len(F.people)
    g, mk = f["g"].to_numpy(np.int64), f["mk"].to_numpy(np.int64)
    t = f["ts"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    n = len(f)
    start = np.ones(n, dtype=bool)
    if n > 1:
        start[1:] = (g[1:] != g[:-1]) | (t[1:] - t[:-1] > SILENCE.value)
    burst = np.cumsum(start) - 1
    pairs = np.unique(burst * max(P, 1) + mk)
    joined = np.bincount(pairs // max(P, 1), minlength=burst.max() + 1 if n else 0) - 1  # minus the starter
    starts = np.bincount(mk[start][joined >= STARTERS_JOIN], minlength=P) if n else np.zeros(P, int)
    ans_mask = f["answer"].to_numpy(dtype=bool)
    if "act_answer" in f.columns:
        ans_mask = ans_mask | f["act_answer"].to_numpy(dtype=bool)
    month = pd.DatetimeIndex(f["ts"]).tz_convert(tz).year * 12 + pd.DatetimeIndex(f["ts"]).tz_convert(tz).month
    mpairs = np.unique(mk * 100_000 + np.asarray(month, dtype=np.int64))
    rep = f["replier"].to_numpy(np.int64)
    sel = (rep >= 0) & (rep != mk)
    rpairs = np.unique(mk[sel] * max(P, 1) + rep[sel])
    return pd.DataFrame({
        "group_id": F.people["group_id"].astype(str).to_numpy(), "member_id": F.people["member_id"].astype(str)
        .to_numpy(), "spoken_name": F.people["member_name"].astype(str).to_numpy(),
        "starts": starts, "answers": np.bincount(mk[ans_mask], minlength=P),
        "months": np.bincount(mpairs // 100_000, minlength=P), "repliers": np.bincount(rpairs // max(P, 1),
                                                                                      minlength=P),
        "messages": np.bincount(mk, minlength=P)})


def core_candidates(F: Features, members: pd.DataFrame, roles: pd.DataFrame | None, top: int = 10,
                    tz: str = DEFAULT_TZ) -> pd.DataFrame:
    """The ``top`` candidates per group, best first, each with the figures behind the score."""
    if top < 1:
        raise ValueError("top must be positive")
    s = _signals(F, tz)
    s["group_name"] = s["group_id"].map(F.groups.set_index("group_id")["group_name"].astype(str))
    mem = members[members["member_id"] != "system"]
    gone = member_key(mem["group_id"].astype(str), mem["member_id"].astype(str))[~present_at(mem, F.as_of)]
    s = s[~keys_in(member_key(s["group_id"], s["member_id"]), gone) & (s["messages"] > 0)]
    names = mem.assign(k=member_key(mem["group_id"].astype(str), mem["member_id"].astype(str))).drop_duplicates(
        "k").set_index("k")["member_name"]
    key = member_key(s["group_id"], s["member_id"])
    s["member_name"] = pd.Series(key, index=s.index).map(names).fillna(s["spoken_name"]).astype(str)
    s["role"] = None
    if roles is not None and len(roles):
        r = roles.assign(k=member_key(roles["group_id"].astype(str), roles["member_id"].astype(str)))
        s["role"] = pd.Series(key, index=s.index).map(r.drop_duplicates("k").set_index("k")["role"]).to_numpy()
        s = s[s["role"].astype(object) != "advertiser"]
    pct = s.groupby("group_id")[list(WEIGHTS)].rank(pct=True, method="max")
    active = s[list(WEIGHTS)] > 0
    s["score"] = (100 * sum(w * (pct[c] * active[c]) for c, w in WEIGHTS.items())).round(1)
    s = s[active.any(axis=1)].sort_values(["group_name", "score", "messages", "member_id"],
                                         ascending=[True, False, False, True], kind="stable")
    s["rank"] = s.groupby("group_id").cumcount() + 1
    s = s[s["rank"] <= top].copy()
    s["groups_core"] = s.groupby("member_id")["group_id"].transform("nunique")
    span = F.groups.set_index("group_id")
    total_months = s["group_id"].map(((span["last_ts"] - span["first_ts"]).dt.days // 30 + 1).astype(int))
    s["reason"] = (s["starts"].astype(str) + f" discussion(s) started that {STARTERS_JOIN}+ others joined, "
                   + s["answers"].astype(str) + " substantive answer(s), active in " + s["months"].astype(str)
                   + " of ~" + total_months.astype(str) + " month(s), replies from " + s["repliers"].astype(str)
                   + " different people")
    s["reason"] = s["reason"].where(s["groups_core"] < 2, s["reason"] + "; in the top " + str(top) + " of "
                                    + s["groups_core"].astype(str) + " groups")
    return s[COLUMNS].reset_index(drop=True)
