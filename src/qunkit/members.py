"""Who is in a group: members derived from senders, join/leave lines and rosters.

Silent members never appear in a message log, so a group's member list is the
union of (a) everyone who spoke, (b) everyone named by a join/leave/kick line
and (c) the roster, when one was attached.  ``roster_known`` tells analysis
whether lurkers can be counted at all.  Derived on read (not stored) so it can
never go stale against the messages.

This module owns membership for every command: the frame's layout
(``schema.MEMBERS``, enforced by ``conform_members``), who is a member at a
moment (``present_at`` / ``presence_spans``), the (group, member) key
(``member_key``), the title/role vocabulary (``role_from_title``) and
name -> id resolution (``alias_index`` / ``resolve_names``).  Which ids are one person is
``qunkit.identity``'s; its merges reach the roster here (``merged_rosters``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .formats.events import split_names
from .schema import MEMBERS

MEMBER_COLUMNS = list(MEMBERS.names)
NON_MEMBERS = {"system"}
PROTECTED_ROLES = ("owner", "admin")

# role words, most specific first: a title or roster value containing one of them has that role
ROLE_WORDS: tuple[tuple[str, str], ...] = (
    ("群主", "owner"), ("创建者", "owner"), ("创建人", "owner"), ("owner", "owner"),
    ("管理员", "admin"), ("管理", "admin"), ("administrator", "admin"), ("admin", "admin"),
    ("普通成员", "member"), ("群成员", "member"), ("成员", "member"), ("普通", "member"), ("member", "member"),
)

_KEY_SEP = "\x1f"
# "name(QQ号)" as a QQ join line names a joiner (``formats.events``): the id is the member, the name an alias
_NAMED_ID = re.compile(r"^(?P<name>.*?)\((?P<id>\d{5,12})\)$")
_NS_MIN = np.iinfo(np.int64).min
_NS_MAX = np.iinfo(np.int64).max


# ---------------------------------------------------------------- vocabulary and keys

def role_from_title(title: object) -> str | None:
    """owner / admin / member for a roster 身份 value or an export title such as 【管理员】, else None.

    One vocabulary for rosters, titles and pruning: an exact word first, then a word the value
    contains (``群管理员``, ``【群主】``), owner words before admin before member.
    """
    if not isinstance(title, str):
        return None
    t = title.strip().lower().strip("【】[]")
    if not t:
        return None
    for word, role in ROLE_WORDS:
        if t == word:
            return role
    for word, role in ROLE_WORDS:
        if word in t:
            return role
    return None


def member_key(group_id: pd.Series | np.ndarray, member_id: pd.Series | np.ndarray) -> np.ndarray:
    """The one (group, member) key: ``group_id + US + member_id`` as an object array of str.

    A unit separator cannot occur in ids or names read from an export, so keys never collide.
    """
    g = pd.Series(np.asarray(group_id, dtype=object)).astype(str)
    m = pd.Series(np.asarray(member_id, dtype=object)).astype(str)
    return (g + _KEY_SEP + m).to_numpy(dtype=object)


def keys_in(keys: np.ndarray | pd.Series, other: np.ndarray | pd.Series | list) -> np.ndarray:
    """Which of ``keys`` (e.g. ``member_key`` strings) occur in ``other``, by hashing: ``np.isin`` on object
    arrays compares every pair (a Python loop over ``other``), minutes for a million keys."""
    # object dtype: pandas would infer its arrow strings, whose isin loops in Python
    return pd.Series(np.asarray(keys, dtype=object), dtype=object).isin(
        pd.Series(np.asarray(other, dtype=object), dtype=object)).to_numpy()


def normalise_names(names: pd.Series | np.ndarray) -> pd.Series:
    """THE name normalisation for matching: stripped, without a leading @ (mentions), '' for none."""
    return pd.Series(np.asarray(names, dtype=object), dtype=object).fillna("").astype(str).str.strip().str.lstrip("@")


def alias_index(parts: list[pd.DataFrame], timed: bool = False) -> pd.DataFrame:
    """(group_id, alias, member_id) from frames of those columns; earlier parts win an alias.

    Callers list their sources most trusted first (speakers before rosters, ids before names).
    ``timed``: keep every member an alias ever named, with ``since`` (when the name was first seen
    for them, a ``since`` column of the part; NaT when unknown, e.g. a roster) and ``rank`` (source
    order), so ``resolve_names(..., at=)`` can pick who had the name at a moment.
    """
    cols = ["group_id", "alias", "member_id"]
    if not parts:
        return pd.DataFrame({c: [] for c in cols + (["since", "rank"] if timed else [])}, dtype=object)
    frames = []
    for p in parts:
        f = p[cols].astype(str).assign(alias=lambda d: normalise_names(d["alias"]).to_numpy())
        if timed:
            f["since"] = to_ns(p["since"]) if "since" in p.columns else _NS_MIN
        frames.append(f)
    al = pd.concat(frames, ignore_index=True)
    al = al[(al["alias"] != "") & (al["member_id"] != "") & ~al["member_id"].isin(NON_MEMBERS)]
    if not timed:
        return al.drop_duplicates(["group_id", "alias"], keep="first").reset_index(drop=True)
    al = al.assign(rank=np.arange(len(al)))
    known = al["since"].where(al["since"] != _NS_MIN, _NS_MAX)
    first_seen = known.groupby([al["group_id"], al["alias"], al["member_id"]], sort=False).transform("min")
    al["since"] = np.where(first_seen == _NS_MAX, _NS_MIN, first_seen).astype(np.int64)
    return al.drop_duplicates(cols, keep="first").reset_index(drop=True)


def resolve_names(group_id: np.ndarray, names: np.ndarray, aliases: pd.DataFrame,
                  at: pd.Series | np.ndarray | None = None) -> np.ndarray:
    """Map names-or-ids to member ids within each group; unknown names stay as given, '' stays ''.

    ``name(QQ号)`` is the id.  With a ``timed`` alias index and ``at`` (one moment per name), a name
    two members used resolves to the one who took it last by then (who had it at that time), else
    to the most trusted source (speakers, then join lines, then the roster).
    """
    alias = normalise_names(names)
    live = (alias != "").to_numpy()
    if not live.all():     # '' stays '' (most join/leave lines name no actor): resolve only the others
        out = alias.to_numpy(dtype=object)
        if live.any():
            out[live] = resolve_names(np.asarray(group_id, dtype=object)[live], np.asarray(names, dtype=object)[live],
                                      aliases, at=None if at is None else np.broadcast_to(_ns_of(at), len(alias))[live])
        return out
    codes, distinct = pd.factorize(alias)     # the id pattern once per distinct name (names repeat)
    named = pd.Series(distinct, dtype=object).str.extract(_NAMED_ID).iloc[codes].reset_index(drop=True) \
        if len(alias) else alias.str.extract(_NAMED_ID)
    q = pd.DataFrame({"group_id": pd.Series(group_id, dtype=object).astype(str).to_numpy(),
                      "alias": alias.to_numpy(), "row": np.arange(len(alias))})
    if "rank" not in aliases.columns:
        hit = q.merge(aliases[["group_id", "alias", "member_id"]], on=["group_id", "alias"], how="left")
    else:
        c = q.assign(at=_NS_MAX if at is None else _ns_of(at)).merge(aliases, on=["group_id", "alias"])
        had = (c["since"] != _NS_MIN) & (c["since"] <= c["at"])
        c = c.assign(had=had, when=np.where(had, c["since"], _NS_MIN))
        c = c.sort_values(["row", "had", "when", "rank"], ascending=[True, False, False, True], kind="stable")
        hit = q.merge(c.drop_duplicates("row")[["row", "member_id"]], on="row", how="left")
    out = hit.sort_values("row")["member_id"].reset_index(drop=True)
    out = out.where(out.notna(), named["id"]).where(lambda s: s.notna(), alias)
    return np.asarray(out, dtype=object)


# ---------------------------------------------------------------- the frame's layout

def conform_members(df: pd.DataFrame) -> pd.DataFrame:
    """Cast a members frame to ``schema.MEMBERS`` (columns, order, types); the one place that does.

    ``group_id`` and ``member_id`` are required.  Other absent columns are filled with nulls (or
    False / 0 / the id for non-null ones) so hand-built frames (tests, notebooks) work; analysis
    code then reads every column as is.  Strings are object columns of str or None, timestamps
    ``datetime64[ms, UTC]``, ``names`` lists of str.
    """
    missing = [c for c in ("group_id", "member_id") if c not in df.columns]
    if missing:
        raise ValueError(f"members frame lacks {', '.join(missing)}")
    n = len(df)
    out = pd.DataFrame(index=df.index)
    for field in MEMBERS:
        c = field.name
        col = df[c] if c in df.columns else pd.Series([None] * n, index=df.index, dtype=object)
        if pa.types.is_timestamp(field.type):
            out[c] = pd.to_datetime(col, utc=True).astype("datetime64[ms, UTC]")
        elif pa.types.is_boolean(field.type):
            out[c] = col.astype("boolean").fillna(False).astype(bool)
        elif pa.types.is_integer(field.type):
            out[c] = pd.to_numeric(col).fillna(0).astype("int64")
        elif pa.types.is_list(field.type):
            out[c] = [_names(v) for v in col]
        else:
            ok = col.notna()
            out[c] = col.astype(object).where(~ok, col.astype(str)).where(ok, None)
    if "group_name" not in df.columns:
        out["group_name"] = out["group_id"]
    out["group_name"] = out["group_name"].where(out["group_name"].notna(), out["group_id"])
    if out["group_id"].isna().any() or out["member_id"].isna().any():
        raise ValueError("members frame has rows without group_id or member_id")
    return out.reset_index(drop=True)


def conform_table(table: pa.Table) -> pd.DataFrame:
    """``conform_members`` of a table already in ``schema.MEMBERS``' layout (the stored members), column by
    column from Arrow: the same frame without casting every string column three times."""
    if not set(MEMBERS.names) <= set(table.column_names):
        return conform_members(table.to_pandas())
    out = {}
    for field in MEMBERS:
        col = table.column(field.name)
        if pa.types.is_list(field.type):
            if pc.list_flatten(col).null_count:        # conform_members spells a null name "None"
                return conform_members(table.to_pandas())
            out[field.name] = [v if v is not None else [] for v in col.to_pylist()]
        elif pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            out[field.name] = pd.Series(col.to_numpy(zero_copy_only=False), dtype=object)
        elif pa.types.is_boolean(field.type) or pa.types.is_integer(field.type):
            if col.null_count:
                return conform_members(table.to_pandas())
            out[field.name] = col.to_numpy()
        else:
            out[field.name] = col.to_pandas()
    frame = pd.DataFrame(out)
    if frame["group_name"].isna().any() or frame["group_id"].isna().any() or frame["member_id"].isna().any():
        return conform_members(table.to_pandas())
    return frame


def _names(v: object) -> list[str]:
    if v is None or isinstance(v, float):
        return []
    if isinstance(v, str):
        return [v] if v else []
    return [str(x) for x in v]


def with_speakers(members: pd.DataFrame | None, speakers: pd.DataFrame) -> pd.DataFrame:
    """``members`` plus a row for each speaker it lacks (group_id, member_id and whatever members
    columns ``speakers`` has, e.g. first_spoke/last_spoke), conformed; ``roster_known`` follows the
    group.  Everyone who spoke is a member even when a hand-built frame missed them."""
    base = members if members is not None else conform_members(pd.DataFrame({"group_id": [], "member_id": []}))
    have = member_key(base["group_id"], base["member_id"])
    new = speakers[~keys_in(member_key(speakers["group_id"], speakers["member_id"]), have)]
    if not len(new):
        return base.reset_index(drop=True)
    out = conform_members(pd.concat([base, new], ignore_index=True))
    out["roster_known"] = out.groupby("group_id")["roster_known"].transform("any").astype(bool)
    return out


# ---------------------------------------------------------------- who is a member when

def presence_spans(members: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the span [start, end) in epoch ns during which the member is in the group.

    THE membership rule, used by every command:

    - joined (when known) by t, and not left (a leave/kick line) by t;
    - a group with a roster lists its current members, so a member the roster lacks has gone,
      unless they joined after the roster's newest date (the latest 入群时间 or 最后发言时间 in it:
      the roster was exported before they came).  When such a former member went is unknown;
      they count from their join (or first message) until their last sign of life (last message
      or join), so a past moment between two of their messages counts them, while at the log's
      end (the default as_of) they are gone even if theirs was the last message.

    Join unknown means "since before the log": start is the minimum int64.
    """
    joined = to_ns(members["joined"])
    left = to_ns(members["left"])
    first, last = to_ns(members["first_spoke"]), to_ns(members["last_spoke"])
    gone = _gone_by_roster(members, joined)
    start = np.where(joined != _NS_MIN, joined, np.where(gone & (first != _NS_MIN), first, _NS_MIN))
    last_sign = np.maximum(last, joined)
    gone_end = np.where(last_sign != _NS_MIN, last_sign, _NS_MIN)
    end = np.where(left != _NS_MIN, left, np.where(gone, gone_end, _NS_MAX))
    return start, end


