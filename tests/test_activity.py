import numpy as np
import pandas as pd
import pytest
from analysis_helpers import T0, chat, members_frame

from qunkit.analysis.activity import activity, benchmarks_for
from qunkit.analysis.text_features import compute_features

DAY = 1440


def week_rows(weeks: int = 3) -> list:
    rows = []
    for d in range(weeks * 7):
        rows.append((d * DAY, "a", "大家早上好，今天继续讨论昨天的方案"))
        rows.append((d * DAY + 2, "b", "早"))
        if d % 7 == 0:
            rows.append((d * DAY + 3, "c", "我也来了"))
    return rows


def test_weekly_volume_speakers_and_concentration():
    m = chat(week_rows())
    a = activity(m, None, m["ts"].max())
    assert list(a["period"]) == ["2024-03-04", "2024-03-11", "2024-03-18"]
    assert list(a["messages"]) == [15, 15, 15]
    assert list(a["speakers"]) == [3, 3, 3]
    row = a.iloc[0]
    assert row["top1_share"] == pytest.approx(7 / 15, abs=1e-4)
    assert row["top5_share"] == pytest.approx(1.0)
    assert row["messages_per_speaker"] == pytest.approx(5.0)
    # Gini of (1, 7, 7): 2*(1*1+2*7+3*7)/(3*15) - 4/3
    assert row["gini"] == pytest.approx(2 * (1 + 14 + 21) / 45 - 4 / 3, abs=1e-4)
    # local calendar: the week starts Monday 00:00 Asia/Shanghai = Sunday 16:00 UTC
    assert a["start"].iloc[0] == pd.Timestamp("2024-03-03 16:00", tz="UTC")
    assert row["peak_hour"] == 9
    assert sum(row["hours"]) == 15 and row["hours"][9] == 15
    assert row["weekdays"] == [3, 2, 2, 2, 2, 2, 2]


def test_silent_weeks_show_as_zero_and_last_period_is_partial():
    m = chat(week_rows(1))
    as_of = T0 + pd.Timedelta(days=23)
    a = activity(m, None, as_of)
    assert list(a["messages"]) == [15, 0, 0, 0]
    assert list(a["speakers"]) == [3, 0, 0, 0]
    assert list(a["partial"]) == [False, False, False, True]
    assert a["end"].iloc[-1] == as_of
    assert pd.isna(a["peak_hour"].iloc[1])


def test_nothing_after_as_of_is_used():
    m = chat(week_rows(3))
    as_of = T0 + pd.Timedelta(days=8, hours=1)
    a = activity(m, None, as_of)
    assert len(a) == 2
    assert a["messages"].sum() == 15 + 2 * 2 + 1    # week one, then Monday+Tuesday of week two


def test_members_need_a_roster_and_count_joins_and_leavers():
    m = chat(week_rows(2))
    roster = members_frame(
        [{"member_id": "a", "role": "owner"}, {"member_id": "b"}, {"member_id": "c"},
         {"member_id": "d", "joined": T0 + pd.Timedelta(days=9)},
         {"member_id": "e", "left": T0 + pd.Timedelta(days=2), "in_roster": False}]
        + [{"member_id": f"l{i}"} for i in range(5)],
        messages=m)
    a = activity(m, roster, m["ts"].max())
    # week 1: a b c e + 5 lurkers present at the end? e left on day 2 -> 8 members; week 2: d joined -> 9
    assert list(a["members"]) == [8, 9]
    assert list(a["new_members"]) == [0, 1]
    assert list(a["leavers"]) == [1, 0]
    assert a["active_rate"].iloc[0] == pytest.approx(3 / 8, abs=1e-4)
    assert a["roster_known"].all()

    no_roster = members_frame([{"member_id": "a"}, {"member_id": "b"}, {"member_id": "c"}],
                              roster_known=False, messages=m)
    b = activity(m, no_roster, m["ts"].max())
    assert b["members"].isna().all() and b["active_rate"].isna().all()
    assert not b["roster_known"].any()


