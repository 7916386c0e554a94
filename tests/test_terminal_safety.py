"""No byte of chat text reaches a terminal as a control sequence (issue 13, defect 7).

A group named with an OSC "set title" sequence, a nickname that clears the screen and a message
with an 8-bit CSI go through import, groups, roles, replies and an error: no ESC, BEL or C1 byte is
printed in tables, plain text, CSV, notes or errors, and JSON still carries the exact text."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console
from test_store import qq_export, write

from qunkit.cli import cli
from qunkit.cli.render import rich_table
from qunkit.safetext import safe_text

GROUP = "坏\x1b]0;pwned\x07群"
NICK = "清屏\x1b[2J侠"
BODY = "看这里\x9b31m红字\x7f"
RAW = ("\x1b", "\x07", "\x9b", "\x7f")


@pytest.fixture
def store(tmp_path: Path) -> tuple[Path, CliRunner, str]:
    lines = [("2024-01-01 10:00:00", f"{NICK}(20001)", BODY), ("2024-01-01 10:01:00", "路人(20002)", "收到"),
             ("2024-01-01 10:02:00", f"{NICK}(20001)", "大家好")]
    export = write(tmp_path / "a.txt", qq_export(GROUP, lines))
    runner = CliRunner()
    res = runner.invoke(cli, ["import", str(export), "--store", str(tmp_path / "s")])
    assert res.exit_code == 0, res.output
    return tmp_path / "s", runner, res.stderr + res.stdout


def clean(text: str) -> bool:
    return not any(c in text for c in RAW)


def test_import_summary_is_safe(store) -> None:
    _, _, out = store
    assert "\\x1b]0;pwned\\x07" in out and clean(out)


@pytest.mark.parametrize("args", [["groups"], ["groups", "--format", "csv"], ["roles"],
                                  ["roles", "--format", "csv"], ["replies"], ["activity", "-v"]])
def test_tables_csv_and_notes_are_safe(store, args: list[str]) -> None:
    root, runner, _ = store
    res = runner.invoke(cli, [*args, "--store", str(root)])
    assert res.exit_code == 0, res.output
    assert clean(res.stdout) and clean(res.stderr)
    assert "\\x1b" in res.stdout          # shown, not dropped


def test_json_keeps_the_exact_text_escaped(store) -> None:
    root, runner, _ = store
    res = runner.invoke(cli, ["roles", "--format", "json", "--store", str(root)])
    assert res.exit_code == 0 and clean(res.stdout)
    rows = json.loads(res.stdout)
    assert {r["group_name"] for r in rows} == {GROUP} and NICK in {r["member_name"] for r in rows}


def test_errors_naming_chat_text_are_safe(store) -> None:
    root, runner, _ = store
    res = runner.invoke(cli, ["roles", "--group", "x\x1b[2Jy", "--store", str(root)])
    assert res.exit_code == 2 and clean(res.stderr) and "\\x1b[2J" in res.stderr


def test_rich_table_on_a_terminal_is_safe() -> None:
    buf = io.StringIO()
    Console(file=buf, force_terminal=True, color_system=None, width=120).print(
        rich_table([{"group_name": GROUP, "member_name": NICK, "text": BODY}]))
    assert clean(buf.getvalue()) and "pwned" in buf.getvalue()


def test_safe_text_keeps_newlines_and_tabs() -> None:
    assert safe_text("a\tb\nc\x1bd\x00") == "a\tb\nc\\x1bd\\x00"
