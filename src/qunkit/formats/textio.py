"""Reading exported text files: encoding detection and bounded-memory chunks.

Exports come as UTF-8 with or without BOM, UTF-16 with BOM (Windows "Unicode"
re-saves) and GB18030/GBK (old exports, files re-saved by users).  We detect
from the BOM, else try strict UTF-8 on the head, else GB18030 (a superset of
GBK).  NUL bytes without a UTF-16 BOM mean a binary file.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

from ..errors import BadInput

HEAD_BYTES = 64 * 1024
MAX_LINE_CHARS = 16 << 20   # no chat line is this long: past it the input is not a line-based export

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def detect_encoding(head: bytes, path: Path | str = "") -> str:
    """Return the codec name for a file that starts with ``head``."""
    for bom, enc in _BOMS:
        if head.startswith(bom):
            return enc
    if b"\x00" in head:
        raise BadInput(f"{path}: looks like a binary file (NUL bytes, no UTF-16 BOM); expected a text export")
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")("strict").decode(head, final=False)
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise BadInput(
            f"{path}: cannot decode as UTF-8, UTF-16 or GB18030 (byte {exc.start}); expected a text export"
        ) from None


def read_head(path: Path, nbytes: int = HEAD_BYTES) -> tuple[str, str]:
    """Return (decoded head text, encoding) of a file; "" for directories."""
    if path.is_dir():
        return "", ""
    with open(path, "rb") as fh:
        raw = fh.read(nbytes)
    if not raw:
        return "", ""
    enc = detect_encoding(raw, path)
    text = codecs.getincrementaldecoder(enc)("replace").decode(raw, final=False)
    return text, enc


def iter_text_chunks(path: Path, encoding: str, chunk_bytes: int = 32 << 20, report=None) -> Iterator[str]:
    """Yield the decoded file in pieces that each end on a line break.

    Newlines are normalised to ``\\n`` (CRLF and lone CR exports).  Undecodable
    bytes become U+FFFD rather than aborting the import; the caller sees them in
    the text it keeps.  ``report.bytes_read`` (a ParseReport) follows progress.
    """
    decoder = codecs.getincrementaldecoder(encoding)("replace")
    carry = ""
    with open(path, "rb") as fh:
        while True:
            raw = fh.read(chunk_bytes)
            final = not raw
            if report is not None:
                report.bytes_read = fh.tell()
            text = carry + decoder.decode(raw, final=final)
            if final:
                if text:
                    yield _normalise(text)
                return
            cut = text.rfind("\n")
            if cut < 0:
                carry = _bounded_line(text, path)
                continue
            # keep a trailing "\r" with the next piece so "\r\n" is never split
            head, carry = text[: cut + 1], text[cut + 1 :]
            yield _normalise(head)


def _bounded_line(text: str, path: Path) -> str:
    """``text`` (a line still without its break), or BadInput once it passes ``MAX_LINE_CHARS``: a file
    with no line break in its first megabytes would otherwise be buffered whole.  A lone CR counts as a
    break (old Mac exports)."""
    if len(text) > MAX_LINE_CHARS and "\r" not in text:
        raise BadInput(f"{path}: no line break in the first {MAX_LINE_CHARS >> 20} MB; "
                       "not a line-based text export (wrong --format, or a binary file?)")
    return text


def _normalise(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text
