"""``qunkit report`` (one offline HTML file) and ``qunkit digest`` (a short summary per group and period)."""

from __future__ import annotations

import click

from ..vocabulary import PERIODS
from .options import engine_options, lexicon_option, scope_options, store_option
from .output import output_options
from .progress import group_progress

DIGEST_FORMATS = ("text", "markdown", "json")


@click.command("digest")
@click.option("--period", type=click.Choice(PERIODS), default="week", show_default=True,
              help="The last complete day, week or month (each group's own calendar) before --as-of.")
@lexicon_option
@engine_options
@scope_options
@store_option
@output_options(formats=DIGEST_FORMATS)
def digest_cmd(period, lexicon, engine, scope, tz, store_dir, quiet, fmt):
    """A short summary per group for a period, for a cron mail or a chat bot.

    \b
    Per group, riskiest first: messages and speakers against the previous
    period (value and previous value), new members, regulars who went quiet
    (spoke in 3 of the 4 periods before, not in this one), new lurkers (a
    member whose role became lurker), top talkers, hot words (jieba, stop
    words removed, against the periods before), risk and its change, and the
    roll call if one ran.  The period is the last complete one at --as-of
    (default: the newest message), so a Monday-morning run covers last week.

    \b
    Examples:
      qunkit digest                                  # plain text: a mail body or a chat message
      qunkit digest --period month --format markdown -o digest.md
      qunkit digest --as-of "$(date +%F)" --format json | jq '.[] | {group_name, messages, messages_prev}'
    """
    from ..commands.digest import digest
    from ..commands.loading import open_store

    with group_progress("digest", quiet) as bar:
        return digest(open_store(store_dir), scope, period=period, fmt=fmt, lexicon=lexicon, tz=tz, engine=engine,
                      progress=bar)


@click.command("report")
@click.argument("names", nargs=-1, metavar="[GROUP]...")
@click.option("--trend-weeks", type=click.IntRange(0, 52), default=8, show_default=True,
              help="Past week starts (Mondays 00:00 in --tz) the risk score is shown at (0: no trend); "
                   "a store that keeps derived tables has the last 8 stored, the others are replayed.")
@click.option("--prune-days", type=click.IntRange(0), default=90, show_default=True,
              help="The silence the prune preview counts (as qunkit prune --days N).")
@lexicon_option
@engine_options
@scope_options
@store_option
@output_options(formats=("html", "json"))
def report_cmd(names, trend_weeks, prune_days, lexicon, engine, scope, tz, store_dir, quiet, fmt):
    """One self-contained HTML report: groups ranked by risk, then a section per group.

    GROUP arguments are names or ids (default: every group in scope).  The page
    has activity (messages per day with a 7-day average, speakers and active
    rate per week against the practice's bands, members in and out, an hour x
    weekday heatmap), roles with each member's reasons and the group's
    structure, risk with its causes and its trend over past weeks, the reply
    network, keywords per month, the most replied-to messages, noise, and a
    prune preview.  It opens offline: no script, no font or image download;
    every name and message is escaped.

    \b
    Examples:
      qunkit report -o report.html
      qunkit report 读书会 --as-of 2024-06-30 -o 读书会.html
      qunkit analyze export.txt --html report.html     # straight from an export
      qunkit report --format json                      # the ranking only: group, risk score, level
      qunkit report --jobs 1 --no-cache -o r.html      # in this process, every group recomputed
    """
    from dataclasses import replace

    from ..commands.loading import open_store
    from ..commands.report import report

    scope = replace(scope, groups=tuple(scope.groups) + tuple(names))
    with group_progress("report", quiet) as bar:
        return report(open_store(store_dir), scope, lexicon=lexicon, tz=tz, trend_weeks=trend_weeks,
                      prune_days=prune_days, html=fmt == "html", engine=engine, progress=bar)