def test_reply_share_counts_other_speakers_quotes_and_mentions():
    m = chat([
        (0, "a", "有人知道这个报错怎么解决吗"),       # b answers within 10 min -> replied
        (5, "b", "重启一下试试，一般是缓存的问题"),    # a speaks next -> replied
        (6, "a", "好的我试试"),                      # nobody within 10 minutes -> not replied
        (200, "a", "还是不行"),                       # monologue -> quoted below, so replied
        (201, "a", "算了", None, {"msg_id": "x1"}),  # quoted by c much later -> replied
        (400, "c", "你看一下日志", None, {"reply_to": "x1"}),  # mentioned by a -> replied
        (900, "a", "@name_c 谢谢", None, {"mentions": ["name_c"]}),
    ])
    a = activity(m, None, m["ts"].max())
    row = a.iloc[0]
    assert row["messages"] == 7
    assert row["reply_share"] == pytest.approx(4 / 7, abs=1e-4)   # a0, b5, a201 (quote), c400 (mention)
    assert row["questions"] == 1 and row["unanswered_share"] == 0
    F = compute_features(m, m["ts"].max())
    assert list(F.msgs["replied"]) == [True, True, False, False, True, True, False]
    assert F.msgs["answer"].iloc[1]          # b's message answers a's question


def test_noise_share_floods_and_ads():
    rows = [(0, "o", "今晚20:00清理长期潜水的小伙伴，在的请打1")]
    rows += [(1 + i, f"u{i}", "1") for i in range(8)]
    rows += [(20, "spam", "加我微信 abc12345 兼职日结，宝妈首选"), (30, "spam", "加我微信 abc12345 兼职日结，宝妈首选")]
    rows += [(40, "a", "今天的分享很有收获，谢谢老师")]
    m = chat(rows)
    a = activity(m, None, m["ts"].max())
    assert a["noise_share"].iloc[0] == pytest.approx(10 / 12, abs=1e-4)
    F = compute_features(m, m["ts"].max())
    assert F.msgs["flood"].sum() == 8
    assert F.msgs["ad"].sum() == 2
    assert not F.msgs["noise"].iloc[0] and not F.msgs["noise"].iloc[-1]


def test_day_and_month_periods_and_bad_period():
    m = chat(week_rows(2))
    d = activity(m, None, m["ts"].max(), by="day")
    assert len(d) == 14 and d["messages"].sum() == 30
    mo = activity(m, None, m["ts"].max(), by="month")
    assert list(mo["period"]) == ["2024-03"] and mo["messages"].iloc[0] == 30
    with pytest.raises(ValueError):
        activity(m, None, m["ts"].max(), by="year")


def test_groups_are_separate_and_empty_input():
    m = pd.concat([chat(week_rows(1)), chat(week_rows(1), group="g2", name="二群", tz="UTC")], ignore_index=True)
    a = activity(m, None, m["ts"].max())
    assert set(a["group_name"]) == {"测试群", "二群"}
    g2 = a[a["group_id"] == "g2"].iloc[0]
    assert g2["tz"] == "UTC" and g2["peak_hour"] == 1       # 09:00 Shanghai = 01:00 UTC
    empty = activity(m.iloc[0:0], None, T0)
    assert len(empty) == 0 and "active_rate" in empty.columns


def test_benchmarks_for_sizes_and_platforms():
    ordinary = benchmarks_for(250, "wechat")
    assert ordinary["size_class"] == "ordinary"
    assert (ordinary["active_low"], ordinary["active_high"]) == (0.05, 0.08)
    assert ordinary["platform_cap"] == 500 and ordinary["cap_used"] == 0.5
    assert any("dead by month 3-4" in n for n in ordinary["notes"])
    core = benchmarks_for(69, "qq")
    assert core["size_class"] == "core" and core["active_low"] == 0.7 and core["platform_cap"] == 2000
    assert benchmarks_for(12, "qq")["size_class"] == "small"
    unknown = benchmarks_for(None, "qq")
    assert unknown["size_class"] == "unknown" and any("roster" in n for n in unknown["notes"])
    assert np.isclose(benchmarks_for(1800, "qq")["cap_used"], 0.9)
