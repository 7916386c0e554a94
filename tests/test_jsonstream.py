"""The streaming JSON reader (``formats.jsonstream``) and the import loop built on it.

The QCE-specific reader tests (skipped header values, resync, the avatars blob)
are in test_formats_qq_nt.py; these cover what the WeChat importers need: a
top-level array, stopping at the first damage, keys after the array, looking a
key up wherever it stands, and the two ways damage is worded.
"""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from qunkit.formats import ParseReport
from qunkit.formats.jsonstream import RecordBatcher, TopLevelArrayReader, feed, stream_array


def reader(doc: str | bytes, key: str | None = "messages", **kw) -> TopLevelArrayReader:
    raw = doc.encode() if isinstance(doc, str) else doc
    return TopLevelArrayReader(io.BytesIO(raw), key, **kw)


@pytest.mark.parametrize("block", [1, 3, 7, 64, 4096])
def test_reads_in_small_pieces_with_keys_after_the_array(block: int) -> None:
    """Element boundaries, cut numbers/literals and multi-byte text across tiny read blocks."""
    recs = [{"seq": i, "f": -1.25e-3, "b": i % 2 == 0, "n": None, "t": "微信😀\u2005" * (i % 5),
             "nest": {"a": [1, {"b": False}]}} for i in range(300)]
    doc = json.dumps({"session": {"wxid": "1@chatroom"}, "messages": recs, "tail": 12345}, ensure_ascii=False)
    r = reader(doc, keep=("session", "tail"), block=block)
    assert r.open() and r.header == {"session": {"wxid": "1@chatroom"}}
    assert [e.value for e in r.elements()] == recs
    assert r.rest() and r.header["tail"] == 12345 and not r.truncated


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "gb18030"])
def test_top_level_array_in_the_file_encoding(encoding: str) -> None:
    recs = [{"seq": i, "content": "微信" * i} for i in range(50)]
    r = reader(json.dumps(recs, ensure_ascii=False, indent=1).encode(encoding), None, encoding=encoding, block=5)
    assert r.open()
    assert [e.value for e in r.elements()] == recs


def test_top_level_array_expected() -> None:
    r = reader('{"a": 1}', None)
    assert not r.open() and not r.truncated and "expected '['" in (r.problem or "")
    r = reader("  \n", None)
    assert not r.open() and r.truncated


def test_without_resync_the_first_malformed_element_ends_the_array() -> None:
    text = '[\n  {"id": 1},\n  {"id": 2, oops},\n  {"id": 3}\n]'
    r = reader(text, None, resync=False, block=4)
    assert r.open()
    got = [(e.index, e.value, e.cut, e.reason.split(":")[0]) for e in r.elements()]
    assert got == [(1, {"id": 1}, False, ""), (2, None, False, "Expecting property name enclosed in double quotes")]


def test_without_resync_junk_after_a_record_keeps_the_record() -> None:
    r = reader('[{"id": 1} x {"id": 2}]', None, resync=False)
    assert r.open()
    got = [(e.index, e.value, e.error is not None) for e in r.elements()]
    assert got == [(1, {"id": 1}, False), (2, None, True)]


def test_find_skips_a_huge_array_and_blob_before_the_key() -> None:
    rec = json.dumps({"s": ']}\\"'})
    doc = ('{"messages": [' + ",".join([rec] * 2000) + '],'
           '"avatars": "' + "A" * 300_000 + '", "session": {"wxid": "late"}}')
    assert reader(doc, block=4096).find("session") == {"wxid": "late"}
    assert reader('{"messages": []}').find("session") is None
    assert reader('{"messages": [1, 2').find("session") is None


@pytest.mark.parametrize(("tail", "truncated"), [("", True), (', "session": {"a": "b', True), (', "x" 1}', False)])
def test_rest_reports_damage_after_the_array(tail: str, truncated: bool) -> None:
    r = reader('{"messages": [1]' + tail)
    assert r.open() and [e.value for e in r.elements()] == [1]
    assert not r.rest() and r.truncated == truncated and r.problem


class ListMapper:
    def __init__(self, report: ParseReport, rows: int = 2) -> None:
        self.batcher = RecordBatcher(lambda recs, nums: pd.DataFrame({"n": nums, "v": [r["v"] for r in recs]}),
                                     report, "not an object", rows)

    def frames(self, records) -> list[list[int]]:
        return [df["n"].tolist() for df in feed(self.batcher, records)]


def test_feed_and_record_batcher_chunks() -> None:
    report = ParseReport("f")
    got = ListMapper(report).frames([({"v": 1}, 1), (7, 2), ({"v": 3}, 3), ({"v": 4}, 4), ({"v": 5}, 5)])
    assert got == [[1, 3], [4, 5]]
    assert [(i.line, i.reason) for i in report.issues] == [(2, "not an object")]


def import_(doc: str, resync: bool, read_rest: bool = False) -> tuple[list[int], ParseReport]:
    report = ParseReport("f")
    mapper = ListMapper(report, rows=1000).batcher
    r = reader(doc, resync=resync)
    assert r.open()
    rows = [n for df in stream_array(r, mapper, report, "f.json", read_rest=read_rest) for n in df["n"]]
    return rows, report


def test_stream_array_damage_wording() -> None:
    # resync (QCE, ChatLab): each bad record is an issue, a cut is a note at the end
    rows, rep = import_('{"messages": [\n  {"v": 1},\n  {"v": oops},\n  {"v": 3},\n  {"v": 4', resync=True)
    assert rows == [1, 3] and rep.truncated
    assert [(i.line, i.reason) for i in rep.issues] == [(2, "malformed JSON record: Expecting value"),
                                                        (4, "the file ends inside this record (truncated)")]
    assert rep.notes == ["f.json ends inside the messages array: it is truncated; "
                         "the 2 complete messages before the cut were imported"]
    # no resync (chatlog, WeFlow): the first damage ends the import
    rows, rep = import_('{"messages": [\n  {"v": 1},\n  {"v": oops},\n  {"v": 3}]}', resync=False)
    assert rows == [1] and rep.truncated
    assert [i.line for i in rep.issues] == [2] and rep.issues[0].reason.startswith("malformed JSON at message 2: ")
    assert rep.notes == ["f.json: malformed JSON at message 2; the rest was not imported"]
    rows, rep = import_('{"messages": [{"v": 1}, {"v": 2},', resync=False)
    assert rows == [1, 2] and [i.line for i in rep.issues] == [3]
    assert rep.issues[0].reason.startswith("file ends inside message 3 (truncated): ")
    assert rep.notes == ["f.json is cut short: the 2 complete messages before the cut were imported"]
    # damage after the array counts only when the caller reads on
    assert import_('{"messages": [{"v": 1}], "session": {', resync=False)[1].truncated is False
    rows, rep = import_('{"messages": [{"v": 1}], "session": {', resync=False, read_rest=True)
    assert rows == [1] and rep.truncated and [i.line for i in rep.issues] == [2]
