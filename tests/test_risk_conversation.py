"""Risk causes about conversation and its shape: the operators' monologue as one voice, no conversation,
replies falling, the holiday-free trend, and a month of silence scoring 100 (issue 9, item 4)."""

import json

import pandas as pd
from analysis_helpers import chat, members_frame
from click.testing import CliRunner
from test_risk import PHRASES, START, TOPICS, risk_of, schedule_rows
from test_store import qq_export, write

from qunkit.analysis.risk import group_risk
from qunkit.cli import cli


def text(n: int) -> str:
    return PHRASES[n % len(PHRASES)].format(t=TOPICS[(n // 7) % len(TOPICS)]) + f"（{n}）"


def spaced_rows(days: range, per_day: int, speakers: list[str], gap_min: int = 40) -> list:
    """``per_day`` messages a day, ``gap_min`` minutes apart (beyond the 10-minute reply window: nobody
    answers anybody), speakers taking turns."""
    return [(d * 1440 + 8 * 60 + k * gap_min, speakers[(d * per_day + k) % len(speakers)], text(d * per_day + k))
            for d in days for k in range(per_day)]


def talk_rows(days: range, per_day: int, speakers: int, offset: int = 0) -> list:
    """A conversation: each message 5 minutes after the last, from a different member."""
    return [(d * 1440 + 9 * 60 + offset + k * 5, f"u{(d + k) % speakers}", text(d * per_day + k))
            for d in days for k in range(per_day)]


def score_without(rows: list, as_of_day: float, cause: str) -> float:
    """The score with one cause's weight set to 0 (no roster)."""
    m = chat(rows, start=START)
    return float(group_risk(m, None, START + pd.Timedelta(days=as_of_day), weights={cause: 0.0}).iloc[0]["score"])


def risk_with_admins(rows: list, as_of_day: float) -> pd.Series:
    """Owner "o", admin "a" (roster), everyone else a member."""
    m = chat(rows, start=START)
    ids = sorted({r[1] for r in rows}) + [f"lurker{i}" for i in range(20)]
    role = {"o": "owner", "a": "admin"}
    mem = members_frame([{"member_id": i, "role": role.get(i, "member")} for i in ids], messages=m)
    return group_risk(m, mem, START + pd.Timedelta(days=as_of_day)).iloc[0]


def test_owner_and_admins_talking_alone_are_one_voice():
    """Owner and admin split 60 days of posts (neither writes 65% alone), members hardly answer: one voice."""
    members = talk_rows(range(0, 30), 10, 8)                          # the group talked, two months ago
    ops = spaced_rows(range(30, 90), 4, ["o", "a"], gap_min=120)
    stray = [(d * 1440 + 22 * 60, f"u{d % 8}", text(d)) for d in range(30, 90, 6)]   # a member now and then
    r = risk_with_admins(sorted(members + ops + stray), 90)
    f = r["features"]
    mono = [x for x in r["reasons"] if x.startswith("monologue:")]
    assert mono, r["reasons"]
    assert f["top_voice_is_org_60d"] and f["top_voice_share_60d"] > 0.9 and f["top1_share"] < 0.65
    windows = [(f"top_voice_share_{d}d", f"msgs_{d}d", d) for d in (30, 60)]
    assert any(f"one voice (the owner/admins) wrote {f[s]:.0%} of {f[n]:.0f} messages in {d} days, 0% of them"
               in mono[0] for s, n, d in windows), mono
    assert r["level"] in ("at-risk", "dead") and r["score"] >= 50
    # the same operators, answered by members within minutes: no monologue
    answers = [(t + 4, f"u{i % 8}", "收到，" + text(i)) for i, (t, _, _) in enumerate(ops)]
    ok = risk_with_admins(sorted(members + ops + answers), 90)
    assert not any(x.startswith("monologue:") for x in ok["reasons"]), ok["reasons"]
    assert ok["features"]["top_voice_reply_share_60d"] > 0.5 and ok["score"] < 25


def test_a_room_where_nobody_answers_has_no_conversation():
    """Ten members post, hours apart, nobody answers anybody: no conversation, with its figure."""
    rows = spaced_rows(range(0, 84), 6, [f"u{i}" for i in range(10)], gap_min=90)
    r = risk_of(rows, 84)
    f = r["features"]
    nc = [x for x in r["reasons"] if x.startswith("no conversation:")]
    assert nc and not any(x.startswith("monologue:") for x in r["reasons"]), r["reasons"]
    assert f["reply_share_60d"] < 0.05 and f["msgs_60d"] == 60 * 6
    assert r["score"] >= score_without(rows, 84, "no_conversation") + 25
    assert nc[0] == f"no conversation: {f['reply_share_60d']:.0%} of {f['msgs_60d']:.0f} messages in 60 days got a " \
        "reply from another member"
    # the same members talking to each other
    healthy = risk_of(talk_rows(range(0, 84), 6, 10), 84)
    assert not any(x.startswith("no conversation") for x in healthy["reasons"]), healthy["reasons"]
    assert healthy["features"]["reply_share_60d"] > 0.8 and healthy["level"] == "healthy"


def falling_rows(recent_answered: bool) -> list:
    """Twelve weeks of 8 messages a day from 10 members; in the last four weeks the messages are spaced
    out (nobody answers) unless ``recent_answered``."""
    before = talk_rows(range(0, 56), 8, 10)
    if recent_answered:
        return before + talk_rows(range(56, 84), 8, 10)
    half = talk_rows(range(56, 84), 4, 10)                              # half still a conversation ...
    alone = spaced_rows(range(56, 84), 4, [f"u{i}" for i in range(10)], gap_min=45)   # ... half nobody answers
    return sorted(before + half + [(t + 6 * 60, w, x + "。") for t, w, x in alone])


def test_replies_falling_against_the_groups_own_rate():
    r = risk_of(falling_rows(False), 84)
    f = r["features"]
    assert r["score"] >= score_without(falling_rows(False), 84, "replies_falling") + 15
    rf = [x for x in r["reasons"] if x.startswith("replies falling:")]
    assert rf, r["reasons"]
    assert f["reply_share_before"] - f["reply_share_recent"] >= 0.10 and f["reply_z"] <= -2
    assert f"{f['reply_share_recent']:.0%} of the last 4 weeks' {f['reply_msgs_recent']:.0f} messages" in rf[0]
    assert f"against {f['reply_share_before']:.0%} of {f['reply_msgs_before']:.0f} in the 8 weeks before" in rf[0]
    steady = risk_of(falling_rows(True), 84)
    assert not any(x.startswith("replies falling") for x in steady["reasons"]), steady["reasons"]
    assert abs(steady["features"]["reply_z"]) < 2 and r["score"] > steady["score"]


def test_the_trend_leaves_holiday_weeks_out():
    """Steady weeks around a Spring Festival lull: the lull is not a falling trend; a real fall is."""
    eve = (pd.Timestamp("2024-02-09 09:00", tz="Asia/Shanghai").tz_convert("UTC") - START).days
    plan = [(0, eve - 7, 12, 12), (eve - 7, eve + 10, 2, 4), (eve + 10, eve + 24, 12, 12)]
    r = risk_of(schedule_rows(plan), eve + 24)
    assert r["features"]["trend_weeks"] <= 6 and abs(r["features"]["trend_per_week"]) < 0.05
    assert not any(x.startswith("volume falling") for x in r["reasons"]), r["reasons"]
    fall = risk_of(schedule_rows([(d, d + 7, max(1, 40 - 5 * (d // 7)), 12) for d in range(0, 56, 7)]), 56)
    assert fall["features"]["trend_weeks"] >= 7 and fall["features"]["trend_per_week"] < -0.1
    assert any(x.startswith("volume falling") for x in fall["reasons"]), fall["reasons"]


def test_a_month_of_silence_scores_100():
    rows = schedule_rows([(0, 60, 12, 15)])
    r = risk_of(rows, 91)
    assert r["score"] == 100 and r["level"] == "dead"
    silent = r["features"]["days_silent"]
    assert silent >= 30 and f"no message with content for {silent:.0f} days" in r["reasons"], r["reasons"]
    # 100 whatever the causes add up to (here: almost nothing)
    light = {"silence": 5.0, "volume_drop": 0.0, "speaker_drop": 0.0, "trend": 0.0}
    m = chat(rows, start=START)
    assert group_risk(m, None, START + pd.Timedelta(days=91), weights=light).iloc[0]["score"] == 100
    # twenty silent days: at risk, not dead, and below 100 with the same light weights
    quieter = group_risk(m, None, START + pd.Timedelta(days=80), weights=light).iloc[0]
    assert quieter["score"] < 50 and quieter["level"] != "dead"


def test_cli_reports_no_conversation_and_its_figure(tmp_path):
    """Through a QQ .txt import and ``qunkit risk --format json``: a room where posts go unanswered."""
    day0 = pd.Timestamp("2024-03-04 08:00")
    lines = [((day0 + pd.Timedelta(days=d, minutes=50 * k)).strftime("%Y-%m-%d %H:%M:%S"),
              f"成员{(d + k) % 9}({30010 + (d + k) % 9})", f"{TOPICS[k % 12]}第{d}天的分享{k}")
             for d in range(84) for k in range(5)]
    lively = [((day0 + pd.Timedelta(days=d, minutes=3 * k)).strftime("%Y-%m-%d %H:%M:%S"),
               f"组员{(d + k) % 9}({40010 + (d + k) % 9})", f"{TOPICS[k % 12]}第{d}天的讨论{k}")
              for d in range(84) for k in range(5)]
    store = str(tmp_path / "s")
    runner = CliRunner()
    for name, rows in (("冷群", lines), ("热群", lively)):
        export = write(tmp_path / f"{name}.txt", qq_export(name, rows))
        assert runner.invoke(cli, ["import", str(export), "--store", store, "--quiet"]).exit_code == 0
    res = runner.invoke(cli, ["risk", "--store", store, "--format", "json", "--no-cache"])
    assert res.exit_code == 0, res.output
    by_name = {row["group_name"]: row for row in json.loads(res.stdout)}
    cold, warm = by_name["冷群"], by_name["热群"]
    assert any(x.startswith("no conversation: 0% of 300 messages in 60 days") for x in cold["reasons"]), cold
    assert not any(x.startswith("no conversation") for x in warm["reasons"]), warm["reasons"]
    assert cold["score"] > warm["score"] and cold["features"]["reply_share_60d"] == 0
