"""sjzar/chatlog exports: the HTTP API's ``format=json``, ``format=csv`` and ``format=text``.

JSON is an array of Message objects (``seq, time, talker, talkerName,
isChatRoom, sender, senderName, isSelf, type, subType, content, contents``),
streamed one element at a time.  CSV carries the same fields as columns, or the
short ``Time,SenderName,Sender,TalkerName,Talker,Content`` layout.  Text is
``张三(wxid_xxx) [群名(123@chatroom)] 01-02 15:04:05`` headers over bodies.

Why these choices:
- ``seq`` is the native id (msg_id); a reply's ``contents.refer.seq`` is its
  reply_to, so replies link within an export.
- ``time`` carries its offset, so it is used as is; ``seq // 1000`` (a Unix
  second) is the fallback.
- Text headers have **no year** by default.  The year is ``--year`` when given
  (the year of the *first* message); otherwise it is inferred from the file's
  modification time: the export was written after its last message, so the last
  message falls in the mtime's year unless its month-day lies after the mtime's
  (then the year before).  Walking back, every point where the time of year
  jumps back by more than a day is a new year.  ``report.note`` says which years
  were used, so a wrong guess is visible and ``--year`` fixes it.
- Text bodies: the ``> 引用者(wxid) 01-02 15:04:05`` / ``> 被引内容`` lines
  before a reply are someone else's words and are cut from ``text``.
- A text header starts a message at the file's start or right after a blank line
  (a body line shaped like a header stays in its body); a file whose first
  blocks hold no header after a blank line but two header-shaped lines is read
  with every header-shaped line a header, and says so.  (A file without blank
  lines whose first line is a header is therefore read as one message under
  that header, as it always was: chatlog writes the blank lines.)

How the text import stays fast: the import engine of the other line-based parsers
(``pieces``).  The bytes are cut just before a header, so a piece holds whole
messages and parses alone on a parse thread; header lines are told by their
bytes (how they end: `` MM-DD HH:MM:SS`` or `` YYYY-MM-DD HH:MM:SS``, the same
lines as ``HEADER``), their times read from their digits, and what
``wechat_common.build_messages`` makes of this layout's rows is done column by
column (``wechat_arrow``); Python runs once per distinct header head (sender and
room, split by ``_ROOM`` and ``_ID``) and on the rare rows that need
``build_messages``' own helpers (system lines, XML bodies, ``wxid:`` prefixes).
The years: the first year may depend on the file's *last* header (the file's
date dates it), so the file is read twice: first the header times alone (bytes,
on the parse threads; only each piece's first and last time of year and its
inner roll-overs meet, in file order), then the messages, each piece knowing
where the new years start.  The rows, issues and notes are those of the parser
this replaced (``wechat_io.iter_text_blocks``, a pandas frame per block, a pass for
the years) on generated files of every shape, at any piece size, except one
note: "N messages name no sender" comes once per file with the file's count (it
came once per block with the block's count).  (The engine parses a file's last
message as a piece of its own, where the old reader's last block held it: the
import summary, which counts a piece's rows under its group's name at the piece's
end, differs only for a room renamed in the file's last message.)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import BadInput
from ..localtime import localize, localize_seconds
from ..schema import KIND_CODE, KINDS, dictionary_column
from .base import (
    SYSTEM_ID,
    SYSTEM_NAME,
    ParseOptions,
    Parser,
    ParseReport,
    lines_array,
    parser_frame,
    text_encoding,
    utf8_chunks,
)
from .bytescan import digits, ends_like, starts_with_any, string_buffers, where_rows
from .civil import wall_seconds
from .events import parse_events
from .jsonstream import RecordBatcher, TopLevelArrayReader, stopped, stream_array
from .kinds import kind_codes, kind_column
from .mentions import spaced_mentions
from .pieces import (
    Piece,
    RecordPieces,
    blank_lines,
    line_starts,
    ordered_map,
    preamble_issues,
    record_bodies,
    row_issues,
)
from .wechat_arrow import ParsedPiece, render_xml, replace_rows, settled_tables, strip_sender_prefix
from .wechat_common import (
    PLACEHOLDER_TEXT,
    build_messages,
    clean_system_text,
    drop_bad,
    finalize,
    self_ids,
    ts_from_epoch,
)
from .wechat_common import settle_chat_type as settle_frames
from .wechat_io import csv_columns, export_encoding, iter_csv, read_csv_header
from .wechatmsg_csv import chat_name_from_file

SYSTEM_SENDER = SYSTEM_NAME  # how chatlog names the sender of gray-bar rows

# PlainTextContent placeholders: ![图片](url), [链接|title](url), [转账|发送 ￥1.00](备注) ...
MEDIA_LABELS = {
    "图片": "image", "语音": "voice", "视频": "video", "动画表情": "sticker", "GIF表情": "sticker", "表情": "sticker",
    "名片": "card", "链接": "link", "分享": "link", "小程序": "link", "视频号": "link", "文件": "file",
    "群公告": "announcement", "红包": "redpacket", "红包封面": "other", "转账": "transfer", "语音通话": "call",
    "视频通话": "call", "位置": "location", "聊天记录": "forward", "合并转发": "forward", "拍一拍": "pat",
}
_MEDIA = r"^!?\[(?P<g>" + "|".join(sorted(MEDIA_LABELS, key=len, reverse=True)) + r")(?:\|[^\]\n]*)?\](?:\([^)\n]*\))?$"
_UNKNOWN = r"^Type: ?[0-9]+"
_MEDIA_CODE = {label: KIND_CODE[kind] for label, kind in MEDIA_LABELS.items()}

TIME = r"(?:[0-9]{4}-)?[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}"
# "> quoted" lines are excluded from headers by the leading [^>]
HEADER = rf"^(?P<head>[^>\n].*?) (?P<time>{TIME})$"
_SNIFF_HEADER = re.compile(rf"^[^>\n\d].*\([^()\n]+\)(?: \[.*\])? {TIME}$", re.M)
_ROOM = re.compile(r"^(?P<sender>.*?\)|[^ ()]+) \[(?P<room>.*)\]$")
_ID = re.compile(r"^(?P<name>.*)\((?P<id>[^()]*)\)$")

JSON_KEYS = ("seq", "time", "talker", "talkerName", "isChatRoom", "sender", "senderName", "isSelf", "type",
             "subType", "content")


def media_codes(text: pa.Array) -> np.ndarray:
    """Kind codes (``schema.KIND_CODE``) of chatlog placeholder bodies (-1 where the body is none) of a
    null-free string array: the regexes run on the bodies that start like one only."""
    code = np.full(len(text), -1, np.int8)
    rows = np.flatnonzero(starts_with_any(text, ("[", "![")))
    if len(rows):
        got = pc.extract_regex(text.take(pa.array(rows)), _MEDIA)
        hit = got.is_valid().to_numpy(zero_copy_only=False)
        labels = got.field("g").filter(pa.array(hit)).dictionary_encode()
        by_label = np.array([_MEDIA_CODE[g] for g in labels.dictionary.to_pylist()], np.int8)
        code[rows[hit]] = by_label[labels.indices.to_numpy()]
    rows = np.flatnonzero(starts_with_any(text, ("Type:",)))
    if len(rows):
        code[rows[pc.match_substring_regex(text.take(pa.array(rows)), _UNKNOWN).to_numpy(zero_copy_only=False)]] = \
            KIND_CODE["other"]
    return code


def media_kinds(text: pd.Series) -> pd.Series:
    """Kind of chatlog placeholder bodies (None where the body is not one): ``media_codes`` by name."""
    code = media_codes(pa.array(text.fillna("").astype(str), pa.string()))
    return pd.Series(np.asarray([*KINDS, None], dtype=object)[code], index=text.index, dtype=object)


def _truthy(s: pd.Series) -> pd.Series:
    """JSON booleans, or CSV "true"/"1" strings."""
    if s.dtype == bool:
        return s
    return s.astype(str).str.strip().str.lower().isin(["true", "1"]).astype(bool)


def _id(v: object) -> str | None:
    if v is None or v == "" or isinstance(v, (dict, list)):
        return None
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def _ids(values: list) -> list:
    """Native ids as strings; all-int columns (the usual case) in one numpy pass."""
    if values and all(type(v) is int for v in values):
        return np.array(values, dtype=np.int64).astype(str).astype(object).tolist()
    return [_id(v) for v in values]


class _ChatlogRows:
    """Shared by the JSON and CSV layouts: chatlog Message fields -> raw WeChat rows."""

    @staticmethod
    def raw(df: pd.DataFrame, options: ParseOptions, report: ParseReport, fallback_name: str) -> pd.DataFrame:
        ts = pd.to_datetime(df["time"].astype(object).where(df["time"].notna(), None), utc=True,
                            format="ISO8601", errors="coerce")
        naive = df["time"].fillna("").astype(str).str.match(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}$")
        if naive.any():  # CSV "Time" without an offset: the export's wall clock
            local = pd.to_datetime(df.loc[naive, "time"], format="ISO8601", errors="coerce")
            ts[naive] = localize(local, options.tz).dt.tz_convert("UTC")
        bad = ts.isna()
        if bad.any() and "seq" in df:
            seq = pd.to_numeric(df["seq"], errors="coerce")
            ts[bad] = ts_from_epoch(seq[bad] // 1000)
        df = df.assign(ts=ts)
        df = drop_bad(df, df["ts"].isna(), "no readable time/seq", report,
                      df["time"].astype(str) + " " + df["content"].fillna("").astype(str).str[:80])
        talker = df["talker"].fillna("").astype(str).str.strip()
        talker = talker.where(talker != "", fallback_name)
        tname = df["talkerName"].fillna("").astype(str).str.strip()
        room = _truthy(df["isChatRoom"]) | talker.str.endswith("@chatroom") if "isChatRoom" in df \
            else talker.str.endswith("@chatroom")
        sender = df["sender"].fillna("").astype(str).str.strip()
        typ = pd.to_numeric(df["type"], errors="coerce") if "type" in df else pd.Series(np.nan, index=df.index)
        content = df["content"].fillna("").astype(str)
        if "title" in df:  # cards whose content is empty: the title (and URL) is what was shared
            card = (content == "") & (df["title"].fillna("") != "")
            url = df["url"].fillna("").astype(str)
            content = content.where(~card, (df["title"].fillna("").astype(str) + "\n" + url).str.rstrip("\n"))
        system = (typ == 10000) | (typ == 10002) | (sender == SYSTEM_SENDER)
        is_self = _truthy(df["isSelf"]) if "isSelf" in df else sender == "我"
        label = media_kinds(content).where(typ.isna(), None)
        group = options.group
        return pd.DataFrame({
            "ts": df["ts"],
            "group_id": talker,
            "group_name": group or tname.where(tname != "", talker),
            "chat_type": room.map({True: "group", False: "private"}),
            "source_line": df["source_line"],
            "content": content,
            "type": typ,
            "subtype": df["subType"] if "subType" in df else None,
            "label_kind": label,
            "is_system": system,
            "is_self": is_self & ~system,
            "sender_id": sender.where(sender != SYSTEM_SENDER, ""),
            "sender_name": df["senderName"].fillna("").astype(str),
            "msg_id": df["seq"] if "seq" in df else None,
            "reply_to": df["reply_to"] if "reply_to" in df else None,
        })


class ChatlogJsonParser(Parser):
    name = "chatlog-json"
    platform = "wechat"
    description = "sjzar/chatlog JSON (API format=json): array of {seq,time,talker,sender,type,content,...}"

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        if not head or not head.lstrip("\ufeff \t\r\n").startswith("["):
            return 0
        keys = sum(f'"{k}"' in head for k in ("seq", "talker", "talkerName", "isChatRoom", "senderName", "isSelf"))
        return 90 if keys >= 4 else 0

    def parse(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pd.DataFrame]:
        report.encoding = export_encoding(path)
        fallback = chat_name_from_file(path)
        batcher = RecordBatcher(lambda records, lines: self._chunk(records, lines, options, report, fallback),
                                report, "array element is not a message object")
        with open(path, "rb") as fh:
            reader = TopLevelArrayReader(fh, None, encoding=report.encoding, resync=False)
            if not reader.open():
                stopped(report, path.name, 1, reader.truncated, reader.problem or "")
                return
            yield from stream_array(reader, batcher, report, path.name)

    @staticmethod
    def _chunk(records: list[dict], lines: list[int], options: ParseOptions, report: ParseReport,
               fallback: str) -> pd.DataFrame:
        cols = {k: [r.get(k) for r in records] for k in JSON_KEYS}
        cols["seq"] = _ids(cols["seq"])  # ids stay exact strings (no float round trip)
        contents = [r.get("contents") if isinstance(r.get("contents"), dict) else {} for r in records]
        refer = [c.get("refer") if isinstance(c.get("refer"), dict) else {} for c in contents]
        df = pd.DataFrame(cols)
        df["title"] = [c.get("title") or "" for c in contents]
        df["url"] = [c.get("url") or "" for c in contents]
        df["reply_to"] = _ids([r.get("seq") for r in refer])
        df["source_line"] = lines
        for col in ("content", "talker", "talkerName", "sender", "senderName"):
            df[col] = df[col].astype(object).where(df[col].notna(), "").astype(str)
        raw = _ChatlogRows.raw(df, options, report, fallback)
        return finalize(build_messages(raw, options, report), None)


CSV_ALIASES = {"time": "time", "sendername": "senderName", "sender": "sender", "talkername": "talkerName",
               "talker": "talker", "content": "content", "seq": "seq", "ischatroom": "isChatRoom",
               "isself": "isSelf", "type": "type", "subtype": "subType"}


class ChatlogCsvParser(Parser):
    name = "chatlog-csv"
    platform = "wechat"
    description = "sjzar/chatlog CSV (API format=csv): Time,SenderName,Sender,TalkerName,Talker,Content"

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        cols = {c.lower() for c in csv_columns(head)}
        if {"time", "sendername", "sender", "talker", "content"} <= cols:
            return 90
        return 0

    def parse(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pd.DataFrame]:
        text_encoding(path, report)
        header = read_csv_header(path)
        rename = {c: CSV_ALIASES[c.lower()] for c in header if c.lower() in CSV_ALIASES}
        if not {"time", "sender", "content"} <= set(rename.values()):
            raise BadInput(f"{path}: not a chatlog CSV (needs Time, Sender and Content columns)")
        fallback = chat_name_from_file(path)

        def chunks() -> Iterator[pd.DataFrame]:
            for df in iter_csv(path, report, block_bytes=max(options.chunk_bytes, 1 << 20)):
                df = df.rename(columns=rename)
                for col in ("talker", "talkerName", "senderName"):
                    if col not in df:
                        df[col] = ""
                if "isSelf" not in df:
                    df["isSelf"] = df["sender"].str.strip().isin(["我", options.self_id or "我"])
                yield build_messages(_ChatlogRows.raw(df, options, report, fallback), options, report)

        yield from settle_frames(chunks())


class ChatlogTextParser(Parser):
    name = "chatlog-txt"
    platform = "wechat"
    description = "sjzar/chatlog text (API format=text): '张三(wxid) [群名(id@chatroom)] 01-02 15:04:05' headers"

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        if not head or "消息对象:" in head:
            return 0
        found = _SNIFF_HEADER.findall(head.replace("\r\n", "\n"))
        return 75 if len(found) >= 2 else (45 if found else 0)

    def parse(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pd.DataFrame]:
        for table in self.tables(path, options, report):
            yield parser_frame(table)

    def tables(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pa.Table]:
        first_year, rollovers = _years(path, options, report)
        blocks, loose = _opening(utf8_chunks(path, options, report))
        if loose:
            report.note(LOOSE_NOTE)
        ctx = _Context(options.group or chat_name_from_file(path), options, loose, first_year, rollovers)
        parsed = ordered_map(lambda piece: _piece(piece, ctx, report.child()), RecordPieces(blocks, _STARTS[loose]))
        yield from settled_tables(parsed, report)


# -- text: which lines are headers -----------------------------------------------------------------

LOOSE_NOTE = "message headers are not separated by blank lines; every header-shaped line starts a message"
_SHORT, _FULL = " 99-99 99:99:99", " 9999-99-99 99:99:99"   # how a header ends (bytescan.ends_like)
_QUOTE = r"^(?:>[^\n]*(?:\n|$))+"      # the "> " lines a reply opens with: someone else's words
DAY = 86400
_Y2000 = 946684800                     # 2000-01-01 00:00 in seconds since 1970
_KIND_NAMES = np.asarray([*KINDS, None], dtype=object)      # by code; -1 (open) is None
_PLACEHOLDER_CODES = [KIND_CODE[k] for k in PLACEHOLDER_TEXT]
_STRING = pa.string()


def _shaped(lines: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(which lines ``HEADER`` matches, which of them spell the year), told by their bytes: a line ends
    with " MM-DD HH:MM:SS" or " YYYY-MM-DD HH:MM:SS" (ASCII digits) after at least one character, and
    does not start with ">" (a quoted line).  The same lines as the pattern: its lazy head takes the
    year into the time whenever it can, and a line that ends like ``_FULL`` cannot end like ``_SHORT``
    (the byte before the month is "-", not a space)."""
    length = np.diff(string_buffers(lines)[0])
    full = ends_like(lines, _FULL) & (length > len(_FULL))
    shaped = full | (ends_like(lines, _SHORT) & (length > len(_SHORT)))
    if shaped.any():
        shaped &= ~starts_with_any(lines, (">",))
    return shaped, full & shaped


