"""sjzar/chatlog text on the piece engine (formats/chatlog.py, the text half): the same rows, issues
and notes as the parser it replaced (``legacy_text.ChatlogTextBefore``: ``iter_text_blocks``, a
pandas frame per block and a first pass over the file for the years) on generated files of every
shape the layout has, at any piece size and on any number of threads; years settled in file order,
also where a new year starts right at a cut; header lines told by their bytes as the pattern tells
them.

Run as a script, it writes generated files for comparing imports by hand:
``python tests/test_formats_chatlog_txt.py DIR [COUNT] [MESSAGES]``.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from golden_frames import run_parser  # noqa: E402
from legacy_text import chatlog_text_before  # noqa: E402

from qunkit.formats.chatlog import HEADER, _shaped  # noqa: E402
from qunkit.formats.civil import wall_seconds  # noqa: E402
from qunkit.formats.pieces import THREADS_ENV  # noqa: E402
from qunkit.localtime import localize, localize_seconds  # noqa: E402

TZ = "Asia/Shanghai"
NAMELESS = "name no sender; imported with sender 'unknown'"
SENDERS = ["张三(wxid_zhang3)", "李四(wxid_li4)", "钱二 (Q)(wxid_qian)", "王五()", "Bob Lee(bob_lee_99)", "我自己(我)",
           "赵一", "孙 三", "(wxid_noname)", "()", "  空格 (wxid_sp)  ", "\u3000全角\u3000(wxid_fw)", "系统消息",
           "括号(人)名(wxid_paren)", "我", "wxid_abcd1234(wxid_abcd1234)", "1开头(wxid_digit)", "a(b)c"]
ROOMS = [" [AI 读书会 [2群](34567890@chatroom)]", " [读书会(123@chatroom)]", "", "", " [私聊对象(wxid_friend)]",
         " [没有id的群]", " [(55555@chatroom)]", " []", " [x) [y(1@chatroom)]"]
BODIES = ["hi", "![图片](http://127.0.0.1:5030/image/9f1c0a)", "[动画表情]", "[链接|2024 阅读计划](https://example.com/plan)",
          "[转账|发送 ￥8.88](红包拿好)", "[拍一拍]", "[群公告|明天开会]", "[文件|书单.pdf](http://x/f)", "[语音]",
          "[视频通话]", "[位置|某地](http://m)", "Type: 10086 Content: ???", "Type:49", "[红包]", "[图片]",
          "新年快乐 @赵一 ", "@所有人 开会", "mail a@b.c ok", "多行\n第二行\n第三行", "正文\n\n  \n", "  ",
          "> 赵一(wxid_zhao) 12-31 23:59:00\n> 跨年倒计时！\n回复内容", "> 只有引用", ">紧贴的引用\n答",
          "回答\n> 不是开头的引用", "wxid_abcd1234:\n带前缀", "李四:\n不是前缀", "wxid_other99:\n别人的前缀",
          "<msg><appmsg><title>分享标题</title><type>5</type><url>http://a.b</url></appmsg></msg>",
          "<msg><appmsg><title>回复一句</title><type>57</type><refermsg><svrid>9876543210</svrid></refermsg></appmsg></msg>",
          "<?xml version=\"1.0\"?><msg><img length=\"1\"/></msg>", "", "像标题的正文行 李四(wxid_li4) 01-02 10:00:00",
          "正文\n李四(wxid_li4) 01-02 10:00:00\n后面", "http://example.com/x", "tab\tand\u2005space @王五\u2005好",
          "\u3000", "行尾空格   ", "[微笑][OK]"]
NOTICES = ["\"赵一\"邀请\"钱二、孙三\"加入了群聊", "李四撤回了一条消息", "你撤回了一条消息", "\"王五\"拍了拍\"李四\"",
           "[拍一拍]", "wxid_abcd1234:\n\"张三\"邀请\"李四\"加入了群聊", "李四退出了群聊", "修改群名为\"新名字\"", "普通通知"]
BAD_TIMES = ["02-30 08:00:00", "13-01 10:00:00", "00-10 10:00:00", "06-00 10:00:00", "06-01 24:00:00", "06-01 10:60:00",
             "06-01 10:00:62", "2023-02-29 10:00:00", "2023-13-01 10:00:00", "0000-01-01 10:00:60"]
ODD_TIMES = ["06-01 10:00:60", "06-01 10:00:61", "12-31 23:59:60", "02-29 12:00:00", "2024-02-29 12:00:00",
             "0999-01-01 00:00:00", "2024-12-31 23:59:60"]


def export(path: Path, seed: int, messages: int = 300, newline: str = "\n", encoding: str = "utf-8",
           years: float = 0.1, loose: bool = False, preamble: bool = False, final_break: bool = True,
           mtime: str | None = None) -> Path:
    """A chatlog text export with every shape the parser tells apart: headers with and without a year
    (``years`` of them with one), rooms or none, senders with and without ids, system rows, quotes,
    placeholders, XML bodies, multi-line and empty bodies, header-shaped body lines, impossible and odd
    dates, times that run on across New Year (and sometimes back), ``loose`` without blank lines."""
    rng = random.Random(seed)
    t = dt.datetime(rng.choice([2019, 2020, 2023]), rng.choice([1, 6, 12]), rng.randint(1, 28), 8, 0, 0)
    lines = ["chatlog 导出", "第二行说明", *([] if loose else [""])] if preamble else []
    back = min(0.01, 4 / messages)        # a few new years in a file of any length (and a year or two of days)
    odd = min(0.03, 10 / messages)
    for _ in range(messages):
        r = rng.random()
        if r < 0.02:
            t -= dt.timedelta(hours=rng.randint(1, 20))           # back, less than a day: the same year
        elif r < 0.02 + back:
            t -= dt.timedelta(days=rng.randint(2, 40))            # back more than a day: read as a new year
        elif r < 0.07 + back:
            t += dt.timedelta(days=rng.randint(1, max(2, 12000 // messages)))
        else:
            t += dt.timedelta(seconds=rng.choice([0, 1, 7, 60, 600, 3599, 20000]))
        if rng.random() < odd:
            stamp = rng.choice(BAD_TIMES)
        elif rng.random() < odd:
            stamp = rng.choice(ODD_TIMES)             # (the time after one is often a day back: a new year)
        elif rng.random() < years:
            stamp = f"{t:%Y-%m-%d %H:%M:%S}"
        else:
            stamp = f"{t:%m-%d %H:%M:%S}"
        room = rng.choice(ROOMS)
        if rng.random() < 0.07:
            lines.append(f"系统消息{room} {stamp}")
            lines += rng.choice(NOTICES).split("\n")
        else:
            lines.append(f"{rng.choice(SENDERS)}{room} {stamp}")
            if not loose:
                lines += rng.choice(BODIES).split("\n")
            elif rng.random() < 0.5:      # no blank line anywhere: a header after one would be strict
                lines += rng.choice([b for b in BODIES if all(part.strip() for part in b.split("\n"))]).split("\n")
        if not loose:
            lines.append("")
            if rng.random() < 0.02:
                lines.append("")                                   # two blank lines
    text = newline.join(lines) + (newline if final_break else "")
    if encoding == "utf-8-sig":
        path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    else:
        path.write_bytes(text.encode(encoding))
    if mtime:
        stamp = pd.Timestamp(mtime, tz=TZ).timestamp()
        os.utime(path, (stamp, stamp))
    return path


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Values as objects (a chunk's dictionary columns come back categorical or not depending on how the
    chunks were built, which says nothing about the rows)."""
    return df.astype(object).where(df.notna(), None)


