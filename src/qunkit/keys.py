"""Stable message keys for idempotent imports.

A key is a 64-bit hash of (platform, group_id, ts truncated to the second,
sender_id, text) plus the occurrence number of that tuple within one *section*
of a file, so two identical "1" replies in the same second stay two messages
while the same message imported again from an overlapping export gets the same
key.  Seconds, not milliseconds: some exporters keep ms and others do not.

A section is a run of consecutive rows of one group (a QQ ``消息对象`` block, one
chat of a multi-chat export).  Occurrences restart at 0 where a group's rows
resume after another group's: a chat section repeated in one file then gets the
keys of its first copy and is stored once.  Decision: counting per section, not
per file, changes no key of a file in which every group is one run (the usual
layout: the bundled samples' keys are pinned by a test); the price is that in an
export interleaving several chats row by row, two identical messages of one
sender in the same second with another chat's row between them become one.

Strings are hashed with pandas' ``hash_array`` (SipHash with a fixed key, so
keys are stable across runs and versions); low-cardinality columns are hashed
once per distinct value.  The column hashes are combined with a fixed
multiply-xor; changing any of this would orphan every stored key.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.util import hash_array

KEY_COLUMNS = ("platform", "group_id", "ts", "sender_id", "text")
_MIX = np.uint64(0x100000001B3)        # FNV-64 prime
_OCC = np.uint64(0x9E3779B97F4A7C15)   # 64-bit golden ratio
_LAST_GROUP = -1                       # carry slot for the group hash of the last row


def _hash_strings(col: pd.Series, distinct_few: bool) -> np.ndarray:
    if distinct_few:
        codes, uniques = pd.factorize(col.astype(str), use_na_sentinel=False)
        return hash_array(np.asarray(uniques, dtype=object))[codes]
    # categorize=False: the same values (hash_array's categorize only hashes each distinct value once), but
    # message texts are mostly distinct, so factorizing them first costs ~3x the hashing it saves
    return hash_array(col.fillna("").astype(str).to_numpy(dtype=object), categorize=False)


def _hash_arrow(col: pa.Array | pa.ChunkedArray, distinct_few: bool) -> np.ndarray:
    """``_hash_strings`` of a null-free Arrow string (or dictionary) column: the same values, with
    no pandas column built; a dictionary column hashes its dictionary once."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if distinct_few and not pa.types.is_dictionary(col.type):
        col = col.dictionary_encode()
    if pa.types.is_dictionary(col.type):
        uniques = hash_array(_utf8_objects(col.dictionary))
        return uniques[col.indices.to_numpy(zero_copy_only=False)]
    return hash_array(_utf8_objects(col), categorize=False)


def _utf8_objects(col: pa.Array) -> np.ndarray:
    """The values of an Arrow string array as ``bytes`` objects (their UTF-8): ``hash_array`` hashes a
    ``str`` as its UTF-8 encoding, so the keys are the same, without a ``str`` decoded and re-encoded per row
    (a third of the time)."""
    binary = pa.large_binary() if pa.types.is_large_string(col.type) else pa.binary()
    return np.asarray(col.cast(binary).to_numpy(zero_copy_only=False), dtype=object)


def message_keys(df: pd.DataFrame, carry: dict[int, int] | None = None) -> np.ndarray:
    """Return a uint64 key per row of ``df`` (which has KEY_COLUMNS).

    ``carry`` continues occurrence numbers across the chunks of one file: a run
    of identical messages cut by a chunk boundary sits in the last second of the
    earlier chunk, so only the counts of that second are carried (a tiny dict),
    with the group of the last row under the key ``_LAST_GROUP`` (never a hash:
    hashes are non-negative) so a section that continues into the next chunk is
    still one section.
    """
    if len(df) == 0:
        return np.zeros(0, dtype=np.uint64)
    secs = df["ts"].astype("datetime64[ms, UTC]").array.asi8 // 1000
    return _keys(_hash_strings(df["platform"], True), _hash_strings(df["group_id"], True), secs,
                 _hash_strings(df["sender_id"], True), _hash_strings(df["text"], False), carry)


def table_keys(table: pa.Table, carry: dict[int, int] | None = None) -> np.ndarray:
    """``message_keys`` of an Arrow table (ts a timestamp with a zone; no pandas frame is built).
    A key column with nulls goes through ``message_keys`` itself, whose null rule is the pinned one."""
    if table.num_rows == 0:
        return np.zeros(0, dtype=np.uint64)
    cols = [table.column(c) for c in KEY_COLUMNS]
    if any(c.null_count for c in cols):
        return message_keys(table.select(list(KEY_COLUMNS)).to_pandas(), carry)
    ms = pc.cast(table.column("ts"), pa.timestamp("ms", tz="UTC")).combine_chunks()
    secs = ms.cast(pa.int64()).to_numpy() // 1000
    return _keys(_hash_arrow(cols[0], True), _hash_arrow(cols[1], True), secs, _hash_arrow(cols[3], True),
                 _hash_arrow(cols[4], False), carry)


def _keys(platform: np.ndarray, group: np.ndarray, secs: np.ndarray, sender: np.ndarray, text: np.ndarray,
          carry: dict[int, int] | None) -> np.ndarray:
    """The key of each row from its column hashes (see the module docstring; ``message_keys`` for ``carry``)."""
    with np.errstate(over="ignore"):
        base = platform
        for part in (group, secs.astype(np.uint64), sender, text):
            base = (base * _MIX) ^ part
        continues = carry is not None and carry.get(_LAST_GROUP) == int(group[0])
        new_section = np.empty(len(base), bool)
        new_section[0] = not continues
        new_section[1:] = group[1:] != group[:-1]
        section = np.cumsum(new_section)          # 0: the section the previous chunk ended in
        occurrence = _occurrences(base, section)
        if carry is not None:
            counts = {k: v for k, v in carry.items() if k != _LAST_GROUP} if continues else {}
            if counts:
                ckeys = np.fromiter(counts.keys(), np.uint64, len(counts))
                hit = np.flatnonzero((section == 0) & np.isin(base, ckeys))
                if len(hit):
                    occurrence[hit] += np.array([counts[int(b)] for b in base[hit]], np.uint64)
            last = (secs == secs[-1]) & (section == section[-1])
            tail: dict[int, int] = {}
            for b, occ in zip(base[last].tolist(), (occurrence[last] + 1).tolist(), strict=True):
                tail[b] = max(tail.get(b, 0), occ)
            carry.clear()
            carry.update(tail)
            carry[_LAST_GROUP] = int(group[-1])
        return base ^ (occurrence * _OCC)


def _occurrences(base: np.ndarray, section: np.ndarray) -> np.ndarray:
    """How many earlier rows share each row's (base, section): the running count within each pair,
    in row order (a stable sort on the pair, then the position within each run)."""
    order = np.lexsort((section, base))
    b, s = base[order], section[order]
    run_start = np.empty(len(b), bool)
    run_start[0] = True
    run_start[1:] = (b[1:] != b[:-1]) | (s[1:] != s[:-1])
    pos = np.arange(len(b))
    first = np.maximum.accumulate(np.where(run_start, pos, 0))
    out = np.empty(len(b), np.uint64)
    out[order] = (pos - first).astype(np.uint64)
    return out
