"""``qunkit activity``, ``qunkit roles`` and ``qunkit risk``: options in, one ``qunkit.commands.analysis`` call out."""

from __future__ import annotations

from dataclasses import replace

import click

from ..vocabulary import PERIODS, ROLES
from .options import FiniteFloatRange, engine_options, lexicon_option, scope_options, store_option
from .output import output_options
from .progress import group_progress


@click.command("activity")
@click.option("--by", type=click.Choice(PERIODS), default="week", show_default=True,
              help="Period length, in each group's local calendar.")
@lexicon_option
@engine_options
@scope_options
@store_option
@output_options
def activity_cmd(by, lexicon, engine, scope, tz, store_dir, quiet):
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
    from ..commands.analysis import activity
    from ..commands.loading import open_store

    with group_progress("activity", quiet) as bar:
        return activity(open_store(store_dir), scope, by=by, lexicon=lexicon, tz=tz, engine=engine, progress=bar)


@click.command("roles")
@click.option("--role", "only", multiple=True, type=click.Choice(ROLES),
              help="Show only members with this main role (repeatable).")
@click.option("--include-lurkers/--hide-lurkers", default=True, show_default=True,
              help="Lurkers are usually most of a group; hide them in long tables.")
@click.option("--at-group-end", is_flag=True,
              help="Judge each group at its own newest message, not the newest of all groups: a group whose "
                   "export ended long ago keeps the roles it had (not with --as-of).")
@lexicon_option
@engine_options
@scope_options
@store_option
@output_options
def roles_cmd(only, include_lurkers, at_group_end, lexicon, engine, scope, tz, store_dir, quiet):
    """Each member's main role, the score per role and the reasons behind it.

    \b
    Roles (seed 000 of the practice, plus the advertisers it prunes):
      organizer   the group's upkeep: notices, @全体成员, rule reminders, welcoming
                  newcomers (not 欢迎加入<公司>); owner/admin; invites, removals
      thinker     one of the group's few most substantive voices: explanations that
                  draw replies from several different people, ranked within the group
      joker       laughter, banter (also "哈哈哈？"), stickers, red packets
      asker       real questions (请问, 怎么, 有没有人 ... with or without "?")
      challenger  complaints about the group, its rules, management or content
      lurker      speaks rarely or never for the time they have been a member, or
                  only a handful of trivial messages ("1", 收到, 好的)
      advertiser  ads: recruiting, sales, prices, contact ids, links, repeats

    Each role's reasons lead with the count that decided it.

    Roster members who never spoke are included; without a roster only members
    seen in the log can be judged and the output says so.

    \b
    Examples:
      qunkit roles --group 读书会 --role thinker --role organizer
      qunkit roles --format csv -o roles.csv
      qunkit roles --format json | jq '.[] | select(.role == "advertiser") | .member_name'
      qunkit roles --at-group-end      # exports that end at different times

    By default every group is judged at one moment, the newest message in scope
    (or --as-of): a member's rate counts the months up to it, so in a group whose
    export ended a year earlier everyone looks quiet.  --at-group-end judges
    each group at its own newest message instead.
    """
    from ..commands.analysis import roles
    from ..commands.loading import open_store

    if at_group_end:
        if scope.as_of is not None:
            raise click.UsageError("--at-group-end judges each group at its own newest message: "
                                   "leave out --as-of, or leave out --at-group-end")
        scope = replace(scope, at_group_end=True)

    with group_progress("roles", quiet) as bar:
        return roles(open_store(store_dir), scope, only=only, include_lurkers=include_lurkers, lexicon=lexicon,
                     tz=tz, engine=engine, progress=bar)


@click.command("risk")
@click.option("--fail-above", type=FiniteFloatRange(0, 100), default=None, metavar="N",
              help="Exit 1 when any group scores N or more (for cron alerts).")
@lexicon_option
@engine_options
@scope_options
@store_option
@output_options
def risk_cmd(fail_above, lexicon, engine, scope, tz, store_dir, quiet):
    """Rank groups by dead-group risk (0-100) with the causes behind each score.

    \b
    Causes (the practice's reasons groups die): long silence, falling volume,
    fewer speakers, one voice talking alone (the owner and admins count as
    one), no conversation, replies falling, unanswered questions, floods and
    ads, organizers gone quiet, no newcomers, members leaving, a WeChat group
    past its usual 3-4 months.  A holiday lull (calendar or the group's own
    holiday greetings), a group that shrank and held steady, and a group
    coming back to life are not flagged as dying.

    Beside the score (never in it): the group type (seed 002: strong-relationship,
    purpose, negative-value or unclear) with its figures; a negative-value group
    (助力 / ads / 刷单) is noted as not worth saving.

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
    from ..commands.analysis import risk
    from ..commands.loading import open_store

    with group_progress("risk", quiet) as bar:
        return risk(open_store(store_dir), scope, fail_above=fail_above, lexicon=lexicon, tz=tz, engine=engine,
                    progress=bar)
