"""Synthetic group chats with planted member roles, life cycles and the truth beside them.

Why a model and not random text: role detection, dead-group risk and pruning
are judged against what we *planted*.  A group is simulated as

* members with a truth role, a roster role, a join time, maybe a leave/kick,
  an *activity* weight and a personal *style* (weights over acts, mixed with a
  secondary role so signals overlap);
* a life cycle: per-day intensity ``f`` (how much is said) and responsiveness
  ``resp`` (how likely a message gets answered), plus lifecycle events
  (death day, Spring-Festival lull, shrink, quiet spell and revival);
* threads: a starter act (question, long post, banter, announcement, 刷屏 "1"
  ...) followed by a reply chain whose length scales with ``resp`` and whose
  delays depend on who answers (thinkers answer and get answered in minutes);
* side processes: joins (with inviter), leaves, an advertiser's repeated ads
  and the kicks they earn, complaints, a roll call (在的请打1) with its kicks,
  recalls.

Time is simulated 30 days past ``as_of`` so ``truth_life['dead_within_30d']``
is *observed*, not assumed; only messages up to ``as_of`` are exported.
Hot loops use :mod:`random` (cheap scalar draws) and flat lists; pandas is
used once at the end.  Everything is a pure function of the seed.
"""

from __future__ import annotations

import bisect
import math
import random
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from itertools import accumulate
from typing import Any

import numpy as np
import pandas as pd

from ..holidays import spring_festival
from ..localtime import DEFAULT_TZ
from ..vocabulary import LIFECYCLES, ROLES
from . import names as nm
from . import phrases as ph

TZ = DEFAULT_TZ
UTC_OFFSET = 8 * 3600  # Asia/Shanghai has had no DST since 1991: local = UTC + 8h
DAY = 86400
FUTURE_DAYS = 30

PLATFORMS = ("qq", "wechat")

# Acts: the intent behind a message (kept in ``messages.act`` as truth).
ACTS = ("announce", "event", "welcome", "checkin", "rollcall", "rollcall_answer", "org_reply", "kick_notice",
        "long", "answer", "opinion", "laugh", "banter", "sticker", "image", "redpacket", "thanks", "question",
        "reask", "ack", "complain", "agree", "ad", "chat", "greeting", "link", "flood", "flood_start", "festive",
        "system")
(ANNOUNCE, EVENT, WELCOME, CHECKIN, ROLLCALL, ROLLCALL_ANSWER, ORG_REPLY, KICK_NOTICE, LONG, ANSWER, OPINION,
 LAUGH, BANTER, STICKER, IMAGE, REDPACKET, THANKS, QUESTION, REASK, ACK, COMPLAIN, AGREE, AD, CHAT, GREETING,
 LINK, FLOOD, FLOOD_START, FESTIVE, SYSTEM) = range(len(ACTS))
N_ACTS = len(ACTS)

# Acts that are not conversation: used for the dead-group truth.
NON_CONVERSATION = frozenset({"ad", "flood", "flood_start", "checkin", "rollcall", "rollcall_answer", "system",
                              "kick_notice", "welcome"})

_BUILDERS = {
    ANNOUNCE: ph.announce, EVENT: ph.event, CHECKIN: ph.checkin, ROLLCALL: ph.rollcall,
    ROLLCALL_ANSWER: ph.rollcall_answer, ORG_REPLY: ph.org_reply, KICK_NOTICE: ph.kick_notice, LONG: ph.long,
    ANSWER: ph.answer, OPINION: ph.opinion, LAUGH: ph.laugh, BANTER: ph.banter, STICKER: ph.sticker,
    IMAGE: ph.image, REDPACKET: ph.redpacket, THANKS: ph.thanks, QUESTION: ph.question, REASK: ph.reask,
    ACK: ph.ack, COMPLAIN: ph.complain, AGREE: ph.agree, CHAT: ph.chat, GREETING: ph.greeting,
    FLOOD: ph.flood, FLOOD_START: ph.flood_start, FESTIVE: ph.festive,
}

_NO_MENTION = frozenset({STICKER, IMAGE, REDPACKET, LINK})
_ACT_KIND = {STICKER: "sticker", IMAGE: "image", REDPACKET: "redpacket", LINK: "link", SYSTEM: "system"}

# Role styles: weights over acts.  Every member mixes in a secondary role and noise.
ROLE_STYLE: dict[str, dict[int, float]] = {
    "organizer": {ANNOUNCE: 3, EVENT: 2, CHECKIN: 1, ANSWER: 1.2, OPINION: 1, CHAT: 2, ACK: 1, LAUGH: 0.6,
                  STICKER: 0.5, LINK: 1.2, REDPACKET: 0.6, QUESTION: 0.3, ORG_REPLY: 3, IMAGE: 0.6,
                  FLOOD_START: 0.5, LONG: 0.6},
    "thinker": {LONG: 4, ANSWER: 4, OPINION: 3, CHAT: 1.2, LINK: 0.8, LAUGH: 0.4, QUESTION: 0.5, IMAGE: 0.5,
                STICKER: 0.2, ACK: 0.3, AGREE: 0.2},
    "joker": {LAUGH: 4, BANTER: 4, STICKER: 3, REDPACKET: 0.8, THANKS: 2, IMAGE: 1, CHAT: 1.5, QUESTION: 0.3,
              ACK: 0.4, FLOOD: 0.6, OPINION: 0.3},
    "asker": {QUESTION: 8, REASK: 1, ACK: 2, CHAT: 1.2, LAUGH: 0.5, STICKER: 0.4, IMAGE: 0.5, THANKS: 0.5,
              OPINION: 0.3},
    "challenger": {COMPLAIN: 8, AGREE: 2, OPINION: 1.0, CHAT: 0.8, QUESTION: 0.4, LAUGH: 0.3, BANTER: 0.5},
    "lurker": {ACK: 2, CHAT: 1, QUESTION: 0.4, STICKER: 0.5, LAUGH: 0.4, THANKS: 1, FLOOD: 1, CHECKIN: 0.3,
               AGREE: 0.3},
    "advertiser": {},
}
_BASELINE = {FLOOD: 0.4, CHECKIN: 0.3, THANKS: 0.3, ACK: 0.3, CHAT: 0.3, LAUGH: 0.2, FESTIVE: 0.5}
_SECONDARY = {"organizer": ("thinker", "joker"), "thinker": ("asker", "organizer", "joker", "challenger"),
              "joker": ("asker", "thinker", "challenger"), "asker": ("joker", "thinker", "lurker"),
              "challenger": ("thinker", "joker", "asker"), "lurker": ("asker", "joker")}
# (mean, lognormal sigma) of how much a member talks, relative to others
_ACTIVITY = {"organizer": (3.0, 0.5), "thinker": (2.2, 0.6), "joker": (3.0, 0.7), "asker": (1.4, 0.6),
             "challenger": (1.0, 0.5), "lurker": (0.0, 0.0), "advertiser": (0.0, 0.0)}

# Threads start member-first: a speaker (by activity) picks one of these acts by their own style times
# this multiplier, so each member's mix of messages follows their role (with overlap and noise).
_START_MULT = {QUESTION: 1.6, LONG: 1.0, OPINION: 0.8, CHAT: 1.0, BANTER: 1.0, LAUGH: 0.6, STICKER: 0.5,
               IMAGE: 1.0, LINK: 1.0, ANNOUNCE: 0.7, EVENT: 0.6, CHECKIN: 0.5, COMPLAIN: 1.2, REDPACKET: 0.6,
               FLOOD_START: 0.2}
_STARTERS = tuple(_START_MULT)
ACTIVITY = N_ACTS  # extra column of the weight matrix: plain activity, for member-first picks

