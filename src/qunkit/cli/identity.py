"""``qunkit names``: options in, one ``qunkit.commands.identity`` call out."""

from __future__ import annotations

import click

from .options import scope_options, store_option
from .output import output_options


@click.command("names")
@click.option("--renamed", is_flag=True, help="Only members seen under more than one name.")
@click.option("--merges", "list_merges", is_flag=True,
              help="List the ids counted as one person instead (the export's evidence, or --merge FILE).")
@scope_options
@store_option
@output_options
def names_cmd(renamed, list_merges, scope, tz, store_dir, quiet):
    """Each member's names over time (群名片, account name, join lines), and ids merged as one person.

    One row per (member, name): seen_as says where the name was seen (card =
    the name the group showed, the 群名片 when set; account = the account
    nickname, in exports that keep it; join/leave = a join or leave line), with
    the first and last time.  Ids the export shows for one person are counted
    as one (--merges says which and why); --merge FILE adds your own list to
    every analysis command.

    \b
    Examples:
      qunkit names --renamed
      qunkit names --merges --group 读书会
      qunkit roles --merge same_people.csv
    """
    from ..commands.identity import names
    from ..commands.loading import open_store

    return names(open_store(store_dir), scope, renamed=renamed, merges=list_merges, tz=tz)
