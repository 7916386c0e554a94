"""Many groups side by side (``qunkit compare``): one row per group, who is in several groups, and who
posts the same text in several groups.

Every function here takes tables the single-group analyses already produce, so the figures cannot drift
from them: the per-group row is ``overview`` (members, 7/30-day speakers and active rates), role counts
from ``roles`` (present members) and ``group_risk``, each judged at ``as_of`` and again at ``as_of`` minus
one period (the previous period's figures are the same functions replayed, not an estimate).

Identity across groups: one platform's ids are global (a QQ number, a wxid), so the same ``member_id`` on
one platform is the same person in every group.  Across platforms ids never match, so a person in a QQ
group and a WeChat group is matched by name only -- a weaker match, labelled ``matched_by = name`` and
only made when the name is unambiguous (one id per platform carries it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..members import normalise_names
from ..vocabulary import ROLES
from .acts import classify_texts
from .overview import WINDOWS
from .text_features import TEXTUAL_KINDS

WINDOW = {"week": "weekly", "month": "monthly"}                      # --period -> overview's window
PERIOD_DAYS = {p: WINDOWS[w].days for p, w in WINDOW.items()}         # 7 and 30 days
MIN_CHARS = 10          # a cross-post is at least this long once normalised: "好的", "收到" are not posts
NON_PEOPLE = ("system", "")

GROUP_COLUMNS = (
    "group_id", "group_name", "platform", "members", "members_source", "speakers_30d", "active_rate_7d",
    "active_rate_30d", "period", "messages", "messages_per_day", "speakers",
    *(f"role_{r}" for r in ROLES),
    "risk_score", "risk_level", "members_prev", "messages_prev", "messages_change", "speakers_prev",
    "speakers_change", "risk_score_prev", "risk_level_prev", "risk_change",
    *(f"role_{r}_prev" for r in ROLES), "as_of", "as_of_prev",
)
OVERLAP_COLUMNS = ("member_name", "member_id", "matched_by", "groups", "group_names", "platforms")
ONLY_IN_COLUMNS = ("group_name", "member_id", "member_name", "messages", "last_spoke", "same_name_elsewhere")
CROSS_COLUMNS = ("member_name", "member_id", "platform", "groups", "group_names", "messages", "ad", "first",
                 "last", "text")


# ---- one row per group ------------------------------------------------------------------------------

def role_mix(roles: pd.DataFrame) -> pd.DataFrame:
    """Per group: how many present members hold each main role (``role_<r>`` columns, every role)."""
    cols = [f"role_{r}" for r in ROLES]
    if roles is None or roles.empty:
        return pd.DataFrame(columns=["group_id", *cols])
    now = roles[roles["present"].to_numpy(dtype=bool)]
    counts = pd.crosstab(now["group_id"].astype(str), pd.Categorical(now["role"], categories=list(ROLES)),
                         dropna=False)
    counts.columns = [f"role_{c}" for c in counts.columns]
    return counts.reindex(columns=cols, fill_value=0).rename_axis("group_id").reset_index()


def _side(overview: pd.DataFrame, roles: pd.DataFrame, risk: pd.DataFrame, period: str) -> pd.DataFrame:
    """One moment's figures per group: overview columns renamed, role counts, risk score and level."""
    w = WINDOW[period]
    o = overview.assign(group_id=overview["group_id"].astype(str))
    out = pd.DataFrame({
        "group_id": o["group_id"], "group_name": o["group_name"], "platform": o["platform"],
        "members": o["members"], "members_source": o["members_source"],
        "speakers_30d": o["speakers_monthly"], "active_rate_7d": o["active_rate_weekly"],
        "active_rate_30d": o["active_rate_monthly"], "messages": o[f"messages_{w}"],
        "speakers": o[f"speakers_{w}"], "as_of": o["as_of"]})
    out = out.merge(role_mix(roles), on="group_id", how="left")
    r = risk.assign(group_id=risk["group_id"].astype(str))[["group_id", "score", "level"]]
    out = out.merge(r.rename(columns={"score": "risk_score", "level": "risk_level"}), on="group_id", how="left")
    roles_cols = [f"role_{x}" for x in ROLES]
    out[roles_cols] = out[roles_cols].fillna(0).astype(np.int64)
    return out


def _change(now: pd.Series, before: pd.Series) -> pd.Series:
    """Relative change (0.25 = +25%); NA without a previous figure or from zero."""
    b = pd.to_numeric(before, errors="coerce").astype(float)
    n = pd.to_numeric(now, errors="coerce").astype(float)
    return ((n - b) / b.where(b > 0)).round(4)


