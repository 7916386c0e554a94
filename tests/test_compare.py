"""qunkit compare: planted overlap and a planted cross-posting advertiser in hand-written exports, the
group table checked against the single-group commands (risk, roles, analyze, activity) on generated
groups, and real exports (numbers only)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from helpers import qq_export_file

from qunkit.analysis.compare import (
    MIN_CHARS,
    PERIOD_DAYS,
    cross_posts,
    member_overlap,
    member_posts,
    normalise_texts,
    only_in,
)
from qunkit.cli import cli
from qunkit.cli.compare import PERIODS
from qunkit.generate import Person, generate_group
from qunkit.generate.writers import write_qq_txt, write_roster_csv
from qunkit.vocabulary import ROLES

AD = "兼职日结300元，加微信 abc12345 详聊"
AD_AGAIN = "兼职日结300元 加微信abc12345详聊！！"      # the same ad, other punctuation and spacing
TALK = "今天的分享很有收获，谢谢大家的讨论"


def _invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _json(*args: str):
    r = _invoke(*args, "--format", "json", "-q")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _qq(path: Path, group: str, rows: list[tuple[str, str, str, str]]) -> Path:
    """A QQ message-manager .txt export: rows of (time, name, qq number, text)."""
    return qq_export_file(path, group, "".join(f"{t} {name}({qq})\n{text}\n\n" for t, name, qq, text in rows))


def _wechat(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """A WeChatMsg .txt export (no ids: the name is all there is): rows of (time, name, text)."""
    path.write_text("".join(f"{t} {name}\n{text}\n\n" for t, name, text in rows), encoding="utf-8")
    return path


def _day(d: int, h: int = 10) -> str:
    return (pd.Timestamp("2024-03-01") + pd.Timedelta(days=d, hours=h)).strftime("%Y-%m-%d %H:%M:%S")


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    """Three QQ groups and a WeChat group.  1003 is in A, B and C; 1002 and the advertiser 9999 in A and
    B; 阿一 (1001 in A) is also in the WeChat group by name; 9999 posts one ad in A and B (punctuation
    differs) and 好的好的 in both; 1003 posts one long non-ad text in A and C."""
    d = tmp_path_factory.mktemp("planted")
    a = [(_day(1), "阿一", "1001", "大家早上好"), (_day(1, 11), "阿二", "1002", "早"),
         (_day(2), "阿三", "1003", TALK), (_day(3), "阿四", "1004", "有没有人周末去看展？"),
         (_day(4), "广告哥", "9999", AD), (_day(4, 12), "广告哥", "9999", "好的好的"),
         (_day(5), "阿三", "1003", "这周的书读到第三章了")]
    b = [(_day(1), "阿二", "1002", "今天跑了五公里"), (_day(2), "阿三", "1003", "厉害"),
         (_day(3), "阿五", "1005", "明天一起"), (_day(6), "广告哥", "9999", AD_AGAIN),
         (_day(6, 12), "广告哥", "9999", "好的好的")]
    c = [(_day(2, 15), "阿三", "1003", TALK), (_day(3, 9), "阿六", "1006", "欢迎欢迎")]
    w = [(_day(2), "阿一", "周末有人一起爬山吗"), (_day(2, 11), "阿七", "我去")]
    store = d / "store"
    files = [_qq(d / "A.txt", "读书A群", a), _qq(d / "B.txt", "读书B群", b), _qq(d / "C.txt", "读书C群", c),
             _wechat(d / "跑步W群.txt", w)]
    for f in files:
        assert _invoke("import", str(f), "--store", str(store), "-q").exit_code == 0
    return store


def _by(rows: list[dict], key: str = "member_id") -> dict:
    return {r[key]: r for r in rows}


def test_overlap_by_id_and_by_name(planted):
    rows = _json("compare", "--overlap", "--store", str(planted))
    by_id = _by([r for r in rows if r["matched_by"] == "id"])
    assert set(by_id) == {"1002", "1003", "9999"}
    assert by_id["1003"]["groups"] == 3 and set(by_id["1003"]["group_names"]) == {"读书A群", "读书B群", "读书C群"}
    assert by_id["1002"]["groups"] == 2 and set(by_id["9999"]["group_names"]) == {"读书A群", "读书B群"}
    named = [r for r in rows if r["matched_by"] == "name"]
    assert len(named) == 1 and named[0]["member_name"] == "阿一"
    assert set(named[0]["group_names"]) == {"读书A群", "跑步W群"} and named[0]["platforms"] == ["qq", "wechat"]
    assert rows[0]["member_id"] == "1003"                          # most groups first
    # members in one group only are not listed
    assert not {"1004", "1005", "1006"} & {r["member_id"] for r in rows}


def test_only_in_not_in(planted):
    rows = _json("compare", "--only-in", "读书A群", "--not-in", "读书B群", "--store", str(planted))
    assert {r["member_id"] for r in rows} == {"1001", "1004"}
    assert not any(r["same_name_elsewhere"] for r in rows)       # W is not among the --not-in groups
    rows = _json("compare", "--only-in", "读书A群", "--not-in", "跑步W群", "--store", str(planted))
    assert {r["member_id"] for r in rows} == {"1001", "1002", "1003", "1004", "9999"}
    assert {r["member_id"] for r in rows if r["same_name_elsewhere"]} == {"1001"}
    alone = _json("compare", "--only-in", "读书A群", "--store", str(planted))   # in no other group
    assert {r["member_id"] for r in alone} == {"1001", "1004"}
    assert {r["member_id"] for r in alone if r["same_name_elsewhere"]} == {"1001"}


def test_cross_posts_flag_the_advertiser(planted):
    rows = _json("compare", "--cross-posts", "--store", str(planted))
    assert [(r["member_id"], r["groups"], r["ad"]) for r in rows] == [("9999", 2, True), ("1003", 2, False)]
    assert rows[0]["text"] == AD and rows[0]["messages"] == 2 and set(rows[0]["group_names"]) == {"读书A群", "读书B群"}
    assert set(rows[1]["group_names"]) == {"读书A群", "读书C群"}
    short = _json("compare", "--cross-posts", "--min-chars", "3", "--store", str(planted))
    assert any(r["text"] == "好的好的" and r["member_id"] == "9999" for r in short)   # only when asked
    r = _invoke("compare", "--cross-posts", "--store", str(planted))
    assert "advertisers across groups: 广告哥 (9999, 2 groups)" in r.output


def test_usage_errors(planted):
    for args in (["--not-in", "读书B群"], ["--cross-posts", "--overlap"], ["--only-in", "没有这个群"],
                 ["--period", "year"]):
        r = _invoke("compare", *args, "--store", str(planted))
        assert r.exit_code == 2, (args, r.output)


def test_functions_directly():
    assert normalise_texts(pd.Series(["加V：ABC123！", "加v abc123", None])).to_pylist() == ["加vabc123", "加vabc123", ""]
    present = pd.DataFrame({"group_id": ["a", "a", "b", "b", "c"], "group_name": ["A", "A", "B", "B", "C"],
                            "platform": ["qq", "qq", "qq", "qq", "wechat"],
                            "member_id": ["1", "2", "1", "3", "小明"], "member_name": ["小明", "x", "小明", "y", "小明"],
                            "messages": [1, 2, 3, 4, 5], "last_spoke": pd.NaT})
    ov = member_overlap(present)
    assert ov[["member_id", "matched_by", "groups"]].values.tolist() == [["qq:1; wechat:小明", "name", 3],
                                                                           ["1", "id", 2]]
    # a name two ids carry on one platform matches nobody
    amb = pd.concat([present, present.iloc[[1]].assign(member_name="小明", group_id="d", group_name="D")])
    assert set(member_overlap(amb)["matched_by"]) == {"id"}
    assert set(only_in(present, "a", ["b"])["member_id"]) == {"2"}
    msgs = pd.DataFrame({"group_id": ["a", "b", "b"], "group_name": ["A", "B", "B"], "platform": "qq",
                         "sender_id": ["1", "1", "2"], "sender_name": "n", "kind": "text",
                         "text": [AD, AD_AGAIN, AD], "ts": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"],
                                                                           utc=True), "event": None})
    out = cross_posts(member_posts(msgs))
    assert out[["member_id", "groups", "ad"]].values.tolist() == [["1", 2, True]]   # 2 posted in one group only


def test_cli_defaults_match_the_library():
    """The CLI spells its choices out (its --help imports no pandas); they must be the library's."""
    assert set(PERIODS) == set(PERIOD_DAYS) and PERIOD_DAYS == {"week": 7, "month": 30}
    default = {p.name: p.default for p in cli.get_command(None, "compare").params}["min_chars"]
    assert default == MIN_CHARS


