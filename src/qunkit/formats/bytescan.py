"""Which rows of an Arrow string array hold a character or a word, read off its UTF-8 buffer.

An ASCII byte never occurs inside a multi-byte UTF-8 sequence, and a valid UTF-8 sequence starts
only where a character starts, so comparing the data buffer with the bytes of a character or word
finds exactly the rows whose text holds it: NumPy passes over the bytes (which release the GIL)
instead of a substring or regex kernel per row (``pc.match_substring(text, "@")`` cost ~5 ms per
27,000 rows; this ~1 ms; ``pc.match_substring(text, "红包")`` is no faster than a regex).  Parsers
use it to pick the few rows a costlier kernel must look at.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def rows_with_byte(arr: pa.Array | pa.ChunkedArray, char: str) -> np.ndarray:
    """Bool per row: does the row's text contain the ASCII ``char``?  (Null rows: False.)"""
    if ord(char) > 0x7F:
        raise ValueError(f"{char!r} is not ASCII")
    return rows_with(arr, char)


def rows_with(arr: pa.Array | pa.ChunkedArray, word: str) -> np.ndarray:
    """Bool per row: does the row's text contain ``word`` (any characters)?  (Null rows: False.)"""
    needle = word.encode("utf-8")
    if not needle:
        raise ValueError("rows_with needs a non-empty word")
    offsets, data, base = string_buffers(arr)
    n = len(offsets) - 1
    mask = np.zeros(n, bool)
    if n == 0 or len(data) < len(needle):
        return mask
    pos = byte_positions(data, needle)
    if len(pos):
        row = np.searchsorted(offsets, pos + base, side="right") - 1
        if len(needle) > 1:   # a match must lie within one row, not run from one into the next
            row = row[row == np.searchsorted(offsets, pos + base + len(needle) - 1, side="right") - 1]
        mask[row] = True
    return _non_null(arr, mask)


def byte_positions(data: np.ndarray, needle: bytes) -> np.ndarray:
    """Offsets in the uint8 array ``data`` where ``needle`` starts, in order.  A needle of two bytes or
    more is looked for by its first two at once (the buffer read as 16-bit words from an even and from
    an odd offset), since a single lead byte such as 0xE7 starts a tenth of all CJK characters; the
    rest is compared only at those places."""
    k = len(needle)
    m = len(data) - k + 1            # starts that leave room for the needle
    if m <= 0:
        return np.zeros(0, np.int64)
    if k == 1:
        return np.flatnonzero(data[:m] == needle[0])
    pair = np.uint16(needle[0] | needle[1] << 8)
    found = []
    for first in (0, 1):
        words = (m - first + 1) // 2          # 16-bit words starting at first, first + 2, ... below m
        if words > 0:
            found.append(np.flatnonzero(data[first: first + 2 * words].view("<u2") == pair) * 2 + first)
    pos = np.sort(np.concatenate(found)) if len(found) > 1 else found[0]
    for j in range(2, k):
        if not len(pos):
            break
        pos = pos[data[pos + j] == needle[j]]
    return pos


def starts_with_any(arr: pa.Array | pa.ChunkedArray, prefixes: tuple[str, ...]) -> np.ndarray:
    """Bool per row: does the row's text start with one of ``prefixes``?  (Null rows: False.)  Read off
    the bytes at the rows' starts (their first byte once for all prefixes, the rest only on the rows
    it leaves): no kernel runs over the texts."""
    offsets, data, base = string_buffers(arr)
    starts, lengths = offsets[:-1] - base, np.diff(offsets)
    out = np.zeros(len(starts), bool)
    if not len(data):
        return out
    first = data[np.minimum(starts, len(data) - 1)]   # an empty row's is another's: its length rules it out
    for prefix in prefixes:
        needle = prefix.encode("utf-8")
        rows = np.flatnonzero(first == needle[0])
        rows = rows[lengths[rows] >= len(needle)]
        for j in range(1, len(needle)):
            if not len(rows):
                break
            rows = rows[data[starts[rows] + j] == needle[j]]
        out[rows] = True
    return _non_null(arr, out)


