"""PyWxDump (xaoyaoo/PyWxDump) CSV export.

``export/<wxid>/<wxid>_<start>_<end>.csv`` pages of 5000 rows, header
``id,MsgSvrID,type_name,is_sender,talker,room_name,msg,src,CreateTime``, and a
``users.json`` beside them (wxid -> nickname/remark/roomNickname).  A directory
of pages imports as one chat; a single page imports too.

Why these choices:
- ``type_name`` is a Chinese label (文本, 图片, 引用回复, 消息撤回1 …): kinds come
  from the label (``wechat_common.LABEL_KINDS``), not from a numeric type.
- Names come from ``users.json``: remark > roomNickname > nickname > wxid; the nickname is also kept
  as ``sender_account_name``
  (what the client shows).  Without it senders are named by wxid and a note says so.
- ``CreateTime`` was not verified in the public notes: Unix seconds/ms and
  local ``YYYY-MM-DD HH:MM:SS`` strings are both read.
- Pages are read in ``start`` order; ``source_line`` runs on through the pages
  (a page's lines follow the previous page's), and an issue names its page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from ..errors import BadInput
from ..localtime import text_times_utc
from .base import ParseOptions, Parser, ParseReport, text_encoding
from .jsonstream import loads
from .wechat_common import build_messages, drop_bad, finalize, label_kinds, rx_has, ts_from_epoch
from .wechat_io import csv_columns, iter_csv, read_csv_header

COLUMNS = ("id", "MsgSvrID", "type_name", "is_sender", "talker", "room_name", "msg", "src", "CreateTime")
PAGE = re.compile(r"^(?P<wxid>.+)_(?P<start>\d+)_(?P<end>\d+)\.csv$", re.I)
SYSTEM_LABELS = r"系统|撤回|拍一拍|邀请加群"


def _is_pywxdump_header(path: Path) -> bool:
    try:
        cols = read_csv_header(path)
    except (OSError, BadInput):
        return False
    return all(c in cols for c in ("MsgSvrID", "type_name", "is_sender", "talker", "room_name", "msg"))


def pages(path: Path) -> list[Path]:
    """The CSV pages of an export directory, in ``start`` order (or the one file given)."""
    if path.is_file():
        return [path]
    found = [p for p in path.iterdir() if p.is_file() and PAGE.match(p.name)]
    if not found:
        found = [p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".csv"]
    found = [p for p in found if _is_pywxdump_header(p)]
    return sorted(found, key=lambda p: (int(PAGE.match(p.name)["start"]) if PAGE.match(p.name) else 0, p.name))


def load_users(folder: Path, report: ParseReport) -> dict[str, dict]:
    """users.json as {wxid: {...}} (a list of user dicts is accepted too)."""
    path = folder / "users.json"
    if not path.is_file():
        report.note("no users.json beside the pages: senders are named by wxid")
        return {}
    try:
        with open(path, encoding="utf-8-sig") as fh:
            data = loads(fh.read())
    except (OSError, ValueError) as exc:
        report.note(f"users.json unreadable ({exc}); senders are named by wxid")
        return {}
    if isinstance(data, list):
        data = {u.get("wxid") or u.get("username"): u for u in data if isinstance(u, dict)}
    return {str(k): v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}


def display_name(user: dict | None) -> str:
    if not user:
        return ""
    for key in ("remark", "roomNickname", "room_nickname", "nickname", "nickName"):
        v = user.get(key)
        if isinstance(v, str) and v.strip():
            return v.strip()
    return ""


def account_name(user: dict | None) -> str | None:
    """The account's own nickname (not the remark nor the group nickname), None if users.json lacks it."""
    for key in ("nickname", "nickName"):
        v = (user or {}).get(key)
        if isinstance(v, str) and v.strip():
            return v.strip()
    return None


class PyWxDumpCsvParser(Parser):
    name = "pywxdump-csv"
    platform = "wechat"
    description = "PyWxDump CSV export: <wxid>_<start>_<end>.csv pages (+ users.json); a file or the folder"
    accepts_directory = True

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        if path.is_dir():
            try:
                listed = [p for p in path.iterdir() if p.is_file() and PAGE.match(p.name)]
            except OSError:
                return 0
            return 90 if listed and _is_pywxdump_header(sorted(listed)[0]) else 0
        cols = csv_columns(head)
        if all(c in cols for c in COLUMNS):
            return 95
        if all(c in cols for c in ("MsgSvrID", "type_name", "is_sender", "talker", "room_name", "msg")):
            return 85
        return 0

    def parse(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pd.DataFrame]:
        files = pages(path)
        if not files:
            raise BadInput(f"{path}: no PyWxDump CSV pages (id,MsgSvrID,type_name,...) found")
        text_encoding(files[0], report)
        users = load_users(files[0].parent, report)
        names = pd.Series({k: display_name(v) for k, v in users.items()}, dtype=object)
        accounts = pd.Series({k: account_name(v) for k, v in users.items()}, dtype=object)
        offset = 0
        for page in files:
            m = PAGE.match(page.name)
            self._default_room = m["wxid"] if m else page.parent.name
            if len(files) > 1:
                report.note(f"page {page.name} starts at line {offset + 1}")
            before = len(report.issues)
            for df in iter_csv(page, report, block_bytes=max(options.chunk_bytes, 1 << 20), line_offset=offset):
                out = self._chunk(df, names, accounts, options, report)
                if out is not None:
                    yield out
            for issue in report.issues[before:]:
                issue.reason = f"{page.name} line {issue.line - offset}: {issue.reason}"
            offset += _count_lines(page)

    def _chunk(self, df: pd.DataFrame, names: pd.Series, accounts: pd.Series, options: ParseOptions,
               report: ParseReport) -> pd.DataFrame | None:
        for col in COLUMNS:
            if col not in df:
                df[col] = ""
        when = df["CreateTime"].str.strip()
        ts = ts_from_epoch(when)
        text_time = ts.isna() & (when != "")
        if text_time.any():
            ts[text_time] = text_times_utc(when[text_time], options.tz)
        df["ts"] = ts
        df = drop_bad(df, ts.isna(), "no readable CreateTime", report, df["CreateTime"] + " " + df["msg"].str[:80])
        if df.empty:
            return None
        room = df["room_name"].str.strip()
        room = room.where(room != "", self._default_room)
        room_name = room.map(names).astype(object).fillna("").astype(str)
        room_name = room_name.where(room_name != "", room)
        group = options.group
        talker = df["talker"].str.strip()
        label = df["type_name"].str.strip()
        sender_name = talker.map(names).astype(object).fillna("").astype(str)
        account = talker.map(accounts) if len(accounts) else None
        raw = pd.DataFrame({
            "ts": df["ts"],
            "group_id": room,
            "group_name": group if group else room_name,
            "chat_type": room.str.endswith("@chatroom").map({True: "group", False: "private"}),
            "source_line": df["source_line"],
            "content": df["msg"],
            "label_kind": label_kinds(label),
            "is_system": rx_has(label, SYSTEM_LABELS),
            "is_self": df["is_sender"].str.strip() == "1",
            "sender_id": talker,
            "sender_name": sender_name,
            "sender_account_name": account,
            "msg_id": df["MsgSvrID"].str.strip(),
        })
        return finalize(build_messages(raw, options, report), None)


def _count_lines(path: Path) -> int:
    n, last = 0, b"\n"
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            n += block.count(b"\n")
            last = block[-1:]
    return n + (last != b"\n")
