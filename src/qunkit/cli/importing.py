"""``qunkit import`` and ``qunkit formats``."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import UsageProblem
from ..formats import ParseOptions, parsers
from .options import format_option, open_store, quiet_option, store_option, tz_option
from .output import FORMATS, emit
from .progress import ImportProgress


def import_paths(store, paths, *, fmt, options, strict, force, roster, roster_group, quiet):
    """Import each path, printing a summary line per file to stderr; returns the results.

    A roster belongs to one group: with one file it goes to that file's group (or
    --group); with several files --group must say which, and it is attached once."""
    if roster is not None and len(paths) > 1 and roster_group is None:
        raise UsageProblem(f"--roster with {len(paths)} files: say which group it belongs to with --group NAME")
    per_file = roster if len(paths) == 1 else None
    results = []
    for path in paths:
        with ImportProgress(f"importing {Path(path).name}", enabled=not quiet) as bar:
            res = store.import_file(path, fmt=fmt, options=options, strict=strict, force=force, roster=per_file,
                                    roster_group=roster_group, progress=bar)
        results.append(res)
        if not quiet:
            _summary(res)
    if roster is not None and per_file is None:
        rr, n = store.attach_roster(roster, roster_group, options.tz)
        results[-1].roster_report, results[-1].roster_members, results[-1].roster_group = rr, n, roster_group
        if not quiet:
            _roster_summary(results[-1])
    return results


def _summary(res) -> None:
    r = res.report
    if res.skipped_unchanged:
        click.echo(f"{r.file}: unchanged since last import; nothing added (--force re-reads it)", err=True)
        _roster_summary(res)
        return
    groups = ", ".join(f"{g} (+{res.added.get(g, 0)})" for g in list(r.groups)[:6])
    more = f" and {len(r.groups) - 6} more" if len(r.groups) > 6 else ""
    click.echo(f"{r.file}: {r.format}, {r.encoding or 'n/a'}; {r.messages} messages parsed, {res.added_total} added, "
               f"{res.duplicates} already stored; groups: {groups}{more}", err=True)
    if r.bad_lines:
        click.echo(f"  {r.bad_lines} line(s) not understood (imported the rest); first ones:", err=True)
        for issue in r.issues[:5]:
            click.echo(f"    {issue}", err=True)
    for note in r.notes:
        click.echo(f"  note: {note}", err=True)
    if r.truncated:
        click.echo("  warning: the file looks truncated; what was complete was imported", err=True)
    _roster_summary(res)


def _roster_summary(res) -> None:
    if res.roster_group:
        click.echo(f"  roster: {res.roster_members} members attached to {res.roster_group}", err=True)
        rr = res.roster_report
        if rr is not None and rr.bad_lines:
            click.echo(f"  roster: {rr.bad_lines} row(s) not understood; first ones:", err=True)
            for issue in rr.issues[:5]:
                click.echo(f"    {issue}", err=True)


def parse_options(tz: str, self_id: str | None, year: int | None, chat_name: str | None = None,
                  dayfirst: bool | None = None) -> ParseOptions:
    return ParseOptions(tz=tz, self_id=self_id, year=year, group=chat_name, dayfirst=dayfirst)


def import_flags(input_format_flag: str = "--format", group_flags: tuple[str, ...] = ("--roster-group", "--group"),
                 with_tz: bool = True):
    """Options of every command that imports.  ``analyze`` renames the ones its
    own --format/--group/--tz already use."""

    def deco(f):
        f = click.option(input_format_flag, "--fmt", "input_format", default=None, metavar="NAME",
                         help="Export format of the input; default: sniffed from the file. See `qunkit formats`.")(f)
        f = click.option("--strict", is_flag=True,
                         help="Fail (exit 3, nothing written) on any line not understood.")(f)
        f = click.option("--force", is_flag=True, help="Re-read a file even if it was imported unchanged before.")(f)
        f = click.option("--roster", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                         help="Member roster (CSV/XLSX: QQ号/微信号, 昵称/群名片, 身份, 入群时间) "
                              "for the export's group.")(f)
        f = click.option(*group_flags, "roster_group", default=None,
                         help="Which group the roster belongs to when the export holds several.")(f)
        f = click.option("--self", "self_id", default=None,
                         help="Id to give the exporting account's own messages (我 / IsSender=1).")(f)
        f = click.option("--year", type=int, default=None, help="Year for exports whose timestamps lack one.")(f)
        f = click.option("--dayfirst/--monthfirst", default=None, help="WhatsApp date order when no date in the file decides it (default: day-first).")(f)
        f = click.option("--chat-name", default=None, metavar="NAME",
                         help="Name of the chat for exports that carry none (WeChatMsg names it by the file).")(f)
        return tz_option(f) if with_tz else f

    return deco


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@import_flags()
@store_option
@quiet_option
@click.option("--output", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="Summary format: table (human lines on stderr), json or csv (on stdout, for scripts).")
def import_cmd(paths, input_format, strict, force, roster, roster_group, self_id, year, dayfirst, chat_name, tz,
               store_dir, quiet, fmt):
    """Import chat exports into the store (idempotent: re-importing adds nothing twice).

    The format is sniffed from each file; --format NAME overrides it (note: on
    this command --format names the *input* format; --output sets the summary's).

    \b
    Examples:
      qunkit import 全部消息记录.txt
      qunkit import 技术交流群.txt --roster 群成员.xlsx
      qunkit import exports/*.txt --store ~/qunkit-store --quiet
    """
    store = open_store(store_dir)
    results = import_paths(store, paths, fmt=input_format, options=parse_options(tz, self_id, year, chat_name, dayfirst), strict=strict,
                           force=force, roster=roster, roster_group=roster_group, quiet=quiet or fmt != "table")
    if fmt != "table":
        emit([r.as_dict() for r in results], fmt)


@click.command("formats")
@format_option
def formats_cmd(fmt):
    """List the export formats qunkit reads (the names `qunkit import --format` takes)."""
    rows = [{"format": p.name, "platform": p.platform, "description": p.description} for p in parsers()]
    emit(rows, fmt)
