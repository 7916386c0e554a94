"""The anonymised copy of a REAL QQ export gives the original's roles, risk and prune (issue #10, item 5).

The smallest export of ../shared/realdata/qq-txt (see conftest.realdata; skipped without it), copied
through the CLI; the copy's results are mapped back with its ``--map-file`` (``anonymize.unmapper``) and
compared as JSON.  Figures only: nothing from the file goes into an assertion message or the repo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qunkit.anonymize import unmapper
from qunkit.cli import cli


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def _rows(store: Path, command: list[str]) -> list[str]:
    res = run(*command, "--store", store, "--format", "json")
    assert res.exit_code in (0, 1), f"{command[0]} exited {res.exit_code}"
    return json.loads(res.stdout)


@pytest.fixture(scope="module")
def real_copy(realdata: Path, tmp_path_factory) -> dict:
    files = sorted((realdata / "qq-txt").glob("*.txt"), key=lambda p: p.stat().st_size)
    assert files, "realdata/qq-txt holds no .txt export"
    tmp = tmp_path_factory.mktemp("anon-real")
    assert run("import", files[0], "--store", tmp / "store", "-q").exit_code == 0
    res = run("anonymize", "--to", tmp / "copy", "--map-file", tmp / "map.json", "--store", tmp / "store", "-q")
    assert res.exit_code == 0, "anonymize failed"
    return {"src": tmp / "store", "copy": tmp / "copy",
            "back": json.loads((tmp / "map.json").read_text(encoding="utf-8"))}


@pytest.mark.parametrize("command", [["roles"], ["risk"], ["prune", "--days", "30"]])
def test_a_real_exports_copy_gives_the_same_analysis(real_copy, command):
    original = _rows(real_copy["src"], command)
    copy = unmapper(real_copy["back"])(_rows(real_copy["copy"], command))
    assert len(original) >= 1

    def key(r):
        return json.dumps(r, sort_keys=True, ensure_ascii=False)

    a, b = sorted(map(key, original)), sorted(map(key, copy))
    differ = sum(x != y for x, y in zip(a, b, strict=False)) + abs(len(a) - len(b))
    assert differ == 0, f"{differ} of {len(a)} rows differ"      # a count, never content
