"""Group type (analysis.grouptype) and split advice (analysis.split): planted groups, the CLI, real exports.

Every planted group is built here from the practice's descriptions (seed 002: family chat, a study group,
助力/刷单 groups; seed 000: a group near its cap with a clique, a group growing while fewer speak)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from prune_frames import at, members, messages

from qunkit.analysis import grouptype as gt
from qunkit.analysis import split as sp
from qunkit.analysis.acts import classify_texts
from qunkit.analysis.grouptype import group_types
from qunkit.analysis.risk import group_risk
from qunkit.analysis.split import split_advice
from qunkit.analysis.text_features import compute_features
from qunkit.cli import cli
from qunkit.store import Store

TEXTS = {
    "help": ["帮我砍一刀吧，就差一点了 https://mobile.yangkeduo.com/x{i}", "好友助力一下，谢谢大家{i}",
             "求复活！帮我点一下 https://game.example.cn/r{i}", "帮忙点一下谢谢，拼多多助力{i}", "谢谢"],
    "task": ["今日任务群派单，做完截图领佣金{i}元", "垫付返款，本金秒结，接单的来{i}", "已提现到账{i}，继续做任务",
             "新人做任务一单{i}元，日结", "收到"],
    "family": ["妈，晚饭吃了吗{i}", "爸爸今天降温了多穿点", "周末回家吃饭吗，奶奶做了饺子", "到家了，报平安{i}",
               "哈哈哈", "宝贝放学了吗，我去接孩子", "好的"],
    "learning": ["请问第{i}题的作业怎么做？", "你可以先看课件第二章的例题，再把公式代进去就能算出答案，记得写步骤{i}",
                 "老师说下周考试，复习第三章的知识点{i}", "这道题的答案是不是选B？", "谢谢，明白了"],
    "ack": ["收到", "1", "好的", "嗯", "收到{i}"],
}


def _rows(kind: str, n: int = 160, senders: int = 10, days: int = 40) -> list[tuple]:
    r = random.Random(kind)
    texts = TEXTS[kind]
    out = []
    for i in range(n):
        s = r.randrange(senders)
        text = texts[i % len(texts)].format(i=i)
        out.append((at(days * i / n, hours=r.random() * 0.1), f"u{s}", f"成员{s}", text))
    return out


def _types(kinds: dict[str, list[tuple]]) -> pd.DataFrame:
    m = pd.concat([messages(rows, group=g, group_name=g) for g, rows in kinds.items()], ignore_index=True)
    F = compute_features(m, m["ts"].max())
    return group_types(m, F).set_index("group_id")


@pytest.fixture(scope="module")
def planted() -> pd.DataFrame:
    return _types({k: _rows(k) for k in ("help", "task", "family", "learning", "ack")}
                  | {"thin": _rows("learning", n=40)})


@pytest.mark.parametrize(("group", "kind", "subtype"), [
    ("help", "negative-value", "game-revive/助力"), ("task", "negative-value", "刷单/task"),
    ("family", "strong-relationship", "family"), ("learning", "purpose", "learning")])
def test_planted_types(planted, group, kind, subtype):
    row = planted.loc[group]
    assert (row["group_type"], row["subtype"]) == (kind, subtype)
    assert row["worth_saving"] == (kind != "negative-value")
    assert 0 < row["confidence"] <= 1
    ev = row["evidence"]
    # the type stands on its own figures: its score reached DECIDE with the lead MARGIN, on enough messages
    others = [ev[f"score_{t}"] for t in gt.TYPES if t != kind]
    assert ev[f"score_{kind}"] >= gt.DECIDE and ev[f"score_{kind}"] - max(others) >= gt.MARGIN
    assert ev["messages"] >= gt.MIN_MESSAGES and ev["speakers"] >= gt.MIN_SPEAKERS


def test_reason_quotes_the_evidence(planted):
    help_ = planted.loc["help"]
    assert f"help links {help_['evidence']['help_links']:.0%}" in help_["reason"]
    fam = planted.loc["family"]
    assert f"kinship words in {fam['evidence']['kin']:.0%}" in fam["reason"]
    assert planted.loc["learning"]["evidence"]["study"] >= gt.TOPIC_MIN


def test_unclear_without_evidence(planted):
    thin, ack = planted.loc["thin"], planted.loc["ack"]
    assert thin["group_type"] == ack["group_type"] == "unclear"
    assert thin["confidence"] == ack["confidence"] == 0 and thin["subtype"] == ack["subtype"] == ""
    assert thin["reason"].startswith("thin evidence: 40 messages")
    assert ack["reason"].startswith("no type stands out")
    assert max(ack["evidence"][f"score_{t}"] for t in gt.TYPES) < gt.DECIDE


def test_window_is_the_groups_own_last_days():
    """An old family chat followed by 100 days of 助力 links is judged by its last TYPE_DAYS."""
    rows = _rows("family", n=200, days=60) + [(at(60 + d), f"u{d % 9}", f"成员{d % 9}", f"帮我砍一刀 {d} https://a.cn/{d}")
                                              for d in range(1, 100)] + [(at(60 + d, hours=1), "u1", "成员1",
                                                                          f"好友助力一下{d}") for d in range(1, 100)]
    t = _types({"g": rows}).loc["g"]
    assert t["group_type"] == "negative-value" and t["evidence"]["days"] == gt.TYPE_DAYS


def test_topic_cues_are_not_acts():
    """The group-type words live in acts.json but change no act."""
    acts = classify_texts(["帮我砍一刀", "妈，晚饭吃了吗", "这道题的答案"])
    assert list(acts["main_act"].astype(str)) == ["none", "question", "none"]


# ---- split advice ------------------------------------------------------------------------------------

def _oversize(roster: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, list[str], list[str]]:
    """A 480-member QQ group: 40 speakers chat every evening, a clique of 5 talks only among
    themselves at night (sessions hours apart, so no reply crosses), 435 never speak."""
    r = random.Random(1)
    crowd = [f"c{i}" for i in range(40)]
    clique = [f"k{i}" for i in range(5)]
    rows = []
    for d in range(120):
        for j in range(12):
            s = r.choice(crowd)
            rows.append((at(d, hours=8 + j / 60), s, s, f"今天第{d}天第{j}条，大家聊聊拍摄的想法"))
        for j in range(8):
            s = clique[(d + j) % 5] if j % 2 else clique[(d + j * 2) % 5]
            rows.append((at(d, hours=14 + j / 60), s, s, f"小圈子第{d}天第{j}条"))
    m = messages(rows)
    ids = crowd + clique + [f"s{i}" for i in range(435)]
    mem = members([{"member_id": i, "joined": at(-200)} for i in ids], roster=roster)
    return m, mem, crowd, clique


def _advice(m: pd.DataFrame, mem: pd.DataFrame) -> pd.DataFrame:
    return split_advice(compute_features(m, m["ts"].max(), members=mem), mem)


def test_oversize_group_with_a_clique():
    m, mem, crowd, clique = _oversize()
    a = _advice(m, mem).set_index("advice")
    assert set(a.index) == {"cap", "subgroup", "move_first"}
    cap = a.loc["cap", "evidence"]
    assert (cap["members"], cap["cap"]) == (480, 500) and cap["cap_used"] >= sp.NEAR_CAP
    sub = a.loc["subgroup"]
    assert set(sub["members"]) == set(clique)
    assert sub["evidence"]["insular_share"] >= sp.INSULAR and sub["evidence"]["replies_within"] >= sp.CLIQUE_REPLIES
    loyal = a.loc["move_first"]
    assert 0 < len(loyal["members"]) <= sp.LOYAL_TOP and set(loyal["members"]) <= set(crowd)
    assert min(loyal["evidence"]["repliers"]) >= sp.LOYAL_REPLIERS
    assert loyal["evidence"]["repliers"] == sorted(loyal["evidence"]["repliers"], reverse=True)
    assert "480 of the 500-member cap (96%; QQ tier assumed" in a.loc["cap", "text"]


def test_a_silent_group_gets_no_advice():
    """Judged 60 days after its last message, the oversize group is quiet, not big: no advice at all."""
    m, mem, _, _ = _oversize()
    later = m["ts"].max() + pd.Timedelta(days=60)
    assert split_advice(compute_features(m, later, members=mem), mem).empty


def test_no_roster_no_participation_advice():
    """Without a roster the cap is a lower bound and participation cannot be judged."""
    m, mem, _, _ = _oversize(roster=False)
    a = _advice(m, mem)
    assert not {"overload", "falling"} & set(a["advice"])
    assert a.loc[a["advice"] == "cap", "text"].iloc[0].startswith("at least 480")


def _growing() -> tuple[pd.DataFrame, pd.DataFrame]:
    """300 members, 100 of them joined in the last 60 days; 60 spoke 3-4 months ago, 18 in the last month."""
    r = random.Random(2)
    regulars = [f"r{i}" for i in range(18)]
    early = [f"e{i}" for i in range(42)]
    rows = []
    for d in range(150):
        pool = regulars + (early if d < 60 else [])
        for j in range(10):
            s = r.choice(pool)
            rows.append((at(d, hours=9 + j / 60), s, s, f"第{d}天的讨论{j}"))
    m = messages(rows)
    end = m["ts"].max()
    ids = regulars + early + [f"q{i}" for i in range(140)]
    mem = members([{"member_id": i, "joined": at(-100)} for i in ids]
                  + [{"member_id": f"n{i}", "joined": end - pd.Timedelta(days=60)} for i in range(100)])
    return m, mem


def test_participation_falling_as_the_group_grows():
    m, mem = _growing()
    a = _advice(m, mem).set_index("advice")
    assert set(a.index) == {"falling", "move_first"}
    ev = a.loc["falling", "evidence"]
    assert (ev["members_before"], ev["members"]) == (200, 300)
    assert ev["speaker_share_before"] == pytest.approx(60 / 200) and ev["speaker_share_30d"] == pytest.approx(18 / 300)
    assert set(a.loc["move_first", "members"]) <= {f"r{i}" for i in range(18)}


def test_small_group_gets_no_advice():
    r = random.Random(3)
    rows = [(at(d, hours=j / 60), f"m{r.randrange(20)}", "x", f"聊天{d}-{j}") for d in range(100) for j in range(8)]
    m = messages(rows)
    mem = members([{"member_id": f"m{i}", "joined": at(-100)} for i in range(20)])
    assert _advice(m, mem).empty


# ---- through the CLI, on the bundled samples (samples/make_grouptype_samples.py) ----------------------

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def _invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory) -> str:
    store = str(tmp_path_factory.mktemp("gt") / "s")
    for args in (("qq-help-group-sample.txt",), ("qq-group-sample.txt", "--roster", "qq-group-sample-roster.csv"),
                 ("qq-big-group-sample.txt", "--roster", "qq-big-group-sample-roster.csv")):
        files = [str(SAMPLES / a) if a.endswith((".txt", ".csv")) else a for a in args]
        assert _invoke("import", *files, "--store", store, "-q").exit_code == 0
    return store


def test_cli_risk_shows_the_type(sample_store):
    res = _invoke("risk", "--store", sample_store, "--format", "json")
    rows = {r["group_name"]: r for r in json.loads(res.stdout)}
    assert rows["拼团助力互助群"]["group_type"] == "negative-value"
    assert rows["拼团助力互助群"]["group_subtype"] == "game-revive/助力"
    assert rows["摄影爱好者交流群"]["group_type"] == rows["读书会大群"]["group_type"] == "purpose"
    assert all(0 < r["group_type_confidence"] <= 1 and r["group_type_reason"] for r in rows.values())
    notes = [ln for ln in res.stderr.splitlines() if "not worth saving" in ln]
    assert len(notes) == 1 and "拼团助力互助群" in notes[0] and "读书会大群" not in notes[0]
    table = _invoke("risk", "--store", sample_store).stdout
    assert "negative-value: game-revive/助力" in table


def test_risk_score_is_not_changed_by_the_type(sample_store):
    """The type is shown beside the score, never mixed in: group_risk alone gives the same scores."""
    st = Store(Path(sample_store))
    m, mem = st.messages(), st.members()
    plain = group_risk(m, mem, m["ts"].max()).set_index("group_name")["score"]
    shown = {r["group_name"]: r["score"] for r in json.loads(_invoke("risk", "--store", sample_store,
                                                                      "--format", "json").stdout)}
    assert shown == pytest.approx(plain.to_dict())


def test_cli_analyze_and_report(sample_store, tmp_path):
    res = _invoke("analyze", "--store", sample_store)
    assert res.exit_code == 0
    assert "type        negative-value: game-revive/助力" in res.stdout and "not worth saving" in res.stdout
    assert "size and splitting" in res.stdout and "cap: 486 of the 500-member cap (97%" in res.stdout
    assert "note: 读书会大群: split advice: cap, subgroup, move_first" in res.stdout
    docs = {d["group_name"]: d for d in json.loads(_invoke("analyze", "--store", sample_store, "--format",
                                                            "json").stdout)}
    big = docs["读书会大群"]["split_advice"]
    assert [a["advice"] for a in big] == ["cap", "subgroup", "move_first"]
    sub = big[1]
    assert len(sub["members"]) == sub["evidence"]["size"] == 5 and sub["evidence"]["insular_share"] >= sp.INSULAR
    assert docs["摄影爱好者交流群"]["split_advice"] == [] and docs["拼团助力互助群"]["group_type"]["worth_saving"] is False
    header = _invoke("analyze", "--store", sample_store, "--format", "csv").stdout.splitlines()[0].split(",")
    assert {"group_type", "group_subtype", "group_type_confidence", "group_type_reason", "split_advice"} <= set(header)
    html = tmp_path / "r.html"
    assert _invoke("report", "--store", sample_store, "-o", str(html)).exit_code == 0
    page = html.read_text(encoding="utf-8")
    assert "Size and splitting" in page and "486 of the 500-member cap" in page
    assert "negative-value: game-revive/助力" in page and "No split advice" in page


# ---- real exports ------------------------------------------------------------------------------------

def test_real_exports(realdata, tmp_path):
    """Each real export in its own store, judged at its own newest message: one type row per group, a type
    only on its own evidence, every split advice on its figures (results in numbers, no content)."""
    files = sorted((realdata / "qq-txt").glob("*.txt")) + sorted((realdata / "whatsapp-txt").glob("*.txt"))
    if not files:
        pytest.skip("no qq-txt / whatsapp-txt exports in realdata")
    seen = 0
    for k, f in enumerate(files):
        store = tmp_path / f"s{k}"
        if _invoke("import", str(f), "--store", str(store), "-q").exit_code != 0:
            continue
        st = Store(store)
        msgs, mem = st.messages(), st.members()
        F = compute_features(msgs, msgs["ts"].max(), members=mem)
        types = group_types(msgs, F)
        assert len(types) == len(F.groups)
        for t in types.to_dict("records"):
            ev = t["evidence"]
            if t["group_type"] == "unclear":
                assert t["confidence"] == 0
            else:
                assert ev[f"score_{t['group_type']}"] >= gt.DECIDE and 0 < t["confidence"] <= 1
                assert ev["messages"] >= gt.MIN_MESSAGES
        for a in split_advice(F, mem).to_dict("records"):
            ev = a["evidence"]
            if a["advice"] == "subgroup":
                assert ev["insular_share"] >= sp.INSULAR and ev["replies_within"] >= sp.CLIQUE_REPLIES
                assert sp.CLIQUE_MIN <= ev["size"] == len(a["members"])
            elif a["advice"] == "cap":
                assert ev["cap_used"] >= sp.NEAR_CAP
        seen += 1
    assert seen >= 3
