"""The report's sections: one group's facts (``commands.report.report_facts``) -> HTML via ``html`` and ``charts``.

Arrangement only: every figure shown was computed by an analysis function; the one judgment made here,
the group's structure (ring or pyramid), prints the figure it rests on.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pandas as pd

from ..localtime import local_text
from ..vocabulary import ROLES
from . import charts
from .html import Raw, bullets, facts, join, page, section, table, tag

CORE_ROLES = ("organizer",)
REGULAR_ROLES = ("thinker", "joker", "asker", "challenger")
PYRAMID_SHARE = 0.30        # the core writing this share of the messages or more: a pyramid
DAYS_SHOWN = 365


def _pct(x) -> str:
    return "unknown" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{float(x):.0%}"


def _level(level: str) -> Raw:
    return tag("span", level, class_=f"lvl-{level}")


def render_report(groups: list[dict], as_of: pd.Timestamp, tz: str) -> str:
    """The whole page: the ranking (several groups), then each group's section (``group_section``, made
    where the group's facts were: in the engine's workers, in parallel)."""
    names = [g["group_name"] for g in groups]
    title = f"qunkit report: {names[0]}" if len(groups) == 1 else f"qunkit report: {len(groups)} groups"
    body = []
    if len(groups) > 1:
        body.append(_ranking(groups))
    body += [Raw(g["section"]) for g in groups]
    body.append(tag("p", "Made by qunkit from exported chat logs; this file makes no network request.",
                    class_="mute"))
    return page(title, body, subtitle=f"judged as of {local_text(as_of, tz, '%Y-%m-%d %H:%M')} {tz}")


def anchor(group_id: str) -> str:
    """The id of a group's section: from its id, so a section can be made before the ranking is known,
    and safe in an attribute whatever the id holds."""
    return "g" + hashlib.sha256(str(group_id).encode()).hexdigest()[:12]


def _ranking(groups: list[dict]) -> Raw:
    rows = []
    for i, g in enumerate(groups):
        o, r = g["overview"], g["risk"]
        rows.append([i + 1, tag("a", g["group_name"], href=f"#{anchor(g['group_id'])}"), r["score"], _level(r["level"]),
                     _type_label(g.get("group_type")), (r["reasons"] or [""])[0], o.get("messages", 0),
                     o.get("members", 0), _pct(o.get("active_rate_monthly"))])
    return section("Groups by dead-group risk", table(
        ["#", "group", "risk", "level", "type", "main cause", "messages", "members", "active (30 days)"], rows))


def _type_label(t: dict | None) -> str:
    if not t:
        return "unclear"
    return t["group_type"] + (f": {t['subtype']}" if t.get("subtype") else "")


def group_section(g: dict, tz: str, prune_days: int) -> Raw:
    """One group's section of the page, from its facts (``commands.report.report_group``)."""
    o = g["overview"]
    head = facts([("platform", o.get("platform")),
                  ("period", f"{local_text(o.get('first'), tz)} → {local_text(o.get('last'), tz)} ({o.get('days')} days)"),
                  ("messages", f"{o.get('messages')} from {o.get('speakers')} speakers"),
                  ("members", f"{o.get('members')} ({o.get('members_source')}); never spoke: {o.get('silent_members')}")])
    parts = [head, _activity(g), _roles(g), _risk(g, tz), _split(g), _conversation(g), _content(g),
             _prune(g, prune_days)]
    return tag("section", join([tag("h2", g["group_name"]), *parts]), id=anchor(g["group_id"]), class_="group")


# ---- activity ---------------------------------------------------------------------------------------

