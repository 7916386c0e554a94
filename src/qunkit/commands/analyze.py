"""``qunkit analyze``: the overview of each group with its roles and risk, as one document per group.

json carries the nested document (``group_document``), csv one flat row per
group (``flat_row``), and the table is the group view of
``qunkit.report.terminal``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..analysis.overview import overview
from ..analysis.risk import group_risk
from ..analysis.roles import assign_roles
from ..analysis.scope import Scope
from ..analysis.text_features import compute_features
from ..localtime import DEFAULT_TZ
from ..report.terminal import group_lines, print_group
from ..vocabulary import ROLES
from .loading import load_scope
from .result import Result

RISK_KEYS = ("score", "level", "reasons", "features")


def analyze(store, scope: Scope, *, lexicon: Path | None = None, tz: str = DEFAULT_TZ,
            hint: str = "qunkit analyze FILE") -> Result:
    """Overview, current members' roles and risk of every group in ``scope``."""
    messages, members, as_of = load_scope(store, scope, hint=hint)
    ov = overview(messages, members, as_of)
    features = compute_features(messages, as_of, lexicon, members=members)
    roles = current_roles(assign_roles(messages, members, as_of, lexicon, features=features))
    risk_by = {r["group_id"]: r for r in group_risk(messages, members, as_of, features=features).to_dict("records")}
    roles_by = dict(tuple(roles.groupby("group_id", sort=False)))
    empty = roles.iloc[:0]
    overview_rows = ov.to_dict("records")
    docs = [group_document(row, roles_by.get(row["group_id"], empty), risk_by.get(row["group_id"]))
            for row in overview_rows]

    def view(console) -> None:
        for row in overview_rows:
            print_group(console, group_lines(row, tz, roles_by.get(row["group_id"], empty),
                                             risk_by.get(row["group_id"])))

    return Result(rows=docs, flat=[flat_row(d) for d in docs], title="Overview", render_table=view)


def current_roles(roles: pd.DataFrame) -> pd.DataFrame:
    """Roles of the members in the group at ``as_of`` (``members.present_at``, the one membership rule):
    an overview counts who is there now; ``qunkit roles`` lists former members too, with ``present`` False."""
    return roles[roles["present"].to_numpy(dtype=bool)]


def group_document(row: dict, roles: pd.DataFrame, risk: dict | None) -> dict:
    """The overview plus role counts, the members of each role and the risk verdict (the json shape)."""
    row = dict(row)
    row["roles"] = {
        role: {"count": len(g), "members": [{"member_id": m, "member_name": n, "messages": int(k)}
                                            for m, n, k in zip(g["member_id"], g["member_name"], g["messages"],
                                                               strict=True)]}
        for role, g in roles.groupby("role", sort=False)
    }
    row["risk"] = None if risk is None else {k: risk[k] for k in RISK_KEYS}
    return row


def flat_row(doc: dict) -> dict:
    """One group's document as one csv row: scalars as they are, a count per role, the risk verdict,
    the top speakers as ``name (messages)``; the per-member lists and risk features stay json-only."""
    out = {k: v for k, v in doc.items() if k not in ("roles", "risk", "top_speakers", "weekly_messages", "benchmarks")}
    out["top_speakers"] = "; ".join(f"{t['member_name']} ({t['messages']})" for t in doc.get("top_speakers") or [])
    out["weekly_messages"] = " ".join(str(n) for n in doc.get("weekly_messages") or [])
    for role in ROLES:
        out[f"role_{role}"] = (doc["roles"].get(role) or {}).get("count", 0)
    risk = doc.get("risk") or {}
    out["risk_score"], out["risk_level"] = risk.get("score"), risk.get("level")
    out["risk_reasons"] = "; ".join(risk.get("reasons") or [])
    return out
