"""The operator's toolkit commands (``qunkit signups``, ``qunkit core``): options in, one ``qunkit.commands.operator`` call out."""

from __future__ import annotations

import click

from .options import scope_options, store_option
from .output import output_options
from .prune import Duration


@click.command("signups")
@click.option("--window", type=Duration(), default="168h", show_default=True,
              help="Re-posts of one 接龙 (same title) at most this far apart (168h = 7 days) are one chain.")
@click.option("--all", "all_chains", is_flag=True, help="Every chain in scope, not only each group's latest.")
@click.option("--only", type=click.Choice(["signed", "missing"]), default=None,
              help="Only signers, or only present members who did not sign.")
@scope_options
@store_option
@output_options
def signups_cmd(window, all_chains, only, scope, tz, store_dir, quiet):
    """Who signed a 接龙 (sign-up chain), and which current members did not.

    A 接龙 is a title line and a numbered list (1. 张三 / 2. 李四 +1) that each
    member re-posts with their own line added.  The longest, then latest,
    version is the chain's final list; each entry goes to the member its name
    resolves to, else to whoever first posted it (matched_by says which).

    \b
    Examples:
      qunkit signups
      qunkit signups --group 读书会 --since 2024-03-01 --only missing
      qunkit signups --all --format csv > signups.csv
    """
    from ..commands.loading import open_store
    from ..commands.operator import signups

    return signups(open_store(store_dir), scope, window=window, all_chains=all_chains, only=only, tz=tz)


@click.command("core")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True, help="Candidates per group.")
@scope_options
@store_option
@output_options
def core_cmd(top, scope, tz, store_dir, quiet):
    """Members to invite into a core group (核心群) or cultivate as KOLs, ranked with reasons.

    \b
    Ranked on four figures, each as a percentile within the group:
      starts    discussions they began (after 2 h of silence) that 3+ others joined
      answers   substantive answers
      months    calendar months in which they spoke
      repliers  different people who replied to them
    Advertisers and former members are left out; groups_core counts the groups
    where the same id is in the top --top.

    \b
    Examples:
      qunkit core
      qunkit core --top 5 --since 2024-01-01 --format csv > core.csv
    """
    from ..commands.loading import open_store
    from ..commands.operator import core

    return core(open_store(store_dir), scope, top=top, tz=tz)
