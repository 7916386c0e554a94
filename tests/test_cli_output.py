"""The one output contract (--format, -o, --verbose, --quiet), usage errors and lazy --help."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from qunkit.cli import COMMANDS, cli
from qunkit.commands.result import Note, listing

SEP = "=" * 64
GROUPS = [f"测试群{i}" for i in range(5)]


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def write_export(path: Path, group: str, first_id: int) -> Path:
    body = "".join(f"2024-05-{1 + i // 3:02d} 20:{i:02d}:00 成员{i % 3}({first_id + i % 3})\n消息 {i}\n\n"
                   for i in range(9))
    path.write_text(f"消息记录（此消息记录为文本格式，不支持重新导入）\n\n{SEP}\n消息分组:我的QQ群\n{SEP}\n"
                    f"消息对象:{group}\n{SEP}\n\n{body}", encoding="utf-8-sig")
    return path


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> str:
    """Five small groups, none with a roster."""
    tmp = tmp_path_factory.mktemp("contract")
    files = [str(write_export(tmp / f"g{i}.txt", g, 40000 + 10 * i)) for i, g in enumerate(GROUPS)]
    store = str(tmp / "store")
    res = run("import", *files, "--store", store, "-q")
    assert res.exit_code == 0, res.output
    return store


def test_output_writes_the_rendering_to_a_file(store, tmp_path: Path) -> None:
    target = tmp_path / "sub" / "groups.json"
    res = run("groups", "--store", store, "--format", "json", "-o", str(target))
    assert res.exit_code == 0 and res.stdout == ""
    assert sorted(g["group_name"] for g in json.loads(target.read_text(encoding="utf-8"))) == sorted(GROUPS)
    table = tmp_path / "groups.txt"
    table.write_text("old contents", encoding="utf-8")
    res = run("groups", "--store", store, "--output", str(table))
    text = table.read_text(encoding="utf-8")
    assert res.stdout == "" and text.splitlines()[0] == "Groups" and "old contents" not in text
    assert "note: groups without a roster" in text             # a table file holds what stdout would have
    assert "\x1b[" not in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["groups.txt", "sub"]   # no temporary file left


def test_analyze_csv_is_one_flat_row_per_group(store) -> None:
    res = run("analyze", "--store", store, "--format", "csv")
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert sorted(r["group_name"] for r in rows) == sorted(GROUPS)
    docs = {d["group_name"]: d for d in json.loads(run("analyze", "--store", store, "--format", "json").stdout)}
    for r in rows:
        doc = docs[r["group_name"]]
        assert int(r["messages"]) == doc["messages"] == 9
        assert int(r["role_lurker"]) == doc["roles"].get("lurker", {}).get("count", 0)
        assert sum(int(r[f"role_{k}"]) for k in doc["roles"]) == 3
        assert r["risk_level"] == doc["risk"]["level"] and float(r["risk_score"]) == doc["risk"]["score"]
    assert not any(v.startswith(("[", "{")) for r in rows for v in r.values())   # flat: no nested cells


@pytest.mark.parametrize("args,option", [
    (["risk", "--tz", "Mars/Phobos"], "--tz"),
    (["prune", "--as-of", "garbage"], "--as-of"),
    (["prune", "--days", "-1"], "--days"),
    (["risk", "--fail-above", "nan"], "--fail-above"),
    (["roles", "--format", "xml"], "--format"),
    (["generate", "OUT", "--as-of", "someday"], "--as-of"),
])
def test_bad_values_are_one_line_usage_errors(store, tmp_path: Path, args, option) -> None:
    res = run(*args, "--store", store) if args[0] != "generate" else run(args[0], str(tmp_path / "g"), *args[2:])
    assert res.exit_code == 2 and res.stdout == ""
    (line,) = res.stderr.splitlines()
    assert line.startswith("qunkit: usage error:") and f"'{option}'" in line
    assert not (tmp_path / "g").exists()


def test_notes_summarise_and_verbose_lists_all(store) -> None:
    res = run("roles", "--store", store, "--format", "json")
    (note,) = [n for n in res.stderr.splitlines() if "no member roster" in n]
    assert "no member roster for 5 groups (测试群0, 测试群1, 测试群2 and 2 more)" in note
    res = run("roles", "--store", store, "--format", "json", "--verbose")
    (note,) = [n for n in res.stderr.splitlines() if "no member roster" in n]
    assert "no member roster for " + ", ".join(GROUPS) + ":" in note
    per_group = [n for n in run("activity", "--store", store).stdout.splitlines() if n.startswith("note: 测试群")]
    assert len(per_group) == 3 and "note: ... and 2 more groups (--verbose lists all)" in run("activity", "--store",
                                                                                            store).stdout
    verbose = run("activity", "--store", store, "-v").stdout
    assert sorted(n.split(":")[1].strip() for n in verbose.splitlines() if n.startswith("note: 测试群")) == GROUPS
    res = run("roles", "--store", store, "--format", "json", "-q")
    assert res.stderr == "" and len(json.loads(res.stdout)) == 15


def test_listing_and_notes() -> None:
    assert listing(["a"]) == "a" and listing(["a", "b", "c"]) == "a, b, c"
    assert listing([f"g{i}" for i in range(400)]) == "400 groups (g0, g1, g2 and 397 more)"
    assert listing(["x", "y", "z", "w"], noun="file", verbose=True) == "x, y, z, w"
    lines = Note(None, tuple(f"line {i}" for i in range(10)), noun="roll call").lines()
    assert lines == ["line 0", "line 1", "line 2", "... and 7 more roll calls (--verbose lists all)"]
    assert len(Note(None, tuple(map(str, range(10)))).lines(verbose=True)) == 10
    assert Note("none for {items}", ()).lines() == []


def test_help_lists_commands_without_importing_them() -> None:
    code = ("import sys\nfrom qunkit.cli import cli, COMMANDS\nloaded = {}\n"
            "for args in [['--help']] + [[c, '--help'] for c in COMMANDS]:\n"
            "    try:\n        cli(args, prog_name='qunkit')\n    except SystemExit:\n        pass\n"
            "    loaded[' '.join(args)] = sorted(m for m in ('pandas', 'pyarrow', 'numpy') if m in sys.modules)\n"
            "print(repr(loaded), file=sys.stderr)\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    loaded = eval(p.stderr.strip().splitlines()[-1])  # noqa: S307 - our own repr of a dict of lists
    assert len(loaded) == len(COMMANDS) + 1 and not any(loaded.values()), loaded
    for name in COMMANDS:
        assert f"  {name} " in p.stdout


def test_static_help_matches_each_command() -> None:
    for name, (_, short) in COMMANDS.items():
        cmd = cli.get_command(None, name)
        assert cmd.name == name
        assert (cmd.help or "").split("\n\n")[0].replace("\n", " ").strip().startswith(short.rstrip(".")), name


def test_every_command_has_the_output_options() -> None:
    for name in COMMANDS:
        opts = {o for p in cli.get_command(None, name).params for o in p.opts}
        assert {"--format", "--verbose", "-v", "--quiet"} <= opts, name
        assert ("-o" in opts) and ("--output" in opts), name


@pytest.mark.parametrize("given,want", [(None, "1"), ("4", "4")])
def test_the_cli_runs_one_blas_thread_unless_told(given: str | None, want: str) -> None:
    """OpenBLAS's spinning server threads cost 0.1-0.15 s of CPU a command and qunkit has no use for them:
    ``main()`` asks for one before NumPy loads, and a value the user set wins."""
    code = ("import os, sys\nfrom qunkit.cli import main\nsys.argv = ['qunkit', 'formats']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('BLAS', os.environ.get('OPENBLAS_NUM_THREADS'), file=sys.stderr)\n")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 0, p.stderr
    assert f"BLAS {want}" in p.stderr.splitlines()[-1]
