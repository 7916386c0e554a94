"""The six member roles of the practice (seed 000), plus the advertisers it prunes.

Each member of each group gets one main role, a score in [0, 1] per role and
the two or three reasons that decided it, with their figures.  The scores are
built from signals an operator would point at in the log, never from a single
keyword:

Messages are counted by their *act* (``qunkit.analysis.acts``: what a message does, with polarity
and target), not by the words it contains (``_act_masks``):

- organizer: the group's upkeep -- notices and @全体成员, rule reminders, welcomes of newcomers (not
  recruiting "欢迎加入<公司>", not questions about events); owner/admin in the roster or title;
  inviting and removing members.
- thinker: among the group's *most substantive voices*: substantive messages (long or explanatory,
  never ads, questions or notices) that drew replies, from how many different people, ranked within
  the group (``thinker_gate``): a few people per group, not everyone who once wrote a long line.
- joker: banter acts (laughter, 网络用语, "哈哈哈？"), stickers, red packets; or one of the group's
  chatters: most of their lines casual talk, at many times the group's median speaker's rate (in real
  groups the jokers tease in plain words more often than they laugh).
- asker: real questions (not banter with a "?", not a rhetorical complaint, not an ad), more of them
  than the group's own habit: the odd "去哪儿？" of a chatty member is conversation, not asking for help.
- challenger: complaints about the group, its rules, its management or its content (a complaint
  about the rules is not a rule reminder).
- advertiser: ads (recruiting, sales, prices, contact ids, links), the same text posted again and
  again; being removed afterwards.  Ads never count as a thinker's substance.
- lurker: speaks rarely for the time they have been in the group, judged both absolutely (messages
  with content per month) and against the group's usual speaker; acks ("1", 收到, 好的) are no content.

Every role needs a positive count behind it (``role_support``), and its reasons lead with that count.

How the scores turn into a role: a member whose speech rate is far below the
group's is a lurker whatever they said; otherwise the highest score wins.
Thresholds live in ``PARAMS`` and were tuned on generated corpus seed 0 (see
``benchmarks/validate.py``), not on the corpus that reports the accuracy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..members import joined_by, member_key, present_at, to_ns, with_speakers
from ..vocabulary import ROLES
from .lexicon import Lexicon
from .text_features import LONG_CHARS, QUESTION_CHARS, Features, compute_features, to_datetime_utc

ROLE_COLUMNS = ("group_id", "group_name", "member_id", "member_name", "role", "messages", "scores", "reasons",
                "roster_known", "present")
_DAY_NS = 86_400 * 1_000_000_000
ANSWER_CHARS = 12         # an explanation shorter than this ("可以试试") is a one-line reply, not substance

# Tuned on generated corpus seed 0 only (coordinate search on macro-F1, benchmarks/validate.py reports
# the held-out seeds); re-tuned 2026-12-02 when roles moved onto message acts.  On 2026-12-07 five
# figures were set on real groups read by eye (docs/measurements.md "Roles on real groups"): the lurker's absolute
# rate and minimum, two long messages for a few-message thinker, the chatter part of the joker and
# the asker's lift over the group's own question rate; each was checked on both generators too.
# Shares are of a member's messages with content unless noted.
PARAMS: dict[str, float] = {
    # lurker: messages with content per 30 days of membership, absolutely and against the group's median
    "lurk_rate": 0.5,          # at or below this many a month: full lurker score
    "lurk_rate_hi": 4.0,       # at or above: no lurker score on the absolute test (real groups, 2026-12-07)
    "lurk_rel": 0.12,          # at or below this fraction of the group's median speaker: full score
    "lurk_rel_hi": 0.25,
    "lurk_min_messages": 6,    # fewer messages with content than this: too little to show any other role
    "few_complaints": 1,       # ... unless they complained this often,
    "few_long": 2,             # wrote this many long messages,
    "few_thanks": 2,           # or thanked others for answers this often
    "few_score": 0.75,          # the role score such evidence gives
    "lurk_floor": 0.4,         # a lurker needs at least this lurker score (0.5 until real groups, 2026-12-07)
    "lurk_weight": 0.8,        # and, past the few, lurker score x this must beat the best other score
    # organizer: notices (announcements, welcomes, rules, events), share of the group's notices, roster role
    "org_lo": 0.02, "org_hi": 0.25, "org_need": 5,
    "org_group_share": 0.9,
    "org_role_owner": 0.8, "org_role_admin": 0.6,
    # thinker: long substantive messages, answers to others' questions, long messages on average
    "think_long_lo": 0.08, "think_long_hi": 0.47,
    "think_answer_lo": 0.02, "think_answer_hi": 0.53,
    "think_len_w": 0.64, "think_len_lo": 12, "think_len_hi": 30,
    # ... all of it only for the group's most substantive voices (thinker_gate)
    "think_rep_lo": 0, "think_rep_hi": 2, "think_top_frac": 0.55, "think_top_min": 2,
    # joker: laughter, banter, stickers, red packets; stickers + banter of all messages on their own;
    # a chatter (casual talk of their messages, volume against the group's median speaker, ``_chatter``)
    "joke_lo": 0.32, "joke_hi": 0.69,
    "joke_sticker_w": 0.5, "joke_sticker_lo": 0.05, "joke_sticker_hi": 0.4,
    "joke_chat_w": 0.8, "joke_chat_lo": 0.45, "joke_chat_hi": 0.75, "joke_vol_lo": 3.0, "joke_vol_hi": 10.0,
    # asker: questions, counted only past the group's own question rate (``_question_lift``);
    # thanking (谢谢大佬, 学到了) of all messages when they also asked
    # (``ask_need``: the share counts fully with this many questions: two in a dozen lines are chat)
    "ask_lo": 0.05, "ask_hi": 0.45, "ask_need": 5, "ask_lift_lo": 0.8, "ask_lift_hi": 1.5,
    "ask_thanks_w": 0.75, "ask_thanks_lo": 0.02, "ask_thanks_hi": 0.12, "ask_thanks_floor": 0.5,
    # challenger: complaints at the group or its management; agreeing (+1 同感) when they also complained
    "chal_lo": 0.058, "chal_hi": 0.35, "chal_min": 2,
    "chal_agree_w": 0.3,
    # advertiser: ads of all messages; removed from the group afterwards
    "ad_lo": 0.1, "ad_hi": 0.45,
    "ad_kicked": 0.25,
    "group_relative": 0.25,    # 0: shares as they are; 1: shares divided by the group's own rate
}

# The rate of each act among messages with content in the corpus the roles were tuned on (the qunkit
# generator, seed 0, QQ layout: 0.069, 0.132, 0.050, 0.329, 0.162, 0.042; the WeChat layout and the
# independent generator are within 0.02).  ``group_relative`` judges a group's own rate against these
# fixed figures, never against the other groups in scope, so a member's role does not depend on which
# groups are analysed together.
REFERENCE_RATES: dict[str, float] = {
    "org": 0.07, "long": 0.13, "answers": 0.05, "fun": 0.33, "questions": 0.16, "complaints": 0.042,
}


def _sat(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """0 at or below lo, 1 at or above hi, linear between."""
    return np.clip((np.asarray(x, dtype=float) - lo) / max(hi - lo, 1e-9), 0.0, 1.0)


def _noisy_or(*parts: np.ndarray) -> np.ndarray:
    out = np.ones_like(np.asarray(parts[0], dtype=float))
    for p in parts:
        out *= 1.0 - np.clip(p, 0.0, 1.0)
    return 1.0 - out


def member_features(F: Features, members: pd.DataFrame | None,
                    own_as_of: dict[str, pd.Timestamp] | None = None) -> pd.DataFrame:
    """One row per member of each group (speakers and members-frame rows) with the counts behind roles.

    Members whose membership had not begun at ``as_of`` (``qunkit.members.joined_by``) are left out;
    former members stay (``present`` False).  ``own_as_of`` (group_id -> moment) judges each group at its
    own moment instead of ``F.as_of`` (``qunkit roles --at-group-end``: ``F`` then holds every group's
    messages up to its own moment).  Useful on its own in a notebook.
    """
    sp = _speech_counts(F)
    acts, kicked = _event_counts(F)
    out = _universe(members, sp, F.as_of, own_as_of)
    as_of_ns = _moments(out["group_id"], F.as_of, own_as_of)
    pos = pd.Series(np.arange(len(sp))).set_axis(member_key(sp["group_id"], sp["member_id"]))
    pos = pd.Series(member_key(out["group_id"], out["member_id"])).map(pos).to_numpy()
    has = ~pd.isna(pos)
    pos = np.where(has, pos, 0).astype(np.int64)
    P, nat = len(sp), _NAT
    for c in sp.columns:
        if c in ("group_id", "member_id"):
            continue
        v = sp[c].to_numpy()
        if c == "spoken_name":
            out[c] = np.where(has, v[pos] if P else None, None)
        elif c == "first_ns":
            out[c] = np.where(has, v[pos] if P else 0, np.iinfo(np.int64).max)
        elif c == "last_ns":
            out[c] = np.where(has, v[pos] if P else 0, nat)
        else:
            out[c] = np.where(has, v[pos] if P else 0, 0).astype(float)
    name = out["member_name"].where(out["member_name"].notna() & (out["member_name"].astype(str) != ""),
                                    out["spoken_name"])
    out["member_name"] = name.where(name.notna(), out["member_id"]).astype(str)
    groups = F.groups
    gmap = groups.set_index("group_id")
    out["group_name"] = out["group_id"].map(gmap["group_name"]) if len(groups) else None
    out["group_name"] = out["group_name"].where(out["group_name"].notna(), out["group_name_m"])
    out["group_name"] = out["group_name"].where(out["group_name"].notna(), out["group_id"]).astype(str)
    gfirst = out["group_id"].map(pd.Series(pd.DatetimeIndex(groups["first_ts"]).as_unit("ns").asi8,
                                           index=groups["group_id"].to_numpy())) if len(groups) else np.nan
    gfirst = pd.Series(gfirst, index=out.index)      # int64 ns, or float with NaN where a group has none
    gfirst = np.where(gfirst.isna().to_numpy(), as_of_ns, gfirst.fillna(0).astype(np.int64).to_numpy())

    # tenure we can observe: from max(joined, first log line) (or first message) to min(left, as_of)
    joined = out["joined_ns"].to_numpy()
    start = np.where(joined != nat, np.maximum(joined, gfirst), gfirst)
    start = np.minimum(start, out["first_ns"].to_numpy())
    left = out["left_ns"].to_numpy()
    end = np.where((left != nat) & (left <= as_of_ns), left, as_of_ns)
    out["tenure_days"] = np.maximum((end - start) / _DAY_NS, 1.0)
    # speech rate: messages with content per month; a short tenure counts as a month so that one
    # "hello" from last week's newcomer is not read as a busy speaker
    out["rate_month"] = out["talk"] / (np.maximum(out["tenure_days"], 30.0) / 30.0)
    out_key = member_key(out["group_id"], out["member_id"])
    out["kicked"] = pd.Series(out_key).map(kicked).fillna(0).to_numpy()
    out["manages"] = pd.Series(out_key).map(acts).fillna(0).to_numpy()
    out["left_group"] = (left != nat) & (left <= as_of_ns)
    # the group's usual speaker: median monthly rate among members who spoke
    spoke = out["talk"] > 0
    med = out[spoke].groupby("group_id")["rate_month"].median()
    out["group_median_rate"] = out["group_id"].map(med).fillna(0.0).to_numpy()
    out["last_spoke"] = to_datetime_utc(np.where(out["last_ns"] == nat, 0, out["last_ns"]))
    out.loc[out["last_ns"] == nat, "last_spoke"] = pd.NaT
    return out


_NAT = np.iinfo(np.int64).min


def _speech_counts(F: Features) -> pd.DataFrame:
    """Per speaker (F.people order): message counts by kind of content, first/last message (ns) and
    the group totals of notices and questions."""
    msgs, people, groups = F.msgs, F.people, F.groups
    P = len(people)
    mk = msgs["mk"].to_numpy()

    def per(mask: np.ndarray | pd.Series | None = None) -> np.ndarray:
        if mask is None:
            return np.bincount(mk, minlength=P)
        return np.bincount(mk[np.asarray(mask, dtype=bool)], minlength=P)

    a = _act_masks(msgs)
    sp = pd.DataFrame({
        "group_id": people["group_id"], "member_id": people["member_id"],
        "spoken_name": people["member_name"],
        "messages": per(), "talk": per(a["content"]), "lowcontent": per(~a["content"] & msgs["textual"]),
        "textual": per(msgs["textual"]), "questions": per(a["question"]),
        "answered_q": per(a["question"] & msgs["answered"]), "long": per(a["substantive"]),
        "long_replied": per(a["substantive"] & msgs["replied"]), "answers": per(a["answer"]),
        "replied": per(msgs["replied"]), "gives_reply": per(msgs["gives_reply"]),
        "fast_replied": per(msgs["reply_delay"].to_numpy() <= 600),
        "laugh": per(a["banter"]), "stickers": per(msgs["sticker"]),
        "redpackets": per(msgs["redpacket"]), "fun": per(a["banter"] | msgs["sticker"] | msgs["redpacket"]),
        "chat": per(a["chat"]),
        "org": per(a["notice"] | a["welcome"] | a["rule"]), "announce": per(a["announce"]),
        "mention_all": per(msgs["mention_all"]),
        "welcome": per(a["welcome"]), "rules": per(a["rule"]), "event": per(a["notice"] & ~a["announce"]),
        "complaints": per(a["complaint"]), "ads": per(a["ad"]), "contact": per(msgs["contact"]),
        "links": per(msgs["link"]), "dup_self": per(msgs["dup_self"]), "acks": per(msgs["ack"] | msgs["act_ack"]),
        "thanks": per(msgs["thanks"]), "agrees": per(msgs["agree"]), "banter": per(a["banter"]),
        "mentions": per(msgs["mentions_someone"]),
        "talk_chars": np.bincount(mk, weights=msgs["length"].to_numpy() * a["content"], minlength=P),
        "chars": np.bincount(mk, weights=msgs["length"].to_numpy(), minlength=P),
        "repliers": _distinct_repliers(mk, msgs["replier"].to_numpy(), a["substantive"], P),
    })
    t = msgs["t"].to_numpy()
    first = np.full(P, np.iinfo(np.int64).max)
    np.minimum.at(first, mk, t)
    last = np.full(P, _NAT)
    np.maximum.at(last, mk, t)
    sp["first_ns"], sp["last_ns"] = first, last
    # group totals for "posted 4 of the 5 announcements"
    g_of = people["g"].to_numpy()
    for col in ("org", "announce", "questions"):
        tot = np.bincount(g_of, weights=sp[col].to_numpy(), minlength=len(groups))
        sp[f"group_{col}"] = tot[g_of] if P else []
    return sp


def _act_masks(msgs: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per message: the acts roles count (``qunkit.analysis.acts``), with the lexicon flags a user's
    ``--lexicon`` extends added where the acts do not contradict them.

    A complaint about the rules is a complaint, not a rule reminder; "欢迎加入<公司>" is an ad, not a
    welcome; a question about an event is a question, not a notice; "哈哈哈？" is banter, not a
    question.  Ads never count as substance, and an ack ("1", 收到, 好的) is not content.
    """
    col = {c: msgs[c].to_numpy(dtype=bool) for c in msgs.columns if c.startswith("act_")}
    ad = col["act_ad"] | msgs["ad"].to_numpy(dtype=bool)
    complaint = col["act_complaint"] & ~ad
    org_act = col["act_notice"] | col["act_rule"] | col["act_welcome"]
    # user words: a lexicon complaint the acts call nothing else is a complaint
    complaint |= (msgs["complaint"].to_numpy(dtype=bool) & ~ad & ~org_act & ~col["act_question"]
                  & ~col["act_banter"] & ~col["act_answer"])
    banter = col["act_banter"] & msgs["textual"].to_numpy(dtype=bool) & ~complaint
    length = msgs["length"].to_numpy()
    # past QUESTION_CHARS a question word without "?" is an explanation ("再怎么调整都没用")
    question = (col["act_question"] & ~ad & ~complaint
                & (msgs["qmark"].to_numpy(dtype=bool) | (length <= QUESTION_CHARS)))
    announce = (msgs["mention_all"].to_numpy(dtype=bool) | (msgs["kind"] == "announcement").to_numpy()) & ~question
    notice = (col["act_notice"] | announce) & ~ad & ~complaint & ~question
    rule = col["act_rule"] & ~ad & ~complaint
    welcome = col["act_welcome"] & ~ad
    textual = msgs["textual"].to_numpy(dtype=bool)
    ack = col["act_ack"] | msgs["lowcontent"].to_numpy(dtype=bool)
    content = msgs["talk"].to_numpy(dtype=bool) & ~col["act_ack"]
    plain = textual & ~ad & ~question & ~notice & ~rule & ~welcome & ~ack & ~complaint
    substantive = plain & ((length >= LONG_CHARS) | (col["act_answer"] & (length >= ANSWER_CHARS)))
    answer = msgs["answer"].to_numpy(dtype=bool) & plain & (col["act_answer"] | (length >= LONG_CHARS))
    # casual talk: a line with content that does nothing the other roles count (no question, notice,
    # explanation, complaint, ad, laugh): the small talk real groups are mostly made of
    chat = plain & content & ~banter & ~col["act_answer"] & (length < LONG_CHARS)
    return {"ad": ad, "complaint": complaint, "banter": banter, "question": question, "announce": announce,
            "notice": notice, "rule": rule, "welcome": welcome, "content": content,
            "substantive": substantive, "answer": answer, "chat": chat}


