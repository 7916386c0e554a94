"""``qunkit export``: options in, one ``qunkit.commands.export`` call out.

Its ``-o/--output`` is the one exception to the output contract's meaning: it
names where the export goes (a directory, or a file for one group); the
summary of files written is rendered on stdout with --format.
"""

from __future__ import annotations

from pathlib import Path

import click

from .options import scope_options, store_option
from .output import output_options


def _old_format(value: str) -> str | None:
    """``export --format chatlab`` from before --to existed."""
    return f"--format renders the summary; use --to {value}" if value == "chatlab" else None


@click.command("export")
@click.option("--to", type=click.Choice(["chatlab"]), default="chatlab", show_default=True,
              help="File format: chatlab = ChatLab's interchange format v0.0.2 (the ChatLab desktop app imports it).")
@click.option("--jsonl", is_flag=True, help="Write JSONL (one record a line; ChatLab's layout for huge chats) "
                                             "instead of JSON.")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None,
              help="Directory for the files (created if missing; default: the current directory), or a file "
                   "name ending in .json/.jsonl when exporting exactly one group.")
@scope_options
@store_option
@output_options(path_option=False, format_hint=_old_format)
def export_cmd(to, jsonl, output, scope, tz, store_dir, quiet):
    """Write groups from the store as ChatLab files, one file per group.

    Every group is exported unless --group names some; --since/--until/--as-of
    limit the messages.  Files are named <group>-<key>.json(l) after a safe slug
    of the group name and the store's group key.  The files written are the
    result (--format table/json/csv): one row per file.  ChatLab has no fields for titles, @mentions (they stay in the
    text) or sub-second times; system lines are written with their text, from
    which events are read again on import.

    \b
    Examples:
      qunkit export --to chatlab --group 技术交流群 -o 技术交流群.json
      qunkit export --to chatlab --jsonl -o exports/
      qunkit export --to chatlab --since 2024-01-01 --until 2024-04-01 -o q1/
    """
    from ..commands.export import export
    from ..commands.loading import open_store

    return export(open_store(store_dir), scope, output, to=to, jsonl=jsonl)
