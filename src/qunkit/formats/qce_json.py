"""QQChatExporter (shuakami/qq-chat-exporter, "QCE") JSON export of QQ NT chats.

Layout (shared/formats/FORMATS.md §2)::

    {"metadata":{"name":"QQChatExporter","version":"5.x"},
     "chatInfo":{"name":…,"type":"group","selfUin":…,"peerUid":…,"peerUin":…},
     "statistics":{…},
     "messages":[ CleanMessage, … ],
     "avatars":{"<uin>":"data:image/…;base64,…"},      <- optional, can be hundreds of MB
     "exportOptions":{…}}

The file is streamed (``jsonstream``): messages are decoded one at a time and
reading stops at the end of the messages array, so the avatars blob is never
read.  ``QceMapper`` turns CleanMessage dicts (V5 and the older V4 field names)
into parser columns; the chunked-jsonl parser (``qce_jsonl``) uses the same
mapper.

Decisions:
* ``timestamp`` is epoch milliseconds; values below 1e12 are seconds; ISO
  strings (some V4 builds) are read with their offset, naive ones in ``tz``.
* sender_id is the QQ number (``uin``) when present, else the NT ``uid``.  A
  mention carries only a uid; it is mapped to the uin when that uid was seen as
  a sender earlier in the file.
* text is ``content.text`` with QCE's media labels made canonical
  (``[图片:x.jpg]`` -> ``[图片]``, ``[文件:a.xlsx]`` -> ``[文件]a.xlsx``, ``[表情14]`` ->
  ``[表情]``, ``[语音:3秒]`` -> ``[语音]``) and the ``[回复消息]`` marker dropped (the reply is in ``reply_to``).
* kind comes from the structured elements/resources when there are any,
  otherwise from the text placeholders (``kinds.classify_kinds``).
* system (gray-bar) messages get sender "system"/"系统消息" and an event from
  ``events.parse_events``; a recalled message keeps its sender, gets kind
  ``recall`` and event ``recall`` with the sender as target.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..localtime import localize_one
from .base import (
    SYSTEM_ID,
    SYSTEM_NAME,
    ParseOptions,
    Parser,
    ParseReport,
    RowBuffer,
    mark_recalled,
    mark_system,
)
from .jsonstream import TopLevelArrayReader, open_or_raise, stream_array
from .kinds import classify_kinds

# element type -> kind, for messages whose content is only media
ELEMENT_KINDS = {
    "image": "image", "pic": "image",
    "face": "sticker", "market_face": "sticker", "marketface": "sticker", "sticker": "sticker",
    "audio": "voice", "ptt": "voice", "voice": "voice",
    "video": "video",
    "file": "file",
    "forward": "forward", "multiforward": "forward",
    "json": "link", "ark": "link", "xml": "link", "share": "link",
    "location": "location", "share_location": "location",
    "wallet": "redpacket", "redpacket": "redpacket",
    "av_record": "call", "call": "call",
    "contact": "card",
}
# element types that say nothing about what the message is
_NEUTRAL = {"reply", "at", "mention"}

_LABELS = [
    (re.compile(r"\[(图片|视频)[:：][^\[\]\n]*\]"), r"[\1]"),  # file names of pictures are GUIDs
    (re.compile(r"\[文件[:：]([^\[\]\n]*)\]"), r"[文件]\1"),    # a document's name says what it is
    (re.compile(r"\[语音[:：][^\[\]\n]*\]"), "[语音]"),
    (re.compile(r"\[表情\d+\]"), "[表情]"),
    (re.compile(r"\[回复消息\]\s*"), ""),
]


def normalise_text(text: str) -> str:
    """QCE's media labels -> the placeholders every qunkit importer uses."""
    if "[" in text:
        for rx, repl in _LABELS:
            text = rx.sub(repl, text)
    return text.strip()


def _str(v: Any) -> str:
    """A scalar JSON value as stripped text ("" for null, objects and arrays)."""
    if type(v) is str:  # the common case first: this runs several times per message
        return v.strip()
    if v is None or isinstance(v, dict | list):
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _id(v: Any) -> str:
    """An id field: NapCat writes "0" (and sometimes "undefined") for "none"."""
    s = _str(v)
    return "" if s in ("0", "None", "null", "undefined") else s


