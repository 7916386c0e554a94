"""@mentions in exported text, shared by the text-based importers.

Exports keep mentions only as ``@昵称`` inside the body (no ids), so every
text importer finds them the same way: a vectorised "@" test over the whole
column, then one ``findall`` per row that has one.  The name pattern differs by
client (WeChat puts U+2005 after a name; QQ names end at spaces or CJK
punctuation), so each importer passes its own compiled regex.
"""

from __future__ import annotations

import re

import numpy as np

ALL_MENTIONS = {"所有人", "全体成员", "All", "all"}  # @所有人 / @全体成员 -> "@all"


def mentions_where(text: np.ndarray, has: np.ndarray, pattern: re.Pattern[str]) -> np.ndarray:
    """Mentions (list of names, or None) of the rows flagged ``has``; other rows get None."""
    out = np.full(len(text), None, dtype=object)
    if has.any():
        rows = text[has]
        out[has] = np.fromiter(([("@all" if m in ALL_MENTIONS else m) for m in pattern.findall(t)] or None
                                for t in rows), dtype=object, count=len(rows))
    return out
