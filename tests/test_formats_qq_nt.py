"""QQ NT exporters: QQChatExporter (QCE) JSON, chunked-jsonl and TXT; ChatLab JSON/JSONL.

Golden files live in tests/data/qqnt/: each export was written by hand from the
documented layout (shared/formats/FORMATS.md §2, ChatLab's format spec); the
``*.expected.csv`` beside it holds all MESSAGES columns (see golden_frames.py; first
written by hand and checked row by row).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from golden_frames import assert_golden, run_parser

from qunkit.errors import BadInput
from qunkit.formats import sniff
from qunkit.formats.chatlab import ChatLabParser
from qunkit.formats.jsonstream import TopLevelArrayReader
from qunkit.formats.qce_txt import QceTxtParser, _times
from qunkit.localtime import text_times_utc

DATA = Path(__file__).parent / "data" / "qqnt"


# ---------------------------------------------------------------- QCE JSON

def test_qce_json_golden():
    df, report = run_parser("qce-json", DATA / "qce_group.json")
    assert_golden(df, DATA / "qce_group.expected.csv")
    assert not report.truncated
    assert [(i.line, i.reason) for i in report.issues] == [
        (13, "message has no usable timestamp"),
        (14, "message record is not a JSON object"),
    ]
    assert report.bad_lines == 2
    assert set(df["platform"]) == {"qq"} and set(df["chat_type"]) == {"group"}
    assert df["msg_key"].is_unique


def test_qce_json_private_v4():
    df, report = run_parser("qce-json", DATA / "qce_private_v4.json")
    assert_golden(df, DATA / "qce_private_v4.expected.csv")
    assert set(df["chat_type"]) == {"private"}
    assert report.bad_lines == 0


def test_qce_json_sniffed():
    assert sniff(DATA / "qce_group.json").name == "qce-json"
    assert sniff(DATA / "qce_private_v4.json").name == "qce-json"


@pytest.mark.parametrize(
    ("cut_after", "complete", "lost_record"),
    [('"id":"7005"', 4, 5), ('"text":"发错群', 9, 10), ('"messages":[', 0, None), ('"text":"时间丢了"}},', 12, None)],
)
def test_qce_json_truncated_imports_complete_records(tmp_path, cut_after, complete, lost_record):
    full = (DATA / "qce_group.json").read_text(encoding="utf-8")
    part = tmp_path / "cut.json"
    part.write_text(full[: full.index(cut_after) + len(cut_after)], encoding="utf-8")
    whole, _ = run_parser("qce-json", DATA / "qce_group.json")
    df, report = run_parser("qce-json", part)
    assert report.truncated
    assert len(df) == complete
    assert df["msg_id"].tolist() == whole["msg_id"].tolist()[:complete]
    assert any("truncated" in note for note in report.notes)
    lost = [i.line for i in report.issues if "truncated" in i.reason]
    assert lost == ([lost_record] if lost_record else [])


def test_qce_json_cut_before_messages(tmp_path):
    full = (DATA / "qce_group.json").read_text(encoding="utf-8")
    part = tmp_path / "cut.json"
    part.write_text(full[:200], encoding="utf-8")
    df, report = run_parser("qce-json", part)
    assert len(df) == 0 and report.truncated


def test_qce_json_malformed_record_is_skipped_and_reported(tmp_path):
    full = (DATA / "qce_group.json").read_text(encoding="utf-8")
    bad = full.replace('{"id":"7004",', '{"id":"7004",,', 1)
    p = tmp_path / "bad.json"
    p.write_text(bad, encoding="utf-8")
    df, report = run_parser("qce-json", p)
    assert "7004" not in df["msg_id"].tolist()
    assert len(df) == 12
    assert any(i.line == 4 and "malformed" in i.reason for i in report.issues)


def test_qce_json_not_an_export(tmp_path):
    p = tmp_path / "x.json"
    p.write_text('{"chatInfo": {"name": "x"}, "other": []}', encoding="utf-8")
    with pytest.raises(BadInput, match="messages"):
        run_parser("qce-json", p)


@pytest.mark.parametrize("block", [1, 3, 7, 64, 1 << 20])
@pytest.mark.parametrize("indent", [None, 2])
def test_reader_any_block_size_escapes_and_skipped_values(block, indent):
    doc = {"avatars": {"1": "B" * 300, "2": "q\\\"\\\\]}"}, "metadata": {"name": "QQChatExporter"},
           "chatInfo": {"name": "群\\\"x", "n": [1, {"b": "]}\\\\"}]},
           "messages": [{"id": "1", "t": 1234567890123}, {"id": "2", "s": "中\\\\\u4e2d", "f": -1.5e3}, 7],
           "exportOptions": {}}
    text = json.dumps(doc, ensure_ascii=False, indent=indent)
    reader = TopLevelArrayReader(io.BytesIO(text.encode()), "messages", keep=("chatInfo",), block=block)
    assert reader.open()
    assert reader.header == {"chatInfo": doc["chatInfo"]}  # avatars/metadata skipped, not kept
    assert [e.value for e in reader.elements()] == doc["messages"]
    assert not reader.truncated


def test_reader_resyncs_after_a_malformed_pretty_record():
    text = '{"messages": [\n    {"id": 1},\n    {"id": 2, oops},\n    {"id": 3, "x": {"y": 1}}\n  ]}'
    reader = TopLevelArrayReader(io.BytesIO(text.encode()), "messages", block=4)
    assert reader.open()
    got = [(e.index, e.value, bool(e.error)) for e in reader.elements()]
    assert got == [(1, {"id": 1}, False), (2, None, True), (3, {"id": 3, "x": {"y": 1}}, False)]


def test_reader_stops_before_the_avatars_blob():
    blob = "A" * 5_000_000
    doc = '{"chatInfo":{},"messages":[{"id":1},{"id":2}],"avatars":{"1":"' + blob + '"}}'
    reader = TopLevelArrayReader(io.BytesIO(doc.encode()), "messages", block=64 * 1024)
    assert reader.open()
    assert [e.value for e in reader.elements()] == [{"id": 1}, {"id": 2}]
    assert reader.bytes_read <= 64 * 1024


# ---------------------------------------------------------------- QCE chunked-jsonl

@pytest.mark.parametrize("entry", ["dir", "manifest"])
def test_qce_jsonl_golden(entry):
    base = DATA / "qce_chunked"
    path = base if entry == "dir" else base / "manifest.json"
    df, report = run_parser("qce-jsonl", path)
    assert set(df["source_file"]) == {path.name}   # what the user named: the folder or its manifest
    assert_golden(df.assign(source_file="qce_chunked"), DATA / "qce_chunked.expected.csv")
    # chunks are read in the manifest's index order, not its list order; record 5 is broken
    assert [(i.line, i.reason.split(":")[0]) for i in report.issues] == [(5, "chunks/c000002.jsonl")]
    assert "c000002.jsonl:2" in report.issues[0].reason
    assert not report.truncated


def test_qce_jsonl_sniffed_from_dir_and_manifest():
    assert sniff(DATA / "qce_chunked").name == "qce-jsonl"
    assert sniff(DATA / "qce_chunked" / "manifest.json").name == "qce-jsonl"


def test_qce_jsonl_old_names_no_chunk_list_and_cut_last_line():
    df, report = run_parser("qce-jsonl", DATA / "qce_chunked_old")
    assert df["msg_id"].tolist() == ["a1"]
    assert df["group_id"].tolist() == ["老格式"]  # no peer id: the chat name
    assert report.truncated
    assert "chunks/chunk_0002.jsonl:1" in report.issues[0].reason


def test_qce_json_and_jsonl_map_the_same_record_identically(tmp_path):
    """One mapping function: the same CleanMessage gives the same row in both exports."""
    rec = json.loads((DATA / "qce_chunked" / "chunks" / "c000001.jsonl").read_text(encoding="utf-8").splitlines()[3])
    info = {"name": "读书会", "type": "group", "peerUin": "88880000"}
    single = tmp_path / "one.json"
    single.write_text(json.dumps({"metadata": {"name": "QQChatExporter"}, "chatInfo": info, "messages": [rec]}),
                      encoding="utf-8")
    (tmp_path / "d" / "chunks").mkdir(parents=True)
    (tmp_path / "d" / "manifest.json").write_text(json.dumps({"chatInfo": info, "chunked": {}}), encoding="utf-8")
    (tmp_path / "d" / "chunks" / "c000001.jsonl").write_text(json.dumps(rec) + "\n", encoding="utf-8")
    a, _ = run_parser("qce-json", single)
    b, _ = run_parser("qce-jsonl", tmp_path / "d")
    cols = ["group_id", "ts", "sender_id", "sender_name", "kind", "text", "reply_to", "msg_key"]
    assert a[cols].to_dict("records") == b[cols].to_dict("records")


# ---------------------------------------------------------------- QCE TXT

def test_qce_txt_golden():
    df, report = run_parser("qce-txt", DATA / "qce_group.txt")
    assert_golden(df, DATA / "qce_group_txt.expected.csv")
    assert [(i.line, i.reason) for i in report.issues] == [(71, "unreadable time")]


def test_qce_txt_wrapped_lines_and_message_numbers():
    df, report = run_parser("qce-txt", DATA / "qce_wrapped.txt")
    assert_golden(df, DATA / "qce_wrapped_txt.expected.csv")
    assert set(df["chat_type"]) == {"private"}
    assert report.bad_lines == 0 and any("wrapped at 20" in n for n in report.notes)


QCE_PIECES = """[QQChatExporter V5 / https://example.invalid]

聊天名称: 切片群
聊天类型: 群聊

[1]
[管理员] 甲:
时间: 2025-01-01 12:00:00
类型: type_1
内容: 第一条
第二行

提及: 乙, 全体成员
回复: 01-01 11:59 乙 - 早

[2]
乙:
时间: 2025-01-01 12:01:00
内容: [image消息]
资源: 1 个文件
  - image: a.jpg

===============================
多出来的一行
[3]
丙:
时间: 2025-01-01 12:02:00
内容: 分隔线之后

丁:
时间: 2025-01-01 12:03:00
没有内容行

戊:
时间: 2025-01-01 12:04:00
内容: 甲撤回了一条消息
===============================================
              导出完成
总计导出 9 条消息
"""


@pytest.mark.parametrize("chunk", [64, 150, 1 << 20])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_qce_txt_pieces_read_as_one_reading_of_the_whole_file(tmp_path: Path, chunk: int, newline: str) -> None:
    """Cut into pieces of any size (each parsed alone, on threads), a QCE text export gives the rows and
    findings of one reading: the preamble, the optional fields at a record's end, the "[n]" line above
    the next record, text outside any record after a separator (the label and number lines above the
    next record too), a record without 内容:, a notice written under a name, the footer's count."""
    path = tmp_path / "qce.txt"
    path.write_bytes(QCE_PIECES.replace("\n", newline).encode("utf-8"))
    df, report = run_parser("qce-txt", path, chunk_bytes=chunk)
    assert set(df["group_name"]) == {"切片群"}
    assert df["sender_name"].tolist() == ["甲", "乙", "丙", "系统消息"]
    assert df["text"].tolist() == ["第一条\n第二行", "[图片]", "分隔线之后", "甲撤回了一条消息"]
    assert df["kind"].tolist() == ["text", "image", "text", "recall"]
    assert list(df["mentions"][0]) == ["乙", "@all"] and df["sender_title"][0] == "管理员"
    assert df["source_line"].tolist() == [7, 17, 26, 34]
    assert [(i.line, i.reason) for i in report.issues] == [
        (24, "text outside any record"), (25, "text outside any record"), (26, "text outside any record"),
        (30, "record has no 内容: line")]
    assert report.truncated and any("announces 9 messages but the file holds 4" in n for n in report.notes)


QCE_TIMES = ["2025-01-01 12:00:00", "2025-01-01 12:00:60", "2025-01-01 24:00:00", "2025-02-29 01:00:00",
             "2024-02-29 01:00:00", "2025-01-01 1:00:00", "1600-01-01 00:00:00", "1678-01-01 00:00:00",
             "2261-12-31 23:59:59", "2262-05-01 00:00:00", "2025-13-01 00:00:00", "2025-00-10 00:00:00",
             "2025-01-01T08:00:00", "2025-01-01 08:00:00+08:00", "2025/01/01 12:00", "bad", "",
             "2100-02-29 00:00:00", "2000-02-29 00:00:00", "2025-03-30 02:30:00", "2025-10-26 02:30:00"]


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "Europe/Berlin"])
def test_qce_txt_times_read_from_digits_are_those_pandas_reads(tz: str) -> None:
    """``YYYY-MM-DD HH:MM:SS`` is read from its digits; every time, that layout or another, impossible,
    out of pandas' range, in a DST gap or fold, comes out as ``text_times_utc`` reads it."""
    got, bad = _times(pa.array(QCE_TIMES), tz)
    want = text_times_utc(pd.Series(QCE_TIMES, dtype=object).str.replace("T", " "), tz)
    assert bad.tolist() == want.isna().tolist()
    assert [t.isoformat() if t is not None else None for t in got.to_pylist()] == \
        [None if pd.isna(t) else t.to_pydatetime().isoformat() for t in want]
    assert 3 < bad.sum() < len(QCE_TIMES) - 5


