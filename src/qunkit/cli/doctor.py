"""``qunkit doctor``: check the store, say how to repair it, ``--repair`` what is safe."""

from __future__ import annotations

import click

from .options import store_option
from .output import output_options


@click.command("doctor")
@click.option("--repair", is_flag=True, help="Fix what is safe (under the store lock); say what needs you.")
@store_option
@output_options
def doctor_cmd(repair, store_dir, quiet):
    """Check the store for damage and say how to repair it; --repair does what is safe.

    \b
    Looks for unreadable parts, missing or bad meta.json, imports whose data is
    gone, leftovers of interrupted writes and compaction journals.
    Exit 0 healthy, 3 when damage remains.

    \b
    Examples:
      qunkit doctor
      qunkit doctor --repair && qunkit import exports/*.txt
    """
    from ..commands.doctor import doctor
    from ..commands.loading import open_store

    return doctor(open_store(store_dir), fix=repair)
