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

How it stays fast: the file is decoded in chunks ending on line breaks; each
chunk becomes one Arrow string array and every decision (header, section line,
body membership) is an Arrow/NumPy kernel over the whole chunk.  The only
Python loops run over the few system lines and rows that mention someone.
A message cut by a chunk boundary is carried into the next chunk.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..localtime import localize
from .base import SYSTEM_ID, SYSTEM_NAME, ParseOptions, Parser, ParseReport, mark_system, text_chunks
from .kinds import classify_kinds
from .mentions import mentions_where

BANNER = "消息记录（此消息记录为文本格式"
HEADER_RE = (
    r"^(?P<date>\d{4}-\d{1,2}-\d{1,2}) (?P<time>\d{1,2}:\d{2}:\d{2})(?: ?(?P<ampm>[AaPp][Mm]))? "
    r"(?P<name>.*?)(?:\((?P<qid>\d+|[^()]*@[^()]*)\)|<(?P<email>[^<>]+)>)?\s*$"
)
SEPARATOR_RE = r"^={16,}\s*$"
FOLDER_PREFIX = "消息分组:"
OBJECT_PREFIX = "消息对象:"
RECENT_CONTACTS = "最近联系人"
SYSTEM_IDS = {"10000", "1000000"}
TITLE_RE = re.compile(r"^((?:【[^】]*】\s*)+)(.*)$")
MENTION_RE = re.compile(r"@([^\s@，,：:。]{1,40})")
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
        state = _State()
        ends_with_newline = True
        for text in text_chunks(path, options, report):
            ends_with_newline = text.endswith("\n")
            lines = text.split("\n")
            if ends_with_newline:
                lines.pop()  # the empty piece after the final line break
            df = self._chunk(lines, state, options, report, final=False)
            if df is not None and len(df):
                yield df
        df = self._chunk([], state, options, report, final=True)
        if df is not None and len(df):
            yield df
        if not ends_with_newline:
            report.truncated = True
            report.note(f"{path.name} does not end with a line break: it may be truncated; "
                        "the last message may be incomplete")

    # -- one chunk -------------------------------------------------------------------------------
    def _chunk(self, new_lines: list[str], state: _State, options: ParseOptions, report: ParseReport,
               final: bool) -> pd.DataFrame | None:
        lines = state.carry + new_lines
        first_line_no = state.carry_start
        state.carry = []
        if not lines:
            return None
        arr = pa.array(lines, pa.string())
        n = len(arr)
        # the full header regex only runs on lines that start like a date (a cheap kernel first)
        candidate = pc.match_substring_regex(arr, r"^\d{4}-\d").to_numpy(zero_copy_only=False)
        cand_idx = np.flatnonzero(candidate)
        header = pc.extract_regex(arr.take(pa.array(cand_idx)), HEADER_RE)
        is_header = np.zeros(n, bool)
        is_header[cand_idx] = header.is_valid().to_numpy(zero_copy_only=False)
        header_row = np.full(n, -1, np.int64)  # line -> row in `header`
        header_row[cand_idx] = np.arange(len(cand_idx))
        is_sep = pc.match_substring_regex(arr, SEPARATOR_RE).to_numpy(zero_copy_only=False)
        # 消息分组/消息对象 lines are structure only right under a separator line, as QQ writes them;
        # a message body line that merely starts with 消息对象: stays in its body
        under_sep = np.concatenate([[True], is_sep[:-1]])
        is_folder = pc.starts_with(arr, FOLDER_PREFIX).to_numpy(zero_copy_only=False) & under_sep
        is_object = pc.starts_with(arr, OBJECT_PREFIX).to_numpy(zero_copy_only=False) & under_sep
        is_banner = pc.starts_with(arr, BANNER).to_numpy(zero_copy_only=False)
        structure = is_sep | is_folder | is_object | is_banner
        is_header &= ~structure
        boundary = is_header | structure

        bidx = np.flatnonzero(boundary)
        # carry the last message into the next chunk: its body may continue there
        if not final and len(bidx) and is_header[bidx[-1]]:
            cut = int(bidx[-1])
            state.carry = lines[cut:]
            state.carry_start = first_line_no + cut
            keep = cut
        else:
            keep = n
            state.carry_start = first_line_no + n
        if keep == 0:
            return None

        line_no = np.arange(first_line_no, first_line_no + keep) + 1  # 1-based
        blank = pc.equal(pc.utf8_trim_whitespace(arr.slice(0, keep)), "").to_numpy(zero_copy_only=False)
        bnd = boundary[:keep]
        seg = np.cumsum(bnd) - 1  # segment id per line; -1 before the first boundary
        starts = np.flatnonzero(bnd)
        ends = np.append(starts[1:], keep)

        # section names (消息分组 / 消息对象), forward-filled across chunks
        folder_vals = _prefixed(arr, is_folder, keep, FOLDER_PREFIX)
        object_vals = _prefixed(arr, is_object, keep, OBJECT_PREFIX)
        folder_at = _ffill(folder_vals, state.folder)
        object_at = _ffill(object_vals, state.group)
        if keep:
            state.folder = folder_at[keep - 1]
            state.group = object_at[keep - 1]
            # a new 消息对象 resets the folder only when a 消息分组 preceded it in the same block;
            # single-chat exports have no folder at all, which chat_type_for handles

        # lines not placed in any message: non-blank lines outside message segments
        seg_is_msg = is_header[starts] if len(starts) else np.zeros(0, bool)
        in_msg = np.zeros(keep, bool)
        if len(starts):
            valid = seg >= 0
            in_msg[valid] = seg_is_msg[seg[valid]]
        orphan = ~in_msg & ~blank & ~bnd
        if orphan.any():
            self._report_orphans(arr, orphan, line_no, report, object_at)

        undecodable = pc.match_substring(arr.slice(0, keep), "\ufffd").to_numpy(zero_copy_only=False)
        if undecodable.any():
            for i in np.flatnonzero(undecodable)[:5]:
                report.note(f"line {line_no[i]}: bytes that are not valid {report.encoding} were replaced by �")

        msg_starts = starts[seg_is_msg]
        msg_ends = ends[seg_is_msg]
        if len(msg_starts) == 0:
            return None
        # body = lines (start, body_end) where body_end drops trailing blank lines
        nonblank_idx = np.flatnonzero(~blank)
        pos = np.searchsorted(nonblank_idx, msg_ends, side="left") - 1
        last_nonblank = np.where(pos >= 0, nonblank_idx[np.clip(pos, 0, None)], -1)
        body_end = np.where(last_nonblank > msg_starts, last_nonblank + 1, msg_starts + 1)
        counts = body_end - msg_starts - 1
        body_mask = np.zeros(keep, bool)
        if len(starts):
            valid = seg >= 0
            idx = np.flatnonzero(valid)
            s = seg[idx]
            msg_rank = np.cumsum(seg_is_msg) - 1  # segment -> message number
            is_msg_line = seg_is_msg[s]
            m_of = msg_rank[s]
            within = (idx > msg_starts[np.clip(m_of, 0, None)]) & (idx < body_end[np.clip(m_of, 0, None)])
            body_mask[idx[is_msg_line & within]] = True
        values = arr.slice(0, keep).filter(pa.array(body_mask))
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
        bodies = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), values), "\n")

        hdr = header.take(pa.array(header_row[msg_starts])).flatten()
        fields = dict(zip([f.name for f in header.type], hdr, strict=True))
        df = self._frame(fields, bodies, msg_starts, line_no, folder_at, object_at, options, report)
        return df

    def _frame(self, fields, bodies, msg_starts, line_no, folder_at, object_at, options: ParseOptions,
               report: ParseReport) -> pd.DataFrame | None:
        # time: Arrow strptime (accepts 1-digit hours), then reject dates it silently rolled over (02-30)
        naive = pc.strptime(pc.binary_join_element_wise(fields["date"], fields["time"], " "),
                            format="%Y-%m-%d %H:%M:%S", unit="s", error_is_null=True)
        ymd = pc.extract_regex(fields["date"], r"^(?P<y>\d+)-(?P<m>\d+)-(?P<d>\d+)$")
        same_day = pc.and_(pc.equal(pc.month(naive), pc.cast(ymd.field("m"), pa.int64())),
                           pc.equal(pc.day(naive), pc.cast(ymd.field("d"), pa.int64())))
        bad_ts = ~pc.fill_null(same_day, False).to_numpy(zero_copy_only=False)
        if bad_ts.any():
            for i in np.flatnonzero(bad_ts):
                report.issue(int(line_no[msg_starts[i]]), "message header has an impossible date or time",
                             f"{fields['date'][i].as_py()} {fields['time'][i].as_py()}")
        secs = pc.cast(pc.fill_null(naive, 0), pa.int64()).to_numpy()
        ampm = pc.utf8_upper(pc.fill_null(fields["ampm"], "")).to_numpy(zero_copy_only=False)  # "" when absent
        hour = (secs // 3600) % 24
        secs = secs + 3600 * (np.where((ampm == "PM") & (hour < 12), 12, 0) - np.where((ampm == "AM") & (hour == 12), 12, 0))
        ts = localize(pd.DatetimeIndex(secs.astype("datetime64[s]")), options.tz)

        # sender: 【title】name(QQ号) / name<email> / name alone (then the name is the id)
        raw = pc.utf8_trim_whitespace(pc.fill_null(fields["name"], ""))
        titled = pc.extract_regex(raw, r"^(?P<title>(?:【[^】]*】\s*)+)(?P<rest>.*)$")
        has_title = titled.is_valid()
        title = pc.if_else(has_title, pc.utf8_trim_whitespace(titled.field("title")), None)
        name = pc.if_else(has_title, pc.utf8_trim_whitespace(titled.field("rest")), raw)
        # RE2 gives "" (not null) for an optional group that did not take part
        qid, email = fields["qid"], fields["email"]
        sid = pc.coalesce(pc.if_else(pc.equal(qid, ""), None, qid), pc.if_else(pc.equal(email, ""), None, email))
        name = pc.if_else(pc.equal(name, ""), pc.coalesce(sid, ""), name)
        is_self = pc.and_(sid.is_null(), pc.equal(name, "我"))
        sid = pc.if_else(is_self, options.self_id or "self", pc.coalesce(sid, name))
        if options.self_name:
            name = pc.if_else(is_self, options.self_name, name)

        starts = msg_starts
        group = pd.Series(object_at[starts])
        no_group = group.isna()
        if no_group.any():
            fallback = report.file and Path(report.file).stem
            group = group.fillna(fallback or "QQ chat")
            report.note(f"no 消息对象 line before line {int(line_no[starts[np.flatnonzero(no_group)[0]]])}: "
                        f"messages there were put in a group named after the file ({fallback!r})")
        folders = pd.Series(folder_at[starts], dtype=object)
        chat_type = folders.map({f: chat_type_for(f) for f in folders.unique()})
        # 最近联系人 is QQ's "recent contacts" pseudo-chat: a mix of other chats, not a group
        chat_type = chat_type.where(group.to_numpy() != RECENT_CONTACTS, "private")
        table = pa.table({
            "group_id": pa.array(group, pa.string()),
            "chat_type": pa.array(chat_type, pa.string()),
            "sender_id": sid,
            "sender_name": name,
            "sender_title": title,
            "text": pc.fill_null(bodies, ""),
            "source_line": pa.array(line_no[starts]),
        })
        df = table.to_pandas()
        df.insert(1, "group_name", df["group_id"])
        df.insert(3, "ts", ts)
        df = df[~bad_ts].reset_index(drop=True)
        df = _split_bare_notices(df)
        df["kind"] = classify_kinds(df["text"]).to_numpy()
        df["event"] = None
        df["event_actor"] = None
        df["event_target"] = None
        system = df["sender_id"].isin(SYSTEM_IDS) | (df["sender_name"] == SYSTEM_NAME) | df.pop("_notice")
        # a person who merely calls themselves 系统消息 keeps their QQ number
        mark_system(df, system, sender=system & df["sender_id"].isin(SYSTEM_IDS | {SYSTEM_ID}))
        has_at = df["text"].str.contains("@", regex=False).to_numpy(dtype=bool)
        df["mentions"] = mentions_where(df["text"].to_numpy(dtype=object), has_at, MENTION_RE)
        return df

    def _report_orphans(self, arr, orphan, line_no, report: ParseReport, object_at) -> None:
        idx = np.flatnonzero(orphan)
        first = idx[:5]
        for i in first:
            line = arr[int(i)].as_py()
            where = "before the first message header" if object_at[i] is None else "outside any message"
            report.issue(int(line_no[i]), f"text {where}; expected a header 'YYYY-MM-DD H:MM:SS 昵称(QQ号)'",
                         line)
        if len(idx) > len(first):
            report.issue(int(line_no[idx[len(first)]]), "more lines outside any message", count=len(idx) - len(first))


class _State:
    """What carries from one chunk to the next."""

    def __init__(self) -> None:
        self.carry: list[str] = []
        self.carry_start = 0   # 0-based line number of carry[0]
        self.folder: str | None = None
        self.group: str | None = None


def _prefixed(arr: pa.Array, mask: np.ndarray, keep: int, prefix: str) -> np.ndarray:
    out = np.full(keep, None, dtype=object)
    idx = np.flatnonzero(mask[:keep])
    if len(idx):
        vals = pc.utf8_trim_whitespace(pc.utf8_slice_codeunits(arr.take(pa.array(idx)), len(prefix)))
        out[idx] = vals.to_numpy(zero_copy_only=False)
    return out


def _ffill(values: np.ndarray, initial: str | None) -> np.ndarray:
    s = pd.Series(values, dtype=object)
    if len(s) and s.iloc[0] is None:
        s.iloc[0] = initial
    return s.ffill().to_numpy()


def _split_bare_notices(df: pd.DataFrame) -> pd.DataFrame:
    """A notice such as "某某撤回了一条消息" that QQ wrote as the last body line of
    the previous message becomes its own system row (same time, next to it)."""
    df["_notice"] = False
    multi = df["text"].str.contains(r"\n.*(?:撤回了一条|加入本群|退出本群|被移出本群)", regex=True)
    if not multi.any():
        return df
    last = df.loc[multi, "text"].str.rsplit("\n", n=1).str[-1]
    hit = last.str.match(BARE_NOTICE_RE).fillna(False).astype(bool)
    if not hit.any():
        return df
    rows = hit[hit].index
    notices = df.loc[rows].copy()
    notices["text"] = last[hit].to_numpy()
    notices["sender_id"] = SYSTEM_ID
    notices["sender_name"] = SYSTEM_NAME
    notices["sender_title"] = None
    notices["_notice"] = True
    df.loc[rows, "text"] = df.loc[rows, "text"].str.rsplit("\n", n=1).str[0].str.rstrip()
    out = pd.concat([df, notices]).sort_index(kind="stable").reset_index(drop=True)
    return out
