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
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .errors import BadInput, StoreError, UsageProblem
from .formats import ParseOptions, Parser, ParseReport, finish_chunk, get_parser, sniff
from .schema import MESSAGES

FLUSH_ROWS = 500_000          # rows buffered per group before a part file is written
COMPACT_AFTER_PARTS = 8       # more parts than this in a group: merge them into one
LOCK_TIMEOUT_S = 600

Progress = Callable[[int, int], None]  # (bytes done, bytes total)


def group_key(platform: str, group_id: str) -> str:
    return hashlib.sha256(f"{platform}\0{group_id}".encode()).hexdigest()[:16]


@dataclass
class ImportResult:
    """What ``Store.import_file`` did, for the CLI and for scripts."""

    report: ParseReport
    added: dict[str, int] = field(default_factory=dict)      # group_name -> rows added
    duplicates: int = 0                                        # rows already in the store
    skipped_unchanged: bool = False
    roster_group: str | None = None
    roster_members: int = 0
    roster_report: ParseReport | None = None

    @property
    def added_total(self) -> int:
        return sum(self.added.values())

    def as_dict(self) -> dict:
        d = self.report.as_dict()
        d.update(added=self.added_total, added_by_group=dict(self.added), duplicates=self.duplicates,
                 skipped_unchanged=self.skipped_unchanged, roster_group=self.roster_group,
                 roster_members=self.roster_members,
                 roster_issues=[str(i) for i in self.roster_report.issues] if self.roster_report else [])
        return d


