"""``qunkit replies``: who answered whom (``qunkit.analysis.replies``) as a result.

The table shows ``ts`` in local time; json/csv keep ISO 8601 UTC and add the
link's confidence.  The count of links by evidence is a note.  Runs a group at a
time on the engine; a store with fresh facts answers from the links stored at import.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from ..analysis.replies import EVIDENCE, reply_links
from ..analysis.scope import Scope
from ..derived import stored_reply_links
from ..engine import ANALYSIS_COLUMNS, Engine, GroupInput, Progress, run
from ..localtime import DEFAULT_TZ
from ..store import Store
from .analysis import ALL
from .result import Result

COLUMNS = ("group_name", "ts", "sender_id", "sender_name", "source_line", "reply_to_line", "reply_to_sender_id",
           "evidence")


def replies_group(g: GroupInput) -> pd.DataFrame:
    """One group's links (the per-group task of ``replies``): read from its facts when they are fresh and
    made from exactly these messages (``GroupInput.derived``: no --since/--until cut them), else computed.
    ``reply_to_row`` is a position in the group's own messages."""
    stored = stored_reply_links(g.store, [g.key], g.messages) if g.derived and g.store is not None else None
    return stored if stored is not None else reply_links(g.messages)


def replies(store: Store, scope: Scope = ALL, *, tz: str = DEFAULT_TZ, engine: Engine | None = None,
            progress: Progress | None = None) -> Result:
    """One row per message in scope with the message it answers (or none) and the evidence, a group at
    a time (memory: the largest group, not the store).  Never kept in the result cache: a row per message
    pickles to several times the store's own Parquet (154 MB against 26 MB for 992k messages), and a
    store with facts already keeps the links."""
    engine = replace(engine or Engine(), cache=False)
    done = run(store, scope, replies_group, engine=engine, progress=progress, columns=(*ANALYSIS_COLUMNS, "msg_key"))
    links = pd.concat(done.results, ignore_index=True) if len(done.results) > 1 else done.results[0]
    links = links.sort_values(["group_name", "ts", "source_line"], kind="stable")

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
