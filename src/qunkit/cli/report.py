"""``qunkit report`` (one offline HTML file) and ``qunkit digest`` (a short summary per group and period)."""

from __future__ import annotations

import click

from ..vocabulary import PERIODS
from .options import lexicon_option, scope_options, store_option
from .output import output_options

DIGEST_FORMATS = ("text", "markdown", "json")


@click.command("digest")
@click.option("--period", type=click.Choice(PERIODS), default="week", show_default=True,
              help="The last complete day, week or month (each group's own calendar) before --as-of.")
@lexicon_option
@scope_options
@store_option
@output_options(formats=DIGEST_FORMATS)
def digest_cmd(period, lexicon, scope, tz, store_dir, quiet, fmt):
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

    return digest(open_store(store_dir), scope, period=period, fmt=fmt, lexicon=lexicon, tz=tz)
