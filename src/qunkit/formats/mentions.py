"""@mentions in exported text, shared by the text-based importers.

Exports keep mentions only as ``@昵称`` inside the body (no ids), so every
text importer finds them the same way: a vectorised "@" test over the whole
column, then one ``findall`` per row that has one.  The name pattern differs by
client (WeChat puts U+2005 after a name; QQ names end at spaces or CJK
punctuation), so each importer passes its own compiled regex.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .bytescan import rows_with_byte

ALL_MENTIONS = {"所有人", "全体成员", "All", "all"}  # @所有人 / @全体成员 -> "@all"
# Python's ``\s`` in a str pattern (every character ``str.isspace`` accepts), spelt out for RE2,
# whose ``\s`` is ASCII only
PY_SPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
            "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


def mentions_where(text: np.ndarray, has: np.ndarray, pattern: re.Pattern[str]) -> np.ndarray:
    """Mentions (list of names, or None) of the rows flagged ``has``; other rows get None."""
    out = np.full(len(text), None, dtype=object)
    if has.any():
        rows = text[has]
        out[has] = np.fromiter(([("@all" if m in ALL_MENTIONS else m) for m in pattern.findall(t)] or None
                                for t in rows), dtype=object, count=len(rows))
    return out


def spaced_mentions(text: pa.Array) -> pa.Array:
    """WeChat's ``@name`` mentions of each row of an Arrow string array, as list<string> (null: none):
    the lists ``mentions_where`` gives with ``wechat_common.MENTION_RX`` (a name of any characters but
    whitespace and "@", ending at whitespace or the end of the text, its "@" not right after a letter,
    digit, "_" or "." so e-mail addresses are not mentions), in Arrow kernels.

    Why it is the same: the name class excludes "@", so each "@" starts its own attempt; the piece
    after it (``split_pattern`` on "@") must open with a run of name characters that whitespace ends,
    or that runs to the end of the last piece (a run ended by the next "@" fails the look-ahead)."""
    space = "[" + PY_SPACE + "]"
    name = "[^" + PY_SPACE + "@]"

    def found(after: pa.Array, last: np.ndarray, before: pa.Array) -> tuple[pa.Array, np.ndarray]:
        m = pc.extract_regex(after, f"^(?P<m>{name}+)(?P<end>{space}|$)")
        end = pc.fill_null(pc.not_equal(m.field("end"), ""), False).to_numpy(zero_copy_only=False)
        ok = m.is_valid().to_numpy(zero_copy_only=False) & (end | last)
        ok &= ~pc.match_substring_regex(before, "[A-Za-z0-9_.]$").to_numpy(zero_copy_only=False)
        return m.field("m"), ok

    return _split_mentions(text, found)


def at_mentions(text: pa.Array, stop: str, longest: int) -> pa.Array:
    """``@name`` mentions of each row of an Arrow string array, as list<string> (null: none), where
    a name is 1..``longest`` characters up to whitespace, "@" or one of ``stop``: the same lists as
    ``mentions_where`` with ``re.compile(f"@([^\\s@{stop}]{{1,{longest}}})")``, in Arrow kernels.

    Why it is the same: the name class excludes "@", so every "@" starts a fresh attempt; splitting
    on "@" and matching the class at the start of each later piece finds exactly those names."""
    cls = "[^" + PY_SPACE + "@" + re.escape(stop) + "]"

    def found(after: pa.Array, _last: np.ndarray, _before: pa.Array) -> tuple[pa.Array, np.ndarray]:
        m = pc.extract_regex(after, f"^(?P<m>{cls}{{1,{longest}}})")
        return m.field("m"), m.is_valid().to_numpy(zero_copy_only=False)

    return _split_mentions(text, found)


Finder = Callable[[pa.Array, np.ndarray, pa.Array], tuple[pa.Array, np.ndarray]]


def _split_mentions(text: pa.Array, found: Finder) -> pa.Array:
    """The mention lists of ``text``: each row with an "@" is split on it, and ``found(after, last,
    before)`` reads the name (or none: ``ok`` false) from every piece after an "@", told whether that
    piece is its row's last and given the piece before it (what precedes that "@")."""
    out_type = pa.list_(pa.string())
    rows = np.flatnonzero(rows_with_byte(text, "@"))
    if not len(rows):
        return pa.nulls(len(text), out_type)
    pieces = pc.split_pattern(text.take(pa.array(rows)), "@")
    counts = pc.list_value_length(pieces).to_numpy() - 1            # pieces after an "@"
    flat = pc.list_flatten(pieces)
    firsts = np.concatenate([[0], np.cumsum(counts + 1)[:-1]])      # each row's piece before its first "@"
    after = np.ones(len(flat), bool)
    after[firsts] = False
    last = np.zeros(len(flat), bool)
    last[firsts + counts] = True
    at = np.flatnonzero(after)
    got, ok = found(flat.take(pa.array(at)), last[at], flat.take(pa.array(at - 1)))
    names = pc.if_else(pc.is_in(got, pa.array(sorted(ALL_MENTIONS))), "@all", got)
    names = names.filter(pa.array(ok))
    per_row = np.add.reduceat(ok.astype(np.int64), np.concatenate([[0], np.cumsum(counts)[:-1]])) \
        if len(ok) else np.zeros(len(rows), np.int64)
    per_row = np.where(counts > 0, per_row, 0)
    offsets = np.zeros(len(text) + 1, np.int32)
    full = np.zeros(len(text), np.int64)
    full[rows] = per_row
    offsets[1:] = np.cumsum(full)
    lists = pa.ListArray.from_arrays(pa.array(offsets), names)
    return pc.if_else(pa.array(full > 0), lists, pa.nulls(len(text), out_type))
