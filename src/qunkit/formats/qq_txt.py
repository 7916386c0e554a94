"""QQ PC 消息管理器 text export (legacy QQ for Windows, "文本文件(*.txt)").

Layout (see shared/formats/FORMATS.md §1)::

    消息记录（此消息记录为文本格式，不支持重新导入）
    ================================================================
    消息分组:我的QQ群
    ================================================================
    消息对象:某某交流群
    ================================================================

    2019-09-23 8:43:38 PM 【管理员】骰娘-Roll100(87200175)
    body line 1
    body line 2 (bodies may contain blank lines)

One file may hold many 消息对象 sections.  Bodies run from a header to the
next header or section line; the trailing blank separator is dropped.

How it stays fast: the file is read in pieces cut just before a header
(``pieces.RecordPieces``), so each holds whole messages and parses alone, on a
thread of its own (``pieces.ordered_map``); each piece becomes one Arrow string
array and every decision (header, section line, body membership) is an
Arrow/NumPy kernel over the whole piece.  The only Python loops run over the
few system lines and rows that mention someone.  The 消息分组 / 消息对象 in
force where a piece starts is known only in file order: ``_place`` fills it in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..localtime import localize_seconds
from ..schema import dictionary_column, encode_dictionaries
from .base import (
    SYSTEM_ID,
    SYSTEM_NAME,
    ParseOptions,
    Parser,
    ParseReport,
    lines_array,
    parser_frame,
    system_columns,
    utf8_chunks,
)
from .bytescan import byte_positions, header_candidates, rows_with_byte, starts_with_any, string_buffers
from .civil import civil_days
from .kinds import kind_codes, kind_column
from .mentions import at_mentions
from .pieces import Piece, RecordPieces, blank_lines, ordered_map, regex_starts

BANNER = "消息记录（此消息记录为文本格式"
REPLACEMENT = "\ufffd".encode()   # U+FFFD as UTF-8: what undecodable bytes were replaced by
HEADER_RE = (
    r"^(?P<date>\d{4}-\d{1,2}-\d{1,2}) (?P<time>\d{1,2}:\d{2}:\d{2})(?: ?(?P<ampm>[AaPp][Mm]))? "
    r"(?P<name>.*?)(?:\((?P<qid>\d+|[^()]*@[^()]*)\)|<(?P<email>[^<>]+)>)?\s*$"
)
# the sender part of a header (what follows the time): HEADER_RE's tail, matched alone
SENDER_RE = r"^(?P<name>.*?)(?:\((?P<qid>\d+|[^()]*@[^()]*)\)|<(?P<email>[^<>]+)>)?\s*$"
SEPARATOR_RE = r"^={16,}\s*$"
FOLDER_PREFIX = "消息分组:"
OBJECT_PREFIX = "消息对象:"
RECENT_CONTACTS = "最近联系人"
CHAT_TYPES = ("group", "private")   # what chat_type_for tells
SYSTEM_IDS = {"10000", "1000000"}
TITLE_RE = re.compile(r"^((?:【[^】]*】\s*)+)(.*)$")
MENTION_STOP = "，,：:。"   # a @name ends at whitespace, "@" or one of these (at most 40 characters)
# the start of a header line: all a header needs (HEADER_RE's name part takes any rest of the line)
HEADER_START = r"^\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{2}:\d{2}(?: ?[AaPp][Mm])? "
HEADER_STARTS = regex_starts(re.compile(HEADER_START[1:].encode()))   # where ``RecordPieces`` cuts
# bare notices QQ writes as a body line of their own (kept as separate system rows)
BARE_NOTICE_RE = re.compile(r"^(?:\S.{0,40}?)(?:撤回了一条(?:成员)?消息|加入本群|退出本群|被移出本群)[。.]?$")
_HEADER_SNIFF = re.compile(r"^\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{2}:\d{2}(?: ?[AP]M)? .*(?:\(\d+\)|<[^<>]+@[^<>]+>)\s*$",
                           re.M)


def chat_type_for(folder: object) -> str:
    """消息分组 names a QQ group folder (我的QQ群, 我的群聊, 多人聊天, 讨论组) or a
    friend category (我的好友 or a user-named one).  Single-chat exports with no
    消息分组 line are taken as groups: that is what operators export."""
    if not isinstance(folder, str):  # None / NaN: no 消息分组 line
        return "group"
    if "群" in folder or "多人聊天" in folder or "讨论组" in folder:
        return "group"
    return "private"


class QQTxtParser(Parser):
    name = "qq-txt"
    platform = "qq"
    description = "QQ PC message manager text export (消息管理器 → 导出 → .txt)"

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        if not head:
            return 0
        if BANNER in head[:400]:
            return 100
        score = 0
        if f"\n{OBJECT_PREFIX}" in head or head.startswith(OBJECT_PREFIX):
            score += 60
        if _HEADER_SNIFF.search(head):
            score += 30
        return min(score, 90)

    def parse(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pd.DataFrame]:
        for table in self.tables(path, options, report):
            yield parser_frame(table)

    def tables(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pa.Table]:
        pieces = RecordPieces(utf8_chunks(path, options, report), HEADER_STARTS)
        state = _State()
        for parsed in ordered_map(lambda piece: self._piece(piece, options, report.child()), pieces):
            report.absorb(parsed.report)
            table = _place(parsed, state, report)
            if table is not None and table.num_rows:
                yield table
        if not pieces.ends_with_break:
            report.truncated = True
            report.note(f"{path.name} does not end with a line break: it may be truncated; "
                        "the last message may be incomplete")

    # -- one piece (whole messages; on a parse thread) ------------------------------------------------
    def _piece(self, piece: Piece, options: ParseOptions, report: ParseReport) -> _Parsed:
        """The messages of one piece, with their 消息分组 / 消息对象 as indices into the piece's own
        section lines (0: the section the piece inherits, which only ``_place`` knows)."""
        arr = lines_array(piece.data)
        n = len(arr)
        # a header is told by its start alone (capture-free: RE2's fast path); fields are taken later,
        # from the header lines of messages only
        is_header = header_lines(arr)
        is_sep = starts_with_any(arr, ("=" * 16,))     # the regex on those few only
        if is_sep.any():
            maybe = np.flatnonzero(is_sep)
            is_sep[maybe] = pc.match_substring_regex(arr.take(pa.array(maybe)), SEPARATOR_RE).to_numpy(
                zero_copy_only=False)
        # 消息分组/消息对象 lines are structure only right under a separator line, as QQ writes them;
        # a message body line that merely starts with 消息对象: stays in its body (a piece after the
        # first starts with a header, so its first line is never one)
        under_sep = np.concatenate([[piece.at_start], is_sep[:-1]])
        is_folder = starts_with_any(arr, (FOLDER_PREFIX,)) & under_sep
        is_object = starts_with_any(arr, (OBJECT_PREFIX,)) & under_sep
        is_banner = starts_with_any(arr, (BANNER,))
        structure = is_sep | is_folder | is_object | is_banner
        is_header &= ~structure
        boundary = is_header | structure

        line_no = np.arange(piece.first_line, piece.first_line + n) + 1  # 1-based
        blank = blank_lines(arr)
        seg = np.cumsum(boundary) - 1  # segment id per line; -1 before the first boundary
        starts = np.flatnonzero(boundary)
        ends = np.append(starts[1:], n)
        folder_at, folders = _sections(arr, is_folder, FOLDER_PREFIX)
        object_at, objects = _sections(arr, is_object, OBJECT_PREFIX)
        parsed = _Parsed(None, folders, objects, report)

        # lines not placed in any message: non-blank lines outside message segments
        seg_is_msg = is_header[starts] if len(starts) else np.zeros(0, bool)
        in_msg = np.zeros(n, bool)
        if len(starts):
            valid = seg >= 0
            in_msg[valid] = seg_is_msg[seg[valid]]
        orphan = ~in_msg & ~blank & ~boundary
        if orphan.any():
            self._report_orphans(arr, orphan, line_no, report, (object_at == 0) & piece.at_start)

        # U+FFFD is rare: the kernel runs only when the piece's bytes hold it somewhere (a NumPy scan: a
        # ``bytes`` search would hold the GIL the other parse threads need)
        if len(byte_positions(np.frombuffer(piece.data, np.uint8), REPLACEMENT)):
            undecodable = pc.match_substring(arr, "\ufffd").to_numpy(zero_copy_only=False)
            for i in np.flatnonzero(undecodable)[:5]:
                report.note(f"line {line_no[i]}: bytes that are not valid {report.encoding} were replaced by �")

        msg_starts = starts[seg_is_msg]
        msg_ends = ends[seg_is_msg]
        if len(msg_starts) == 0:
            return parsed
        # body = lines (start, body_end) where body_end drops trailing blank lines
        nonblank_idx = np.flatnonzero(~blank)
        pos = np.searchsorted(nonblank_idx, msg_ends, side="left") - 1
        last_nonblank = np.where(pos >= 0, nonblank_idx[np.clip(pos, 0, None)], -1)
        body_end = np.where(last_nonblank > msg_starts, last_nonblank + 1, msg_starts + 1)
        counts = body_end - msg_starts - 1
        # a body line lies strictly inside (start, body_end) of the message whose segment holds it
        msg_rank = np.cumsum(seg_is_msg) - 1  # segment -> message number
        s = np.clip(seg, 0, None)
        m_of = np.clip(msg_rank[s], 0, None)
        line = np.arange(n)
        body_mask = (seg >= 0) & seg_is_msg[s] & (line > msg_starts[m_of]) & (line < body_end[m_of])
        values = arr.filter(pa.array(body_mask))
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
        bodies = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), values), "\n")

        fields = _header_fields(arr.take(pa.array(msg_starts)))
        parsed.table = self._frame(fields, bodies, msg_starts, line_no, folder_at, object_at, options, report)
        return parsed

    def _frame(self, fields, bodies, msg_starts, line_no, folder_at, object_at, options: ParseOptions,
               report: ParseReport) -> pa.Table | None:
        secs, bad_ts = _wall_seconds(fields["date"], fields["time"])
        if bad_ts.any():
            for i in np.flatnonzero(bad_ts):
                report.issue(int(line_no[msg_starts[i]]), "message header has an impossible date or time",
                             f"{fields['date'][i].as_py()} {fields['time'][i].as_py()}")
        secs[bad_ts] = 0
        ampm = fields["ampm"]
        if ampm.any():
            hour = (secs // 3600) % 24
            secs += 3600 * (np.where((ampm == PM) & (hour < 12), 12, 0) - np.where((ampm == AM) & (hour == 12), 12, 0))
        ts = localize_seconds(secs, options.tz)

        # the sender part repeats (a chunk has few senders): each distinct one is parsed once
        senders = fields["sender"].dictionary_encode()
        sid, name, title = (col.take(senders.indices) for col in _senders(senders.dictionary, options))

        starts = msg_starts
        table = pa.table({
            "_folder": pa.array(folder_at[starts], pa.int32()),
            "_object": pa.array(object_at[starts], pa.int32()),
            "ts": ts,
            "sender_id": sid,
            "sender_name": name,
            "sender_title": title,
            "text": pc.fill_null(bodies, ""),
            "source_line": pa.array(line_no[starts]),
        })
        if bad_ts.any():
            table = table.filter(pa.array(~bad_ts))
        table, notice = _split_bare_notices(table)
        return _classify(table, notice)

    def _report_orphans(self, arr, orphan, line_no, report: ParseReport, before_any: np.ndarray) -> None:
        """``before_any``: lines before the file's first 消息对象 line."""
        idx = np.flatnonzero(orphan)
        first = idx[:5]
        for i in first:
            line = arr[int(i)].as_py()
            where = "before the first message header" if before_any[i] else "outside any message"
            report.issue(int(line_no[i]), f"text {where}; expected a header 'YYYY-MM-DD H:MM:SS 昵称(QQ号)'",
                         line)
        if len(idx) > len(first):
            report.issue(int(line_no[idx[len(first)]]), "more lines outside any message", count=len(idx) - len(first))


