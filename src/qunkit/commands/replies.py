"""``qunkit replies``: who answered whom (``qunkit.analysis.replies``) as a result.

The table shows ``ts`` in local time; json/csv keep ISO 8601 UTC and add the
link's confidence.  The count of links by evidence is a note.
"""

from __future__ import annotations

import pandas as pd

from ..analysis.replies import EVIDENCE, reply_links
from ..analysis.scope import Scope
from ..localtime import DEFAULT_TZ
from ..store import Store
from .analysis import ALL
from .loading import load_scope
from .result import Result

COLUMNS = ("group_name", "ts", "sender_id", "sender_name", "source_line", "reply_to_line", "reply_to_sender_id",
           "evidence")


def replies(store: Store, scope: Scope = ALL, *, tz: str = DEFAULT_TZ) -> Result:
    """One row per message in scope with the message it answers (or none) and the evidence."""
    messages, _members, _as_of = load_scope(store, scope)
    links = reply_links(messages).sort_values(["group_name", "ts", "source_line"], kind="stable")

    def table() -> pd.DataFrame:       # built only for the table format (local time of a million rows: seconds)
        local = pd.to_datetime(links["ts"], utc=True).dt.tz_convert(tz).dt.strftime("%Y-%m-%d %H:%M")
        return links.assign(ts=local)

    return Result(rows=links, columns=(*COLUMNS, "confidence"), title="Replies", notes=[_summary(links)],
                  table=table, table_columns=COLUMNS)


def _summary(links: pd.DataFrame) -> str:
    counts = links["evidence"].value_counts()
    parts = [f"{e} {counts.get(e, 0)}" for e in EVIDENCE if counts.get(e, 0)]
    linked = int((links["reply_to_row"] >= 0).sum())
    return f"{len(links)} messages, {linked} linked to an earlier one: " + ", ".join(parts)
