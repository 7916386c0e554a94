"""WeFlow and ycccccccy/EchoTrace JSON exports (WeChat 4.x).

``{"weflow": {...}?, "session": {wxid, nickname, remark, displayName, type}, "messages": [{localId,
createTime, type, localType, content, isSend, senderUsername, senderDisplayName, ...}]}``; EchoTrace
writes the same without the ``weflow`` key.

Why these choices:
- The document is walked with ``jsonstream``: ``session`` (small) is decoded
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
from .jsonstream import RecordBatcher, TopLevelArrayReader, stopped, stream_array
from .wechat_common import (
    build_messages,
    drop_bad,
    finalize,
    infer_chat_type,
    label_kinds,
    rx_has,
    ts_from_epoch,
)
from .wechat_io import export_encoding
from .wechatmsg_csv import chat_name_from_file

MESSAGE_KEYS = ("localId", "serverId", "createTime", "type", "localType", "content", "isSend", "senderUsername",
                "senderDisplayName")


def _id(v: object) -> str | None:
    if v is None or v == "" or isinstance(v, (dict, list, bool)):
        return None
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def find_session(path: Path, encoding: str) -> dict:
    """The top-level ``session`` object, stepping over everything else unbuilt."""
    with open(path, "rb") as fh:
        value = TopLevelArrayReader(fh, "messages", encoding=encoding).find("session")
    return value if isinstance(value, dict) else {}


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
        report.encoding = export_encoding(path)
        with open(path, "rb") as fh:
            reader = TopLevelArrayReader(fh, "messages", keep=("session",), encoding=report.encoding, resync=False)
            if not reader.open():
                if not reader.missing:  # no messages at all is no damage
                    stopped(report, path.name, 1, reader.truncated, reader.problem or "")
                return
            session = reader.header.get("session")
            session = session if isinstance(session, dict) else {}
            if not session:  # session written after the messages: look ahead for it first
                session = find_session(path, report.encoding)
                if not session:
                    report.note("no session object: the chat is named after the file")
            batcher = RecordBatcher(lambda records, lines: self._chunk(records, lines, session, path, options, report),
                                    report, "message is not an object")
            yield from stream_array(reader, batcher, report, path.name, read_rest=True)

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
        return finalize(out, None)
