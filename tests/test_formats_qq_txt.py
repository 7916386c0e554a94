"""QQ message-manager .txt: golden files, encodings, chunking, bad lines."""

from __future__ import annotations

import codecs
from pathlib import Path

import pandas as pd
import pytest
from helpers import comparable, expected, parse_file

from qunkit.errors import BadInput
from qunkit.formats import sniff

CASES = ["trpg-ampm", "victorwoo", "tricky"]


@pytest.mark.parametrize("name", CASES)
def test_golden(data_dir: Path, name: str) -> None:
    src = data_dir / "qq" / f"{name}.txt"
    want = expected(data_dir / "qq" / f"{name}.expected.csv")
    got, report = parse_file(src, "qq-txt")
    pd.testing.assert_frame_equal(comparable(got, list(want.columns)), want)
    assert report.bad_lines == 0


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
    got, report = parse_file(path, "qq-txt")
    base, _ = parse_file(data_dir / "qq" / "tricky.txt", "qq-txt")
    cols = ["group_name", "ts", "sender_id", "sender_name", "kind", "text", "source_line"]
    pd.testing.assert_frame_equal(comparable(got, cols), comparable(base, cols))
    assert report.encoding.replace("-sig", "").startswith(encoding.replace("-sig", "")[:5])


@pytest.mark.parametrize("chunk", [7, 64, 200, 1 << 20])
def test_chunk_boundaries_do_not_change_the_result(data_dir: Path, chunk: int) -> None:
    small, _ = parse_file(data_dir / "qq" / "tricky.txt", "qq-txt", chunk_bytes=chunk)
    whole, _ = parse_file(data_dir / "qq" / "tricky.txt", "qq-txt")
    cols = ["group_name", "ts", "sender_id", "kind", "text", "event", "source_line"]
    pd.testing.assert_frame_equal(comparable(small, cols), comparable(whole, cols))


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
    got, report = parse_file(path, "qq-txt")
    assert got["text"].tolist() == ["hello", "bye"]
    assert report.bad_lines == 3
    assert [i.line for i in report.issues] == [3, 4, 9]
    assert "impossible date" in report.issues[2].reason
    assert str(report.issues[0]).startswith(f"{path}:3:")


def test_truncated_file_imports_what_is_complete(tmp_path: Path) -> None:
    path = tmp_path / "cut.txt"
    path.write_text("消息对象:群A\n====================\n\n2024-01-01 10:00:00 甲(123456)\nhello\n\n"
                    "2024-01-01 10:01:00 乙(234567)\nhalf a mes", encoding="utf-8")
    got, report = parse_file(path, "qq-txt")
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
    got, _ = parse_file(data_dir / "qq" / "tricky.txt", "qq-txt")
    first = got.iloc[0]
    assert list(first["mentions"]) == ["@all"]
    assert first["sender_title"] == "【管理员】"


def test_gb18030_detected(tmp_path: Path) -> None:
    path = tmp_path / "gbk.txt"
    path.write_bytes(codecs.encode("消息对象:老群\n=================\n\n2012-05-01 8:00:00 张三(10001)\n你好\n", "gb18030"))
    got, report = parse_file(path, "qq-txt")
    assert report.encoding == "gb18030"
    assert got["text"].tolist() == ["你好"]
