"""Import fidelity on the real exports in shared/realdata: is any message lost?

For every file qunkit can import (QQ txt, QCE txt, WhatsApp txt, Telegram json) this prints the
format qunkit sniffed, an independent count of the file's message headers (a plain regex per layout,
or a json.load for Telegram), qunkit's own count, the lines it did not understand and whether it
reported the file as truncated.  ``events`` are system lines (joins, leaves, notices), counted apart.
The counters are deliberately naive and separate from the parsers, so the two can disagree.

    PYTHONPATH=src python benchmarks/realdata_counts.py [REALDATA_DIR]

REALDATA_DIR defaults to $QUNKIT_REALDATA, else ../shared/realdata beside the repository.
tests/test_realdata_import.py asserts the same counts.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from qunkit.errors import BadInput
from qunkit.formats import ParseOptions, ParseReport, finish_chunk, get_parser, sniff

REALDATA = Path(os.environ.get("QUNKIT_REALDATA") or Path(__file__).resolve().parents[1] / ".." / "shared" / "realdata")
FOLDERS = {"qq-txt": "qq-txt", "qce-txt": "qce-txt", "whatsapp-txt": "whatsapp-txt", "telegram-json": "telegram-json"}

_WA_IOS = re.compile(r"^\u200e?\[\d{1,2}/\d{1,2}/\d{2,4}, \d{1,2}:\d{2}(?::\d{2})?(?:[ \u202f][AP]M)?\] (.*)$", re.M)
_WA_ANDROID = re.compile(r"^\d{1,2}/\d{1,2}/\d{2,4}, \d{1,2}:\d{2}(?:[ \u202f][AP]M)? - (.*)$", re.M)
# iOS notices written as "Name: \u200e<notice>" (the name is the group or the member concerned)
_WA_NAMED_NOTICE = re.compile(r"joined using this group's invite link|changed their phone number|created this group|"
                              r"end-to-end encrypted|secured with end-to-end| added | was added| removed | left$|"
                              r"changed the subject|changed this group's (?:icon|settings)|changed the group description")
_QQ_HEADER = re.compile(r"^\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{2}:\d{2}(?: [AP]M)? (.*)$", re.M)
_QCE_TIME = re.compile(r"^时间: \d{4}-\d{2}-\d{2} ", re.M)


@dataclass
class Count:
    messages: int                      # every header / record, events included
    events: int | None = None          # system lines among them (None: the counter does not tell)
    skipped: list[str] = field(default_factory=list)   # chats a format does not import (Telegram channels)


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8-sig", errors="replace").replace("\r\n", "\n").replace("\r", "\n")


def count_whatsapp(path: Path) -> Count:
    text = _text(path)
    rests = _WA_IOS.findall(text) or _WA_ANDROID.findall(text)
    events = 0
    for rest in rests:
        body = rest.split(": ", 1)[1] if ": " in rest else ""
        if rest.startswith("\u200e") or ": " not in rest or (body.startswith("\u200e") and _WA_NAMED_NOTICE.search(body)):
            events += 1
    return Count(len(rests), events)


def count_telegram(path: Path) -> Count:
    doc = json.loads(path.read_text(encoding="utf-8"))
    chats = [doc] if "messages" in doc else [c for s in ("chats", "left_chats") for c in (doc.get(s) or {}).get("list", [])]
    out = Count(0, 0)
    for chat in chats:
        if chat.get("type") in ("public_channel", "private_channel"):
            out.skipped.append(str(chat.get("name")))
            continue
        msgs = chat.get("messages") or []
        out.messages += len(msgs)
        out.events += sum(m.get("type") == "service" for m in msgs)
    return out


def count_qq_txt(path: Path) -> Count:
    rests = _QQ_HEADER.findall(_text(path))
    return Count(len(rests), sum("系统消息" in r for r in rests))


def count_qce_txt(path: Path) -> Count:
    return Count(len(_QCE_TIME.findall(_text(path))))


COUNTERS = {"whatsapp-txt": count_whatsapp, "telegram-json": count_telegram, "qq-txt": count_qq_txt,
            "qce-txt": count_qce_txt}


@dataclass
class Imported:
    format: str
    messages: int
    events: int
    report: ParseReport


def import_file(path: Path, fmt: str, tz: str = "UTC") -> Imported:
    """Parse ``path`` through the public parser API, without a store: the sniffed format, or ``fmt``
    (marked "forced") when sniffing does not recognise the file."""
    try:
        parser, name = sniff(path), None
    except BadInput:
        parser = get_parser(fmt)
        name = f"{fmt} (forced)"
    report = ParseReport(file=str(path), format=name or parser.name)
    frames = [finish_chunk(df, parser, str(path), tz).to_pandas() for df in parser().parse(path, ParseOptions(tz=tz),
                                                                                          report)]
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"sender_id": []})
    return Imported(report.format, len(df), int((df["sender_id"] == "system").sum()), report)


def files(root: Path = REALDATA) -> list[tuple[str, Path]]:
    """(expected format, path) of every real export qunkit imports."""
    return [(fmt, p) for fmt, folder in FOLDERS.items() for p in sorted((root / folder).glob("*")) if p.is_file()]


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else REALDATA
    if not root.is_dir():
        print(f"no real data at {root}", file=sys.stderr)
        return 1
    rows = []
    for fmt, path in files(root):
        want = COUNTERS[fmt](path)
        got = import_file(path, fmt)
        rows.append({"file": f"{path.parent.name}/{path.name}", "format": got.format,
                     "independent": want.messages, "qunkit": got.messages,
                     "events (ind/qunkit)": f"{'-' if want.events is None else want.events}/{got.events}",
                     "bad_lines": got.report.bad_lines, "truncated": got.report.truncated,
                     "skipped chats": len(want.skipped)})
    pd.set_option("display.width", 250)
    pd.set_option("display.max_colwidth", 90)
    print(pd.DataFrame(rows).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