class Store:
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

    def import_file(self, path: str | os.PathLike, fmt: str | None = None, options: ParseOptions | None = None,
                    *, strict: bool = False, force: bool = False, roster: str | os.PathLike | None = None,
                    roster_group: str | None = None, progress: Progress | None = None) -> ImportResult:
        """Parse ``path`` and add its messages to the store (idempotent)."""
        path = Path(path)
        options = options or ParseOptions()
        parser_cls: type[Parser] = get_parser(fmt) if fmt else sniff(path)
        report = ParseReport(file=str(path), format=parser_cls.name)
        result = ImportResult(report=report)
        fingerprint = _fingerprint(path)
        with self.lock():
            imports = self._read_json(self.root / "imports.json", {})
            if not force and fingerprint and fingerprint in imports:
                prev = imports[fingerprint]
                result.skipped_unchanged = True
                report.messages = prev.get("messages", 0)
                report.groups = dict.fromkeys(prev.get("groups", []), 0)
                report.note(f"unchanged since it was imported on {prev.get('imported_at', '?')}: nothing to add "
                            "(--force re-reads it)")
                if roster is not None:
                    self._attach_roster(Path(roster), roster_group, report, result, options.tz)
                return result
            pending = self._ingest(path, parser_cls, options, report, result, progress)
            if strict and report.bad_lines:
                for tmp in pending:
                    tmp.unlink(missing_ok=True)
                first = report.issues[0] if report.issues else "?"
                raise BadInput(f"{report.bad_lines} line(s) could not be parsed (--strict; nothing was written). "
                               f"First: {first}")
            for tmp in pending:  # commit: rename every part into place
                os.replace(tmp, tmp.with_name(tmp.name.removeprefix(".tmp-")))
            for key in {t.parent.parent.name for t in pending}:
                self._maybe_compact(self.groups_dir / key)
            if roster is not None:
                self._attach_roster(Path(roster), roster_group, report, result, options.tz)
            if fingerprint:
                imports[fingerprint] = {"file": str(path.resolve()), "format": parser_cls.name,
                                        "messages": report.messages, "groups": list(report.groups),
                                        "imported_at": _dt.datetime.now().isoformat(timespec="seconds")}
                self._write_json(self.root / "imports.json", imports)
        return result

    def _ingest(self, path: Path, parser_cls: type[Parser], options: ParseOptions, report: ParseReport,
                result: ImportResult, progress: Progress | None) -> list[Path]:
        known: dict[str, np.ndarray] = {}          # group key -> sorted existing msg_keys
        buffers: dict[str, list[pa.Table]] = {}
        buffered: dict[str, int] = {}
        pending: list[Path] = []
        total = path.stat().st_size if path.is_file() else 0
        source = path.name
        key_carry: dict[int, int] = {}
        for chunk in parser_cls().parse(path, options, report):
            table = finish_chunk(chunk, parser_cls, source, options.tz, key_carry)
            report.messages += table.num_rows
            if progress and total:
                progress(min(total, report.bytes_read), total)
            if not table.num_rows:
                continue
            gids = table["group_id"].combine_chunks().dictionary_decode()
            for gid in pc.unique(gids).to_pylist():
                part = table.filter(pc.equal(gids, gid))
                platform = part["platform"][0].as_py()
                key = group_key(platform, gid)
                name = part["group_name"][part.num_rows - 1].as_py()
                report.groups[name] = report.groups.get(name, 0) + part.num_rows
                if key not in known:
                    known[key] = self._existing_keys(key)
                self._update_meta(key, platform, gid, part)
                keys = part["msg_key"].to_numpy()
                fresh = ~_isin_sorted(keys, known[key])
                # de-duplicate within the import too (overlapping sections, re-sent chunks)
                _, first_idx = np.unique(keys, return_index=True)
                first = np.zeros(len(keys), bool)
                first[first_idx] = True
                keep = fresh & first
                result.duplicates += int((~keep).sum())
                if keep.any():
                    new = part.filter(pa.array(keep))
                    known[key] = _merge_sorted(known[key], keys[keep])
                    buffers.setdefault(key, []).append(new)
                    buffered[key] = buffered.get(key, 0) + new.num_rows
                    result.added[name] = result.added.get(name, 0) + new.num_rows
                if buffered.get(key, 0) >= FLUSH_ROWS:
                    pending.append(self._write_part(key, buffers.pop(key)))
                    buffered[key] = 0
        for key, tables in buffers.items():
            if tables:
                pending.append(self._write_part(key, tables))
        if progress and total:
            progress(total, total)
        return pending

    def _write_part(self, key: str, tables: list[pa.Table]) -> Path:
        table = pa.concat_tables(tables).sort_by([("ts", "ascending")])
        folder = self.groups_dir / key / "messages"
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".tmp-part-{uuid.uuid4().hex}.parquet"
        pq.write_table(table, tmp, compression="zstd")
        return tmp

    def _existing_keys(self, key: str) -> np.ndarray:
        parts = self._parts(key)
        if not parts:
            return np.zeros(0, np.uint64)
        keys = [pq.read_table(p, columns=["msg_key"])["msg_key"].to_numpy() for p in parts]
        return np.unique(np.concatenate(keys))

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

    def _update_meta(self, key: str, platform: str, gid: str, part: pa.Table) -> None:
        path = self.groups_dir / key / "meta.json"
        meta = self._read_json(path, None) or {"group_id": gid, "platform": platform, "names": []}
        names = pc.unique(part["group_name"].combine_chunks().dictionary_decode()).to_pylist()
        latest = part["group_name"][part.num_rows - 1].as_py()
        for n in names:
            if n not in meta["names"]:
                meta["names"].append(n)
        meta["group_name"] = latest
        meta["chat_type"] = part["chat_type"][0].as_py()
        self._write_json(path, meta)

    def _attach_roster(self, roster: Path, group: str | None, report: ParseReport, result: ImportResult,
                       tz: str) -> None:
        names = list(report.groups)
        if group is None:
            if len(names) != 1:
                raise UsageProblem(f"{report.file} holds {len(names)} chats ({', '.join(names[:8])}); "
                                   "say which one the roster belongs to with --group NAME")
            group = names[0]
        result.roster_report, result.roster_members = self.attach_roster(roster, group, tz)
        result.roster_group = group

    def attach_roster(self, roster: str | os.PathLike, group: str, tz: str = "Asia/Shanghai"
                      ) -> tuple[ParseReport, int]:
        """Read a member roster and attach it to ``group`` (name or id) in place of any earlier one.

        Returns the roster's report (rows it could not use) and the number of members read."""
        from .roster import read_roster

        key = self.resolve_group(group)
        report = ParseReport(file=str(roster), format="roster")
        df = read_roster(Path(roster), tz=tz, report=report)
        df.attrs = {}
        self.write_roster(key, df)
        return report, len(df)

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


def _merge_sorted(sorted_keys: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Sorted union of a sorted array and new unique keys (timsort merges the two runs in O(n))."""
    out = np.concatenate([sorted_keys, np.sort(new)])
    out.sort(kind="stable")
    return out


def _isin_sorted(values: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    if len(sorted_keys) == 0:
        return np.zeros(len(values), bool)
    idx = np.searchsorted(sorted_keys, values)
    idx[idx >= len(sorted_keys)] = 0
    return sorted_keys[idx] == values


def _fingerprint(path: Path) -> str | None:
    """sha256 of the file's bytes (directories: of their files' names, sizes and mtimes)."""
    h = hashlib.sha256()
    if path.is_dir():
        for p in sorted(path.rglob("*")):
            if p.is_file():
                st = p.stat()
                h.update(f"{p.relative_to(path)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        return "dir:" + h.hexdigest()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(8 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()
