"""WeFlow and ycccccccy/EchoTrace JSON exports (WeChat 4.x).

``{"weflow": {...}?, "session": {wxid, nickname, remark, displayName, type}, "messages": [{localId,
createTime, type, localType, content, isSend, senderUsername, senderDisplayName, ...}]}``; EchoTrace
writes the same without the ``weflow`` key.

Why these choices:
- The document is walked with ``JsonStream``: ``session`` (small) is decoded
  whole, ``messages`` one element at a time, anything else skipped, so memory
  stays bounded however long the chat is.  A file cut short keeps every
  complete message and is flagged ``truncated``.
- Kinds come from the Chinese ``type`` label (文本消息, 图片消息, 引用消息 …);
  ``localType`` is known to be unreliable, so it is only the fallback for
  labels qunkit does not know.
- ``createTime`` is documented as seconds; milliseconds are accepted too.
- ``isSend`` is null on system messages; the label (系统消息, 撤回…) decides.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from .base import ParseOptions, Parser, ParseReport
from .textio import read_head
from .wechat_common import (
    build_messages,
    drop_bad,
    finalize,
    infer_chat_type,
    label_kinds,
    rx_has,
    ts_from_epoch,
)
from .wechat_io import JsonMalformed, JsonStream, JsonTruncated, open_text
from .wechatmsg_csv import chat_name_from_file

JSON_CHUNK = 50_000
MESSAGE_KEYS = ("localId", "serverId", "createTime", "type", "localType", "content", "isSend", "senderUsername",
                "senderDisplayName")


def _id(v: object) -> str | None:
    if v is None or v == "" or isinstance(v, (dict, list, bool)):
        return None
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def find_session(path: Path) -> dict:
    """The top-level ``session`` object, stepping over everything else unbuilt."""
    try:
        with open_text(path) as fh:
            stream = JsonStream(fh)
            for key in stream.items():
                if key == "session":
                    value = stream.value()
                    return value if isinstance(value, dict) else {}
                stream.skip()
    except (JsonTruncated, JsonMalformed):
        pass
    return {}


class WeFlowJsonParser(Parser):
    name = "weflow-json"
    platform = "wechat"
    description = "WeFlow / EchoTrace JSON: {session:{wxid,displayName,type}, messages:[{createTime,type,...}]}"

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        if not head or not head.lstrip("\ufeff \t\r\n").startswith("{") or '"session"' not in head:
            return 0
        if '"weflow"' in head:
            return 95
        msg_keys = sum(f'"{k}"' in head for k in ("senderUsername", "senderDisplayName", "createTime", "localType",
                                                   "isSend"))
        session_keys = sum(f'"{k}"' in head for k in ("wxid", "displayName", "messageCount", "lastTimestamp"))
        if msg_keys >= 3 or (session_keys >= 3 and '"messages"' in head):
            return 85
        return 0

    def parse(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pd.DataFrame]:
        _, report.encoding = read_head(path)
        session: dict = {}
        records: list[dict] = []
        lines: list[int] = []
        number = 0
        with open_text(path) as fh:
            stream = JsonStream(fh, report=report)
            try:
                for key in stream.items():
                    if key == "messages":
                        if not session:  # session written after the messages: look ahead for it first
                            session = find_session(path)
                            if not session:
                                report.note("no session object: the chat is named after the file")
                        for number, rec in enumerate(stream.elements(), start=1):
                            if not isinstance(rec, dict):
                                report.issue(number, "message is not an object", repr(rec)[:80])
                                continue
                            records.append(rec)
                            lines.append(number)
                            if len(records) >= JSON_CHUNK:
                                yield self._chunk(records, lines, session, path, options, report)
                                records, lines = [], []
                    elif key == "session":
                        value = stream.value()
                        session = value if isinstance(value, dict) else {}
                    else:
                        stream.value()
            except JsonTruncated as exc:
                report.truncated = True
                report.issue(number + 1, f"file ends inside message {number + 1} (truncated): {exc}")
                report.note(f"{path.name} is cut short: the {number} complete messages before the cut were imported")
            except JsonMalformed as exc:
                report.truncated = True
                report.issue(number + 1, f"malformed JSON at message {number + 1}: {exc}")
                report.note(f"{path.name}: malformed JSON at message {number + 1}; the rest was not imported")
        if records:
            yield self._chunk(records, lines, session, path, options, report)

    @staticmethod
    def _chunk(records: list[dict], lines: list[int], session: dict, path: Path, options: ParseOptions,
               report: ParseReport) -> pd.DataFrame:
        df = pd.DataFrame({k: [r.get(k) for r in records] for k in MESSAGE_KEYS})
        df["source_line"] = lines
        df["ts"] = ts_from_epoch(df["createTime"])
        df = drop_bad(df, df["ts"].isna(), "no readable createTime", report,
                      df["createTime"].astype(str) + " " + df["content"].astype(str).str[:80])
        wxid = str(session.get("wxid") or "").strip() or chat_name_from_file(path)
        name = next((str(session[k]).strip() for k in ("displayName", "remark", "nickname")
                     if isinstance(session.get(k), str) and session[k].strip()), wxid)
        stype = str(session.get("type") or "")
        chat_type = ("group" if "群" in stype or wxid.endswith("@chatroom")
                     else "private" if "私" in stype else None)
        label = df["type"].astype(object).where(df["type"].notna(), "").astype(str)
        sender = df["senderUsername"].astype(object).where(df["senderUsername"].notna(), "").astype(str)
        system = rx_has(label, "系统|撤回") | (rx_has(label, "拍一拍") & (sender.str.strip() == ""))
        msg_id = [_id(a) or _id(b) for a, b in zip(df["serverId"], df["localId"], strict=True)]
        raw = pd.DataFrame({
            "ts": df["ts"],
            "group_id": wxid,
            "group_name": options.group or name,
            "chat_type": chat_type,
            "source_line": df["source_line"],
            "content": df["content"].astype(object).where(df["content"].notna(), "").astype(str),
            "type": df["localType"].where(label_kinds(label).isna(), None),
            "label_kind": label_kinds(label),
            "is_system": system,
            "is_self": df["isSend"].map(lambda v: v is True or v == 1 or v == "1").astype(bool),
            "sender_id": sender,
            "sender_name": df["senderDisplayName"].astype(object).where(df["senderDisplayName"].notna(), ""),
            "msg_id": pd.Series(msg_id, index=df.index, dtype=object),
        })
        out = build_messages(raw, options, report)
        if chat_type is None:
            out["chat_type"] = infer_chat_type(out)
        return finalize(out, None, report)
