"""Chat text made safe for a terminal: no byte of a message or a name is ever a control sequence.

A nickname such as ``\\x1b]0;pwned\\x07`` (set the window title) or ``\\x1b[2J`` (clear the screen)
would act on the operator's terminal if printed raw.  Every place qunkit writes text for people
(tables, plain text, notes, errors, import summaries, CSV) passes it through ``safe_text``: C0
controls other than newline and tab, DEL and the C1 range become a visible ``\\xNN``.  JSON needs
nothing (``json.dumps`` escapes controls itself), so scripts still get the exact text there.
"""

from __future__ import annotations

_CONTROLS = [c for c in range(0x20) if c not in (0x09, 0x0A)] + [0x7F] + list(range(0x80, 0xA0))
_TABLE = {c: f"\\x{c:02x}" for c in _CONTROLS}


def safe_text(text: str) -> str:
    """``text`` with every terminal control character shown as ``\\xNN`` (newline and tab kept)."""
    return text.translate(_TABLE)
