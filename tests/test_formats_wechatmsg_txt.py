"""WeChatMsg / MemoTrace .txt on the piece engine (formats/wechatmsg_txt.py): the same rows as the
shared WeChat pipeline (``legacy_text.iter_text_blocks`` + ``wechat_common.build_messages``, the
reading this parser had before), on any number of threads and any chunk size; cuts only where a
header follows a blank line; dates read as ``pd.to_datetime`` reads them; WeChat's @mention rule."""

from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from golden_frames import run_parser
from legacy_text import iter_text_blocks

from qunkit.formats import ParseOptions, ParseReport, finish_chunk, get_parser
from qunkit.formats.mentions import PY_SPACE, mentions_where, spaced_mentions
from qunkit.formats.pieces import THREADS_ENV
from qunkit.formats.wechat_common import (
    MENTION_RX,
    build_messages,
    drop_bad,
    rx_get,
    rx_has,
    rx_sub,
    settle_chat_type,
)
from qunkit.formats.wechatmsg_txt import _LEAD, HEADER, LEAD_KINDS, NOTICE, WeChatMsgTxtParser, _wall_seconds
from qunkit.localtime import localize

BODIES = ["hi", "[图片]", "[表情]", "[拍一拍]", "line one\nline two", "@李四\u2005你好", "mail a@b.c ok", "@所有人 开会",
          "[链接] 标题\nhttp://x.y", "回复内容\n引用:李四:原话", "wxid_abcd1234:\n带前缀", "李四:\n不是 wxid 前缀",
          "<msg><appmsg><title>分享标题</title><type>5</type><url>http://a.b</url></appmsg></msg>",
          "<msg><appmsg><title>回复一句</title><type>57</type><refermsg><svrid>9876543210</svrid></refermsg></appmsg></msg>",
          "<?xml version=\"1.0\"?><msg><img length=\"1\"/></msg>", "", "  ", "正文\n\n  \n", "[文件] a.pdf",
          "2024-01-01 10:00:00 像标题的正文行", "[红包]", "text\twith\ttabs @王五 end"]
NAMES = ["张三", "李四 ", "\u3000王五", "我", "Bob Lee", "wxid_abcd1234", "", "邀请你加入了群聊"]
NOTICES = ["\"张三\"邀请\"李四\"加入了群聊", "李四撤回了一条消息", "你撤回了一条消息", "\"王五\"拍了拍\"李四\"",
           "<sysmsg type=\"revokemsg\"><revokemsg><replacemsg><![CDATA[\"张三\" 撤回了一条消息]]></replacemsg>"
           "</revokemsg></sysmsg>", "李四退出了群聊"]
TIMES = ["2024-01-05 10:00:00", "2024-02-29 23:59:59", "2023-02-29 08:00:00", "2024-02-30 12:00:00",
         "2024-12-31 23:59:60", "2024-03-10 24:00:00", "2024-03-10 08:05:03"]


def export(path: Path, seed: int, messages: int = 400, newline: str = "\n") -> Path:
    """A WeChatMsg .txt with every shape the parser tells apart, messages in time order."""
    rng = random.Random(seed)
    lines = ["导出说明", ""]
    for i in range(messages):
        stamp = rng.choice(TIMES) if i % 13 == 0 else f"2024-03-{1 + i // 200:02d} {i // 60 % 24:02d}:{i % 60:02d}:00"
        if rng.random() < 0.06:
            lines.append(f"{stamp} {rng.choice(NOTICES)}")
        else:
            who = rng.choice(NAMES)
            lines.append(f"{stamp} {who}" if who else stamp)
            lines += rng.choice(BODIES).split("\n")
        lines.append("")
    path.write_text(newline.join(lines) + newline, encoding="utf-8")
    return path


