"""Legacy QQ "消息记录（网页格式 *.mht）" export: MIME multipart/related with one HTML part.

Layout (shared/formats/FORMATS.md §1, "QQ .mht export")::

    From: <Save by Tencent MsgMgr>
    Subject: Tencent IM Message
    Content-Type:multipart/related; charset="utf-8"; type="text/html"; boundary="----=_NextPart_…"

    ------=_NextPart_…
    Content-Type:text/html
    Content-Transfer-Encoding:7bit

    <html>…<table>                         <- one huge line
      <tr><td><div>消息分组:我的群聊</div></td></tr>
      <tr><td><div>消息对象:某某群</div></td></tr>
      <tr><td …>日期: 2014-05-29</td></tr>
      <tr><td><div style=color:#42B475;…><div style=float:left;…>张三(12345)</div>15:11:44</div>
              <div …><font …>正文</font><IMG src="{GUID}.dat"></div></td></tr>
    …</table></html>
    ------=_NextPart_…
    Content-Type:image/jpeg
    Content-Transfer-Encoding:base64
    Content-Location:{GUID}.dat
    …

How it stays small: the MIME headers (top level and per part) are parsed with
the stdlib ``email`` package (``policy=default``), but bodies are not handed to
it — the HTML part's payload is streamed block by block (transfer encoding
undone incrementally) into an ``html.parser.HTMLParser``, and reading stops at
the end of the HTML part, so image parts are neither decoded nor even read.

Decisions: the time-only ``H:MM:SS`` is combined with the preceding 日期 row and
read in ``tz``; a sender cell "昵称(12345)" or "昵称<a@b.c>" gives that id, a bare
name is its own id; ``<IMG>`` becomes ``[图片]`` (a body of only images is kind
image); ``<br>`` becomes a line break; ``source_line`` is the table row number
(the HTML is a single line, so a line number would say nothing).
"""

from __future__ import annotations

import binascii
import datetime as dt
import re
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from ..errors import BadInput
from ..localtime import localize
from .base import SYSTEM_NAME, ParseOptions, Parser, ParseReport, RowBuffer, mark_system
from .kinds import classify_kinds
from .qq_txt import SYSTEM_IDS, chat_type_for
from .textio import decode_blocks, detect_encoding

BLOCK = 1 << 20
SNIFF_BYTES = 1 << 20   # payload bytes looked at to choose UTF-8 or GB18030
DATE_RE = re.compile(r"日期[:：]\s*(\d{4})-(\d{1,2})-(\d{1,2})")
TIME_RE = re.compile(r"^\s*(?:(上午|下午|AM|PM)\s*)?(\d{1,2}):(\d{2}):(\d{2})\s*(AM|PM)?\s*$", re.I)
SENDER_RE = re.compile(r"^(?P<name>.*?)\s*(?:\((?P<qid>\d{4,12}|[^()]*@[^()]*)\)|<(?P<email>[^<>]+@[^<>]+)>)\s*$")
TITLE_RE = re.compile(r"^((?:【[^】]*】\s*)+)(.*)$")


class QQMhtParser(Parser):
    name = "qq-mht"
    platform = "qq"
    description = "QQ PC message manager web-page export (消息记录 .mht, MIME with one HTML table)"

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        if not head:
            return 0
        top = head[:4096]
        if "Subject: Tencent IM Message" in top or "Save by Tencent MsgMgr" in top:
            return 100
        if "multipart/related" in top.lower() and "QQ Message" in head:
            return 90
        return 0

    def parse(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pd.DataFrame]:
        with open(path, "rb") as fh:
            payload, charset = _html_payload(fh, path, report)
            decoder_name, first = _choose_charset(payload, charset, path, report)
            table = _TableParser(path.stem, options, report)
            replaced = False
            for text in decode_blocks(_progress(pending_then(first, payload), fh, report), decoder_name):
                replaced = replaced or "\ufffd" in text
                table.feed(text)
                df = table.take()
                if df is not None:
                    yield df
            table.close()
            if replaced:
                report.note(f"some bytes were not valid {decoder_name} and were replaced by U+FFFD")
            if table.open_row:
                report.truncated = True
                report.issue(table.rows, "the HTML ends inside this table row (truncated file); row dropped")
            df = table.take(final=True)
            if df is not None:
                yield df


