"""One member model: the rule of ``qunkit.members.present_at`` holds in every command.

The group below is planted by hand (synthetic names and ids) so who is a member when is known:

- roster (exported after the log ended): 10001 Alice, 10002 Bob, 10003 Carol, 10006 Frank since
  January; 10004 Dave joins 2024-03-01; 10005 Erin joins 2024-04-30, 30 days after AS_OF_LATE and
  after the log's newest message (a future joiner);
- 20001 Gina spoke in January and left with a leave line on 2024-02-15;
- 20002 Hank spoke until 2024-02-10 and is not in the roster: he has gone.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner
from prune_frames import at, messages

from qunkit.cli import cli
from qunkit.members import (
    conform_members,
    derive_members,
    member_key,
    presence_spans,
    present_at,
    role_from_title,
    with_speakers,
)
from qunkit.roster import read_roster
from qunkit.schema import MEMBERS
from qunkit.store import Store

ROLL_CALL = "今天晚上20:00本群将调整一部分长期潜水不说话的小伙伴,在的请打1"
AS_OF_EARLY = "2024-02-18 12:00"   # after Gina left, before Dave joins
AS_OF_LATE = "2024-03-31 12:00"    # after Dave joined, 30 days before Erin joins
PRESENT = {
    AS_OF_EARLY: {"10001", "10002", "10003", "10006"},
    AS_OF_LATE: {"10001", "10002", "10003", "10004", "10006"},
}
FUTURE_JOINER = "10005"
GROUP = "成员模型测试群"

MESSAGES = [
    ("2024-01-02 09:00:00", "Alice", "10001", "大家新年好"),
    ("2024-01-02 09:05:00", "Bob", "10002", "新年好"),
    ("2024-01-05 10:00:00", "Gina", "20001", "我来了"),
    ("2024-01-06 10:00:00", "Hank", "20002", "有人吗"),
    ("2024-01-20 21:00:00", "Bob", "10002", "周末去爬山吗"),
    ("2024-02-10 08:00:00", "Hank", "20002", "早"),
    ("2024-02-15 10:00:00", "系统消息", "10000", "Gina退出本群。"),
    ("2024-02-16 20:00:00", "Alice", "10001", ROLL_CALL),
    ("2024-02-16 20:05:00", "Bob", "10002", "1"),
    ("2024-03-05 09:00:00", "Dave", "10004", "大家好，我是新来的"),
    ("2024-03-27 20:00:00", "Alice", "10001", ROLL_CALL),
    ("2024-03-27 20:05:00", "Bob", "10002", "1"),
    ("2024-03-27 20:06:00", "Dave", "10004", "在"),
    ("2024-03-28 21:00:00", "Alice", "10001", "晚安"),
]
ROSTER = [
    ("10001", "Alice", "2024-01-01 08:00:00"), ("10002", "Bob", "2024-01-01 08:00:00"),
    ("10003", "Carol", "2024-01-01 08:00:00"), ("10004", "Dave", "2024-03-01 08:00:00"),
    ("10005", "Erin", "2024-04-30 12:00:00"), ("10006", "Frank", "2024-01-01 08:00:00"),
]


def _write_export(tmp: Path) -> tuple[Path, Path]:
    lines = ["消息记录（此消息记录为文本格式，不支持重新导入）", "", "=" * 60, "消息分组:我的QQ群", "=" * 60,
             f"消息对象:{GROUP}", "=" * 60, ""]
    for ts, name, qq, text in MESSAGES:
        lines += [f"{ts} {name}({qq})", text, ""]
    txt = tmp / "group.txt"
    txt.write_text("\n".join(lines), encoding="utf-8")
    csv = tmp / "roster.csv"
    csv.write_text("QQ号,群名片,入群时间\n" + "".join(f"{i},{n},{j}\n" for i, n, j in ROSTER), encoding="utf-8")
    return txt, csv


def run(*args: str):
    res = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> str:
    tmp = tmp_path_factory.mktemp("membership")
    txt, csv = _write_export(tmp)
    path = str(tmp / "store")
    run("import", str(txt), "--roster", str(csv), "--store", path, "--quiet")
    return path


def _json(store: str, command: str, as_of: str | None, *extra: str) -> list[dict]:
    args = [command, "--store", store, "--format", "json", *extra] + (["--quiet"] if command != "groups" else [])
    if as_of is not None:
        args += ["--as-of", as_of]
    return json.loads(run(*args).stdout)


def _members_seen(store: str, as_of: str) -> dict[str, set[str] | int]:
    """What each command says about the group's members at ``as_of``: an id set, or a count."""
    analyze = _json(store, "analyze", as_of)[0]
    activity = [r for r in _json(store, "activity", as_of) if r["group_name"] == GROUP]
    roles = _json(store, "roles", as_of)
    risk = _json(store, "risk", as_of)[0]
    # --days 1 --grace 0: everyone present was silent for a day and nobody is protected (no roster roles)
    prune = _json(store, "prune", as_of, "--days", "1", "--grace", "0")
    rollcall = _json(store, "rollcall", as_of)
    announcer = {r["member_id"] for r in roles if r["member_name"] == "Alice"}
    return {
        "analyze": analyze["members"],
        "analyze roles": sum(r["count"] for r in analyze["roles"].values()),
        "analyze role ids": {m["member_id"] for r in analyze["roles"].values() for m in r["members"]},
        "activity": max(activity, key=lambda r: r["start"])["members"],
        "roles": {r["member_id"] for r in roles if r["present"]},
        "risk": int(risk["features"]["members"]),
        "prune": {r["member_id"] for r in prune},
        # the latest roll call, three days before as_of: nobody joined or left since
        "rollcall": {r["member_id"] for r in rollcall} | announcer,
    }


