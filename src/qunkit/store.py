"""The Parquet store: one directory, Hive-partitioned tables plus one control folder per group.

::

    STORE/
      store.json                                   {"schema_version": 2, "partition": "group_key"}
      .lock                                        held while writing (cron imports may race)
      imports.json                                 fingerprints of imported files (cheap nightly re-imports)
      messages/group_key=<key>/part-*.parquet      schema.MESSAGES rows (a Hive partition per group)
      groups/<key>/meta.json                       group_id, group_name, platform, chat_type, names seen
      groups/<key>/roster.parquet                  the member roster attached to the group, if any
      groups/<key>/compact.json                    journal of a compaction in progress

``<key>`` is a hash of (platform, group_id): a group called ``../../etc`` can
never name a path.  Every file is written as ``.tmp-*`` beside its target and
renamed into place, so readers never see half a file; a crashed import leaves
only ignorable temp files and a re-run completes it, because rows are
de-duplicated on ``msg_key`` against what is already stored.  The table folders
hold nothing but Parquet (control files live under ``groups/``), so pandas,
pyarrow.dataset, DuckDB, Polars and Spark read ``STORE/messages`` directly with
Hive partitioning (the ``group_key`` column comes from the folder names).

Layout 1 (``groups/<key>/messages/part-*.parquet``, no store.json) is migrated on
open, under the lock: each part is renamed into its partition (a rename is
atomic, so a part is in exactly one of the two places), then store.json is
written.  Readers list both places, so a store killed mid-migration reads
complete and the next open finishes the migration.

Crash rules (the kill-point tests in tests/test_crash_safety.py hold them):

- An import renames its parts into place *before* writing ``meta.json``: a group folder never has a
  meta.json without rows (no phantom "0 messages" group), and a folder with parts but no or bad
  meta.json is still read, its meta rebuilt from the parts (the parts carry group_id/name/platform).
- Compaction writes the merged part hidden, then the journal ``compact.json`` (new + old names), then
  renames the merged part into place, then deletes the old parts and the journal.  Readers honour the
  journal: while it names a merged part that exists, the old parts it lists are not read, so a crash
  between the rename and the deletions never counts a group twice.  (Chosen over a manifest or
  generation directories: one small file, and plain-glob readers still see complete parts; only they,
  not qunkit, may double-count during that window.)
- A part that cannot be read is named in a warning and its group skipped; the other groups keep
  working.  ``qunkit doctor --repair`` or ``qunkit import --force FILE`` moves it aside as
  ``.corrupt-*`` (hidden from readers) so the file that wrote it can restore its rows.

This module is persistence only; importing (sniffing, parsing, de-duplication,
rosters, the fingerprint policy) lives in ``qunkit.ingest``.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import json
import logging
import os
import signal
import stat
import sys
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock, Timeout

from .errors import StoreError, UsageProblem
from .identity import merged_messages
from .members import attribute_senders, derive_members, name_keyed, present_at
from .private import FILE_MODE, make_dirs, open_private, write_text
from .schema import FACTS, MESSAGES, conform, fill_missing
from .unchanged import ROSTER_SOURCE_FILE, roster_source_record

# How message parts are written: zstd, and Parquet dictionary pages only for the columns the schema
# dictionary-encodes (names, ids, kinds).  Measured on the 992k-message QQ export: with dictionary
# pages tried on every column (text, msg_key, ts, ...) and dropped where they do not pay, the writer
# took 0.56 CPU s and 30 MB; like this 0.45 s and 25 MB.  Readers see the same Arrow types either way.
# Min/max statistics only where something reads them (``Store.footer_summary``: ts and chat_type) or a query
# can skip row groups by them (group, time, key, line); computing them for the name, title, kind and
# text columns cost a fifth of the writer's time (0.53 -> 0.43 s on that export) for nothing.
MESSAGE_STATISTICS = ["platform", "group_id", "chat_type", "ts", "msg_key", "source_line"]
MESSAGE_PARTS = {"compression": "zstd",
                 "use_dictionary": [f.name for f in MESSAGES if pa.types.is_dictionary(f.type)],
                 "write_statistics": MESSAGE_STATISTICS}

SCHEMA_VERSION = 2            # 1: groups/<key>/messages/ (no store.json); 2: Hive-partitioned tables
PARTITION = "group_key"       # the Hive partition column: the hashed group key, never a name
COMPACT_AFTER_PARTS = 8       # more parts than this in a group: merge them into one
LOCK_TIMEOUT_S = 600
KILL_ENV = "QUNKIT_TEST_KILL_AT"
ROSTER_SOURCE = b"qunkit_roster_source"   # roster.parquet footer key: the attached file's fingerprint


class _StderrHandler(logging.Handler):
    """Store warnings (a skipped group, a rebuilt meta.json) as ``qunkit: warning: ...`` on the *current*
    ``sys.stderr`` (so CliRunner and redirected cron output see them).  A notebook that wants them
    elsewhere replaces the handlers of the ``qunkit.store`` logger."""

    def emit(self, record: logging.LogRecord) -> None:
        level = "warning" if record.levelno >= logging.WARNING else "note"
        print(f"qunkit: {level}: {record.getMessage()}", file=sys.stderr)


log = logging.getLogger("qunkit.store")
log.addHandler(_StderrHandler())
log.setLevel(logging.INFO)
log.propagate = False


def _use_system_memory_pool() -> None:
    """Make Arrow allocate with the system malloc instead of mimalloc/jemalloc.

    Those allocators reserve large address-space arenas up front; under an address-space limit
    (``ulimit -v 1500000``, common on shared cron hosts) Parquet reads then stalled forever.  The
    system pool costs nothing measurable at qunkit's sizes.  An explicit ``ARROW_DEFAULT_MEMORY_POOL``
    is respected.  Runs once, when the store module is first imported (before any store read)."""
    if "ARROW_DEFAULT_MEMORY_POOL" in os.environ:
        return
    os.environ["ARROW_DEFAULT_MEMORY_POOL"] = "system"   # child processes (tests, cron pipelines)
    pa.set_memory_pool(pa.system_memory_pool())


_use_system_memory_pool()


def kill_point(name: str) -> None:
    """Crash-safety tests only: SIGKILL this process at point ``name`` if ``$QUNKIT_TEST_KILL_AT`` names it.

    The one place that reads the variable; points: parts_written, parts_committed, meta_written,
    compact_renamed, derived_written, before_imports, migrate_moved (a layout-1 migration after its
    first group)."""
    if os.environ.get(KILL_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _writing(method: Callable) -> Callable:
    """Turn an OS error while writing the store (read-only, full disk) into a one-line StoreError."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except OSError as exc:
            where = exc.filename or (args[0].root if args and isinstance(args[0], Store) else "store")
            raise StoreError(f"cannot write to the store: {where}: {exc.strerror or exc}") from None

    return wrapper


