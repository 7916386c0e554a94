"""Event impact: did a 分享/直播/活动/讲座/红包 lift the group above what its own weekly rhythm predicted?

An operator runs an event to wake a group; whether it worked is a comparison, not a count: a
group that always talks on Tuesday evening shows a "surge" after every Tuesday notice.  So:

- **Events** come from ``--at`` moments or from the log: event notices (a message the act
  lexicon, ``analysis.acts``, marks as a ``notice`` and that names a 直播/讲座/分享/红包/活动,
  ``EVENT_KINDS``), red-packet events (a burst of ``REDPACKET_BURST`` red packets within
  ``REDPACKET_SPAN``, or one from the owner or an admin) and roll calls (``analysis.rollcall``).
  A notice's moment is the time it announces when it names one within a week ("本周六下午2点",
  "明晚8点", "20:00": ``announced_time``), else its own time; candidates less than ``merge``
  after an event's first moment are that event (Monday's notice of Saturday's 14:00 live and
  Saturday's 13:50 reminder are one live), which starts at its first moment.
- **Observed**: messages and distinct speakers in ``[start, start + window)`` (cut at ``as_of``).
- **Expected**: the same window shifted back 1, 2, ... weeks (same weekday and hours), the
  ``weeks`` most recent such windows inside the group's history that overlap no other event's
  window (looking back up to twice as many weeks; when fewer than ``MIN_WEEKS`` are clean, the
  most recent ones are used anyway and ``baseline_clean`` says so).  Expected = their median;
  their min and max are the spread.
- **Test** (quasi-Poisson, stated in every result): variance = max(expected, the baseline
  windows' sample variance, 1) -- chat counts vary more than Poisson, so the weeks' own spread
  is used when larger -- inflated by (1 + 1/k) for estimating the level from k weeks;
  z = (observed - expected) / sqrt(variance).  Messages or speakers with z >= ``Z`` (and
  neither <= -``Z``) is ``lifted``; either <= -``Z`` (and neither >= ``Z``) is ``below trend``;
  otherwise ``no effect``; fewer than ``MIN_WEEKS`` baseline windows (or a window the log's end
  cuts below ``MIN_LENGTH``) is ``too little history``.  A group's data ends at its own last
  message (an export that stops early is not a silence).
- **Who came back**: speakers in the window whose previous message was at least ``quiet_days``
  before the start (``returned``), speakers with no earlier message (``first_time``), and members
  who joined from ``NEWCOMER_LEAD`` before the start to the window's end (``newcomer``).

Loops run over groups and events (dozens), never over messages: every count is a
``searchsorted`` on the group's sorted times.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..localtime import DEFAULT_TZ
from ..members import to_ns
from .acts import TEXTUAL_KINDS, message_acts
from .rollcall import _spoken, find_rollcalls
from .textscan import _arrow, _run_regexes

DEFAULT_WINDOW = pd.Timedelta(hours=48)   # a notice the day before ("明晚8点直播"), the event day, its echo
MAX_WINDOW = pd.Timedelta(days=7)         # a longer window would overlap its own baseline week
MERGE = pd.Timedelta(days=1)
WEEK = pd.Timedelta(days=7)
WEEKS = 4
MIN_WEEKS = 2
MIN_LENGTH = pd.Timedelta(hours=1)        # a window the log's end cuts shorter says nothing yet
QUIET_DAYS = 14
NEWCOMER_LEAD = pd.Timedelta(days=1)      # invited for the event the day before it counts as "for it"
Z = 2.0                                   # ~ p < 0.05 two-sided under the normal approximation
REDPACKET_BURST = 3
REDPACKET_SPAN = pd.Timedelta(hours=1)
NAMES_SHOWN = 5
TEXT_CHARS = 60
_DAY_NS = 86_400 * 10**9
_NONE = np.iinfo(np.int64).min             # members.to_ns's NaT

# label -> RE2 pattern over a notice's text; the first label that matches names the event.
EVENT_KINDS: dict[str, str] = {
    "直播": r"直播|开播|连麦|(?:^|[^a-z])live(?:[^a-z]|$)",
    "讲座": r"讲座|公开课|开课|课程|沙龙|答疑|训练营|读书会|培训|webinar",
    "分享": r"分享|嘉宾|干货",
    "红包": r"红包",
    "活动": r"活动|比赛|抽奖|聚会|线下|团建|报名|投票|聚餐|福利|meetup",
}
ROLLCALL_KIND = "点名"
AT_KIND = "--at"

EVENT_COLUMNS = ["group_id", "group_name", "start", "posted", "kind", "source", "notices", "poster_id",
                 "poster_name", "text"]
IMPACT_COLUMNS = ["group_id", "group_name", "start", "posted", "kind", "source", "notices", "poster_name",
                  "window_hours", "messages", "expected_messages", "messages_low", "messages_high", "messages_lift",
                  "messages_excess", "messages_z", "speakers", "expected_speakers", "speakers_low",
                  "speakers_high", "speakers_lift", "speakers_excess", "speakers_z", "baseline_weeks",
                  "baseline_clean", "verdict", "returned", "first_time", "newcomers", "returned_names",
                  "newcomer_names", "text"]
WHO_COLUMNS = ["group_id", "group_name", "start", "kind", "member_id", "member_name", "how", "silent_days",
               "messages", "joined"]
VERDICTS = ("lifted", "no effect", "below trend", "too little history")
TEST = (f"quasi-Poisson z = (observed - expected) / sqrt(max(expected, weeks' variance, 1) * (1 + 1/weeks)); "
        f"|z| >= {Z:g} is beyond the noise")


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _utc(ts: pd.Series) -> pd.Series:
    return pd.to_datetime(ts, utc=True).astype("datetime64[ns, UTC]")


def notice_kinds(texts: pa.Array | pd.Series) -> np.ndarray:
    """Per text, the ``EVENT_KINDS`` label it names ("" for none): one RE2 pass per label over the
    distinct texts."""
    arr = texts if isinstance(texts, pa.Array) else _arrow(pd.Series(texts).astype(object), pa.string())
    enc = pc.dictionary_encode(arr.fill_null(""))
    hits = _run_regexes(enc.dictionary, {k: ("match", p) for k, p in EVENT_KINDS.items()})
    labels = np.full(len(enc.dictionary), "", dtype=object)
    for label in reversed(EVENT_KINDS):        # the first label in EVENT_KINDS wins
        labels = np.where(hits[label], label, labels)
    return labels[enc.indices.to_numpy(zero_copy_only=False)]


_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_CN_DIGIT = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_DAY_RE = re.compile(r"(今天|今晚|今日|明天|明晚|明早|明日|后天)|(下|本|这)?(?:周|星期|礼拜)([一二三四五六日天])"
                     r"|(\d{1,2})月(\d{1,2})[日号]")
_TIME_RE = re.compile(r"(上午|早上|早晨|中午|下午|傍晚|晚上|今晚|明晚)?(\d{1,2}|[一二两三四五六七八九十]{1,3})"
                      r"(?:[:：](\d{2})|点(半|(\d{1,2})分?)?)")
_EVENING = ("下午", "傍晚", "晚上", "今晚", "明晚")
ANNOUNCE_AHEAD = pd.Timedelta(days=14)    # a notice announces at most two weeks ahead (else: its own time)


def _cn_hour(text: str) -> int:
    """"8" / "八" / "十二" -> 8 / 8 / 12."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        head, _, tail = text.partition("十")
        return (_CN_DIGIT.get(head, 1) if head else 1) * 10 + (_CN_DIGIT.get(tail, 0) if tail else 0)
    return _CN_DIGIT.get(text, 0)