@pytest.mark.parametrize("as_of", sorted(PRESENT))
def test_every_command_counts_the_same_members(store, as_of):
    seen = _members_seen(store, as_of)
    want = PRESENT[as_of]
    for command, value in seen.items():
        assert value == (want if isinstance(value, set) else len(want)), (command, value)


def test_a_future_joiner_is_counted_nowhere(store):
    """Erin is in the roster with a join date 30 days after --as-of: no command may count or list her."""
    seen = _members_seen(store, AS_OF_LATE)
    for command, value in seen.items():
        if isinstance(value, set):
            assert FUTURE_JOINER not in value, command
    assert seen["analyze"] == len(PRESENT[AS_OF_LATE])
    roles = _json(store, "roles", AS_OF_LATE)
    assert FUTURE_JOINER not in {r["member_id"] for r in roles}   # not even as a former member
    # groups judges at the newest message (2024-03-28), a month before Erin joins
    groups = [g for g in _json(store, "groups", None) if g["group_name"] == GROUP]
    assert groups[0]["members"] == len(PRESENT[AS_OF_LATE])


def test_groups_shows_what_analyze_shows_without_as_of(store):
    groups = {g["group_name"]: g["members"] for g in _json(store, "groups", None)}
    analyze = {g["group_name"]: g["members"] for g in _json(store, "analyze", None)}
    assert groups == analyze


def test_groups_counts_the_sample_like_analyze(tmp_path):
    sample = Path(__file__).resolve().parent.parent / "samples"
    txt, roster = sample / "qq-group-sample.txt", sample / "qq-group-sample-roster.csv"
    store = str(tmp_path / "store")
    analyze = _json(store, "analyze", None, str(txt), "--roster", str(roster))
    groups = _json(store, "groups", None)
    assert [g["members"] for g in groups] == [a["members"] for a in analyze]


# ---------------------------------------------------------------- the functions behind the commands

def _frame(rows: list[dict], roster: bool = True) -> pd.DataFrame:
    return conform_members(pd.DataFrame([{"group_id": "g", "roster_known": roster, **r} for r in rows]))


