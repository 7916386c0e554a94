"""The shared renderer: CSV formula neutralisation, JSON values, plain text for pipes."""

from __future__ import annotations

import csv
import io
import json
import random

import numpy as np
import pandas as pd
from rich.cells import cell_len

from qunkit.cli.render import _dumps, plain, records, to_csv, to_json, to_text_table


def test_csv_neutralises_formulas_but_not_numbers() -> None:
    df = pd.DataFrame({"name": ["=HYPERLINK(\"http://x\")", "+1", "-cmd", "@SUM(A1)", "\tx", "正常"],
                       "score": [-1.5, 2, -3, 0, 1, 2]})
    rows = list(csv.reader(io.StringIO(to_csv(df))))
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(\"http://x\")", "'+1", "'-cmd", "'@SUM(A1)", "'\tx", "正常"]
    assert rows[1][1] == "-1.5"          # a negative number stays a number


def test_json_values_are_plain() -> None:
    df = pd.DataFrame({"ts": [pd.Timestamp("2024-01-01 12:00", tz="UTC"), pd.NaT], "x": [np.nan, np.int64(3)],
                       "names": [["a", "b"], []]})
    data = json.loads(to_json(df))
    assert data == [{"ts": "2024-01-01T12:00:00+00:00", "x": None, "names": ["a", "b"]},
                    {"ts": None, "x": 3.0, "names": []}]


def test_plain_table_aligns_wide_characters() -> None:
    text = to_text_table(pd.DataFrame({"group": ["读书会", "ab"], "n": [1, 22]}))
    lines = text.splitlines()
    assert lines[0].startswith("group ") and "\x1b" not in text

    # display columns, not code points: 读书会 is 3 characters but 6 columns wide
    assert cell_len(lines[1][: lines[1].index("1")]) == cell_len(lines[2][: lines[2].index("22")]) == 8


def test_json_text_is_json_dumps_with_an_indent_whatever_the_values() -> None:
    """The records layout is written by hand for speed (``render._dumps``): it must be byte for byte what
    ``json.dumps(..., ensure_ascii=False, indent=2)`` gives, nested values and odd scalars included."""
    rnd = random.Random(7)
    values = [None, True, False, 0, -5, 2**70, 1.5, -0.0, 1e300, float("nan"), float("inf"), "", "中文",
              'a\nb"\\\u2028\x00\x1b', [], {}, [1, [2, {"x": None}]], {"k": [1, 2], "j": {}}, (1, 2)]
    keys = ["a", "名字", 'q"', "", "\n"]
    for _ in range(3000):
        payload = [{rnd.choice(keys): rnd.choice(values) for _ in range(rnd.randint(0, 4))}
                   for _ in range(rnd.randint(0, 4))]
        assert _dumps(payload) == json.dumps(payload, ensure_ascii=False, indent=2), payload
    for other in [{}, {"a": 1}, [1, 2], [{"a": 1}, 3], "x", [{1: 2}], []]:     # not a list of records
        assert _dumps(other) == json.dumps(other, ensure_ascii=False, indent=2)


def test_timestamp_columns_render_as_each_timestamp_would() -> None:
    """UTC columns are formatted in one numpy call; fractions of a second, NaT, other zones and naive
    columns must come out as ``Timestamp.isoformat`` gives them cell by cell."""
    utc = pd.Series(pd.to_datetime(["2024-01-01 00:00:00", "2024-01-01 00:00:00.5", None,
                                    "1960-05-05 23:59:59.999", "2262-01-01"], format="ISO8601")).dt.tz_localize("UTC")
    frame = pd.DataFrame({"ns": utc, "ms": utc.dt.as_unit("ms"), "s": utc.dt.floor("s").dt.as_unit("s"),
                          "shanghai": utc.dt.tz_convert("Asia/Shanghai"), "naive": utc.dt.tz_localize(None),
                          "n": [1, 2, 3, 4, 5]})
    expected = [{c: plain(v) for c, v in zip(frame.columns, row, strict=True)} for row in frame.itertuples(index=False)]
    assert records(frame) == expected
    assert expected[1]["ms"] == "2024-01-01T00:00:00.500000+00:00" and expected[2]["ns"] is None