# ---- the group table against the single-group commands ---------------------------------------------

@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """Three QQ groups with a shared owner and a shared advertiser, with rosters; one group starts late
    (no previous month)."""
    d = tmp_path_factory.mktemp("gen")
    owner, spam = Person("880000001", "群主小王"), Person("990000001", "兼职招聘88")
    specs = [("读书会一群", "healthy", "2023-12-01", 7), ("读书会二群", "dying", "2023-12-01", 8),
             ("读书会三群", "healthy", "2024-03-10", 9)]
    store = d / "store"
    for name, lc, start, seed in specs:
        g = generate_group(name=name, lifecycle=lc, n_members=40, start=start, as_of="2024-03-31", seed=seed,
                           messages=900, topic="读书", owner=owner, shared_advertisers=(spam,))
        export, roster = write_qq_txt(g, d / f"{name}.txt"), write_roster_csv(g, d / f"{name}-roster.csv")
        assert _invoke("import", str(export), "--roster", str(roster), "--store", str(store), "-q").exit_code == 0
    return store


AS_OF = "2024-03-24 23:59:59.999999999"   # a Sunday's last instant: the last 7 days are one calendar week


def test_table_matches_risk_roles_analyze_activity(generated):
    s = ["--store", str(generated), "--as-of", AS_OF]
    rows = _by(_json("compare", "--period", "week", *s), "group_name")
    assert set(rows) == {"读书会一群", "读书会二群", "读书会三群"}
    risk = _by(_json("risk", *s), "group_name")
    prev_at = str(pd.Timestamp(AS_OF) - pd.Timedelta(days=7))
    risk_prev = _by(_json("risk", "--store", str(generated), "--as-of", prev_at), "group_name")
    roles = pd.DataFrame(_json("roles", *s))
    roles = roles[roles["present"]]
    overview = _by(_json("analyze", *s), "group_name")
    activity = pd.DataFrame(_json("activity", "--by", "week", *s))
    for name, r in rows.items():
        assert r["risk_score"] == risk[name]["score"] and r["risk_level"] == risk[name]["level"]
        counts = roles[roles["group_name"] == name]["role"].value_counts()
        assert [r[f"role_{x}"] for x in ROLES] == [int(counts.get(x, 0)) for x in ROLES]
        o = overview[name]
        assert (r["members"], r["speakers_30d"]) == (o["members"], o["speakers_monthly"])
        assert (r["active_rate_7d"], r["active_rate_30d"]) == (o["active_rate_weekly"], o["active_rate_monthly"])
        weeks = activity[activity["group_name"] == name]
        last = weeks.iloc[-1]
        assert (r["messages"], r["speakers"]) == (last["messages"], last["speakers"])
        assert r["messages_per_day"] == round(last["messages"] / 7, 2)
        if name in risk_prev:
            before = weeks.iloc[-2]
            assert (r["messages_prev"], r["speakers_prev"]) == (before["messages"], before["speakers"])
            assert r["risk_score_prev"] == risk_prev[name]["score"]
            assert r["risk_change"] == round(r["risk_score"] - risk_prev[name]["score"], 1)
        else:
            assert r["risk_score_prev"] is None and r["messages_change"] is None
    assert [r["risk_score"] for r in rows.values()] == sorted((r["risk_score"] for r in rows.values()), reverse=True)