def _day(m: re.Match, posted: pd.Timestamp) -> pd.Timestamp | None:
    today = posted.normalize()
    if m.group(1):
        return today + pd.Timedelta(days={"今": 0, "明": 1, "后": 2}[m.group(1)[0]])
    if m.group(3):
        wd, monday = _WEEKDAY[m.group(3)], today - pd.Timedelta(days=posted.weekday())
        if m.group(2) == "下":
            return monday + pd.Timedelta(days=7 + wd)
        if m.group(2):
            return monday + pd.Timedelta(days=wd)
        return today + pd.Timedelta(days=(wd - posted.weekday()) % 7)
    try:
        day = pd.Timestamp(year=posted.year, month=int(m.group(4)), day=int(m.group(5)), tz=posted.tz)
    except ValueError:
        return None
    return day if day >= today - pd.Timedelta(days=180) else day.replace(year=day.year + 1)


def announced_time(text: str, posted: pd.Timestamp) -> pd.Timestamp | None:
    """The moment a notice announces ("本周六下午2点", "明晚8点", "20:00", "3月12日"), in ``posted``'s zone
    (local wall-clock), or None when it names none, names a past moment, or one more than
    ``ANNOUNCE_AHEAD`` away.  A bare hour without 下午/晚上 is the first of h or h+12 after the notice
    ("8点开始" posted at 19:00 is 20:00); a day without an hour starts at 00:00 (or at the notice)."""
    t = unicodedata.normalize("NFKC", text)
    dm, tm = _DAY_RE.search(t), _TIME_RE.search(t)
    day = _day(dm, posted) if dm else None
    if dm and day is None:
        return None
    if tm:
        hour, minute = _cn_hour(tm.group(2)), int(tm.group(3) or tm.group(5) or (30 if tm.group(4) == "半" else 0))
        evening = tm.group(1) in _EVENING or (dm is not None and "晚" in (dm.group(1) or ""))
        if hour > 24 or minute > 59:
            return None
        hours = [hour + 12] if evening and hour < 12 else [hour, hour + 12] if hour < 12 and not tm.group(1) else [hour]
        base = [day] if day is not None else [posted.normalize(), posted.normalize() + pd.Timedelta(days=1)]
        later = [b + pd.Timedelta(hours=h, minutes=minute) for b in base for h in hours]
        later = [x for x in later if x >= posted]
        when = min(later) if later else None
    else:
        when = max(day, posted) if day is not None else None
    if when is None or when < posted or when - posted > ANNOUNCE_AHEAD:
        return None
    return when