def present_at(members: pd.DataFrame, t: pd.Timestamp | pd.Series | np.ndarray) -> np.ndarray:
    """Boolean mask: which rows of ``members`` are in their group at ``t`` (one moment, or one per
    row).  The rule is ``presence_spans``'."""
    start, end = presence_spans(members)
    tn = _ns_of(t)
    return (start <= tn) & (tn < end)


def present_during(members: pd.DataFrame, lo: pd.Series | np.ndarray, hi: pd.Series | np.ndarray
                   ) -> np.ndarray:
    """Rows in their group at some moment of [lo, hi] (a roll call's window, per row)."""
    start, end = presence_spans(members)
    return (start <= _ns_of(hi)) & (end > _ns_of(lo))


def joined_by(members: pd.DataFrame, t: pd.Timestamp) -> np.ndarray:
    """Rows whose membership began by ``t`` (present then or since gone): not yet-to-join."""
    start, _ = presence_spans(members)
    return start <= _ns_of(t)


def _gone_by_roster(members: pd.DataFrame, joined_ns: np.ndarray) -> np.ndarray:
    """Members a roster-known group's roster lacks, who did not join after the roster's newest date."""
    in_roster = members["in_roster"].to_numpy(dtype=bool)
    known = members["roster_known"].to_numpy(dtype=bool)
    if not (known & ~in_roster).any():
        return np.zeros(len(members), dtype=bool)
    newest = np.maximum(joined_ns, to_ns(members["last_spoke_roster"]))
    gid = members["group_id"].to_numpy(dtype=object)
    roster_date = pd.Series(np.where(in_roster, newest, _NS_MIN)).groupby(gid).transform("max").to_numpy()
    newer = (joined_ns != _NS_MIN) & (roster_date != _NS_MIN) & (joined_ns > roster_date)
    return known & ~in_roster & ~newer


