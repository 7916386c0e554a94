"""Small hand-built ``messages`` / ``members`` frames for the prune and roll-call tests.

Built directly in the canonical shapes (schema.MESSAGES columns, categorical
dictionary columns, UTC timestamps) so these tests do not depend on a parser.
"""

from __future__ import annotations

import pandas as pd

from qunkit.members import conform_members
from qunkit.schema import MESSAGES

T0 = pd.Timestamp("2024-01-01 12:00", tz="Asia/Shanghai").tz_convert("UTC")


def at(days: float = 0, hours: float = 0) -> pd.Timestamp:
    return T0 + pd.Timedelta(days=days, hours=hours)


def messages(rows: list[tuple], group: str = "g1", group_name: str = "测试群") -> pd.DataFrame:
    """rows: (ts, sender_id, sender_name, text[, kind[, event, event_target[, sender_title]]])."""
    recs = []
    for i, r in enumerate(rows):
        ts, sid, name, text = r[:4]
        kind = r[4] if len(r) > 4 else "text"
        event = r[5] if len(r) > 5 else None
        target = r[6] if len(r) > 6 else None
        title = r[7] if len(r) > 7 else None
        recs.append({
            "platform": "qq", "source_format": "qq-txt", "group_id": group, "group_name": group_name,
            "chat_type": "group", "ts": ts, "tz": "Asia/Shanghai", "sender_id": sid, "sender_name": name,
            "sender_title": title, "kind": kind, "text": text, "event": event, "event_actor": None,
            "event_target": target, "mentions": None, "reply_to": None, "msg_id": None, "msg_key": i,
            "source_file": "t.txt", "source_line": i + 1,
        })
    df = pd.DataFrame(recs, columns=MESSAGES.names)
    df["ts"] = pd.to_datetime(df["ts"], utc=True).astype("datetime64[ms, UTC]")
    for f in MESSAGES:
        if str(f.type).startswith("dictionary"):
            df[f.name] = df[f.name].astype("category")
    return df


def members(rows: list[dict], group: str = "g1", group_name: str = "测试群", roster: bool = True) -> pd.DataFrame:
    """rows: dicts with member_id and optionally member_name, role, joined, left, last_spoke_roster."""
    recs = []
    for r in rows:
        recs.append({
            "group_id": group, "group_name": group_name, "member_id": r["member_id"],
            "member_name": r.get("member_name", r["member_id"]), "names": [r.get("member_name", r["member_id"])],
            "role": r.get("role", "member"), "joined": r.get("joined"), "left": r.get("left"),
            "last_spoke_roster": r.get("last_spoke_roster"), "in_roster": r.get("in_roster", roster),
            "roster_known": roster,
        })
    return conform_members(pd.DataFrame(recs))
