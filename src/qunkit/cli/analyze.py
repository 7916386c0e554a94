"""``qunkit analyze``: import if given a file, then the overview of each group (``qunkit.commands.analyze``)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from ..errors import BadInput
from .importing import import_flags, import_paths, parse_options
from .options import engine_options, lexicon_option, scope_options, store_option
from .output import output_options
from .progress import group_progress


@click.command("analyze")
@click.argument("targets", nargs=-1)
@import_flags(("--roster-group",), with_tz=False)
@engine_options
@scope_options
@store_option
@lexicon_option
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the HTML report of these groups (as qunkit report) to this file.")
@output_options
def analyze_cmd(targets, input_format, strict, force, roster, roster_dir, roster_group, self_id, year, dayfirst,
                chat_name, engine, scope, tz, store_dir, lexicon, html_path, quiet):
    """Overview of groups: activity, member roles, dead-group risk, benchmarks.

    TARGETS are export files (imported into the store first) or group names/ids
    already in the store; none means every group in the store.  Each group also
    shows its type (seed 002) beside the risk and, when the figures support it,
    advice on splitting or seeding a 2群 and whom to move first (seed 000).

    \b
    Examples:
      qunkit analyze samples/qq-group-sample.txt --roster samples/qq-group-sample-roster.csv
      qunkit analyze 读书会 --as-of 2024-06-30
      qunkit analyze --format json | jq '.[] | {group_name, active_rate_monthly}'
      qunkit analyze --format csv -o groups.csv      # one row per group
      qunkit analyze export.txt --html report.html   # and the HTML report (qunkit report)
    """
    from ..commands.analyze import analyze
    from ..commands.loading import open_store

    store = open_store(store_dir)
    files = [Path(t) for t in targets if Path(t).exists()]
    names = [t for t in targets if not Path(t).exists()]
    groups = list(scope.groups) + names
    if files:
        options = parse_options(tz, self_id, year, chat_name, dayfirst)
        results = import_paths(store, files, fmt=input_format, options=options, strict=strict, force=force,
                               roster=roster, roster_group=roster_group, quiet=quiet, roster_dir=roster_dir)
        for res in results:
            groups += list(res.report.groups)
    if targets and not groups:
        raise BadInput("nothing to analyse: the files held no messages")
    scope = replace(scope, groups=tuple(dict.fromkeys(groups)))
    if html_path is not None:
        from ..commands.report import report
        from .output import write_atomic

        write_atomic(html_path, report(store, scope, lexicon=lexicon, tz=tz, hint="qunkit analyze FILE").text)
    with group_progress("analyze", quiet) as bar:
        return analyze(store, scope, lexicon=lexicon, tz=tz, engine=engine, progress=bar)
