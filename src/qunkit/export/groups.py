"""Export groups from the store one at a time: which groups, where each file goes, and writing it.

One file per group, loaded and written one group at a time.  File names come
from ``qunkit.filenames.safe_filename`` (a slug of the group name plus the
store's group key), so no group name (``../x``, ``a/b``) can put a file
outside the output directory.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from ..analysis.scope import Scope
from ..errors import StoreError, UsageProblem
from ..filenames import safe_filename
from ..private import make_dirs
from .chatlab import write_chatlab

FILE_SUFFIXES = (".json", ".jsonl")
WRITERS = {"chatlab": write_chatlab}  # --to NAME -> writer(messages, members, path, jsonl=...)


@dataclass
class Exported:
    """The files written (one dict per file) and what was left out and why."""

    files: list[dict] = field(default_factory=list)
    skipped_private: int = 0
    empty_groups: list[str] = field(default_factory=list)


def export_groups(store, scope: Scope, output: Path | None = None, *, to: str = "chatlab",
                  jsonl: bool = False) -> Exported:
    """Write every group in ``scope`` to ``output`` (a directory, default the current one, or a
    ``.json``/``.jsonl`` file name when exactly one group is selected)."""
    writer = WRITERS[to]
    metas = store.metas()
    keys = store.keys_for(scope.groups)  # unknown --group: usage error (exit 2)
    if not keys:
        raise StoreError(f"store {store.root} is empty: import an export first (qunkit import FILE)")
    done = Exported()
    if not scope.include_private:
        private = [k for k in keys if metas[k].get("chat_type") == "private"]
        keys = [k for k in keys if k not in private]
        done.skipped_private = len(private)
        if not keys:
            raise StoreError("only one-to-one chats selected: add --include-private to export them")
    suffix = ".jsonl" if jsonl else ".json"
    out_file, out_dir = resolve_output(output, len(keys))
    group_scope = dataclasses.replace(scope, groups=())  # rows are already one group's (any name or id given)
    for key in keys:
        messages, _ = group_scope.apply(store.messages([key]))
        name = str(metas[key].get("group_name", key))
        if len(messages) == 0:
            done.empty_groups.append(name)
            continue
        members = store.members([key], messages=messages)
        target = out_file or out_dir / safe_filename(name, suffix, key)
        if out_file is None and target.resolve().parent != out_dir.resolve():  # never outside --output
            raise UsageProblem(f"refusing to write {target} outside {out_dir}")
        writer(messages, members, target, jsonl=jsonl)
        done.files.append({"file": str(target), "group_id": key, "group_name": name, "messages": len(messages),
                           "members": len(members)})
    if not done.files:
        raise StoreError("no messages in scope: nothing exported (check --group, --since/--until, --as-of)")
    return done


def resolve_output(output: Path | None, n_groups: int) -> tuple[Path | None, Path]:
    """(file to write, or None; directory)."""
    if output is not None and output.suffix.lower() in FILE_SUFFIXES and not output.is_dir():
        if n_groups != 1:
            raise UsageProblem(f"--output {output} is a file name but {n_groups} groups are selected: "
                               "give a directory, or one --group")
        make_dirs(output.parent)
        return output, output.parent
    out_dir = output if output is not None else Path.cwd()
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageProblem(f"--output {out_dir} exists and is not a directory")
    make_dirs(out_dir)
    return None, out_dir