def _headers(lines: pa.Array, loose: bool) -> tuple[np.ndarray, np.ndarray]:
    """(indices of a piece's header lines, which of them spell the year): header-shaped lines right
    after a blank line or at the piece's start (every one in a loose file)."""
    shaped, full = _shaped(lines)
    if not loose:
        cand = np.flatnonzero(shaped[1:]) + 1
        if len(cand):
            shaped[cand] = blank_lines(lines.take(pa.array(cand - 1)))
    rows = np.flatnonzero(shaped)
    return rows, full[rows]


_STARTS = {False: line_starts(lambda lines: _shaped(lines)[0], after_blank=True),
           True: line_starts(lambda lines: _shaped(lines)[0])}


def _opening(blocks: Iterator[bytes]) -> tuple[Iterator[bytes], bool]:
    """(the file's blocks, whether it is loose: written without blank lines between messages).  The
    rule the parser has always had, read off the blocks from the file's start: as soon as they hold a
    header after a blank line (or at the file's start), or no header-shaped line at all, it is not;
    once they hold two header-shaped lines, or the file ends, it is.  The blocks read until then go on
    as one, so the file is cut where it always was."""
    it = iter(blocks)
    held: list[bytes] = []
    strict, shaped_lines, prev_blank = False, 0, True
    loose = False
    nxt = next(it, None)
    while nxt is not None:
        block, nxt = nxt, next(it, None)
        held.append(block)
        lines = lines_array(block)
        if not len(lines):
            continue
        shaped, _ = _shaped(lines)
        blank = blank_lines(lines)
        strict |= bool((shaped & np.concatenate([[prev_blank], blank[:-1]])).any())
        prev_blank = bool(blank[-1])
        shaped_lines += int(shaped.sum())
        if strict or not shaped_lines:
            break
        if nxt is None or shaped_lines > 1:
            loose = True
            break
    first = [b"".join(held)] if held else []
    return chain(first, [nxt] if nxt is not None else [], it), loose


