"""The shared renderer: CSV formula neutralisation, JSON values, plain text for pipes."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pandas as pd
from rich.cells import cell_len

from qunkit.cli.render import to_csv, to_json, to_text_table


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
