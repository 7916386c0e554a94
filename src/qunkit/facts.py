"""Per-message facts, computed once when a group's messages enter the store (issue #10).

Analysis used to derive the same per-message facts on every run over every message; a
store of hundreds of millions of messages cannot afford that.  ``compute_facts`` takes one
group's messages (and its members) and returns one row per message with what the analyses
need, each judgment next to its evidence:

- ``act``: the message's main act (``analysis.acts.message_acts``: the act lexicon);
- ``reply_to`` (the answered message's ``msg_key``), ``reply_to_member``, ``reply_evidence``
  and ``reply_confidence`` (``analysis.replies.reply_links``);
- noise flags ``is_system``, ``is_flood``, ``is_duplicate`` (``analysis.text_features``);
- ``text_flags`` / ``n_contact`` / ``n_commercial``: every per-text flag of ``text_features.text_flags``
  (packed, bit order ``text_features.FLAG_BITS``), from the same pass as the noise flags; the analyses
  read them from fresh facts instead of scanning every text again (``qunkit.engine``);
- ``mentions``: the @-mentions resolved to member ids (the name as written when no member has it,
  never dropped); ``event`` / ``event_member``: a membership event and whom it concerns, resolved;
- ``member_id``, ``day`` (the local calendar day in the row's own ``tz``) and ``chars``, so
  aggregates need no second pass over the messages.

The facts are a pure function of (the group's messages, its roster, the built-in lexicons,
this code).  ``FACTS_VERSION`` names the code's definitions and ``lexicon_hash()`` the
lexicons; both are recorded with the stored facts (``qunkit.derived``), so a change of either
marks every group's facts stale for ``qunkit rebuild``.  Bump ``FACTS_VERSION`` whenever a
column's meaning or the way one is computed changes.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .analysis import stored_features
from .analysis.acts import message_acts, resolve_rules
from .analysis.grouptype import topic_flags
from .analysis.replies import reply_links
from .analysis.text_features import PreparedFeatures, prepare_features
from .members import alias_index, resolve_names
from .schema import FACTS, TS

FACTS_VERSION = 5   # 2: text_flags, n_contact, n_commercial; 3: a quick answer is at most 5 characters (replies.short_answer);
#                     4: the ``features`` table (``analysis.stored_features``) and stable tie-breaks in the reply features;
#                     5: the ``risk_weekly`` table (``commands.moments.weekly_risk``)
LEXICON_FILES = ("data/lexicon.json", "data/acts.json")
SYSTEM_KINDS = ("system", "recall")



@lru_cache(maxsize=1)
def lexicon_hash() -> str:
    """sha256 (16 hex) of the built-in lexicons the facts depend on."""
    h = hashlib.sha256()
    for name in LEXICON_FILES:
        h.update(resources.files("qunkit").joinpath(name).read_bytes())
    return h.hexdigest()[:16]


class Derived(NamedTuple):
    """What one pass over a group's messages gives (``compute_derived``)."""

    facts: pa.Table
    features: pa.Table | None          # ``analysis.stored_features``' table; None without messages
    prepared: PreparedFeatures | None  # the features prepared over ``messages`` up to the newest one
    messages: pd.DataFrame             # the messages in time order, the frame ``prepared`` numbers


def compute_facts(messages: pd.DataFrame, members: pd.DataFrame) -> pa.Table:
    """Facts of one group's messages (schema ``FACTS``, one row per message, in time order).

    ``members``: the group's ``schema.MEMBERS`` rows (``members.derive_members``), used to resolve
    mentions and event targets to member ids."""
    return compute_derived(messages, members).facts


def compute_derived(messages: pd.DataFrame, members: pd.DataFrame) -> Derived:
    """The facts of one group's messages (``compute_facts``' table), the group's features over all its
    messages as ``analysis.stored_features`` stores them, and the prepared features they came from (what
    the risk replays of ``commands.moments.weekly_risk`` start from): one pass over the texts."""
    if messages["group_id"].nunique() > 1:
        raise ValueError("compute_facts takes the messages of one group")
    m = messages.sort_values(["ts", "source_line"], kind="stable").reset_index(drop=True)
    n = len(m)
    if not n:
        return Derived(FACTS.empty_table(), None, None, m)
    gid = m["group_id"].astype(str).to_numpy(dtype=object)
    aliases = _aliases(members)
    is_sys = _system_mask(m)
    acts = message_acts(m)
    flood, dup, text_bits, n_contact, n_commercial, features, prep = _noise(m, is_sys, members)
    links = reply_links(m)
    target = links["reply_to_row"].to_numpy()
    has = target >= 0
    keys = m["msg_key"].to_numpy(np.uint64)
    sender = m["sender_id"].astype(str).to_numpy(dtype=object)
    text = pa.array(m["text"].astype(object).fillna("").to_numpy(), pa.string())
    event = m["event"].astype(object).where(m["event"].notna(), None).to_numpy() if "event" in m else None
    ev_target = m["event_target"].astype(object).fillna("").to_numpy() if "event_target" in m else np.full(n, "")
    ev_member = np.where(pd.notna(event), resolve_names(gid, ev_target, aliases), None)
    facts = pa.table({
        "msg_key": pa.array(keys, pa.uint64()),
        "ts": pa.array(m["ts"], TS),
        "day": pa.array(_local_days(m), pa.date32()),
        "member_id": pa.array(sender, pa.string()),
        "kind": pa.array(m["kind"].astype(str).to_numpy(dtype=object), pa.string()),
        "chars": pc.utf8_length(text).cast(pa.int32()),
        "act": pa.array(acts["main_act"].astype(str).to_numpy(dtype=object), pa.string()),
        "is_system": pa.array(is_sys),
        "is_flood": pa.array(flood),
        "is_duplicate": pa.array(dup),
        "reply_to": pa.array(np.where(has, keys[np.maximum(target, 0)], 0), pa.uint64(), mask=~has),
        "reply_to_member": pa.array(np.where(has, sender[np.maximum(target, 0)], None), pa.string()),
        "reply_evidence": pa.array(links["evidence"].astype(str).to_numpy(dtype=object), pa.string()),
        "reply_confidence": pa.array(links["confidence"].to_numpy(np.float32), pa.float32()),
        "mentions": _resolved_mentions(m, gid, aliases),
        "event": pa.array(event, pa.string()) if event is not None else pa.nulls(n, pa.string()),
        "event_member": pa.array(ev_member, pa.string()),
        "text_flags": pa.array(text_bits, pa.int64()),
        "n_contact": pa.array(n_contact, pa.int32()),
        "n_commercial": pa.array(n_commercial, pa.int32()),
    }, schema=FACTS)
    return Derived(facts, features, prep, m)


