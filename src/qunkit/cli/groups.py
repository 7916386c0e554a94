"""``qunkit groups``."""

from __future__ import annotations

import click

from .options import engine_options, store_option
from .output import output_options
from .progress import group_progress


@click.command("groups")
@engine_options
@store_option
@output_options
def groups_cmd(engine, store_dir, quiet):
    """List the groups in the store with their size and period.

    \b
    Examples:
      qunkit groups
      qunkit groups --format json | jq '.[].group_name'
    """
    from ..commands.groups import groups
    from ..commands.loading import open_store

    with group_progress("groups", quiet) as bar:
        return groups(open_store(store_dir), engine=engine, progress=bar)