# -- text: years -------------------------------------------------------------------------------------

def _time_fields(heads: pa.Array, full: np.ndarray) -> list[np.ndarray]:
    """(year, month, day, hour, minute, second) of header lines, read from the digits they end with
    (the year 0 where the header spells none)."""
    offsets, data, base = string_buffers(heads)
    end = offsets[1:] - base
    year = np.zeros(len(heads), np.int64)
    if full.any():
        year[full] = digits(data, end[full] - 19, 4)
    return [year, *(digits(data, end - at, 2) for at in (14, 11, 8, 5, 2))]


def _yearless(piece: Piece, loose: bool) -> tuple[int, int, int, list[int]] | None:
    """What the years need of one piece (on a parse thread): the line and time of year of its first
    header without a year (seconds into the leap year 2000, as ``pd.to_datetime`` reads "2000-" and the
    header's time; headers that are no time even then take no part), its last one's, and the lines
    inside the piece where that time jumps back by more than a day (a new year); None when it has none."""
    lines = lines_array(piece.data)
    rows, full = _headers(lines, loose)
    rows = rows[~full]
    if not len(rows):
        return None
    _, *fields = _time_fields(lines.take(pa.array(rows)), np.zeros(len(rows), bool))
    secs, ok = wall_seconds(np.full(len(rows), 2000), *fields)
    rows, secs = rows[ok] + piece.first_line + 1, secs[ok] - _Y2000
    if not len(rows):
        return None
    back = np.flatnonzero(np.diff(secs) < -DAY) + 1
    return int(rows[0]), int(secs[0]), int(secs[-1]), rows[back].tolist()


