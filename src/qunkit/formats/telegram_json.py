"""Telegram Desktop "Export chat history" / "Export Telegram data" JSON (result.json).

Two shapes::

    one chat      {"name":…, "type":"private_supergroup", "id":123, "messages":[{…}, …]}
    full account  {"about":…, …, "chats":{"about":…, "list":[{"name":…, "type":…, "id":…, "messages":[…]}, …]},
                   "left_chats":{"list":[…]}, …}

Why these choices:
- Streamed with ``jsonstream``: a one-chat file through ``TopLevelArrayReader``
  on ``messages``; a full-account file by walking it key by key (``account_chats``):
  ``chats.list`` and ``left_chats.list`` item by item, each chat's name/type/id
  decoded and its ``messages`` streamed like a one-chat file, everything else
  stepped over unbuilt.  Memory is one message at a time in either layout
  (Telegram Desktop's pretty-printing or a minified copy); nothing is read whole.
- Chats: groups and supergroups are ``group``; personal, bot and saved chats
  ``private``.  A channel (``public_channel``/``private_channel``) is not a group
  (one-way posts, no members talking): it is skipped with a note naming it.
- Messages: ``from_id`` ("user123", or "channel…" when a channel posts in a
  group) is the sender id, ``from`` the name; ``date_unixtime`` the time (else
  ``date`` in ``ParseOptions.tz``); ``text`` a string or a list of strings and
  entities, joined; ``reply_to_message_id`` -> reply_to; @mentions from the
  entities (``mention_name`` as "user<id>").  Media decide the kind.
- Service messages are events (base.SYSTEM_ID/SYSTEM_NAME sender, kind "system"):
  join_group_by_link and invite_members -> join, remove_members -> kick (leave
  when the actor removed only themself), create_group -> join of its members,
  edit_group_title -> rename, pin_message -> announcement (reply_to = the
  pinned message), migrations and the rest -> other.  ``members`` lists only
  names, so the targets of invites and removals are names; the actor is an id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import BadInput
from ..localtime import localize
from .base import ROWS_PER_CHUNK, SYSTEM_ID, SYSTEM_NAME, ParseOptions, Parser, ParseReport
from .jsonstream import BLOCK, RecordBatcher, StreamDamage, TopLevelArrayReader, stream_array
from .textio import read_head

ACCOUNT_ABOUT = "Here is the data you requested"  # the full-account export's first value
GROUP_TYPES = {"private_group", "private_supergroup", "public_supergroup"}
PRIVATE_TYPES = {"personal_chat", "bot_chat", "saved_messages", "private_chat"}
CHANNEL_TYPES = {"public_channel", "private_channel"}
MEDIA_KINDS = {"sticker": "sticker", "animation": "sticker", "video_file": "video", "video_message": "video",
               "voice_message": "voice", "audio_file": "file"}
_LINK_ONLY = re.compile(r"^\s*https?://\S+\s*$")
READ_BLOCK = BLOCK   # bytes per read (tests make it tiny: values cut across reads)


class TelegramJsonParser(Parser):
    name = "telegram-json"
    platform = "telegram"
    description = "Telegram Desktop export result.json (one chat, or the full-account export's chats list)"

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        if not head or not head.lstrip("\ufeff \t\r\n").startswith("{"):
            return 0
        if ACCOUNT_ABOUT in head[:400]:
            return 95
        if '"date_unixtime"' in head and '"messages"' in head:
            return 95
        if re.search(r'"type": "(?:private_supergroup|private_group|public_supergroup|personal_chat|'
                     r'public_channel|private_channel)"', head) and '"messages"' in head:
            return 80
        return 0

    def parse(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pd.DataFrame]:
        head, encoding = read_head(path)
        report.encoding = encoding or "utf-8"
        if ACCOUNT_ABOUT in head[:400]:
            yield from self._account(path, options, report)
            return
        with open(path, "rb") as fh:
            reader = TopLevelArrayReader(fh, "messages", keep=("name", "type", "id"), encoding=report.encoding)
            if reader.open():
                yield from self._chat(reader, reader.header, options, report, path.name)
                return
        if "chats" not in reader.seen_keys:
            if reader.truncated:
                report.truncated = True
                report.issue(1, f"truncated JSON: {reader.problem}")
                return
            raise BadInput(f"{path}: not a Telegram export ({reader.problem}); expected result.json with "
                           "'messages' (one chat) or 'chats' (full account)")
        yield from self._account(path, options, report)

    # -- full-account export ---------------------------------------------------------------------
    def _account(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pd.DataFrame]:
        found = 0
        with open(path, "rb") as fh:
            reader = TopLevelArrayReader(fh, None, block=READ_BLOCK, encoding=report.encoding)
            try:
                for head in account_chats(reader):
                    found += 1
                    yield from self._chat(reader, head, options, report, path.name)
                    reader.close_array()   # what _chat did not read (a skipped channel)
            except StreamDamage as exc:
                if not found:
                    raise BadInput(f"{path}: damaged Telegram full-account export ({exc}); expected "
                                   "result.json as Telegram Desktop writes it") from None
                report.truncated = report.truncated or exc.truncated
                report.issue(0, f"damaged full-account export after {found} chat(s): {exc}; the rest of the "
                             "file was not read")

    # -- one chat --------------------------------------------------------------------------------
    def _chat(self, source: TopLevelArrayReader, head: dict, options: ParseOptions,
              report: ParseReport, file_name: str) -> Iterator[pd.DataFrame]:
        ctype = str(head.get("type") or "")
        cid = str(head.get("id") or "")
        name = str(head.get("name") or options.group or cid or Path(file_name).stem)
        if ctype in CHANNEL_TYPES:
            report.note(f"{name!r} (id {cid}) is a Telegram {ctype.replace('_', ' ')}, not a group: skipped "
                        "(a channel's posts have no members talking to each other)")
            return
        if ctype not in GROUP_TYPES | PRIVATE_TYPES:
            report.note(f"{name!r}: unknown Telegram chat type {ctype!r}, imported as a group")
        chat = {"group_id": cid or str(name), "group_name": str(name),
                "chat_type": "private" if ctype in PRIVATE_TYPES else "group"}
        batcher = RecordBatcher(lambda records, numbers: build_frame(records, numbers, chat, options, report),
                                report, "message is not an object", ROWS_PER_CHUNK)
        yield from stream_array(source, batcher, report, file_name)


def account_chats(reader: TopLevelArrayReader) -> Iterator[dict]:
    """Each chat of ``chats.list`` and ``left_chats.list`` as its name/type/id, yielded with the
    reader's cursor inside the chat's ``messages`` array (the caller streams it, then
    ``close_array``).  Walked key by key (``jsonstream`` nested walking): the chat list, the
    ``contacts``, ``frequent_contacts`` and the rest are stepped over, never built, so memory stays
    one message whatever the layout (pretty or minified).  Telegram Desktop writes a chat's name,
    type and id before its messages; keys that come after them are not seen."""
    if reader.peek() != "{":
        raise StreamDamage("the file does not start with a JSON object")
    for section in reader.keys():
        if section not in ("chats", "left_chats") or reader.peek() != "{":
            reader.skip()
            continue
        for key in reader.keys():
            if key != "list" or not reader.open_array():
                reader.skip()
                continue
            for _ in reader.items():
                if reader.peek() != "{":
                    reader.skip()
                    continue
                head: dict = {}
                for field in reader.keys():
                    if field in ("name", "type", "id"):
                        head[field] = reader.value()
                    elif field == "messages" and reader.open_array():
                        yield head
                    else:
                        reader.skip()


def flat_text(value: Any) -> str:
    """``text``: a string, or a list of strings and {"type", "text"} entities."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(v if isinstance(v, str) else str(v.get("text", "")) if isinstance(v, dict) else ""
                       for v in value)
    return ""