def pending_then(first: list[bytes], rest: Iterator[bytes]) -> Iterator[bytes]:
    yield from first
    yield from rest


def _progress(blocks: Iterator[bytes], fh: IO[bytes], report: ParseReport) -> Iterator[bytes]:
    """``blocks`` unchanged, with ``report.bytes_read`` following the file position."""
    for b in blocks:
        report.bytes_read = fh.tell()
        yield b


# ---------------------------------------------------------------------------- MIME layer

def _read_headers(fh: IO[bytes], limit: int = 1 << 16) -> tuple[EmailMessage, bytes]:
    """Read one header block (up to the first blank line); return it parsed and the bytes read past it."""
    buf = b""
    while True:
        m = re.search(rb"\r?\n\r?\n", buf)
        if m:
            msg = BytesParser(policy=policy.default).parsebytes(buf[: m.end()], headersonly=True)
            return msg, buf[m.end():]
        chunk = fh.read(4096)
        if not chunk or len(buf) > limit:
            msg = BytesParser(policy=policy.default).parsebytes(buf, headersonly=True)
            return msg, b""
        buf += chunk


class _PartReader:
    """Bytes of the current MIME part, block by block, up to the next boundary line.

    ``buf`` always starts where the reader is: at a part's headers, at its body,
    or just after a boundary marker."""

    def __init__(self, fh: IO[bytes], boundary: bytes, buf: bytes) -> None:
        self.fh = fh
        self.marker = b"--" + boundary
        self.delim = b"\n" + self.marker   # the line break before a boundary belongs to it
        self.buf = buf
        self.eof = False
        self.closed_ok = False   # the last body ended at a boundary (not at end of file)

    def _fill(self, n: int = BLOCK) -> bool:
        chunk = self.fh.read(n)
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def body(self) -> Iterator[bytes]:
        """Yield the body up to the next boundary; leave ``buf`` just after the marker."""
        self.closed_ok = False
        while len(self.buf) < len(self.marker) and self._fill():
            pass
        if self.buf.startswith(self.marker):  # empty body (or a boundary first thing in the file)
            self.buf = self.buf[len(self.marker):]
            self.closed_ok = True
            return
        keep = len(self.delim)
        while True:
            i = self.buf.find(self.delim)
            if i >= 0:
                piece = self.buf[:i]
                if piece.endswith(b"\r"):
                    piece = piece[:-1]
                self.buf = self.buf[i + len(self.delim):]
                self.closed_ok = True
                if piece:
                    yield piece
                return
            if len(self.buf) > keep:
                yield self.buf[:-keep]
                self.buf = self.buf[-keep:]
            if not self._fill():
                if self.buf:
                    yield self.buf
                    self.buf = b""
                return

    def next_part_headers(self) -> EmailMessage | None:
        """After a boundary marker: the next part's headers, or None after the closing one."""
        while len(self.buf) < 2 and self._fill(4096):
            pass
        if self.buf.startswith(b"--"):
            return None  # the closing boundary
        while b"\n" not in self.buf:  # the rest of the boundary line (transport padding)
            if not self._fill(4096):
                return None
        self.buf = self.buf[self.buf.index(b"\n") + 1:]
        while True:
            if self.buf.startswith((b"\r\n", b"\n")):  # no headers at all
                end = self.buf.index(b"\n") + 1
                break
            m = re.search(rb"\r?\n\r?\n", self.buf)
            if m:
                end = m.end()
                break
            if len(self.buf) > 1 << 16 or not self._fill(4096):
                return None
        headers = BytesParser(policy=policy.default).parsebytes(self.buf[:end], headersonly=True)
        self.buf = self.buf[end:]
        return headers


