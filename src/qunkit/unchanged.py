"""imports.json's side of an import, free of pandas and pyarrow: file fingerprints, what a file
skipped as unchanged reports, and ``unchanged_import``, which decides that a whole import has
nothing new before any heavy module is loaded.

A nightly cron job imports the same folder every night and most nights nothing in it changed;
loading pandas, pyarrow and the parsers only to learn that cost more than the rest of the round.
``unchanged_import`` applies ``qunkit.ingest.import_file``'s rules for an unchanged file, checked
conservatively: any doubt returns None and the full import runs (it decides the same way with
everything loaded, and repairs what needs repairing).  Doubts: ``force`` or an explicit roster, a
file or folder whose fingerprint imports.json does not hold (new, changed, or not an export), an
entry without the group keys it wrote, a group without parts, a part that does not look like
Parquet (magic bytes at both ends), a compaction journal, a store that is not layout 2 (needs the
migration under the lock), ``--facts`` on a store that does not keep facts yet, a matched roster
whose fingerprint is not the one recorded beside the attached roster (``roster-source.json``,
written by ``Store.write_roster``), and a roster.parquet changed since that record.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BadInput
from .inputs import expand_inputs
from .parsereport import ParseReport

LAYOUT = 2                                # = store.SCHEMA_VERSION (tests check they agree)
PARTITION = "group_key"                   # = store.PARTITION
ROSTER_SOURCE_FILE = "roster-source.json"  # beside roster.parquet: the attached file's fingerprint, rows
PARQUET_MAGIC = b"PAR1"
ResultHook = Callable[["ImportResult"], None]


@dataclass
class ImportResult:
    """What importing one file did, for the CLI and for scripts."""

    report: ParseReport
    added: dict[str, int] = field(default_factory=dict)      # group_name -> rows added
    duplicates: int = 0                                        # rows already in the store
    skipped_unchanged: bool = False
    skipped: str | None = None          # why a file found in a folder was not imported (not an export)
    roster_group: str | None = None
    roster_members: int = 0
    roster_report: ParseReport | None = None

    @property
    def added_total(self) -> int:
        return sum(self.added.values())

    def as_dict(self) -> dict:
        d = self.report.as_dict()
        d.update(added=self.added_total, added_by_group=dict(self.added), duplicates=self.duplicates,
                 skipped_unchanged=self.skipped_unchanged, skipped=self.skipped, roster_group=self.roster_group,
                 roster_members=self.roster_members,
                 roster_issues=[str(i) for i in self.roster_report.issues] if self.roster_report else [])
        return d


def fingerprint(path: Path) -> str | None:
    """sha256 of the file's bytes (directories: of their files' names, sizes and mtimes).

    A file's is remembered for the rest of the process under its inode, size and mtime, so the quick
    check and the import that follows it read the file once (a rewrite keeping all three within one
    clock tick would be missed: an export is not rewritten while it is imported)."""
    h = hashlib.sha256()
    if path.is_dir():
        for p in sorted(path.rglob("*")):
            if p.is_file():
                st = p.stat()
                h.update(f"{p.relative_to(path)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        return "dir:" + h.hexdigest()
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            memo = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
            if memo in _PRINTS:
                return _PRINTS[memo]
            for block in iter(lambda: fh.read(8 << 20), b""):
                h.update(block)
    except OSError:
        return None
    _PRINTS[memo] = h.hexdigest()
    return _PRINTS[memo]


_PRINTS: dict[tuple[int, int, int, int], str] = {}


def fingerprint_soon(path: Path) -> Callable[[], str | None]:
    """``fingerprint(path)`` worked out on a thread of its own (sha256 releases the GIL), returned by the
    call: an import that need not know it before reading the file hashes while it parses."""
    done: list[str | None] = []
    worker = threading.Thread(target=lambda: done.append(fingerprint(path)), name="qunkit-fingerprint", daemon=True)
    worker.start()

    def result() -> str | None:
        worker.join()
        return done[0] if done else fingerprint(path)   # the thread failed: hash here, so an error is raised here

    return result


def may_be_recorded(path: Path, imports: dict) -> bool:
    """Whether ``imports`` (imports.json) can hold ``path``'s fingerprint: false only for a file whose size
    no record has (records keep the size since it was added; one without it may be any file)."""
    if not path.is_file():
        return True
    size = path.stat().st_size
    return any(not isinstance(rec, dict) or rec.get("size", size) == size for rec in imports.values())


def mark_unchanged(result: ImportResult, seen: dict) -> None:
    """Fill the report of a file skipped as unchanged from what ``imports.json`` remembers of it."""
    report = result.report
    result.skipped_unchanged = True
    report.messages = seen.get("messages", 0)
    report.groups = dict.fromkeys(seen.get("groups", []), 0)
    report.note(f"unchanged since it was imported on {seen.get('imported_at', '?')}: nothing to add "
                "(--force re-reads it)")


def roster_source_record(roster_parquet: Path, source: str, rows: int) -> dict:
    """What ``roster-source.json`` holds: the attached file's fingerprint and rows, and the stat of the
    roster.parquet it describes (a roster.parquet replaced without it is then noticed)."""
    st = roster_parquet.stat()
    return {"source": source, "rows": rows, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


class _Doubt(Exception):
    """Something the quick check does not decide: the full import runs."""


def unchanged_import(root: Path, paths: Iterable[Path], *, input_format: str | None = None, force: bool = False,
                     roster: Path | None = None, roster_dir: Path | None = None, facts: bool = False,
                     on_result: ResultHook | None = None) -> list[ImportResult] | None:
    """The results ``qunkit.ingest.import_files`` would return when every export in ``paths`` is
    unchanged (nothing read, nothing written), or None when the full import must run.

    Holds the store lock while it looks, so a running import is waited for, as the full path does."""
    if force or roster is not None or not (root / "imports.json").is_file():
        return None
    try:
        os.close(os.open(root / ".lock", os.O_RDWR | os.O_CREAT, 0o644))   # a read-only store: the full path says so
    except OSError:
        return None
    try:
        from filelock import FileLock, Timeout  # noqa: PLC0415 - light; only when there is a store to lock
        lock = FileLock(str(root / ".lock"), timeout=600)
        with lock:
            results = _check(root, [Path(p) for p in paths], input_format, roster_dir, facts)
    except (_Doubt, BadInput, OSError, ValueError, Timeout):
        return None
    for res in results if on_result is not None else ():
        on_result(res)
    return results


def _check(root: Path, paths: list[Path], input_format: str | None, roster_dir: Path | None,
           facts: bool) -> list[ImportResult]:
    info = _json(root / "store.json")
    if not isinstance(info, dict) or info.get("schema_version") != LAYOUT or (facts and not info.get("derived")):
        raise _Doubt
    imports = _json(root / "imports.json")
    if not isinstance(imports, dict):
        raise _Doubt
    if input_format and any(p.is_dir() for p in paths):
        raise _Doubt          # whether a folder is one export depends on the parser: the full path asks it
    prints: dict[Path, str] = {}

    def known(path: Path) -> dict:
        if path not in prints:
            fp = fingerprint(path)
            if fp is None or fp not in imports:
                raise _Doubt
            prints[path] = fp
        return imports[prints[path]]

    def sniff(path: Path) -> str:
        if path.is_dir():
            known(path)       # a folder is one export only if it was imported as one
        return str(known(path).get("format"))

    inputs = expand_inputs(paths, roster_dir, input_format=input_format, sniff=_no_raise_on_dirs(sniff))
    results = [ImportResult(report=ParseReport(file=str(p), format="-"), skipped=why) for p, why in inputs.skipped]
    for path in inputs.exports:
        if not (path.is_file() or path.is_dir()):
            raise _Doubt
        seen = known(path)
        fmt = str(seen.get("format"))
        keys = seen.get("keys")
        if (input_format and input_format != fmt) or not keys or not all(_intact(root, k) for k in keys):
            raise _Doubt
        res = ImportResult(report=ParseReport(file=str(path), format=fmt))
        mark_unchanged(res, seen)
        matched = inputs.rosters.get(path)
        if matched is not None:
            _roster_unchanged(root, matched, res, keys)
        results.append(res)
    return results


def _no_raise_on_dirs(sniff: Callable[[Path], str]) -> Callable[[Path], str]:
    """``expand_inputs`` asks whether a folder is itself one export: unknown means a folder of exports
    (BadInput), whose files must then each be known."""
    def ask(path: Path) -> str:
        try:
            return sniff(path)
        except _Doubt:
            if path.is_dir():
                raise BadInput(f"{path}: not imported as one export") from None
            raise
    return ask


def _intact(root: Path, key: str) -> bool:
    """``Store.readable`` without pyarrow: parts listed, each with Parquet's magic at both ends, and no
    compaction journal or layout-1 folder to honour."""
    if (root / "groups" / key / "compact.json").exists() or (root / "groups" / key / "messages").exists():
        return False
    parts = list((root / "messages" / f"{PARTITION}={key}").glob("part-*.parquet"))
    return bool(parts) and all(_looks_parquet(p) for p in parts)


def _looks_parquet(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
            fh.seek(-8, os.SEEK_END)
            tail = fh.read(8)
    except OSError:
        return False
    footer = int.from_bytes(tail[:4], "little")
    return head == PARQUET_MAGIC and tail[4:] == PARQUET_MAGIC and 0 < footer < path.stat().st_size - 12


def _roster_unchanged(root: Path, roster: Path, res: ImportResult, keys: list[str]) -> None:
    """``ingest._attach_to_file_group``'s unchanged-roster case, from ``roster-source.json``."""
    names = list(res.report.groups)
    if len(names) != 1 or len(keys) != 1:
        raise _Doubt          # the full path says which group the roster belongs to (or that it cannot)
    gdir = root / "groups" / keys[0]
    record = _json(gdir / ROSTER_SOURCE_FILE)
    parquet = gdir / "roster.parquet"
    if not isinstance(record, dict) or not parquet.is_file():
        raise _Doubt
    fp = fingerprint(roster)
    if fp is None or record != roster_source_record(parquet, fp, int(record.get("rows", -1))):
        raise _Doubt
    res.roster_group, res.roster_members = names[0], int(record["rows"])


def _json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
