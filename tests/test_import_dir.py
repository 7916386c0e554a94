"""``qunkit import DIR`` and rosters matched by name (qunkit.inputs): one process for a night's exports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import qunkit.ingest as ingest
from qunkit.cli import cli
from qunkit.ingest import import_files
from qunkit.inputs import expand_inputs, roster_for
from qunkit.store import Store

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
QQ = SAMPLES / "qq-group-sample.txt"
WECHAT = SAMPLES / "wechat-group-sample.txt"
ROSTER = SAMPLES / "qq-group-sample-roster.csv"


def run(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return res.exit_code, res.stdout, res.stderr


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    d = tmp_path / "exports"
    d.mkdir()
    shutil.copy(QQ, d / "摄影群.txt")
    shutil.copy(ROSTER, d / "摄影群.roster.csv")
    shutil.copy(WECHAT, d / "跑步群.txt")
    (d / "README.md").write_text("# not an export\n", encoding="utf-8")
    (d / ".hidden.txt").write_text("ignored\n", encoding="utf-8")
    (d / "media").mkdir()
    shutil.copy(QQ, d / "media" / "nested.txt")   # sub-folders are not entered
    return d


def _rows(out: str) -> dict[str, dict]:
    return {Path(r["file"]).name: r for r in json.loads(out)}


def test_folder_imports_every_export_with_its_roster(exports: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    code, out, err = run("import", str(exports), "--store", str(store), "--format", "json")
    assert code == 0, err
    rows = _rows(out)
    assert set(rows) == {"摄影群.txt", "跑步群.txt", "README.md"}
    assert rows["摄影群.txt"]["messages"] > 0 and rows["跑步群.txt"]["messages"] > 0
    assert rows["摄影群.txt"]["roster_members"] == sum(1 for _ in ROSTER.open(encoding="utf-8-sig")) - 1
    assert rows["跑步群.txt"]["roster_group"] is None
    assert rows["README.md"]["skipped"].startswith("not a chat export")
    assert rows["README.md"]["messages"] == 0
    assert "not imported: " in err and "README.md" in err
    groups = Store(store).groups()
    assert len(groups) == 2
    assert groups["roster"].sum() == 1


def test_roster_dir_and_dash_name(exports: Path, tmp_path: Path) -> None:
    rosters = tmp_path / "rosters"
    rosters.mkdir()
    (exports / "摄影群.roster.csv").rename(rosters / "摄影群-roster.csv")
    assert roster_for(exports / "摄影群.txt") is None
    assert roster_for(exports / "摄影群.txt", rosters) == rosters / "摄影群-roster.csv"
    code, out, err = run("import", str(exports), "--roster-dir", str(rosters), "--store", str(tmp_path / "s"),
                         "--format", "json", "--quiet")
    assert code == 0, err
    assert _rows(out)["摄影群.txt"]["roster_members"] > 0


def test_glob_that_names_rosters_does_not_import_them(exports: Path, tmp_path: Path) -> None:
    files = sorted(str(p) for p in exports.iterdir() if p.suffix in (".txt", ".csv") and not p.name.startswith("."))
    code, out, err = run("import", *files, "--store", str(tmp_path / "s"), "--format", "json", "--quiet")
    assert code == 0, err
    rows = _rows(out)
    assert "摄影群.roster.csv" not in rows
    assert rows["摄影群.txt"]["roster_members"] > 0


def test_unmatched_roster_is_reported_not_imported(tmp_path: Path) -> None:
    stray = tmp_path / "其他群.roster.csv"
    shutil.copy(ROSTER, stray)
    inputs = expand_inputs([QQ, stray])
    assert inputs.exports == [QQ]
    assert [(p, why) for p, why in inputs.skipped] == [
        (stray, "named like a roster, but no export of the same name was given")]


def test_explicit_roster_overrides_the_match(exports: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    lines = ROSTER.read_text(encoding="utf-8-sig").splitlines()
    other.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    code, out, err = run("import", str(exports / "摄影群.txt"), "--roster", str(other),
                         "--store", str(tmp_path / "s"), "--format", "json", "--quiet")
    assert code == 0, err
    assert _rows(out)["摄影群.txt"]["roster_members"] == 2


def test_a_named_file_that_is_not_an_export_still_fails(exports: Path, tmp_path: Path) -> None:
    code, _, err = run("import", str(exports / "README.md"), "--store", str(tmp_path / "s"))
    assert code == 3
    assert "not a chat export" in err


def test_forced_format_takes_every_file_in_the_folder(exports: Path) -> None:
    (exports / "README.md").unlink()
    (exports / "跑步群.txt").unlink()
    inputs = expand_inputs([exports], input_format="qq-txt")
    assert [p.name for p in inputs.exports] == ["摄影群.txt"]
    assert inputs.rosters[exports / "摄影群.txt"].name == "摄影群.roster.csv"


def test_second_run_of_the_folder_adds_nothing(exports: Path, tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    assert run("import", str(exports), "--store", store, "--quiet")[0] == 0
    code, out, _ = run("import", str(exports), "--store", store, "--format", "json", "--quiet")
    assert code == 0
    rows = _rows(out)
    assert rows["摄影群.txt"]["skipped_unchanged"] and rows["跑步群.txt"]["skipped_unchanged"]
    assert sum(r["added"] for r in rows.values()) == 0


def test_unchanged_roster_is_not_read_again_but_a_changed_one_is(exports: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path / "store")
    read: list[Path] = []
    real = ingest.read_roster
    monkeypatch.setattr(ingest, "read_roster", lambda path, **kw: read.append(Path(path)) or real(path, **kw))
    first = {Path(r.report.file).name: r for r in import_files(store, [exports])}
    assert read == [exports / "摄影群.roster.csv"]
    again = {Path(r.report.file).name: r for r in import_files(store, [exports])}
    assert len(read) == 1                                            # same bytes: the attached roster stands
    assert again["摄影群.txt"].roster_members == first["摄影群.txt"].roster_members > 0
    roster = exports / "摄影群.roster.csv"
    lines = roster.read_text(encoding="utf-8-sig").splitlines()
    roster.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    third = {Path(r.report.file).name: r for r in import_files(store, [exports])}
    assert len(read) == 2 and third["摄影群.txt"].roster_members == first["摄影群.txt"].roster_members - 1
    (stored,) = store.rosters([third["摄影群.txt"].roster_group]).values()
    assert len(stored) == third["摄影群.txt"].roster_members