def _candidates(rows: pd.DataFrame, kind: np.ndarray | str, source: str) -> pd.DataFrame:
    return pd.DataFrame({"group_id": rows["group_id"].astype(str).to_numpy(),
                         "group_name": rows["group_name"].astype(str).to_numpy(),
                         "ts": _utc(rows["ts"]).to_numpy(), "kind": kind, "source": source,
                         "poster_id": rows["sender_id"].astype(str).to_numpy(),
                         "poster_name": rows["sender_name"].astype(str).to_numpy(),
                         "text": rows["text"].astype(object).fillna("").astype(str).to_numpy()}
                        ).assign(at=lambda d: d["ts"])


def event_notices(spoken: pd.DataFrame, tz: str = DEFAULT_TZ) -> pd.DataFrame:
    """Candidates from notices: textual messages the act lexicon calls a ``notice`` that name an event kind;
    ``at`` is the moment the notice announces (``announced_time``, read in the message's own zone), else
    the notice's own time."""
    textual = spoken[spoken["kind"].astype(str).isin(TEXTUAL_KINDS).to_numpy()]
    kinds = notice_kinds(textual["text"])
    named = textual[kinds != ""]
    notice = message_acts(named)["notice"].to_numpy(dtype=bool)
    cand = _candidates(named[notice], kinds[kinds != ""][notice], "notice")
    zones = (named.loc[notice, "tz"].astype(str).to_numpy() if "tz" in named.columns
             else np.full(len(cand), tz, dtype=object))
    # one parse per notice (a handful per group), not per message
    at = [announced_time(text, pd.Timestamp(ts).tz_convert(zone))
          for text, ts, zone in zip(cand["text"], cand["ts"], zones, strict=True)]
    cand["at"] = _utc(pd.Series([a if a is not None else t for a, t in zip(at, cand["ts"], strict=True)],
                                dtype=object))
    return cand


