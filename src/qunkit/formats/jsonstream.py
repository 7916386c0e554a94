"""Stream the records of one JSON array without loading the file.

Exporters such as QQChatExporter write ``{"metadata":…, "chatInfo":…,
"messages":[…], "avatars":{…hundreds of MB of base64…}}``; chatlog writes the
array itself (``[…]``).  ``json.load`` would hold all of it; this reader decodes
the small header values, then hands out the array's elements one
``json.JSONDecoder.raw_decode`` at a time from a bounded text buffer, and stops
reading at the closing ``]`` so whatever follows is never read (unless the
caller asks for it with ``rest()``).  Values of keys the caller does not keep
are skipped with ``str.find`` scans (C speed, bounded memory), so a huge blob
placed *before* the array costs time but no memory; ``find()`` looks a key up
wherever it stands (WeFlow may write ``session`` after its messages).

Damage is reported, not fatal: a file cut short yields everything complete
before the cut and sets ``truncated``; a malformed element is reported and the
reader resynchronises on the next element that starts at the same indentation
(or, with ``resync=False``, stops there).  A value nested deeper than the stdlib decoder's
recursion limit (no exporter nests past a few dozen levels; a hostile file may nest 100,000)
is malformed JSON like any other (``loads``), never a RecursionError.

``stream_array`` and ``feed`` are the loop every JSON importer runs: elements
-> issues for the bad ones -> ``mapper.add`` -> chunks from ``mapper.take``.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Protocol

from ..errors import BadInput
from .base import ROWS_PER_CHUNK, RowBuffer

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from .base import ParseReport

BLOCK = 1 << 20
_LOOKBEHIND = 256
_WS = re.compile(r"[ \t\r\n]*")
_STRUCT = re.compile(r'["{}\[\]]')
_DECODER = json.JSONDecoder()


TOO_DEEP = "nested too deeply (more levels than the JSON decoder's recursion limit)"


def loads(text: str | bytes) -> Any:
    """``json.loads`` whose only failure is ``json.JSONDecodeError`` (a ValueError): nesting too
    deep for the stdlib decoder raises RecursionError, which callers would not expect."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError(TOO_DEEP, text if isinstance(text, str) else "", 0) from None


class _NeedMore(Exception):
    pass


class StreamDamage(ValueError):
    """Nested walking (``keys``/``value``/``skip``/``items``/``close_array``) met damage;
    ``truncated`` when the file simply ends."""

    def __init__(self, message: str, truncated: bool = False) -> None:
        super().__init__(message)
        self.truncated = truncated


class _Bad(Exception):
    """The document's structure is not what the reader walks (the message says how)."""


@dataclass(slots=True)
class Element:
    """One array element: ``value`` when it decoded, else ``error`` (and an excerpt)."""

    index: int          # 1-based position in the array
    value: Any = None
    error: str | None = None
    excerpt: str = ""
    cut: bool = False   # the error is the end of the file (truncated), not bad JSON
    reason: str = ""    # the decoder's own words for the error


