"""``qunkit export --to chatlab``: round trip through ChatLab's format, safe file names, usage errors.

Round trip: a golden QQ txt and a generated WeChat group are imported, exported
as ChatLab (JSON and JSONL), the files re-imported into a second store, and the
canonical rows compared.

What ChatLab v0.0.2 cannot carry, so is not compared: ``sender_title`` (no
per-message field; owner/admin survive only as member roles, which qunkit's
importer skips), ``mentions`` (no field; the @names stay in the text), ``tz``,
the provenance columns (``source_format``, ``source_file``, ``source_line``,
``msg_key``) and sub-second times.  Two known normalisations on the way back:
ChatLab's importer strips the content (a trailing space goes), and a WeChat
system line naming the exporting account ("你邀请…") comes back with the actor
"你" instead of the account qunkit's WeChat importer resolved it to ("self").
``event_actor`` / ``event_target`` are not written: they are re-read from the
text of system lines, so they are compared too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import comparable

from qunkit.cli import cli
from qunkit.export import chatlab as export_chatlab
from qunkit.formats.chatlab import TYPE_KINDS
from qunkit.generate import generate_group
from qunkit.generate.writers import write_wechatmsg_csv
from qunkit.store import Store

DATA = Path(__file__).parent / "data"
CARRIED = ["platform", "group_id", "group_name", "chat_type", "ts", "sender_id", "sender_name", "kind", "text",
           "event", "event_actor", "event_target", "reply_to", "msg_id"]


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _canonical(store: Store):
    df = comparable(store.messages(), CARRIED)
    df["text"] = df["text"].str.strip()
    return df.sort_values(CARRIED, ignore_index=True)


@pytest.fixture
def source_store(tmp_path: Path) -> Path:
    wx = tmp_path / "wx.csv"
    write_wechatmsg_csv(generate_group("微信测试群", platform="wechat", n_members=40, messages=1500, seed=3), wx)
    store = tmp_path / "s1"
    for path in (DATA / "qq" / "tricky.txt", wx):
        res = run("import", str(path), "--store", str(store), "--quiet")
        assert res.exit_code == 0, res.output
    return store


@pytest.mark.parametrize("jsonl", [False, True])
def test_round_trip_keeps_the_canonical_rows(source_store: Path, tmp_path: Path, monkeypatch, jsonl: bool) -> None:
    monkeypatch.setattr(export_chatlab, "BATCH_ROWS", 100)  # several batches per group
    out = tmp_path / "out"
    res = run("export", "--to", "chatlab", "--store", str(source_store), "-o", str(out), "--quiet",
              "--format", "json", *(["--jsonl"] if jsonl else []))
    assert res.exit_code == 0, res.output
    files = sorted(out.iterdir())
    assert sorted(Path(r["file"]) for r in json.loads(res.stdout)) == files  # the summary: one row per file
    assert len(files) == 3  # tricky.txt has two groups, plus the WeChat group
    assert {f.suffix for f in files} == {".jsonl" if jsonl else ".json"}
    if not jsonl:
        doc = json.loads(files[0].read_text(encoding="utf-8"))
        assert doc["chatlab"]["version"] == "0.0.2" and doc["meta"]["type"] == "group" and doc["members"]
    store2 = tmp_path / "s2"
    for f in files:
        res = run("import", str(f), "--store", str(store2), "--quiet")
        assert res.exit_code == 0, res.output
    before, after = _canonical(Store(source_store)), _canonical(Store(store2))
    before["event_actor"] = before["event_actor"].replace("self", "你")  # see the module docstring
    before = before.sort_values(CARRIED, ignore_index=True)
    assert len(after) == len(before) == 1589
    assert set(after["platform"]) == {"qq", "wechat"}
    for col in CARRIED:
        assert after[col].tolist() == before[col].tolist(), col
    assert set(before["event"]) >= {"join", "recall", "kick"}  # events really went through


def test_kind_numbers_are_the_importers_table_inverted() -> None:
    for kind, num in export_chatlab.KIND_TYPES.items():
        assert TYPE_KINDS[num] == (kind if kind != "announcement" else "system")  # ChatLab: 群公告 is SYSTEM
    assert set(TYPE_KINDS.values()) <= set(export_chatlab.KIND_TYPES)


def test_group_name_cannot_escape_the_output_dir(tmp_path: Path) -> None:
    evil = tmp_path / "evil.json"
    evil.write_text(json.dumps({
        "chatlab": {"version": "0.0.2", "exportedAt": 1703001600},
        "meta": {"name": "../../evil", "platform": "qq", "type": "group", "groupId": "../../evil"},
        "messages": [{"sender": "1", "accountName": "a", "timestamp": 1703001600, "type": 0, "content": "hi"}],
    }), encoding="utf-8")
    store = str(tmp_path / "deep" / "s")
    assert run("import", str(evil), "--store", store, "-q").exit_code == 0
    out = tmp_path / "deep" / "er" / "out"
    res = run("export", "--to", "chatlab", "--store", store, "-o", str(out), "--group", "../../evil",
              "--format", "csv")
    assert res.exit_code == 0, res.output
    (written,) = out.iterdir()
    assert written.name.startswith("evil-") and written.suffix == ".json"
    assert res.stdout.splitlines()[0] == "file,group_id,group_name,messages,members"
    assert Path(res.stdout.splitlines()[1].split(",")[0]) == written
    assert sorted(p.name for p in (tmp_path / "deep").iterdir()) == ["er", "s"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("evil")] == ["evil.json"]


def test_one_group_to_a_file_and_usage_errors(source_store: Path, tmp_path: Path) -> None:
    store = str(source_store)
    target = tmp_path / "one.jsonl"
    res = run("export", "--store", store, "--jsonl", "--group", "第二个群", "-o", str(target), "-q")
    assert res.exit_code == 0, res.output
    lines = [json.loads(s) for s in target.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["_type"] == "header" and lines[0]["meta"]["name"] == "第二个群"
    assert [x["_type"] for x in lines[1:]].count("message") == 1
    # several groups into one file name, and an unknown group: usage errors
    assert run("export", "--store", store, "-o", str(tmp_path / "all.json")).exit_code == 2
    old = run("export", "--format", "chatlab", "--store", store, "-o", str(tmp_path))  # before --to existed
    assert old.exit_code == 2 and "use --to chatlab" in old.stderr and len(old.stderr.splitlines()) == 1
    assert run("export", "--store", store, "--group", "没有这个群", "-o", str(tmp_path)).exit_code == 2
    # nothing in scope, and an empty store: store errors
    assert run("export", "--store", store, "--until", "2000-01-01", "-o", str(tmp_path / "x")).exit_code == 3
    assert run("export", "--store", str(tmp_path / "empty"), "-o", str(tmp_path / "y")).exit_code == 3


def test_write_is_atomic(source_store: Path, tmp_path: Path, monkeypatch) -> None:
    store = Store(source_store)
    key = store.keys_for(["第二个群"])[0]
    messages = store.messages([key])
    target = tmp_path / "g.json"
    target.write_text("old", encoding="utf-8")

    def broken(_messages):
        yield {"sender": "1"}
        raise OSError("disk full")

    monkeypatch.setattr(export_chatlab, "message_records", broken)
    with pytest.raises(OSError):
        export_chatlab.write_chatlab(messages, store.members([key], messages=messages), target)
    assert [p.name for p in tmp_path.iterdir() if p.name != "s1" and p.suffix != ".csv"] == ["g.json"]
    assert target.read_text(encoding="utf-8") == "old"
