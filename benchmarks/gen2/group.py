"""One generated group: members with planted roles, a life-cycle plan, the conversation and its truth."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

import pandas as pd

from . import phrases as P
from .life import Plan, make_plan
from .sim import Conversation, Member, Msg, simulate

CITIES = ("北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "南京", "西安", "长沙", "苏州", "重庆", "厦门", "青岛")
MSGS_PER_THREAD = 3.2   # measured average of a healthy group's thread (start + reactions)


@dataclass
class Gen2Group:
    group_id: str
    name: str
    theme: P.Theme
    plan: Plan
    size_class: str
    members: list[Member]
    messages: list[Msg] = field(default_factory=list)   # through as_of + 30 days; writers cut at as_of

    @property
    def lifecycle(self) -> str:
        return self.plan.lifecycle

    @property
    def as_of(self) -> pd.Timestamp:
        """End of the export: midnight (local) after the plan's as_of date, like the corpus' other groups."""
        return pd.Timestamp(dt.datetime.combine(self.plan.as_of, dt.time())).tz_localize("Asia/Shanghai")

    @property
    def as_of_local(self) -> dt.datetime:
        return dt.datetime.combine(self.plan.as_of, dt.time())

    def exported(self) -> list[Msg]:
        """The messages an export taken at as_of holds."""
        cut = self.as_of_local
        return [m for m in self.messages if m.ts < cut]

    def roster(self) -> list[Member]:
        """Members at as_of (who left before it is no longer on the list)."""
        cut = self.as_of_local
        return [m for m in self.members if m.present(cut)]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for m in self.exported():
            if m.sender is not None:
                out[m.sender.mid] = out.get(m.sender.mid, 0) + 1
        return out

    def truth_roles_for(self, layout: str) -> pd.DataFrame:
        """Per member ever in the group: planted role, messages before as_of and the observable role (a
        talker who wrote nothing before as_of is a lurker).  ``member_id`` is what the
        layout carries: the QQ number (qq) or the display name (wechat, whose text export has no id)."""
        n = self.counts()
        cut = self.as_of_local
        rows = [{"group_id": self.group_id, "group_name": self.name,
                 "member_id": m.mid if layout == "qq" else m.name, "member_name": m.name, "role": m.role,
                 "n_messages": n.get(m.mid, 0), "observable": m.role if n.get(m.mid, 0) else "lurker",
                 "noise": m.noise, "recruiter": m.recruiter, "title": m.title}
                for m in self.members if m.joined is None or m.joined < cut]
        return pd.DataFrame(rows)

    @property
    def truth_roles(self) -> pd.DataFrame:
        return self.truth_roles_for("qq")

    @property
    def truth_life(self) -> dict:
        return {"group_id": self.group_id, "group_name": self.name, "lifecycle": self.lifecycle,
                "dead_within_30d": self.plan.dead_within_30d, "as_of": self.as_of.isoformat(),
                "death": self.plan.death.isoformat() if self.plan.death else "",
                "turn": self.plan.turn.isoformat() if self.plan.turn else ""}


def _counts(rng: random.Random, size_class: str, lifecycle: str, size: int) -> dict[str, int]:
    """How many members play each role (DOMAIN.md: 5-8 % active in an ordinary group, most in a small one)."""
    small, core = size_class == "small", size_class == "core"
    c = {
        "organizer": 1 + (size >= 40 and rng.random() < 0.35),
        "thinker": rng.randint(1, 2) if small else rng.randint(3, 5) if core else rng.randint(2, 4),
        "joker": rng.randint(1, 3) if small else rng.randint(2, 5) if core else rng.randint(2, 4),
        "asker": rng.randint(2, 4) if small else rng.randint(4, 8) if core else rng.randint(3, 7),
        "challenger": rng.choices((0, 1, 2), weights=(35, 45, 20))[0],
        "advertiser": rng.randint(0, 1) if small or core else rng.randint(0, 3),
    }
    if lifecycle == "sudden_death":
        c["challenger"] = max(c["challenger"], 2)
    if lifecycle == "ad_flood":
        c["advertiser"] = rng.randint(4, 8)
    talkers = sum(c.values())
    c["lurker"] = max(size - talkers, 3)
    return c


def _titles(rng: random.Random, members: list[Member]) -> None:
    """Owner and admins: the organizer owns the group in most groups, not all (an absent owner, a thinker)."""
    orgs = [m for m in members if m.role == "organizer"]
    r = rng.random()
    if r < 0.72:
        owner = orgs[0]
    else:
        pool = [m for m in members if m.role == ("thinker" if r < 0.86 else "lurker")]
        owner = rng.choice(pool)
        orgs[0].title = "admin" if rng.random() < 0.5 else "member"
    owner.title = "owner"
    for m in orgs[1:]:
        m.title = "admin" if rng.random() < 0.7 else "member"
    for m in members:
        if m.title == "member" and m.role == "thinker" and rng.random() < 0.25:
            m.title = "admin"
        elif m.title == "member" and m.role == "lurker" and rng.random() < 0.015:
            m.title = "admin"   # a silent admin


def _join_times(rng: random.Random, plan: Plan, m: Member) -> None:
    start = dt.datetime.combine(plan.start, dt.time(10, 0))
    as_of = dt.datetime.combine(plan.as_of, dt.time())
    if m.title == "owner":
        m.joined = start
        return
    r = rng.random()
    early = m.role in ("organizer", "thinker")
    if m.role == "advertiser":
        lo = dt.datetime.combine(plan.turn or plan.start, dt.time()) if plan.lifecycle == "ad_flood" else start
        m.joined = lo + (as_of - lo) * rng.uniform(0.0, 0.85)
    elif r < 0.5 or (early and r < 0.9):
        m.joined = start + dt.timedelta(minutes=rng.randint(1, 240))
    elif r < 0.8:
        m.joined = start + dt.timedelta(days=rng.uniform(0.2, 14))
    else:
        m.joined = start + (as_of - start) * rng.uniform(0.1, 0.97)


def _leave_times(rng: random.Random, plan: Plan, m: Member) -> None:
    """Silent members drift away; in dying groups more of them, and talkers too."""
    as_of = dt.datetime.combine(plan.as_of, dt.time())
    dying = plan.lifecycle in ("ad_flood", "monologue", "slow_decline", "core_quits")
    p = (0.25 if dying else 0.05) if m.role == "lurker" else (0.12 if dying and m.role != "organizer" else 0.0)
    if m.title == "owner" or rng.random() >= p or m.joined is None:
        return
    lo = m.joined + dt.timedelta(days=7)
    hi = as_of
    if dying and plan.turn:
        lo = max(lo, dt.datetime.combine(plan.turn, dt.time()))
    if lo < hi:
        m.left = lo + (hi - lo) * rng.random()


def build_group(rng: random.Random, index: int, lifecycle: str, as_of: dt.date, messages: int) -> Gen2Group:
    theme = rng.choice(P.THEMES)
    size_class = rng.choices(("small", "ordinary", "core"), weights=(35, 45, 20))[0]
    size = {"small": rng.randint(12, 30), "ordinary": rng.randint(80, 300), "core": rng.randint(40, 80)}[size_class]
    plan = make_plan(rng, lifecycle, as_of)
    members: list[Member] = []
    names: set[str] = set()
    ids: set[str] = set()
    counts = _counts(rng, size_class, lifecycle, size)
    lurkers = counts["lurker"]
    noise = min(12, max(1, int(round(lurkers * rng.uniform(0.04, 0.10)))))
    for role, k in counts.items():
        for i in range(k):
            name = P.person_name(rng)
            while name in names or name in ("我", "系统消息"):
                name = P.person_name(rng) + rng.choice("0123456789abcxyz")
            names.add(name)
            mid = str(rng.randint(100000, 3999999999))
            while mid in ids:
                mid = str(rng.randint(100000, 3999999999))
            ids.add(mid)
            m = Member(mid, name, role, weight=rng.lognormvariate(0, 0.4 if role == "organizer" else 1.0),
                       noise=role == "lurker" and i < noise, recruiter=role == "advertiser" and rng.random() < 0.4)
            if m.noise:
                m.budget = rng.randint(2, 9)
            members.append(m)
    _titles(rng, members)
    for m in members:
        _join_times(rng, plan, m)
        _leave_times(rng, plan, m)
    if lifecycle == "core_quits":
        quit_at = dt.datetime.combine(plan.turn, dt.time())
        for m in members:
            if m.role == "thinker" or (m.role == "joker" and rng.random() < 0.5):
                m.quiet_from = quit_at + dt.timedelta(hours=rng.uniform(-120, 24))
    city = rng.choice(CITIES)
    g = Gen2Group(str(rng.randint(10000000, 999999999)), f"{city}{theme.title.removesuffix('群')}{index + 1}群", theme, plan,
                  size_class, members)
    history = max((plan.as_of - plan.start).days, 1)
    target = messages * {"small": 0.5, "ordinary": 1.0, "core": 1.3}[size_class] * rng.lognormvariate(0, 0.3)
    base = target / (MSGS_PER_THREAD * history)
    conv = Conversation(rng, theme, members, plan, reply_rate=rng.uniform(0.7, 0.92))
    simulate(conv, base)
    g.messages = conv.msgs
    return g
