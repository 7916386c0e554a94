"""Newcomer probation (新人考察): members who joined at least ``hours`` ago and never spoke since.

Live bots kick a newcomer who has said nothing 48 h after joining (advertisers
and dormant accounts join and wait); from an export the same rule can only be
replayed.  Joined = the roster's 入群时间, else the last join line
(``qunkit.members``); a member whose joining is unknown is never listed.  The
exclusions are prune's (owner, admins, ``keep``, roll-call answerers), so the two
lists never disagree about who is protected.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ..localtime import DEFAULT_TZ
from .prune import DAY, judged_members, never_listed
from .rollcall import DEFAULT_WINDOW, answerers

COLUMNS = ["group_name", "member_id", "member_name", "reason", "joined", "hours_since_join", "role"]
HOUR = pd.Timedelta(hours=1)


def judged_at(messages: pd.DataFrame, members: pd.DataFrame, as_of: pd.Timestamp | None, days: int,
              keep: Iterable[str], grace_days: int, rollcall_window: pd.Timedelta = DEFAULT_WINDOW
              ) -> tuple[pd.DataFrame, pd.Series, pd.Timestamp]:
    """prune's per-member view at ``as_of`` (UTC) and its eligibility mask: present, and not owner,
    admin, ``keep``, a roll-call answerer of the last ``days`` days or within ``grace_days`` of joining.

    Shared by newcomer probation and the cap list so their exclusions are prune's, not a copy.
    """
    if as_of is None:
        as_of = messages["ts"].max() if len(messages) else pd.Timestamp.now(tz="UTC")
    as_of = pd.Timestamp(as_of)
    as_of = as_of.tz_localize("UTC") if as_of.tzinfo is None else as_of.tz_convert("UTC")
    if str(messages["ts"].dt.tz) != "UTC":
        messages = messages.assign(ts=messages["ts"].dt.tz_convert("UTC"))
    m_in = messages[messages["ts"] <= as_of]
    groups = m_in[["group_id", "group_name"]].drop_duplicates("group_id", keep="last").astype(str)
    group_names = dict(zip(groups["group_id"], groups["group_name"], strict=True))
    df = judged_members(m_in, members, group_names, as_of, days)
    answered = answerers(m_in, window=rollcall_window, as_of=as_of, since=as_of - days * DAY)
    eligible = df["present"] & ~never_listed(df, m_in, answered, keep, as_of, grace_days)
    return df, eligible.astype(bool), as_of


def newcomer_candidates(messages: pd.DataFrame, members: pd.DataFrame, as_of: pd.Timestamp | None, hours: float,
                        keep: Iterable[str] = (), rollcall_window: pd.Timedelta = DEFAULT_WINDOW,
                        tz: str = DEFAULT_TZ) -> pd.DataFrame:
    """Members present at ``as_of`` who joined ``hours`` or more before it and sent no message since.

    A message before a re-join does not count (the probation restarts with each join).  The reason
    carries the join time (local, ``tz``), the hours since and the fact that nothing was said.
    """
    if hours < 0:
        raise ValueError("hours must not be negative")
    df, eligible, as_of = judged_at(messages, members, as_of, days=90, keep=keep, grace_days=0,
                                    rollcall_window=rollcall_window)
    joined = df["joined"]
    silent_since = df["last_spoke"].isna() | (df["last_spoke"] < joined)
    hit = eligible & joined.notna() & (joined <= as_of - hours * HOUR) & silent_since
    out = df[hit.to_numpy(dtype=bool)].copy()
    out["hours_since_join"] = ((as_of - out["joined"]) // HOUR).astype(int)
    local = out["joined"].dt.tz_convert(tz).dt.strftime("%Y-%m-%d %H:%M")
    out["reason"] = ("joined " + local + ", " + out["hours_since_join"].astype(str) + " h ago, no message since")
    out["role"] = out["role"].astype(object).where(out["role"].notna(), None)
    out = out.sort_values(["group_name", "hours_since_join", "member_id"], ascending=[True, False, True],
                          kind="stable")
    out = out[COLUMNS].reset_index(drop=True)
    out.attrs["as_of"] = as_of
    out.attrs["unknown_join"] = int((df["present"] & joined.isna()).sum())
    return out
