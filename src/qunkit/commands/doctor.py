"""``qunkit doctor``: the store check (``qunkit.doctor``) as a result: one row per finding, exit 3 while damage remains."""

from __future__ import annotations

from ..doctor import check, repair
from ..errors import EXIT_BAD_INPUT
from ..store import Store
from .result import Result

COLUMNS = ["status", "group", "problem", "path", "repair"]


def doctor(store: Store, fix: bool = False) -> Result:
    """Check ``store`` (and with ``fix`` repair what is safe, under the store lock)."""
    found = repair(store) if fix else check(store)
    notes = list(found.notes)
    code = 0
    if found.damaged:
        left = sum(f.status != "repaired" for f in found.findings)
        hint = "see the repair column" if fix else "`qunkit doctor --repair` fixes what is safe"
        notes.append(f"{left} problem(s) remain in store {store.root}: {hint}")
        code = EXIT_BAD_INPUT
    return Result(rows=[f.as_dict() for f in found.findings], columns=COLUMNS, title="Store check", notes=notes,
                  exit_code=code)
