"""The operator's toolkit (issue #14) as results: newcomer probation and the cap list (``qunkit prune
--newcomers`` / ``--keep-under``), 接龙 sign-ups (``qunkit signups``), core/KOL candidates
(``qunkit core``).  The table shows local wall-clock times; json/csv keep ISO 8601 UTC."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..analysis.capacity import COLUMNS as CAP_COLUMNS
from ..analysis.capacity import cap_list
from ..analysis.core import COLUMNS as CORE_COLUMNS
from ..analysis.core import SILENCE, STARTERS_JOIN, core_candidates
from ..analysis.newcomers import COLUMNS as NEW_COLUMNS
from ..analysis.newcomers import newcomer_candidates
from ..analysis.roles import assign_roles
from ..analysis.scope import Scope
from ..analysis.signups import DEFAULT_WINDOW as SIGNUP_WINDOW
from ..analysis.signups import STATUS_COLUMNS as SIGNUP_COLUMNS
from ..analysis.signups import find_chains, signup_status
from ..analysis.text_features import compute_features
from ..errors import EXIT_THRESHOLD
from ..localtime import DEFAULT_TZ, local_text
from .loading import as_of_note, load_scope
from .prune import NO_ROSTER
from .result import Note, Result

PACING = "at most {n} a day (batch = day): platforms flag accounts that remove many members at once"


def newcomers(store, scope: Scope, *, hours: float, keep: Sequence[str] = (), window: pd.Timedelta | None = None,
              fail_if_any: bool = False, tz: str = DEFAULT_TZ) -> Result:
    """Members who joined at least ``hours`` ago and never spoke since (newcomer probation)."""
    messages, members, as_of = load_scope(store, scope)
    kw = {"rollcall_window": window} if window is not None else {}
    out = newcomer_candidates(messages, members, as_of, hours, keep=list(keep), tz=tz, **kw)
    unknown = out.attrs.get("unknown_join", 0)
    notes: list[str | Note | None] = [
        f"{as_of_note(as_of, tz, '')}; newcomer = joined {hours:g} h or more ago, no message since",
        f"{unknown} present member(s) with no known join time (no roster 入群时间, no join line) are not judged"
        if unknown else None,
        f"{len(out)} newcomer(s) to remove; qunkit removes no one: act on this list yourself"]
    table = out.assign(joined=local_text(out["joined"], tz, "%Y-%m-%d %H:%M"))
    return Result(rows=out, columns=NEW_COLUMNS, title=f"Newcomers silent after {hours:g} h ({len(out)})",
                  notes=notes, table=table, exit_code=EXIT_THRESHOLD if fail_if_any and len(out) else 0)


def keep_under(store, scope: Scope, *, margin: int, days: int = 90, per_day: int = 20, cap: int | None = None,
               keep: Sequence[str] = (), grace_days: int = 14, window: pd.Timedelta | None = None,
               fail_if_any: bool = False, tz: str = DEFAULT_TZ) -> Result:
    """The least active members to remove so each group stays ``margin`` below its cap, in daily batches."""
    messages, members, as_of = load_scope(store, scope)
    kw = {"rollcall_window": window} if window is not None else {}
    out = cap_list(messages, members, as_of, margin, days=days, per_day=per_day, cap=cap, keep=list(keep),
                   grace_days=grace_days, tz=tz, **kw)
    lines = [f"{g['group_name']}: {g['members']} members, cap {g['cap']}, {g['to_remove']} to remove"
             + (f", only {g['listed']} may be removed (the rest are protected)" if g["listed"] < g["to_remove"]
                else "") for g in out.attrs.get("groups", [])]
    no_roster = sorted(set(members.loc[~members["roster_known"].astype(bool), "group_name"].astype(str)))
    notes: list[str | Note | None] = [
        f"{as_of_note(as_of, tz, '')}; target = cap - {margin}"
        + ("" if cap else "; cap: WeChat 500, QQ the smallest tier 200/500/1000/2000/3000 holding the group "
                          "(--cap to set it)"),
        Note(None, tuple(lines), noun="group"),
        Note(NO_ROSTER, tuple(no_roster)),
        PACING.format(n=per_day),
        f"{len(out)} member(s) to remove; qunkit removes no one: act on this list yourself"]
    table = out.assign(last_spoke=local_text(out["last_spoke"], tz), joined=local_text(out["joined"], tz))
    return Result(rows=out, columns=CAP_COLUMNS, title=f"Keep {margin} under the cap ({len(out)})", notes=notes,
                  table=table, exit_code=EXIT_THRESHOLD if fail_if_any and len(out) else 0)


def signups(store, scope: Scope, *, window: pd.Timedelta = SIGNUP_WINDOW, all_chains: bool = False,
            only: str | None = None, tz: str = DEFAULT_TZ) -> Result:
    """Who signed each group's latest 接龙 (``all_chains``: every one); ``only`` signed/missing."""
    messages, members, as_of = load_scope(store, scope)
    chains, versions = find_chains(messages, window=window, as_of=as_of)
    status = signup_status(members, chains, versions, latest_only=not all_chains)
    notes: list[str | Note | None] = []
    if chains.empty:
        notes.append(f"no 接龙 found (a title line, then 1. 2. 3. ...) up to {as_of.tz_convert(tz):%Y-%m-%d %H:%M}")
    else:
        shown = chains if all_chains else chains.sort_values("posted", kind="stable").groupby("group_id").tail(1)
        counts = status.groupby("chain")["signed"].agg(["sum", "size"])
        lines = []
        for c in shown.sort_values(["group_name", "started"], kind="stable").itertuples(index=False):
            yes, n = counts.loc[c.chain] if c.chain in counts.index else (0, 0)
            lines.append(f"{c.group_name}: 接龙 {c.title!r} started {c.started.tz_convert(tz):%Y-%m-%d %H:%M}, "
                         f"{c.versions} version(s), final by {c.poster_name} with {c.entries} entries: "
                         f"{int(yes)} member(s) signed, {int(n - yes)} did not")
        notes.append(Note(None, tuple(lines), noun="chain"))
        no_roster = sorted(set(members.loc[~members["roster_known"].astype(bool), "group_name"].astype(str))
                           & set(shown["group_name"]))
        notes.append(Note("no member roster for {items}: non-signers are only the members seen in the log",
                          tuple(no_roster)))
    if only:
        status = status[status["signed"] == (only == "signed")]
    table = status.assign(posted=local_text(status["posted"], tz, "%Y-%m-%d %H:%M"),
                          signed=status["signed"].map({True: "yes", False: "no"}))
    return Result(rows=status, columns=SIGNUP_COLUMNS, title="接龙 sign-ups", notes=notes, table=table)


def core(store, scope: Scope, *, top: int = 10, tz: str = DEFAULT_TZ) -> Result:
    """The ``top`` core-group / KOL candidates per group, with the figures behind each rank."""
    messages, members, as_of = load_scope(store, scope)
    features = compute_features(messages, as_of, members=members)
    roles = assign_roles(messages, members, as_of, features=features)
    out = core_candidates(features, members, roles, top=top, tz=tz)
    several = out[out["groups_core"] >= 2].drop_duplicates("member_id")
    notes: list[str | Note | None] = [
        f"{as_of_note(as_of, tz, '')}; a discussion = a message after {SILENCE.total_seconds() / 3600:g} h of "
        f"silence that {STARTERS_JOIN}+ other people join; score = weighted percentile within the group "
        "(starts 35%, answers 25%, months 20%, repliers 20%)",
        Note("in the top of several groups: {items}",
             tuple(f"{r.member_name} ({r.member_id}, {r.groups_core} groups)" for r in several.itertuples()),
             noun="member"),
        "advertisers and members who have left are not candidates"]
    return Result(rows=out, columns=CORE_COLUMNS, title=f"Core and KOL candidates (top {top} per group)",
                  notes=notes)
