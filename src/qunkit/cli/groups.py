"""``qunkit groups``."""

from __future__ import annotations

import click

from .options import store_option
from .output import output_options


@click.command("groups")
@store_option
@output_options
def groups_cmd(store_dir, quiet):
    """List the groups in the store with their size and period.

    \b
    Examples:
      qunkit groups
      qunkit groups --format json | jq '.[].group_name'
    """
    from ..commands.groups import groups
    from ..commands.loading import open_store

    return groups(open_store(store_dir))
