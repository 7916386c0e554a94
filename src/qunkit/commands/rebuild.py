"""``qunkit rebuild``: recompute the facts and aggregates of stale groups (or all, with ``force``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import replace

from ..analysis.scope import Scope
from ..derived import TABLES, enable, refresh_group, staleness
from ..engine import Engine, GroupInput, Progress, batched, map_groups, reads_text_flags, run, split_records
from ..errors import StoreError
from ..facts import FACTS_VERSION
from ..store import Store
from .moments import weekly_risk
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
                                         rows=counts, replay=False, reuse=not force), strict=True))
        fill_weekly(store, todo, engine, progress)
        for key in keys:
            if key in done:
                rows.append(_row(metas[key], key, done[key], "rebuilt", why[key] or "--force"))
            else:
                rows.append(_row(metas[key], key, store.row_count(key), "fresh", "up to date"))
    rebuilt = [r["group_name"] for r in rows if r["status"] == "rebuilt"]
    notes = [Note("rebuilt {items}", tuple(rebuilt)) if rebuilt else "every group's facts were up to date",
             f"facts version {FACTS_VERSION}; tables: {', '.join(TABLES)}"]
    return Result(rows=rows, columns=COLUMNS, title="Rebuild", notes=notes)


def fill_weekly(store: Store, keys: list[str], engine: Engine | None = None, progress: Progress | None = None) -> None:
    """Replay the weekly risk points the groups ``keys`` lack (``refresh(replay=False)`` kept only those
    that still hold) with the groups batched as analyses batch them: one replay per moment for a batch
    of groups, not per group (per group, the replays cost more than the facts).  Lock held.  A group
    that cannot be read keeps the points it has (a report replays the others)."""
    if not keys:
        return
    metas = store.metas()
    every = set(keys) == set(metas)
    scope = Scope(include_private=True, groups=() if every else tuple(str(metas[k]["group_id"]) for k in keys))
    with contextlib.suppress(StoreError):    # every group unreadable: the warnings named the parts
        run(store, scope, weekly_group, engine=replace(engine or Engine(), cache=False), progress=progress)


@reads_text_flags
@batched(split_records)
def weekly_group(g: GroupInput) -> list[dict]:
    """``weekly_risk`` of the group(s) of one engine task, completing the ``risk_weekly`` tables the
    facts pass wrote (each worker writes only its own groups' files)."""
    from ..analysis.text_features import prepare_features  # noqa: PLC0415

    key_of = {str(m.get("group_id", k)): k for k, m in g.store.metas().items()}
    old = {gid: g.store.read_table("risk_weekly", [k]) for gid, k in key_of.items()}
    tables = weekly_risk(g.store, g.messages, prepare_features(g.messages, g.as_of), old)
    for gid, table in tables.items():
        g.store.write_table("risk_weekly", key_of[gid], table)
    return [{"group_id": gid, "points": t.num_rows} for gid, t in tables.items()]


def _row(meta: dict, key: str, messages: int, status: str, reason: str) -> dict:
    return {"group_name": meta["group_name"], "group_key": key, "messages": messages, "status": status,
            "reason": reason}
