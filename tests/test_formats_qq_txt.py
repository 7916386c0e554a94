"""QQ message-manager .txt: golden files, encodings, chunking, bad lines."""

from __future__ import annotations

import codecs
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from golden_frames import assert_golden, render, run_parser

from qunkit.errors import BadInput
from qunkit.formats import ParseOptions, ParseReport, get_parser, sniff
from qunkit.formats.qq_txt import AM, HEADER_RE, HEADER_START, PM, SENDER_RE, _header_fields, _wall_seconds

# ampm-club: 12-hour clock (incl. 12 AM / 12 PM), a title with （）and |, system senders 10000 and
# 1000000, a placeholder with text, a multi-line notice, a blank body, a join notice, two rows in one second.
# friends-email: a friend chat (name-only sender), a URL body, multi-line bodies (one with a blank
# line inside), name<email> senders, a sticker, a 消息对象 starting with "*" in a second section.
# tricky: titles, @全体成员, an id-less "(10003)" sender, 我, stray lines, a recall line, two groups.
CASES = ["ampm-club", "friends-email", "tricky"]


@pytest.mark.parametrize("name", CASES)
def test_golden(data_dir: Path, name: str) -> None:
    got, report = run_parser("qq-txt", data_dir / "qq" / f"{name}.txt")
    assert_golden(got, data_dir / "qq" / f"{name}.expected.csv")
    assert report.bad_lines == 0 and report.issues == []


def test_twelve_hour_clock_blank_body_and_system_senders(data_dir: Path) -> None:
    got, _ = run_parser("qq-txt", data_dir / "qq" / "ampm-club.txt")
    local = got["ts"].dt.tz_convert("Asia/Shanghai").dt.strftime("%m-%d %H:%M:%S").tolist()
    assert local == ["04-17 21:02:11", "04-17 21:02:11", "04-17 21:03:40", "04-17 21:05:02", "04-17 21:07:30",
                     "04-17 12:30:00", "04-18 00:05:00", "04-18 07:15:45"]   # 12:30 PM is noon, 12:05 AM after midnight
    assert got["group_name"].unique().tolist() == ["桌游夜谈（UTC+8 9pm | 周六）"]
    assert got.loc[3, "text"] == "" and got.loc[3, "kind"] == "text"        # a header with an empty body
    assert got.loc[2, "text"] == "第一行\n第二行"
    system = got[got["sender_id"] == "system"]
    assert system["source_line"].tolist() == [12, 15, 22]                # both 10000 and 1000000 are the system
    assert (system["event"].tolist(), system.iloc[-1]["event_target"]) == (["other", "other", "join"], "新来的旅人")
    assert got["msg_key"].iloc[0] != got["msg_key"].iloc[1]


def test_friend_chat_email_senders_and_multiline_bodies(data_dir: Path) -> None:
    got, _ = run_parser("qq-txt", data_dir / "qq" / "friends-email.txt")
    assert got["group_name"].tolist() == ["Brook.Lin", "Brook.Lin", "*脚本语言爱好者", "*脚本语言爱好者"]
    assert got["chat_type"].unique().tolist() == ["private"]
    assert got["sender_id"].tolist() == ["Brook.Lin", "Brook.Lin", "evening_wind@example.com", "brook.lin@example.net"]
    assert got["sender_name"].tolist()[2:] == ["晚风拂面，星河长明", "Brook.Lin"]
    assert got["kind"].tolist() == ["link", "text", "text", "sticker"]
    assert got.loc[1, "text"].count("\n") == 2
    assert "\n\n" in got.loc[2, "text"]                                  # a blank line inside a body is kept


@pytest.mark.parametrize("name", CASES)
def test_sniffed_as_qq_txt(data_dir: Path, name: str) -> None:
    assert sniff(data_dir / "qq" / f"{name}.txt").name == "qq-txt"


@pytest.mark.parametrize("encoding,newline", [("utf-8-sig", "\r\n"), ("utf-8", "\n"), ("gb18030", "\r\n"),
                                              ("utf-16", "\r\n")])