class TopLevelArrayReader:
    """Reader for ``{... "<array_key>": [ ... ], ...}``, or for ``[ ... ]`` when ``array_key`` is None.

    Call ``open()`` first: it reads the top-level keys before the array (keeping
    the values of ``keep``) and returns whether the array was found.  Then
    iterate ``elements()``, and ``rest()`` if the keys after the array matter.
    ``truncated`` is set when the file ends early.  With ``resync=False`` the
    first malformed element ends the array.
    """

    def __init__(self, fh: IO[bytes], array_key: str | None, keep: Collection[str] = (), block: int = BLOCK,
                 encoding: str = "utf-8-sig", resync: bool = True) -> None:
        self.fh = fh
        self.array_key = array_key
        self.keep = set(keep)
        self.block = block
        self.resync = resync
        self.header: dict[str, Any] = {}
        self.seen_keys: list[str] = []
        self.truncated = False
        self.problem: str | None = None   # why open() did not find the array, if it did not
        self.missing = False              # open() read the whole object: it has no such array
        self._dec = codecs.getincrementaldecoder(encoding)("replace")
        self._s = ""
        self._pos = 0
        self._eof = False
        self._keys: Iterator[str] = iter(())
        self.bytes_read = 0

    # ------------------------------------------------------------ buffer
    def _more(self, nbytes: int | None = None) -> bool:
        if self._eof:
            return False
        raw = self.fh.read(nbytes or self.block)
        self.bytes_read += len(raw)
        if self._pos > _LOOKBEHIND:  # drop what is consumed so the buffer stays about one block
            cut = self._pos - _LOOKBEHIND  # (a little is kept: _indent_at looks back to the line start)
            self._s = self._s[cut:]
            self._pos -= cut
        if not raw:
            self._s += self._dec.decode(b"", final=True)
            self._eof = True
            return False
        self._s += self._dec.decode(raw)
        return True

    def _peek(self) -> str | None:
        """Next non-whitespace character (not consumed), None at end of file."""
        pos = self._pos
        if pos < len(self._s) and self._s[pos] not in " \t\r\n":  # fast path: no whitespace to skip
            return self._s[pos]
        while True:
            self._pos = _WS.match(self._s, self._pos).end()
            if self._pos < len(self._s):
                return self._s[self._pos]
            if not self._more():
                return None

    def _decode(self) -> Any:
        """Decode the value at the cursor, reading more input as needed."""
        if self._peek() is None:
            raise _NeedMore("value expected")
        return self._decode_here()

    def _decode_here(self) -> Any:
        """``_decode`` when the cursor is known to be on the value's first character."""
        want = self.block
        while True:
            s = self._s
            try:
                value, end = _DECODER.raw_decode(s, self._pos)
            except RecursionError:  # fails within the first thousand brackets: bounded time and memory
                raise json.JSONDecodeError(TOO_DEEP, s, self._pos) from None
            except json.JSONDecodeError as exc:
                if not _cut_short(exc, s):
                    raise
                if self._eof:
                    raise _NeedMore(exc.msg) from None
                self._more(want)
                want = min(want * 2, 1 << 30)  # one huge value: grow reads, stay linear
                continue
            if end >= len(s) and not self._eof:  # a number may continue in the next block
                if self._more(want):
                    continue
            self._pos = end
            return value

    def _skip_string(self) -> None:
        """Skip a JSON string starting at the cursor (its opening quote)."""
        i = self._pos + 1
        while True:
            j = self._s.find('"', i)
            if j < 0:
                # keep a trailing backslash run: it decides whether a quote in the next block is escaped
                tail = len(self._s) - len(self._s.rstrip("\\"))
                self._pos = len(self._s) - tail
                if not self._more():
                    raise _NeedMore("unterminated string")
                i = self._pos
                continue
            k = j
            while k > 0 and self._s[k - 1] == "\\":
                k -= 1
            if (j - k) % 2 == 0:
                self._pos = j + 1
                return
            i = j + 1

    def _skip_value(self) -> None:
        c = self._peek()
        if c is None:
            raise _NeedMore("value expected")
        if c == '"':
            self._skip_string()
            return
        if c not in "{[":
            self._decode()
            return
        depth = 0
        while True:
            m = _STRUCT.search(self._s, self._pos)
            if m is None:
                self._pos = len(self._s)
                if not self._more():
                    raise _NeedMore("unterminated object")
                continue
            ch = m.group()
            self._pos = m.start()
            if ch == '"':
                self._skip_string()
                continue
            self._pos += 1
            depth += 1 if ch in "{[" else -1
            if depth == 0:
                return

    # ------------------------------------------------------------ public
    def _members(self) -> Iterator[str]:
        """Keys of the top-level object; each is yielded with the cursor on its value, which the caller consumes."""
        if self._peek() != "{":
            raise _Bad("the file does not start with a JSON object")
        self._pos += 1
        while True:
            c = self._peek()
            if c is None:
                raise _NeedMore("key expected")
            if c == "}":
                self._pos += 1
                return
            if c == ",":
                self._pos += 1
                continue
            if c != '"':
                raise _Bad(f"unexpected {c!r} where a key was expected")
            key = self._decode()
            if self._peek() != ":":
                raise _Bad(f"no ':' after key {key!r}")
            self._pos += 1
            self.seen_keys.append(key)
            yield key

    def _keep_or_skip(self, key: str) -> None:
        if key in self.keep:
            self.header[key] = self._decode()
        else:
            self._skip_value()

    def open(self) -> bool:
        try:
            if self.array_key is None:
                c = self._peek()
                if c != "[":
                    self.truncated = c is None
                    self.problem = f"expected '[', found {self._s[self._pos:self._pos + 40]!r}" if c else \
                        "expected '[', found end of file"
                    return False
                self._pos += 1
                return True
            self._keys = self._members()
            for key in self._keys:
                if key == self.array_key:
                    if self._peek() != "[":
                        raise _Bad(f"{self.array_key!r} is not an array")
                    self._pos += 1
                    return True
                self._keep_or_skip(key)
            self.problem = f"the JSON object has no {self.array_key!r} array"
            self.missing = True
            return False
        except _NeedMore:
            self.truncated = True
            self.problem = f"the file ends before the {self.array_key!r} array"
            return False
        except _Bad as exc:
            self.problem = str(exc)
            return False
        except json.JSONDecodeError as exc:
            self.problem = f"malformed JSON before the {self.array_key!r} array: {exc.msg}"
            return False

    def rest(self) -> bool:
        """After ``elements()`` ended at the closing ``]``: read the keys that follow the array to the end
        of the object (values of ``keep`` into ``header``, the rest skipped).  False, with ``problem``
        (and ``truncated`` when the file ends there), if that part is damaged."""
        try:
            if self._peek() != "]":
                raise _Bad("the array is not closed")
            self._pos += 1
            for key in self._keys:
                self._keep_or_skip(key)
            return True
        except _NeedMore as exc:
            self.truncated = True
            self.problem = str(exc)
        except _Bad as exc:
            self.problem = str(exc)
        except json.JSONDecodeError as exc:
            self.problem = f"{exc.msg}: {self._s[exc.pos:exc.pos + 60]!r}"
        return False

    def find(self, key: str) -> Any:
        """On a fresh reader: the value of the top-level ``key`` wherever it stands (what comes before
        is skipped unbuilt); None when there is no such key or the file is damaged before it."""
        try:
            for k in self._members():
                if k == key:
                    return self._decode()
                self._skip_value()
        except (_NeedMore, _Bad, json.JSONDecodeError):
            pass
        return None

    # ------------------------------------------------------------ nested walking
    # For documents whose arrays sit deeper than the top level (Telegram's full-account export:
    # chats.list[i].messages): the caller walks objects key by key and arrays item by item from the
    # cursor, consuming every value (``value``, ``skip``, or ``open_array`` + ``elements`` +
    # ``close_array``), so only one element is ever decoded at a time.  Damage is StreamDamage.
    def _guard(self, step: Callable[[], Any]) -> Any:
        try:
            return step()
        except _NeedMore as exc:
            self.truncated = True
            raise StreamDamage(str(exc), truncated=True) from None
        except (_Bad, json.JSONDecodeError) as exc:
            raise StreamDamage(str(exc)) from None

    def peek(self) -> str | None:
        """The next non-whitespace character (not consumed); None at the end of the file."""
        return self._peek()

    def keys(self) -> Iterator[str]:
        """The keys of the object at the cursor; each comes with the cursor on its value."""
        members = self._members()
        while True:
            key = self._guard(lambda: next(members, None))
            if key is None:
                return
            yield key

    def value(self) -> Any:
        """Decode the value at the cursor (keep it small: it is built whole)."""
        return self._guard(self._decode)

    def skip(self) -> None:
        """Step over the value at the cursor without building it (bounded memory)."""
        self._guard(self._skip_value)

    def open_array(self) -> bool:
        """Step into the array at the cursor (False, nothing consumed, if the value is not an array)."""
        if self._peek() != "[":
            return False
        self._pos += 1
        return True

    def items(self) -> Iterator[int]:
        """After ``open_array``: 1, 2, ... with the cursor on each item, which the caller consumes;
        ends after the closing ``]``."""
        index = 0
        while True:
            c = self._peek()
            if c is None:
                self.truncated = True
                raise StreamDamage("the file ends inside an array", truncated=True)
            if c == "]":
                self._pos += 1
                return
            if index:
                if c != ",":
                    raise StreamDamage(f"expected ',' or ']' in an array, found {c!r}")
                self._pos += 1
            index += 1
            yield index

    def close_array(self) -> None:
        """After ``open_array`` (+ ``elements``, read in full, partly or not at all): step past the
        closing ``]``, reading over the elements nobody asked for."""
        if self.truncated:
            raise StreamDamage("the file ends inside an array", truncated=True)
        if self._peek() != "]":
            if self.problem:   # elements() could not resynchronise: the cursor is lost
                raise StreamDamage(self.problem)
            for _ in self.elements():
                pass
            if self.truncated or self._peek() != "]":
                raise StreamDamage(self.problem or "the file ends inside an array", truncated=self.truncated)
        self._pos += 1

    def elements(self) -> Iterator[Element]:
        """The array's elements in order, after ``open()``; damage comes as elements with ``error``."""
        index = 0
        c = self._peek()  # (carried from one element to the next: the character after it)
        while True:
            if c is None:
                self.truncated = True
                return
            if c == "]":
                return  # stop here: what follows (avatars ...) is never read
            if c == "," and index > 0:
                self._pos += 1
                c = self._peek()
                if c is None:
                    self.truncated = True
                    return
            index += 1
            indent = self._indent_at(self._pos) if self.resync else None
            try:
                value = self._decode_here()
            except _NeedMore as exc:  # (a failed decode leaves the cursor at the record's start)
                self.truncated = True
                yield Element(index, error="the file ends inside this record (truncated)",
                              excerpt=self._s[self._pos:self._pos + 80], cut=True, reason=str(exc))
                return
            except json.JSONDecodeError as exc:
                yield Element(index, error=f"malformed JSON record: {exc.msg}",
                              excerpt=self._s[self._pos:self._pos + 80],
                              reason=f"{exc.msg}: {self._s[exc.pos:exc.pos + 60]!r}")
                if not self.resync or not self._resync(self._pos + 1, indent):
                    return
                c = self._peek()
                continue
            c = self._peek()
            if c not in (",", "]", None):
                if not self.resync:  # the record is whole: keep it, the junk after it ends the array
                    yield Element(index, value)
                    yield Element(index + 1, error=f"expected ',' or ']' after the record, found {c!r}",
                                  excerpt=self._s[self._pos:self._pos + 80],
                                  reason=f"expected ',' or ']', found {self._s[self._pos:self._pos + 40]!r}")
                    return
                yield Element(index, error=f"expected ',' or ']' after the record, found {c!r}",
                              excerpt=self._s[self._pos:self._pos + 80])
                if not self._resync(self._pos, indent):
                    return
                c = self._peek()
                continue
            yield Element(index, value)

    def _indent_at(self, pos: int) -> str | None:
        """The whitespace between the last line break and ``pos``, or None if other text is there."""
        nl = self._s.rfind("\n", 0, pos)
        if nl < 0:
            return None
        lead = self._s[nl + 1:pos]
        return lead if not lead.strip() else None

    def _resync(self, frm: int, indent: str | None) -> bool:
        """Move to the next element that starts on its own line at ``indent``; False if none."""
        if indent is None:
            self.problem = "malformed JSON on a line with several records: the rest of the array was not read"
            return False
        pat = re.compile(r"\n" + re.escape(indent) + r"[{\[]")
        self._pos = frm
        while True:
            m = pat.search(self._s, self._pos)
            if m:
                self._pos = m.end() - 1
                return True
            self._pos = max(self._pos, len(self._s) - len(indent) - 2)
            if not self._more():
                self.truncated = True
                return False


