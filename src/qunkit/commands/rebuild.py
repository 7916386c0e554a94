"""``qunkit rebuild``: recompute the facts and aggregates of stale groups (or all, with ``force``)."""

from __future__ import annotations

from collections.abc import Iterable

from ..derived import TABLES, enable, refresh_group, staleness
from ..engine import Engine, Progress, map_groups
from ..facts import FACTS_VERSION
from ..store import Store
from .result import Note, Result

COLUMNS = ["group_name", "group_key", "messages", "status", "reason"]


def rebuild(store: Store, groups: Iterable[str] = (), force: bool = False, engine: Engine | None = None,
            progress: Progress | None = None) -> Result:
    """Recompute the derived tables of ``groups`` (default all) that are stale, or of all of them
    with ``force``, under the store lock; one row per group says what was done and why.  The first
    rebuild of a store turns them on: later imports keep them fresh (``qunkit.derived``).  Groups are
    recomputed in parallel on ``engine`` (default: a process per core, biggest groups first; memory
    is bounded by the largest group per worker)."""
    rows = []
    with store.lock():
        enable(store)
        metas = store.metas()
        keys = store.keys_for(groups)
        why = {k: staleness(store, k) for k in keys}
        todo = [k for k in keys if force or why[k] is not None]
        counts = {k: store.row_count(k) for k in todo}
        done = dict(zip(todo, map_groups(store, refresh_group, engine=engine, progress=progress, keys=todo,
                                         rows=counts), strict=True))
        for key in keys:
            if key in done:
                rows.append(_row(metas[key], key, done[key], "rebuilt", why[key] or "--force"))
            else:
                rows.append(_row(metas[key], key, store.row_count(key), "fresh", "up to date"))
    rebuilt = [r["group_name"] for r in rows if r["status"] == "rebuilt"]
    notes = [Note("rebuilt {items}", tuple(rebuilt)) if rebuilt else "every group's facts were up to date",
             f"facts version {FACTS_VERSION}; tables: {', '.join(TABLES)}"]
    return Result(rows=rows, columns=COLUMNS, title="Rebuild", notes=notes)


def _row(meta: dict, key: str, messages: int, status: str, reason: str) -> dict:
    return {"group_name": meta["group_name"], "group_key": key, "messages": messages, "status": status,
            "reason": reason}
