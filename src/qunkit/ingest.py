"""Importing exports into a store: sniff, parse, de-duplicate, attach rosters, remember fingerprints.

The one owner of the import rules, so that the CLI, cron jobs and a notebook all get the same::

    from qunkit.ingest import import_files
    from qunkit.store import Store

    results = import_files(Store("~/qunkit-store"), ["a.txt", "b.txt"], roster="群成员.xlsx", roster_group="读书会")

- A file whose fingerprint is in ``imports.json`` is not read again (``force`` re-reads it).
- Rows are de-duplicated on ``msg_key`` against the store and within the import, so re-imports and
  overlapping exports add each message once.
- A roster belongs to one group: with one file, to that file's only chat or to ``roster_group``; with
  several files ``roster_group`` is required and the roster is attached once, with the last file.
- ``strict``: any line not understood raises ``BadInput`` and nothing is written (no part, no meta.json,
  no fingerprint).
- A message dated outside the plausible window (before its platform existed, ``PLATFORM_SINCE``, or
  after now + 1 day) is a bad line (file:line, reason, value), never stored: one such date would move
  the default ``--as-of`` and make every other group look dead, and dates past 2262 break pandas.
- Only regular files and directories are read (a FIFO or ``/dev/zero`` would block or never end).
- The unchanged-file shortcut applies only while every group the file wrote still has its parts.
- After a file's messages are committed, the facts and aggregates of the groups it touched are
  recomputed where stale (``qunkit.derived``), before its fingerprint is recorded: a crash in between
  re-reads the file next time, adds nothing and redoes the derived tables.

``Store`` only persists; every decision above is taken here.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import stat
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .derived import refresh_stale
from .errors import BadInput, UsageProblem
from .formats import ParseOptions, Parser, ParseReport, finish_chunk, get_parser, refuse_empty, sniff
from .inputs import expand_inputs
from .localtime import DEFAULT_TZ
from .roster import read_roster
from .store import PartWriter, Store, group_key, kill_point
from .unchanged import ImportResult, fingerprint_soon, mark_unchanged, may_be_recorded
from .unchanged import fingerprint as _fingerprint

FLUSH_ROWS = 500_000     # rows per part file: a group's part is closed past this many (bounds part size)
WRITE_ROWS = 65_536      # new rows a group gathers before they are written to its part as a row group
BUFFERED_ROWS = 262_144  # new rows waiting over all groups: past this the largest buffer is written
OPEN_PARTS = 32          # parts open at once (a file of many chats): past this the least recent is closed
IN_FLIGHT = 2            # writes queued on the writer thread (each holds one buffer of rows)

# The first year each platform's messages can carry; earlier dates are clock or export errors.
PLATFORM_SINCE = {"qq": 1999, "wechat": 2011, "whatsapp": 2009, "telegram": 2013}
FUTURE_SLACK = pd.Timedelta(days=1)   # clock skew between the exporting phone and this machine
MAX_REPORTED = 20                       # implausible rows described one by one per chunk; the rest counted

Progress = Callable[[int, int], None]  # (bytes done, bytes total)
ProgressFactory = Callable[[Path], AbstractContextManager[Progress | None]]
ResultHook = Callable[[ImportResult], None]


def import_files(store: Store, paths: Iterable[str | os.PathLike], *, input_format: str | None = None,
                 options: ParseOptions | None = None, strict: bool = False, force: bool = False,
                 roster: str | os.PathLike | None = None, roster_group: str | None = None,
                 roster_dir: str | os.PathLike | None = None, match_rosters: bool = True,
                 progress_factory: ProgressFactory | None = None,
                 on_result: ResultHook | None = None) -> list[ImportResult]:
    """Import ``paths`` in order, one store lock per file; returns one result per file.

    Folders of exports are expanded and rosters matched by name (``qunkit.inputs``: ``X.roster.csv``,
    ``X-roster.csv``, ``X.xlsx`` beside the export or in ``roster_dir``) unless ``roster`` is given or
    ``match_rosters`` is off; a file passed over in a folder gets a result with ``skipped`` set.
    ``progress_factory(path)`` gives a context manager yielding a ``Progress`` callback (the CLI's bar);
    ``on_result`` sees each result as soon as its file is done, so a caller can report while the rest
    import.  The roster rule is checked before anything is read."""
    inputs = expand_inputs([Path(p) for p in paths], Path(roster_dir) if roster_dir else None,
                           match_rosters=match_rosters and roster is None, input_format=input_format)
    paths = inputs.exports
    if roster is not None and len(paths) > 1 and roster_group is None:
        raise UsageProblem(f"--roster with {len(paths)} files: say which group it belongs to with --group NAME")
    results = []
    for path, why in inputs.skipped:
        res = ImportResult(report=ParseReport(file=str(path), format="-"), skipped=why)
        results.append(res)
        if on_result is not None:
            on_result(res)
    for i, path in enumerate(paths):
        last = i == len(paths) - 1
        matched = inputs.rosters.get(path)
        with (progress_factory(path) if progress_factory else nullcontext()) as progress:
            res = import_file(store, path, input_format=input_format or inputs.formats.get(path), options=options,
                              strict=strict,
                              force=force, roster=matched or (roster if last else None),
                              roster_group=None if matched else roster_group, progress=progress)
        results.append(res)
        if on_result is not None:
            on_result(res)
    return results


_LATER = object()   # import_file: the fingerprint is taken once the file is read


def import_file(store: Store, path: str | os.PathLike, *, input_format: str | None = None,
                options: ParseOptions | None = None, strict: bool = False, force: bool = False,
                roster: str | os.PathLike | None = None, roster_group: str | None = None,
                progress: Progress | None = None) -> ImportResult:
    """Add ``path``'s messages to ``store`` (idempotent) and attach ``roster`` to its group if given.

    The fingerprint is recorded once the messages are committed, before the roster is attached: a
    roster that fails (several chats, no ``roster_group``) can be retried without re-reading the file."""
    path = Path(path)
    options = options or ParseOptions()
    check_input(path)
    parser_cls: type[Parser] = get_parser(input_format) if input_format else sniff(path)
    result = ImportResult(report=ParseReport(file=str(path), format=parser_cls.name))
    later = fingerprint_soon(path)
    with store.lock():
        imports = store.read_imports()
        # a file whose size no import recorded is new: its fingerprint is hashed while it is parsed
        fingerprint = later() if not force and may_be_recorded(path, imports) else _LATER
        seen = imports.get(fingerprint) if fingerprint and fingerprint is not _LATER else None
        if seen is not None and not _groups_intact(store, seen):
            seen = None   # a group the file wrote was deleted or damaged: read the file again
        if seen is not None:
            mark_unchanged(result, seen)
            keys = seen.get("keys")
        else:
            keys = _ingest(store, path, parser_cls, options, result, strict, progress, repair=force)
            kill_point("before_imports")
            if fingerprint is _LATER:
                fingerprint = later()
            if fingerprint:
                report = result.report
                imports[fingerprint] = {"file": str(path.resolve()), "format": parser_cls.name,
                                        "size": path.stat().st_size if path.is_file() else None,
                                        "messages": report.messages, "groups": list(report.groups),
                                        "keys": keys,
                                        "imported_at": _dt.datetime.now().isoformat(timespec="seconds")}
                store.write_imports(imports)
        if roster is not None:
            _attach_to_file_group(store, Path(roster), roster_group, result, options.tz, keys)
    return result


def attach_roster(store: Store, roster: str | os.PathLike, group: str, tz: str = DEFAULT_TZ
                  ) -> tuple[ParseReport, int]:
    """Read a member roster and attach it to ``group`` (name or id) in place of any earlier one.

    Returns the roster's report (rows it could not use) and the number of members read."""
    with store.lock():
        return _read_and_attach(store, Path(roster), group, tz)


def _read_and_attach(store: Store, roster: Path, group: str, tz: str, key: str | None = None,
                     fingerprint: str | None = None) -> tuple[ParseReport, int]:
    key = key or store.resolve_group(group)
    report = ParseReport(file=str(roster), format="roster")
    df = read_roster(roster, tz=tz, report=report)
    df.attrs = {}
    store.write_roster(key, df, source=fingerprint or _fingerprint(roster))
    refresh_stale(store, [key])          # the roster decides members, mentions and events
    return report, len(df)


def _attach_to_file_group(store: Store, roster: Path, group: str | None, result: ImportResult,
                          tz: str, keys: list[str] | None = None) -> None:
    """The roster goes to ``group`` if named, else to the file's only chat (called with the lock held).

    ``keys``: the store keys the file wrote; with one chat and an unchanged roster already attached
    (same fingerprint) nothing is read again, the nightly case."""
    names = list(result.report.groups)
    if group is None:
        if len(names) != 1:
            raise UsageProblem(f"{result.report.file} holds {len(names)} chats ({', '.join(names[:8])}); "
                               "say which one the roster belongs to with --group NAME")
        group = names[0]
        key = keys[0] if keys and len(keys) == 1 else None
        fingerprint = _fingerprint(roster)
        source, rows = store.roster_source(key) if key is not None else (None, 0)
        if source is not None and source == fingerprint:
            result.roster_group, result.roster_members = group, rows
            store.record_roster_source(key, source, rows)   # stores from before the record get it here
            return
    else:
        key = fingerprint = None
    result.roster_report, result.roster_members = _read_and_attach(store, roster, group, tz, key, fingerprint)
    result.roster_group = group


def check_input(path: Path) -> None:
    """Refuse at once what is neither a regular file nor a directory (FIFO, device, socket), and an
    empty file (``--format`` skips ``sniff``, which refuses it too)."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise BadInput(f"{path}: cannot read: {exc.strerror}") from None
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a character device" if stat.S_ISCHR(mode)
                else "a block device" if stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode)
                else "not a regular file")
        raise BadInput(f"{path}: is {kind}; qunkit reads exported files or directories only "
                       "(save the export to a file first)")
    refuse_empty(path)


def _groups_intact(store: Store, seen: dict) -> bool:
    """Whether every group an earlier import of the file wrote still has readable parts.

    Entries written before ``keys`` were recorded are trusted (their groups are looked up by name)."""
    keys = seen.get("keys")
    if keys is None:
        names = set(seen.get("groups", []))
        metas = store.metas()
        return all(any(n == m.get("group_name") or n in m.get("names", []) for m in metas.values())
                   for n in names)
    return all(store.readable(k) for k in keys)


def plausible_window(platform: str, now: pd.Timestamp | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[first plausible moment, last plausible moment] of a message on ``platform`` (UTC)."""
    now = pd.Timestamp.now(tz="UTC") if now is None else now
    since = PLATFORM_SINCE.get(platform, min(PLATFORM_SINCE.values()))
    return pd.Timestamp(f"{since}-01-01", tz="UTC"), now + FUTURE_SLACK


def drop_implausible(chunk: pd.DataFrame | pa.Table, platform: str, report: ParseReport
                     ) -> pd.DataFrame | pa.Table:
    """``chunk`` without rows dated outside ``plausible_window``; each one is a bad line in ``report``.

    Vectorised; runs before keys are made, so no stored key or occurrence depends on a dropped row."""
    if isinstance(chunk, pa.Table):
        return _drop_implausible_table(chunk, platform, report)
    if not len(chunk):
        return chunk
    ts = chunk["ts"]
    if not isinstance(ts.dtype, pd.DatetimeTZDtype):
        return chunk   # finish_chunk rejects naive or non-time columns with a clear error
    if "platform" in chunk.columns:
        plat = chunk["platform"].fillna(platform).astype(str)
    else:
        plat = pd.Series(platform, index=chunk.index)
    bad = np.zeros(len(chunk), bool)
    for name in plat.unique():
        low, high = plausible_window(name)
        rows = (plat == name).to_numpy()
        t = ts[rows]
        bad[rows] = ((t < low) | (t > high)).to_numpy(dtype=bool, na_value=False)
    if not bad.any():
        return chunk
    n = int(bad.sum())
    lines = chunk["source_line"].to_numpy()[bad][:MAX_REPORTED].tolist()
    try:
        values = ts[bad].iloc[:MAX_REPORTED].tolist()
    except NotImplementedError:   # local time past the year 9999: Python's datetime cannot hold it; say it in UTC
        values = ts[bad].iloc[:MAX_REPORTED].dt.tz_convert("UTC").tolist()
    plats = plat[bad].iloc[:MAX_REPORTED].tolist()
    for line, value, name in zip(lines, values, plats, strict=True):
        low, _ = plausible_window(name)
        why = (f"date before {name} existed ({low.year})" if value < low
               else "date in the future (after now + 1 day)")
        report.issue(int(line) if line == line else 0, f"implausible timestamp, not stored: {why}", str(value))
    if n > MAX_REPORTED:
        report.issue(0, "implausible timestamps, not stored (more of them)", count=n - MAX_REPORTED)
    report.note("messages dated before their platform existed or in the future were not stored "
                "(counted as bad lines)")
    return chunk[~bad]


def _drop_implausible_table(chunk: pa.Table, platform: str, report: ParseReport) -> pa.Table:
    """``drop_implausible`` of an Arrow chunk (one platform: the parser's); only the rows it drops
    go through pandas, to be described exactly as the frame path describes them."""
    if not chunk.num_rows:
        return chunk
    ts = chunk.column("ts")
    if not pa.types.is_timestamp(ts.type) or ts.type.tz is None:
        return chunk   # finish_chunk rejects naive or non-time columns with a clear error
    if "platform" in chunk.column_names:
        raise ValueError("an Arrow parser chunk carries no platform column (one platform per parser)")
    low, high = plausible_window(platform)
    ms = pc.cast(pc.cast(ts, pa.timestamp("ms", tz="UTC")), pa.int64()).to_numpy(zero_copy_only=False)
    bad = (ms < low.value // 1_000_000) | (ms > high.value // 1_000_000)
    if not bad.any():
        return chunk
    rows = np.flatnonzero(bad)
    drop_implausible(chunk.take(pa.array(rows)).select(["ts", "source_line"]).to_pandas(), platform, report)
    return chunk.filter(pa.array(~bad))


def _ingest(store: Store, path: Path, parser_cls: type[Parser], options: ParseOptions, result: ImportResult,
            strict: bool, progress: Progress | None, repair: bool = False) -> list[str]:
    """Parse ``path`` chunk by chunk into a ``_Batch`` and commit it (or, with ``strict`` and bad lines,
    discard it and raise).  Temp parts never outlive a failure.  Returns the keys of the groups the
    file holds.  ``repair`` (``--force``): unreadable parts of those groups are moved aside and refilled."""
    report = result.report
    batch = _Batch(store, result, repair)
    total = path.stat().st_size if path.is_file() else 0
    try:
        for table in parsed_tables(path, parser_cls, options, report):
            if progress and total:
                progress(min(total, report.bytes_read), total)
            batch.add(table)
        batch.flush_all()
        if strict and report.bad_lines:
            first = report.issues[0] if report.issues else "?"
            raise BadInput(f"{report.bad_lines} line(s) could not be parsed (--strict; nothing was written). "
                           f"First: {first}")
    except BaseException:
        batch.discard()
        raise
    if progress and total:
        progress(total, total)
    batch.commit()
    return list(batch.groups)


def parsed_tables(path: Path, parser_cls: type[Parser], options: ParseOptions, report: ParseReport
                  ) -> Iterator[pa.Table]:
    """The MESSAGES tables an import of ``path`` stores, before de-duplication: parse (line-based
    formats on every core, ``formats.pieces``), drop implausible dates, finish (keys with one
    occurrence carry for the whole file).  Shared with fuzz/atheris_fuzz.py, so the fuzzer drives
    exactly what ``import`` runs.  Finishing stays on this thread: a pool of its own for it was no
    faster (the parse threads keep both cores busy) and cost ~30 MB more on the 992k QQ export, and
    on the 1M WhatsApp export it was 1 s slower."""
    key_carry: dict[int, int] = {}
    for chunk in parser_cls().tables(path, options, report):
        chunk = drop_implausible(chunk, parser_cls.platform, report)
        if not (chunk.num_rows if isinstance(chunk, pa.Table) else len(chunk)):
            continue
        table = finish_chunk(chunk, parser_cls, path.name, options.tz, key_carry)
        report.messages += table.num_rows
        yield table


@dataclass
class _Group:
    """One group's state during an import: keys stored or added so far, rows waiting, the open part."""

    platform: str
    group_id: str
    known: KeySet                     # msg_keys stored or added so far
    names: list[str] = field(default_factory=list)
    latest: str = ""
    chat_type: str = "group"
    waiting: list[pa.Table] = field(default_factory=list)
    waiting_rows: int = 0
    part: PartWriter | None = None    # the part being written (its rows sorted by time)
    part_rows: int = 0                # rows handed to ``part`` (queued or written)
    part_max: int = 0                 # newest ts (int ms) handed to ``part``
    used: int = 0                     # when ``part`` was last written (closing order when too many are open)


class _Batch:
    """The rows one import adds, per group: de-duplicated, buffered, written as temp parts of up to
    about ``FLUSH_ROWS`` rows, and published only by ``commit``.

    Memory stays a few chunks whatever the file's size: a group's new rows wait only until
    ``WRITE_ROWS`` (or ``BUFFERED_ROWS`` over all groups), then go to the group's open part as a
    row group, on one writer thread (Parquet encoding and zstd release the GIL, so the parse goes
    on meanwhile; at most ``IN_FLIGHT`` writes are queued).  A part keeps its rows sorted by time:
    rows older than what the part already holds start a new part."""

    def __init__(self, store: Store, result: ImportResult, repair: bool = False) -> None:
        self.store = store
        self.result = result
        self.repair = repair
        self.groups: dict[str, _Group] = {}
        self.pending: list[Path] = []
        self.buffered = 0
        self.clock = 0
        self._pool: ThreadPoolExecutor | None = None
        self._queued: deque[Future] = deque()

    def add(self, table: pa.Table) -> None:
        for part in _by_group(table):
            self._add_rows(*self._group(part), part)

    def _group(self, part: pa.Table) -> tuple[str, _Group]:
        """The state of ``part``'s group (its stored keys read once), updated with ``part``'s names."""
        platform, gid = part["platform"][0].as_py(), part["group_id"][0].as_py()
        key = group_key(platform, gid)
        if key not in self.groups:
            self.groups[key] = _Group(platform, gid, KeySet(self.store.existing_keys(key, repair=self.repair)))
        g = self.groups[key]
        names = pc.unique(part["group_name"].combine_chunks().dictionary_decode()).to_pylist()
        g.names += [n for n in names if n not in g.names]
        g.latest = part["group_name"][part.num_rows - 1].as_py()
        g.chat_type = part["chat_type"][0].as_py()
        return key, g

    def _add_rows(self, key: str, g: _Group, part: pa.Table) -> None:
        report, result, name = self.result.report, self.result, g.latest
        report.groups[name] = report.groups.get(name, 0) + part.num_rows
        keep = g.known.add_new(part["msg_key"].to_numpy())
        result.duplicates += int((~keep).sum())
        if keep.any():
            new = part if keep.all() else part.filter(pa.array(keep))
            g.waiting.append(new)
            g.waiting_rows += new.num_rows
            self.buffered += new.num_rows
            result.added[name] = result.added.get(name, 0) + new.num_rows
        if g.waiting_rows >= min(WRITE_ROWS, FLUSH_ROWS):
            self._write(key, g)
        while self.buffered > BUFFERED_ROWS:
            big = max(self.groups, key=lambda k: self.groups[k].waiting_rows)
            self._write(big, self.groups[big])

    def _write(self, key: str, g: _Group) -> None:
        """Hand ``g``'s waiting rows to its part (opened here, or a new one when they are older than
        what it holds or it is full) on the writer thread."""
        if not g.waiting:
            return
        rows = pa.concat_tables(g.waiting) if len(g.waiting) > 1 else g.waiting[0]
        self.buffered -= g.waiting_rows
        g.waiting, g.waiting_rows = [], 0
        lo, hi = (v.value for v in pc.min_max(rows["ts"]).values())
        if g.part is not None and (lo < g.part_max or g.part_rows >= FLUSH_ROWS):
            self._close(g)
        if g.part is None:
            open_parts = [x for x in self.groups.values() if x.part is not None]
            if len(open_parts) >= OPEN_PARTS:
                self._close(min(open_parts, key=lambda x: x.used))
            g.part = self.store.open_part(key)
            self.pending.append(g.part.path)
            g.part_rows, g.part_max = 0, hi
        g.part_rows += rows.num_rows
        g.part_max = max(g.part_max, hi)
        self.clock += 1
        g.used = self.clock
        self._submit(_write_sorted, g.part, rows)

    def _close(self, g: _Group) -> None:
        if g.part is not None:
            self._submit(g.part.close)
            g.part = None

    def _submit(self, fn: Callable, *args) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="qunkit-parts")
        self._queued.append(self._pool.submit(fn, *args))
        while len(self._queued) > IN_FLIGHT or (self._queued and self._queued[0].done()):
            self._queued.popleft().result()    # a failed write raises here, in the importing thread

    def _drain(self) -> None:
        while self._queued:
            self._queued.popleft().result()

    def flush_all(self) -> None:
        """Write every waiting row and close every part (the temp parts are then complete)."""
        for key, g in self.groups.items():
            self._write(key, g)
        for g in self.groups.values():
            self._close(g)
        self._drain()
        self._shutdown()

    def commit(self) -> None:
        """Parts first, then meta.json, then compaction, then the derived tables.  A crash after the parts leaves rows whose
        group readers still list (meta rebuilt from the parts) and a re-run completes; meta.json is
        never written for a group without rows, so no phantom "0 messages" group."""
        kill_point("parts_written")
        self.store.commit(self.pending)
        self.pending = []
        kill_point("parts_committed")
        for key, g in self.groups.items():
            self.store.update_meta(key, platform=g.platform, group_id=g.group_id, names=g.names,
                                   latest=g.latest, chat_type=g.chat_type)
        kill_point("meta_written")
        self.store.compact(self.groups)
        refresh_stale(self.store, self.groups)   # facts + aggregates of the groups that changed

    def discard(self) -> None:
        """Drop every temp part (after the writer thread has stopped touching them)."""
        while self._queued:
            with contextlib.suppress(Exception):
                self._queued.popleft().result()
        for g in self.groups.values():
            if g.part is not None:
                g.part.abort()
                g.part = None
        self._shutdown()
        self.store.discard(self.pending)
        self.pending = []

    def _shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


def _write_sorted(writer: PartWriter, rows: pa.Table) -> None:
    """Runs on the writer thread: sort one batch of a group's rows by time and append it to its part
    (rows already in time order, as most exports write them, are not copied by a sort)."""
    ms = pc.cast(rows["ts"], pa.int64()).to_numpy()
    writer.write(rows if (ms[1:] >= ms[:-1]).all() else rows.sort_by([("ts", "ascending")]))


def _by_group(table: pa.Table) -> Iterator[pa.Table]:
    """``table``'s rows split by group_id (one filter per group in the chunk, not per row; none when the
    chunk holds one group, as most do)."""
    if not table.num_rows:
        return
    gids = table["group_id"].combine_chunks()
    if pa.types.is_dictionary(gids.type):
        codes = gids.indices.to_numpy(zero_copy_only=False)
        if len(gids.dictionary) == 1 or (codes == codes[0]).all():
            yield table
            return
        gids = gids.dictionary_decode()
    for gid in pc.unique(gids).to_pylist():
        yield table.filter(pc.equal(gids, gid))


class KeySet:
    """The msg_keys of one group stored or added so far, as sorted runs: a chunk's new keys are a run
    of their own, merged with the run before while that is at most twice as long, so there are
    O(log n) runs and a key is copied O(log n) times (merging every chunk into one sorted array copied
    the whole group per chunk: O(n) per chunk on a group of a million rows)."""

    def __init__(self, stored: np.ndarray) -> None:
        self.runs: list[np.ndarray] = [stored] if len(stored) else []

    def add_new(self, keys: np.ndarray) -> np.ndarray:
        """Mask of the rows to add: not stored yet, and the first of their key within ``keys`` too
        (overlapping sections, re-sent chunks); their keys join the set."""
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        first = np.ones(len(keys), bool)
        first[1:] = ordered[1:] != ordered[:-1]
        unique, at = ordered[first], order[first]     # stable: ``at`` is each key's first row
        seen = np.zeros(len(unique), bool)
        for run in self.runs:
            seen |= _isin_sorted(unique, run)         # sorted queries: searchsorted walks ``run`` in order
        new = np.zeros(len(keys), bool)
        new[at[~seen]] = True
        if not seen.all():
            self.runs.append(unique[~seen])
            while len(self.runs) > 1 and len(self.runs[-2]) <= 2 * len(self.runs[-1]):
                last = self.runs.pop()
                merged = np.concatenate([self.runs.pop(), last])
                merged.sort(kind="stable")            # two sorted runs: a linear merge
                self.runs.append(merged)
        return new


def _isin_sorted(values: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    if len(sorted_keys) == 0:
        return np.zeros(len(values), bool)
    idx = np.searchsorted(sorted_keys, values)
    idx[idx >= len(sorted_keys)] = 0
    return sorted_keys[idx] == values
