"""textio and the shared parser mechanics in formats/base.py: encoding detection past the
first 64 KB, the row buffer, the system-row post-processor and the one local-time policy."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from helpers import parse_file

from qunkit.cli import cli
from qunkit.errors import BadInput
from qunkit.formats import ParseOptions, ParseReport, get_parser
from qunkit.formats.base import ROWS_PER_CHUNK, RowBuffer, lines_array, mark_system, text_chunks
from qunkit.formats.textio import (
    HEAD_BYTES,
    _line_at,
    bytes_encoding,
    detect_encoding,
    file_encoding,
    iter_text_chunks,
    iter_utf8_chunks,
    read_head,
)
from qunkit.localtime import DEFAULT_TZ
from qunkit.store import Store

CHINESE = "大家好，这是中文消息"


def late_chinese(path: Path, encoding: str, ascii_bytes: int = 70 * 1024) -> Path:
    """A QQ message-manager log whose first ``ascii_bytes`` are pure ASCII, then one message in Chinese."""
    lines, size, i = [], 0, 0
    while size < ascii_bytes:
        lines.append(f"2024-05-01 10:{i % 60:02d}:00 member{i % 3}({30001 + i % 3})\nhello number {i}\n\n")
        size += len(lines[-1])
        i += 1
    tail = f"2024-05-02 10:00:00 成员(30009)\n{CHINESE}\n\n"
    path.write_bytes("".join(lines).encode("ascii") + tail.encode(encoding))
    return path


# ------------------------------------------------------------------ detection


def test_gb18030_after_an_ascii_head_of_70_kb_is_detected(tmp_path: Path) -> None:
    path = late_chinese(tmp_path / "late.txt", "gb18030")
    assert path.read_bytes()[:HEAD_BYTES].isascii()
    assert file_encoding(path) == "gb18030"
    assert read_head(path)[1] == "gb18030"
    text = "".join(iter_text_chunks(path, file_encoding(path), chunk_bytes=4096))
    assert CHINESE in text and "\ufffd" not in text


def test_gb18030_after_an_ascii_head_imports_through_the_cli(tmp_path: Path) -> None:
    path = late_chinese(tmp_path / "late.txt", "gb18030")
    store = tmp_path / "s"
    res = CliRunner().invoke(cli, ["import", str(path), "--store", str(store), "--input-format", "qq-txt",
                                   "--format", "json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    [summary] = json.loads(res.stdout)
    assert summary["encoding"] == "gb18030"
    assert not any("\ufffd" in n for n in summary["notes"])
    texts = Store(store).messages(columns=["text"])["text"]
    assert (texts == CHINESE).sum() == 1
    assert not texts.str.contains("\ufffd").any()


def test_utf8_after_an_ascii_head_stays_utf8(tmp_path: Path) -> None:
    path = late_chinese(tmp_path / "late.txt", "utf-8")
    assert file_encoding(path) == "utf-8"
    got, _ = parse_file(path, "qq-txt")
    assert (got["text"] == CHINESE).sum() == 1


def test_a_utf8_file_with_one_bad_byte_late_is_not_read_as_gb18030(tmp_path: Path) -> None:
    """GB18030 decodes almost any bytes: real UTF-8 text must not lose to it over one stray byte."""
    path = tmp_path / "u.txt"
    body = "".join(f"2024-05-01 10:00:{i % 60:02d} 成员{i}(3000{i % 9})\n中文内容 {i}\n\n" for i in range(3000))
    path.write_bytes(body.encode("utf-8") + b"2024-05-02 10:00:00 x(30001)\nbad \xff byte\n")
    assert path.stat().st_size > 2 * HEAD_BYTES
    assert file_encoding(path) == "utf-8"


@pytest.mark.parametrize("ending", ["\r\n", "\r", "mixed"])
def test_utf8_bytes_cut_into_the_lines_of_the_decoded_text(tmp_path: Path, ending: str) -> None:
    """The undecoded UTF-8 path keeps CRLF and lone CR as written; ``lines_array`` cuts at each, so
    its lines are the decoded text's for every block size (a CR or a CRLF straddling blocks
    included), and ``_line_at`` numbers a line as the decoding path does."""
    lines = [f"2024-05-01 10:{i % 60:02d}:00 成员{i}({30001 + i})" if i % 3 == 0 else f"{CHINESE} {i}"
             for i in range(300)] + ["", "", "\t", "last line"]
    breaks = {"mixed": ["\r\n", "\r", "\n", "\r\r\n"]}.get(ending, [ending])
    raw = "".join(line + breaks[i % len(breaks)] for i, line in enumerate(lines))
    path = tmp_path / "log.txt"
    path.write_bytes(codecs.BOM_UTF8 + raw.encode("utf-8"))
    text = "".join(iter_text_chunks(path, "utf-8-sig", 1 << 20))
    expected = text.split("\n")[:-1]
    assert len(expected) >= len(lines)
    for block in (7, 64, 1000, 4099, 1 << 20):
        pieces = list(iter_utf8_chunks(path, "utf-8-sig", block))
        assert [line for p in pieces for line in lines_array(p).to_pylist()] == expected, block
    data = path.read_bytes()
    for offset in range(0, len(data), 97):
        prefix = data[:offset].decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n")
        assert _line_at(path, offset, block=50) == prefix.count("\n") + 1, offset


def test_later_blocks_may_start_inside_a_character() -> None:
    gb = ("中文" * 50 + "\n").encode("gb18030") * 40
    # cut one byte into a two-byte character: the sample is aligned on its first line break
    assert detect_encoding(b"ascii head\n", later=[gb[1:], gb[3:]]) == "gb18030"
    utf = ("中文" * 50 + "\n").encode("utf-8") * 40
    assert detect_encoding(b"ascii head\n", later=[utf[1:], utf[2:]]) == "utf-8"
    assert detect_encoding(b"ascii head\n", later=[utf[1:].replace(b"\n", b"")]) == "utf-8"  # one long line


@pytest.mark.parametrize("encoding,expected", [("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16"),
                                               ("utf-8", "utf-8"), ("gb18030", "gb18030")])
def test_small_files_keep_their_head_verdict(encoding: str, expected: str) -> None:
    assert detect_encoding(f"消息对象:{CHINESE}\n".encode(encoding)) == expected


def test_declared_gbk_is_tried_first_and_binary_is_refused() -> None:
    ambiguous = "中".encode()  # valid UTF-8 and valid GB18030
    assert detect_encoding(ambiguous) == "utf-8"
    assert detect_encoding(ambiguous, prefer="GBK") == "gb18030"
    with pytest.raises(BadInput, match="binary"):
        detect_encoding(b"abc\x00def")
    with pytest.raises(BadInput, match="cannot decode"):
        detect_encoding(b"\x80\x80\x80\xff\xff")


# ------------------------------------------------------------------ shared mechanics


def test_row_buffer_hands_out_full_chunks_then_the_rest() -> None:
    buf = RowBuffer(("a", "b"), rows=3)
    sizes = []
    for i in range(7):
        buf.cols["a"].append(i)
        buf.cols["b"].append(-i)
        got = buf.take()
        if got is not None:
            sizes.append(len(got["a"]))
    last = buf.take(final=True)
    assert sizes == [3, 3] and last == {"a": [6], "b": [-6]}
    assert buf.take(final=True) is None and len(buf) == 0
    assert RowBuffer(("x",)).rows == ROWS_PER_CHUNK


def test_mark_system_files_notices_under_the_system_sender() -> None:
    df = pd.DataFrame({"sender_id": ["1", "2", "3"], "sender_name": ["甲", "乙", "丙"], "kind": "text",
                       "text": ["hi", "张三撤回了一条消息", "李四加入本群"], "event": None, "event_actor": None,
                       "event_target": None})
    mark_system(df, np.array([False, True, True]), sender=np.array([False, False, True]))
    assert df["kind"].tolist() == ["text", "recall", "system"]
    assert df["event"].tolist()[1:] == ["recall", "join"]
    assert df["sender_id"].tolist() == ["1", "2", "system"]
    assert df["sender_name"].tolist() == ["甲", "乙", "系统消息"]


def test_text_chunks_keep_the_report_up_to_date(tmp_path: Path) -> None:
    path = late_chinese(tmp_path / "late.txt", "gb18030")
    report = ParseReport(str(path))
    pieces = list(text_chunks(path, ParseOptions(chunk_bytes=8192), report))
    assert len(pieces) > 5 and all(p.endswith("\n") for p in pieces)
    assert report.encoding == "gb18030" and report.bytes_read == path.stat().st_size


def test_qce_txt_reports_progress(tmp_path: Path) -> None:
    path = tmp_path / "qce.txt"
    path.write_text(_qce_txt([("2024-05-01 10:00:00", "a"), ("2024-05-01 10:01:00", "b")]), encoding="utf-8")
    report = ParseReport(str(path))
    list(get_parser("qce-txt")().parse(path, ParseOptions(chunk_bytes=64), report))
    assert report.bytes_read == path.stat().st_size and report.encoding == "utf-8"


# ------------------------------------------------------------------ one local-time policy

# Europe/Berlin: 2024-03-31 02:30 does not exist (shifts forward to 03:00 CEST = 01:00 UTC);
# 2024-10-27 02:30 happens twice (standard time, CET: 01:30 UTC).  Never NaT, never dropped.
GAP, FOLD = "2024-03-31 02:30:00", "2024-10-27 02:30:00"
WANT_UTC = ["2024-03-31T01:00:00+00:00", "2024-10-27T01:30:00+00:00"]


def _qce_txt(messages: list[tuple[str, str]]) -> str:
    body = "".join(f"\n发言人:\n时间: {when}\n内容: {text}\n" for when, text in messages)
    return ("[QQChatExporter V5 / https://github.com/shuakami/qq-chat-exporter]\n"
            f"聊天名称: 测试群\n聊天类型: 群聊\n{body}")


def _write(tmp_path: Path, fmt: str) -> Path:
    if fmt == "qq-txt":
        text = "".join(f"{when} 甲(123456)\n{t}\n\n" for when, t in ((GAP, "gap"), (FOLD, "fold")))
        path = tmp_path / "qq.txt"
        path.write_text(f"消息对象:测试群\n{'=' * 64}\n\n{text}", encoding="utf-8")
    elif fmt == "qce-txt":
        path = tmp_path / "qce.txt"
        path.write_text(_qce_txt([(GAP, "gap"), (FOLD, "fold")]), encoding="utf-8")
    else:
        msgs = [{"id": str(i), "timestamp": when.replace(" ", "T"), "sender": {"uin": "123456", "name": "甲"},
                 "content": {"text": t}} for i, (when, t) in enumerate(((GAP, "gap"), (FOLD, "fold")))]
        path = tmp_path / "qce.json"
        path.write_text(json.dumps({"metadata": {"name": "QQChatExporter", "version": "5.0"},
                                    "chatInfo": {"name": "测试群", "type": "group"}, "messages": msgs},
                                   ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["qq-txt", "qce-txt", "qce-json"])
def test_dst_gap_and_fold_follow_the_one_policy(tmp_path: Path, fmt: str) -> None:
    got, report = parse_file(_write(tmp_path, fmt), fmt, tz="Europe/Berlin")
    assert got["text"].tolist() == ["gap", "fold"]
    assert [t.isoformat() for t in got["ts"].dt.tz_convert("UTC")] == WANT_UTC
    assert report.bad_lines == 0


def test_the_default_zone_is_localtimes() -> None:
    assert ParseOptions().tz == DEFAULT_TZ


def test_utf16_without_bom_is_still_binary(tmp_path: Path) -> None:
    path = tmp_path / "u16.txt"
    path.write_bytes(codecs.encode("消息对象:群\n", "utf-16-le"))
    with pytest.raises(BadInput, match="binary"):
        read_head(path)


def test_bytes_encoding_checks_every_byte_of_small_files() -> None:
    raw = b"member_id,member_name\n" + b"10001,alice\n" * 6000 + "10002,张三\n".encode("gb18030")
    assert len(raw) > HEAD_BYTES and raw[:HEAD_BYTES].isascii()
    assert bytes_encoding(raw) == "gb18030"
    assert bytes_encoding("10002,张三\n".encode("utf-8-sig")) == "utf-8-sig"