def _notes(report) -> tuple[list[str], bool]:
    """(the notes but the no-sender counts, whether there is one): the new parser notes those once per
    file, with the file's count; the old one once per block, with the block's (``assert_same``)."""
    counts = [n for n in report.notes if n.endswith(NAMELESS)]
    return [n for n in report.notes if n not in counts], bool(counts)


def _issues(report) -> list[tuple[int, str, str]]:
    return [(i.line, i.reason, i.excerpt) for i in report.issues]


def assert_same(path: Path, chunk: int = 4 << 20, keys: bool = True, tz: str = TZ, **opts) -> pd.DataFrame:
    """The new parser's rows, issues and notes are the old one's at the same chunk size."""
    want, want_report = chatlog_text_before(path, tz, chunk_bytes=chunk, **opts)
    got, report = run_parser("chatlog-txt", path, tz, chunk_bytes=chunk, **opts)
    cols = list(got.columns) if keys else [c for c in got.columns if c != "msg_key"]
    pd.testing.assert_frame_equal(_plain(got[cols]), _plain(want[cols]))
    assert _issues(report) == _issues(want_report)
    assert report.bad_lines == want_report.bad_lines
    assert _notes(report) == _notes(want_report)
    nameless = int((got["sender_id"] == "unknown").sum())
    assert [n for n in report.notes if n.endswith(NAMELESS)] == ([f"{nameless} messages {NAMELESS}"] if nameless else [])
    return got


