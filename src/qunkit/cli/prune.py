"""``qunkit prune`` and ``qunkit rollcall``: whom to remove, and who answered the roll call.

Thin: load the scoped messages and members from the store, call
``qunkit.analysis.prune`` / ``qunkit.analysis.rollcall``, and hand the frame to
the one renderer.  Built for cron: plain text in pipes, notes under the table
(or on stderr for json/csv), ``--quiet`` drops notes, ``--fail-if-any`` exits 1.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pandas as pd

from ..analysis.prune import COLUMNS, prune_candidates, read_keep
from ..analysis.rollcall import STATUS_COLUMNS, announcement_text, find_rollcalls, rollcall_status
from ..analysis.scope import Scope
from ..errors import EXIT_THRESHOLD, BadInput
from ..formats.textio import bytes_encoding
from .options import format_option, load_scope, open_store, quiet_option, scope_options, store_option
from .output import emit


class Duration(click.ParamType):
    """"24h", "90m", "2d", "1d12h" or a bare number of hours."""

    name = "duration"

    def convert(self, value, param, ctx) -> pd.Timedelta:
        if isinstance(value, pd.Timedelta):
            return value
        text = str(value).strip().lower()
        try:
            td = pd.Timedelta(hours=float(text)) if re.fullmatch(r"\d+(\.\d+)?", text) else pd.Timedelta(text)
        except ValueError:
            self.fail(f"{value!r} is not a duration (e.g. 24h, 90m, 2d)", param, ctx)
        if td <= pd.Timedelta(0):
            self.fail(f"{value!r} must be longer than zero", param, ctx)
        return td


def _window_option(f):
    return click.option("--window", type=Duration(), default="24h", show_default=True,
                        help="How long after a roll-call announcement answers count (24h, 90m, 2d).")(f)


def _load(store_dir: Path | None, scope: Scope) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """Messages in scope (nothing after as_of), members derived from exactly those, and as_of."""
    return load_scope(open_store(store_dir), scope)


def _local(ts: pd.Series, tz: str, fmt: str = "%Y-%m-%d") -> pd.Series:
    """Timestamps as local wall-clock text for the table (json/csv keep ISO 8601 UTC)."""
    ts = pd.to_datetime(ts, utc=True)
    return ts.dt.tz_convert(tz).dt.strftime(fmt).where(ts.notna(), None)


def _read_keep_file(path: Path) -> list[str]:
    raw = path.read_bytes()
    try:
        return read_keep(raw.decode(bytes_encoding(raw, path)).splitlines())
    except (UnicodeDecodeError, BadInput):
        raise BadInput(f"{path}: cannot decode the --keep file as UTF-8 or GB18030") from None


@click.command("prune")
@click.option("--days", type=click.IntRange(min=1), default=90, show_default=True,
              help="Silent: no message for this many days (from max(last message, joined) to --as-of).")
@click.option("--grace", "grace_days", type=click.IntRange(min=0), default=14, show_default=True,
              help="Never list members who joined less than this many days ago.")
@click.option("--min-messages", type=click.IntRange(min=1), default=None,
              help="Also list members with fewer than K messages in the last --days days.")
@click.option("--keep", "keep_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="File of ids or names never to list, one a line (# comments allowed).")
@_window_option
@click.option("--rollcall-message", default=None, metavar="TEXT",
              help="Your roll-call wording, if it is not like the usual ones (清人/点名 ... 在的请打1).")
@click.option("--fail-if-any", is_flag=True, help="Exit 1 when the list is not empty (for cron alerts).")
@click.option("--announce", is_flag=True,
              help="Only print the roll-call message to post in the group (time from --at) and exit.")
@click.option("--at", "announce_at", default="20:00", show_default=True, metavar="HH:MM",
              help="Removal time written into --announce: HH:MM today, or 'YYYY-MM-DD HH:MM'.")
@scope_options
@store_option
@format_option
@quiet_option
def prune_cmd(days, grace_days, min_messages, keep_file, window, rollcall_message, fail_if_any, announce,
              announce_at, scope, tz, store_dir, fmt, quiet):
    """List members to remove (清人), each with the reason. qunkit never removes anyone itself.

    \b
    Listed:  silent        no message for --days days (never-spoken members count from joining)
             advertiser    the roles engine's advertiser, however recent
             few messages  with --min-messages K: fewer than K in the last --days days
    Never:   owner and admins, --keep members, members who answered a roll call
             announced in the last --days days, members who joined less than --grace days ago.

    Without a member roster only members seen in the log can be judged; the
    output says so.

    \b
    Exit codes: 0 ok, 1 --fail-if-any and the list is not empty,
                2 usage error, 3 bad input or store error.

    \b
    Examples:
      qunkit prune --days 90
      qunkit prune --days 30 --min-messages 3 --keep core.txt --format csv > prune.csv
      qunkit prune --announce --at 21:00        # the roll-call message to post first
      qunkit rollcall                           # the next day: who answered
    """
    if announce:
        try:
            click.echo(announcement_text(announce_at, tz=tz))
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--at") from None
        return
    messages, members, as_of = _load(store_dir, scope)
    roles = _roles(messages, members, as_of)
    keep = _read_keep_file(keep_file) if keep_file else []
    out = prune_candidates(messages, members, roles, as_of, days, grace_days=grace_days, min_messages=min_messages,
                           keep=keep, rollcall_window=window, rollcall_message=rollcall_message)
    notes = [] if quiet else [_as_of_note(as_of, tz, days), *out.attrs.get("notes", [])]
    shown = out
    if fmt == "table":
        shown = out.assign(last_spoke=_local(out["last_spoke"], tz), joined=_local(out["joined"], tz))
        if not quiet:
            notes.append(_summary(out) + "; qunkit removes no one: act on this list yourself")
    emit(shown, fmt, columns=COLUMNS, title=f"Prune candidates ({len(out)})", notes=notes)
    if fail_if_any and len(out):
        click.get_current_context().exit(EXIT_THRESHOLD)


def _roles(messages: pd.DataFrame, members: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The roles engine's verdicts (advertisers are listed whatever their recency)."""
    from ..analysis.roles import assign_roles

    return assign_roles(messages, members, as_of)


