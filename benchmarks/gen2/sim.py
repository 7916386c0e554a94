"""One group's members and its conversation, day by day, from a life-cycle ``Plan``.

The conversation is a sequence of *threads*: someone starts one (a notice, a
long post, a question, banter, a complaint, an ad) and others react.  Who starts
and who reacts depends on the planted roles; how many react depends on the
life cycle (dying groups answer less).  See the package docstring for rates.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from . import phrases as P
from .life import HORIZON, Plan

# who starts a thread, by role (healthy phase); the rest of the day's chatter is reactions
START_MIX = {"organizer": 0.12, "thinker": 0.17, "asker": 0.22, "joker": 0.24, "challenger": 0.05,
             "advertiser": 0.03, "noise": 0.05, "event_q": 0.04, "rollcall": 0.002}
# phase -> multipliers on START_MIX
PHASE_MIX = {
    "tension": {"challenger": 6.0, "organizer": 0.6, "thinker": 0.6},
    "alone": {"organizer": 30.0, "thinker": 0.05, "asker": 0.08, "joker": 0.05, "challenger": 0.3, "noise": 0.3,
              "event_q": 0.05},
    "quit": {"thinker": 0.0, "asker": 0.6, "organizer": 0.8},
}
# how often a member's own thread is their role's kind; the rest is small talk (a member shows several traits)
PURITY = {"organizer": 0.75, "thinker": 0.6, "joker": 0.75, "asker": 0.6, "challenger": 0.45, "advertiser": 0.95,
          "noise": 1.0}
HOURS = [0.4, 0.2, 0.1, 0.05, 0.05, 0.1, 0.4, 1.0, 2.0, 2.5, 2.6, 2.8, 3.4, 2.8, 2.4, 2.4, 2.5, 2.6,
         2.6, 3.0, 3.6, 4.2, 3.6, 1.6]
WEEKDAY = [0.95, 0.95, 1.0, 1.0, 1.1, 1.25, 1.15]


@dataclass
class Member:
    mid: str
    name: str
    role: str                  # planted role (one of qunkit's ROLES)
    title: str = "member"      # owner / admin / member
    weight: float = 1.0        # how much more than peers of the role this member talks
    joined: dt.datetime | None = None
    left: dt.datetime | None = None
    noise: bool = False        # a lurker who still posts a handful of 收到 / 1 / 哈哈
    recruiter: bool = False    # an advertiser whose ads read like welcomes
    quiet_from: dt.datetime | None = None   # a key member who stops talking (stays in the group)
    budget: int | None = None  # messages left for a trivial poster ("a handful"); None: no limit

    def present(self, t: dt.datetime) -> bool:
        return (self.joined is None or self.joined <= t) and (self.left is None or t < self.left)

    def can_speak(self, t: dt.datetime) -> bool:
        return (self.present(t) and (self.quiet_from is None or t < self.quiet_from)
                and (self.budget is None or self.budget > 0))


@dataclass
class Msg:
    ts: dt.datetime
    sender: Member | None      # None: a system line
    text: str
    mention: str = ""          # name @-ed at the start (rendered by the writers)
    quote: tuple[str, str] | None = None   # (name, text) of the message answered, when quoted
    event: str = ""            # system lines: join / leave / kick, with ``subject`` and ``actor``
    subject: Member | None = None
    actor: Member | None = None


class Conversation:
    """Appends messages for one group; ``say`` keeps timestamps increasing within a thread."""

    def __init__(self, rng: random.Random, theme: P.Theme, members: list[Member], plan: Plan, reply_rate: float):
        self.rng, self.theme, self.members, self.plan, self.reply_rate = rng, theme, members, plan, reply_rate
        self.msgs: list[Msg] = []
        self.phase = "normal"     # of the day being written (plan.phase)
        self.by_role: dict[str, list[Member]] = {}
        for m in members:
            self.by_role.setdefault("noise" if m.noise else m.role, []).append(m)

    # ------------------------------------------------------------ helpers
    def pick(self, role: str, t: dt.datetime, exclude: Member | None = None) -> Member | None:
        pool = [m for m in self.by_role.get(role, ()) if m.can_speak(t) and m is not exclude]
        if not pool:
            return None
        return self.rng.choices(pool, weights=[m.weight for m in pool])[0]

    def anyone(self, t: dt.datetime, exclude: Member | None, mix: dict[str, float]) -> Member | None:
        roles = list(mix)
        for _ in range(4):
            m = self.pick(self.rng.choices(roles, weights=[mix[r] for r in roles])[0], t, exclude)
            if m is not None:
                return m
        return None

    def later(self, t: dt.datetime, quick: bool = True) -> dt.datetime:
        mean = 35 if quick else 420
        return t + dt.timedelta(seconds=max(3, int(self.rng.expovariate(1 / mean))))

    def say(self, t: dt.datetime, who: Member, text: str, mention: str = "", quote: Msg | None = None) -> Msg:
        q = (quote.sender.name, quote.text.split("\n")[0][:40]) if quote is not None and quote.sender else None
        msg = Msg(t, who, text, mention=mention, quote=q)
        if who.budget is not None:
            who.budget -= 1
        self.msgs.append(msg)
        return msg

    def system(self, t: dt.datetime, event: str, subject: Member, actor: Member | None = None) -> None:
        self.msgs.append(Msg(t, None, "", event=event, subject=subject, actor=actor))

    def replies(self, phase: str) -> float:
        """Chance that a thread gets answered: the group's habit, less when dying, near zero alone."""
        if phase == "alone":
            return 0.04
        if self.plan.lifecycle == "slow_decline":
            return self.reply_rate * 0.6
        if phase == "quit":
            return self.reply_rate * 0.45
        return self.reply_rate

    # ------------------------------------------------------------ threads
    def thread(self, t: dt.datetime, kind: str, phase: str) -> None:
        rng, th = self.rng, self.theme
        self.phase = phase
        if kind == "rollcall":
            org = self.pick("organizer", t)
            if org is None:
                return
            self.say(t, org, P.say_organizer(rng, th, "rollcall"))
            for m in [m for m in self.members if m.can_speak(t) and m.role == "lurker"]:
                if rng.random() < 0.25:   # a quarter of the silent answer "1"; they stay lurkers
                    t = self.later(t)
                    self.say(t, m, rng.choice(("1", "1", "在", "1111", "在的")))
            return
        if kind == "event_q":
            who = self.anyone(t, None, {"asker": 2, "joker": 1, "noise": 1, "thinker": 0.3})
            if who is None:
                return
            q = self.say(t, who, P.say_event_question(rng, th))
            org = self.pick("organizer", t)
            if org is not None and rng.random() < self.replies(self.phase):
                self.say(self.later(t, False), org, rng.choice(("晚上8点", "看群公告", "还有的，直接进就行", "回放在群文件")),
                         mention=who.name if rng.random() < 0.5 else "", quote=q if rng.random() < 0.3 else None)
            return
        who = self.pick(kind, t)
        if who is None:
            return
        if phase != "alone" and rng.random() > PURITY[kind]:
            self._chat(t, who)
            return
        getattr(self, "_" + kind)(t, who)

    def _chat(self, t: dt.datetime, who: Member) -> None:
        """Small talk anyone makes; a few others chime in."""
        rng = self.rng
        self.say(t, who, P.say_chat(rng, self.theme))
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            m = self.anyone(t, who, {"joker": 1, "asker": 1, "thinker": 0.7, "challenger": 0.4, "organizer": 0.3,
                                     "noise": 0.3})
            if m is not None:
                t = self.later(t)
                self.say(t, m, P.say_joker(rng) if m.role == "joker" and rng.random() < 0.5 else P.say_chat(rng, self.theme))

    def _organizer(self, t: dt.datetime, who: Member) -> None:
        self.say(t, who, P.say_organizer(self.rng, self.theme))
        if self.phase == "alone":
            return
        for _ in range(self.rng.choice((0, 0, 1, 2, 3, 5))):   # 收到 / 1 from the trivial posters
            m = self.anyone(t, who, {"noise": 3, "asker": 0.5, "joker": 0.5})
            if m is not None:
                t = self.later(t)
                self.say(t, m, P.say_trivial(self.rng))

    def _thinker(self, t: dt.datetime, who: Member) -> None:
        rng = self.rng
        post = self.say(t, who, P.say_thinker(rng, self.theme))
        if rng.random() > self.replies(self.phase):
            return
        k = rng.choice((2, 2, 3, 3, 4, 5, 6))
        for _ in range(k):
            m = self.anyone(t, who, {"thinker": 1.5, "asker": 2, "joker": 1.2, "organizer": 0.5, "noise": 0.4})
            if m is None:
                continue
            t = self.later(t, quick=rng.random() < 0.6)
            if m.role == "thinker" and rng.random() < 0.6:
                self.say(t, m, P.say_thinker(rng, self.theme), mention=who.name if rng.random() < 0.4 else "",
                         quote=post if rng.random() < 0.3 else None)
            elif m.role == "asker":
                text = P.say_asker(rng, self.theme) if rng.random() < 0.5 else P.say_thanks(rng)
                self.say(t, m, text, mention=who.name if rng.random() < 0.4 else "")
            elif m.role == "joker":
                self.say(t, m, P.say_joker(rng))
            else:
                self.say(t, m, rng.choice(("有道理", "+1", "同意", "确实", "mark一下", "学习了")) if m.noise
                         else P.say_answer(rng, self.theme), quote=post if rng.random() < 0.2 else None)
        if rng.random() < 0.5:
            self.say(self.later(t), who, rng.choice(("是的", "对，就是这个意思", "哈哈可以试试", "嗯，看情况", "不客气")))

    def _asker(self, t: dt.datetime, who: Member) -> None:
        rng = self.rng
        q = self.say(t, who, P.say_asker(rng, self.theme))
        if rng.random() > self.replies(self.phase):
            if rng.random() < 0.3:
                self.say(self.later(t, False), who, rng.choice(("有人吗", "顶一下", "没人知道吗", "😭")))
            return
        for i in range(rng.choice((1, 1, 2, 3))):
            m = self.anyone(t, who, {"thinker": 3, "organizer": 0.6, "asker": 0.6, "joker": 0.4})
            if m is None:
                continue
            t = self.later(t, quick=rng.random() < 0.5)
            mention = who.name if rng.random() < 0.45 else ""
            quote = q if not mention and rng.random() < 0.4 else None
            if m.role == "thinker" and (i == 0 or rng.random() < 0.5):
                self.say(t, m, P.say_thinker(rng, self.theme, answer_to=rng.choice(self.theme.things)),
                         mention=mention, quote=quote)
            elif m.role == "joker":
                self.say(t, m, P.say_joker(rng))
            else:
                self.say(t, m, P.say_answer(rng, self.theme), mention=mention, quote=quote)
        if rng.random() < 0.55:
            self.say(self.later(t), who, P.say_thanks(rng))

    def _joker(self, t: dt.datetime, who: Member) -> None:
        rng = self.rng
        self.say(t, who, P.say_joker(rng) if rng.random() < 0.8 else P.sprinkle(rng, "今天谁在摸鱼，举手", emoji=0.6))
        if rng.random() > self.replies(self.phase) + 0.1:
            return
        for _ in range(rng.choice((1, 2, 3, 4, 6))):
            m = self.anyone(t, None, {"joker": 3, "noise": 0.6, "asker": 0.4, "thinker": 0.3})
            if m is not None:
                t = self.later(t)
                self.say(t, m, P.say_joker(rng) if m.role == "joker" else P.say_trivial(rng))

    def _challenger(self, t: dt.datetime, who: Member) -> None:
        rng = self.rng
        c = self.say(t, who, P.say_challenger(rng, self.theme))
        if rng.random() < 0.6:
            org = self.pick("organizer", t)
            if org is not None:
                t = self.later(t, False)
                self.say(t, org, P.say_defend(rng), mention=who.name if rng.random() < 0.5 else "",
                         quote=c if rng.random() < 0.3 else None)
        for _ in range(rng.choice((0, 1, 1, 2))):
            m = self.anyone(t, who, {"joker": 1, "asker": 1, "challenger": 1.5, "noise": 0.5})
            if m is not None:
                t = self.later(t)
                self.say(t, m, rng.choice(("+1", "确实", "同感", "哈哈哈说出了我的心声", "别吵了别吵了", "算了算了"))
                         if m.role != "challenger" else P.say_challenger(rng, self.theme))
        if rng.random() < 0.2:
            self.say(self.later(t), who, rng.choice(("算了，说了也白说", "行吧", "你们开心就好")))

    def _advertiser(self, t: dt.datetime, who: Member) -> None:
        rng = self.rng
        text = P.say_advertiser(rng, self.theme)
        if who.recruiter and rng.random() < 0.6:
            text = f"欢迎加入{rng.choice(P._COMPANIES)}大家庭！我们在招{rng.choice(self.theme.things)}方向的小伙伴，" \
                   f"待遇从优，简历发 hr{rng.randint(100, 999)}@example.com"
        self.say(t, who, text)
        if rng.random() < 0.25 and self.plan.lifecycle != "ad_flood":
            org = self.pick("organizer", t)
            if org is not None and org.title in ("owner", "admin") and who.left is None:
                t = self.later(t, False)
                self.say(t, org, rng.choice(("发广告的踢了", "禁止广告，已移出", "再发广告直接踢")))
                who.left = t + dt.timedelta(seconds=5)
                self.system(who.left, "kick", who, org)

    def _noise(self, t: dt.datetime, who: Member) -> None:
        self.say(t, who, P.say_trivial(self.rng))

    def quarrel(self, t: dt.datetime) -> None:
        """The day a group blows up: complaints, the owner hits back, people leave."""
        rng = self.rng
        for _ in range(rng.randint(8, 20)):
            who = self.anyone(t, None, {"challenger": 4, "organizer": 2, "joker": 1, "asker": 1, "thinker": 1})
            if who is None:
                continue
            t = self.later(t)
            if who.role == "organizer":
                text = rng.choice(("不想待可以走，没人拦着", "再吵全部禁言", "爱待待不爱待滚", "我建这个群不是让你们来骂的"))
            elif who.role == "challenger":
                text = P.say_challenger(rng, self.theme)
            else:
                text = rng.choice(("别吵了", "散了散了", "真没意思", "我先退了", "哎"))
            self.say(t, who, text)
        leavers = [m for m in self.members if m.present(t) and m.role != "organizer" and rng.random() < 0.3]
        for m in leavers:
            t = self.later(t, False)
            m.left = t
            self.system(t, "leave", m)


