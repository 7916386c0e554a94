"""``qunkit names``: each member's names over time, and the ids counted as one person (issue #14,
Identity).  The table shows local dates; json/csv keep ISO 8601 UTC."""

from __future__ import annotations

import pandas as pd

from ..analysis.scope import Scope
from ..identity import HISTORY_COLUMNS, MERGE_COLUMNS, merges_for, name_history
from ..localtime import DEFAULT_TZ, local_text
from .loading import as_of_note, load_scope
from .result import Note, Result


def merges_applied(messages: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """The merges behind ``messages`` (as ``load_scope`` returns them): those the export showed
    (kept by the store in ``attrs``) and those of the scope's --merge list, one row each."""
    found = pd.DataFrame(messages.attrs.get("merges", []), columns=MERGE_COLUMNS)
    listed = merges_for(messages, scope.merges)
    out = pd.concat([found, listed], ignore_index=True) if len(listed) else found
    gname = messages.drop_duplicates("group_id", keep="last")
    gname = pd.Series(gname["group_name"].astype(str).to_numpy(), index=gname["group_id"].astype(str).to_numpy())
    return out.assign(group_name=out["group_id"].map(gname).fillna(out["group_id"]))


def names(store, scope: Scope, *, renamed: bool = False, merges: bool = False, tz: str = DEFAULT_TZ) -> Result:
    """Every name each member was seen under (card, account name, join/leave lines) with first and
    last seen; with ``merges``, the ids counted as one person and why."""
    messages, members, as_of = load_scope(store, scope)
    applied = merges_applied(messages, scope)
    merge_note = (f"{len(applied)} id(s) counted as another id: {(applied['source'] == 'export').sum()} the export "
                  f"showed, {(applied['source'] == 'merge file').sum()} from --merge (--merges lists them)")
    if merges:
        cols = ["group_name", *MERGE_COLUMNS]
        return Result(rows=applied[cols], columns=cols, title=f"Ids counted as one person ({len(applied)})",
                      notes=[as_of_note(as_of, tz, "")])
    out = name_history(messages, members, renamed_only=renamed)
    people = out[["group_id", "member_id"]].drop_duplicates()
    several = out.loc[out["renamed"], ["group_id", "member_id"]].drop_duplicates()
    notes: list[str | Note | None] = [
        f"{as_of_note(as_of, tz, '')}; seen_as: card = the name the group showed (群名片 when set), account = "
        "the account nickname (formats that keep it), join/leave = the name a join or leave line gave",
        f"{len(several)} of {len(people)} member(s) renamed (more than one name shown in the group, or more "
        "than one account name)" if not renamed else f"{len(several)} member(s) renamed",
        merge_note if len(applied) else None]
    table = out.assign(first_seen=local_text(out["first_seen"], tz, "%Y-%m-%d %H:%M"),
                       last_seen=local_text(out["last_seen"], tz, "%Y-%m-%d %H:%M"),
                       renamed=out["renamed"].map({True: "yes", False: "no"}))
    return Result(rows=out, columns=HISTORY_COLUMNS, title="Member names over time", notes=notes, table=table,
                  table_columns=[c for c in HISTORY_COLUMNS if c != "group_id"])
