"""Golden-file tests for the WeChat importers.

Every export in tests/data/wechat/ was written by hand from the layouts in
shared/formats/FORMATS.md section 3; ``<name>.expected.csv`` beside it is the
table the parser must produce (all MESSAGES columns, rendered as golden_frames.py
says).  Parsing goes through the public API (get_parser + finish_chunk) so the
canonical cast is covered too.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
from golden_frames import assert_golden, render, run_parser

from qunkit.formats import ParseReport, sniff
from qunkit.formats.events import parse_events, split_names
from qunkit.formats.wechat_io import iter_csv

DATA = Path(__file__).parent / "data" / "wechat"
TZ = "Asia/Shanghai"


def parse(fmt: str, path: Path, **opts) -> tuple[pd.DataFrame, ParseReport]:
    return run_parser(fmt, path, TZ, **opts)


# (format, export file or folder, {line: reason fragment} of the issues the file must report)
GOLDEN = [
    ("wechatmsg-csv", "产品交流群_utf8.csv", {39: "CreateTime", 40: "8 fields"}),
    ("wechatmsg-csv", "老同学_utf8.csv", {}),
    ("wechatmsg-txt", "读书会.txt", {}),
    ("wechatmsg-txt", "家族群.txt", {1: "before the first message header", 14: "not a valid date"}),
    ("pywxdump-csv", "pywxdump_group", {13: "_5_10.csv line 6: no readable CreateTime"}),
    ("pywxdump-csv", "pywxdump_private/wxid_friend_0_3.csv", {}),
    ("chatlog-json", "chatlog_group.json", {8: "not a message object"}),
    ("chatlog-json", "chatlog_cut.json", {4: "truncated"}),
    ("chatlog-csv", "chatlog_short.csv", {11: "no readable time"}),
    ("chatlog-txt", "chatlog_yearless.txt", {18: "not a valid date"}),
    ("weflow-json", "weflow_group.json", {9: "not an object", 10: "no readable createTime"}),
    ("weflow-json", "weflow_cut.json", {5: "truncated"}),
    ("weflow-json", "echotrace_private.json", {}),
]
# options a golden file is parsed with (chatlog text has no year: the fixture says which)
OPTIONS = {"chatlog_yearless.txt": {"year": 2023}}


def expected_path(name: str) -> Path:
    """``<name>.expected.csv`` beside the export (a folder's sits beside the folder)."""
    p = DATA / name
    return p.parent / (p.name.removesuffix(p.suffix) + ".expected.csv")


@pytest.mark.parametrize(("fmt", "name", "issues"), GOLDEN, ids=[g[1] for g in GOLDEN])
def test_golden(fmt: str, name: str, issues: dict[int, str]) -> None:
    df, report = parse(fmt, DATA / name, **OPTIONS.get(name, {}))
    assert_golden(df, expected_path(name))
    assert report.truncated == name.endswith("_cut.json")
    assert report.truncated == any("cut short" in n for n in report.notes)
    assert report.bad_lines == len(issues)
    got = {i.line: i.reason for i in report.issues}
    assert set(got) == set(issues), report.issues
    for line, fragment in issues.items():
        assert fragment in got[line]
    assert (df["platform"] == "wechat").all()


@pytest.mark.parametrize(("fmt", "name"), [(g[0], g[1]) for g in GOLDEN], ids=[g[1] for g in GOLDEN])
def test_sniff(fmt: str, name: str) -> None:
    assert sniff(DATA / name).name == fmt


@pytest.mark.parametrize(("fmt", "name"), [(g[0], g[1]) for g in GOLDEN], ids=[g[1] for g in GOLDEN])
def test_small_chunks_give_the_same_rows(fmt: str, name: str) -> None:
    """Chunk boundaries (text pieces; chat_type settling) must not change any column, msg_key included."""
    whole, r1 = parse(fmt, DATA / name, **OPTIONS.get(name, {}))
    for chunk in (7, 300):   # every few bytes, and whole lines
        part, r2 = parse(fmt, DATA / name, chunk_bytes=chunk, **OPTIONS.get(name, {}))
        pd.testing.assert_frame_equal(render(part), render(whole))
        assert r2.bad_lines == r1.bad_lines


def test_self_id_and_name_options() -> None:
    df, _ = parse("wechatmsg-csv", DATA / "老同学_utf8.csv", self_id="wxid_me", self_name="阿明")
    me = df[df["msg_id"] == "2"].iloc[0]
    assert (me["sender_id"], me["sender_name"]) == ("wxid_me", "阿明")


def test_csv_reader_lines_across_blocks(tmp_path: Path) -> None:
    """Physical line numbers survive quoted newlines, CRLF, blank lines and bad rows in tiny blocks."""
    p = tmp_path / "t.csv"
    p.write_bytes('\ufeffa,b,c\r\n1,"x\r\ny",3\r\n2,3\r\n\r\n4,"p\nq\nr",6,7\r\n5,6,7\r\n8,"9\n",10\n11,12\n'.encode())
    report = ParseReport(str(p))
    rows = pd.concat(list(iter_csv(p, report, block_bytes=20)), ignore_index=True)
    assert rows["a"].tolist() == ["1", "5", "8"]
    assert rows["b"].tolist() == ["x\ny", "6", "9\n"]
    assert rows["source_line"].tolist() == [2, 9, 10]
    assert sorted(i.line for i in report.issues) == [4, 6, 12]
    assert report.bad_lines == 3


def test_events_wechat_notices() -> None:
    """Notices the WeChat parsers rely on, including the "你邀请…" line added to events.PATTERNS."""
    ev = parse_events(pd.Series([
        '你邀请"孙七"加入了群聊',
        '"张三"邀请"李四、王五"加入了群聊',
        '"张三"邀请你加入了群聊，群聊参与人还有：A、B',
        '"王五" 撤回了一条消息',
    ]))
    assert ev["event"].tolist() == ["join", "join", "join", "recall"]
    assert ev["event_actor"].tolist()[:3] == ["你", "张三", "张三"]
    assert ev["event_target"].tolist() == ["孙七", "李四、王五", "你", "王五"]
    assert split_names(ev["event_target"][1]) == ["李四", "王五"]


def test_pywxdump_single_page_of_a_folder_uses_users_json() -> None:
    df, report = parse("pywxdump-csv", DATA / "pywxdump_group" / "23456789@chatroom_0_5.csv")
    assert df["group_name"].unique().tolist() == ["周末羽毛球群"]
    assert df["sender_name"].tolist()[:2] == ["张三（组长）", "李四"]
    assert report.bad_lines == 0


@pytest.mark.parametrize(("mtime", "first"), [("2024-01-05 12:00:00", 2023), ("2024-01-01 12:00:00", 2022),
                                              ("2025-03-01 08:00:00", 2024)])
def test_chatlog_text_year_from_mtime(tmp_path: Path, mtime: str, first: int) -> None:
    """Without --year the export's mtime dates its last message; one new year is crossed in the file."""
    p = tmp_path / "chatlog_yearless.txt"
    p.write_bytes((DATA / "chatlog_yearless.txt").read_bytes())
    t = pd.Timestamp(mtime, tz=TZ).timestamp()
    os.utime(p, (t, t))
    df, report = parse("chatlog-txt", p)
    years = df["ts"].dt.tz_convert(TZ).dt.year.tolist()
    assert years == [first, first] + [first + 1] * 5
    assert any(f"dated {first}–{first + 1}" in n for n in report.notes), report.notes


def test_chatlog_text_full_years_need_no_inference(tmp_path: Path) -> None:
    p = tmp_path / "full.txt"
    p.write_text("赵一(wxid_zhao) 2021-06-01 08:00:00\n早\n\n钱二(wxid_qian) 2021-06-01 08:01:00\n早啊\n",
                 encoding="utf-8")
    df, report = parse("chatlog-txt", p)
    assert [t.isoformat() for t in df["ts"].dt.tz_convert(TZ)] == ["2021-06-01T08:00:00+08:00",
                                                                    "2021-06-01T08:01:00+08:00"]
    assert df["group_id"].unique().tolist() == ["full"]
    assert df["chat_type"].unique().tolist() == ["group"]
    assert not any("no years" in n for n in report.notes)


def test_weflow_messages_before_session_and_huge_avatar(tmp_path: Path) -> None:
    """Key order is not guaranteed; a big avatar blob is skipped, not kept."""
    doc = json.loads((DATA / "echotrace_private.json").read_text(encoding="utf-8-sig"))
    p = tmp_path / "小丽.json"
    p.write_text(json.dumps({"messages": doc["messages"], "avatars": {"x": "A" * 3_000_000},
                             "session": doc["session"]}, ensure_ascii=False), encoding="utf-8")
    df, report = parse("weflow-json", p)
    assert len(df) == 3 and df["group_id"].unique().tolist() == ["wxid_lili"]
    assert df["chat_type"].unique().tolist() == ["private"]
    del doc["session"]
    p.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    df, report = parse("weflow-json", p)
    assert df["group_id"].unique().tolist() == ["小丽"]
    assert any("no session" in n for n in report.notes)


def test_wechatmsg_csv_chatroom_talker_and_group_chat_type(tmp_path: Path) -> None:
    """A TalkerId that is a chatroom id becomes the group id; one speaker alone still makes a group."""
    p = tmp_path / "某群_utf8.csv"
    p.write_text("localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime,Remark,NickName,Sender\n"
                 "1,999@chatroom,1,0,0,1700000000,2,hi,2023-11-15 06:13:20,,甲,wxid_a\n", encoding="utf-8")
    df, report = parse("wechatmsg-csv", p)
    assert (df["group_id"].iloc[0], df["group_name"].iloc[0], df["chat_type"].iloc[0]) == ("999@chatroom", "某群", "group")
    assert report.bad_lines == 0
