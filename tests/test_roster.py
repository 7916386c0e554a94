"""Member rosters: header matching, encodings, XLSX, dates in the group's zone, reported bad rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl  # a qunkit dependency (XLSX rosters): missing it is a failure, not a skip
import pandas as pd
import pytest

from qunkit.errors import BadInput
from qunkit.formats.base import ParseReport
from qunkit.roster import ROSTER_COLUMNS, read_roster

DATA = Path(__file__).parent / "data" / "roster"


def utc(s: str) -> pd.Timestamp:
    return pd.Timestamp(s, tz="UTC")


def test_qq_member_export_csv_bom():
    report = ParseReport(file="x")
    df = read_roster(DATA / "qq_members.csv", report=report)
    assert tuple(df.columns) == ROSTER_COLUMNS
    assert report.encoding == "utf-8-sig"
    assert df["member_id"].tolist() == ["10001", "10002", "10003", "10004", "10005"]
    # 群名片 preferred over 成员 (nickname); falls back when the card is empty
    assert df["member_name"].tolist() == ["【群主】三哥", "Li (李四)", "小五(运营)", "赵六", "钱七, 小七"]
    assert df["role"].tolist() == ["owner", "admin", "member", None, None]
    # naive times are Asia/Shanghai wall-clock; explicit offsets are kept
    assert df["joined"].tolist()[:3] == [utc("2020-01-05 00:00"), utc("2021-05-31 16:00"), utc("2022-02-01 16:00")]
    assert df["joined"].isna().tolist()[3:] == [True, True]
    assert df.at[0, "last_spoke"] == utc("2024-03-01 13:15")
    assert pd.isna(df.at[1, "last_spoke"])  # 从未发言 is "no date", not an error
    assert df.at[3, "last_spoke"] == utc("2024-03-03 09:00")
    reasons = [(i.line, i.reason.split(" ")[0]) for i in report.issues]
    assert reasons == [(6, "unknown"), (6, "unreadable"), (7, "roster"), (8, "duplicate")]
    assert df.attrs["roster_bad_rows"] == 4 and df.attrs["roster_issues"] == [str(i) for i in report.issues]


def test_roster_frame_writes_to_parquet(tmp_path):
    df = read_roster(DATA / "qq_members.csv")
    df.to_parquet(tmp_path / "r.parquet")  # attrs must stay JSON-serialisable
    back = pd.read_parquet(tmp_path / "r.parquet")
    assert back["member_id"].tolist() == df["member_id"].tolist()


def test_gbk_tsv_wechat_headers_and_epoch_seconds():
    df = read_roster(DATA / "wechat_members_gbk.tsv")
    assert df.attrs["roster_encoding"] == "gb18030"
    assert df.to_dict("list") == {
        "member_id": ["wxid_abc", "wxid_def"],
        "member_name": ["阿猫", "阿狗"],
        "role": ["owner", "member"],
        "joined": [utc("2023-11-14 22:13:20"), pd.NaT],
        "last_spoke": [pd.NaT, pd.NaT],
    }


def test_other_zone(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("id,name,join_time\n1,a,2024-01-01 00:00\n", encoding="utf-8")
    df = read_roster(p, tz="UTC")
    assert df.at[0, "joined"] == utc("2024-01-01")


def test_xlsx_title_row_numbers_and_datetimes(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["某某交流群 群成员列表"])  # a title row above the header, as some tools write
    ws.append([" 序号 ", "QQ号码", "昵称", "群身份", "入群时间", "最后发言"])
    ws.append([1, 123456789, "Alice", "群主", dt.datetime(2023, 5, 1, 9, 30), None])
    ws.append([2, 987654321.0, "(空)", "管理员", "2023-06-01 10:00:00", dt.datetime(2024, 1, 2, 3, 4, 5)])
    ws.append([3, None, "Carol(55555)", "member", None, "-"])
    ws.append([None, None, None, None, None, None])
    p = tmp_path / "members.xlsx"
    wb.save(p)
    df = read_roster(p)
    assert df["member_id"].tolist() == ["123456789", "987654321", "55555"]
    assert df["member_name"].tolist() == ["Alice", "(空)", "Carol"]
    assert df["role"].tolist() == ["owner", "admin", "member"]
    assert df["joined"].tolist()[:2] == [utc("2023-05-01 01:30"), utc("2023-06-01 02:00")]
    assert df.at[1, "last_spoke"] == utc("2024-01-01 19:04:05")
    assert df.attrs["roster_bad_rows"] == 0


def test_name_only_roster_uses_name_as_id(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("群昵称,备注\n小明,\n,同学B\n", encoding="utf-8")
    df = read_roster(p)
    assert df["member_id"].tolist() == ["小明", "同学B"]
    assert df["member_name"].tolist() == ["小明", "同学B"]


def test_no_id_or_name_column_is_bad_input(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("性别,等级\n男,3\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"bad\.csv.*QQ号.*昵称"):
        read_roster(p)


@pytest.mark.parametrize("content", [b"", b"  \n"])
def test_empty_file_is_bad_input(tmp_path, content):
    p = tmp_path / "empty.csv"
    p.write_bytes(content)
    with pytest.raises(BadInput, match="empty"):
        read_roster(p)


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(BadInput, match="no such"):
        read_roster(tmp_path / "nope.csv")
    p = tmp_path / "broken.xlsx"
    p.write_bytes(b"not a zip")
    with pytest.raises(BadInput, match="XLSX"):
        read_roster(p)
