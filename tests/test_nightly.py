"""The nightly round with nothing new: an unchanged re-import without pandas (qunkit.unchanged) and
per-group results reused from the result cache (qunkit.resultcache), identical to a cold run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import qunkit.engine as engine
from qunkit.cli import cli
from qunkit.resultcache import ENV, ResultCache
from qunkit.store import PARTITION, SCHEMA_VERSION
from qunkit.unchanged import LAYOUT
from qunkit.unchanged import PARTITION as QUICK_PARTITION

SRC = Path(__file__).resolve().parents[1] / "src"


def run(*args: str) -> str:
    res = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert res.exit_code in (0, 1), res.stderr
    return res.stdout


@pytest.fixture
def corpus(tmp_path: Path) -> dict:
    out = tmp_path / "gen"
    run("generate", str(out), "--groups", "4", "--messages-per-group", "300", "--seed", "3", "--quiet")
    store = tmp_path / "store"
    exports, rosters = out / "exports", out / "rosters"
    run("import", str(exports), "--roster-dir", str(rosters), "--store", str(store), "--quiet")
    return {"store": str(store), "exports": exports, "rosters": rosters, "tmp": tmp_path}


def _reimport(c: dict) -> subprocess.CompletedProcess:
    """An import of the same folder in a fresh process that reports which heavy modules it loaded."""
    code = ("import sys\nfrom qunkit.cli import cli\n"
            "try:\n    cli(sys.argv[1:], prog_name='qunkit')\nexcept SystemExit as e:\n    code = e.code\n"
            "print('LOADED', sorted(m for m in ('pandas', 'pyarrow', 'numpy') if m in sys.modules), file=sys.stderr)\n"
            "sys.exit(code)\n")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run([sys.executable, "-c", code, "import", str(c["exports"]), "--roster-dir", str(c["rosters"]),
                           "--store", c["store"], "--format", "json"], capture_output=True, text=True, env=env,
                          timeout=120)


def _loaded(p: subprocess.CompletedProcess) -> str:
    return next(line for line in p.stderr.splitlines() if line.startswith("LOADED"))


def test_constants_agree_with_the_store() -> None:
    assert LAYOUT == SCHEMA_VERSION and QUICK_PARTITION == PARTITION


def test_unchanged_reimport_loads_no_pandas_and_reports_like_the_full_path(corpus: dict) -> None:
    quick = _reimport(corpus)
    assert quick.returncode == 0, quick.stderr
    assert _loaded(quick) == "LOADED []"
    rows = json.loads(quick.stdout)
    assert len(rows) == 4 and all(r["skipped_unchanged"] and r["added"] == 0 for r in rows)
    assert all(r["roster_members"] > 0 and r["roster_group"] for r in rows)
    assert quick.stderr.count("unchanged since last import") == 4
    # the full path (pandas loaded) on the same store: without the roster records it cannot decide
    # quickly, and its answer must be the same rows; it writes the records back
    for rec in Path(corpus["store"]).glob("groups/*/roster-source.json"):
        rec.unlink()
    full = _reimport(corpus)
    assert full.returncode == 0, full.stderr
    assert "pandas" in _loaded(full)
    assert json.loads(full.stdout) == rows
    assert _loaded(_reimport(corpus)) == "LOADED []"


def test_any_change_takes_the_full_path(corpus: dict) -> None:
    export = sorted(corpus["exports"].iterdir())[0]
    with export.open("a", encoding="utf-8-sig", newline="") as fh:
        fh.write("2024-04-01 09:00:00 新来的(99999001)\r\n大家好\r\n\r\n")
    changed = _reimport(corpus)
    assert changed.returncode == 0, changed.stderr
    assert "pandas" in _loaded(changed)
    rows = {Path(r["file"]).name: r for r in json.loads(changed.stdout)}
    assert rows[export.name]["added"] == 1 and not rows[export.name]["skipped_unchanged"]
    assert sum(r["skipped_unchanged"] for r in rows.values()) == 3
    # a changed roster is attached again (the full path), an unchanged one is not read
    roster = corpus["rosters"] / f"{export.stem}-roster.csv"
    lines = roster.read_text(encoding="utf-8-sig").splitlines()
    roster.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    again = _reimport(corpus)
    assert "pandas" in _loaded(again)
    rows = {Path(r["file"]).name: r for r in json.loads(again.stdout)}
    assert rows[export.name]["roster_members"] == len(lines) - 2
    assert _loaded(_reimport(corpus)) == "LOADED []"


def test_a_damaged_part_is_not_trusted(corpus: dict) -> None:
    part = next(Path(corpus["store"]).glob("messages/*/part-*.parquet"))
    part.write_bytes(part.read_bytes()[:-20])
    p = _reimport(corpus)
    assert "pandas" in _loaded(p)


# ---- the result cache ---------------------------------------------------------------------------

@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The result cache on, and the groups each run computes (the groups of every task) recorded."""
    monkeypatch.delenv(ENV, raising=False)
    calls: list[str] = []
    one = engine._one_batch

    def counting(batch):
        calls.extend(job.key for job in batch.jobs)
        return one(batch)

    monkeypatch.setattr(engine, "_one_batch", counting)
    return calls


