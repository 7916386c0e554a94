import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from analysis_helpers import chat, members_frame
from click.testing import CliRunner
from test_store import qq_export, write

from qunkit import generate as gen
from qunkit.analysis.dips import dip
from qunkit.analysis.risk import group_risk
from qunkit.analysis.textscan import _run_regexes
from qunkit.cli import cli
from qunkit.generate.writers import write_qq_txt, write_roster_csv
from qunkit.holidays import holidays
from qunkit.ingest import import_file
from qunkit.store import Store

START = pd.Timestamp("2023-10-09 09:00", tz="Asia/Shanghai").tz_convert("UTC")   # a Monday
PHRASES = ["今天继续聊聊{t}的做法", "我觉得{t}这块还可以再看看", "{t}最近有什么新变化", "刚试了一下{t}，效果不错",
           "{t}这个思路挺好的", "有人研究过{t}吗", "分享一下我做{t}的经验"]
TOPICS = ["配色", "字体", "母版", "动画", "图表", "排版", "模板", "导出", "封面", "目录", "转场", "图标"]


def schedule_rows(plan: list[tuple[int, int, int, int]], owner_share: float = 0.0, seed: int = 0) -> list:
    """plan: (first day, last day, messages a day, speakers). Speakers take turns; owner "o" posts a share."""
    rng = np.random.default_rng(seed)
    rows = []
    n = 0
    for d0, d1, per_day, speakers in plan:
        for d in range(d0, d1):
            for k in range(per_day):
                who = "o" if rng.random() < owner_share else f"u{rng.integers(0, speakers)}"
                text = PHRASES[n % len(PHRASES)].format(t=TOPICS[(n // 7) % len(TOPICS)]) + f"（{n}）"
                rows.append((d * 1440 + 9 * 60 + k * 7, who, text))
                n += 1
    return rows


def risk_of(rows: list, as_of_day: float, group: str = "g1", name: str = "测试群", roster: bool = False
            ) -> pd.Series:
    m = chat(rows, group=group, name=name, start=START)
    mem = None
    if roster:
        ids = sorted({r[1] for r in rows}) + [f"lurker{i}" for i in range(20)]
        mem = members_frame([{"member_id": i, "role": "owner" if i == "o" else "member", "group_id": group,
                              "group_name": name} for i in ids], messages=m)
    as_of = START + pd.Timedelta(days=as_of_day)
    return group_risk(m, mem, as_of).iloc[0]


def test_a_steady_group_is_healthy():
    r = risk_of(schedule_rows([(0, 84, 12, 15)]), 84)
    assert r["level"] == "healthy" and r["score"] < 25
    assert r["reasons"] and "no warning signs" in r["reasons"][0]
    assert r["features"]["speakers_recent_2w"] == 15


def test_a_long_silence_is_dead_with_its_figure():
    r = risk_of(schedule_rows([(0, 60, 12, 15)]), 100)
    assert r["level"] == "dead" and r["score"] >= 90
    assert r["reasons"][0].startswith("no message with content for 41 days")


def test_falling_volume_and_speakers_are_at_risk():
    plan = [(0, 56, 20, 20), (56, 63, 12, 12), (63, 70, 6, 6), (70, 77, 3, 3), (77, 84, 2, 2)]
    r = risk_of(schedule_rows(plan), 84)
    assert r["level"] == "at-risk" and r["score"] >= 50
    text = " | ".join(r["reasons"])
    assert "messages down" in text and "speakers down" in text
    assert r["features"]["volume_change"] < -0.5


def test_ranked_highest_risk_first_across_groups():
    m = pd.concat([
        chat(schedule_rows([(0, 84, 12, 15)]), group="a", name="健康群", start=START),
        chat(schedule_rows([(0, 30, 12, 15)]), group="b", name="死群", start=START),
        chat(schedule_rows([(0, 56, 20, 20), (56, 70, 6, 6), (70, 84, 2, 2)]), group="c", name="衰退群", start=START),
    ], ignore_index=True)
    r = group_risk(m, None, START + pd.Timedelta(days=84))
    assert list(r["group_name"]) == ["死群", "衰退群", "健康群"]
    assert list(r["level"]) == ["dead", "at-risk", "healthy"]
    assert r["score"].is_monotonic_decreasing
    assert set(r.columns) >= {"group_id", "group_name", "score", "level", "reasons", "features"}


def test_nothing_after_as_of_is_used():
    rows = schedule_rows([(0, 60, 12, 15)])
    later = rows + [(100 * 1440 + i, "u1", f"我回来了{i}") for i in range(50)]
    a = risk_of(rows, 90)
    b = risk_of(later, 90)
    assert a["score"] == b["score"] and a["level"] == b["level"] == "dead"


def test_holiday_lull_is_not_flagged():
    # active through January 2024, nearly silent from the Spring Festival eve (Feb 9) on; judged Feb 16
    eve = (pd.Timestamp("2024-02-09 09:00", tz="Asia/Shanghai").tz_convert("UTC") - START).days
    plan = [(0, eve - 1, 14, 15), (eve - 1, eve + 7, 1, 2)]
    r = risk_of(schedule_rows(plan), eve + 7)
    assert r["level"] in ("healthy", "watch"), r["reasons"]
    assert r["features"]["holiday_days_recent"] >= 7
    # the same drop in an ordinary month is a warning
    plain = risk_of(schedule_rows([(0, 100, 14, 15), (100, 108, 1, 2)]), 108)
    assert plain["score"] > r["score"] + 15


def test_shrunk_but_stable_is_not_flagged():
    plan = [(0, 35, 30, 30), (35, 98, 8, 6)]     # shrank nine weeks ago, steady since
    r = risk_of(schedule_rows(plan), 98)
    assert r["level"] == "healthy", r["reasons"]


def test_revival_lowers_the_score():
    plan = [(0, 28, 12, 12), (28, 70, 1, 2), (70, 84, 15, 12)]
    r = risk_of(schedule_rows(plan), 84)
    assert r["level"] == "healthy"
    assert any(x.startswith("coming back: messages up") for x in r["reasons"])


def test_one_man_show_is_named():
    rows = schedule_rows([(0, 84, 10, 3)], owner_share=0.9)
    r = risk_of(rows, 84, roster=True)
    assert any(x.startswith("monologue: one voice (the owner/admins) wrote") for x in r["reasons"]), r["reasons"]
    assert r["features"]["top1_is_admin"] is True and r["features"]["top_voice_is_org_60d"] is True


def test_holiday_calendar_covers_spring_festival_and_national_day():
    spans = holidays()
    sf = pd.Timestamp("2024-02-10 12:00", tz="Asia/Shanghai")
    nd = pd.Timestamp("2025-10-03 12:00", tz="Asia/Shanghai")
    ordinary = pd.Timestamp("2024-05-20 12:00", tz="Asia/Shanghai")
    assert any(a <= sf <= b for a, b in spans)
    assert any(a <= nd <= b for a, b in spans)
    assert not any(a <= ordinary <= b for a, b in spans)


def test_empty_input():
    m = chat([(0, "a", "x")]).iloc[0:0]
    assert len(group_risk(m, None, START)) == 0


@pytest.mark.parametrize("lifecycle", ["dead", "dying", "healthy", "holiday_lull", "shrunk_stable", "revival"])
def test_generated_life_cycles_through_a_qq_export(generated_store, lifecycle):
    """Planted life cycles, written as a QQ .txt export and imported like a user's file."""
    judged = generated_store
    row, scores = judged.loc[lifecycle], judged["score"]
    if lifecycle == "dead":
        assert row["level"] == "dead"
    elif lifecycle == "dying":
        # a slow decline is judged on its trend: above every group that is not dying, and not "healthy"
        assert row["level"] != "healthy", row["reasons"]
        assert row["score"] > scores.drop(["dead", "dying"]).max()
    else:
        assert row["level"] in ("healthy", "watch"), row["reasons"]
        assert row["level"] == "healthy" or lifecycle == "holiday_lull"


@pytest.fixture(scope="module")
def generated_store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("risk-gen")
    store = Store(tmp / "store")
    lives = []
    for i, lc in enumerate(["dead", "dying", "healthy", "holiday_lull", "shrunk_stable", "revival"]):
        g = gen.generate_group(f"生命周期{i}群", lifecycle=lc, n_members=80, seed=100 + i, messages=1500)
        txt = write_qq_txt(g, tmp / f"g{i}.txt")
        import_file(store, txt, roster=write_roster_csv(g, tmp / f"g{i}.csv"), roster_group=g.name)
        lives.append({"group_name": g.name, "lifecycle": lc, "as_of": g.as_of})
    messages = store.messages()
    members = store.members(messages=messages)
    ids = {m["group_name"]: m["group_id"] for m in store.metas().values()}
    life = pd.DataFrame(lives)
    life["group_id"] = life["group_name"].map(ids)
    risk = group_risk(messages, members, life["as_of"].max().tz_convert("UTC"))   # judged once for every case
    return risk.merge(life.drop(columns="group_name"), on="group_id").set_index("lifecycle")


# --- monologue, key members, dips against the group's own variation ---------------------------------------

def daily_rows(per_day: list[int], speakers: int = 12, seed: int = 1, skip: frozenset = frozenset()) -> list:
    """One row plan per day: ``per_day[d]`` messages 7 minutes apart from random speakers u0..u{speakers-1}
    (a conversation: each message answers the last); members in ``skip`` are left out."""
    rng = np.random.default_rng(seed)
    pool = [f"u{i}" for i in range(speakers) if f"u{i}" not in skip]
    rows = []
    for d, n in enumerate(per_day):
        for k in range(n):
            who = pool[rng.integers(0, len(pool))]
            rows.append((d * 1440 + 9 * 60 + k * 7, who, PHRASES[k % len(PHRASES)].format(t=TOPICS[d % 12]) + f"（{d}-{k}）"))
    return rows


def noisy_weeks(weeks: int, per_week: float, swing: float, seed: int) -> list[int]:
    """Daily counts whose weekly totals swing by about ``swing`` (log sd) around ``per_week``."""
    rng = np.random.default_rng(seed)
    out: list[int] = []
    for _ in range(weeks):
        total = per_week * np.exp(rng.normal(0, swing))
        out += list(rng.multinomial(int(round(total)), [1 / 7] * 7))
    return out


def monologue_rows(days: int = 84) -> list:
    """The owner posts eight messages every morning; one member says something each evening, hours later."""
    rows = []
    for d in range(days):
        rows += [(d * 1440 + 9 * 60 + k * 15, "o", f"今日分享第{d}-{k}条：{TOPICS[(d + k) % 12]}技巧") for k in range(8)]
        rows.append((d * 1440 + 21 * 60, f"u{d % 5}", PHRASES[d % 7].format(t=TOPICS[d % 12]) + f"（{d}）"))
    return rows


def test_dip_is_judged_against_the_groups_own_swing():
    rng = np.random.default_rng(3)
    steady = 200 * np.exp(rng.normal(0, 0.03, 6))
    noisy = 200 * np.exp(rng.normal(0, 0.35, 6))
    calm, wild = dip(np.array([110.0]), steady), dip(np.array([110.0]), noisy)
    assert calm.change < -0.4 and wild.change < -0.2
    assert calm.z < -3 and -3 < wild.z < 0          # the same 110 is far out for one group, ordinary for the other
    assert not dip(np.array([5.0]), np.array([10.0])).valid     # one window is no baseline
    young = dip(np.array([100.0]), np.array([200.0, 200.0]))       # two identical windows: the swing is assumed
    assert young.valid and young.spread >= 0.3


def test_monologue_is_at_risk_with_its_figures():
    rows = monologue_rows()
    r = risk_of(rows, 84, roster=True)
    assert r["level"] in ("at-risk", "dead") and r["score"] >= 50, r["reasons"]
    mono = [x for x in r["reasons"] if x.startswith("monologue:")]
    assert mono, r["reasons"]
    f = r["features"]
    recent = [x for x in rows if x[0] > (84 - 30) * 1440]
    assert f["msgs_30d"] == len(recent)
    assert f["top_voice_share_30d"] == pytest.approx(sum(x[1] == "o" for x in recent) / len(recent), abs=1e-3)
    assert f["top_voice_reply_share_30d"] < 0.1
    assert f"{f['top_voice_share_30d']:.0%}" in mono[0] and f"{f['msgs_30d']:.0f} messages" in mono[0]
    assert "one voice (the owner/admins)" in mono[0] and "in 30 days" in mono[0]


def test_an_organizer_who_is_answered_is_no_monologue():
    # the owner writes most messages, but members answer within minutes
    r = risk_of(schedule_rows([(0, 84, 12, 8)], owner_share=0.6), 84, roster=True)
    assert not any(x.startswith("monologue:") for x in r["reasons"]), r["reasons"]
    assert r["features"]["top_voice_share_30d"] > 0.5 and r["features"]["top_voice_reply_share_30d"] > 0.35
    assert r["level"] == "healthy"


def test_one_off_dip_in_a_noisy_group_is_not_at_risk():
    per_day = noisy_weeks(12, 120, 0.25, seed=5)
    week = sum(per_day[-14:-7])
    per_day[-7:] = [round(x * 0.55 * week / max(sum(per_day[-7:]), 1)) for x in per_day[-7:]]   # last week: -45%
    r = risk_of(daily_rows(per_day), 84)
    mono = risk_of(monologue_rows(), 84, roster=True)
    assert r["level"] in ("healthy", "watch") and r["score"] < mono["score"], r["reasons"]
    assert r["features"]["vol_1w_change"] < -0.3
    # the same fall kept up for three weeks is caught
    per_day[-21:-7] = [round(x * 0.35) for x in per_day[-21:-7]]
    per_day[-7:] = [round(x * 0.6) for x in per_day[-7:]]
    fall = risk_of(daily_rows(per_day), 84)
    assert fall["level"] == "at-risk" and fall["score"] > r["score"] + 25, fall["reasons"]
    msg = next(x for x in fall["reasons"] if x.startswith("messages down"))
    assert "usual week-to-week swing" in msg


def test_key_member_gone_quiet_is_named_with_figures():
    rows = daily_rows([14] * 100, speakers=10, seed=2)
    k = [(d * 1440 + 12 * 60 + i * 3, "k", f"我整理了{TOPICS[i % 12]}的要点（{d}-{i}）") for d in range(0, 62) for i in range(5)]
    r = risk_of(sorted(rows + k), 100)
    quiet = r["features"]["key_quiet"]
    assert [q["name"] for q in quiet] == ["name_k"]
    ref = [x for x in k if (100 - 90) * 1440 <= x[0] < (100 - 30) * 1440]
    assert quiet[0]["messages"] == len(ref) and quiet[0]["days_silent"] > 30
    text = next(x for x in r["reasons"] if "key members silent" in x)
    assert "name_k" in text and f"{len(ref)} messages" in text


def test_key_member_back_is_a_positive_note():
    base = daily_rows([14] * 84, speakers=10, seed=4)
    k_before = [(d * 1440 + 12 * 60 + i * 3, "k", f"经验{d}-{i}") for d in range(0, 30) for i in range(5)]
    k_back = [(d * 1440 + 12 * 60 + i * 3, "k", f"回来了{d}-{i}") for d in range(78, 84) for i in range(2)]
    away = risk_of(sorted(base + k_before), 84)
    back = risk_of(sorted(base + k_before + k_back), 84)
    note = [x for x in back["reasons"] if x.startswith("key member back: name_k")]
    assert note and back["features"]["key_back"][0]["silent_days"] >= 30, back["reasons"]
    assert not any(x.startswith("key member back") for x in away["reasons"])
    assert back["score"] <= away["score"]


def test_cli_names_a_quiet_key_member_safely(tmp_path):
    """Through an import and ``qunkit risk``: the quiet key member is named, and a name carrying a
    terminal escape is shown escaped in the table and CSV, exact in the JSON."""
    nick = "清屏\x1b[2J侠"
    day0 = pd.Timestamp("2024-03-04 10:00")
    lines = []
    for d in range(100):
        for i in range(12):
            who = f"成员{(d + i) % 8}({20010 + (d + i) % 8})"
            lines.append(((day0 + pd.Timedelta(days=d, minutes=5 * i)).strftime("%Y-%m-%d %H:%M:%S"), who,
                          f"{TOPICS[i % 12]}第{d}天的讨论{i}"))
        if d < 62:
            lines += [((day0 + pd.Timedelta(days=d, hours=5, minutes=i)).strftime("%Y-%m-%d %H:%M:%S"),
                       f"{nick}(20001)", f"我整理了{TOPICS[i]}的要点{d}") for i in range(4)]
    lines.sort()
    export = write(tmp_path / "a.txt", qq_export("读书会", lines))
    runner = CliRunner()
    store = str(tmp_path / "s")
    assert runner.invoke(cli, ["import", str(export), "--store", store, "--quiet"]).exit_code == 0
    res = runner.invoke(cli, ["risk", "--store", store, "--format", "json"])
    assert res.exit_code == 0, res.output
    row = json.loads(res.stdout)[0]
    quiet = row["features"]["key_quiet"]
    assert [q["name"] for q in quiet] == [nick] and quiet[0]["days_silent"] > 30
    assert any("key members silent" in r and nick in r for r in row["reasons"])
    for fmt in ("table", "csv"):
        out = runner.invoke(cli, ["risk", "--store", store, "--format", fmt])
        assert out.exit_code == 0 and "\x1b" not in out.stdout, out.stdout
        assert "key members silent" in out.stdout and "\\x1b" in out.stdout


def test_a_young_group_collapsing_in_its_fourth_week_is_flagged():
    r = risk_of(schedule_rows([(0, 21, 20, 12), (21, 25, 1, 2)]), 25)
    assert r["level"] == "at-risk", r["reasons"]
    assert any(x.startswith("messages down") for x in r["reasons"])
    # ... and a young group's first full weeks are no comeback
    steady = risk_of(schedule_rows([(0, 28, 20, 12)]), 28)
    assert steady["level"] == "healthy" and not any(x.startswith("coming back") for x in steady["reasons"])


def test_a_drop_that_outlasts_the_holiday_by_a_week_is_not_discounted():
    """The Spring Festival explains a lull while it lasts; a group still down 10+ days after it is not on holiday."""
    eve = (pd.Timestamp("2024-02-09 09:00", tz="Asia/Shanghai").tz_convert("UTC") - START).days
    end = (pd.Timestamp("2024-02-19 09:00", tz="Asia/Shanghai").tz_convert("UTC") - START).days  # calendar's end
    lull = schedule_rows([(0, eve - 1, 14, 15), (eve - 1, eve + 7, 1, 2)])
    during = risk_of(lull, eve + 7)
    after = risk_of(schedule_rows([(0, eve - 1, 14, 15), (eve - 1, end + 10, 1, 2)]), end + 10)
    assert after["features"]["holiday_days_1w"] == 0 and during["features"]["holiday_days_1w"] >= 2
    assert after["score"] >= during["score"] + 20, (during["reasons"], after["reasons"])
    assert after["level"] in ("at-risk", "dead"), after["reasons"]


def test_a_sparse_monologue_is_still_a_monologue():
    """Ten messages in a month, all from the owner, none answered: one voice however few its messages."""
    rows = schedule_rows([(0, 56, 10, 12)])
    rows += [(d * 1440 + 10 * 60, "o", f"今日分享第{d}条：{TOPICS[d % 12]}技巧") for d in range(60, 90, 3)]
    r = risk_of(rows, 90, roster=True)
    mono = [x for x in r["reasons"] if x.startswith("monologue:")]
    assert mono and r["features"]["msgs_30d"] < 20, r["reasons"]
    # and a group that only talks a little, with many voices, is not one
    chatty = schedule_rows([(0, 84, 1, 12)])
    assert not any(x.startswith("monologue:") for x in risk_of(chatty, 84, roster=True)["reasons"])


def test_a_group_drowned_in_ads_is_at_risk():
    """Ads and floods of most messages make members mute the group (DOMAIN.md): at-risk with the share named."""
    rows = schedule_rows([(0, 84, 10, 12)])
    ad = "加我微信 abc12345 兼职日结，宝妈首选，轻松月入过万"
    rows += [(d * 1440 + 12 * 60 + k, f"spam{k % 3}", ad + f"{d}{k}") for d in range(56, 84) for k in range(14)]
    r = risk_of(rows, 84)
    noise = [x for x in r["reasons"] if x.startswith("floods and ads")]
    assert noise and r["features"]["noise_share"] >= 0.5, r["reasons"]
    clean = risk_of(schedule_rows([(0, 84, 10, 12)]), 84)
    assert r["score"] >= clean["score"] + 20


def test_a_pattern_matched_and_counted_is_scanned_once_with_the_same_results():
    """``_run_regexes`` derives a "match" from the "count" of the same pattern: the flags are those of
    separate scans."""
    texts = pa.array(["代理代理", "普通聊天", None, "招聘内推", ""], pa.string())
    jobs = {"m": ("match", "代理|内推"), "n": ("count", "代理|内推"), "other": ("match", "聊天")}
    got = _run_regexes(texts, jobs)
    assert got["m"].tolist() == [True, False, False, True, False]
    assert got["n"].tolist() == [2, 0, 0, 1, 0]
    assert got["other"].tolist() == [False, True, False, False, False]
    assert got["m"].dtype == bool