def _cut_short(exc: json.JSONDecodeError, s: str) -> bool:
    """Did the decoder fail because the buffer ended (more input may fix it)?"""
    if exc.msg.startswith("Unterminated string"):
        return True  # raw newlines are invalid in strings, so this only happens at the end
    if len(s) - exc.pos <= 6:  # inside a \\uXXXX escape or a literal such as "true"
        return True
    return not s[exc.pos:].strip()


# ---------------------------------------------------------------- the import loop


class Mapper(Protocol):
    """Turns records into parser-column DataFrames, a chunk at a time."""

    count: int  # records taken in so far

    def add(self, record: Any, record_no: int) -> None: ...

    def take(self, final: bool = False) -> pd.DataFrame | None: ...


def feed(mapper: Mapper, records: Iterable[tuple[Any, int]]) -> Iterator[pd.DataFrame]:
    """``mapper.add`` every (record, record number); yield each chunk as it fills, then the last one."""
    for record, number in records:
        mapper.add(record, number)
        df = mapper.take()
        if df is not None:
            yield df
    df = mapper.take(final=True)
    if df is not None:
        yield df


def open_or_raise(reader: TopLevelArrayReader, report: ParseReport, path: Path, what: str, expected: str) -> bool:
    """``reader.open()`` for QCE and ChatLab: a file cut before the array is an issue (False);
    one that is not ``what`` (no array, bad JSON) is BadInput saying what was ``expected``."""
    if reader.open():
        return True
    if reader.truncated:
        report.truncated = True
        report.issue(1, f"truncated JSON: {reader.problem}")
        return False
    raise BadInput(f"{path}: not {what} ({reader.problem}); expected {expected}")


