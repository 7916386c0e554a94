"""``qunkit analyze``: import if given a file, then the overview of each group."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from ..analysis.overview import overview
from ..analysis.risk import group_risk
from ..analysis.roles import assign_roles
from ..analysis.text_features import compute_features
from ..errors import BadInput
from .importing import import_flags, import_paths, parse_options
from .options import load_scope, open_store, quiet_option, scope_options, store_option
from .output import console, emit


@click.command("analyze")
@click.argument("targets", nargs=-1)
@import_flags("--input-format", ("--roster-group",), with_tz=False)
@scope_options
@store_option
@quiet_option
@click.option("--lexicon", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Extra word lists for the roles engine (JSON or text; see README).")
@click.option("--format", "--output", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="table for people, json for scripts.")
def analyze_cmd(targets, input_format, strict, force, roster, roster_group, self_id, year, dayfirst, chat_name, scope, tz,
                store_dir, quiet, lexicon, fmt):
    """Overview of groups: activity, member roles, dead-group risk, benchmarks.

    TARGETS are export files (imported into the store first) or group names/ids
    already in the store; none means every group in the store.

    \b
    Examples:
      qunkit analyze samples/qq-group-sample.txt --roster samples/qq-group-sample-roster.csv
      qunkit analyze 读书会 --as-of 2024-06-30
      qunkit analyze --format json | jq '.[] | {group_name, active_rate_monthly}'
    """
    store = open_store(store_dir)
    files = [Path(t) for t in targets if Path(t).exists()]
    names = [t for t in targets if not Path(t).exists()]
    groups = list(scope.groups) + names
    if files:
        results = import_paths(store, files, fmt=input_format, options=parse_options(tz, self_id, year, chat_name, dayfirst),
                               strict=strict, force=force, roster=roster, roster_group=roster_group,
                               quiet=quiet or fmt != "table")
        for res in results:
            groups += list(res.report.groups)
    if targets and not groups:
        raise BadInput("nothing to analyse: the files held no messages")
    scope = replace(scope, groups=tuple(dict.fromkeys(groups)))
    messages, members, as_of = load_scope(store, scope, hint="qunkit analyze FILE")
    ov = overview(messages, members, as_of)
    features = compute_features(messages, as_of, lexicon, members=members)
    roles = _current(assign_roles(messages, members, as_of, lexicon, features=features), members, as_of)
    risk = group_risk(messages, members, as_of, features=features)
    risk_by = {r["group_id"]: r for r in risk.to_dict("records")}
    if fmt == "json":
        emit([_json_group(row, roles, risk_by.get(row["group_id"])) for row in ov.to_dict("records")], "json")
        return
    from ..report.terminal import group_lines, print_group

    con = console()
    for row in ov.to_dict("records"):
        print_group(con, group_lines(row, tz, roles[roles["group_id"] == row["group_id"]],
                                     risk_by.get(row["group_id"])))


def _current(roles, members, as_of):
    """Roles of the members still in the group at ``as_of`` (an overview counts who is there now;
    ``qunkit roles`` lists former members too)."""
    gone = members["left"].notna() & (members["left"] <= as_of)
    gone |= members["roster_known"] & ~members["in_roster"]
    key = members["group_id"].astype(str) + "\0" + members["member_id"].astype(str)
    left = set(key[gone])
    return roles[~(roles["group_id"].astype(str) + "\0" + roles["member_id"].astype(str)).isin(left)]


def _json_group(row: dict, roles, risk: dict | None) -> dict:
    """The overview plus role counts, the members of each role and the risk verdict."""
    mine = roles[roles["group_id"] == row["group_id"]]
    row = dict(row)
    row["roles"] = {
        role: {"count": len(g), "members": [{"member_id": m, "member_name": n, "messages": int(k)}
                                            for m, n, k in zip(g["member_id"], g["member_name"], g["messages"],
                                                               strict=True)]}
        for role, g in mine.groupby("role", sort=False)
    }
    row["risk"] = None if risk is None else {k: risk[k] for k in ("score", "level", "reasons", "features")}
    return row