def simulate(conv: Conversation, base: float) -> None:
    """Fill ``conv`` from the plan's first day to 30 days past as_of."""
    rng, plan = conv.rng, conv.plan
    end = plan.as_of + dt.timedelta(days=HORIZON)
    day = plan.start
    joiners = sorted((m for m in conv.members if m.joined and m.joined.date() > plan.start), key=lambda m: m.joined)
    for m in joiners:
        inviter = conv.pick("organizer", m.joined) or next(x for x in conv.members if x.title == "owner")
        conv.system(m.joined, "join", m, inviter)
        if m.role != "advertiser" and rng.random() < 0.6 and plan.level(m.joined.date()) > 0:
            org = conv.pick("organizer", m.joined)
            if org is not None:
                conv.say(conv.later(m.joined, False), org, P.say_organizer(rng, conv.theme, "welcome", m.name),
                         mention="")
    for m in conv.members:   # members who drift away: a leave line (kicks are written when they happen)
        if m.left is not None:
            conv.system(m.left, "leave", m)
    while day <= end:
        phase = plan.phase(day)
        level = plan.level(day)
        if plan.lifecycle == "ad_flood" and day >= plan.turn:
            _ads(conv, day)
        if phase == "quarrel":
            conv.quarrel(dt.datetime.combine(day, dt.time(20, rng.randint(0, 59))))
        lam = base * level * WEEKDAY[day.weekday()]
        mix = dict(START_MIX)
        for k, f in PHASE_MIX.get(phase, {}).items():
            mix[k] *= f
        kinds = list(mix)
        for _ in range(_poisson(rng, lam)):
            hour = rng.choices(range(24), weights=HOURS)[0]
            t = dt.datetime.combine(day, dt.time(hour, rng.randint(0, 59), rng.randint(0, 59)))
            conv.thread(t, rng.choices(kinds, weights=[mix[k] for k in kinds])[0], phase)
        day += dt.timedelta(days=1)
    conv.msgs.sort(key=lambda m: m.ts)


def _ads(conv: Conversation, day: dt.date) -> None:
    """A flooded group: ads every day, growing, until the end of the horizon (spam outlives the humans)."""
    plan, rng = conv.plan, conv.rng
    grown = min(1.0, (day - plan.turn).days / 30)
    for _ in range(_poisson(rng, 1 + 6 * grown)):
        t = dt.datetime.combine(day, dt.time(rng.randint(7, 23), rng.randint(0, 59), rng.randint(0, 59)))
        who = conv.pick("advertiser", t)
        if who is not None:
            conv.say(t, who, P.say_advertiser(rng, conv.theme))


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    k, p, limit = 0, 1.0, math.exp(-lam)
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
