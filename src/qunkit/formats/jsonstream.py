"""Stream the records of one top-level JSON array without loading the file.

Exporters such as QQChatExporter write ``{"metadata":…, "chatInfo":…,
"messages":[…], "avatars":{…hundreds of MB of base64…}}``.  ``json.load``
would hold all of it; this reader decodes the small header values, then hands
out the array's elements one ``json.JSONDecoder.raw_decode`` at a time from a
bounded text buffer, and stops reading at the closing ``]`` so whatever follows
is never read.  Values of keys the caller does not keep are skipped with
``str.find`` scans (C speed, bounded memory), so a huge blob placed *before* the
array costs time but no memory.

Damage is reported, not fatal: a file cut short yields everything complete
before the cut and sets ``truncated``; a malformed element is reported and the
reader resynchronises on the next element that starts at the same indentation.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import IO, Any

BLOCK = 1 << 20
_LOOKBEHIND = 256
_WS = re.compile(r"[ \t\r\n]*")
_STRUCT = re.compile(r'["{}\[\]]')
_DECODER = json.JSONDecoder()


class _NeedMore(Exception):
    pass


@dataclass
class Element:
    """One array element: ``value`` when it decoded, else ``error`` (and an excerpt)."""

    index: int          # 1-based position in the array
    value: Any = None
    error: str | None = None
    excerpt: str = ""


class TopLevelArrayReader:
    """Reader for ``{... "<array_key>": [ ... ], ...}``.

    Call ``open()`` first: it reads the top-level keys before the array (keeping
    the values of ``keep``) and returns whether the array was found.  Then
    iterate ``elements()``.  ``truncated`` is set when the file ends early.
    """

    def __init__(self, fh: IO[bytes], array_key: str, keep: Collection[str] = (), block: int = BLOCK,
                 encoding: str = "utf-8-sig") -> None:
        self.fh = fh
        self.array_key = array_key
        self.keep = set(keep)
        self.block = block
        self.header: dict[str, Any] = {}
        self.seen_keys: list[str] = []
        self.truncated = False
        self.problem: str | None = None   # why open() did not find the array, if it did not
        self._dec = codecs.getincrementaldecoder(encoding)("replace")
        self._s = ""
        self._pos = 0
        self._eof = False
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
        want = self.block
        while True:
            s = self._s
            try:
                value, end = _DECODER.raw_decode(s, self._pos)
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
    def open(self) -> bool:
        try:
            if self._peek() != "{":
                self.problem = "the file does not start with a JSON object"
                return False
            self._pos += 1
            while True:
                c = self._peek()
                if c is None:
                    raise _NeedMore("key expected")
                if c == "}":
                    self.problem = f"the JSON object has no {self.array_key!r} array"
                    return False
                if c == ",":
                    self._pos += 1
                    continue
                if c != '"':
                    self.problem = f"unexpected {c!r} where a key was expected"
                    return False
                key = self._decode()
                if self._peek() != ":":
                    self.problem = f"no ':' after key {key!r}"
                    return False
                self._pos += 1
                self.seen_keys.append(key)
                if key == self.array_key:
                    if self._peek() != "[":
                        self.problem = f"{self.array_key!r} is not an array"
                        return False
                    self._pos += 1
                    return True
                if key in self.keep:
                    self.header[key] = self._decode()
                else:
                    self._skip_value()
        except _NeedMore:
            self.truncated = True
            self.problem = f"the file ends before the {self.array_key!r} array"
            return False
        except json.JSONDecodeError as exc:
            self.problem = f"malformed JSON before the {self.array_key!r} array: {exc.msg}"
            return False

    def elements(self) -> Iterator[Element]:
        index = 0
        while True:
            c = self._peek()
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
            indent = self._indent_at(self._pos)
            try:
                value = self._decode()
            except _NeedMore:  # (a failed decode leaves the cursor at the record's start)
                self.truncated = True
                yield Element(index, error="the file ends inside this record (truncated)",
                              excerpt=self._s[self._pos:self._pos + 80])
                return
            except json.JSONDecodeError as exc:
                yield Element(index, error=f"malformed JSON record: {exc.msg}",
                              excerpt=self._s[self._pos:self._pos + 80])
                if not self._resync(self._pos + 1, indent):
                    return
                continue
            after = self._peek()
            if after not in (",", "]", None):
                yield Element(index, error=f"expected ',' or ']' after the record, found {after!r}",
                              excerpt=self._s[self._pos:self._pos + 80])
                if not self._resync(self._pos, indent):
                    return
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
