"""The Parquet store: idempotent imports, overlap, path safety, crash recovery, locking."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from qunkit.errors import BadInput, UsageProblem
from qunkit.ingest import import_file
from qunkit.store import Store, group_key

SEP = "=" * 64


def qq_export(group: str, messages: list[tuple[str, str, str]]) -> str:
    """A QQ .txt export: messages are (time, 'name(id)', body)."""
    body = "".join(f"{t} {who}\n{text}\n\n" for t, who, text in messages)
    return f"消息记录（此消息记录为文本格式，不支持重新导入）\n\n{SEP}\n消息分组:我的QQ群\n{SEP}\n消息对象:{group}\n{SEP}\n\n{body}"


def msgs(day: int, n: int) -> list[tuple[str, str, str]]:
    return [(f"2024-01-{day:02d} 10:{i:02d}:00", f"成员{i % 3}({20010 + i % 3})", f"第{day}天 消息{i}") for i in range(n)]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_same_file_twice_adds_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    f = write(tmp_path / "a.txt", qq_export("读书会", msgs(1, 10)))
    first = import_file(store, f)
    assert first.added_total == 10
    second = import_file(store, f)
    assert second.skipped_unchanged and second.added_total == 0
    forced = import_file(store, f, force=True)
    assert forced.added_total == 0 and forced.duplicates == 10
    assert len(store.messages()) == 10


def test_overlapping_newer_export_adds_only_new_messages(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    old = write(tmp_path / "old.txt", qq_export("读书会", msgs(1, 10) + msgs(2, 5)))
    new = write(tmp_path / "new.txt", qq_export("读书会", msgs(2, 5) + msgs(3, 7)))
    import_file(store, old)
    res = import_file(store, new)
    assert res.added_total == 7 and res.duplicates == 5
    m = store.messages()
    assert len(m) == 22
    assert m["msg_key"].is_unique


def test_identical_messages_in_the_same_second_are_kept(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    rows = [("2024-01-01 20:00:00", "甲(10001)", "1")] * 3
    import_file(store, write(tmp_path / "a.txt", qq_export("群", rows)))
    assert len(store.messages()) == 3


def test_group_names_never_escape_the_store(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    evil = "../../etc/passwd"
    import_file(store, write(tmp_path / "a.txt", qq_export(evil, msgs(1, 2))))
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all((tmp_path / "s") in p.parents or p.parent == tmp_path for p in written)
    assert (tmp_path / "s" / "groups" / group_key("qq", evil) / "meta.json").exists()
    assert store.groups()["group_name"].tolist() == [evil]


def test_strict_mode_writes_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    text = qq_export("群", msgs(1, 3)).replace(f"{SEP}\n\n2024", f"{SEP}\nstray line\n2024", 1)
    f = write(tmp_path / "a.txt", text)
    with pytest.raises(BadInput, match="--strict"):
        import_file(store, f, strict=True)
    assert len(store.messages()) == 0
    res = import_file(store, f)
    assert res.added_total == 3 and res.report.bad_lines == 1


def test_crash_leftovers_are_ignored_and_cleaned(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    f = write(tmp_path / "a.txt", qq_export("群", msgs(1, 4)))
    import_file(store, f)
    gdir = next((tmp_path / "s" / "groups").iterdir())
    junk = store.part_dir(gdir.name) / ".tmp-part-dead.parquet"
    junk.write_bytes(b"half a parquet file")
    assert len(store.messages()) == 4          # readers never see temp files
    import_file(store, write(tmp_path / "b.txt", qq_export("群", msgs(2, 1))))
    assert not junk.exists()                   # the next writer cleans up
    assert len(store.messages()) == 5


def test_interrupted_compaction_is_finished(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    import_file(store, write(tmp_path / "a.txt", qq_export("群", msgs(1, 4))))
    gdir = next((tmp_path / "s" / "groups").iterdir())
    part = next(store.part_dir(gdir.name).glob("part-*.parquet"))
    copy = part.with_name("part-copy.parquet")
    copy.write_bytes(part.read_bytes())        # a compaction that renamed its result but died before deleting
    store._write_json(gdir / "compact.json", {"new": copy.name, "old": [part.name]})
    import_file(store, write(tmp_path / "b.txt", qq_export("群", msgs(2, 1))))
    assert len(store.messages()) == 5


def test_many_imports_are_compacted(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    for day in range(1, 12):
        import_file(store, write(tmp_path / f"d{day}.txt", qq_export("群", msgs(day, 2))))
    gdir = next((tmp_path / "s" / "groups").iterdir())
    assert len(list(store.part_dir(gdir.name).glob("part-*.parquet"))) <= 8
    assert len(store.messages()) == 22


def _import_worker(args: tuple[str, str]) -> int:
    store_dir, path = args
    return import_file(Store(store_dir), path, force=True).added_total


def test_concurrent_imports_do_not_duplicate(tmp_path: Path) -> None:
    f = write(tmp_path / "a.txt", qq_export("群", msgs(1, 50)))
    # three imports on two spawned workers: two race, the third follows (each worker start costs ~1 s)
    with mp.get_context("spawn").Pool(2) as pool:
        added = pool.map(_import_worker, [(str(tmp_path / "s"), str(f))] * 3)
    assert sorted(added) == [0, 0, 50]
    assert len(Store(tmp_path / "s").messages()) == 50


def test_roster_needs_a_group_when_the_export_holds_several(tmp_path: Path) -> None:
    two = qq_export("群A", msgs(1, 2)) + qq_export("群B", msgs(1, 2)).split("\n", 2)[2]
    f = write(tmp_path / "two.txt", two)
    roster = write(tmp_path / "r.csv", "QQ号,群名片,身份\n20010,成员0,群主\n20019,潜水员,成员\n")
    store = Store(tmp_path / "s")
    with pytest.raises(UsageProblem, match="--group"):
        import_file(store, f, roster=roster)
    import_file(store, f, roster=roster, roster_group="群B", force=True)
    members = store.members(["群B"])
    row = members.set_index("member_id").loc["20019"]
    assert bool(row["in_roster"]) and row["messages"] == 0
    assert members.set_index("member_id").loc["20010", "role"] == "owner"
    assert bool(store.members(["群A"])["roster_known"].any()) is False


def test_members_from_join_lines_and_titles(tmp_path: Path) -> None:
    rows = msgs(1, 3) + [("2024-01-01 11:00:00", "系统消息(10000)", "新人(20001)加入本群。"),
                         ("2024-01-01 11:05:00", "【群主】成员0(20010)", "欢迎")]
    store = Store(tmp_path / "s")
    import_file(store, write(tmp_path / "a.txt", qq_export("群", rows)))
    m = store.members().set_index("member_id")
    assert m.loc["20001", "messages"] == 0
    assert m.loc["20001", "joined"] == pd.Timestamp("2024-01-01 03:00:00", tz="UTC")
    assert m.loc["20010", "role"] == "owner"


def test_membership_over_time_from_join_and_leave_lines(tmp_path: Path) -> None:
    rows = msgs(1, 3) + [
        ("2024-01-02 09:00:00", "系统消息(10000)", "成员1邀请新人甲加入了本群"),
        ("2024-01-02 10:00:00", "新人甲(20100)", "大家好"),
        ("2024-01-03 10:00:00", "系统消息(10000)", "新人甲退出本群"),
    ]
    store = Store(tmp_path / "s")
    import_file(store, write(tmp_path / "a.txt", qq_export("群", rows)))
    m = store.members().set_index("member_id")
    row = m.loc["20100"]                      # the joiner's name mapped to the id they spoke with
    assert row["invited_by"] == "20011"       # the inviter's name mapped to their id
    assert row["left_how"] == "leave"
    assert row["joined"] < row["left"]
    assert pd.isna(m.loc["20010", "left_how"])


def test_recent_contacts_pseudo_chat_is_not_a_group(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    import_file(store, write(tmp_path / "a.txt", qq_export("最近联系人", msgs(1, 2))))
    assert store.groups()["chat_type"].tolist() == ["private"]


def test_a_part_written_before_a_column_existed_reads_with_that_column_null(tmp_path: Path) -> None:
    """Parts are read with ``ParquetFile`` for speed; one whose schema lacks a later column must still read
    through the schema (the missing column null), as ``pq.read_table(schema=MESSAGES)`` reads it."""
    store = Store(tmp_path / "s")
    import_file(store, write(tmp_path / "a.txt", qq_export("读书会", msgs(1, 5))))
    key = next(iter(store.metas()))
    before = store.messages()
    (part,) = store.parts(key)
    old = pq.read_table(part).drop_columns(["sender_account_name"])
    pq.write_table(old, part)
    after = Store(tmp_path / "s").messages()
    assert after["sender_account_name"].isna().all() and len(after) == 5
    pd.testing.assert_frame_equal(after.drop(columns="sender_account_name"),
                                  before.drop(columns="sender_account_name"))
