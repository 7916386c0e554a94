"""Compact per-(group, member, day) and per-(group, day) aggregates of one group's facts (DuckDB).

Dashboards over thousands of groups ask "messages per member per day" or "replied share per
day"; answering from the aggregates reads a few rows per member-day instead of every message.
Both are functions of one group's facts (``qunkit.facts``), so an import recomputes them for
the groups it changed only (bounded by the group, not the store).

- ``member_day``: messages, chars, one ``act_<act>`` count per act (``facts.act``), flood and
  duplicate messages, replies given (this member's messages answering someone else) and
  received (others' messages answering this member), on the day the reply was written;
- ``group_day``: messages, speakers, ``replied_share`` (spoken messages that another member
  answered), joins and leaves (leave + kick events).

System lines are no member's messages; they count only as joins and leaves.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from .analysis.acts import ACTS, NO_ACT

ACT_COLUMNS = tuple(f"act_{a}" for a in (*ACTS, NO_ACT))

_MEMBER_DAY = """
WITH f AS (SELECT * FROM facts WHERE NOT is_system),
rows AS (
    SELECT member_id, day, 1 AS msg, chars, act, is_flood::INT AS flood, is_duplicate::INT AS dup,
           (reply_to IS NOT NULL AND reply_to_member <> member_id)::INT AS given, 0 AS received FROM f
    UNION ALL
    SELECT reply_to_member, day, 0, 0, NULL, 0, 0, 0, 1 FROM f
    WHERE reply_to IS NOT NULL AND reply_to_member <> member_id
)
SELECT member_id, day, sum(msg)::BIGINT AS messages, sum(chars)::BIGINT AS chars,
       {acts}, sum(flood)::BIGINT AS flood, sum(dup)::BIGINT AS duplicates,
       sum(given)::BIGINT AS replies_given, sum(received)::BIGINT AS replies_received
FROM rows GROUP BY member_id, day ORDER BY day, member_id
"""

_GROUP_DAY = """
WITH f AS (SELECT * FROM facts WHERE NOT is_system),
answered AS (SELECT DISTINCT reply_to AS msg_key FROM f WHERE reply_to IS NOT NULL AND reply_to_member <> member_id),
spoken AS (
    SELECT day, count(*) AS messages, count(DISTINCT member_id) AS speakers,
           avg((a.msg_key IS NOT NULL)::INT) AS replied_share
    FROM f LEFT JOIN answered a USING (msg_key) GROUP BY day
),
events AS (
    SELECT day, count(*) FILTER (WHERE event = 'join') AS joins,
           count(*) FILTER (WHERE event IN ('leave', 'kick')) AS leaves
    FROM facts WHERE event IS NOT NULL GROUP BY day
)
SELECT day, coalesce(s.messages, 0)::BIGINT AS messages, coalesce(s.speakers, 0)::BIGINT AS speakers,
       coalesce(s.replied_share, 0.0)::DOUBLE AS replied_share, coalesce(e.joins, 0)::BIGINT AS joins,
       coalesce(e.leaves, 0)::BIGINT AS leaves
FROM spoken s FULL OUTER JOIN events e USING (day) ORDER BY day
"""


def _act_sums() -> str:
    return ", ".join(f"sum((act = '{a}')::INT)::BIGINT AS act_{a}" for a in (*ACTS, NO_ACT))


def aggregate(facts: pa.Table, group_id: str) -> tuple[pa.Table, pa.Table]:
    """(member_day, group_day) of one group's ``facts``."""
    con = duckdb.connect()
    try:
        con.register("facts", facts)
        member_day = _arrow(con.sql(_MEMBER_DAY.format(acts=_act_sums())))
        group_day = _arrow(con.sql(_GROUP_DAY))
    finally:
        con.close()
    return _with_group(member_day, group_id), _with_group(group_day, group_id)


def _arrow(relation: duckdb.DuckDBPyRelation) -> pa.Table:
    """A relation's rows as one Arrow table (``to_arrow_table`` from DuckDB 1.4, before it ``fetch_arrow_table``)."""
    fetch = getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table
    return fetch()


def _with_group(table: pa.Table, group_id: str) -> pa.Table:
    """``group_id`` as the first column (added here, not spliced into SQL text)."""
    return table.add_column(0, pa.field("group_id", pa.string(), nullable=False),
                            pa.array([group_id] * table.num_rows, pa.string()))