def stream_array(reader: TopLevelArrayReader, mapper: Mapper, report: ParseReport, file_name: str,
                 read_rest: bool = False) -> Iterator[pd.DataFrame]:
    """The elements of an opened reader through ``mapper``, damage to ``report``.

    Two ways with damage, as each format has always done (the reader's ``resync`` says which):
    resync (QCE, ChatLab): every bad record is an issue at its number and the import goes on;
    a cut is a note at the end.  No resync (chatlog, WeFlow): the first damage is the end, with
    one issue and note worded by ``stopped``.  ``read_rest`` reads on after the array (``rest()``),
    so damage there counts too.
    """
    return feed(mapper, _good_elements(reader, mapper, report, file_name, read_rest))


def _good_elements(reader: TopLevelArrayReader, mapper: Mapper, report: ParseReport, file_name: str,
                   read_rest: bool) -> Iterator[tuple[Any, int]]:
    last = 0
    for el in reader.elements():
        report.bytes_read = reader.bytes_read
        if el.error is None:
            last = el.index
            yield el.value, el.index
        elif not reader.resync:
            stopped(report, file_name, el.index, el.cut, el.reason)
            return
        else:
            report.issue(el.index, el.error, el.excerpt)
    if not reader.resync:
        if reader.truncated or (read_rest and not reader.rest()):
            stopped(report, file_name, last + 1, reader.truncated, reader.problem or "file ends inside the array")
    elif reader.truncated:
        report.truncated = True
        report.note(f"{file_name} ends inside the {reader.array_key or 'top-level'} array: it is truncated; "
                    f"the {mapper.count} complete messages before the cut were imported")
    elif reader.problem:
        report.note(reader.problem)


