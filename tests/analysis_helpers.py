"""Small canonical message/member frames for the analysis tests.

Frames go through ``schema.conform`` and back to pandas so they arrive exactly
as the store hands them out (dictionary columns as categoricals, UTC ts).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd
import pyarrow as pa

from qunkit.schema import MESSAGES, conform

T0 = pd.Timestamp("2024-03-04 09:00", tz="Asia/Shanghai").tz_convert("UTC")  # a Monday


def chat(rows: Iterable[Sequence], group: str = "g1", name: str = "测试群", start: pd.Timestamp = T0,
         platform: str = "qq", tz: str = "Asia/Shanghai") -> pd.DataFrame:
    """rows: (minutes after start, sender, text[, kind[, extra dict]]).

    sender "system" makes a system line; extra may hold event, event_actor, event_target,
    mentions, reply_to, msg_id.
    """
    recs = []
    for i, r in enumerate(rows):
        minutes, sender, text = r[0], r[1], r[2]
        kind = r[3] if len(r) > 3 and r[3] else ("system" if sender == "system" else "text")
        extra = dict(r[4]) if len(r) > 4 else {}
        recs.append({
            "platform": platform, "source_format": "test", "group_id": group, "group_name": name,
            "chat_type": "group", "ts": start + pd.Timedelta(minutes=minutes), "tz": tz,
            "sender_id": sender, "sender_name": "系统消息" if sender == "system" else f"name_{sender}",
            "sender_title": None, "kind": kind, "text": text,
            "event": extra.get("event"), "event_actor": extra.get("event_actor"),
            "event_target": extra.get("event_target"), "mentions": extra.get("mentions"),
            "reply_to": extra.get("reply_to"), "msg_id": extra.get("msg_id"),
            "msg_key": i + 1, "source_file": "t.txt", "source_line": i + 1,
        })
    df = pd.DataFrame(recs, columns=list(MESSAGES.names))
    df["ts"] = pd.to_datetime(df["ts"], utc=True).astype("datetime64[ms, UTC]")
    df["msg_key"] = df["msg_key"].astype("uint64")
    return conform(pa.Table.from_pandas(df, preserve_index=False)).to_pandas()


def members_frame(rows: Iterable[dict], roster_known: bool = True, messages: pd.DataFrame | None = None
                  ) -> pd.DataFrame:
    """rows: dicts with member_id and any of role, joined, left, in_roster, group_id, group_name.

    messages/first_spoke/last_spoke are filled from ``messages`` when given.
    """
    out = []
    for r in rows:
        d = {"group_id": "g1", "group_name": "测试群", "member_name": None, "names": None, "role": "member",
             "joined": pd.NaT, "left": pd.NaT, "last_spoke_roster": pd.NaT, "in_roster": roster_known}
        d.update(r)
        d["member_name"] = d["member_name"] or f"name_{d['member_id']}"
        d["names"] = d["names"] or [d["member_name"]]
        out.append(d)
    df = pd.DataFrame(out)
    for c in ("joined", "left", "last_spoke_roster"):
        df[c] = pd.to_datetime(df[c], utc=True)
    df["roster_known"] = roster_known
    if messages is not None:
        sp = messages[messages["kind"].astype(str) != "system"]
        agg = sp.groupby([sp["group_id"].astype(str), sp["sender_id"].astype(str)])["ts"].agg(
            ["size", "min", "max"])
        idx = pd.MultiIndex.from_arrays([df["group_id"], df["member_id"]])
        df["messages"] = agg["size"].reindex(idx).fillna(0).astype(int).to_numpy()
        df["first_spoke"] = agg["min"].reindex(idx).to_numpy()
        df["last_spoke"] = agg["max"].reindex(idx).to_numpy()
    else:
        df["messages"] = 0
        df["first_spoke"] = pd.NaT
        df["last_spoke"] = pd.NaT
    return df
