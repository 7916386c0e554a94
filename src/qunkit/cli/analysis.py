"""``qunkit activity``, ``qunkit roles`` and ``qunkit risk``: thin faces on ``qunkit.analysis``.

Each command loads the scoped messages (nothing after ``--as-of``) and the
members derived from them, computes the per-message features once, calls the
library function and hands the frame to the one renderer.  Caveats (the
``as_of`` moment, groups without a roster) are notes: under a table, on stderr
for json/csv so the machine-readable stream stays clean.
"""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np
import pandas as pd

from ..analysis.activity import PERIODS, activity, benchmarks_for
from ..analysis.risk import group_risk
from ..analysis.roles import ROLES, assign_roles
from ..analysis.scope import Scope
from ..analysis.text_features import Features, compute_features
from ..errors import EXIT_THRESHOLD
from .options import format_option, load_scope, open_store, quiet_option, scope_options, store_option
from .output import emit


def lexicon_option(f):
    return click.option("--lexicon", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
                        help="Extra words for the built-in lists (JSON, or text with [category] headers).")(f)


def _load(store_dir: Path | None, scope: Scope, lexicon: Path | None
          ) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp, Features]:
    messages, members, as_of = load_scope(open_store(store_dir), scope)
    features = compute_features(messages, as_of, lexicon, members=members)
    return messages, members, as_of, features


def _as_of_note(as_of: pd.Timestamp, tz: str) -> str:
    return f"as of {as_of.tz_convert(tz):%Y-%m-%d %H:%M} {tz} (--as-of to judge another moment)"


def _no_roster_note(frame: pd.DataFrame, what: str) -> str | None:
    if "roster_known" not in frame.columns or frame.empty:
        return None
    names = sorted(frame.loc[~frame["roster_known"].astype(bool), "group_name"].astype(str).unique())
    if not names:
        return None
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return f"no member roster for {shown}: {what} (qunkit import EXPORT --roster ROSTER.csv)"


def _pct(x) -> str | None:
    return None if x is None or pd.isna(x) else f"{float(x):.0%}"


# ---- activity ------------------------------------------------------------------------------------

ACTIVITY_TABLE = ("group_name", "period", "messages", "speakers", "members", "active_rate", "new_members",
                  "leavers", "top1_share", "gini", "reply_share", "reply_time", "noise_share", "peak_hour")


@click.command("activity")
@click.option("--by", type=click.Choice(PERIODS), default="week", show_default=True,
              help="Period length, in each group's local calendar.")
@lexicon_option
@scope_options
@store_option
@format_option
@quiet_option
def activity_cmd(by, lexicon, scope, tz, store_dir, fmt, quiet):
    """Activity per group and period: volume, speakers, active rate, replies, noise.

    \b
    Per period: messages, speakers, members (roster or join/leave lines) and
    the active rate (speakers / members; empty without a roster), new members,
    leavers, messages per speaker, the top speaker's and top five's share,
    the Gini of messages per speaker, the share of messages that got a reply
    (another member within 10 minutes, an @mention or a quote), the median
    reply time, the noise share (floods of "1"/+1/打卡, repeated texts, ads)
    and hour-of-day/weekday profiles (json/csv) in the group's time zone.
    The practice's benchmarks are printed beside each group.

    \b
    Examples:
      qunkit activity --by month
      qunkit activity --group 读书会 --since 2024-01-01 --format csv > weekly.csv
    """
    messages, members, as_of, F = _load(store_dir, scope, lexicon)
    out = activity(messages, members, as_of, by=by, features=F)
    bench = _benchmarks(out, F)
    out = out.merge(bench, on="group_id", how="left")
    notes: list[str] = []
    if not quiet:
        notes.append(_as_of_note(as_of, tz))
        notes.append(_no_roster_note(out, "members and active rate unknown, lurkers cannot be counted"))
        if fmt == "table":
            notes += _benchmark_notes(out)
    if fmt == "table":
        shown = out.assign(
            active_rate=out["active_rate"].map(_pct), top1_share=out["top1_share"].map(_pct),
            reply_share=out["reply_share"].map(_pct), noise_share=out["noise_share"].map(_pct),
            reply_time=out["median_reply_s"].map(_duration),
        )
        emit(shown, "table", columns=ACTIVITY_TABLE, title=f"Activity by {by}", notes=notes)
    else:
        emit(out.drop(columns=["benchmark_notes"]), fmt, notes=notes)


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
                     "benchmark_notes": b["notes"]})
    return pd.DataFrame(rows, columns=["group_id", "size_class", "benchmark_active_low", "benchmark_active_high",
                                       "platform_cap", "benchmark_notes"])


def _benchmark_notes(out: pd.DataFrame) -> list[str]:
    notes = []
    for _, g in out.groupby("group_id", sort=False):
        last = g[~g["partial"]].iloc[-1] if (~g["partial"]).any() else g.iloc[-1]
        own = f"{last['speakers']} speakers"
        if not pd.isna(last["members"]):
            own += f" of {int(last['members'])} members ({_pct(last['active_rate'])} active)"
        lo, hi = last["benchmark_active_low"], last["benchmark_active_high"]
        verdict = ""
        if not pd.isna(last["active_rate"]) and lo is not None and not pd.isna(lo):
            rate = float(last["active_rate"])
            if rate < lo:
                verdict = f"; below the {lo:.0%} benchmark"
            elif hi is not None and not pd.isna(hi) and rate > hi:
                verdict = f"; above the {lo:.0%}-{hi:.0%} benchmark"
            else:
                verdict = "; within the benchmark"
        notes.append(f"{last['group_name']}: {own} in {last['period']}{verdict}. "
                     + " | ".join(last["benchmark_notes"][:2]))
    return notes


