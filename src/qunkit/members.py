"""Who is in a group: members derived from senders, join/leave lines and rosters.

Silent members never appear in a message log, so a group's member list is the
union of (a) everyone who spoke, (b) everyone named by a join/leave/kick line
and (c) the roster, when one was attached.  ``roster_known`` tells analysis
whether lurkers can be counted at all.  Derived on read (not stored) so it can
never go stale against the messages.
"""

from __future__ import annotations

import pandas as pd

from .formats.events import split_names

MEMBER_COLUMNS = ["group_id", "group_name", "member_id", "member_name", "names", "role", "joined", "left",
                  "left_how", "invited_by", "last_spoke_roster", "in_roster", "messages", "first_spoke", "last_spoke",
                  "roster_known"]
NON_MEMBERS = {"system"}
_TITLE_ROLES = (("群主", "owner"), ("管理员", "admin"), ("owner", "owner"), ("admin", "admin"))


def derive_members(messages: pd.DataFrame, rosters: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """One row per (group_id, member_id).

    ``rosters`` maps group_id to a roster frame (member_id, member_name, role,
    joined, last_spoke) as read by ``qunkit.roster.read_roster``.
    """
    rosters = rosters or {}
    if len(messages) == 0 and not rosters:
        return _empty()
    m = messages
    # work on the (categorical) columns as stored; only per-member results become str
    last_names = m.drop_duplicates("group_id", keep="last")
    gname = dict(zip(last_names["group_id"].astype(str), last_names["group_name"].astype(str), strict=True))
    speaking = ~m["sender_id"].isin(NON_MEMBERS) & ~m["kind"].isin(["system"])

    # (a) senders -------------------------------------------------------------------------
    sp = m.loc[speaking, ["group_id", "sender_id", "sender_name", "ts"]]
    if not sp["ts"].is_monotonic_increasing:
        sp = sp.sort_values("ts", kind="stable")
    g = sp.groupby(["group_id", "sender_id"], sort=False, observed=True)
    senders = g.agg(messages=("ts", "size"), first_spoke=("ts", "min"), last_spoke=("ts", "max"))
    triples = sp.drop_duplicates(["group_id", "sender_id", "sender_name"]).astype(
        {"group_id": str, "sender_id": str, "sender_name": str})
    named = triples.groupby(["group_id", "sender_id"], sort=False)["sender_name"]
    senders = senders.reset_index().astype({"group_id": str, "sender_id": str})
    senders = senders.merge(named.agg(list).rename("names").reset_index(), on=["group_id", "sender_id"], how="left")
    # the name a member used last (names are in first-use order; the last message's name wins)
    last_name = sp.drop_duplicates(["group_id", "sender_id"], keep="last").astype(
        {"group_id": str, "sender_id": str, "sender_name": str})
    senders = senders.merge(last_name[["group_id", "sender_id", "sender_name"]].rename(
        columns={"sender_name": "member_name"}), on=["group_id", "sender_id"], how="left")
    senders = senders.rename(columns={"sender_id": "member_id"})
    if "sender_title" in m.columns:
        titled = m.loc[speaking & m["sender_title"].notna(), ["group_id", "sender_id", "sender_title", "ts"]]
        if len(titled):
            titled = titled.astype({"group_id": str, "sender_id": str, "sender_title": str}).sort_values("ts")
            last_title = titled.groupby(["group_id", "sender_id"])["sender_title"].last()
            role = last_title.map(_title_role).dropna()
            role.index = role.index.set_names(["group_id", "member_id"])
            senders = senders.merge(role.rename("title_role").reset_index(), on=["group_id", "member_id"],
                                    how="left")

    # name -> id within a group, for events that name people
    lookup: dict[tuple[str, str], str] = {}
    for g_id, mid, name in zip(triples["group_id"], triples["sender_id"], triples["sender_name"], strict=True):
        lookup.setdefault((g_id, name), mid)
    for g_id, roster in rosters.items():
        for mid, mname in zip(roster["member_id"].astype(str), roster["member_name"].fillna("").astype(str),
                              strict=True):
            lookup.setdefault((g_id, mname), mid)
            lookup.setdefault((g_id, mid), mid)

    # (b) membership events -----------------------------------------------------------------
    ev_rows = []
    if "event" in m.columns:
        ev = m[m["event"].isin(["join", "leave", "kick"])]
        actors = ev["event_actor"] if "event_actor" in ev.columns else pd.Series(None, index=ev.index)
        for e_gid, event, target, actor, ts in zip(ev["group_id"].astype(str), ev["event"].astype(str),
                                                   ev["event_target"], actors, ev["ts"], strict=True):
            if not isinstance(target, str):
                continue
            by = lookup.get((e_gid, actor), actor) if isinstance(actor, str) and actor else None
            for who in split_names(target):
                mid = lookup.get((e_gid, who), who)
                ev_rows.append((e_gid, mid, who, event, by, ts))
    events = pd.DataFrame(ev_rows, columns=["group_id", "member_id", "name", "event", "actor", "ts"])
    joins = events[events["event"] == "join"].sort_values("ts").groupby(["group_id", "member_id"])
    exits = events[events["event"] != "join"].sort_values("ts").groupby(["group_id", "member_id"])
    ev = pd.concat([joins["ts"].last().rename("ev_joined"), joins["actor"].last().rename("invited_by"),
                    exits["ts"].last().rename("ev_left"), exits["event"].last().rename("left_how"),
                    events.groupby(["group_id", "member_id"])["name"].last().rename("ev_name")], axis=1).reset_index()

    # (c) rosters ----------------------------------------------------------------------------
    ro = []
    for g_id, roster in rosters.items():
        r = pd.DataFrame({
            "group_id": g_id,
            "member_id": roster["member_id"].astype(str),
            "roster_name": roster.get("member_name"),
            "roster_role": roster.get("role"),
            "roster_joined": roster.get("joined"),
            "last_spoke_roster": roster.get("last_spoke"),
        })
        ro.append(r.drop_duplicates("member_id", keep="last"))
    roster_df = pd.concat(ro, ignore_index=True) if ro else pd.DataFrame(
        columns=["group_id", "member_id", "roster_name", "roster_role", "roster_joined", "last_spoke_roster"])

    out = senders.merge(ev, on=["group_id", "member_id"], how="outer")
    out = out.merge(roster_df, on=["group_id", "member_id"], how="outer")
    out["in_roster"] = out["member_id"].isin(roster_df["member_id"]) & out["group_id"].isin(roster_df["group_id"])
    if len(roster_df):
        key = pd.MultiIndex.from_frame(roster_df[["group_id", "member_id"]])
        out["in_roster"] = pd.MultiIndex.from_frame(out[["group_id", "member_id"]]).isin(key)
    out["member_name"] = _first_of(out, ["roster_name", "member_name", "ev_name", "member_id"])
    out["role"] = _first_of(out, ["roster_role", "title_role"]) if "title_role" in out else out["roster_role"]
    out["joined"] = _ts_first_of(out, ["roster_joined", "ev_joined"])
    ev_left = _as_ts(out.get("ev_left"))
    out["left"] = ev_left.where(ev_left.notna() & (out["joined"].isna() | (ev_left > out["joined"])))
    out["left_how"] = out["left_how"].where(out["left"].notna(), None)  # leave (by themselves) or kick
    out["last_spoke_roster"] = _as_ts(out["last_spoke_roster"])
    out["messages"] = out["messages"].fillna(0).astype("int64")
    out["names"] = [n if isinstance(n, list) else ([x] if isinstance(x, str) and x else [])
                    for n, x in zip(out["names"], out["member_name"], strict=True)]
    out["group_name"] = out["group_id"].map(gname).fillna(out["group_id"])
    out["roster_known"] = out["group_id"].isin(list(rosters))
    for c in ("first_spoke", "last_spoke"):
        out[c] = _as_ts(out[c])
    return out[MEMBER_COLUMNS].sort_values(["group_id", "member_id"], kind="stable").reset_index(drop=True)


def _title_role(title: str) -> str | None:
    for word, role in _TITLE_ROLES:
        if word in title:
            return role
    return None


def _first_of(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    out = pd.Series([None] * len(df), index=df.index, dtype=object)
    for c in reversed(cols):
        if c in df:
            v = df[c]
            ok = v.notna() & (v.astype(str) != "")
            out = out.where(~ok, v)
    return out


def _as_ts(s: pd.Series | None) -> pd.Series:
    if s is None:
        return pd.Series(dtype="datetime64[ms, UTC]")
    s = pd.to_datetime(s, utc=True)
    return s.astype("datetime64[ms, UTC]")


def _ts_first_of(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    out = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ms, UTC]")
    for c in reversed(cols):
        if c in df:
            v = _as_ts(df[c])
            out = v.where(v.notna(), out)
    return out


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in MEMBER_COLUMNS})
