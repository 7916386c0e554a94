"""Parse a line-based export on every core: cut it where a record starts, parse the pieces on threads.

A line-based export (QQ .txt, WhatsApp .txt) is a sequence of records, each starting with a header
line.  Cut just before a header, a piece holds whole records only, so it parses alone: no message
carried into the next piece, and its first line number is known from the breaks before it.
``RecordPieces`` does that cut on the byte stream ``textio.iter_utf8_chunks`` yields (a search for
the last header in the tail of each block, and a count of its breaks); ``ordered_map`` runs the
parse of each piece on a small thread pool and hands the results back in file order.  The parse is
mostly Arrow and NumPy kernels, which release the GIL, so two pieces really parse at once (1.5x
one thread on the 992k QQ export), while the importing thread keys and stores earlier rows.

Whatever a parse reports goes to a ``ParseReport.child`` of its own and joins the file's report in
file order (``ParseReport.absorb``), so issues and notes come out exactly as a sequential parse
would list them.
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..parsereport import ParseReport
from .base import lines_array
from .bytescan import where_byte

T = TypeVar("T")
R = TypeVar("R")

MAX_WORKERS = 4      # a cap (on 2 cores, 3 threads were slower than 2: the Python between kernels holds the GIL)
THREADS_ENV = "QUNKIT_PARSE_THREADS"   # overrides parse_workers (1: parse on the importing thread)
TAIL = 8 << 10       # bytes searched for the last record start first (doubled until one is found)
MAX_CARRY = 64 << 20  # bytes without a record start that are carried before they are handed on anyway


@dataclass(frozen=True)
class Piece:
    """Whole records of an export: UTF-8 bytes that start at the start of a line (a header, except at
    the file's start) and end on a line break (except, maybe, at the file's end)."""

    data: bytes
    first_line: int      # 0-based number of the piece's first line in the file
    index: int           # 0 for the piece at the file's start

    @property
    def at_start(self) -> bool:
        return self.index == 0


StartFinder = Callable[[bytes, int], int]
"""``(data, lo) -> offset``: where the last record of ``data`` starts, searching from ``lo`` (which may
fall inside a line); 0 when no record starts after ``lo`` (nor after the first byte)."""


def regex_starts(start: re.Pattern[bytes]) -> StartFinder:
    """A ``StartFinder`` for records whose header line ``start`` matches at its beginning (the
    pattern must mean the same on bytes as the parser's test does on its lines: ASCII only)."""
    rx = re.compile(rb"(?<=[\n\r])(?:" + start.pattern + rb")", start.flags)

    def last(data: bytes, lo: int) -> int:
        found = 0
        for m in rx.finditer(data, max(lo, 1)):
            found = m.start()
        return found

    return last


def line_regex_starts(pattern: str, after_blank: bool = False) -> StartFinder:
    """A ``StartFinder`` for records whose header line the RE2 ``pattern`` matches, told by the same
    kernel a parser tells its headers by (``pc.match_substring_regex`` over ``base.lines_array``'s
    lines of the block's tail), for patterns that mean something else on bytes (Unicode classes).
    ``after_blank``: only a header right after a blank line (empty or only whitespace) starts a record,
    for layouts that write a blank line after every message (``blank_lines`` is the rule)."""
    return line_starts(lambda lines: pc.match_substring_regex(lines, pattern).to_numpy(zero_copy_only=False),
                       after_blank)


def line_starts(is_header: Callable[[pa.Array], np.ndarray], after_blank: bool = False) -> StartFinder:
    """A ``StartFinder`` for records whose header lines ``is_header`` tells (a bool per line of a string
    array of lines, the parser's own test), over ``base.lines_array``'s lines of the block's tail;
    ``after_blank`` as in ``line_regex_starts``."""
    def last(data: bytes, lo: int) -> int:
        at = _line_start(data, lo)
        if at < 0:
            return 0
        tail = data[at:]
        lines = lines_array(tail)
        hit = np.array(is_header(lines), bool)
        if after_blank:
            hit[1:] &= blank_lines(lines)[:-1]
        hits = np.flatnonzero(hit)
        if at == 0 or after_blank:
            hits = hits[hits > 0]      # the block's first line is no cut (nor one whose line before is unseen)
        if not len(hits):
            return 0
        h = int(hits[-1])
        return at if h == 0 else at + int(_break_ends(tail)[h - 1]) + 1

    return last


def blank_lines(lines: pa.Array) -> np.ndarray:
    """Which lines are blank: empty or only whitespace (``utf8_is_space`` is false for "")."""
    return pc.or_(pc.utf8_is_space(lines), pc.equal(lines, "")).to_numpy(zero_copy_only=False)


def record_bodies(lines: pa.Array, headers: np.ndarray) -> pa.Array:
    """The body of each record of a piece whose header lines are ``headers`` (ascending line indices,
    at least one): the lines after its header up to the next one, joined by "\\n", without trailing
    lines that are empty or only spaces and tabs (the exporters' blank line after a message)."""
    n = len(lines)
    hdr = np.zeros(n, bool)
    hdr[headers] = True
    body = ~hdr & (np.arange(n) >= headers[0])
    counts = np.bincount((np.cumsum(hdr) - 1)[body], minlength=len(headers))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), lines.filter(pa.array(body))), "\n")
    return where_byte(joined, "\n", lambda b: pc.replace_substring_regex(b, r"(?:\n[ \t]*)+$", ""))


MAX_ROW_ISSUES = 50       # rows reported one by one per piece (``row_issues``); the rest in one count
MAX_PREAMBLE_ISSUES = 20


