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
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import BadInput
from ..localtime import localize
from .base import SYSTEM_NAME, ParseOptions, Parser, ParseReport, text_encoding
from .jsonstream import RecordBatcher, TopLevelArrayReader, stopped, stream_array
from .wechat_common import (
    build_messages,
    drop_bad,
    finalize,
    rx_get,
    rx_sub,
    settle_chat_type,
    ts_from_epoch,
)
from .wechat_io import csv_columns, export_encoding, iter_csv, iter_text_blocks, read_csv_header
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

TIME = r"(?:[0-9]{4}-)?[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}"
# "> quoted" lines are excluded from headers by the leading [^>]
HEADER = rf"^(?P<head>[^>\n].*?) (?P<time>{TIME})$"
_SNIFF_HEADER = re.compile(rf"^[^>\n\d].*\([^()\n]+\)(?: \[.*\])? {TIME}$", re.M)
_ROOM = re.compile(r"^(?P<sender>.*?\)|[^ ()]+) \[(?P<room>.*)\]$")
_ID = re.compile(r"^(?P<name>.*)\((?P<id>[^()]*)\)$")

JSON_KEYS = ("seq", "time", "talker", "talkerName", "isChatRoom", "sender", "senderName", "isSelf", "type",
             "subType", "content")


def media_kinds(text: pd.Series) -> pd.Series:
    """Kind of chatlog placeholder bodies (None where the body is not one)."""
    label = rx_get(text.fillna("").astype(str), _MEDIA)
    kind = label.map(MEDIA_LABELS).astype(object)
    unknown = text.fillna("").astype(str).str.match(_UNKNOWN)
    kind[unknown.to_numpy(dtype=bool)] = "other"
    return kind.where(kind.notna(), None)


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

        yield from settle_chat_type(chunks())


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
        encoding = text_encoding(path, report)
        first_year = self._first_year(path, encoding, options, report)
        yield from settle_chat_type(self._chunks(path, encoding, first_year, options, report))

    # -- year ------------------------------------------------------------------------------------
    @staticmethod
    def _year_keys(times: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """(seconds into a leap year, has-its-own-year) for MM-DD HH:MM:SS / YYYY-MM-DD HH:MM:SS."""
        full = times.str.len() > 14
        md = times.where(~full, times.str[5:])
        ref = pd.to_datetime("2000-" + md, format="%Y-%m-%d %H:%M:%S", errors="coerce")
        secs = ((ref - pd.Timestamp("2000-01-01")).dt.total_seconds()).fillna(-1).to_numpy()
        return secs, full.to_numpy(dtype=bool)

    def _first_year(self, path: Path, encoding: str, options: ParseOptions, report: ParseReport) -> int | None:
        """Year of the first message (see the module docstring); None when every header has one."""
        if options.year:
            report.note(f"chatlog text without years: the first message is taken to be in {options.year} "
                        "(--year); later messages roll into the next year when the date goes back")
            return options.year
        rollovers, last, seen, prev = 0, None, False, None
        scratch = ParseReport(report.file)
        for blocks in iter_text_blocks(path, encoding, HEADER, scratch, options.chunk_bytes):
            secs, full = self._year_keys(blocks["time"])
            keep = ~full & (secs >= 0)
            secs = secs[keep]
            if not len(secs):
                continue
            seen = True
            chain = np.concatenate([[prev], secs]) if prev is not None else secs
            rollovers += int((np.diff(chain) < -86400).sum())
            prev, last = secs[-1], secs[-1]
        if not seen:
            return None
        mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
        local = pd.Timestamp(mtime).tz_convert(options.tz)
        mt_secs = (pd.Timestamp(2000, local.month, local.day, local.hour, local.minute, local.second)
                   - pd.Timestamp("2000-01-01")).total_seconds()
        end_year = local.year if last <= mt_secs else local.year - 1
        first_year = end_year - rollovers
        span = f"{first_year}" if rollovers == 0 else f"{first_year}–{end_year}"
        report.note(f"chatlog text has no years: dated {span}, inferred from the file's modification time "
                    f"({local:%Y-%m-%d}) as the export time; pass --year (year of the first message) if wrong")
        return first_year

    # -- messages --------------------------------------------------------------------------------
    def _chunks(self, path: Path, encoding: str, first_year: int | None, options: ParseOptions,
                report: ParseReport) -> Iterator[pd.DataFrame]:
        fallback = options.group or chat_name_from_file(path)
        prev, offset = None, 0
        for blocks in iter_text_blocks(path, encoding, HEADER, report, options.chunk_bytes):
            times = blocks["time"].astype(str)
            secs, full = self._year_keys(times)
            year = np.full(len(times), first_year or 0, dtype=np.int64)
            short = ~full & (secs >= 0)
            if short.any():
                s = secs[short]
                chain = np.concatenate([[prev], s]) if prev is not None else np.concatenate([[s[0]], s])
                steps = np.cumsum(np.diff(chain) < -86400) + offset
                year[short] = (first_year or 0) + steps
                offset, prev = int(steps[-1]), s[-1]
            stamp = times.where(full, pd.Series(year, index=times.index).astype(str) + "-" + times)
            naive = pd.to_datetime(stamp, format="%Y-%m-%d %H:%M:%S", errors="coerce")
            blocks["ts"] = localize(naive, options.tz)
            blocks = drop_bad(blocks, blocks["ts"].isna(), "header time is not a valid date", report,
                              blocks["head"] + " " + blocks["time"])
            if blocks.empty:
                continue
            yield build_messages(self._raw(blocks, fallback, options), options, report)

    @staticmethod
    def _raw(blocks: pd.DataFrame, fallback: str, options: ParseOptions) -> pd.DataFrame:
        heads = blocks["head"].astype(str).to_list()
        senders, rooms = [], []
        for h in heads:  # one small regex per header (the split needs backtracking RE2 lacks)
            m = _ROOM.match(h)
            senders.append(m["sender"] if m else h)
            rooms.append(m["room"] if m else "")
        sender = pd.Series(senders, index=blocks.index, dtype=object)
        room = pd.Series(rooms, index=blocks.index, dtype=object)
        sid = sender.str.extract(_ID.pattern, expand=True)
        sender_name = sid["name"].fillna("").str.strip()
        sender_id = sid["id"].where(sid["id"].notna(), sender).str.strip()
        rid = room.str.extract(_ID.pattern, expand=True)
        talker = rid["id"].where(rid["id"].notna(), room).fillna("").str.strip()
        tname = rid["name"].fillna("").str.strip()
        in_room = talker != ""
        body = blocks["body"].astype(str)
        own = rx_sub(body, r"^(?:>[^\n]*(?:\n|$))+", "")
        system = sender_id == SYSTEM_SENDER
        group = options.group
        return pd.DataFrame({
            "ts": blocks["ts"],
            "group_id": talker.where(in_room, fallback),
            "group_name": group or tname.where(tname != "", talker.where(in_room, fallback)),
            "chat_type": pd.Series("group", index=blocks.index, dtype=object).where(in_room, None),
            "source_line": blocks["source_line"],
            "content": own,
            "label_kind": media_kinds(own),
            "is_system": system,
            "is_self": (sender_id == "我") & ~system,
            "sender_id": sender_id.where(~system, ""),
            "sender_name": sender_name,
        })