class _State:
    """What one piece leaves to the next: the 消息分组 and 消息对象 in force where it ends."""

    def __init__(self) -> None:
        self.folder: str | None = None
        self.group: str | None = None
        self.fallback_noted = False


@dataclass
class _Parsed:
    """A piece's messages (``_folder`` / ``_object``: indices into ``[inherited, *folders]`` and
    ``[inherited, *objects]``), its section names in order, and what its parse reported."""

    table: pa.Table | None
    folders: list[str]
    objects: list[str]
    report: ParseReport


def header_lines(arr: pa.Array) -> np.ndarray:
    """Which lines match ``HEADER_START``: the regex only on lines that start with four digits and a
    "-" (``bytescan.header_candidates``), a third of a piece's lines."""
    idx = header_candidates(arr, 16)
    out = np.zeros(len(arr), bool)
    if len(idx):
        out[idx] = pc.match_substring_regex(arr.take(pa.array(idx)), HEADER_START).to_numpy(zero_copy_only=False)
    return out


def _sections(arr: pa.Array, mask: np.ndarray, prefix: str) -> tuple[np.ndarray, list[str]]:
    """Per line, how many ``mask`` lines come at or before it (0: none, the inherited section), and
    the text of those lines after ``prefix``, trimmed."""
    idx = np.flatnonzero(mask)
    names = pc.utf8_trim_whitespace(pc.utf8_slice_codeunits(arr.take(pa.array(idx)), len(prefix))).to_pylist() \
        if len(idx) else []
    at = np.zeros(len(arr), np.int32)
    at[idx] = np.arange(1, len(idx) + 1)
    np.maximum.accumulate(at, out=at)
    return at, names