def mentions_of(record: dict) -> list[str] | None:
    ents = record.get("text_entities")
    if not isinstance(ents, list):
        ents = [e for e in record.get("text") or [] if isinstance(e, dict)] if isinstance(record.get("text"), list) \
            else []
    out = []
    for e in ents:
        if not isinstance(e, dict):
            continue
        if e.get("type") == "mention":
            out.append(str(e.get("text", "")).lstrip("@"))
        elif e.get("type") == "mention_name":
            out.append(f"user{e['user_id']}" if e.get("user_id") is not None else str(e.get("text", "")))
    return out or None


def message_kind(record: dict, text: str) -> str:
    media = record.get("media_type")
    if media in MEDIA_KINDS:
        return MEDIA_KINDS[media]
    if "photo" in record:
        return "image"
    if "file" in record or "file_name" in record:
        return "file"
    if "location_information" in record or "place_name" in record:
        return "location"
    if "contact_information" in record:
        return "card"
    if "poll" in record:
        return "other"
    if _LINK_ONLY.match(text):
        return "link"
    return "text"


def service_event(record: dict) -> tuple[str, str | None, str | None, str]:
    """(event, actor, target, text) of a service message."""
    action = str(record.get("action") or "")
    actor = _id(record.get("actor_id"))
    raw = record.get("members")
    members = [str(m) for m in raw if m] if isinstance(raw, list) else []
    names = ", ".join(members) or None
    title = record.get("title") or record.get("new_title")
    detail = names or (str(title) if title else "")
    text = flat_text(record.get("text")) or (f"{action}: {detail}" if detail else action)
    if action == "join_group_by_link":
        return "join", None, actor, text
    if action == "invite_members":
        self_add = members == [str(record.get("actor") or "")]
        return "join", None if self_add else actor, actor if self_add else names, text
    if action == "remove_members":
        if members == [str(record.get("actor") or "")]:
            return "leave", None, actor, text
        return "kick", actor, names, text
    if action == "create_group":
        return "join", actor, names, text
    if action == "edit_group_title":
        return "rename", actor, str(title) if title else None, str(title) if title else text
    if action == "pin_message":
        return "announcement", actor, None, text
    return "other", actor, names, text


