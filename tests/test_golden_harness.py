"""The golden harness itself: a changed cell, a lost row or a missing column fails with a
message that says where; regeneration writes a file the comparison then accepts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from golden_frames import GOLDEN_COLUMNS, REGEN_ENV, assert_golden, read_expected, render, run_parser

from qunkit.cli import cli
from qunkit.store import Store

DATA = Path(__file__).parent / "data" / "qq"


@pytest.fixture(scope="module")
def tricky() -> pd.DataFrame:
    return run_parser("qq-txt", DATA / "tricky.txt")[0]


def test_every_message_column_is_compared(tricky: pd.DataFrame) -> None:
    assert list(read_expected(DATA / "tricky.expected.csv").columns) == GOLDEN_COLUMNS
    assert len(GOLDEN_COLUMNS) == 22
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


# (export, its golden) imported through the CLI
STORED = [("qq/tricky.txt", "qq/tricky"), ("qq/ampm-club.txt", "qq/ampm-club"), ("mht/qq_group.mht", "mht/qq_group"),
          ("qqnt/qce_group.json", "qqnt/qce_group"), ("qqnt/qce_chunked", "qqnt/qce_chunked"),
          ("wechat/产品交流群_utf8.csv", "wechat/产品交流群_utf8"), ("wechat/pywxdump_group", "wechat/pywxdump_group")]


@pytest.mark.parametrize(("rel", "golden"), STORED, ids=[r for r, _ in STORED])
def test_goldens_are_what_qunkit_import_stores(rel: str, golden: str, tmp_path: Path) -> None:
    """`qunkit import` writes exactly the golden rows (every column; the store orders by time)."""
    res = CliRunner().invoke(cli, ["import", str(DATA.parent / rel), "--store", str(tmp_path / "s"), "--quiet"],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    stored = render(Store(tmp_path / "s").messages()).sort_values("msg_key", ignore_index=True)
    want = read_expected(DATA.parent / f"{golden}.expected.csv").sort_values("msg_key", ignore_index=True)
    pd.testing.assert_frame_equal(stored, want)