def redpacket_events(spoken: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """Candidates from red packets: the first of ``REDPACKET_BURST`` within ``REDPACKET_SPAN``, or one sent
    by the owner or an admin (a "领取了...红包" claim line is not a red packet sent)."""
    rp = spoken[(spoken["kind"].astype(str) == "redpacket").to_numpy()
                & ~spoken["text"].astype(object).fillna("").str.contains("领取", regex=False).to_numpy(dtype=bool)]
    if rp.empty:
        return _candidates(rp, "红包", "redpacket")
    rp = rp.assign(ts=_utc(rp["ts"])).sort_values(["group_id", "ts"], kind="stable")
    ns = to_ns(rp["ts"])
    gid = rp["group_id"].astype(str).to_numpy()
    # red packets of the same group from this one until REDPACKET_SPAN later
    rank = pd.factorize(gid)[0].astype(np.int64)
    counts = np.zeros(len(rp), np.int64)
    for r in np.unique(rank):                  # one searchsorted per group
        sel = np.flatnonzero(rank == r)
        t = ns[sel]
        counts[sel] = np.searchsorted(t, t + REDPACKET_SPAN.value, side="left") - np.arange(len(t))
    staff = members.loc[members["role"].astype(str).isin(("owner", "admin")), ["group_id", "member_id"]].astype(str)
    is_staff = pd.MultiIndex.from_arrays([gid, rp["sender_id"].astype(str).to_numpy()]).isin(
        pd.MultiIndex.from_frame(staff))
    return _candidates(rp[(counts >= REDPACKET_BURST) | is_staff], "红包", "redpacket")


def _merge(cand: pd.DataFrame, merge: pd.Timedelta) -> pd.DataFrame:
    """Candidates whose moment (``at``) is less than ``merge`` after an event's first join that event: the
    Monday notice of Saturday's 14:00 live and Saturday's 13:50 reminder are one event starting at 13:50."""
    cand = cand.sort_values(["group_id", "at", "ts"], kind="stable").reset_index(drop=True)
    ns = to_ns(cand["at"])
    event = np.zeros(len(cand), np.int64)
    n = 0
    for g in pd.unique(cand["group_id"]):      # one step per event, not per candidate
        sel = np.flatnonzero(cand["group_id"].to_numpy() == g)
        t, i = ns[sel], 0
        while i < len(t):
            j = int(np.searchsorted(t, t[i] + merge.value, side="left"))
            event[sel[i:j]] = n
            n, i = n + 1, j
    cand["event"] = event

    def joined(s: pd.Series) -> str:
        return ",".join(dict.fromkeys(s))

    out = cand.groupby("event", sort=True).agg(
        group_id=("group_id", "first"), group_name=("group_name", "last"), start=("at", "first"),
        posted=("ts", "min"), kind=("kind", joined), source=("source", joined), notices=("ts", "size"),
        poster_id=("poster_id", "first"), poster_name=("poster_name", "first"), text=("text", "first"))
    return out.reset_index(drop=True)[EVENT_COLUMNS]


def find_events(messages: pd.DataFrame, members: pd.DataFrame, as_of: pd.Timestamp | None = None, *,
                merge: pd.Timedelta = MERGE, rollcalls: bool = True) -> pd.DataFrame:
    """Events announced in the log (``EVENT_COLUMNS``, per group oldest first): notices, red packets,
    roll calls, merged when less than ``merge`` after the event's first."""
    sp = _spoken(messages)
    if as_of is not None:
        sp = sp[sp["ts"] <= as_of]
    parts = [event_notices(sp), redpacket_events(sp, members)]
    if rollcalls:
        calls = find_rollcalls(messages, as_of=as_of)
        if len(calls):
            parts.append(pd.DataFrame({
                "group_id": calls["group_id"].astype(str), "group_name": calls["group_name"].astype(str),
                "ts": _utc(calls["announced"]).to_numpy(), "kind": ROLLCALL_KIND, "source": "rollcall",
                "poster_id": calls["announcer_id"].astype(str), "poster_name": calls["announcer_name"].astype(str),
                "text": calls["text"].astype(str)}).assign(at=lambda d: d["ts"]))
    cand = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else None
    if cand is None:
        return _empty(EVENT_COLUMNS)
    end = _utc(sp["ts"]).max() if as_of is None else pd.Timestamp(as_of).tz_convert("UTC")
    cand["at"] = cand["at"].where(cand["at"] <= end, cand["ts"])   # announced past the log: the notice's time
    return _merge(cand, merge)


def history(messages: pd.DataFrame) -> pd.DataFrame:
    """Per group: name, first and last message (the span an event can be measured in)."""
    m = messages.assign(ts=_utc(messages["ts"]), group_id=messages["group_id"].astype(str),
                        group_name=messages["group_name"].astype(str))
    return m.groupby("group_id", sort=True).agg(group_name=("group_name", "last"), first=("ts", "min"),
                                                last=("ts", "max")).reset_index()


def at_events(messages: pd.DataFrame, at: Iterable[pd.Timestamp], as_of: pd.Timestamp | None = None
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(events at the given UTC moments in every group whose history holds them, the (group, moment)
    pairs outside a group's history [first message, as_of])."""
    h = history(messages)
    if as_of is not None:
        h["last"] = h["last"].clip(upper=pd.Timestamp(as_of).tz_convert("UTC"))
    at = pd.to_datetime(pd.Series(list(at), dtype=object), utc=True).astype("datetime64[ns, UTC]")
    pairs = h.merge(pd.DataFrame({"at": at}), how="cross")
    inside = ((pairs["at"] >= pairs["first"]) & (pairs["at"] <= pairs["last"])).to_numpy()
    ok = pairs[inside]
    events = pd.DataFrame({"group_id": ok["group_id"], "group_name": ok["group_name"], "start": ok["at"],
                           "posted": ok["at"], "kind": AT_KIND, "source": "at", "notices": 0,
                           "poster_id": None, "poster_name": None, "text": None})
    events = events.sort_values(["group_id", "start"], kind="stable").drop_duplicates(["group_id", "start"])
    return events.reset_index(drop=True)[EVENT_COLUMNS], pairs[~inside].reset_index(drop=True)


def _z(obs: float, base: np.ndarray) -> tuple[float, float]:
    """(expected, z) of ``obs`` against the baseline windows' counts (the module docstring's test)."""
    expected = float(np.median(base))
    var = max(expected, float(np.var(base, ddof=1)) if len(base) >= 2 else 0.0, 1.0) * (1 + 1 / len(base))
    return expected, (obs - expected) / float(np.sqrt(var))


def _baseline(start: int, length: int, first: int, others: np.ndarray, width: int, weeks: int
              ) -> tuple[list[int], bool]:
    """Starts of the baseline windows (1..2*weeks weeks back, inside history, clean first) and whether all
    are clean (overlap no other event's [start, start + width))."""
    back = [start - k * WEEK.value for k in range(1, 2 * weeks + 1)]
    inside = [b for b in back if b >= first]
    clean = [b for b in inside if not np.any((others < b + length) & (others + width > b))]
    if len(clean) >= MIN_WEEKS:
        return clean[:weeks], True
    return inside[:weeks], len(inside) == 0 or inside[:weeks] == clean[:weeks]


def _verdict(weeks: int, length: int, zm: float, zs: float) -> str:
    if weeks < MIN_WEEKS or length < MIN_LENGTH.value:
        return "too little history"
    up, down = zm >= Z or zs >= Z, zm <= -Z or zs <= -Z
    return "lifted" if up and not down else "below trend" if down and not up else "no effect"


class _Group:
    """One group's spoken messages as sorted int64 times and sender codes (what every count slices), and its
    members' join times and names (looked up once, not per event)."""

    def __init__(self, sp: pd.DataFrame, gm: pd.DataFrame) -> None:
        sp = sp.assign(ts=_utc(sp["ts"])).sort_values("ts", kind="stable")
        self.t = to_ns(sp["ts"])
        self.s, self.ids = pd.factorize(sp["sender_id"].astype(str))
        self.ids = np.asarray(self.ids, dtype=object)
        self.names = sp["sender_name"].astype(str).to_numpy()
        # previous message of the same sender (min int64: none), so "silent since" is one lookup
        order = np.lexsort((self.t, self.s))
        prev = np.full(len(self.t), _NONE)
        same = self.s[order][1:] == self.s[order][:-1]
        prev[order[1:][same]] = self.t[order][:-1][same]
        self.prev = prev
        gm = gm.drop_duplicates("member_id", keep="last")
        self.member_ids = gm["member_id"].astype(str).to_numpy(dtype=object)
        self.member_index = pd.Index(self.member_ids)
        self.member_names = gm["member_name"].astype(object).to_numpy()
        self.joined = to_ns(gm["joined"])

    def span(self, lo: int, hi: int) -> tuple[int, int]:
        return int(np.searchsorted(self.t, lo, "left")), int(np.searchsorted(self.t, hi, "left"))

    def counts(self, lo: int, hi: int) -> tuple[int, int]:
        a, b = self.span(lo, hi)
        return b - a, int(len(np.unique(self.s[a:b])))

    def who(self, start: int, length: int, quiet_days: int) -> dict[str, np.ndarray]:
        """Returned, first-time and newcomer members of one event as columns (``WHO_COLUMNS`` without the
        group's and event's): returned first (longest silence first), then newcomers, then first-timers."""
        a, b = self.span(start, start + length)
        codes, first, n = np.unique(self.s[a:b], return_index=True, return_counts=True)
        prev = self.prev[a + first]
        none = prev == _NONE
        silent = np.where(none, np.nan, (start - prev) / _DAY_NS)
        ids = self.ids[codes]
        joined_here = ((self.joined != _NONE) & (self.joined >= start - NEWCOMER_LEAD.value)
                       & (self.joined < start + length))
        new = self.member_ids[joined_here]
        keep = (none | (silent >= quiet_days)) & ~np.isin(ids, new)
        spoke = pd.Index(ids).get_indexer(new)
        member_id = np.concatenate([ids[keep], new])
        how = np.concatenate([np.where(none[keep], "first_time", "returned"), np.full(len(new), "newcomer")])
        silent_days = np.concatenate([np.round(silent[keep], 1), np.full(len(new), np.nan)])
        messages = np.concatenate([n[keep], np.where(spoke >= 0, n[np.maximum(spoke, 0)], 0)]).astype(np.int64)
        spoken_as = np.concatenate([self.names[a + first][keep], np.full(len(new), None, dtype=object)])
        idx = self.member_index.get_indexer(member_id)
        roster_name = np.where(idx >= 0, self.member_names[np.maximum(idx, 0)], None)
        name = np.where(pd.isna(roster_name), spoken_as, roster_name)
        joined = np.where(idx >= 0, self.joined[np.maximum(idx, 0)], _NONE)
        rank = np.select([how == "returned", how == "newcomer"], [0, 1], 2)
        order = np.lexsort((-messages, -np.nan_to_num(silent_days, nan=-1.0), rank))
        return {"member_id": member_id[order], "member_name": name[order], "how": how[order],
                "silent_days": silent_days[order], "messages": messages[order], "joined": joined[order]}


def event_impact(messages: pd.DataFrame, members: pd.DataFrame, events: pd.DataFrame,
                 as_of: pd.Timestamp | None = None, *, window: pd.Timedelta = DEFAULT_WINDOW,
                 weeks: int = WEEKS, quiet_days: int = QUIET_DAYS, exclude: pd.DataFrame | None = None
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per event: observed, expected, lift, excess, z and verdict (``IMPACT_COLUMNS``); one row per
    member who came back for an event or joined around it (``WHO_COLUMNS``)).

    ``exclude``: more events (group_id, start) whose windows keep a baseline week out, beside the other
    ``events`` (``--at`` moments are measured against weeks without the log's own events)."""
    if window <= pd.Timedelta(0) or window > MAX_WINDOW:
        raise ValueError(f"window must be in (0, {MAX_WINDOW}]")
    if events.empty:
        return _empty(IMPACT_COLUMNS), _empty(WHO_COLUMNS)
    sp = _spoken(messages)
    end = _utc(messages["ts"]).max() if as_of is None else pd.Timestamp(as_of).tz_convert("UTC")
    sp = sp[sp["ts"] <= end]
    span = history(messages).set_index("group_id")
    rows, who = [], []
    extra = (pd.DataFrame({"group_id": exclude["group_id"].astype(str), "start": _utc(exclude["start"])})
             if exclude is not None and len(exclude) else pd.DataFrame({"group_id": [], "start": []}))
    for gid, evs in events.assign(start=_utc(events["start"])).groupby("group_id", sort=True):
        g = _Group(sp[(sp["group_id"].astype(str) == gid).to_numpy()],
                   members[(members["group_id"].astype(str) == gid).to_numpy()])
        starts = to_ns(evs["start"])
        g_first = int(pd.Timestamp(span.at[gid, "first"]).value)
        # a group's data ends at its own last message: an export that stops early is not a silence
        g_end = min(end.value, int(pd.Timestamp(span.at[gid, "last"]).value))
        also = to_ns(extra.loc[extra["group_id"] == gid, "start"])
        for i, ev in enumerate(evs.itertuples(index=False)):
            start = int(starts[i])
            length = max(0, min(window.value, g_end - start))
            obs_m, obs_s = g.counts(start, start + length)
            base, clean = _baseline(start, length, g_first, np.concatenate([np.delete(starts, i), also]),
                                     window.value, weeks)
            bm = np.array([g.counts(b, b + length) for b in base], dtype=float).reshape(-1, 2)
            row = {c: getattr(ev, c) for c in ("group_id", "group_name", "start", "posted", "kind", "source",
                                               "notices", "poster_name", "text")}
            row.update(window_hours=round(length / 3.6e12, 1), messages=obs_m, speakers=obs_s,
                       baseline_weeks=len(base), baseline_clean=bool(clean))
            zs = {}
            for j, name in ((0, "messages"), (1, "speakers")):
                if len(base):
                    exp, z = _z(row[name], bm[:, j])
                    row.update({f"expected_{name}": round(exp, 1), f"{name}_low": int(bm[:, j].min()),
                                f"{name}_high": int(bm[:, j].max()), f"{name}_excess": round(row[name] - exp, 1),
                                f"{name}_lift": round(row[name] / exp, 2) if exp > 0 else None,
                                f"{name}_z": round(z, 2)})
                zs[name] = row.get(f"{name}_z") or 0.0
            row["verdict"] = _verdict(len(base), length, zs["messages"], zs["speakers"])
            w = g.who(start, length, quiet_days)
            for how, col in (("returned", "returned"), ("first_time", "first_time"), ("newcomer", "newcomers")):
                row[col] = int((w["how"] == how).sum())
            for how, col in (("returned", "returned_names"), ("newcomer", "newcomer_names")):
                row[col] = [str(x) for x in w["member_name"][w["how"] == how][:NAMES_SHOWN]]
            rows.append(row)
            k = len(w["member_id"])
            who.append({"group_id": np.full(k, gid, dtype=object), "group_name": np.full(k, ev.group_name, dtype=object),
                        "start": np.full(k, start, dtype=np.int64), "kind": np.full(k, ev.kind, dtype=object), **w})
    out = pd.DataFrame(rows).reindex(columns=IMPACT_COLUMNS)
    out["text"] = out["text"].map(lambda t: t[:TEXT_CHARS] if isinstance(t, str) else t)
    people = pd.DataFrame({c: np.concatenate([w[c] for w in who]) for c in WHO_COLUMNS})
    for c in ("start", "joined"):      # int64 ns (NONE = unknown) -> UTC times
        ns = people[c].to_numpy(dtype=np.int64)
        people[c] = pd.Series(pd.to_datetime(np.where(ns == _NONE, np.datetime64("NaT"), ns.view("datetime64[ns]")),
                                             utc=True), index=people.index)
    return out.sort_values(["group_name", "start"], kind="stable").reset_index(drop=True), people