def _id(v: Any) -> str | None:
    if v is None or v == "" or isinstance(v, (dict, list, bool)):
        return None
    return str(v)


def build_frame(records: list[dict], numbers: list[int], chat: dict, options: ParseOptions,
                report: ParseReport) -> pd.DataFrame:
    rows = []
    for rec, no in zip(records, numbers, strict=True):  # JSON records are Python dicts already
        reply = _id(rec.get("reply_to_message_id"))
        if rec.get("type") == "service":
            event, actor, target, text = service_event(rec)
            if event == "announcement":
                reply = _id(rec.get("message_id"))
            rows.append((rec.get("date_unixtime"), rec.get("date"), SYSTEM_ID, SYSTEM_NAME, "system", text,
                         event, actor, target, None, reply, _id(rec.get("id")), no))
            continue
        text = flat_text(rec.get("text"))
        sid = _id(rec.get("from_id")) or _id(rec.get("from")) or "unknown"
        rows.append((rec.get("date_unixtime"), rec.get("date"), sid, str(rec.get("from") or sid),
                     message_kind(rec, text), text, None, None, None, mentions_of(rec), reply, _id(rec.get("id")),
                     no))
    df = pd.DataFrame(rows, columns=["unix", "date", "sender_id", "sender_name", "kind", "text", "event",
                                     "event_actor", "event_target", "mentions", "reply_to", "msg_id", "source_line"])
    unix = pd.to_numeric(df["unix"], errors="coerce")
    ts = pd.to_datetime(unix.where((unix > 0) & (unix < 1e10)), unit="s", utc=True)
    local = pd.to_datetime(df["date"].where(df["date"].map(lambda v: isinstance(v, str))), errors="coerce",
                           format="ISO8601", utc=False)
    if local.dt.tz is None:
        local = localize(local, options.tz)
    ts = ts.fillna(local.dt.tz_convert("UTC"))
    bad = ts.isna()
    for i in bad[bad].index:
        report.issue(int(df.at[i, "source_line"]), "message has no readable date_unixtime or date",
                     str(df.at[i, "text"])[:80])
    df = df.drop(columns=["unix", "date"])
    df.insert(0, "ts", ts)
    for key, value in chat.items():
        df[key] = value
    return df[~bad].reset_index(drop=True)
