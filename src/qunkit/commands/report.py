"""``qunkit report``: the facts of every group in scope, gathered from the analysis functions, as one HTML page.

Nothing is re-derived here: activity (per day and week), overview, roles, risk (and risk at the starts of
past weeks, ``moments.week_starts``: read from the store's ``risk_weekly`` table where it holds, else
replayed by ``moments.risk_at`` from the features prepared once for the base moment), the group type,
split advice, reply links, prune candidates and keywords with topics each come from their own module; this
file only selects and arranges their rows per group.  ``report.sections`` renders them: each group's
section in the task that gathered its facts (in parallel), the ranking and the page in the caller.

Bounded work for big stores: reply links are computed over each group's last ``REPLY_WINDOW`` messages
and keywords on a sample per month (``analysis.keywords``); the page says so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.activity import activity
from ..analysis.benchmarks import benchmarks_for
from ..analysis.grouptype import group_types
from ..analysis.keywords import per_period_share, period_keywords
from ..analysis.overview import overview
from ..analysis.prune import prune_candidates
from ..analysis.replies import reply_links
from ..analysis.scope import Scope
from ..analysis.split import split_advice
from ..derived import enabled as derived_enabled
from ..derived import stored_reply_links, stored_text_flags, stored_weekly_risk
from ..engine import (
    ANALYSIS_COLUMNS,
    Engine,
    GroupInput,
    Progress,
    batched,
    reads_features,
    run,
    split_records,
)
from ..localtime import DEFAULT_TZ
from ..report.sections import group_section, heatmap_grid, render_report
from .analyze import current_roles
from .moments import STORED_WEEKS, Moment, moment, risk_at, week_starts
from .result import Result

REPLY_WINDOW = 2000     # messages per group the reply network is drawn from (the most recent)
KEYWORD_BUDGET = 8_000   # texts jieba segments for the whole report (~1 s idle); shared evenly by groups, then months
TREND_WEEKS = STORED_WEEKS   # past week starts the risk score is shown at (the stored ones by default)
PRUNE_DAYS = 90
SLOW_PLAIN = 200_000    # messages from which a store without derived tables is told that rebuild would help
TOP_REPLIED = 5
NETWORK_NODES = 16


def report(store, scope: Scope, *, lexicon: Path | None = None, tz: str = DEFAULT_TZ,
           trend_weeks: int = TREND_WEEKS, prune_days: int = PRUNE_DAYS, hint: str = "qunkit import FILE",
           html: bool = True, engine: Engine | None = None, progress: Progress | None = None) -> Result:
    """One self-contained HTML page: groups ranked by risk, then a section per group (``html=False``:
    only the ranking rows, for json)."""
    groups, as_of = report_facts(store, scope, lexicon=lexicon, trend_weeks=trend_weeks, prune_days=prune_days,
                                 hint=hint, engine=engine, progress=progress, tz=tz)
    rows = [{"group_id": g["group_id"], "group_name": g["group_name"], "risk_score": g["risk"]["score"],
             "risk_level": g["risk"]["level"]} for g in groups]
    page = render_report(groups, as_of, tz) if html else None
    notes = []
    messages = sum(int(g["overview"].get("messages") or 0) for g in groups)
    if messages >= SLOW_PLAIN and not derived_enabled(store):
        notes.append(f"this store ({messages:,} messages) keeps no derived tables, so a report scans every text "
                     "and replays every trend point: `qunkit rebuild` once (imports keep them up to date after "
                     "it) makes reports about 2.5x faster")
    return Result(rows=rows, title="Report", text=page, notes=notes)


def report_facts(store, scope: Scope, *, lexicon: Path | None = None, trend_weeks: int = TREND_WEEKS,
                 prune_days: int = PRUNE_DAYS, hint: str = "qunkit import FILE", engine: Engine | None = None,
                 progress: Progress | None = None, tz: str = DEFAULT_TZ) -> tuple[list[dict], pd.Timestamp]:
    """Per group (riskiest first) a dict of the facts the page shows, and the moment they are judged at
    (the trend's weeks start on Mondays in ``tz``).

    Group by group through ``qunkit.engine`` (in parallel, small groups batched, unchanged groups from
    the result cache); the keyword sample (``KEYWORD_BUDGET`` texts) is shared evenly by the groups in
    scope, so a group's keywords depend on how many groups the report covers, not on which."""
    budget = KEYWORD_BUDGET // max(1, len(set(store.keys_for(scope.groups))))
    done = run(store, scope, report_group, engine=engine, progress=progress, hint=hint, lexicon=lexicon,
               columns=(*ANALYSIS_COLUMNS, "msg_key"),
               trend_weeks=trend_weeks, prune_days=prune_days, keyword_budget=budget, tz=tz)
    facts = [f for part in done.results for f in part]
    facts.sort(key=lambda f: (-f["risk"]["score"], f["group_name"]))   # group_risk's ranking, stable
    return facts, done.as_of


@reads_features
@batched(split_records)
def report_group(g: GroupInput, lexicon: Path | None, trend_weeks: int, prune_days: int,
                 keyword_budget: int, tz: str = DEFAULT_TZ) -> list[dict]:
    """The page's facts for the group(s) of one engine task, riskiest first.  The features come from the
    store where it has them (``engine.reads_features``); replays then prepare their own, when needed."""
    messages, members, as_of = g.messages, g.members, g.as_of
    if g.features is not None and lexicon is None:
        base = Moment(as_of, messages, members, g.features)
    else:
        base = moment(g.store, (), messages, as_of, lexicon, members=members)
    F = base.features
    ov = {r["group_id"]: r for r in overview(messages, members, as_of).to_dict("records")}
    daily = dict(tuple(activity(messages, members, as_of, by="day", features=F).groupby("group_id", sort=False)))
    weekly = dict(tuple(activity(messages, members, as_of, by="week", features=F).groupby("group_id", sort=False)))
    all_roles = base.roles(lexicon)
    roles = dict(tuple(current_roles(all_roles).groupby("group_id", sort=False)))
    risk = base.risk()
    past = _past_risk(g, week_starts(as_of, trend_weeks, tz), lexicon, tz, base.prepared)
    stored = stored_reply_links(g.store, list(g.store.metas()), messages) if g.derived else None
    links = _links(messages, stored)
    prune = prune_candidates(messages, members, all_roles, as_of, prune_days)
    content = _keywords(messages, keyword_budget)
    heat = _heatmaps(messages)
    platform = dict(zip(F.groups["group_id"].astype(str), F.groups["platform"].astype(str), strict=True))
    types = {t["group_id"]: t for t in group_types(base.messages, F).to_dict("records")}
    advice = split_advice(F, members)
    out = []
    for r in risk.to_dict("records"):
        gid = r["group_id"]
        o = ov.get(gid, {})
        out.append({
            "group_id": gid, "group_name": r["group_name"], "overview": o, "risk": r,
            "risk_trend": _trend(past, gid, r, as_of),
            "daily": daily.get(gid), "weekly": weekly.get(gid),
            "roles": roles.get(gid, all_roles.iloc[:0]),
            "benchmark": benchmarks_for(int(o["members"]) if o.get("members_source") == "roster" else None,
                                        platform.get(gid)),
            "replies": _reply_facts(links, messages, gid),
            "keywords": content.get(gid, {}),
            "prune": prune[prune["group_name"] == r["group_name"]],
            "noise": _noise(F, gid, as_of),
            "heatmap": heat.get(gid, heatmap_grid(np.zeros(0, int), np.zeros(0, int))),
            "group_type": types.get(gid),
            "split": advice[advice["group_id"] == gid].to_dict("records"),
        })
        out[-1]["section"] = group_section(out[-1], tz, prune_days)
    return out


def _past_risk(g: GroupInput, times: list[pd.Timestamp], lexicon: Path | None, tz: str, prepared) -> pd.DataFrame:
    """Risk (group_id, as_of, score, level) of every group of ``g`` at each of ``times``: the stored
    ``risk_weekly`` points where they hold (fresh tables made from exactly these messages, the built-in
    lexicon, weeks in ``DEFAULT_TZ``: the replays were made that way), the rest replayed (``risk_at``) for
    the groups that miss any, over their messages only."""
    messages = g.messages
    have = pd.DataFrame({"group_id": [], "as_of": [], "score": [], "level": []})
    if times and g.derived and lexicon is None and tz == DEFAULT_TZ:
        metas = g.store.metas()
        stored = stored_weekly_risk(g.store, list(metas))
        if stored is not None:
            stored = stored[stored["week_start"].isin(times)]
            have = pd.DataFrame({"group_id": [str(metas[k].get("group_id", k)) for k in stored["group_key"]],
                                 "as_of": stored["week_start"].dt.as_unit("ns").to_numpy(),
                                 "score": stored["score"].to_numpy(), "level": stored["level"].to_numpy()})
            have["as_of"] = pd.to_datetime(have["as_of"], utc=True)
    got = {(gid, pd.Timestamp(t)) for gid, t in zip(have["group_id"], have["as_of"], strict=True)}
    gids = [str(x) for x in pd.unique(messages["group_id"])]
    missing = {gid: [t for t in times if (gid, t) not in got] for gid in gids}
    todo = sorted({t for ts in missing.values() for t in ts})
    if not todo:
        return have
    short = [gid for gid, ts in missing.items() if ts]
    if len(short) == len(gids) and prepared is not None:
        sub, prep = messages, prepared
    else:     # features prepared here, over the groups that need replays only
        sub = messages if len(short) == len(gids) else messages[messages["group_id"].astype(str).isin(short)]
        prep = None
        if g.derived and lexicon is None:      # with the facts' per-text flags: no text is scanned again
            keys = [k for k, m in g.store.metas().items() if str(m.get("group_id", k)) in set(short)]
            flags = stored_text_flags(g.store, keys, sub["msg_key"].to_numpy())
            if flags is not None:
                sub = sub.assign(**flags)
    replayed = risk_at(g.store, (), sub, todo, lexicon, prepared=prep)
    stored_too = np.array([(gid, pd.Timestamp(t)) in got
                           for gid, t in zip(replayed["group_id"], replayed["as_of"], strict=True)], bool)
    replayed = replayed[~stored_too] if len(replayed) else replayed
    past = pd.concat([have, replayed], ignore_index=True) if len(have) else replayed
    return past.sort_values("as_of", kind="stable")


def _trend(past: pd.DataFrame, gid: str, now: dict, as_of: pd.Timestamp) -> list[tuple[pd.Timestamp, float]]:
    mine = past[past["group_id"] == gid]
    return [*zip(mine["as_of"], mine["score"].astype(float), strict=True), (as_of, float(now["score"]))]


def _links(messages: pd.DataFrame, stored: pd.DataFrame | None = None) -> pd.DataFrame:
    """Reply links of each group's last ``REPLY_WINDOW`` messages, with their and their targets' positions in
    ``messages``: from the ``stored`` links of the facts (``derived.stored_reply_links``: ``qunkit replies``'
    links, made over all of the group's messages) when the store has them, else ``reply_links`` over the
    window (a message at its start may then miss an answer to one before it)."""
    pos = np.arange(len(messages))
    tail = messages.assign(_pos=pos).groupby("group_id", sort=False, observed=True).tail(REPLY_WINDOW)
    tail = tail.sort_values(["_pos"], kind="stable")
    src = tail["_pos"].to_numpy()
    if stored is not None:
        links = stored.iloc[src]
        return links.assign(pos=src, target_pos=links["reply_to_row"].to_numpy())
    links = reply_links(tail.drop(columns="_pos"))
    target = links["reply_to_row"].to_numpy()
    return links.assign(pos=src, target_pos=np.where(target >= 0, src[np.clip(target, 0, None)], -1))


def _reply_facts(links: pd.DataFrame, messages: pd.DataFrame, gid: str) -> dict:
    """Who answers whom (edges between members), the most replied-to messages, the window used."""
    mine = links[links["group_id"].astype(str) == gid]
    linked = mine[(mine["target_pos"] >= 0) & (mine["sender_id"].astype(str) != mine["reply_to_sender_id"].astype(str))]
    pairs = (linked.groupby([linked["sender_id"].astype(str), linked["reply_to_sender_id"].astype(str)])
             .size().sort_values(ascending=False, kind="stable"))
    names = (mine.drop_duplicates("sender_id", keep="last").assign(sid=lambda d: d["sender_id"].astype(str))
             .set_index("sid")["sender_name"].astype(str).to_dict())
    counts = linked["target_pos"].value_counts()
    counts = counts[counts >= 2].head(TOP_REPLIED)
    top = []
    for p, k in counts.items():
        m = messages.iloc[int(p)]
        top.append({"ts": m["ts"], "sender_name": str(m["sender_name"]), "text": str(m["text"])[:300],
                    "replies": int(k)})
    return {"window": len(mine), "linked": len(linked), "pairs": pairs, "names": names, "top": top}


def _keywords(messages: pd.DataFrame, budget: int = KEYWORD_BUDGET) -> dict[str, dict]:
    """Per group: keywords and topics per local month (``analysis.keywords``: log-odds against the group's
    other months), on a sample of at most ``budget`` texts per group spread evenly over its months."""
    text = messages[(messages["kind"] == "text") & (messages["sender_id"] != "system")]
    months = {}
    for gid, g in text.groupby("group_id", sort=False, observed=True):
        tz = str(g["tz"].iloc[-1]) if "tz" in g.columns else DEFAULT_TZ
        local = g["ts"].dt.tz_convert(tz)
        months[str(gid)] = (g, local.dt.year * 100 + local.dt.month)   # yyyymm: strftime on 1M rows is slow
    out = {}
    for gid, (g, month) in months.items():
        per_period = per_period_share(budget, month.nunique())
        names = [str(n) for n in g["sender_name"].unique()]
        kw = period_keywords(g["text"], month, top=8, exclude=names, per_period=per_period)
        out[gid] = {f"{int(k) // 100}-{int(k) % 100:02d}": v for k, v in kw.items()}
    return out


def _heatmaps(messages: pd.DataFrame) -> dict[str, list[list[int]]]:
    """Per group: spoken messages by local weekday and hour (activity gives only the two marginals)."""
    spoken = messages[~messages["kind"].isin(["system", "recall"]) & (messages["sender_id"] != "system")]
    out = {}
    for gid, g in spoken.groupby("group_id", sort=False, observed=True):
        local = g["ts"].dt.tz_convert(str(g["tz"].iloc[-1]))
        out[str(gid)] = heatmap_grid(local.dt.day_of_week.to_numpy(), local.dt.hour.to_numpy())
    return out


def _noise(F, gid: str, as_of: pd.Timestamp, days: int = 28) -> dict:
    """Floods, ads and all noise among the group's spoken messages of the last ``days`` (from the features)."""
    gi = np.flatnonzero(F.groups["group_id"].astype(str).to_numpy() == gid)
    if not len(gi):
        return {"messages": 0, "flood": 0, "ad": 0, "noise": 0, "days": days}
    lo = (as_of - pd.Timedelta(days=days)).value
    m = F.msgs[(F.msgs["g"].to_numpy() == gi[0]) & (F.msgs["t"].to_numpy() > lo)]
    return {"messages": len(m), "flood": int(m["flood"].sum()), "ad": int(m["ad"].sum()),
            "noise": int(m["noise"].sum()), "days": days}
