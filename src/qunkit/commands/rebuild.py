"""``qunkit rebuild``: recompute the facts and aggregates of stale groups (or all, with ``force``)."""

from __future__ import annotations

from collections.abc import Iterable

from ..derived import enable, refresh, staleness
from ..facts import FACTS_VERSION
from ..store import Store
from .result import Note, Result

COLUMNS = ["group_name", "group_key", "messages", "status", "reason"]


def rebuild(store: Store, groups: Iterable[str] = (), force: bool = False) -> Result:
    """Recompute the derived tables of ``groups`` (default all) that are stale, or of all of them
    with ``force``, under the store lock; one row per group says what was done and why.  The first
    rebuild of a store turns them on: later imports keep them fresh (``qunkit.derived``)."""
    rows = []
    with store.lock():
        enable(store)
        metas = store.metas()
        for key in store.keys_for(groups):
            why = staleness(store, key)
            if why is None and not force:
                rows.append(_row(metas[key], key, store.row_count(key), "fresh", "up to date"))
                continue
            n = refresh(store, key)
            rows.append(_row(metas[key], key, n, "rebuilt", why or "--force"))
    done = [r["group_name"] for r in rows if r["status"] == "rebuilt"]
    notes = [Note("rebuilt {items}", tuple(done)) if done else "every group's facts were up to date",
             f"facts version {FACTS_VERSION}; tables: facts, members, member_day, group_day"]
    return Result(rows=rows, columns=COLUMNS, title="Rebuild", notes=notes)


def _row(meta: dict, key: str, messages: int, status: str, reason: str) -> dict:
    return {"group_name": meta["group_name"], "group_key": key, "messages": messages, "status": status,
            "reason": reason}
