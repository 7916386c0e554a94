"""One summary row per group: the first screen of ``qunkit analyze``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .benchmarks import benchmark_notes

WINDOWS = {"daily": pd.Timedelta(days=1), "weekly": pd.Timedelta(days=7), "monthly": pd.Timedelta(days=30)}
SPARK_WEEKS = 26


def overview(messages: pd.DataFrame, members: pd.DataFrame, as_of: pd.Timestamp, top: int = 5) -> pd.DataFrame:
    """Per group: period, volume, speakers, members, daily/weekly/monthly active
    rates (speakers in the window ÷ current members), top speakers, weekly counts.

    Members come from the roster when one is attached; without one, the
    members seen in the log (speakers and join lines) are counted but the active
    rates are unknown (NaN): lurkers who never spoke cannot be counted, and a
    rate over the members seen would flatter the group.  ``members_source`` says
    which.
    """
    spoken = messages[~messages["kind"].astype(str).isin(["system", "recall"])
                      & (messages["sender_id"].astype(str) != "system")]
    rows = []
    for gid, g in messages.groupby(messages["group_id"].astype(str), sort=False, observed=True):
        s = spoken[spoken["group_id"].astype(str) == gid]
        mem = members[members["group_id"].astype(str) == gid] if len(members) else members
        roster_known = bool(mem["roster_known"].any()) if len(mem) else False
        current = mem[mem["left"].isna() | (mem["left"] > as_of)] if len(mem) else mem
        if roster_known:
            current = current[current["in_roster"]]
        n_members = len(current)
        row = {
            "group_id": gid,
            "group_name": str(g["group_name"].iloc[-1]),
            "platform": str(g["platform"].iloc[0]),
            "first": g["ts"].min(),
            "last": g["ts"].max(),
            "as_of": as_of,
            "days": round((g["ts"].max() - g["ts"].min()) / pd.Timedelta(days=1), 1),
            "messages": len(s),
            "speakers": s["sender_id"].nunique(),
            "members": n_members,
            "members_source": "roster" if roster_known else "seen in log",
            "silent_members": int((current["messages"] == 0).sum()) if len(current) else 0,
        }
        for label, span in WINDOWS.items():
            recent = s[s["ts"] > as_of - span]
            speakers = recent["sender_id"].nunique()
            row[f"speakers_{label}"] = speakers
            row[f"messages_{label}"] = len(recent)
            row[f"active_rate_{label}"] = speakers / n_members if n_members and roster_known else np.nan
        counts = s.groupby(s["sender_id"].astype(str), observed=True).size().sort_values(ascending=False)
        names = s.drop_duplicates("sender_id", keep="last").set_index(s.drop_duplicates(
            "sender_id", keep="last")["sender_id"].astype(str))["sender_name"].astype(str)
        row["top_speakers"] = [{"member_id": k, "member_name": names.get(k, k), "messages": int(v),
                                "share": round(v / len(s), 4)} for k, v in counts.head(top).items()]
        # week i covers (as_of - (26-i)*7d, as_of - (25-i)*7d]; older messages fall in bin 0 and are dropped
        edges = pd.DatetimeIndex([as_of - pd.Timedelta(days=7) * k for k in range(SPARK_WEEKS, 0, -1)]).as_unit("ns")
        bins = np.searchsorted(edges.asi8, s["ts"].array.as_unit("ns").asi8, side="left")
        weekly = np.bincount(bins, minlength=SPARK_WEEKS + 1)[1:SPARK_WEEKS + 1]
        row["weekly_messages"] = weekly.tolist()
        row["benchmarks"] = benchmark_notes(n_members if roster_known else None, row["active_rate_monthly"],
                                            row["platform"])
        rows.append(row)
    return pd.DataFrame(rows)
