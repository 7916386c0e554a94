"""``qunkit rebuild``."""

from __future__ import annotations

import click

from .options import store_option
from .output import output_options


@click.command("rebuild")
@click.option("--group", "groups", multiple=True, help="Group name or id (repeatable). Default: all groups.")
@click.option("--force", is_flag=True, help="Recompute even the groups whose facts are up to date.")
@store_option
@output_options
def rebuild_cmd(groups, force, store_dir, quiet):
    """Recompute per-message facts and the aggregates where stale (new lexicon or qunkit version).

    \b
    Import keeps them up to date; after an upgrade that changes the facts'
    definitions or the built-in lexicons, `qunkit doctor` reports the groups
    whose facts are stale and this recomputes them (one group at a time, so
    memory is bounded by the largest group).

    \b
    Examples:
      qunkit rebuild
      qunkit rebuild --group 读书会 --force
    """
    from ..commands.loading import open_store
    from ..commands.rebuild import rebuild

    return rebuild(open_store(store_dir), groups, force=force)
