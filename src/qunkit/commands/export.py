"""``qunkit export``: groups written out in another tool's format, and the summary of files written."""

from __future__ import annotations

from pathlib import Path

from ..analysis.scope import Scope
from ..export.groups import export_groups
from .result import Note, Result

EXPORT_COLUMNS = ("file", "group_id", "group_name", "messages", "members")


def export(store, scope: Scope, output: Path | None = None, *, to: str = "chatlab", jsonl: bool = False) -> Result:
    """Write the groups in ``scope``; one row per file written."""
    done = export_groups(store, scope, output, to=to, jsonl=jsonl)
    notes: list[str | Note | None] = [Note("no messages in scope, nothing written for {items}", tuple(done.empty_groups))]
    if done.skipped_private:
        notes.append(f"{done.skipped_private} one-to-one chat(s) skipped (--include-private exports them)")
    return Result(rows=done.files, columns=EXPORT_COLUMNS, title=f"Exported {len(done.files)} file(s) ({to})",
                  notes=notes)
