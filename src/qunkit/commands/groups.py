"""``qunkit groups`` and ``qunkit formats``: what is in the store, and what can go in."""

from __future__ import annotations

from ..engine import Engine, Progress, map_groups
from ..formats import parsers
from ..localtime import DEFAULT_TZ
from ..store import group_table
from .result import Result

GROUP_COLUMNS = ("group_id", "group_name", "platform", "chat_type", "messages", "members", "roster", "first", "last")


def _summary(store, key: str, meta: dict) -> dict:
    return store.group_summary(key, meta)


def groups(store, tz: str = DEFAULT_TZ, *, engine: Engine | None = None, progress: Progress | None = None
           ) -> Result:
    """The groups in ``store`` with size and period (the table shows local days, json/csv ISO UTC)."""
    df = group_table(map_groups(store, _summary, engine=engine, progress=progress))
    notes = []
    if len(df) == 0:
        notes.append(f"store {store.root} is empty: import an export first (qunkit import FILE)")
    elif not df["roster"].all():
        notes.append("groups without a roster count only members seen in messages or join/leave lines")
    table = df.assign(first=df["first"].map(lambda ts: _day(ts, tz)), last=df["last"].map(lambda ts: _day(ts, tz)))
    return Result(rows=df, columns=GROUP_COLUMNS, title="Groups", notes=notes, table=table)


def _day(ts, tz: str) -> str | None:
    return None if ts is None or ts != ts else ts.tz_convert(tz).strftime("%Y-%m-%d")


def formats() -> Result:
    """The export formats the importer reads (the names ``--input-format`` takes)."""
    rows = [{"format": p.name, "platform": p.platform, "description": p.description} for p in parsers()]
    return Result(rows=rows, columns=("format", "platform", "description"), title="Export formats")
