"""Event impact (``qunkit impact``): a planted event lifts the group, a planted non-event does not, a planted
silence is below trend; who came back; --at; errors; a real export (numbers only)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from analysis_helpers import chat, members_frame
from click.testing import CliRunner
from helpers import qq_export_file

from qunkit.analysis import impact as im
from qunkit.analysis.scope import Scope
from qunkit.cli import cli
from qunkit.commands.loading import load_scope
from qunkit.store import Store

D0 = pd.Timestamp("2024-03-04")                          # a Monday; the log runs 6 weeks
LIVE = D0 + pd.Timedelta(days=29, hours=19)              # Tue 2024-04-02 19:00: "tonight 20:00", then a surge
FLAT = D0 + pd.Timedelta(days=38, hours=10)              # Thu 2024-04-11 10:00: "Saturday 15:00", nothing after
SAT = D0 + pd.Timedelta(days=40, hours=15)
QUIET = D0 + pd.Timedelta(days=22, hours=10)             # Tue 2024-03-26 10:00: notice, then 48 h of silence
REGULARS = [(f"常客{i}", 20001 + i) for i in range(8)]
LURKERS = [(f"潜水{i}", 30001 + i) for i in range(10)]
LURKERS[0] = ("潜水\x1b]0;pwned\x07", 30001)          # a hostile nickname: it must never reach the terminal raw
JOINERS = [(f"新人{i}", 40001 + i) for i in range(3)]
OWNER = ("群主", 10001)


def _line(ts: pd.Timestamp, who: tuple[str, int], text: str) -> str:
    return f"{ts:%Y-%m-%d %H:%M:%S} {who[0]}({who[1]})\n{text}\n\n"


def planted_export(tmp_path: Path) -> Path:
    """A QQ export: 8 regulars talk 10-14 messages a day (a fixed weekly pattern, so the noise is known),
    10 lurkers speak once in the first week; LIVE's notice is followed by 60 extra messages (every lurker
    back) and 3 joins, FLAT's by nothing unusual, QUIET's by 48 h with no message at all."""
    lines: list[tuple[pd.Timestamp, str]] = []
    for day in range(42):
        base = D0 + pd.Timedelta(days=day)
        n = 10 + day % 5
        for k in range(n):
            ts = base + pd.Timedelta(hours=9) + pd.Timedelta(minutes=int(k * 840 / n))
            if QUIET <= ts < QUIET + pd.Timedelta(hours=48):
                continue
            lines.append((ts, _line(ts, REGULARS[(day + k) % 8], f"日常聊天 {day}-{k}")))
    for i, who in enumerate(LURKERS):
        ts = D0 + pd.Timedelta(days=i % 4, hours=12, minutes=i)
        lines.append((ts, _line(ts, who, "大家好")))
    for ts, text in ((LIVE, "【通知】今晚8点直播分享，欢迎大家参加"), (FLAT, "【活动】周六下午3点线下聚会，欢迎报名"),
                     (QUIET, "【通知】讲座开始了，记得参加")):
        lines.append((ts, _line(ts, OWNER, text)))
    for k in range(60):
        ts = LIVE + pd.Timedelta(minutes=60 + k * 2)
        who = LURKERS[k % 10] if k < 20 else REGULARS[k % 8]
        lines.append((ts, _line(ts, who, f"直播太棒了 {k}")))
    for i, who in enumerate(JOINERS):
        ts = LIVE + pd.Timedelta(minutes=30 + i)
        lines.append((ts, _line(ts, ("系统消息", 10000), f"{who[0]}({who[1]})加入本群。")))
    body = "".join(t for _, t in sorted(lines, key=lambda x: x[0]))
    return qq_export_file(tmp_path / "planted.txt", "活动测试群", body)


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("impact")
    res = run("import", str(planted_export(tmp)), "--store", str(tmp / "s"), "-q")
    assert res.exit_code == 0, res.output
    return tmp / "s"


def local(ts: pd.Timestamp) -> pd.Timestamp:
    return ts.tz_localize("Asia/Shanghai").tz_convert("UTC")


def test_planted_event_lifted_non_event_not(store: Path) -> None:
    messages, members, as_of = load_scope(Store(store), Scope())
    events = im.find_events(messages, members, as_of)
    # an event starts when its notice says ("今晚8点", "周六下午3点"), else at the notice
    assert list(events["start"]) == [local(QUIET), local(LIVE + pd.Timedelta(hours=1)), local(SAT)]
    assert list(events["posted"]) == [local(QUIET), local(LIVE), local(FLAT)]
    assert list(events["kind"]) == ["讲座", "直播", "活动"] and set(events["source"]) == {"notice"}
    rows, who = im.event_impact(messages, members, events, as_of)
    by = rows.set_index(rows["start"].map(pd.Timestamp))
    live, flat, quiet = by.loc[local(LIVE + pd.Timedelta(hours=1))], by.loc[local(SAT)], by.loc[local(QUIET)]
    assert live["verdict"] == "lifted" and flat["verdict"] == "no effect" and quiet["verdict"] == "below trend"
    # the surge is 60 messages over the usual level, from the 10 lurkers beside the regulars
    assert 50 <= live["messages_excess"] <= 70 and live["messages_z"] >= im.Z
    assert live["speakers"] == 18 and live["speakers_lift"] > 2     # 8 regulars and 10 lurkers
    assert abs(flat["messages_z"]) < im.Z and abs(flat["messages_lift"] - 1) < 0.25
    assert quiet["messages"] == 1 and quiet["messages_z"] <= -im.Z      # the notice alone
    # who came back: the 10 lurkers (silent since the first week), the 3 joiners; nobody for FLAT
    assert live["returned"] == 10 and live["newcomers"] == 3 and flat["returned"] == 0
    back = who[(who["start"] == local(LIVE + pd.Timedelta(hours=1))) & (who["how"] == "returned")]
    assert set(back["member_id"]) == {str(i) for _, i in LURKERS}
    assert (back["silent_days"] >= 25).all() and (back["messages"] == 2).all()
    assert set(who.loc[who["how"] == "newcomer", "member_id"]) == {str(i) for _, i in JOINERS}


def test_baseline_skips_weeks_with_another_event(store: Path) -> None:
    """LIVE's first week back overlaps QUIET's window: that week is left out; the 3 older ones the log
    holds are used (a 4th would start before the first message)."""
    messages, members, as_of = load_scope(Store(store), Scope())
    events = im.find_events(messages, members, as_of)
    rows, _ = im.event_impact(messages, members, events, as_of)
    live = rows[rows["posted"] == local(LIVE)].iloc[0]
    assert live["baseline_weeks"] == 3 and live["baseline_clean"]
    alone, _ = im.event_impact(messages, members, events[events["posted"] == local(LIVE)], as_of)
    # with QUIET unknown, its half-silent week is in the baseline and drags the low end down
    assert alone.iloc[0]["baseline_weeks"] == 4 and alone.iloc[0]["messages_low"] < live["messages_low"] / 2


def test_cli_table_json_csv_and_who(store: Path, tmp_path: Path) -> None:
    res = run("impact", "--store", str(store), "--format", "json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [r["verdict"] for r in data] == ["below trend", "lifted", "no effect"]
    assert data[1]["start"] == "2024-04-02T12:00:00+00:00" and data[1]["returned"] == 10
    assert 30 < data[2]["window_hours"] < 31     # Saturday 15:00 to the log's end (Sunday 21:43)
    assert "quasi-Poisson" in res.stderr
    res = run("impact", "活动测试群", "--store", str(store))
    assert "2024-04-02 20:00" in res.stdout and "lifted" in res.stdout and "潜水" in res.stdout
    assert "\x1b" not in res.stdout and "\x07" not in res.stdout and "\\x1b]0;pwned" in res.stdout
    out = tmp_path / "who.csv"
    res = run("impact", "--who", "--store", str(store), "--format", "csv", "-o", str(out))
    who = pd.read_csv(out, dtype={"member_id": str})
    assert res.exit_code == 0 and set(who["how"]) == {"returned", "newcomer", "first_time"}
    assert (who["how"] == "returned").sum() == 10
    assert list(who.loc[who["how"] == "first_time", "member_id"]) == [str(OWNER[1])]   # the notice was their first


def test_cli_at_window_and_outside_history(store: Path) -> None:
    res = run("impact", "--store", str(store), "--at", "2024-04-02 19:00", "--at", "2024-04-09 19:00",
              "--window", "24", "--format", "json")
    data = json.loads(res.stdout)
    assert [r["verdict"] for r in data] == ["lifted", "no effect"]
    assert data[0]["window_hours"] == 24 and data[0]["kind"] == "--at"
    # a week after LIVE: LIVE's surge and QUIET's silence (found in the log) are kept out of the baseline
    assert data[1]["baseline_clean"] and data[1]["baseline_weeks"] == 3 and data[1]["messages_high"] < 30
    res = run("impact", "--store", str(store), "--at", "2030-01-01")
    assert res.exit_code == 2 and "outside the history" in res.stderr and "2024-03-04" in res.stderr
    assert len(res.stderr.splitlines()) == 1
    assert run("impact", "--store", str(store), "--window", "200h").exit_code == 2
    assert run("impact", "--store", str(store), "--at", "soon").exit_code == 2
    # --since picks the events, the baseline still reads the weeks before
    data = json.loads(run("impact", "--store", str(store), "--since", "2024-04-01", "--format", "json").stdout)
    assert [r["verdict"] for r in data] == ["lifted", "no effect"] and data[0]["baseline_weeks"] == 4


def test_at_on_the_first_day_has_too_little_history(store: Path) -> None:
    data = json.loads(run("impact", "--store", str(store), "--at", "2024-03-05 12:00", "--format", "json").stdout)
    assert data[0]["verdict"] == "too little history" and data[0]["baseline_weeks"] == 0


def test_at_skips_groups_whose_history_does_not_hold_it() -> None:
    m = pd.concat([chat([(0, "a", "早"), (20 * 1440, "b", "晚")]),
                   chat([(15 * 1440, "c", "hi"), (30 * 1440, "d", "bye")], group="g2", name="后来群")],
                  ignore_index=True)
    at = pd.Timestamp("2024-03-11 12:00", tz="Asia/Shanghai").tz_convert("UTC")    # day 7: only g1 holds it
    events, outside = im.at_events(m, [at])
    assert list(events["group_id"]) == ["g1"] and list(outside["group_name"]) == ["后来群"]
    rows, _ = im.event_impact(m, members_frame([{"member_id": x} for x in "ab"], messages=m), events)
    assert rows.iloc[0]["verdict"] == "too little history" and rows.iloc[0]["baseline_weeks"] == 1
    # day 25: g1's export ended on day 20, so there it is outside, not a silence
    late, outside = im.at_events(m, [at + pd.Timedelta(days=18)], as_of=m["ts"].max())
    assert list(late["group_id"]) == ["g2"] and list(outside["group_id"]) == ["g1"]


def test_notices_merge_within_a_day_questions_are_not_events() -> None:
    m = chat([(0, "a", "【通知】明晚8点直播，欢迎参加"), (60, "b", "明晚的直播几点开始？"),
              (23 * 60, "a", "@所有人 直播今晚8点准时开始"), (3 * 1440, "a", "【通知】周五晚上读书会分享，准时开始"),
              (3 * 1440 + 5, "c", "感谢分享"), (4 * 1440, "c", "【通知】明天停水")])
    ev = im.find_events(m, members_frame([{"member_id": x} for x in "abc"], messages=m))
    assert list(ev["notices"]) == [2, 1] and list(ev["kind"]) == ["直播", "讲座"]
    assert list(ev["text"].str[:4]) == ["【通知】", "【通知】"]


def test_announced_time() -> None:
    monday = pd.Timestamp("2024-03-04 10:56", tz="Asia/Shanghai")
    at = {t: im.announced_time(t, monday) for t in ("【活动预告】本周六下午2点 线下活动", "明晚8点讲座", "【通知】20:00 直播",
                                                    "下周三晚上七点半分享会", "3月12日读书会", "8点开始直播",
                                                    "直播开始啦", "4月30日活动")}
    assert at["【活动预告】本周六下午2点 线下活动"] == pd.Timestamp("2024-03-09 14:00", tz="Asia/Shanghai")
    assert at["明晚8点讲座"] == pd.Timestamp("2024-03-05 20:00", tz="Asia/Shanghai")
    assert at["【通知】20:00 直播"] == at["8点开始直播"] == pd.Timestamp("2024-03-04 20:00", tz="Asia/Shanghai")
    assert at["下周三晚上七点半分享会"] == pd.Timestamp("2024-03-13 19:30", tz="Asia/Shanghai")
    assert at["3月12日读书会"] == pd.Timestamp("2024-03-12", tz="Asia/Shanghai")
    assert at["直播开始啦"] is None and at["4月30日活动"] is None        # no moment; more than 14 days ahead


def test_red_packets_burst_or_staff() -> None:
    rp = "[QQ红包]我发了一个“拼手气红包”"
    m = chat([(0, "a", rp, "redpacket"), (1440, "b", rp, "redpacket"), (1445, "c", rp, "redpacket"),
              (1450, "b", rp, "redpacket"), (3 * 1440, "o", rp, "redpacket"),
              (3 * 1440 + 1, "a", "a领取了o的红包", "redpacket")])
    mem = members_frame([{"member_id": x, "role": "owner" if x == "o" else "member"} for x in "abco"], messages=m)
    ev = im.find_events(m, mem)
    assert list(ev["source"]) == ["redpacket", "redpacket"] and list(ev["poster_id"]) == ["b", "o"]


def test_z_uses_the_weeks_spread_when_wider_than_poisson() -> None:
    exp, z = im._z(30, np.array([10.0, 10, 10, 10]))
    assert exp == 10 and z == pytest.approx(20 / np.sqrt(10 * 1.25))
    _, z_wide = im._z(30, np.array([0.0, 5, 15, 40]))
    assert z_wide < 2 <= z


def test_real_export_numbers_only(realdata, tmp_path: Path) -> None:
    """A real QQ group (4.5 months): events are found and measured; no name or text is checked or kept."""
    f = realdata / "qq-txt" / "Times125-QQ_Chat_Records_Analyse__test-test.txt"
    if not f.exists():
        pytest.skip(f"{f.name} not in realdata")
    store = tmp_path / "s"
    assert run("import", str(f), "--store", str(store), "-q").exit_code == 0
    res = run("impact", "--store", str(store), "--format", "json")
    assert res.exit_code == 0, res.stderr
    data = json.loads(res.stdout)
    assert len(data) >= 3
    assert {r["verdict"] for r in data} <= set(im.VERDICTS)
    for r in data:
        assert r["messages"] >= 0 and r["speakers"] <= r["messages"]
        assert r["returned"] + r["first_time"] <= r["speakers"]
        if r["baseline_weeks"] >= im.MIN_WEEKS:
            assert r["messages_low"] <= r["expected_messages"] <= r["messages_high"]
    starts = pd.to_datetime(pd.Series([r["start"] for r in data]))
    assert starts.is_monotonic_increasing      # one group, oldest first, merged at least a day apart
    assert (starts.diff().dropna() >= im.MERGE).all()
