"""import / groups / formats / analyze through the CLI (CliRunner), the output contract and lazy --help."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from helpers import qq_export_file

from qunkit.cli import cli


def export(tmp_path: Path, group: str = "读书会", n: int = 12) -> Path:
    body = "".join(f"2024-05-{1 + i // 4:02d} 20:{i:02d}:00 成员{i % 3}({30001 + i % 3})\n消息 {i}\n\n" for i in range(n))
    body += "2024-05-04 09:00:00 系统消息(10000)\n新人(30009)加入本群。\n\n"
    return qq_export_file(tmp_path / "export.txt", group, body)


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_import_then_groups_json(tmp_path: Path) -> None:
    store = str(tmp_path / "s")
    res = run("import", str(export(tmp_path)), "--store", store)
    assert res.exit_code == 0, res.output
    assert "13 added" in res.stderr  # 12 messages and a join line
    res = run("groups", "--store", store, "--format", "json")
    data = json.loads(res.stdout)
    assert data[0]["group_name"] == "读书会"
    assert data[0]["messages"] == 13 and data[0]["members"] == 4
    assert {"group_id", "platform", "first", "last"} <= set(data[0])


def test_import_summary_as_json_for_scripts(tmp_path: Path) -> None:
    res = run("import", str(export(tmp_path)), "--store", str(tmp_path / "s"), "--format", "json")
    assert json.loads(res.stdout)[0]["added"] == 13
    res = run("import", str(export(tmp_path)), "--store", str(tmp_path / "s"), "--quiet")
    lines = res.stdout.splitlines()       # the table: a title, a header, one row per file
    assert lines[0] == "Imported 1 file(s)" and lines[1].split()[:4] == ["file", "format", "encoding", "messages"]
    assert len(lines) == 3 and lines[2].split()[-2:] == ["True", "读书会"] and res.stderr == ""


def test_import_old_format_option_points_to_input_format(tmp_path: Path) -> None:
    res = run("import", str(export(tmp_path)), "--store", str(tmp_path / "s"), "--format", "qq-txt")
    assert res.exit_code == 2 and res.stdout == ""
    assert "use --input-format qq-txt" in res.stderr and len(res.stderr.splitlines()) == 1
    assert not (tmp_path / "s").exists()                       # refused before anything was imported
    res = run("import", str(export(tmp_path)), "--store", str(tmp_path / "s"), "--input-format", "qq-txt",
              "--format", "json")
    assert res.exit_code == 0 and json.loads(res.stdout)[0]["format"] == "qq-txt"
    res = run("import", str(export(tmp_path)), "--store", str(tmp_path / "s"), "--output", "json")
    assert res.exit_code == 2 and "use --format json" in res.stderr and not (Path.cwd() / "json").exists()


def test_analyze_file_imports_and_reports(tmp_path: Path) -> None:
    store = str(tmp_path / "s")
    res = run("analyze", str(export(tmp_path)), "--store", store, "--format", "json")
    assert res.exit_code == 0, res.output
    [group] = json.loads(res.stdout)
    assert group["messages"] == 12 and group["speakers"] == 3
    assert group["members_source"] == "seen in log"
    assert group["active_rate_monthly"] is None   # no roster: unknown, not a rate over members seen
    assert group["top_speakers"][0]["messages"] == 4
    assert any("5%–8%" in b for b in group["benchmarks"])
    assert sum(r["count"] for r in group["roles"].values()) == 4   # three speakers and a joiner
    # "消息 3" carries no evidence of any active role: the three speakers are lurkers beside the joiner
    assert group["roles"]["lurker"]["count"] == 4
    assert "30009" in [m["member_id"] for m in group["roles"]["lurker"]["members"]]
    assert 0 <= group["risk"]["score"] <= 100 and group["risk"]["level"] in ("healthy", "watch", "at-risk", "dead")
    assert sum(group["weekly_messages"]) == 12
    # a second run on the same file reuses the store and still reports the group
    res = run("analyze", str(export(tmp_path)), "--store", store, "--format", "json")
    assert json.loads(res.stdout)[0]["messages"] == 12


def test_analyze_text_output_escapes_markup(tmp_path: Path) -> None:
    res = run("analyze", str(export(tmp_path, group="[bold]群[/bold]")), "--store", str(tmp_path / "s"))
    assert res.exit_code == 0, res.output
    assert "[bold]群[/bold]" in res.stdout
    assert "lurkers and active rates cannot be counted" in res.stdout


def test_exit_codes(tmp_path: Path) -> None:
    junk = tmp_path / "junk.txt"
    junk.write_text("hello\n", encoding="utf-8")
    res = run("import", str(junk), "--store", str(tmp_path / "s"))
    assert res.exit_code == 3 and "Supported formats" in res.stderr
    res = run("import", str(tmp_path / "missing.txt"))
    assert res.exit_code == 2
    res = run("groups", "--format", "xml")
    assert res.exit_code == 2
    res = run("analyze", "no-such-group", "--store", str(tmp_path / "s"))
    assert res.exit_code == 2 and "no group 'no-such-group'" in res.stderr


def test_groups_in_a_pipe_is_plain_text(tmp_path: Path) -> None:
    store = str(tmp_path / "s")
    run("import", str(export(tmp_path)), "--store", store, "-q")
    out = run("groups", "--store", store).stdout            # CliRunner's stdout is no terminal, like a pipe
    assert out.splitlines()[0] == "Groups" and out.splitlines()[1].split()[:2] == ["group_id", "group_name"]
    assert "\x1b[" not in out and not any(ch in out for ch in "┃━│─╭╮")
    assert run("groups", "--store", store, "--format", "csv").stdout.splitlines()[0].startswith("group_id,group_name")


def test_formats_lists_qq_txt() -> None:
    res = run("formats", "--format", "json")
    assert "qq-txt" in [f["format"] for f in json.loads(res.stdout)]


def test_one_roster_with_several_files_needs_a_group(tmp_path: Path) -> None:
    a = export(tmp_path, group="甲群")
    b = a.with_name("b.txt")
    b.write_text(a.read_text(encoding="utf-8-sig").replace("甲群", "乙群"), encoding="utf-8")
    roster = tmp_path / "r.csv"
    roster.write_text("QQ号,群名片\n30001,成员0\n39999,潜水员\n", encoding="utf-8")
    store = str(tmp_path / "s")
    res = run("import", str(a), str(b), "--roster", str(roster), "--store", store)
    assert res.exit_code == 2 and "--group" in res.stderr
    res = run("import", str(a), str(b), "--roster", str(roster), "--group", "乙群", "--store", store)
    assert res.exit_code == 0, res.output
    data = {g["group_name"]: g for g in json.loads(run("groups", "--store", store, "--format", "json").stdout)}
    assert data["乙群"]["roster"] is True and data["甲群"]["roster"] is False