def _activity(g: dict) -> Raw:
    o, b = g["overview"], g["benchmark"]
    out = []
    lo, hi = b.get("active_low"), b.get("active_high")
    band = (f"{lo:.0%}–{hi:.0%} active" if lo is not None and hi is not None
            else f"above {lo:.0%} active" if lo is not None else "no active-rate band")
    size = "group of unknown size (no roster)" if b.get("size_class") in (None, "unknown") else \
        f"{b.get('size_class')} group"
    out.append(facts([("active rate", f"daily {_pct(o.get('active_rate_daily'))}, weekly "
                                      f"{_pct(o.get('active_rate_weekly'))}, monthly {_pct(o.get('active_rate_monthly'))}"),
                      ("benchmark", f"{band} for a {size}"),
                      ("practice", "; ".join(o.get("benchmarks") or []))]))
    d = g["daily"]
    if d is not None and len(d):
        d = d.tail(DAYS_SHOWN)
        vals = d["messages"].astype(float).tolist()
        avg = pd.Series(vals).rolling(7, min_periods=1).mean().tolist()
        out.append(tag("h3", "Messages per day (line: 7-day average)"))
        out.append(charts.bars_and_line(vals, avg, d["period"].astype(str).tolist(), "messages per day"))
    w = g["weekly"]
    if w is not None and len(w):
        labels = w["period"].astype(str).tolist()
        rates = [None if pd.isna(x) else float(x) for x in w["active_rate"]]
        out.append(Raw('<div class="grid2"><div>'))
        out.append(tag("h3", "Speakers per week"))
        out.append(charts.bars_and_line(w["speakers"].astype(float).tolist(), None, labels, "speakers per week"))
        out.append(Raw("</div><div>"))
        out.append(tag("h3", "Active rate per week (band: benchmark)"))
        out.append(charts.rate_with_band(rates, labels, lo, hi, "active rate per week") if any(
            r is not None for r in rates) else tag("p", "unknown without a member roster", class_="mute"))
        out.append(Raw("</div><div>"))
        out.append(tag("h3", "Members joining (up) and leaving (down) per week"))
        out.append(charts.in_out(w["new_members"].fillna(0).astype(int).tolist(),
                                 w["leavers"].fillna(0).astype(int).tolist(), labels, "members in and out"))
        out.append(Raw("</div><div>"))
        out.append(tag("h3", "Messages by weekday and hour"))
        out.append(charts.heatmap(g["heatmap"], "messages by weekday and hour"))
        out.append(Raw("</div></div>"))
    return section("Activity", *out, level=3)


# ---- roles ----------------------------------------------------------------------------------------

def _roles(g: dict) -> Raw:
    r = g["roles"]
    counts = r["role"].value_counts()
    out = [table(["role", "members"], [[role, int(counts.get(role, 0))] for role in ROLES])]
    out.append(_structure(r))
    for role in ROLES:
        mine = r[r["role"] == role]
        if mine.empty:
            continue
        rows = [[n, int(k), "; ".join(rs)] for n, k, rs in zip(mine["member_name"], mine["messages"], mine["reasons"],
                                                                strict=True)]
        summary = tag("summary", f"{role} ({len(mine)})")
        out.append(tag("details", join([summary, table(["member", "messages", "reasons"], rows)]),
                   open=None if role == "lurker" or len(mine) > 30 else "open"))
    return section("Roles", *out, level=3)


def _structure(r: pd.DataFrame) -> Raw:
    """core -> regulars -> lurkers, and ring or pyramid with the figure behind it."""
    msgs = r["messages"].astype(int)
    total = max(int(msgs.sum()), 1)
    core = r["role"].isin(CORE_ROLES)
    regular = r["role"].isin(REGULAR_ROLES)
    lurk = r["role"] == "lurker"
    share = int(msgs[core].sum()) / total
    kind = "pyramid" if share >= PYRAMID_SHARE else "ring"
    why = (f"the core ({int(core.sum())} organizer(s)) wrote {share:.0%} of the members' messages; "
           f"{'at least' if kind == 'pyramid' else 'under'} {PYRAMID_SHARE:.0%} reads as a "
           f"{'pyramid (a few lead, the rest follow)' if kind == 'pyramid' else 'ring (members talk as equals)'}")
    return facts([("structure", f"core {int(core.sum())} → regulars {int(regular.sum())} → lurkers {int(lurk.sum())}"
                                f" (advertisers {int((r['role'] == 'advertiser').sum())})"),
                  ("shape", f"{kind}: {why}")])


# ---- risk -----------------------------------------------------------------------------------------

def _risk(g: dict, tz: str) -> Raw:
    r = g["risk"]
    out = [tag("p", join([tag("strong", f"{r['score']:g}/100 "), _level(r["level"])])), bullets(r["reasons"])]
    t = g.get("group_type")
    if t:
        conf = "" if t["group_type"] == "unclear" else f" (confidence {t['confidence']:.2f})"
        worth = "" if t.get("worth_saving", True) else (
            "; a negative-value group is not worth saving (seed 002): prune or close rather than revive")
        out.append(facts([("group type", f"{_type_label(t)}{conf}{worth}"), ("evidence", t["reason"])]))
    t = g["risk_trend"]
    if len(t) > 1:
        out.append(tag("h3", "Risk score at the start of past weeks (Monday 00:00: what --as-of that date says)"))
        out.append(charts.trend([s for _, s in t], [local_text(a, tz, "%m-%d") for a, _ in t], label="risk trend"))
        out.append(table(["as of", "score"], [[local_text(a, tz), s] for a, s in t]))
    return section("Dead-group risk", *out, level=3)


# ---- size and splitting ---------------------------------------------------------------------------