def _system_mask(m: pd.DataFrame) -> np.ndarray:
    """System lines exactly as ``text_features`` counts them (kind, the system sender, an event)."""
    mask = m["kind"].astype(str).isin(SYSTEM_KINDS).to_numpy() | (m["sender_id"].astype(str) == "system").to_numpy()
    if "event" in m.columns:
        mask |= m["event"].notna().to_numpy()
    return mask


def _noise(m: pd.DataFrame, is_sys: np.ndarray, members: pd.DataFrame) -> tuple:
    """(flood, duplicate, text flags, n_contact, n_commercial) per message from ``text_features`` (one
    scan of the texts), the stored features table of those features and the prepared features: it sorts by (group, ts, line),
    which is ``m``'s order, and keeps the spoken rows, so its rows are ``m``'s non-system rows in order.
    System lines get no text flags (no analysis reads a system line's)."""
    prep = prepare_features(m, m["ts"].max())
    F = prep.at(members=members)
    f = F.msgs
    spoken = np.flatnonzero(~is_sys)
    if len(f) != len(spoken):
        raise AssertionError(f"text_features kept {len(f)} spoken messages, facts expect {len(spoken)}")
    flood, dup = np.zeros(len(m), bool), np.zeros(len(m), bool)
    flood[spoken] = f["flood"].to_numpy(bool)
    dup[spoken] = f["dup_self"].to_numpy(bool) | f["dup_group"].to_numpy(bool)
    bits, n_contact, n_commercial = np.zeros(len(m), np.int64), np.zeros(len(m), np.int64), np.zeros(len(m), np.int64)
    bits[spoken] = prep.text_bits
    n_contact[spoken], n_commercial[spoken] = prep.text_counts
    src = f["src"].to_numpy()
    features = stored_features.table(F, m["msg_key"].to_numpy(np.uint64)[src],
                                     topic_flags(m["text"].iloc[src], resolve_rules(None)))
    return flood, dup, bits, n_contact, n_commercial, features, prep


def _aliases(members: pd.DataFrame) -> pd.DataFrame:
    """(group_id, alias, member_id): ids, then current names, then every earlier name."""
    if not len(members):
        return alias_index([])
    base = members[["group_id", "member_id"]].astype(str)
    ex = members[["group_id", "member_id", "names"]].explode("names").dropna(subset=["names"])
    return alias_index([base.assign(alias=base["member_id"]),
                        base.assign(alias=members["member_name"].fillna("").astype(str).to_numpy()),
                        ex[["group_id", "member_id"]].astype(str).assign(alias=ex["names"].astype(str).to_numpy())])


def _resolved_mentions(m: pd.DataFrame, gid: np.ndarray, aliases: pd.DataFrame) -> pa.Array:
    """The mentions list of every row with each name resolved to a member id ("@all" stays)."""
    if "mentions" not in m.columns:
        return pa.nulls(len(m), pa.list_(pa.string()))
    lists = pa.array(m["mentions"].to_numpy(dtype=object), type=pa.list_(pa.string()), from_pandas=True)
    flat = pc.list_flatten(lists)
    if not len(flat):
        return lists
    parents = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
    names = np.asarray(flat.to_pylist(), dtype=object)
    resolved = resolve_names(gid[parents], names, aliases)
    resolved = np.where(np.char.startswith(names.astype(str), "@all"), names, resolved)
    return pa.ListArray.from_arrays(lists.offsets, pa.array(resolved, pa.string()), mask=lists.is_null())


def _local_days(m: pd.DataFrame) -> np.ndarray:
    """The calendar day of every row in its own ``tz`` (one conversion per distinct zone)."""
    days = np.empty(len(m), dtype="datetime64[D]")
    tz = m["tz"].astype(str) if "tz" in m.columns else pd.Series("UTC", index=m.index)
    for zone in tz.unique():
        rows = (tz == zone).to_numpy()
        local = m.loc[rows, "ts"].dt.tz_convert(zone)
        days[rows] = local.dt.tz_localize(None).to_numpy().astype("datetime64[D]")
    return days
