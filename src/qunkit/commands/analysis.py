"""``activity``, ``roles`` and ``risk``: the scoped store through ``qunkit.analysis``, as results.

Each runs group by group (``qunkit.engine``): a task reads one group's scoped
messages (nothing after ``as_of``) and the members derived from them, computes
the per-message features once and calls the analysis function; the groups'
rows are combined in the order the all-groups function gives.  The table view
formats rates and durations, json/csv keep the numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.activity import activity as _activity
from ..analysis.benchmarks import active_verdict, benchmarks_for
from ..analysis.grouptype import NOT_WORTH_SAVING, group_types, not_worth_saving
from ..analysis.risk import group_risk
from ..analysis.roles import ROLES, member_features, roles_from_features
from ..analysis.scope import Scope
from ..analysis.text_features import Features, compute_features
from ..engine import (
    Engine,
    GroupInput,
    Progress,
    batched,
    combine,
    over_groups,
    own_as_of,
    reads_features,
    run,
    split_frame,
)
from ..errors import EXIT_THRESHOLD
from ..localtime import DEFAULT_TZ
from ..vocabulary import PERIODS
from .loading import as_of_note
from .result import Note, Result

ACTIVITY_TABLE = ("group_name", "period", "messages", "speakers", "members", "active_rate", "new_members",
                  "leavers", "top1_share", "gini", "reply_share", "reply_time", "noise_share", "peak_hour")
ROLE_TABLE = ("group_name", "member_name", "member_id", "role", "score", "messages", "reasons")
ROLE_JSON = ("group_id", "group_name", "member_id", "member_name", "role", "messages", "scores", "reasons", "present")
RISK_TABLE = ("group_name", "score", "level", "group_type", "reasons")
RISK_JSON = ("group_id", "group_name", "score", "level", "reasons", "features", "group_type", "group_subtype",
             "group_type_confidence", "group_type_reason")
LEVELS = ("dead", "at-risk", "watch", "healthy")
ALL = Scope()  # every group, every message up to the newest


def no_roster_note(frame: pd.DataFrame, what: str) -> Note | None:
    """Names the groups in ``frame`` without a member roster (summarised unless --verbose)."""
    if "roster_known" not in frame.columns or frame.empty:
        return None
    names = sorted(frame.loc[~frame["roster_known"].astype(bool), "group_name"].astype(str).unique())
    return Note("no member roster for {items}: " + what + " (qunkit import EXPORT --roster ROSTER.csv)",
                tuple(names))


def _pct(x) -> str | None:
    return None if x is None or pd.isna(x) else f"{float(x):.0%}"


def _duration(seconds) -> str | None:
    if seconds is None or pd.isna(seconds):
        return None
    s = float(seconds)
    if s < 60:
        return f"{s:.0f}s"
    if s < 3600:
        return f"{s / 60:.0f}m"
    return f"{s / 3600:.1f}h"


# ---- activity ------------------------------------------------------------------------------------

def features_of(g: GroupInput, lexicon: Path | None) -> Features:
    """The features of the task's messages at its as_of: from the store when the engine found them there
    (``engine.reads_features``), else computed."""
    if g.features is not None and lexicon is None:
        return g.features
    return compute_features(g.messages, g.as_of, lexicon, members=g.members)


@reads_features
@batched(split_frame)
def activity_group(g: GroupInput, by: str, lexicon: Path | None) -> pd.DataFrame:
    """One group's activity rows with its benchmarks (the per-group task of ``activity``)."""
    F = features_of(g, lexicon)
    out = _activity(g.messages, g.members, g.as_of, by=by, features=F)
    return out.merge(_benchmarks(out, F), on="group_id", how="left")


def activity(store, scope: Scope = ALL, *, by: str = "week", lexicon: Path | None = None,
             tz: str = DEFAULT_TZ, engine: Engine | None = None, progress: Progress | None = None) -> Result:
    """Activity per group and period, with the practice's benchmarks for each group's current size."""
    if by not in PERIODS:
        raise ValueError(f"by must be one of {PERIODS}, not {by!r}")
    done = run(store, scope, activity_group, engine=engine, progress=progress, by=by, lexicon=lexicon)
    out, as_of = combine(done.results, ["group_name", "group_id"]), done.as_of
    notes = [as_of_note(as_of, tz),
             no_roster_note(out, "members and active rate unknown, lurkers cannot be counted"),
             Note(None, tuple(_benchmark_lines(out)))]
    table = out.assign(active_rate=out["active_rate"].map(_pct), top1_share=out["top1_share"].map(_pct),
                       reply_share=out["reply_share"].map(_pct), noise_share=out["noise_share"].map(_pct),
                       reply_time=out["median_reply_s"].map(_duration))
    rows = out.drop(columns=["benchmark_notes", "_ref"])
    return Result(rows=rows, title=f"Activity by {by}", notes=notes, table=table, table_columns=ACTIVITY_TABLE)


def _benchmarks(out: pd.DataFrame, F: Features) -> pd.DataFrame:
    """Per group: the benchmark figures for its current size and platform."""
    rows = []
    platform = dict(zip(F.groups["group_id"], F.groups["platform"], strict=True))
    for gid, g in out.groupby("group_id", sort=False):
        last = g.iloc[-1]
        size = None if pd.isna(last["members"]) else int(last["members"])
        b = benchmarks_for(size, platform.get(gid))
        rows.append({"group_id": gid, "size_class": b["size_class"], "benchmark_active_low": b["active_low"],
                     "benchmark_active_high": b["active_high"], "platform_cap": b["platform_cap"],
                     "benchmark_notes": b["notes"], "_ref": b})
    frame = pd.DataFrame(rows, columns=["group_id", "size_class", "benchmark_active_low", "benchmark_active_high",
                                        "platform_cap", "benchmark_notes", "_ref"])
    return frame


