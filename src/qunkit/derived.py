"""Keeping a group's derived tables (facts, features, members, member_day, group_day, risk_weekly) in step with its messages.

One owner for *when* they are recomputed: ingest calls ``refresh_stale`` for the groups an import
touched (after their messages are committed, before imports.json), ``attach_roster`` for the group
whose roster changed, ``qunkit rebuild`` for any group, ``qunkit doctor`` reports stale ones.

They are opt-in per store: computing them costs about three times the import itself (acts,
reply links and aggregates over every message of a changed group), so a store gets them from its
first ``qunkit rebuild`` (or ``import --facts``), which records ``"derived": true`` in store.json;
from then on every import keeps them fresh and doctor checks them.  A store that never asked pays
nothing.  What analyses read of them: the members (``stored_members``), the group's features over all
its messages (``stored_features``: a run whose scope keeps every message computes no features again)
and otherwise the per-text flags (``stored_text_flags``), so that a run scans no text of a fresh group again;
the report's risk trend reads the scores replayed at past week starts (``stored_weekly_risk``).

A group's tables are stale unless ``groups/<key>/derived.json`` (written last, after the four
tables) records exactly the current stamp: ``FACTS_VERSION``, the lexicon hash, the number of
stored messages and the roster's digest.  Messages are only ever added (or moved aside by a
repair), so the count changes whenever they do.  A crash between the tables and the stamp
leaves the group stale, and the next import of it, ``rebuild`` or ``doctor --repair`` redoes it.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa

from .schema import MEMBERS, RISK_WEEKLY
from .store import Store, kill_point

TABLES = ("facts", "features", "members", "member_day", "group_day", "risk_weekly")


# facts and aggregates (jieba, DuckDB, the act lexicons: ~0.2 s and ~25 MB to load) are imported where
# they are used: a plain import of a store without derived tables never loads them


def current_stamp(store: Store, key: str) -> dict:
    """What group ``key``'s derived tables must have been computed from to be fresh."""
    from .facts import FACTS_VERSION, lexicon_hash  # noqa: PLC0415 (see above)

    return {"facts_version": FACTS_VERSION, "lexicon": lexicon_hash(), "messages": store.row_count(key),
            "roster": store.roster_digest(key)}


def staleness(store: Store, key: str) -> str | None:
    """Why group ``key``'s derived tables are stale (None: fresh)."""
    got, want = store.derived_stamp(key), current_stamp(store, key)
    if got is None:
        return "facts and aggregates missing"
    if got.get("facts_version") != want["facts_version"]:
        return f"facts version {got.get('facts_version')} (this qunkit computes version {want['facts_version']})"
    if got.get("lexicon") != want["lexicon"]:
        return "the lexicons changed since the facts were computed"
    if got.get("messages") != want["messages"]:
        return f"computed from {got.get('messages')} messages, {want['messages']} stored"
    if got.get("roster") != want["roster"]:
        return "the roster changed since the facts were computed"
    if not all(store.has_table(t, key) for t in TABLES):
        return "a derived table file is missing"
    return None


def fresh(store: Store, keys: list[str]) -> bool:
    """Whether the store keeps derived tables and every one of groups ``keys`` has fresh ones (what the
    ``stored_*`` readers below require)."""
    return enabled(store) and all(staleness(store, k) is None for k in keys)


def stored_text_flags(store: Store, keys: list[str], msg_keys: np.ndarray) -> dict[str, np.ndarray] | None:
    """The facts' per-text flags (``text_features.STORED_FLAGS`` columns) of the messages ``msg_keys`` of
    the fresh groups ``keys``, aligned to them by msg_key; None (scan the texts instead) unless every
    message has its row."""
    from .analysis.text_features import STORED_FLAGS  # noqa: PLC0415 (see above)

    table = store.read_table("facts", keys, columns=["msg_key", *STORED_FLAGS])
    if table is None:
        return None
    index = pd.Index(table.column("msg_key").to_numpy())
    if not index.is_unique:
        return None
    rows = index.get_indexer(np.asarray(msg_keys, np.uint64))
    if (rows < 0).any():
        return None
    return {c: table.column(c).to_numpy()[rows] for c in STORED_FLAGS}


def stored_reply_links(store: Store, keys: list[str], messages: pd.DataFrame) -> pd.DataFrame | None:
    """``analysis.replies.reply_links(messages)`` read from the fresh groups' facts (the links ``compute_facts``
    made over each group's messages at import), aligned by msg_key; None (compute them instead) unless every
    message and every answered message has its row."""
    from .analysis.replies import link_frame  # noqa: PLC0415 (see above)

    if "msg_key" not in messages.columns:
        return None
    table = store.read_table("facts", keys, columns=["msg_key", "reply_to", "reply_evidence", "reply_confidence"])
    if table is None:
        return None
    own = messages["msg_key"].to_numpy(np.uint64)
    at, index = pd.Index(own), pd.Index(table.column("msg_key").to_numpy())
    if not (at.is_unique and index.is_unique):
        return None
    rows = index.get_indexer(own)
    if (rows < 0).any():
        return None
    reply_to = table.column("reply_to")
    has = reply_to.is_valid().to_numpy(zero_copy_only=False)[rows]
    target = np.where(has, at.get_indexer(reply_to.fill_null(0).to_numpy().astype(np.uint64)[rows]), -1)
    if (has & (target < 0)).any():
        return None
    evidence = np.asarray(table.column("reply_evidence").to_numpy(zero_copy_only=False), dtype=object)[rows]
    # stored as float32; reply_links rounds to 3 decimals, which the float32 keeps exactly enough to restore
    confidence = np.round(table.column("reply_confidence").to_numpy().astype(np.float64)[rows], 3)
    return link_frame(messages, target, evidence, confidence)