def test_month_previous_is_replayed(generated):
    rows = _by(_json("compare", "--store", str(generated)), "group_name")
    late = rows["读书会三群"]                                       # started 2024-03-10: nothing a month before
    assert late["risk_score_prev"] is None and late["messages_prev"] is None
    early = rows["读书会一群"]
    t0 = pd.Timestamp(early["as_of_prev"])
    assert pd.Timestamp(early["as_of"]) - t0 == pd.Timedelta(days=30)
    replay = _by(_json("compare", "--store", str(generated), "--as-of", t0.isoformat()), "group_name")
    assert early["risk_score_prev"] == replay["读书会一群"]["risk_score"]
    assert early["messages_prev"] == replay["读书会一群"]["messages"]
    assert early["members_prev"] == replay["读书会一群"]["members"]
    table = _invoke("compare", "--store", str(generated)).output
    assert "no previous figures for 读书会三群" in table and "读书会一群" in table


def test_generated_overlap_and_advertiser(generated):
    s = ["--store", str(generated)]
    ov = _by(_json("compare", "--overlap", *s))
    assert ov["880000001"]["groups"] == 3 and ov["880000001"]["matched_by"] == "id"
    cross = _json("compare", "--cross-posts", *s)
    spam = [r for r in cross if r["member_id"] == "990000001"]
    assert spam and all(r["ad"] for r in spam) and max(r["groups"] for r in spam) >= 2
    assert cross[0]["ad"]                                           # ads first
    csv = _invoke("compare", "--cross-posts", *s, "--format", "csv").stdout
    assert csv.splitlines()[0] == "member_name,member_id,platform,groups,group_names,messages,ad,first,last,text"


