"""Roll calls (点名): the announcement, who answered it, who did not.

The pruning practice (seed 001) is to announce "今天晚上20:00本群将调整一部分长期
潜水不说话的小伙伴,在的请打1" and keep whoever answers.  This module finds such
announcements in a log, collects the short answers ("1", "在", "到", "签到",
"+1" ...) posted within a window after them, and splits a group's members into
answerers and non-answerers.  ``prune`` uses :func:`answerers` to keep the
members who answered.

Detection is deliberately two-sided: an announcement needs both a *topic*
(清人, 点名, 潜水, 调整一部分 ...) and a *call to answer* (请打1, 扣1, 在的请回复,
冒个泡 ...), so ordinary chat ("我一直在潜水") is not mistaken for a roll call.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from ..localtime import DEFAULT_TZ
from ..members import present_during

DEFAULT_WINDOW = pd.Timedelta(hours=24)

# The seed's wording; ``announcement_text`` fills in the time.
SEED_ANNOUNCEMENT = "今天晚上20:00本群将调整一部分长期潜水不说话的小伙伴,在的请打1"

# Patterns run on NFKC-normalised text without whitespace (full-width ，：１ become , : 1).
_TOPIC = (
    r"清人|清理|清退|清群|提纯|调整一部分|移出|踢人|踢出|点名|潜水|不说话|不发言|未发言|没发言"
    r"|僵尸粉|不活跃|长期未|查人|人口普查"
)
_CALL = (
    r"(?:请|麻烦|就)?(?:打|扣|回复?|发|敲|冒)(?:个|一个|下)?(?:\"|“)?1"  # 请打1 / 扣1 / 回复1 / 发个1
    r"|在的(?:请|麻烦|就|都)?(?:回复|回|说话|吱|冒泡|冒个泡|报到|签到|举手|扣|打|出来)"
    r"|冒个?泡|签个?到|报个?到|举个?手|吱一?声|\+1"
)
_TOPIC_RE = re.compile(_TOPIC)
_CALL_RE = re.compile(_CALL)

# An answer is a short text made only of these tokens (repeats allowed: "111", "在在在", "我在我在").
_ANSWER_TOKENS = (
    r"1|扣1|打1|回1|我?在[的呢呀啊哦滴嘞]?|还在|一直在|到了?|有|签到|报到|已签到|冒泡|冒个泡|来了|我来了"
    r"|举手|吱|present|here"
)
_ANSWER_RE = re.compile(rf"^(?:{_ANSWER_TOKENS})+$", re.IGNORECASE)
# Stripped before matching an answer: punctuation (so "+1" is "1"), emoticon placeholders, emoji, symbols.
_ANSWER_NOISE_RE = re.compile(r"\[[^\[\]]{1,8}\]|[\s\W_]", re.UNICODE)
_MAX_ANSWER_CHARS = 16

CALL_COLUMNS = ["group_id", "group_name", "announced", "last_announced", "announcer_id", "announcer_name",
                "text", "closes"]
ANSWER_COLUMNS = ["group_id", "announced", "member_id", "member_name", "answered_at", "answer"]
STATUS_COLUMNS = ["group_name", "announced", "member_id", "member_name", "answered", "answered_at", "answer",
                  "announcer_name"]


def normalise(text: pd.Series) -> pd.Series:
    """NFKC and no whitespace: full-width digits/punctuation and stray spaces vary between clients."""
    s = text.astype(object).where(text.notna(), "")
    return pd.Series([re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(t))) for t in s],
                     index=text.index, dtype=object)


def is_answer(text: pd.Series) -> pd.Series:
    """True where a message is a roll-call answer such as "1", "在！", "+1", "到[表情]".

    Judged once per distinct text (a roll call's answers are "1" hundreds of times), then spread back."""
    codes, uniq = pd.factorize(text.astype(object).where(text.notna(), ""))
    out = []
    for t in normalise(pd.Series(uniq, dtype=object)):
        core = _ANSWER_NOISE_RE.sub("", t)
        out.append(bool(core) and len(core) <= _MAX_ANSWER_CHARS and bool(_ANSWER_RE.match(core)))
    return pd.Series(np.asarray(out, dtype=bool)[codes] if len(codes) else np.zeros(0, bool),
                     index=text.index, dtype=bool)


def is_announcement(text: pd.Series, message: str | None = None) -> pd.Series:
    """True where a message announces a roll call.

    With ``message`` (the operator's own wording), a message counts when it
    contains that text (compared after normalisation); otherwise it needs a
    topic word and a call to answer, and must not itself be an answer.
    """
    norm = normalise(text)
    if message:
        wanted = normalise(pd.Series([message])).iloc[0]
        return norm.map(lambda t: bool(wanted) and wanted in t).astype(bool)
    topic = norm.str.contains(_TOPIC_RE, regex=True)
    call = norm.str.contains(_CALL_RE, regex=True)
    return (topic & call & ~is_answer(text)).astype(bool)


def _spoken_mask(messages: pd.DataFrame) -> np.ndarray:
    """Rows by people: system lines and recalls are not announcements or answers."""
    m = messages  # compare categoricals as they are: casting a million rows to str is the slow part
    mask = (m["sender_id"] != "system").to_numpy(dtype=bool, copy=True)
    if "kind" in m.columns:
        mask &= ~m["kind"].isin(("system", "recall")).to_numpy(dtype=bool)
    return mask


def _spoken(messages: pd.DataFrame) -> pd.DataFrame:
    """Messages by people (``_spoken_mask``)."""
    return messages[_spoken_mask(messages)]


def find_rollcalls(messages: pd.DataFrame, message: str | None = None, window: pd.Timedelta = DEFAULT_WINDOW,
                   as_of: pd.Timestamp | None = None, since: pd.Timestamp | None = None) -> pd.DataFrame:
    """Roll calls per group, oldest first.

    An announcement repeated within ``window`` (a reminder at 19:55 for the
    19:00 call) is the same roll call: answers are collected from the first
    announcement until ``window`` after the last one (``closes``), never past
    ``as_of``.  ``since`` drops roll calls announced before it.
    """
    # rows as a mask, the frame cut once at the end: filtering every column of a big frame is the slow part
    keep = _spoken_mask(messages)
    if as_of is not None:
        keep &= (messages["ts"] <= as_of).to_numpy(dtype=bool)
    if since is not None:
        keep &= (messages["ts"] >= since).to_numpy(dtype=bool)
    rows = np.flatnonzero(keep)
    # cheap pre-filter on the raw text (CJK words survive NFKC unchanged) before the per-row normalising pass
    probe = _TOPIC
    if message:
        runs = re.findall(r"[\u4e00-\u9fff]+", message)
        probe = re.escape(max(runs, key=len)[:4]) if runs else ""
    if probe:
        rows = rows[messages["text"].iloc[rows].fillna("").str.contains(probe, regex=True).to_numpy(dtype=bool)]
    cand = messages.iloc[rows]
    cand = cand[is_announcement(cand["text"], message).to_numpy(dtype=bool)]
    if cand.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CALL_COLUMNS})
    cand = pd.DataFrame({
        "group_id": cand["group_id"].astype(str), "group_name": cand["group_name"].astype(str),
        "ts": cand["ts"].astype("datetime64[ns, UTC]"), "announcer_id": cand["sender_id"].astype(str),
        "announcer_name": cand["sender_name"].astype(str), "text": cand["text"].astype(str),
    }).sort_values(["group_id", "ts"], kind="stable")
    gap = cand.groupby("group_id", sort=False)["ts"].diff()
    cand["call"] = (gap.isna() | (gap > window)).cumsum()
    calls = cand.groupby("call", sort=False).agg(
        group_id=("group_id", "first"), group_name=("group_name", "last"), announced=("ts", "first"),
        last_announced=("ts", "last"), announcer_id=("announcer_id", "first"),
        announcer_name=("announcer_name", "first"), text=("text", "first"),
    ).reset_index(drop=True)
    calls["closes"] = calls["last_announced"] + window
    if as_of is not None:
        calls["closes"] = calls["closes"].where(calls["closes"] <= as_of, as_of)
    return calls[CALL_COLUMNS].sort_values(["group_name", "announced"], kind="stable").reset_index(drop=True)


