"""Identity (issue #14): the group card and the account name kept apart, name history, merged ids.

The synthetic QQ export plants one person under two ids (an e-mail login for the first weeks, the QQ
number afterwards, one name nobody else uses) and the look-alikes that must NOT merge: a name two
other members share, and an e-mail id whose namesake number spoke in the same weeks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from golden_frames import run_parser

import qunkit.identity as identity
from qunkit.analysis.scope import Scope
from qunkit.cli import cli
from qunkit.commands.loading import load_scope
from qunkit.identity import apply_merges, find_merges, name_history, read_merge_file
from qunkit.members import derive_members, distinct
from qunkit.schema import MESSAGES
from qunkit.store import COMPACT_AFTER_PARTS, Store

HEAD = ("消息记录（此消息记录为文本格式，不支持重新导入）\n\n"
        "================================================================\n消息分组:我的QQ群\n"
        "================================================================\n消息对象:{group}\n"
        "================================================================\n\n")
START = pd.Timestamp("2024-01-01 09:00")


def qq_txt(path: Path, rows: list[tuple[int, str, str]], group: str = "身份测试群") -> Path:
    """A QQ message-manager export: (day, sender header, text) rows, 10 minutes apart within a day."""
    body = []
    for i, (day, who, text) in enumerate(sorted(rows, key=lambda r: r[0])):
        t = START + pd.Timedelta(days=day, minutes=10 * (i % 50))
        body.append(f"{t:%Y-%m-%d} {t.hour}:{t:%M:%S} {who}\n{text}\n")
    path.write_text(HEAD.format(group=group) + "\n".join(body), encoding="utf-8")
    return path


def planted(tmp_path: Path) -> Path:
    rows = []
    for day in range(0, 61, 3):           # regulars, with QQ numbers, all along
        rows += [(day, "老王(10001)", f"早上好 {day}"), (day, "小李(10002)", f"收到 {day}")]
    for day in range(0, 21, 2):           # the planted person: an e-mail login first ...
        rows.append((day, "阿明同学<aming@example.com>", f"我来说两句 {day}"))
    for day in range(30, 61, 2):          # ... then their QQ number, same unique name
        rows.append((day, "阿明同学(10003)", f"继续聊 {day}"))
    for day in (1, 40):                   # a shared common name: two numbers and an e-mail use it
        rows += [(day, "张伟(10004)", "你好"), (day + 1, "张伟(10005)", "你好呀")]
    rows.append((10, "张伟<zw@example.com>", "我也叫张伟"))
    for day in range(0, 41, 4):           # same name, but both ids speak in the same weeks: two people
        rows += [(day, "小红<xh@example.com>", "在"), (day + 1, "小红(10006)", "在的")]
    rows.append((5, "系统消息(10000)", "新人甲(10007)加入本群。"))
    rows += [(day, "新人甲(10007)", "大家好") for day in (6, 9)]
    rows += [(day, "新人乙(10007)", "改名了") for day in (50, 55)]   # a rename under one id
    return qq_txt(tmp_path / "planted.txt", rows)


def run(args: list[str]) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, args)
    return r.exit_code, r.stdout, r.stderr


@pytest.fixture
def store(tmp_path: Path) -> Path:
    s = tmp_path / "store"
    code, _, err = run(["import", "--store", str(s), str(planted(tmp_path))])
    assert code == 0, err
    return s


def ids(out: str) -> list[str]:
    return [str(r["member_id"]) for r in json.loads(out)]


# ---------------------------------------------------------------- merges found in the export

def test_the_planted_person_is_merged_and_nothing_else(store: Path) -> None:
    messages = Store(store).messages()
    found = messages.attrs["merges"]
    assert [(m[1], m[2], m[3]) for m in found] == [("aming@example.com", "10003", "export")]
    assert "阿明同学" in found[0][4] and "never spoke in the same period" in found[0][4]
    assert "aming@example.com" not in set(messages["sender_id"].astype(str))
    assert {"zw@example.com", "xh@example.com", "10006"} <= set(messages["sender_id"].astype(str))


def test_roles_and_prune_count_the_merged_person_once(store: Path) -> None:
    code, out, err = run(["roles", "--store", str(store), "--format", "json"])
    assert code == 0, err
    roles = ids(out)
    assert roles.count("10003") == 1 and "aming@example.com" not in roles
    assert len(roles) == len(set(roles))
    # under the e-mail id alone the person went silent 40 days before the end; merged they are active
    code, out, err = run(["prune", "--store", str(store), "--days", "30", "--grace", "0", "--format", "json"])
    assert code == 0, err
    pruned = ids(out)
    assert "aming@example.com" not in pruned and "10003" not in pruned
    assert "zw@example.com" in pruned          # the unmerged look-alike is still judged on its own
    code, out, _ = run(["activity", "--store", str(store), "--format", "json"])
    assert code == 0


def test_find_merges_refuses_a_shared_name_and_overlapping_ids() -> None:
    def msg(day: int, sid: str, name: str) -> dict:
        return {"platform": "qq", "group_id": "g", "group_name": "g", "ts": pd.Timestamp("2024-01-01", tz="UTC")
                + pd.Timedelta(days=day), "sender_id": sid, "sender_name": name, "kind": "text", "text": "x"}
    base = [msg(0, "a@x.com", "同名"), msg(9, "200001", "同名")]
    assert len(find_merges(pd.DataFrame(base))) == 1
    assert len(find_merges(pd.DataFrame(base + [msg(5, "200002", "同名")]))) == 0      # a third holder
    assert len(find_merges(pd.DataFrame(base + [msg(10, "a@x.com", "同名")]))) == 0    # spans overlap
    assert len(find_merges(pd.DataFrame([msg(0, "a@x.com", "甲"), msg(9, "200001", "甲")]))) == 0  # 1 char
    assert len(find_merges(pd.DataFrame([msg(0, "b@x.com", "同名"), msg(9, "c@x.com", "同名")]))) == 0  # no id


def test_a_wechat_name_keyed_speaker_joins_the_wxid_that_had_its_name() -> None:
    ts = pd.Timestamp("2024-01-01", tz="UTC")
    m = pd.DataFrame({"platform": "wechat", "group_id": "r@chatroom", "group_name": "群", "kind": "text",
                      "text": "x", "ts": [ts, ts + pd.Timedelta(days=30), ts + pd.Timedelta(days=31)],
                      "sender_id": ["读书人阿九", "wxid_a9", "wxid_b"], "sender_name": ["读书人阿九", "读书人阿九", "乙"]})
    found = find_merges(m)
    assert found[["member_id", "same_as"]].values.tolist() == [["读书人阿九", "wxid_a9"]]
    merged = apply_merges(m, found)
    assert set(derive_members(merged)["member_id"]) == {"wxid_a9", "wxid_b"}


# ---------------------------------------------------------------- the operator's merge file

def test_merge_file_merges_two_numbers_for_every_analysis(store: Path, tmp_path: Path) -> None:
    f = tmp_path / "same.csv"
    f.write_text("# the operator knows these are one person\ngroup,id,same_as_id\n身份测试群,10002,10001\n",
                 encoding="utf-8")
    code, before, _ = run(["roles", "--store", str(store), "--format", "json"])
    code, after, err = run(["roles", "--store", str(store), "--format", "json", "--merge", str(f)])
    assert code == 0, err
    assert "10002" in ids(before) and "10002" not in ids(after) and ids(after).count("10001") == 1
    assert len(ids(after)) == len(ids(before)) - 1
    code, out, err = run(["names", "--store", str(store), "--merges", "--format", "json", "--merge", str(f)])
    assert code == 0, err
    rows = json.loads(out)
    assert {(r["member_id"], r["same_as"], r["source"]) for r in rows} == {
        ("aming@example.com", "10003", "export"), ("10002", "10001", "merge file")}


def test_merge_file_without_header_or_group_and_chains(tmp_path: Path) -> None:
    f = tmp_path / "m.csv"
    f.write_text("10002,10001\n10003,10002\n", encoding="utf-8")
    assert read_merge_file(f) == (("", "10002", "10001"), ("", "10003", "10002"))
    m = pd.DataFrame({"group_id": "g", "group_name": "g", "sender_id": ["10001", "10002", "10003"],
                      "event_target": [None, None, "某人(10003)"], "event_actor": None,
                      "mentions": [None, ["10003", "x"], None]})
    pairs = pd.DataFrame({"group_id": "g", "member_id": ["10002", "10003"], "same_as": ["10001", "10002"]})
    out = apply_merges(m, pairs)
    assert out["sender_id"].tolist() == ["10001", "10001", "10001"]
    assert out["event_target"].tolist()[2] == "某人(10001)" and out["mentions"][1] == ["10001", "x"]


@pytest.mark.parametrize("text, expect", [
    ("group,id,same_as_id\ng,10002\n", "m.csv:2: expected 3 fields"),
    ("id,same_as_id\n10002,\n", "m.csv:2: id and same_as_id must both be given"),
    ("id,same_as_id\n10002,10001\n10003,10003\n", "m.csv:3: id '10003' is merged into itself"),
    ("# nothing\n\n", "lists no ids"),
])
def test_a_bad_merge_file_names_file_and_line(store: Path, tmp_path: Path, text: str, expect: str) -> None:
    f = tmp_path / "m.csv"
    f.write_text(text, encoding="utf-8")
    code, out, err = run(["roles", "--store", str(store), "--merge", str(f)])
    assert code == 3 and out == ""
    assert expect in err and str(f) in err and len(err.strip().splitlines()) == 1


def test_every_scoped_command_takes_merge() -> None:
    for name in ("activity", "roles", "risk", "prune", "analyze", "names", "core", "report", "rollcall"):
        code, out, _ = run([name, "--help"])
        assert code == 0 and "--merge FILE" in out, name


# ---------------------------------------------------------------- names over time

def test_name_history_lists_renames_with_first_and_last_seen(store: Path) -> None:
    code, out, err = run(["names", "--store", str(store), "--renamed", "--format", "json"])
    assert code == 0, err
    rows = [r for r in json.loads(out) if r["member_id"] == "10007"]
    assert [r["name"] for r in rows] == ["新人甲", "新人乙"]
    first, second = rows
    assert first["seen_as"] == "card, join" and first["messages"] == 2 and first["names"] == 2 and first["renamed"]
    local = pd.Timestamp(first["first_seen"]).tz_convert("Asia/Shanghai")
    assert local.date() == (START + pd.Timedelta(days=5)).date()   # the join line, before the first message
    assert pd.Timestamp(first["last_seen"]) < pd.Timestamp(second["first_seen"])
    assert second["messages"] == 2 and second["member_name"] == "新人乙"
    # one name under both ids: not a rename, so not listed ...
    assert not [r for r in json.loads(out) if r["member_id"] in ("10003", "aming@example.com")]
    code, out, _ = run(["names", "--store", str(store), "--format", "json"])
    everyone = json.loads(out)
    assert {r["member_id"] for r in everyone} >= {"10001", "10003", "zw@example.com"}  # ... but in the full list
    code, out, _ = run(["names", "--store", str(store)])
    assert code == 0 and "新人乙" in out and "member(s) renamed" in out


def test_card_and_account_are_both_kept_and_shown_card_first(data_dir: Path) -> None:
    df, _ = run_parser("qce-json", data_dir / "qqnt" / "qce_group.json")
    both = df[df["sender_account_name"].notna() & (df["sender_account_name"].astype(str) != df["sender_name"].astype(str))]
    assert len(both) >= 1
    hist = name_history(df)
    for sid, card, account in both[["sender_id", "sender_name", "sender_account_name"]].itertuples(index=False):
        mine = hist[hist["member_id"] == str(sid)]
        assert {"card", "account"} <= {k for s in mine["seen_as"] for k in s.split(", ")}
        member = derive_members(df).set_index("member_id").loc[str(sid)]
        assert card in member["names"] and account not in member["names"]   # names = what the group showed
        assert account in set(mine["name"]) and card in set(mine["name"])
    # a card beside a different account name is two names, not a rename
    assert not name_history(df, renamed_only=True)["member_id"].isin(["20002"]).any()


def test_chatlab_keeps_group_nickname_and_account_name(data_dir: Path) -> None:
    df, _ = run_parser("chatlab", data_dir / "qqnt" / "chatlab_group.json")
    split = df[df["sender_account_name"].notna() & (df["sender_account_name"].astype(str) != df["sender_name"].astype(str))]
    assert len(split) >= 1  # the group nickname is sender_name, the account name beside it


# ---------------------------------------------------------------- the schema change

def test_a_part_written_before_the_account_column_reads_and_compacts(store: Path, tmp_path: Path) -> None:
    s = Store(store)
    key = next(iter(s.metas()))
    before = s.messages()
    part = next(s.part_dir(key).glob("part-*.parquet"))
    old = pq.read_table(part).drop(["sender_account_name"])
    pq.write_table(old, part)                       # as qunkit wrote it before the column existed
    again = Store(store).messages()
    assert len(again) == len(before) and again["sender_account_name"].isna().all()
    assert (again["msg_key"].to_numpy() == before["msg_key"].to_numpy()).all()
    for i in range(COMPACT_AFTER_PARTS + 1):        # more imports of new rows force a compaction
        f = qq_txt(tmp_path / f"more{i}.txt", [(70 + i, "老王(10001)", f"新消息 {i}")])
        assert run(["import", "--store", str(store), str(f)])[0] == 0
    parts = list(Store(store).part_dir(key).glob("part-*.parquet"))
    assert len(parts) <= COMPACT_AFTER_PARTS
    assert pq.read_schema(parts[0]).field("sender_account_name").type == MESSAGES.field("sender_account_name").type
    assert len(Store(store).messages()) == len(before) + COMPACT_AFTER_PARTS + 1


# ---------------------------------------------------------------- real exports (numbers only)

def test_real_exports_names_and_merges(realdata: Path, tmp_path: Path) -> None:
    s = tmp_path / "store"
    files = sorted((realdata / "qq-txt").glob("*.txt"))
    assert files
    for f in files:
        assert run(["import", "--store", str(s), str(f)])[0] == 0
    code, out, err = run(["names", "--store", str(s), "--format", "json", "-q"])
    assert code == 0, err
    hist = pd.DataFrame(json.loads(out))
    people = hist[["group_id", "member_id"]].drop_duplicates()
    renamed = hist.loc[hist["renamed"], ["group_id", "member_id"]].drop_duplicates()
    assert len(people) > 500 and 0 < len(renamed) < len(people) * 0.3
    code, out, _ = run(["names", "--store", str(s), "--merges", "--format", "json", "-q"])
    merges = json.loads(out)
    # the merges found are e-mail logins whose name only a QQ number used, never a bare shared name
    assert 0 < len(merges) <= 10
    assert all("@" in m["member_id"] and m["same_as"].isdigit() for m in merges)
    msgs = Store(s).messages()
    assert not set(m["member_id"] for m in merges) & set(msgs["sender_id"].astype(str))


def test_a_merge_with_a_roster_keeps_one_roster_row(store: Path, tmp_path: Path) -> None:
    """The roster lists both ids (the operator's two accounts): merged, one member, still present."""
    roster = tmp_path / "roster.csv"
    roster.write_text("QQ号,群名片,身份,入群时间\n10001,老王,群主,2023-12-01 10:00:00\n10002,小李,成员,2023-12-01 10:00:00\n"
                      "10003,阿明同学,成员,2023-12-02 10:00:00\n", encoding="utf-8")
    code, _, err = run(["import", "--store", str(store), str(planted(tmp_path)), "--roster", str(roster)])
    assert code == 0, err
    f = tmp_path / "same.csv"
    f.write_text("10001,10002\n", encoding="utf-8")   # no header, every group: 10001 is counted as 10002
    code, out, err = run(["roles", "--store", str(store), "--format", "json", "--merge", str(f)])
    assert code == 0, err
    got = ids(out)
    assert "10001" not in got and got.count("10002") == 1 and got.count("10003") == 1
    s = Store(store)
    _, members, _ = load_scope(s, Scope(merges=read_merge_file(f)))
    row = members.set_index("member_id").loc["10002"]
    assert bool(row["in_roster"]) and row["member_name"] == "小李" and "10001" not in set(members["member_id"])
    assert "aming@example.com" not in set(members["member_id"])    # the export's own merge, roster or not


# ---------------------------------------------------------------- the bundled sample (README's output)

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def test_the_bundled_identity_sample_shows_what_the_readme_says(tmp_path: Path) -> None:
    s = str(tmp_path / "store")
    assert run(["import", "--store", s, str(SAMPLES / "qq-identity-sample.chatlab.json")])[0] == 0
    merge = str(SAMPLES / "identity-merge.csv")
    code, out, _ = run(["names", "--store", s, "--renamed", "--format", "json"])
    assert code == 0 and {r["member_id"] for r in json.loads(out)} == {"20002", "20007"}
    code, out, _ = run(["names", "--store", s, "--merges", "--merge", merge, "--format", "json"])
    assert [(r["member_id"], r["same_as"], r["source"]) for r in json.loads(out)] == [
        ("chen.ming@example.com", "20004", "export"), ("20008", "20002", "merge file")]
    assert len(ids(run(["roles", "--store", s, "--format", "json"])[1])) == 9
    assert len(ids(run(["roles", "--store", s, "--format", "json", "--merge", merge])[1])) == 8
    prune = ["prune", "--store", s, "--days", "25", "--format", "json"]
    assert ids(run(prune)[1]) == ["zhang@example.com", "20008"]
    assert ids(run([*prune, "--merge", merge])[1]) == ["zhang@example.com"]


def test_chatlab_export_keeps_card_and_account_apart(tmp_path: Path) -> None:
    s, out = str(tmp_path / "store"), tmp_path / "out.json"
    assert run(["import", "--store", s, str(SAMPLES / "qq-identity-sample.chatlab.json")])[0] == 0
    assert run(["export", "--to", "chatlab", "--store", s, "-o", str(out)])[0] == 0
    recs = json.loads(out.read_text(encoding="utf-8"))["messages"]
    lily = [r for r in recs if r["sender"] == "20002"]
    assert {r["accountName"] for r in lily} == {"Lily"} and {r["groupNickname"] for r in lily} == {
        "运营-李莉", "李莉(请假中)"}
    again, _ = run_parser("chatlab", out)
    assert set(again.loc[again["sender_id"] == "20002", "sender_account_name"].astype(str)) == {"Lily"}


def test_distinct_rows_are_drop_duplicates() -> None:
    """``members.distinct`` (rows told apart by their columns' codes) keeps the rows ``drop_duplicates``
    keeps, in order, with categoricals, missing values and mixed dtypes."""
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(0, 60))
        frame = pd.DataFrame({"a": pd.Categorical(rng.choice(["x", "y", None], n)), "b": rng.choice(["p", "q"], n),
                              "c": rng.integers(0, 3, n), "d": pd.Series(rng.choice(["u", None], n), dtype="str")})
        pd.testing.assert_frame_equal(distinct(frame), frame.drop_duplicates())