CASES = [  # (seed, export options, parse options)
    (1, {}, {"year": 2023}),
    (2, {"mtime": "2024-03-01 12:00:00"}, {}),
    (3, {"newline": "\r\n", "preamble": True, "mtime": "2021-01-01 00:00:30"}, {}),
    (4, {"encoding": "utf-8-sig", "years": 0.5}, {"year": 2020}),
    (5, {"encoding": "gb18030", "mtime": "2025-06-30 08:00:00"}, {}),
    (6, {"loose": True, "mtime": "2023-12-31 23:59:59"}, {}),
    (7, {"loose": True, "preamble": True}, {"year": 1999}),
    (8, {"years": 1.0}, {}),
    (9, {"final_break": False, "newline": "\r\n", "mtime": "2020-02-29 10:00:00"}, {"self_id": "wxid_me"}),
    (10, {"mtime": "2030-01-01 00:00:00"}, {"group": "指定群名", "tz": "America/New_York"}),
    (11, {"newline": "\r", "mtime": "2022-05-05 05:05:05"}, {}),
    (12, {"years": 0.0, "mtime": "2019-12-31 23:00:00"}, {"self_name": "阿明"}),
]


@pytest.mark.parametrize(("seed", "shape", "opts"), CASES, ids=[str(c[0]) for c in CASES])
@pytest.mark.parametrize("chunk", [4 << 20, 700, 97])
def test_rows_issues_and_notes_are_the_old_parsers(tmp_path: Path, seed: int, shape: dict, opts: dict,
                                                   chunk: int) -> None:
    path = export(tmp_path / f"c{seed}.txt", seed, **shape)
    got = assert_same(path, chunk, **opts)
    # (a loose file whose first line is a header is read as one with blank lines, as it always was:
    # its messages run together into its first)
    assert len(got) > 200 or (shape.get("loose") and not shape.get("preamble"))


def test_every_shape_comes_out(tmp_path: Path) -> None:
    """The generated files hold what the comparison is meant to cover."""
    got = assert_same(export(tmp_path / "c.txt", 21, messages=1500, mtime="2024-03-01 12:00:00"))
    assert {"system", "recall", "link", "image", "pat", "announcement", "transfer", "other", "sticker"} <= set(got["kind"])
    assert (got["chat_type"] == "group").all()
    assert got["reply_to"].notna().any() and got["event"].eq("join").any()
    assert (got["sender_id"] == "unknown").any() and (got["sender_id"] == "self").any()
    assert not got["text"].str.startswith(">").any()
    assert got["ts"].dt.tz_convert(TZ).dt.year.nunique() >= 3


