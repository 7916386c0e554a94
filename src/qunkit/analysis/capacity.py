"""Keep under the cap (满员清人): the least active members to remove so a group stays ``margin`` below its cap.

Caps (``group_cap``): WeChat 500; QQ's cap depends on the group's level, which no
export records, so it is the smallest QQ tier (200/500/1000/2000/3000) that holds
the current membership (a 430-member QQ group is taken to be a 500 group);
WhatsApp 1024; Telegram 200000.  ``cap`` overrides it.

The list is paced: ``batch`` numbers the days, at most ``per_day`` removals a day,
because platforms flag accounts that kick many members at once.  The exclusions
are prune's (owner, admins, keep-list, roll-call answerers, newcomers in their
grace period), through ``newcomers.judged_at``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..localtime import DEFAULT_TZ
from .newcomers import judged_at
from .rollcall import DEFAULT_WINDOW

COLUMNS = ["group_name", "batch", "member_id", "member_name", "reason", "messages", "window_messages",
           "last_spoke", "joined", "members", "cap"]
QQ_TIERS = (200, 500, 1000, 2000, 3000)
FIXED_CAPS = {"wechat": 500, "whatsapp": 1024, "telegram": 200_000}


def group_cap(platform: str, size: int) -> int:
    """The member cap assumed for a group of ``platform`` with ``size`` members (see the module doc)."""
    if platform in FIXED_CAPS:
        return FIXED_CAPS[platform]
    return next((t for t in QQ_TIERS if size <= t), QQ_TIERS[-1])


def cap_list(messages: pd.DataFrame, members: pd.DataFrame, as_of: pd.Timestamp | None, margin: int,
             days: int = 90, per_day: int = 20, cap: int | None = None, keep: Iterable[str] = (),
             grace_days: int = 14, rollcall_window: pd.Timedelta = DEFAULT_WINDOW,
             tz: str = DEFAULT_TZ) -> pd.DataFrame:
    """Per group, the ``members - (cap - margin)`` least active eligible members, least active first.

    Least active = fewest messages in the last ``days`` days, then fewest ever, then the longest
    silence (never spoke first), then the earliest join.  ``attrs["groups"]`` has one dict per group
    (members, cap, to_remove, listed) so the command can say when the eligible are too few.
    """
    if margin < 0 or per_day < 1 or days < 1 or (cap is not None and cap < 1):
        raise ValueError("margin must not be negative; per_day, days and cap must be positive")
    df, eligible, as_of = judged_at(messages, members, as_of, days, keep, grace_days, rollcall_window)
    platforms = (messages[["group_id", "platform"]].drop_duplicates("group_id").astype(str)
                 .set_index("group_id")["platform"])
    present = df[df["present"].to_numpy(dtype=bool)]
    sizes = present.groupby("group_id").size()
    parts, summary = [], []
    for gid, size in sizes.items():  # one iteration per group, not per member
        g_cap = cap or group_cap(platforms.get(gid, ""), int(size))
        need = max(0, int(size) - (g_cap - margin))
        pool = df[(df["group_id"] == gid) & eligible]
        pool = pool.assign(_never=pool["last_spoke"].isna()).sort_values(
            ["window_messages", "messages", "_never", "last_spoke", "joined", "member_id"],
            ascending=[True, True, False, True, True, True], na_position="first", kind="stable").head(need)
        pool = pool.assign(members=int(size), cap=g_cap, batch=np.arange(len(pool)) // per_day + 1)
        parts.append(pool)
        summary.append({"group_name": str(df.loc[df["group_id"] == gid, "group_name"].iloc[0]),
                        "members": int(size), "cap": g_cap, "to_remove": need, "listed": len(pool)})
    out = pd.concat(parts, ignore_index=True) if parts else df.iloc[0:0].assign(members=0, cap=0, batch=0)
    out["reason"] = _reasons(out, days, tz)
    out = out[COLUMNS].reset_index(drop=True)
    out.attrs.update(as_of=as_of, groups=summary)
    return out


def _reasons(out: pd.DataFrame, days: int, tz: str) -> pd.Series:
    """The figures behind the rank: messages in the window and ever, last message, the cap."""
    last = out["last_spoke"].dt.tz_convert(tz).dt.strftime("%Y-%m-%d")
    spoke = ("last spoke " + last).where(out["last_spoke"].notna(), "never spoke")
    return (out["window_messages"].astype(str) + f" messages in {days} days, " + out["messages"].astype(str)
            + " ever, " + spoke + "; group " + out["members"].astype(str) + "/" + out["cap"].astype(str))
