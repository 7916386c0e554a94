"""An unforeseen error is exit 3 with one line, never a traceback and never exit 1 (issue 13, defect 3):
exit 1 means only "a threshold was crossed", which cron scripts act on."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from qunkit.cli import cli
from qunkit.commands import analysis


@pytest.fixture
def broken_risk(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_args, **_kwargs):
        raise RuntimeError("something \x1b[2J went wrong")

    monkeypatch.setattr(analysis, "risk", boom)


@pytest.mark.usefixtures("broken_risk")
def test_a_crash_is_exit_3_with_one_line(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["risk", "--store", str(tmp_path)])
    assert res.exit_code == 3
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qunkit: internal error: RuntimeError: something")
    assert "\x1b" not in res.stderr and "--debug" in lines[0] and "Traceback" not in res.stderr


@pytest.mark.usefixtures("broken_risk")
def test_debug_shows_the_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    res = CliRunner().invoke(cli, ["--debug", "risk", "--store", str(tmp_path)])
    assert isinstance(res.exception, RuntimeError)
    monkeypatch.setenv("QUNKIT_DEBUG", "1")
    res = CliRunner().invoke(cli, ["risk", "--store", str(tmp_path)])
    assert isinstance(res.exception, RuntimeError)


def test_usage_errors_stay_exit_2(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["risk", "--fail-above", "nan", "--store", str(tmp_path)])
    assert res.exit_code == 2
