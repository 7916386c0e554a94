"""``qunkit sql``: read-only DuckDB over the store's views; anything that is not one SELECT is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_hardening_store import section
from test_store import msgs, qq_export, write

from qunkit.cli import cli
from qunkit.derived import enable
from qunkit.ingest import import_file
from qunkit.store import Store


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sql")
    s = Store(root / "s")
    with s.lock():
        enable(s)                      # the facts and aggregate views have rows
    import_file(s, write(root / "a.txt", qq_export("甲群", msgs(1, 6)) + section("乙群", msgs(2, 4))))
    return root / "s"


def sql_json(store: Path, statement: str) -> list[dict]:
    res = run("sql", statement, "--store", store, "--format", "json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_messages_per_group_match_the_store(store: Path) -> None:
    rows = sql_json(store, "SELECT group_key, count(*) AS n FROM messages GROUP BY 1")
    s = Store(store)
    assert {r["group_key"]: r["n"] for r in rows} == {k: len(s.messages([k])) for k in s.metas()}


def test_every_view_answers_and_they_agree(store: Path) -> None:
    [row] = sql_json(store, """
        WITH f AS (SELECT group_key, count(*) FILTER (WHERE NOT is_system) AS spoken FROM facts GROUP BY 1),
             d AS (SELECT group_key, sum(messages) AS m FROM member_day GROUP BY 1),
             g AS (SELECT group_key, sum(messages) AS m FROM group_day GROUP BY 1)
        SELECT count(*) AS groups, bool_and(f.spoken = d.m AND d.m = g.m) AS agree,
               (SELECT count(*) FROM members) AS members
        FROM f JOIN d USING (group_key) JOIN g USING (group_key)""")
    assert row["groups"] == 2 and row["agree"] is True
    assert row["members"] == len(Store(store).members())


def test_csv_and_table_formats(store: Path) -> None:
    res = run("sql", "SELECT day, messages FROM group_day ORDER BY day", "--store", store, "--format", "csv")
    assert res.exit_code == 0 and res.stdout.splitlines()[:3] == ["day,messages", "2024-01-01,6", "2024-01-02,4"]
    table = run("sql", "SELECT 1 AS one", "--store", store)
    assert table.exit_code == 0 and "one" in table.stdout


@pytest.mark.parametrize("statement", [
    "COPY (SELECT * FROM messages) TO '{out}'",
    "COPY (SELECT * FROM messages) TO '{store}/messages/x.csv'",
    "ATTACH '{out}.db' AS other",
    "INSTALL httpfs",
    "LOAD httpfs",
    "CREATE TABLE t AS SELECT * FROM messages",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('{store}/imports.json')",
    "SELECT 1; DROP VIEW messages",
    "SET enable_external_access = true",
])
def test_writes_and_reads_outside_the_store_are_refused(store: Path, tmp_path: Path, statement: str) -> None:
    out = tmp_path / "leak.csv"
    res = run("sql", statement.format(out=out, store=store), "--store", store)
    assert res.exit_code == 2, res.output
    assert len(res.stderr.strip().splitlines()) == 1 and res.stderr.startswith("qunkit: error: SQL: ")
    assert not out.exists() and not (store / "messages" / "x.csv").exists() and not list(tmp_path.iterdir())


def test_a_bad_query_is_a_one_line_usage_error(store: Path) -> None:
    res = run("sql", "SELECT nope FROM messages", "--store", store)
    assert res.exit_code == 2 and "nope" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_an_empty_store_has_empty_views(tmp_path: Path) -> None:
    rows = sql_json(tmp_path / "empty", "SELECT (SELECT count(*) FROM messages) AS m, (SELECT count(*) FROM facts) AS f")
    assert rows == [{"m": 0, "f": 0}]