def test_present_at_applies_join_leave_and_the_roster_rule():
    t = pd.Timestamp("2024-03-01", tz="UTC")
    mem = _frame([
        {"member_id": "in", "in_roster": True, "joined": "2024-01-01"},
        {"member_id": "future", "in_roster": True, "joined": "2024-03-31"},
        {"member_id": "left", "in_roster": False, "left": "2024-02-01", "last_spoke": "2024-01-20"},
        {"member_id": "gone", "in_roster": False, "first_spoke": "2024-01-05", "last_spoke": "2024-02-20"},
        {"member_id": "newer", "in_roster": False, "joined": "2024-04-05"},   # after the roster's newest date
        {"member_id": "spoke-later", "in_roster": False, "first_spoke": "2024-01-05", "last_spoke": "2024-03-20"},
    ])
    got = dict(zip(mem["member_id"], present_at(mem, t), strict=True))
    assert got == {"in": True, "future": False, "left": False, "gone": False, "newer": False,
                   "spoke-later": True}
    later = dict(zip(mem["member_id"], present_at(mem, pd.Timestamp("2024-04-10", tz="UTC")), strict=True))
    assert later["newer"] and later["future"] and not later["spoke-later"]
    # one moment per row gives the same answers as the moment for all
    assert (present_at(mem, pd.Series([t] * len(mem))) == present_at(mem, t)).all()


def test_without_a_roster_everyone_seen_stays_until_a_leave_line():
    mem = _frame([{"member_id": "a", "last_spoke": "2024-01-01"}, {"member_id": "b", "left": "2024-01-10"}],
                 roster=False)
    assert present_at(mem, pd.Timestamp("2024-06-01", tz="UTC")).tolist() == [True, False]


def test_derived_members_follow_the_schema(tmp_path):
    txt, csv = _write_export(tmp_path)
    store = str(tmp_path / "store")
    run("import", str(txt), "--roster", str(csv), "--store", store, "--quiet")

    mem = Store(Path(store)).members()
    assert list(mem.columns) == MEMBERS.names
    table = pa.Table.from_pandas(mem, schema=MEMBERS, preserve_index=False)   # raises on a wrong type
    assert table.schema.equals(MEMBERS)
    assert table.num_rows == len(ROSTER) + 2                                  # roster + Gina + Hank
    start, end = presence_spans(mem)
    assert len(start) == len(end) == len(mem)


def test_conform_members_fills_absent_columns_and_rejects_keyless_frames():
    out = conform_members(pd.DataFrame({"group_id": ["g"], "member_id": ["1"]}))
    assert list(out.columns) == MEMBERS.names
    assert out.loc[0, "group_name"] == "g" and out.loc[0, "names"] == [] and not out.loc[0, "in_roster"]
    assert str(out["joined"].dtype) == "datetime64[ms, UTC]" and out["messages"].dtype == "int64"
    with pytest.raises(ValueError, match="member_id"):
        conform_members(pd.DataFrame({"group_id": ["g"]}))


def test_with_speakers_adds_only_missing_speakers_and_spreads_roster_known():
    mem = _frame([{"member_id": "1", "in_roster": True}])
    out = with_speakers(mem, pd.DataFrame({"group_id": ["g", "g"], "member_id": ["1", "2"]}))
    assert out["member_id"].tolist() == ["1", "2"]
    assert out["roster_known"].tolist() == [True, True] and out["in_roster"].tolist() == [True, False]


@pytest.mark.parametrize(("title", "role"), [
    ("【群主】", "owner"), ("群主", "owner"), ("管理员", "admin"), ("【管理员】", "admin"), ("群管理员", "admin"),
    ("Admin", "admin"), ("普通成员", "member"), ("成员", "member"), ("【活跃】", None), ("", None), (None, None),
])
def test_one_role_vocabulary(title, role):
    assert role_from_title(title) == role


def test_roster_roles_use_the_same_vocabulary(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("QQ号,昵称,身份\n1,a,群主\n2,b,【管理员】\n3,c,普通成员\n4,d,路人\n", encoding="utf-8")
    df = read_roster(p)
    assert df["role"].tolist() == [role_from_title(v) for v in ("群主", "【管理员】", "普通成员", "路人")]
    assert df.attrs["roster_bad_rows"] == 1        # the unknown role is reported, not guessed


def test_member_key_is_one_key_for_group_and_member():
    k = member_key(pd.Series(["g1", "g1", "g2"]), pd.Series(["1", "2", "1"]))
    assert len(set(k)) == 3 and k[0] != member_key(["g11"], [""])[0]


def test_derive_members_resolves_event_names_to_ids():
    m = messages([(at(0), "101", "老王", "hi"), (at(1), "system", "系统消息", "x", "system", "leave", "老王")])
    mem = derive_members(m)
    assert mem["member_id"].tolist() == ["101"]
    assert mem.loc[0, "left"] == at(1) and mem.loc[0, "left_how"] == "leave"