def _place(parsed: _Parsed, state: _State, report: ParseReport) -> pa.Table | None:
    """The group and chat type of a piece's messages, from the sections in force (``state``, in file
    order: run on the importing thread), which the piece then hands on."""
    folders = [state.folder, *parsed.folders]
    groups = [state.group, *parsed.objects]
    state.folder, state.group = folders[-1], groups[-1]
    table = parsed.table
    if table is None:
        return None
    obj = table.column("_object").to_numpy()
    unnamed = np.flatnonzero(np.array([g is None for g in groups])[obj])
    if len(unnamed):
        fallback = report.file and Path(report.file).stem
        if not state.fallback_noted:
            report.note(f"no 消息对象 line before line {table.column('source_line')[int(unnamed[0])].as_py()}: "
                        f"messages there were put in a group named after the file ({fallback!r})")
            state.fallback_noted = True
        groups = [g if g is not None else (fallback or "QQ chat") for g in groups]
    # columns built from the few section names: no string per row
    group = dictionary_column(obj, groups)
    # 最近联系人 is QQ's "recent contacts" pseudo-chat: a mix of other chats, not a group
    recent = np.array([g == RECENT_CONTACTS for g in groups])[obj]
    folder_type = np.array([CHAT_TYPES.index(chat_type_for(f)) for f in folders])
    chat_type = dictionary_column(np.where(recent, CHAT_TYPES.index("private"), folder_type[table.column("_folder").to_numpy()]),
                                  CHAT_TYPES)
    rest = table.drop_columns(["_folder", "_object"])
    return pa.table({"group_id": group, "group_name": group, "chat_type": chat_type,
                     **{name: rest.column(name) for name in rest.column_names}})


