"""接龙 sign-up chains: who signed, and which current members did not (a sibling of ``rollcall``).

A 接龙 is a message with a title line and a numbered list ("1. 张三", "2. 李四 +1");
each member re-posts it with their own line added.  The versions of one chain
share a normalised title and follow each other within ``window``; a chain must
say 接龙 in its title or be re-posted, grown, by a second member, and its entries
must be short (a numbered 群规 notice, explanation or forwarded advert is not one); the longest
(then latest) version is the chain's final state.  Entry *k* is attributed to
the member its name resolves to (``members.resolve_names``), else to whoever
first posted a version with that entry (they added it), and ``matched_by``
says which.  Non-signers are the members present (``members.present_at``) when
the final version was posted.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..members import alias_index, present_at, resolve_names
from .rollcall import _spoken, normalise

DEFAULT_WINDOW = pd.Timedelta(days=7)
_ENTRY_RE = re.compile(r"^\s*(\d{1,3})\s*[.、．。:：)）]\s*(.*?)\s*$")
_TAG_RE = re.compile(r"#?接龙[:：]?")
_NAME_TAIL_RE = re.compile(r"(?:\s*[+＋]\s*\d+|\s*[x×]\s*\d+|\s*[（(][^)）]*[)）])+$")
MAX_ENTRY_CHARS = 16      # median entry length: "张三 +1" or "李四 带家属2人", not a sentence
_NOTICE_RE = re.compile(r"公告|群规|规定|须知|要求")
CHAIN_COLUMNS = ["group_id", "group_name", "chain", "title", "started", "posted", "poster_name", "versions",
                 "entries"]
STATUS_COLUMNS = ["group_name", "chain", "title", "posted", "member_id", "member_name", "signed", "entry",
                  "entry_text", "matched_by"]


def parse_chain(text: str) -> tuple[str, list[str]] | None:
    """(title, entries 1..k) of a 接龙 message, or None (see ``_parse``)."""
    parsed = _parse(text)
    return parsed[:2] if parsed else None


def _parse(text: str) -> tuple[str, list[str], bool] | None:
    """(title, entries, tagged): tagged when the title says 接龙.  The list must start at 1 and count up,
    and its entries must be short (names, not a numbered explanation or 群规); untagged, it needs two
    entries and a title that is not a notice (公告/群规)."""
    title: list[str] = []
    entries: list[str] = []
    for line in str(text).splitlines():
        m = _ENTRY_RE.match(line)
        if m and int(m.group(1)) == len(entries) + 1:
            entries.append(m.group(2))
        elif m or entries:
            if entries:
                break
        elif line.strip():
            title.append(line.strip())
    head = " ".join(title)
    tagged = "接龙" in head
    if not entries or not any(entries) or float(np.median([len(e) for e in entries])) > MAX_ENTRY_CHARS:
        return None
    if not tagged and (len(entries) < 2 or _NOTICE_RE.search(head)):
        return None
    return _TAG_RE.sub("", head).strip() or "接龙", entries, tagged


def entry_name(entry: str) -> str:
    """The signer's name in an entry: the text before any "+1", "x2" or "(note)", up to the first space."""
    core = _NAME_TAIL_RE.sub("", entry.strip())
    return core.split()[0] if core.split() else ""