def _both(c: dict, calls: list[str], *args: str) -> tuple[str, int]:
    """(output, groups computed) of a cached run, checked equal to a run with --no-cache."""
    calls.clear()
    got = run(*args, "--store", c["store"], "--jobs", "1")
    n = len(calls)
    assert got == run(*args, "--store", c["store"], "--jobs", "1", "--no-cache")
    return got, n


RISK = ("risk", "--format", "json", "--quiet")
PRUNE = ("prune", "--days", "30", "--format", "csv", "--quiet")
ROLES = ("roles", "--format", "json", "--quiet")
REPORT = ("report", "--trend-weeks", "2", "--quiet")
DIGEST = ("digest", "--format", "json", "--quiet")


def test_warm_runs_equal_cold_ones_and_compute_nothing(corpus: dict, counted: list[str]) -> None:
    for cmd in (RISK, PRUNE, ROLES, REPORT, DIGEST):  # prune scores its roles in its own task: one pass
        cold, n = _both(corpus, counted, *cmd)
        assert n == 4
        warm, n = _both(corpus, counted, *cmd)
        assert warm == cold and n == 0
    cache = Path(corpus["store"]) / "cache"
    assert cache.stat().st_mode & 0o777 == 0o700
    files = list(cache.glob("*/*.pkl"))
    assert files and all(f.stat().st_mode & 0o777 == 0o600 for f in files)


def test_the_cache_is_invalidated_by_what_changes_a_result(corpus: dict, counted: list[str]) -> None:
    _both(corpus, counted, *RISK)
    _both(corpus, counted, *PRUNE)
    # another --as-of, another --days: every group again
    assert _both(corpus, counted, *RISK, "--as-of", "2024-02-01")[1] == 4
    assert _both(corpus, counted, *PRUNE[:2], "45", *PRUNE[3:])[1] == 4      # prune redone
    # a new lexicon: the analyses that take one
    words = corpus["tmp"] / "words.txt"
    words.write_text("[question]\n咋整\n", encoding="utf-8")
    assert _both(corpus, counted, *RISK, "--lexicon", str(words))[1] == 4
    words.write_text("[question]\n咋办呢\n", encoding="utf-8")
    assert _both(corpus, counted, *RISK, "--lexicon", str(words))[1] == 4
    # a new import into one group: that group only at a fixed --as-of; by default the as_of moves to
    # its new message, so every group again
    assert _both(corpus, counted, *RISK, "--as-of", "2024-03-01")[1] == 4
    assert _both(corpus, counted, *PRUNE, "--as-of", "2024-03-01")[1] == 4
    export = sorted(corpus["exports"].iterdir())[0]
    with export.open("a", encoding="utf-8-sig", newline="") as fh:
        fh.write("2024-03-31 23:00:00 新来的(99999001)\r\n大家好\r\n\r\n")
    run("import", str(export), "--store", corpus["store"], "--quiet")
    assert _both(corpus, counted, *RISK, "--as-of", "2024-03-01")[1] == 1
    # prune: the changed group's list alone (a group's roles, scored in its task, depend on it alone)
    assert _both(corpus, counted, *PRUNE, "--as-of", "2024-03-01")[1] == 1
    assert _both(corpus, counted, *RISK)[1] == 4
    assert _both(corpus, counted, *RISK)[1] == 0


def test_an_entry_someone_else_could_write_is_ignored(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    cache.put("t", "k", "e", {"x": 1})
    assert cache.get("t", "k", "e") == (True, {"x": 1})
    path = tmp_path / "cache" / "t" / "k-e.pkl"
    path.chmod(0o666)
    assert cache.get("t", "k", "e") == (False, None)
    for i in range(6):
        cache.put("t", "k", f"e{i}", i)
    assert len(list(path.parent.glob("k-*.pkl"))) == 4


def test_no_cache_env_reads_and_writes_nothing(corpus: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "1")
    run(*RISK, "--store", corpus["store"])
    assert not (Path(corpus["store"]) / "cache").exists()