def stopped(report: ParseReport, file_name: str, at: int, cut: bool, reason: str) -> None:
    """Damage at message ``at`` ended the import (chatlog and WeFlow wording)."""
    report.truncated = True
    if cut:
        report.issue(at, f"file ends inside message {at} (truncated): {reason}")
        report.note(f"{file_name} is cut short: the {at - 1} complete messages before the cut were imported")
    else:
        report.issue(at, f"malformed JSON at message {at}: {reason}")
        report.note(f"{file_name}: malformed JSON at message {at}; the rest was not imported")


class RecordBatcher:
    """A ``Mapper`` for formats that build a chunk from a list of record dicts at once:
    ``build(records, record_numbers)`` runs every ``rows`` records (``base.RowBuffer``); an
    element that is not an object is an issue worded ``not_object``."""

    def __init__(self, build: Callable[[list[dict], list[int]], pd.DataFrame], report: ParseReport,
                 not_object: str, rows: int | None = None) -> None:
        self.build = build
        self.report = report
        self.not_object = not_object
        self._rows = RowBuffer(("record", "number"), rows or ROWS_PER_CHUNK)
        self.count = 0

    def add(self, record: Any, record_no: int) -> None:
        if not isinstance(record, dict):
            self.report.issue(record_no, self.not_object, repr(record)[:80])
            return
        self._rows.cols["record"].append(record)
        self._rows.cols["number"].append(record_no)
        self.count += 1

    def take(self, final: bool = False) -> pd.DataFrame | None:
        batch = self._rows.take(final)
        return None if batch is None else self.build(batch["record"], batch["number"])