def _as_of_note(as_of: pd.Timestamp, tz: str, days: int) -> str:
    return f"as of {as_of.tz_convert(tz):%Y-%m-%d %H:%M} {tz}; silent = no message for {days} days"


def _summary(out: pd.DataFrame) -> str:
    if out.empty:
        return "no one to prune"
    counts = out["reason"].str.split("; ").explode().value_counts()
    parts = ", ".join(f"{n} {r}" for r, n in counts.items())
    return f"{len(out)} member(s) in {out['group_name'].nunique()} group(s): {parts}"


@click.command("rollcall")
@click.option("--message", default=None, metavar="TEXT",
              help="Find announcements containing TEXT instead of the usual wording (清人/点名/潜水 ... 在的请打1).")
@_window_option
@click.option("--all", "all_calls", is_flag=True, help="Every roll call in scope, not only each group's latest.")
@click.option("--only", type=click.Choice(["answered", "missing"]), default=None,
              help="Only answerers, or only members who did not answer.")
@scope_options
@store_option
@format_option
@quiet_option
def rollcall_cmd(message, window, all_calls, only, scope, tz, store_dir, fmt, quiet):
    """Who answered the roll call (点名), and which members did not.

    A roll call is an announcement such as 今天晚上20:00本群将调整一部分长期潜水
    不说话的小伙伴,在的请打1 (or --message TEXT); answers are short replies such
    as 1, 在, 到, 签到, +1, 扣1, 我在 posted within --window of it.  `qunkit prune`
    keeps the answerers.

    \b
    Examples:
      qunkit rollcall
      qunkit rollcall --group 读书会 --only missing --format csv > missing.csv
      qunkit rollcall --message "今晚查岗" --window 12h
    """
    messages, members, as_of = _load(store_dir, scope)
    calls = find_rollcalls(messages, message=message, window=window, as_of=as_of)
    status = rollcall_status(messages, members, calls, latest_only=not all_calls)
    notes: list[str] = []
    if calls.empty:
        what = f"containing {message!r}" if message else "(清人/点名/潜水 ... 在的请打1, or use --message TEXT)"
        notes.append(f"no roll-call announcement found {what} up to {as_of.tz_convert(tz):%Y-%m-%d %H:%M}")
    else:
        shown_calls = calls if all_calls else calls.groupby("group_id", sort=False).tail(1)
        for c in shown_calls.itertuples(index=False):
            sub = status[(status["group_name"] == c.group_name) & (status["announced"] == c.announced)]
            notes.append(f"{c.group_name}: roll call by {c.announcer_name} at "
                         f"{c.announced.tz_convert(tz):%Y-%m-%d %H:%M}: {int(sub['answered'].sum())} answered, "
                         f"{int((~sub['answered']).sum())} did not")
        no_roster = sorted(set(members.loc[~members["roster_known"].astype(bool), "group_name"].astype(str))
                           & set(shown_calls["group_name"]))
        if no_roster:
            notes.append(f"no member roster for {', '.join(no_roster)}: non-answerers are only the members seen "
                         "in the log; members who never spoke cannot be listed")
    if only:
        status = status[status["answered"] == (only == "answered")]
    shown = status
    if fmt == "table":
        shown = status.assign(announced=_local(status["announced"], tz, "%Y-%m-%d %H:%M"),
                              answered_at=_local(status["answered_at"], tz, "%Y-%m-%d %H:%M"),
                              answered=status["answered"].map({True: "yes", False: "no"}))
    emit(shown, fmt, columns=STATUS_COLUMNS, title="Roll call", notes=[] if quiet else notes)
