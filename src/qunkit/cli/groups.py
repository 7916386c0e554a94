"""``qunkit groups``."""

from __future__ import annotations

import click

from .options import format_option, open_store, store_option
from .output import emit


@click.command("groups")
@store_option
@format_option
def groups_cmd(store_dir, fmt):
    """List the groups in the store with their size and period.

    \b
    Examples:
      qunkit groups
      qunkit groups --format json | jq '.[].group_name'
    """
    store = open_store(store_dir)
    df = store.groups()
    notes = []
    if len(df) == 0:
        notes.append(f"store {store.root} is empty: import an export first (qunkit import FILE)")
    elif not df["roster"].all():
        notes.append("groups without a roster count only members seen in messages or join/leave lines")
    cols = ["group_id", "group_name", "platform", "chat_type", "messages", "members", "roster", "first", "last"]
    if fmt == "table":
        df = df.assign(first=df["first"].map(_day), last=df["last"].map(_day))
    emit(df, fmt, columns=cols, title="Groups", notes=notes)


def _day(ts):
    return None if ts is None or ts != ts else ts.tz_convert("Asia/Shanghai").strftime("%Y-%m-%d")
