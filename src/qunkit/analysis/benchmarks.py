"""The practice's reference figures (shared/DOMAIN.md), to print beside a group's own.

Kept as data so every command shows the same numbers with the same wording.
"""

from __future__ import annotations

import math
from typing import Any

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
    """The practice's figures for a group of this size (``benchmarks_for``), then
    where this group's own monthly active rate sits against them."""
    known = members is not None and not (isinstance(members, float) and math.isnan(members))
    rate = None if active_rate is None or (isinstance(active_rate, float) and math.isnan(active_rate)) else active_rate
    ref = benchmarks_for(int(members) if known else None, platform)
    pct = f"{rate:.0%}" if rate is not None else "unknown"
    lo, hi = ORDINARY_ACTIVE
    headline = [f"this group: {_n(members)} members, {pct} active in the last 30 days",
                f"good ordinary group: {ORDINARY_GROUP[0]}–{ORDINARY_GROUP[1]} members, {lo:.0%}–{hi:.0%} active",
                f"core / paid group (秋叶PPT, {CORE_GROUP_MEMBERS} members): above {CORE_ACTIVE_MIN:.0%} active"]
    # size-specific figures, without repeating the two headline benchmarks
    notes = headline + [n for n in ref["notes"] if not n.startswith(("good ordinary group", "core/paid group"))]
    if known and (verdict := active_verdict(rate, ref)):
        notes.append(verdict)
    return notes


def active_verdict(rate: float | None, ref: dict[str, Any]) -> str | None:
    """Where an active rate sits against ``benchmarks_for``'s range for its size (None: unknown or
    unremarkable) -- the one wording ``analyze`` and ``activity`` print."""
    if rate is None or (isinstance(rate, float) and math.isnan(rate)):
        return None
    lo, hi = ref["active_low"], ref["active_high"]
    if lo is not None and rate < lo:
        return f"below the {lo:.0%} a group of this size should have active"
    if hi is not None and rate > hi:
        return f"above the {lo:.0%}–{hi:.0%} usual for a group of this size"
    if ref["size_class"] != "core" and rate >= CORE_ACTIVE_MIN:
        return f"active like a core group (above {CORE_ACTIVE_MIN:.0%})"
    return None


def _n(x: float | None) -> str:
    return "?" if x is None or (isinstance(x, float) and math.isnan(x)) else str(int(x))


def benchmarks_for(group_size: int | None, platform: str | None = None) -> dict[str, Any]:
    """The practice's reference figures for a group of this size on this platform.

    Returns ``size_class`` (small/core/dunbar/ordinary/large/unknown), the expected active
    rate range (``active_low``/``active_high``, None where the articles give none),
    ``platform_cap`` and ``cap_used``, and ``notes``: sentences to print beside the
    group's own figures.
    """
    plat = (platform or "").lower()
    cap = PLATFORM_CAP.get(plat)
    out: dict[str, Any] = {"size": group_size, "size_class": "unknown", "active_low": None,
                           "active_high": None, "platform_cap": cap, "cap_used": None, "notes": []}
    notes: list[str] = out["notes"]
    lo, hi = ORDINARY_ACTIVE
    if group_size is None:
        notes.append("members unknown (no roster): lurkers and the active rate cannot be counted; import a roster")
    else:
        n = int(group_size)
        if n < SMALL_GROUP_MAX:
            out["size_class"] = "small"
            notes.append(f"small group (小群, under {SMALL_GROUP_MAX}): members know, trust and talk to each other")
        elif n < 100:
            out["size_class"] = "core"
            out["active_low"] = CORE_ACTIVE_MIN
            notes.append(f"core/paid group (秋叶PPT core: {CORE_GROUP_MEMBERS} members): "
                         f"active rate above {CORE_ACTIVE_MIN:.0%}, pruned regularly")
            notes.append("Xiaomi core fans: ~80 people, 20-30 fixed and 50-60 rotating")
        elif n < ORDINARY_GROUP[0]:
            out["size_class"] = "dunbar"
            notes.append(f"around Dunbar's number (~{DUNBAR} meaningful relationships)")
        elif n <= ORDINARY_GROUP[1]:
            out["size_class"] = "ordinary"
            out["active_low"], out["active_high"] = lo, hi
            notes.append(f"good ordinary group: {ORDINARY_GROUP[0]}-{ORDINARY_GROUP[1]} members, "
                         f"{lo:.0%}-{hi:.0%} of them active")
        else:
            out["size_class"] = "large"
            out["active_low"], out["active_high"] = lo, hi
            notes.append(f"past {ORDINARY_GROUP[1]} members per-member participation falls (information overload)")
            notes.append("大熊会 after pruning: 1,800 members, only a few hundred really active")
        if cap:
            out["cap_used"] = round(n / cap, 3)
            notes.append(f"{plat} cap {cap} members: {n} is {n / cap:.0%} of it")
    notes.append(f"cultivate at least {CORE_USERS_MIN} core users; prune monthly, quarterly or half-yearly")
    if plat == "wechat":
        notes.append("typical WeChat group: lively 1-2 months, dead by month 3-4")
    return out