# Reply chains: starter act -> (reply act weights, mean length at full responsiveness, mean delay s,
#                               P(reply targets the starter rather than the previous message), pool)
_CHAINS: dict[int, tuple[dict[int, float], float, float, float, str]] = {
    LONG: ({OPINION: 3, QUESTION: 1.5, ACK: 2, CHAT: 1, LAUGH: 0.8, LONG: 1, ANSWER: 0.7}, 4.0, 70, 0.7, "s"),
    OPINION: ({OPINION: 3, CHAT: 2, LAUGH: 1, BANTER: 1, AGREE: 0.7, STICKER: 0.7}, 2.5, 120, 0.4, "s"),
    CHAT: ({CHAT: 3, BANTER: 2, LAUGH: 2, STICKER: 1, OPINION: 1, IMAGE: 0.5}, 2.5, 150, 0.3, "s"),
    BANTER: ({LAUGH: 3, BANTER: 3, STICKER: 2, IMAGE: 0.7, CHAT: 0.7}, 4.0, 35, 0.2, "s"),
    LAUGH: ({LAUGH: 3, BANTER: 3, STICKER: 2, CHAT: 0.7}, 2.5, 35, 0.2, "s"),
    STICKER: ({STICKER: 3, LAUGH: 2, BANTER: 1}, 2.0, 30, 0.2, "s"),
    IMAGE: ({CHAT: 2, LAUGH: 2, QUESTION: 1, OPINION: 1, STICKER: 1}, 2.0, 100, 0.7, "s"),
    LINK: ({ACK: 2, OPINION: 2, QUESTION: 0.8, CHAT: 1}, 1.5, 300, 0.8, "s"),
    ANNOUNCE: ({ACK: 5, QUESTION: 1, FLOOD: 1}, 3.0, 240, 0.9, "s"),
    EVENT: ({ACK: 4, QUESTION: 1.5, FLOOD: 2, CHAT: 0.5}, 3.5, 300, 0.9, "s"),
    COMPLAIN: ({ORG_REPLY: 2, AGREE: 2, COMPLAIN: 1, BANTER: 0.5, CHAT: 0.5}, 2.0, 180, 0.7, "s"),
    REDPACKET: ({THANKS: 5, LAUGH: 1, STICKER: 1}, 5.0, 20, 0.8, "s"),
    FESTIVE: ({FESTIVE: 4, REDPACKET: 1, STICKER: 1, THANKS: 1}, 3.0, 200, 0.3, "s"),
    CHECKIN: ({CHECKIN: 1}, 4.0, 400, 0.0, "e"),
    FLOOD_START: ({FLOOD: 1}, 15.0, 12, 0.0, "e"),
}
_CHAIN_CUM = {k: (list(v[0]), list(accumulate(v[0].values()))) for k, v in _CHAINS.items()}

# Hour-of-day profile of thread starts (local time): lunch and evening peaks, quiet nights.
_HOURS = [0.6, 0.3, 0.15, 0.08, 0.05, 0.05, 0.15, 0.6, 1.3, 1.8, 2.0, 2.0, 2.2, 1.6, 1.5, 1.6, 1.6, 1.5, 1.6,
          2.2, 2.8, 3.0, 2.5, 1.4]
_HOURS_CUM = list(accumulate(_HOURS))


@dataclass(frozen=True)
class Person:
    """Someone who may sit in several groups (an operator, a spam account)."""

    member_id: str
    name: str


@dataclass
class GroupSpec:
    """Everything that determines one generated group (with ``seed``, fully)."""

    name: str
    lifecycle: str = "healthy"
    n_members: int = 120            # people who joined by as_of (the roster is smaller by leavers/kicks)
    start: Any = None               # first day the export covers; default as_of - 180 days
    as_of: Any = "2024-03-31"       # export time; a bare date means the end of that day
    seed: int = 0
    platform: str = "qq"            # qq | wechat
    messages: int = 3000            # approximate messages exported (up to as_of)
    group_id: str | None = None
    topic: str | None = None        # one of phrases.TOPICS labels
    owner: Person | None = None     # operator shared across groups
    shared_advertisers: tuple[Person, ...] = ()
    rollcall: bool | None = None    # None: lifecycle decides
    lull_start: Any = None          # holiday_lull: first quiet day (default around Spring Festival)


@dataclass
class GeneratedGroup:
    """One synthetic group: what an export shows, and the truth behind it."""

    spec: GroupSpec
    group_id: str
    name: str
    platform: str
    lifecycle: str
    topic: str
    start: pd.Timestamp
    as_of: pd.Timestamp
    self_id: str                    # the exporting account (WeChat IsSender=1): the owner
    messages: pd.DataFrame          # exported: ts <= as_of
    future: pd.DataFrame            # (as_of, as_of + 30d]: never exported, the basis of dead_within_30d
    roster: pd.DataFrame            # member_id, member_name, role, joined, last_spoke, title
    truth_roles: pd.DataFrame
    truth_life: dict[str, Any]
    rollcall: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return (f"GeneratedGroup({self.name!r}, {self.lifecycle}, {self.platform}, messages={len(self.messages)}, "
                f"roster={len(self.roster)}, dead_within_30d={self.truth_life['dead_within_30d']})")


def stable_seed(*parts: Any) -> int:
    """A seed from strings/ints that does not change between runs (``hash`` is salted)."""
    return zlib.crc32("\x1f".join(map(str, parts)).encode())


def _as_ts(x: Any, end_of_day: bool) -> pd.Timestamp:
    """Local Asia/Shanghai timestamp; bare dates become the start or end of the day."""
    bare = isinstance(x, date) and not isinstance(x, datetime) or (isinstance(x, str) and len(x.strip()) <= 10)
    ts = pd.Timestamp(x)
    ts = ts.tz_localize(TZ) if ts.tzinfo is None else ts.tz_convert(TZ)
    if bare and end_of_day:
        ts = ts.normalize() + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
    return ts.floor("s")


def _local_secs(ts: pd.Timestamp) -> int:
    return int(ts.timestamp()) + UTC_OFFSET


class _Member:
    __slots__ = ("idx", "id", "name", "title", "role", "role2", "roster_role", "joined", "left", "left_how",
                 "act", "style", "frm", "until", "alive", "founder", "shared")

    def __init__(self, idx: int, mid: str, name: str, role: str) -> None:
        self.idx, self.id, self.name, self.role = idx, mid, name, role
        self.title: str | None = None
        self.role2: str | None = None
        self.roster_role = "member"
        self.joined = 0
        self.left: int | None = None
        self.left_how: str | None = None
        self.act = 0.0
        self.style: list[float] = [0.0] * N_ACTS
        self.frm = 0
        self.until = 1 << 62
        self.alive = False     # a lurker who still reads (answers a roll call)
        self.founder = False
        self.shared = False