def group_table(overview: pd.DataFrame, roles: pd.DataFrame, risk: pd.DataFrame,
                previous: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None = None,
                period: str = "month") -> pd.DataFrame:
    """Every group as one row (``GROUP_COLUMNS``), riskiest first.

    ``overview``/``roles``/``risk`` are ``analysis.overview``, ``analysis.roles`` (every member, with
    ``present``) and ``analysis.risk`` as of now; ``previous`` the same three as of one ``period``
    earlier (a group without messages then has no previous figures).  ``messages``/``speakers`` are
    the last ``period`` (7 or 30 days, overview's windows); ``messages_change``/``speakers_change``
    are relative, ``risk_change`` in points.
    """
    if period not in PERIOD_DAYS:
        raise ValueError(f"period must be one of {tuple(PERIOD_DAYS)}, not {period!r}")
    now = _side(overview, roles, risk, period)
    now["period"] = period
    now["messages_per_day"] = (now["messages"] / PERIOD_DAYS[period]).round(2)
    keep = ["members", "messages", "speakers", "risk_score", "risk_level", "as_of", *(f"role_{r}" for r in ROLES)]
    if previous is not None and len(previous[0]):
        before = _side(*previous, period)[["group_id", *keep]]
    else:
        before = pd.DataFrame(columns=["group_id", *keep])
    before = before.rename(columns={c: f"{c}_prev" for c in keep})
    out = now.merge(before, on="group_id", how="left")
    out["messages_change"] = _change(out["messages"], out["messages_prev"])
    out["speakers_change"] = _change(out["speakers"], out["speakers_prev"])
    out["risk_change"] = (pd.to_numeric(out["risk_score"], errors="coerce")
                          - pd.to_numeric(out["risk_score_prev"], errors="coerce")).round(1)
    for c in ("members_prev", "messages_prev", "speakers_prev", *(f"role_{r}_prev" for r in ROLES)):
        out[c] = pd.array(out[c], dtype="Int64")
    out = out.sort_values(["risk_score", "group_name"], ascending=[False, True], kind="stable", na_position="last")
    return out.reset_index(drop=True)[list(GROUP_COLUMNS)]


# ---- members in several groups -----------------------------------------------------------------------

def _people(present: pd.DataFrame) -> pd.DataFrame:
    p = present[~present["member_id"].astype(str).isin(NON_PEOPLE)]
    return p.assign(member_id=p["member_id"].astype(str), group_id=p["group_id"].astype(str),
                    platform=p["platform"].astype(str), name_key=normalise_names(p["member_name"]).to_numpy())


def _unambiguous_names(p: pd.DataFrame) -> pd.DataFrame:
    """(name_key, platform, member_id) for names that one id per platform carries: only those match."""
    ids = p[p["name_key"] != ""].drop_duplicates(["name_key", "platform", "member_id"])
    per = ids.groupby(["name_key", "platform"])["member_id"].transform("size")
    return ids.loc[per == 1, ["name_key", "platform", "member_id"]]


def _rows_of(members: pd.DataFrame, matched_by: str) -> pd.DataFrame:
    """One row per person key (column ``who``) in two or more groups: groups, names, ids."""
    members = members[members.groupby("who")["group_id"].transform("nunique") >= 2]   # most people: one group
    members = members.sort_values(["who", "group_name"], kind="stable")
    g = members.groupby("who", sort=False)
    out = pd.DataFrame({
        "member_name": g["member_name"].last().astype(str),
        "member_id": g["person_id"].agg(lambda s: "; ".join(dict.fromkeys(s))),
        "groups": g["group_id"].nunique(),
        "group_names": g["group_name"].agg(lambda s: list(dict.fromkeys(s.astype(str)))),
        "platforms": g["platform"].agg(lambda s: sorted(set(s))),
    })
    out["matched_by"] = matched_by
    if matched_by == "id":   # exports without ids (WeChatMsg txt) give the name as the id: a name match
        out.loc[g["id_is_name"].all().to_numpy(dtype=bool), "matched_by"] = "name"
    return out.reset_index(drop=True)


