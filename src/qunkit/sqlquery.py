"""Read-only SQL over the store (``qunkit sql``): DuckDB in-process, one view per table.

Views: ``messages`` (schema.MESSAGES), ``facts`` (schema.FACTS), ``members`` (schema.MEMBERS),
``member_day`` and ``group_day`` (``qunkit.aggregates``), ``risk_weekly`` (schema.RISK_WEEKLY: the risk
score at past week starts), each with the Hive partition column
``group_key``.  The views list exactly the files qunkit's own readers count (a compaction journal
is honoured, groups with unreadable parts are left out), not a glob.

Read-only by two locks, so neither alone has to be perfect:

- only one ``SELECT`` (or ``WITH ... SELECT``) statement is run, as DuckDB's own parser types it
  (COPY, ATTACH, INSTALL, LOAD, CREATE, SET, PRAGMA ... are refused before anything runs);
- the connection may open only the store's table files (``allowed_paths``), with every other
  file-system access, extension loading and configuration change disabled and the configuration
  locked, so a SELECT cannot read ``/etc/passwd`` via ``read_csv`` or write with a table function.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa

from .errors import UsageProblem
from .schema import FACTS, MEMBERS, MESSAGES, RISK_WEEKLY
from .store import PARTITION, Store

DERIVED_SCHEMAS = {"facts": FACTS, "members": MEMBERS, "risk_weekly": RISK_WEEKLY}
VIEWS = ("messages", "facts", "members", "member_day", "group_day", "risk_weekly")


def table_files(store: Store) -> dict[str, list[str]]:
    """view -> the Parquet files it reads (readable groups only)."""
    keys = list(store.metas())
    files = {"messages": [str(p) for k in keys for p in store.parts(k)]}
    for table in VIEWS[1:]:
        files[table] = [str(store.table_dir(table, k) / f"{table}.parquet") for k in keys
                        if (store.table_dir(table, k) / f"{table}.parquet").exists()]
    return files


def connect(store: Store) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the store's views, locked down as the module doc says."""
    files = table_files(store)
    con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False,
                                             "autoload_known_extensions": False})
    allowed = [f for fs in files.values() for f in fs]
    con.execute("SET allowed_paths = $paths", {"paths": allowed or [""]})
    con.execute("SET enable_external_access = false")
    for view in VIEWS:
        if files[view]:
            listed = ", ".join(_literal(f) for f in files[view])     # a view cannot take parameters
            con.execute(f"CREATE VIEW {view} AS SELECT * FROM read_parquet([{listed}], hive_partitioning = true, "
                        "union_by_name = true)")
        else:
            con.register(f"_empty_{view}", _empty(view))
            con.execute(f"CREATE VIEW {view} AS SELECT * FROM _empty_{view}")
    con.execute("SET lock_configuration = true")
    return con


def _empty(view: str) -> pa.Table:
    schema = MESSAGES if view == "messages" else DERIVED_SCHEMAS.get(view)
    if schema is None:   # an aggregate no group has yet: its columns are not known, only the partition
        schema = pa.schema([pa.field("group_id", pa.string())])
    return schema.append(pa.field(PARTITION, pa.string())).empty_table()


def check_select(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse anything but one SELECT statement (UsageProblem, exit 2), before it runs."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise UsageProblem(f"SQL: {_first_line(exc)}") from None
    if len(statements) != 1:
        raise UsageProblem(f"SQL: one statement expected, got {len(statements)}")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        name = str(kind).rsplit(".", 1)[-1]
        raise UsageProblem(f"SQL: only SELECT (or WITH ... SELECT) is allowed, not {name} "
                           "(the store is read-only here)")


def query(store: Store, sql: str) -> pd.DataFrame:
    """Run one read-only SELECT over the store's views; errors are one-line UsageProblems (exit 2)."""
    con = connect(store)
    try:
        check_select(con, sql)
        try:
            rel = con.sql(sql)
            frame, types = rel.df(), dict(zip(rel.columns, map(str, rel.types), strict=True))
        except duckdb.Error as exc:
            raise UsageProblem(f"SQL: {_first_line(exc)}") from None
    finally:
        con.close()
    for name, typ in types.items():
        if typ == "DATE":             # pandas turned it into a midnight timestamp: give the day back
            frame[name] = frame[name].dt.date
    return frame


def _literal(text: str) -> str:
    """``text`` as a SQL string literal (the store path is the user's and may hold a quote)."""
    return "'" + text.replace("'", "''") + "'"


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