def test_qce_txt_sniff_does_not_take_legacy_qq_txt():
    legacy = sorted((DATA.parent / "qq").glob("*.txt"))
    assert len(legacy) == 3
    for path in legacy:
        assert QceTxtParser.sniff(path, path.read_text(encoding="utf-8")) == 0, path.name
    head = "消息记录（此消息记录为文本格式，不支持重新导入）\n\n====\n消息对象:某群\n====\n\n2019-09-23 8:43:38 PM 甲(1)\n1\n"
    assert QceTxtParser.sniff(legacy[0], head) == 0
    assert sniff(DATA / "qce_group.txt").name == "qce-txt"


# ---------------------------------------------------------------- ChatLab (docs/cn/chatlab-format.md v0.0.2)

def test_chatlab_json_golden():
    df, report = run_parser("chatlab", DATA / "chatlab_group.json")
    assert_golden(df, DATA / "chatlab_group.expected.csv")
    assert [(i.line, i.reason) for i in report.issues] == [(8, "message has no usable timestamp"),
                                                           (9, "message has no sender")]
    assert any("0.0.2" in n for n in report.notes)


def test_chatlab_jsonl_golden():
    df, report = run_parser("chatlab", DATA / "chatlab_private.jsonl")
    assert_golden(df, DATA / "chatlab_private.expected.csv")
    assert [i.line for i in report.issues] == [7, 9, 10]
    assert report.truncated  # the last line has no line break and does not parse


