"""Roll calls: announcements, answers within the window, answerers and non-answerers."""

from __future__ import annotations

import pandas as pd
import pytest
from prune_frames import at, members, messages

from qunkit.analysis import rollcall as rc
from qunkit.generate import generate_group

SEED = "今天晚上20:00本群将调整一部分长期潜水不说话的小伙伴,在的请打1"


@pytest.mark.parametrize("text", [
    SEED,
    "今天晚上20：00本群将调整一部分长期潜水不说话的小伙伴，在的请打１",  # full-width punctuation and digit
    "今晚清人，在的扣1",
    "点名啦！在的请回复",
    "潜水的小伙伴都冒个泡",
    "群内点名 打1",
    "@全体成员 明天清理长期不发言的成员，还在的回复1",
])
def test_announcement_variants_are_found(text):
    assert rc.is_announcement(pd.Series([text])).iloc[0]


@pytest.mark.parametrize("text", [
    "我一直在潜水哈哈",     # a topic word but no call to answer
    "大家今晚打卡了吗",       # neither
    "1",
    "请打1个电话给我",         # a call-like phrase without a roll-call topic
    "今晚8点开会",
])
def test_ordinary_chat_is_not_an_announcement(text):
    assert not rc.is_announcement(pd.Series([text])).iloc[0]


@pytest.mark.parametrize("text", ["1", "在", "到", "签到", "+1", "扣1", "我在", "１１１", "在！", "＋１",
                                  "到[表情]", "在在在", "我在我在~", "1 ", "有"])
def test_answers(text):
    assert rc.is_answer(pd.Series([text])).iloc[0]


@pytest.mark.parametrize("text", ["在哪", "1点开会", "到时候再说", "在的请打1", "", "[图片]",
                                  "我在我在我在我在我在我在我在我在我在"])
def test_not_answers(text):
    assert not rc.is_answer(pd.Series([text])).iloc[0]


def _log():
    return messages([
        (at(0), "100", "群主", SEED),
        (at(0, 1), "101", "阿一", "1"),
        (at(0, 2), "102", "阿二", "在！"),
        (at(0, 3), "103", "阿三", "我一直在潜水哈哈"),      # spoke, did not answer
        (at(0, 23), "104", "阿四", "到"),                    # inside 24 h
        (at(1, 1), "105", "阿五", "1"),                      # 25 h later: too late
        (at(0, 4), "101", "阿一", "1"),                      # a second answer is not a second row
        (at(0, 5), "system", "系统消息", "1", "system"),     # system lines never answer
    ])


def test_find_rollcalls_and_answers_within_window():
    m = _log()
    calls = rc.find_rollcalls(m)
    assert len(calls) == 1
    call = calls.iloc[0]
    assert call["announced"] == at(0) and call["announcer_id"] == "100"
    assert call["closes"] == at(1)
    ans = rc.rollcall_answers(m, calls)
    assert sorted(ans["member_id"]) == ["101", "102", "104"]
    assert ans.set_index("member_id").loc["101", "answered_at"] == at(0, 1)


def test_window_is_configurable():
    m = _log()
    calls = rc.find_rollcalls(m, window=pd.Timedelta(hours=48))
    assert "105" in set(rc.rollcall_answers(m, calls)["member_id"])
    calls = rc.find_rollcalls(m, window=pd.Timedelta(hours=2))
    assert sorted(rc.rollcall_answers(m, calls)["member_id"]) == ["101", "102"]


def test_as_of_closes_the_window_early():
    m = _log()
    calls = rc.find_rollcalls(m, as_of=at(0, 1.5))
    assert calls.iloc[0]["closes"] == at(0, 1.5)
    assert list(rc.rollcall_answers(m[m["ts"] <= at(0, 1.5)], calls)["member_id"]) == ["101"]


def test_reminder_is_the_same_roll_call():
    m = messages([
        (at(0), "100", "群主", "今晚清人，在的扣1"),
        (at(0, 1), "101", "阿一", "1"),
        (at(0, 20), "100", "群主", "再提醒一次：今晚清人，在的扣1"),
        (at(1, 10), "102", "阿二", "1"),   # 34 h after the first, 14 h after the reminder
        (at(5), "100", "群主", "今晚清人，在的扣1"),  # a new roll call days later
        (at(5, 1), "103", "阿三", "1"),
    ])
    calls = rc.find_rollcalls(m)
    assert list(calls["announced"]) == [at(0), at(5)]
    ans = rc.rollcall_answers(m, calls)
    assert sorted(ans.loc[ans["announced"] == at(0), "member_id"]) == ["101", "102"]
    assert list(ans.loc[ans["announced"] == at(5), "member_id"]) == ["103"]