def rollcall_answers(messages: pd.DataFrame, calls: pd.DataFrame) -> pd.DataFrame:
    """Every member's first answer to each roll call (one row per call and answerer)."""
    if calls.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ANSWER_COLUMNS})
    ts = messages["ts"]
    keep = _spoken_mask(messages) & (ts > calls["announced"].min()).to_numpy(dtype=bool) \
        & (ts <= calls["closes"].max()).to_numpy(dtype=bool) \
        & messages["group_id"].isin(set(calls["group_id"])).to_numpy(dtype=bool)
    rows = np.flatnonzero(keep)
    # merge_asof: each message meets the latest call announced before it; keep those before it closes.
    # Joined on (group, ts, row) alone; the texts and names are read for the rows that fall in a call
    m = pd.DataFrame({"group_id": messages["group_id"].iloc[rows].astype(str).array,
                      "ts": ts.iloc[rows].astype("datetime64[ns, UTC]").array, "row": rows})
    m = m.sort_values("ts", kind="stable")
    c = calls[["group_id", "announced", "closes"]].sort_values("announced", kind="stable")
    c["announced"] = c["announced"].astype("datetime64[ns, UTC]")
    joined = pd.merge_asof(m, c, left_on="ts", right_on="announced", by="group_id", direction="backward",
                           allow_exact_matches=False)
    joined = joined[joined["announced"].notna() & (joined["ts"] <= joined["closes"])]
    at = joined["row"].to_numpy()
    joined = joined.assign(member_id=messages["sender_id"].iloc[at].astype(str).array,
                           member_name=messages["sender_name"].iloc[at].astype(str).array,
                           answer=messages["text"].iloc[at].astype(str).array)
    joined = joined[is_answer(joined["answer"]).to_numpy(dtype=bool)]
    first = joined.sort_values("ts", kind="stable").drop_duplicates(["group_id", "announced", "member_id"])
    out = first.rename(columns={"ts": "answered_at"})[ANSWER_COLUMNS]
    return out.reset_index(drop=True)


