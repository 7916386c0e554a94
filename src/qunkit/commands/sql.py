"""``qunkit sql``: one read-only SELECT over the store's views (``qunkit.sqlquery``) as a Result."""

from __future__ import annotations

from ..derived import enabled
from ..sqlquery import VIEWS, query
from ..store import Store
from .result import Result


def sql(store: Store, statement: str) -> Result:
    """Run ``statement`` (SELECT / WITH only) over the store; the rows as the result."""
    rows = query(store, statement)
    notes = [f"{len(rows)} row(s); views: {', '.join(VIEWS)} (each with group_key)"]
    if not enabled(store):
        notes.append("this store keeps no facts or aggregates yet (views facts, members, member_day, group_day "
                     "are empty): `qunkit rebuild` computes them, and imports keep them fresh after that")
    return Result(rows=rows, columns=list(rows.columns), title="SQL", notes=notes)