def reference(path: Path, chunk_bytes: int = 1 << 22, tz: str = "Asia/Shanghai") -> tuple[pd.DataFrame, ParseReport]:
    """This layout read by the shared WeChat pipeline, as the parser read it before the piece engine."""
    report = ParseReport(file=str(path), format="wechatmsg-txt")
    options = ParseOptions(tz=tz, chunk_bytes=chunk_bytes)
    group = path.stem

    def chunks():
        for blocks in iter_text_blocks(path, "utf-8", HEADER, report, chunk_bytes,
                                       fields=lambda lines: {"time": pa.compute.utf8_slice_codeunits(lines, 0, 19),
                                                             "rest": pa.compute.utf8_slice_codeunits(lines, 20)}):
            blocks["ts"] = localize(pd.to_datetime(blocks["time"], format="%Y-%m-%d %H:%M:%S", errors="coerce"), tz)
            blocks = drop_bad(blocks, blocks["ts"].isna(), "header date is not a valid date", report,
                              blocks["time"] + " " + blocks["rest"])
            if blocks.empty:
                continue
            rest = blocks["rest"].astype(str).str.strip()
            body = blocks["body"].astype(str)
            system = (body == "") & rx_has(rest, NOTICE)
            own = rx_sub(body, r"\n引用:[^\n]*$", "")
            lead = rx_get(own, _LEAD).map(LEAD_KINDS)
            raw = pd.DataFrame({
                "ts": blocks["ts"], "group_id": group, "group_name": group, "chat_type": None,
                "source_line": blocks["source_line"], "content": own.where(~system, rest),
                "label_kind": lead.astype(object).where(lead.notna(), None), "is_system": system,
                "is_self": ~system & (rest == "我"), "sender_id": rest.where(~system, ""),
                "sender_name": rest.where(~system, "")})
            yield build_messages(raw, options, report)

    parser = get_parser("wechatmsg-txt")
    carry: dict[int, int] = {}
    tables = [finish_chunk(df, parser, path.name, tz, carry) for df in settle_chat_type(chunks())]
    return pd.concat([t.to_pandas() for t in tables], ignore_index=True), report


def plain(df: pd.DataFrame) -> pd.DataFrame:
    """Values as objects: a chunk's dictionary columns come back categorical or not depending on how
    the chunks' dictionaries were built, which says nothing about the rows."""
    return df.astype(object).where(df.notna(), None)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("seed", [1, 2])
def test_rows_are_the_shared_wechat_pipelines(tmp_path: Path, seed: int, newline: str) -> None:
    path = export(tmp_path / "某群.txt", seed, newline=newline)
    want, want_report = reference(path)
    got, report = run_parser("wechatmsg-txt", path)
    assert len(got) > 300
    pd.testing.assert_frame_equal(plain(got), plain(want))
    assert [(i.line, i.reason, i.excerpt) for i in report.issues] == \
           [(i.line, i.reason, i.excerpt) for i in want_report.issues]
    # every shape the layout has came out as its own thing
    assert {"system", "recall", "link", "image", "pat"} <= set(got["kind"])
    assert got["reply_to"].notna().any()                       # the XML reply's quoted id
    assert (got["sender_id"] == "unknown").any() and (got["sender_id"] == "self").any()
    assert not got["text"].str.contains("\n引用:").any()
    assert got["mentions"].map(lambda m: m is not None and "@all" in list(m)).any()


@pytest.mark.parametrize("threads,chunk", [("1", 512), ("3", 512), ("2", 4096), ("4", 1 << 22)])
def test_same_rows_on_any_number_of_threads_and_pieces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       threads: str, chunk: int) -> None:
    path = export(tmp_path / "某群.txt", 3, messages=900)
    monkeypatch.setenv(THREADS_ENV, "1")
    whole, whole_report = run_parser("wechatmsg-txt", path, chunk_bytes=1 << 24)
    monkeypatch.setenv(THREADS_ENV, threads)
    got, report = run_parser("wechatmsg-txt", path, chunk_bytes=chunk)
    pd.testing.assert_frame_equal(got.drop(columns="msg_key"), whole.drop(columns="msg_key"))
    assert report.bad_lines == whole_report.bad_lines > 0
    assert [i.line for i in report.issues] == sorted(i.line for i in report.issues)


