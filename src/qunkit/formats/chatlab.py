"""ChatLab's interchange format ("ChatLab 标准化格式", hellodigua/ChatLab docs/cn/chatlab-format.md, v0.0.2).

JSON::

    {"chatlab":{"version":"0.0.2","exportedAt":1703001600},
     "meta":{"name":"技术交流群","platform":"qq","type":"group","groupId":"…","ownerId":"…"},
     "members":[{"platformId":"123456","accountName":"张三","groupNickname":"群主-张三","roles":[{"id":"owner"}]}],
     "messages":[{"sender":"123456","accountName":"张三","groupNickname":"…","timestamp":1703001600,
                  "type":0,"content":"大家好！","platformMessageId":"msg_001","replyToMessageId":"…"}]}

JSONL: one object per line, ``_type`` = header (first line: chatlab + meta) /
member / message; lines starting with ``#`` are comments.

``timestamp`` is Unix seconds (ms accepted when >= 1e12).  ``type`` is ChatLab's
MessageType number, mapped onto qunkit kinds below.  The JSON file is streamed
(``jsonstream``): ``members`` (which may carry base64 avatars) is skipped, not
decoded.

The file's own platform (``meta.platform``: qq, wechat/weixin, discord …) is
written to a ``platform`` column of each chunk.  ``finish_chunk`` and the store
currently use the class platform ("chatlab") instead; they would have to honour
that column to file a ChatLab import under the platform it came from.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .base import ParseOptions, Parser, ParseReport, RowBuffer, mark_recalled, mark_system
from .jsonstream import TopLevelArrayReader, loads, open_or_raise, stream_array
from .kinds import classify_kinds
from .textio import MAX_LINE_CHARS, bounded_lines

# ChatLab MessageType -> qunkit kind
TYPE_KINDS = {
    0: "text", 1: "image", 2: "voice", 3: "video", 4: "file", 5: "sticker", 7: "link", 8: "location",
    20: "redpacket", 21: "transfer", 22: "pat", 23: "call", 24: "link", 25: "text", 26: "forward", 27: "card",
    80: "system", 81: "recall", 99: "other",
}
PLATFORMS = {"weixin": "wechat", "wx": "wechat"}


def _s(v: Any) -> str:
    if v is None or isinstance(v, dict | list | bool):
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


class _Mapper:
    def __init__(self, meta: Any, fallback: str, options: ParseOptions, report: ParseReport) -> None:
        meta = meta if isinstance(meta, dict) else {}
        self.report = report
        self.options = options
        self.name = _s(meta.get("name")) or fallback
        self.gid = _s(meta.get("groupId")) or self.name
        self.chat_type = "private" if _s(meta.get("type")).lower() == "private" else "group"
        plat = _s(meta.get("platform")).lower() or "unknown"
        self.platform = PLATFORMS.get(plat, plat)
        if not meta:
            report.note(f"no ChatLab meta header; the chat was named after the file ({fallback!r})")
        self.rows = RowBuffer(("ts", "sid", "name", "account", "kind", "text", "msg_id", "reply", "line"))
        self.count = 0

    def add(self, m: Any, record: int) -> None:
        if not isinstance(m, dict):
            self.report.issue(record, "message is not a JSON object", repr(m)[:80])
            return
        ts = m.get("timestamp")
        if isinstance(ts, str) and ts.strip().lstrip("-").isdigit():
            ts = int(ts)
        if not isinstance(ts, int | float) or isinstance(ts, bool) or ts <= 0:
            self.report.issue(record, "message has no usable timestamp", f"timestamp={ts!r}")
            return
        ms = int(ts if ts >= 1e12 else ts * 1000)
        sid = _s(m.get("sender"))
        account = _s(m.get("accountName"))
        name = _s(m.get("groupNickname")) or account or sid
        if not sid:
            sid = name
        if not sid:
            self.report.issue(record, "message has no sender", repr(m)[:80])
            return
        t = m.get("type")
        kind = TYPE_KINDS.get(t) if isinstance(t, int) and not isinstance(t, bool) else None
        content = m.get("content")
        c = self.rows.cols
        c["ts"].append(ms)
        c["sid"].append(sid)
        c["name"].append(name)
        c["account"].append(account or None)
        c["kind"].append(kind)
        c["text"].append(content.strip() if isinstance(content, str) else "")
        c["msg_id"].append(_s(m.get("platformMessageId")) or None)
        c["reply"].append(_s(m.get("replyToMessageId")) or None)
        c["line"].append(record)
        self.count += 1

    def take(self, final: bool = False) -> pd.DataFrame | None:
        c = self.rows.take(final)
        if c is None:
            return None
        text = pd.Series(c["text"], dtype=object)
        kind = pd.Series(c["kind"], dtype=object)
        undecided = kind.isna()
        if undecided.any():  # a type number ChatLab may add later: read the text
            kind[undecided] = classify_kinds(text[undecided]).to_numpy()
        df = pd.DataFrame(
            {
                "group_id": self.gid,
                "group_name": self.name,
                "chat_type": self.chat_type,
                "platform": self.platform,
                "ts": pd.to_datetime(np.asarray(c["ts"], dtype="int64"), unit="ms", utc=True),
                "sender_id": c["sid"],
                "sender_name": c["name"],
                "sender_account_name": c["account"],
                "kind": kind.to_numpy(),
                "text": text.to_numpy(),
                "event": None,
                "event_actor": None,
                "event_target": None,
                "reply_to": c["reply"],
                "msg_id": c["msg_id"],
                "source_line": np.asarray(c["line"], dtype="int64"),
            }
        )
        system = (df["kind"] == "system").to_numpy()
        mark_system(df, system)
        mark_recalled(df, (df["kind"] == "recall").to_numpy() & ~system)  # RECALL: the message, under its sender
        return df


class ChatLabParser(Parser):
    name = "chatlab"
    platform = "chatlab"
    description = "ChatLab interchange format (chatlab JSON or JSONL, any source platform)"

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        if not head or path.is_dir():
            return 0
        first = head.lstrip("\ufeff \t\r\n")
        if first.startswith("{") and '"_type"' in first.split("\n", 1)[0] and '"chatlab"' in first.split("\n", 1)[0]:
            return 95
        if first.startswith("{") and '"chatlab"' in head and ('"meta"' in head or '"messages"' in head):
            return 90
        return 0

    def parse(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pd.DataFrame]:
        report.encoding = "utf-8"
        with open(path, "rb") as fh:
            first = fh.readline(1 << 20)  # a JSONL header line is small; a one-line JSON file is not read whole
        try:
            line = loads(first) if first.strip() else None
        except ValueError:
            line = None
        if isinstance(line, dict) and "_type" in line:
            yield from self._jsonl(path, options, report)
        else:
            yield from self._json(path, options, report)

    def _json(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pd.DataFrame]:
        with open(path, "rb") as fh:
            reader = TopLevelArrayReader(fh, "messages", keep=("chatlab", "meta"))
            if not open_or_raise(reader, report, path, "a ChatLab JSON file", "chatlab, meta and a messages array"):
                return
            _version_note(reader.header.get("chatlab"), report)
            mapper = _Mapper(reader.header.get("meta"), path.stem, options, report)
            yield from stream_array(reader, mapper, report, path.name)

    def _jsonl(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pd.DataFrame]:
        mapper: _Mapper | None = None
        with open(path, "rb") as fh:
            for line_no, raw in bounded_lines(fh):
                if raw is None:
                    report.issue(line_no, f"line longer than {MAX_LINE_CHARS >> 20} MB: not a message record; skipped")
                    continue
                s = raw.strip()
                if not s or s.startswith(b"#"):
                    continue
                try:
                    obj = loads(s)
                except ValueError as exc:
                    if not raw.endswith(b"\n"):
                        report.truncated = True
                        report.issue(line_no, "the last line is cut off (truncated)", raw[:80].decode("utf-8", "replace"))
                    else:
                        report.issue(line_no, f"not a JSON line ({exc})", raw[:80].decode("utf-8", "replace"))
                    continue
                kind = obj.get("_type") if isinstance(obj, dict) else None
                if kind == "header":
                    if mapper is None:
                        _version_note(obj.get("chatlab"), report)
                        mapper = _Mapper(obj.get("meta"), path.stem, options, report)
                    continue
                if kind == "member":
                    continue
                if kind != "message":
                    report.issue(line_no, f"unknown _type {kind!r}", raw[:80].decode("utf-8", "replace"))
                    continue
                if mapper is None:
                    mapper = _Mapper(None, path.stem, options, report)
                mapper.add(obj, line_no)
                df = mapper.take()
                if df is not None:
                    yield df
        if mapper is not None:
            df = mapper.take(final=True)
            if df is not None:
                yield df


def _version_note(head: Any, report: ParseReport) -> None:
    if isinstance(head, dict):
        gen = _s(head.get("generator"))
        report.note(f"ChatLab format {_s(head.get('version')) or '?'}" + (f", written by {gen}" if gen else ""))
