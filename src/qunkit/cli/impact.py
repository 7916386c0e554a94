"""``qunkit impact``: options in, one ``qunkit.commands.impact.impact`` call out."""

from __future__ import annotations

import click

from .options import _when, scope_options, store_option
from .output import output_options
from .prune import Duration


def _moments(ctx, param, values):
    return tuple(_when(ctx, param, v) for v in values)


def _window(ctx, param, value):
    import pandas as pd

    if value > pd.Timedelta(days=7):
        raise click.BadParameter(f"{value} is longer than 7 days (168h): it would overlap its own baseline week")
    return value


@click.command("impact")
@click.argument("group_args", metavar="[GROUP]...", nargs=-1)
@click.option("--at", "at", multiple=True, callback=_moments, metavar="DATETIME",
              help="Measure an event at this moment (repeatable; naive times in --tz). Default: events found "
                   "in the log.")
@click.option("--window", type=Duration(), default="48h", show_default=True, callback=_window,
              help="How long after an event's start its effect is counted (hours, or 24h/2d; at most 7d).")
@click.option("--weeks", type=click.IntRange(min=2, max=12), default=4, show_default=True,
              help="Previous weeks (same weekday and hours) that make the expected level.")
@click.option("--quiet-days", type=click.IntRange(min=1, max=3650), default=14, show_default=True,
              help="A speaker silent this many days before the event 'came back' for it.")
@click.option("--same-within", "merge", type=Duration(), default="24h", show_default=True,
              help="Notices less than this after an event's start announce the same event.")
@click.option("--who", is_flag=True, help="One row per member who came back, spoke for the first time or joined.")
@scope_options
@store_option
@output_options
def impact_cmd(group_args, at, window, weeks, quiet_days, merge, who, scope, tz, store_dir, quiet):
    """The lift in messages and speakers after an event (分享/直播/活动/红包), and who came back for it.

    \b
    Events: --at moments, else the log's event notices (a notice naming
    直播/讲座/分享/红包/活动; it starts at the moment the notice names, such as
    本周六下午2点, else at the notice), red-packet bursts and roll calls; those
    less than --same-within after an event's start are the same event.  Each event's
    window is compared with the same hours of the previous --weeks weeks
    (median, min-max); lifted / below trend only when |z| >= 2 (a
    quasi-Poisson test: the weeks' own variance when larger than Poisson's).

    \b
    Examples:
      qunkit impact
      qunkit impact 读书会 --at '2024-03-12 20:00' --window 24
      qunkit impact --who --format csv > came-back.csv
    """
    from dataclasses import replace

    from ..analysis.scope import parse_when
    from ..commands.impact import impact
    from ..commands.loading import open_store

    if group_args:
        scope = replace(scope, groups=tuple(dict.fromkeys((*scope.groups, *group_args))))
    return impact(open_store(store_dir), scope, at=[parse_when(a, tz) for a in at], window=window, weeks=weeks,
                  quiet_days=quiet_days, merge=merge, who=who, tz=tz)
