"""Whom to remove (清人): a list an operator can act on without second-guessing.

Rules (issue 4, DOMAIN.md "Pruning practice"):

- *silent*: no message for ``days`` days, counted from max(last message,
  joined) to ``as_of``; a member who never spoke counts from when they joined,
  so a newcomer is never silent before ``days`` have passed.
- *advertiser*: the roles engine's advertiser, however recent.
- *few messages*: with ``min_messages`` K, fewer than K messages in the last
  ``days`` days.

Never listed: owners and admins (roster, or a 群主/管理员 title in the export),
``keep`` (ids or names), members who answered a roll call announced in the
last ``days`` days, members who joined less than ``grace_days`` ago, and
members who had left (or not yet joined) at ``as_of``.

qunkit never removes anyone: this returns the list with the reason and the
figures behind it.  Everything is computed from ``messages`` up to ``as_of``,
so a past moment replays exactly.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..members import PROTECTED_ROLES, keys_in, member_key, present_at, role_from_title, with_speakers
from .rollcall import DEFAULT_WINDOW, answerers

COLUMNS = ["group_name", "member_id", "member_name", "reason", "last_spoke", "joined", "days_silent",
           "messages", "role"]
DAY = pd.Timedelta(days=1)


def read_keep(lines: Iterable[str]) -> list[str]:
    """Ids or names from a ``--keep`` file: one a line; blank lines and ``# comments`` skipped."""
    out = []
    for line in lines:
        line = line.strip().lstrip("\ufeff")
        if line and not line.startswith("#"):
            out.append(line)
    return out


def _speech(messages: pd.DataFrame, as_of: pd.Timestamp, days: int) -> pd.DataFrame:
    """Per (group_id, member_id): last message, messages up to as_of, messages in the window, latest name.

    Grouped on the categorical columns as they come; only the per-member result is cast to str.
    """
    m = messages[["group_id", "sender_id", "sender_name", "ts", "kind"]]   # not every column: the texts are big
    m = m[((m["ts"] <= as_of) & ~m["kind"].isin(("system", "recall")) & (m["sender_id"] != "system")).to_numpy()]
    m = m.reset_index(drop=True)
    frame = pd.DataFrame({"group_id": m["group_id"], "member_id": m["sender_id"], "ts": m["ts"],
                          "in_window": m["ts"] > as_of - days * DAY})
    g = frame.groupby(["group_id", "member_id"], sort=False, observed=True)
    out = g.agg(last_msg=("ts", "max"), messages=("ts", "size"), window_messages=("in_window", "sum"))
    out["spoken_name"] = m["sender_name"].loc[g["ts"].idxmax().to_numpy()].astype(str).to_numpy()
    out = out.reset_index()
    out["group_id"] = out["group_id"].astype(str)
    out["member_id"] = out["member_id"].astype(str)
    return out


def _titled(messages: pd.DataFrame) -> np.ndarray:
    """Member keys (``member_key``) of senders whose export title ever meant owner or admin."""
    if "sender_title" not in messages.columns:
        return np.zeros(0, dtype=object)
    # distinct (group, sender, title) first, on the categorical columns: casting every titled row to str
    # cost more than the rest of the prune pass's member checks
    t = messages.loc[messages["sender_title"].notna(), ["group_id", "sender_id", "sender_title"]]
    t = t.drop_duplicates().astype(str)
    hit = t["sender_title"].map(role_from_title).isin(PROTECTED_ROLES).to_numpy(dtype=bool)
    return member_key(t["group_id"][hit], t["sender_id"][hit])


def _any_in(names: object, wanted: set[str]) -> bool:
    """True if any of a member's names (a list, an array from Parquet, or None) is in ``wanted``."""
    if names is None or isinstance(names, (str, float)):
        return False
    return any(str(n) in wanted for n in names)


