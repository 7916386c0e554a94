"""``qunkit prune`` and ``qunkit rollcall``: options in, one ``qunkit.commands.prune`` call out.

Built for cron: plain text in pipes, notes under the table (or on stderr for
json/csv), ``--quiet`` drops notes, ``--fail-if-any`` exits 1.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .options import days_range, engine_options, scope_options, store_option
from .output import output_options
from .progress import group_progress

if TYPE_CHECKING:
    import pandas as pd


class Duration(click.ParamType):
    """"24h", "90m", "2d", "1d12h" or a bare number of hours."""

    name = "duration"

    def convert(self, value, param, ctx) -> pd.Timedelta:
        import pandas as pd

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


@click.command("prune")
@click.option("--days", type=days_range(1), default=90, show_default=True,
              help="Silent: no message for this many days (from max(last message, joined) to --as-of).")
@click.option("--grace", "grace_days", type=days_range(0), default=14, show_default=True,
              help="Never list members who joined less than this many days ago.")
@click.option("--min-messages", type=click.IntRange(min=1), default=None,
              help="Also list members with fewer than K messages in the last --days days.")
@click.option("--keep", "keep_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="File of ids or names never to list, one a line (# comments allowed).")
@_window_option
@click.option("--rollcall-message", default=None, metavar="TEXT",
              help="Your roll-call wording, if it is not like the usual ones (清人/点名 ... 在的请打1).")
@click.option("--fail-if-any", is_flag=True, help="Exit 1 when the list is not empty (for cron alerts).")
@click.option("--newcomers", "newcomer_hours", type=click.FloatRange(min=0), default=None, metavar="HOURS",
              help="Instead: newcomers who joined at least HOURS ago and never spoke since (bots use 48).")
@click.option("--keep-under", "keep_under", type=click.IntRange(min=0), default=None, metavar="N",
              help="Instead: the least active members to remove so each group stays N below its cap.")
@click.option("--cap", type=click.IntRange(min=1), default=None,
              help="With --keep-under: the group's member cap (default: WeChat 500, QQ by size tier).")
@click.option("--per-day", type=click.IntRange(min=1), default=20, show_default=True,
              help="With --keep-under: removals per day (the batch column); bulk kicks get accounts flagged.")
@click.option("--announce", is_flag=True,
              help="Only print the roll-call message to post in the group (time from --at) and exit.")
@click.option("--at", "announce_at", default="20:00", show_default=True, metavar="HH:MM",
              help="Removal time written into --announce: HH:MM today, or 'YYYY-MM-DD HH:MM'.")
@engine_options
@scope_options
@store_option
@output_options
def prune_cmd(days, grace_days, min_messages, keep_file, window, rollcall_message, fail_if_any, newcomer_hours,
              keep_under, cap, per_day, announce, announce_at, engine, scope, tz, store_dir, quiet):
    """List members to remove (清人), each with the reason. qunkit never removes anyone itself.

    \b
    Listed:  silent        no message for --days days (never-spoken members count from joining)
             advertiser    the roles engine's advertiser, however recent
             few messages  with --min-messages K: fewer than K in the last --days days
    Or, instead of those rules:
             --newcomers H   joined at least H hours ago, no message since
             --keep-under N  the least active, so the group stays N below its cap,
                             in daily batches of --per-day
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
      qunkit prune --newcomers 48               # newcomer probation
      qunkit prune --keep-under 20 --per-day 15 # stay 20 below the cap, 15 a day
      qunkit prune --announce --at 21:00        # the roll-call message to post first
      qunkit rollcall                           # the next day: who answered
    """
    from ..commands import prune as lib
    from ..commands.loading import open_store

    if announce:
        try:
            return lib.announcement(announce_at, tz=tz)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--at") from None
    keep = lib.read_keep_file(keep_file) if keep_file else []
    if newcomer_hours is not None or keep_under is not None:
        from ..commands import operator

        if newcomer_hours is not None and keep_under is not None:
            raise click.UsageError("--newcomers and --keep-under are separate lists: give one")
        if newcomer_hours is not None:
            return operator.newcomers(open_store(store_dir), scope, hours=newcomer_hours, keep=keep, window=window,
                                      fail_if_any=fail_if_any, tz=tz)
        return operator.keep_under(open_store(store_dir), scope, margin=keep_under, days=days, per_day=per_day,
                                   cap=cap, keep=keep, grace_days=grace_days, window=window,
                                   fail_if_any=fail_if_any, tz=tz)
    with group_progress("prune", quiet) as bar:
        return lib.prune(open_store(store_dir), scope, days=days, grace_days=grace_days, min_messages=min_messages,
                         keep=keep, window=window, rollcall_message=rollcall_message, fail_if_any=fail_if_any,
                         tz=tz, engine=engine, progress=bar)


@click.command("rollcall")
@click.option("--message", default=None, metavar="TEXT",
              help="Find announcements containing TEXT instead of the usual wording (清人/点名/潜水 ... 在的请打1).")
@_window_option
@click.option("--all", "all_calls", is_flag=True, help="Every roll call in scope, not only each group's latest.")
@click.option("--only", type=click.Choice(["answered", "missing"]), default=None,
              help="Only answerers, or only members who did not answer.")
@scope_options
@store_option
@output_options
def rollcall_cmd(message, window, all_calls, only, scope, tz, store_dir, quiet):
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
    from ..commands.loading import open_store
    from ..commands.prune import rollcall

    return rollcall(open_store(store_dir), scope, message=message, window=window, all_calls=all_calls, only=only,
                    tz=tz)
