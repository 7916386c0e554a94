"""Bounded-memory readers for the WeChat exporters' CSV files (their text layouts are read on the
piece engine, ``pieces``).

``iter_csv`` streams RFC 4180 CSV (quoted fields with embedded newlines) through
pyarrow's CSV reader block by block and gives every record the physical line it
starts on, so an issue points where an editor shows it.  Rows with the wrong
number of fields become report issues, never silent skips.

An unmatched quote (a message body that opens ``"`` and never closes it) would make a quoted
field of every row up to the next quote: rows lost, or merged into one message silently.  Both
exporters start a record with a numeric id (``localId``, ``id``), so a line inside a multi-line
field that starts with ``<digits>,`` and reads alone as a whole record is a record the quote
swallowed.  When a batch holds one (or pyarrow gives up on an unclosed quote), reading goes on
from that batch's first line with ``_records_by_line``: a line-by-line reader that ends an open
quoted field at such a line and reports the broken row at its line (slower, Python; only for
damaged files).

The JSON exports (chatlog, WeFlow) are streamed by ``jsonstream``.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from ..errors import BadInput
from .base import ParseReport
from .textio import iter_text_chunks, read_head


def csv_columns(head: str) -> list[str]:
    """Column names from the first line of decoded CSV text (BOM and quotes removed); what the
    CSV sniffers look at (a head that is not CSV gives names no sniffer wants)."""
    first = head.lstrip("\ufeff").split("\n", 1)[0].strip("\r")
    return [c.strip().strip('"') for c in first.split(",")]


def read_csv_header(path: Path) -> list[str]:
    """Column names from the first line of a CSV file (BOM and quotes removed)."""
    return csv_columns(read_head(path, 16 * 1024)[0])


def iter_csv(path: Path, report: ParseReport, block_bytes: int = 16 << 20,
             line_offset: int = 0) -> Iterator[pd.DataFrame]:
    """Yield DataFrames of string columns plus ``source_line`` (physical 1-based start line,
    plus ``line_offset``).  Text inside fields has CRLF normalised to LF."""
    _, enc = read_head(path)
    if not enc:
        return
    names = read_csv_header(path)
    invalid: list[tuple[int, int]] = []  # (record number counting the header as 1, lines spanned)

    def on_invalid(row: Any) -> str:
        text = row.text or ""
        span = text.count("\n") + 1
        if row.number is not None:
            invalid.append((int(row.number), span))
        if text.strip():
            report.issue(-int(row.number or 0), f"CSV row has {row.actual_columns} fields, expected "
                         f"{row.expected_columns}", text[:120])
        return "skip"

    source = _Recoded(path, enc, report)
    kept = (len(report.issues), report.bad_lines)  # (open_csv parses the first block already)
    try:
        reader = pcsv.open_csv(
            source,
            read_options=pcsv.ReadOptions(block_size=block_bytes, use_threads=False),
            parse_options=pcsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False,
                                            invalid_row_handler=on_invalid),
            convert_options=pcsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as exc:
        source.close()
        raise BadInput(f"{path}: unreadable CSV: {str(exc)[:200]}") from None
    next_record, next_line = 2, 2  # record 1 is the header (one line)
    fixed = 0
    try:
        for n, cols, spans, width in _checked_batches(reader, invalid, len(names)):
            # valid rows take consecutive record numbers, stepping over the skipped invalid ones
            recs = next_record + np.arange(n, dtype=np.int64)
            skipped = []
            for rec, span in sorted(invalid):
                if rec <= recs[-1]:
                    recs[recs >= rec] += 1
                    skipped.append((rec, span))
            all_recs = np.concatenate([recs, np.array([r for r, _ in skipped], dtype=np.int64)])
            all_spans = np.concatenate([spans, np.array([s for _, s in skipped], dtype=np.int64)])
            order = np.argsort(all_recs, kind="stable")
            starts = np.empty(len(order), dtype=np.int64)
            starts[order] = next_line + np.concatenate([[0], np.cumsum(all_spans[order])[:-1]])
            fixed = _fix_issue_lines(report, fixed, {r: int(starts[n + i]) + line_offset
                                                     for i, (r, _) in enumerate(skipped)})
            invalid[:] = [x for x in invalid if x not in skipped]
            next_record = int(recs[-1]) + 1
            next_line = int(starts[n - 1] + spans[n - 1])
            df = pd.DataFrame(cols)
            df["source_line"] = starts[:n] + line_offset
            blank = width == 0  # an empty line: not a record
            if blank.any():
                df = df.loc[~blank].reset_index(drop=True)
            yield from _slices(df)
            kept = (len(report.issues), report.bad_lines)
    except _Reread:  # a quote never closed: this batch and the rest are read line by line
        _rewind(report, kept)
        source.close()
        yield from _records_by_line(path, enc, names, report, next_line, line_offset)
        return
    source.close()
    # invalid rows after the last valid one
    where, line = {}, next_line
    for rec, span in sorted(invalid):
        where[rec] = line + line_offset
        line += span
    _fix_issue_lines(report, fixed, where)


class _Reread(Exception):
    """The batch holds rows an unmatched quote swallowed."""


def _checked_batches(reader: Any, invalid: list[tuple[int, int]], width: int
                     ) -> Iterator[tuple[int, dict[str, pd.Series], np.ndarray, np.ndarray]]:
    """(rows, columns, spans, bytes per record) of each non-empty batch; _Reread when a batch (or
    the invalid rows pyarrow skipped) shows an unmatched quote, or pyarrow cannot delimit the rest."""
    batches = iter(reader)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            if _swallowed_invalid(invalid, width):  # the last rows all ran into one unclosed quote
                raise _Reread from None
            return
        except pa.ArrowInvalid:
            raise _Reread from None
        n = batch.num_rows
        cols, spans, nbytes = _batch_columns(batch)
        if _swallowed_invalid(invalid, width) or (n and _swallowed(cols, spans, width)):
            raise _Reread
        if n:
            yield n, cols, spans, nbytes


_RECORD_START = re.compile(r"\n(\d+,)")


def _starts_record(line: str, width: int) -> bool:
    """Does ``line``, read alone, look like the start of a record with a numeric id: all ``width``
    fields, or at least half of them and then a quoted field that goes on to the next line?"""
    if not line[:1].isdigit() or not re.match(r"\d+,", line):
        return False
    fields = len(next(csv.reader([line]), []))
    if fields == width:
        return True
    if line.count('"') % 2 == 0 or not width // 2 <= fields < width:
        return False
    try:
        next(csv.reader([line], strict=True))
    except csv.Error:
        return True  # ends inside an open quoted field
    return False


def _swallowed(cols: dict[str, pd.Series], spans: np.ndarray, width: int) -> bool:
    """Does a multi-line field of this batch hold a line that is a record of its own?"""
    multi = np.flatnonzero(spans > 1)
    if not len(multi):
        return False
    for col in cols.values():
        for value in col.iloc[multi]:
            if isinstance(value, str) and _RECORD_START.search(value) and \
                    any(_starts_record(ln, width) for ln in value.split("\n")[1:]):
                return True
    return False


def _swallowed_invalid(invalid: list[tuple[int, int]], width: int) -> bool:
    """An invalid row spanning several lines (its text is gone by now; a multi-line row with
    the wrong field count is what an unmatched quote leaves): re-read to be sure."""
    return any(span > 1 for _, span in invalid) and width > 1


def _rewind(report: ParseReport, kept: tuple[int, int]) -> None:
    """Forget the issues a batch filed before it was re-read line by line."""
    del report.issues[kept[0]:]
    report.bad_lines = kept[1]


def _records_by_line(path: Path, encoding: str, names: list[str], report: ParseReport, first_line: int,
                     line_offset: int) -> Iterator[pd.DataFrame]:
    """Records from physical line ``first_line`` on, read line by line: a quoted field still open
    when a line that is a whole record of its own comes is the unmatched quote's row, reported at
    its line and skipped, and the new line starts the next record."""
    width = len(names)
    rows: list[list[str]] = []
    starts: list[int] = []
    buf: list[str] = []
    start = quotes = 0

    def issue(line: int, why: str, text: str) -> None:
        report.issue(line + line_offset, why, text[:120])

    def flush() -> pd.DataFrame:
        df = pd.DataFrame(rows, columns=names) if rows else pd.DataFrame(columns=names)
        df = df.loc[:, ~df.columns.duplicated()]  # a name given twice: the first column counts
        df["source_line"] = np.asarray(starts, dtype=np.int64) + line_offset
        rows.clear()
        starts.clear()
        return df

    for no, line in enumerate(_lines(path, encoding), start=1):
        if no < first_line:
            continue
        if buf and quotes % 2 and _starts_record(line, width):
            issue(start, "unmatched quote: this row ran into the rows after it; row skipped (the rest was read)",
                  buf[0])
            buf, quotes = [], 0
        if not buf:
            start = no
        buf.append(line)
        quotes += line.count('"')
        if quotes % 2:
            continue
        text, buf, quotes = "\n".join(buf), [], 0
        if not text.strip():
            continue
        try:
            rec = next(csv.reader([text]), [])
        except csv.Error as exc:  # balanced quotes in odd places ("a"b" ... across lines)
            issue(start, f"unreadable CSV row ({exc})", text)
            continue
        if len(rec) != width:
            issue(start, f"CSV row has {len(rec)} fields, expected {width}", text)
            continue
        rows.append(rec)
        starts.append(start)
        if len(rows) >= MAX_ROWS:
            yield flush()
    if buf:
        issue(start, "unmatched quote: this row runs to the end of the file; row skipped", buf[0])
    if rows:
        yield flush()


def _lines(path: Path, encoding: str) -> Iterator[str]:
    """The decoded file's physical lines (BOM dropped)."""
    first = True
    for piece in iter_text_chunks(path, encoding):
        if first:
            piece, first = piece.lstrip("\ufeff"), False
        yield from piece.split("\n")[:-1] if piece.endswith("\n") else piece.split("\n")


