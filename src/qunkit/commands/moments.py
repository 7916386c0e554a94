"""The analysis replayed at an earlier moment (what ``--as-of T`` would have said), without re-reading the store.

The digest compares this period's verdicts with the previous period's, and the report draws the risk score
over past weeks; both need the same thing: messages cut at ``t``, members derived from exactly those (the
store's rosters), the per-message features as of ``t``, then the public analysis functions.

Replays share what does not depend on the moment: the store's rosters (read once), the prepared
per-message features (``text_features.PreparedFeatures``: sorting, per-text flags and acts, computed once
for the latest moment) and, for the risk trend, the prepared members (``members.PreparedMembers``: the
speakers' rows sorted once); what does depend on it (numbering, who replied, floods, each member's figures
as of then) is cut or recomputed at each moment by their ``at``, so a replay says exactly what
``--as-of t`` says.

The report's points are calendar week starts (``week_starts``), and a store with derived tables keeps
each group's latest ones (``weekly_risk``, the ``risk_weekly`` table), so most reports replay nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ..analysis.risk import group_risk
from ..analysis.roles import assign_roles
from ..analysis.text_features import Features, PreparedFeatures, prepare_features
from ..localtime import DEFAULT_TZ, localize_one
from ..members import derive_members, prepare_members, to_ns
from ..schema import RISK_WEEKLY as WEEKLY
from ..schema import TS
from ..store import MEMBER_SOURCE_COLUMNS

STORED_WEEKS = 8    # week starts a group's ``risk_weekly`` table keeps (the report's default trend)


@dataclass
class Moment:
    """Everything judged as of ``as_of``."""

    as_of: pd.Timestamp
    messages: pd.DataFrame
    members: pd.DataFrame
    features: Features
    prepared: PreparedFeatures | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    def risk(self) -> pd.DataFrame:
        """``group_risk`` as of this moment (computed once)."""
        if "risk" not in self._cache:
            self._cache["risk"] = group_risk(self.messages, self.members, self.as_of, features=self.features)
        return self._cache["risk"]

    def roles(self, lexicon: Path | None = None) -> pd.DataFrame:
        """``assign_roles`` as of this moment (computed once per lexicon)."""
        key = ("roles", lexicon)
        if key not in self._cache:
            self._cache[key] = assign_roles(self.messages, self.members, self.as_of, lexicon, features=self.features)
        return self._cache[key]


def moment(store, groups: tuple[str, ...], messages: pd.DataFrame, t: pd.Timestamp,
           lexicon: Path | None = None, members: pd.DataFrame | None = None,
           rosters: dict[str, pd.DataFrame] | None = None, prepared: PreparedFeatures | None = None) -> Moment:
    """The analysis inputs as of ``t``: ``messages`` cut at ``t``; ``members`` re-derived unless given
    (give them when ``t`` is the scope's own as_of, where ``load_scope`` already derived them), from
    ``rosters`` when given (``store.rosters(groups)`` read once for many moments: what ``store.members`` does).
    ``prepared``: the prepared features of a later moment over the same ``messages`` (``Moment.prepared``);
    without it they are prepared for ``t`` and kept on the result."""
    m = messages[messages["ts"] <= t]
    if members is not None:
        mem = members
    elif rosters is not None:       # only the columns members come from (the same frame, less to copy)
        mem = derive_members(m[[c for c in MEMBER_SOURCE_COLUMNS if c in m.columns]], rosters)
    else:
        mem = store.members(groups, messages=m)
    prep = prepared if prepared is not None and t <= prepared.as_of else prepare_features(messages, t, lexicon)
    return Moment(t, m, mem, prep.at(t, mem), prep)


def risk_at(store, groups: tuple[str, ...], messages: pd.DataFrame, times: list[pd.Timestamp],
            lexicon: Path | None = None, prepared: PreparedFeatures | None = None) -> pd.DataFrame:
    """Risk score and level per group at each of ``times`` (columns group_id, as_of, score, level);
    ``prepared``: features prepared over the same ``messages`` up to the latest of ``times`` or later
    (``Moment.prepared``), else prepared here once."""
    rows = []
    rosters = store.rosters(groups) if times else {}
    if times and (prepared is None or max(times) > prepared.as_of):
        prepared = prepare_features(messages, max(times), lexicon)
    # risk reads the prepared features and the members; only the members' columns are cut at each moment,
    # and the members too are prepared once (``members.PreparedMembers``) and cut at each moment
    slim = messages[[c for c in MEMBER_SOURCE_COLUMNS if c in messages.columns]]
    members = prepare_members(slim, rosters) if times else None
    # from the newest message on, members and features no longer change, only the moment they are judged at
    # (silence grows): those moments share the newest message's (``PreparedMembers.at`` and ``PreparedFeatures.at``
    # keep every row from there on), and only the risk is computed again
    newest = slim["ts"].max() if len(slim) else None
    settled = None
    for t in times:
        if not (slim["ts"] <= t).any():
            continue
        if t >= newest:
            if settled is None:
                settled = moment(store, groups, slim, newest, lexicon, members=members.at(newest), prepared=prepared)
            at = Moment(t, settled.messages, settled.members,
                        replace(settled.features, as_of=pd.Timestamp(t).tz_convert("UTC")), prepared)
        else:
            at = moment(store, groups, slim, t, lexicon, members=members.at(t), prepared=prepared)
        rows.append(at.risk()[["group_id", "score", "level"]].assign(as_of=t))
    if not rows:
        return pd.DataFrame({"group_id": [], "score": [], "level": [], "as_of": []})
    return pd.concat(rows, ignore_index=True)


def week_starts(before: pd.Timestamp, weeks: int, tz: str = DEFAULT_TZ) -> list[pd.Timestamp]:
    """The ``weeks`` latest Mondays 00:00 in ``tz`` strictly before ``before``, oldest first, in UTC: the
    moments the risk trend is replayed at.  Calendar weeks, not ``before`` minus whole weeks, so the
    points of one group do not move with the newest message of another (and can be stored once,
    ``weekly_risk``); each is what ``qunkit risk --as-of <that Monday's date>`` judges: the week before
    it complete.  Midnight is local (a DST day keeps its 00:00, ``localtime``'s policy)."""
    if weeks <= 0:
        return []
    local = pd.Timestamp(before).tz_convert(tz)
    monday = (local.tz_localize(None) - pd.Timedelta(days=local.day_of_week)).normalize()
    if localize_one(monday, tz) >= local:
        monday -= pd.Timedelta(weeks=1)
    return [localize_one(monday - pd.Timedelta(weeks=k), tz).tz_convert("UTC").as_unit("ns")
            for k in range(weeks - 1, -1, -1)]


def merges_digest(messages: pd.DataFrame, group_id: str) -> str:
    """A digest of the id merges the store applied to group ``group_id`` in ``messages`` (``Store.messages``'
    attrs): a stored replay is reused only under the same merges."""
    found = sorted([str(x) for x in m] for m in messages.attrs.get("merges", ()) if str(m[0]) == group_id)
    return hashlib.sha256(json.dumps(found).encode()).hexdigest()[:16]


def weekly_risk(store, messages: pd.DataFrame, prepared: PreparedFeatures | None,
                old: dict[str, pa.Table | None] | None = None, replay: bool = True) -> dict[str, pa.Table]:
    """Per group of ``messages`` (group_id -> table of schema ``WEEKLY``, the derived table ``risk_weekly``):
    the risk score and level at the ``STORED_WEEKS`` latest week starts (``DEFAULT_TZ``) before the
    group's newest message, as ``risk_at`` replays them; the report's trend reads them instead of
    replaying.  ``prepared``: features prepared over ``messages`` (``risk_at``'s).

    ``upto`` is the number of the group's messages at or before each week start.  Messages are only ever
    added, so a point of ``old[group_id]`` (the group's table before, computed from the same roster,
    lexicon and code: the caller checks; the id merges are checked here) whose ``upto`` is still the
    same saw exactly the messages it sees now, and is kept; the others are replayed, for all groups at
    once (one replay per moment, whatever the groups), or with ``replay=False`` left out (a later pass
    fills them: ``qunkit rebuild``).  A nightly import of the day's messages thus replays nothing until a
    new week starts, and then one moment."""
    old = old or {}
    plans = {}
    for group, rows in messages.groupby("group_id", sort=False, observed=True).indices.items():
        gid = str(group)
        ns = np.sort(to_ns(messages["ts"].iloc[rows]))
        times = [t for t in week_starts(pd.Timestamp(int(ns[-1]), tz="UTC"), STORED_WEEKS) if t.value >= ns[0]]
        upto = {t: int(np.searchsorted(ns, t.value, side="right")) for t in times}
        digest = merges_digest(messages, gid)
        plans[gid] = (times, upto, digest, _kept(old.get(gid), upto, digest))
    todo = sorted({t for times, _, _, kept in plans.values() for t in times if t not in kept})
    if replay and todo and prepared is not None:
        past = risk_at(store, (), messages, todo, prepared=prepared)
        for gid, t, score, level in zip(past["group_id"], past["as_of"], past["score"], past["level"], strict=True):
            times, upto, _, kept = plans[str(gid)]
            if t in upto and t not in kept:
                kept[pd.Timestamp(t)] = (float(score), str(level))
    out = {}
    for gid, (times, upto, digest, kept) in plans.items():
        done = [t for t in times if t in kept]
        out[gid] = pa.table({"week_start": pa.array([t.value for t in done], pa.timestamp("ns", "UTC")).cast(TS),
                             "score": [kept[t][0] for t in done], "level": [kept[t][1] for t in done],
                             "upto": [upto[t] for t in done]}, schema=WEEKLY
                            ).replace_schema_metadata({b"merges": digest.encode()})
    return out


def _kept(old: pa.Table | None, upto: dict[pd.Timestamp, int], digest: str) -> dict[pd.Timestamp, tuple[float, str]]:
    """The points of ``old`` that still hold (same merges, same messages up to the week start)."""
    if old is None or not old.num_rows or (old.schema.metadata or {}).get(b"merges") != digest.encode():
        return {}
    out = {}
    for row in old.select(["week_start", "score", "level", "upto"]).to_pylist():
        t = pd.Timestamp(row["week_start"]).tz_convert("UTC").as_unit("ns")
        if upto.get(t) == row["upto"]:
            out[t] = (row["score"], row["level"])
    return out