def test_encodings_and_newlines_give_the_same_rows(data_dir: Path, tmp_path: Path, encoding: str,
                                                   newline: str) -> None:
    text = (data_dir / "qq" / "tricky.txt").read_text(encoding="utf-8")
    path = tmp_path / "x.txt"
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    got, report = run_parser("qq-txt", path)
    base, _ = run_parser("qq-txt", data_dir / "qq" / "tricky.txt")
    pd.testing.assert_frame_equal(render(got).drop(columns="source_file"), render(base).drop(columns="source_file"))
    assert report.encoding.replace("-sig", "").startswith(encoding.replace("-sig", "")[:5])


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("chunk", [7, 100])
def test_chunk_boundaries_do_not_change_the_result(data_dir: Path, name: str, chunk: int) -> None:
    """Every column, msg_key included (the occurrence carry crosses chunk boundaries)."""
    small, _ = run_parser("qq-txt", data_dir / "qq" / f"{name}.txt", chunk_bytes=chunk)
    whole, _ = run_parser("qq-txt", data_dir / "qq" / f"{name}.txt")
    pd.testing.assert_frame_equal(render(small), render(whole))


def test_lines_outside_messages_are_counted_and_the_rest_imports(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(
        "消息对象:群A\n================================================================\n"
        "garbage before any header\nmore garbage\n\n"
        "2024-01-01 10:00:00 甲(123456)\nhello\n\n"
        "2024-02-30 10:00:00 乙(234567)\nimpossible date\n\n"
        "2024-01-02 10:00:00 丙(345678)\nbye\n",
        encoding="utf-8",
    )
    got, report = run_parser("qq-txt", path)
    assert got["text"].tolist() == ["hello", "bye"]
    assert report.bad_lines == 3
    assert [i.line for i in report.issues] == [3, 4, 9]
    assert "impossible date" in report.issues[2].reason
    assert str(report.issues[0]).startswith(f"{path}:3:")


def test_truncated_file_imports_what_is_complete(tmp_path: Path) -> None:
    path = tmp_path / "cut.txt"
    path.write_text("消息对象:群A\n====================\n\n2024-01-01 10:00:00 甲(123456)\nhello\n\n"
                    "2024-01-01 10:01:00 乙(234567)\nhalf a mes", encoding="utf-8")
    got, report = run_parser("qq-txt", path)
    assert len(got) == 2
    assert report.truncated
    assert any("truncated" in n for n in report.notes)


def test_binary_and_empty_files_get_clear_errors(tmp_path: Path) -> None:
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(BadInput, match="binary"):
        sniff(binary)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(BadInput, match="empty"):
        sniff(empty)
    other = tmp_path / "notes.txt"
    other.write_text("just some notes\nnothing else\n", encoding="utf-8")
    with pytest.raises(BadInput, match="Supported formats"):
        sniff(other)


def test_mentions_and_titles(data_dir: Path) -> None:
    got, _ = run_parser("qq-txt", data_dir / "qq" / "tricky.txt")
    first = got.iloc[0]
    assert list(first["mentions"]) == ["@all"]
    assert first["sender_title"] == "【管理员】"


def test_gb18030_detected(tmp_path: Path) -> None:
    path = tmp_path / "gbk.txt"
    path.write_bytes(codecs.encode("消息对象:老群\n=================\n\n2012-05-01 8:00:00 张三(10001)\n你好\n", "gb18030"))
    got, report = run_parser("qq-txt", path)
    assert report.encoding == "gb18030"
    assert got["text"].tolist() == ["你好"]


HEADERS = [
    "2019-09-23 8:43:38 PM 【管理员】骰娘-Roll100(87200175)",
    "2019-09-23 8:43:38PM glued(1)",
    "2019-09-23 8:43:38 PMx(123)",          # a name that starts with PM
    "2019-09-23 8:43:38 PM (123)",
    "2019-09-23 8:43:38 PM ",
    "2019-09-23 8:43:38 PM",                # no space after PM: PM is the name
    "2019-09-23 8:43:38PM PM name",
    "2019-09-23 8:43:38 am AM",
    "2019-09-23 08:43:38  two spaces(1) ",
    "2024-1-2 12:00:00 我",
    "2024-1-2 12:00:00 a(1)(2) \t",
    "2024-1-2 12:00:00 a (x@y) b<c@d>",
    "2024-1-2 12:00:00 【群主】 【活跃】 名字 (10001)",
    "2024-12-31 23:59:59 <e@mail>",
]


@pytest.mark.parametrize("line", HEADERS)
def test_header_fields_are_those_of_the_header_regex(line: str) -> None:
    """The parser cuts headers with string kernels and parses each distinct sender once; the fields are
    what the one regex of the layout (HEADER_RE) captures from the whole line."""
    arr = pa.array([line])
    assert pc.match_substring_regex(arr, HEADER_START)[0].as_py()
    want = pc.extract_regex(arr, HEADER_RE)[0].as_py()
    fields = _header_fields(arr)
    got = {k: v[0].as_py() for k, v in fields.items() if k != "ampm"}
    got["ampm"] = {0: "", AM: "AM", PM: "PM"}[int(fields["ampm"][0])]     # a code: the case is not kept
    got.update(pc.extract_regex(pa.array([got.pop("sender")]), SENDER_RE)[0].as_py())
    assert got == {**want, "ampm": want["ampm"].upper()}


CLOCKS = [("2020-01-01", "23:59:60"), ("2020-01-01", "10:00:60"), ("2020-01-01", "10:00:61"),
          ("2020-01-01", "10:00:62"), ("2020-01-01", "24:00:00"), ("2020-1-1", "1:00:00"),
          ("2020-02-30", "1:00:00"), ("2020-02-29", "1:00:00"), ("2019-02-29", "1:00:00"),
          ("2020-01-01", "10:60:00"), ("0000-01-01", "10:00:00"), ("0000-02-29", "9:09:09"),
          ("2020-00-01", "10:00:00"), ("2020-01-00", "10:00:00"), ("2020-01-32", "10:00:00"),
          ("2020-4-31", "0:00:00"), ("1969-12-31", "23:00:00"), ("9999-12-31", "23:59:59"),
          ("2100-02-29", "12:00:00"), ("2000-02-29", "12:00:00"), ("2024-12-31", "99:00:00")]


def test_header_times_are_read_as_strptime_and_the_day_check_read_them() -> None:
    """The times are read from their bytes; what is kept, at which second, and what is reported as
    impossible is what Arrow's strptime followed by the rolled-over-day check gave (the reading
    before), on the edge cases of both."""
    date, clock = (pa.array(list(col)) for col in zip(*CLOCKS, strict=True))
    naive = pc.strptime(pc.binary_join_element_wise(date, clock, " "), format="%Y-%m-%d %H:%M:%S", unit="s",
                        error_is_null=True)
    ymd = pc.extract_regex(date, r"^(?P<y>\d+)-(?P<m>\d+)-(?P<d>\d+)$")
    same_day = pc.and_(pc.equal(pc.month(naive), pc.cast(ymd.field("m"), pa.int64())),
                       pc.equal(pc.day(naive), pc.cast(ymd.field("d"), pa.int64())))
    want_bad = ~pc.fill_null(same_day, False).to_numpy(zero_copy_only=False)
    secs, bad = _wall_seconds(date, clock)
    assert bad.tolist() == want_bad.tolist()
    assert secs[~bad].tolist() == pc.cast(naive, pa.int64()).to_numpy(zero_copy_only=False)[~want_bad].tolist()
    assert 0 < bad.sum() < len(CLOCKS)


def test_a_bad_byte_late_in_a_crlf_export_is_noted_at_its_line(tmp_path: Path) -> None:
    """A CRLF export stays on the undecoded path until a block that is not valid UTF-8; from there it is
    decoded, and the replaced byte is reported at its own line (counted over the CRLFs and lone CRs before it)."""
    lines = ["消息对象:测试群", "================================================================"]
    for i in range(60):
        lines += [f"2024-05-01 10:{i:02d}:00 成员{i % 3}({30001 + i % 3})", f"第{i}条", ""]
    raw = "\r\n".join(lines[:50]) + "\r" + "\r\n".join(lines[50:]) + "\r\n"   # one lone CR on line 50
    bad_line = 3 + 3 * 58 + 1                         # 1-based: the body line of message 58
    data = raw.encode("utf-8").replace("第58条".encode(), "第58条".encode() + b"\xff")
    path = tmp_path / "late-bad-byte.txt"
    path.write_bytes(codecs.BOM_UTF8 + data)
    report = ParseReport(file=str(path), format="qq-txt")
    frames = list(get_parser("qq-txt")().parse(path, ParseOptions(chunk_bytes=256), report))
    got = pd.concat(frames, ignore_index=True)
    assert len(got) == 60 and got["text"].iloc[58] == "第58条\ufffd" and got["text"].iloc[57] == "第57条"
    assert [n for n in report.notes if "replaced" in n] == [
        f"line {bad_line}: bytes that are not valid utf-8-sig were replaced by �"]