@pytest.mark.parametrize(("threads", "chunk"), [("1", 256), ("3", 256), ("2", 4096), ("4", 1 << 22)])
def test_same_rows_on_any_number_of_threads_and_pieces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       threads: str, chunk: int) -> None:
    """Piece boundaries change nothing: the rows of a whole-file parse on one thread, at every size."""
    path = export(tmp_path / "c.txt", 31, messages=1200, mtime="2024-03-01 12:00:00")
    monkeypatch.setenv(THREADS_ENV, "1")
    whole, whole_report = run_parser("chatlog-txt", path, TZ, chunk_bytes=1 << 24)
    monkeypatch.setenv(THREADS_ENV, threads)
    got, report = run_parser("chatlog-txt", path, TZ, chunk_bytes=chunk)
    pd.testing.assert_frame_equal(_plain(got.drop(columns="msg_key")), _plain(whole.drop(columns="msg_key")))
    assert report.bad_lines == whole_report.bad_lines > 0
    assert _issues(report) == _issues(whole_report)
    assert report.notes == whole_report.notes


def _new_year_file(path: Path, cut_after: int) -> Path:
    """Messages a minute apart from 12-31 23:50, one per cut piece: the new year starts at message
    ``cut_after``, which opens a piece of its own."""
    t = dt.datetime(2023, 12, 31, 23, 50)
    rows = []
    for i in range(20):
        stamp = t + dt.timedelta(minutes=i + (15 if i >= cut_after else 0))
        rows += [f"成员{i % 3}(wxid_m{i % 3}) [群(1@chatroom)] {stamp:%m-%d %H:%M:%S}", f"第{i}条", ""]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("chunk", [40, 64, 120, 4 << 20])
def test_a_new_year_at_a_cut(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    """Where a piece starts with the first message of a new year (or ends with the last of one), the
    year still turns there: the turn between two pieces is found in file order."""
    monkeypatch.setenv(THREADS_ENV, "2")
    path = _new_year_file(tmp_path / "c.txt", 6)
    got, report = run_parser("chatlog-txt", path, TZ, chunk_bytes=chunk, year=2023)
    local = got["ts"].dt.tz_convert(TZ)
    assert local.dt.year.tolist() == [2023] * 6 + [2024] * 14
    assert local.is_monotonic_increasing
    assert_same(path, chunk, year=2023)
    os.utime(path, (pd.Timestamp("2024-01-05", tz=TZ).timestamp(),) * 2)
    got, report = run_parser("chatlog-txt", path, TZ, chunk_bytes=chunk)
    assert got["ts"].dt.tz_convert(TZ).dt.year.tolist() == [2023] * 6 + [2024] * 14
    assert any("dated 2023–2024" in n for n in report.notes), report.notes
    assert_same(path, chunk)


def test_a_piece_of_one_message_per_year(tmp_path: Path) -> None:
    """Every piece a single message, each one back in the year: a new year at every cut where the time
    of year goes back by more than a day (not at the same time, nor a second under a day back)."""
    rows = []
    for i, md in enumerate(["12-01 10:00:00", "11-01 10:00:00", "10-01 10:00:00", "10-01 10:00:00", "09-30 10:00:01"]):
        rows += [f"甲(wxid_a) {md}", f"第{i}条", ""]
    path = tmp_path / "c.txt"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    got, _ = run_parser("chatlog-txt", path, TZ, chunk_bytes=16, year=2001)
    assert got["ts"].dt.tz_convert(TZ).dt.year.tolist() == [2001, 2002, 2003, 2003, 2003]
    assert_same(path, 16, year=2001)


def test_header_lines_are_the_patterns() -> None:
    """``_shaped`` (bytes) takes the lines ``HEADER`` (RE2) takes, and reads the year where it does."""
    rng = random.Random(5)
    alphabet = [*"0123456789-: >()[]ab", "张", "\u3000", " 01-02 10:00:00", " 2024-01-02 10:00:00", "12-31 23:59:59"]
    lines = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 9))) for _ in range(40000)]
    lines += ["x 01-02 10:00:00", " 01-02 10:00:00", "  01-02 10:00:00", "> 01-02 10:00:00", "x 2024-01-02 10:00:00",
              "x2024-01-02 10:00:00", " 2024-01-02 10:00:00", "x 1-02 10:00:00", "张 01-02 10:00:0", "张 01-02 10:00:000"]
    arr = pa.array(lines, pa.string())
    want = pc.match_substring_regex(arr, HEADER).to_numpy(zero_copy_only=False)
    shaped, full = _shaped(arr)
    assert shaped.tolist() == want.tolist()
    time = pc.extract_regex(arr.filter(pa.array(want)), HEADER).field("time")
    assert full[want].tolist() == (pc.utf8_length(time).to_numpy() > 14).tolist()


