"""WeChatMsg / MemoTrace (留痕) TXT export.

One file per chat, ``<remark>.txt``; every message is written as
``f"{StrTime} {display_name}\\n{content}\\n\\n"``, and a system message as
``f"{StrTime} {content}\\n\\n"`` (the notice sits on the header line, no sender).

Why these choices:
- The header carries no id, so sender_id is the display name and the group is
  named after the file (``--group`` overrides when the CLI passes one).
- A header line is told from a system notice by its body: notices have none
  and read like one (邀请…加入了群聊, 撤回了一条消息, 拍了拍 …).  A member whose
  nickname reads like a notice and who sends an empty message is the price.
- A quoted reply ends with ``引用:<name>:<content>``; that line is someone
  else's words, so it is cut from ``text`` (the export has no id to put in
  reply_to).
- A header starts a message only after a blank line (the exporter writes one after
  every message), so a body line that looks like a header stays in its body.  A
  file without those blank lines (decided from its first block) takes every
  header-shaped line as a header, and says so.

How it stays fast: the import engine of the QQ and WhatsApp text parsers
(``pieces``): the bytes are cut just before a header that follows a blank line, so
a piece holds whole messages and parses alone on a parse thread, in Arrow and NumPy
kernels.  What ``wechat_common.build_messages`` does for every WeChat format is done
here column by column for the shape this layout can have (no type codes, no ids);
the rare rows that need its Python helpers (system lines, XML bodies, a ``wxid:``
prefix, 拍一拍) go through them alone, so the rows are the ones it would give.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..localtime import localize_seconds
from .base import (
    SYSTEM_ID,
    SYSTEM_NAME,
    ParseOptions,
    Parser,
    ParseReport,
    lines_array,
    parser_frame,
    utf8_chunks,
)
from .bytescan import digits, string_buffers, where_byte
from .civil import wall_seconds
from .events import parse_events
from .kinds import kinds_of
from .mentions import spaced_mentions
from .pieces import (
    Piece,
    RecordPieces,
    blank_lines,
    line_regex_starts,
    ordered_map,
    preamble_issues,
    record_bodies,
    row_issues,
)
from .wechat_arrow import ParsedPiece, render_xml, replace_rows, settled_tables, strip_sender_prefix
from .wechat_common import PLACEHOLDER_TEXT, clean_system_text, self_ids
from .wechatmsg_csv import chat_name_from_file

HEADER = r"^(?P<time>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?: (?P<rest>.*))?$"
# what a gray-bar notice on a header line reads like (body-less headers only)
NOTICE = (
    r"邀请.{0,300}加入了?群聊|通过扫描.{0,80}二维码加入群聊|撤回了一条(?:成员)?消息|拍了拍|移出了?群聊|退出了?群聊"
    r"|修改群名为|群主|与群里其他人都不是(?:微信)?朋友关系|以上是打招呼的内容|现在可以开始聊天了"
    r"|收到红包，请在手机上查看|开启了朋友验证|群公告|加入了群聊|^[\"“].+[\"”].+"
    r"|joined the group|invited .+ to|recalled a message|You've joined"
    r"|加入了?本群。?$|退出了?本群。?$|(?:移出|踢出)了?本群。?$"  # QQ wording (a QQ group written in this layout)
)
# bodies that open with these are that kind even when they go on for several lines
LEAD_KINDS = {"链接": "link", "分享": "link", "音乐分享": "link", "小程序": "link", "文件": "file",
              "聊天记录": "forward", "合并转发": "forward"}
_LEAD = r"^[ \t]*\[(?P<g>" + "|".join(LEAD_KINDS) + r")\]"
_SNIFF_HEADER = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} (.+)$", re.M)
_QQ_ID_END = re.compile(r"(?:\(\d{5,}\)|<[^<>]+@[^<>]+>)\s*$")
_STRICT_STARTS = line_regex_starts(HEADER, after_blank=True)
_LOOSE_STARTS = line_regex_starts(HEADER)
_STRING = pa.string()


class WeChatMsgTxtParser(Parser):
    name = "wechatmsg-txt"
    platform = "wechat"
    description = "WeChatMsg / MemoTrace (留痕) TXT: 'YYYY-MM-DD HH:MM:SS 名字' headers, one file per chat"

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        if not head or path.suffix.lower() not in (".txt", ""):
            return 0
        if "消息对象:" in head or "消息记录（此消息记录为文本格式" in head or "QQChatExporter" in head:
            return 0  # QQ message-manager / QCE text
        names = _SNIFF_HEADER.findall(head.replace("\r\n", "\n"))
        if not names:
            return 0
        qq_like = sum(bool(_QQ_ID_END.search(n)) for n in names)
        if qq_like * 2 >= len(names):
            return 0
        return 70 if len(names) >= 2 else 40

    def parse(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pd.DataFrame]:
        for table in self.tables(path, options, report):
            yield parser_frame(table)

    def tables(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pa.Table]:
        blocks = iter(utf8_chunks(path, options, report))
        first = next(blocks, b"")
        loose = _loose(first)
        if loose:
            report.note("message headers are not separated by blank lines; every header-shaped line "
                        "starts a message")
        pieces = RecordPieces(chain([first], blocks), _LOOSE_STARTS if loose else _STRICT_STARTS)
        context = _Context(options.group or chat_name_from_file(path), options, loose)
        parsed = ordered_map(lambda piece: _piece(piece, context, report.child()), pieces)
        yield from settled_tables(parsed, report)


def _loose(first: bytes) -> bool:
    """Does the file write its headers without a blank line before them?  Read off its first block:
    two or more header-shaped lines there, and at most one (the file's first line) at the start of the
    file or right after a blank line.  (A file whose first block holds a single message with
    header-shaped lines in its body would be read as loose: no export seen has one.)"""
    if not first:
        return False
    lines = lines_array(first)
    valid = pc.match_substring_regex(lines, HEADER).to_numpy(zero_copy_only=False)
    after_blank = np.concatenate([[True], blank_lines(lines)[:-1]])
    return bool(valid.sum() >= 2 and (valid & after_blank).sum() <= 1)


@dataclass(frozen=True)
class _Context:
    group: str
    options: ParseOptions
    loose: bool


def _piece(piece: Piece, ctx: _Context, report: ParseReport) -> ParsedPiece:
    """The messages of one piece (whole messages; on a parse thread)."""
    none = ParsedPiece(None, np.zeros(0, bool), report)
    lines = lines_array(piece.data)
    n = len(lines)
    if n == 0:
        return none
    hdr = pc.match_substring_regex(lines, HEADER).to_numpy(zero_copy_only=False)
    if not ctx.loose:
        hdr &= np.concatenate([[True], blank_lines(lines)[:-1]])
    starts = np.flatnonzero(hdr)
    before = int(starts[0]) if len(starts) else n
    if before:
        preamble_issues(lines.slice(0, before), piece.first_line + 1, report)
    if not len(starts):
        return none
    line_no = piece.first_line + 1 + starts
    body = record_bodies(lines, starts)
    heads = lines.take(pa.array(starts))
    time = pc.utf8_slice_codeunits(heads, 0, 19)
    rest = pc.utf8_slice_codeunits(heads, 20)

    secs, bad = _wall_seconds(time)
    if bad.any():
        row_issues(line_no[bad], pc.binary_join_element_wise(time, rest, " ").filter(pa.array(bad)),
                   "header date is not a valid date", report)
        keep = pa.array(~bad)
        body, rest, line_no, secs = body.filter(keep), rest.filter(keep), line_no[~bad], secs[~bad]
        if not len(secs):
            return none
    table, is_self, nameless = _messages(body, rest, ctx)
    table = table.append_column("ts", localize_seconds(secs, ctx.options.tz))
    return ParsedPiece(table.append_column("source_line", pa.array(line_no, pa.int64())), is_self, report, nameless)


def _messages(body: pa.Array, rest: pa.Array, ctx: _Context) -> tuple[pa.Table, np.ndarray, int]:
    """The parser columns of a piece's messages from their bodies and header rests (what
    ``build_messages`` makes of this layout's raw rows, column by column), which rows the exporting
    account sent, and how many name no sender."""
    n = len(body)
    sid_self, sname_self = self_ids(ctx.options)
    # the header's rest: a sender's name, or a notice on a body-less header; each distinct one is
    # stripped once, by Python's rule (the old reading) and then Arrow's (build_messages' sender rule)
    names = rest.dictionary_encode()
    stripped = pa.array([s.strip() for s in names.dictionary.to_pylist()], _STRING)
    rest = stripped.take(names.indices)
    system = np.asarray(pc.equal(body, "").to_numpy(zero_copy_only=False), bool)
    if system.any():
        idx = np.flatnonzero(system)
        system[idx] = pc.match_substring_regex(rest.take(pa.array(idx)), NOTICE).to_numpy(zero_copy_only=False)
    not_system = pa.array(~system)
    self_names = ["我"] + ([ctx.options.self_name] if ctx.options.self_name else [])
    is_self = ~system & pc.is_in(rest, pa.array(self_names, _STRING)).to_numpy(zero_copy_only=False)
    sender = pc.utf8_trim_whitespace(pc.if_else(not_system, rest, ""))
    # the message's own words: a quoted message's 引用: line is someone else's
    own = where_byte(body, "\n", lambda b: pc.replace_substring_regex(b, r"\n引用:[^\n]*$", ""))
    lead = where_byte(own, "[", _lead, nulls=True)
    kind = np.full(n, None, dtype=object)
    led = np.flatnonzero(lead.is_valid().to_numpy(zero_copy_only=False))
    if len(led):
        kind[led] = [LEAD_KINDS[g] for g in lead.take(pa.array(led)).to_pylist()]
    content = pc.if_else(not_system, own, rest)
    content, sender = strip_sender_prefix(content, sender)
    text, xmlish, reply_to = render_xml(content, kind, system)
    empty_media = xmlish & (pc.equal(text, "").to_numpy(zero_copy_only=False)) & np.isin(kind, list(PLACEHOLDER_TEXT))
    if empty_media.any():
        text = replace_rows(text, empty_media, [PLACEHOLDER_TEXT[k] for k in kind[empty_media]])
    still = np.flatnonzero(pd.isna(kind) & ~system)
    if len(still):
        kind[still] = kinds_of(text.take(pa.array(still)))
    kind[pd.isna(kind)] = "system"

    event = np.full(n, None, dtype=object)
    actor = np.full(n, None, dtype=object)
    target = np.full(n, None, dtype=object)
    sender_id = sender
    sender_name = sender
    if system.any():
        rows = np.flatnonzero(system)
        cleaned = clean_system_text(pd.Series(content.take(pa.array(rows)).to_pylist(), dtype=object))
        text = replace_rows(text, system, cleaned.to_list())
        ev = parse_events(cleaned)
        evn = ev["event"].to_numpy(dtype=object)
        event[rows] = evn
        actor[rows] = ev["event_actor"].to_numpy(dtype=object)
        target[rows] = ev["event_target"].to_numpy(dtype=object)
        kind[rows] = np.where(evn == "recall", "recall", np.where(evn == "pat", "pat", "system")).astype(object)
        sender_id = pc.if_else(pa.array(system), SYSTEM_ID, sender_id)
        sender_name = pc.if_else(pa.array(system), SYSTEM_NAME, sender_name)
    pat = np.flatnonzero((kind == "pat") & ~system)
    if len(pat):
        ev = parse_events(pd.Series(text.take(pa.array(pat)).to_pylist(), dtype=object))
        event[pat] = "pat"
        actor[pat] = ev["event_actor"].to_numpy(dtype=object)
        target[pat] = ev["event_target"].to_numpy(dtype=object)
    ann = np.flatnonzero((kind == "announcement") & ~system)
    if len(ann):
        event[ann] = "announcement"
        actor[ann] = np.where(is_self[ann], sid_self, np.asarray(sender_id.take(pa.array(ann)).to_pylist(), object))
    actor[actor == "你"] = sid_self     # "你" in a notice is the exporting account
    target[target == "你"] = sid_self

    if is_self.any():
        mine = pa.array(is_self)
        sender_id = pc.if_else(mine, sid_self, sender_id)
        sender_name = pc.if_else(mine, sname_self, sender_name)
    nobody = pc.equal(sender_id, "").to_numpy(zero_copy_only=False)
    if nobody.any():
        sender_id = pc.if_else(pa.array(nobody), "unknown", sender_id)
        sender_name = pc.if_else(pa.array(nobody), "unknown", sender_name)
    mentions = spaced_mentions(text)
    if system.any():
        mentions = pc.if_else(pa.array(system), pa.nulls(n, mentions.type), mentions)
    nulls = pa.nulls(n, _STRING)
    table = pa.table({
        "group_id": pa.array([ctx.group] * n, _STRING) if n else nulls,
        "group_name": pa.array([ctx.group] * n, _STRING) if n else nulls,
        "chat_type": nulls,
        "sender_id": sender_id,
        "sender_name": sender_name,
        "sender_account_name": nulls,
        "kind": pa.array(kind, _STRING),
        "text": text,
        "event": pa.array(event, _STRING, from_pandas=True),
        "event_actor": pa.array(actor, _STRING, from_pandas=True),
        "event_target": pa.array(target, _STRING, from_pandas=True),
        "mentions": mentions,
        "reply_to": reply_to,
        "msg_id": nulls,
    })
    return table, is_self, int(nobody.sum())


def _lead(bodies: pa.Array) -> pa.Array:
    """The label a body opens with (``_LEAD``), null where it opens with none."""
    m = pc.extract_regex(bodies, _LEAD)
    return pc.if_else(m.is_valid(), m.field("g"), pa.scalar(None, _STRING))


def _wall_seconds(time: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Seconds since 1970 of "YYYY-MM-DD HH:MM:SS" wall-clock times (the header's ASCII digits), and
    which are no real time, as ``pd.to_datetime`` of this format reads them (``civil.wall_seconds``)."""
    offsets, data, base = string_buffers(time)
    at = offsets[:-1] - base
    fields = [digits(data, at + lo, width) for lo, width in ((0, 4), (5, 2), (8, 2), (11, 2), (14, 2), (17, 2))]
    secs, ok = wall_seconds(*fields)
    return np.where(ok, secs, 0), ~ok
