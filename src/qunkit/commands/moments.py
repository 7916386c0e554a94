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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..analysis.risk import group_risk
from ..analysis.roles import assign_roles
from ..analysis.text_features import Features, PreparedFeatures, prepare_features
from ..members import derive_members, prepare_members
from ..store import MEMBER_SOURCE_COLUMNS


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
    for t in times:
        if not (slim["ts"] <= t).any():
            continue
        r = moment(store, groups, slim, t, lexicon, members=members.at(t), prepared=prepared).risk()
        rows.append(r[["group_id", "score", "level"]].assign(as_of=t))
    if not rows:
        return pd.DataFrame({"group_id": [], "score": [], "level": [], "as_of": []})
    return pd.concat(rows, ignore_index=True)
