"""``wechat_common``'s row rules for the WeChat parsers that build Arrow tables (WeChatMsg .txt,
chatlog text): the same results as ``build_messages`` and ``settle_chat_type`` give their raw rows,
column by column, with Python only on the rare rows that need ``wechat_common``'s own helpers
(``wxid:`` prefixes, XML bodies)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..parsereport import ParseReport
from .base import SYSTEM_ID
from .bytescan import rows_with_byte
from .wechat_common import _SENDER_PREFIX, _XMLISH, _render_xml

CHAT_TYPE_ROWS = 5000          # rows held back at most while the chat type is open (``settle_chat_type``)
_STRING = pa.string()


@dataclass
class ParsedPiece:
    """A piece's messages, which of them the exporting account sent, what its parse reported, and how
    many messages named no sender (noted once per file): what a WeChat text parser's parse thread
    hands back."""

    table: pa.Table | None
    is_self: np.ndarray
    report: ParseReport
    nameless: int = 0


def replace_rows(arr: pa.Array, mask: np.ndarray, values: list) -> pa.Array:
    """``arr`` with the ``mask`` rows set to ``values`` (in row order)."""
    return pc.replace_with_mask(arr, pa.array(mask), pa.array(values, arr.type, from_pandas=True))


def strip_sender_prefix(content: pa.Array, sender: pa.Array) -> tuple[pa.Array, pa.Array]:
    """A ``wxid_xxx:`` first line (v3 group content) is the sender, not the message: cut when it
    names the row's sender (or a wxid where the row names none), as ``build_messages`` does."""
    multi = np.flatnonzero(rows_with_byte(content, "\n") & rows_with_byte(content, ":"))
    if len(multi):      # (RE2 reads the ASCII pattern as re does: Python only on the rows that open with one)
        multi = multi[pc.match_substring_regex(content.take(pa.array(multi)), _SENDER_PREFIX)
                      .to_numpy(zero_copy_only=False)]
    if not len(multi):
        return content, sender
    take = pa.array(multi)
    texts, names = content.take(take).to_pylist(), sender.take(take).to_pylist()
    rx = re.compile(_SENDER_PREFIX.replace("?P<g>", ""))
    rows, bodies, senders = [], [], []
    for i, t, s in zip(multi.tolist(), texts, names, strict=True):
        m = rx.match(t)
        if m and (m.group(1) == s or (s == "" and m.group(1).startswith("wxid_"))):
            rows.append(i)
            bodies.append(t[m.end():])
            senders.append(s or m.group(1))
    if not rows:
        return content, sender
    mask = np.zeros(len(content), bool)
    mask[rows] = True
    return replace_rows(content, mask, bodies), replace_rows(sender, mask, senders)


def render_xml(content: pa.Array, kind: np.ndarray, system: np.ndarray) -> tuple[pa.Array, np.ndarray, pa.Array]:
    """(text, xmlish, reply_to): XML bodies (rare in the text layouts) rendered by ``build_messages``'
    own helper, which fills their kind (an object array of kind names, None where open) in place;
    every other row's text is its content."""
    n = len(content)
    reply_to = pa.nulls(n, _STRING)
    xmlish = np.zeros(n, bool)
    cand = np.flatnonzero(rows_with_byte(content, "<") & ~system)
    if len(cand):
        xmlish[cand] = pc.match_substring_regex(content.take(pa.array(cand)), _XMLISH).to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(xmlish)
    if not len(rows):
        return content, xmlish, reply_to
    sub_kind = kind[rows]
    replies = np.full(len(rows), None, dtype=object)
    texts, _ = _render_xml(pd.Series(content.take(pa.array(rows)).to_pylist(), dtype=object), sub_kind,
                           np.zeros(len(rows), bool), np.zeros(len(rows), bool), replies)
    kind[rows] = sub_kind
    reply_to = replace_rows(reply_to, xmlish, list(replies))
    return replace_rows(content, xmlish, list(texts)), xmlish, reply_to


def settled_tables(parsed: Iterator[ParsedPiece], report: ParseReport) -> Iterator[pa.Table]:
    """The tables of a WeChat text parser's pieces in file order, with their reports absorbed, the
    open chat type settled (``settle_chat_type``) and the messages without a sender noted once."""
    nameless = 0

    def absorbed() -> Iterator[tuple[pa.Table, np.ndarray]]:
        nonlocal nameless
        for got in parsed:
            report.absorb(got.report)
            nameless += got.nameless
            if got.table is not None and got.table.num_rows:
                yield got.table, got.is_self

    yield from settle_chat_type(absorbed())
    if nameless:
        report.note(f"{nameless} messages name no sender; imported with sender 'unknown'")


def settle_chat_type(chunks: Iterator[tuple[pa.Table, np.ndarray]]) -> Iterator[pa.Table]:
    """Fill the chat type the export leaves open (null rows of ``chat_type``) by
    ``wechat_common.settle_chat_type``'s rule on Arrow tables, given with which rows the exporting
    account sent: a private chat looks like a quiet group until a second person speaks, so tables are
    held back (at most ``CHAT_TYPE_ROWS`` rows) until a group is evident or enough was seen."""
    pending: list[tuple[pa.Table, np.ndarray]] = []
    decided: str | None = None
    others: set[str] = set()
    grouped = False
    for table, is_self in chunks:
        if decided is not None:
            yield _with_chat_type(table, decided)
            continue
        pending.append((table, is_self))
        grouped |= _group_evident(table, is_self, others)
        if grouped or sum(t.num_rows for t, _ in pending) >= CHAT_TYPE_ROWS:
            decided = "group" if grouped else "private"
            yield from (_with_chat_type(t, decided) for t, _ in pending)
            pending = []
    if pending:
        decided = "group" if grouped else "private"
        yield from (_with_chat_type(t, decided) for t, _ in pending)


def _group_evident(table: pa.Table, is_self: np.ndarray, others: set[str]) -> bool:
    """``wechat_common.infer_chat_type`` over the rows seen so far (``others`` gathers the senders)."""
    if pc.any(pc.ends_with(_plain(table.column("group_id")), "@chatroom")).as_py():
        return True
    if pc.any(pc.is_in(table.column("event"), pa.array(["join", "kick", "leave", "rename", "owner_change"]))).as_py():
        return True
    sid = _plain(table.column("sender_id"))
    person = pc.and_(pc.not_equal(sid, SYSTEM_ID), pa.array(~is_self))
    others.update(pc.unique(sid.filter(person)).to_pylist())
    return len(others) > 1


def _plain(col: pa.ChunkedArray) -> pa.Array:
    """A column as one plain string array (a dictionary column decoded)."""
    col = col.combine_chunks()
    return col.cast(_STRING) if pa.types.is_dictionary(col.type) else col


def _with_chat_type(table: pa.Table, chat_type: str) -> pa.Table:
    col = table.schema.get_field_index("chat_type")
    chat = table.column(col)
    if chat.null_count == 0:
        return table
    filled = pa.array([chat_type] * table.num_rows, _STRING) if chat.null_count == table.num_rows \
        else pc.fill_null(chat.cast(_STRING), chat_type)
    return table.set_column(col, "chat_type", filled)
