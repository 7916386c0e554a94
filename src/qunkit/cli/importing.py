"""``qunkit import`` and ``qunkit formats``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..safetext import safe_text
from .options import FIRST_YEAR, LAST_YEAR, store_option, tz_option
from .output import output_options
from .progress import ImportProgress

if TYPE_CHECKING:
    from ..formats import ParseOptions
    from ..unchanged import ImportResult


def import_paths(store, paths, *, fmt, options, strict, force, roster, roster_group, quiet, roster_dir=None):
    """Import ``paths`` with ``qunkit.ingest.import_files`` (which owns every import rule, the roster ones
    included: folders, rosters matched by name), printing each file's summary to stderr as it finishes
    unless ``quiet``.  ``fmt`` is the *input* format name (None: sniffed)."""
    from ..ingest import import_files

    return import_files(store, paths, input_format=fmt, options=options, strict=strict, force=force,
                        roster=roster, roster_group=roster_group, roster_dir=roster_dir,
                        progress_factory=lambda p: ImportProgress(safe_text(f"importing {p.name}"), enabled=not quiet),
                        on_result=None if quiet else _summary)


def _say(line: str, err: bool = True) -> None:
    """One summary line on stderr; file names, group names and excerpts are chat text: made terminal-safe."""
    click.echo(safe_text(line), err=err)


def _summary(res: ImportResult) -> None:
    r = res.report
    if res.skipped:
        _say(f"{r.file}: not imported: {res.skipped}", err=True)
        return
    if res.skipped_unchanged:
        _say(f"{r.file}: unchanged since last import; nothing added (--force re-reads it)", err=True)
        _roster_summary(res)
        return
    groups = ", ".join(f"{g} (+{res.added.get(g, 0)})" for g in list(r.groups)[:6])
    more = f" and {len(r.groups) - 6} more" if len(r.groups) > 6 else ""
    _say(f"{r.file}: {r.format}, {r.encoding or 'n/a'}; {r.messages} messages parsed, {res.added_total} added, "
               f"{res.duplicates} already stored; groups: {groups}{more}", err=True)
    if r.bad_lines:
        _say(f"  {r.bad_lines} line(s) not understood (imported the rest); first ones:", err=True)
        for issue in r.issues[:5]:
            _say(f"    {issue}", err=True)
    for note in r.notes:
        _say(f"  note: {note}", err=True)
    if r.truncated:
        _say("  warning: the file looks truncated; what was complete was imported", err=True)
    _roster_summary(res)


def _roster_summary(res: ImportResult) -> None:
    if res.roster_group:
        _say(f"  roster: {res.roster_members} members attached to {res.roster_group}", err=True)
        rr = res.roster_report
        if rr is not None and rr.bad_lines:
            _say(f"  roster: {rr.bad_lines} row(s) not understood; first ones:", err=True)
            for issue in rr.issues[:5]:
                _say(f"    {issue}", err=True)


def parse_options(tz: str, self_id: str | None, year: int | None, chat_name: str | None = None,
                  dayfirst: bool | None = None) -> ParseOptions:
    from ..formats import ParseOptions

    return ParseOptions(tz=tz, self_id=self_id, year=year, group=chat_name, dayfirst=dayfirst)


def import_flags(group_flags: tuple[str, ...] = ("--roster-group", "--group"),
                 with_tz: bool = True):
    """Options of every command that imports.  ``analyze`` renames the ones its
    own --group/--tz already use."""

    def deco(f):
        f = click.option("--input-format", "--fmt", "input_format", default=None, metavar="NAME",
                         help="Export format of the input; default: sniffed from the file. See `qunkit formats`.")(f)
        f = click.option("--strict", is_flag=True,
                         help="Fail (exit 3, nothing written) on any line not understood.")(f)
        f = click.option("--force", is_flag=True, help="Re-read a file even if it was imported unchanged before.")(f)
        f = click.option("--roster", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                         help="Member roster (CSV/XLSX: QQ号/微信号, 昵称/群名片, 身份, 入群时间) "
                              "for the export's group.")(f)
        f = click.option("--roster-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
                         default=None, help="Where to look for rosters named after the exports "
                                            "(X.roster.csv, X-roster.csv, X.xlsx); beside each export first.")(f)
        f = click.option(*group_flags, "roster_group", default=None,
                         help="Which group the roster belongs to when the export holds several.")(f)
        f = click.option("--self", "self_id", default=None,
                         help="Id to give the exporting account's own messages (我 / IsSender=1).")(f)
        f = click.option("--year", type=click.IntRange(FIRST_YEAR, LAST_YEAR), default=None, help="Year for exports whose timestamps lack one.")(f)
        f = click.option("--dayfirst/--monthfirst", default=None,
                         help="WhatsApp date order when no date in the file decides it (default: day-first).")(f)
        f = click.option("--chat-name", default=None, metavar="NAME",
                         help="Name of the chat for exports that carry none (WeChatMsg names it by the file).")(f)
        return tz_option(f) if with_tz else f

    return deco


def _old_format(value: str) -> str:
    """``import --format qq-txt`` from before --input-format existed."""
    return f"--format is the summary's rendering; use --input-format {value}"


def _system_allocator() -> None:
    """An import allocates Arrow memory with the C library's malloc (unless $ARROW_DEFAULT_MEMORY_POOL
    says otherwise): on the 992k-message QQ export with two parse threads, peak RSS 370-391 MB against
    437-457 MB with Arrow's default mimalloc (which keeps freed pages per thread), and no slower.  Read
    by pyarrow when it loads, so set before it does; switching the pool later kept ~40 MB of it."""
    if "pyarrow" in sys.modules:
        import pyarrow as pa

        if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
            pa.set_memory_pool(pa.system_memory_pool())
    else:
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--facts", is_flag=True,
              help="Keep per-message facts and aggregates (for `qunkit sql`) from now on, as `qunkit rebuild` "
                   "does; costs about three times the import.")
@import_flags()
@store_option
@output_options(format_hint=_old_format)
def import_cmd(paths, facts, input_format, strict, force, roster, roster_dir, roster_group, self_id, year,
               dayfirst, chat_name, tz, store_dir, quiet):
    """Import chat exports into the store (idempotent: re-importing adds nothing twice).

    The format is sniffed from each file; --input-format NAME overrides it
    (`qunkit formats` lists the names).  A folder is read as a folder of exports
    (its top-level files; ones that are not chat exports are listed, not fatal),
    unless it is itself one export (PyWxDump pages, QCE chunks).  Each export
    takes the roster named after it (X.roster.csv, X-roster.csv or X.xlsx, beside
    it or in --roster-dir) unless --roster names one.  A line per file goes to
    stderr as it is imported (not with --quiet); the summary, one row per file,
    is rendered like every command's result (--format, -o).

    \b
    Examples:
      qunkit import 全部消息记录.txt
      qunkit import 技术交流群.txt --roster 群成员.xlsx
      qunkit import exports/ --roster-dir rosters/ --quiet -o import.json --format json
    """
    _system_allocator()
    from ..commands.importing import import_result
    from ..commands.loading import open_store, store_root
    from ..unchanged import unchanged_import

    # the nightly case first: every file unchanged is decided from imports.json, before pandas loads
    quick = unchanged_import(store_root(store_dir), paths, input_format=input_format, force=force, roster=roster,
                             roster_dir=roster_dir, facts=facts, on_result=None if quiet else _summary)
    if quick is not None:
        return import_result(quick)
    store = open_store(store_dir)
    if facts:
        from ..derived import enable

        with store.lock():
            enable(store)
    results = import_paths(store, paths, fmt=input_format,
                           options=parse_options(tz, self_id, year, chat_name, dayfirst), strict=strict, force=force,
                           roster=roster, roster_group=roster_group, quiet=quiet, roster_dir=roster_dir)
    return import_result(results)


@click.command("formats")
@output_options
def formats_cmd(quiet):
    """List the export formats qunkit reads (the names --input-format takes)."""
    from ..commands.groups import formats

    return formats()
