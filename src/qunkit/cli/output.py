"""The one output contract: every command's ``--format``, ``-o/--output``, ``-v/--verbose`` and ``--quiet``.

A command function decorated with ``output_options`` returns a
``qunkit.commands.result.Result``; the decorator renders it and exits with its
code.  ``--format table`` is rich on a terminal and plain text when piped (or
written with ``-o``), with the notes under it; ``json``/``csv`` carry only the
rows and the notes go to stderr, so the machine-readable stream stays clean.
``-o PATH`` writes exactly what stdout would have got to PATH (through a
temporary file renamed over it, so a reader never sees half a file).
``--verbose`` lists every name a note summarises; ``--quiet`` drops the notes.

Only click is imported here: rendering (pandas, rich) is loaded when a result
is rendered, never for ``--help``.
"""

from __future__ import annotations

import functools
import io
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..private import FILE_MODE, make_dirs
from ..safetext import safe_text

if TYPE_CHECKING:
    from ..commands.result import Result

FORMATS = ("table", "json", "csv")


def is_terminal(stream: Any = None) -> bool:
    stream = stream or sys.stdout
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class OutputFormat(click.Choice):
    """table/json/csv; ``hint(value)`` adds a pointer for values a command's old ``--format`` took."""

    def __init__(self, hint: Callable[[str], str | None] | None = None, choices: tuple[str, ...] = FORMATS) -> None:
        super().__init__(choices)
        self.hint = hint

    def convert(self, value, param, ctx):
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            extra = self.hint(value) if self.hint else None
            if extra:
                self.fail(f"{value!r} is not {', '.join(self.choices)}: {extra}", param, ctx)
            raise


def output_options(f: Callable | None = None, *, path_option: bool = True,
                   format_hint: Callable[[str], str | None] | None = None,
                   formats: tuple[str, ...] = FORMATS) -> Callable:
    """Add the output options to a command that returns a ``Result``; render it and exit with its code.

    ``path_option=False`` leaves ``-o/--output`` to the command (``export`` names its destination with it).
    The command receives ``quiet`` (no notes, no progress bars).  ``formats`` other than table/json/csv
    (``digest``'s text and markdown) are passed to the command as ``fmt``: it renders them into
    ``Result.text``; json still goes through the one JSON renderer."""
    custom = formats != FORMATS

    def deco(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, fmt: str, verbose: bool, quiet: bool, out_path: Path | None = None, **kwargs):
            if out_path is not None and str(out_path) in FORMATS:  # `--output json` from before -o was a path
                raise click.BadParameter(f"-o/--output names a file now; use --format {out_path}",
                                         param_hint="-o/--output")
            result = fn(*args, quiet=quiet, **({"fmt": fmt} if custom else {}), **kwargs)
            render(result, fmt, out_path, verbose=verbose, quiet=quiet)
            if result.exit_code:
                click.get_current_context().exit(result.exit_code)

        w = click.option("--quiet", "-q", is_flag=True, help="Print only results and errors (no notes).")(wrapper)
        w = click.option("--verbose", "-v", is_flag=True,
                         help="Notes list every group and member they name instead of the first few.")(w)
        if path_option:
            w = click.option("--output", "-o", "out_path", type=click.Path(dir_okay=False, path_type=Path),
                             default=None, help="Write the rendering to this file (atomically) instead of stdout.")(w)
        helptext = ("table (rich on a terminal, plain text in pipes), json, or csv." if not custom
                    else ", ".join(formats) + ".")
        return click.option("--format", "fmt", type=OutputFormat(format_hint, formats), default=formats[0],
                            show_default=True, help=helptext)(w)

    return deco(f) if f is not None else deco


def render(result: Result, fmt: str = "table", out_path: Path | None = None, *, verbose: bool = False,
           quiet: bool = False) -> None:
    """Write ``result`` in ``fmt`` to stdout or ``out_path``; notes as the contract above says."""
    from ..commands.result import note_lines

    notes = [] if quiet else [safe_text(n) for n in note_lines(result.notes, verbose)]
    to_terminal = out_path is None and is_terminal()
    if result.text is not None:
        text = safe_text(result.text)
        body, side = text if text.endswith("\n") else text + "\n", notes
    elif fmt in ("json", "csv"):
        body, side = _machine(result, fmt), notes
    elif to_terminal:
        _rich(result, notes)
        return
    else:
        body, side = _plain(result, notes), []
    if out_path is None:
        click.echo(body, nl=False)
    else:
        write_atomic(out_path, body)
    for n in side:
        click.echo(f"note: {n}", err=True)


def _machine(result: Result, fmt: str) -> str:
    from . import render as r

    if fmt == "json":
        rows = result.rows
        if result.columns is not None and hasattr(rows, "columns"):
            rows = rows[list(result.columns)]
        return r.to_json(rows) + "\n"
    return r.to_csv(result.flat if result.flat is not None else result.rows,
                    None if result.flat is not None else result.columns)


def _view(result: Result) -> tuple[Any, Any]:
    table = result.table() if callable(result.table) else result.table
    table = table if table is not None else result.rows
    return table, result.table_columns or result.columns


def _plain(result: Result, notes: list[str]) -> str:
    from . import render as r

    if result.render_table is not None:
        buf = io.StringIO()
        result.render_table(r.console(buf))
        text = buf.getvalue()
    else:
        table, cols = _view(result)
        text = r.to_text_table(table, cols, result.title)
    return text + "".join(f"note: {n}\n" for n in notes)


def _rich(result: Result, notes: list[str]) -> None:
    from rich.text import Text

    from . import render as r

    con = r.console()
    if result.render_table is not None:
        result.render_table(con)
    else:
        table, cols = _view(result)
        con.print(r.rich_table(table, cols, result.title))
    for n in notes:
        con.print(Text(f"note: {n}", style="dim"))


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file in the same directory, renamed over it;
    the file is owner-only (0600, ``qunkit.private``), like the store it was computed from."""
    path = Path(path)
    make_dirs(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
