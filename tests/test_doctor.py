"""``qunkit doctor``: finds each kind of damage, repairs what is safe, other groups keep working."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner
from test_store import msgs, qq_export, write

from qunkit import doctor
from qunkit.cli import cli
from qunkit.ingest import import_file
from qunkit.store import Store


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def build(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    store = tmp_path / "s"
    files = {}
    for i, name in enumerate(["群A", "群B", "群C", "群D"]):
        files[name] = write(tmp_path / f"{i}.txt", qq_export(name, msgs(i + 1, 4)))
        import_file(Store(store), files[name])
    return store, files


def gdir(store: Path, name: str) -> Path:
    return store / "groups" / Store(store).resolve_group(name)


def parts_of(control: Path) -> Path:
    """The message partition of the group whose control folder is ``control``."""
    return Store(control.parent.parent).part_dir(control.name)


def damage(store: Path) -> None:
    """A: corrupt part; B: meta.json {}; C: folder deleted; D: a leftover temp file and a stale journal."""
    a, b, c, d = (gdir(store, n) for n in ("群A", "群B", "群C", "群D"))
    next(parts_of(a).glob("part-*.parquet")).write_bytes(b"PAR1 garbage")
    (b / "meta.json").write_text("{}")
    shutil.rmtree(c)
    shutil.rmtree(parts_of(c))
    (parts_of(d) / ".tmp-part-dead.parquet").write_bytes(b"half")
    (d / "compact.json").write_text(json.dumps({"new": "part-gone.parquet", "old": []}))


def test_a_healthy_store_exits_0(tmp_path: Path) -> None:
    store, _ = build(tmp_path)
    res = run("doctor", "--store", store, "--format", "json")
    assert res.exit_code == 0 and json.loads(res.stdout) == []
    assert "healthy: 4 group(s)" in res.stderr


def test_each_kind_of_damage_is_found_and_others_keep_working(tmp_path: Path) -> None:
    store, _ = build(tmp_path)
    damage(store)
    res = run("doctor", "--store", store, "--format", "json")
    assert res.exit_code == 3
    problems = sorted((f["group"], f["problem"].split(":")[0]) for f in json.loads(res.stdout))
    key_b = gdir(store, "群B").name
    assert problems == sorted([
        ("群A", "unreadable part"), (key_b, "meta.json bad"), ("", "imports.json remembers " + str(tmp_path / "2.txt")
                                                                  + " but its group(s) are gone"),
        ("", "leftover of an interrupted write (or of an import running now)"),
        ("群D", "compaction journal left by an interrupted compaction")])
    groups = run("groups", "--store", store, "--format", "json")     # damage elsewhere: B and D still read
    assert groups.exit_code == 0
    assert sorted(g["group_name"] for g in json.loads(groups.stdout)) == ["群B", "群D"]


def test_repair_then_reimport_leaves_a_healthy_complete_store(tmp_path: Path) -> None:
    store, files = build(tmp_path)
    damage(store)
    res = run("doctor", "--repair", "--store", store, "--format", "json")
    rows = json.loads(res.stdout)
    assert {r["status"] for r in rows if r["group"] != "群A"} == {"repaired"}
    # A's only part was moved aside: its rows are gone until its export is re-imported, and doctor says so
    assert res.exit_code == 3 and str(files["群A"]) in res.stderr
    assert (gdir(store, "群B") / "meta.json").read_text() != "{}"
    for f in files.values():            # a plain re-import (no --force) restores A and C
        import_file(Store(store), f)
    assert Store(store).messages().groupby("group_name").size().to_dict() == {n: 4 for n in files}
    again = run("doctor", "--store", store)
    assert again.exit_code == 0, again.output


def test_a_part_less_folder_and_a_bad_imports_json_are_repaired(tmp_path: Path) -> None:
    store, files = build(tmp_path)
    Store(store).update_meta("0123456789abcdef", platform="qq", group_id="x", names=["x"], latest="x",
                             chat_type="group")
    (store / "imports.json").write_text("{not json")
    found = doctor.check(Store(store))
    assert {f.problem for f in found.findings} == {"group folder without messages (an interrupted import)",
                                                   "imports.json unreadable"}
    fixed = doctor.repair(Store(store))
    assert not fixed.damaged and not (store / "groups" / "0123456789abcdef").exists()
    assert not import_file(Store(store), files["群A"]).skipped_unchanged     # read again, nothing doubled
    assert len(Store(store).messages()) == 16
