"""Dead-group risk: a 0-100 score, a level and the named causes behind it.

The causes are the ones the practice names (shared/DOMAIN.md, "Why groups
die"), each measured at ``as_of`` from the messages before it:

- long silence (days since the last message with content; 30 days scores 100),
- falling volume and a shrinking set of speakers per week (the last two weeks, week and
  three days against the group's *own* week-to-week swing, ``analysis.dips``,
  so a one-off dip in a noisy group is not a fall; and the trend over eight weeks,
  fitted on the weeks without a holiday),
- a monologue (自嗨/独角戏: one voice -- a member, or the owner and admins together --
  writes most of the last 30 or 60 days and almost nobody answers it), no conversation
  (almost no message of 60 days answered, whoever wrote it), replies falling (the share
  answered in the last 4 weeks below the group's own earlier rate), questions left unanswered,
- key members gone quiet for a month, named (``analysis.key_members``); a key
  member back after such a silence lowers the score,
- floods and ads crowding out talk (noise share),
- organizers gone quiet, no new members, members leaving,
- age past the usual life of a WeChat group (lively 1-2 months, dead by 3-4).

What must *not* be called dying: a holiday lull (a drop that overlaps the
Spring Festival or National Day week is discounted), a group that shrank and
held steady (declines are measured against the last six weeks, not against an
old peak), and a group coming back to life (recent growth lowers the score).
qunkit's own generator plants one_man_show groups that never die (the operator
keeps posting); the practice says they do, and so does the second generator: a
monologue alone is at-risk, and costs AUC on the first generator.

Each cause contributes points (weights in ``WEIGHTS``); the reasons list the
contributing causes, largest first, each with its figure ("speakers down 60% in 2 weeks").
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from ..holidays import holidays
from ..members import PROTECTED_ROLES, present_at, to_ns
from .dips import Dip, dip
from .key_members import key_member_features
from .text_features import Features, compute_features

LEVELS = ((75, "dead"), (50, "at-risk"), (25, "watch"), (0, "healthy"))
RISK_COLUMNS = ("group_id", "group_name", "score", "level", "reasons", "features")
_DAY = 86_400 * 1_000_000_000
_WEEK = 7 * _DAY

# points each cause can add (at full strength).  Tuned on qunkit's generator seed 0 (the first causes), then
# the monologue windows, no_conversation, replies_falling and the holiday-free trend on gen2 seeds 1-6 (QQ and
# WeChatMsg layouts) and qunkit seeds 0-3 together (benchmarks/validate.py); gen2 seeds 7-9 are held out.
WEIGHTS: dict[str, float] = {
    "silence": 90.0,          # no content for SILENCE_DEAD days -> dead on its own
    "volume_drop": 60.0,
    "speaker_drop": 20.0,
    "trend": 15.0,
    "one_man": 6.0,
    "no_reply": 8.0,
    "unanswered": 3.0,
    "noise": 25.0,            # floods and ads of most messages: members mute the group (DOMAIN.md)
    "organizers_quiet": 8.0,
    "no_newcomers": 4.0,
    "leavers": 12.0,
    "wechat_age": 5.0,
    "revival": -20.0,
    "monologue": 55.0,        # one voice, nobody answering (独角戏): at-risk on its own
    "key_quiet": 20.0,        # at full strength when the quiet key members wrote half the content
    "key_back": -8.0,         # per key member back after a month's silence (at most two count)
    "no_conversation": 30.0,  # almost nothing answered in 60 days (有互动 missing), when no monologue says it
    "replies_falling": 20.0,  # answered share below the group's own earlier rate
}
SILENCE_WATCH = 7.0            # days of silence where the silence cause starts
SILENCE_DEAD = 30.0            # ... and where it is at full strength
HOLIDAY_DISCOUNT = 0.3         # a drop that overlaps a holiday keeps this much of its weight
MONOLOGUE_WINDOWS = (30, 60)   # the windows (days) a monologue (独角戏) is measured over ...
NO_CONVERSATION_DAYS = 60      # ... and a room without conversation
MONOLOGUE_MIN_MSGS = 5         # ... and the messages they need (one voice, however few)
TREND_HOLIDAY_DAYS = 2.0       # a week with this many holiday days is left out of the 8-week trend
NO_CONVERSATION = (0.05, 0.15)  # share of messages answered in 60 days: full weight at, and none above
REPLY_RECENT_WEEKS = 4         # replies falling: the share answered in these last weeks ...
REPLY_BASE_WEEKS = 8           # ... against the weeks before
REPLY_MIN_Z = 2.0              # ... a fall this many binomial standard errors ...
REPLY_MIN_FALL = 0.10          # ... and at least this many points


@lru_cache(maxsize=1)
def _holiday_ns() -> np.ndarray:
    """The holiday spans (``qunkit.holidays``) as int64 ns pairs, built once."""
    return np.array([(a.value, b.value) for a, b in holidays()], dtype=np.int64)


def _overlap_days(start_ns: int, end_ns: int) -> float:
    spans = _holiday_ns()
    lo = np.maximum(spans[:, 0], start_ns)
    hi = np.minimum(spans[:, 1], end_ns)
    return float(np.clip(hi - lo, 0, None).sum()) / _DAY


def _sat(x: float, lo: float, hi: float) -> float:
    if not np.isfinite(x):
        return 0.0
    return float(min(max((x - lo) / (hi - lo), 0.0), 1.0))


def _pct(x: float) -> str:
    return f"{abs(x):.0%}"


def _speakers(member: np.ndarray, talk: np.ndarray, age_weeks: np.ndarray, lo: int, hi: int) -> int:
    """Distinct members with content in weeks [lo, hi) before as_of."""
    sel = talk & (age_weeks >= lo) & (age_weeks < hi)
    return int(len(np.unique(member[sel])))


def _member_facts(members: pd.DataFrame | None, as_of: pd.Timestamp
                  ) -> tuple[dict[str, set[str]], dict[str, np.ndarray], dict[str, np.ndarray], dict[str, float]]:
    """Per group, in one grouped pass: owner/admin ids (roster or titles), known join and leave times
    (ns), and the members present at as_of (``qunkit.members.present_at``; roster groups only)."""
    org_ids: dict[str, set[str]] = {}
    join_ns: dict[str, np.ndarray] = {}
    left_ns: dict[str, np.ndarray] = {}
    n_members: dict[str, float] = {}
    if members is None or not len(members):
        return org_ids, join_ns, left_ns, n_members
    mid = members["member_id"].to_numpy(dtype=object)
    org = members["role"].isin(PROTECTED_ROLES).to_numpy(dtype=bool)
    joined, left = to_ns(members["joined"]), to_ns(members["left"])
    known = members["roster_known"].to_numpy(dtype=bool)
    present = present_at(members, as_of)
    nat = np.iinfo(np.int64).min
    for gid, idx in pd.Series(np.arange(len(members))).groupby(members["group_id"].to_numpy()).indices.items():
        org_ids[gid] = set(mid[idx[org[idx]]])
        join_ns[gid] = joined[idx][joined[idx] != nat]
        left_ns[gid] = left[idx][left[idx] != nat]
        if known[idx].any():
            n_members[gid] = float(present[idx].sum())
    return org_ids, join_ns, left_ns, n_members


def group_features(F: Features, members: pd.DataFrame | None) -> pd.DataFrame:
    """Per-group numbers the risk score is built from (one row per group)."""
    msgs, groups = F.msgs, F.groups
    as_of = F.as_of.as_unit("ns").value
    G = len(groups)
    talk = msgs["talk"].to_numpy() & ~msgs["noise"].to_numpy()
    g = msgs["g"].to_numpy()
    t = msgs["t"].to_numpy()
    mk = msgs["mk"].to_numpy()
    age_w = (as_of - t) // _WEEK                      # 0 = the last 7 days
    rows: list[dict[str, Any]] = []

    org_ids, join_ns, left_ns, n_members = _member_facts(members, F.as_of)
    people_gid = F.people["group_id"].to_numpy()
    people_mid = F.people["member_id"].to_numpy()
    people_name = F.people["member_name"].astype(str).to_numpy()
    flags = {c: msgs[c].to_numpy() for c in ("replied", "question", "answered", "noise", "ad", "festive",
                                            "redpacket")}

    ev = F.events
    ev_of: dict[int, pd.DataFrame] = {}
    if len(ev):
        evf = pd.DataFrame({"g": ev["g"].to_numpy(), "event": ev["event"].to_numpy(),
                            "t": pd.DatetimeIndex(ev["ts"]).as_unit("ns").asi8})
        evf = evf[evf["event"].isin(["leave", "kick"])]
        ev_of = {int(k): v for k, v in evf.groupby("g")}
    order = np.argsort(g, kind="stable")
    bounds = np.searchsorted(g[order], np.arange(G + 1))
    for gi in range(G):
        idx = order[bounds[gi]:bounds[gi + 1]]
        gid = str(groups["group_id"].iat[gi])
        ti, ai, tk, mi = t[idx], age_w[idx], talk[idx], mk[idx]
        f: dict[str, Any] = {"g": gi}
        first_ns = int(ti.min()) if len(ti) else as_of
        f["age_days"] = (as_of - first_ns) / _DAY
        last_talk = ti[tk].max() if tk.any() else first_ns
        f["days_silent"] = (as_of - int(last_talk)) / _DAY
        volume = _volume_features(ti, ai, tk, as_of, f["age_days"])
        trend = volume.pop("trend_per_week")
        f.update(volume)
        f.update(_speaker_features(mi, tk, ai))
        f.update(_speaker_dips(mi, tk, ai, f["age_days"]))
        f["trend_per_week"] = trend              # after the speakers: the key order is the json's
        mine = {c: v[idx] for c, v in flags.items()}
        orgs = org_ids.get(gid, set())
        is_org = np.isin(people_mid[mi], list(orgs)) & (people_gid[mi] == gid) if orgs else np.zeros(len(mi), bool)
        f.update(_conversation_features(mine, mi, tk, ai, people_mid, orgs, is_org))
        for days in sorted({*MONOLOGUE_WINDOWS, NO_CONVERSATION_DAYS}):
            f.update(_monologue_features(mi, ti, tk, mine["replied"], is_org, as_of, days))
        f.update(_reply_trend_features(mine["replied"], tk, ai))
        f.update(key_member_features(mi, ti, tk, people_name, as_of))
        f.update(_membership_features(join_ns.get(gid, np.zeros(0, np.int64)), left_ns.get(gid, np.zeros(0, np.int64)),
                                      ev_of.get(gi), n_members.get(gid), mi, as_of))
        f["platform"] = str(groups["platform"].iat[gi])
        # holiday greetings and red packets in the last two weeks: the group itself says it is a holiday
        recent2 = ai < 2
        f["festive_recent"] = int((mine["festive"] & recent2).sum())
        f["redpackets_recent"] = int((mine["redpacket"] & recent2).sum())
        rec_start = as_of - 2 * _WEEK
        f["holiday_days_recent"] = _overlap_days(rec_start, as_of)
        f["holiday_days_1w"] = _overlap_days(as_of - _WEEK, as_of)
        f["holiday_days_3d"] = _overlap_days(as_of - 3 * _DAY, as_of)
        f["holiday_days_prev"] = _overlap_days(as_of - 6 * _WEEK, rec_start)
        rows.append(f)
    return pd.DataFrame(rows)


def _volume_features(ti: np.ndarray, ai: np.ndarray, tk: np.ndarray, as_of: int, age_days: float
                     ) -> dict[str, Any]:
    """One group's message volume: recent windows against the ones before, and the 8-week trend."""
    f: dict[str, Any] = {}
    weeks = np.bincount(ai[tk & (ai < 12)], minlength=12)[:12].astype(float)
    f["weeks_observed"] = min(12.0, age_days / 7.0)
    # volume: the last two weeks against the four before them (per two weeks)
    recent = weeks[0] + weeks[1]
    prev = (weeks[2] + weeks[3] + weeks[4] + weeks[5]) / 2.0
    f["msgs_recent_2w"] = recent
    f["msgs_prev_2w"] = prev
    f["volume_change"] = (recent - prev) / prev if prev > 0 else 0.0
    # a sudden collapse shows first in the last week against the four before it
    prev_w = (weeks[1] + weeks[2] + weeks[3] + weeks[4]) / 4.0
    f["msgs_last_week"] = weeks[0]
    f["msgs_prev_week_avg"] = prev_w
    f["volume_change_1w"] = (weeks[0] - prev_w) / prev_w if prev_w > 0 else 0.0
    # ... or in the last three days against the same three weekdays of the four weeks before
    age_ns = as_of - ti
    last3 = int((tk & (age_ns < 3 * _DAY)).sum())
    prev3 = np.mean([int((tk & (age_ns >= k * _WEEK) & (age_ns < k * _WEEK + 3 * _DAY)).sum())
                     for k in range(1, 5)])
    f["msgs_last_3d"] = last3
    f["msgs_prev_3d_avg"] = float(prev3)
    f["volume_change_3d"] = (last3 - prev3) / prev3 if prev3 > 0 else 0.0
    # the same windows against the group's own week-to-week variation (``analysis.dips``)
    full = int(age_days // 7)                     # weeks wholly inside the group's history
    base3 = [int((tk & (age_ns >= k * _WEEK) & (age_ns < k * _WEEK + 3 * _DAY)).sum()) for k in range(1, 7)]
    f.update(_dip_fields("vol_2w", dip(weeks[:2], weeks[2:min(8, full)])))
    f.update(_dip_fields("vol_1w", dip(weeks[:1], weeks[1:min(7, full)])))
    f.update(_dip_fields("vol_3d", dip(np.array([last3]), np.array(base3[:max(full - 1, 0)]))))
    # eight-week trend of log volume (slope per week; negative = falling), fitted on the weeks without a
    # holiday (``TREND_HOLIDAY_DAYS`` or more holiday days): a Spring Festival lull is not a slope
    n8 = int(min(8, max(f["weeks_observed"], 0)))
    k = np.arange(n8)
    free = np.array([_overlap_days(as_of - (i + 1) * _WEEK, as_of - i * _WEEK) < TREND_HOLIDAY_DAYS for i in k],
                    dtype=bool)
    f["trend_weeks"] = int(free.sum())
    if free.sum() >= 4:
        f["trend_per_week"] = float(np.polyfit(-k[free].astype(float), np.log1p(weeks[:n8][free]), 1)[0])
    else:
        f["trend_per_week"] = 0.0
    return f


def _speaker_features(mi: np.ndarray, tk: np.ndarray, ai: np.ndarray) -> dict[str, Any]:
    """Distinct talkers in the last two weeks (and week) against the windows before."""
    s_recent = _speakers(mi, tk, ai, 0, 2)
    s_prev = (_speakers(mi, tk, ai, 2, 4) + _speakers(mi, tk, ai, 4, 6)) / 2.0
    s_last = _speakers(mi, tk, ai, 0, 1)
    s_prev_w = np.mean([_speakers(mi, tk, ai, k, k + 1) for k in range(1, 5)])
    return {"speakers_recent_2w": s_recent, "speakers_prev_2w": s_prev,
            "speakers_change": (s_recent - s_prev) / s_prev if s_prev > 0 else 0.0,
            "speakers_last_week": s_last, "speakers_prev_week_avg": float(s_prev_w),
            "speakers_change_1w": (s_last - s_prev_w) / s_prev_w if s_prev_w > 0 else 0.0}


def _dip_fields(prefix: str, d: Dip) -> dict[str, float]:
    """A ``Dip`` as flat feature numbers (the json's ``features``); ``_dip_of`` reads them back."""
    return {f"{prefix}_recent": d.recent, f"{prefix}_usual": d.usual, f"{prefix}_change": d.change,
            f"{prefix}_z": d.z, f"{prefix}_spread": d.spread, f"{prefix}_windows": d.windows}


def _dip_of(f: dict[str, Any], prefix: str) -> Dip:
    return Dip(*(f[f"{prefix}_{k}"] for k in ("recent", "usual", "change", "spread", "z", "windows")))


def _speaker_dips(mi: np.ndarray, tk: np.ndarray, ai: np.ndarray, age_days: float) -> dict[str, Any]:
    """Distinct speakers per week (the last eight) against the group's own week-to-week variation."""
    sel = tk & (ai < 8)
    span = int(mi.max()) + 1 if len(mi) else 1
    pairs = np.unique(ai[sel].astype(np.int64) * span + mi[sel])        # one (week, speaker) pair each
    per_week = np.bincount(pairs // span, minlength=8)[:8].astype(float)
    full = int(age_days // 7)
    return {**_dip_fields("spk_2w", dip(per_week[:2], per_week[2:min(8, full)])),
            **_dip_fields("spk_1w", dip(per_week[:1], per_week[1:min(7, full)]))}


def _monologue_features(mi: np.ndarray, ti: np.ndarray, tk: np.ndarray, replied: np.ndarray,
                        is_org: np.ndarray, as_of: int, days: int) -> dict[str, Any]:
    """The last ``days``: the loudest voice's share and how many of its messages someone else answered
    (``text_features``' replied: a next turn, a quote or an @mention by another member), and the share
    of all messages answered.  The owner and the admins count as one voice: an operator team posting
    to a silent room is one show (独角戏), however many accounts it uses."""
    sel = tk & (ti > as_of - days * _DAY)
    n = int(sel.sum())
    d = f"_{days}d"
    if not n:
        return {f"msgs{d}": 0, f"speakers{d}": 0, f"top_voice_share{d}": 0.0, f"top_voice_reply_share{d}": 0.0,
                f"top_voice_is_org{d}": False, f"reply_share{d}": 0.0}
    voice = np.where(is_org, -1, mi)                   # -1: the owner and admins together
    ids, counts = np.unique(voice[sel], return_counts=True)
    top = ids[counts.argmax()]
    mine = sel & (voice == top)
    return {f"msgs{d}": n, f"speakers{d}": int(len(np.unique(mi[sel]))),
            f"top_voice_share{d}": float(counts.max() / n), f"top_voice_reply_share{d}": float(replied[mine].mean()),
            f"top_voice_is_org{d}": bool(top == -1), f"reply_share{d}": float(replied[sel].mean())}


def _reply_trend_features(replied: np.ndarray, tk: np.ndarray, ai: np.ndarray) -> dict[str, Any]:
    """Share of messages answered in the last ``REPLY_RECENT_WEEKS`` against the ``REPLY_BASE_WEEKS``
    before, and the binomial z of the recent share under the earlier rate."""
    rec = tk & (ai < REPLY_RECENT_WEEKS)
    base = tk & (ai >= REPLY_RECENT_WEEKS) & (ai < REPLY_RECENT_WEEKS + REPLY_BASE_WEEKS)
    n_r, n_b = int(rec.sum()), int(base.sum())
    p_r = float(replied[rec].mean()) if n_r else 0.0
    p_b = float(replied[base].mean()) if n_b else 0.0
    sd = np.sqrt(p_b * (1 - p_b) / n_r) if n_r and 0 < p_b < 1 else 0.0
    return {"reply_msgs_recent": n_r, "reply_share_recent": p_r, "reply_msgs_before": n_b,
            "reply_share_before": p_b, "reply_z": float((p_r - p_b) / sd) if sd else 0.0}


def _conversation_features(mine: dict[str, np.ndarray], mi: np.ndarray, tk: np.ndarray, ai: np.ndarray,
                           people_mid: np.ndarray, orgs: set[str], is_org: np.ndarray) -> dict[str, Any]:
    """The last 28 days' conversation (concentration, replies, questions, noise) and the organizers'
    messages now against before."""
    f: dict[str, Any] = {}
    last4 = ai < 4
    sp = last4 & tk
    n4 = int(sp.sum())
    f["msgs_4w"] = n4
    counts = np.bincount(mi[sp]) if n4 else np.zeros(1)
    top = int(counts.argmax()) if n4 else -1
    f["top1_share"] = float(counts.max() / n4) if n4 else 0.0
    f["top1_is_admin"] = bool(n4 and people_mid[top] in orgs)
    f["reply_share"] = float(mine["replied"][sp].mean()) if n4 else 0.0
    q = mine["question"] & last4
    f["questions_4w"] = int(q.sum())
    f["unanswered_share"] = float((q & ~mine["answered"]).sum() / q.sum()) if q.sum() else 0.0
    f["noise_share"] = float(mine["noise"][last4].mean()) if last4.any() else 0.0
    f["ad_share"] = float(mine["ad"][last4].mean()) if last4.any() else 0.0
    f["organizer_msgs_recent_2w"] = int((is_org & tk & (ai < 2)).sum())
    f["organizer_msgs_prev_2w"] = float((is_org & tk & (ai >= 2) & (ai < 6)).sum()) / 2.0
    return f


def _membership_features(jn: np.ndarray, ln: np.ndarray, ev_g: pd.DataFrame | None, n_members: float | None,
                         mi: np.ndarray, as_of: int) -> dict[str, Any]:
    """Joins in 8 weeks, voluntary leaves and removals in 4, members at as_of and the leaver share."""
    f: dict[str, Any] = {"joins_known": bool(len(jn)),
                         "joins_8w": int(((jn > as_of - 8 * _WEEK) & (jn <= as_of)).sum()),
                         "leavers_4w": int(((ln > as_of - 4 * _WEEK) & (ln <= as_of)).sum()), "removed_4w": 0}
    # voluntary leaves only: removals after a roll call are pruning, which the practice recommends
    if ev_g is not None and len(ev_g):
        recent_ev = ev_g[(ev_g["t"] > as_of - 4 * _WEEK)]
        f["leavers_4w"] = int((recent_ev["event"] == "leave").sum())
        f["removed_4w"] = int((recent_ev["event"] == "kick").sum())
    f["members"] = np.nan if n_members is None else n_members
    seen = len(np.unique(mi)) if len(mi) else 0
    f["leaver_share_4w"] = f["leavers_4w"] / max(seen if n_members is None else n_members, 1)
    return f


def _score_row(f: dict[str, Any], w: dict[str, float]) -> tuple[float, list[tuple[float, str]]]:
    """Points per cause and the sentence that names it."""
    causes: list[tuple[float, str]] = []
    silent = f["days_silent"]
    damp = _holiday_damp(f)
    s = _sat(silent, SILENCE_WATCH, SILENCE_DEAD)
    if s > 0:
        causes.append((w["silence"] * s * (damp["1w"] if silent < SILENCE_DEAD else 1.0),
                       f"no message with content for {silent:.0f} days"))
    causes += _decline_causes(f, w, damp)
    monologue = _monologue_causes(f, w)
    mono = bool(monologue)
    causes += monologue + _conversation_causes(f, w, mono)
    causes += _key_member_causes(f, w, silent, mono)
    causes += _membership_causes(f, w, silent)
    score = 100.0 if silent >= SILENCE_DEAD else float(np.clip(sum(c[0] for c in causes), 0, 100))
    return score, causes


# a drop counts when it is both far outside the group's own weekly swing (z, in spreads) and large:
# (window, z from-to, fall from-to).  One week or three days alone must fall by half or more.
DIP_TESTS = {
    "2w": ((1.5, 4.0), (0.25, 0.7)),
    "1w": ((2.0, 5.0), (0.5, 0.9)),
    "3d": ((2.0, 5.0), (0.5, 0.95)),
}
DIP_WORDS = {"2w": "over the last 2 weeks", "1w": "in the last week", "3d": "in the last 3 days"}
DIP_MIN_USUAL = {"vol": 4.0, "spk": 3.0}     # below this many per window there is nothing to fall from


def _dip_strength(d: Dip, window: str) -> float:
    (z0, z1), (c0, c1) = DIP_TESTS[window]
    return min(_sat(-d.z, z0, z1), _sat(-d.change, c0, c1))


def _dip_text(what: str, d: Dip, window: str) -> str:
    per = "on those days" if window == "3d" else "a week"
    return (f"{what} down {_pct(d.change)} {DIP_WORDS[window]} ({d.recent:.0f} {per} vs a usual {d.usual:.0f}; "
            f"{-d.z:.1f}x the group's usual week-to-week swing)")


def _dips(f: dict[str, Any], prefix: str, what: str, windows: tuple[str, ...], damp: dict[str, float]
          ) -> list[tuple[float, str]]:
    """(strength after the window's holiday discount, sentence) for each window that fell."""
    out = []
    for wnd in windows:
        d = _dip_of(f, f"{prefix}_{wnd}")
        if d.valid and d.usual >= DIP_MIN_USUAL[prefix] and d.change < 0:
            out.append((_dip_strength(d, wnd) * damp[wnd], _dip_text(what, d, wnd)))
    return out


def _greeted(f: dict[str, Any]) -> bool:
    """The group itself greets a holiday in the last two weeks (greetings, red packets)."""
    return f["festive_recent"] >= 2 or (f["festive_recent"] >= 1 and f["redpackets_recent"] >= 1)


def _holiday_damp(f: dict[str, Any]) -> dict[str, float]:
    """The weight a drop keeps in each window: a holiday explains a drop only in a window it overlaps
    (two holiday days in a week or two, one in three days), or when the group itself greets the holiday
    (greetings, red packets).  A drop that outlasts the holiday by a week is not the holiday's."""
    greetings = _greeted(f)
    need = {"2w": 2.0, "1w": 2.0, "3d": 1.0}
    days = {"2w": f["holiday_days_recent"], "1w": f["holiday_days_1w"], "3d": f["holiday_days_3d"]}
    return {wnd: HOLIDAY_DISCOUNT if greetings or days[wnd] >= need[wnd] else 1.0 for wnd in need}


def _decline_causes(f: dict[str, Any], w: dict[str, float], damp: dict[str, float]) -> list[tuple[float, str]]:
    """Falling volume and speakers against the group's own variation (the worst window of each, each
    window discounted by a holiday it overlaps), the 8-week trend."""
    causes: list[tuple[float, str]] = []
    _add_worst(causes, _dips(f, "vol", "messages", ("2w", "1w", "3d"), damp), w["volume_drop"])
    drops = _dips(f, "spk", "speakers", ("2w", "1w"), damp)
    _add_worst(causes, drops, w["speaker_drop"])
    discounted = [wnd for wnd, d in damp.items() if d < 1.0]
    if discounted and (any(s > 0 for s, _ in drops) or f["vol_2w_change"] < -0.25):
        greeted = f["festive_recent"] >= 1
        why = f"holiday greetings ({f['festive_recent']}) and red packets" if greeted else "a holiday"
        causes.append((0.0, f"drop discounted: {why} in the last weeks"))
    # the fit leaves holiday weeks out; the group's own greetings still discount it
    trend_damp = HOLIDAY_DISCOUNT if _greeted(f) else 1.0
    if f["trend_per_week"] < 0:
        s = _sat(-f["trend_per_week"], 0.05, 0.3)
        if s > 0:
            weekly = np.expm1(-f["trend_per_week"])
            causes.append((w["trend"] * s * trend_damp, f"volume falling about {weekly:.0%} a week over 8 weeks"))
    return causes


def _conversation_causes(f: dict[str, Any], w: dict[str, float], mono: bool) -> list[tuple[float, str]]:
    """No conversation, replies falling, one voice of 4 weeks, no replies, unanswered questions, noise,
    organizers gone quiet; ``mono``: a monologue was found (``_monologue_causes``), which says some of these."""
    causes: list[tuple[float, str]] = []
    if not mono:                                    # a monologue already says nobody answers
        causes += _no_conversation_causes(f, w)
    causes += _replies_falling_causes(f, w)
    if f["msgs_4w"] >= 10 and not mono:          # a monologue already says both
        s = _sat(f["top1_share"], 0.4, 0.75)
        if s > 0:
            who = "an owner/admin" if f["top1_is_admin"] else "one member"
            causes.append((w["one_man"] * s, f"{who} wrote {f['top1_share']:.0%} of the last 4 weeks' messages"))
        s = _sat(0.6 - f["reply_share"], 0.0, 0.4)
        if s > 0:
            causes.append((w["no_reply"] * s, f"only {f['reply_share']:.0%} of messages got a reply in 4 weeks"))
    if f["questions_4w"] >= 3:
        s = _sat(f["unanswered_share"], 0.3, 0.8)
        if s > 0:
            causes.append((w["unanswered"] * s, f"{f['unanswered_share']:.0%} of {f['questions_4w']} questions "
                           "went unanswered in 4 weeks"))
    s = _sat(f["noise_share"], 0.25, 0.6)
    if s > 0:
        causes.append((w["noise"] * s, f"floods and ads are {f['noise_share']:.0%} of the last 4 weeks' messages"))
    if f["organizer_msgs_prev_2w"] >= 3:
        drop = 1 - f["organizer_msgs_recent_2w"] / f["organizer_msgs_prev_2w"]
        s = _sat(drop, 0.5, 1.0)
        if s > 0:
            causes.append((w["organizers_quiet"] * s, f"owner/admins posted {f['organizer_msgs_recent_2w']} messages "
                           f"in 2 weeks, down {drop:.0%}"))
    return causes


def _monologue_causes(f: dict[str, Any], w: dict[str, float]) -> list[tuple[float, str]]:
    """独角戏: one voice (a member, or the owner and admins together) writes most of the last 30 or 60 days
    and almost nobody answers it (the stronger window counts: a monologue of two months, or one that
    began last month).  An organizer who posts a lot and gets answers is not this."""
    best: tuple[float, str] = (0.0, "")
    for days in MONOLOGUE_WINDOWS:
        d = f"_{days}d"
        if f[f"msgs{d}"] < MONOLOGUE_MIN_MSGS:
            continue
        s = _sat(f[f"top_voice_share{d}"], 0.65, 0.9) * _sat(0.35 - f[f"top_voice_reply_share{d}"], 0.0, 0.25)
        who = "the owner/admins" if f[f"top_voice_is_org{d}"] else "one member"
        if s > best[0]:
            best = (s, f"monologue: one voice ({who}) wrote {f[f'top_voice_share{d}']:.0%} of {f[f'msgs{d}']} "
                       f"messages in {days} days, {f[f'top_voice_reply_share{d}']:.0%} of them got a reply from "
                       "anyone else")
    return [(w["monologue"] * best[0], best[1])] if best[0] > 0 else []


def _no_conversation_causes(f: dict[str, Any], w: dict[str, float]) -> list[tuple[float, str]]:
    """有互动 missing: almost no message of the last 60 days got a reply from another member, whoever wrote it."""
    d = f"_{NO_CONVERSATION_DAYS}d"
    if f[f"msgs{d}"] < MONOLOGUE_MIN_MSGS:
        return []
    share = f[f"reply_share{d}"]
    s = _sat(NO_CONVERSATION[1] - share, 0.0, NO_CONVERSATION[1] - NO_CONVERSATION[0])
    if s <= 0:
        return []
    return [(w["no_conversation"] * s, f"no conversation: {share:.0%} of {f[f'msgs{d}']} messages "
             f"in {NO_CONVERSATION_DAYS} days got a reply from another member")]


def _replies_falling_causes(f: dict[str, Any], w: dict[str, float]) -> list[tuple[float, str]]:
    """Fewer messages answered than the group's own earlier rate: a binomial z of at least ``REPLY_MIN_Z``
    and a fall of at least ``REPLY_MIN_FALL`` (full at twice both)."""
    fall = f["reply_share_before"] - f["reply_share_recent"]
    if f["reply_msgs_recent"] < 10 or f["reply_msgs_before"] < 20 or -f["reply_z"] < REPLY_MIN_Z \
            or fall < REPLY_MIN_FALL:
        return []
    s = _sat(-f["reply_z"], REPLY_MIN_Z / 2, 2 * REPLY_MIN_Z) * _sat(fall, 0.0, 2 * REPLY_MIN_FALL)
    return [(w["replies_falling"] * s, f"replies falling: {f['reply_share_recent']:.0%} of the last "
             f"{REPLY_RECENT_WEEKS} weeks' {f['reply_msgs_recent']} messages got a reply, against "
             f"{f['reply_share_before']:.0%} of {f['reply_msgs_before']} in the {REPLY_BASE_WEEKS} weeks before "
             f"({-f['reply_z']:.1f} standard errors)")]


def _key_member_causes(f: dict[str, Any], w: dict[str, float], silent: float, mono: bool
                       ) -> list[tuple[float, str]]:
    """Key members silent for 30 days (named, with their figures); key members back after such a silence
    (not in a monologue: the lone voice posting again is not the group coming back)."""
    causes: list[tuple[float, str]] = []
    quiet = f["key_quiet"]
    if quiet and silent < SILENCE_DEAD:              # a group silent for a month: the silence says it all
        s = _sat(f["key_quiet_share"], 0.0, 0.5)
        who = "; ".join(f"{q['name']} ({q['messages']} messages, {q['share']:.0%}; silent {q['days_silent']:.0f} "
                        "days)" for q in quiet[:3])
        more = f" and {len(quiet) - 3} more" if len(quiet) > 3 else ""
        causes.append((w["key_quiet"] * s, f"{len(quiet)} of {f['key_members']} key members silent for the last "
                       f"30 days: {who}{more}, of the {f['key_ref_messages']} messages in the 60 days before"))
    for b in ([] if mono else f["key_back"][:2]):
        causes.append((w["key_back"], f"key member back: {b['name']} wrote again after {b['silent_days']:.0f} "
                       f"silent days ({b['messages']} messages, {b['share']:.0%}, in the 60 days before "
                       "the silence)"))
    return causes


def _membership_causes(f: dict[str, Any], w: dict[str, float], silent: float) -> list[tuple[float, str]]:
    """No newcomers, members leaving, a WeChat group's age, and coming back to life."""
    causes: list[tuple[float, str]] = []
    if f["joins_known"] and f["age_days"] >= 56 and f["joins_8w"] == 0:
        causes.append((w["no_newcomers"], "no new members in 8 weeks"))
    s = _sat(f["leaver_share_4w"], 0.03, 0.15)
    if s > 0:
        causes.append((w["leavers"] * s, f"{f['leavers_4w']} members left on their own in 4 weeks "
                       f"({f['leaver_share_4w']:.0%})"))
    if f["platform"] == "wechat" and f["age_days"] > 90:
        causes.append((w["wechat_age"] * _sat(f["age_days"], 90, 150),
                       f"{f['age_days']:.0f} days old: WeChat groups are usually dead by month 3-4"))
    # against the weeks the group existed (a young group's first weeks are not a comeback)
    up = _dip_of(f, "vol_2w")
    if up.valid and up.usual >= 1 and up.change > 0.5 and silent < SILENCE_WATCH:
        causes.append((w["revival"] * _sat(up.change, 0.5, 2.0),
                       f"coming back: messages up {up.change:.0%} over the last 2 weeks ({up.recent:.0f} a week "
                       f"vs a usual {up.usual:.0f})"))
    return causes


def _add_worst(causes: list, drops: list[tuple[float, str]], weight: float) -> None:
    """Of several windows showing the same decline, count only the worst one."""
    if drops:
        strength, text = max(drops)
        if strength > 0:
            causes.append((weight * strength, text))


def group_risk(
    messages: pd.DataFrame,
    members: pd.DataFrame | None,
    as_of: pd.Timestamp,
    *,
    features: Features | None = None,
    weights: dict[str, float] | None = None,
) -> pd.DataFrame:
    """One row per group, highest risk first: score 0-100, level, reasons, features.

    ``reasons`` are the causes that added to the score, largest first, each with its
    figure; a healthy group gets one line saying why it looks healthy.  ``features``
    is a dict of the numbers behind the score (so a notebook or a cron script can
    apply its own rule).  Nothing after ``as_of`` is used.
    """
    F = features if features is not None else compute_features(messages, as_of, members=members)
    if not len(F.groups):
        return pd.DataFrame({c: [] for c in RISK_COLUMNS})
    w = {**WEIGHTS, **(weights or {})}
    gf = group_features(F, members)
    out = []
    for f in gf.to_dict("records"):
        score, causes = _score_row(f, w)
        causes.sort(key=lambda c: -c[0])
        reasons = [c[1] for c in causes if c[0] > 0.5]
        notes = [c[1] for c in causes if c[0] == 0.0]
        if f["days_silent"] >= SILENCE_DEAD:
            level = "dead"
        else:
            level = next(name for cut, name in LEVELS if score >= cut)
            if level == "dead":
                level = "at-risk"          # "dead" is kept for groups that have actually stopped
        good = [c[1] for c in causes if c[0] < 0]
        if not reasons:
            reasons = [f"{f['msgs_recent_2w']:.0f} messages from {f['speakers_recent_2w']} speakers in the last "
                       "2 weeks, no warning signs"]
        reasons = notes + reasons + [r for r in good if r not in reasons]   # a discount note explains the rest
        gi = int(f["g"])
        feats = {k: (round(float(v), 4) if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(
            v, bool) else v) for k, v in f.items() if k != "g"}
        out.append({"group_id": str(F.groups["group_id"].iat[gi]), "group_name": str(F.groups["group_name"].iat[gi]),
                    "score": round(score, 1), "level": level, "reasons": reasons, "features": feats})
    df = pd.DataFrame(out)
    return df.sort_values(["score", "group_name"], ascending=[False, True], kind="stable").reset_index(drop=True)
