"""prune_candidates: the rules of issue 4, one test per rule."""

from __future__ import annotations

import pandas as pd
import pytest
from prune_frames import at, members, messages

from qunkit.analysis.prune import COLUMNS, prune_candidates, read_keep
from qunkit.analysis.roles import assign_roles
from qunkit.commands.prune import NO_ROSTER
from qunkit.commands.result import Note
from qunkit.generate import generate_group
from qunkit.members import conform_members, derive_members

AS_OF = at(200)


def _run(msgs, mem, roles=None, **kw):
    kw.setdefault("as_of", AS_OF)
    kw.setdefault("days", 90)
    return prune_candidates(msgs, mem, roles, **kw)


def _ids(df) -> list[str]:
    return sorted(df["member_id"])


def _base_log(extra=()):
    # the group talks until AS_OF so the log spans the whole period
    return messages([(at(0), "100", "群主", "开群啦"), (AS_OF, "100", "群主", "晚安"), *extra])


def test_columns_and_silence_counted_from_last_message():
    m = _base_log([(at(100), "101", "老王", "hi"), (at(111), "102", "小李", "hi"), (at(150), "103", "阿三", "hi")])
    mem = members([{"member_id": "100", "role": "owner", "joined": at(-10)},
                   *({"member_id": i, "joined": at(-10)} for i in ("101", "102", "103"))])
    out = _run(m, mem)
    assert list(out.columns) == COLUMNS
    # 101: 100 days; 102: 89 days; 103: 50 days
    assert _ids(out) == ["101"]
    row = out.iloc[0]
    assert row["reason"] == "silent" and row["days_silent"] == 100 and row["messages"] == 1
    assert row["last_spoke"] == at(100) and row["joined"] == at(-10)


def test_exactly_n_days_is_silent():
    m = _base_log([(at(110), "101", "老王", "hi")])
    mem = members([{"member_id": "101", "joined": at(-10)}])
    assert _ids(_run(m, mem)) == ["101"]
    assert _ids(_run(m, mem, as_of=at(200) - pd.Timedelta(seconds=1))) == []


def test_never_spoke_counts_from_joined():
    m = _base_log()
    mem = members([
        {"member_id": "201", "joined": at(150)},   # 50 days in, never spoke: not yet silent
        {"member_id": "202", "joined": at(100)},   # 100 days in, never spoke
        {"member_id": "203"},                       # join date unknown: counted from the start of the log
    ])
    out = _run(m, mem).set_index("member_id")
    assert sorted(out.index) == ["202", "203"]
    assert out.loc["202", "days_silent"] == 100 and pd.isna(out.loc["202", "last_spoke"])
    assert out.loc["203", "days_silent"] == 200


def test_joined_after_last_message_restarts_the_clock():
    # spoke long ago, left, came back (join line / roster date) 30 days ago
    m = _base_log([(at(10), "101", "老王", "hi")])
    mem = members([{"member_id": "101", "joined": at(170)}])
    assert _run(m, mem).empty


def test_roster_last_spoke_counts_when_the_log_missed_it():
    m = _base_log([(at(10), "101", "老王", "hi")])
    mem = members([{"member_id": "101", "joined": at(-10), "last_spoke_roster": at(180)}])
    assert _run(m, mem).empty
    # a roster date after as_of is not used (replaying a past moment)
    mem = members([{"member_id": "101", "joined": at(-10), "last_spoke_roster": at(300)}])
    assert _ids(_run(m, mem)) == ["101"]


def test_owner_and_admins_are_never_listed():
    m = _base_log([(at(1), "101", "管理A", "hi"), (at(1), "102", "管理B", "hi", "text", None, None, "【管理员】"),
                   (at(1), "103", "普通", "hi")])
    mem = members([{"member_id": "100", "role": "owner", "joined": at(-10)},
                   {"member_id": "101", "role": "admin", "joined": at(-10)},
                   {"member_id": "102", "role": "member", "joined": at(-10)},  # admin title only in the export
                   {"member_id": "103", "joined": at(-10)}])
    assert _ids(_run(m, mem)) == ["103"]


def test_keep_by_id_or_any_name():
    m = _base_log([(at(1), "101", "老王", "hi"), (at(1), "102", "小李", "hi"), (at(1), "103", "阿三", "hi")])
    mem = members([{"member_id": "101", "member_name": "老王"}, {"member_id": "102", "member_name": "小李"},
                   {"member_id": "103", "member_name": "阿三"}])
    mem.at[2, "names"] = ["三哥", "阿三"]
    assert _ids(_run(m, mem)) == ["101", "102", "103"]
    assert _ids(_run(m, mem, keep=["101", "小李"])) == ["103"]
    assert _ids(_run(m, mem, keep=["三哥"])) == ["101", "102"]   # an earlier name also matches


def test_read_keep_skips_blanks_and_comments():
    assert read_keep(["\ufeff10001\n", "  小李 ", "", "# the core", "  "]) == ["10001", "小李"]