def test_a_header_shaped_body_line_never_starts_a_message(tmp_path: Path) -> None:
    """Only a header after a blank line starts a message, so no cut falls inside a body however
    small the pieces."""
    rows = []
    for i in range(300):
        rows += [f"2024-03-01 10:{i // 60:02d}:{i % 60:02d} 成员{i % 4}", f"第 {i} 条", "2024-03-01 09:00:00 引的旧消息", ""]
    path = tmp_path / "群.txt"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    got, report = run_parser("wechatmsg-txt", path, chunk_bytes=256)
    assert len(got) == 300 and report.bad_lines == 0
    assert got["text"].str.endswith("\n2024-03-01 09:00:00 引的旧消息").all()
    assert got["source_line"].tolist() == list(range(1, 1200, 4))


def test_headers_without_blank_lines_between_them(tmp_path: Path) -> None:
    rows = []
    for i in range(200):
        rows += [f"2024-03-01 10:{i // 60:02d}:{i % 60:02d} 成员{i % 4}", f"第 {i} 条"]
    path = tmp_path / "群.txt"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    got, report = run_parser("wechatmsg-txt", path, chunk_bytes=512)
    assert len(got) == 200 and got["text"].str.fullmatch(r"第 \d+ 条").all()
    assert sum("not separated by blank lines" in n for n in report.notes) == 1


def test_a_message_without_a_sender_is_noted_once_with_the_files_count(tmp_path: Path) -> None:
    rows = []
    for i in range(400):
        rows += [f"2024-03-01 10:{i // 60:02d}:{i % 60:02d}" + ("" if i % 10 == 0 else f" 成员{i % 3}"), "正文", ""]
    path = tmp_path / "群.txt"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    got, report = run_parser("wechatmsg-txt", path, chunk_bytes=512)
    assert (got["sender_id"] == "unknown").sum() == 40
    assert [n for n in report.notes if "name no sender" in n] == [
        "40 messages name no sender; imported with sender 'unknown'"]


def test_times_are_read_as_pandas_reads_the_format() -> None:
    times = [f"{y:04d}-{m:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}" for y in (0, 1000, 2023, 2024, 9999)
             for m in (0, 1, 2, 12, 13) for d in (0, 1, 28, 29, 30, 31, 32) for h in (0, 23, 24)
             for mi in (0, 59, 60) for s in (0, 59, 60, 61, 62)]
    want = pd.to_datetime(pd.Series(times), format="%Y-%m-%d %H:%M:%S", errors="coerce")
    secs, bad = _wall_seconds(pa.array(times))
    assert (bad == want.isna().to_numpy()).all()
    ok = ~bad
    assert (secs[ok] == want[ok].to_numpy().astype("datetime64[s]").astype(np.int64)).all()
    assert not bad[times.index("2024-12-31 23:59:60")] and bad[times.index("2023-02-29 00:00:00")]


def test_spaced_mentions_are_the_regexs_lists() -> None:
    rng = random.Random(7)
    alphabet = [*"ab.@_ 1\n\t成员，:", "\u2005", "\u3000", "all", "@all", "所有人", "a@b.c", PY_SPACE[-1]]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(20000)]
    want = mentions_where(np.array(texts, dtype=object), np.array(["@" in t for t in texts]), re.compile(MENTION_RX))
    assert spaced_mentions(pa.array(texts, pa.string())).to_pylist() == list(want)
    assert spaced_mentions(pa.array(["@张三\u2005好", "x@y.z", "@李四", "@a@b ", "@a @b", "hi"])).to_pylist() == [
        ["张三"], None, ["李四"], None, ["a", "b"], None]


def test_parse_gives_the_tables_rows(tmp_path: Path) -> None:
    path = export(tmp_path / "某群.txt", 4, messages=120)
    report = ParseReport(file=str(path))
    frames = list(WeChatMsgTxtParser().parse(path, ParseOptions(), report))
    tables = list(WeChatMsgTxtParser().tables(path, ParseOptions(), ParseReport(file=str(path))))
    assert sum(len(f) for f in frames) == sum(t.num_rows for t in tables) > 100
    assert isinstance(frames[0], pd.DataFrame) and frames[0]["chat_type"].eq("group").all()
