"""Byte scans over Arrow string buffers find what the substring kernels find, row for row."""

from __future__ import annotations

import random
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from qunkit.formats.bytescan import (
    byte_positions,
    digits,
    ends_like,
    header_candidates,
    rows_with,
    rows_with_byte,
    starts_with_any,
    string_buffers,
)
from qunkit.formats.civil import civil_days

ALPHABET = ["红", "包", "a", ":", "/", "[", "红包", "://", "x", "通话时长", "\n", "时", "\ufffd", "ï"]


def _random_column(rng: random.Random) -> pa.Array:
    values = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 6))) if rng.random() > 0.1 else None
              for _ in range(rng.randint(0, 30))]
    arr = pa.array(values, pa.string())
    return arr.slice(2) if len(arr) > 3 and rng.random() < 0.5 else arr   # a slice: offsets that do not start at 0


@pytest.mark.parametrize("word", ["红包", "://", "[", "通话时长", "包红", "\ufffd", "a:"])
def test_rows_with_is_match_substring(word: str) -> None:
    rng = random.Random(word)
    for _ in range(300):
        arr = _random_column(rng)
        want = pc.fill_null(pc.match_substring(arr, word), False).to_numpy(zero_copy_only=False)
        assert rows_with(arr, word).tolist() == want.tolist()


def test_a_word_split_across_two_rows_is_in_neither() -> None:
    assert rows_with(pa.array(["ab:", "//cd", "红", "包"]), "://").tolist() == [False] * 4
    assert rows_with(pa.array(["ab:", "//cd", "红", "包"]), "红包").tolist() == [False] * 4


def test_byte_positions_are_every_overlapping_match() -> None:
    rng = random.Random(3)
    for _ in range(2000):
        data = bytes(rng.choice(b"abAB\xe7\xba") for _ in range(rng.randint(0, 20)))
        needle = bytes(rng.choice(b"abAB\xe7\xba") for _ in range(rng.randint(1, 4)))
        want = [m.start() for m in re.finditer(b"(?=" + re.escape(needle) + b")", data)]
        assert byte_positions(np.frombuffer(data, np.uint8), needle).tolist() == want


def test_rows_with_byte_refuses_a_non_ascii_character() -> None:
    with pytest.raises(ValueError, match="not ASCII"):
        rows_with_byte(pa.array(["红"]), "红")
    assert rows_with_byte(pa.array(["a@b", None, ""]), "@").tolist() == [True, False, False]


def test_header_candidates_keep_every_line_that_starts_with_a_year() -> None:
    lines = pa.array(["2019-09-23 8:43:38 PM 名字(1)", "219-09-23 8:43:38 名字(1)", "２０１９-09-23 8:43:38 x(1)",
                      "2019-0", "abcd-09-23 8:43:38 x(1)", "", "2024-1-2 12:00:00 我", "/019-09-23 8:43:38 x(1)"])
    assert header_candidates(lines, 16).tolist() == [0, 6]


def test_starts_with_any_is_starts_with() -> None:
    rng = random.Random(9)
    prefixes = ("[", "发出了红包", "=" * 3, "消息对象:", "\ufffd")
    alphabet = ALPHABET + ["=", "消息对象:", "发出了", "红包"]
    for _ in range(400):
        values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4))) if rng.random() > 0.1 else None
                  for _ in range(rng.randint(0, 25))]
        arr = pa.array(values, pa.string())
        arr = arr.slice(1) if len(arr) > 2 and rng.random() < 0.5 else arr
        for chosen in (prefixes[:1], prefixes[1:3], prefixes):
            want = np.zeros(len(arr), bool)
            for prefix in chosen:
                want |= pc.fill_null(pc.starts_with(arr, prefix), False).to_numpy(zero_copy_only=False)
            assert starts_with_any(arr, chosen).tolist() == want.tolist()


def test_civil_days_are_numpys_calendar() -> None:
    """Day numbers and existence of dates, leap years and impossible months and days included."""
    years = np.array([1, 1600, 1899, 1900, 1970, 2000, 2023, 2024, 2100, 9999] * 4)
    months = np.array([1, 2, 2, 12] * 10)
    days = np.array([1, 29, 28, 31, 29, 30, 15, 29, 1, 31] * 4)
    got, valid = civil_days(years, months, days)
    for y, m, d, g, v in zip(years, months, days, got, valid, strict=True):
        try:
            want = (np.datetime64(f"{y:04d}-{m:02d}-{d:02d}") - np.datetime64("1970-01-01")).astype(int)
        except ValueError:
            assert not v, (y, m, d)
            continue
        assert v and g == want, (y, m, d)
    assert civil_days(np.array([2024, 2024, 2024]), np.array([0, 13, 4]), np.array([1, 1, 31]))[1].tolist() == [False] * 3


@pytest.mark.parametrize("shape", [" 99-99 99:99:99", "9", "-9", ":99"])
def test_ends_like_is_the_regex_of_its_shape(shape: str) -> None:
    """``ends_like`` against ``re`` on random rows (nulls, slices, multi-byte characters): "9" is an
    ASCII digit, anything else itself."""
    rng = random.Random(shape)
    alphabet = [*"0123456789 -:", "红", "١", "a"]
    rx = re.compile("".join("[0-9]" if c == "9" else re.escape(c) for c in shape) + r"\Z")
    for _ in range(300):
        values = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 18))) if rng.random() > 0.1 else None
                  for _ in range(rng.randint(0, 30))]
        arr = pa.array(values, pa.string())
        if len(arr) > 3 and rng.random() < 0.5:
            arr, values = arr.slice(2), values[2:]
        want = [v is not None and bool(rx.search(v)) for v in values]
        assert ends_like(arr, shape).tolist() == want


def test_digits_read_fixed_width_numbers() -> None:
    arr = pa.array(["x 2024-01-02", "红 0999-12-31"], pa.string())
    offsets, data, base = string_buffers(arr)
    end = offsets[1:] - base
    assert digits(data, end - 10, 4).tolist() == [2024, 999]
    assert digits(data, end - 2, 2).tolist() == [2, 31]
