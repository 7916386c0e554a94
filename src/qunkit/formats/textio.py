"""Reading exported text files: encoding detection and bounded-memory chunks.

Exports come as UTF-8 with or without BOM, UTF-16 with BOM (Windows "Unicode"
re-saves) and GB18030/GBK (old exports, files re-saved by users).  We detect
from the BOM, else try strict UTF-8, else GB18030 (a superset of GBK).  The
head alone is not enough: a log that opens with 70 KB of ASCII (dates, ids,
"[图片]"-free English chatter) and turns Chinese later would pass as UTF-8 and
be read as U+FFFD, so a file is sampled at its head, middle and end and the
encoding must be valid for all of them.  NUL bytes without a UTF-16 BOM mean a
binary file.
"""

from __future__ import annotations

import codecs
import struct
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO

from ..errors import BadInput

HEAD_BYTES = 64 * 1024
SAMPLE_BYTES = 64 * 1024   # each later sample (middle, end) read to check the head's verdict
MAX_LINE_CHARS = 16 << 20   # no chat line is this long: past it the input is not a line-based export

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_GB_ALIASES = ("gbk", "gb2312", "gb18030", "cp936")


def detect_encoding(head: bytes, path: Path | str = "", later: Sequence[bytes] = (),
                    prefer: str | None = None) -> str:
    """Return the codec name for a file that starts with ``head``.

    ``later`` are blocks from further in the file (they may start and end
    mid-character).  The first candidate that decodes every sample wins, except
    that GB18030 (which accepts almost any byte soup) is not tried when a sample
    already reads as non-ASCII UTF-8.  When no candidate fits every sample, the
    one that fits the head is used (the odd bad byte later becomes U+FFFD).
    ``prefer`` is a declared charset (an MHT header): a GBK family name tries
    GB18030 first.
    """
    for bom, enc in _BOMS:
        if head.startswith(bom):
            return enc
    if b"\x00" in head:
        raise BadInput(f"{path}: looks like a binary file (NUL bytes, no UTF-16 BOM); expected a text export")
    gb_first = (prefer or "").lower().replace("_", "-") in _GB_ALIASES
    candidates = ("gb18030", "utf-8") if gb_first else ("utf-8", "gb18030")
    samples = [head, *(_aligned(b) for b in later if b)]
    real_utf8 = any(not s.isascii() and _decodes(s, "utf-8") for s in samples)
    for enc in candidates:
        if enc == "gb18030" and real_utf8 and not gb_first:
            continue
        if all(_decodes(s, enc) for s in samples):
            return enc
    for enc in candidates:
        if _decodes(head, enc):
            return enc
    try:
        head.decode("gb18030")
    except UnicodeDecodeError as exc:
        where = exc.start
    raise BadInput(f"{path}: cannot decode as UTF-8, UTF-16 or GB18030 (byte {where}); expected a text export")


def _decodes(sample: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)("strict").decode(sample, final=False)
        return True
    except UnicodeDecodeError:
        return False


def _aligned(block: bytes) -> bytes:
    """A block from mid-file, starting after its first line break (no multi-byte UTF-8 or
    GB18030 character contains 0x0A), so a character cut at the block's start is dropped.
    A block without one (a single huge line) loses its leading UTF-8 continuation bytes."""
    cut = block.find(b"\n")
    return block[cut + 1:] if cut >= 0 else block.lstrip(bytes(range(0x80, 0xC0)))


