"""``qunkit replies``: who answered whom, one row per message, on ``qunkit.analysis.replies``.

Thin like the other analysis commands: load the scoped messages, call
``reply_links`` and hand the frame to the one renderer.  ``ts`` is shown in
local time in a table and stays ISO 8601 UTC in json/csv; the share of
messages linked by each evidence is a note (stderr for json/csv).
"""

from __future__ import annotations

import click
import pandas as pd

from ..analysis.replies import EVIDENCE, reply_links
from .options import format_option, load_scope, open_store, quiet_option, scope_options, store_option
from .output import emit

COLUMNS = ("group_name", "ts", "sender_id", "sender_name", "source_line", "reply_to_line", "reply_to_sender_id",
           "evidence")


@click.command("replies")
@scope_options
@store_option
@format_option
@quiet_option
def replies_cmd(scope, tz, store_dir, fmt, quiet):
    """For each message, the message it answers (or none) and the evidence.

    \b
    Evidence, strongest first: quote (the export's own reply link), mention
    (@name), addressed_name (the text starts with "name:" / "name，" or names
    a member), then turn_taking (answering whoever addressed them, a two-person
    exchange, carrying on one's own turn) and timing (a reply by position and
    time); none for a new topic.  System lines are never linked.  source_line
    and reply_to_line are line numbers in the imported export; json/csv add
    a confidence per link.

    \b
    Examples:
      qunkit replies --group 读书会 --since 2024-03-01
      qunkit replies --format csv > replies.csv
      qunkit replies --format json | jq '[.[] | select(.evidence == "quote")] | length'
    """
    messages, _members, _as_of = load_scope(open_store(store_dir), scope)
    links = reply_links(messages)
    links = links.sort_values(["group_name", "ts", "source_line"], kind="stable")
    notes = [] if quiet else [_summary(links)]
    if fmt == "table":
        shown = links.assign(ts=pd.to_datetime(links["ts"], utc=True).dt.tz_convert(tz).dt.strftime("%Y-%m-%d %H:%M"))
        emit(shown, "table", columns=COLUMNS, title="Replies", notes=notes)
    else:
        emit(links, fmt, columns=COLUMNS + ("confidence",), notes=notes)


def _summary(links: pd.DataFrame) -> str:
    counts = links["evidence"].value_counts()
    parts = [f"{e} {counts.get(e, 0)}" for e in EVIDENCE if counts.get(e, 0)]
    linked = int((links["reply_to_row"] >= 0).sum())
    return f"{len(links)} messages, {linked} linked to an earlier one: " + ", ".join(parts)
