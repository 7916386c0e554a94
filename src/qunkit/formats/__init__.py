"""Export formats: a registry of parsers and format sniffing.

To add a format, write a module with a ``Parser`` subclass and add it to
``_REGISTRY`` below.  ``sniff`` asks every parser how sure it is and picks the
surest; ``--format NAME`` skips sniffing.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from ..errors import BadInput, UsageProblem
from .base import ParseOptions, Parser, ParseReport, finish_chunk
from .textio import read_head

# "module:Class" so that a broken optional parser cannot break the others' import.
_REGISTRY = [
    "qunkit.formats.qq_txt:QQTxtParser",
    "qunkit.formats.qce_json:QceJsonParser",
    "qunkit.formats.qce_jsonl:QceJsonlParser",
    "qunkit.formats.qce_txt:QceTxtParser",
    "qunkit.formats.qq_mht:QQMhtParser",
    "qunkit.formats.chatlab:ChatLabParser",
    "qunkit.formats.wechatmsg_csv:WeChatMsgCsvParser",
    "qunkit.formats.wechatmsg_txt:WeChatMsgTxtParser",
    "qunkit.formats.pywxdump_csv:PyWxDumpCsvParser",
    "qunkit.formats.chatlog:ChatlogJsonParser",
    "qunkit.formats.chatlog:ChatlogCsvParser",
    "qunkit.formats.chatlog:ChatlogTextParser",
    "qunkit.formats.weflow_json:WeFlowJsonParser",
    "qunkit.formats.whatsapp_txt:WhatsAppTxtParser",
    "qunkit.formats.telegram_json:TelegramJsonParser",
]


def parsers() -> list[type[Parser]]:
    out = []
    for spec in _REGISTRY:
        mod, cls = spec.split(":")
        out.append(getattr(importlib.import_module(mod), cls))
    return out


def format_names() -> list[str]:
    return [p.name for p in parsers()]


def get_parser(name: str) -> type[Parser]:
    for p in parsers():
        if p.name == name:
            return p
    raise UsageProblem(f"unknown format {name!r}; supported: {', '.join(format_names())}")


def refuse_empty(path: Path) -> None:
    """BadInput for a file of zero bytes: no format has an empty export (with or without --format)."""
    if path.is_file() and path.stat().st_size == 0:
        raise BadInput(f"{path}: the file is empty; expected a chat export")


def sniff(path: Path) -> type[Parser]:
    """Pick the parser for ``path`` from its first bytes/lines (or directory listing)."""
    if not path.exists():
        raise BadInput(f"{path}: no such file or directory")
    refuse_empty(path)
    head, _ = read_head(path)
    scored = sorted(((p.sniff(path, head), p.name, p) for p in parsers()), key=lambda t: -t[0])
    if not scored or scored[0][0] <= 0:
        lines = "\n".join(f"  {p.name:<14} {p.description}" for p in parsers())
        raise BadInput(f"{path}: not a chat export qunkit recognises. Supported formats (--input-format NAME):\n{lines}")
    return scored[0][2]


__all__ = ["ParseOptions", "ParseReport", "Parser", "finish_chunk", "parsers", "refuse_empty", "format_names", "get_parser", "sniff"]