def member_overlap(present: pd.DataFrame) -> pd.DataFrame:
    """Members present in two or more groups (``OVERLAP_COLUMNS``), most groups first.

    ``present``: one row per (group, member) present at the moment judged, with ``group_id``,
    ``group_name``, ``platform``, ``member_id``, ``member_name``.  ``matched_by = id`` is the same id on
    one platform; ``matched_by = name`` joins people of *different* platforms whose (unambiguous) name is
    the same -- a weaker match that only adds groups an id match could not see -- and labels an id match
    whose ids are only names (exports without ids, such as WeChatMsg's txt).
    """
    p = _people(present)
    if p.empty:
        return pd.DataFrame(columns=list(OVERLAP_COLUMNS))
    by_id = p.assign(who=p["platform"] + "\x1f" + p["member_id"], person_id=p["member_id"],
                     id_is_name=p["member_id"] == p["name_key"])
    id_rows = _rows_of(by_id, "id")
    names = _unambiguous_names(p)
    cross = names.groupby("name_key")["platform"].transform("nunique") >= 2
    named = p.merge(names[cross], on=["name_key", "platform", "member_id"])
    named = named.assign(who=named["name_key"], person_id=named["platform"] + ":" + named["member_id"])
    name_rows = _rows_of(named, "name")
    out = pd.concat([id_rows, name_rows], ignore_index=True) if len(name_rows) else id_rows
    out = out.sort_values(["groups", "matched_by", "member_name"], ascending=[False, True, True], kind="stable")
    return out.reset_index(drop=True)[list(OVERLAP_COLUMNS)]


def pair_counts(present: pd.DataFrame) -> pd.DataFrame:
    """Shared members (same id, one platform) for every pair of groups that shares any: group_a, group_b,
    shared, most first."""
    p = _people(present)[["group_name", "platform", "member_id"]].drop_duplicates()
    pairs = p.merge(p, on=["platform", "member_id"], suffixes=("_a", "_b"))
    pairs = pairs[pairs["group_name_a"].astype(str) < pairs["group_name_b"].astype(str)]
    out = pairs.groupby(["group_name_a", "group_name_b"]).size().rename("shared").reset_index()
    out = out.rename(columns={"group_name_a": "group_a", "group_name_b": "group_b"})
    return out.sort_values(["shared", "group_a", "group_b"], ascending=[False, True, True], kind="stable"
                           ).reset_index(drop=True)


def only_in(present: pd.DataFrame, group: str, not_in: Sequence[str] = ()) -> pd.DataFrame:
    """Members of ``group`` (a group id) who are in none of ``not_in`` (ids; empty: any other group),
    matched by id on one platform (``ONLY_IN_COLUMNS``).  ``same_name_elsewhere`` marks those whose
    name an (unambiguous) member of such a group on another platform carries: perhaps the same person."""
    p = _people(present)
    p = p.assign(key=p["platform"] + "\x1f" + p["member_id"])
    others = set(map(str, not_in)) or set(p["group_id"]) - {str(group)}
    mine = p[p["group_id"] == str(group)]
    there = p[p["group_id"].isin(others)]
    out = mine[~mine["key"].isin(set(there["key"]))]
    names = _unambiguous_names(p)
    on = ["name_key", "platform", "member_id"]
    there_names = there.merge(names, on=on)[["name_key", "platform"]].rename(columns={"platform": "there"})
    hits = out.merge(names, on=on).merge(there_names, on="name_key")
    hits = hits[hits["platform"] != hits["there"]]
    flag = out["key"].isin(set(hits["key"])).to_numpy(dtype=bool)
    res = out.assign(same_name_elsewhere=flag)
    for col in ("messages", "last_spoke"):
        if col not in res.columns:
            res[col] = pd.NA
    res = res.sort_values(["messages", "member_name"], ascending=[False, True], kind="stable")
    return res.reset_index(drop=True)[list(ONLY_IN_COLUMNS)]


# ---- the same text in several groups -----------------------------------------------------------------

def normalise_texts(texts: pa.Array | pa.ChunkedArray | pd.Series) -> pa.Array:
    """THE text normalisation for "the same post": NFKC (full-width -> half-width), lower case, without
    whitespace, punctuation or symbols (emoji), so "加V：abc123！" and "加v abc123" are one text."""
    arr = texts if isinstance(texts, pa.Array | pa.ChunkedArray) else pa.array(
        pd.Series(texts, dtype=object).fillna("").astype(str).tolist(), pa.string())
    arr = pc.utf8_lower(pc.utf8_normalize(arr.fill_null(""), "NFKC"))
    return pc.replace_substring_regex(arr, r"[\s\p{P}\p{S}]+", "")


