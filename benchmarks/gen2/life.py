"""Group life cycles: a daily activity level, the day the group dies, and phases that change who talks.

Each plan is a pure function of (rng, history start, as_of); ``level(day)`` is
the multiplier on the group's base thread rate, ``death`` the first day nobody
but spammers writes (None: alive past the 30-day horizon).  Why each shape
(DOMAIN.md, "Why groups die"):

- healthy: steady, week-to-week noise (lognormal, sigma 0.25) and, in half of
  them, one week at 50-60 % of normal that recovers: a dip is not death.
- holiday_lull: healthy, but the Spring Festival fortnight runs at 15-35 %;
  it recovers after the holiday (the corpus ends ~2.5 weeks after it).
- slow_decline: "lively 1-2 months, dead by month 3-4": a launch burst, then a
  steady fall to zero; the zero lands between 15 days before and 60 days after
  as_of, so some declining groups are NOT dead within 30 days.
- sudden_death: healthy until a quarrel (challengers and a polarising owner),
  then members leave and the group stops within days; the quarrel falls
  between 25 days before and 20 days after as_of (the tension starts 10 days
  earlier, so a late quarrel shows only its run-up).
- monologue (独角戏): after a short lively start the owner talks alone, nobody
  answers, and the owner gives up 0-25 days after as_of.
- core_quits: the few thinkers go quiet 14-40 days before as_of; what is left
  (jokes, trivia, ads) fades to nothing 0-30 days after as_of.
- ad_flood: ads take over (刷单, 代购, 内推), members mute and leave; the
  humans stop 10 days before to 25 days after as_of.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

# lifecycle -> share of a corpus (largest remainder over N groups), and whether it dies within 30 days
LIFECYCLES: dict[str, float] = {
    "healthy": 0.26, "holiday_lull": 0.12, "slow_decline": 0.16, "sudden_death": 0.10,
    "monologue": 0.12, "core_quits": 0.12, "ad_flood": 0.12,
}
HORIZON = 30
# Spring Festival (正月初一) dates, from the lunar calendar
SPRING_FESTIVAL = {2024: dt.date(2024, 2, 10), 2025: dt.date(2025, 1, 29), 2026: dt.date(2026, 2, 17),
                   2027: dt.date(2027, 2, 6)}


@dataclass
class Plan:
    lifecycle: str
    start: dt.date
    as_of: dt.date
    death: dt.date | None
    weekly: dict[int, float] = field(default_factory=dict)   # week index -> multiplier
    dip: tuple[dt.date, dt.date] | None = None
    lull: tuple[dt.date, dt.date, float] | None = None
    turn: dt.date | None = None      # monologue starts / thinkers quit / quarrel day

    @property
    def dead_within_30d(self) -> bool:
        return self.death is not None and self.death <= self.as_of + dt.timedelta(days=HORIZON)

    def level(self, day: dt.date) -> float:
        """Thread-rate multiplier on ``day`` (0 after death)."""
        if self.death is not None and day >= self.death:
            return 0.0
        week = (day - self.start).days // 7
        x = self.weekly.get(week, 1.0)
        age = (day - self.start).days
        if age < 14:
            x *= 1.6  # a new group's launch weeks are its liveliest
        if self.dip and self.dip[0] <= day < self.dip[1]:
            x *= 0.55
        if self.lull and self.lull[0] <= day < self.lull[1]:
            x *= self.lull[2]
        return x * self._shape(day)

    def _shape(self, day: dt.date) -> float:
        lc = self.lifecycle
        if lc == "slow_decline" and self.death:
            span = max((self.death - self.start).days, 1)
            return max(0.0, 1 - (day - self.start).days / span) ** 1.3
        if lc in ("core_quits", "ad_flood", "monologue") and self.death and self.turn and day >= self.turn:
            span = max((self.death - self.turn).days, 1)
            floor = {"core_quits": 0.55, "ad_flood": 0.8, "monologue": 0.35}[lc]
            return floor * max(0.0, 1 - (day - self.turn).days / span) ** 0.8
        return 1.0

    def phase(self, day: dt.date) -> str:
        """'normal', 'tension' (before a quarrel), 'quarrel', 'alone' (monologue), 'quit' (core gone)."""
        if self.turn is None:
            return "normal"
        lc = self.lifecycle
        if lc == "sudden_death":
            if day == self.turn:
                return "quarrel"
            if self.turn - dt.timedelta(days=10) <= day < self.turn:
                return "tension"
        elif lc == "monologue" and day >= self.turn:
            return "alone"
        elif lc == "core_quits" and day >= self.turn:
            return "quit"
        return "normal"


def _days(rng: random.Random, lo: int, hi: int) -> dt.timedelta:
    return dt.timedelta(days=rng.randint(lo, hi))


def make_plan(rng: random.Random, lifecycle: str, as_of: dt.date) -> Plan:
    """The life of one group ending (in the export) at ``as_of``."""
    history = rng.randint(70, 200) if lifecycle != "slow_decline" else rng.randint(60, 120)
    start = as_of - dt.timedelta(days=history)
    plan = Plan(lifecycle, start, as_of, None)
    weeks = history // 7 + HORIZON // 7 + 2
    plan.weekly = {w: math.exp(rng.gauss(0, 0.25)) for w in range(weeks)}
    if lifecycle in ("healthy", "holiday_lull") and rng.random() < 0.5:
        d0 = start + _days(rng, 21, max(22, history - 12))
        plan.dip = (d0, d0 + dt.timedelta(days=7))
    if lifecycle == "holiday_lull":
        sf = SPRING_FESTIVAL[as_of.year] if SPRING_FESTIVAL[as_of.year] < as_of else SPRING_FESTIVAL[as_of.year - 1]
        plan.lull = (sf - dt.timedelta(days=8), sf + dt.timedelta(days=7), rng.uniform(0.15, 0.35))
    if lifecycle == "slow_decline":
        plan.death = as_of + _days(rng, -15, 60)
    elif lifecycle == "sudden_death":
        plan.turn = as_of + _days(rng, -25, 20)
        plan.death = plan.turn + _days(rng, 1, 4)
    elif lifecycle == "monologue":
        plan.turn = start + _days(rng, 14, 30)
        plan.death = as_of + _days(rng, 0, 25)
    elif lifecycle == "core_quits":
        plan.turn = as_of - _days(rng, 14, 40)
        plan.death = as_of + _days(rng, 0, 30)
    elif lifecycle == "ad_flood":
        plan.turn = start + dt.timedelta(days=history // 3)
        plan.death = as_of + _days(rng, -10, 25)
    return plan


def assign_lifecycles(rng: random.Random, n: int) -> list[str]:
    """Exactly the shares of ``LIFECYCLES`` (largest remainder), in a shuffled order."""
    raw = {k: v * n for k, v in LIFECYCLES.items()}
    counts = {k: int(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: raw[k] - counts[k], reverse=True)[: n - sum(counts.values())]:
        counts[k] += 1
    out = [k for k, c in counts.items() for _ in range(c)]
    rng.shuffle(out)
    return out