def _header_fields(lines: pa.Array) -> dict[str, pa.Array | np.ndarray]:
    """date, time, ampm (``AM``/``PM`` codes, 0 when absent) and sender (the rest) of header lines, which
    all match ``HEADER_START``: the fields ``HEADER_RE`` captures, cut with string kernels (a capturing
    regex over every header was the parser's largest cost).  The time is the second space-separated
    word, with AM/PM glued to it or as the next word, as ``HEADER_START``'s optional group takes it;
    a 24-hour file (no "M" in any time, no rest that opens with one) skips that part."""
    words = pc.split_pattern(lines, " ", max_splits=2)
    date, clock, rest = (pc.list_element(words, i) for i in range(3))
    glued = _ampm_at(clock, -2)
    spaced = _ampm_at(rest, 0) & ~glued
    if spaced.any():
        spaced &= _byte_at(rest, 2) == 0x20
    ampm = np.zeros(len(lines), np.int8)
    if not (glued.any() or spaced.any()):
        return {"date": date, "time": clock, "ampm": ampm, "sender": rest}
    for mask, col, at in ((glued, clock, -2), (spaced, rest, 0)):
        ampm[mask & np.isin(_byte_at(col, at), (0x50, 0x70))] = PM     # P or p
        ampm[mask & np.isin(_byte_at(col, at), (0x41, 0x61))] = AM
    glued_a, spaced_a = pa.array(glued), pa.array(spaced)
    return {"date": date, "time": pc.if_else(glued_a, pc.utf8_slice_codeunits(clock, 0, -2), clock), "ampm": ampm,
            "sender": pc.if_else(spaced_a, pc.utf8_slice_codeunits(rest, 3), rest)}