def test_json_of_a_frame_is_json_dumps_of_its_records() -> None:
    """A frame's JSON is written a column at a time (``render._frame_json``); whatever its columns hold it
    must be the text of its records, as ``_dumps`` (= ``json.dumps`` above) writes them."""
    rnd = random.Random(11)
    columns = {
        "s": lambda: rnd.choice(["", "读书会", 'a"\\\n', None]),
        "i": lambda: rnd.choice([0, -3, 2**40]),
        "f": lambda: rnd.choice([0.5, -0.0, float("nan"), 1e300]),
        "b": lambda: rnd.choice([True, False]),
        "o": lambda: rnd.choice([None, 1, "x", [1, "二"], {"k": None}, 2.5]),
        "t": lambda: rnd.choice([pd.Timestamp("2024-05-01 08:00", tz="UTC"), pd.NaT]),
    }
    for _ in range(300):
        names = rnd.sample(sorted(columns), rnd.randint(1, len(columns)))
        frame = pd.DataFrame({c: [columns[c]() for _ in range(rnd.randint(0, 5))] for c in names[:1]})
        for c in names[1:]:
            frame[c] = [columns[c]() for _ in range(len(frame))]
        assert to_json(frame) == _dumps(records(frame)), frame


def test_csv_of_a_frame_is_the_csv_of_its_records() -> None:
    """A frame's CSV is built a column at a time in Arrow (``cli.arrowtext``: only the cells RE2 flags go
    through ``safe_text``/``neutralise``); whatever its columns hold it must be the text the per-cell
    writer gives for its records: controls shown, formulas neutralised, quotes, commas and newlines quoted."""
    rnd = random.Random(13)
    pieces = ["a", "读", "=", "+", "-", "@", "\t", "\r", "\n", ",", '"', "\x1b", "\x00", "\x7f", "\x9b", "😀", " "]
    text = lambda: "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 5)))  # noqa: E731
    columns = {
        "s": lambda: rnd.choice([text(), text(), None]),
        "i": lambda: rnd.choice([0, -3, 2**40]),
        "f": lambda: rnd.choice([0.5, -0.0, 0.0, float("nan"), 1e300, 1e-7, 1234567.5, -2.25]),
        "b": lambda: rnd.choice([True, False]),
        "o": lambda: rnd.choice([None, 1, "=x", [1, "=二"], {"k": "\x1b"}, 2.5]),
        "t": lambda: rnd.choice([pd.Timestamp("2024-05-01 08:00", tz="UTC"), pd.NaT,
                                 pd.Timestamp("2024-05-01 08:00:00.25", tz="UTC")]),
    }
    for _ in range(300):
        names = rnd.sample(sorted(columns), rnd.randint(1, len(columns)))
        frame = pd.DataFrame({c: [columns[c]() for _ in range(rnd.randint(0, 6))] for c in names[:1]})
        for c in names[1:]:
            frame[c] = [columns[c]() for _ in range(len(frame))]
        frame["c"] = pd.Categorical(frame[names[0]].astype(str))
        frame["n"] = pd.array([rnd.choice([1, None]) for _ in range(len(frame))], dtype="Int64")
        for cols in (None, names[:1], [*names, "not there"]):
            assert to_csv(frame, cols) == to_csv(records(frame), cols or list(frame.columns)), frame
    one = pd.DataFrame({"x": ["", "a"]})
    assert to_csv(one) == 'x\n""\na\n'          # the csv module's quoting of a row's only, empty field


def test_plain_table_of_a_frame_is_the_table_of_its_records() -> None:
    """A frame's plain table is built a column at a time (``cli.arrowtext.text_table``: widths from RE2 and
    rich's ``cell_len`` once per distinct wide cell, padding by Arrow); it must be the text the per-cell
    writer gives for its records: wide and zero-width characters, tabs, controls, newlines, trailing spaces."""
    rnd = random.Random(17)
    pieces = ["a", "读", "😀", "ｱ", "é", "\u200b", "\u3000", "\xa0", "\t", "\n", "\x1b", "\x9b", " ", "="]
    text = lambda: "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 5)))  # noqa: E731
    for _ in range(200):
        n = rnd.randint(0, 8)
        frame = pd.DataFrame({"s": [rnd.choice([text(), None]) for _ in range(n)],
                              "i": [rnd.choice([0, -3, 2**40]) for _ in range(n)],
                              "f": [rnd.choice([0.5, float("nan"), 1234567.5, -0.0]) for _ in range(n)],
                              "t": [rnd.choice([pd.Timestamp("2024-05-01 08:00", tz="UTC"), pd.NaT]) for _ in range(n)],
                              "o": [rnd.choice([None, 1, ["a", "读\n"], "x"]) for _ in range(n)]})
        frame["c"] = pd.Categorical(frame["s"])
        cols = rnd.sample(list(frame.columns), rnd.randint(1, len(frame.columns)))
        for title in (None, "Title"):
            assert to_text_table(frame, cols, title) == to_text_table(records(frame), cols, title), frame
