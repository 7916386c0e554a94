"""What a command returns, and the one way notes that name many things are summarised.

Free of pandas: the CLI imports it to render, ``--help`` does not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

SHOWN = 3  # names a summarised note shows before "and N more"


def listing(items: Sequence[str], noun: str = "group", verbose: bool = False, shown: int = SHOWN) -> str:
    """``a, b`` for a few items; ``400 groups (a, b, c and 397 more)`` for many; all of them when verbose."""
    items = [str(i) for i in items]
    if verbose or len(items) <= shown:
        return ", ".join(items)
    return f"{len(items)} {noun}s ({', '.join(items[:shown])} and {len(items) - shown} more)"


@dataclass(frozen=True)
class Note:
    """A caveat that names items (groups, members).

    With ``text`` (holding ``{items}``) it is one line whose list is summarised by
    ``listing``; without, each item is a line of its own and only the first few
    are shown, then ``... and N more <noun>s (--verbose lists all)``.
    """

    text: str | None
    items: tuple[str, ...] = ()
    noun: str = "group"

    def lines(self, verbose: bool = False) -> list[str]:
        if self.text is not None:
            return [self.text.format(items=listing(self.items, self.noun, verbose))] if self.items else []
        if verbose or len(self.items) <= SHOWN + 1:
            return list(self.items)
        rest = len(self.items) - SHOWN
        return [*self.items[:SHOWN], f"... and {rest} more {self.noun}s (--verbose lists all)"]


def note_lines(notes: Iterable[str | Note | None], verbose: bool = False) -> list[str]:
    """Notes as printable lines (empty ones dropped)."""
    out: list[str] = []
    for n in notes:
        if isinstance(n, Note):
            out += n.lines(verbose)
        elif n:
            out.append(n)
    return out


@dataclass
class Result:
    """What one command produced.

    ``rows`` (a DataFrame or list of dicts) is what json and csv carry, in
    ``columns`` order (None: all).  ``table``/``table_columns`` are the human view
    of the same rows (local dates, percentages; default: ``rows``/``columns``); ``table`` may be a
    function of no arguments returning it, called only when a table is rendered (local dates of a
    150,000-row prune list cost 0.6 s a json run would spend for nothing).
    ``flat`` replaces ``rows`` for csv when rows are nested documents (analyze);
    ``render_table(console)`` replaces the table for a custom view; ``text``
    replaces every rendering (a message to paste, such as ``prune --announce``).
    """

    rows: Any = ()
    columns: Sequence[str] | None = None
    title: str | None = None
    notes: list[str | Note | None] = field(default_factory=list)
    exit_code: int = 0
    table: Any = None
    table_columns: Sequence[str] | None = None
    flat: Any = None
    render_table: Callable[[Any], None] | None = None
    text: str | None = None
