import numpy as np
import pandas as pd
import pytest
from analysis_helpers import chat, members_frame

from qunkit import generate as gen
from qunkit.analysis.risk import group_risk
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
    assert any("an owner/admin wrote" in x for x in r["reasons"]), r["reasons"]
    assert r["features"]["top1_is_admin"] is True


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
