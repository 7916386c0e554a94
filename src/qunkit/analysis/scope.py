"""Time and group scope shared by every analysis command.

``as_of`` defaults to the newest message in scope so an old export is judged
at its own end; nothing after ``as_of`` is ever used, which lets a past moment
be replayed exactly (``--as-of 2024-03-01``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..identity import apply_merges, merges_for
from ..localtime import DEFAULT_TZ

__all__ = ["DEFAULT_TZ", "Scope", "parse_when"]


def parse_when(value: str | pd.Timestamp | None, tz: str = DEFAULT_TZ) -> pd.Timestamp | None:
    """Parse a user-given moment; naive values are read in ``tz``.  Returns UTC."""
    if value is None or value == "":
        return None
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        ts = ts.tz_localize(tz)
    return ts.tz_convert("UTC")


@dataclass(frozen=True)
class Scope:
    as_of: pd.Timestamp | None = None   # UTC; None: the newest message in scope
    since: pd.Timestamp | None = None   # UTC, inclusive
    until: pd.Timestamp | None = None   # UTC, exclusive
    groups: tuple[str, ...] = field(default=())  # group names or ids; empty: all
    include_private: bool = False       # friend chats are skipped unless asked for
    # the operator's --merge list: (group name or id, '' = every group; id; same_as_id), see identity.py
    merges: tuple[tuple[str, str, str], ...] = field(default=())
    # each group judged at its own newest in-scope message instead of the scope's newest (``engine.run``;
    # ``roles --at-group-end``): an export that ended years ago is not judged by years nobody spoke in
    at_group_end: bool = False

    def select_groups(self, messages: pd.DataFrame) -> pd.DataFrame:
        m = messages
        if not self.include_private and "chat_type" in m.columns:
            m = _rows(m, (m["chat_type"] != "private").to_numpy(dtype=bool))
        if self.groups:
            wanted = set(self.groups)
            hit = m["group_name"].astype(str).isin(wanted) | m["group_id"].astype(str).isin(wanted)
            m = m[hit]
        return m

    def resolve_as_of(self, messages: pd.DataFrame) -> pd.Timestamp:
        if self.as_of is not None:
            return self.as_of
        m = self.select_groups(messages)
        if self.until is not None:
            m = m[m["ts"] < self.until]
        if len(m) == 0:
            return pd.Timestamp.now(tz="UTC").floor("s")
        return m["ts"].max()

    def apply(self, messages: pd.DataFrame) -> tuple[pd.DataFrame, pd.Timestamp]:
        """Return (messages in scope, as_of).  Messages after as_of are dropped; ids the ``merges`` list
        names are replaced by the id they are the same person as."""
        as_of = self.resolve_as_of(messages)
        m = self.select_groups(messages)
        keep = m["ts"] <= as_of
        if self.since is not None:
            keep &= m["ts"] >= self.since
        if self.until is not None:
            keep &= m["ts"] < self.until
        m = _rows(m, keep.to_numpy(dtype=bool))
        if self.merges:
            m = apply_merges(m, merges_for(m, self.merges))
        return m, as_of


def _rows(m: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """``m[keep]``, without copying every column when every row is kept (the default scope)."""
    return m if keep.all() else m[keep]
