"""``qunkit doctor``: check the store, say how to repair it, ``--repair`` what is safe."""

from __future__ import annotations

import click

from ..errors import StoreError
from .options import format_option, open_store, store_option
from .output import emit

COLUMNS = ["status", "group", "problem", "path", "repair"]


@click.command("doctor")
@click.option("--repair", is_flag=True, help="Fix what is safe (under the store lock); say what needs you.")
@store_option
@format_option
def doctor_cmd(repair, store_dir, fmt):
    """Check the store: unreadable parts, missing or bad meta.json, imports whose data is gone,
    leftovers of interrupted writes, compaction journals.  Exit 0 healthy, 3 when damage remains.

    \b
    Examples:
      qunkit doctor
      qunkit doctor --repair && qunkit import exports/*.txt
    """
    from ..doctor import check
    from ..doctor import repair as run_repair

    store = open_store(store_dir)
    result = run_repair(store) if repair else check(store)
    emit([f.as_dict() for f in result.findings], fmt, columns=COLUMNS, title="Store check", notes=result.notes)
    if result.damaged:
        left = sum(f.status != "repaired" for f in result.findings)
        hint = "see the repair column" if repair else "`qunkit doctor --repair` fixes what is safe"
        raise StoreError(f"{left} problem(s) remain in store {store.root}: {hint}")
