"""Inputs the fuzzers found (fuzz/atheris_fuzz.py, and the random mutator it replaced), as regression
tests: each input is a few literal bytes written here, minimised by hand from the saved crash.

Also checks the fuzz harness itself stays whole: a target for every registered format, seeds for
each, and every seed read through the harness's import path without a crash.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import parse_file

from qunkit.cli import cli
from qunkit.formats import ParseOptions, ParseReport, format_names, get_parser
from qunkit.formats.textio import decode_blocks, file_encoding
from qunkit.ingest import parsed_tables

ROOT = Path(__file__).resolve().parents[1]


def _harness():
    spec = importlib.util.spec_from_file_location("atheris_fuzz", ROOT / "fuzz" / "atheris_fuzz.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)   # atheris itself is imported only when fuzzing
    return mod


# -- the harness ----------------------------------------------------------------------------------------
def test_every_format_has_a_fuzz_target_with_seeds() -> None:
    fz = _harness()
    assert sorted(fz.TARGETS) == sorted(format_names())
    assert all(fz.seeds(fmt) for fmt in fz.TARGETS), [f for f in fz.TARGETS if not fz.seeds(f)]


def test_every_seed_reads_through_the_harness_with_messages(tmp_path: Path) -> None:
    """The seeds are real exports once written back by ``write_export`` (directory formats included):
    each gives messages, so the fuzzer starts from inputs the parser accepts."""
    fz = _harness()
    for fmt in fz.TARGETS:
        for name, blob in fz.seeds(fmt):
            path = fz.write_export(fmt, blob, tmp_path / "work")
            messages, _ = fz.read_like_import(fmt, path)
            assert messages > 0 or name == "channel_result.json", (fmt, name)


# -- found by atheris -------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", format_names())
def test_an_empty_file_with_a_forced_format_is_a_clear_error(tmp_path: Path, fmt: str) -> None:
    """An empty file with ``--input-format`` (sniff skipped): was ``LookupError: unknown encoding: ''``
    (exit 3 as an internal error) in the text readers; now the same BadInput sniffing gives."""
    f = tmp_path / "empty.txt"
    f.write_bytes(b"")
    res = CliRunner().invoke(cli, ["import", str(f), "--store", str(tmp_path / "s"), "--input-format", fmt])
    assert res.exit_code == 3
    assert "the file is empty; expected a chat export" in res.output and "internal error" not in res.output


def test_an_empty_page_in_a_folder_export_reads_as_nothing(tmp_path: Path) -> None:
    """The decoder's side of the same crash: an empty file inside a folder export has encoding "",
    which now reads as empty UTF-8 text instead of a LookupError."""
    f = tmp_path / "page.csv"
    f.write_bytes(b"")
    assert list(decode_blocks([b""], file_encoding(f))) == []


# -- found by the random mutator (PyWxDump CSV) ----------------------------------------------------------
def test_a_header_with_quotes_inside_a_name_and_a_blank_line_is_not_a_crash(tmp_path: Path) -> None:
    """A header pyarrow splits differently from ``read_csv_header`` (a quote inside a field) leaves a
    column without the string type; with an empty line in it that column held a null, and the
    per-record byte count became float: ``Cannot cast ufunc 'add' output from float64 to int64``."""
    f = tmp_path / "1@chatroom_0_5.csv"
    f.write_bytes(b'{"id":"a1","b":1}\n0672\n\n00000,"x"\n')
    df, report = parse_file(f, "pywxdump-csv")
    assert len(df) == 0 and report.bad_lines >= 1   # not an export: rows reported, nothing stored


def test_a_quoted_header_name_keeps_the_good_rows(tmp_path: Path) -> None:
    """The same mismatch in an otherwise good PyWxDump page: the named columns still read."""
    header = 'id,MsgSvrID,type_name,is_sender,talker,room_name,msg,src,CreateTime,{"a":"b"'
    rows = ['1,7000000000000000001,文本,0,wxid_a,1@chatroom,hello,,2024-03-01 10:00:00,', "",
            '2,7000000000000000002,文本,0,wxid_b,1@chatroom,world,,2024-03-01 10:00:05,']
    f = tmp_path / "1@chatroom_0_5.csv"
    f.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    (tmp_path / "users.json").write_text(json.dumps({"wxid_a": {"nickname": "甲"}}), encoding="utf-8")
    df, _ = parse_file(f, "pywxdump-csv")
    assert df["text"].tolist() == ["hello", "world"]


# -- found reading the qce-jsonl target's code ----------------------------------------------------------
def test_a_manifest_chunk_path_outside_the_export_is_not_read(tmp_path: Path) -> None:
    """The fuzzer mutates ``relativePath``; ``../`` or an absolute path used to be read as a chunk
    (any file on the machine, quoted in the report's excerpts)."""
    outside = tmp_path / "secret.jsonl"
    outside.write_text('{"not": "a message"}\n', encoding="utf-8")
    export = tmp_path / "export"
    (export / "chunks").mkdir(parents=True)
    good = {"id": "1", "seq": "1", "timestamp": 1709254800000, "sender": {"uid": "u1", "uin": "10001", "name": "甲"},
            "type": "type_1", "content": {"text": "hi", "elements": []}, "recalled": False, "system": False}
    (export / "chunks" / "c000001.jsonl").write_text(json.dumps(good) + "\n", encoding="utf-8")
    chunks = [{"index": 1, "relativePath": "chunks/c000001.jsonl"}, {"index": 2, "relativePath": "../secret.jsonl"},
              {"index": 3, "relativePath": str(outside)}]
    (export / "manifest.json").write_text(json.dumps({
        "metadata": {"name": "QQChatExporter", "version": "5.5.0"}, "chatInfo": {"name": "群", "type": "group"},
        "chunked": {"chunksDir": "chunks", "chunks": chunks}}), encoding="utf-8")
    df, report = parse_file(export, "qce-jsonl")
    assert df["text"].tolist() == ["hi"]
    refused = [i.reason for i in report.issues if "outside the export folder" in i.reason]
    assert len(refused) == 2 and not any("not a message" in i.excerpt for i in report.issues)


@pytest.mark.parametrize("quote", ["", '"'], ids=["arrow", "line-by-line"])
def test_a_header_naming_a_column_twice_reads_the_first(tmp_path: Path, quote: str) -> None:
    """atheris (chatlog-csv): ``KeyError: Field "Sender" exists 2 times in schema``.  The first column
    of a name counts, in the pyarrow reader and in the line-by-line re-read an unmatched quote causes."""
    rows = ["Time,SenderName,Sender,TalkerName,Talker,Content,Sender",
            "2024-01-02 10:00:00,赵一,wxid_zhao,书会,1@chatroom,first,wxid_other",
            f"2024-01-02 10:00:05,钱二,wxid_qian,书会,1@chatroom,{quote}second,wxid_other",
            "2024-01-02 10:00:09,孙三,wxid_sun,书会,1@chatroom,third,wxid_other"]
    f = tmp_path / "chat.csv"
    f.write_text("\n".join(rows) + "\n", encoding="utf-8")
    df, report = parse_file(f, "chatlog-csv")
    # (chatlog rows start with a date, not a numeric id, so the open quote runs to the end of the file)
    kept = ["first", "second", "third"] if not quote else ["first"]
    assert df["text"].tolist() == kept
    assert df["sender_id"].tolist() == [{"first": "wxid_zhao", "second": "wxid_qian", "third": "wxid_sun"}[t]
                                        for t in kept]
    assert report.bad_lines == (1 if quote else 0)


def test_create_time_texts_mixing_offsets_and_far_years_are_read_or_bad_lines(tmp_path: Path) -> None:
    """atheris (pywxdump-csv): ``Mixed timezones detected`` when one page's CreateTime texts mixed an
    offset with wall-clock times, then ``OutOfBoundsDatetime`` for year 1012.  Wall-clock texts are
    read in --tz, texts with an offset at it, and a year outside pandas' range is a bad line."""
    header = "id,MsgSvrID,type_name,is_sender,talker,room_name,msg,src,CreateTime"
    times = ["2024-03-01 10:00:00", "2024-03-01 10:00:00+00:00", "2024-03-01T02:00:05Z", "1012-03-01 09:05:00"]
    rows = [f"{i},{7 * 10**18 + i},文本,0,wxid_a,1@chatroom,m{i},,{t}" for i, t in enumerate(times, 1)]
    f = tmp_path / "1@chatroom_0_5.csv"
    f.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    df, report = parse_file(f, "pywxdump-csv", tz="Asia/Shanghai")
    assert df["text"].tolist() == ["m1", "m2", "m3"]
    assert [t.isoformat() for t in df["ts"]] == ["2024-03-01T02:00:00+00:00", "2024-03-01T10:00:00+00:00",
                                                 "2024-03-01T02:00:05+00:00"]
    assert report.bad_lines == 1 and "no readable CreateTime" in report.issues[0].reason


@pytest.mark.parametrize("when", ["0001-01-01 00:00:00", "9999-12-31 23:59:59"])
def test_a_qce_time_text_past_nanoseconds_is_a_bad_line(tmp_path: Path, when: str) -> None:
    """atheris (qce-json): ``OverflowError: Cannot convert Timestamp to nanoseconds`` for a time text
    in year 1 or 9999; now it is read, and the import's plausible-date window drops it as a bad line."""
    msgs = [{"id": str(i), "seq": str(i), "timestamp": ts, "sender": {"uid": "u1", "uin": "10001", "name": "甲"},
             "type": "type_1", "content": {"text": f"m{i}", "elements": []}, "recalled": False, "system": False}
            for i, ts in enumerate([1709254800000, when], 1)]
    f = tmp_path / "q.json"
    f.write_text(json.dumps({"metadata": {"name": "QQChatExporter", "version": "5.2.1"},
                             "chatInfo": {"name": "群", "type": "group"}, "messages": msgs}), encoding="utf-8")
    report = ParseReport(file=str(f), format="qce-json")
    tables = list(parsed_tables(f, get_parser("qce-json"), ParseOptions(), report))
    assert [t for tb in tables for t in tb.column("text").to_pylist()] == ["m1"]
    assert report.bad_lines == 1 and "implausible timestamp" in report.issues[0].reason


def test_qce_txt_times_mixing_offsets_are_read(tmp_path: Path) -> None:
    """atheris (qce-txt): the same ``Mixed timezones detected`` from one ``时间:`` line with an offset."""
    head = ("[QQChatExporter V5 / https://github.com/shuakami/qq-chat-exporter]\n\n" + "=" * 47 +
            "\n           QQ聊天记录导出文件\n" + "=" * 47 + "\n\n聊天名称: 群\n聊天类型: 群聊\n\n\n")
    recs = [("甲", "2025-01-01 12:00:00"), ("乙", "2025-01-01 12:00:05+00:00"), ("丙", "2025-13-01 12:00:09")]
    body = "".join(f"{who}:\n时间: {t}\n内容: hi {who}\n\n" for who, t in recs)
    f = tmp_path / "q.txt"
    f.write_text(head + body, encoding="utf-8")
    df, report = parse_file(f, "qce-txt", tz="Asia/Shanghai")
    assert df["sender_name"].tolist() == ["甲", "乙"]
    assert [t.isoformat() for t in df["ts"]] == ["2025-01-01T04:00:00+00:00", "2025-01-01T12:00:05+00:00"]
    assert report.bad_lines == 1 and "unreadable time" in report.issues[0].reason