def _distinct_repliers(mk: np.ndarray, replier: np.ndarray, mask: np.ndarray, P: int) -> np.ndarray:
    """Per speaker: how many different people replied to their messages where ``mask``."""
    sel = mask & (replier >= 0) & (replier != mk)
    pairs = np.unique(mk[sel].astype(np.int64) * max(P, 1) + replier[sel])
    return np.bincount(pairs // max(P, 1), minlength=P)


def _event_counts(F: Features) -> tuple[pd.Series, pd.Series]:
    """Per member key: membership actions taken (invites, removals, notices) and times removed."""
    ev = F.events
    if not len(ev):
        return pd.Series(dtype=int), pd.Series(dtype=int)
    gid_ev = F.groups["group_id"].to_numpy()[ev["g"].to_numpy()]
    actor_key = pd.Series(member_key(gid_ev, ev["actor"].to_numpy()))
    acts = actor_key[ev["event"].isin(["kick", "join", "announcement"]).to_numpy()
                     & (ev["actor"].to_numpy() != "")].value_counts()
    kicked_key = pd.Series(member_key(gid_ev, ev["target"].to_numpy()))
    kicked = kicked_key[(ev["event"] == "kick").to_numpy()].value_counts()
    return acts, kicked


def _moments(group_ids: pd.Series | np.ndarray, as_of: pd.Timestamp, own: dict[str, pd.Timestamp] | None
             ) -> int | np.ndarray:
    """``as_of`` as epoch ns, or per row each row's group's own moment (``member_features``' ``own_as_of``)."""
    if own is None:
        return as_of.as_unit("ns").value
    ns = {g: pd.Timestamp(t).as_unit("ns").value for g, t in own.items()}
    return pd.Series(np.asarray(group_ids, dtype=object)).map(ns).fillna(as_of.as_unit("ns").value).to_numpy(np.int64)


def _universe(members: pd.DataFrame | None, sp: pd.DataFrame, as_of: pd.Timestamp,
              own: dict[str, pd.Timestamp] | None = None) -> pd.DataFrame:
    """Everyone judged: the members frame plus speakers it lacks, whose membership began by as_of
    (``own``: their group's own moment), with ``present`` (in the group then, the one rule of
    ``qunkit.members``)."""
    speakers = pd.DataFrame({"group_id": sp["group_id"].astype(str).to_numpy(),
                             "member_id": sp["member_id"].astype(str).to_numpy(),
                             "first_spoke": to_datetime_utc(sp["first_ns"].to_numpy()),
                             "last_spoke": to_datetime_utc(sp["last_ns"].to_numpy())})
    mem = with_speakers(members, speakers)
    mem = mem[mem["member_id"] != "system"].drop_duplicates(["group_id", "member_id"]).reset_index(drop=True)
    at = _moments(mem["group_id"], as_of, own) if own is not None else as_of
    began = joined_by(mem, at)
    out = pd.DataFrame({
        "group_id": mem["group_id"].to_numpy(dtype=object), "member_id": mem["member_id"].to_numpy(dtype=object),
        "member_name": mem["member_name"].to_numpy(dtype=object), "group_name_m": mem["group_name"].to_numpy(),
        "roster_role": mem["role"].to_numpy(dtype=object), "in_roster": mem["in_roster"].to_numpy(),
        "roster_known": mem["roster_known"].to_numpy(), "joined_ns": to_ns(mem["joined"]),
        "left_ns": to_ns(mem["left"]), "present": present_at(mem, at),
    })
    return out[began].reset_index(drop=True)


def role_scores(mf: pd.DataFrame, params: dict[str, float] | None = None) -> pd.DataFrame:
    """Score every member for every role (columns named after ROLES), each in [0, 1].

    Shares are taken over the member's messages *with content* (``talk``: not "1", "+1",
    打卡 or a newcomer's hello), so that everybody's roll-call answers do not dilute what
    they actually say.  A share counts fully only with enough instances behind it.
    """
    p = {**PARAMS, **(params or {})}
    n = mf["messages"].to_numpy()
    talk = mf["talk"].to_numpy()
    nt = np.maximum(talk, 1)
    s: dict[str, np.ndarray] = {}

    gid = mf["group_id"].to_numpy()
    g_talk = pd.Series(talk).groupby(gid).transform("sum").to_numpy()
    gamma = p["group_relative"]

    def share(col: str, lo: str, hi: str, need: float = 2.0) -> np.ndarray:
        # a share is judged against the group's own habit: in a Q&A group everybody asks more
        k = mf[col].to_numpy()
        x = k / nt
        if gamma > 0:
            g_rate = pd.Series(k).groupby(gid).transform("sum").to_numpy() / np.maximum(g_talk, 1)
            x = x / np.power(np.maximum(g_rate, 1e-6) / REFERENCE_RATES[col], gamma)
        return _sat(x, p[lo], p[hi]) * np.clip(k / need, 0.0, 1.0)

    role = mf["roster_role"].astype(object).fillna("").astype(str).str.lower().to_numpy()
    role_bonus = np.where(role == "owner", p["org_role_owner"], np.where(role == "admin", p["org_role_admin"], 0.0))
    org = mf["org"].to_numpy()
    of_group = np.where(mf["group_org"].to_numpy() > 0, org / np.maximum(mf["group_org"].to_numpy(), 1), 0)
    manage = _sat(mf["manages"].to_numpy(), 0, 3) * 0.5
    s["organizer"] = _noisy_or(share("org", "org_lo", "org_hi", p["org_need"]),
                               p["org_group_share"] * of_group * np.clip(org / p["org_need"], 0, 1),
                               role_bonus, manage)
    drew = np.where(mf["long"] > 0, mf["long_replied"] / np.maximum(mf["long"], 1), 0)
    mean_len = mf["talk_chars"].to_numpy() / nt
    voice = thinker_gate(mf, p)
    s["thinker"] = voice * _noisy_or(share("long", "think_long_lo", "think_long_hi") * (0.6 + 0.4 * drew),
                                     share("answers", "think_answer_lo", "think_answer_hi"),
                                     p["think_len_w"] * _sat(mean_len, p["think_len_lo"], p["think_len_hi"])
                                     * (talk >= 3))
    nm = np.maximum(n, 1)
    s["joker"] = _noisy_or(share("fun", "joke_lo", "joke_hi"), p["joke_chat_w"] * _chatter(mf, p),
                           p["joke_sticker_w"] * _sat((mf["stickers"] + mf["banter"]).to_numpy() / nm,
                                                      p["joke_sticker_lo"], p["joke_sticker_hi"]) * (talk >= 3))
    lift = _question_lift(mf, p)
    s["asker"] = _noisy_or(share("questions", "ask_lo", "ask_hi", p["ask_need"]) * lift,
                           p["ask_thanks_w"] * _sat(mf["thanks"].to_numpy() / nm, p["ask_thanks_lo"],
                                                    p["ask_thanks_hi"]) * (mf["questions"].to_numpy() >= 1)
                           * np.maximum(lift, p["ask_thanks_floor"]))
    s["challenger"] = _noisy_or(share("complaints", "chal_lo", "chal_hi", p["chal_min"]),
                                p["chal_agree_w"] * _sat(mf["agrees"].to_numpy() / nm, 0.05, 0.25)
                                * (mf["complaints"].to_numpy() >= 1))
    ads = np.maximum(mf["ads"].to_numpy(), mf["dup_self"].to_numpy() * (mf["links"].to_numpy() > 0))
    s["advertiser"] = _noisy_or(_sat(ads / np.maximum(n, 1), p["ad_lo"], p["ad_hi"]) * (ads >= 1),
                                p["ad_kicked"] * (mf["kicked"].to_numpy() > 0) * (ads >= 1))

    fe = _few_evidence(mf, p, voice)
    for i, r in enumerate(("challenger", "thinker", "asker")):
        s[r] = np.maximum(s[r], fe[:, i])

    rate = mf["rate_month"].to_numpy()
    med = mf["group_median_rate"].to_numpy()
    rel = np.where(med > 0, rate / np.maximum(med, 1e-9), 0.0)
    abs_l = 1.0 - _sat(rate, p["lurk_rate"], p["lurk_rate_hi"])
    rel_l = 1.0 - _sat(rel, p["lurk_rel"], p["lurk_rel_hi"])
    s["lurker"] = np.where(talk == 0, 1.0, np.maximum(abs_l, rel_l))
    return pd.DataFrame({r: np.round(s[r], 3) for r in ROLES}, index=mf.index)


def question_rates(mf: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(member's questions per message with content, the group's): what ``_question_lift`` compares
    and the asker's reasons cite."""
    q = mf["questions"].to_numpy(dtype=float)
    talk = mf["talk"].to_numpy(dtype=float)
    gid = mf["group_id"].to_numpy()
    g_rate = (pd.Series(q).groupby(gid).transform("sum").to_numpy()
              / np.maximum(pd.Series(talk).groupby(gid).transform("sum").to_numpy(), 1))
    return q / np.maximum(talk, 1), g_rate


def _question_lift(mf: pd.DataFrame, p: dict[str, float]) -> np.ndarray:
    """[0, 1]: does this member ask more than the group's own habit?  In a chatty group everybody's
    talk carries a question now and then ("去哪儿？"); an asker brings questions beyond that."""
    if p["ask_lift_hi"] <= 0:
        return np.ones(len(mf))
    own, group = question_rates(mf)
    return _sat(own / np.maximum(group, 1e-6), p["ask_lift_lo"], p["ask_lift_hi"])


def _chatter(mf: pd.DataFrame, p: dict[str, float]) -> np.ndarray:
    """[0, 1]: one of the group's chatters: mostly casual talk, posting many times the group's
    median speaker's rate (real groups' jokers tease in plain words more than they laugh)."""
    talk = np.maximum(mf["talk"].to_numpy(dtype=float), 1)
    med = mf["group_median_rate"].to_numpy(dtype=float)
    vol = np.where(med > 0, mf["rate_month"].to_numpy(dtype=float) / np.maximum(med, 1e-9), 0.0)
    return (_sat(mf["chat"].to_numpy(dtype=float) / talk, p["joke_chat_lo"], p["joke_chat_hi"])
            * _sat(vol, p["joke_vol_lo"], p["joke_vol_hi"]))


def thinker_gate(mf: pd.DataFrame, params: dict[str, float] | None = None) -> np.ndarray:
    """[0, 1] per member: is this one of the group's most substantive voices?

    The practice's thinker is the soul of a group, a few people, so substance is ranked *within the
    group*: substantive messages (long or explanatory, never ads, questions or notices) that drew
    replies, from how many different people.  Full weight for the group's top ``think_top_frac`` of
    its active speakers (at least ``think_top_min`` people) whose substance drew replies from at least
    ``think_rep_hi`` people; nothing for someone nobody but one person ever answered.
    """
    p = {**PARAMS, **(params or {})}
    rank, top, _ = substance_rank(mf, p)
    in_top = (rank <= top) & (mf["long_replied"].to_numpy() > 0)
    return in_top * _sat(mf["repliers"].to_numpy(dtype=float), p["think_rep_lo"], p["think_rep_hi"])


def substance_rank(mf: pd.DataFrame, params: dict[str, float] | None = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rank in the group by replied-to substance, how many ranks count as the group's top, active speakers).

    Substance = substantive messages that drew replies, weighted up to double by how many
    different people replied; active speakers have at least ``lurk_min_messages`` with content.
    """
    p = {**PARAMS, **(params or {})}
    reps = mf["repliers"].to_numpy(dtype=float)
    key = mf["long_replied"].to_numpy(dtype=float) * (1.0 + np.minimum(reps, 10.0) / 10.0)
    gid = mf["group_id"].to_numpy()
    # ties share their places: thirty people tied on one replied-to line are not thirty of the top
    rank = pd.Series(key).groupby(gid).rank(ascending=False, method="average").to_numpy()
    active = pd.Series(mf["talk"].to_numpy() >= p["lurk_min_messages"]).groupby(gid).transform("sum").to_numpy()
    top = np.maximum(p["think_top_min"], np.ceil(p["think_top_frac"] * active))
    return rank, top, active


def _few_evidence(mf: pd.DataFrame, p: dict[str, float], voice: np.ndarray | None = None) -> np.ndarray:
    """(members, 3): challenger, thinker, asker evidence that a few messages can carry on their own.

    Someone with fewer than ``lurk_min_messages`` messages with content is a lurker unless those few
    messages say who they are: a complaint about the group, a long explanation, thanking for answers
    again and again (lurkers almost never do any of these; their few messages are "1", laughter, hellos).
    """
    few = (mf["talk"].to_numpy() < p["lurk_min_messages"]).astype(float)
    voice = thinker_gate(mf, p) if voice is None else voice
    return p["few_score"] * few[:, None] * np.column_stack([
        mf["complaints"].to_numpy() >= p["few_complaints"],
        (mf["long"].to_numpy() >= p["few_long"]) * voice,
        mf["thanks"].to_numpy() >= p["few_thanks"],
    ]).astype(float)


def pick_roles(mf: pd.DataFrame, scores: pd.DataFrame, params: dict[str, float] | None = None) -> np.ndarray:
    """Main role: advertisers first (a spammer who posts rarely is still a spammer), then lurkers
    (little speech for the tenure outweighs what the few messages said), else the best score."""
    p = {**PARAMS, **(params or {})}
    active = [r for r in ROLES if r not in ("lurker", "advertiser")]
    best = np.asarray(active, dtype=object)[scores[active].to_numpy().argmax(axis=1)]
    best_score = scores[active].to_numpy().max(axis=1)
    out = best.copy()
    lurk = scores["lurker"].to_numpy()
    few = mf["talk"].to_numpy() < p["lurk_min_messages"]
    telling = few & (_few_evidence(mf, p).max(axis=1) > 0)
    # no evidence for any active role (every score 0) is no role at all: such a member is a lurker
    is_lurker = (((lurk >= p["lurk_floor"]) & ~telling & ((lurk * p["lurk_weight"] > best_score) | few))
                 | (best_score <= 0))
    out[is_lurker] = "lurker"
    adv = scores["advertiser"].to_numpy()
    sup = role_support(mf, p)
    out[(adv >= 0.5) & (adv >= best_score) & (sup["advertiser"].to_numpy() > 0)] = "advertiser"
    # a role needs a positive count behind it (what its reasons cite); without one the member is a lurker
    col = {r: i for i, r in enumerate(sup.columns)}
    has = sup.to_numpy()[np.arange(len(out)), [col[r] for r in out]] > 0 if len(out) else np.zeros(0, bool)
    out[~has] = "lurker"
    return out


def role_support(mf: pd.DataFrame, params: dict[str, float] | None = None) -> pd.DataFrame:
    """Per member and role, the count of the evidence a role's reasons lead with (0: the role is
    unsupported and cannot be chosen).  The lurker's support is their days of membership."""
    p = {**PARAMS, **(params or {})}
    rr = mf["roster_role"].astype(object).fillna("").astype(str).str.lower().isin(["owner", "admin"]).to_numpy()
    col = {c: mf[c].to_numpy(dtype=float) for c in
           ("org", "announce", "manages", "long_replied", "laugh", "stickers", "redpackets", "questions", "thanks",
            "complaints", "ads", "tenure_days", "chat")}
    return pd.DataFrame({
        "organizer": col["org"] + col["announce"] + col["manages"] + rr,
        "thinker": col["long_replied"],
        "joker": col["laugh"] + col["stickers"] + col["redpackets"] + col["chat"] * (_chatter(mf, p) * p["joke_chat_w"] > 0),
        "asker": col["questions"] + col["thanks"],
        "challenger": col["complaints"],
        "lurker": np.maximum(col["tenure_days"], 1.0),
        "advertiser": col["ads"],
    }, index=mf.index)


# ---- reasons --------------------------------------------------------------------------------------

def _n(count: float, noun: str, plural: str | None = None) -> str:
    """"1 question", "3 questions"."""
    k = int(round(count))
    return f"{k} {noun if k == 1 else (plural or noun + 's')}"


def _days(x: float) -> str:
    return _n(x, "day")


def _reasons(role: str, r: Any) -> list[str]:
    """Two or three plain sentences, strongest evidence first (``_EVIDENCE``: one function per role)."""
    n = int(r.messages)
    cands = _EVIDENCE[role](r, n) if role in _EVIDENCE else []
    cands.sort(key=lambda c: -c[0])
    out = [c[1] for c in cands[:3]]
    if len(out) < 2:
        out.append(f"{_n(n, 'message')} in {_days(r.tenure_days)}")
    return out


def _organizer_evidence(r: Any, n: int) -> list[tuple[float, str]]:
    cands: list[tuple[float, str]] = []
    rr = str(r.roster_role or "")
    if rr in ("owner", "admin"):
        cands.append((3, f"group {rr} in the {'roster' if r.in_roster else 'export'}"))
    if r.group_announce > 0 and r.announce > 0:
        cands.append((2 + r.announce / r.group_announce,
                      f"posted {int(r.announce)} of the {_n(r.group_announce, 'announcement')}/@全体成员"))
    parts = [_n(v, w, pl) for v, w, pl in ((r.welcome, "welcome of newcomers", "welcomes of newcomers"),
                                           (r.rules, "rule reminder", None), (r.event, "notice", None)) if v > 0]
    if parts:
        cands.append((1.5 + r.org / max(n, 1), ", ".join(parts) + f" in {_n(n, 'message')}"))
    if r.manages > 0:
        cands.append((1.2, f"invited or removed members {_n(r.manages, 'time')}"))
    return cands


def _thinker_evidence(r: Any, n: int) -> list[tuple[float, str]]:
    cands: list[tuple[float, str]] = []
    if r.long_replied > 0:
        cands.append((3, f"{int(r.long_replied)} of {_n(r.long, 'substantive message')} (explanations, 30+ "
                      f"characters, no ads or questions) drew replies, from {_n(r.repliers, 'person', 'people')}"))
    if r.long_replied > 0 and r.group_active > 0:
        cands.append((2.5, f"#{int(r.substance_rank)} of the group's {_n(r.group_active, 'active speaker')} "
                      "by replied-to substance"))
    if r.answers > 0:
        cands.append((2 + r.answers / max(n, 1), f"answered others' questions {_n(r.answers, 'time')}"))
    return cands


def _joker_evidence(r: Any, n: int) -> list[tuple[float, str]]:
    cands: list[tuple[float, str]] = []
    if r.laugh > 0:
        cands.append((3, f"laughter or banter in {int(r.laugh)} of {_n(n, 'message')}"))
    if r.stickers + r.redpackets > 0:
        cands.append((2.9 if r.laugh == 0 else 2, f"{_n(r.stickers, 'sticker')}, {_n(r.redpackets, 'red packet')} "
                      f"in {_n(n, 'message')}"))
    if r.chatter > 0:
        vol = r.rate_month / r.group_median_rate if r.group_median_rate > 0 else 0.0
        cands.append((2.95 if r.laugh == 0 else 1.9,
                      f"{int(r.chat)} of {_n(r.talk, 'message')} with content are casual talk (no question, notice "
                      f"or explanation), {vol:.0f}x the group's median speaker's rate"))
    if r.textual > 0:
        cands.append((1, f"{r.chars / max(r.textual, 1):.0f} characters per message on average"))
    return cands


def _asker_evidence(r: Any, n: int) -> list[tuple[float, str]]:
    cands: list[tuple[float, str]] = []
    if r.questions > 0:
        cands.append((3, f"asked {_n(r.questions, 'question')} in {_n(n, 'message')}"))
        cands.append((2, f"{int(r.answered_q)} of them were answered"))
    if r.thanks > 0:
        cands.append((2.5 if r.questions > 0 else 3,
                      f"thanked others for answers {_n(r.thanks, 'time')} (谢谢, 学到了, 懂了 ...)"))
    # the comparison supports the role only when they ask more than the group does; below it, it would
    # argue against their own role (an asker by questions answered and thanks, not by their rate)
    if r.questions > 0 and r.group_q_rate > 0 and r.own_q_rate >= r.group_q_rate:
        cands.append((2.2, f"questions are {r.own_q_rate:.0%} of their messages with content, "
                      f"{r.own_q_rate / r.group_q_rate:.1f}x the group's rate ({r.group_q_rate:.0%})"))
    if r.questions > 0 and r.group_questions > 0:
        cands.append((1, f"{r.questions / r.group_questions:.0%} of the group's questions"))
    return cands


def _challenger_evidence(r: Any, n: int) -> list[tuple[float, str]]:
    cands: list[tuple[float, str]] = []
    if r.complaints > 0:
        cands.append((3, f"complained about the group or its management {_n(r.complaints, 'time')} in "
                      f"{_n(n, 'message')}"))
    if r.agrees > 0 and r.complaints > 0:
        cands.append((1.5, f"seconded others {_n(r.agrees, 'time')} (+1, 同感 ...)"))
    if r.replied > 0:
        cands.append((1, f"{r.replied / max(n, 1):.0%} of their messages drew replies"))
    return cands


def _advertiser_evidence(r: Any, n: int) -> list[tuple[float, str]]:
    cands: list[tuple[float, str]] = []
    if r.ads > 0:
        cands.append((3, f"{int(r.ads)} of {_n(n, 'message')} look like ads (recruiting, sales, prices, contact "
                      "handles, links)"))
    if r.dup_self > 0:
        cands.append((2.5, f"posted the same text again {_n(r.dup_self, 'time')}"))
    if r.links > 0:
        cands.append((2, _n(r.links, "link")))
    if r.kicked > 0:
        cands.append((2.8, "was removed from the group"))
    return cands


def _lurker_evidence(r: Any, n: int) -> list[tuple[float, str]]:
    cands: list[tuple[float, str]] = []
    if n == 0:
        since = "" if not r.in_roster else " (in the roster)"
        cands.append((3, f"never spoke in {_days(r.tenure_days)} as a member{since}"))
    else:
        talk = int(r.talk)
        content = "" if talk == n else f", {talk} with content (roll-call answers and hellos aside)"
        cands.append((3, f"{_n(n, 'message')} in {_days(r.tenure_days)} as a member{content}, "
                      f"{r.rate_month:.1f} a month"))
    if r.group_median_rate > 0:
        cands.append((2, f"the group's median speaker posts {r.group_median_rate:.1f} messages with content "
                      "a month"))
    if n > 0 and not pd.isna(r.last_spoke):
        cands.append((1, f"last spoke {r.last_spoke:%Y-%m-%d}"))
    return cands


_EVIDENCE = {"organizer": _organizer_evidence, "thinker": _thinker_evidence, "joker": _joker_evidence,
             "asker": _asker_evidence, "challenger": _challenger_evidence, "advertiser": _advertiser_evidence,
             "lurker": _lurker_evidence}


def assign_roles(
    messages: pd.DataFrame,
    members: pd.DataFrame | None,
    as_of: pd.Timestamp,
    lexicon: Lexicon | str | None = None,
    *,
    features: Features | None = None,
    params: dict[str, float] | None = None,
) -> pd.DataFrame:
    """One row per member per group: main role, scores (role -> [0, 1]) and reasons.

    Roster members who never spoke are included (as lurkers); members who joined
    after ``as_of`` are not.  ``lexicon`` extends the built-in word lists (a path or
    a ``Lexicon``); ``features`` (from ``compute_features``) skips recomputing them.
    Sorted by group, then role, then messages (most first).
    """
    F = features if features is not None else compute_features(messages, as_of, lexicon, members=members)
    return roles_from_features(member_features(F, members), params)


def main_roles(mf: pd.DataFrame, params: dict[str, float] | None = None) -> pd.DataFrame:
    """(group_id, member_id, role) of ``member_features`` rows, in their order: the role alone, without
    the reasons ``roles_from_features`` writes (``prune`` needs only who is an advertiser)."""
    if not len(mf):
        return pd.DataFrame({c: [] for c in ("group_id", "member_id", "role")})
    return pd.DataFrame({"group_id": mf["group_id"].astype(str).to_numpy(),
                         "member_id": mf["member_id"].astype(str).to_numpy(),
                         "role": pick_roles(mf, role_scores(mf, params), params)})


def roles_from_features(mf: pd.DataFrame, params: dict[str, float] | None = None) -> pd.DataFrame:
    """``assign_roles`` from ``member_features`` rows.  Every figure is judged within the member's own
    group (against ``REFERENCE_RATES`` for the group's habit), so scoring groups one by one or together
    gives the same roles: they depend neither on the engine nor on which groups are in scope."""
    if not len(mf):
        return pd.DataFrame({c: [] for c in ROLE_COLUMNS})
    scores = role_scores(mf, params)
    role = pick_roles(mf, scores, params)
    rank, _, active = substance_rank(mf, params)
    p = {**PARAMS, **(params or {})}
    own_q, group_q = question_rates(mf)
    mf = mf.assign(substance_rank=rank, group_active=active, chatter=_chatter(mf, p) * (p["joke_chat_w"] > 0),
                   own_q_rate=own_q, group_q_rate=group_q)
    out = pd.DataFrame({
        "group_id": mf["group_id"].astype(str), "group_name": mf["group_name"].astype(str),
        "member_id": mf["member_id"].astype(str), "member_name": mf["member_name"].astype(str),
        "role": role, "messages": mf["messages"].astype(int),
    })
    recs = scores.to_dict("records")
    out["scores"] = [{k: float(v) for k, v in d.items()} for d in recs]
    # itertuples over Arrow-backed string columns is slow: give it plain objects
    plain = mf.astype({c: object for c in mf.columns if pd.api.types.is_string_dtype(mf[c].dtype)})
    out["reasons"] = [_reasons(rl, r) for rl, r in zip(role, plain.itertuples(index=False), strict=True)]
    out["roster_known"] = mf["roster_known"].to_numpy()
    out["present"] = mf["present"].to_numpy(dtype=bool)
    order = {r: i for i, r in enumerate(ROLES)}
    out["_o"] = out["role"].map(order)
    out = out.sort_values(["group_name", "group_id", "_o", "messages"], ascending=[True, True, True, False],
                          kind="stable").drop(columns="_o").reset_index(drop=True)
    return out