def _html_payload(fh: IO[bytes], path: Path, report: ParseReport) -> tuple[Iterator[bytes], str | None]:
    """(payload blocks of the first text/html part, declared charset)."""
    top, rest = _read_headers(fh)
    ctype = top.get_content_type()
    top_charset = top.get_param("charset")
    if ctype == "text/html":  # a single-part page saved as .mht
        reader = _PartReader(fh, b"\0\0never\0\0", rest)
        return _decode_transfer(reader.body(), top.get("Content-Transfer-Encoding", "")), top_charset
    boundary = top.get_param("boundary")
    if not ctype.startswith("multipart/") or not boundary:
        raise BadInput(f"{path}: not a QQ .mht export: expected a MIME multipart/related file with an HTML part "
                       f"(Content-Type is {ctype!r})")
    reader = _PartReader(fh, str(boundary).encode("ascii", "replace"), rest)
    for _ in reader.body():  # the preamble before the first boundary
        pass
    if not reader.closed_ok:
        raise BadInput(f"{path}: the MIME boundary {boundary!r} never occurs; the file is not a complete .mht")
    while True:
        headers = reader.next_part_headers()
        if headers is None:
            raise BadInput(f"{path}: no text/html part in this .mht file")
        if headers.get_content_type() == "text/html":
            charset = headers.get_param("charset") or top_charset
            blocks = _watch_end(reader, report)
            return _decode_transfer(blocks, headers.get("Content-Transfer-Encoding", "")), charset
        for _ in reader.body():  # skip a part that is not the page (never decoded)
            pass
        if reader.eof:
            raise BadInput(f"{path}: no text/html part in this .mht file")


def _watch_end(reader: _PartReader, report: ParseReport) -> Iterator[bytes]:
    yield from reader.body()
    if not reader.closed_ok:
        report.truncated = True
        report.note("the file ends inside the HTML part: the .mht is truncated; messages before the cut were read")


def _decode_transfer(blocks: Iterator[bytes], cte: str) -> Iterator[bytes]:
    """Undo Content-Transfer-Encoding block by block."""
    cte = str(cte).strip().lower()
    if cte == "base64":
        carry = b""
        for b in blocks:
            data = carry + re.sub(rb"\s+", b"", b)
            cut = len(data) - len(data) % 4
            carry = data[cut:]
            if cut:
                yield binascii.a2b_base64(data[:cut])
        if carry:
            yield binascii.a2b_base64(carry + b"=" * (-len(carry) % 4))
    elif cte == "quoted-printable":
        carry = b""
        for b in blocks:
            data = carry + b
            cut = data.rfind(b"\n") + 1
            carry = data[cut:]
            if cut:
                yield binascii.a2b_qp(data[:cut])
        if carry:
            yield binascii.a2b_qp(carry)
    else:  # 7bit, 8bit, binary, or nothing declared
        yield from blocks


def _choose_charset(payload: Iterator[bytes], declared: str | None, path: Path,
                    report: ParseReport) -> tuple[str, list[bytes]]:
    """The HTML's encoding from its first megabyte (``textio.detect_encoding``, a declared GBK
    charset tried first); returns the blocks it read.  A payload no candidate decodes is read as
    GB18030 with U+FFFD for the bad bytes rather than refused."""
    first: list[bytes] = []
    size = 0
    for b in payload:
        first.append(b)
        size += len(b)
        if size >= SNIFF_BYTES:
            break
    declared_l = (declared or "").lower().replace("_", "-")
    try:  # a stray NUL in HTML is not a binary file here: the page has been found already
        chosen = detect_encoding(b"".join(first).replace(b"\0", b""), path, prefer=declared)
    except BadInput:
        chosen = "gb18030"
    report.encoding = chosen
    if declared and chosen.removesuffix("-sig").replace("-", "") != declared_l.replace("-", "") and not (
            chosen == "gb18030" and declared_l in ("gbk", "gb2312", "cp936")):
        report.note(f"the file declares charset {declared!r} but its HTML is {chosen}; read as {chosen}")
    return chosen, first