def row_issues(lines: np.ndarray, excerpts: pa.Array, reason: str, report: ParseReport) -> None:
    """Rows of a piece that cannot be imported (a date that is no date), at their line numbers: the
    first ``MAX_ROW_ISSUES`` one by one, the rest in one count (the report keeps only the first few)."""
    texts = excerpts.to_pylist()
    for i, (line, text) in enumerate(zip(lines.tolist(), texts, strict=True)):
        if i >= MAX_ROW_ISSUES:
            report.issue(line, reason, text, count=len(texts) - i)
            break
        report.issue(line, reason, text)


def preamble_issues(lines: pa.Array, first_line: int, report: ParseReport) -> None:
    """Non-blank lines before a piece's first header (its first is line ``first_line``): the file's
    preamble, or (in a piece handed on without a header, ``MAX_CARRY``) text no header claims."""
    bad = [(first_line + i, t) for i, t in enumerate(lines.to_pylist()) if t.strip()]
    for k, (line, t) in enumerate(bad[:MAX_PREAMBLE_ISSUES]):
        last = k == MAX_PREAMBLE_ISSUES - 1
        report.issue(line, "text before the first message header", t, count=len(bad) - k if last else 1)


def _line_start(data: bytes, lo: int) -> int:
    """The first line start at or after ``lo`` (0 for ``lo`` 0; -1 when none)."""
    if lo == 0:
        return 0
    cut = [i for i in (data.find(b"\n", lo - 1), data.find(b"\r", lo - 1)) if i >= 0]
    if not cut:
        return -1
    i = min(cut)
    return i + 2 if data[i: i + 2] == b"\r\n" else i + 1


def _break_ends(data: bytes) -> np.ndarray:
    """Offsets of the byte that ends each line break of ``data`` (the LF of a CRLF; a lone CR):
    ``_breaks``'s rule, with positions."""
    raw = np.frombuffer(data, np.uint8)
    brk = raw == 0x0A
    cr = raw == 0x0D
    if cr.any():
        lone = cr.copy()
        lone[:-1] &= ~brk[1:]
        brk |= lone
    return np.flatnonzero(brk)


class RecordPieces:
    """``Piece``s of a stream of line-aligned UTF-8 blocks, each cut before its last record start
    (``starts``); what follows the cut waits for the next block.  A stretch with no record start
    longer than ``max_carry`` bytes is handed on at a line break all the same (a piece that starts
    inside a record: the parser reports its first lines as text outside any message), so memory
    stays bounded on a file that is not the format it was taken for.  ``ends_with_break`` tells,
    once iterated, whether the file's last byte was a line break (if not, it may be truncated)."""

    def __init__(self, blocks: Iterable[bytes], starts: StartFinder, max_carry: int = MAX_CARRY) -> None:
        self._blocks = blocks
        self._starts = starts
        self._max_carry = max_carry
        self.ends_with_break = True

    def __iter__(self) -> Iterator[Piece]:
        carry = b""
        line = index = 0
        for block in self._blocks:
            if not block:
                continue
            self.ends_with_break = block.endswith((b"\n", b"\r"))
            data = carry + block if carry else block
            cut = self._last_start(data)
            if cut <= 0:
                if len(data) <= self._max_carry or not self.ends_with_break:
                    carry = data
                    continue
                cut = len(data)     # no record start in all of it: hand it on whole (it ends on a break)
            head, carry = data[:cut], data[cut:]
            yield Piece(head, line, index)
            line += _breaks(head)
            index += 1
        if carry:
            yield Piece(carry, line, index)

    def _last_start(self, data: bytes) -> int:
        """Offset of the last record start in ``data`` (0 when there is none after its first byte):
        the tail first, since a record is usually short, then twice as much until one is found."""
        size = TAIL
        while True:
            lo = max(0, len(data) - size)
            found = self._starts(data, lo)
            if found or lo == 0:
                return found
            size *= 2


def _breaks(data: bytes) -> int:
    """Line breaks in ``data``: LF, CRLF and lone CR (``base.lines_array`` cuts at each); NumPy counts
    a few times faster than ``bytes.count``."""
    raw = np.frombuffer(data, np.uint8)
    lf = raw == 0x0A
    n = int(np.count_nonzero(lf))
    if b"\r" in data:
        cr = raw == 0x0D
        n += int(np.count_nonzero(cr)) - int(np.count_nonzero(cr[:-1] & lf[1:]))
    return n


def parse_workers() -> int:
    """Threads that parse pieces: the cores this process may use, at most ``MAX_WORKERS``; 1 parses
    inline (no thread)."""
    if os.environ.get(THREADS_ENV, "").isdigit():
        return max(1, int(os.environ[THREADS_ENV]))
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:      # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, cores))


def ordered_map(fn: Callable[[T], R], items: Iterable[T], workers: int | None = None) -> Iterator[R]:
    """``map(fn, items)`` with ``fn`` run on ``workers`` threads, results in the order of ``items``.

    At most ``workers`` items are in flight (one more cost ~30 MB of peak memory on a QQ import and
    gained no time: the parse threads are the bottleneck), so memory stays a few pieces; ``items`` is
    read on the calling thread.  An exception from ``fn`` is raised at its item's turn; the pieces still
    queued are cancelled (the ones running finish first)."""
    workers = parse_workers() if workers is None else workers
    if workers <= 1:
        yield from map(fn, items)
        return
    pool = ThreadPoolExecutor(workers, thread_name_prefix="qunkit-parse")
    pending: deque[Future[R]] = deque()
    try:
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for fut in pending:
            fut.cancel()
        pool.shutdown(wait=True)