def find_chains(messages: pd.DataFrame, window: pd.Timedelta = DEFAULT_WINDOW,
                as_of: pd.Timestamp | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(chains, versions): one row per chain (``CHAIN_COLUMNS``, its final version) and every version
    (group_id, chain, ts, sender_id, sender_name, title, entries) oldest first."""
    m = _spoken(messages)
    if as_of is not None:
        m = m[m["ts"] <= as_of]
    text = m["text"].fillna("")
    m = m[text.str.contains(r"接龙|(?:^|\n)\s*2\s*[.、．。:：)）]", regex=True).to_numpy(dtype=bool)]
    rows = []
    for gid, gname, ts, sid, sname, t in zip(m["group_id"].astype(str), m["group_name"].astype(str), m["ts"],
                                              m["sender_id"].astype(str), m["sender_name"].astype(str),
                                              m["text"].astype(str), strict=True):  # candidates only
        parsed = _parse(t)
        if parsed:
            rows.append((gid, gname, ts, sid, sname, *parsed))
    cols = ["group_id", "group_name", "ts", "sender_id", "sender_name", "title", "entries", "tagged"]
    v = pd.DataFrame(rows, columns=cols)
    if v.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CHAIN_COLUMNS}), v.assign(chain=0).drop(
            columns="tagged")
    v["key"] = normalise(v["title"])
    v = v.sort_values(["group_id", "key", "ts"], kind="stable").reset_index(drop=True)
    gap = v.groupby(["group_id", "key"], sort=False)["ts"].diff()
    v["chain"] = (gap.isna() | (gap > window)).cumsum()
    v["n"] = v["entries"].map(len)
    # a numbered notice (群规 1. 2. 3.) or a forwarded numbered advert is not a chain: it must say 接龙,
    # or be re-posted by someone else with the list grown
    g = v.groupby("chain")
    tagged = g["tagged"].transform("any")
    grown = (g["sender_id"].transform("nunique") >= 2) & (g["n"].transform("max") > g["n"].transform("first"))
    v = v[(tagged | grown).to_numpy(dtype=bool)].drop(columns="tagged")
    if v.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CHAIN_COLUMNS}), v
    best = v.sort_values(["chain", "n", "ts"], kind="stable").groupby("chain").tail(1).set_index("chain")
    g = v.groupby("chain")
    chains = pd.DataFrame({"group_id": best["group_id"], "group_name": best["group_name"], "chain": best.index,
                           "title": best["title"], "started": g["ts"].min(), "posted": best["ts"],
                           "poster_name": best["sender_name"], "versions": g.size(), "entries": best["n"]})
    chains = chains.sort_values(["group_name", "started"], kind="stable").reset_index(drop=True)
    return chains[CHAIN_COLUMNS], v.drop(columns=["key", "n"])


def _aliases(members: pd.DataFrame, versions: pd.DataFrame) -> pd.DataFrame:
    """Names and ids that refer to a member: the members frame (ids, names, every name used), posters."""
    mem = members[["group_id", "member_id", "member_name", "names"]].astype({"group_id": str, "member_id": str})
    ex = mem.explode("names").dropna(subset=["names"])
    post = versions[["group_id", "sender_id", "sender_name"]].rename(columns={"sender_id": "member_id"})
    return alias_index([mem.assign(alias=mem["member_id"]), mem.assign(alias=mem["member_name"].astype(str)),
                        ex.assign(alias=ex["names"].astype(str)), post.assign(alias=post["sender_name"])])


def signup_status(members: pd.DataFrame, chains: pd.DataFrame, versions: pd.DataFrame,
                  latest_only: bool = True) -> pd.DataFrame:
    """Signers (one row per member, their first entry) and non-signers among present members, per chain."""
    if chains.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in STATUS_COLUMNS})
    if latest_only:
        chains = chains.sort_values("posted", kind="stable").groupby("group_id", sort=False).tail(1)
    aliases = _aliases(members, versions)
    known = set(zip(aliases["group_id"], aliases["member_id"], strict=True))
    parts = []
    for c in chains.itertuples(index=False):  # one iteration per chain
        vs = versions[versions["chain"] == c.chain]
        best = vs[vs["ts"] == c.posted].iloc[-1]
        entries = pd.DataFrame({"entry": np.arange(1, len(best["entries"]) + 1), "entry_text": best["entries"]})
        # who first posted a version carrying entry k with this text
        adder = {}
        for ts_entries, sid in zip(vs["entries"], vs["sender_id"], strict=True):
            for k, e in enumerate(ts_entries, 1):
                if k <= len(entries) and e == best["entries"][k - 1]:
                    adder.setdefault(k, sid)
        names = entries["entry_text"].map(entry_name).to_numpy(dtype=object)
        ids = resolve_names(np.full(len(entries), c.group_id, dtype=object), names, aliases)
        by_name = np.array([(c.group_id, i) in known for i in ids], dtype=bool)
        entries["member_id"] = np.where(by_name, ids, [adder.get(k, "") for k in entries["entry"]])
        entries["matched_by"] = np.where(by_name, "name", "poster")
        entries = entries[entries["member_id"] != ""].drop_duplicates("member_id")
        mem = members[(members["group_id"].astype(str) == c.group_id) & (members["member_id"] != "system")]
        mem = mem[present_at(mem, c.posted)]
        status = mem[["member_id", "member_name"]].astype({"member_id": str}).merge(
            entries, on="member_id", how="outer")
        status["member_name"] = status["member_name"].fillna(status["member_id"])
        status["signed"] = status["entry"].notna()
        parts.append(status.assign(group_name=c.group_name, chain=c.chain, title=c.title, posted=c.posted))
    out = pd.concat(parts, ignore_index=True)
    out["entry"] = out["entry"].astype("Int64")
    out = out.sort_values(["group_name", "posted", "signed", "entry", "member_name"],
                          ascending=[True, True, False, True, True], kind="stable")
    return out[STATUS_COLUMNS].reset_index(drop=True)
