"""Write one group's messages as ChatLab's interchange format (v0.0.2, JSON or JSONL).

The layout is the one ``qunkit.formats.chatlab`` reads; the type numbers come
from that importer's ``TYPE_KINDS``, inverted (where two numbers share a kind,
the lower one is written: link -> 7 LINK, text -> 0 TEXT).  Kinds ChatLab has
no number for: ``announcement`` -> 80 SYSTEM (ChatLab files 群公告 under
SYSTEM), anything else -> 99 OTHER.  A recall notice qunkit keeps as a system
line (sender ``system``, "X撤回了一条消息") is written as SYSTEM with its text so
the notice and who recalled survive; RECALL (81) is only used for a recalled
message under its own sender.

A sender's group card and account name (``sender_name`` / ``sender_account_name``) are written as
``groupNickname`` / ``accountName`` when both are known and differ, else the shown name as
``accountName``.

What ChatLab has no field for, and is not written: ``sender_title`` (titles
live on as member roles), ``mentions`` (still in the text), ``event_actor`` /
``event_target`` (re-read from the text of system lines on import), ``tz``,
the provenance columns and sub-second time (ChatLab timestamps are seconds).

Rows are written in batches (``BATCH_ROWS``) with one ``json.dumps`` per
record, to a temporary file renamed over ``path`` at the end.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from .. import __version__
from ..formats.chatlab import TYPE_KINDS
from ..private import open_private

VERSION = "0.0.2"
BATCH_ROWS = 50_000
SYSTEM_SENDERS = {"system"}
# qunkit kind -> ChatLab MessageType: the importer's table inverted, lowest number wins
KIND_TYPES: dict[str, int] = {}
for _num, _kind in sorted(TYPE_KINDS.items()):
    KIND_TYPES.setdefault(_kind, _num)
KIND_TYPES.setdefault("announcement", 80)
SYSTEM, OTHER = 80, 99


def _dumps(obj: dict) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _str(v) -> str | None:
    if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
        return None
    s = str(v)
    return s or None


def chatlab_header(messages: pd.DataFrame, members: pd.DataFrame) -> tuple[dict, dict]:
    """The ``chatlab`` and ``meta`` objects for one group's rows."""
    last = messages.iloc[int(messages["ts"].to_numpy().argmax())] if len(messages) else {}  # latest name
    meta: dict = {"name": _str(last.get("group_name")) or "chat", "platform": _str(last.get("platform")) or "unknown",
                  "type": "private" if str(last.get("chat_type")) == "private" else "group"}
    if gid := _str(last.get("group_id")):  # also for private chats: it keeps the chat's identity on re-import
        meta["groupId"] = gid
    if len(members):
        owners = members.loc[members["role"] == "owner", "member_id"].astype(str).unique()
        if len(owners) == 1:
            meta["ownerId"] = owners[0]
    head = {"version": VERSION, "exportedAt": int(time.time()), "generator": f"qunkit {__version__}"}
    return head, meta


def member_records(members: pd.DataFrame) -> Iterator[dict]:
    if len(members) == 0:
        return
    ids = members["member_id"].astype(str).tolist()
    names = members["member_name"].tolist()
    roles = members["role"].tolist()
    for mid, name, role in zip(ids, names, roles, strict=True):
        if mid in SYSTEM_SENDERS:
            continue
        rec = {"platformId": mid, "accountName": _str(name) or mid}
        if role in ("owner", "admin"):
            rec["roles"] = [{"id": role}]
        yield rec


def message_records(messages: pd.DataFrame) -> Iterator[dict]:
    """ChatLab message objects, in time order, built ``BATCH_ROWS`` rows at a time."""
    if len(messages) and not messages["ts"].is_monotonic_increasing:
        messages = messages.sort_values("ts", kind="stable")
    for start in range(0, len(messages), BATCH_ROWS):
        b = messages.iloc[start:start + BATCH_ROWS]
        secs = (pd.to_datetime(b["ts"], utc=True).dt.as_unit("ms").astype("int64") // 1000).tolist()
        kinds = b["kind"].astype(str).tolist()
        sids = b["sender_id"].astype(str).tolist()
        names = b["sender_name"].astype(str).tolist()
        accounts = (b["sender_account_name"].astype(object).tolist() if "sender_account_name" in b.columns
                    else [None] * len(b))
        texts = b["text"].tolist()
        msg_ids = b["msg_id"].tolist() if "msg_id" in b.columns else [None] * len(b)
        replies = b["reply_to"].tolist() if "reply_to" in b.columns else [None] * len(b)
        for ts, kind, sid, name, account, text, mid, reply in zip(secs, kinds, sids, names, accounts, texts,
                                                                   msg_ids, replies, strict=True):
            typ = KIND_TYPES.get(kind, OTHER)
            if kind == "recall" and sid in SYSTEM_SENDERS:
                typ = SYSTEM
            rec: dict = {}
            if (mid := _str(mid)) is not None:
                rec["platformMessageId"] = mid
            account = _str(account)
            if account is not None and account != name:   # the group card beside the account name
                rec.update(sender=sid, accountName=account, groupNickname=name)
            else:
                rec.update(sender=sid, accountName=name or sid)
            rec.update(timestamp=ts, type=typ, content=text if isinstance(text, str) else "")
            if (reply := _str(reply)) is not None:
                rec["replyToMessageId"] = reply
            yield rec


def write_chatlab(messages: pd.DataFrame, members: pd.DataFrame, path: str | os.PathLike, *,
                  jsonl: bool = False) -> Path:
    """Write one group's MESSAGES rows (and its members) to ``path`` as ChatLab JSON or JSONL.

    ``members`` is a ``Store.members`` / ``derive_members`` frame, conformed to
    ``schema.MEMBERS`` (``members.conform_members``), so its columns are read as is; it may be empty.  The file appears whole or not at all.
    """
    path = Path(path)
    if len(messages) and messages["group_id"].astype(str).nunique() > 1:
        raise ValueError("write_chatlab writes one group per file; got rows of several groups")
    head, meta = chatlab_header(messages, members)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open_private(tmp, "w", encoding="utf-8", newline="\n") as fh:
            if jsonl:
                fh.write(_dumps({"_type": "header", "chatlab": head, "meta": meta}) + "\n")
                for rec in member_records(members):
                    fh.write(_dumps({"_type": "member", **rec}) + "\n")
                for rec in message_records(messages):
                    fh.write(_dumps({"_type": "message", **rec}) + "\n")
            else:
                fh.write('{"chatlab":' + _dumps(head) + ',\n"meta":' + _dumps(meta) + ',\n"members":[')
                _write_array(fh, member_records(members))
                fh.write('],\n"messages":[')
                _write_array(fh, message_records(messages))
                fh.write("]}\n")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _write_array(fh, records: Iterator[dict]) -> None:
    sep = "\n"
    for rec in records:
        fh.write(sep + _dumps(rec))
        sep = ",\n"