def sample_file(path: Path, nbytes: int = HEAD_BYTES) -> tuple[bytes, list[bytes]]:
    """(head, [middle block, end block]) of a file; the later blocks only when it is longer than the head."""
    with open(path, "rb") as fh:
        head = fh.read(nbytes)
        size = fh.seek(0, 2)
        later = []
        if size > nbytes:
            for start in (max(nbytes, size // 2 - SAMPLE_BYTES // 2), max(nbytes, size - SAMPLE_BYTES)):
                fh.seek(start)
                later.append(fh.read(SAMPLE_BYTES))
    return head, later


def file_encoding(path: Path) -> str:
    """The encoding of a text file ("" when it is empty), from head, middle and end."""
    head, later = sample_file(path)
    return detect_encoding(head, path, later) if head else ""


def bytes_encoding(raw: bytes, path: Path | str = "") -> str:
    """The encoding of a small file already read whole (rosters, --keep lists): every byte
    past the head is checked, not samples."""
    return detect_encoding(raw[:HEAD_BYTES], path, [raw[HEAD_BYTES:]])


def read_head(path: Path, nbytes: int = HEAD_BYTES) -> tuple[str, str]:
    """Return (decoded head text, encoding) of a file; "" for directories."""
    if path.is_dir():
        return "", ""
    raw, later = sample_file(path, nbytes)
    if not raw:
        return "", ""
    enc = detect_encoding(raw, path, later)
    text = codecs.getincrementaldecoder(enc)("replace").decode(raw, final=False)
    return text, enc


def decode_blocks(blocks: Iterable[bytes], encoding: str) -> Iterator[str]:
    """Decode a stream of byte blocks (characters may straddle blocks); undecodable bytes become U+FFFD.
    ``encoding`` "" (``file_encoding`` of an empty file, e.g. an empty page in a folder export) reads as UTF-8."""
    decoder = codecs.getincrementaldecoder(encoding or "utf-8")("replace")
    for raw in blocks:
        text = decoder.decode(raw)
        if text:
            yield text
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail


def _file_blocks(path: Path, chunk_bytes: int, report=None, start: int = 0) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        fh.seek(start)
        while raw := fh.read(chunk_bytes):
            if report is not None:
                report.bytes_read = fh.tell()
            yield raw


def iter_text_chunks(path: Path, encoding: str, chunk_bytes: int = 32 << 20, report=None, start: int = 0,
                     first_line: int = 1) -> Iterator[str]:
    """Yield the decoded file in pieces that each end on a line break.

    Newlines are normalised to ``\\n`` (CRLF, and lone CR: old Mac exports, files re-saved by
    some editors; a lone CR is a break wherever it stands, so such a file streams in bounded
    pieces like any other).  Undecodable bytes become U+FFFD rather than aborting the import;
    the caller sees them in the text it keeps.  ``report.bytes_read`` (a ParseReport) follows
    progress.  A line longer than ``MAX_LINE_CHARS`` is never buffered whole: at the start of
    the file it is BadInput (not a line-based export); later it is a ``report`` issue at its
    line, read past in blocks and handed on as an empty line (so line numbers stay right).
    ``start`` (a byte offset at the start of line ``first_line``) reads on from there.
    """
    carry = ""
    line_no = first_line  # the line ``carry`` starts on
    skipping = False     # inside an over-long line being read past
    if start and encoding == "utf-8-sig":
        encoding = "utf-8"   # the BOM is at byte 0 only
    for piece in decode_blocks(_file_blocks(path, chunk_bytes, report, start), encoding):
        if skipping:
            cut = _first_break(piece)
            if cut < 0:
                continue
            piece, skipping = piece[cut:], False
        text = carry + piece
        cut = _last_break(text)
        if cut < 0:
            if len(text) > MAX_LINE_CHARS:
                _long_line(text, path, line_no, report)
                carry, skipping = "", True
                continue
            carry = text
            continue
        head, carry = text[: cut + 1], text[cut + 1 :]
        out = _normalise(head)
        line_no += out.count("\n")
        yield out
    if carry:
        yield _normalise(carry)


def spanning_string(data: bytes, end: int | None = None):  # -> pa.StringArray (pyarrow loads lazily)
    """A one-row Arrow string array over ``data[:end]`` in place (no copy, not validated): how a block
    is checked as UTF-8 here and cut into lines by ``base.lines_array``."""
    import pyarrow as pa  # noqa: PLC0415 (textio is read by `qunkit --help`; pyarrow only when a file is)

    stop = len(data) if end is None else end
    return pa.Array.from_buffers(pa.string(), 1, [None, pa.py_buffer(struct.pack("=ii", 0, stop)),
                                                  pa.py_buffer(data)])


def iter_utf8_chunks(path: Path, encoding: str, chunk_bytes: int = 32 << 20, report=None) -> Iterator[bytes]:
    """``iter_text_chunks`` as UTF-8 bytes: the same text, in pieces that each end on a line break.

    A UTF-8 file is not decoded at all while it is plain (valid UTF-8, no line near
    ``MAX_LINE_CHARS``): its blocks are checked by Arrow's validator and handed on as read, which
    costs a fraction of decoding them to ``str``.  Their line breaks stay as written (``\n``, CRLF
    as QQ for Windows writes them, or a lone CR): ``base.lines_array`` cuts at each, as ``_normalise``
    would, without a pass to rewrite them.  Each piece ends on a ``\n``, and a CR that ends a block
    waits for the next one, so a CRLF is never split.  From the first block that is not plain (no
    ``\n`` in it, bytes that are not UTF-8, a long line) and for any other encoding, the rest is read
    by ``iter_text_chunks`` (from that line on) and encoded, so every rule of that path holds."""
    if encoding not in ("utf-8", "utf-8-sig"):
        for text in iter_text_chunks(path, encoding, chunk_bytes, report):
            yield text.encode("utf-8")
        return
    import pyarrow as pa  # noqa: PLC0415 (textio is read by `qunkit --help`; pyarrow only when a file is)

    carry = b""
    done = 0             # bytes of the file handed on (the offset ``carry`` starts at)
    for raw in _file_blocks(path, chunk_bytes, report):
        data = carry + raw
        if done == 0 and not carry and encoding == "utf-8-sig" and data.startswith(codecs.BOM_UTF8):
            data, done = data[len(codecs.BOM_UTF8):], len(codecs.BOM_UTF8)
        cut = data.rfind(b"\n")
        plain = cut >= 0 and len(data) < MAX_LINE_CHARS   # bytes >= characters
        if plain:
            # validate the bytes in place: one string spanning the block (copying them into an array first
            # cost ten times the check)
            one = spanning_string(data, cut + 1)
            try:
                one.validate(full=True)
            except pa.ArrowInvalid:
                plain = False
        if not plain:
            for text in iter_text_chunks(path, encoding, chunk_bytes, report, start=done,
                                         first_line=_line_at(path, done)):
                yield text.encode("utf-8")
            return
        head, carry = data[: cut + 1], data[cut + 1:]
        done += len(head)
        yield head
    if carry:
        try:
            carry.decode("utf-8")
        except UnicodeDecodeError:
            carry = carry.decode("utf-8", "replace").encode("utf-8")
        yield carry


def bounded_lines(fh: IO[bytes], limit: int = MAX_LINE_CHARS) -> Iterator[tuple[int, bytes | None]]:
    """(line number, raw line) of a binary file (JSONL); a line longer than ``limit`` bytes comes
    as None and is read past in pieces of ``limit``, so one 1 GB line never sits in memory."""
    line_no = 0
    while raw := fh.readline(limit + 1):
        line_no += 1
        if len(raw) > limit and not raw.endswith(b"\n"):
            while (more := fh.readline(limit)) and not more.endswith(b"\n"):
                pass
            yield line_no, None
            continue
        yield line_no, raw


def _first_break(text: str) -> int:
    cuts = [i for i in (text.find("\n"), text.find("\r")) if i >= 0]
    return min(cuts) if cuts else -1


def _last_break(text: str) -> int:
    """Index of the last line break in ``text``; a trailing CR waits for the next piece, so
    a CRLF is never split (its LF would count as a second break)."""
    end = len(text) - 1 if text.endswith("\r") else len(text)
    return max(text.rfind("\n", 0, end), text.rfind("\r", 0, end))


def _long_line(text: str, path: Path, line_no: int, report) -> None:
    """A line past ``MAX_LINE_CHARS``: BadInput at the file's start (no line break in its first
    megabytes: not a line-based text export), else a bad line in ``report``."""
    mb = MAX_LINE_CHARS >> 20
    if line_no == 1 or report is None:
        where = "in the first" if line_no == 1 else f"at line {line_no}, for more than"
        raise BadInput(f"{path}: no line break {where} {mb} MB; "
                       "not a line-based text export (wrong --format, or a binary file?)")
    report.issue(line_no, f"line longer than {mb} MB (no chat line is): skipped", text[:80])


def _normalise(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _line_at(path: Path, offset: int, block: int = 8 << 20) -> int:
    """The number of the line that starts at byte ``offset``, its breaks counted as ``_normalise``
    makes them (LF, CRLF, lone CR).  Only for the switch to the decoding path, so the bytes path
    counts no lines."""
    line, cr_before = 1, False
    with open(path, "rb") as fh:
        while offset > 0 and (raw := fh.read(min(offset, block))):
            offset -= len(raw)
            line += raw.count(b"\n") + raw.count(b"\r") - raw.count(b"\r\n")
            line -= cr_before and raw.startswith(b"\n")   # a CRLF across two blocks is one break
            cr_before = raw.endswith(b"\r")
    return line
