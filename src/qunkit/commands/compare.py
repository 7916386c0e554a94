"""``qunkit compare``: every group of the scope side by side, members in several groups, cross-posts.

Each view runs group by group (``qunkit.engine``) and calls the single-group analyses (overview, roles,
risk) as ``qunkit analyze``/``roles``/``risk`` do, so the figures are theirs.  The previous period is the
same run replayed at ``as_of`` minus one period (what ``--as-of`` that much earlier would have said),
so the change in risk is the change of the risk function's own verdict, not a guess.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from ..analysis.compare import (
    CROSS_COLUMNS,
    GROUP_COLUMNS,
    MIN_CHARS,
    ONLY_IN_COLUMNS,
    OVERLAP_COLUMNS,
    PERIOD_DAYS,
    cross_posters,
    cross_posts,
    group_table,
    member_overlap,
    member_posts,
    only_in,
    pair_counts,
)
from ..analysis.scope import Scope
from ..engine import ANALYSIS_COLUMNS, Engine, GroupInput, Progress, run
from ..errors import StoreError, UsageProblem
from ..localtime import DEFAULT_TZ, local_text
from ..members import present_at
from ..vocabulary import ROLES
from .analysis import no_roster_note, scored_roles
from .analyze import analyze_group
from .loading import as_of_note
from .result import Note, Result

TABLE = ("group_name", "members", "speakers_30d", "active_7d", "active_30d", "msgs_per_day", "roles",
         "risk", "messages", "speakers", "risk_change")
ROLE_LETTERS = {"organizer": "org", "thinker": "thk", "joker": "jok", "asker": "ask", "challenger": "chl",
                "lurker": "lrk", "advertiser": "adv"}
# who is present needs the senders and the join/leave lines, not what was said: the overlap reads no text
MEMBER_READ = tuple(c for c in ANALYSIS_COLUMNS if c not in {"text", "mentions", "reply_to", "msg_id"})
TEXT_SHOWN = 40          # characters of a cross-posted text the table shows (json/csv: all of it)


def present_group(g: GroupInput) -> pd.DataFrame:
    """The members of one group present at as_of (``members.present_at``) with its platform."""
    mem = g.members[present_at(g.members, g.as_of)]
    return mem.assign(platform=str(g.meta.get("platform", "")), group_id=mem["group_id"].astype(str),
                      group_name=str(g.meta.get("group_name") or g.messages["group_name"].iloc[-1]))


def posts_group(g: GroupInput, min_chars: int = MIN_CHARS) -> pd.DataFrame:
    """One group's distinct long texts per sender (``analysis.compare.member_posts``)."""
    return member_posts(g.messages, min_chars)


def _moment(store, scope: Scope, lexicon, engine, progress) -> tuple[tuple, pd.Timestamp]:
    """overview, roles and risk of every group at the scope's as_of: ``analyze``'s per-group task."""
    done = run(store, scope, analyze_group, engine=engine, progress=progress, lexicon=lexicon)
    ov = pd.DataFrame([row for rows, _, _ in done.results for row in rows])
    risk = pd.DataFrame([x["risk"] for _, _, extra in done.results for x in extra.values()])
    return (ov, scored_roles([mf for _, mf, _ in done.results]), risk), done.as_of


def compare(store, scope: Scope, *, period: str = "month", lexicon: Path | None = None, tz: str = DEFAULT_TZ,
            engine: Engine | None = None, progress: Progress | None = None) -> Result:
    """One row per group: size, active rates, role mix, risk, and their change over ``period``."""
    if period not in PERIOD_DAYS:
        raise UsageProblem(f"period must be one of {', '.join(PERIOD_DAYS)}, not {period!r}")
    now, as_of = _moment(store, scope, lexicon, engine, progress)
    t0 = as_of - pd.Timedelta(days=PERIOD_DAYS[period])
    try:
        before, _ = _moment(store, replace(scope, as_of=t0), lexicon, engine, None)
    except StoreError:          # nothing in scope that early: no previous figures
        before = None
    out = group_table(*now, previous=before, period=period)
    missing = out.loc[out["risk_score_prev"].isna(), "group_name"].astype(str).tolist()
    notes: list[str | Note | None] = [
        as_of_note(as_of, tz, f"against {t0.tz_convert(tz):%Y-%m-%d %H:%M} ({period} before, --period)"),
        f"messages, speakers: the last {PERIOD_DAYS[period]} days; active = speakers in 7/30 days / members; "
        "roles: present members (org thk jok ask chl lrk adv); risk change in points",
        no_roster_note(now[0].assign(roster_known=now[0]["members_source"] == "roster"),
                       "active rates unknown, members = those seen in the log"),
        Note("no previous figures for {items} (no messages a " + period + " earlier)", tuple(missing))]
    return Result(rows=out, columns=GROUP_COLUMNS, title=f"Groups compared ({len(out)})", notes=notes,
                  table=_table(out), table_columns=TABLE)


def _pct(x) -> str | None:
    return None if x is None or pd.isna(x) else f"{float(x):.0%}"


def _signed(now, change, pct: bool) -> str:
    if pd.isna(change):
        return f"{now:g}" if not pd.isna(now) else ""
    return f"{now:g} ({change:+.0%})" if pct else f"{now:g} ({change:+g})"


