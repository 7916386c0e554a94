"""QQChatExporter "chunked-jsonl" export (V5): a directory, not a file.

Layout (shared/formats/FORMATS.md §2; QCE ``chunked_jsonl_writer.rs``)::

    <export>_chunked_jsonl/
      manifest.json         {"metadata":…, "chatInfo":…, "statistics":…,
                             "chunked":{"chunksDir":"chunks", "chunks":[{"index":1,
                                        "fileName":"c000001.jsonl", "relativePath":"chunks/c000001.jsonl", …}]},
                             "avatars":{"file":"avatars.json", …}}
      chunks/c000001.jsonl  one CleanMessage per line (older exports: chunk_0001.jsonl)
      avatars.json          never read

Either the directory or its manifest.json may be given.  Records map through
``qce_json.QceMapper`` (the same code as the single-file JSON), so both
exports of one chat give the same rows.  ``source_line`` is the record number
counted across all chunks; issues name the chunk file and its line.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import BadInput
from .base import ParseOptions, Parser, ParseReport
from .jsonstream import TopLevelArrayReader, feed, loads
from .qce_json import QceMapper, note_version
from .textio import MAX_LINE_CHARS, bounded_lines

MANIFEST = "manifest.json"


def _manifest_for(path: Path) -> Path | None:
    if path.is_dir():
        m = path / MANIFEST
        return m if m.is_file() else None
    return path


def _read_manifest(manifest: Path) -> dict[str, Any]:
    """The manifest's small top-level values, read without json.load (a manifest
    from a future version might carry avatars inline)."""
    with open(manifest, "rb") as fh:
        reader = TopLevelArrayReader(fh, "\0no array\0", keep=("metadata", "chatInfo", "chunked"))
        reader.open()
    if reader.truncated or not reader.seen_keys:
        raise BadInput(f"{manifest}: not a readable QQChatExporter chunked-jsonl manifest ({reader.problem})")
    return reader.header


def chunk_files(base: Path, chunked: Any, report: ParseReport) -> list[Path]:
    """Chunk files in export order: as the manifest lists them, else by name."""
    files: list[Path] = []
    if isinstance(chunked, dict) and isinstance(chunked.get("chunks"), list):
        chunks_dir = chunked.get("chunksDir") if isinstance(chunked.get("chunksDir"), str) else "chunks"
        listed = [c for c in chunked["chunks"] if isinstance(c, dict)]
        listed.sort(key=lambda c: c.get("index") if isinstance(c.get("index"), int) else 0)
        for c in listed:
            rel = c.get("relativePath") or (f"{chunks_dir}/{c['fileName']}" if c.get("fileName") else None)
            if not isinstance(rel, str):
                continue
            p = base / rel
            if not _inside(p, base):
                report.issue(0, f"chunk path outside the export folder, not read: {rel}")
                continue
            if p.is_file():
                files.append(p)
            else:
                report.issue(0, f"chunk listed in the manifest is missing: {rel}")
                report.truncated = True
    if not files:
        for d in (base / "chunks", base):
            found = sorted(p for p in d.glob("*.jsonl") if p.is_file()) if d.is_dir() else []
            if found:
                files = found
                break
    return files


def _inside(path: Path, base: Path) -> bool:
    """Whether ``path`` (links resolved) lies in ``base``: a manifest's ``relativePath`` such as
    ``../../etc/passwd`` or ``/home/x/.ssh/id_rsa`` must not make an import read (and quote in
    its report) a file outside the export."""
    try:
        return path.resolve().is_relative_to(base.resolve())
    except (OSError, RuntimeError):
        return False


class QceJsonlParser(Parser):
    name = "qce-jsonl"
    platform = "qq"
    description = "QQChatExporter chunked-jsonl export (a directory with manifest.json and chunks/*.jsonl)"
    accepts_directory = True

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        if path.is_dir():
            manifest = path / MANIFEST
            if not manifest.is_file():
                return 0
            with open(manifest, "rb") as fh:
                head = fh.read(65536).decode("utf-8", "replace")
        elif path.name != MANIFEST and '"chunked"' not in head:
            return 0
        if '"chatInfo"' not in head:
            return 0
        if '"chunked"' in head or (path if path.is_dir() else path.parent).joinpath("chunks").is_dir():
            return 95 if ("QQChatExporter" in head or "qq-chat-exporter" in head) else 85
        return 0

    def parse(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pd.DataFrame]:
        manifest = _manifest_for(path)
        if manifest is None:
            raise BadInput(f"{path}: no {MANIFEST} in this directory; expected a QQChatExporter chunked-jsonl export")
        base = manifest.parent
        header = _read_manifest(manifest)
        report.encoding = "utf-8"
        note_version(header.get("metadata"), report)
        files = chunk_files(base, header.get("chunked"), report)
        if not files:
            raise BadInput(f"{base}: the manifest lists no chunk files and chunks/*.jsonl is empty")
        fallback = base.name.removesuffix("_chunked_jsonl") or base.name
        mapper = QceMapper(header.get("chatInfo"), fallback, options, report)
        yield from feed(mapper, _records(base, files, report))


def _records(base: Path, files: list[Path], report: ParseReport) -> Iterator[tuple[Any, int]]:
    """(record, number counted across all chunks) for every line that parses; the others to ``report``."""
    record = 0
    for chunk in files:
        rel = chunk.relative_to(base).as_posix()
        with open(chunk, "rb") as fh:
            for line_no, raw in bounded_lines(fh):
                if raw is not None and not raw.strip():
                    continue
                record += 1
                if raw is None:
                    report.issue(record, f"{rel}:{line_no}: line longer than {MAX_LINE_CHARS >> 20} MB: "
                                 "not a message record; skipped")
                    continue
                try:
                    rec = loads(raw)
                except ValueError as exc:
                    if not raw.endswith(b"\n") and chunk == files[-1]:
                        report.truncated = True
                        report.issue(record, f"{rel}:{line_no}: the last line is cut off (truncated)",
                                     raw[:80].decode("utf-8", "replace"))
                    else:
                        report.issue(record, f"{rel}:{line_no}: not a JSON record ({exc})",
                                     raw[:80].decode("utf-8", "replace"))
                    continue
                yield rec, record