def parse_when(ts: Any, time_str: Any, tz: str) -> int | None:
    """CleanMessage time -> epoch milliseconds (UTC), or None."""
    if isinstance(ts, str) and ts.strip():
        s = ts.strip()
        if re.fullmatch(r"\d+(\.\d+)?", s):
            ts = float(s)
        else:
            return _iso_ms(s, tz)
    if isinstance(ts, int | float) and not isinstance(ts, bool) and ts > 0:
        return int(ts if ts >= 1e12 else ts * 1000)
    if isinstance(time_str, str) and time_str.strip():
        return _iso_ms(time_str.strip(), tz)
    return None


def _iso_ms(s: str, tz: str) -> int | None:
    try:
        t = dt.datetime.fromisoformat(s.replace("/", "-"))
    except ValueError:
        return None
    ts = localize_one(pd.Timestamp(t), tz)
    # in ms of the Timestamp's own unit: year 1 or 9999 is past nanoseconds (``.value`` overflowed;
    # found by atheris); the plausible-date window drops such a message later as a bad line
    return int(ts.asm8.astype("datetime64[ms]").astype("int64"))


class QceMapper:
    """CleanMessage dicts -> parser-column DataFrames, in chunks.

    One instance per chat (it holds the chat's id/name and the uid -> uin map
    learnt from senders).  Feed records with ``add``; take full chunks with
    ``take(final)``.
    """

    def __init__(self, chat_info: dict | None, fallback_name: str, options: ParseOptions,
                 report: ParseReport) -> None:
        info = chat_info if isinstance(chat_info, dict) else {}
        self.options = options
        self.report = report
        ctype = _str(info.get("type")).lower()
        self.chat_type = "private" if ctype in ("private", "friend", "temp", "c2c", "私聊") else "group"
        self.group_name = _str(info.get("name")) or fallback_name
        self.group_id = (_id(info.get("peerUin")) or _id(info.get("peerUid")) or _id(info.get("groupCode"))
                         or _id(info.get("groupId")) or self.group_name)
        if not _str(info.get("name")):
            report.note(f"the export names no chat (chatInfo.name); messages were put in {fallback_name!r}")
        self.uid_to_uin: dict[str, str] = {}
        self._rows = RowBuffer(_COLUMNS)
        self.count = 0

    # ------------------------------------------------------------ one record
    def add(self, rec: Any, record_no: int) -> None:
        """Map one CleanMessage; a record that cannot be placed goes to the report."""
        if not isinstance(rec, dict):
            self.report.issue(record_no, "message record is not a JSON object", repr(rec)[:80])
            return
        sender = rec.get("sender") if isinstance(rec.get("sender"), dict) else {}
        raw = rec.get("rawMessage") if isinstance(rec.get("rawMessage"), dict) else {}
        content = rec.get("content")
        if isinstance(content, str):
            content = {"text": content}
        elif not isinstance(content, dict):
            content = {}

        ms = parse_when(rec.get("timestamp"), rec.get("time"), self.options.tz)
        if ms is None:
            ms = parse_when(raw.get("msgTime"), None, self.options.tz)
        if ms is None:
            self.report.issue(record_no, "message has no usable timestamp",
                              f"timestamp={rec.get('timestamp')!r} time={rec.get('time')!r}")
            return

        uin = _id(sender.get("uin")) or _id(raw.get("senderUin"))
        uid = _id(sender.get("uid")) or _id(raw.get("senderUid"))
        if uin and uid:
            self.uid_to_uin[uid] = uin
        name = (_str(raw.get("sendMemberName")) or _str(sender.get("groupCard")) or _str(sender.get("name"))
                or _str(sender.get("nickname")) or _str(raw.get("sendNickName")))
        account = _str(sender.get("nickname")) or _str(raw.get("sendNickName"))
        sid = uin or uid or name
        is_system = bool(rec.get("system") or rec.get("isSystemMessage")) or _str(rec.get("type")) == "system"
        recalled = bool(rec.get("recalled") or rec.get("isRecalled"))
        if is_system:
            sid, name = SYSTEM_ID, SYSTEM_NAME
        elif not sid:
            self.report.issue(record_no, "message has no sender (no uin, uid or name)", _excerpt(rec))
            return

        elements = content.get("elements") if isinstance(content.get("elements"), list) else []
        text = _str_keep(content.get("text"))
        if not text and elements:
            text = "".join(_element_text(e) for e in elements)
        text = normalise_text(text)

        reply_to = None
        reply = content.get("reply") if isinstance(content.get("reply"), dict) else None
        for e in elements:
            if isinstance(e, dict) and e.get("type") == "reply" and isinstance(e.get("data"), dict):
                reply = e["data"]
                break
        if reply:
            reply_to = (_id(reply.get("referencedMessageId")) or _id(reply.get("messageId"))
                        or _id(reply.get("msgId")) or None)

        c = self._rows.cols
        c["ts"].append(ms)
        c["sender_id"].append(sid)
        c["sender_name"].append(name or sid)
        c["sender_title"].append(None if is_system else (_str(sender.get("title")) or None))
        c["sender_account_name"].append(None if is_system else (account or None))
        c["text"].append(text)
        c["mentions"].append(self._mentions(content, elements))
        c["reply_to"].append(reply_to)
        c["msg_id"].append(_id(rec.get("id")) or _id(rec.get("messageId")) or _id(raw.get("msgId")) or None)
        c["source_line"].append(record_no)
        c["recalled"].append(recalled and not is_system)
        c["system"].append(is_system)
        c["kind_hint"].append(None if is_system else _kind_from_structure(elements, content, text))
        self.count += 1

    def _mentions(self, content: dict, elements: list) -> list[str] | None:
        found: list[str] = []
        items = content.get("mentions")
        if not items and not elements:
            return None
        if not isinstance(items, list):
            items = []
        if not items:  # V4: at-elements only
            items = [e.get("data") for e in elements
                     if isinstance(e, dict) and e.get("type") in ("at", "mention") and isinstance(e.get("data"), dict)]
        for m in items:
            if not isinstance(m, dict):
                continue
            kind = _str(m.get("type")).lower()
            uid = _id(m.get("uid"))
            if kind == "all" or uid == "all" or _str(m.get("atType")) == "1":
                found.append("@all")
                continue
            who = (_id(m.get("uin")) or self.uid_to_uin.get(uid) or uid or _str(m.get("name")).lstrip("@"))
            if who:
                found.append(who)
        return found or None

    # ------------------------------------------------------------ chunks
    def take(self, final: bool = False) -> pd.DataFrame | None:
        """The rows gathered so far as a DataFrame, once a chunk is full (or ``final``)."""
        c = self._rows.take(final)
        if c is None:
            return None
        text = pd.Series(c["text"], dtype=object)
        kind = pd.Series(c["kind_hint"], dtype=object)
        undecided = kind.isna()
        if undecided.any():
            kind[undecided] = classify_kinds(text[undecided]).to_numpy()
        recalled = np.asarray(c["recalled"], dtype=bool)
        system = np.asarray(c["system"], dtype=bool)
        df = pd.DataFrame(
            {
                "group_id": self.group_id,
                "group_name": self.group_name,
                "chat_type": self.chat_type,
                "ts": pd.to_datetime(np.asarray(c["ts"], dtype="int64"), unit="ms", utc=True),
                "sender_id": c["sender_id"],
                "sender_name": c["sender_name"],
                "sender_title": c["sender_title"],
                "sender_account_name": c["sender_account_name"],
                "kind": kind.to_numpy(),
                "text": text.to_numpy(),
                "event": None,
                "event_actor": None,
                "event_target": None,
                "mentions": c["mentions"],
                "reply_to": c["reply_to"],
                "msg_id": c["msg_id"],
                "source_line": np.asarray(c["source_line"], dtype="int64"),
            }
        )
        mark_system(df, system)  # their sender is the system pseudo-sender already (``add``)
        mark_recalled(df, recalled)
        return df


