"""One person, one member: names on leave lines and name-keyed speakers resolve to the member's id.

Two identity bugs the independent generator (benchmarks/gen2) found, planted by hand here with
synthetic names and numbers:

- a QQ .txt join line names the joiner with a number (``名字(QQ号)加入本群``), the leave line by name
  only; a member who never spoke must not come back as a second, name-keyed member;
- a WeChatMsg .txt names speakers only (no wxid) while the roster has the wxid and the name: the
  roster row and the speaker are one member, the speaker's messages counted for the roster's id,
  unless two roster rows share the name (then both stay apart and the name is reported).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from prune_frames import at, messages

from qunkit.cli import cli
from qunkit.members import derive_members
from qunkit.store import Store

QQ_GROUP = "身份测试群"
WX_GROUP = "微信身份测试群"


def run(*args: str) -> str:
    res = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res.stdout


def _json(store: Path, command: str, *extra: str) -> list[dict]:
    quiet = ["--quiet"] if command != "groups" else []
    return json.loads(run(command, "--store", str(store), "--format", "json", *quiet, *extra))


# ---------------------------------------------------------------- QQ: join by number, leave by name

def test_leave_line_name_resolves_to_the_join_lines_number():
    m = messages([
        (at(0), "101", "老王", "hi"),
        (at(1), "system", "系统消息", "阿强(20002)加入本群。", "system", "join", "阿强(20002)"),
        (at(2), "system", "系统消息", "阿强退出本群。", "system", "leave", "阿强"),
    ])
    mem = derive_members(m).set_index("member_id")
    assert sorted(mem.index) == ["101", "20002"]
    assert mem.loc["20002", "joined"] == at(1) and mem.loc["20002", "left"] == at(2)
    assert mem.loc["20002", "member_name"] == "阿强" and mem.loc["20002", "left_how"] == "leave"


def test_a_reused_name_resolves_to_who_had_it_when_the_line_was_written():
    # 30001 used 小明 first and took another name; 30002 joined as 小明 later and left as 小明
    m = messages([
        (at(0), "30001", "小明", "早"),
        (at(1), "30001", "明哥", "改名了"),
        (at(2), "system", "系统消息", "小明(30002)加入本群。", "system", "join", "小明(30002)"),
        (at(3), "system", "系统消息", "小明退出本群。", "system", "leave", "小明"),
    ])
    mem = derive_members(m).set_index("member_id")
    assert sorted(mem.index) == ["30001", "30002"]
    assert mem.loc["30002", "left"] == at(3) and pd.isna(mem.loc["30001", "left"])


def _write_qq(tmp: Path) -> Path:
    lines = ["消息记录（此消息记录为文本格式，不支持重新导入）", "", "=" * 60, "消息分组:我的QQ群", "=" * 60,
             f"消息对象:{QQ_GROUP}", "=" * 60, ""]
    rows = [("2024-01-02 09:00:00", "老王(10001)", "大家好"),
            ("2024-01-03 09:00:00", "系统消息(10000)", "潜水员(20001)加入本群。"),
            ("2024-01-04 09:00:00", "系统消息(10000)", "路人甲(20002)加入本群。"),
            ("2024-01-05 09:00:00", "老王(10001)", "欢迎"),
            ("2024-02-01 09:00:00", "系统消息(10000)", "潜水员退出本群。"),
            ("2024-02-02 09:00:00", "系统消息(10000)", "路人甲被管理员老王移出本群。"),
            ("2024-02-03 09:00:00", "老王(10001)", "晚安")]
    for ts, who, text in rows:
        lines += [f"{ts} {who}", text, ""]
    txt = tmp / "qq.txt"
    txt.write_text("\n".join(lines), encoding="utf-8")
    return txt


def test_qq_leavers_are_one_member_each_through_the_cli(tmp_path):
    store = tmp_path / "store"
    run("import", str(_write_qq(tmp_path)), "--store", str(store), "--quiet")
    mem = Store(store).members()
    assert sorted(mem["member_id"]) == ["10001", "20001", "20002"]
    assert mem.set_index("member_id")["left_how"].to_dict() == {"10001": None, "20001": "leave", "20002": "kick"}
    assert _json(store, "groups")[0]["members"] == 1          # only 老王 is still there
    roles = _json(store, "roles")
    assert sorted(r["member_id"] for r in roles) == ["10001", "20001", "20002"]


# ---------------------------------------------------------------- WeChat: names in the export, ids in the roster

def test_name_keyed_speaker_takes_the_roster_id():
    m = messages([(at(0), "小红", "小红", "hi"), (at(1), "小红", "小红", "在吗"), (at(2), "路人", "路人", "嗯")])
    roster = pd.DataFrame({"member_id": ["wxid_a", "wxid_b"], "member_name": ["小红", "潜水"]})
    mem = derive_members(m, {"g1": roster}).set_index("member_id")
    assert sorted(mem.index) == ["wxid_a", "wxid_b", "路人"]
    assert mem.loc["wxid_a", "messages"] == 2 and mem.loc["wxid_a", "in_roster"]
    assert mem.loc["wxid_b", "messages"] == 0 and not mem.loc["路人", "in_roster"]


def test_a_name_two_roster_rows_share_is_not_merged_and_is_reported():
    m = messages([(at(0), "阿杰", "阿杰", "hi")])
    roster = pd.DataFrame({"member_id": ["wxid_1", "wxid_2"], "member_name": ["阿杰", "阿杰"]})
    mem = derive_members(m, {"g1": roster})
    assert sorted(mem["member_id"]) == ["wxid_1", "wxid_2", "阿杰"]
    assert mem.attrs["ambiguous_names"] == [("g1", "阿杰")]


def _write_wechat(tmp: Path) -> tuple[Path, Path]:
    rows = [("2024-01-02 09:00:00", "小红", "大家好"), ("2024-01-02 09:01:00", "大刘", "你好"),
            ("2024-01-03 10:00:00", "小红", "今天开会"), ("2024-01-04 10:00:00", "外人", "路过"),
            ("2024-01-05 10:00:00", "小红", "收到")]
    txt = tmp / f"{WX_GROUP}.txt"
    # a QQ-worded notice on a header line (a QQ group written in this layout) is a notice, not a speaker
    notice = "2024-01-04 12:00:00 外人退出本群。\n\n"
    txt.write_text("".join(f"{ts} {who}\n{text}\n\n" for ts, who, text in rows) + notice, encoding="utf-8")
    csv = tmp / "roster.csv"
    csv.write_text("wxid,群名片,身份,入群时间\nwxid_hong,小红,群主,2023-12-01 08:00:00\n"
                   "wxid_liu,大刘,,2023-12-01 08:00:00\nwxid_qian,潜水员,,2023-12-01 08:00:00\n", encoding="utf-8")
    return txt, csv


def test_wechat_speakers_and_roster_rows_are_one_member_through_the_cli(tmp_path):
    txt, csv = _write_wechat(tmp_path)
    store = tmp_path / "store"
    run("import", str(txt), "--roster", str(csv), "--store", str(store), "--quiet")
    roles = {r["member_id"]: r for r in _json(store, "roles")}
    # three roster members plus the off-roster speaker, not 3 + 3
    assert sorted(roles) == ["wxid_hong", "wxid_liu", "wxid_qian", "外人"]
    assert Store(store).members().set_index("member_id").loc["外人", "left_how"] == "leave"
    assert Store(store).members().set_index("member_id").loc["wxid_hong", "messages"] == 3
    assert _json(store, "groups")[0]["members"] == 3
    # the roster's owner spoke: she is not judged silent, and 大刘 spoke once
    prune = {r["member_id"] for r in _json(store, "prune", "--days", "1", "--grace", "0")}
    assert "wxid_qian" in prune and "wxid_hong" not in prune


def test_rosters_are_read_only_when_a_speaker_is_keyed_by_name(tmp_path, monkeypatch):
    """Reading the messages attributes name-keyed speakers to roster ids; an export that gives every
    speaker an id (QQ) needs no roster for that, and reading them per group was a measurable cost."""
    txt, csv = _write_wechat(tmp_path)
    wx = tmp_path / "wx"
    run("import", str(txt), "--roster", str(csv), "--store", str(wx), "--quiet")
    qq = tmp_path / "qq"
    qq_txt = tmp_path / "qq.txt"
    qq_txt.write_text("消息对象:" + QQ_GROUP + "\n\n2024-01-02 09:00:00 老王(10001)\n你好\n\n", encoding="utf-8")
    roster = tmp_path / "qq_roster.csv"
    roster.write_text("QQ号,群名片\n10001,老王\n10002,潜水\n", encoding="utf-8")
    run("import", str(qq_txt), "--roster", str(roster), "--store", str(qq), "--quiet")
    reads = []
    original = Store.rosters
    monkeypatch.setattr(Store, "rosters", lambda self, groups=(): reads.append(1) or original(self, groups))
    assert set(Store(qq).messages()["sender_id"].astype(str)) == {"10001"} and not reads
    assert "wxid_hong" in set(Store(wx).messages()["sender_id"].astype(str)) and reads