def _split(g: dict) -> Raw:
    """Split / 2群 advice (``analysis.split``), each with its figures; a line saying none when none."""
    advice = g.get("split") or []
    if not advice:
        return section("Size and splitting", tag("p", "No split advice: the group is not near its cap, its "
                                                      "participation is not low or falling for its size (judged "
                                                      "only with a roster), and no sub-group talks apart.",
                                                 class_="mute"), level=3)
    return section("Size and splitting", table(["advice", "why and what to do"],
                                               [[a["advice"], a["text"]] for a in advice]), level=3)


# ---- conversation ---------------------------------------------------------------------------------

def _conversation(g: dict) -> Raw:
    rep, w = g["replies"], g["weekly"]
    out = []
    if w is not None and len(w):
        last = w.tail(4)
        q = last["questions"].fillna(0).astype(float)
        answered = float((q * (1 - last["unanswered_share"].fillna(0).astype(float))).sum())
        med = last["median_reply_s"].dropna()
        out.append(facts([("replied to", f"{_pct(last['reply_share'].astype(float).mean())} of messages "
                                         "(mean of the last 4 weeks)"),
                          ("median reply time", "unknown" if med.empty else f"{float(med.median()) / 60:.1f} min "
                                                                            "(median of the last 4 weekly medians)"),
                          ("questions answered", f"{answered:.0f} of {q.sum():.0f} in the last 4 weeks"
                                                 + (f" ({answered / q.sum():.0%})" if q.sum() else ""))]))
    pairs = rep["pairs"]
    out.append(tag("p", f"Reply links over the group's last {rep['window']} messages: {rep['linked']} replies "
                        "between members.", class_="mute"))
    if len(pairs):
        top = pairs.head(40)
        people = pd.concat([top.groupby(level=0).sum(), top.groupby(level=1).sum()]).groupby(level=0).sum()
        people = people.sort_values(ascending=False, kind="stable").head(16)
        idx = {p: i for i, p in enumerate(people.index)}
        nodes = [(rep["names"].get(p, p), int(k)) for p, k in people.items()]
        edges = [(idx[a], idx[b], int(k)) for (a, b), k in top.items() if a in idx and b in idx]
        out.append(Raw('<div class="grid2"><div>'))
        out.append(charts.network(nodes, edges, "who answers whom"))
        out.append(Raw("</div><div>"))
        out.append(table(["who", "answers whom", "replies"],
                         [[rep["names"].get(a, a), rep["names"].get(b, b), int(k)] for (a, b), k in pairs.head(15).items()]))
        out.append(Raw("</div></div>"))
    return section("Conversation", *out, level=3)


# ---- content --------------------------------------------------------------------------------------

def _content(g: dict) -> Raw:
    out = []
    kw = g["keywords"]
    if kw:
        rows = [[p, ", ".join(f"{w} ({k})" for w, k in v["words"]),
                 "; ".join(f"{' / '.join(t['words'])} ({t['texts']})" for t in v.get("topics", [])) or "–",
                 f"{v['sampled']} of {v['texts']}"]
                for p, v in sorted(kw.items(), reverse=True)[:12]]
        out.append(tag("h3", "Keywords and topics per month (jieba, stop words removed; words a month uses far "
                             "more than the other months; a topic: keywords talked about together)"))
        out.append(table(["month", "keywords (count)", "topics (texts)", "texts segmented"], rows))
    top = g["replies"]["top"]
    if top:
        out.append(tag("h3", "Most replied-to messages (有料)"))
        out.append(join(tag("blockquote", join([tag("strong", f"{t['sender_name']} · {t['replies']} replies"),
                                                 Raw("<br>"), t["text"]])) for t in top))
    n = g["noise"]
    if n["messages"]:
        out.append(facts([("noise", f"{n['noise']} of {n['messages']} messages in the last {n['days']} days "
                                    f"({n['noise'] / n['messages']:.0%}): floods {n['flood']}, ads {n['ad']}")]))
    return section("Content", *out, level=3)


# ---- prune ----------------------------------------------------------------------------------------

def _prune(g: dict, days: int) -> Raw:
    p = g["prune"]
    if p.empty:
        return section("Prune preview", tag("p", f"qunkit prune --days {days} would list no one."), level=3)
    reasons = p["reason"].str.split("; ").explode().value_counts()
    rows = [[reason, int(k)] for reason, k in reasons.items()]
    return section("Prune preview", tag("p", f"qunkit prune --days {days} would list {len(p)} member(s); "
                                             "by reason (a member can have several):"),
                   table(["reason", "members"], rows), level=3)


def heatmap_grid(weekday: np.ndarray, hour: np.ndarray) -> list[list[int]]:
    """7 x 24 counts from per-message local weekday (Monday 0) and hour."""
    return np.bincount(weekday * 24 + hour, minlength=7 * 24).reshape(7, 24).tolist()