def prune_candidates(
    messages: pd.DataFrame,
    members: pd.DataFrame,
    roles: pd.DataFrame | None,
    as_of: pd.Timestamp | None,
    days: int,
    grace_days: int = 14,
    min_messages: int | None = None,
    keep: Iterable[str] = (),
    rollcall_window: pd.Timedelta = DEFAULT_WINDOW,
    rollcall_message: str | None = None,
    with_group_id: bool = False,
) -> pd.DataFrame:
    """Members to remove, one row each, with ``COLUMNS`` (``with_group_id``: and ``group_id`` first,
    which tells apart two groups of one name).

    ``members`` is a ``qunkit.members`` frame (``derive_members`` / ``conform_members``).
    ``roles`` is ``assign_roles(...)`` output (group_id, member_id, role) or
    None when the roles engine is unavailable: then no one is listed as an
    advertiser and ``role`` is empty.  ``df.attrs["no_roster"]`` names the groups
    without a roster (the command summarises them in a Note), ``df.attrs["notes"]`` other caveats,
    ``df.attrs["as_of"]`` the moment used.
    """
    if days < 0 or grace_days < 0 or (min_messages is not None and min_messages < 0):
        raise ValueError("days, grace_days and min_messages must not be negative")
    if as_of is None:
        as_of = messages["ts"].max() if len(messages) else pd.Timestamp.now(tz="UTC")
    as_of = pd.Timestamp(as_of)
    as_of = as_of.tz_localize("UTC") if as_of.tzinfo is None else as_of.tz_convert("UTC")
    if str(messages["ts"].dt.tz) != "UTC":  # frames built outside the store (local time)
        messages = messages.assign(ts=messages["ts"].dt.tz_convert("UTC"))
    in_time = (messages["ts"] <= as_of).to_numpy()
    m_in = messages if in_time.all() else messages[in_time]   # the default as_of keeps every row: no copy
    groups = m_in[["group_id", "group_name"]].drop_duplicates("group_id", keep="last").astype(str)
    group_names = dict(zip(groups["group_id"], groups["group_name"], strict=True))

    df = judged_members(m_in, members, group_names, as_of, days)
    answered = answerers(m_in, window=rollcall_window, message=rollcall_message, as_of=as_of,
                         since=as_of - days * DAY)
    eligible = df["present"] & ~never_listed(df, m_in, answered, keep, as_of, grace_days)
    labels = _reasons(df, m_in, roles, as_of, days, min_messages)
    reason = np.full(len(df), "", dtype=object)
    for label, hit in labels.items():
        reason = np.where(hit, np.where(reason == "", label, reason + "; " + label), reason)
    df["reason"] = reason
    listed = np.logical_or.reduce([h.to_numpy() for h in labels.values()])
    out = df[eligible.to_numpy() & listed].copy()
    out["role"] = out["main_role"]
    out = out.sort_values(["group_name", "days_silent", "member_id"], ascending=[True, False, True],
                          kind="stable", na_position="last")
    out = out[(["group_id"] if with_group_id else []) + COLUMNS].reset_index(drop=True)
    out.attrs["no_roster"] = _no_roster(df, group_names)
    out.attrs["notes"] = [] if roles is not None else ["the roles engine is unavailable: advertisers are not listed"]
    out.attrs["as_of"] = as_of
    return out


