"""The piece engine of line-based imports (formats/pieces.py): cuts before headers, line numbers,
bounded carry, ordered results, and parses that do not depend on the number of threads."""

from __future__ import annotations

import random
import re
import threading
import time
from pathlib import Path

import pytest
from golden_frames import run_parser

from qunkit.formats.base import lines_array
from qunkit.formats.pieces import (
    THREADS_ENV,
    RecordPieces,
    line_regex_starts,
    ordered_map,
    parse_workers,
    regex_starts,
)
from qunkit.formats.whatsapp_txt import ANDROID_HEADER
from qunkit.parsereport import MAX_KEPT_ISSUES, ParseReport

QQ_START = regex_starts(re.compile(rb"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} "))


def qq_lines(n: int, crlf: bool = False) -> bytes:
    out = []
    for i in range(n):
        out.append(f"2024-01-01 10:{i // 60 % 60:02d}:{i % 60:02d} 某人{i % 7}({10000 + i % 7})")
        out.extend([f"正文 {i}", "第二行" if i % 3 == 0 else "", ""])
    return ("\r\n" if crlf else "\n").join(out).encode() + (b"\r\n" if crlf else b"\n")


def blocks(data: bytes, size: int) -> list[bytes]:
    """Line-aligned blocks of about ``size`` bytes, as textio hands them on."""
    out, at = [], 0
    while at < len(data):
        cut = data.find(b"\n", at + size)
        cut = len(data) if cut < 0 else cut + 1
        out.append(data[at:cut])
        at = cut
    return out


@pytest.mark.parametrize("crlf", [False, True])
def test_pieces_cut_before_headers_and_count_lines(crlf: bool) -> None:
    data = qq_lines(400, crlf)
    pieces = list(RecordPieces(blocks(data, 1500), QQ_START))
    assert len(pieces) > 5
    assert b"".join(p.data for p in pieces) == data          # nothing lost, nothing repeated
    all_lines = lines_array(data).to_pylist()
    for p in pieces:
        lines = lines_array(p.data).to_pylist()
        assert all_lines[p.first_line: p.first_line + len(lines)] == lines   # first_line is right
        if p.index:
            assert re.match(r"\d{4}-", lines[0])                            # each starts on a header
    assert [p.index for p in pieces] == list(range(len(pieces)))
    assert pieces[0].at_start and not pieces[1].at_start


def test_lone_cr_counts_as_a_break() -> None:
    data = qq_lines(200).replace(b"\n", b"\r")
    cuts = [data.find(b"\r", k) + 1 for k in range(900, len(data), 900)]
    parts = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    pieces = list(RecordPieces(parts, QQ_START))
    assert len(pieces) > 3 and b"".join(p.data for p in pieces) == data
    all_lines = lines_array(data).to_pylist()
    for p in pieces:
        lines = lines_array(p.data).to_pylist()
        assert all_lines[p.first_line: p.first_line + len(lines)] == lines


def test_lines_array_cuts_where_the_decoded_text_is_cut() -> None:
    """LF, CRLF (every break one, or some) and lone CR, in any mix: the lines of the normalised text.
    Chunks with only LF or only CRLF take Arrow's split (``lines_array``'s fast path), the rest the
    offset arithmetic; both must cut where the decoded text is cut."""
    rng = random.Random(4)
    alphabets = (["a", "\r\n", "\n", "\r", "字", "\r\r\n", "\n\r", "b\r\n"], ["a", "\n", "字", " "],
                 ["a", "\r\n", "字", " "])
    for i in range(4500):
        text = "".join(rng.choice(alphabets[i % 3]) for _ in range(rng.randint(0, 12)))
        want = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        assert lines_array(text.encode()).to_pylist() == (want[:-1] if want[-1] == "" else want)


def test_a_stretch_without_headers_is_handed_on_past_max_carry() -> None:
    junk = b"".join(b"not a header line %d\n" % i for i in range(2000))
    pieces = list(RecordPieces(blocks(junk, 4096), QQ_START, max_carry=16 << 10))
    assert len(pieces) > 1                                  # memory stays bounded
    assert b"".join(p.data for p in pieces) == junk
    assert max(len(p.data) for p in pieces) < 32 << 10


def test_whatsapp_cut_uses_the_parsers_own_header_test() -> None:
    rows = []
    for i in range(300):
        rows.append(f"\u200e{i % 28 + 1:02d}/03/2024, 10:{i % 60:02d} - Bob: line {i}")
        if i % 4 == 0:
            rows.append("12/03 is not a header (no time)")
    data = ("\r\n".join(rows) + "\r\n").encode()
    pieces = list(RecordPieces(blocks(data, 700), line_regex_starts(ANDROID_HEADER)))
    assert len(pieces) > 3 and b"".join(p.data for p in pieces) == data
    for p in pieces[1:]:
        assert p.data.startswith("\u200e".encode())