def _benchmark_lines(out: pd.DataFrame) -> list[str]:
    """One line per group: its last complete period against the benchmark for its size."""
    lines = []
    for _, g in out.groupby("group_id", sort=False):
        last = g[~g["partial"]].iloc[-1] if (~g["partial"]).any() else g.iloc[-1]
        own = f"{last['speakers']} speakers"
        if not pd.isna(last["members"]):
            own += f" of {int(last['members'])} members ({_pct(last['active_rate'])} active)"
        rate = None if pd.isna(last["active_rate"]) else float(last["active_rate"])
        verdict = active_verdict(rate, last["_ref"]) if not pd.isna(last["members"]) else None
        lines.append(f"{last['group_name']}: {own} in {last['period']}{'; ' + verdict if verdict else ''}. "
                     + " | ".join(last["benchmark_notes"][:2]))
    return lines


# ---- roles ------------------------------------------------------------------------------------------

def roles(store, scope: Scope = ALL, *, only: tuple[str, ...] = (), include_lurkers: bool = True,
          lexicon: Path | None = None, tz: str = DEFAULT_TZ, engine: Engine | None = None,
          progress: Progress | None = None) -> Result:
    """Each member's main role, the score per role and the reasons; ``only`` keeps some roles."""
    done = run(store, scope, member_features_group, engine=engine, progress=progress, lexicon=lexicon)
    out, as_of = over_groups(store, done, scored_roles), done.as_of
    when = (f"each group at its own newest message (the newest: {as_of.tz_convert(tz):%Y-%m-%d %H:%M} {tz})"
            if scope.at_group_end and scope.as_of is None else as_of_note(as_of, tz))
    notes = [when,
             no_roster_note(out, "silent members are invisible, lurkers cannot all be counted"),
             _role_counts(out)]
    if only:
        out = out[out["role"].isin(only)]
    if not include_lurkers:
        out = out[out["role"] != "lurker"]
    out = out.reset_index(drop=True)
    score = [round(float(s.get(r, 0.0)), 2) for s, r in zip(out["scores"], out["role"], strict=True)]
    return Result(rows=out, columns=ROLE_JSON, title=f"Member roles ({len(out)})", notes=notes,
                  table=out.assign(score=score), table_columns=ROLE_TABLE)


@reads_features(needs=())
@own_as_of
@batched(split_frame)
def member_features_group(g: GroupInput, lexicon: Path | None = None) -> pd.DataFrame:
    """One group's member features (the per-group task behind ``roles``, ``prune`` and ``analyze``)."""
    return member_features(features_of(g, lexicon), g.members, g.own_as_of)


def scored_roles(member_frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The groups' roles from their member features (one frame: a group's roles depend on it alone)."""
    full = [f for f in member_frames if len(f)]
    return roles_from_features(pd.concat(full, ignore_index=True) if full else pd.DataFrame())


def _role_counts(roles: pd.DataFrame) -> str:
    if roles.empty:
        return "no members"
    counts = roles["role"].value_counts()
    return "; ".join(f"{counts.get(r, 0)} {r}{'s' if counts.get(r, 0) != 1 else ''}" for r in ROLES)


# ---- risk -------------------------------------------------------------------------------------------

@reads_features(needs=())
@batched(split_frame)
def risk_group(g: GroupInput, lexicon: Path | None) -> pd.DataFrame:
    """One group's risk row with its group type beside it (the per-group task of ``risk``); the type is
    shown, never part of the score."""
    F = features_of(g, lexicon)
    return with_group_type(group_risk(g.messages, g.members, g.as_of, features=F), group_types(g.messages, F))


def with_group_type(risk: pd.DataFrame, types: pd.DataFrame) -> pd.DataFrame:
    """Risk rows with ``group_type``, ``group_subtype``, ``group_type_confidence``, ``group_type_reason``."""
    t = types.rename(columns={"subtype": "group_subtype", "confidence": "group_type_confidence",
                              "reason": "group_type_reason"})
    cols = ["group_id", "group_type", "group_subtype", "group_type_confidence", "group_type_reason"]
    return risk.merge(t[cols], on="group_id", how="left")


RISK_ORDER = (["score", "group_name"], [False, True])   # group_risk's ranking: highest risk first


def risk(store, scope: Scope = ALL, *, fail_above: float | None = None, lexicon: Path | None = None,
         tz: str = DEFAULT_TZ, engine: Engine | None = None, progress: Progress | None = None) -> Result:
    """Groups ranked by dead-group risk; exit code 1 when one scores ``fail_above`` or more."""
    done = run(store, scope, risk_group, engine=engine, progress=progress, lexicon=lexicon)
    out, as_of = combine(done.results, *RISK_ORDER), done.as_of
    counts = out["level"].value_counts()
    notes = [as_of_note(as_of, tz),
             ", ".join(f"{counts.get(level, 0)} {level}" for level in LEVELS) + f" of {len(out)} group(s)",
             Note(NOT_WORTH_SAVING, tuple(not_worth_saving(out)))]
    crossed = fail_above is not None and len(out) and bool(np.any(out["score"].to_numpy(dtype=float) >= fail_above))
    return Result(rows=out, columns=RISK_JSON, title=f"Dead-group risk ({len(out)} groups)", notes=notes,
                  table=out.assign(group_type=type_label(out)), table_columns=RISK_TABLE,
                  exit_code=EXIT_THRESHOLD if crossed else 0)


def type_label(frame: pd.DataFrame) -> pd.Series:
    """``purpose: learning`` for the table: the type, its subtype when there is one."""
    sub = frame["group_subtype"].fillna("").astype(str)
    return frame["group_type"].astype(str) + np.where(sub != "", ": " + sub, "")
