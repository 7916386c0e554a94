"""Hot words: what a period talked about that the other periods did not; fillers and names never count."""

from __future__ import annotations

import pandas as pd

from qunkit.analysis.keywords import period_keywords


def test_a_periods_own_topic_ranks_first_and_fillers_do_not_count() -> None:
    everyday = ["大家好我们今天讨论摄影", "哈哈哈哈 好的 谢谢"] * 10
    texts = everyday + ["周末去爬山，爬山装备准备好了吗"] * 6 + everyday + ["镜头清洁怎么做，镜头发霉了"] * 6
    periods = ["2024-01"] * 26 + ["2024-02"] * 26
    kw = period_keywords(pd.Series(texts), pd.Series(periods), top=3, exclude=["摄影达人"])
    jan, feb = [w for w, _ in kw["2024-01"]["words"]], [w for w, _ in kw["2024-02"]["words"]]
    assert jan[0] == "爬山" and feb[0] == "镜头"
    flat = jan + feb
    assert not {"哈哈哈哈", "谢谢", "好的", "大家", "今天", "摄影"} & set(flat)   # stop words, laughter, a name's piece


def test_sampling_caps_the_work_and_says_so() -> None:
    texts = pd.Series([f"话题{i % 7} 咖啡豆烘焙" for i in range(500)])
    kw = period_keywords(texts, pd.Series(["w"] * 500), per_period=40)
    assert (kw["w"]["sampled"], kw["w"]["texts"]) == (40, 500)
    assert kw["w"]["words"][0][0] in {"咖啡豆", "烘焙"}


def test_a_word_every_month_uses_does_not_outrank_the_months_own_even_when_frequent() -> None:
    """Log-odds against the other months: 喝咖啡 (30 times a month, every month) is the group's everyday word;
    plain frequency or TF-IDF with a smoothed IDF ranks it first, the log-odds score ranks the month's own
    words first.  ``scorer="tfidf"`` keeps the old behaviour (and shows the test can fail)."""
    texts, periods = [], []
    for month, own in (("2024-01", "爬山"), ("2024-02", "滑雪"), ("2024-03", "露营")):
        texts += ["今天喝咖啡"] * 30 + [f"周末{own}吗，{own}装备"] * 6
        periods += [month] * 36
    kw = period_keywords(pd.Series(texts), pd.Series(periods), top=3)
    assert [kw[m]["words"][0][0] for m in ("2024-01", "2024-02", "2024-03")] == ["爬山", "滑雪", "露营"]
    old = period_keywords(pd.Series(texts), pd.Series(periods), top=3, scorer="tfidf")
    assert old["2024-01"]["words"][0][0] == "喝咖啡"


def test_topics_are_keywords_talked_about_in_the_same_thread() -> None:
    """Two threads in one month (快门 with 光圈, 跑鞋 with 马拉松) among filler: two topics, never mixed,
    and no filler word (in every stretch, so with everything) in either."""
    filler = ["好的", "收到", "大家早上好", "今天天气不错"]
    thread_a = ["快门速度怎么设置", "光圈开大一点", "快门太慢会糊", "光圈和快门要配合"]
    thread_b = ["跑鞋推荐哪款", "马拉松报名了", "跑鞋磨脚怎么办", "马拉松训练计划"]
    month = (filler * 3 + thread_a + filler * 3 + thread_b) * 3
    other = filler * 30 + ["读书会下周见"] * 5
    kw = period_keywords(pd.Series(month + other), pd.Series(["a"] * len(month) + ["b"] * len(other)))
    topics = [set(t["words"]) for t in kw["a"]["topics"]]
    assert any({"快门", "光圈"} <= t for t in topics) and any({"跑鞋", "马拉松"} <= t for t in topics)
    assert not any(t & {"快门", "光圈"} and t & {"跑鞋", "马拉松"} for t in topics)
    assert not any(t & {"早上好", "今天天气", "天气"} for t in topics)
    assert all(t["texts"] > 0 for t in kw["a"]["topics"])