def _years(path: Path, options: ParseOptions, report: ParseReport) -> tuple[int | None, np.ndarray]:
    """(the year of the first header without one, the lines where a new year starts), by the module
    docstring's rule, noted in ``report``.  The first year may depend on the file's last header (the
    file's date dates it), so the headers' times are read first, by their bytes, on the parse threads;
    only those few numbers per piece meet here, in file order."""
    scratch = ParseReport(report.file)      # the parse proper reports what the reading finds
    blocks, loose = _opening(utf8_chunks(path, options, scratch))
    marks: list[int] = []
    last = None
    for got in ordered_map(lambda piece: _yearless(piece, loose), RecordPieces(blocks, _STARTS[loose])):
        if got is None:
            continue
        line, first, end, inner = got
        if last is not None and first - last < -DAY:
            marks.append(line)
        marks += inner
        last = end
    rollovers = np.array(marks, np.int64)
    if options.year:
        report.note(f"chatlog text without years: the first message is taken to be in {options.year} "
                    "(--year); later messages roll into the next year when the date goes back")
        return options.year, rollovers
    if last is None:
        return None, rollovers
    mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
    local = pd.Timestamp(mtime).tz_convert(options.tz)
    mt_secs = (pd.Timestamp(2000, local.month, local.day, local.hour, local.minute, local.second)
               - pd.Timestamp("2000-01-01")).total_seconds()
    end_year = local.year if last <= mt_secs else local.year - 1
    first_year = end_year - len(marks)
    span = f"{first_year}" if not marks else f"{first_year}–{end_year}"
    report.note(f"chatlog text has no years: dated {span}, inferred from the file's modification time "
                f"({local:%Y-%m-%d}) as the export time; pass --year (year of the first message) if wrong")
    return first_year, rollovers


