"""Check a store for damage, say how to repair it, and repair what is safe.

What is looked at, per group folder and for the store as a whole:

- parts that cannot be read whole (a truncated copy, a disk error): ``--repair`` moves them aside as
  ``.corrupt-*`` and forgets the imports that wrote the group, so re-importing those files restores
  the rows (the files are named);
- a missing or bad ``meta.json`` beside readable parts: rebuilt from the parts when they name exactly
  this folder's group, else left for a person;
- a group folder without parts (an import interrupted before qunkit committed parts first): removed
  unless it holds a roster;
- ``imports.json``: unreadable (moved aside: the next imports re-read their files, dedup keeps it
  exact), or entries whose groups are gone (dropped, so the file is read again);
- facts and aggregates (``qunkit.derived``) stale or missing for a group (recomputed, as
  ``qunkit rebuild`` does), or left behind by a group whose messages are gone (removed);
- leftovers of interrupted writes (``.tmp-*``) and compaction journals (``compact.json``): finished or
  removed by the store's own recovery, which runs whenever a writer takes the lock.

Checking takes no lock and changes nothing; repairing takes the store lock, so it never races an
import.  Groups that are fine keep working while another one is damaged.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .derived import TABLES, orphans, refresh, stale_groups
from .errors import StoreError
from .store import Store, valid_meta


@dataclass
class Finding:
    """One problem in the store: where, what, and what repairing does about it."""

    group: str          # group name (or folder key); "" for the store as a whole
    problem: str
    path: str
    repair: str         # what --repair does, or what a person must do
    safe: bool = True   # whether --repair fixes it
    status: str = "found"

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Checkup:
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def damaged(self) -> bool:
        return any(f.status != "repaired" for f in self.findings)


def check(store: Store) -> Checkup:
    """Every problem in ``store`` (read-only)."""
    if not store.root.is_dir():
        raise StoreError(f"no store at {store.root}")
    out = Checkup()
    for gdir in store.group_dirs():
        out.findings += _check_group(store, gdir)
    out.findings += _check_derived(store)
    out.findings += _check_imports(store)
    out.findings += [Finding("", "leftover of an interrupted write (or of an import running now)", str(p),
                             "deleted under the store lock") for p in _leftovers(store.root)]
    corrupt = sorted(store.root.rglob(".corrupt-*"))
    if corrupt:
        out.notes.append(f"{len(corrupt)} part(s) moved aside earlier (.corrupt-*) are kept for inspection; "
                         "delete them once their rows are re-imported")
    if not out.findings:
        out.notes.append(f"store {store.root} is healthy: {len(_metas(store))} group(s)")
    return out


def repair(store: Store) -> Checkup:
    """Fix what ``check`` finds and is safe to fix, under the store lock; returns the findings with
    their status (repaired / remaining), re-checked after the repair."""
    before = check(store)
    notes: list[str] = []
    with store.lock():          # taking the lock finishes journals and deletes .tmp-* leftovers
        for f in before.findings:
            if f.safe:
                notes += _repair_one(store, f)
        _repair_derived(store)     # last: the repairs above may have changed a group's messages
    after = check(store)
    remaining = {(f.problem, f.path) for f in after.findings}
    for f in before.findings:
        f.status = "remaining" if (f.problem, f.path) in remaining else "repaired"
    new = [f for f in after.findings if (f.problem, f.path) not in {(b.problem, b.path) for b in before.findings}]
    for f in new:
        f.status = "remaining"
    return Checkup(before.findings + new, after.notes + notes)


# -- checks ---------------------------------------------------------------------------------------------
def _check_group(store: Store, gdir: Path) -> list[Finding]:
    key, out = gdir.name, []
    parts = store.parts(key)
    meta_path = gdir / "meta.json"
    meta = valid_meta(_load(meta_path))
    name = meta["group_name"] if meta else key
    if (gdir / "compact.json").exists():
        out.append(Finding(name, "compaction journal left by an interrupted compaction", str(gdir / "compact.json"),
                           "compaction finished (old parts deleted) under the store lock"))
    if not parts:
        if any(store.part_dir(key).glob(".corrupt-*")):
            out.append(Finding(name, "every part was unreadable and moved aside", str(gdir),
                               "re-import the group's export (`qunkit import FILE`) to restore it", safe=False))
        else:
            roster = (gdir / "roster.parquet").exists()
            out.append(Finding(name, "group folder without messages (an interrupted import)", str(gdir),
                               "keep: it holds a roster; re-import the group's export" if roster
                               else "folder removed", safe=not roster))
        return out
    for part, why in store.unreadable_parts(key).items():
        out.append(Finding(name, f"unreadable part: {why}", str(part),
                           "moved aside as .corrupt-*; the imports that wrote the group are forgotten, so "
                           "re-importing their files restores the rows"))
    if meta is None:
        rebuilt = store.meta_from_parts(key)
        what = "missing" if not meta_path.exists() else "bad"
        out.append(Finding(key, f"meta.json {what}", str(meta_path),
                           "rebuilt from the group's parts" if rebuilt else
                           "cannot rebuild (parts unreadable or of another group): re-import the export "
                           "or delete the folder", safe=rebuilt is not None))
    return out


def _check_derived(store: Store) -> list[Finding]:
    """Readable groups whose facts/aggregates are stale or missing, and derived tables left by groups
    whose messages are gone."""
    metas = _metas(store)
    out = [Finding(metas[key]["group_name"], f"facts and aggregates stale: {why}",
                   str(store.groups_dir / key / "derived.json"),
                   "recomputed from the group's messages (what `qunkit rebuild` does)")
           for key, why in stale_groups(store, metas).items()]
    out += [Finding(key, "facts and aggregates of a group without messages", str(store.table_dir("facts", key)),
                    "removed") for key in orphans(store)]
    return out


def _check_imports(store: Store) -> list[Finding]:
    path = store.root / "imports.json"
    if not path.exists():
        return []
    imports = _load(path)
    if not isinstance(imports, dict):
        return [Finding("", "imports.json unreadable", str(path),
                        "moved aside: the next import of each file reads it again (nothing is stored twice)")]
    gone = _entries_gone(store, imports)
    return [Finding("", f"imports.json remembers {e.get('file', '?')} but its group(s) are gone", str(path),
                    "entry dropped: importing the file again reads it") for e in gone.values()]


def _entries_gone(store: Store, imports: dict) -> dict[str, dict]:
    """Entries whose groups have no parts any more (a damaged group is not gone: it has its own finding)."""
    present = {g.name for g in store.group_dirs() if store.parts(g.name)}
    names = {n for m in _metas(store).values() for n in [m.get("group_name"), *m.get("names", [])]}
    gone = {}
    for fp, e in imports.items():
        keys = e.get("keys") if isinstance(e, dict) else None
        if not isinstance(e, dict):
            gone[fp] = {"file": "?"}
        elif keys is not None and not set(keys) <= present:
            gone[fp] = e
        elif keys is None and not set(e.get("groups", [])) <= names:
            gone[fp] = e
    return gone


def _leftovers(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob(".tmp-*"))


# -- repairs --------------------------------------------------------------------------------------------
def _repair_one(store: Store, f: Finding) -> list[str]:
    """Apply the repair ``f.repair`` describes; returns notes for the person (files to re-import)."""
    path = Path(f.path)
    if f.problem.startswith("unreadable part") and path.exists():
        store.quarantine(path)
        files = _forget_group(store, store.key_of_part(path), f.group)
        if files:
            return [f"re-import to restore the rows of {f.group}: " + ", ".join(files)]
        return [f"re-import the export of {f.group} to restore the rows of {path.name}"]
    elif f.problem.startswith("meta.json"):
        meta = store.meta_from_parts(path.parent.name)
        if meta is not None:
            store.write_meta(path.parent.name, meta)
    elif f.problem.startswith("group folder without messages"):
        for folder in (path, store.part_dir(path.name)):
            if folder.is_dir():
                shutil.rmtree(folder)
    elif f.problem == "imports.json unreadable" and path.exists():
        os.replace(path, path.with_name(".corrupt-imports.json"))
    elif f.problem.startswith("imports.json remembers"):
        imports = store.read_imports()
        for fp in _entries_gone(store, imports):
            imports.pop(fp, None)
        store.write_imports(imports)
    elif f.problem.startswith("leftover") and path.exists():
        path.unlink()
    return []


def _repair_derived(store: Store) -> None:
    """Recompute stale facts/aggregates and drop those of groups without messages (lock held)."""
    for key in stale_groups(store, _metas(store)):
        refresh(store, key)
    for key in orphans(store):
        store.drop_tables(key, TABLES)


def _forget_group(store: Store, key: str, name: str) -> list[str]:
    """Drop the imports.json entries of the files that wrote group ``key`` (so they are read again);
    returns those files."""
    try:
        imports = store.read_imports()
    except StoreError:
        return []
    keep = {fp: e for fp, e in imports.items()
            if not (key in e.get("keys", []) or ("keys" not in e and name in e.get("groups", [])))}
    if len(keep) == len(imports):
        return []
    store.write_imports(keep)
    return [str(e.get("file", "?")) for fp, e in imports.items() if fp not in keep]


def _metas(store: Store) -> dict[str, dict]:
    """The readable groups' metas; {} when none is readable (doctor reports why, group by group)."""
    try:
        return store.metas()
    except StoreError:
        return {}


def _load(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