# ---------------------------------------------------------------------------- HTML layer

class _Row:
    """What one <tr> held: its top-level <div>s (name/time cell, body) and its text."""

    __slots__ = ("divs", "text")

    def __init__(self) -> None:
        self.divs: list[_Div] = []
        self.text: list[str] = []


class _Div:
    __slots__ = ("inner", "tail", "body", "images", "nested")

    def __init__(self) -> None:
        self.inner: list[str] = []   # text of the first nested div (the sender name)
        self.tail: list[str] = []    # text directly in this div after the nested one (the time)
        self.body: list[str] = []    # all text and placeholders, in order
        self.images = 0
        self.nested = 0              # nested divs seen


class _TableParser(HTMLParser):
    """Rows of the QQ message table -> parser columns, as the HTML streams in."""

    def __init__(self, stem: str, options: ParseOptions, report: ParseReport) -> None:
        super().__init__(convert_charrefs=True)
        self.options = options
        self.report = report
        self.folder: str | None = None
        self.group: str | None = None
        self.stem = stem
        self.day: dt.date | None = None
        self.rows = 0
        self.open_row = False
        self._row: _Row | None = None
        self._div_depth = 0
        self._div: _Div | None = None
        self._in_title = False
        self._pending: dict | None = None
        self._rows = RowBuffer(("group", "folder", "ts", "sid", "name", "title", "text", "line"))
        self._senders: dict[str, tuple[str, str, str | None]] = {}

    # -------------------------------------------------------------- tags
    def handle_starttag(self, tag: str, _attrs: list[tuple[str, str | None]]) -> None:  # HTMLParser hook
        if tag == "tr":
            if self.open_row:
                self._end_row()  # an unclosed <tr>
            self.rows += 1
            self.open_row = True
            self._row = _Row()
            self._div_depth = 0
            self._div = None
        elif self._row is None:
            return
        elif tag == "div":
            self._div_depth += 1
            if self._div_depth == 1:
                self._div = _Div()
                self._row.divs.append(self._div)
            elif self._div is not None:
                self._div.nested += 1
        elif tag == "img":
            self._put("[图片]", image=True)
        elif tag == "br":
            self._put("\n")
        elif tag in ("p",) and self._div is not None and self._div.body:
            self._put("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("img", "br"):
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            if self.open_row:
                self._end_row()
        elif tag == "div" and self._row is not None and self._div_depth > 0:
            self._div_depth -= 1
            if self._div_depth == 0:
                self._div = None
        elif tag == "table" and self.open_row:
            self._end_row()

    def handle_data(self, data: str) -> None:
        if self._row is None or not data:
            return
        self._put(data)

    def _put(self, text: str, image: bool = False) -> None:
        row = self._row
        if row is None:
            return
        row.text.append(text)
        d = self._div
        if d is None:
            return
        d.body.append(text)
        if image:
            d.images += 1
        if self._div_depth >= 2 and d.nested == 1:
            d.inner.append(text)
        elif self._div_depth == 1 and d.nested >= 1:
            d.tail.append(text)

    # -------------------------------------------------------------- rows
    def _end_row(self) -> None:
        row, self._row = self._row, None
        self.open_row = False
        self._div = None
        self._div_depth = 0
        if row is None:
            return
        text = _clean("".join(row.text))
        if text.startswith("消息分组:") or text.startswith("消息分组："):
            self._flush_pending()
            self.folder = text[5:].strip() or None
            return
        if text.startswith("消息对象:") or text.startswith("消息对象："):
            self._flush_pending()
            self.group = text[5:].strip() or None
            self.day = None
            return
        if text.startswith("消息记录"):
            return
        m = DATE_RE.search(text) if len(text) < 40 else None
        if m and text.startswith("日期"):
            self._flush_pending()
            try:
                self.day = dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                self.report.issue(self.rows, "impossible date row", text)
                self.day = None
            return
        head = row.divs[0] if row.divs else None
        if head is not None and head.nested and head.inner:
            clock = TIME_RE.match(_clean("".join(head.tail)))
            if clock:
                self._flush_pending()
                self._pending = {"row": self.rows, "sender": _clean("".join(head.inner)), "clock": clock,
                                 "parts": ["".join(d.body) for d in row.divs[1:]]}
                return
        if not text and not any(d.images for d in row.divs):
            return  # spacer rows (&nbsp;)
        if self._pending is not None and not self._pending["parts"]:
            # a name/time row with no body cell: its body is the row that follows
            parts = ["".join(d.body) for d in row.divs] or ["".join(row.text)]
            self._pending["parts"].extend(parts)
            return
        self.report.issue(self.rows, "table row is neither a message, a date nor a chat heading", text[:80])

    def _flush_pending(self) -> None:
        p, self._pending = self._pending, None
        if p is None:
            return
        if self.day is None:
            self.report.issue(p["row"], "message before any 日期 row; its date is unknown", p["sender"])
            return
        clock = p["clock"]
        hour = int(clock[2])
        ampm = (clock[1] or clock[5] or "").upper()
        if ampm in ("下午", "PM") and hour < 12:
            hour += 12
        elif ampm in ("上午", "AM") and hour == 12:
            hour = 0
        try:
            when = dt.datetime.combine(self.day, dt.time(hour, int(clock[3]), int(clock[4])))
        except ValueError:
            self.report.issue(p["row"], "impossible time", clock[0])
            return
        sid, name, title = self._sender(p["sender"])
        c = self._rows.cols
        c["group"].append(self.group)
        c["folder"].append(self.folder)
        c["ts"].append(when)
        c["sid"].append(sid)
        c["name"].append(name)
        c["title"].append(title)
        c["text"].append(_clean_body("\n".join(x for x in p["parts"] if x.strip())))
        c["line"].append(p["row"])

    def _sender(self, raw: str) -> tuple[str, str, str | None]:
        """(id, name, title) from a name cell; memoised: a chat has few distinct senders."""
        hit = self._senders.get(raw)
        if hit is None:
            m = SENDER_RE.match(raw)
            name, sid = (m["name"], m["qid"] or m["email"]) if m else (raw, None)
            title = None
            t = TITLE_RE.match(name)
            if t:
                title, name = t[1].strip(), t[2].strip()
            name = name.strip() or (sid or "")
            hit = self._senders[raw] = (sid or name, name, title)
            if len(self._senders) > 100_000:
                self._senders.clear()
        return hit

    def close(self) -> None:
        super().close()
        self._flush_pending()  # complete; a row still open at the end (truncated file) is dropped by the caller

    # -------------------------------------------------------------- chunks
    def take(self, final: bool = False) -> pd.DataFrame | None:
        c = self._rows.take(final)
        if c is None:
            return None
        group = pd.Series(c["group"], dtype=object)
        if group.isna().any():
            self.report.note(f"no 消息对象 row before some messages: they were put in a chat named after "
                             f"the file ({self.stem!r})")
            group = group.fillna(self.stem)
        ts = localize(pd.to_datetime(pd.Series(c["ts"])), self.options.tz)
        text = pd.Series(c["text"], dtype=object)
        df = pd.DataFrame(
            {
                "group_id": group.to_numpy(),
                "group_name": group.to_numpy(),
                "chat_type": [chat_type_for(f) for f in c["folder"]],
                "ts": ts,
                "sender_id": c["sid"],
                "sender_name": c["name"],
                "sender_title": c["title"],
                "kind": classify_kinds(text).to_numpy(),
                "text": text.to_numpy(),
                "event": None,
                "event_actor": None,
                "event_target": None,
                "source_line": np.asarray(c["line"], dtype="int64"),
            }
        )
        mark_system(df, df["sender_id"].isin(SYSTEM_IDS) | (df["sender_name"] == SYSTEM_NAME))
        return df


def _clean(s: str) -> str:
    return s.replace("\xa0", " ").strip()


def _clean_body(s: str) -> str:
    s = s.replace("\xa0", " ").replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in s.split("\n")).strip()
