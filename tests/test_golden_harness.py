"""The golden harness itself: a changed cell, a lost row or a missing column fails with a
message that says where; regeneration writes a file the comparison then accepts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from golden_frames import GOLDEN_COLUMNS, REGEN_ENV, assert_golden, read_expected, render, run_parser

from qunkit.store import Store

DATA = Path(__file__).parent / "data" / "qq"


@pytest.fixture(scope="module")
def tricky() -> pd.DataFrame:
    return run_parser("qq-txt", DATA / "tricky.txt")[0]


def test_every_message_column_is_compared(tricky: pd.DataFrame) -> None:
    assert list(read_expected(DATA / "tricky.expected.csv").columns) == GOLDEN_COLUMNS
    assert len(GOLDEN_COLUMNS) == 21
    row = render(tricky).iloc[0]
    assert (row["ts"], row["tz"], row["mentions"]) == ("2024-03-01T01:05:07Z", "Asia/Shanghai", '["@all"]')
    assert row["source_file"] == "tricky.txt" and row["msg_key"].isdigit()


@pytest.mark.parametrize("column", ["msg_key", "source_file", "tz", "mentions", "ts"])
def test_a_changed_cell_fails_and_names_row_and_column(tricky: pd.DataFrame, column: str) -> None:
    df = tricky.copy()
    df[column] = df[column].astype(object)
    df.at[2, column] = {"msg_key": 12345, "source_file": "other.txt", "tz": "UTC", "mentions": ["x"],
                        "ts": pd.Timestamp("2030-01-01", tz="UTC")}[column]
    with pytest.raises(AssertionError, match=rf"row 3 {column}: got"):
        assert_golden(df, DATA / "tricky.expected.csv")


def test_a_lost_row_and_a_short_header_fail(tricky: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="7 rows parsed, 8 expected"):
        assert_golden(tricky.iloc[1:], DATA / "tricky.expected.csv")
    short = tmp_path / "short.expected.csv"
    read_expected(DATA / "tricky.expected.csv").drop(columns=["msg_key"]).to_csv(short, index=False)
    with pytest.raises(AssertionError, match=r"missing \['msg_key'\]"):
        assert_golden(tricky, short)


def test_regeneration_round_trips_and_is_refused_in_ci(tricky: pd.DataFrame, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "new.expected.csv"
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv(REGEN_ENV, "1")
    assert_golden(tricky, out)
    monkeypatch.delenv(REGEN_ENV)
    assert_golden(tricky, out)
    assert out.read_bytes() == (DATA / "tricky.expected.csv").read_bytes()
    monkeypatch.setenv(REGEN_ENV, "1")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(RuntimeError, match="never in CI"):
        assert_golden(tricky, out)


STORED = [("qq-txt", "qq/tricky.txt"), ("qq-txt", "qq/ampm-club.txt"), ("qq-mht", "mht/qq_group.mht"),
          ("qce-json", "qqnt/qce_group.json"), ("qce-jsonl", "qqnt/qce_chunked"),
          ("wechatmsg-csv", "wechat/产品交流群_utf8.csv"), ("pywxdump-csv", "wechat/pywxdump_group")]


@pytest.mark.parametrize(("fmt", "rel"), STORED, ids=[r for _, r in STORED])
def test_harness_rows_are_the_stored_rows(fmt: str, rel: str, tmp_path: Path) -> None:
    """What the goldens pin is what Store.import_file writes (same source_file, keys, every column)."""
    path = DATA.parent / rel
    store = Store(tmp_path / "s")
    store.import_file(path)
    stored = render(store.messages()).sort_values(["msg_key"], ignore_index=True)
    parsed = render(run_parser(fmt, path)[0]).sort_values(["msg_key"], ignore_index=True)
    pd.testing.assert_frame_equal(stored, parsed)
