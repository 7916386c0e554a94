"""One summary row per group: the first screen of ``qunkit analyze``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..members import present_at
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
    m = messages.assign(group_id=messages["group_id"].astype(str))  # categories -> str once, on the key only
    spoken = m[~m["kind"].isin(["system", "recall"]) & (m["sender_id"] != "system")]
    groups = m.groupby("group_id", sort=False)
    per = pd.DataFrame({"group_name": groups["group_name"].last().astype(str),
                        "platform": groups["platform"].first().astype(str),
                        "first": groups["ts"].min(), "last": groups["ts"].max()})
    by_group = spoken.groupby("group_id")
    per["messages"] = by_group.size()
    per["speakers"] = by_group["sender_id"].nunique()
    for label, span in WINDOWS.items():
        recent = spoken[spoken["ts"] > as_of - span].groupby("group_id")
        per[f"speakers_{label}"] = recent["sender_id"].nunique()
        per[f"messages_{label}"] = recent.size()
    per = per.fillna({c: 0 for c in per.columns if c.startswith(("messages", "speakers"))})

    # members at as_of (the one rule: qunkit.members.present_at); without a roster, everyone seen
    current = members[present_at(members, as_of)]
    roster_known = members.groupby("group_id")["roster_known"].any().to_dict()
    n_members = current.groupby("group_id").size().to_dict()
    silent = current[current["messages"] == 0].groupby("group_id").size().to_dict()

    # top speakers: counts per (group, sender), the name each used last
    counts = spoken.groupby(["group_id", "sender_id"], observed=True).size().rename("n").reset_index()
    # ties by id as text: a category's order depends on which other groups were read with this one
    counts = counts[counts["n"] > 0].astype({"sender_id": str}).sort_values(
        ["group_id", "n", "sender_id"], ascending=[True, False, True], kind="stable")
    last_names = spoken.drop_duplicates(["group_id", "sender_id"], keep="last")[["group_id", "sender_id",
                                                                               "sender_name"]].astype({"sender_id": str})
    tops = counts.groupby("group_id").head(top).merge(last_names, on=["group_id", "sender_id"], how="left")

    # messages per week: week i covers (as_of - (26-i)*7d, as_of - (25-i)*7d]; older messages are dropped
    edges = pd.DatetimeIndex([as_of - pd.Timedelta(days=7) * k for k in range(SPARK_WEEKS, 0, -1)]).as_unit("ns")
    week = np.searchsorted(edges.asi8, spoken["ts"].array.as_unit("ns").asi8, side="left")
    codes, uniques = pd.factorize(spoken["group_id"])
    grid = np.bincount(codes * (SPARK_WEEKS + 1) + week, minlength=len(uniques) * (SPARK_WEEKS + 1))
    weekly = {g: grid.reshape(len(uniques), SPARK_WEEKS + 1)[i, 1:] for i, g in enumerate(uniques)}

    rows = []
    for gid, r in per.iterrows():  # one iteration per group, not per message
        known = roster_known.get(gid, False)
        n = n_members.get(gid, 0)
        row = {"group_id": gid, "group_name": r["group_name"], "platform": r["platform"], "first": r["first"],
               "last": r["last"], "as_of": as_of,
               "days": round((r["last"] - r["first"]) / pd.Timedelta(days=1), 1),
               "messages": int(r["messages"]), "speakers": int(r["speakers"]), "members": n,
               "members_source": "roster" if known else "seen in log", "silent_members": silent.get(gid, 0)}
        for label in WINDOWS:
            row[f"speakers_{label}"] = int(r[f"speakers_{label}"])
            row[f"messages_{label}"] = int(r[f"messages_{label}"])
            row[f"active_rate_{label}"] = r[f"speakers_{label}"] / n if n and known else np.nan
        total = max(int(r["messages"]), 1)
        mine = tops[tops["group_id"] == gid]
        row["top_speakers"] = [{"member_id": str(k), "member_name": str(nm), "messages": int(v),
                                "share": round(v / total, 4)}
                               for k, nm, v in zip(mine["sender_id"], mine["sender_name"], mine["n"], strict=True)]
        row["weekly_messages"] = weekly.get(gid, np.zeros(SPARK_WEEKS, int)).tolist()
        row["benchmarks"] = benchmark_notes(n if known else None, row["active_rate_monthly"], row["platform"])
        rows.append(row)
    return pd.DataFrame(rows)