def stored_members(store: Store, keys: list[str]) -> pd.DataFrame | None:
    """The stored members of the fresh groups ``keys``, as ``derive_members`` gives them over all their
    messages (rows, order, types).  Only for a task whose scope kept every message of its groups: the
    stamp's message count and roster digest say the table was derived from exactly these."""
    from .members import conform_table  # noqa: PLC0415

    table = store.read_table("members", keys)
    if table is None:
        return None
    out = conform_table(table.drop_columns("group_key"))
    return out.sort_values(["group_id", "member_id"], kind="stable").reset_index(drop=True)


def stored_features(store: Store, keys: list[str], group_ids: dict[str, str], messages: pd.DataFrame,
                    as_of: pd.Timestamp):  # -> Features | None (text_features is imported lazily)
    """The ``Features`` of ``messages`` -- every message of the fresh groups ``keys`` (group key -> id in
    ``group_ids``), with ``msg_key`` -- from their stored features tables (``analysis.stored_features``);
    None (compute them) when the tables do not cover exactly these messages."""
    from .analysis.stored_features import assemble  # noqa: PLC0415

    tables = {k: store.read_table("features", [k]) for k in keys}
    return assemble(messages, tables, group_ids, as_of)


def stored_weekly_risk(store: Store, keys: list[str]) -> pd.DataFrame | None:
    """The ``risk_weekly`` rows (group_key, week_start, score, level) of the fresh groups ``keys``; only for a
    task whose scope kept every message of its groups (what they were replayed from)."""
    table = store.read_table("risk_weekly", keys, columns=["week_start", "score", "level"])
    return None if table is None else table.to_pandas()


def refresh(store: Store, key: str, replay: bool = True, reuse: bool = True) -> int:
    """Recompute group ``key``'s derived tables from its messages and roster (call with the lock held);
    returns the number of messages.  Memory is bounded by the group, not the store.  The weekly risk
    points of the previous tables are kept where they still hold and the others replayed
    (``moments.weekly_risk``; ``replay=False``: left for ``fill_weekly``, which replays many groups at
    once: ``qunkit rebuild``; ``reuse=False``: none kept, ``rebuild --force``)."""
    from .aggregates import aggregate  # noqa: PLC0415 (see above)
    from .commands.moments import weekly_risk  # noqa: PLC0415
    from .facts import compute_derived  # noqa: PLC0415

    stamp = current_stamp(store, key)
    before = store.derived_stamp(key) or {}
    same = reuse and all(before.get(k) == stamp[k] for k in ("facts_version", "lexicon", "roster"))
    old = store.read_table("risk_weekly", [key]) if same and store.has_table("risk_weekly", key) else None
    messages = store.messages([key])
    members = store.members([key], messages=messages)
    facts, features, prepared, ordered = compute_derived(messages, members)
    group_id = str(messages["group_id"].iloc[0]) if len(messages) else key
    weekly = weekly_risk(store, ordered, prepared, {group_id: old}, replay=replay).get(group_id)
    member_day, group_day = aggregate(facts, group_id)
    store.write_table("facts", key, facts)
    if features is not None:
        store.write_table("features", key, features)
    store.write_table("members", key, pa.Table.from_pandas(members, schema=MEMBERS, preserve_index=False))
    store.write_table("member_day", key, member_day)
    store.write_table("group_day", key, group_day)
    store.write_table("risk_weekly", key, weekly if weekly is not None else _empty_weekly())
    kill_point("derived_written")
    store.write_derived_stamp(key, stamp)
    return len(messages)


def _empty_weekly() -> pa.Table:
    return RISK_WEEKLY.empty_table()


def refresh_group(store: Store, key: str, meta: dict, replay: bool = True,  # noqa: ARG001 (the task signature)
                  reuse: bool = True) -> int:
    """``refresh`` as an ``engine.map_groups`` task (a worker of ``qunkit rebuild --jobs``): the caller
    holds the store lock; each worker writes only its own group's files."""
    return refresh(store, key, replay=replay, reuse=reuse)


def enabled(store: Store) -> bool:
    """Whether this store keeps facts and aggregates (see the module docstring)."""
    return bool(store.setting("derived", False))


def enable(store: Store) -> None:
    """From now on, imports keep this store's facts and aggregates fresh."""
    if not enabled(store):
        store.set_setting("derived", True)


def refresh_stale(store: Store, keys: Iterable[str]) -> list[str]:
    """Refresh those of ``keys`` that are stale (lock held), if the store keeps derived tables;
    returns the keys refreshed."""
    if not enabled(store):
        return []
    done = []
    for key in keys:
        if store.parts(key) and staleness(store, key) is not None:
            refresh(store, key)
            done.append(key)
    return done


def stale_groups(store: Store, keys: Iterable[str] | None = None) -> dict[str, str]:
    """key -> why, for every readable group (or ``keys``) whose derived tables are stale (none
    when the store does not keep them)."""
    if not enabled(store):
        return {}
    keys = list(store.metas()) if keys is None else list(keys)
    out = {}
    for key in keys:
        why = staleness(store, key)
        if why is not None:
            out[key] = why
    return out


def orphans(store: Store) -> list[str]:
    """Groups with derived tables but no messages (their group folder was removed)."""
    have = {k for t in TABLES for k in store.table_keys(t)}
    return sorted(k for k in have if not store.parts(k))
