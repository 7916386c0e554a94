"""The one interface every export format implements.

A parser knows only its own layout.  It yields pandas DataFrames in chunks
(so a 2 GB export never sits in memory whole) with the *parser columns*
below; ``finish_chunk`` adds provenance and keys and casts to the canonical
``schema.MESSAGES``.  A line a parser cannot place goes to ``ParseReport.issue``:
counted, the first few kept with file:line and the reason, the rest of the file
still imports.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pyarrow as pa

from ..keys import message_keys
from ..schema import MESSAGES, conform

# Columns a parser must (or may) fill.  ts must be tz-aware (parsers localise
# the export's wall-clock time with ParseOptions.tz).
REQUIRED_COLUMNS = ("group_id", "group_name", "chat_type", "ts", "sender_id", "sender_name", "kind", "text",
                    "source_line")
OPTIONAL_COLUMNS = ("sender_title", "event", "event_actor", "event_target", "mentions", "reply_to", "msg_id")

MAX_KEPT_ISSUES = 20


@dataclass
class ParseOptions:
    tz: str = "Asia/Shanghai"      # zone of the wall-clock times in the export
    self_id: str | None = None     # id to give the exporting account's own messages (我 / IsSender=1)
    self_name: str | None = None
    year: int | None = None        # for layouts whose timestamps lack a year (chatlog text)
    group: str | None = None       # chat name for layouts that do not carry one (WeChatMsg names files after it)
    dayfirst: bool | None = None   # D/M vs M/D for WhatsApp dates when the file's own dates leave it open
    chunk_bytes: int = 8 << 20     # streaming chunk size for text formats (peak memory ~70x this)


@dataclass
class ParseIssue:
    file: str
    line: int
    reason: str
    excerpt: str = ""

    def __str__(self) -> str:
        ex = f": {self.excerpt[:80]!r}" if self.excerpt else ""
        return f"{self.file}:{self.line}: {self.reason}{ex}"


@dataclass
class ParseReport:
    """What one file's import did; printed by the CLI and returned by the library."""

    file: str
    format: str = ""
    messages: int = 0
    bad_lines: int = 0
    issues: list[ParseIssue] = field(default_factory=list)
    truncated: bool = False
    notes: list[str] = field(default_factory=list)
    encoding: str = ""
    groups: dict[str, int] = field(default_factory=dict)  # group_name -> messages parsed
    bytes_read: int = 0   # parsers update it as they stream, for progress bars

    def issue(self, line: int, reason: str, excerpt: str = "", count: int = 1) -> None:
        """Count ``count`` unparsed lines; keep the first few for the report."""
        self.bad_lines += count
        if len(self.issues) < MAX_KEPT_ISSUES:
            self.issues.append(ParseIssue(self.file, line, reason, excerpt))

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "format": self.format,
            "encoding": self.encoding,
            "messages": self.messages,
            "bad_lines": self.bad_lines,
            "issues": [str(i) for i in self.issues],
            "truncated": self.truncated,
            "notes": list(self.notes),
            "groups": dict(self.groups),
        }


class Parser(ABC):
    """Base class of every importer.  Subclasses set the class attributes and
    implement ``sniff`` and ``parse``; register them in ``formats/__init__.py``."""

    name: ClassVar[str]          # the --format value, e.g. "qq-txt"
    platform: ClassVar[str]      # qq | wechat | telegram | whatsapp
    description: ClassVar[str]   # one line for error messages and `qunkit formats`
    accepts_directory: ClassVar[bool] = False

    @classmethod
    @abstractmethod
    def sniff(cls, path: Path, head: str) -> int:
        """How sure this parser is that ``path`` is its format: 0 no, 100 certain.

        ``head`` is the decoded start of the file (about 64 KB; "" for a directory).
        Must not read more than it needs: sniffing runs every parser.
        """

    @abstractmethod
    def parse(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pd.DataFrame]:
        """Yield chunks of parser columns (REQUIRED_COLUMNS, any OPTIONAL_COLUMNS)."""


def finish_chunk(df: pd.DataFrame, parser: type[Parser] | Parser, source_file: str, tz: str,
                 key_carry: dict[int, int] | None = None) -> pa.Table:
    """Turn a parser chunk into a canonical MESSAGES table (provenance, keys, types).

    Pass the same ``key_carry`` dict for every chunk of one file (see keys.py)."""
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"parser {parser.name} chunk lacks {missing}")
    out = df.copy()
    for col in OPTIONAL_COLUMNS:
        if col not in out.columns:
            out[col] = None
    if "platform" not in out.columns:  # interchange formats (ChatLab) say per file which platform it was
        out["platform"] = parser.platform
    out["platform"] = out["platform"].fillna(parser.platform)
    out["source_format"] = parser.name
    out["source_file"] = source_file
    out["tz"] = tz
    ts = pd.to_datetime(out["ts"])
    if ts.dt.tz is None:
        raise ValueError(f"parser {parser.name} produced naive timestamps")
    out["ts"] = ts.dt.tz_convert("UTC").astype("datetime64[ms, UTC]")
    out["text"] = out["text"].fillna("").astype(str)
    out["msg_key"] = message_keys(out, key_carry)
    out = out[list(MESSAGES.names)]
    table = pa.Table.from_pandas(out, preserve_index=False)
    return conform(table, MESSAGES)
