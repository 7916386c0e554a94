"""msg_key: the stable de-duplication key (src/qunkit/keys.py).

The PINNED values below were computed once from explicit inputs and must never
change: every store on disk holds keys made this way, so a different hash, mix,
second-truncation or occurrence rule would orphan every stored key and make the
next import of an overlapping export add every message a second time.  If you
must change keys.py, you need a store migration, not a new table here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from qunkit.keys import KEY_COLUMNS, message_keys, table_keys

# (platform, group_id, ts in UTC, sender_id, text, occurrence, key)
PINNED = [
    ("qq", "123456789", "2024-03-01T01:05:07Z", "10001", "1", 0, 15102092707720256549),
    ("qq", "123456789", "2024-03-01T01:05:07Z", "10001", "1", 1, 5738167519003582512),
    ("qq", "123456789", "2024-03-01T01:05:07Z", "10001", "1", 2, 17148469602963563535),
    ("qq", "123456789", "2024-03-01T01:05:08Z", "10001", "", 0, 2146176380418292974),
    ("qq", "Python (入门) 交流群", "2019-09-23T12:43:38Z", "system", "新人加入本群。", 0, 16834115162073036484),
    ("wechat", "12345678@chatroom", "2023-11-14T22:13:20Z", "wxid_abc", "早上好 @所有人\n第二行", 0, 15897720104892806755),
    ("wechat", "wxid_friend", "1999-12-31T23:59:59Z", "self", "[图片]", 0, 9682412494375672219),
]


def frame(rows: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame([r[:5] for r in rows], columns=list(KEY_COLUMNS))
    df["ts"] = pd.to_datetime(df["ts"], utc=True, format="ISO8601")
    return df


def key_of(row: tuple) -> int:
    """The key of ``row`` as the occurrence-th identical message in its file."""
    occurrence = row[5]
    return int(message_keys(frame([row] * (occurrence + 1)))[-1])


@pytest.mark.parametrize("row", PINNED, ids=lambda r: f"{r[0]}-{r[2]}-occ{r[5]}")
def test_pinned_keys(row: tuple) -> None:
    assert key_of(row) == row[6]


@pytest.mark.parametrize("encoded", [False, True], ids=["plain", "dictionary"])
def test_arrow_tables_get_the_pinned_keys(encoded: bool) -> None:
    """``table_keys`` (the Arrow path the QQ text import takes) hashes the UTF-8 bytes of each value:
    the pinned keys, plain or dictionary-encoded columns alike."""
    for row in PINNED:
        table = pa.Table.from_pandas(frame([row] * (row[5] + 1)), preserve_index=False)
        if encoded:
            table = pa.table({c: table[c].dictionary_encode() if c != "ts" else table[c] for c in KEY_COLUMNS})
        assert int(table_keys(table)[-1]) == row[6], row


def test_milliseconds_are_dropped_and_each_part_counts() -> None:
    base = PINNED[0]
    assert key_of((*base[:2], "2024-03-01T01:05:07.999Z", *base[3:])) == base[6]
    for i, other in ((0, "wechat"), (1, "987654321"), (2, "2024-03-01T01:05:06Z"), (3, "10002"), (4, "1 ")):
        changed = list(base)
        changed[i] = other
        assert key_of(tuple(changed)) != base[6], KEY_COLUMNS[i]


def test_occurrence_counts_only_identical_messages_within_a_section() -> None:
    """Other messages of the same group between identical ones do not reset the count; another group's
    rows end the section (keys.py: a chat section repeated in one file is stored once)."""
    rows = [PINNED[0], PINNED[3], PINNED[0], PINNED[3], PINNED[0]]
    keys = message_keys(frame(rows))
    assert [int(k) for k in keys[[0, 2, 4]]] == [r[6] for r in PINNED[:3]]
    assert int(keys[1]) == PINNED[3][6] != int(keys[3])
    again = message_keys(frame([PINNED[0], PINNED[4], PINNED[0]]))
    assert int(again[0]) == int(again[2]) == PINNED[0][6] and int(again[1]) == PINNED[4][6]


def test_categorical_columns_give_the_same_keys() -> None:
    """The store hands dictionary columns out as categoricals; keys must not depend on that."""
    df = frame(PINNED)
    cat = df.astype({c: "category" for c in ("platform", "group_id", "sender_id")})
    assert np.array_equal(message_keys(cat), message_keys(df))


@pytest.mark.parametrize("cut", [1, 2, 3, 4])
def test_carry_continues_occurrences_across_chunks(cut: int) -> None:
    """Three identical messages split over two chunks get the keys they get in one piece."""
    rows = [PINNED[3], PINNED[0], PINNED[0], PINNED[0], PINNED[3]]
    rows = sorted(rows, key=lambda r: r[2])
    whole = message_keys(frame(rows))
    carry: dict[int, int] = {}
    parts = np.concatenate([message_keys(frame(rows[:cut]), carry), message_keys(frame(rows[cut:]), carry)])
    assert np.array_equal(parts, whole)
    assert len(set(whole.tolist())) == 5


def test_empty_frame() -> None:
    keys = message_keys(frame([]))
    assert keys.dtype == np.uint64 and len(keys) == 0