def member_posts(messages: pd.DataFrame, min_chars: int = MIN_CHARS) -> pd.DataFrame:
    """Per (group, sender, normalised text) at least ``min_chars`` long: messages, first, last, one
    original text and the sender's last name -- the per-group input of ``cross_posts``."""
    cols = ["group_id", "group_name", "platform", "member_id", "member_name", "norm", "messages", "first",
            "last", "text"]
    m = messages[messages["kind"].astype(str).isin(TEXTUAL_KINDS)
                 & ~messages["sender_id"].astype(str).isin(NON_PEOPLE)]
    m = m[m["event"].isna()] if "event" in m.columns else m
    if m.empty:
        return pd.DataFrame(columns=cols)
    text = pa.array(m["text"].astype(object).where(m["text"].notna(), "").astype(str).tolist(), pa.string())
    enc = pc.dictionary_encode(text)
    norm_u = normalise_texts(enc.dictionary)
    long_u = (pc.utf8_length(norm_u).to_numpy(zero_copy_only=False) >= min_chars)
    codes = enc.indices.to_numpy(zero_copy_only=False)
    keep = long_u[codes]
    if not keep.any():
        return pd.DataFrame(columns=cols)
    k = m[keep]
    f = pd.DataFrame({"group_id": k["group_id"].astype(str).to_numpy(),
                      "group_name": k["group_name"].astype(str).to_numpy(),
                      "platform": k["platform"].astype(str).to_numpy(),
                      "member_id": k["sender_id"].astype(str).to_numpy(),
                      "member_name": k["sender_name"].astype(str).to_numpy(),
                      "norm": np.asarray(norm_u.to_numpy(zero_copy_only=False), dtype=object)[codes[keep]],
                      "ts": k["ts"].to_numpy(), "text": k["text"].astype(str).to_numpy()}).sort_values("ts", kind="stable")
    g = f.groupby(["group_id", "member_id", "norm"], sort=False)
    out = g.agg(group_name=("group_name", "last"), platform=("platform", "last"),
                member_name=("member_name", "last"), messages=("ts", "size"), first=("ts", "min"),
                last=("ts", "max"), text=("text", "first")).reset_index()
    out["first"] = pd.to_datetime(out["first"], utc=True)
    out["last"] = pd.to_datetime(out["last"], utc=True)
    return out[cols]


def cross_posts(posts: pd.DataFrame, min_groups: int = 2) -> pd.DataFrame:
    """The same normalised text posted by one member (one id, one platform) in ``min_groups`` or more
    groups (``CROSS_COLUMNS``), ads first.  ``ad`` is the message act of the text (``analysis.acts``):
    an advertiser working several groups."""
    if posts.empty:
        return pd.DataFrame(columns=list(CROSS_COLUMNS))
    p = posts.sort_values(["first"], kind="stable")
    key = ["platform", "member_id", "norm"]
    n = p.groupby(key)["group_id"].transform("nunique")
    p = p[n >= min_groups]
    if p.empty:
        return pd.DataFrame(columns=list(CROSS_COLUMNS))
    g = p.sort_values(["group_name"], kind="stable").groupby(key, sort=False)
    out = g.agg(member_name=("member_name", "last"), groups=("group_id", "nunique"),
                group_names=("group_name", lambda s: list(dict.fromkeys(s))), messages=("messages", "sum"),
                first=("first", "min"), last=("last", "max"), text=("text", "first")).reset_index()
    out["ad"] = classify_texts(out["text"].tolist())["ad"].to_numpy(dtype=bool)
    out = out.sort_values(["ad", "groups", "messages", "member_name"], ascending=[False, False, False, True],
                          kind="stable")
    return out.reset_index(drop=True)[list(CROSS_COLUMNS)]


def cross_posters(cross: pd.DataFrame) -> pd.DataFrame:
    """Per member with cross-posts: distinct texts, of them ads, groups reached (advertisers across groups)."""
    if cross.empty:
        return pd.DataFrame(columns=["member_name", "member_id", "platform", "texts", "ads", "groups"])
    g = cross.groupby(["platform", "member_id"], sort=False)
    out = g.agg(member_name=("member_name", "last"), texts=("text", "size"), ads=("ad", "sum"),
                groups=("group_names", lambda s: len({x for names in s for x in names}))).reset_index()
    return out.sort_values(["ads", "groups", "member_name"], ascending=[False, False, True], kind="stable"
                           ).reset_index(drop=True)