class _Sim:
    """One group's simulation; ``run`` returns a GeneratedGroup."""

    def __init__(self, spec: GroupSpec) -> None:
        if spec.lifecycle not in LIFECYCLES:
            raise ValueError(f"unknown lifecycle {spec.lifecycle!r}; one of {', '.join(LIFECYCLES)}")
        if spec.platform not in PLATFORMS:
            raise ValueError(f"unknown platform {spec.platform!r}; one of {', '.join(PLATFORMS)}")
        if spec.n_members < 5:
            raise ValueError("n_members must be at least 5")
        self.spec = spec
        self.r = random.Random(stable_seed("group", spec.seed, spec.name, spec.lifecycle))
        self.nr = np.random.default_rng(stable_seed("np", spec.seed, spec.name))
        self.qq = spec.platform == "qq"
        self.as_of = _as_ts(spec.as_of, end_of_day=True)
        start = (_as_ts(spec.start, end_of_day=False) if spec.start is not None
                 else self.as_of.normalize() - pd.Timedelta(days=180))
        self.start = start.normalize()
        if self.start >= self.as_of:
            raise ValueError("start must be before as_of")
        self.t0 = _local_secs(self.start)             # local seconds at day 0 midnight
        self.t_asof = _local_secs(self.as_of)
        self.D = max(1, math.ceil((self.t_asof - self.t0 + 1) / DAY))  # exported days
        self.Dtot = self.D + FUTURE_DAYS + 1
        self.t_end = self.t_asof + FUTURE_DAYS * DAY
        topics = {t.label: t for t in ph.TOPICS}
        self.topic = topics[spec.topic] if spec.topic else self.r.choice(ph.TOPICS)
        self.group_id = spec.group_id or nm.group_id(self.r, spec.platform)
        self.life: dict[str, Any] = {}
        # output rows: (ts, who, act, text, reply, mention, url, event, target, actor)
        self.out: list[tuple] = []
        self.rollcall_info: dict[str, Any] | None = None

    # --- output --------------------------------------------------------------------------------------

    def emit(self, ts: int, who: int, act: int, text: str, reply: int = -1, mention: Any = None,
             url: str | None = None, event: str | None = None, target: int = -1, actor: int = -1) -> int:
        self.out.append((ts, who, act, text, reply, mention, url, event, target, actor))
        return len(self.out) - 1

    def say(self, ts: int, who: int, act: int, reply: int = -1, at: int = -1) -> int:
        """A member's message for ``act``; ``at`` = member to @-mention."""
        r = self.r
        url = None
        if act == LINK:
            caption, title, url = ph.link(r, self.topic)
            if self.qq:
                text = f"{caption}{r.choice((' ', chr(10)))}{url}" if caption else url
            else:
                text = title
        elif act == WELCOME:
            text = ph.welcome(r, self.topic, self.m[at].name if at >= 0 and r.random() < 0.6 else "")
            at = -1 if "@" not in text else at
            if at >= 0 and not self.qq:
                text = text.replace(f"@{self.m[at].name} ", f"@{self.m[at].name}\u2005")
            return self.emit(ts, who, act, text, reply, [self.m[at].id] if at >= 0 else None, None)
        else:
            text = _BUILDERS[act](r, self.topic)
        mention: Any = None
        if at >= 0 and act in _NO_MENTION:  # stickers, pictures and red packets go out bare
            at = -1
        if at >= 0:
            text = f"@{self.m[at].name}{' ' if self.qq else chr(0x2005)}{text}"
            mention = [self.m[at].id]
        elif "@全体成员" in text:
            mention = ["@all"]  # WeChat's @所有人 is spelled at assembly
        return self.emit(ts, who, act, text, reply, mention, url)

    def system(self, ts: int, text: str, event: str, target: int = -1, actor: int = -1) -> int:
        return self.emit(ts, -1, SYSTEM, text, event=event, target=target, actor=actor)

    # --- time helpers --------------------------------------------------------------------------------

    def time_in_day(self, day: int) -> int:
        h = bisect.bisect(_HOURS_CUM, self.r.random() * _HOURS_CUM[-1])
        return self.t0 + day * DAY + min(h, 23) * 3600 + self.r.randrange(3600)

    def delay(self, mean: float) -> int:
        return 3 + int(min(self.r.expovariate(1.0 / mean), 6 * 3600))

    # --- plan ----------------------------------------------------------------------------------------

    def plan_life(self) -> None:
        """Per-day intensity f, responsiveness resp, join density: the life cycle."""
        r, D, n = self.r, self.D, self.Dtot
        d = np.arange(n, dtype=float)
        lc = self.spec.lifecycle
        ramp = np.minimum(1.0, 0.5 + d / 14)
        wave = 1 + 0.15 * np.sin(2 * np.pi * d / 30 + r.uniform(0, 6.28))
        f = ramp * wave
        resp = np.full(n, 0.85)
        joins = np.ones(n)
        joins[:14] *= 3
        life = self.life
        if lc == "dying":
            death = D + r.uniform(2, 14)  # goes quiet within the two weeks after as_of
            if r.random() < 0.3:  # sudden: ordinary until a week or two before as_of, then collapses
                drop = D - r.uniform(5, 12)
                f = np.where(d < drop, 0.8 * ramp * wave, 0.8 * np.exp(-(d - drop) / 3))
                life["variant"], life["drop_at"] = "sudden", drop
            else:  # slow: peaks in the first weeks, fades over months
                peak = r.uniform(10, 35) if D > 50 else D * 0.3
                tau = max(3.0, (death - peak) / math.log(1 / 0.05))
                f = np.where(d < peak, 0.6 + 0.4 * d / max(peak, 1), np.exp(-(d - peak) / tau))
                life["variant"] = "slow"
            f = np.where(d >= death, 0.0, f)
            resp = 0.12 + 0.75 * np.clip(f, 0, 1)
            joins = np.clip(f, 0.02, None)
            life["dies_at"] = death
        elif lc == "dead":
            death = min(r.uniform(90, 120), D - r.uniform(21, 45))
            death = max(death, min(14.0, D * 0.5))
            lively = min(r.uniform(35, 60), death * 0.6)
            tau = max(2.0, (death - lively) / 3)
            f = np.where(d < lively, ramp * wave, np.exp(-(d - lively) / tau))
            f = np.where(d >= death, 0.0, f)
            resp = 0.15 + 0.7 * np.clip(f, 0, 1)
            joins = np.where(d < death * 0.8, np.clip(f, 0.05, None), 0.0)
            life["dies_at"] = death
        elif lc == "flooded":
            resp[:] = 0.35
            life["flood_share"] = (0.2, 0.5)
        elif lc == "one_man_show":
            f = 0.5 + 0.1 * np.sin(2 * np.pi * d / 7)
            resp[:] = 0.06
        elif lc == "holiday_lull":
            a = self._lull_start()
            b = a + r.uniform(8, 14)
            mask = (d >= a) & (d < b)
            f = np.where(mask, 0.06, f)
            resp = np.where(mask, 0.6, resp)
            joins = np.where(mask, 0.15, joins)  # nobody joins a group over Spring Festival
            life["lull"] = (a, b)
            life["variant"] = "quiet_at_as_of" if a <= D <= b else "before_as_of"
        elif lc == "shrunk_stable":
            s = r.uniform(0.3, 0.55) * D
            f = np.where(d < s, f, 0.45 + (f - 0.45) * np.exp(-(d - s) / 5))
            life["shrink_at"] = s
        elif lc == "revival":
            q1 = D - r.uniform(20, 40)
            q0 = min(r.uniform(0.3, 0.45) * D, q1 - 21)
            if q0 < 7:
                q1 = max(q1, 28.0)
                q0 = max(7.0, q1 - 21)
            decay = np.exp(-(d - q0) / 3)
            f = np.where(d < q0, f, np.where(d < q1, np.maximum(decay, 0.03), 0.85 * wave))
            f = np.where((d >= q1) & (d < q1 + 3), 1.4, f)
            resp = np.where((d >= q0) & (d < q1), 0.2, np.where(d < q0, 0.8, 0.75))
            joins = np.where((d >= q0) & (d < q1), 0.05, 1.0)
            joins = np.where((d >= q1) & (d < q1 + 10), 12.0, joins)
            life["quiet"] = (q0, q1)
        weekend = ((np.arange(n) + self.start.day_of_week) % 7) >= 5
        f = f * np.where(weekend, 1 + r.uniform(-0.3, 0.3), 1.0)
        self.f, self.resp, self.joins = np.clip(f, 0, None), np.clip(resp, 0, 1), joins

    def _lull_start(self) -> float:
        """Day index where the holiday lull begins: a few days before Spring Festival when in range."""
        if self.spec.lull_start is not None:
            return (_local_secs(_as_ts(self.spec.lull_start, False)) - self.t0) / DAY
        D = self.D
        for y in range(self.start.year, self.as_of.year + 2):
            sf = spring_festival(y, TZ)  # 初一, the first day of the new year
            if sf is None:
                continue
            day = (_local_secs(sf) - self.t0) / DAY
            if 35 <= day <= D + 5:
                return day - self.r.uniform(3, 7)
        return self.r.uniform(max(20.0, D - 50), max(21.0, D - 3))

    def _role_counts(self) -> tuple[dict[str, int], int]:
        """(members per role, organizers): sized by the group and its lifecycle."""
        spec = self.spec
        n, lc = spec.n_members, spec.lifecycle
        active_frac = min(0.45, max(0.05, 2.2 / math.sqrt(n)))
        n_org = 1 + (n >= 40) + (n >= 150) + (n >= 600)
        if lc == "one_man_show":
            n_org = 1 + (n >= 150)
        n_act = max(4, round(n * active_frac))
        adv_rate = {"flooded": 0.04, "one_man_show": 0.02, "dead": 0.02}.get(lc, 0.015)
        n_adv = max(len(spec.shared_advertisers), round(n * adv_rate), 1 if n >= 15 else 0)
        counts = {"organizer": n_org, "thinker": max(1, round(n_act * 0.2)), "joker": max(1, round(n_act * 0.25)),
                  "asker": max(1, round(n_act * 0.4)),
                  "challenger": max(1 if n >= 15 else 0, round(n_act * (0.15 if lc in ("dying", "flooded") else 0.1))),
                  "advertiser": n_adv}
        while sum(counts.values()) > n - 1:  # tiny groups: trim the big buckets, keep one lurker at least
            k = max(("asker", "joker", "thinker", "challenger", "advertiser"), key=lambda x: counts[x])
            if counts[k] == 0:
                break
            counts[k] -= 1
        counts["lurker"] = n - sum(counts.values())
        return counts, n_org

    def plan_members(self) -> None:
        spec, r = self.spec, self.r
        n, lc = spec.n_members, spec.lifecycle
        counts, n_org = self._role_counts()
        roles = [role for role in ("thinker", "joker", "asker", "challenger", "advertiser", "lurker")
                 for _ in range(counts[role])]
        r.shuffle(roles)
        roles = ["organizer"] * n_org + roles
        ids = nm.member_ids(r, n, spec.platform)
        names = nm.unique_nicknames(r, n)
        ms = [_Member(i, ids[i], names[i], roles[i]) for i in range(n)]
        if spec.owner is not None:
            ms[0].id, ms[0].name, ms[0].shared = spec.owner.member_id, spec.owner.name, True
        adv = [m for m in ms if m.role == "advertiser"]
        for m, p in zip(adv, spec.shared_advertisers, strict=False):
            m.id, m.name, m.shared = p.member_id, p.name, True
        self._dedupe(ms)
        self.m = ms
        self.orgs = [m.idx for m in ms if m.role == "organizer"]
        self._plan_roster_roles(n_org)
        for m in ms:
            self._plan_style(m)
        if lc == "one_man_show":  # the operator talks; the rest barely
            ms[0].act *= 3
            for m in ms[1:]:
                m.act *= 0.3
        self.plan_membership()

    def _plan_roster_roles(self, n_org: int) -> None:
        """Roster roles (owner, admins, a volunteer without the badge) and QQ titles."""
        ms, r, n = self.m, self.r, len(self.m)
        ms[0].roster_role = "owner"
        for m in ms[1:n_org]:
            m.roster_role = "admin"
        if n_org >= 3 and r.random() < 0.4:  # a volunteer who organizes without the admin badge
            ms[n_org - 1].roster_role = "member"
        if n >= 40 and r.random() < 0.35:
            th = [m for m in ms if m.role == "thinker"]
            if th:
                r.choice(th).roster_role = "admin"
        if self.qq:
            for m in ms:
                if m.roster_role == "owner" and r.random() < 0.4:
                    m.title = "【群主】"
                elif m.roster_role == "admin" and r.random() < 0.7:
                    m.title = r.choice(("【管理员】", "【管理员】", "【元老】", "【班长】"))
                elif m.role not in ("lurker", "advertiser") and r.random() < 0.08:
                    m.title = r.choice(nm.QQ_TITLES_MEMBER[:5])
                elif m.role == "lurker" and r.random() < 0.03:
                    m.title = "【潜水】"

    def _plan_style(self, m: _Member) -> None:
        """One member's activity and act mix: overlapping between roles, noisy."""
        r = self.r
        mean, sigma = _ACTIVITY[m.role]
        if m.role == "lurker":
            m.act = r.uniform(0.01, 0.05) if r.random() < 0.25 else 0.0
            m.alive = r.random() < 0.3
        elif mean > 0:
            m.act = mean * r.lognormvariate(-sigma * sigma / 2, sigma)
        w = [0.0] * N_ACTS
        for a, x in ROLE_STYLE[m.role].items():
            w[a] += x
        if m.role in _SECONDARY:
            m.role2 = r.choice(_SECONDARY[m.role])
            mix = r.uniform(0.1, 0.45)
            for a, x in ROLE_STYLE[m.role2].items():
                w[a] += mix * x
        if m.role != "advertiser":
            for a, x in _BASELINE.items():
                w[a] += x
        w = [x * r.lognormvariate(0, 0.4) if x else 0.0 for x in w]
        if m.role != "organizer":
            for a in (ANNOUNCE, EVENT, ORG_REPLY, ROLLCALL, WELCOME):
                w[a] = 0.0
        tot = sum(w) or 1.0
        m.style = [x / tot for x in w]

    @staticmethod
    def _dedupe(ms: list[_Member]) -> None:
        """Shared people may collide with generated names/ids: rename the generated one."""
        seen_ids: set[str] = set()
        seen_names: set[str] = set()
        for m in sorted(ms, key=lambda x: not x.shared):
            while m.id in seen_ids:
                m.id = m.id + "7" if m.id[-1].isdigit() else m.id + "x"
            while m.name in seen_names:
                m.name += "_"
            seen_ids.add(m.id)
            seen_names.add(m.name)

    def plan_membership(self) -> None:
        """Join, leave and speaking windows (local seconds)."""
        r, lc, D = self.r, self.spec.lifecycle, self.D
        founders_frac = {"healthy": 0.5, "dying": 0.7, "dead": 0.8, "flooded": 0.4, "one_man_show": 0.5,
                         "holiday_lull": 0.5, "shrunk_stable": 0.6, "revival": 0.5}[lc]
        jd = self.joins[:D].astype(float).copy()
        jcum = list(accumulate(jd.tolist()))
        death = self.life.get("dies_at")
        for m in self.m:
            if m.role == "organizer" or (m.role != "advertiser" and r.random() < founders_frac):
                m.founder = True
                m.joined = self.t0 - r.randint(DAY, 90 * DAY)
            elif m.role == "advertiser":
                hi = min(0.95 * D, death - 1 if death else D)
                day = int(r.uniform(min(0.15 * D, hi), max(hi, 1)))
                m.joined = self.time_in_day(min(day, D - 1))
            else:
                day = bisect.bisect(jcum, r.random() * jcum[-1]) if jcum[-1] > 0 else 0
                m.joined = self.time_in_day(min(day, D - 1))
            m.joined = min(m.joined, self.t_asof - 60)
        leave_frac = {"healthy": 0.06, "dying": 0.18, "dead": 0.3, "flooded": 0.15, "one_man_show": 0.2,
                      "holiday_lull": 0.06, "shrunk_stable": 0.12, "revival": 0.1}[lc]
        for m in self.m:
            if m.role in ("organizer", "advertiser"):
                continue
            p = 0.45 if m.role == "challenger" else leave_frac * (1.3 if m.role == "lurker" else 0.8)
            if r.random() < p:
                lo = max(m.joined + DAY, self.t0 + DAY)
                if m.role == "challenger":
                    lo = max(lo, self.t0 + int(0.3 * D * DAY))
                if lo < self.t_end:
                    m.left, m.left_how = r.randint(lo, self.t_end), "leave"
        # speaking windows
        shrink = self.life.get("shrink_at")
        core: set[int] = set()
        if shrink is not None:
            talkers = sorted((m for m in self.m if m.act > 0.3 and m.role != "organizer"), key=lambda x: -x.act)
            core = {m.idx for m in talkers[: r.randint(4, 7)]} | {m.idx for m in self.m if m.role == "organizer"}
        for m in self.m:
            m.frm = max(m.joined, self.t0) + (0 if m.founder else r.randint(0, 3 * DAY))
            until = self._speaking_until(m, death, shrink, core)
            m.until = min(until, m.left) if m.left is not None else until

    def _speaking_until(self, m: _Member, death: float | None, shrink: float | None, core: set[int]) -> int:
        """When ``m`` stops speaking (local seconds; leaving is applied by the caller): the lifecycle
        decides, a shrink silences everyone outside the ``core``, a dead group's organizers last
        until its death."""
        r, lc, D = self.r, self.spec.lifecycle, self.D
        if m.role == "organizer" and lc != "dead":
            until = 1 << 62
        elif lc == "dying" and "drop_at" in self.life:
            until = self.t0 + int((self.life["drop_at"] + r.uniform(-4, 8)) * DAY)
        elif lc == "dying":
            until = self.t0 + int(r.betavariate(1.2, 1.0) * (D + 14) * DAY)
        elif lc == "dead":
            until = self.t0 + int(r.betavariate(2.0, 1.0) * (death or D) * DAY)
        elif lc == "one_man_show":
            until = m.frm + int(r.expovariate(1 / 200) * DAY)
        else:
            until = m.frm + int(r.expovariate(1 / 400) * DAY)
        if shrink is not None and m.idx not in core:
            until = min(until, self.t0 + int((shrink + r.uniform(-7, 7)) * DAY))
        if m.role == "organizer" and lc == "dead":
            until = self.t0 + int((death or D) * DAY)
        return until

    # --- side processes ------------------------------------------------------------------------------

    def present(self, m: _Member, t: int) -> bool:
        return m.joined <= t and (m.left is None or m.left > t)

    def organizer_at(self, t: int) -> int:
        orgs = [i for i in self.orgs if self.present(self.m[i], t)]
        return self.r.choice(orgs) if orgs else 0

    def plan_rollcall(self) -> None:
        spec, r, lc, D = self.spec, self.r, self.spec.lifecycle, self.D
        p = {"healthy": 0.5, "dying": 0.4, "dead": 0.0, "flooded": 0.6, "one_man_show": 0.5, "holiday_lull": 0.3,
             "shrunk_stable": 0.5, "revival": 0.7}[lc]
        want = spec.rollcall if spec.rollcall is not None else r.random() < p
        if not want or D < 10:
            return
        lo, hi = max(int(0.5 * D), D - 60), D - 3
        days = [d for d in range(lo, max(lo + 1, hi)) if self.f[d] > 0.02]
        if not days:
            return
        day = r.choice(days)
        t = self.t0 + day * DAY + r.randint(13 * 3600, 17 * 3600 + 1800)
        org = self.organizer_at(t)
        post = self.say(t, org, ROLLCALL, at=-1)
        deadline = self.t0 + day * DAY + 20 * 3600
        responders, kicked = [], []
        for m in self.m:
            if m.idx == org or not self.present(m, t) or m.role == "organizer":
                continue
            if m.role == "advertiser":
                q = 0.05
            elif m.act > 0 and m.frm <= t <= m.until:
                q = 0.8
            elif m.role == "lurker":
                q = 0.85 if m.alive else 0.03
            else:
                q = 0.3
            if r.random() < q:
                ts = min(t + self.delay(2400), deadline - r.randint(10, 300))
                self.say(max(ts, t + 5), m.idx, ROLLCALL_ANSWER, reply=post)
                responders.append(m.id)
            elif (m.roster_role == "member" and t - m.joined > 7 * DAY
                  and (m.act == 0 or m.until < t - 14 * DAY) and r.random() < 0.7):
                kicked.append(m)
        k_ts = deadline + r.randint(0, 600)
        for m in kicked:
            k_ts += r.randint(2, 40)
            m.left, m.left_how = k_ts, "kick"
            m.until = min(m.until, k_ts)
            self.kick_line(k_ts, m.idx, org)
        if kicked:
            self.emit(k_ts + r.randint(30, 600), org, ANNOUNCE, ph.all_done(r, self.topic))
        self.rollcall_info = {"ts": t, "poster": self.m[org].id, "responders": responders,
                              "kicked": [m.id for m in kicked]}

    def kick_line(self, ts: int, target: int, actor: int) -> None:
        tm, am = self.m[target], self.m[actor]
        if self.qq:
            self.system(ts, f"{tm.name}被管理员{am.name}移出本群。", "kick", target, actor)
        elif actor == 0:
            self.system(ts, f"你将\"{tm.name}\"移出了群聊", "kick", target, actor)
        else:
            self.system(ts, f"\"{am.name}\"将\"{tm.name}\"移出了群聊", "kick", target, actor)

    def plan_ads(self) -> None:
        r, lc = self.r, self.spec.lifecycle
        adv = [m for m in self.m if m.role == "advertiser"]
        if not adv:
            return
        share = {"flooded": 0.08, "dying": 0.03, "one_man_show": 0.03}.get(lc, 0.015)
        per = max(2.0, share * self.spec.messages / len(adv))
        p_kick = {"healthy": 0.25, "flooded": 0.04, "dying": 0.05, "dead": 0.1, "one_man_show": 0.1,
                  "holiday_lull": 0.25, "shrunk_stable": 0.3, "revival": 0.2}[lc]
        p_complain = {"flooded": 0.25, "dying": 0.2}.get(lc, 0.12)
        death = self.life.get("dies_at")
        for m in adv:
            tr = random.Random(stable_seed("ads", m.id)) if m.shared else r
            texts = ph.ad_templates(tr, self.topic, nm.qq_number(tr))
            end = m.joined + int(r.uniform(2, 45) * DAY)
            if death is not None:
                end = min(end, self.t0 + int(death * DAY) - 1)
            end = min(end, self.t_end)
            n_ads = max(2, int(self.nr.poisson(per)))
            times = sorted(r.randint(m.joined + 60, max(m.joined + 61, end)) for _ in range(max(1, n_ads // 2)))
            kicked = False
            for t in times:
                for _ in range(r.choice((1, 1, 1, 2, 3))):  # the same text, again and again
                    i = self.emit(t, m.idx, AD, r.choice(texts))
                    t += r.randint(20, 900)
                if r.random() < p_complain:
                    c = self.pick_at(t, COMPLAIN, exclude=m.idx)
                    if c >= 0:
                        t += self.delay(240)
                        self.say(t, c, COMPLAIN, reply=i)
                if r.random() < p_kick:
                    org = self.organizer_at(t)
                    t += self.delay(900)
                    m.left, m.left_how = t, "kick"
                    self.kick_line(t, m.idx, org)
                    if r.random() < 0.4:
                        self.say(t + self.delay(60), org, KICK_NOTICE)
                    kicked = True
                    break
            if not kicked and r.random() < 0.4:
                m.left, m.left_how = end + r.randint(0, 3 * DAY), "leave"
            m.until = min(m.until, m.left) if m.left else m.until

    def pick_at(self, t: int, act: int, exclude: int = -1) -> int:
        """Slow path (side processes only): a speaker active at ``t`` weighted for ``act``."""
        cands = [(m.idx, m.act * m.style[act]) for m in self.m
                 if m.idx != exclude and m.frm <= t <= m.until and m.act * m.style[act] > 0]
        if not cands:
            return -1
        return self.r.choices([c[0] for c in cands], [c[1] for c in cands])[0]

    def membership_lines(self) -> None:
        """Join (sometimes invited), leave and welcome lines; newcomers' 大家好."""
        r = self.r
        last_welcome = -(1 << 40)
        for m in sorted(self.m, key=lambda x: x.joined):
            if m.joined >= self.t0 and r.random() < 0.92:
                inviter = -1
                if r.random() < (0.3 if self.qq else 0.75):
                    for _ in range(12):  # a present member who talks (or an organizer) brought them in
                        x = r.choice(self.m)
                        if (x.idx != m.idx and self.present(x, m.joined) and x.role != "advertiser"
                                and (x.role == "organizer" or x.act > 0)):
                            inviter = x.idx
                            break
                self.system(m.joined, self._join_text(m, inviter), "join", m.idx, inviter)
                p_welcome = 0.7 * float(self.resp[min(self.Dtot - 1, (m.joined - self.t0) // DAY)])
                if m.joined - last_welcome > 3600 and r.random() < p_welcome:
                    org = self.organizer_at(m.joined)
                    last_welcome = m.joined
                    self.say(m.joined + self.delay(600), org, WELCOME, at=m.idx)
                if m.role != "advertiser" and r.random() < 0.18:
                    self.say(m.joined + self.delay(300), m.idx, GREETING)
            if m.left is not None and m.left_how == "leave" and self.qq and r.random() < 0.8:
                self.system(m.left, f"{m.name}退出本群。", "leave", m.idx)

    def _join_text(self, m: _Member, inviter: int) -> str:
        if self.qq:
            return f"{self.m[inviter].name}邀请{m.name}加入了本群。" if inviter >= 0 else f"{m.name}加入本群。"
        if inviter < 0:
            inviter = 0
        who = "你" if inviter == 0 else f"\"{self.m[inviter].name}\""
        if self.r.random() < 0.3:
            return f"\"{m.name}\"通过扫描{who}分享的二维码加入群聊"
        return f"{who}邀请\"{m.name}\"加入了群聊"

    def recalls(self) -> None:
        r = self.r
        n = len(self.out)
        k = int(n * 0.003)
        for i in r.sample(range(n), min(k, n)):
            ts, who, act = self.out[i][:3]
            if who < 0 or act == AD and r.random() < 0.5:
                continue
            name = "你" if (not self.qq and who == 0) else self.m[who].name
            self.system(ts + r.randint(5, 110), ph.recall_text(name, self.spec.platform), "recall", who)

    # --- threads -------------------------------------------------------------------------------------

    def refresh_pool(self, day: int) -> None:
        lo, hi = self.t0 + day * DAY, self.t0 + (day + 1) * DAY
        pool = [m.idx for m in self.speakers if m.frm < hi and m.until > lo]
        if pool != self.pool:
            self.pool = pool
            self.cum = {}
            self.cum_all = None
        self.everyone = None
        self.day_lo = lo

    def cum_for(self, act: int) -> list[float]:
        c = self.cum.get(act)
        if c is None:
            if self.cum_all is None:  # one numpy pass per pool change serves every act
                self.cum_all = np.cumsum(self.W[self.pool], axis=0) if self.pool else np.zeros((0, N_ACTS + 1))
            c = self.cum_all[:, act].tolist()  # act == ACTIVITY: the activity column
            self.cum[act] = c
        return c

    def pick(self, act: int, exclude: int = -1) -> int:
        c = self.cum_for(act)
        if not c or c[-1] <= 0:
            return -1
        i = -1
        for _ in range(3):
            i = self.pool[min(bisect.bisect(c, self.r.random() * c[-1]), len(c) - 1)]
            if i != exclude:
                return i
        return -1

    def pick_everyone(self, exclude: int = -1) -> int:
        """刷屏 and 打卡 chains pull in people who otherwise never speak."""
        if self.everyone is None:
            t = self.day_lo
            w = self.w_everyone.copy()
            pool = np.asarray(self.pool, dtype=np.int64)
            w[pool[~self.is_lurker[pool]]] = 1.0  # lurkers join a 刷屏 at their own (low) rate
            w[(self.joined_arr > t) | (self.left_arr <= t)] = 0.0
            ids = np.flatnonzero(w > 0)
            self.everyone = (ids.tolist(), np.cumsum(w[ids]).tolist())
        ids, c = self.everyone
        if not c:
            return -1
        for _ in range(3):
            i = ids[min(bisect.bisect(c, self.r.random() * c[-1]), len(c) - 1)]
            if i != exclude:
                return i
        return -1

    def run_threads(self) -> None:
        r, lc = self.r, self.spec.lifecycle
        self.speakers = [m for m in self.m if m.act > 0]
        self.W = np.array([[m.act * w for w in m.style] + [m.act] for m in self.m])
        self.scum = [list(accumulate(m.style[a] * _START_MULT[a] for a in _STARTERS)) for m in self.m]
        self.cum_all: np.ndarray | None = None
        self.joined_arr = np.array([m.joined for m in self.m], dtype=np.int64)
        self.left_arr = np.array([m.left if m.left is not None else 1 << 62 for m in self.m], dtype=np.int64)
        self.w_everyone = np.array([0.0 if m.role == "advertiser" else 0.25 if m.alive else
                                    0.02 if m.role == "lurker" else 0.1 for m in self.m])
        self.is_lurker = np.array([m.role == "lurker" for m in self.m])
        self.pool: list[int] = []
        self.cum: dict[int, list[float]] = {}
        self.everyone = None
        # daily message budget: the life curve scaled so the export holds about `messages`
        emitted = sum(1 for row in self.out if row[0] <= self.t_asof)
        target = max(self.spec.messages - emitted, 0)
        D = self.D
        weight = self.f[:D].sum()
        scale = target / weight if weight > 0 else 0.0
        lam = self.f * scale * self.nr.gamma(4.0, 0.25, size=self.Dtot)
        budget = self.nr.poisson(lam)
        lull = self.life.get("lull")
        flood_share = self.life.get("flood_share")
        debt = 0  # a long 刷屏 chain overshoots a day's budget: the following days pay it back
        for day in range(self.Dtot):
            need = int(budget[day])
            if need <= 0:
                continue
            pay = min(debt, need // 2)
            need -= pay
            debt -= pay
            self.refresh_pool(day)
            if not self.pool:
                continue
            s_flood = 0.0
            if flood_share is not None:  # 刷屏 and 打卡 crowd out talk, more and more
                s_flood = flood_share[0] + (flood_share[1] - flood_share[0]) * min(1.0, day / max(D, 1))
            holiday = lull is not None and lull[0] <= day < lull[1]
            resp = float(self.resp[day])
            starts = sorted(self.time_in_day(day) for _ in range(max(1, need // 3 + 1)))
            done, k = 0, 0
            while done < need:
                if k < len(starts):
                    t = starts[k]
                else:
                    t = self.time_in_day(day)
                k += 1
                if lc == "one_man_show" and r.random() < 0.92:
                    done += self.monologue(t, resp)
                    continue
                cap = max(5, 2 * (need - done))
                if holiday:  # 拜年: wishes, red packets, pictures
                    act = (FESTIVE, FESTIVE, REDPACKET, CHAT, IMAGE)[int(r.random() * 5)]
                    done += self.thread(t, act, resp, cap=cap)
                elif s_flood and r.random() < s_flood:
                    done += self.thread(t, FLOOD_START if r.random() < 0.68 else CHECKIN, resp, cap=cap)
                else:
                    who = self.pick(ACTIVITY)
                    if who < 0:
                        break
                    sc = self.scum[who]
                    act = _STARTERS[bisect.bisect(sc, r.random() * sc[-1])] if sc[-1] > 0 else CHAT
                    done += self.thread(t, act, resp, cap=cap, starter=who)
                if k > 4 * need + 10:
                    break
            debt += max(0, done - need)

    def monologue(self, t: int, resp: float) -> int:
        """The operator posts one to several messages; almost nobody answers (自嗨)."""
        r = self.r
        op = 0
        n = 1 + int(r.expovariate(1 / 1.5))
        acts = (ANNOUNCE, LINK, LONG, EVENT, CHECKIN, IMAGE, CHAT, QUESTION)
        cw = list(accumulate((2, 3, 3, 1, 1, 2, 1, 0.5)))
        first = -1
        for _ in range(n):
            act = acts[bisect.bisect(cw, r.random() * cw[-1])]
            i = self.say(t, op, act)
            first = i if first < 0 else first
            t += self.delay(90)
        extra = 0
        if r.random() < resp * 3:
            who = self.pick(ACK, exclude=op)
            if who >= 0:
                self.say(t + self.delay(900), who, ACK, reply=first)
                extra = 1
        return n + extra

    def thread(self, t: int, act: int, resp: float, cap: int = 1 << 30, starter: int = -1) -> int:
        r = self.r
        if starter < 0:
            everyone = act in (CHECKIN, FLOOD_START) and r.random() < 0.5
            starter = self.pick_everyone() if everyone and act == CHECKIN else self.pick(act)
        if starter < 0:
            act = CHAT
            starter = self.pick(CHAT)
            if starter < 0:
                return 1
        first = self.say(t, starter, act)
        if act == QUESTION:
            return 1 + self.answer_chain(t, starter, first, resp)
        spec = _CHAINS.get(act)
        if spec is None:
            return 1
        _, mean_len, mean_delay, p_starter, pool = spec
        racts, rcum = _CHAIN_CUM[act]
        if pool == "e":
            mean = mean_len * (2.5 if self.spec.lifecycle == "flooded" else 1.0)
        else:
            mean = mean_len * resp
        n = int(r.expovariate(1 / mean)) if mean > 0.05 else 0
        if pool == "e":
            n = min(n, cap)
        prev_i, prev_who = first, starter
        count = 1
        for _ in range(n):
            ract = racts[bisect.bisect(rcum, r.random() * rcum[-1])]
            who = self.pick_everyone(exclude=prev_who) if pool == "e" else self.pick(ract, exclude=prev_who)
            if who < 0:
                continue
            to_i, to_who = (first, starter) if r.random() < p_starter else (prev_i, prev_who)
            d = mean_delay * (0.6 if self.m[who].role == "thinker" or self.m[starter].role == "thinker" else 1.0)
            t += self.delay(d)
            at = to_who if (to_who != who and pool == "s" and r.random() < 0.2) else -1
            prev_i = self.say(t, who, ract, reply=to_i, at=at)
            prev_who = who
            count += 1
        return count

    def answer_chain(self, t: int, asker: int, q: int, resp: float) -> int:
        """A question is answered (quickly, by a thinker if one is around) or left hanging."""
        r = self.r
        if r.random() >= resp * 0.95:
            if r.random() < 0.35:
                self.say(t + self.delay(3 * 3600), asker, REASK, reply=q)
                return 1
            return 0
        a = self.pick(ANSWER, exclude=asker)
        if a < 0:
            return 0
        role = self.m[a].role
        t += self.delay(80 if role == "thinker" else 200 if role == "organizer" else 400)
        ans = self.say(t, a, ANSWER, reply=q, at=asker if r.random() < 0.35 else -1)
        count = 1
        n = int(r.expovariate(1 / max(0.05, 1.8 * resp)))
        prev_i, prev_who = ans, a
        for _ in range(n):
            x = r.random()
            if x < 0.35:
                who, act, to = asker, ACK, ans
            elif x < 0.5:
                who, act, to = asker, QUESTION, ans
            else:
                act = (ANSWER, OPINION, LAUGH, LONG, AGREE)[bisect.bisect((0.35, 0.65, 0.8, 0.92), r.random())]
                who = self.pick(act, exclude=prev_who)
                to = q if r.random() < 0.5 else prev_i
                if who < 0:
                    continue
            if who == prev_who:
                continue
            t += self.delay(90 if self.m[who].role == "thinker" else 180)
            prev_i = self.say(t, who, act, reply=to)
            prev_who = who
            count += 1
        return count

    # --- assemble ------------------------------------------------------------------------------------

    def run(self) -> GeneratedGroup:
        self.plan_life()
        self.plan_members()
        self.plan_rollcall()
        self.plan_ads()
        self.membership_lines()
        self.run_threads()
        self.recalls()
        if self.spec.lifecycle == "revival":
            self._revival_notice()
        return self.assemble()

    def _revival_notice(self) -> None:
        q1 = self.life["quiet"][1]
        t = self.t0 + int(q1) * DAY + 10 * 3600 + self.r.randrange(3600)
        self.say(t, 0, EVENT)
        self.say(t + 600, 0, ANNOUNCE)

    def assemble(self) -> GeneratedGroup:
        spec, r = self.spec, self.r
        cols = list(zip(*self.out, strict=True)) if self.out else [()] * 10
        o_ts, o_who, o_act, o_text, o_reply, o_mention, o_url, o_event, o_target, o_actor = cols
        self.out = []  # the row tuples are dead weight from here on (a million of them)
        ts = np.asarray(o_ts, dtype=np.int64)
        keep = (ts >= self.t0) & (ts <= self.t_end)
        seq = np.arange(len(ts))
        order = np.lexsort((seq, ts))
        order = order[keep[order]]
        new_pos = np.full(len(ts), -1, dtype=np.int64)
        new_pos[order] = np.arange(len(order))
        who = np.asarray(o_who, dtype=np.int64)[order]
        acts = np.asarray(o_act, dtype=np.int64)[order]
        reply = np.asarray(o_reply, dtype=np.int64)[order]
        reply = np.where(reply >= 0, new_pos[np.maximum(reply, 0)], -1)
        tgt = np.asarray(o_target, dtype=np.int64)[order]
        actor = np.asarray(o_actor, dtype=np.int64)[order]
        text = [o_text[i] for i in order]
        m = self.m
        ids = np.array([x.id for x in m] + ["system"], dtype=object)
        nms = np.array([x.name for x in m] + ["系统消息"], dtype=object)
        titles = np.array([x.title for x in m] + [None], dtype=object)
        act_names = np.array(ACTS, dtype=object)
        kind_by_act = np.array([_ACT_KIND.get(a, "text") for a in range(N_ACTS)], dtype=object)
        kind = kind_by_act[acts]
        events = [o_event[i] for i in order]
        recall = np.array([e == "recall" for e in events], dtype=bool)
        kind[recall] = "recall"
        for i in np.flatnonzero(acts == IMAGE):
            if text[i].replace("[图片]", ""):
                kind[i] = "text"
        if self.qq:
            for i in np.flatnonzero(acts == LINK):
                if not text[i].startswith("http"):
                    kind[i] = "text"
        # occasional empty bodies (QQ exports show them) and WeChat's own emoji/@all spelling
        cut = int(np.searchsorted(ts[order], self.t_asof, side="right"))
        cand = np.flatnonzero(np.isin(acts[:cut], (CHAT, ACK, LAUGH, BANTER))).tolist()
        k = sum(r.random() < 0.004 for _ in cand)
        if cand and cut >= 300:
            k = max(k, 1)  # a body the exporter could not render: every sizeable export has some
        for i in r.sample(cand, min(k, len(cand))):
            text[i] = ""
        if not self.qq:
            text = [_wechatify(x, r) if ("[" in x or "@全体" in x) else x for x in text]
            for i in np.flatnonzero(acts == STICKER):
                text[i] = "[表情包]"
            for i in np.flatnonzero(kind == "image"):
                text[i] = "[图片]"  # one picture per WeChat message
            for i in np.flatnonzero(acts == REDPACKET):
                text[i] = "[红包]恭喜发财，大吉大利"
        utc = pd.to_datetime(ts[order] - UTC_OFFSET, unit="s", utc=True).tz_convert(TZ)
        sender = np.where(who >= 0, who, len(m))
        df = pd.DataFrame({
            "group_id": self.group_id,
            "group_name": spec.name,
            "msg_no": np.arange(len(order), dtype=np.int64),
            "ts": utc,
            "sender_id": ids[sender],
            "sender_name": nms[sender],
            "sender_title": titles[sender],
            "kind": kind,
            "text": text,
            "act": act_names[acts],
            "event": events,
            "event_actor": np.where(actor >= 0, ids[np.maximum(actor, 0)], None),
            "event_target": np.where(tgt >= 0, ids[np.maximum(tgt, 0)], None),
            "mentions": [o_mention[i] for i in order],
            "reply_to": reply,
            "url": [o_url[i] for i in order],
        })
        df["sender_title"] = df["sender_title"].astype(object)
        messages = df.iloc[:cut].reset_index(drop=True)
        future = df.iloc[cut:].reset_index(drop=True)
        return GeneratedGroup(
            spec=spec, group_id=self.group_id, name=spec.name, platform=spec.platform, lifecycle=spec.lifecycle,
            topic=self.topic.label, start=self.start, as_of=self.as_of, self_id=self.m[0].id,
            messages=messages, future=future, roster=self._roster(messages), truth_roles=self._truth_roles(messages),
            truth_life=self._truth_life(messages, future), rollcall=self._rollcall_out())

    def _to_ts(self, local: int | None) -> pd.Timestamp:
        if local is None:
            return pd.NaT
        return pd.Timestamp(local - UTC_OFFSET, unit="s", tz="UTC").tz_convert(TZ)

    def _roster(self, messages: pd.DataFrame) -> pd.DataFrame:
        r = self.r
        spoken = messages[messages["sender_id"] != "system"].groupby("sender_id")["ts"].max()
        rows = []
        for m in self.m:
            if m.joined > self.t_asof or (m.left is not None and m.left <= self.t_asof):
                continue
            last = spoken.get(m.id, pd.NaT)
            if pd.isna(last) and m.joined < self.t0 and r.random() < 0.3:
                last = self._to_ts(r.randint(m.joined, self.t0 - 1))  # spoke once, before the log begins
            rows.append({"member_id": m.id, "member_name": m.name, "role": m.roster_role,
                         "joined": self._to_ts(m.joined), "last_spoke": last, "title": m.title})
        out = pd.DataFrame(rows)
        for c in ("joined", "last_spoke"):
            out[c] = pd.to_datetime(out[c], utc=True).dt.tz_convert(TZ)
        return out

    def _truth_roles(self, messages: pd.DataFrame) -> pd.DataFrame:
        counts = messages[messages["sender_id"] != "system"]["sender_id"].value_counts()
        rows = []
        for m in self.m:
            in_roster = m.joined <= self.t_asof and (m.left is None or m.left > self.t_asof)
            rows.append({"group_id": self.group_id, "group_name": self.spec.name, "member_id": m.id,
                         "member_name": m.name, "role": m.role, "secondary_role": m.role2,
                         "roster_role": m.roster_role, "title": m.title, "joined": self._to_ts(m.joined),
                         "left": self._to_ts(m.left) if m.left is not None and m.left <= self.t_asof else pd.NaT,
                         "left_how": m.left_how if m.left is not None and m.left <= self.t_asof else None,
                         "in_roster": in_roster, "n_messages": int(counts.get(m.id, 0)),
                         "activity": round(m.act, 4)})
        out = pd.DataFrame(rows)
        for c in ("joined", "left"):
            out[c] = pd.to_datetime(out[c], utc=True).dt.tz_convert(TZ)
        return out

    def _truth_life(self, messages: pd.DataFrame, future: pd.DataFrame) -> dict[str, Any]:
        """dead_within_30d: in the last 14 of the 30 days after as_of, fewer than 5 conversational
        messages or fewer than 2 people talking (ads, 刷屏 "1", 打卡, system lines do not count)."""
        window_lo = self.as_of + pd.Timedelta(days=FUTURE_DAYS - 14)
        conv = future[(future["ts"] > window_lo) & ~future["act"].isin(NON_CONVERSATION)]
        dead = len(conv) < 5 or conv["sender_id"].nunique() < 2
        human = messages[messages["sender_id"] != "system"]

        def day_ts(key: str, idx: int | None = None) -> pd.Timestamp | None:
            v = self.life.get(key)
            if v is None:
                return None
            v = v[idx] if idx is not None else v
            return (self.start + pd.Timedelta(days=float(v))).floor("s")

        return {
            "group_id": self.group_id, "group_name": self.spec.name, "platform": self.spec.platform,
            "lifecycle": self.spec.lifecycle, "topic": self.topic.label, "start": self.start, "as_of": self.as_of,
            "n_members": self.spec.n_members, "messages": len(messages),
            "last_message": human["ts"].max() if len(human) else pd.NaT,
            "future_messages": len(future), "future_conversation": len(conv),
            "future_speakers": int(conv["sender_id"].nunique()), "dead_within_30d": bool(dead),
            "variant": self.life.get("variant"), "dies_at": day_ts("dies_at"), "lull_start": day_ts("lull", 0), "lull_end": day_ts("lull", 1),
            "shrink_at": day_ts("shrink_at"), "quiet_start": day_ts("quiet", 0), "revival_at": day_ts("quiet", 1),
            "rollcall_at": self._to_ts(self.rollcall_info["ts"]) if self.rollcall_info else None,
        }

    def _rollcall_out(self) -> dict[str, Any] | None:
        if not self.rollcall_info:
            return None
        return {**self.rollcall_info, "ts": self._to_ts(self.rollcall_info["ts"])}


_WECHAT_EMOJI = ("[捂脸]", "[破涕为笑]", "[旺柴]", "[呲牙]", "[偷笑]", "[强]", "[抱拳]", "[微笑]", "[奸笑]", "[666]")


def _wechatify(text: str, r: random.Random) -> str:
    """WeChat spells QQ's inline [表情] as named emoji codes, @全体成员 as @所有人, and sends
    pictures as separate messages (so drop inline [图片] from text)."""
    text = text.replace("@全体成员", "@所有人")
    while "[表情]" in text:
        text = text.replace("[表情]", r.choice(_WECHAT_EMOJI), 1)
    if "[图片]" in text and text.replace("[图片]", "").strip():
        text = text.replace("[图片]\n", "").replace("[图片]", "")
    return text


def generate(spec: GroupSpec) -> GeneratedGroup:
    """Simulate one group from its spec (deterministic in ``spec.seed``)."""
    return _Sim(spec).run()


def generate_group(name: str, lifecycle: str = "healthy", n_members: int = 120, start: Any = None,
                   as_of: Any = "2024-03-31", seed: int = 0, platform: str = "qq", *, messages: int = 3000,
                   end: Any = None, **kwargs: Any) -> GeneratedGroup:
    """One synthetic group; ``end`` is an alias of ``as_of`` (the export time).

    ``kwargs`` go to :class:`GroupSpec` (group_id, topic, owner, shared_advertisers, rollcall, lull_start).
    """
    if end is not None:
        as_of = end
    return generate(GroupSpec(name=name, lifecycle=lifecycle, n_members=n_members, start=start, as_of=as_of,
                              seed=seed, platform=platform, messages=messages, **kwargs))


# A corpus mixes life cycles in roughly these proportions (dead and dying are common in practice).
_CORPUS_PATTERN = ("healthy",) * 4 + ("dying",) * 3 + ("dead",) * 3 + ("flooded", "one_man_show", "holiday_lull",
                                                                       "shrunk_stable", "revival") * 2
# Group age at as_of (days) by life cycle: dying groups are 2.5-3.5 months old (lively 1-2 months, dead by 3-4).
_AGE = {"dying": (75, 110), "dead": (140, 300), "revival": (120, 300), "holiday_lull": (90, 300)}


def generate_corpus(n_groups: int = 60, seed: int = 0, as_of: Any = "2024-03-31",
                    messages_per_group: int = 2000, platform: str = "qq",
                    lifecycles: list[str] | None = None) -> list[GeneratedGroup]:
    """Many groups as one operator's portfolio: every life cycle (when n_groups >= 8), sizes from a
    small 小群 to large groups, a few operators owning several groups each, spam accounts that
    post the same ads in several groups.  Message counts vary ±30% around ``messages_per_group``
    (a corpus of one group gets the budget as given: benchmarks ask for exact sizes)."""
    r = random.Random(stable_seed("corpus", seed))
    if lifecycles is None:
        first = list(LIFECYCLES)
        r.shuffle(first)
        rest = [_CORPUS_PATTERN[r.randrange(len(_CORPUS_PATTERN))] for _ in range(max(0, n_groups - len(first)))]
        lifecycles = (first + rest)[:n_groups]
    elif len(lifecycles) != n_groups:
        lifecycles = [lifecycles[i % len(lifecycles)] for i in range(n_groups)]
    ops_r = random.Random(stable_seed("operators", seed))
    n_ops = max(1, n_groups // 8)
    op_ids = nm.member_ids(ops_r, n_ops, platform)
    operators = [Person(op_ids[i], nm.nickname(ops_r)) for i in range(n_ops)]
    spam_ids = nm.member_ids(ops_r, max(2, n_groups // 6), platform, set(op_ids))
    spammers = [Person(x, ops_r.choice(["兼职招聘", "优惠券分享", "代理招募小助手", "福利官", "客服小美", "推广"])
                       + str(ops_r.randint(1, 99))) for x in spam_ids]
    as_of_ts = _as_ts(as_of, end_of_day=True)
    names_seen: set[str] = set()
    out = []
    for i, lc in enumerate(lifecycles):
        topic = r.choice(ph.TOPICS)
        name = nm.group_name(r, topic.label, i % 9 + 1)
        while name in names_seen:
            name = nm.group_name(r, topic.label, r.randint(10, 99))
        names_seen.add(name)
        p = r.random()
        cap = 2000 if platform == "qq" else 500
        if p < 0.12:
            n = r.randint(8, 29)
        elif p < 0.75:
            n = int(math.exp(r.uniform(math.log(40), math.log(300))))
        else:
            n = min(cap, int(math.exp(r.uniform(math.log(300), math.log(1500)))))
        lo, hi = _AGE.get(lc, (60, 365))
        start = (as_of_ts.normalize() - pd.Timedelta(days=r.randint(lo, hi))).strftime("%Y-%m-%d")
        k = r.choice((0, 0, 1, 1, 2))
        shared = tuple(r.sample(spammers, min(k, len(spammers))))
        lull = None
        if lc == "holiday_lull" and r.random() < 0.4:  # the hard case: quiet right now, back next week
            lull = (as_of_ts.normalize() - pd.Timedelta(days=r.randint(4, 10))).strftime("%Y-%m-%d")
        spec = GroupSpec(name=name, lifecycle=lc, n_members=n, start=start, as_of=as_of_ts,
                         seed=stable_seed(seed, i), platform=platform,
                         messages=max(10, int(messages_per_group * (r.uniform(0.7, 1.3) if n_groups > 1 else 1))),
                         topic=topic.label,
                         owner=operators[i % n_ops], shared_advertisers=shared, lull_start=lull)
        out.append(generate(spec))
    return out


__all__ = ["ACTS", "LIFECYCLES", "ROLES", "GeneratedGroup", "GroupSpec", "Person", "generate", "generate_corpus",
           "generate_group", "stable_seed"]