def answerers(messages: pd.DataFrame, window: pd.Timedelta = DEFAULT_WINDOW, message: str | None = None,
              as_of: pd.Timestamp | None = None, since: pd.Timestamp | None = None) -> set[tuple[str, str]]:
    """(group_id, member_id) of everyone who answered a roll call announced in [since, as_of]."""
    calls = find_rollcalls(messages, message=message, window=window, as_of=as_of, since=since)
    ans = rollcall_answers(messages, calls)
    return set(zip(ans["group_id"].astype(str), ans["member_id"].astype(str), strict=True))


def rollcall_status(messages: pd.DataFrame, members: pd.DataFrame, calls: pd.DataFrame,
                    latest_only: bool = True) -> pd.DataFrame:
    """Answerers and non-answerers among the members of each roll call's group.

    A member counts for a call if they were in the group at some moment of it
    (``qunkit.members.present_during``: joined by its close, not gone by its announcement).
    Answerers missing from ``members`` (a speaker the roster never listed) are
    still shown.  ``latest_only`` keeps each group's most recent roll call.
    """
    if calls.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in STATUS_COLUMNS})
    if latest_only:
        calls = calls.sort_values("announced", kind="stable").groupby("group_id", sort=False).tail(1)
    ans = rollcall_answers(messages, calls)
    mem = members[members["member_id"] != "system"].reset_index(drop=True)
    roster = calls[["group_id", "group_name", "announced", "closes", "announcer_id", "announcer_name"]].merge(
        mem.drop(columns="group_name"), on="group_id", how="inner")
    present = present_during(roster, roster["announced"], roster["closes"])
    # the announcer is evidently present; listing them as a non-answerer would mislead
    roster = roster.loc[present & (roster["member_id"] != roster["announcer_id"]).to_numpy(),
                        ["group_id", "group_name", "announced", "closes", "announcer_id", "announcer_name",
                         "member_id", "member_name"]]
    keys = ["group_id", "announced", "member_id"]
    out = roster.merge(ans.rename(columns={"member_name": "answer_name"}), on=keys, how="outer")
    # answerers unknown to ``members``: take the call's columns and the name they answered under
    out = out.merge(calls[["group_id", "announced", "group_name", "announcer_name"]], on=["group_id", "announced"],
                    how="left", suffixes=("", "_call"))
    for col in ("group_name", "announcer_name"):
        out[col] = out[col].fillna(out[f"{col}_call"])
    out["member_name"] = out["member_name"].fillna(out["answer_name"])
    out["answered"] = out["answered_at"].notna()
    out = out.sort_values(["group_name", "announced", "answered", "member_name"],
                          ascending=[True, True, False, True], kind="stable")
    return out[STATUS_COLUMNS].reset_index(drop=True)


def announcement_text(at: str = "20:00", now: pd.Timestamp | None = None, tz: str = DEFAULT_TZ,
                      template: str = SEED_ANNOUNCEMENT) -> str:
    """The seed's roll-call message with the removal time filled in.

    ``at`` is "HH:MM" (today) or a date-time; a date other than today is
    written as "M月D日".  The part of day follows the hour (凌晨/上午/下午/晚上),
    so "20:00" today gives the seed's wording exactly.
    """
    now = pd.Timestamp.now(tz=tz) if now is None else now
    now = now.tz_localize(tz) if now.tzinfo is None else now.tz_convert(tz)
    when = _parse_at(at, now, tz)
    day = "今天" if when.date() == now.date() else ("明天" if when.date() == (now + pd.Timedelta(days=1)).date()
                                                   else f"{when.month}月{when.day}日")
    part = "凌晨" if when.hour < 6 else "上午" if when.hour < 12 else "下午" if when.hour < 18 else "晚上"
    return template.replace("今天晚上20:00", f"{day}{part}{when:%H:%M}")


def _parse_at(at: str, now: pd.Timestamp, tz: str) -> pd.Timestamp:
    at = unicodedata.normalize("NFKC", at).strip()
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", at)
    if m:
        hour, minute = int(m.group(1)), int(m.group(2))
        if hour > 23 or minute > 59:
            raise ValueError(f"{at!r} is not a time of day")
        return now.normalize() + pd.Timedelta(hours=hour, minutes=minute)
    ts = pd.Timestamp(at)
    return ts.tz_localize(tz) if ts.tzinfo is None else ts.tz_convert(tz)