_COLUMNS = ("ts", "sender_id", "sender_name", "sender_title", "sender_account_name", "text", "mentions", "reply_to", "msg_id",
            "source_line", "recalled", "system", "kind_hint")


def _str_keep(v: Any) -> str:
    return v if isinstance(v, str) else ""


def _excerpt(rec: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in list(rec.items())[:4])[:120]


def _element_text(e: Any) -> str:
    """Text of one element, for records whose content.text is missing."""
    if not isinstance(e, dict):
        return ""
    data = e.get("data") if isinstance(e.get("data"), dict) else {}
    t = e.get("type")
    if t == "text":
        return _str_keep(data.get("text"))
    if t in ("at", "mention"):
        return "@" + _str(data.get("name")).lstrip("@")
    if t == "image":
        return "[图片]"
    if t in ("face", "market_face"):
        return "[表情]"
    if t == "audio":
        return "[语音]"
    if t == "video":
        return "[视频]"
    if t == "file":
        return "[文件]"
    if t == "system":
        return _str_keep(data.get("text")) or _str_keep(data.get("summary"))
    return ""


def _kind_from_structure(elements: list, content: dict, text: str) -> str | None:
    """Kind from QCE's structured elements/resources; None when only the text can tell."""
    types = []
    has_words = False
    for e in elements:
        if not isinstance(e, dict):
            continue
        t = _str(e.get("type")).lower()
        if t in _NEUTRAL or not t:
            continue
        if t == "text":
            data = e.get("data") if isinstance(e.get("data"), dict) else {}
            words = _str_keep(data.get("text")).strip()
            if words and not words.startswith("@"):
                has_words = True
            continue
        types.append(t)
    if not elements:
        # older exports: resources/emojis only.  Their text ("在的", "[文件]报名表.xlsx") tells
        # words from placeholders better than the resource list does, so it decides unless empty
        if text:
            return None
        resources = content.get("resources") if isinstance(content.get("resources"), list) else []
        types = [_str(r.get("type")).lower() for r in resources if isinstance(r, dict)]
        if not types and isinstance(content.get("emojis"), list) and content["emojis"]:
            types = ["face"]
    if has_words or not types:
        return "text" if has_words else None
    kinds = [ELEMENT_KINDS.get(t) for t in types]
    if any(k is None for k in kinds):
        return None  # an element type we do not know: let the text placeholders decide
    return "image" if "image" in kinds else kinds[0]