def test_chatlab_sniffed_and_not_taken_for_qce():
    assert sniff(DATA / "chatlab_group.json").name == "chatlab"
    assert sniff(DATA / "chatlab_private.jsonl").name == "chatlab"

    assert ChatLabParser.sniff(DATA / "qce_group.json", (DATA / "qce_group.json").read_text(encoding="utf-8")) == 0


HUGE_SCRIPT = textwrap.dedent(
    """
    import resource, sys, time
    from pathlib import Path
    from qunkit.formats import ParseOptions, ParseReport, finish_chunk, get_parser
    import pandas, pyarrow  # imported before the baseline is taken
    path = Path(sys.argv[1])
    parser = get_parser("qce-json")
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    report = ParseReport(file=str(path))
    n = 0
    for df in parser().parse(path, ParseOptions(), report):
        n += finish_chunk(df, parser, str(path), "Asia/Shanghai").num_rows
    took = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(n, (peak - base) * 1024, took, report.truncated, report.bad_lines)
    """
)


def test_qce_json_huge_avatars_blob_streams_in_bounded_memory(tmp_path):
    """~200 MB export whose messages come first and a giant base64 avatar after:
    the parser must import every message without reading (or holding) the blob."""
    pytest.importorskip("resource", reason="peak RSS is measured with the Unix-only resource module")
    path = tmp_path / "huge.json"
    n_msgs = 3000
    with open(path, "wb") as fh:
        fh.write(b'{\n  "metadata":{"name":"QQChatExporter","version":"5.0.0"},\n'
                 b'  "chatInfo":{"name":"big","type":"group","peerUin":"555"},\n  "statistics":{},\n  "messages":[\n')
        for i in range(n_msgs):
            rec = {"id": str(i), "timestamp": 1735704000000 + i * 1000,
                   "sender": {"uid": f"u_{i % 50}", "uin": str(10000 + i % 50), "name": f"成员{i % 50}"},
                   "content": {"text": f"第{i}条消息", "elements": [{"type": "text", "data": {"text": f"第{i}条消息"}}]},
                   "recalled": False, "system": False}
            fh.write(("    " + json.dumps(rec, ensure_ascii=False) + (",\n" if i < n_msgs - 1 else "\n")).encode())
        fh.write(b'  ],\n  "avatars":{"10000":"data:image/png;base64,')
        chunk = b"iVBORw0KGgoAAAANSUhEUgAA" * ((8 << 20) // 24)
        for _ in range((200 << 20) // len(chunk)):
            fh.write(chunk)
        fh.write(b'"},\n  "exportOptions":{}\n}\n')
    size = path.stat().st_size
    assert size > 190 << 20
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", HUGE_SCRIPT, str(path)], capture_output=True, text=True,
                         check=True, timeout=60)
    rows, peak_delta, took, truncated, bad = out.stdout.split()
    assert int(rows) == n_msgs and truncated == "False" and bad == "0"
    assert float(peak_delta) < size / 8, f"peak RSS grew by {float(peak_delta) / 2**20:.0f} MB for a {size >> 20} MB file"
    assert time.perf_counter() - t0 < 20