def test_the_all_numbers_shortcut_finds_what_the_full_search_finds(monkeypatch: pytest.MonkeyPatch) -> None:
    """``identity._all_numbers`` (no merge possible when every sender id is a QQ number, decided on the
    column's categories) never hides a merge: over random categorical frames of numbers, e-mail logins,
    name-keyed speakers, system rows and missing ids, ``find_merges`` with the shortcut equals it without."""
    rng = np.random.default_rng(1)
    ts0 = pd.Timestamp("2024-01-01", tz="UTC")
    pools = [["200001", "200002", "3000003"], ["200001", "a@x.com", "200002"], ["200001", "老王", "200002"],
             ["200001", "system", "self"], ["200001", None, "200002"], ["1234", "200001"]]
    shortcut = 0
    for i in range(300):
        pool = pools[i % len(pools)]
        n = int(rng.integers(1, 30))
        sid = rng.choice(np.array(pool, dtype=object), n)
        name = np.where(rng.random(n) < 0.3, sid, rng.choice(["老王", "同名", "甲乙"], n))
        m = pd.DataFrame({"platform": rng.choice(["qq", "wechat"]), "group_id": pd.Categorical(["g"] * n),
                          "group_name": "g", "ts": ts0 + pd.to_timedelta(np.sort(rng.integers(0, 60, n)), unit="D"),
                          "sender_id": pd.Categorical(sid), "sender_name": pd.Categorical(name.astype(object)),
                          "kind": pd.Categorical(rng.choice(["text", "system"], n, p=[0.9, 0.1])), "text": "x"})
        shortcut += identity._all_numbers(m)
        fast = find_merges(m)
        with monkeypatch.context() as mp:
            mp.setattr(identity, "_all_numbers", lambda _m: False)
            full = find_merges(m)
        pd.testing.assert_frame_equal(fast.reset_index(drop=True), full.reset_index(drop=True))
    assert 0 < shortcut < 300       # both paths ran
