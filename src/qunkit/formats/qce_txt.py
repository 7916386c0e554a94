"""QQChatExporter (QCE) TXT export: best effort.

Layout (shared/formats/FORMATS.md §2; QCE ``text_exporter.rs``)::

    [QQChatExporter V5 / https://github.com/shuakami/qq-chat-exporter]
    ...
    聊天名称: 测试群聊
    聊天类型: 群聊
    ...
    [1]                              <- optional message number
    [群头衔] 昵称:                    <- sender label; no id at all
    时间: 2025-01-01 12:00:00
    类型: type_1                      <- optional
    内容: 文本…                        <- may continue on the next lines (multi-line messages)
    资源: 1 个文件                     <- optional, then "  - image: x.jpg" lines
    提及: 张三, 李四                   <- optional
    回复: 01-01 11:59 王五 - 被引用内容   <- optional
    (blank lines)
    ===============================================
                  导出完成

A record starts where a line ending in ":" is followed by ``时间: <date time>``;
everything up to the next such pair is that record, its optional fields are read
from its end backwards.  With ``line_width`` set the exporter hard-wraps long
lines and indents the rest by two spaces; the width is inferred from the file
and those lines are joined back.

What the format cannot tell: sender ids (the name is used), reply ids, and
whether a line is a system notice (guessed: the "[系统消息]" body, a sender
named 系统消息, or a body that parses as a join/leave/kick/recall/rename/pat
notice).  Prefer the JSON export for analysis.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from ..localtime import text_times_utc
from .base import SYSTEM_NAME, ParseOptions, Parser, ParseReport, RowBuffer, mark_system, text_chunks
from .events import parse_events
from .kinds import classify_kinds
from .qce_json import normalise_text
from .textio import read_head

BANNER = "[QQChatExporter"
TIME_RE = re.compile(r"^时间: ?(.*?)\s*$")
NUMBER_RE = re.compile(r"^\[\d+\]$")
TITLE_RE = re.compile(r"^\[([^\[\]]+)\] (.+)$")
SEPARATOR = "=" * 20
RESOURCE_TYPES = {"image": "[图片]", "video": "[视频]", "audio": "[语音]", "voice": "[语音]", "file": "[文件]"}
RESOURCE_KINDS = {"image": "image", "video": "video", "audio": "voice", "voice": "voice", "file": "file"}
EMPTY_BODIES = {"[系统消息]": "", "[表情消息]": "[表情]", "[无文本内容]": ""}
NOTICE_HINT = re.compile(r"撤回了|加入了?本群|加入了?群聊|退出了?本群|退出了?群聊|移出|修改了?群名|新群主|拍了拍")
NOTICE_EVENTS = {"join", "leave", "kick", "recall", "rename", "owner_change", "pat"}
ALL_NAMES = {"全体成员", "所有人", "@全体成员", "all"}
FOOTER_COUNT = re.compile(r"^总计导出\s*(\d+)\s*条消息")
# a record without the banner (the head of the file cut off): "name:" / "时间: date" / "内容:"
HEADLESS_RECORD = re.compile(r"^[^\n]*:\n时间: ?\d{4}-\d{2}-\d{2} \d{1,2}:\d{2}:\d{2}\n(?:类型: [^\n]*\n)?内容:", re.M)


class QceTxtParser(Parser):
    name = "qce-txt"
    platform = "qq"
    description = "QQChatExporter (QCE) TXT export (best effort: names only, no ids)"

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        if not head:
            return 0
        start = head.lstrip("\ufeff")[:2000]
        if start.startswith(BANNER) and ("聊天名称:" in head or "QQ聊天记录导出文件" in head):
            return 95
        if "QQ聊天记录导出文件" in start and "聊天名称:" in head and re.search(r"^时间: \d{4}-", head, re.M):
            return 80
        if len(HEADLESS_RECORD.findall(head.replace("\r\n", "\n"))) >= 3:
            return 60   # the banner is gone (the tail of an export): the record layout alone decides
        return 0

    def parse(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pd.DataFrame]:
        head, _ = read_head(path)
        width = _wrap_width(head.split("\n"))
        if width:
            report.note(f"long lines were hard-wrapped at {width} characters; joined back")
        state = _State(path.stem, options, report)
        kept = 0
        for lineno, line in _unwrapped(_lines(text_chunks(path, options, report)), width):
            state.feed(lineno, line)
            df = state.take()
            if df is not None:
                kept += len(df)
                yield df
        state.finish()
        df = state.take(final=True)
        if df is not None:
            kept += len(df)
            yield df
        state.check_footer(kept)


def _lines(chunks: Iterator[str]) -> Iterator[tuple[int, str]]:
    n = 0
    for text in chunks:
        parts = text.split("\n")
        if text.endswith("\n"):
            parts.pop()
        for line in parts:
            n += 1
            yield n, line


def _wrap_width(sample: list[str]) -> int:
    """The exporter's line_width, inferred from lines followed by a 2-space continuation."""
    lengths = Counter(  # a piece that is itself a continuation carries the 2-space indent
        len(prev) - 2 * prev.startswith("  ") for prev, line in zip(sample, sample[1:], strict=False)
        if line.startswith("  ") and line[2:3].strip() and not line.startswith("  - ") and len(prev) >= 10
        and prev.strip("=")  # the banner's "=====" rule is followed by a centred title, not a wrap
    )
    if not lengths:
        return 0
    width, count = lengths.most_common(1)[0]
    return width if count >= 2 and count >= 0.6 * sum(lengths.values()) else 0