def _table(out: pd.DataFrame) -> pd.DataFrame:
    """The human view: rates as percentages, the role mix in one cell, changes beside their figures
    (members in heads, messages and speakers in per cent, risk in points)."""
    roles = [" ".join(f"{ROLE_LETTERS[r]} {int(row[f'role_{r}'])}" for r in ROLES if row[f"role_{r}"])
             for _, row in out.iterrows()]   # one iteration per group
    return out.assign(
        active_7d=out["active_rate_7d"].map(_pct), active_30d=out["active_rate_30d"].map(_pct),
        msgs_per_day=out["messages_per_day"], roles=roles,
        members=[_signed(n, n - p if not pd.isna(p) else p, False)
                 for n, p in zip(out["members"], out["members_prev"], strict=True)],
        risk=[f"{s:g} {lv}" for s, lv in zip(out["risk_score"], out["risk_level"], strict=True)],
        messages=[_signed(n, c, True) for n, c in zip(out["messages"], out["messages_change"], strict=True)],
        speakers=[_signed(n, c, True) for n, c in zip(out["speakers"], out["speakers_change"], strict=True)],
        risk_change=[("" if pd.isna(c) else f"{c:+g}") for c in out["risk_change"]])


# ---- members in several groups ----------------------------------------------------------------------

def _present(store, scope: Scope, engine, progress) -> tuple[pd.DataFrame, pd.Timestamp]:
    done = run(store, scope, present_group, engine=engine, progress=progress, columns=MEMBER_READ)
    return pd.concat(done.results, ignore_index=True), done.as_of


def _group_id(store, name: str, present: pd.DataFrame) -> str:
    """A group name or id of the store -> its id (a usage error, exit 2, when the scope lacks it)."""
    try:
        key = store.resolve_group(name)
    except Exception as exc:  # the store's own one-line message names what it has
        raise UsageProblem(str(exc)) from None
    gid = str(store.metas()[key]["group_id"])
    if gid not in set(present["group_id"]):
        raise UsageProblem(f"group {name!r} has no members in scope (check --group/--since/--as-of)")
    return gid


def overlap(store, scope: Scope, *, only: str | None = None, not_in: tuple[str, ...] = (), tz: str = DEFAULT_TZ,
            engine: Engine | None = None, progress: Progress | None = None) -> Result:
    """Members present in several groups; with ``only``, the members of that group in none of ``not_in``."""
    if not_in and not only:
        raise UsageProblem("--not-in needs --only-in GROUP (the group whose members are listed)")
    present, as_of = _present(store, scope, engine, progress)
    groups = present.drop_duplicates("group_id")
    no_roster = no_roster_note(groups, "only members seen in the log can be matched")
    if only:
        gid = _group_id(store, only, present)
        others = [_group_id(store, n, present) for n in not_in]
        out = only_in(present, gid, others)
        name = groups.set_index("group_id").loc[gid, "group_name"]
        where = ", ".join(groups.set_index("group_id").loc[others, "group_name"]) if others else "any other group"
        notes: list[str | Note | None] = [
            as_of_note(as_of, tz, "(members present then)"),
            f"{len(out)} member(s) of {name} not in {where} (same id on one platform)",
            f"{int(out['same_name_elsewhere'].sum())} of them share a name with a member there on another "
            "platform (same_name_elsewhere: a weaker match, perhaps the same person)",
            no_roster]
        table = out.assign(last_spoke=local_text(out["last_spoke"], tz),
                           same_name_elsewhere=out["same_name_elsewhere"].map({True: "yes", False: ""}))
        return Result(rows=out, columns=ONLY_IN_COLUMNS, title=f"Only in {name} ({len(out)})", notes=notes,
                      table=table)
    out = member_overlap(present)
    pairs = pair_counts(present)
    by_id = out[out["matched_by"] == "id"]
    notes = [as_of_note(as_of, tz, "(members present then)"),
             f"{len(by_id)} member(s) in 2+ of {len(groups)} groups by id; {len(out) - len(by_id)} more by name "
             "only (matched_by = name: different platforms, the same unambiguous name, a weaker match)",
             Note("shared members by pair: {items}",
                  tuple(f"{a} & {b} {n}" for a, b, n in pairs.itertuples(index=False)), noun="pair"),
             no_roster]
    table = out.assign(group_names=out["group_names"].map(", ".join), platforms=out["platforms"].map(", ".join))
    return Result(rows=out, columns=OVERLAP_COLUMNS, title=f"Members in several groups ({len(out)})", notes=notes,
                  table=table)


# ---- the same text in several groups ------------------------------------------------------------------

def crossposts(store, scope: Scope, *, min_chars: int = MIN_CHARS, tz: str = DEFAULT_TZ,
               engine: Engine | None = None, progress: Progress | None = None) -> Result:
    """The same normalised text posted by one member in two or more groups, ads flagged."""
    done = run(store, scope, posts_group, engine=engine, progress=progress, min_chars=min_chars)
    out = cross_posts(pd.concat(done.results, ignore_index=True))
    who = cross_posters(out)
    ads = who[who["ads"] > 0]
    notes: list[str | Note | None] = [
        as_of_note(done.as_of, tz, ""),
        f"same text = equal after NFKC, lower case, no spaces/punctuation/emoji, at least {min_chars} characters "
        "(--min-chars); one member = one id on one platform",
        f"{len(who)} member(s) posted {len(out)} text(s) in several groups; {len(ads)} of them posted ads "
        "(message act ad): advertisers across groups",
        Note("advertisers across groups: {items}",
             tuple(f"{r.member_name} ({r.member_id}, {r.groups} groups)" for r in ads.itertuples()),
             noun="member")]
    table = out.assign(group_names=out["group_names"].map(", ".join), ad=out["ad"].map({True: "ad", False: ""}),
                       first=local_text(out["first"], tz), last=local_text(out["last"], tz),
                       text=out["text"].map(lambda t: t if len(t) <= TEXT_SHOWN else t[:TEXT_SHOWN] + "…"))
    return Result(rows=out, columns=CROSS_COLUMNS, title=f"Cross-posts ({len(out)})", notes=notes, table=table)