def to_ns(s: pd.Series) -> np.ndarray:
    """A timestamp column as int64 epoch ns, NaT as the minimum int64 (the one conversion for spans)."""
    v = pd.DatetimeIndex(pd.to_datetime(s, utc=True))
    out = v.as_unit("ns").asi8.copy()
    out[v.isna()] = _NS_MIN
    return out


def _ns_of(t: pd.Timestamp | pd.Series | np.ndarray) -> int | np.ndarray:
    if isinstance(t, pd.Timestamp):
        return pd.Timestamp(t).as_unit("ns").value
    if isinstance(t, np.ndarray) and t.dtype == np.int64:
        return t
    return pd.DatetimeIndex(pd.to_datetime(t, utc=True)).as_unit("ns").asi8


# ---------------------------------------------------------------- deriving the frame

def derive_members(messages: pd.DataFrame, rosters: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """One row per (group_id, member_id), conformed to ``schema.MEMBERS``.

    ``rosters`` maps group_id to a roster frame (member_id, member_name, role,
    joined, last_spoke) as read by ``qunkit.roster.read_roster``.  The work is ``prepare_members`` (what
    needs every message) then ``PreparedMembers.at`` (the cut at a moment): a replay at several moments
    prepares once.
    """
    return prepare_members(messages, rosters).at()


@dataclass
class PreparedMembers:
    """``derive_members``' per-message work over a message set, done once; ``at(t)`` cuts it at any moment.

    The speakers' rows are sorted by (speaker, time), so each speaker's count, first and last message, last
    name and last title as of ``t`` are a prefix of their run; the distinct names and the join/leave rows
    are cut by time.  Only the member-sized work (aliases, events, the merges) is redone per moment, and
    ``at(t)`` equals ``derive_members(messages[messages["ts"] <= t], rosters)`` (tests/test_membership.py).
    """

    messages: pd.DataFrame                   # as given: the rare cut a prefix cannot give is derived afresh
    given_rosters: dict[str, pd.DataFrame]
    rosters: dict[str, pd.DataFrame]         # merged_rosters of the given ones
    first_ns: int                            # the earliest message (_NS_MAX: none)
    last_ns: int                             # the latest message
    matches: pd.DataFrame | None             # _name_matches: name-keyed speakers and roster rows of their name
    # the group's name: the last row's (frame order) as of t; constant per group for all but a few
    gname_first: np.ndarray                  # per group with one name: its first message (ns)
    gname_const: pd.DataFrame                # ... group_id, group_name (str)
    gname_var: pd.DataFrame                  # rows of groups whose name changed: group_id, group_name, ns
    # speakers: rows of speaking messages sorted by (group, sender), then time
    k_gid: np.ndarray                        # per speaker: group_id, sender_id (str)
    k_sid: np.ndarray
    seg_start: np.ndarray                    # per speaker: their first row in the sorted order
    key_sorted: np.ndarray                   # per sorted row: speaker
    ns_sorted: np.ndarray                    # per sorted row: epoch ns
    ts_sorted: pd.api.extensions.ExtensionArray   # per sorted row: ts as given
    name_sorted: np.ndarray                  # per sorted row: sender_name (str)
    title_at: np.ndarray | None              # per sorted row: the row of the speaker's last title so far, -1
    role_sorted: np.ndarray | None           # per sorted row: role_from_title of its title
    triples: pd.DataFrame                    # distinct (group, sender, name) in first-use order, with ts
    triples_ns: np.ndarray
    ev_rows: pd.DataFrame                    # _event_rows
    ev_ns: np.ndarray
    roster_df: pd.DataFrame                  # _roster_rows

    def at(self, t: pd.Timestamp | None = None) -> pd.DataFrame:
        """The members of the messages up to ``t`` (default: all of them), conformed to ``schema.MEMBERS``."""
        tn = self.last_ns if t is None else int(_ns_of(t))
        if self.first_ns > tn and not self.rosters:
            return conform_members(pd.DataFrame({"group_id": [], "member_id": []}, dtype=object))
        if t is not None and _matches_move(self.matches, tn):
            # a name-keyed speaker's roster id speaks only later: the remap of the latest moment does not hold
            return prepare_members(self.messages[self.messages["ts"] <= t], self.given_rosters).at()
        ambiguous = _ambiguous(self.matches, tn)
        gname = self._group_names(tn)
        senders, triples = self._senders(tn)
        roster_df = self.roster_df
        ev_rows = self.ev_rows
        if len(ev_rows) and not (self.ev_ns <= tn).all():
            keep = self.ev_ns <= tn
            ev_rows = ev_rows[keep].reset_index(drop=True) if keep.any() else _event_rows(pd.DataFrame())
        joined = ev_rows[(ev_rows["event"] == "join") & (ev_rows["id"] != "")]
        aliases = alias_index([
            triples.rename(columns={"sender_id": "member_id", "sender_name": "alias", "ts": "since"}),
            joined[["group_id", "id", "name", "ts"]].set_axis(["group_id", "member_id", "alias", "since"], axis=1),
            roster_df[["group_id", "member_id"]].assign(alias=roster_df["roster_name"].fillna("")),
            roster_df[["group_id", "member_id"]].assign(alias=roster_df["member_id"]),
        ], timed=True)
        ev = _events(ev_rows, aliases)

        out = senders.merge(ev, on=["group_id", "member_id"], how="outer")
        out = out.merge(roster_df, on=["group_id", "member_id"], how="outer")
        out["in_roster"] = keys_in(member_key(out["group_id"], out["member_id"]),
                                   member_key(roster_df["group_id"], roster_df["member_id"]))
        out["member_name"] = _first_of(out, ["roster_name", "member_name", "ev_name", "member_id"])
        out["role"] = _first_of(out, ["roster_role", "title_role"])
        out["joined"] = _ts_first_of(out, ["roster_joined", "ev_joined"])
        ev_left = _as_ts(out["ev_left"])
        out["left"] = ev_left.where(ev_left.notna() & (out["joined"].isna() | (ev_left > out["joined"])))
        out["left_how"] = out["left_how"].where(out["left"].notna(), None)  # leave (by themselves) or kick
        out["names"] = [n if isinstance(n, list) else ([x] if isinstance(x, str) and x else [])
                        for n, x in zip(out["names"], out["member_name"], strict=True)]
        out["group_name"] = out["group_id"].map(gname).astype(object).fillna(out["group_id"])
        out["roster_known"] = out["group_id"].isin(list(self.rosters))
        out = out.sort_values(["group_id", "member_id"], kind="stable")
        out = conform_members(out[MEMBER_COLUMNS])
        out.attrs["ambiguous_names"] = ambiguous
        return out

    def _group_names(self, tn: int) -> dict[str, str]:
        """group_id -> the group's name on its last message up to ``tn`` (frame order)."""
        const = self.gname_const[self.gname_first <= tn]
        out = dict(zip(const["group_id"], const["group_name"], strict=True))
        var = self.gname_var
        if len(var):
            var = var[var["ns"].to_numpy() <= tn].drop_duplicates("group_id", keep="last")
            out.update(zip(var["group_id"], var["group_name"], strict=True))
        return out

    def _senders(self, tn: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Per (group, sender) as of ``tn``: count, first/last message, names in first-use order, last name,
        last title's role; and the distinct (group, sender, name) triples up to ``tn`` (for name -> id)."""
        kept = self.ns_sorted <= tn
        cnt = np.bincount(self.key_sorted[kept] if not kept.all() else self.key_sorted, minlength=len(self.k_gid))
        ks = np.flatnonzero(cnt)
        first = self.seg_start[ks]
        last = first + cnt[ks] - 1
        keys = ["group_id", "member_id"]
        senders = pd.DataFrame({"group_id": self.k_gid[ks], "member_id": self.k_sid[ks],
                                "messages": cnt[ks].astype(np.int64),
                                "first_spoke": self.ts_sorted.take(first), "last_spoke": self.ts_sorted.take(last)})
        tri = self.triples if (self.triples_ns <= tn).all() else self.triples[self.triples_ns <= tn]
        senders = senders.merge(_name_lists(tri), on=keys, how="left")
        senders["member_name"] = self.name_sorted[last]
        role = None
        if self.title_at is not None:
            at = self.title_at[last]
            role = np.where(at >= 0, self.role_sorted[np.maximum(at, 0)], None) if len(at) else None
        senders["title_role"] = role
        return senders, tri[["group_id", "sender_id", "sender_name", "ts"]]


def prepare_members(messages: pd.DataFrame, rosters: dict[str, pd.DataFrame] | None = None) -> PreparedMembers:
    """The per-message work of ``derive_members`` over ``messages`` (see ``PreparedMembers``)."""
    given = rosters or {}
    rosters = merged_rosters(given, messages.attrs.get("merged_ids", ()))
    matches = _name_matches(messages, rosters)
    m = _apply_matches(messages, matches, None)[0]
    ns = to_ns(m["ts"]) if len(m) else np.zeros(0, np.int64)

    # group names: the last row's; a group that kept one name needs no cut
    gcode = pd.factorize(m["group_id"])[0] if len(m) else np.zeros(0, np.int64)
    ncode = pd.factorize(m["group_name"])[0] if len(m) else np.zeros(0, np.int64)
    pairs = np.unique(gcode * (int(ncode.max(initial=0)) + 2) + ncode + 1)
    n_names = np.bincount(pairs // (int(ncode.max(initial=0)) + 2), minlength=int(gcode.max(initial=-1)) + 1)
    varying = (n_names > 1)[gcode] if len(m) else np.zeros(0, bool)
    firsts = np.unique(gcode[~varying], return_index=True)[1]
    const_rows = np.flatnonzero(~varying)[firsts]
    gfirst = pd.Series(ns[~varying]).groupby(gcode[~varying]).min().to_numpy() if len(const_rows) else ns[:0]
    const = m.iloc[const_rows][["group_id", "group_name"]].astype(str).reset_index(drop=True)
    var = m.loc[varying, ["group_id", "group_name"]].astype(str).assign(ns=ns[varying]).reset_index(drop=True)

    # speakers, sorted by time (stable) as derive_members reads them, then by speaker
    speaking = (~m["sender_id"].isin(NON_MEMBERS) & ~m["kind"].isin(["system"])).to_numpy() if len(m) \
        else np.zeros(0, bool)
    cols = ["group_id", "sender_id", "sender_name", "ts", *(["sender_title"] if "sender_title" in m.columns else [])]
    sp = m.loc[speaking, cols] if len(m) else pd.DataFrame({c: [] for c in cols})
    sp_ns = ns[speaking]
    if not sp["ts"].is_monotonic_increasing:
        by_time = np.argsort(sp_ns, kind="stable")
        sp, sp_ns = sp.iloc[by_time], sp_ns[by_time]
    (gc, glab), (sc, slab), (nc, nlab) = (_str_codes(sp[c]) for c in ("group_id", "sender_id", "sender_name"))
    key = pd.factorize(gc * (len(slab) + 1) + sc)[0].astype(np.int64)
    order = np.argsort(key, kind="stable")
    key_sorted = key[order]
    n_keys = int(key.max(initial=-1)) + 1
    seg_start = np.searchsorted(key_sorted, np.arange(n_keys))
    k_rows = order[seg_start] if n_keys else np.zeros(0, np.int64)
    gid, sid, name = glab[gc], slab[sc], nlab[nc]
    title_at = role_sorted = None
    if "sender_title" in sp.columns and sp["sender_title"].notna().any():
        has = sp["sender_title"].notna().to_numpy()[order]
        tcode, titles = pd.factorize(sp["sender_title"].astype(str).to_numpy(dtype=object)[order])
        roles = np.array([role_from_title(x) for x in titles] + [None], dtype=object)
        role_sorted = roles[np.where(has, tcode, len(titles))]
        run = np.maximum.accumulate(np.where(has, np.arange(len(order)), -1)) if len(order) else order
        title_at = np.where(run >= seg_start[key_sorted], run, -1) if len(order) else order

    # the distinct (group, sender, name) triples in first-use order
    first_use = np.sort(np.unique(key * (len(nlab) + 1) + nc, return_index=True)[1])
    triples = pd.DataFrame({"group_id": gid[first_use], "sender_id": sid[first_use], "sender_name": name[first_use],
                            "ts": sp["ts"].array.take(first_use)})
    ev_rows = _event_rows(m)
    return PreparedMembers(
        messages=messages, given_rosters=given, rosters=rosters,
        first_ns=int(ns.min(initial=_NS_MAX)), last_ns=int(ns.max(initial=_NS_MIN)), matches=matches,
        gname_first=gfirst, gname_const=const, gname_var=var,
        k_gid=gid[k_rows], k_sid=sid[k_rows], seg_start=seg_start, key_sorted=key_sorted,
        ns_sorted=sp_ns[order], ts_sorted=sp["ts"].array.take(order), name_sorted=name[order],
        title_at=title_at, role_sorted=role_sorted, triples=triples, triples_ns=sp_ns[first_use],
        ev_rows=ev_rows, ev_ns=to_ns(ev_rows["ts"]) if len(ev_rows) else np.zeros(0, np.int64),
        roster_df=_roster_rows(rosters))


def merged_rosters(rosters: dict[str, pd.DataFrame], merged: list[tuple[str, str, str]] | tuple = ()
                   ) -> dict[str, pd.DataFrame]:
    """``rosters`` with the ids ``identity.apply_merges`` merged (``(group_id, id, same_as)``) under the
    surviving id, so a merged person is one roster row: the surviving id's own row if it has one."""
    if not merged or not rosters:
        return rosters
    out = dict(rosters)
    pairs = pd.DataFrame(list(merged), columns=["group_id", "member_id", "same_as"]).drop_duplicates(
        ["group_id", "member_id"], keep="last")
    for gid, p in pairs.groupby("group_id"):
        if gid not in out:
            continue
        r = out[gid]
        to = dict(zip(p["member_id"], p["same_as"], strict=True))
        ids = r["member_id"].astype(str)
        mapped = ids.map(to)
        if not mapped.notna().any():
            continue
        own = mapped.isna()   # the surviving id's own row sorts last: drop_duplicates(keep="last") keeps it
        r = r.assign(member_id=mapped.where(mapped.notna(), ids), _own=own.to_numpy())
        out[gid] = r.sort_values("_own", kind="stable").drop_duplicates("member_id", keep="last").drop(
            columns="_own").reset_index(drop=True)
    return out


def _name_lists(triples: pd.DataFrame) -> pd.DataFrame:
    """(group_id, member_id, names): each sender's names in ``triples`` order (first use), without a
    pandas ``agg(list)`` (a Python call per member)."""
    codes, _ = pd.factorize(member_key(triples["group_id"], triples["sender_id"]))
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    firsts = order[np.r_[0, bounds]] if len(order) else order
    names = triples["sender_name"].to_numpy(dtype=object)[order]
    return pd.DataFrame({"group_id": triples["group_id"].to_numpy(dtype=object)[firsts],
                         "member_id": triples["sender_id"].to_numpy(dtype=object)[firsts],
                         "names": [list(x) for x in np.split(names, bounds)] if len(order) else []})


def _event_rows(m: pd.DataFrame) -> pd.DataFrame:
    """One row per person a join/leave/kick line names: group_id, name, id (when the line gives one,
    ``name(QQ号)``; else ''), event, actor (as written), ts."""
    cols = ["group_id", "name", "id", "event", "actor", "ts"]
    rows = []
    if "event" in m.columns:
        ev = m[m["event"].isin(["join", "leave", "kick"])]
        actors = ev["event_actor"] if "event_actor" in ev.columns else pd.Series(None, index=ev.index)
        for e_gid, event, target, actor, ts in zip(ev["group_id"].astype(str), ev["event"].astype(str),
                                                   ev["event_target"], actors, ev["ts"], strict=True):
            if not isinstance(target, str):
                continue
            by = actor if isinstance(actor, str) and actor else ""
            rows += [(e_gid, who, event, by, ts) for who in split_names(target)]
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    out = pd.DataFrame(rows, columns=["group_id", "name", "event", "actor", "ts"])
    named = normalise_names(out["name"]).str.extract(_NAMED_ID)
    has_id = named["id"].notna().to_numpy()
    out["id"] = np.where(has_id, named["id"], "")
    out["name"] = np.where(has_id, named["name"].fillna(""), out["name"])
    return out[cols]


def _events(events: pd.DataFrame, aliases: pd.DataFrame) -> pd.DataFrame:
    """Per (group, member) named by join/leave/kick lines: last join and inviter, last exit and how,
    the name the line used.  A name resolves to whoever had it when the line was written."""
    cols = ["group_id", "member_id", "ev_joined", "invited_by", "ev_left", "left_how", "ev_name"]
    if not len(events):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    gid, at = events["group_id"].to_numpy(), events["ts"]
    by_name = resolve_names(gid, events["name"].to_numpy(), aliases, at=at)
    events = events.assign(member_id=np.where(events["id"] != "", events["id"], by_name))
    resolved_actor = resolve_names(gid, events["actor"].to_numpy(), aliases, at=at)
    events["actor"] = np.where(events["actor"] != "", resolved_actor, None)
    keys = ["group_id", "member_id"]
    joins = events[events["event"] == "join"].sort_values("ts", kind="stable").groupby(keys)
    exits = events[events["event"] != "join"].sort_values("ts", kind="stable").groupby(keys)
    out = pd.concat([joins["ts"].last().rename("ev_joined"), joins["actor"].last().rename("invited_by"),
                     exits["ts"].last().rename("ev_left"), exits["event"].last().rename("left_how"),
                     events.groupby(keys)["name"].last().rename("ev_name")], axis=1).reset_index()
    return out[cols]


def _name_matches(messages: pd.DataFrame, rosters: dict[str, pd.DataFrame]) -> pd.DataFrame | None:
    """Name-keyed speakers and the roster rows with their name (None: there are none).

    An export without ids (WeChatMsg .txt) keys a speaker by display name (sender_id == sender_name)
    while the roster has the wxid and that name: one person.  One row per (speaker, roster row of that
    ``normalise_names`` name): group_id, sender_id, alias, roster_id, n (roster ids with the name), ok
    (the speaker's name is no roster id), first_s (the speaker's first message, ns) and first_r (the roster
    id's first message under its own id, ns; ``_NS_MAX``: none), so ``_apply_matches`` can judge any moment.
    """
    if not rosters:
        return None
    by_name_v = name_keyed(messages)
    if not by_name_v.any():
        return None
    sid = messages["sender_id"].astype(str)
    gid = messages["group_id"].astype(str)
    ns = to_ns(messages["ts"])
    ro = _roster_rows(rosters)
    ro = pd.DataFrame({"group_id": ro["group_id"].astype(str), "roster_id": ro["member_id"].astype(str),
                       "alias": normalise_names(ro["roster_name"]).to_numpy()})
    ro = ro[ro["alias"] != ""]
    n_ids = ro.groupby(["group_id", "alias"])["roster_id"].transform("nunique")
    pairs = (pd.DataFrame({"group_id": gid[by_name_v].to_numpy(), "sender_id": sid[by_name_v].to_numpy(),
                           "first_s": ns[by_name_v]})
             .groupby(["group_id", "sender_id"], sort=False).agg(first_s=("first_s", "min")).reset_index())
    pairs["alias"] = normalise_names(pairs["sender_id"]).to_numpy()
    hit = pairs.merge(ro.assign(n=n_ids.to_numpy()), on=["group_id", "alias"])
    if not len(hit):
        return None
    hit["ok"] = ~keys_in(member_key(hit["group_id"], hit["sender_id"]), member_key(ro["group_id"], ro["roster_id"]))
    speaking_ids = member_key(gid, sid)
    r_keys = member_key(hit["group_id"], hit["roster_id"])
    own = keys_in(speaking_ids, r_keys)
    first_r = pd.Series(ns[own]).groupby(speaking_ids[own]).min()
    where = first_r.index.get_indexer(r_keys)
    hit["first_r"] = np.where(where >= 0, first_r.to_numpy(dtype=np.int64)[np.maximum(where, 0)], _NS_MAX) \
        if len(first_r) else np.full(len(hit), _NS_MAX, np.int64)
    hit.attrs["by_name"], hit.attrs["speaking_ids"] = by_name_v, speaking_ids
    return hit


def distinct(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame.drop_duplicates()`` (first rows, in order), found on one int64 per row built from each
    column's codes: hashing several categorical columns row by row cost a quarter of a second per
    million rows, on every read of the messages (the identity merges' distinct speakers)."""
    codes, size = np.zeros(len(frame), np.int64), 1
    for c in frame.columns:
        col_codes, uniques = pd.factorize(frame[c], use_na_sentinel=False)
        size *= max(len(uniques), 1)
        if size >= 2**62:                 # would overflow: let pandas hash the rows
            return frame.drop_duplicates()
        codes = codes * len(uniques) + col_codes
    return frame[~pd.Series(codes).duplicated().to_numpy()]


def name_keyed(messages: pd.DataFrame) -> np.ndarray:
    """Rows whose speaker the export keyed by display name (``sender_id == sender_name``, not a
    non-member); all False without those columns.  Only such speakers can take a roster id, so a
    reader skips the rosters when there are none (most exports give ids)."""
    if not len(messages) or not {"group_id", "sender_id", "sender_name"} <= set(messages.columns):
        return np.zeros(len(messages), bool)
    sid_v = _str_values(messages["sender_id"])
    out = sid_v == _str_values(messages["sender_name"])    # None == None: both missing, cleared below
    rows = np.flatnonzero(out)
    if len(rows):
        out[rows] = [v is not None and v not in NON_MEMBERS for v in sid_v[rows].tolist()]
    return out


def _ambiguous(matches: pd.DataFrame | None, tn: int) -> list[tuple[str, str]]:
    """(group_id, name) of the name-keyed speakers up to ``tn`` whose name is on two roster rows."""
    if matches is None:
        return []
    amb = matches[(matches["n"] > 1) & (matches["first_s"] <= tn)]
    return sorted({(g, a) for g, a in amb[["group_id", "alias"]].itertuples(index=False)})


def _apply_matches(messages: pd.DataFrame, matches: pd.DataFrame | None, tn: int | None
                   ) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """``messages`` with each name-keyed speaker under the id of the one roster row with their name, unless
    that id speaks itself by ``tn`` (default: the latest message); and the ambiguous names (a name on two
    roster rows matches neither: that speaker stays apart)."""
    if matches is None:
        return messages, []
    tn = int(to_ns(messages["ts"]).max()) if tn is None else tn
    ambiguous = _ambiguous(matches, tn)
    hit = matches[(matches["n"] == 1) & matches["ok"] & (matches["first_r"] > tn) & (matches["first_s"] <= tn)]
    if not len(hit):
        return messages, ambiguous
    new_id = pd.Series(hit["roster_id"].to_numpy(), index=member_key(hit["group_id"], hit["sender_id"]))
    key = pd.Series(matches.attrs["speaking_ids"], index=messages.index)
    mapped = key.map(new_id)
    out = messages.copy()
    sid = messages["sender_id"].astype(str)
    out["sender_id"] = mapped.where(mapped.notna() & matches.attrs["by_name"], sid).to_numpy(dtype=object)
    return out, ambiguous


def _matches_move(matches: pd.DataFrame | None, tn: int) -> bool:
    """Whether a match ``_apply_matches`` refuses at the latest message holds at ``tn`` (its roster id speaks
    only after ``tn``): then the members at ``tn`` cannot be cut from the latest moment's."""
    if matches is None:
        return False
    later = matches["first_r"].to_numpy() != _NS_MAX
    return bool((later & (matches["n"] == 1).to_numpy() & matches["ok"].to_numpy()
                 & (matches["first_s"].to_numpy() <= tn) & (matches["first_r"].to_numpy() > tn)).any())


def _str_codes(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A column as (int64 codes, labels): ``labels[codes]`` is ``s.astype(str)``, converting each distinct
    value once (``astype(str)`` on a million categorical rows builds a million strings)."""
    codes, uniq = pd.factorize(s, use_na_sentinel=False)
    return codes.astype(np.int64), np.asarray(pd.Series(uniq, dtype=s.dtype).astype(str), dtype=object)


def _str_values(s: pd.Series) -> np.ndarray:
    """A column as an object array of str, None where missing, converting a categorical's categories
    once instead of every row (``astype(str)`` on a million rows builds a million strings)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = np.append(np.asarray(s.cat.categories.astype(str), dtype=object), None)
        codes = s.cat.codes.to_numpy()
        return cats[np.where(codes < 0, len(cats) - 1, codes)]
    return np.where(s.notna().to_numpy(), np.asarray(s.astype(str), dtype=object), None)


def attribute_senders(messages: pd.DataFrame, rosters: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """``messages`` with each name-keyed speaker under the roster id ``derive_members`` gives them,
    so analysis counts their messages for that member (see ``_name_matches``)."""
    return _apply_matches(messages, _name_matches(messages, rosters), None)[0]


def _roster_rows(rosters: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every roster's rows in one frame (a member listed twice: the last row), built with one concat and
    one de-duplication for all groups: a frame per group cost ~10 ms each, for every replayed moment."""
    cols = ["group_id", "member_id", "roster_name", "roster_role", "roster_joined", "last_spoke_roster"]
    source = {"member_name": "roster_name", "role": "roster_role", "joined": "roster_joined",
              "last_spoke": "last_spoke_roster"}
    ro = [roster.reindex(columns=["member_id", *source]).assign(group_id=g_id) for g_id, roster in rosters.items()]
    if not ro:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    out = pd.concat(ro, ignore_index=True).rename(columns=source)
    out["member_id"] = out["member_id"].astype(str)
    return out.drop_duplicates(["group_id", "member_id"], keep="last").reset_index(drop=True)[cols]


def _first_of(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    out = pd.Series([None] * len(df), index=df.index, dtype=object)
    for c in reversed(cols):
        if c in df:
            v = df[c]
            ok = v.notna() & (v.astype(str) != "")
            out = out.where(~ok, v)
    return out


def _as_ts(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, utc=True).astype("datetime64[ms, UTC]")


def _ts_first_of(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    out = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ms, UTC]")
    for c in reversed(cols):
        if c in df:
            v = _as_ts(df[c])
            out = v.where(v.notna(), out)
    return out
