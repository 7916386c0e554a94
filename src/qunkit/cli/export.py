"""``qunkit export``: write groups from the store back out in another tool's format (ChatLab).

One file per group, loaded and written one group at a time.  File names are a
slug of the group name plus the store's group key, so no group name (``../x``,
``a/b``) can put a file outside the output directory.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import click

from ..errors import StoreError, UsageProblem
from .options import open_store, quiet_option, scope_options, store_option

FILE_SUFFIXES = (".json", ".jsonl")


def safe_filename(group_name: str, key: str, suffix: str) -> str:
    """``<slug>-<key><suffix>``: letters, digits (any script), ``_`` and ``-`` only."""
    slug = re.sub(r"[^\w-]+", "_", group_name).strip("_-")[:60] or "group"
    return f"{slug}-{key}{suffix}"


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(["chatlab"]), default="chatlab", show_default=True,
              help="Output format: chatlab = ChatLab's interchange format v0.0.2 (the ChatLab desktop app imports it).")
@click.option("--jsonl", is_flag=True, help="Write JSONL (one record a line; ChatLab's layout for huge chats) "
                                             "instead of JSON.")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None,
              help="Directory for the files (created if missing; default: the current directory), or a file "
                   "name ending in .json/.jsonl when exporting exactly one group.")
@scope_options
@store_option
@quiet_option
def export_cmd(fmt, jsonl, output, scope, tz, store_dir, quiet):
    """Write groups from the store as ChatLab files, one file per group.

    Every group is exported unless --group names some; --since/--until/--as-of
    limit the messages.  Files are named <group>-<key>.json(l) after a safe slug
    of the group name and the store's group key.  Each written path is printed
    on stdout.  ChatLab has no fields for titles, @mentions (they stay in the
    text) or sub-second times; system lines are written with their text, from
    which events are read again on import.

    \b
    Examples:
      qunkit export --format chatlab --group 技术交流群 -o 技术交流群.json
      qunkit export --format chatlab --jsonl -o exports/
      qunkit export --format chatlab --since 2024-01-01 --until 2024-04-01 -o q1/
    """
    from ..export.chatlab import write_chatlab

    store = open_store(store_dir)
    metas = store.metas()
    keys = store.keys_for(scope.groups)  # unknown --group: usage error (exit 2)
    if not keys:
        raise StoreError(f"store {store.root} is empty: import an export first (qunkit import FILE)")
    private = [k for k in keys if metas[k].get("chat_type") == "private"]
    if not scope.include_private:
        keys = [k for k in keys if k not in private]
        if private and not quiet:
            click.echo(f"note: {len(private)} one-to-one chat(s) skipped (--include-private exports them)", err=True)
        if not keys:
            raise StoreError("only one-to-one chats selected: add --include-private to export them")
    suffix = ".jsonl" if jsonl else ".json"
    out_file, out_dir = _resolve_output(output, len(keys))
    group_scope = dataclasses.replace(scope, groups=())  # rows are already one group's (any name or id given)
    written = 0
    for key in keys:
        messages, _ = group_scope.apply(store.messages([key]))
        name = metas[key].get("group_name", key)
        if len(messages) == 0:
            if not quiet:
                click.echo(f"note: {name}: no messages in scope, nothing written", err=True)
            continue
        members = store.members([key], messages=messages)
        target = out_file or out_dir / safe_filename(str(name), key, suffix)
        if out_file is None and target.resolve().parent != out_dir.resolve():  # never outside --output
            raise UsageProblem(f"refusing to write {target} outside {out_dir}")
        write_chatlab(messages, members, target, jsonl=jsonl)
        written += 1
        click.echo(str(target))
        if not quiet:
            click.echo(f"note: {name}: {len(messages)} messages, {len(members)} members -> {target}", err=True)
    if written == 0:
        raise StoreError("no messages in scope: nothing exported (check --group, --since/--until, --as-of)")


def _resolve_output(output: Path | None, n_groups: int) -> tuple[Path | None, Path]:
    """(file to write, or None; directory)."""
    if output is not None and output.suffix.lower() in FILE_SUFFIXES and not output.is_dir():
        if n_groups != 1:
            raise UsageProblem(f"--output {output} is a file name but {n_groups} groups are selected: "
                               "give a directory, or one --group")
        output.parent.mkdir(parents=True, exist_ok=True)
        return output, output.parent
    out_dir = output if output is not None else Path.cwd()
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageProblem(f"--output {out_dir} exists and is not a directory")
    out_dir.mkdir(parents=True, exist_ok=True)
    return None, out_dir