def test_grace_period_for_newcomers():
    roles = pd.DataFrame({"group_id": ["g1", "g1"], "member_id": ["301", "302"], "role": ["advertiser"] * 2})
    m = _base_log([(at(195), "301", "新广告", "加V看资料"), (at(180), "302", "老广告", "加V看资料")])
    mem = members([{"member_id": "301", "joined": at(190)},   # 10 days: inside the default 14-day grace
                   {"member_id": "302", "joined": at(180)}])  # 20 days
    assert _ids(_run(m, mem, roles)) == ["302"]
    assert _ids(_run(m, mem, roles, grace_days=0)) == ["301", "302"]
    assert _ids(_run(m, mem, roles, grace_days=30)) == []


def test_advertiser_whatever_their_recency():
    roles = pd.DataFrame({"group_id": ["g1", "g1"], "member_id": ["301", "101"], "role": ["advertiser", "lurker"]})
    m = _base_log([(AS_OF, "301", "广告", "加V"), (at(50), "101", "老王", "hi")])
    mem = members([{"member_id": "301", "joined": at(-10)}, {"member_id": "101", "joined": at(-10)}])
    out = _run(m, mem, roles).set_index("member_id")
    assert out.loc["301", "reason"] == "advertiser" and out.loc["301", "role"] == "advertiser"
    assert out.loc["301", "days_silent"] == 0
    assert out.loc["101", "reason"] == "silent" and out.loc["101", "role"] == "lurker"
    # silent advertisers carry both reasons
    m = _base_log([(at(50), "301", "广告", "加V")])
    assert _run(m, mem, roles).set_index("member_id").loc["301", "reason"] == "silent; advertiser"


def test_min_messages_in_the_window():
    m = _base_log([(at(150), "101", "老王", "hi"), (at(20), "102", "小李", "a"), (at(21), "102", "小李", "b"),
                   (at(150), "102", "小李", "c"), (at(151), "102", "小李", "d")])
    mem = members([{"member_id": "101", "joined": at(-10)}, {"member_id": "102", "joined": at(-10)}])
    assert _run(m, mem).empty
    out = _run(m, mem, min_messages=2)
    assert _ids(out) == ["101"]                      # 102 has 4 messages, but 2 of them inside the window
    assert out.iloc[0]["reason"] == "few messages (fewer than 2 in 90 days)"
    assert _ids(_run(m, mem, min_messages=3)) == ["101", "102"]


def test_roll_call_answerers_are_kept():
    m = _base_log([
        (at(100), "101", "老王", "hi"), (at(100), "102", "小李", "hi"),
        (at(150), "100", "群主", "今天晚上20:00本群将调整一部分长期潜水不说话的小伙伴,在的请打1"),
        (at(150, 2), "101", "老王", "1"),
    ])
    mem = members([{"member_id": i, "joined": at(-10)} for i in ("100", "101", "102")])
    mem.loc[0, "role"] = "owner"
    # 101's "1" is a message, but a lurker by volume would still be listed without the roll-call rule
    out = _run(m, mem, min_messages=3)
    assert _ids(out) == ["102"]
    # an answer after the window does not count
    late = _base_log([
        (at(100), "101", "老王", "hi"),
        (at(150), "100", "群主", "今晚清人，在的扣1"),
        (at(152), "101", "老王", "1"),
    ])
    assert _ids(_run(late, mem, min_messages=3)) == ["101", "102"]
    assert _ids(_run(late, mem, min_messages=3, rollcall_window=pd.Timedelta(days=3))) == ["102"]
    # a roll call older than the prune window no longer protects
    assert _ids(_run(m, mem, min_messages=3, days=30)) == ["101", "102"]


def test_members_who_left_or_are_not_in_the_roster_are_not_listed():
    m = _base_log([(at(5), "101", "走了", "hi"), (at(5), "102", "没在花名册", "hi"), (at(5), "103", "在", "hi")])
    mem = members([{"member_id": "101", "joined": at(-10), "left": at(50)},
                   {"member_id": "102", "joined": at(-10), "in_roster": False},
                   {"member_id": "103", "joined": at(-10)}])
    assert _ids(_run(m, mem)) == ["103"]
    # left after as_of: still a member at that moment
    mem.loc[0, "left"] = at(300)
    assert _ids(_run(m, mem)) == ["101", "103"]


def test_joined_after_the_roster_was_taken_is_still_judged():
    m = _base_log()
    mem = members([{"member_id": "103", "joined": at(-10)},
                   {"member_id": "104", "joined": at(50), "in_roster": False}])  # join line newer than the roster
    assert _ids(_run(m, mem)) == ["103", "104"]


def test_without_roster_works_on_speakers_and_says_so():
    m = _base_log([(at(5), "101", "老王", "hi"), (at(150), "102", "小李", "hi")])
    out = _run(m, conform_members(pd.DataFrame(columns=["group_id", "member_id"])))
    assert _ids(out) == ["101"]
    assert out.attrs["no_roster"] == ["测试群"]