def header_candidates(arr: pa.Array, shortest: int) -> np.ndarray:
    """Rows of a string array that could be a header starting with a date ``YYYY-``: at least
    ``shortest`` bytes, four ASCII digits then "-" (the cheap test that spares a header regex most of
    a piece's lines)."""
    offsets, data, base = string_buffers(arr)
    starts = offsets[:-1] - base
    idx = np.flatnonzero(np.diff(offsets) >= max(shortest, 5))
    at = starts[idx]
    ok = data[at + 4] == 0x2D
    for j in range(4):
        ok &= (data[at + j] - 0x30) <= 9        # uint8: bytes below "0" wrap above 9
    return idx[ok]


def ends_like(arr: pa.Array | pa.ChunkedArray, shape: str) -> np.ndarray:
    """Bool per row: do the row's last bytes spell ``shape``, an ASCII template in which "9" stands for
    any ASCII digit and every other character for itself?  (Null rows: False.)  Read off the bytes
    before the rows' ends, one template position at a time over the rows still in the running."""
    if not shape.isascii():
        raise ValueError(f"{shape!r} is not ASCII")
    offsets, data, base = string_buffers(arr)
    ends = offsets[1:] - base
    rows = np.flatnonzero(np.diff(offsets) >= len(shape))
    for j, ch in enumerate(shape):
        if not len(rows):
            break
        got = data[ends[rows] - len(shape) + j]
        rows = rows[(got - 0x30) <= 9] if ch == "9" else rows[got == ord(ch)]   # uint8: below "0" wraps
    out = np.zeros(len(ends), bool)
    out[rows] = True
    return _non_null(arr, out)


def digits(data: np.ndarray, at: np.ndarray, width: int) -> np.ndarray:
    """The decimal numbers written with ``width`` ASCII digits at the byte offsets ``at`` of ``data``
    (a ``string_buffers`` data array; the caller has checked the bytes are digits), as int64."""
    value = np.zeros(len(at), np.int64)
    for j in range(width):
        value = value * 10 + data[at + j].astype(np.int64) - 0x30
    return value


def where_rows(arr: pa.Array, rows: np.ndarray, fn, nulls: bool = False) -> pa.Array:
    """``fn`` (a kernel over a string array) applied to the ``rows`` (a bool mask) of ``arr`` only; the
    other rows keep their value (or are null, with ``nulls``): for a costly kernel that can change only
    the rows a byte scan picked."""
    idx = np.flatnonzero(rows)
    base = pa.nulls(len(arr), pa.string()) if nulls else arr
    if not len(idx):
        return base
    return pc.replace_with_mask(base, pa.array(np.asarray(rows, bool)), fn(arr.take(pa.array(idx))).cast(pa.string()))


def where_byte(arr: pa.Array, char: str, fn, nulls: bool = False) -> pa.Array:
    """``where_rows`` on the rows that hold the ASCII ``char`` (most bodies are one line without
    brackets: a regex that needs a newline or a "[" skips them)."""
    return where_rows(arr, rows_with_byte(arr, char), fn, nulls)


def _non_null(arr: pa.Array | pa.ChunkedArray, mask: np.ndarray) -> np.ndarray:
    """``mask`` false on the null rows of ``arr`` (a null row holds nothing)."""
    if arr.null_count:
        valid = arr.is_valid()
        mask &= (valid.combine_chunks() if isinstance(valid, pa.ChunkedArray) else valid).to_numpy(zero_copy_only=False)
    return mask


def string_buffers(arr: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, int]:
    """(offsets of its rows, the data bytes they span, the offset of those bytes' first) of a string
    array, without a copy."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    large = pa.types.is_large_string(arr.type)
    if not (large or pa.types.is_string(arr.type)):
        raise TypeError(f"a byte scan needs a string array, not {arr.type}")
    n = len(arr)
    if n == 0:
        return np.zeros(1, np.int64), np.zeros(0, np.uint8), 0
    _, off_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(off_buf, np.int64 if large else np.int32)[arr.offset: arr.offset + n + 1]
    if data_buf is None or offsets[-1] == offsets[0]:
        return offsets, np.zeros(0, np.uint8), int(offsets[0])
    return offsets, np.frombuffer(data_buf, np.uint8)[offsets[0]: offsets[-1]], int(offsets[0])
