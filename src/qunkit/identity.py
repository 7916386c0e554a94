"""Who a member is across names and ids: name history, automatic merges, the operator's merge file.

Three jobs, one owner (``members.py`` owns the member frame; this module decides which sender ids
are one person and what each person was called):

- ``name_history``: per member, every name seen (the name the group showed, i.e. the 群名片 when set;
  the account nickname where the export keeps it in ``sender_account_name``; the name a join / leave
  line gave) with the first and last time it was seen.
- ``find_merges``: pairs of ids an export shows for one person.  The evidence trusted (conservative on
  purpose: a wrong merge hides a member, a missed one only counts someone twice):

  a speaker the export gave no real id for (keyed by their name, ``sender_id == sender_name``; on QQ
  also a non-number id such as an e-mail login) and an id-keyed member (a QQ number, a wxid, a join
  line's ``name(QQ号)``) share a name that *no other member of the group ever used* (card, account
  name or join line), the name has two or more characters, each of them has exactly one such partner,
  and the two never spoke in overlapping periods (one export renders a person one way, then the other).
  A shared common name alone never merges: a name two other members used is no evidence.
- ``read_merge_file`` / ``apply_merges``: the operator's own list (``--merge FILE``, CSV ``group,id,
  same_as_id``; group may be empty or the column absent: every group) rewrites ids before analysis.

Merging rewrites ``sender_id`` (and ids in join/leave lines and mentions) to the surviving id, so
every analysis counts the person once; ``msg_key`` is stored, never recomputed, so de-duplication is
untouched.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import BadInput
from .members import (
    NON_MEMBERS,
    _event_rows,
    alias_index,
    distinct,
    member_key,
    normalise_names,
    resolve_names,
)

SELF_IDS = {"self"}
MIN_NAME_CHARS = 2
MERGE_COLUMNS = ["group_id", "member_id", "same_as", "source", "evidence"]
HISTORY_COLUMNS = ["group_id", "group_name", "member_id", "member_name", "name", "seen_as", "first_seen",
                   "last_seen", "messages", "names", "renamed"]
_SEEN_ORDER = {"card": 0, "account": 1, "join": 2, "leave": 3}
_NAMED_ID = re.compile(r"^(?P<name>.*)\((?P<id>[^()]+)\)$")


class MergeFileError(BadInput):
    """A --merge file that cannot be read: names the file and line."""


# ---------------------------------------------------------------- names seen

def _speaking(messages: pd.DataFrame) -> np.ndarray:
    """Rows a member sent (not system lines); on the (categorical) columns as read, no string copies."""
    return (~messages["sender_id"].isin(list(NON_MEMBERS)) & ~messages["kind"].isin(["system"])).to_numpy(bool)


def _names_seen(messages: pd.DataFrame) -> pd.DataFrame:
    """(group_id, member_id, name, seen_as, first, last, n): every name a member was seen under, per
    way it was seen.  Grouped on the (dictionary-encoded) columns first, so the work is per distinct
    (sender, name), not per message."""
    cols = ["group_id", "member_id", "name", "seen_as", "first", "last", "n"]
    if not len(messages):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    want = [c for c in ("group_id", "sender_id", "sender_name", "sender_account_name", "ts") if c in messages.columns]
    sp = messages.loc[_speaking(messages), want]
    parts = []
    for col, how in (("sender_name", "card"), ("sender_account_name", "account")):
        if col not in sp.columns:
            continue
        g = sp.groupby(["group_id", "sender_id", col], observed=True, sort=False)["ts"].agg(["min", "max", "size"])
        f = g.reset_index().set_axis(["group_id", "member_id", "name", "first", "last", "n"], axis=1)
        parts.append(f.astype({"group_id": str, "member_id": str, "name": str}).assign(seen_as=how))
    ev = _event_rows(messages) if "event_target" in messages.columns else pd.DataFrame()
    if len(ev):
        # a name-only line goes to whoever had that name then (the one name -> id resolution)
        card = parts[0]
        aliases = alias_index([card.rename(columns={"name": "alias", "first": "since"})], timed=True)
        by_name = resolve_names(ev["group_id"].to_numpy(), ev["name"].to_numpy(), aliases, at=ev["ts"])
        ts = pd.to_datetime(ev["ts"], utc=True)
        parts.append(pd.DataFrame({"group_id": ev["group_id"].astype(str).to_numpy(),
                                   "member_id": np.where(ev["id"] != "", ev["id"], by_name),
                                   "name": ev["name"].astype(str).to_numpy(),
                                   "seen_as": np.where(ev["event"] == "join", "join", "leave"),
                                   "first": ts.to_numpy(), "last": ts.to_numpy(), "n": 1}))
    out = pd.concat(parts, ignore_index=True)
    out["name"] = normalise_names(out["name"]).to_numpy()
    out["first"], out["last"] = pd.to_datetime(out["first"], utc=True), pd.to_datetime(out["last"], utc=True)
    # a join/leave line that names only the id (WhatsApp's phone number) gives no name
    id_only = out["seen_as"].isin(["join", "leave"]) & (out["name"] == out["member_id"].astype(str))
    out = out[(out["name"] != "") & ~out["member_id"].isin(NON_MEMBERS) & ~id_only]
    keys = ["group_id", "member_id", "name", "seen_as"]
    out = out.groupby(keys, sort=False).agg(first=("first", "min"), last=("last", "max"), n=("n", "sum"))
    return out.reset_index()[cols]


def name_history(messages: pd.DataFrame, members: pd.DataFrame | None = None, renamed_only: bool = False
                 ) -> pd.DataFrame:
    """One row per (group, member, name): how it was seen (card / account / join / leave), first and
    last seen, messages sent under it (as the card), how many names the member has, and ``renamed``:
    more than one name shown in the group, or more than one account name.

    ``members`` (``schema.MEMBERS``) lends the member's current display name; ``renamed_only`` keeps
    renamed members."""
    seen = _names_seen(messages)
    if not len(seen):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in HISTORY_COLUMNS})
    keys = ["group_id", "member_id", "name"]
    out = seen.groupby(keys, sort=False).agg(first_seen=("first", "min"), last_seen=("last", "max")).reset_index()
    kinds = seen.assign(o=seen["seen_as"].map(_SEEN_ORDER)).sort_values("o", kind="stable")
    kinds = kinds.groupby(keys, sort=False)["seen_as"].agg(", ".join)
    out = out.merge(kinds.rename("seen_as").reset_index(), on=keys)
    cards = seen.loc[seen["seen_as"] == "card", keys + ["n"]].rename(columns={"n": "messages"})
    out = out.merge(cards, on=keys, how="left")
    out["messages"] = out["messages"].fillna(0).astype("int64")
    out["names"] = out.groupby(["group_id", "member_id"])["name"].transform("size").astype("int64")
    # renamed: more than one name shown in the group (cards, join/leave lines) or more than one account
    # name; a card beside a different account name is two names but no rename
    shown = out["seen_as"].str.contains("card|join|leave").to_numpy()
    per = pd.DataFrame({"g": out["group_id"], "m": out["member_id"], "shown": shown,
                        "account": out["seen_as"].str.contains("account").to_numpy()})
    counts = per.groupby(["g", "m"])[["shown", "account"]].transform("sum")
    out["renamed"] = ((counts["shown"] > 1) | (counts["account"] > 1)).to_numpy()
    if renamed_only:
        out = out[out["renamed"]]
    gname = (messages.drop_duplicates("group_id", keep="last").set_index(messages.drop_duplicates(
        "group_id", keep="last")["group_id"].astype(str))["group_name"].astype(str))
    out["group_name"] = out["group_id"].map(gname).fillna(out["group_id"])
    if members is not None and len(members):
        shown = pd.Series(members["member_name"].to_numpy(dtype=object),
                          index=member_key(members["group_id"], members["member_id"]))
        out["member_name"] = pd.Series(member_key(out["group_id"], out["member_id"])).map(shown).to_numpy()
    else:
        last = out.sort_values("last_seen", kind="stable").drop_duplicates(["group_id", "member_id"], keep="last")
        out = out.merge(last[["group_id", "member_id", "name"]].rename(columns={"name": "member_name"}),
                        on=["group_id", "member_id"], how="left")
    out["member_name"] = out["member_name"].where(out["member_name"].notna(), out["member_id"])
    out = out.sort_values(["group_id", "member_id", "first_seen", "name"], kind="stable")
    return out[HISTORY_COLUMNS].reset_index(drop=True)


# ---------------------------------------------------------------- automatic merges

def _join_ids(messages: pd.DataFrame) -> bool:
    """Whether a join/leave line names someone as ``name(id)``."""
    if "event_target" not in messages.columns or "event" not in messages.columns:
        return False
    t = messages.loc[messages["event"].isin(["join", "leave", "kick"]), "event_target"].dropna().astype(str)
    return bool(t.str.contains(r"\([^()]+\)$").any())


_NUMBER = r"\d{5,12}"     # a QQ number: an id even when shown as its own name


def _all_numbers(messages: pd.DataFrame) -> bool:
    """Whether every sender id the frame can hold (besides non-members and the exporter's own) is a QQ
    number: then no speaker is weak and there is nothing to merge.  Decided on the column's distinct ids
    (its categories), so a QQ store skips the per-row distinct pairs (~0.25 CPU s per million messages,
    paid by every analysis that reads messages)."""
    s = messages["sender_id"]
    if not isinstance(s.dtype, pd.CategoricalDtype) or s.isna().any():
        return False
    ids = pd.Series(s.cat.categories.astype(str))
    ids = ids[~ids.isin(list(NON_MEMBERS)) & ~ids.isin(list(SELF_IDS))]
    return bool(ids.str.fullmatch(_NUMBER).all())


def _weak_ids(messages: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """(group_id, member_id) of speakers the export gave no real id: keyed by their name, or on QQ an id
    that is not a QQ number (an e-mail login); and how many speakers there are.  Worked out on the
    distinct (sender, name) pairs."""
    cols = ["group_id", "sender_id", "sender_name", "platform"]
    sp = distinct(messages.loc[_speaking(messages), cols]).astype(str)
    sp = sp[~sp["sender_id"].isin(SELF_IDS)]
    number = sp["sender_id"].str.fullmatch(_NUMBER)
    weak = ((sp["sender_id"] == sp["sender_name"]) & ~number) | ((sp["platform"] == "qq") & ~number)
    per = weak.groupby([sp["group_id"], sp["sender_id"]]).all()
    n = len(per)
    per = per[per]
    return per.index.to_frame(index=False).set_axis(["group_id", "member_id"], axis=1), n


def find_merges(messages: pd.DataFrame) -> pd.DataFrame:
    """Pairs (group_id, member_id -> same_as) one export shows for one person, with the evidence
    (see the module docstring for the rule).  Vectorised over distinct (member, name) pairs."""
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in MERGE_COLUMNS})
    need = {"group_id", "sender_id", "sender_name", "kind", "platform", "ts"}
    if not len(messages) or not need <= set(messages.columns):
        return empty
    if _all_numbers(messages):
        return empty
    weak, speakers = _weak_ids(messages)
    if not len(weak) or (len(weak) == speakers and not _join_ids(messages)):
        return empty  # nobody without an id, or nobody with one: nothing to pair (WhatsApp, Telegram)
    seen = _names_seen(messages)
    seen = seen[seen["name"].str.len() >= MIN_NAME_CHARS]
    used = seen.sort_values("seen_as", key=lambda c: c.map(_SEEN_ORDER), kind="stable").drop_duplicates(
        ["group_id", "member_id", "name"])
    wk = set(member_key(weak["group_id"], weak["member_id"]))
    used = used.assign(weak=np.isin(member_key(used["group_id"], used["member_id"]), list(wk)))
    holders = used.groupby(["group_id", "name"])["member_id"].transform("nunique")
    pairs_src = used[holders == 2]
    w = pairs_src[pairs_src["weak"]]
    s = pairs_src[~pairs_src["weak"]]
    pairs = w.merge(s, on=["group_id", "name"], suffixes=("", "_to"))
    if not len(pairs):
        return empty
    # each side has exactly one partner
    pairs = pairs.drop_duplicates(["group_id", "member_id", "member_id_to"])
    one = (pairs.groupby(["group_id", "member_id"])["member_id_to"].transform("nunique") == 1) & \
          (pairs.groupby(["group_id", "member_id_to"])["member_id"].transform("nunique") == 1)
    pairs = pairs[one]
    # the two never spoke in overlapping periods
    spans = seen[seen["seen_as"] == "card"].groupby(["group_id", "member_id"]).agg(lo=("first", "min"),
                                                                                    hi=("last", "max"))
    spans.index = member_key(spans.index.get_level_values(0), spans.index.get_level_values(1))
    a = spans.reindex(member_key(pairs["group_id"], pairs["member_id"]))
    b = spans.reindex(member_key(pairs["group_id"], pairs["member_id_to"]))
    a_lo, a_hi, b_lo, b_hi = (pd.DatetimeIndex(x) for x in (a["lo"], a["hi"], b["lo"], b["hi"]))
    apart = np.asarray(b_lo.isna() | (a_hi < b_lo) | (b_hi < a_lo), dtype=bool)
    pairs, a_lo, b_lo = pairs[apart], a_lo[apart], b_lo[apart]
    if not len(pairs):
        return empty
    ev = [f"'{n}' is used by these two ids only: {m} (its id is a name or an e-mail, first spoke {fw:%Y-%m-%d}) and {t} "
          f"(as {k}{'' if pd.isna(sb) else f', spoke from {sb:%Y-%m-%d}'}); they never spoke in the same period"
          for n, m, t, k, fw, sb in zip(pairs["name"], pairs["member_id"], pairs["member_id_to"],
                                        pairs["seen_as_to"], a_lo, b_lo, strict=True)]
    return pd.DataFrame({"group_id": pairs["group_id"].to_numpy(), "member_id": pairs["member_id"].to_numpy(),
                         "same_as": pairs["member_id_to"].to_numpy(), "source": "export",
                         "evidence": ev})[MERGE_COLUMNS].reset_index(drop=True)


# ---------------------------------------------------------------- the operator's merge file

def read_merge_file(path: Path | str) -> tuple[tuple[str, str, str], ...]:
    """``(group, id, same_as_id)`` rows of a merge CSV; group '' = every group.

    Layout: a header naming ``id`` and ``same_as_id`` (and optionally ``group``: a group name or id);
    or, without a header, ``id,same_as_id`` or ``group,id,same_as_id`` rows.  Blank lines and lines
    starting with ``#`` are skipped.  A bad line raises ``MergeFileError`` naming the file and line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise MergeFileError(f"{p}: cannot read the merge file ({exc})") from None
    rows = [(i, r) for i, r in enumerate(csv.reader(text.splitlines()), start=1)
            if r and any(c.strip() for c in r) and not r[0].lstrip().startswith("#")]
    if not rows:
        raise MergeFileError(f"{p}: the merge file lists no ids (expected lines 'group,id,same_as_id')")
    head = [c.strip().lower() for c in rows[0][1]]
    cols: list[str]
    if "id" in head and "same_as_id" in head:
        cols = head
        rows = rows[1:]
    else:
        cols = ["id", "same_as_id"] if len(rows[0][1]) == 2 else ["group", "id", "same_as_id"]
    out = []
    for line, r in rows:
        if len(r) != len(cols):
            raise MergeFileError(f"{p}:{line}: expected {len(cols)} fields ({','.join(cols)}), got {len(r)}")
        rec = dict(zip(cols, (c.strip() for c in r), strict=True))
        mid, same = rec.get("id", ""), rec.get("same_as_id", "")
        if not mid or not same:
            raise MergeFileError(f"{p}:{line}: id and same_as_id must both be given")
        if mid == same:
            raise MergeFileError(f"{p}:{line}: id {mid!r} is merged into itself")
        out.append((rec.get("group", ""), mid, same))
    return tuple(out)


def _resolve(pairs: pd.DataFrame) -> pd.DataFrame:
    """Follow chains (a -> b, b -> c: a -> c) within a group; a cycle is an error."""
    m = dict(zip(member_key(pairs["group_id"], pairs["member_id"]), pairs["same_as"], strict=True))
    gid = pairs["group_id"].astype(str).to_numpy()
    target = pairs["same_as"].to_numpy(dtype=object).copy()
    for _ in range(len(m) + 1):
        nxt = pd.Series(member_key(gid, target)).map(m)
        if not nxt.notna().any():
            break
        target = np.where(nxt.notna(), nxt, target).astype(object)
    else:
        raise BadInput("merge list has a cycle (a -> b -> ... -> a): " + ", ".join(sorted(m)[:3]))
    return pairs.assign(same_as=target)


def merges_for(messages: pd.DataFrame, rows: tuple[tuple[str, str, str], ...]) -> pd.DataFrame:
    """The merge file's rows as (group_id, member_id, same_as) pairs for the groups in ``messages``."""
    if not rows or not len(messages):
        return pd.DataFrame({c: pd.Series(dtype=object) for c in MERGE_COLUMNS})
    groups = messages[["group_id", "group_name"]].astype(str).drop_duplicates()
    f = pd.DataFrame(rows, columns=["group", "member_id", "same_as"])
    anyg = f[f["group"] == ""].merge(groups[["group_id"]].drop_duplicates(), how="cross")
    by_id = f.merge(groups[["group_id"]].drop_duplicates(), left_on="group", right_on="group_id")
    by_name = f.merge(groups, left_on="group", right_on="group_name")[["group", "member_id", "same_as", "group_id"]]
    out = pd.concat([anyg, by_id, by_name], ignore_index=True).drop_duplicates(["group_id", "member_id"], keep="last")
    return out.assign(source="merge file", evidence="listed by the operator")[MERGE_COLUMNS].reset_index(drop=True)


def apply_merges(messages: pd.DataFrame, merges: pd.DataFrame) -> pd.DataFrame:
    """``messages`` with each merged id replaced by the id it is the same person as: ``sender_id``,
    ids (and ``name(id)``) in join/leave lines, ``mentions``.  Names are kept (they are history).  The
    pairs are kept in ``attrs["merged_ids"]`` so members derived from the result merge roster rows too."""
    if not len(merges) or not len(messages) or "sender_id" not in messages.columns:
        return messages
    merges = _resolve(merges[["group_id", "member_id", "same_as"]].astype(str))
    to = pd.Series(merges["same_as"].to_numpy(dtype=object), index=member_key(merges["group_id"], merges["member_id"]))
    gid = messages["group_id"].astype(str).to_numpy()
    out = messages.copy()
    # derive_members reads these to put roster rows under the same ids (``members.merged_roster``)
    out.attrs["merged_ids"] = [*messages.attrs.get("merged_ids", []),
                               *map(tuple, merges[["group_id", "member_id", "same_as"]].to_numpy().tolist())]
    hit = pd.Series(member_key(gid, messages["sender_id"].astype(str).to_numpy())).map(to)
    if hit.notna().any():
        out["sender_id"] = np.where(hit.notna(), hit, messages["sender_id"].astype(str)).astype(object)
    for col in ("event_target", "event_actor"):
        if col in out.columns:
            out[col] = _rewrite_refs(gid, out[col], to)
    if "mentions" in out.columns and out["mentions"].notna().any():
        ex = out["mentions"].explode()
        ok = ex.notna()
        keys = member_key(gid[out.index.get_indexer(ex.index[ok])], ex[ok].astype(str).to_numpy())
        new = pd.Series(keys).map(to)
        if new.notna().any():
            vals = ex.copy()
            vals[ok.to_numpy()] = np.where(new.notna(), new, ex[ok].astype(str)).astype(object)
            lists = vals.groupby(level=0).agg(lambda s: [v for v in s if isinstance(v, str)] or None)
            out["mentions"] = lists.where(out["mentions"].notna(), None).reindex(out.index)
    return out


def _rewrite_refs(gid: np.ndarray, col: pd.Series, to: pd.Series) -> pd.Series:
    """An id, or the id of ``name(id)``, replaced where it is merged."""
    s = col.astype(object)
    ok = s.notna().to_numpy()
    if not ok.any():
        return col
    v = s[ok].astype(str)
    named = v.str.extract(_NAMED_ID)
    ident = named["id"].where(named["id"].notna(), v)
    new = pd.Series(member_key(gid[ok], ident.to_numpy())).map(to).to_numpy()
    changed = pd.notna(new)
    if not changed.any():
        return col
    rew = np.where(named["id"].notna(), named["name"].fillna("") + "(" + pd.Series(new, index=v.index).astype(str) + ")",
                   pd.Series(new, index=v.index).astype(str))
    vals = v.to_numpy(dtype=object)
    vals[changed] = rew[changed]
    out = s.copy()
    out[ok] = vals
    return out


def merged_messages(messages: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``messages`` with the automatic merges applied, and those merges (each with its evidence)."""
    found = find_merges(messages)
    return (apply_merges(messages, found) if len(found) else messages), found