def read_parquet(path: Path, columns: list[str] | None = None, schema: pa.Schema | None = None) -> pa.Table:
    """One Parquet file of the store as a table (``columns``: only those).  ``pq.ParquetFile`` rather
    than ``pq.read_table``, whose dataset layer cost 3x the CPU on a group's small files (a run reads a
    few per group, for thousands of groups); a file whose schema is not ``schema`` (a part written before
    a column was added) goes through ``read_table``, which fills the missing columns with nulls."""
    with pq.ParquetFile(path) as pf:
        if schema is None or pf.schema_arrow.equals(schema):
            return pf.read(columns=columns)
    return pq.read_table(path, columns=columns, schema=schema)


def group_key(platform: str, group_id: str) -> str:
    """The folder name of a group: a hash, so no group name or id can ever name a path."""
    return hashlib.sha256(f"{platform}\0{group_id}".encode()).hexdigest()[:16]


class Store:
    """A store directory: group folders, atomic part writes, rosters, ``imports.json``, the lock, reads."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root).expanduser()
        self.groups_dir = self.root / "groups"
        self.messages_dir = self.root / "messages"
        self._damaged: dict[str, str] = {}
        self._warned: set[str] = set()
        self._footers: dict[Path, tuple[tuple[int, int], pq.FileMetaData]] = {}   # part -> (size, mtime), footer
        self._opened = False

    # -- layout --------------------------------------------------------------------------------
    def table_dir(self, table: str, key: str) -> Path:
        """The Hive partition folder of group ``key`` in table ``table`` (messages, facts, ...)."""
        return self.root / table / f"{PARTITION}={key}"

    def part_dir(self, key: str) -> Path:
        """Where group ``key``'s message parts live."""
        return self.table_dir("messages", key)

    @staticmethod
    def key_of_part(part: Path) -> str:
        """The group key of a message part (either layout)."""
        folder = part.parent.name
        return folder.removeprefix(f"{PARTITION}=") if folder.startswith(f"{PARTITION}=") else part.parent.parent.name

    def schema_version(self) -> int:
        """The layout version store.json records (1: a store from before store.json)."""
        info = self._read_json_lenient(self.root / "store.json")
        return int(info.get("schema_version", 1)) if isinstance(info, dict) else 1

    def _open(self) -> None:
        """Migrate a layout-1 store once per Store object (takes the lock; a read-only store is read in
        place, since readers list both layouts)."""
        if self._opened:
            return
        self._opened = True
        if self._needs_migration():
            try:
                with self.lock():
                    pass        # lock() migrates
            except StoreError as exc:
                self._warn_once(f"store {self.root} uses layout 1 and could not be migrated ({exc}); read in place")

    def _needs_migration(self) -> bool:
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.root / 'store.json'}: store layout {version} is newer than this qunkit "
                             f"reads ({SCHEMA_VERSION}); upgrade qunkit")
        return version < SCHEMA_VERSION and self.groups_dir.is_dir()

    def _legacy_dir(self, key: str) -> Path:
        return self.groups_dir / key / "messages"

    def _migrate(self) -> None:
        """Layout 1 -> 2 (called with the lock held, after ``_recover`` finished the old journals)."""
        moved = groups = 0
        for gdir in sorted(p for p in self.groups_dir.iterdir() if p.is_dir()) if self.groups_dir.is_dir() else []:
            old = gdir / "messages"
            if not old.is_dir():
                continue
            new = self.part_dir(gdir.name)
            make_dirs(new)
            for f in sorted(old.iterdir()):
                if f.name.startswith("part-") or f.name.startswith(".corrupt-"):
                    os.replace(f, new / f.name)
                    moved += 1
            groups += 1
            kill_point("migrate_moved")
            if not any(old.iterdir()):
                old.rmdir()
        self._write_store_json()
        if groups:
            log.info("store %s migrated to layout %d (%d group(s), %d part(s) moved to messages/%s=<key>/)",
                     self.root, SCHEMA_VERSION, groups, moved, PARTITION)

    def _write_store_json(self, **settings) -> None:
        info = self._read_json_lenient(self.root / "store.json")
        info = info if isinstance(info, dict) else {}
        info.update(schema_version=SCHEMA_VERSION, partition=PARTITION, **settings)
        self._write_json(self.root / "store.json", info)

    def setting(self, name: str, default=None):
        """A store-wide setting recorded in store.json (``derived``: facts kept at import)."""
        info = self._read_json_lenient(self.root / "store.json")
        return info.get(name, default) if isinstance(info, dict) else default

    @_writing
    def set_setting(self, name: str, value) -> None:
        self._write_store_json(**{name: value})

    # -- writing -------------------------------------------------------------------------------
    def lock(self):
        try:
            make_dirs(self.root)
        except OSError as exc:
            raise StoreError(f"cannot create store directory {self.root}: {exc.strerror}") from None
        lock_path = self.root / ".lock"
        _check_lock_file(lock_path)
        lock = FileLock(str(lock_path), timeout=LOCK_TIMEOUT_S, mode=FILE_MODE)

        class _Held:
            def __enter__(s):
                try:
                    lock.acquire()
                except Timeout:
                    raise StoreError(f"store {self.root} is locked by another qunkit process "
                                     f"(waited {LOCK_TIMEOUT_S}s)") from None
                try:
                    self._recover()
                    if self._needs_migration() or not (self.root / "store.json").exists():
                        self._migrate()
                        self._recover()
                except OSError as exc:
                    lock.release()
                    raise StoreError(f"cannot write to the store: {exc.filename or self.root}: "
                                     f"{exc.strerror or exc}") from None
                except BaseException:
                    lock.release()
                    raise
                self._opened = True
                return s

            def __exit__(s, *exc):
                lock.release()

        return _Held()

    @_writing
    def write_part(self, key: str, tables: list[pa.Table]) -> Path:
        """Write rows of group ``key`` (sorted by time) as a hidden temp part; ``commit`` publishes it."""
        writer = self.open_part(key)
        try:
            writer.write(pa.concat_tables(tables).sort_by([("ts", "ascending")]))
        except BaseException:
            writer.abort()
            raise
        return writer.close()

    @_writing
    def open_part(self, key: str) -> PartWriter:
        """A hidden temp part of group ``key`` that takes its rows a row group at a time (an import
        writes each chunk as it comes, so memory holds a chunk, not the part); ``commit`` publishes
        the path ``PartWriter.close`` returns."""
        folder = self.part_dir(key)
        make_dirs(folder)
        return PartWriter(folder / f".tmp-part-{uuid.uuid4().hex}.parquet")

    @_writing
    def commit(self, pending: list[Path]) -> None:
        """Rename temp parts from ``write_part`` into place (``compact`` runs after meta.json is written)."""
        for tmp in pending:
            os.replace(tmp, tmp.with_name(tmp.name.removeprefix(".tmp-")))

    @_writing
    def compact(self, keys: Iterable[str]) -> None:
        """Merge the parts of each group in ``keys`` that has more than ``COMPACT_AFTER_PARTS``."""
        for key in keys:
            self._maybe_compact(key)

    @staticmethod
    def discard(pending: list[Path]) -> None:
        """Drop temp parts from ``write_part`` that will not be committed (readers never saw them)."""
        for tmp in pending:
            tmp.unlink(missing_ok=True)

    def existing_keys(self, key: str, repair: bool = False) -> np.ndarray:
        """Sorted unique ``msg_key`` values already stored for group ``key``.

        An unreadable part is a StoreError naming it, unless ``repair`` (``import --force``): then it is
        moved aside and its rows count as not stored, so the import that re-reads the file restores them."""
        keys = [np.zeros(0, np.uint64)]
        for p in self._parts(key):
            try:
                keys.append(read_parquet(p, columns=["msg_key"])["msg_key"].to_numpy())
            except (OSError, pa.ArrowException) as exc:
                if not repair:
                    raise StoreError(f"{p}: unreadable part ({_reason(exc)}); re-import the file that wrote "
                                     "this group with --force, or run `qunkit doctor --repair`") from None
                self.quarantine(p)
        return np.unique(np.concatenate(keys))

    @_writing
    def quarantine(self, part: Path) -> Path:
        """Hide an unreadable part as ``.corrupt-<name>`` (readers and globs skip dot-files); kept for
        inspection, deleted by nobody."""
        dest = part.with_name(".corrupt-" + part.name)
        os.replace(part, dest)
        log.warning("%s: unreadable part moved aside to %s", part, dest.name)
        self._damaged.pop(self.key_of_part(part), None)
        return dest

    @_writing
    def update_meta(self, key: str, *, platform: str, group_id: str, names: list[str], latest: str,
                    chat_type: str) -> None:
        """Create or update ``meta.json``: ``latest`` becomes the group's name, ``names`` join the names seen."""
        path = self.groups_dir / key / "meta.json"
        meta = valid_meta(self._read_json_lenient(path)) or {"group_id": group_id, "platform": platform,
                                                              "names": []}
        meta["names"] += [n for n in dict.fromkeys(names) if n not in meta["names"]]
        meta["group_name"] = latest
        meta["chat_type"] = chat_type
        self._write_json(path, meta)

    def read_imports(self) -> dict[str, dict]:
        """``imports.json``: fingerprint -> what was imported (the policy lives in ``qunkit.ingest``)."""
        return self._read_json(self.root / "imports.json", {})

    @_writing
    def write_imports(self, imports: dict[str, dict]) -> None:
        self._write_json(self.root / "imports.json", imports)

    def _maybe_compact(self, key: str) -> None:
        gdir, folder = self.groups_dir / key, self.part_dir(key)
        parts = sorted(folder.glob("part-*.parquet"))
        if len(parts) <= COMPACT_AFTER_PARTS:
            return
        new = folder / f"part-{uuid.uuid4().hex}.parquet"
        tmp = new.with_name(".tmp-" + new.name)
        # streamed one row group at a time: memory stays bounded however large the group is
        with open_private(tmp) as fh, pq.ParquetWriter(fh, MESSAGES, **MESSAGE_PARTS) as writer:
            for p in parts:
                pf = pq.ParquetFile(p)
                for i in range(pf.num_row_groups):
                    writer.write_table(conform(fill_missing(pf.read_row_group(i))))
        journal = gdir / "compact.json"
        self._write_json(journal, {"new": new.name, "old": [p.name for p in parts]})
        os.replace(tmp, new)
        kill_point("compact_renamed")
        for p in parts:
            p.unlink(missing_ok=True)
        journal.unlink(missing_ok=True)

    def _recover(self) -> None:
        """Finish or roll back what a crashed writer left (called with the lock held).  A journal names
        parts by file name; they sit in the group's partition or, before migration, its old folder."""
        for key in self.keys_on_disk():
            journal = self.groups_dir / key / "compact.json"
            if journal.exists():
                j = self._read_json_lenient(journal) or {}
                folders = [self.part_dir(key), self._legacy_dir(key)]
                if any((d / str(j.get("new", "-"))).exists() for d in folders):
                    for name in j.get("old", []):
                        for d in folders:
                            (d / name).unlink(missing_ok=True)
                journal.unlink(missing_ok=True)
        for top in (self.groups_dir, *(p for p in self.root.iterdir() if p.is_dir() and p.name != "groups")):
            for tmp in top.glob("**/.tmp-*"):
                tmp.unlink(missing_ok=True)

    @_writing
    def write_roster(self, key: str, roster: pd.DataFrame, source: str | None = None) -> None:
        """Attach ``roster`` to group ``key``; ``source`` (the roster file's fingerprint) is kept in the
        Parquet footer so an unchanged roster need not be read again (``roster_source``)."""
        path = self.groups_dir / key / "roster.parquet"
        make_dirs(path.parent)
        (path.parent / ROSTER_SOURCE_FILE).unlink(missing_ok=True)   # never describes another roster
        tmp = path.with_name(".tmp-roster.parquet")
        table = pa.Table.from_pandas(roster, preserve_index=False)
        if source:
            table = table.replace_schema_metadata({**(table.schema.metadata or {}), ROSTER_SOURCE: source.encode()})
        with open_private(tmp) as fh:
            pq.write_table(table, fh)
        os.replace(tmp, path)
        if source:
            self.record_roster_source(key, source, table.num_rows)

    @_writing
    def record_roster_source(self, key: str, source: str, rows: int) -> None:
        """Write ``groups/<key>/roster-source.json`` (the footer's fingerprint and rows, and the stat of the
        roster.parquet it describes), so ``qunkit.unchanged`` can tell an unchanged roster without pyarrow.
        Written after roster.parquet; a record that does not match its stat is ignored there."""
        path = self.groups_dir / key / "roster.parquet"
        record = roster_source_record(path, source, rows)
        if self._read_json_lenient(path.parent / ROSTER_SOURCE_FILE) != record:
            self._write_json(path.parent / ROSTER_SOURCE_FILE, record)

    def roster_source(self, key: str) -> tuple[str | None, int]:
        """(fingerprint ``write_roster`` recorded, rows) of group ``key``'s roster; (None, 0) without one."""
        try:
            md = pq.read_metadata(self.groups_dir / key / "roster.parquet")
        except (OSError, pa.ArrowException):
            return None, 0
        raw = (md.metadata or {}).get(ROSTER_SOURCE)
        return (raw.decode() if raw else None), md.num_rows

    def readable(self, key: str) -> bool:
        """Whether group ``key`` has parts a reader counts and every footer among them reads (no full scan
        of the store: the unchanged-file check of a nightly import asks this per group)."""
        return bool(self._parts(key)) and self._footers_ok(key)

    # -- derived tables (facts, members, aggregates: qunkit.derived decides what and when) ----------
    @_writing
    def write_table(self, table: str, key: str, data: pa.Table) -> None:
        """Replace group ``key``'s file of derived table ``table`` (one file per group, atomic)."""
        folder = self.table_dir(table, key)
        make_dirs(folder)
        tmp = folder / f".tmp-{table}.parquet"
        with open_private(tmp) as fh:
            pq.write_table(data, fh, compression="zstd")
        os.replace(tmp, folder / f"{table}.parquet")

    def read_table(self, table: str, keys: Iterable[str], columns: list[str] | None = None) -> pa.Table | None:
        """Derived table ``table`` of groups ``keys`` with their ``group_key`` (None: no group has it);
        ``columns``: only those."""
        tables = []
        for key in keys:
            path = self.table_dir(table, key) / f"{table}.parquet"
            if path.exists():
                t = read_parquet(path, columns=columns)
                tables.append(t.append_column(PARTITION, pa.repeat(pa.scalar(key, pa.string()), t.num_rows)))
        if not tables:
            return None
        return pa.concat_tables(tables, promote_options="permissive") if len(tables) > 1 else tables[0]

    @_writing
    def drop_tables(self, key: str, tables: Iterable[str]) -> None:
        """Delete group ``key``'s files of the derived ``tables`` and its stamp."""
        for table in tables:
            (self.table_dir(table, key) / f"{table}.parquet").unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                self.table_dir(table, key).rmdir()
        (self.groups_dir / key / "derived.json").unlink(missing_ok=True)

    def has_table(self, table: str, key: str) -> bool:
        """Whether group ``key`` has a file of derived table ``table`` (one stat, no listing)."""
        return (self.table_dir(table, key) / f"{table}.parquet").exists()

    def table_keys(self, table: str) -> list[str]:
        """Groups that have a file of derived table ``table``."""
        folder = self.root / table
        if not folder.is_dir():
            return []
        return sorted(p.parent.name.split("=", 1)[1] for p in folder.glob(f"{PARTITION}=*/{table}.parquet"))

    def derived_stamp(self, key: str) -> dict | None:
        """What group ``key``'s derived tables were computed from (``qunkit.derived`` writes it last)."""
        stamp = self._read_json_lenient(self.groups_dir / key / "derived.json")
        return stamp if isinstance(stamp, dict) else None

    @_writing
    def write_derived_stamp(self, key: str, stamp: dict) -> None:
        self._write_json(self.groups_dir / key / "derived.json", stamp)

    def group_state(self, key: str) -> str:
        """A digest of what group ``key``'s data is on disk: the name, size and mtime of every part a
        reader counts and of its roster.  Parts are written once under a fresh name (compaction
        writes a new one), so new messages, a repair or a new roster always change it; no file is read
        (``qunkit.resultcache`` keys results by it)."""
        h = hashlib.sha256(key.encode())
        for path in [*self._parts(key), self.groups_dir / key / "roster.parquet"]:
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            h.update(f"{path.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        return h.hexdigest()

    def row_count(self, key: str) -> int:
        """Messages stored for group ``key`` (from the part footers: no rows are read)."""
        return sum(self._metadata(p).num_rows for p in self._parts(key))

    def footer_summary(self, key: str) -> tuple[int, int, str] | None:
        """(rows, newest ``ts`` as epoch ns, the one ``chat_type`` of every row) of group ``key`` from its
        part footers' statistics, no rows read; None when a footer lacks them or the parts mix chat types."""
        rows, newest, kinds = 0, None, set()
        try:
            for p in self._parts(key):
                md = self._metadata(p)
                names = [md.schema.column(i).path for i in range(md.num_columns)]
                ts_i, ct_i = names.index("ts"), names.index("chat_type")
                for r in range(md.num_row_groups):
                    rg = md.row_group(r)
                    if not rg.num_rows:
                        continue
                    ts, ct = rg.column(ts_i).statistics, rg.column(ct_i).statistics
                    if ts is None or ct is None or not ts.has_min_max or not ct.has_min_max or ct.null_count:
                        return None
                    kinds |= {ct.min, ct.max}
                    top = pd.Timestamp(ts.max)
                    top = (top.tz_localize("UTC") if top.tzinfo is None else top).value
                    newest = top if newest is None else max(newest, top)
                    rows += rg.num_rows
        except (OSError, ValueError, pa.ArrowException):
            return None
        if newest is None or len(kinds) != 1:
            return None
        return rows, newest, kinds.pop()

    def roster_digest(self, key: str) -> str | None:
        """sha256 (16 hex) of the group's roster file, None without one."""
        path = self.groups_dir / key / "roster.parquet"
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.exists() else None

    def facts(self, groups: Iterable[str] = ()) -> pd.DataFrame:
        """The stored per-message facts (``qunkit.facts.FACTS`` + ``group_key``) of ``groups`` (names,
        ids or keys; default all).  Groups without facts are absent; ``qunkit rebuild`` computes them."""
        table = self.read_table("facts", self.keys_for(groups))
        if table is None:
            table = FACTS.append(pa.field(PARTITION, pa.string())).empty_table()
        return table.to_pandas(types_mapper={pa.uint64(): pd.UInt64Dtype()}.get)   # reply_to keys stay exact

    # -- reading -------------------------------------------------------------------------------
    def _parts(self, key: str) -> list[Path]:
        """The group's visible parts, minus those a compaction journal says its merged part replaced.

        The journal is read before and after listing (retried if it changed), so a reader racing a
        live compaction does not take the old parts and the merged one together."""
        folders = [self.part_dir(key), self._legacy_dir(key)]
        for _ in range(10):
            before = self._journal(key)
            parts = sorted((p for d in folders for p in d.glob("part-*.parquet")), key=lambda p: p.name)
            if self._journal(key) == before:
                break
        if before and str(before.get("new")) in {p.name for p in parts}:
            old = {str(n) for n in before.get("old", [])}
            parts = [p for p in parts if p.name not in old]
        return parts

    def parts(self, key: str) -> list[Path]:
        """The parts of group ``key`` a reader counts (see ``_parts``)."""
        return self._parts(key)

    def _journal(self, key: str) -> dict | None:
        j = self._read_json_lenient(self.groups_dir / key / "compact.json")
        return j if isinstance(j, dict) else None

    def keys_on_disk(self) -> list[str]:
        """Every group key with a control folder or a message partition (either layout), sorted."""
        keys = set()
        if self.groups_dir.is_dir():
            keys |= {p.name for p in self.groups_dir.iterdir() if p.is_dir() and not p.name.startswith(".")}
        if self.messages_dir.is_dir():
            keys |= {p.name.split("=", 1)[1] for p in self.messages_dir.iterdir()
                     if p.is_dir() and p.name.startswith(f"{PARTITION}=")}
        return sorted(keys)

    def group_dirs(self) -> list[Path]:
        """The control folder (``groups/<key>``, which may not exist yet) of every group on disk (doctor
        looks at the broken ones too).  Opening migrates a layout-1 store."""
        self._open()
        return [self.groups_dir / key for key in self.keys_on_disk()]

    def metas(self) -> dict[str, dict]:
        """key -> meta of every readable group.

        Skipped: a folder without parts (left by an interrupted import: never a phantom "0 messages"
        group) and a group with a part whose footer cannot be read (a warning names it).  A group
        with parts but a missing or bad meta.json gets its meta rebuilt from the parts in memory (a
        warning says so; ``qunkit doctor --repair`` writes it)."""
        out = {}
        for gdir in self.group_dirs():
            key = gdir.name
            if not self._parts(key) or not self._footers_ok(key):
                continue
            meta = valid_meta(self._read_json_lenient(gdir / "meta.json"))
            if meta is None:
                meta = self.meta_from_parts(key)
                if meta is None:
                    continue
                self._warn_once(f"{gdir / 'meta.json'}: missing or bad; rebuilt from the group's parts "
                                "(`qunkit doctor --repair` writes it back)")
            out[key] = meta
        if not out and self._damaged:
            raise StoreError(f"no group of store {self.root} could be read: " + "; ".join(self._damaged.values())
                             + " (`qunkit doctor` says how to repair)")
        return out

    def meta_from_parts(self, key: str) -> dict | None:
        """The meta.json a group's parts imply, or None when unsafe (unreadable, or the parts name a
        group whose key is not this folder)."""
        try:
            table = self._read_group(key, ["group_id", "group_name", "platform", "chat_type", "ts"])
        except (OSError, pa.ArrowException):
            return None
        if table is None or table.num_rows == 0:
            return None
        df = table.to_pandas().sort_values("ts", kind="stable")
        ids, platforms = df["group_id"].astype(str).unique(), df["platform"].astype(str).unique()
        if len(ids) != 1 or len(platforms) != 1 or group_key(platforms[0], ids[0]) != key:
            return None
        names = [str(n) for n in dict.fromkeys(df["group_name"].astype(str))]
        return {"group_id": ids[0], "platform": platforms[0], "names": names,
                "group_name": str(df["group_name"].iloc[-1]), "chat_type": str(df["chat_type"].iloc[-1])}

    @_writing
    def write_meta(self, key: str, meta: dict) -> None:
        self._write_json(self.groups_dir / key / "meta.json", meta)

    def unreadable_parts(self, key: str) -> dict[Path, str]:
        """Parts of group ``key`` that cannot be read whole -> why (reads every part: for doctor)."""
        bad = {}
        for p in self._parts(key):
            try:
                pq.read_table(p, schema=MESSAGES)
            except (OSError, pa.ArrowException) as exc:
                bad[p] = _reason(exc)
        return bad

    @property
    def damaged(self) -> dict[str, str]:
        """Groups this Store object skipped because a part could not be read: key -> what happened."""
        return dict(self._damaged)

    def _metadata(self, part: Path) -> pq.FileMetaData:
        """A part's footer, read once per Store object while the file keeps its size and mtime (``metas``
        checks every footer; the run's first pass and the staleness checks read them again)."""
        st = part.stat()
        sig = (st.st_size, st.st_mtime_ns)
        got = self._footers.get(part)
        if got is None or got[0] != sig:
            got = (sig, pq.read_metadata(part))
            self._footers[part] = got
        return got[1]

    def _footers_ok(self, key: str) -> bool:
        for p in self._parts(key):
            try:
                self._metadata(p)
            except FileNotFoundError:
                continue
            except (OSError, pa.ArrowException) as exc:
                self._skip(key, p, exc)
                return False
        return key not in self._damaged

    def _skip(self, key: str, part: Path, exc: BaseException) -> None:
        self._damaged[key] = f"{part}: {_reason(exc)}"
        self._warn_once(f"{part}: unreadable part ({_reason(exc)}); group skipped, the others are read "
                        "(`qunkit doctor` says how to repair it)")

    def _warn_once(self, text: str) -> None:
        if text not in self._warned:
            self._warned.add(text)
            log.warning("%s", text)

    def _read_group(self, key: str, columns: list[str] | None) -> pa.Table | None:
        """All parts of one group as one table (None: no parts).  A part deleted by a concurrent
        compaction makes it list the parts again."""
        for _ in range(5):
            files = self._parts(key)
            if not files:
                return None
            try:
                tables = [read_parquet(p, columns=columns, schema=MESSAGES) for p in files]
            except FileNotFoundError:
                continue
            return pa.concat_tables(tables, promote_options="permissive") if len(tables) > 1 else tables[0]
        raise StoreError(f"parts of group {key} kept vanishing while being read (a compaction loop?)")

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
        """Messages of the given groups (names or ids; default all) as a DataFrame.

        A group with an unreadable part is skipped with a warning; StoreError (exit 3) only when groups
        had parts and none of them could be read."""
        table = self.message_table(groups, columns)
        if not table.num_rows:
            return table.to_pandas()
        # name-keyed speakers (an export without ids) under their roster id: members.py's rule; then one
        # id per person where the export itself shows two (identity.py's rule, merges kept in attrs)
        out = table.to_pandas()
        if name_keyed(out).any():     # the rosters are read only when a speaker can take a roster id
            out = attribute_senders(out, self.rosters(groups))
        out, found = merged_messages(out)
        if len(found):
            out.attrs["merges"] = [tuple(r) for r in found.itertuples(index=False)]
        return out

    def message_table(self, groups: Iterable[str] = (), columns: list[str] | None = None) -> pa.Table:
        """The stored rows of ``groups`` as Arrow, as written: no roster attribution and no id merges
        (``messages`` adds both).  For columns neither touches (``ts``, ``chat_type``, group names) it is
        the same data without the pandas cost; unreadable parts as in ``messages``."""
        tables, skipped = [], 0
        for key in self.keys_for(groups):
            try:
                table = self._read_group(key, columns)
            except (OSError, pa.ArrowException) as exc:
                self._skip(key, Path(getattr(exc, "filename", None) or self.groups_dir / key), exc)
                skipped += 1
                continue
            if table is not None:
                tables.append(table)
        if skipped and not tables:
            raise StoreError(f"no group of store {self.root} could be read: " + "; ".join(self._damaged.values()))
        if not tables:
            return MESSAGES.empty_table().select(columns or MESSAGES.names)
        return pa.concat_tables(tables, promote_options="permissive") if len(tables) > 1 else tables[0]

    def rosters(self, groups: Iterable[str] = ()) -> dict[str, pd.DataFrame]:
        metas = self.metas()
        out = {}
        for key in self.keys_for(groups):
            path = self.groups_dir / key / "roster.parquet"
            if path.exists():      # pyarrow directly: pd.read_parquet's layers cost ~1 ms a file, per group
                out[metas[key]["group_id"]] = read_parquet(path).to_pandas()
        return out

    def members(self, groups: Iterable[str] = (), messages: pd.DataFrame | None = None) -> pd.DataFrame:
        """Members of ``groups`` derived from ``messages`` (default: all of theirs) and the stored rosters,
        conformed to ``schema.MEMBERS``; pass the scoped messages so nothing after as_of is used."""
        groups = list(groups)
        if messages is None:
            messages = self.messages(groups, columns=MEMBER_SOURCE_COLUMNS)
        return derive_members(messages, self.rosters(groups))

    def groups(self) -> pd.DataFrame:
        """One row per group: group_id, group_name, platform, chat_type, messages, members, first, last.

        ``members`` counts those present at the group's newest message (``qunkit.members.present_at``),
        the figure ``qunkit analyze`` shows without ``--as-of``.
        """
        return group_table([self.group_summary(key, meta) for key, meta in self.metas().items()])

    def group_summary(self, key: str, meta: dict) -> dict:
        """One row of ``groups()`` (``qunkit groups`` maps it over the groups in parallel)."""
        msgs = self.messages([key], columns=MEMBER_SOURCE_COLUMNS)
        members = self.members([key], messages=msgs)
        last = msgs["ts"].max() if len(msgs) else pd.Timestamp.now(tz="UTC")
        return {
            "group_id": meta["group_id"], "group_name": meta["group_name"], "platform": meta["platform"],
            "chat_type": meta.get("chat_type", "group"), "messages": len(msgs),
            "members": int(present_at(members, last).sum()),
            "roster": bool(members["roster_known"].any()) if len(members) else False,
            "first": msgs["ts"].min() if len(msgs) else None, "last": msgs["ts"].max() if len(msgs) else None,
            "key": key,
        }

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
    def _read_json_lenient(path: Path):
        """Like ``_read_json`` but a missing or garbled file is None (meta.json, journals: rebuilt)."""
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    @staticmethod
    def _write_json(path: Path, data) -> None:
        make_dirs(path.parent)
        tmp = path.with_name(".tmp-" + path.name)
        write_text(tmp, json.dumps(data, ensure_ascii=False, indent=1))
        os.replace(tmp, path)


class PartWriter:
    """One temp part (``Store.open_part``) written incrementally: each ``write`` adds MESSAGES rows as
    row groups.  The caller keeps the rows of one part sorted by time (``write`` them in order)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0
        self._fh = open_private(path)
        try:
            self._writer = pq.ParquetWriter(self._fh, MESSAGES, **MESSAGE_PARTS)
        except BaseException:
            self._fh.close()
            path.unlink(missing_ok=True)
            raise

    def write(self, table: pa.Table) -> None:
        try:
            self._writer.write_table(table)
        except OSError as exc:
            raise StoreError(f"cannot write to the store: {self.path}: {exc.strerror or exc}") from None
        self.rows += table.num_rows

    def close(self) -> Path:
        """Finish the file (footer written, closed) and return its temp path."""
        try:
            self._writer.close()
            self._fh.close()
        except OSError as exc:
            raise StoreError(f"cannot write to the store: {self.path}: {exc.strerror or exc}") from None
        return self.path

    def abort(self) -> None:
        """Close and delete the temp file (an import that failed or was discarded)."""
        with contextlib.suppress(Exception):
            self._writer.close()
        with contextlib.suppress(OSError):
            self._fh.close()
        self.path.unlink(missing_ok=True)


def group_table(rows: list[dict]) -> pd.DataFrame:
    """``group_summary`` rows as the ``groups()`` frame, newest group first."""
    cols = ["group_id", "group_name", "platform", "chat_type", "messages", "members", "roster", "first", "last",
            "key"]
    return pd.DataFrame(rows, columns=cols).sort_values("last", ascending=False, na_position="last",
                                                       ignore_index=True)


def valid_meta(meta) -> dict | None:
    """``meta`` if it is a usable meta.json (a dict with group_id, platform and group_name), else None."""
    if isinstance(meta, dict) and all(isinstance(meta.get(k), str) for k in ("group_id", "platform", "group_name")):
        meta.setdefault("names", [meta["group_name"]])
        return meta
    return None


def _reason(exc: BaseException) -> str:
    """The first sentence of an error, without the file name Arrow repeats."""
    text = (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__).splitlines()[0]
    text = text.split("': ", 1)[-1] if text.startswith("Could not open Parquet input source") else text
    return text.split(". ", 1)[0][:160]


def _check_lock_file(path: Path) -> None:
    """Fail at once if ``path`` cannot be a lock file (``--store /proc/self``, a read-only store), rather
    than let the lock library retry for ``LOCK_TIMEOUT_S`` as if another process held it."""
    try:
        if path.exists() and not stat.S_ISREG(path.stat().st_mode):
            raise StoreError(f"cannot create the lock file {path}: not a regular file")
        fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    except OSError as exc:
        why = "read-only or not writable" if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS) else exc.strerror
        raise StoreError(f"cannot create the lock file {path}: {why} (is --store a writable directory?)") from None
    os.close(fd)


MEMBER_SOURCE_COLUMNS = ["group_id", "group_name", "chat_type", "platform", "ts", "sender_id", "sender_name",
                         "sender_title", "sender_account_name", "kind", "event", "event_actor", "event_target"]