def _batch_columns(batch: pa.RecordBatch) -> tuple[dict[str, pd.Series], np.ndarray, np.ndarray]:
    """(columns with CRLF -> LF inside fields, physical lines each record spans, bytes per record);
    a record of zero bytes is an empty line, not a record."""
    n = batch.num_rows
    spans = np.ones(n, dtype=np.int64)
    width = np.zeros(n, dtype=np.int64)
    cols = {}
    for i, name in enumerate(batch.schema.names):
        col = batch.column(i)  # by position: a header may name a column twice (the first one counts)
        if not pa.types.is_string(col.type):  # a header pyarrow reads other than read_csv_header (quotes
            # inside a name): its type was inferred, and an empty cell there is null, not "" (a fuzz crash)
            col = pc.fill_null(col.cast(pa.string()), "")
        nl = pc.count_substring(col, "\n").to_numpy(zero_copy_only=False)
        spans += nl.astype(np.int64)
        width += pc.binary_length(col).to_numpy(zero_copy_only=False)
        if nl.any():
            col = pc.replace_substring(col, "\r\n", "\n")
        cols.setdefault(name, col.to_pandas())
    return cols, spans, width


class _Recoded(io.RawIOBase):
    """The file as UTF-8 bytes for pyarrow: decoded in its own encoding with undecodable bytes
    replaced (pyarrow's own transcoding is strict), BOM dropped."""

    def __init__(self, path: Path, encoding: str, report: ParseReport | None = None) -> None:
        super().__init__()
        self._report = report
        self._fh = open(path, "rb")
        self._dec = codecs.getincrementaldecoder("utf-8-sig" if encoding.startswith("utf-8") else encoding)("replace")
        self._buf = b""
        self._eof = False

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        while not self._eof and (n < 0 or len(self._buf) < n):
            raw = self._fh.read(max(n, 1 << 20) if n > 0 else -1)
            self._eof = not raw
            if self._report is not None:
                self._report.bytes_read = self._fh.tell()
            self._buf += self._dec.decode(raw, final=self._eof).encode("utf-8")
        if n < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._fh.close()
        super().close()


MAX_ROWS = 250_000  # rows per yielded chunk (DESIGN: at most ~500k)


def _slices(df: pd.DataFrame) -> Iterator[pd.DataFrame]:
    if len(df) <= MAX_ROWS:
        yield df
        return
    for start in range(0, len(df), MAX_ROWS):
        yield df.iloc[start:start + MAX_ROWS].reset_index(drop=True)


def _fix_issue_lines(report: ParseReport, start: int, lines: dict[int, int]) -> int:
    """Issues for invalid CSV rows are filed with -record number; give them their physical line."""
    for issue in report.issues[start:]:
        if issue.line < 0 and -issue.line in lines:
            issue.line = lines[-issue.line]
    done = start
    while done < len(report.issues) and report.issues[done].line >= 0:
        done += 1
    return done


def export_encoding(path: Path) -> str:
    """The detected encoding of a JSON/text export (BadInput when the file is empty)."""
    _, enc = read_head(path)
    if not enc:
        raise BadInput(f"{path}: the file is empty; expected a chat export")
    return enc
