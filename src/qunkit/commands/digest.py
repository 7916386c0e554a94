"""``qunkit digest``: a short per-group summary of one period, for a cron mail or a chat bot.

The period is the last *complete* day, week or month (the group's own calendar) at ``as_of``: a digest
run on Monday morning is about last week, not about the hours of Monday so far.  Everything in it is
judged as of that period's end (nothing later is used) and set against the period before: messages and
speakers (``analysis.activity``), risk score and level (``analysis.risk`` replayed at both ends), lurkers
new since then (``analysis.roles`` at both ends).  Regulars who went quiet are members present at the end
who spoke in at least ``REGULAR_OF`` of the ``REGULAR_WINDOW`` periods before and not in this one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.activity import activity
from ..analysis.keywords import PER_PERIOD, per_period_share, period_keywords
from ..analysis.rollcall import find_rollcalls, rollcall_status
from ..analysis.scope import Scope
from ..engine import Engine, GroupInput, Progress, batched, reads_text_flags, run, split_records
from ..localtime import DEFAULT_TZ
from ..members import present_at
from .moments import Moment, moment
from .result import Result, listing

REGULAR_WINDOW, REGULAR_OF = 4, 3   # a regular spoke in 3 of the 4 periods before this one
TOP = 5
SHOWN = 5                           # names a line shows before "and N more"
FORMATS = ("text", "markdown", "json")
HOT_HISTORY = 8                     # periods before this one the hot words are set against
KEYWORD_BUDGET = 1_000_000           # texts the hot words of all groups in scope are found in at most (shared evenly)


def digest(store, scope: Scope, *, period: str = "week", fmt: str = "text", lexicon: Path | None = None,
           tz: str = DEFAULT_TZ, top: int = TOP, engine: Engine | None = None,
           progress: Progress | None = None) -> Result:
    """One summary per group of the last complete ``period``, against the period before it; group by group
    through ``qunkit.engine`` (parallel, small groups batched, unchanged groups from the result cache)."""
    budget = KEYWORD_BUDGET // max(1, len(set(store.keys_for(scope.groups))))
    done = run(store, scope, digest_group, engine=engine, progress=progress, period=period, lexicon=lexicon,
               top=top, keyword_budget=budget)
    docs = [d for part in done.results for d in part]
    docs.sort(key=lambda d: (-(d["risk_score"] or 0), d["group_name"]))
    text = None if fmt == "json" else render_digest(docs, markdown=fmt == "markdown", tz=tz)
    return Result(rows=docs, title=f"Digest ({period})", text=text)


@reads_text_flags
@batched(split_records)
def digest_group(g: GroupInput, period: str, lexicon: Path | None, top: int,
                 keyword_budget: int = PER_PERIOD * (HOT_HISTORY + 1)) -> list[dict]:
    """The digests of the group(s) of one engine task (a group's depends on that group and on how many
    groups the digest covers: the hot words' sample, ``keyword_budget`` texts per group, is shared)."""
    messages, members, as_of = g.messages, g.members, g.as_of
    rows = {str(k): v for k, v in messages.groupby("group_id", sort=False, observed=True).indices.items()}
    base = moment(g.store, (), messages, as_of, lexicon, members=members)
    act = activity(messages, members, as_of, by=period, features=base.features)
    picks = [_pick(a) for _, a in act.groupby("group_id", sort=False)]
    moments: dict[pd.Timestamp, Moment] = {as_of: base}

    def at(t: pd.Timestamp) -> Moment:
        if t not in moments:
            moments[t] = moment(g.store, (), messages, t, lexicon, prepared=base.prepared)
        return moments[t]

    # each group's rows found once, not by a scan of the batch per group
    return [_group_digest(cur, prev, messages.iloc[rows[str(cur["group_id"])]], at, lexicon, top, period,
                          keyword_budget) for cur, prev in picks]


def _pick(g: pd.DataFrame) -> tuple[dict, dict | None]:
    """The last complete period of one group's activity rows, and the one before it (None: first)."""
    rows = g.reset_index(drop=True)
    complete = np.flatnonzero(~rows["partial"].to_numpy(dtype=bool))
    i = int(complete[-1]) if len(complete) else len(rows) - 1
    return rows.iloc[i].to_dict(), rows.iloc[i - 1].to_dict() if i > 0 else None


def _spoken(mine: pd.DataFrame) -> pd.DataFrame:
    return mine[~mine["kind"].isin(["system", "recall"]) & (mine["sender_id"] != "system")]


def _group_digest(cur: dict, prev: dict | None, mine: pd.DataFrame, at, lexicon: Path | None, top: int,
                  period: str, keyword_budget: int) -> dict:
    """One group's digest; ``mine``: that group's messages."""
    gid = str(cur["group_id"])
    t1, t0 = cur["end"], (prev["end"] if prev else None)
    spoken = _spoken(mine)
    inside = spoken[(spoken["ts"] >= cur["start"]) & (spoken["ts"] < t1)]
    m1 = at(t1)
    doc = {"group_id": gid, "group_name": str(cur["group_name"]), "period_by": period, "period": cur["period"],
           "start": cur["start"], "end": t1, "partial": bool(cur["partial"]),
           "messages": int(cur["messages"]), "messages_prev": _int(prev, "messages"),
           "speakers": int(cur["speakers"]), "speakers_prev": _int(prev, "speakers")}
    doc["new_members"] = _joined(m1.members, gid, cur["start"], t1)
    doc["went_quiet"] = _went_quiet(spoken, m1.members, gid, cur, period)
    doc["top_talkers"] = _top(inside, top)
    doc["hot_words"] = _hot_words(spoken, cur, period, keyword_budget)
    doc.update(_risk(m1, at(t0) if t0 is not None else None, gid))
    doc["new_lurkers"] = _new_lurkers(m1, at(t0) if t0 is not None else None, gid, lexicon)
    doc["rollcall"] = _rollcall(m1, mine[mine["ts"] <= t1], cur["start"])
    return doc


def _int(row: dict | None, key: str) -> int | None:
    return None if row is None else int(row[key])


def _joined(members: pd.DataFrame, gid: str, start: pd.Timestamp, end: pd.Timestamp) -> list[dict]:
    mem = members[(members["group_id"] == gid) & (members["member_id"] != "system")]
    j = mem[(mem["joined"] >= start) & (mem["joined"] < end)].sort_values("joined", kind="stable")
    return [{"member_id": str(i), "member_name": str(n), "joined": t}
            for i, n, t in zip(j["member_id"], j["member_name"], j["joined"], strict=True)]


def _went_quiet(spoken: pd.DataFrame, members: pd.DataFrame, gid: str, cur: dict, period: str) -> list[dict]:
    """Regulars of the periods before (``REGULAR_OF`` of ``REGULAR_WINDOW``) with no message in this one."""
    length = {"day": pd.Timedelta(days=1), "week": pd.Timedelta(days=7), "month": pd.Timedelta(days=30)}[period]
    lo = cur["start"] - REGULAR_WINDOW * length
    before = spoken[(spoken["ts"] >= lo) & (spoken["ts"] < cur["start"])]
    slot = ((before["ts"] - lo) // length).clip(upper=REGULAR_WINDOW - 1)
    seen = pd.DataFrame({"m": before["sender_id"].astype(str).to_numpy(), "s": slot.to_numpy()}).drop_duplicates()
    periods = seen.groupby("m").size()
    regular = set(periods[periods >= REGULAR_OF].index)
    now = set(spoken.loc[(spoken["ts"] >= cur["start"]) & (spoken["ts"] < cur["end"]), "sender_id"].astype(str))
    mem = members[(members["group_id"] == gid)]
    mem = mem[present_at(mem, cur["end"]) & mem["member_id"].isin(regular - now)]
    return [{"member_id": str(i), "member_name": str(n),
             "evidence": f"spoke in {periods[i]} of the {REGULAR_WINDOW} {period}s before, not in this one"}
            for i, n in sorted(zip(mem["member_id"], mem["member_name"], strict=True), key=lambda x: -periods[x[0]])]


def _top(inside: pd.DataFrame, top: int) -> list[dict]:
    counts = inside.groupby(inside["sender_id"].astype(str)).size().sort_values(ascending=False, kind="stable")
    names = inside.drop_duplicates("sender_id", keep="last").set_index(inside.drop_duplicates(
        "sender_id", keep="last")["sender_id"].astype(str))["sender_name"].astype(str)
    return [{"member_id": k, "member_name": names.get(k, k), "messages": int(v)} for k, v in counts.head(top).items()]


def _hot_words(spoken: pd.DataFrame, cur: dict, period: str, budget: int, history: int = HOT_HISTORY) -> list[str]:
    """This period's keywords against the ``history`` periods before it (``analysis.keywords``), on an even
    sample of at most ``budget`` texts over those periods (at least 50 a period): jieba segments ~8,000
    texts a second, and 1,500 a period for thousands of groups would take hours."""
    length = {"day": pd.Timedelta(days=1), "week": pd.Timedelta(days=7), "month": pd.Timedelta(days=30)}[period]
    lo = cur["start"] - history * length
    txt = spoken[(spoken["kind"] == "text") & (spoken["ts"] >= lo) & (spoken["ts"] < cur["end"])]
    if txt.empty:
        return []
    label = np.where(txt["ts"] >= cur["start"], 0, 1 + ((cur["start"] - txt["ts"]) // length).to_numpy())
    names = [str(n) for n in spoken["sender_name"].unique()]
    kw = period_keywords(txt["text"], pd.Series(label), top=8, exclude=names,
                         per_period=per_period_share(budget, history + 1))
    return [w for w, _ in kw.get(0, {"words": []})["words"]]


def _risk(m1: Moment, m0: Moment | None, gid: str) -> dict:
    r1 = m1.risk()
    r1 = r1[r1["group_id"] == gid]
    out = {"risk_score": None, "risk_level": None, "risk_reasons": [], "risk_score_prev": None,
           "risk_level_prev": None}
    if len(r1):
        out.update(risk_score=float(r1["score"].iat[0]), risk_level=str(r1["level"].iat[0]),
                   risk_reasons=list(r1["reasons"].iat[0]))
    if m0 is not None:
        r0 = m0.risk()
        r0 = r0[r0["group_id"] == gid]
        if len(r0):
            out.update(risk_score_prev=float(r0["score"].iat[0]), risk_level_prev=str(r0["level"].iat[0]))
    return out


def _new_lurkers(m1: Moment, m0: Moment | None, gid: str, lexicon: Path | None) -> list[dict]:
    """Present members whose role is lurker now and was another role at the previous period's end."""
    if m0 is None:
        return []
    r1, r0 = m1.roles(lexicon), m0.roles(lexicon)
    r1 = r1[(r1["group_id"] == gid) & r1["present"] & (r1["role"] == "lurker")]
    was = r0[(r0["group_id"] == gid) & (r0["role"] != "lurker")].set_index("member_id")["role"]
    r1 = r1[r1["member_id"].isin(was.index)]
    return [{"member_id": i, "member_name": n, "was": was[i], "reasons": list(rs)}
            for i, n, rs in zip(r1["member_id"], r1["member_name"], r1["reasons"], strict=True)]


def _rollcall(m1: Moment, mine: pd.DataFrame, start: pd.Timestamp) -> dict | None:
    """The latest roll call announced in the period: who answered, who did not (``analysis.rollcall``);
    ``mine``: the group's messages up to the period's end (``m1.messages`` of that group)."""
    calls = find_rollcalls(mine, as_of=m1.as_of, since=start)
    if calls.empty:
        return None
    status = rollcall_status(mine, m1.members, calls, latest_only=True)
    last = calls.sort_values("announced").iloc[-1]
    return {"announced": last["announced"], "announcer_name": str(last["announcer_name"]),
            "answered": int(status["answered"].sum()), "missing": int((~status["answered"]).sum())}


# ---- rendering ---------------------------------------------------------------------------------------

def _change(now: float | None, before: float | None, pct: bool = False) -> str:
    if now is None:
        return "unknown"
    if before is None:
        return f"{now:g} (no previous period)"
    d = now - before
    rel = f", {d / before:+.0%}" if pct and before else ""
    return f"{now:g} (previous {before:g}, {d:+g}{rel})"


def _md(s: str) -> str:
    """Markdown-inert text: a nickname such as ``*x*`` or ``[a](b)`` shows as typed."""
    return "".join("\\" + c if c in "\\`*_[]<>#|~" else c for c in s)


def _names(items: list[dict], esc, extra=None) -> str:
    """``2: a, b`` for a few members, ``12 members (a, b, c, d, e and 7 more)`` for many."""
    shown = [esc(d["member_name"]) + (f" ({extra(d)})" if extra else "") for d in items]
    return f"{len(shown)}: {', '.join(shown)}" if len(shown) <= SHOWN else listing(shown, "member", shown=SHOWN)


def _lines(d: dict, esc, tz: str) -> list[tuple[str, str]]:
    start = d["start"].tz_convert(tz)
    end = (d["end"] - pd.Timedelta(seconds=1)).tz_convert(tz)
    what = f"{d['period_by']} {start:%Y-%m-%d} – {end:%Y-%m-%d}" + (" (so far)" if d["partial"] else "")
    lines = [("period", what), ("messages", _change(d["messages"], d["messages_prev"], pct=True)),
             ("speakers", _change(d["speakers"], d["speakers_prev"]))]
    lines.append(("new members", _names(d["new_members"], esc) if d["new_members"] else "0"))
    if d["went_quiet"]:
        lines.append(("went quiet", _names(d["went_quiet"], esc)))
    if d["new_lurkers"]:
        lines.append(("new lurkers", _names(d["new_lurkers"], esc, lambda x: f"was {x['was']}")))
    if d["top_talkers"]:
        lines.append(("top talkers", ", ".join(f"{esc(t['member_name'])} {t['messages']}" for t in d["top_talkers"])))
    if d["hot_words"]:
        lines.append(("hot words", ", ".join(esc(w) for w in d["hot_words"])))
    if d["risk_score"] is not None:
        prev = (f" (previous {d['risk_score_prev']:g} {d['risk_level_prev']}, "
                f"{d['risk_score'] - d['risk_score_prev']:+g})") if d["risk_score_prev"] is not None else ""
        lines.append(("risk", f"{d['risk_score']:g}/100 {d['risk_level']}{prev}: "
                      + "; ".join(esc(r) for r in d["risk_reasons"][:2])))
    if d["rollcall"]:
        rc = d["rollcall"]
        lines.append(("roll call", f"{rc['announced'].tz_convert(tz):%Y-%m-%d %H:%M} by {esc(rc['announcer_name'])}: "
                      f"{rc['answered']} answered, {rc['missing']} did not"))
    return lines


def render_digest(docs: list[dict], markdown: bool = False, tz: str = DEFAULT_TZ) -> str:
    """Plain text (a mail body, a chat message) or Markdown, one block per group, riskiest first."""
    out = []
    for d in docs:
        if markdown:
            out.append(f"### {_md(d['group_name'])}\n")
            out += [f"- **{k}**: {v}" for k, v in _lines(d, _md, tz)]
        else:
            out.append(d["group_name"])
            out += [f"  {k:<12} {v}" for k, v in _lines(d, str, tz)]
        out.append("")
    return "\n".join(out)