def test_ordered_map_keeps_order_and_raises_at_the_failing_item() -> None:
    def slow(i: int) -> int:
        time.sleep(0.002 * (7 - i % 7))      # later items finish first
        if i == 13:
            raise ValueError("item 13")
        return i * i

    assert list(ordered_map(slow, range(13), workers=3)) == [i * i for i in range(13)]
    got = []
    with pytest.raises(ValueError, match="item 13"):
        for value in ordered_map(slow, range(30), workers=3):
            got.append(value)
    assert got == [i * i for i in range(13)]


def test_ordered_map_runs_on_threads_and_inline() -> None:
    names = list(ordered_map(lambda _: threading.current_thread().name, range(6), workers=2))
    assert all(n.startswith("qunkit-parse") for n in names)
    assert list(ordered_map(lambda _: threading.current_thread().name, range(3), workers=1)) == \
        [threading.current_thread().name] * 3


def test_parse_workers_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(THREADS_ENV, "1")
    assert parse_workers() == 1
    monkeypatch.setenv(THREADS_ENV, "3")
    assert parse_workers() == 3
    monkeypatch.delenv(THREADS_ENV)
    assert 1 <= parse_workers() <= 4


def test_child_reports_join_in_file_order() -> None:
    report = ParseReport("f.txt")
    report.issue(1, "first")
    children = [report.child() for _ in range(3)]
    for k, child in enumerate(children):
        for j in range(10):
            child.issue(100 * k + j, f"piece {k}")
        child.note("same note")
    children[2].truncated = True
    for child in children:
        report.absorb(child)
    assert report.bad_lines == 31 and report.truncated
    assert len(report.issues) == MAX_KEPT_ISSUES
    assert [i.line for i in report.issues] == [1, *range(10), *range(100, 109)]
    assert report.notes == ["same note"]


def qq_export(tmp_path: Path) -> Path:
    """A QQ export with two 消息对象 sections, bad lines and impossible dates spread over the file."""
    parts = ["消息记录（此消息记录为文本格式，不支持重新导入）", "=" * 64, "消息分组:我的QQ群", "=" * 64,
             "消息对象:甲群", "=" * 64, ""]
    for i in range(900):
        if i == 450:
            parts += ["=" * 64, "消息对象:乙群", "=" * 64, "stray line outside any message", ""]
        day = "2024-02-30" if i % 97 == 5 else "2024-02-01"
        parts += [f"{day} 10:{i // 60 % 60:02d}:{i % 60:02d} 成员{i % 9}({20000 + i % 9})", f"消息 {i} @成员{i % 5}", ""]
    path = tmp_path / "qq.txt"
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("threads", ["2", "4"])
def test_qq_parse_is_the_same_on_any_number_of_threads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      threads: str) -> None:
    path = qq_export(tmp_path)
    monkeypatch.setenv(THREADS_ENV, "1")
    one, rep_one = run_parser("qq-txt", path, chunk_bytes=1024)
    monkeypatch.setenv(THREADS_ENV, threads)
    many, rep_many = run_parser("qq-txt", path, chunk_bytes=1024)
    assert len(one) == 900 - 10 and set(one["group_name"]) == {"甲群", "乙群"}
    assert one.equals(many)
    assert rep_one.as_dict() == rep_many.as_dict()
    assert rep_one.bad_lines == 11 and rep_one.issues[0].line < rep_one.issues[-1].line


def test_whatsapp_parse_is_the_same_on_any_number_of_threads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    rows = ["junk before the first header"]
    for i in range(800):
        rows.append(f"{i % 28 + 1:02d}/03/2024, {i // 60 % 24:02d}:{i % 60:02d} - 成员{i % 6}: 第 {i} 条")
        if i % 5 == 0:
            rows.append("续行")
        if i % 111 == 3:
            rows.append("31/02/2024, 10:00 - 成员1: an impossible date")
    path = tmp_path / "WhatsApp Chat with 测试群.txt"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.setenv(THREADS_ENV, "1")
    one, rep_one = run_parser("whatsapp-txt", path, tz="UTC", chunk_bytes=2048)
    monkeypatch.setenv(THREADS_ENV, "3")
    many, rep_many = run_parser("whatsapp-txt", path, tz="UTC", chunk_bytes=2048)
    assert len(one) == 800 and one.equals(many)
    assert rep_one.as_dict() == rep_many.as_dict() and rep_one.bad_lines == 1 + 8
    assert (one["text"].str.contains("\n续行")).sum() == 160


def test_ordered_map_stopped_early_leaves_no_thread_behind() -> None:
    def alive() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name.startswith("qunkit-parse") and t.is_alive()]

    before = len(alive())
    it = ordered_map(lambda i: (time.sleep(0.01), i)[1], range(100), workers=2)
    assert [next(it) for _ in range(3)] == [0, 1, 2]
    it.close()                                   # what a consumer that raises or breaks does
    deadline = time.time() + 5
    while len(alive()) > before and time.time() < deadline:
        time.sleep(0.01)
    assert len(alive()) == before