def test_custom_message():
    m = messages([
        (at(0), "100", "群主", "今晚八点查岗，看到的吱一声哦"),
        (at(0, 1), "101", "阿一", "1"),
    ])
    assert rc.find_rollcalls(m, message="今晚八点查岗").shape[0] == 1
    assert rc.find_rollcalls(m, message="明天开会").empty
    assert rc.answerers(m, message="今晚八点 查岗") == {("g1", "101")}  # whitespace in the option is ignored


def test_status_lists_answerers_and_non_answerers_among_members():
    m = _log()
    mem = members([
        {"member_id": "100", "role": "owner"},
        {"member_id": "101", "member_name": "阿一"},
        {"member_id": "102", "member_name": "阿二"},
        {"member_id": "103", "member_name": "阿三"},
        {"member_id": "106", "member_name": "潜水员", "joined": at(-30)},
        {"member_id": "107", "member_name": "后来者", "joined": at(3)},   # joined after the call closed
        {"member_id": "108", "member_name": "早走了", "left": at(-1)},     # gone before the call
    ])
    st = rc.rollcall_status(m, mem, rc.find_rollcalls(m))
    answered = st[st["answered"]]
    missing = st[~st["answered"]]
    # 104 answered but is not in the member table: still shown, under the name they answered with
    assert sorted(answered["member_id"]) == ["101", "102", "104"]
    assert answered.set_index("member_id").loc["104", "member_name"] == "阿四"
    assert sorted(missing["member_id"]) == ["103", "106"]   # announcer, latecomer and leaver not listed
    assert list(st.columns) == rc.STATUS_COLUMNS


def test_status_latest_only():
    m = messages([
        (at(0), "100", "群主", "今晚清人，在的扣1"),
        (at(0, 1), "101", "阿一", "1"),
        (at(5), "100", "群主", "今晚清人，在的扣1"),
        (at(5, 1), "102", "阿二", "1"),
    ])
    mem = members([{"member_id": x} for x in ("100", "101", "102")])
    calls = rc.find_rollcalls(m)
    latest = rc.rollcall_status(m, mem, calls)
    assert set(latest["announced"]) == {at(5)}
    assert list(latest.loc[latest["answered"], "member_id"]) == ["102"]
    both = rc.rollcall_status(m, mem, calls, latest_only=False)
    assert len(both) == 4


def test_no_roll_call():
    m = messages([(at(0), "101", "阿一", "hello")])
    calls = rc.find_rollcalls(m)
    assert calls.empty and list(calls.columns) == rc.CALL_COLUMNS
    assert rc.rollcall_status(m, members([{"member_id": "101"}]), calls).empty


def test_announcement_text_fills_in_the_time():
    morning = pd.Timestamp("2024-05-01 09:00", tz="Asia/Shanghai")
    assert rc.announcement_text(now=morning) == SEED
    assert rc.announcement_text("21:30", now=morning).startswith("今天晚上21:30本群将调整")
    assert rc.announcement_text("10:00", now=morning).startswith("今天上午10:00")
    assert rc.announcement_text("2024-05-02 20:00", now=morning).startswith("明天晚上20:00")
    assert rc.announcement_text("2024-05-10 15:00", now=morning).startswith("5月10日下午15:00")
    with pytest.raises(ValueError):
        rc.announcement_text("25:00", now=morning)


def test_announcement_text_is_found_as_a_roll_call():
    text = rc.announcement_text("21:00", now=pd.Timestamp("2024-05-01 09:00", tz="Asia/Shanghai"))
    assert rc.is_announcement(pd.Series([text])).iloc[0]


@pytest.mark.parametrize("lifecycle", ["healthy", "dying", "flooded", "revival"])
def test_planted_roll_call_in_generated_groups(lifecycle):
    """The generator plants a roll call (seed wording or a variant) and knows who answered it."""
    g = generate_group(f"{lifecycle}群", lifecycle=lifecycle, n_members=150, seed=3, rollcall=True, messages=2000)
    calls = rc.find_rollcalls(g.messages)
    assert list(calls["announced"]) == [g.rollcall["ts"]] and len(g.rollcall["responders"]) > 0
    assert set(rc.rollcall_answers(g.messages, calls)["member_id"]) == set(g.rollcall["responders"])


def test_answers_are_judged_per_distinct_text_and_spread_back_in_order():
    """``is_answer`` judges each distinct text once: repeats, missing texts and the index keep their rows."""
    texts = pd.Series(["1", "我在", None, "1", "哈哈", "１", "我在"], index=[7, 3, 9, 1, 0, 5, 2])
    got = rc.is_answer(texts)
    assert list(got.index) == [7, 3, 9, 1, 0, 5, 2]
    assert got.tolist() == [True, True, False, True, False, True, True]
    assert rc.is_answer(texts.iloc[:0]).empty
