"""What importing one file did (``ParseReport``), free of pandas and pyarrow.

It lives outside ``qunkit.formats`` (whose package imports the parsers, and so pandas) because an
unchanged nightly re-import (``qunkit.unchanged``) reports its files without loading either;
``qunkit.formats.base`` re-exports both classes, where parsers have always found them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_KEPT_ISSUES = 20


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

    def child(self) -> ParseReport:
        """An empty report for one piece of this file parsed on another thread (``formats.pieces``):
        its issues and notes join this report by ``absorb``, in file order."""
        return ParseReport(self.file, self.format, encoding=self.encoding)

    def absorb(self, piece: ParseReport) -> None:
        """Add a ``child``'s findings, as if they had been reported here: counts add up, the first
        ``MAX_KEPT_ISSUES`` issues of the file are kept, notes once each."""
        self.bad_lines += piece.bad_lines
        self.issues.extend(piece.issues[: max(0, MAX_KEPT_ISSUES - len(self.issues))])
        for text in piece.notes:
            self.note(text)
        self.truncated |= piece.truncated

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