def _seconds(heads: pa.Array, full: np.ndarray, line_no: np.ndarray, ctx: _Context) -> tuple[np.ndarray, np.ndarray]:
    """(wall-clock seconds since 1970, which are no time) of header lines: a header's own year, else
    the first year plus the new years begun at or before its line, read as ``pd.to_datetime`` reads
    ``f"{year}-{MM-DD HH:MM:SS}"`` (``civil.wall_seconds``; a year it cannot spell so, below 1000 or
    past 9999, is no time)."""
    year, *fields = _time_fields(heads, full)
    short = ~full
    spelt = np.ones(len(heads), bool)
    if short.any():
        if ctx.first_year is None:      # no header without a year is a time in any year
            spelt[short] = False
        else:
            y = ctx.first_year + np.searchsorted(ctx.rollovers, line_no[short], side="right")
            year[short] = y
            spelt[short] = ((y >= 1000) & (y <= 9999)) | ((y >= -9999) & (y <= -1))
    secs, ok = wall_seconds(year, *fields)
    ok &= spelt
    return np.where(ok, secs, 0), ~ok


# -- text: messages ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Context:
    fallback: str                  # the chat of a header without a room: --chat-name, else the file's
    options: ParseOptions
    loose: bool
    first_year: int | None
    rollovers: np.ndarray          # lines where a new year starts (``_years``)