def test_wall_seconds_is_pandas_reading_of_the_fields() -> None:
    """``civil.wall_seconds`` against ``pd.to_datetime`` of the same fields spelt as chatlog's stamps are
    (``str(year)``): negative years, the year 0, :60 and :61, impossible days."""
    rows = [(y, m, d, h, mi, s) for y in (-9999, -401, -100, -4, -1, 0, 4, 1000, 1900, 2023, 2024, 9999)
            for m in (0, 1, 2, 12, 13) for d in (0, 1, 28, 29, 30, 31, 32) for h in (0, 23, 24)
            for mi in (0, 59, 60) for s in (0, 59, 60, 61, 62)]
    a = np.array(rows)
    texts = [f"{y:04d}-{m:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}" if y >= 0 else
             f"{y}-{m:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}" for y, m, d, h, mi, s in rows]
    want = pd.to_datetime(pd.Series(texts), format="%Y-%m-%d %H:%M:%S", errors="coerce")
    secs, ok = wall_seconds(*a.T)
    assert ok.tolist() == want.notna().tolist()
    assert (secs[ok] == want[ok].to_numpy().astype("datetime64[s]").astype(np.int64)).all()


def test_an_empty_file_and_a_file_without_headers(tmp_path: Path) -> None:
    empty = tmp_path / "e.txt"
    empty.write_bytes(b"")
    got, report = run_parser("chatlog-txt", empty, TZ)
    assert got.empty and report.bad_lines == 0
    text = tmp_path / "t.txt"
    text.write_text("只是\n一些\n\n文字\n", encoding="utf-8")
    got, report = run_parser("chatlog-txt", text, TZ, chunk_bytes=8)
    assert got.empty and report.bad_lines == 3
    assert [i.line for i in report.issues] == [1, 2, 4]
    assert_same(text, 8)


@pytest.mark.parametrize("tz", ["America/New_York", "Europe/London", "Australia/Sydney", "Asia/Shanghai"])
def test_localize_seconds_is_localize_after_2037(tz: str) -> None:
    """Arrow's zone data stops at 2037 (summer 2038 in New York came out as standard time); the
    generated files' runs of years found it: those times take ``localize``'s reading."""
    t = pd.date_range("1902-01-01 12:00", "2300-01-01", freq="5D").as_unit("s")    # noon: no gap, no fold
    got = localize_seconds(t.asi8, tz).cast(pa.int64()).to_numpy()
    want = localize(pd.DatetimeIndex(t.asi8.astype("datetime64[s]")), tz).tz_convert("UTC").as_unit("s").asi8
    assert (got == want).all()


if __name__ == "__main__":   # generated files for comparing imports by hand (see the module docstring)
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    count = int(sys.argv[2]) if len(sys.argv) > 2 else len(CASES)
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 3000
    for k in range(count):
        seed, shape, _ = CASES[k % len(CASES)]
        print(export(out / f"chatlog_{k:03d}.txt", seed * 1000 + k, messages=size,
                     **{"mtime": "2024-03-01 12:00:00", **shape}))
