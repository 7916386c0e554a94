"""The ``qunkit analyze`` overview for people: rich on a terminal, plain text in pipes.

Every piece of chat text (group and member names) is escaped before it reaches
rich, so a nickname like ``[bold red]`` or ``[link=...]`` prints as itself.
"""

from __future__ import annotations

import math

import pandas as pd
from rich.markup import escape

from ..localtime import DEFAULT_TZ
from .sparkline import sparkline


def _pct(x) -> str:
    return "unknown" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1%}"


def _day(ts: pd.Timestamp, tz: str) -> str:
    return ts.tz_convert(tz).strftime("%Y-%m-%d")


def group_lines(row: dict, tz: str = DEFAULT_TZ, roles: pd.DataFrame | None = None,
                risk: dict | None = None, group_type: dict | None = None,
                split: list[dict] | None = None) -> list[tuple[str, str]]:
    """(style, text) lines for one group; text is plain (not yet escaped)."""
    out: list[tuple[str, str]] = []
    out.append(("title", f"{row['group_name']}  ({row['platform']}, {row['group_id']})"
                if row["group_name"] != row["group_id"] else f"{row['group_name']}  ({row['platform']})"))
    out.append(("", f"period      {_day(row['first'], tz)} → {_day(row['last'], tz)} ({row['days']} days); "
                    f"judged as of {_day(row['as_of'], tz)}"))
    out.append(("", f"messages    {row['messages']}  from {row['speakers']} speakers"))
    src = "roster" if row["members_source"] == "roster" else \
        "seen in the log; no roster, so lurkers and active rates cannot be counted: import one with --roster"
    out.append(("", f"members     {row['members']}  ({src}); never spoke: {row['silent_members']}"))
    out.append(("", "active rate " + "   ".join(
        f"{k} {_pct(row[f'active_rate_{k}'])} ({row[f'speakers_{k}']} speakers)" for k in ("daily", "weekly", "monthly"))))
    out.append(("", f"per week    {sparkline(row['weekly_messages'])}  (last {len(row['weekly_messages'])} weeks, "
                    f"peak {max(row['weekly_messages'], default=0)})"))
    tops = ", ".join(f"{t['member_name']} {t['messages']} ({t['share']:.0%})" for t in row["top_speakers"])
    out.append(("", f"top         {tops or '-'}"))
    if roles is not None and len(roles):
        out.append(("head", "roles"))
        for role, g in roles.groupby("role", sort=False):
            names = ", ".join(g.sort_values("messages", ascending=False)["member_name"].astype(str).head(6))
            more = f" +{len(g) - 6}" if len(g) > 6 else ""
            out.append(("", f"  {role:<11} {len(g):>4}  {names}{more}"))
    if risk is not None:
        out.append(("risk", f"risk        {risk['score']:.0f}/100 {risk['level']}"))
        for reason in risk.get("reasons", [])[:5]:
            out.append(("", f"  - {reason}"))
    if group_type is not None:
        sub = f": {group_type['subtype']}" if group_type.get("subtype") else ""
        conf = f" (confidence {group_type['confidence']:.2f})" if group_type["group_type"] != "unclear" else ""
        out.append(("", f"type        {group_type['group_type']}{sub}{conf}"
                        + ("; not worth saving" if not group_type.get("worth_saving", True) else "")))
        out.append(("dim", f"  {group_type['reason']}"))
    if split:
        out.append(("head", "size and splitting"))
        for a in split:
            out.append(("", f"  - {a['advice']}: {a['text']}"))
    out.append(("head", "benchmarks"))
    for note in row["benchmarks"]:
        out.append(("dim", f"  {note}"))
    return out


STYLES = {"title": "bold cyan", "head": "bold", "dim": "dim", "risk": "bold yellow", "": ""}


def print_group(console, lines: list[tuple[str, str]]) -> None:
    for style, text in lines:
        safe = escape(text)
        console.print(f"[{STYLES[style]}]{safe}[/]" if STYLES.get(style) else safe, highlight=False)
    console.print()
