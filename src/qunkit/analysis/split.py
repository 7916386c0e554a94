"""When to split a group or seed a second one (2群), and whom to move first (seed 000).

The practice: past Dunbar's ~150 and certainly near the platform's cap, per-member participation
falls (information overload); members who talk mostly to one another form a sub-group (小团体)
that pulls the big group apart; and "when a group nears its cap, move a part of the old members
into 2群", so the new group starts with people who carry the rules and the culture.

Advice per group, each with the figures behind it (``evidence``), none when nothing supports it, and
none for a group with fewer than ``ALIVE_SPEAKERS`` (3) speakers in the last 30 days (quiet, not big):

- ``cap``: present members at ``NEAR_CAP`` (90%) of the cap or more (``capacity.group_cap``:
  WeChat 500, QQ the smallest of 200/500/1000/2000/3000 that holds the group). Without a
  roster the members seen in the log are a lower bound, and the advice says so.
- ``overload``: more than ``DUNBAR`` (150) members (roster needed) and the share who spoke in
  the last 30 days below the practice's band for the size (``benchmarks_for``: 5% for an
  ordinary or large group).
- ``falling``: more than ``SMALL_GROUP_MAX`` (30) members (roster), members up by
  ``GROWTH_MIN`` (20%) or more over ``LOOKBACK_DAYS`` (90) while the share who spoke in a
  30-day window fell by ``FALL_MIN`` (30%) or more: participation falling as size grows.
- ``subgroup``: in the last ``LOOKBACK_DAYS``, ``CLIQUE_MIN``+ members whose replies
  (``replier``: next turn, quote, @mention) stay among themselves for ``INSULAR`` (70%) or more,
  at least ``CLIQUE_REPLIES`` (30) of them, while the rest of the group also talks (replies
  among the others at least half theirs): a conversation apart from the group's. Found by
  weighted label propagation over the reply graph (deterministic: strongest members first).
- ``move_first``: only beside a ``cap``/``overload``/``falling`` advice: up to ``LOYAL_TOP``
  loyal members to seed the 2群, present now, in the group ``LOYAL_DAYS`` (90) or more (joined, or
  first message), who spoke in each of the last ``LOYAL_MONTHS`` (3) 30-day windows and were
  replied to by ``LOYAL_REPLIERS`` (5)+ different people in the last 90 days; most repliers first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..members import present_at, to_ns
from .benchmarks import DUNBAR, SMALL_GROUP_MAX, benchmarks_for
from .capacity import group_cap
from .text_features import Features

NEAR_CAP = 0.90
GROWTH_MIN = 0.20
FALL_MIN = 0.30
LOOKBACK_DAYS = 90
WINDOW_DAYS = 30
CLIQUE_MIN = 3
CLIQUE_REPLIES = 30
INSULAR = 0.70
LOYAL_DAYS = 90
LOYAL_MONTHS = 3
LOYAL_REPLIERS = 5
LOYAL_TOP = 10
NAMES_SHOWN = 8
ALIVE_SPEAKERS = 3        # fewer speakers in the last 30 days: no advice at all (the group is quiet, not big)
COLUMNS = ["group_id", "group_name", "advice", "text", "members", "evidence"]
_DAY = 86_400 * 1_000_000_000


def _speaker_share(f: pd.DataFrame, gi: int, hi: int, n_members: int) -> float | None:
    """Share of ``n_members`` who spoke in the 30 days up to ``hi`` (ns)."""
    if n_members <= 0:
        return None
    t = f["t"].to_numpy()
    sel = (f["g"].to_numpy() == gi) & (t > hi - WINDOW_DAYS * _DAY) & (t <= hi)
    return len(np.unique(f["mk"].to_numpy()[sel])) / n_members


def _propagate(W: np.ndarray) -> np.ndarray:
    """Community labels of a symmetric weight matrix by label propagation (each member takes the label
    carrying most reply weight among its partners; strongest members first, ties to the lowest label)."""
    k = len(W)
    labels = np.arange(k)
    order = np.argsort(-W.sum(axis=1), kind="stable")
    for _ in range(30):  # iterations over members, not messages
        changed = False
        for i in order:
            nz = np.flatnonzero(W[i])
            if not len(nz):
                continue
            sums = np.bincount(labels[nz], weights=W[i, nz], minlength=k)
            best = np.flatnonzero(sums == sums.max())
            new = labels[i] if labels[i] in best else best.min()
            if new != labels[i]:
                labels[i], changed = new, True
        if not changed:
            break
    return labels


def _subgroups(f: pd.DataFrame, gi: int, lo: int, names: np.ndarray) -> list[dict]:
    """Insular reply clusters of group ``gi`` since ``lo`` (see the module doc)."""
    sel = (f["g"].to_numpy() == gi) & (f["t"].to_numpy() > lo)
    rep = f["replier"].to_numpy(np.int64)[sel]
    mk = f["mk"].to_numpy(np.int64)[sel]
    ok = (rep >= 0) & (rep != mk) & ~(f["ad"].to_numpy(bool)[sel] | f["flood"].to_numpy(bool)[sel])
    a, b = mk[ok], rep[ok]
    if len(a) < CLIQUE_REPLIES:
        return []
    nodes, inv = np.unique(np.r_[a, b], return_inverse=True)
    k = len(nodes)
    ia, ib = inv[: len(a)], inv[len(a):]
    W = np.zeros((k, k))
    np.add.at(W, (ia, ib), 1.0)
    W = W + W.T
    labels = _propagate(W)
    total = W.sum()
    out = []
    for lab in np.unique(labels):
        inside = labels == lab
        size = int(inside.sum())
        if size < CLIQUE_MIN or size > k / 2:
            continue
        within = W[np.ix_(inside, inside)].sum() / 2
        touching = W[inside].sum() - within
        rest = W[np.ix_(~inside, ~inside)].sum() / 2
        share = within / touching if touching else 0.0
        if within >= CLIQUE_REPLIES and share >= INSULAR and rest >= within / 2:
            who = nodes[inside][np.argsort(-W[inside].sum(axis=1), kind="stable")]
            out.append({"size": size, "replies_within": int(within), "replies_touching": int(touching),
                        "insular_share": round(float(share), 3),
                        "replies_rest": int(rest), "replies_all": int(total / 2),
                        "members": [str(names[m]) for m in who]})
    return out


def _loyal(f: pd.DataFrame, F: Features, gi: int, members: pd.DataFrame, as_of: int) -> pd.DataFrame:
    """Loyal members of group ``gi`` (module doc), most repliers first, with their figures."""
    P = F.people
    mine = np.flatnonzero(P["g"].to_numpy() == gi)
    sel = f["g"].to_numpy() == gi
    t, mk = f["t"].to_numpy()[sel], f["mk"].to_numpy(np.int64)[sel]
    rep = f["replier"].to_numpy(np.int64)[sel]
    first = pd.Series(t).groupby(mk).min()
    months = np.zeros(len(P), np.int64)
    for k in range(LOYAL_MONTHS):  # three windows, each one vectorised pass
        hi, lo = as_of - k * WINDOW_DAYS * _DAY, as_of - (k + 1) * WINDOW_DAYS * _DAY
        months[np.unique(mk[(t > lo) & (t <= hi)])] += 1
    recent = (t > as_of - LOOKBACK_DAYS * _DAY) & (rep >= 0) & (rep != mk)
    pairs = np.unique(mk[recent] * len(P) + rep[recent])
    repliers = np.bincount(pairs // max(len(P), 1), minlength=len(P))
    cand = pd.DataFrame({"mk": mine, "member_id": P["member_id"].to_numpy()[mine].astype(str),
                         "member_name": P["member_name"].to_numpy()[mine].astype(str),
                         "months": months[mine], "repliers": repliers[mine],
                         "messages": np.bincount(mk, minlength=len(P))[mine]})
    cand["first_ns"] = first.reindex(mine).to_numpy()
    gid = str(F.groups["group_id"].iloc[gi])
    mem = members[members["group_id"].astype(str) == gid]
    here = mem[present_at(mem, pd.Timestamp(as_of, tz="UTC"))]
    jn = to_ns(here["joined"]).astype(float)
    jn[jn == np.iinfo(np.int64).min] = np.nan          # unknown join date: the first message decides
    joined = pd.Series(jn, index=here["member_id"].astype(str).to_numpy())
    joined = joined[~joined.index.duplicated()]
    cand = cand[cand["member_id"].isin(here["member_id"].astype(str))] if len(mem) else cand
    since = np.fmin(cand["first_ns"].to_numpy(dtype=float),
                    joined.reindex(cand["member_id"]).to_numpy(dtype=float))
    cand = cand.assign(tenure_days=np.round((as_of - since) / _DAY, 0))
    ok = (cand["tenure_days"] >= LOYAL_DAYS) & (cand["months"] >= LOYAL_MONTHS) & (cand["repliers"] >= LOYAL_REPLIERS)
    return cand[ok].sort_values(["repliers", "messages", "member_id"], ascending=[False, False, True],
                                kind="stable").head(LOYAL_TOP)


def _names(names: list[str]) -> str:
    more = f" and {len(names) - NAMES_SHOWN} more" if len(names) > NAMES_SHOWN else ""
    return ", ".join(names[:NAMES_SHOWN]) + more


def split_advice(features: Features, members: pd.DataFrame) -> pd.DataFrame:
    """Per group, the advice rows (``advice`` one of cap, overload, falling, subgroup, move_first) with
    ``text``, the ``members`` named and the ``evidence`` figures; groups with no advice have no row."""
    F = features
    members = members[members["member_id"].astype(str) != "system"]
    present = members[present_at(members, F.as_of)]
    size = present.groupby(present["group_id"].astype(str)).size()
    roster = members.groupby(members["group_id"].astype(str))["roster_known"].any()
    before = members[present_at(members, F.as_of - pd.Timedelta(days=LOOKBACK_DAYS))]
    size_before = before.groupby(before["group_id"].astype(str)).size()
    rows = []
    for gi, grp in F.groups.reset_index(drop=True).iterrows():  # one iteration per group, not per message
        gid = str(grp["group_id"])
        advice = _group_advice(F, members, gi, str(grp["platform"]), int(size.get(gid, 0)),
                               bool(roster.get(gid, False)), int(size_before.get(gid, 0)))
        rows += [{"group_id": gid, "group_name": str(grp["group_name"]), "advice": k, "text": t, "members": w,
                  "evidence": e} for k, t, w, e in advice]
    return pd.DataFrame(rows, columns=COLUMNS)


def _group_advice(F: Features, members: pd.DataFrame, gi: int, platform: str, n: int, known: bool,
                  n_before: int) -> list[tuple[str, str, list[str], dict]]:
    """(advice, text, members named, evidence) of group ``gi``, in the order of the module doc."""
    f, as_of = F.msgs, F.as_of.value
    advice: list[tuple[str, str, list[str], dict]] = []
    t = f["t"].to_numpy()
    recent = (f["g"].to_numpy() == gi) & (t > as_of - WINDOW_DAYS * _DAY)
    if len(np.unique(f["mk"].to_numpy()[recent])) < ALIVE_SPEAKERS:
        return advice            # a silent group is not split: its risk says so
    add = advice.append
    cap = group_cap(platform, n) if n else None
    if cap and n >= NEAR_CAP * cap:
        bound = "" if known else "at least "
        tier = "; QQ tier assumed: the smallest of 200/500/1000/2000/3000 that holds it" if platform == "qq" else ""
        add(("cap", f"{bound}{n} of the {cap}-member cap ({n / cap:.0%}{tier}): seed a 2群 now, before the group "
             f"is full, and move loyal members first", [],
             {"members": n, "cap": cap, "cap_used": round(n / cap, 3), "roster": known}))
    share_now = _speaker_share(f, gi, as_of, n) if known else None
    low = benchmarks_for(n if known else None, platform)["active_low"]
    if known and n > DUNBAR and share_now is not None and low is not None and share_now < low:
        add(("overload", f"{n} members, past Dunbar's {DUNBAR}: only {share_now:.1%} spoke in the last "
             f"{WINDOW_DAYS} days, below the {low:.0%} a group of this size should have; split by topic or "
             f"region, or seed a 2群", [],
             {"members": n, "speaker_share_30d": round(share_now, 4), "band_low": low, "dunbar": DUNBAR}))
    share_before = _speaker_share(f, gi, as_of - LOOKBACK_DAYS * _DAY, n_before) if known else None
    if (known and n > SMALL_GROUP_MAX and n_before and share_before and share_now is not None
            and n >= (1 + GROWTH_MIN) * n_before and share_now <= (1 - FALL_MIN) * share_before):
        add(("falling", f"members {n_before} → {n} (+{n / n_before - 1:.0%}) in {LOOKBACK_DAYS} days while the "
             f"share who spoke in {WINDOW_DAYS} days fell {share_before:.1%} → {share_now:.1%}: participation "
             f"falls as the group grows", [],
             {"members_before": n_before, "members": n, "speaker_share_before": round(share_before, 4),
              "speaker_share_30d": round(share_now, 4), "days": LOOKBACK_DAYS}))
    names = F.people["member_name"].to_numpy().astype(str)
    for c in _subgroups(f, gi, as_of - LOOKBACK_DAYS * _DAY, names):
        small = "a small group (小群, under 30) of their own" if c["size"] < SMALL_GROUP_MAX else "a group of their own"
        add(("subgroup", f"a sub-group (小团体) of {c['size']} members ({_names(c['members'])}): "
             f"{c['insular_share']:.0%} of their "
             f"{c['replies_touching']} replies in {LOOKBACK_DAYS} days stay among them, while the other members "
             f"talk apart ({c['replies_rest']} replies): draw them back with shared topics or give them {small}",
             c["members"], {k: v for k, v in c.items() if k != "members"}))
    if any(a[0] in ("cap", "overload", "falling") for a in advice):
        loyal = _loyal(f, F, gi, members, as_of)
        if len(loyal):
            who = loyal["member_name"].tolist()
            add(("move_first", f"move these {len(loyal)} loyal members into the 2群 first (in the group "
                 f"{LOYAL_DAYS}+ days, spoke in each of the last {LOYAL_MONTHS} months, replied to by "
                 f"{LOYAL_REPLIERS}+ people): " + _names(
                     [f"{m} ({r} repliers)" for m, r in zip(who, loyal["repliers"], strict=True)]), who,
                 {"candidates": len(loyal), "member_ids": loyal["member_id"].tolist(),
                  "repliers": loyal["repliers"].astype(int).tolist(),
                  "tenure_days": loyal["tenure_days"].astype(int).tolist()}))
    return advice
