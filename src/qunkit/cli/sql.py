"""``qunkit sql``."""

from __future__ import annotations

import click

from .options import store_option
from .output import output_options


@click.command("sql")
@click.argument("statement")
@store_option
@output_options
def sql_cmd(statement, store_dir, quiet):
    """Run a read-only SQL query (DuckDB) over the store's tables.

    \b
    Views: messages, facts, members, member_day, group_day; each has the
    column group_key (the Hive partition: a hash of the group; messages and
    members carry group_name beside it).
    Only one SELECT (or WITH ... SELECT) runs; the store's files are the only
    files the query may read.  Refused statements exit 2.

    \b
    Examples:
      qunkit sql "SELECT group_key, count(*) AS n FROM messages GROUP BY 1"
      qunkit sql "SELECT day, messages, replied_share FROM group_day ORDER BY day DESC LIMIT 7"
      qunkit sql "SELECT member_id, sum(messages) m FROM member_day GROUP BY 1 ORDER BY m DESC" --format csv
    """
    from ..commands.loading import open_store
    from ..commands.sql import sql

    return sql(open_store(store_dir), statement)