def test_roster_suppresses_the_note():
    m = _base_log([(at(5), "101", "老王", "hi")])
    out = _run(m, members([{"member_id": "101"}]), roles=pd.DataFrame(columns=["group_id", "member_id", "role"]))
    assert out.attrs["notes"] == [] and out.attrs["no_roster"] == []


def test_as_of_replays_the_past():
    m = _base_log([(at(5), "101", "老王", "hi"), (at(150), "101", "老王", "back")])
    mem = members([{"member_id": "101", "joined": at(-10)}, {"member_id": "102", "joined": at(120)}])
    assert _run(m, mem).empty               # 101 spoke 50 days ago, 102 joined 80 days ago
    past = _run(m, mem, as_of=at(100))
    assert _ids(past) == ["101"]            # later messages unseen; 102 had not joined yet
    assert past.iloc[0]["messages"] == 1 and past.iloc[0]["days_silent"] == 95
    assert past.attrs["as_of"] == at(100)


def test_default_as_of_is_the_newest_message():
    m = _base_log([(at(5), "101", "老王", "hi")])
    out = prune_candidates(m, members([{"member_id": "101"}]), None, None, 90)
    assert out.attrs["as_of"] == AS_OF and _ids(out) == ["101"]


def test_several_groups_are_ordered_and_named():
    a = messages([(at(0), "1", "x", "hi"), (AS_OF, "9", "y", "hi")], group="ga", group_name="B群")
    b = messages([(at(0), "1", "x", "hi"), (at(10), "2", "z", "hi"), (AS_OF, "9", "y", "hi")], group="gb",
                 group_name="A群")
    m = pd.concat([a.astype(object), b.astype(object)])  # duplicate index labels must not matter
    m["ts"] = pd.to_datetime(m["ts"], utc=True)
    out = _run(m, conform_members(pd.DataFrame(columns=["group_id", "member_id"])))
    assert list(zip(out["group_name"], out["member_id"], strict=True)) == [("A群", "1"), ("A群", "2"), ("B群", "1")]


def test_negative_days_rejected():
    with pytest.raises(ValueError):
        _run(_base_log(), members([{"member_id": "1"}]), days=-1)


def test_advertiser_from_the_real_roles_engine():
    spam = "加我微信 abc12345 代理招募，日赚500，详情私聊 http://t.cn/xyz"
    rows = [(at(0), "100", "群主", "开群啦")]
    for d in range(0, 200, 5):
        rows += [(at(d, 1), "101", "老王", f"今天聊聊第{d}章的内容，大家怎么看？"),
                 (at(d, 2), "102", "小李", "我觉得挺好的，谢谢分享"),
                 (at(d, 3), "103", "阿三", "哈哈哈")]
    rows += [(at(190 + i), "666", "推广", spam) for i in range(6)]
    rows.append((AS_OF, "100", "群主", "晚安"))
    m = messages(rows)
    mem = members([{"member_id": i, "joined": at(-10)} for i in ("101", "102", "103", "666")]
                  + [{"member_id": "100", "role": "owner", "joined": at(-10)}])
    roles = assign_roles(m, mem, AS_OF)
    out = _run(m, mem, roles).set_index("member_id")
    assert out.loc["666", "reason"] == "advertiser"
    assert "101" not in out.index


@pytest.mark.parametrize("lifecycle", ["healthy", "flooded", "dying"])
def test_generated_group_never_lists_the_protected(lifecycle):
    """On a synthetic group with a roster and a planted roll call: owner/admins, roll-call answerers and
    members kicked after the roll call are never listed; every row's figures agree with its reason."""
    g = generate_group("健身群", lifecycle=lifecycle, n_members=150, seed=3, rollcall=True, messages=2000)
    mem = derive_members(g.messages, {g.group_id: g.roster})
    out = prune_candidates(g.messages, mem, None, g.as_of, 90, min_messages=3)
    listed = set(out["member_id"])
    protected = set(g.roster.loc[g.roster["role"].isin(["owner", "admin"]), "member_id"])
    assert len(out) > 0 and protected and g.rollcall["responders"] and g.rollcall["kicked"]  # nothing vacuous below
    assert not listed & protected
    assert not listed & set(g.rollcall["responders"])
    assert not listed & set(g.rollcall["kicked"])
    silent = out[out["reason"].str.startswith("silent")]
    assert 0 < len(silent) < len(out)
    assert (silent["days_silent"] >= 90).all()
    assert (out.loc[~out["reason"].str.startswith("silent"), "days_silent"] < 90).all()


def test_no_roster_note_summarises_many_groups():
    note = Note(NO_ROSTER, tuple(f"g{i}" for i in range(5)))
    assert note.lines() == [NO_ROSTER.format(items="5 groups (g0, g1, g2 and 2 more)")]
    assert "g4" in note.lines(verbose=True)[0]