def _unwrapped(lines: Iterator[tuple[int, str]], width: int) -> Iterator[tuple[int, str]]:
    if not width:
        yield from lines
        return
    held: tuple[int, str] | None = None
    last_len = 0
    for lineno, line in lines:
        if held is not None and line.startswith("  ") and last_len in (width, width + 2):
            held = (held[0], held[1] + line[2:])
            last_len = len(line)
            continue
        if held is not None:
            yield held
        held, last_len = (lineno, line), len(line)
    if held is not None:
        yield held


class _State:
    def __init__(self, stem: str, options: ParseOptions, report: ParseReport) -> None:
        self.options = options
        self.report = report
        self.group_name = stem
        self.chat_type = "group"
        self.in_preamble = True
        self.done = False
        self.block: list[tuple[int, str]] = []   # lines of the record being read (header first)
        self.prev: tuple[int, str] | None = None
        self.prev2: tuple[int, str] | None = None
        self.rows = RowBuffer(("time", "sender", "title", "text", "body_kind", "mentions", "line", "system"))
        self.announced: int | None = None  # "总计导出 N 条消息" in the footer

    # ------------------------------------------------------------ lines
    def feed(self, lineno: int, line: str) -> None:
        if self.done:
            return
        if line.startswith("时间:") and self._header_before():
            header = self.prev
            if not self.in_preamble and self.block and self.block[-1] == header:
                self.block.pop()
                if self.block and NUMBER_RE.match(self.block[-1][1].strip()):
                    self.block.pop()
                self._flush()
            self.in_preamble = False
            self.block = [header, (lineno, line)]
            self._step(lineno, line)
            return
        if line.startswith(SEPARATOR) and not self.in_preamble:
            self._flush()   # the footer ("导出完成") or a stray rule: the record ends here
            self.block = []
            self._step(lineno, line)
            return
        footer = FOOTER_COUNT.match(line)
        if footer:
            self.announced = int(footer.group(1))
        if self.in_preamble:
            self._preamble(line)
        elif self.block:
            self.block.append((lineno, line))
        elif line.strip() and line.strip() != "导出完成" and not line.startswith(("总计导出", "导出时间")):
            self.report.issue(lineno, "text outside any record", line)
        self._step(lineno, line)

    def _step(self, lineno: int, line: str) -> None:
        self.prev2, self.prev = self.prev, (lineno, line)

    def _header_before(self) -> bool:
        """Is the previous line a sender label ("…:") that starts a record (after a blank
        line, a "[n]" number line or the start of the file)?"""
        if self.prev is None or not self.prev[1].rstrip().endswith(":"):
            return False
        before = self.prev2[1].strip() if self.prev2 else ""
        return before == "" or bool(NUMBER_RE.match(before))

    def _preamble(self, line: str) -> None:
        if line.startswith("聊天名称:"):
            self.group_name = line.split(":", 1)[1].strip() or self.group_name
        elif line.startswith("聊天类型:"):
            kind = line.split(":", 1)[1].strip()
            self.chat_type = "private" if kind in ("私聊", "临时会话") else "group"

    def finish(self) -> None:
        self._flush()

    def check_footer(self, kept: int) -> None:
        """The footer's "总计导出 N 条消息" against the messages the file held: an export whose head was cut
        off keeps its footer, so qunkit reports it as truncated (and imports what is there)."""
        if self.announced is not None and kept < self.announced:
            self.report.truncated = True
            self.report.note(f"the footer announces {self.announced} messages but the file holds {kept}: "
                             "part of the export is missing (re-export it whole); what is here was imported")

    # ------------------------------------------------------------ one record
    def _flush(self) -> None:
        block, self.block = self.block, []
        if not block:
            return
        (hline, header), (_, time_line) = block[0], block[1]
        body = block[2:]
        if body and body[0][1].startswith("类型:"):
            body = body[1:]
        while body and not body[-1][1].strip():
            body.pop()
        mentions: list[str] | None = None
        # optional fields, read from the end: 回复, 提及, 资源 (+ "  - type: name" lines)
        if body and body[-1][1].startswith("回复: "):
            body.pop()
        if body and body[-1][1].startswith("提及: "):
            names = [n.strip() for n in body.pop()[1][4:].split(",")]
            mentions = ["@all" if n in ALL_NAMES else n for n in names if n] or None
        res_at = next((i for i in range(len(body) - 1, -1, -1) if re.match(r"^资源: \d+ 个文件", body[i][1])), None)
        if res_at is not None and all(line.startswith("  - ") for _, line in body[res_at + 1:]):
            body = body[:res_at]
        if not body or not body[0][1].startswith("内容:"):
            self.report.issue(hline, "record has no 内容: line", header)
            return
        text = "\n".join([body[0][1][3:].lstrip()] + [line for _, line in body[1:]]).rstrip()
        label = header.rstrip()[:-1].strip()
        m = TITLE_RE.match(label)
        title, name = (m.group(1), m.group(2).strip()) if m else (None, label)
        system = text == "[系统消息]" or name in (SYSTEM_NAME, "")
        body_kind = None
        if text in EMPTY_BODIES:
            body_kind = {"[系统消息]": "system", "[表情消息]": "sticker", "[无文本内容]": "other"}[text]
            text = EMPTY_BODIES[text]
        elif re.fullmatch(r"\[[a-z、]+消息\]", text):  # resources only, e.g. "[image、file消息]"
            types = text[1:-3].split("、")
            text = "".join(RESOURCE_TYPES.get(t, "") for t in types)
            body_kind = "image" if "image" in types else RESOURCE_KINDS.get(types[0])
        text = normalise_text(text)
        r = self.rows.cols
        r["time"].append(TIME_RE.match(time_line).group(1))
        r["sender"].append(name or SYSTEM_NAME)
        r["title"].append(title)
        r["text"].append(text)
        r["body_kind"].append(body_kind)
        r["mentions"].append(mentions)
        r["line"].append(hline)
        r["system"].append(system)

    # ------------------------------------------------------------ chunks
    def take(self, final: bool = False) -> pd.DataFrame | None:
        r = self.rows.take(final)
        if r is None:
            return None
        ts = text_times_utc(pd.Series(r["time"], dtype=object).astype(str).str.replace("T", " "), self.options.tz)
        bad = ts.isna().to_numpy()
        for i in np.flatnonzero(bad):
            self.report.issue(r["line"][i], "unreadable time", r["time"][i])
        text = pd.Series(r["text"], dtype=object)
        kind = pd.Series(r["body_kind"], dtype=object)
        undecided = kind.isna()
        kind[undecided] = classify_kinds(text[undecided]).to_numpy()
        system = np.asarray(r["system"], dtype=bool)
        df = pd.DataFrame(
            {
                "group_id": self.group_name,
                "group_name": self.group_name,
                "chat_type": self.chat_type,
                "ts": ts,
                "sender_id": r["sender"],
                "sender_name": r["sender"],
                "sender_title": r["title"],
                "kind": kind.to_numpy(),
                "text": text.to_numpy(),
                "event": None,
                "event_actor": None,
                "event_target": None,
                "mentions": r["mentions"],
                "source_line": np.asarray(r["line"], dtype="int64"),
            }
        )
        hint = ~system & text.str.contains(NOTICE_HINT).to_numpy(dtype=bool)
        if hint.any():  # a notice the exporter wrote under a person's name: only the unambiguous events
            ev = parse_events(df.loc[hint, "text"])["event"]
            system[np.flatnonzero(hint)[ev.isin(NOTICE_EVENTS).to_numpy()]] = True
        mark_system(df, system)
        df.loc[system, "sender_title"] = None
        return df[~bad].reset_index(drop=True)
