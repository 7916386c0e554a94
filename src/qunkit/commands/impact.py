"""``qunkit impact``: the lift after events (``analysis.impact``) as a Result; the table shows local times,
json/csv keep ISO 8601 UTC."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pandas as pd

from ..analysis import impact as im
from ..analysis.scope import Scope
from ..errors import UsageProblem
from ..localtime import DEFAULT_TZ, local_text
from .loading import as_of_note, load_scope
from .result import Note, Result

TABLE_COLUMNS = ["group_name", "start", "kind", "messages", "expected_messages", "messages_lift", "speakers",
                 "expected_speakers", "speakers_lift", "verdict", "returned", "newcomers", "returned_names"]
WHO_TABLE = ["group_name", "start", "kind", "member_id", "member_name", "how", "silent_days", "messages", "joined"]
FMT = "%Y-%m-%d %H:%M"


def _outside(messages: pd.DataFrame, at: Sequence[pd.Timestamp], as_of: pd.Timestamp, tz: str) -> str:
    """The error for --at moments no group's history holds: each group's span, in the reader's zone."""
    h = im.history(messages)
    spans = "; ".join(f"{r.group_name}: {local_text(r.first, tz, FMT)} to {local_text(min(r.last, as_of), tz, FMT)}"
                      for r in h.itertuples())
    when = ", ".join(local_text(t, tz, FMT) for t in at)
    return f"--at {when} ({tz}) is outside the history of every group in scope ({spans})"


def impact(store, scope: Scope, *, at: Sequence[pd.Timestamp] = (), window: pd.Timedelta = im.DEFAULT_WINDOW,
           weeks: int = im.WEEKS, quiet_days: int = im.QUIET_DAYS, merge: pd.Timedelta = im.MERGE,
           who: bool = False, tz: str = DEFAULT_TZ) -> Result:
    """Per event (``at`` moments, else the notices, red packets and roll calls found), the lift in messages and
    speakers against the same hours of previous weeks, and who came back (``who``: one row per member).

    ``scope.since`` selects the events, not the data: the baseline needs the weeks before them."""
    messages, members, as_of = load_scope(store, replace(scope, since=None))
    notes: list[str | Note | None] = []
    if at:
        events, outside = im.at_events(messages, at, as_of)
        if events.empty:
            raise UsageProblem(_outside(messages, at, as_of, tz))
        notes.append(Note("--at outside the history of {items}: not measured there",
                          tuple(sorted(set(outside["group_name"].astype(str))))))
    else:
        events = im.find_events(messages, members, as_of, merge=merge)
    if scope.since is not None and len(events):
        events = events[pd.to_datetime(events["start"], utc=True) >= scope.since]
    found = im.find_events(messages, members, as_of, merge=merge) if at else None
    rows, people = im.event_impact(messages, members, events, as_of, window=window, weeks=weeks,
                                   quiet_days=quiet_days, exclude=found)
    counts = rows["verdict"].value_counts()
    notes += [
        f"{as_of_note(as_of, tz, '')}; window {window.total_seconds() / 3600:g} h from each event's start (the "
        "moment its notice announces, else the notice); "
        f"expected = median of the same window 1..{2 * weeks} weeks back ({weeks} most recent that overlap no "
        "other event" + (" nor one found in the log" if at else "") + ")",
        f"test: {im.TEST}",
        f"came back = spoke in the window after {quiet_days}+ days of silence; newcomer = joined from "
        f"{im.NEWCOMER_LEAD.total_seconds() / 3600:g} h before the event to the window's end",
        (f"{len(rows)} event(s): " + ", ".join(f"{int(counts[v])} {v}" for v in im.VERDICTS if v in counts))
        if len(rows) else "no events found (notices naming 分享/直播/讲座/活动/红包, red-packet bursts, roll "
                          "calls); --at DATETIME measures a moment you name"]
    if who:
        table = people.assign(start=local_text(people["start"], tz, FMT), joined=local_text(people["joined"], tz))
        return Result(rows=people, columns=im.WHO_COLUMNS, title=f"Who came back for an event ({len(people)})",
                      notes=notes, table=table, table_columns=WHO_TABLE)
    table = rows.assign(start=local_text(rows["start"], tz, FMT),
                        returned_names=rows["returned_names"].map(lambda v: "、".join(v) if isinstance(v, list)
                                                                  else ""))
    return Result(rows=rows, columns=im.IMPACT_COLUMNS, title=f"Event impact ({len(rows)})", notes=notes,
                  table=table, table_columns=TABLE_COLUMNS)
