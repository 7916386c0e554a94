"""The practice's reference figures (shared/DOMAIN.md), to print beside a group's own.

Kept as data so every command shows the same numbers with the same wording.
"""

from __future__ import annotations

import math

ORDINARY_GROUP = (200, 300)          # members of a good ordinary group ...
ORDINARY_ACTIVE = (0.05, 0.08)       # ... of whom 5-8% are active
CORE_GROUP_MEMBERS = 69              # 秋叶PPT core group
CORE_ACTIVE_MIN = 0.70               # active rate above 70%
SMALL_GROUP_MAX = 30                 # 小群: members know and trust each other
DUNBAR = 150
PLATFORM_CAP = {"wechat": 500, "qq": 2000}
TYPICAL_WECHAT_LIFE_DAYS = (30, 120)  # lively 1-2 months, dead by month 3-4
CORE_USERS_MIN = 5


def benchmark_notes(members: float | None, active_rate: float | None, platform: str) -> list[str]:
    """Plain sentences comparing a group's size and monthly active rate to the practice."""
    notes: list[str] = []
    rate = None if active_rate is None or (isinstance(active_rate, float) and math.isnan(active_rate)) else active_rate
    pct = f"{rate:.0%}" if rate is not None else "unknown"
    lo, hi = ORDINARY_ACTIVE
    notes.append(f"good ordinary group: {ORDINARY_GROUP[0]}–{ORDINARY_GROUP[1]} members, "
                 f"{lo:.0%}–{hi:.0%} active; this group: {_n(members)} members, {pct} active")
    notes.append(f"core / paid group (秋叶PPT, {CORE_GROUP_MEMBERS} members): above {CORE_ACTIVE_MIN:.0%} active")
    if members is not None and not math.isnan(members):
        if members < SMALL_GROUP_MAX:
            notes.append(f"small group (小群, under {SMALL_GROUP_MAX}): members should know and talk to each other")
        cap = PLATFORM_CAP.get(platform)
        if cap and members >= cap / 2:
            notes.append(f"{platform} cap {cap} members: this group is at {members / cap:.0%} of it")
        if members > DUNBAR:
            notes.append(f"past Dunbar's ~{DUNBAR}: per-member participation usually falls")
    if rate is not None and members:
        if members <= 100 and rate >= CORE_ACTIVE_MIN:
            notes.append("active like a core group")
        elif rate < lo:
            notes.append(f"below the {lo:.0%} floor of a good ordinary group")
    return notes


def _n(x: float | None) -> str:
    return "?" if x is None or (isinstance(x, float) and math.isnan(x)) else str(int(x))