def _piece(piece: Piece, ctx: _Context, report: ParseReport) -> ParsedPiece:
    """The messages of one piece (whole messages; on a parse thread)."""
    none = ParsedPiece(None, np.zeros(0, bool), report)
    lines = lines_array(piece.data)
    if not len(lines):
        return none
    rows, full = _headers(lines, ctx.loose)
    before = int(rows[0]) if len(rows) else len(lines)
    if before:
        preamble_issues(lines.slice(0, before), piece.first_line + 1, report)
    if not len(rows):
        return none
    line_no = piece.first_line + 1 + rows
    heads = lines.take(pa.array(rows))
    secs, bad = _seconds(heads, full, line_no, ctx)
    body = record_bodies(lines, rows)
    if bad.any():
        row_issues(line_no[bad], heads.filter(pa.array(bad)), "header time is not a valid date", report)
        keep = pa.array(~bad)
        heads, full, body, line_no, secs = heads.filter(keep), full[~bad], body.filter(keep), line_no[~bad], secs[~bad]
        if not len(secs):
            return none
    table, is_self, nameless = _messages(heads, full, body, ctx)
    table = table.append_column("ts", localize_seconds(secs, ctx.options.tz))
    return ParsedPiece(table.append_column("source_line", pa.array(line_no, pa.int64())), is_self, report, nameless)


