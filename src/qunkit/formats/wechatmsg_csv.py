"""WeChatMsg / MemoTrace (留痕) CSV export.

``<remark>_utf8.csv``, UTF-8 with BOM, RFC 4180 quoting (bodies span lines),
columns ``localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,
StrTime,Remark,NickName,Sender``.  ``StrContent`` is raw XML for app (49) and
system-XML (10002) rows; ``build_messages`` renders it.

Why these choices:
- ``CreateTime`` (Unix seconds; ms accepted) is the timestamp because it is
  zone-free; ``StrTime`` (local wall clock) is the fallback when it is broken.
- ``TalkerId`` is the database's numeric talker row, not the chatroom id, so
  the group is named by the file (``--group`` overrides); when a variant does
  write ``…@chatroom`` there, that becomes the group id.
- chat_type is decided on the first chunk (several other senders, or
  membership events, make a group) and kept for the whole file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from ..errors import BadInput
from ..localtime import localize
from .base import ParseOptions, Parser, ParseReport, text_encoding
from .wechat_common import build_messages, drop_bad, settle_chat_type, to_int, ts_from_epoch
from .wechat_io import csv_columns, iter_csv, read_csv_header

COLUMNS = ("localId", "TalkerId", "Type", "SubType", "IsSender", "CreateTime", "Status", "StrContent",
           "StrTime", "Remark", "NickName", "Sender")
NEEDED = ("Type", "IsSender", "CreateTime", "StrContent")


def chat_name_from_file(path: Path) -> str:
    """WeChatMsg names files after the contact's remark: ``<remark>_utf8.csv`` / ``<remark>.txt``."""
    return re.sub(r"_utf-?8$", "", path.stem, flags=re.I) or path.stem


class WeChatMsgCsvParser(Parser):
    name = "wechatmsg-csv"
    platform = "wechat"
    description = "WeChatMsg / MemoTrace (留痕) CSV: localId,TalkerId,Type,SubType,IsSender,CreateTime,..."

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        cols = set(csv_columns(head))
        hits = sum(c in cols for c in COLUMNS)
        if hits == len(COLUMNS):
            return 95
        if all(c in cols for c in NEEDED) and "localId" in cols:
            return 80
        return 0

    def parse(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pd.DataFrame]:
        yield from settle_chat_type(self._chunks(path, options, report))

    def _chunks(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pd.DataFrame]:
        text_encoding(path, report)
        header = read_csv_header(path)
        missing = [c for c in NEEDED if c not in header]
        if missing:
            raise BadInput(f"{path}: not a WeChatMsg CSV (no column {', '.join(missing)})")
        group_name = options.group or chat_name_from_file(path)
        for df in iter_csv(path, report, block_bytes=max(options.chunk_bytes, 1 << 20)):
            for col in COLUMNS:
                if col not in df:
                    df[col] = ""
            ts = ts_from_epoch(df["CreateTime"].str.strip())
            broken = ts.isna()
            if broken.any():
                local = pd.to_datetime(df.loc[broken, "StrTime"].str.strip(), format="%Y-%m-%d %H:%M:%S",
                                       errors="coerce")
                ts[broken] = localize(local, options.tz).dt.tz_convert("UTC")
            typ = to_int(df["Type"])
            df["ts"] = ts
            df = drop_bad(df, ts.isna(), "no readable CreateTime/StrTime", report, df["StrContent"].str[:80]
                          .radd(df["CreateTime"] + " "))
            typ = typ[df.index]
            df = drop_bad(df, typ.isna(), "Type is not a number", report, df["Type"] + "," + df["StrContent"].str[:80])
            if df.empty:
                continue
            talker = df["TalkerId"].str.strip()
            room = talker.str.endswith("@chatroom")
            remark, nick = df["Remark"].str.strip(), df["NickName"].str.strip()
            raw = pd.DataFrame({
                "ts": df["ts"],
                "group_id": talker.where(room, group_name),
                "group_name": group_name,
                "chat_type": pd.Series("group", index=df.index, dtype=object).where(room, None),
                "source_line": df["source_line"],
                "content": df["StrContent"],
                "type": df["Type"],
                "subtype": df["SubType"],
                "is_self": df["IsSender"].str.strip() == "1",
                "sender_id": df["Sender"],
                "sender_name": remark.where(remark != "", nick),
                "sender_account_name": nick,
                "msg_id": df["localId"].str.strip(),
            })
            yield build_messages(raw, options, report)