def judged_members(m_in: pd.DataFrame, members: pd.DataFrame, group_names: dict[str, str], as_of: pd.Timestamp,
            days: int) -> pd.DataFrame:
    """The members of the groups in scope plus anyone who spoke (``qunkit.members.with_speakers``), with
    their speech figures, ``last_spoke`` (message or roster) and ``present`` at as_of."""
    spoke = _speech(m_in, as_of, days)
    mem = members[members["group_id"].isin(group_names) & (members["member_id"] != "system")]
    mem = with_speakers(mem, spoke[["group_id", "member_id"]].assign(last_spoke=spoke["last_msg"]))
    mem["present"] = present_at(mem, as_of)
    df = mem.drop(columns=["last_spoke", "messages"]).merge(spoke, on=["group_id", "member_id"], how="left")
    df["member_name"] = df["member_name"].fillna(df["spoken_name"]).fillna(df["member_id"])
    df["messages"] = df["messages"].fillna(0).astype(int)
    df["window_messages"] = df["window_messages"].fillna(0).astype(int)
    df["group_name"] = df["group_id"].map(group_names)
    roster_last = df["last_spoke_roster"].where(df["last_spoke_roster"] <= as_of)
    df["last_spoke"] = pd.concat([df["last_msg"], roster_last], axis=1).max(axis=1)
    return df


def never_listed(df: pd.DataFrame, m_in: pd.DataFrame, answered: set[tuple[str, str]], keep: Iterable[str],
                  as_of: pd.Timestamp, grace_days: int) -> pd.Series:
    """Owners/admins (roster role, or any 群主/管理员 title the export ever gave them: a roster may be
    older than a promotion), ``keep``, roll-call answerers and newcomers within the grace period."""
    protected = df["role"].astype(object).isin(PROTECTED_ROLES) | keys_in(member_key(df["group_id"], df["member_id"]),
                                                                            _titled(m_in))
    wanted = {k.strip() for k in keep if k and k.strip()}
    kept = df["member_id"].isin(wanted) | df["member_name"].astype(str).isin(wanted) | df["names"].map(
        lambda names: _any_in(names, wanted)).astype(bool)
    ans = sorted(answered)
    ans_keys = member_key([g for g, _ in ans], [m for _, m in ans])
    did_answer = pd.Series(keys_in(member_key(df["group_id"], df["member_id"]), ans_keys), index=df.index)
    newcomer = df["joined"].notna() & (df["joined"] > as_of - grace_days * DAY)
    return protected | kept | did_answer | newcomer


def _reasons(df: pd.DataFrame, m_in: pd.DataFrame, roles: pd.DataFrame | None, as_of: pd.Timestamp, days: int,
             min_messages: int | None) -> dict[str, pd.Series]:
    """label -> boolean hit per row: silent, advertiser, few messages.  Sets ``days_silent`` and
    ``main_role`` on ``df``."""
    # silence: from max(last spoke, joined); never spoke and join unknown -> from the start of the log
    log_start = m_in.groupby("group_id", observed=True)["ts"].min()
    log_start.index = log_start.index.astype(str)
    ref = pd.concat([df["last_spoke"], df["joined"]], axis=1).max(axis=1)
    ref = ref.fillna(df["group_id"].map(log_start))
    silence = as_of - ref
    df["days_silent"] = (silence // DAY).astype("Int64")
    silent = silence >= days * DAY

    if roles is not None and len(roles):
        r = roles[["group_id", "member_id", "role"]].astype({"group_id": str, "member_id": str})
        main_role = df[["group_id", "member_id"]].merge(r.drop_duplicates(["group_id", "member_id"]),
                                                        on=["group_id", "member_id"], how="left")["role"]
        df["main_role"] = main_role.to_numpy()
    else:
        df["main_role"] = None
    advertiser = df["main_role"].astype(object) == "advertiser"
    few = (df["window_messages"] < min_messages) if min_messages is not None else pd.Series(False, index=df.index)
    few &= ~silent.fillna(False).astype(bool)  # silence already says it
    return {"silent": silent.fillna(False).astype(bool), "advertiser": advertiser.astype(bool),
            f"few messages (fewer than {min_messages} in {days} days)": few.astype(bool)}


def _no_roster(df: pd.DataFrame, group_names: dict[str, str]) -> list[str]:
    """Names of the groups without a member roster, sorted (the command turns them into a Note)."""
    has_roster = df.groupby("group_id")["roster_known"].any()
    return sorted(group_names[g] for g in group_names if not has_roster.get(g, False))
