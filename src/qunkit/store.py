"""The Parquet store: one directory, one sub-directory per group.

::

    STORE/
      .lock                                  held while writing (cron imports may race)
      imports.json                           fingerprints of imported files (cheap nightly re-imports)
      groups/<key>/meta.json                 group_id, group_name, platform, chat_type, names seen
      groups/<key>/messages/part-*.parquet   schema.MESSAGES rows
      groups/<key>/roster.parquet            the member roster attached to the group, if any

``<key>`` is a hash of (platform, group_id): a group called ``../../etc`` can
never name a path.  Every file is written as ``.tmp-*`` beside its target and
renamed into place, so readers never see half a file; a crashed import leaves
only ignorable temp files and a re-run completes it, because rows are
de-duplicated on ``msg_key`` against what is already stored.  Other tools can
read ``STORE/groups/*/messages/*.parquet`` directly (pandas, DuckDB, Spark, Dask).

This module is persistence only; importing (sniffing, parsing, de-duplication,
rosters, the fingerprint policy) lives in ``qunkit.ingest``.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import StoreError, UsageProblem
from .schema import MESSAGES

COMPACT_AFTER_PARTS = 8       # more parts than this in a group: merge them into one
LOCK_TIMEOUT_S = 600


def group_key(platform: str, group_id: str) -> str:
    """The folder name of a group: a hash, so no group name or id can ever name a path."""
    return hashlib.sha256(f"{platform}\0{group_id}".encode()).hexdigest()[:16]


class Store:
    """A store directory: group folders, atomic part writes, rosters, ``imports.json``, the lock, reads."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root).expanduser()
        self.groups_dir = self.root / "groups"

    # -- writing -------------------------------------------------------------------------------
    def lock(self):
        from filelock import FileLock, Timeout

        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create store directory {self.root}: {exc.strerror}") from None
        lock = FileLock(str(self.root / ".lock"), timeout=LOCK_TIMEOUT_S)

        class _Held:
            def __enter__(s):
                try:
                    lock.acquire()
                except Timeout:
                    raise StoreError(f"store {self.root} is locked by another qunkit process "
                                     f"(waited {LOCK_TIMEOUT_S}s)") from None
                self._recover()
                return s

            def __exit__(s, *exc):
                lock.release()

        return _Held()

    def write_part(self, key: str, tables: list[pa.Table]) -> Path:
        """Write rows of group ``key`` (sorted by time) as a hidden temp part; ``commit`` publishes it."""
        table = pa.concat_tables(tables).sort_by([("ts", "ascending")])
        folder = self.groups_dir / key / "messages"
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".tmp-part-{uuid.uuid4().hex}.parquet"
        pq.write_table(table, tmp, compression="zstd")
        return tmp

    def commit(self, pending: list[Path]) -> None:
        """Rename temp parts from ``write_part`` into place, then compact the groups that grew too many."""
        for tmp in pending:
            os.replace(tmp, tmp.with_name(tmp.name.removeprefix(".tmp-")))
        for key in {t.parent.parent.name for t in pending}:
            self._maybe_compact(self.groups_dir / key)

    @staticmethod
    def discard(pending: list[Path]) -> None:
        """Drop temp parts from ``write_part`` that will not be committed (readers never saw them)."""
        for tmp in pending:
            tmp.unlink(missing_ok=True)

    def existing_keys(self, key: str) -> np.ndarray:
        """Sorted unique ``msg_key`` values already stored for group ``key``."""
        parts = self._parts(key)
        if not parts:
            return np.zeros(0, np.uint64)
        keys = [pq.read_table(p, columns=["msg_key"])["msg_key"].to_numpy() for p in parts]
        return np.unique(np.concatenate(keys))

    def update_meta(self, key: str, *, platform: str, group_id: str, names: list[str], latest: str,
                    chat_type: str) -> None:
        """Create or update ``meta.json``: ``latest`` becomes the group's name, ``names`` join the names seen."""
        path = self.groups_dir / key / "meta.json"
        meta = self._read_json(path, None) or {"group_id": group_id, "platform": platform, "names": []}
        meta["names"] += [n for n in dict.fromkeys(names) if n not in meta["names"]]
        meta["group_name"] = latest
        meta["chat_type"] = chat_type
        self._write_json(path, meta)

    def read_imports(self) -> dict[str, dict]:
        """``imports.json``: fingerprint -> what was imported (the policy lives in ``qunkit.ingest``)."""
        return self._read_json(self.root / "imports.json", {})

    def write_imports(self, imports: dict[str, dict]) -> None:
        self._write_json(self.root / "imports.json", imports)

    def _maybe_compact(self, gdir: Path) -> None:
        parts = sorted((gdir / "messages").glob("part-*.parquet"))
        if len(parts) <= COMPACT_AFTER_PARTS:
            return
        new = gdir / "messages" / f"part-{uuid.uuid4().hex}.parquet"
        tmp = new.with_name(".tmp-" + new.name)
        # streamed one row group at a time: memory stays bounded however large the group is
        with pq.ParquetWriter(tmp, MESSAGES, compression="zstd") as writer:
            for p in parts:
                pf = pq.ParquetFile(p)
                for i in range(pf.num_row_groups):
                    writer.write_table(pf.read_row_group(i).cast(MESSAGES))
        journal = gdir / "compact.json"
        self._write_json(journal, {"new": new.name, "old": [p.name for p in parts]})
        os.replace(tmp, new)
        for p in parts:
            p.unlink(missing_ok=True)
        journal.unlink(missing_ok=True)

    def _recover(self) -> None:
        """Finish or roll back what a crashed writer left (called with the lock held)."""
        if not self.groups_dir.exists():
            return
        for gdir in self.groups_dir.iterdir():
            journal = gdir / "compact.json"
            if journal.exists():
                j = self._read_json(journal, {})
                if (gdir / "messages" / j.get("new", "-")).exists():
                    for name in j.get("old", []):
                        (gdir / "messages" / name).unlink(missing_ok=True)
                journal.unlink(missing_ok=True)
            for tmp in gdir.glob("**/.tmp-*"):
                tmp.unlink(missing_ok=True)

    def write_roster(self, key: str, roster: pd.DataFrame) -> None:
        path = self.groups_dir / key / "roster.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(".tmp-roster.parquet")
        roster.to_parquet(tmp, index=False)
        os.replace(tmp, path)

    # -- reading -------------------------------------------------------------------------------
    def _parts(self, key: str) -> list[Path]:
        return sorted((self.groups_dir / key / "messages").glob("part-*.parquet"))

    def metas(self) -> dict[str, dict]:
        if not self.groups_dir.exists():
            return {}
        out = {}
        for gdir in sorted(self.groups_dir.iterdir()):
            meta = self._read_json(gdir / "meta.json", None)
            if meta:
                out[gdir.name] = meta
        return out

    def resolve_group(self, name_or_id: str) -> str:
        """Group key for a group name (any name it had), id or key."""
        metas = self.metas()
        for key, m in metas.items():
            if name_or_id in (key, m.get("group_id"), m.get("group_name")):
                return key
        for key, m in metas.items():
            if name_or_id in m.get("names", []):
                return key
        known = ", ".join(sorted(m.get("group_name", "?") for m in metas.values())[:20]) or "none"
        raise UsageProblem(f"no group {name_or_id!r} in store {self.root} (groups: {known})")

    def keys_for(self, groups: Iterable[str] = ()) -> list[str]:
        groups = list(groups)
        if not groups:
            return list(self.metas())
        return [self.resolve_group(g) for g in groups]

    def messages(self, groups: Iterable[str] = (), columns: list[str] | None = None) -> pd.DataFrame:
        """Messages of the given groups (names or ids; default all) as a DataFrame."""
        files = [p for key in self.keys_for(groups) for p in self._parts(key)]
        if not files:
            return MESSAGES.empty_table().select(columns or MESSAGES.names).to_pandas()
        tables = [pq.read_table(p, columns=columns, schema=MESSAGES) for p in files]
        table = pa.concat_tables(tables, promote_options="permissive") if len(tables) > 1 else tables[0]
        return table.to_pandas()

    def rosters(self, groups: Iterable[str] = ()) -> dict[str, pd.DataFrame]:
        metas = self.metas()
        out = {}
        for key in self.keys_for(groups):
            path = self.groups_dir / key / "roster.parquet"
            if path.exists():
                out[metas[key]["group_id"]] = pd.read_parquet(path)
        return out

    def members(self, groups: Iterable[str] = (), messages: pd.DataFrame | None = None) -> pd.DataFrame:
        """Members of ``groups`` derived from ``messages`` (default: all of theirs) and the stored rosters,
        conformed to ``schema.MEMBERS``; pass the scoped messages so nothing after as_of is used."""
        from .members import derive_members

        groups = list(groups)
        if messages is None:
            messages = self.messages(groups, columns=MEMBER_SOURCE_COLUMNS)
        return derive_members(messages, self.rosters(groups))

    def groups(self) -> pd.DataFrame:
        """One row per group: group_id, group_name, platform, chat_type, messages, members, first, last.

        ``members`` counts those present at the group's newest message (``qunkit.members.present_at``),
        the figure ``qunkit analyze`` shows without ``--as-of``.
        """
        from .members import present_at

        rows = []
        for key, meta in self.metas().items():
            msgs = self.messages([key], columns=MEMBER_SOURCE_COLUMNS)
            members = self.members([key], messages=msgs)
            last = msgs["ts"].max() if len(msgs) else pd.Timestamp.now(tz="UTC")
            rows.append({
                "group_id": meta["group_id"], "group_name": meta["group_name"], "platform": meta["platform"],
                "chat_type": meta.get("chat_type", "group"), "messages": len(msgs),
                "members": int(present_at(members, last).sum()),
                "roster": bool(members["roster_known"].any()) if len(members) else False,
                "first": msgs["ts"].min() if len(msgs) else None, "last": msgs["ts"].max() if len(msgs) else None,
                "key": key,
            })
        cols = ["group_id", "group_name", "platform", "chat_type", "messages", "members", "roster", "first", "last",
                "key"]
        return pd.DataFrame(rows, columns=cols).sort_values("last", ascending=False, na_position="last",
                                                           ignore_index=True)

    # -- small files ---------------------------------------------------------------------------
    @staticmethod
    def _read_json(path: Path, default):
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return default
        except (OSError, ValueError) as exc:
            raise StoreError(f"{path}: unreadable store file ({exc})") from None

    @staticmethod
    def _write_json(path: Path, data) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(".tmp-" + path.name)
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)


MEMBER_SOURCE_COLUMNS = ["group_id", "group_name", "chat_type", "ts", "sender_id", "sender_name", "sender_title",
                         "kind", "event", "event_actor", "event_target"]