class QceJsonParser(Parser):
    name = "qce-json"
    platform = "qq"
    description = "QQChatExporter (QCE, shuakami/qq-chat-exporter) JSON export of QQ NT chats"

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        if not head or path.is_dir():
            return 0
        if _is_chunked_manifest(path, head):
            return 0  # qce-jsonl's
        start = head.lstrip("\ufeff \t\r\n")[:1]
        if start != "{" or '"chatInfo"' not in head:
            return 0
        if "QQChatExporter" in head or "qq-chat-exporter" in head:
            return 95
        if '"metadata"' in head and ('"messages"' in head or '"statistics"' in head):
            return 80
        return 0

    def parse(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pd.DataFrame]:
        report.encoding = "utf-8"
        with open(path, "rb") as fh:
            reader = TopLevelArrayReader(fh, "messages", keep=("metadata", "chatInfo"))
            if not open_or_raise(reader, report, path, "a QQChatExporter JSON export",
                                 "an object with chatInfo and a messages array"):
                return
            note_version(reader.header.get("metadata"), report)
            mapper = QceMapper(reader.header.get("chatInfo"), path.stem, options, report)
            yield from stream_array(reader, mapper, report, path.name)


def note_version(metadata: Any, report: ParseReport) -> None:
    if isinstance(metadata, dict) and metadata.get("version"):
        report.note(f"exported by {_str(metadata.get('name')) or 'QQChatExporter'} {_str(metadata.get('version'))}")


def _is_chunked_manifest(path: Path, head: str) -> bool:
    return '"chunked"' in head or (path.name == "manifest.json" and (path.parent / "chunks").is_dir())