def _sender_and_chat(head: str, fallback: str, group: str | None) -> tuple[str, str, str | None, str, str, bool]:
    """(group_id, group_name, chat_type, sender_id, sender_name, is_system) of one distinct header head
    ``张三(wxid) [群名(id@chatroom)]``: the split needs backtracking RE2 lacks, and a piece has few
    distinct heads.  The sender id is stripped by Python's rule and then Arrow's (``build_messages``)."""
    m = _ROOM.match(head)
    sender, room = (m["sender"], m["room"]) if m else (head, "")
    sid = _ID.match(sender)
    name = sid["name"].strip() if sid else ""
    sender_id = (sid["id"] if sid else sender).strip()
    rid = _ID.match(room)
    talker = (rid["id"] if rid else room).strip()
    tname = rid["name"].strip() if rid else ""
    group_id = talker if talker else fallback
    system = sender_id == SYSTEM_SENDER
    return (group_id, group or (tname if tname else group_id), "group" if talker else None,
            "" if system else sender_id, name, system)


def _messages(heads: pa.Array, full: np.ndarray, body: pa.Array, ctx: _Context) -> tuple[pa.Table, np.ndarray, int]:
    """The parser columns of a piece's messages from their header lines and bodies: what
    ``build_messages`` makes of this layout's raw rows (no type codes, no msg ids), column by column;
    which rows the exporting account sent; how many name no sender."""
    n = len(body)
    options = ctx.options
    sid_self, sname_self = self_ids(options)
    head = pc.if_else(pa.array(full), pc.utf8_slice_codeunits(heads, 0, -len(_FULL)),
                      pc.utf8_slice_codeunits(heads, 0, -len(_SHORT)))
    enc = head.dictionary_encode()
    codes = enc.indices.to_numpy()
    per = [_sender_and_chat(h, ctx.fallback, options.group) for h in enc.dictionary.to_pylist()]
    group_ids, group_names, chat_types, sender_ids, names, systems = (list(c) for c in zip(*per, strict=True))
    take = pa.array(codes)
    sender = pc.utf8_trim_whitespace(pa.array(sender_ids, _STRING)).take(take)
    name = pc.utf8_trim_whitespace(pa.array(names, _STRING)).take(take)
    system = np.array(systems, bool)[codes]
    is_self = ~system & (np.array(sender_ids, object) == "我")[codes]

    own = where_rows(body, starts_with_any(body, (">",)), lambda b: pc.replace_substring_regex(b, _QUOTE, ""))
    code = media_codes(own)                  # -1: the kind is still open
    content, sender = strip_sender_prefix(own, sender)
    kind = _KIND_NAMES[code]                 # build_messages' helper fills kinds by name (XML rows only)
    text, xmlish, reply_to = render_xml(content, kind, system)
    xml = np.flatnonzero(xmlish)
    if len(xml):
        code[xml] = [-1 if k is None else KIND_CODE[k] for k in kind[xml]]
    empty_media = ~system & np.isin(code, _PLACEHOLDER_CODES)
    if empty_media.any():
        empty_media &= pc.equal(text, "").to_numpy(zero_copy_only=False)
        if empty_media.any():
            text = replace_rows(text, empty_media, [PLACEHOLDER_TEXT[KINDS[c]] for c in code[empty_media]])
    still = np.flatnonzero((code < 0) & ~system)
    if len(still):
        code[still] = kind_codes(text.take(pa.array(still)))
    code[code < 0] = KIND_CODE["system"]

    event = np.full(n, None, dtype=object)
    actor = np.full(n, None, dtype=object)
    target = np.full(n, None, dtype=object)
    if system.any():
        rows = np.flatnonzero(system)
        cleaned = clean_system_text(pd.Series(content.take(pa.array(rows)).to_pylist(), dtype=object))
        text = replace_rows(text, system, cleaned.to_list())
        ev = parse_events(cleaned)
        evn = ev["event"].to_numpy(dtype=object)
        labelled = np.isin(code[rows], [KIND_CODE["recall"], KIND_CODE["pat"]])      # a placeholder that said so
        code[rows] = np.where(labelled, code[rows], np.where(evn == "recall", KIND_CODE["recall"],
                                                             np.where(evn == "pat", KIND_CODE["pat"], KIND_CODE["system"])))
        event[rows] = evn
        actor[rows] = ev["event_actor"].to_numpy(dtype=object)
        target[rows] = ev["event_target"].to_numpy(dtype=object)
        event[rows[code[rows] == KIND_CODE["recall"]]] = "recall"
        sender = pc.if_else(pa.array(system), SYSTEM_ID, sender)
        name = pc.if_else(pa.array(system), SYSTEM_NAME, name)
    pat = np.flatnonzero((code == KIND_CODE["pat"]) & ~system)
    if len(pat):
        ev = parse_events(pd.Series(text.take(pa.array(pat)).to_pylist(), dtype=object))
        event[pat] = "pat"
        actor[pat] = ev["event_actor"].to_numpy(dtype=object)
        target[pat] = ev["event_target"].to_numpy(dtype=object)
    ann = np.flatnonzero((code == KIND_CODE["announcement"]) & ~system)
    if len(ann):
        event[ann] = "announcement"
        actor[ann] = np.where(is_self[ann], sid_self, np.asarray(sender.take(pa.array(ann)).to_pylist(), object))
    actor[actor == "你"] = sid_self     # "你" in a notice is the exporting account
    target[target == "你"] = sid_self

    if is_self.any():
        mine = pa.array(is_self)
        sender = pc.if_else(mine, sid_self, sender)
        name = pc.if_else(mine, sname_self, name)
    sender = pc.if_else(pc.equal(sender, ""), name, sender)    # build_messages: no id -> the name, and back
    name = pc.if_else(pc.equal(name, ""), sender, name)
    nobody = pc.equal(sender, "").to_numpy(zero_copy_only=False)
    if nobody.any():
        sender = pc.if_else(pa.array(nobody), "unknown", sender)
        name = pc.if_else(pa.array(nobody), "unknown", name)
    mentions = spaced_mentions(text)
    if system.any():
        mentions = pc.if_else(pa.array(system), pa.nulls(n, mentions.type), mentions)
    table = pa.table({
        "group_id": dictionary_column(codes, group_ids),
        "group_name": dictionary_column(codes, group_names),
        "chat_type": pa.array(chat_types, _STRING).take(take),
        "sender_id": sender,
        "sender_name": name,
        "kind": kind_column(code),
        "text": text,
        "event": _optional(event),
        "event_actor": _optional(actor),
        "event_target": _optional(target),
        "mentions": mentions,
        "reply_to": reply_to,
    })
    return table, is_self, int(nobody.sum())


def _optional(values: np.ndarray) -> pa.Array:
    """An object column that is mostly None as an Arrow string column (no Python pass when all are)."""
    filled = np.flatnonzero(~pd.isna(values))
    if not len(filled):
        return pa.nulls(len(values), _STRING)
    return pa.array(values, _STRING, from_pandas=True)
