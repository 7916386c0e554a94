"""Activity per group and period: the figures an operator compares week to week.

``activity(messages, members, as_of, by="week")`` returns one row per group and
period (day, week or month in the group's own time zone), including periods in
which nobody spoke, so a silence shows as zeros instead of a gap.  Active rate
needs the number of members, which a message log alone cannot give (silent
members never appear): it is NA unless the group has a roster
(``members.roster_known``), and the CLI says so.

``benchmarks_for(size, platform)`` gives the practice's reference figures
(shared/DOMAIN.md) to print beside a group's own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..localtime import localize
from ..members import presence_spans, to_ns
from ..vocabulary import PERIODS
from .benchmarks import benchmarks_for  # noqa: F401  (re-exported: activity's public API)
from .text_features import Features, compute_features, to_datetime_utc

_DAY = 86_400 * 1_000_000_000
TOP_N = 5

ACTIVITY_COLUMNS = (
    "group_id", "group_name", "tz", "period", "start", "end", "partial", "messages", "speakers", "members",
    "active_rate", "new_members", "leavers", "messages_per_speaker", "top1_share", "top5_share", "gini",
    "reply_share", "median_reply_s", "questions", "unanswered_share", "noise_share", "peak_hour", "hours",
    "weekdays", "roster_known",
)


def _local_ns(utc_ns: np.ndarray, tz: str) -> np.ndarray:
    """UTC epoch ns -> local wall-clock epoch ns (so periods follow the group's calendar)."""
    if not len(utc_ns):
        return utc_ns.astype(np.int64)
    idx = to_datetime_utc(utc_ns).tz_convert(tz).tz_localize(None)
    return idx.as_unit("ns").asi8


def _period_start(local_ns: np.ndarray, by: str) -> np.ndarray:
    """Local ns -> local ns of the start of its day / ISO week (Monday) / month."""
    d = np.asarray(local_ns, dtype=np.int64).view("datetime64[ns]").astype("datetime64[D]")
    if by == "day":
        out = d
    elif by == "week":
        days = d.astype(np.int64)
        out = (days - (days + 3) % 7).astype("datetime64[D]")   # 1970-01-01 was a Thursday
    elif by == "month":
        out = d.astype("datetime64[M]").astype("datetime64[D]")
    else:
        raise ValueError(f"by must be one of {PERIODS}, not {by!r}")
    return out.astype("datetime64[ns]").astype(np.int64)


def _next_start(start_local_ns: np.ndarray, by: str) -> np.ndarray:
    d = np.asarray(start_local_ns, dtype=np.int64).view("datetime64[ns]").astype("datetime64[D]")
    if by == "day":
        out = d + 1
    elif by == "week":
        out = d + 7
    else:
        out = (d.astype("datetime64[M]") + 1).astype("datetime64[D]")
    return out.astype("datetime64[ns]").astype(np.int64)


def _to_utc(local_ns: np.ndarray, tz: str) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(np.asarray(local_ns, dtype=np.int64).view("datetime64[ns]"))
    return localize(idx, tz).tz_convert("UTC")


def _grid(F: Features, by: str) -> tuple[pd.DataFrame, np.ndarray]:
    """All periods from each group's first message to as_of, and each message's grid row."""
    groups = F.groups
    msgs = F.msgs
    pos = np.full(len(msgs), -1, dtype=np.int64)
    rows = []
    offset = 0
    g_arr = msgs["g"].to_numpy()
    t_arr = msgs["t"].to_numpy()
    as_of_ns = F.as_of.as_unit("ns").value
    for tz, sub in groups.groupby("tz", sort=False):
        gs = sub.index.to_numpy()
        first_local = _local_ns(pd.DatetimeIndex(sub["first_ts"]).as_unit("ns").asi8, tz)
        end_local = _local_ns(np.array([as_of_ns]), tz)[0]
        sel = np.isin(g_arr, gs)
        pstart = _period_start(_local_ns(t_arr[sel], tz), by)
        last_p = _period_start(np.array([end_local]), by)[0]
        local_of = {}
        for gi, fl in zip(gs, first_local, strict=True):
            starts = [_period_start(np.array([fl]), by)[0]]
            while starts[-1] < last_p:
                starts.append(_next_start(np.array([starts[-1]]), by)[0])
            starts = np.array(starts, dtype=np.int64)
            local_of[gi] = (offset, starts)
            rows.append(pd.DataFrame({"g": gi, "local_start": starts, "tz": tz}))
            offset += len(starts)
        g_sel = g_arr[sel]
        out = np.empty(len(g_sel), dtype=np.int64)
        by_g = np.argsort(g_sel, kind="stable")          # one slice per group, not a mask over all rows
        sorted_g = g_sel[by_g]
        for gi, (off, starts) in local_of.items():
            mine = by_g[np.searchsorted(sorted_g, gi, "left"):np.searchsorted(sorted_g, gi, "right")]
            out[mine] = off + np.searchsorted(starts, pstart[mine])
        pos[sel] = out
    grid = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        {"g": np.zeros(0, np.int64), "local_start": np.zeros(0, np.int64), "tz": []})
    return grid, pos


