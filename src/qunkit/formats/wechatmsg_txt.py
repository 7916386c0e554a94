"""WeChatMsg / MemoTrace (留痕) TXT export.

One file per chat, ``<remark>.txt``; every message is written as
``f"{StrTime} {display_name}\\n{content}\\n\\n"``, and a system message as
``f"{StrTime} {content}\\n\\n"`` (the notice sits on the header line, no sender).

Why these choices:
- The header carries no id, so sender_id is the display name and the group is
  named after the file (``--group`` overrides when the CLI passes one).
- A header line is told from a system notice by its body: notices have none
  and read like one (邀请…加入了群聊, 撤回了一条消息, 拍了拍 …).  A member whose
  nickname reads like a notice and who sends an empty message is the price.
- A quoted reply ends with ``引用:<name>:<content>``; that line is someone
  else's words, so it is cut from ``text`` (the export has no id to put in
  reply_to).
- Parsing is vectorised (``iter_text_blocks``): one RE2 pass finds headers,
  bodies are joined as list offsets, no Python loop per line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..localtime import localize
from .base import ParseOptions, Parser, ParseReport, text_encoding
from .wechat_common import build_messages, drop_bad, rx_get, rx_has, rx_sub, settle_chat_type
from .wechat_io import iter_text_blocks
from .wechatmsg_csv import chat_name_from_file

HEADER = r"^(?P<time>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?: (?P<rest>.*))?$"
# what a gray-bar notice on a header line reads like (body-less headers only)
NOTICE = (
    r"邀请.{0,300}加入了?群聊|通过扫描.{0,80}二维码加入群聊|撤回了一条(?:成员)?消息|拍了拍|移出了?群聊|退出了?群聊"
    r"|修改群名为|群主|与群里其他人都不是(?:微信)?朋友关系|以上是打招呼的内容|现在可以开始聊天了"
    r"|收到红包，请在手机上查看|开启了朋友验证|群公告|加入了群聊|^[\"“].+[\"”].+"
    r"|joined the group|invited .+ to|recalled a message|You've joined"
    r"|加入了?本群。?$|退出了?本群。?$|(?:移出|踢出)了?本群。?$"  # QQ wording (a QQ group written in this layout)
)
# bodies that open with these are that kind even when they go on for several lines
LEAD_KINDS = {"链接": "link", "分享": "link", "音乐分享": "link", "小程序": "link", "文件": "file",
              "聊天记录": "forward", "合并转发": "forward"}
_LEAD = r"^[ \t]*\[(?P<g>" + "|".join(LEAD_KINDS) + r")\]"
_SNIFF_HEADER = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} (.+)$", re.M)
_QQ_ID_END = re.compile(r"(?:\(\d{5,}\)|<[^<>]+@[^<>]+>)\s*$")


def _split_header(lines: pa.Array) -> dict[str, pa.Array]:
    """The header is fixed-width: 19 characters of time, a space, the name (or notice)."""
    return {"time": pc.utf8_slice_codeunits(lines, 0, 19), "rest": pc.utf8_slice_codeunits(lines, 20)}


class WeChatMsgTxtParser(Parser):
    name = "wechatmsg-txt"
    platform = "wechat"
    description = "WeChatMsg / MemoTrace (留痕) TXT: 'YYYY-MM-DD HH:MM:SS 名字' headers, one file per chat"

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        if not head or path.suffix.lower() not in (".txt", ""):
            return 0
        if "消息对象:" in head or "消息记录（此消息记录为文本格式" in head or "QQChatExporter" in head:
            return 0  # QQ message-manager / QCE text
        names = _SNIFF_HEADER.findall(head.replace("\r\n", "\n"))
        if not names:
            return 0
        qq_like = sum(bool(_QQ_ID_END.search(n)) for n in names)
        if qq_like * 2 >= len(names):
            return 0
        return 70 if len(names) >= 2 else 40

    def parse(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pd.DataFrame]:
        yield from settle_chat_type(self._chunks(path, options, report))

    def _chunks(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pd.DataFrame]:
        encoding = text_encoding(path, report)
        group = options.group or chat_name_from_file(path)
        sid_name = options.self_name
        for blocks in iter_text_blocks(path, encoding, HEADER, report, options.chunk_bytes, fields=_split_header):
            naive = pd.to_datetime(blocks["time"], format="%Y-%m-%d %H:%M:%S", errors="coerce")
            blocks["ts"] = localize(naive, options.tz)
            blocks = drop_bad(blocks, blocks["ts"].isna(), "header date is not a valid date", report,
                              blocks["time"] + " " + blocks["rest"])
            if blocks.empty:
                continue
            rest = blocks["rest"].astype(str).str.strip()
            body = blocks["body"].astype(str)
            system = (body == "") & rx_has(rest, NOTICE)
            own = rx_sub(body, r"\n引用:[^\n]*$", "")
            lead = rx_get(own, _LEAD).map(LEAD_KINDS)
            is_self = ~system & ((rest == "我") | ((rest == sid_name) if sid_name else False))
            raw = pd.DataFrame({
                "ts": blocks["ts"],
                "group_id": group,
                "group_name": group,
                "chat_type": None,
                "source_line": blocks["source_line"],
                "content": own.where(~system, rest),
                "label_kind": lead.astype(object).where(lead.notna(), None),
                "is_system": system,
                "is_self": is_self,
                "sender_id": rest.where(~system, ""),
                "sender_name": rest.where(~system, ""),
            })
            yield build_messages(raw, options, report)
