"""The canonical tables, declared once.

Every importer produces MESSAGES rows, every analysis reads them.  Repeated
strings (platform, group, sender, kind, event) are dictionary-encoded so a
million-message group stays small in memory and on disk.

Timestamps are stored in UTC (``timestamp[ms, tz=UTC]``); the zone the export
was read in (exports carry local wall-clock time) is kept per row in ``tz`` so
hour-of-day profiles can be shown in the group's own local time.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

DICT_STR = pa.dictionary(pa.int32(), pa.string())
TS = pa.timestamp("ms", tz="UTC")

# Message kinds.  Importers map every platform's types onto these.
KINDS = (
    "text",       # ordinary text (may contain inline placeholders mixed with words)
    "image",      # picture / 闪照
    "sticker",    # 表情 / 动画表情 / QQ face only
    "voice",
    "video",
    "file",
    "link",       # URL, shared card, mini program, music share
    "location",
    "card",       # contact card 名片
    "redpacket",  # 红包
    "transfer",   # 转账
    "call",       # voice/video call records
    "forward",    # 合并转发 chat history
    "announcement",  # 群公告 posted as a message
    "pat",        # 拍一拍
    "system",     # gray-bar notices (see EVENTS)
    "recall",     # "X撤回了一条消息"
    "other",
)

KIND_CODE = {kind: i for i, kind in enumerate(KINDS)}   # a kind's index in KINDS (kind code columns)

# Events carried by system lines (kind == "system" or "recall").
EVENTS = (
    "join",          # member joined (event_target = who joined, event_actor = inviter if known)
    "leave",         # member left by themselves
    "kick",          # member removed (event_actor = who removed them, when known)
    "recall",        # message recalled (event_target = who recalled)
    "rename",        # group renamed (text holds the new name)
    "owner_change",  # event_target = new owner
    "admin_change",  # event_target = member made (or unmade) admin
    "pat",           # event_actor pats event_target
    "announcement",  # group announcement notice
    "other",         # a system notice qunkit did not classify
)

MESSAGES = pa.schema(
    [
        pa.field("platform", DICT_STR, nullable=False),   # qq, wechat, telegram, whatsapp
        pa.field("source_format", DICT_STR, nullable=False),  # importer name, e.g. qq-txt
        pa.field("group_id", DICT_STR, nullable=False),   # native id where the export has one, else the chat name
        pa.field("group_name", DICT_STR, nullable=False),
        pa.field("chat_type", DICT_STR, nullable=False),  # group | private
        pa.field("ts", TS, nullable=False),
        pa.field("tz", DICT_STR, nullable=False),         # IANA zone the local time was read in
        pa.field("sender_id", DICT_STR, nullable=False),  # QQ number / email / wxid / uid; the name if nothing else
        pa.field("sender_name", DICT_STR, nullable=False),
        pa.field("sender_title", DICT_STR),               # QQ 群头衔 such as 【管理员】, null if none
        # the account's own nickname (昵称) where the export gives it beside the group card (群名片); null
        # otherwise.  sender_name stays what the group showed (the card first).  Added after layout 2's
        # first release: parts written before it lack the column and read it as null (``fill_missing``).
        pa.field("sender_account_name", DICT_STR),
        pa.field("kind", DICT_STR, nullable=False),       # one of KINDS
        pa.field("text", pa.string(), nullable=False),    # body as exported ("" for empty bodies)
        pa.field("event", DICT_STR),                      # one of EVENTS for system lines, else null
        pa.field("event_actor", pa.string()),             # who did it (inviter, remover), id or name
        pa.field("event_target", pa.string()),            # whom it concerns (joiner, leaver), id or name
        pa.field("mentions", pa.list_(pa.string())),      # @-mentioned ids or names; "@all" for @全体成员
        pa.field("reply_to", pa.string()),                # native id of the quoted message, when known
        pa.field("msg_id", pa.string()),                  # native message id, when the export has one
        pa.field("msg_key", pa.uint64(), nullable=False), # stable de-duplication key (see keys.py)
        pa.field("source_file", DICT_STR, nullable=False),
        pa.field("source_line", pa.int64(), nullable=False),  # 1-based line (or record number for JSON/CSV)
    ]
)

MESSAGE_COLUMNS = tuple(MESSAGES.names)

# Members known for a group: from rosters, from join/leave events, and from senders.  The frame
# ``qunkit.members.derive_members`` returns, column for column; ``qunkit.members.conform_members`` casts
# any members frame to it, so analysis reads these columns without guarding them.
MEMBERS = pa.schema(
    [
        pa.field("group_id", pa.string(), nullable=False),
        pa.field("group_name", pa.string(), nullable=False),  # the name the log used last
        pa.field("member_id", pa.string(), nullable=False),
        pa.field("member_name", pa.string()),             # roster name, else the latest name spoken under
        pa.field("names", pa.list_(pa.string())),         # every name spoken under, oldest first
        pa.field("role", pa.string()),                    # owner | admin | member | null (unknown)
        pa.field("joined", TS),                           # roster 入群时间, else the last join event
        pa.field("left", TS),                             # last leave/kick event after the join
        pa.field("left_how", pa.string()),                # leave | kick | null
        pa.field("invited_by", pa.string()),              # inviter's id (or name) from the join line
        pa.field("last_spoke_roster", TS),                # roster 最后发言时间 if present
        pa.field("in_roster", pa.bool_(), nullable=False),
        pa.field("messages", pa.int64(), nullable=False),  # messages sent (in the messages given)
        pa.field("first_spoke", TS),
        pa.field("last_spoke", TS),
        pa.field("roster_known", pa.bool_(), nullable=False),  # the group has a roster attached
    ]
)

MEMBER_ROLES = ("owner", "admin", "member")

# Per-message facts computed at import (``qunkit.facts.compute_facts``), stored per group beside the
# messages (STORE/facts/group_key=<key>/facts.parquet); joined to MESSAGES on msg_key.
FACTS = pa.schema([
    pa.field("msg_key", pa.uint64(), nullable=False),      # the message (schema.MESSAGES.msg_key)
    pa.field("ts", TS, nullable=False),
    pa.field("day", pa.date32(), nullable=False),          # local calendar day in the row's tz
    pa.field("member_id", pa.string(), nullable=False),    # the sender ("system" for system lines)
    pa.field("kind", pa.string(), nullable=False),
    pa.field("chars", pa.int32(), nullable=False),         # characters of the text
    pa.field("act", pa.string(), nullable=False),          # main act, or "none"
    pa.field("is_system", pa.bool_(), nullable=False),
    pa.field("is_flood", pa.bool_(), nullable=False),      # part of a run of content-free replies
    pa.field("is_duplicate", pa.bool_(), nullable=False),  # copy-paste: again by the sender, or many times a day
    pa.field("reply_to", pa.uint64()),                     # msg_key of the message this one answers
    pa.field("reply_to_member", pa.string()),              # its sender
    pa.field("reply_evidence", pa.string(), nullable=False),  # quote, mention, ..., none (replies.EVIDENCE)
    pa.field("reply_confidence", pa.float32(), nullable=False),
    pa.field("mentions", pa.list_(pa.string())),           # member ids (the name as written if unknown)
    pa.field("event", pa.string()),                        # join / leave / kick ... (system lines)
    pa.field("event_member", pa.string()),                 # whom the event concerns, resolved to a member id
    # the text's flags (``analysis.text_features``: bit i is FLAG_BITS[i]; 0 for system lines) and its
    # counts of contact / commercial cue words: analyses read them instead of scanning the text again
    pa.field("text_flags", pa.int64(), nullable=False),
    pa.field("n_contact", pa.int32(), nullable=False),
    pa.field("n_commercial", pa.int32(), nullable=False),
])


def fill_missing(table: pa.Table, schema: pa.Schema = MESSAGES) -> pa.Table:
    """``table`` with every nullable column of ``schema`` it lacks added as nulls: a part written
    before a column was added reads (and compacts) as if it had been written with it."""
    for field in schema:
        if field.name not in table.column_names and field.nullable:
            table = table.append_column(field.name, pa.nulls(len(table), field.type))
    return table


def empty_messages() -> pa.Table:
    return MESSAGES.empty_table()


def conform(table: pa.Table, schema: pa.Schema = MESSAGES) -> pa.Table:
    """Cast ``table`` to ``schema`` (column order, types, dictionary encoding).

    Importers build columns in whatever form is convenient; this is the one
    place that turns them into the canonical layout, and it fails loudly on a
    missing column rather than writing a half-schema file.
    """
    missing = [f.name for f in schema if f.name not in table.column_names]
    if missing:
        raise ValueError(f"table lacks canonical columns: {', '.join(missing)}")
    return pa.Table.from_arrays([_cast(table.column(f.name), f) for f in schema], schema=schema)


def encode_dictionaries(table: pa.Table, schema: pa.Schema = MESSAGES) -> pa.Table:
    """``table`` with each of its columns that ``schema`` stores dictionary-encoded cast as ``conform``
    casts it, the other columns as they are: a parser thread does this part of ``conform`` (Arrow
    kernels, free of the GIL) so the importing thread, which conforms every chunk, finds it done."""
    for i, name in enumerate(table.column_names):
        if name in schema.names and pa.types.is_dictionary(schema.field(name).type):
            table = table.set_column(i, name, _cast(table.column(i), schema.field(name)))
    return table


def _cast(col: pa.ChunkedArray, field: pa.Field) -> pa.ChunkedArray:
    if col.type == field.type:
        return col
    if pa.types.is_dictionary(field.type) and not pa.types.is_dictionary(col.type):
        return col.cast(pa.string()).dictionary_encode().cast(field.type)
    return col.cast(field.type)


def dictionary_column(codes: np.ndarray, values: Sequence[str]) -> pa.DictionaryArray:
    """Rows given as indices into a short list of ``values`` (repeats allowed) as a ``DICT_STR`` column,
    the dictionary ``dictionary_encode`` would build: each value that occurs once, in order of first
    occurrence; no string per row is made or hashed."""
    canon: dict[str, int] = {}
    code_of = np.array([canon.setdefault(v, len(canon)) for v in values], np.int32)
    row = code_of[codes]
    used, first = np.unique(row, return_index=True)
    used = used[np.argsort(first)]
    remap = np.zeros(len(canon), np.int32)
    remap[used] = np.arange(len(used), dtype=np.int32)
    names = list(canon)
    return pa.DictionaryArray.from_arrays(pa.array(remap[row]), pa.array([names[c] for c in used], pa.string()))


# ``risk_weekly`` (``commands.moments.weekly_risk``): a group's risk at the latest week starts before its
# newest message, and ``upto``, the number of its messages up to then (a point holds while that is unchanged)
RISK_WEEKLY = pa.schema([("week_start", TS), ("score", pa.float64()), ("level", pa.string()), ("upto", pa.int64())])
