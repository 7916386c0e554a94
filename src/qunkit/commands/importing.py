"""``qunkit import`` and the import step of ``qunkit analyze``, as a result.

Importing itself (parsing, the store, the per-file progress lines) is the
ingest pipeline's; this turns its per-file results into the rows every
renderer prints.
"""

from __future__ import annotations

from collections.abc import Sequence

from .result import Note, Result

IMPORT_COLUMNS = ("file", "format", "encoding", "messages", "added", "duplicates", "skipped_unchanged", "groups")


def import_result(results: Sequence) -> Result:
    """One row per imported file (``ImportResult.as_dict()``), a compact table and what needs a look."""
    rows = [r.as_dict() for r in results]
    table = [{"file": d.get("file"), "format": d.get("format"), "encoding": d.get("encoding"),
              "messages": d.get("messages"), "added": d.get("added"), "duplicates": d.get("duplicates"),
              "skipped_unchanged": d.get("skipped_unchanged"), "groups": list(d.get("groups") or [])}
             for d in rows]
    bad = [str(d.get("file")) for d in rows if d.get("bad_lines")]
    passed = [str(d.get("file")) for d in rows if d.get("skipped")]
    done = len(rows) - len(passed)
    return Result(rows=rows, title=f"Imported {done} file(s)", table=table, table_columns=IMPORT_COLUMNS,
                  notes=[Note("lines not understood in {items} (imported the rest; --strict refuses them)",
                              tuple(bad), noun="file"),
                         Note("not imported: {items} (not chat exports; the import line says why)",
                              tuple(passed), noun="file")])