# ---- real exports -----------------------------------------------------------------------------------

def test_real_exports(realdata, tmp_path):
    """Several real exports in one store: every group gets a row, overlap and only-in agree."""
    files = [realdata / "whatsapp-txt" / f for f in (
        "CodeChefVIT-Engagement-Monitor__WhatsApp-Chat-with-CodeChef-VIT-Informal.txt",
        "CodeChefVIT-Engagement-Monitor__WhatsApp-Chat-with-CodeChef-VIT-Technical.txt",
        "CodeChefVIT-Engagement-Monitor___chat.txt")] + [realdata / "qq-txt" / "pangjiuzala-wordFinder__all-messages.txt"]
    files = [f for f in files if f.exists()]
    if len(files) < 3:
        pytest.skip("fewer than three of the real exports found")
    store = tmp_path / "s"
    for f in files:
        assert _invoke("import", str(f), "--store", str(store), "-q").exit_code == 0
    s = ["--store", str(store)]
    groups = {g["group_name"] for g in _json("groups", *s) if g["chat_type"] == "group"}   # friend chats: no
    rows = _json("compare", *s)
    assert {r["group_name"] for r in rows} == groups and len(rows) == len(groups) >= 3
    assert all(r["members"] >= r["speakers_30d"] >= 0 for r in rows)
    assert all(sum(r[f"role_{x}"] for x in ROLES) == r["members"] for r in rows)
    risk = {r["group_name"]: r["score"] for r in _json("risk", *s)}
    assert {r["group_name"]: r["risk_score"] for r in rows} == risk
    ov = _json("compare", "--overlap", *s)
    assert all(r["groups"] >= 2 and set(r["group_names"]) <= groups for r in ov)
    # only-in A --not-in B plus the members shared with B (one platform) are all of A's members
    a, b = sorted(r["group_name"] for r in rows if r["platform"] == "whatsapp")[:2]
    only_a = _json("compare", "--only-in", a, "--not-in", b, *s)
    shared = [r for r in ov if len(r["platforms"]) == 1 and {a, b} <= set(r["group_names"])]
    assert len(only_a) + len(shared) == _by(rows, "group_name")[a]["members"]
    assert shared, "the two WhatsApp groups of one community share members"
    cross = _json("compare", "--cross-posts", *s)
    assert all(r["groups"] >= 2 and len(normalise_texts(pd.Series([r["text"]])).to_pylist()[0]) >= 10 for r in cross)


def test_hostile_text_stays_inert(tmp_path):
    """A cross-posted text and a nickname with an escape sequence and a formula: shown, never obeyed."""
    evil_name, evil_text = "坏人\x1b]0;pwned\x07", "=HYPERLINK(\"x\") 兼职日结300元加微信abc12345"
    store = tmp_path / "s"
    for g in ("甲群", "乙群"):
        f = _qq(tmp_path / f"{g}.txt", g, [(_day(1), evil_name, "7777", evil_text), (_day(2), "阿一", "1001", "你好")])
        assert _invoke("import", str(f), "--store", str(store), "-q").exit_code == 0
    for view in (["--cross-posts"], ["--overlap"]):
        table = _invoke("compare", *view, "--store", str(store)).output
        assert "\x1b" not in table and "\x07" not in table and "7777" in table
        csv = _invoke("compare", *view, "--store", str(store), "--format", "csv", "-q").stdout
        assert "\x1b" not in csv
    csv = _invoke("compare", "--cross-posts", "--store", str(store), "--format", "csv", "-q").stdout
    assert "'=HYPERLINK" in csv
    rows = _json("compare", "--cross-posts", "--store", str(store))
    assert rows[0]["text"] == evil_text and rows[0]["ad"]                # json keeps the exact text