_NAT = np.iinfo(np.int64).min


def _group_roster_known(members: pd.DataFrame | None) -> dict[str, bool]:
    if members is None or not len(members):
        return {}
    k = members.groupby("group_id")["roster_known"].any()
    return {str(i): bool(v) for i, v in k.items()}


def activity(
    messages: pd.DataFrame,
    members: pd.DataFrame | None,
    as_of: pd.Timestamp,
    by: str = "week",
    *,
    features: Features | None = None,
) -> pd.DataFrame:
    """One row per group and period with volume, reach, concentration, replies and noise.

    ``members`` (from ``qunkit.members.derive_members``) gives member counts (present at each
    period's end, ``qunkit.members.presence_spans``), joins and leaves; without a roster for a
    group its ``members`` and ``active_rate`` are NA.  Periods follow the group's local calendar
    (``tz``); the last one ends at ``as_of`` (``partial``).  Pass ``features`` from
    ``compute_features`` to share the work with roles and risk.

    A little over 80 lines on purpose: the period grid, then one vectorised pass per figure over
    the same grid arrays; each figure is a commented step and the heavy parts are helpers.
    """
    if by not in PERIODS:
        raise ValueError(f"by must be one of {PERIODS}, not {by!r}")
    F = features if features is not None else compute_features(messages, as_of, members=members)
    msgs, groups = F.msgs, F.groups
    grid, pos = _grid(F, by)
    P = len(grid)
    if P == 0:
        return pd.DataFrame({c: [] for c in ACTIVITY_COLUMNS})

    def count(mask: np.ndarray | None = None) -> np.ndarray:
        p = pos if mask is None else pos[mask]
        return np.bincount(p, minlength=P)

    n_msgs = count()
    speakers, top1, top5, gini = _concentration(pos, msgs["mk"].to_numpy(), n_msgs)
    replied = count(msgs["replied"].to_numpy())
    questions = count(msgs["question"].to_numpy())
    unanswered = count((msgs["question"] & ~msgs["answered"]).to_numpy())
    noise = count(msgs["noise"].to_numpy())
    rd = msgs["reply_delay"].to_numpy()
    has = ~np.isnan(rd)
    med = pd.Series(rd[has]).groupby(pos[has]).median().reindex(range(P)).to_numpy()
    hours, weekdays = _profiles(F, pos, P)

    out = pd.DataFrame({"g": grid["g"].to_numpy()})
    out["group_id"] = groups["group_id"].to_numpy()[out["g"]]
    out["group_name"] = groups["group_name"].to_numpy()[out["g"]]
    out["tz"] = grid["tz"].to_numpy()
    starts, ends = _bounds(grid, by)
    as_of_ns = F.as_of.as_unit("ns").value
    fmt = "%Y-%m" if by == "month" else "%Y-%m-%d"
    out["period"] = pd.DatetimeIndex(grid["local_start"].to_numpy().view("datetime64[ns]")).strftime(fmt)
    out["start"] = to_datetime_utc(starts)
    out["end"] = to_datetime_utc(np.minimum(ends, as_of_ns))
    out["partial"] = ends > as_of_ns
    out["messages"] = n_msgs
    out["speakers"] = speakers

    known = _group_roster_known(members)
    out["roster_known"] = np.array([known.get(gid, False) for gid in out["group_id"]], dtype=bool)
    if members is not None and len(members):
        mem_count, new_m, leavers = _membership(out, members, known, starts, ends, as_of_ns)
    else:
        mem_count = pd.array([pd.NA] * P, dtype="Int64")
        new_m, leavers = _event_flow(F, grid, starts)
    out["members"] = mem_count
    sp = out["speakers"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(mem_count.isna(), np.nan, sp / np.maximum(mem_count.to_numpy(dtype=float, na_value=np.nan), 1))
        out["active_rate"] = pd.array(np.round(rate, 4), dtype="Float64")
        out["new_members"] = new_m
        out["leavers"] = leavers
        out["messages_per_speaker"] = np.round(np.where(sp > 0, n_msgs / np.maximum(sp, 1), 0.0), 2)
        out["top1_share"] = np.round(np.where(n_msgs > 0, top1 / np.maximum(n_msgs, 1), np.nan), 4)
        out["top5_share"] = np.round(np.where(n_msgs > 0, top5 / np.maximum(n_msgs, 1), np.nan), 4)
        out["gini"] = np.round(gini, 4)
        out["reply_share"] = np.round(np.where(n_msgs > 0, replied / np.maximum(n_msgs, 1), np.nan), 4)
        out["median_reply_s"] = np.round(med, 1)
        out["questions"] = questions
        out["unanswered_share"] = np.round(np.where(questions > 0, unanswered / np.maximum(questions, 1), np.nan), 4)
        out["noise_share"] = np.round(np.where(n_msgs > 0, noise / np.maximum(n_msgs, 1), np.nan), 4)
    out["peak_hour"] = pd.array(np.where(n_msgs > 0, hours.argmax(axis=1), -1), dtype="Int64")
    out.loc[n_msgs == 0, "peak_hour"] = pd.NA
    out["hours"] = [list(map(int, r)) for r in hours]
    out["weekdays"] = [list(map(int, r)) for r in weekdays]
    out = out.sort_values(["group_name", "group_id", "start"], kind="stable").reset_index(drop=True)
    return out[list(ACTIVITY_COLUMNS)]


def _concentration(pos: np.ndarray, mk: np.ndarray, n_msgs: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per period: speakers, the top speaker's and top five's messages, and the Gini among speakers."""
    P = len(n_msgs)
    M = int(mk.max()) + 1 if len(mk) else 1
    upair, pcount = np.unique(pos * M + mk, return_counts=True)
    ppos = upair // M
    speakers = np.bincount(ppos, minlength=P)
    order = np.lexsort((-pcount, ppos))
    ppos_s, pc_s = ppos[order], pcount[order]
    first_idx = np.searchsorted(ppos_s, np.arange(P))
    rank = np.arange(len(ppos_s)) - first_idx[ppos_s]
    top1 = np.zeros(P)
    top1[ppos_s[rank == 0]] = pc_s[rank == 0]
    top5 = np.bincount(ppos_s[rank < TOP_N], weights=pc_s[rank < TOP_N], minlength=P)
    # Gini among speakers: with counts ascending, G = 2*sum(i*x_i)/(n*sum x) - (n+1)/n
    asc_rank = speakers[ppos_s] - rank           # 1..n, ascending by count
    wsum = np.bincount(ppos_s, weights=asc_rank * pc_s, minlength=P)
    with np.errstate(divide="ignore", invalid="ignore"):
        gini = np.where(speakers > 1, 2 * wsum / (speakers * n_msgs) - (speakers + 1) / speakers, 0.0)
        gini = np.where(n_msgs > 0, gini, np.nan)
    return speakers, top1, top5, gini


def _profiles(F: Features, pos: np.ndarray, P: int) -> tuple[np.ndarray, np.ndarray]:
    """Per period: messages per local hour of day (P, 24) and weekday (P, 7)."""
    hours = np.zeros((P, 24), dtype=np.int64)
    weekdays = np.zeros((P, 7), dtype=np.int64)
    g_arr, t_arr = F.msgs["g"].to_numpy(), F.msgs["t"].to_numpy()
    for tz, sub in F.groups.groupby("tz", sort=False):
        sel = np.isin(g_arr, sub.index.to_numpy())
        loc = _local_ns(t_arr[sel], tz)
        hr = (loc // 3_600_000_000_000) % 24
        wd = ((loc // _DAY) + 3) % 7
        hours += np.bincount(pos[sel] * 24 + hr, minlength=P * 24).reshape(P, 24)
        weekdays += np.bincount(pos[sel] * 7 + wd, minlength=P * 7).reshape(P, 7)
    return hours, weekdays


def _bounds(grid: pd.DataFrame, by: str) -> tuple[np.ndarray, np.ndarray]:
    """UTC ns of each period's start and (uncut) end."""
    P = len(grid)
    starts = np.empty(P, dtype=np.int64)
    ends = np.empty(P, dtype=np.int64)
    for tz, idx in grid.groupby("tz", sort=False).groups.items():
        idx = np.asarray(idx)
        loc = grid["local_start"].to_numpy()[idx]
        starts[idx] = _to_utc(loc, tz).as_unit("ns").asi8
        ends[idx] = _to_utc(_next_start(loc, by), tz).as_unit("ns").asi8
    return starts, ends


def _membership(out: pd.DataFrame, members: pd.DataFrame, known: dict[str, bool], starts: np.ndarray,
                ends: np.ndarray, as_of_ns: int) -> tuple[pd.arrays.IntegerArray, np.ndarray, np.ndarray]:
    """Per period: members present at its end (roster groups only, else NA), joins and leaves in it."""
    P = len(out)
    mem_count = pd.array([pd.NA] * P, dtype="Int64")
    new_m = np.zeros(P, dtype=np.int64)
    leavers = np.zeros(P, dtype=np.int64)
    span_start, span_end = presence_spans(members)
    joined, left = to_ns(members["joined"]), to_ns(members["left"])
    rows_of = pd.Series(np.arange(len(members))).groupby(members["group_id"].to_numpy()).indices
    for gid, idx in out.groupby("group_id", sort=False).indices.items():  # one pass per group
        rows = rows_of.get(gid, np.zeros(0, dtype=np.int64))
        at = np.minimum(ends[idx], as_of_ns) - 1
        if known.get(gid, False):
            mem_count[idx] = (np.searchsorted(np.sort(span_start[rows]), at, side="right")
                              - np.searchsorted(np.sort(span_end[rows]), at, side="right"))
        for col, target in ((joined, new_m), (left, leavers)):
            v = col[rows]
            v = np.sort(v[(v != _NAT) & (v <= as_of_ns)])
            target[idx] = (np.searchsorted(v, ends[idx], side="left")
                           - np.searchsorted(v, starts[idx], side="left"))
    return mem_count, new_m, leavers


def _event_flow(F: Features, grid: pd.DataFrame, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Joins and leaves per period from the log's own lines, when no members frame is given."""
    P = len(grid)
    new_m = np.zeros(P, dtype=np.int64)
    leavers = np.zeros(P, dtype=np.int64)
    ev = F.events
    for name, target in (("join", new_m), ("leave", leavers), ("kick", leavers)):
        e = ev[ev["event"] == name]
        if len(e):
            epos = np.full(len(e), -1)
            for gi in np.unique(e["g"]):
                rows = np.flatnonzero(grid["g"].to_numpy() == gi)
                et = pd.DatetimeIndex(e["ts"][e["g"] == gi]).as_unit("ns").asi8
                k = np.searchsorted(starts[rows], et, side="right") - 1
                epos[np.flatnonzero(e["g"].to_numpy() == gi)] = np.where(k >= 0, rows[np.maximum(k, 0)], -1)
            target += np.bincount(epos[epos >= 0], minlength=P)
    return new_m, leavers


# ---- benchmarks from the practice (shared/DOMAIN.md; figures live in analysis/benchmarks.py) -------