AM, PM = 1, 2   # _header_fields' ampm codes


def _byte_at(col: pa.Array, at: int) -> np.ndarray:
    """Each row's byte at offset ``at`` (from its end when negative), 0 where the row is too short."""
    offsets, data, base = string_buffers(col)
    starts, ends = offsets[:-1] - base, offsets[1:] - base
    pos = ends + at if at < 0 else starts + at
    ok = (pos >= starts) & (pos < ends)
    out = np.zeros(len(col), np.uint8)
    out[ok] = data[pos[ok]]
    return out


def _ampm_at(col: pa.Array, at: int) -> np.ndarray:
    """Rows with [AaPp][Mm] at byte offset ``at`` (from the end when negative)."""
    lead = np.isin(_byte_at(col, at), (0x41, 0x61, 0x50, 0x70))
    if not lead.any():
        return lead
    return lead & np.isin(_byte_at(col, at + 1), (0x4D, 0x6D))


def _wall_seconds(date: pa.Array, clock: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Naive wall-clock seconds since 1970 of header dates (``YYYY-M-D``) and times (``H:MM:SS``), and
    which are impossible: what ``strptime`` refuses (a month over 12, an hour over 23, a minute over
    59, a second over 61) or rolls over into another day (02-30, 23:59:60), so a header is kept or
    reported exactly as a strptime-and-check reading would.  Each distinct date is read once (a chunk
    spans few days); the time from its bytes, whose shape ``HEADER_START`` guarantees."""
    dates = date.dictionary_encode()
    ymd = np.array([[int(part) for part in text.split("-")] for text in dates.dictionary.to_pylist()],
                   np.int64).reshape(-1, 3)
    day_of, valid = civil_days(ymd[:, 0], ymd[:, 1], ymd[:, 2])
    codes = dates.indices.to_numpy()
    offsets, data, base = string_buffers(clock)
    end = offsets[1:] - base
    two = np.diff(offsets) == 8

    def digits(at: int) -> np.ndarray:
        return data[end - at].astype(np.int64) - 0x30

    hour = np.where(two, 10 * digits(8), 0) + digits(7)
    minute = 10 * digits(5) + digits(4)
    second = 10 * digits(2) + digits(1)
    of_day = hour * 3600 + minute * 60 + second
    bad = ~valid[codes] | (hour > 23) | (minute > 59) | (second > 61) | (of_day >= 86400)
    return day_of[codes] * 86400 + of_day, bad


def _senders(rest: pa.Array, options: ParseOptions) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(sender_id, sender_name, sender_title) of header rests: 【title】name(QQ号) / name<email> / name
    alone (then the name is the id); 我 without an id is the exporting account."""
    fields = pc.extract_regex(rest, SENDER_RE)
    raw = pc.utf8_trim_whitespace(pc.fill_null(fields.field("name"), ""))
    titled = pc.extract_regex(raw, r"^(?P<title>(?:【[^】]*】\s*)+)(?P<rest>.*)$")
    has_title = titled.is_valid()
    title = pc.if_else(has_title, pc.utf8_trim_whitespace(titled.field("title")), None)
    name = pc.if_else(has_title, pc.utf8_trim_whitespace(titled.field("rest")), raw)
    # RE2 gives "" (not null) for an optional group that did not take part
    qid, email = fields.field("qid"), fields.field("email")
    sid = pc.coalesce(pc.if_else(pc.equal(qid, ""), None, qid), pc.if_else(pc.equal(email, ""), None, email))
    name = pc.if_else(pc.equal(name, ""), pc.coalesce(sid, ""), name)
    is_self = pc.and_(sid.is_null(), pc.equal(name, "我"))
    sid = pc.if_else(is_self, options.self_id or "self", pc.coalesce(sid, name))
    if options.self_name:
        name = pc.if_else(is_self, options.self_name, name)
    return sid, name, title


def _split_bare_notices(table: pa.Table) -> tuple[pa.Table, np.ndarray]:
    """A notice such as "某某撤回了一条消息" that QQ wrote as the last body line of
    the previous message becomes its own system row (same time, next to it).
    Returns the rows and which of them are such notices."""
    text = table.column("text")
    multi = rows_with_byte(text, "\n")     # the regex only on bodies of several lines
    if multi.any():
        idx = np.flatnonzero(multi)
        multi[idx] = pc.match_substring_regex(text.take(pa.array(idx)), r"\n.*(?:撤回了一条|加入本群|退出本群|被移出本群)"
                                              ).to_numpy(zero_copy_only=False)
    notice = np.zeros(table.num_rows, bool)
    if not multi.any():
        return table, notice
    rows, heads, lasts = [], [], []
    for i, body in zip(np.flatnonzero(multi).tolist(), text.take(pa.array(np.flatnonzero(multi))).to_pylist(),
                       strict=True):
        head, last = body.rsplit("\n", 1)
        if BARE_NOTICE_RE.match(last):
            rows.append(i)
            heads.append(head.rstrip())
            lasts.append(last)
    if not rows:
        return table, notice
    where = pa.array(np.isin(np.arange(table.num_rows), rows))
    table = table.set_column(table.schema.get_field_index("text"), "text",
                             pc.replace_with_mask(text.combine_chunks(), where, pa.array(heads, pa.string())))
    notices = table.take(pa.array(rows))
    for col, value in (("text", pa.array(lasts, pa.string())), ("sender_id", pa.nulls(len(rows), pa.string())),
                       ("sender_name", pa.nulls(len(rows), pa.string())),
                       ("sender_title", pa.nulls(len(rows), pa.string()))):
        if col in ("sender_id", "sender_name"):
            value = pa.array([SYSTEM_ID if col == "sender_id" else SYSTEM_NAME] * len(rows), pa.string())
        notices = notices.set_column(notices.schema.get_field_index(col), col, value)
    order = np.argsort(np.concatenate([2 * np.arange(table.num_rows), 2 * np.asarray(rows) + 1]), kind="stable")
    notice = np.concatenate([notice, np.ones(len(rows), bool)])[order]
    return pa.concat_tables([table, notices]).take(pa.array(order)), notice


def _classify(table: pa.Table, notice: np.ndarray) -> pa.Table:
    """Kind, system rows (events, the system pseudo-sender) and mentions of a chunk's rows."""
    text = table.column("text").combine_chunks()
    kind = kind_codes(text)
    sid = table.column("sender_id").combine_chunks()
    name = table.column("sender_name").combine_chunks()
    system = (pc.is_in(sid, pa.array(sorted(SYSTEM_IDS))).to_numpy(zero_copy_only=False)
              | pc.equal(name, SYSTEM_NAME).to_numpy(zero_copy_only=False) | notice)
    n = table.num_rows
    rows = np.flatnonzero(system)
    events = system_columns(text, rows, kind)     # the rule every parser shares (base.system_rows)
    if len(rows):
        take = pa.array(rows)
        # a person who merely calls themselves 系统消息 keeps their QQ number
        pseudo = np.zeros(n, bool)
        pseudo[rows] = pc.fill_null(pc.is_in(sid.take(take), pa.array(sorted(SYSTEM_IDS | {SYSTEM_ID}))),
                                    False).to_numpy(zero_copy_only=False)
        pseudo = pa.array(pseudo)
        table = table.set_column(table.schema.get_field_index("sender_id"), "sender_id",
                                 pc.if_else(pseudo, SYSTEM_ID, sid))
        table = table.set_column(table.schema.get_field_index("sender_name"), "sender_name",
                                 pc.if_else(pseudo, SYSTEM_NAME, name))
    table = table.append_column("kind", kind_column(kind))
    for col, values in events.items():
        table = table.append_column(col, values)
    # the parse thread encodes what the importing thread would (schema.conform)
    return encode_dictionaries(table.append_column("mentions", at_mentions(text, MENTION_STOP, 40)))
