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