def _duration(seconds) -> str | None:
    if seconds is None or pd.isna(seconds):
        return None
    s = float(seconds)
    if s < 60:
        return f"{s:.0f}s"
    if s < 3600:
        return f"{s / 60:.0f}m"
    return f"{s / 3600:.1f}h"


# ---- roles ------------------------------------------------------------------------------------------

ROLE_TABLE = ("group_name", "member_name", "member_id", "role", "score", "messages", "reasons")
ROLE_JSON = ("group_id", "group_name", "member_id", "member_name", "role", "messages", "scores", "reasons", "present")


@click.command("roles")
@click.option("--role", "only", multiple=True, type=click.Choice(ROLES),
              help="Show only members with this main role (repeatable).")
@click.option("--include-lurkers/--hide-lurkers", default=True, show_default=True,
              help="Lurkers are usually most of a group; hide them in long tables.")
@lexicon_option
@scope_options
@store_option
@format_option
@quiet_option
def roles_cmd(only, include_lurkers, lexicon, scope, tz, store_dir, fmt, quiet):
    """Each member's main role, the score per role and the reasons behind it.

    \b
    Roles (seed 000 of the practice, plus the advertisers it prunes):
      organizer   announcements, @全体成员, welcomes, rules, event notices; owner/admin
      thinker     long substantive messages that draw replies; answers others' questions
      joker       laughter, banter, stickers, red packets
      asker       questions (请问, 怎么, 有没有人 ... with or without "?")
      challenger  complaints about the group or its management
      lurker      speaks rarely or never for the time they have been a member
      advertiser  contact handles, sales words, links, the same text again and again

    Roster members who never spoke are included; without a roster only members
    seen in the log can be judged and the output says so.

    \b
    Examples:
      qunkit roles --group 读书会 --role thinker --role organizer
      qunkit roles --format json | jq '.[] | select(.role == "advertiser") | .member_name'
    """
    messages, members, as_of, F = _load(store_dir, scope, lexicon)
    out = assign_roles(messages, members, as_of, lexicon, features=F)
    notes: list[str] = []
    if not quiet:
        notes.append(_as_of_note(as_of, tz))
        notes.append(_no_roster_note(out, "silent members are invisible, lurkers cannot all be counted"))
        notes.append(_role_counts(out))
    if only:
        out = out[out["role"].isin(only)]
    if not include_lurkers:
        out = out[out["role"] != "lurker"]
    out = out.reset_index(drop=True)
    if fmt == "table":
        shown = out.assign(score=[round(float(s.get(r, 0.0)), 2) for s, r in zip(out["scores"], out["role"],
                                                                                    strict=True)])
        emit(shown, "table", columns=ROLE_TABLE, title=f"Member roles ({len(out)})", notes=notes)
    else:
        emit(out, fmt, columns=ROLE_JSON, notes=notes)


def _role_counts(roles: pd.DataFrame) -> str:
    if roles.empty:
        return "no members"
    counts = roles["role"].value_counts()
    return "; ".join(f"{counts.get(r, 0)} {r}{'s' if counts.get(r, 0) != 1 else ''}" for r in ROLES)


# ---- risk -------------------------------------------------------------------------------------------

RISK_TABLE = ("group_name", "score", "level", "reasons")
RISK_JSON = ("group_id", "group_name", "score", "level", "reasons", "features")


@click.command("risk")
@click.option("--fail-above", type=click.FloatRange(0, 100), default=None, metavar="N",
              help="Exit 1 when any group scores N or more (for cron alerts).")
@lexicon_option
@scope_options
@store_option
@format_option
@quiet_option
def risk_cmd(fail_above, lexicon, scope, tz, store_dir, fmt, quiet):
    """Rank groups by dead-group risk (0-100) with the causes behind each score.

    \b
    Causes (the practice's reasons groups die): long silence, falling volume,
    fewer speakers, one person talking alone, messages without replies,
    unanswered questions, floods and ads, organizers gone quiet, no newcomers,
    members leaving, a WeChat group past its usual 3-4 months.  A holiday lull
    (calendar or the group's own holiday greetings), a group that shrank and
    held steady, and a group coming back to life are not flagged as dying.

    \b
    Levels: healthy < 25 <= watch < 50 <= at-risk; dead = no content for 30 days.
    Exit codes: 0 ok, 1 --fail-above N and a group scored N or more,
                2 usage error, 3 bad input or store error.

    \b
    Examples:
      qunkit risk
      qunkit risk --fail-above 70 --quiet || mail -s "groups at risk" me@example.com
      qunkit risk --as-of 2024-03-01 --format json | jq '.[0].features'
    """
    messages, members, as_of, F = _load(store_dir, scope, lexicon)
    out = group_risk(messages, members, as_of, features=F)
    notes: list[str] = []
    if not quiet:
        notes.append(_as_of_note(as_of, tz))
        counts = out["level"].value_counts()
        notes.append(", ".join(f"{counts.get(level, 0)} {level}" for level in ("dead", "at-risk", "watch", "healthy"))
                     + f" of {len(out)} group(s)")
    if fmt == "table":
        emit(out, "table", columns=RISK_TABLE, title=f"Dead-group risk ({len(out)} groups)", notes=notes)
    else:
        emit(out, fmt, columns=RISK_JSON, notes=notes)
    if fail_above is not None and len(out) and bool(np.any(out["score"].to_numpy(dtype=float) >= fail_above)):
        click.get_current_context().exit(EXIT_THRESHOLD)
