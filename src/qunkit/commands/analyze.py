"""``qunkit analyze``: the overview of each group with its roles and risk, as one document per group.

json carries the nested document (``group_document``), csv one flat row per
group (``flat_row``), and the table is the group view of
``qunkit.report.terminal``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..analysis.grouptype import NOT_WORTH_SAVING, group_types, not_worth_saving
from ..analysis.overview import overview
from ..analysis.risk import group_risk
from ..analysis.roles import member_features
from ..analysis.scope import Scope
from ..analysis.split import split_advice
from ..engine import Engine, GroupInput, Progress, batched, reads_features, run, split_frame
from ..localtime import DEFAULT_TZ
from ..report.terminal import group_lines, print_group
from ..vocabulary import ROLES
from .analysis import features_of, scored_roles
from .result import Note, Result

RISK_KEYS = ("score", "level", "reasons", "features")


def _split_analysis(result: tuple[list[dict], pd.DataFrame, dict], group_ids: list[str]) -> dict[str, tuple]:
    rows, mf, extra = result
    frames = split_frame(mf, group_ids)
    return {g: ([r for r in rows if str(r["group_id"]) == g], frames[g], {k: v for k, v in extra.items() if k == g})
            for g in group_ids}


@reads_features
@batched(_split_analysis)
def analyze_group(g: GroupInput, lexicon: Path | None) -> tuple[list[dict], pd.DataFrame, dict]:
    """One group's overview rows, member features (roles are scored over all groups together) and, by
    group id, the risk record with its group type (``type``) and split advice (``split``): the per-group
    task of ``analyze``."""
    features = features_of(g, lexicon)
    risk = group_risk(g.messages, g.members, g.as_of, features=features).to_dict("records")
    types = {t["group_id"]: t for t in group_types(g.messages, features).to_dict("records")}
    advice = split_advice(features, g.members)
    split = {gid: a.drop(columns=["group_id", "group_name"]).to_dict("records")
             for gid, a in advice.groupby("group_id", sort=False)}
    extra = {r["group_id"]: {"risk": r, "type": types.get(r["group_id"]), "split": split.get(r["group_id"], [])}
             for r in risk}
    return (overview(g.messages, g.members, g.as_of).to_dict("records"), member_features(features, g.members),
            extra)


def analyze(store, scope: Scope, *, lexicon: Path | None = None, tz: str = DEFAULT_TZ,
            hint: str = "qunkit analyze FILE", engine: Engine | None = None,
            progress: Progress | None = None) -> Result:
    """Overview, current members' roles and risk of every group in ``scope``."""
    done = run(store, scope, analyze_group, engine=engine, progress=progress, hint=hint, lexicon=lexicon)
    overview_rows = [row for rows, _, _ in done.results for row in rows]
    roles = current_roles(scored_roles([mf for _, mf, _ in done.results]))
    roles_by, empty = dict(tuple(roles.groupby("group_id", sort=False))), roles.iloc[:0]
    by = {gid: r for _, _, extra in done.results for gid, r in extra.items()}
    docs = [group_document(row, roles_by.get(row["group_id"], empty), *_extra(by.get(row["group_id"])))
            for row in overview_rows]

    def view(console) -> None:
        for row in overview_rows:
            print_group(console, group_lines(row, tz, roles_by.get(row["group_id"], empty),
                                             *_extra(by.get(row["group_id"]))))

    types = [{"group_name": d["group_name"], **d["group_type"]} for d in docs if d["group_type"]]
    notes = [Note(NOT_WORTH_SAVING, tuple(not_worth_saving(types))),
             Note(None, tuple(f"{d['group_name']}: split advice: {', '.join(a['advice'] for a in d['split_advice'])}"
                              " (qunkit.analysis.split; the figures are in the group's 'size and splitting')"
                              for d in docs if d["split_advice"]), noun="group")]
    return Result(rows=docs, flat=[flat_row(d) for d in docs], title="Overview", render_table=view, notes=notes)


def _extra(extra: dict | None) -> tuple[dict | None, dict | None, list[dict]]:
    """(risk, group type, split advice) of one group's task result (None, None, [] when absent)."""
    if extra is None:
        return None, None, []
    return extra["risk"], extra["type"], extra["split"]


def current_roles(roles: pd.DataFrame) -> pd.DataFrame:
    """Roles of the members in the group at ``as_of`` (``members.present_at``, the one membership rule):
    an overview counts who is there now; ``qunkit roles`` lists former members too, with ``present`` False."""
    return roles[roles["present"].to_numpy(dtype=bool)]


def group_document(row: dict, roles: pd.DataFrame, risk: dict | None, group_type: dict | None = None,
                   split: list[dict] | None = None) -> dict:
    """The overview plus role counts, the members of each role, the risk verdict, the group type
    (``analysis.grouptype``) and the split advice (``analysis.split``): the json shape."""
    row = dict(row)
    row["roles"] = {
        role: {"count": len(g), "members": [{"member_id": m, "member_name": n, "messages": int(k)}
                                            for m, n, k in zip(g["member_id"], g["member_name"], g["messages"],
                                                               strict=True)]}
        for role, g in roles.groupby("role", sort=False)
    }
    row["risk"] = None if risk is None else {k: risk[k] for k in RISK_KEYS}
    row["group_type"] = None if group_type is None else {k: v for k, v in group_type.items()
                                                         if k not in ("group_id", "group_name")}
    row["split_advice"] = list(split or [])
    return row


def flat_row(doc: dict) -> dict:
    """One group's document as one csv row: scalars as they are, a count per role, the risk verdict,
    the top speakers as ``name (messages)``; the per-member lists and risk features stay json-only."""
    out = {k: v for k, v in doc.items() if k not in ("roles", "risk", "top_speakers", "weekly_messages", "benchmarks",
                                                     "group_type", "split_advice")}
    out["top_speakers"] = "; ".join(f"{t['member_name']} ({t['messages']})" for t in doc.get("top_speakers") or [])
    out["weekly_messages"] = " ".join(str(n) for n in doc.get("weekly_messages") or [])
    for role in ROLES:
        out[f"role_{role}"] = (doc["roles"].get(role) or {}).get("count", 0)
    risk = doc.get("risk") or {}
    out["risk_score"], out["risk_level"] = risk.get("score"), risk.get("level")
    out["risk_reasons"] = "; ".join(risk.get("reasons") or [])
    kind = doc.get("group_type") or {}
    out["group_type"], out["group_subtype"] = kind.get("group_type"), kind.get("subtype")
    out["group_type_confidence"], out["group_type_reason"] = kind.get("confidence"), kind.get("reason")
    out["split_advice"] = "; ".join(a["text"] for a in doc.get("split_advice") or [])
    return out
