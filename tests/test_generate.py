"""The synthetic export generator: deterministic bytes, exact export layouts, planted truth that holds."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import qunkit.formats as fmts
import qunkit.generate.model as model
from qunkit import vocabulary
from qunkit.analysis.roles import ROLES as ANALYSIS_ROLES
from qunkit.cli import cli
from qunkit.cli.generate import LAYOUTS as CLI_LAYOUTS
from qunkit.filenames import safe_filename
from qunkit.formats.base import ParseOptions, ParseReport
from qunkit.generate import LIFECYCLES, ROLES, generate_corpus, generate_group
from qunkit.generate.files import LAYOUTS, file_base
from qunkit.generate.writers import (
    qq_txt_text,
    write_qq_txt,
    write_roster_csv,
    write_truth,
    write_wechatmsg_csv,
    write_wechatmsg_txt,
)
from qunkit.holidays import spring_festival

AS_OF = "2024-03-31"
QQ_HEAD = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{1,2}):(\d{2}):(\d{2}) (.*)\((\d{5,11})\)$")
QQ_HEAD_AMPM = re.compile(r"^\d{4}-\d{2}-\d{2} (1[0-2]|[1-9]):\d{2}:\d{2} (AM|PM) .*\((\d{5,11})\)$")


@pytest.fixture(scope="module")
def groups() -> dict[str, object]:
    """One group per life cycle, small enough to keep the module fast."""
    return {lc: generate_group(f"{lc}群", lc, 120, start="2023-10-01", as_of=AS_OF, seed=11, messages=1500,
                               rollcall=lc in ("healthy", "flooded"))
            for lc in LIFECYCLES}


@pytest.fixture(scope="module")
def healthy(groups):
    return groups["healthy"]


def human(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["sender_id"] != "system"]


# --- determinism -------------------------------------------------------------------------------------

def test_same_seed_same_bytes(tmp_path: Path):
    a = generate_group("群A", "dying", 60, seed=5, messages=400)
    b = generate_group("群A", "dying", 60, seed=5, messages=400)
    c = generate_group("群A", "dying", 60, seed=6, messages=400)
    pa, pb, pc = (write_qq_txt(g, tmp_path / f"{i}.txt") for i, g in enumerate((a, b, c)))
    assert pa.read_bytes() == pb.read_bytes()
    assert pa.read_bytes() != pc.read_bytes()
    wa, wb = (generate_group("微信群", "healthy", 40, seed=5, messages=300, platform="wechat") for _ in range(2))
    assert (write_wechatmsg_csv(wa, tmp_path / "a.csv").read_bytes()
            == write_wechatmsg_csv(wb, tmp_path / "b.csv").read_bytes())
    pd.testing.assert_frame_equal(wa.truth_roles, wb.truth_roles)


def test_corpus_is_deterministic_and_mixes_lifecycles():
    a = generate_corpus(n_groups=8, seed=3, messages_per_group=150)
    b = generate_corpus(n_groups=8, seed=3, messages_per_group=150)
    assert [g.name for g in a] == [g.name for g in b]
    assert all(x.messages.equals(y.messages) for x, y in zip(a, b, strict=True))
    assert {g.lifecycle for g in a} == set(LIFECYCLES)
    assert len({g.name for g in a}) == 8
    # one operator owns several groups; the same spam account turns up in more than one
    owners = [g.roster.loc[g.roster["role"] == "owner", "member_id"].iloc[0] for g in a]
    assert len(set(owners)) < len(owners)


# --- QQ txt layout -----------------------------------------------------------------------------------

def test_qq_txt_layout(tmp_path: Path, healthy):
    raw = write_qq_txt(healthy, tmp_path / "g.txt").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\r\n") == raw.count(b"\n"), "every line ends CRLF"
    lines = raw.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "消息记录（此消息记录为文本格式，不支持重新导入）"
    assert lines[1] == ""
    assert lines[2] == lines[4] == lines[6] == "=" * 64
    assert lines[3] == "消息分组:我的QQ群"
    assert lines[5] == f"消息对象:{healthy.name}"
    assert lines[7] == ""
    heads = [m for m in (QQ_HEAD.match(x) for x in lines) if m]
    msgs = healthy.messages
    assert len(heads) == len(msgs)  # every message has exactly one header; no body line looks like one
    assert {h.group(2) for h in heads} & {str(h) for h in range(10)}, "hours are not zero-padded"
    assert not any(h.group(2).startswith("0") and len(h.group(2)) == 2 for h in heads)
    assert sum(h.group(5) == "系统消息" and h.group(6) == "10000" for h in heads) == (msgs["sender_id"] == "system").sum()
    assert any(h.group(5).startswith("【") for h in heads), "some admins carry a 【title】"
    # a header, its body, then one blank line; bodies may hold blank lines and may be empty
    text = raw.decode("utf-8-sig").replace("\r\n", "\n")
    assert "\n\n\n" in text  # an empty body: header followed by two blank lines
    assert any("\n\n" in b.strip("\n") for b in msgs["text"])


def test_qq_txt_several_groups_and_ampm(groups):
    two = [groups["healthy"], groups["dead"]]
    text = qq_txt_text(two, ampm=True)
    assert text.count("消息对象:") == 2 and text.count("=" * 64) == 6
    lines = text.split("\n")
    n = sum(len(g.messages) for g in two)
    assert sum(bool(QQ_HEAD_AMPM.match(x)) for x in lines) == n
    assert all(QQ_HEAD_AMPM.match(x) for x in lines if QQ_HEAD.match(x))


def test_qq_txt_round_trips_through_the_parser(tmp_path: Path, groups):
    g = groups["flooded"]
    path = write_qq_txt([g, groups["revival"]], tmp_path / "全部消息记录.txt")
    parser = fmts.sniff(path)
    assert parser.name == "qq-txt"
    report = ParseReport(str(path))
    df = pd.concat(list(parser().parse(path, ParseOptions(), report)), ignore_index=True)
    assert report.bad_lines == 0
    got = df[df["group_name"] == g.name].reset_index(drop=True)
    assert len(got) == len(g.messages)
    assert (got["sender_id"].to_numpy() == g.messages["sender_id"].to_numpy()).all()
    assert (got["text"].to_numpy() == g.messages["text"].to_numpy()).all()


def test_roster_csv(tmp_path: Path, healthy):
    raw = write_roster_csv(healthy, tmp_path / "r.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["QQ号", "群名片", "身份", "入群时间", "最后发言时间"]
    body = rows[1:]
    assert len(body) == len(healthy.roster)
    assert {r[2] for r in body} == {"群主", "管理员", "成员"}
    assert sum(r[2] == "群主" for r in body) == 1
    assert all(re.fullmatch(r"\d{5,11}", r[0]) for r in body)
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", r[3]) for r in body)
    assert any(r[4] == "" for r in body), "members who never spoke have no 最后发言时间"


# --- WeChat writers ------------------------------------------------------------------------------------

def test_wechatmsg_txt_and_csv(tmp_path: Path):
    g = generate_group("周末徒步群", "healthy", 80, seed=2, messages=800, platform="wechat", rollcall=True)
    assert g.messages.loc[g.messages["sender_id"] != "system", "sender_id"].str.match(r"^[a-z][a-z0-9_]+$").all()
    raw = write_wechatmsg_txt(g, tmp_path / "w.txt").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw
    text = raw.decode()
    head = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} ")
    sys_lines = [x for x in text.split("\n") if head.match(x) and "加入了群聊" in x]
    assert sys_lines and all(re.search(r'邀请"[^"]+"加入了群聊$', x) for x in sys_lines)
    assert "@所有人" in text and "@全体成员" not in text
    raw = write_wechatmsg_csv(g, tmp_path / "w_utf8.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    df = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(df.columns) == ["localId", "TalkerId", "Type", "SubType", "IsSender", "CreateTime", "Status",
                                "StrContent", "StrTime", "Remark", "NickName", "Sender"]
    assert len(df) == len(g.messages)
    assert set(df["Type"]) <= {"1", "3", "47", "49", "10000"} and {"1", "10000"} <= set(df["Type"])
    assert (df.loc[df["IsSender"] == "1", "Sender"] == g.self_id).all()
    assert (df.loc[df["Type"] == "10000", "Sender"] == "").all()
    ts = pd.to_datetime(df["CreateTime"].astype(int), unit="s", utc=True).dt.tz_convert("Asia/Shanghai")
    assert (ts.dt.strftime("%Y-%m-%d %H:%M:%S") == df["StrTime"]).all()


# --- planted roles and truth ---------------------------------------------------------------------------

def test_truth_is_consistent(groups):
    for g in groups.values():
        tr, ro, msgs = g.truth_roles, g.roster, g.messages
        assert tr["member_id"].is_unique and set(tr["role"]) <= set(ROLES)
        assert set(ro["member_id"]) == set(tr.loc[tr["in_roster"], "member_id"])
        assert set(human(msgs)["sender_id"]) <= set(tr["member_id"])
        counts = human(msgs)["sender_id"].value_counts()
        assert (tr.set_index("member_id")["n_messages"] == counts.reindex(tr["member_id"]).fillna(0).values).all()
        assert msgs["ts"].is_monotonic_increasing and (msgs["ts"] <= g.as_of).all()
        assert g.future.empty or (g.future["ts"] > g.as_of).all()
        assert str(msgs["ts"].dt.tz) == "Asia/Shanghai"
        r = msgs[msgs["reply_to"] >= 0]
        assert (r["reply_to"] < r["msg_no"]).all()
        assert (msgs.loc[r["reply_to"], "ts"].to_numpy() <= r["ts"].to_numpy()).all()
        targets = msgs["event_target"].dropna()
        assert set(targets) <= set(tr["member_id"])
        left = tr[tr["left"].notna()]
        assert not set(left["member_id"]) & set(ro["member_id"])
        assert (ro["role"] == "owner").sum() == 1
        assert set(g.truth_life) >= {"lifecycle", "dead_within_30d"}


def test_roles_are_planted_with_their_signals():
    g = generate_group("大群", "healthy", 300, seed=4, messages=5000)
    tr = g.truth_roles.set_index("member_id")
    m = human(g.messages).assign(role=lambda d: d["sender_id"].map(tr["role"]))
    assert set(tr["role"]) == set(ROLES)
    by = m.groupby("role")
    length = by["text"].apply(lambda s: s.str.len().mean())
    assert length["thinker"] > 2 * length["joker"]
    share = lambda pat: by["text"].apply(lambda s: s.str.contains(pat).mean())  # noqa: E731
    q = share(r"请问|怎么|如何|吗|？|有没有|求|问")
    assert q["asker"] > 1.5 * q.drop("asker").max()
    assert share(r"哈哈|233|表情|笑|hhh")["joker"] > 0.25
    cp = share(r"群主|管管|水|广告|没意思|退|烦|屏蔽|服了|质量")
    assert cp["challenger"] > 0.15 and cp["challenger"] > 3 * cp.drop(["challenger", "advertiser"]).max()
    org = share(r"群公告|@全体成员|欢迎|群规|活动|直播|打卡|群文件")
    assert org["organizer"] > 2 * org.drop(["organizer", "lurker"]).max()
    # advertisers repeat themselves verbatim; lurkers barely speak, many never
    ads = m[m["role"] == "advertiser"]
    assert ads["text"].duplicated().any()
    assert ads["text"].str.contains(r"加V|微信|vx|wx|V|薇|威信|QQ|http|招|代理|优惠|兼职|私聊").mean() > 0.9
    lurkers = tr[tr["role"] == "lurker"]
    assert (lurkers["n_messages"] == 0).mean() > 0.4 and lurkers["n_messages"].median() <= 1
    assert lurkers["n_messages"].max() < 20
    # organizers mostly hold owner/admin in the roster
    assert (tr.loc[tr["role"] == "organizer", "roster_role"] != "member").mean() >= 0.5
    # members overlap: each non-lurker role has members with a secondary trait
    assert tr.loc[tr["role"].isin(["thinker", "joker", "asker"]), "secondary_role"].notna().all()


def test_replies_thinkers_fast_and_dying_questions_unanswered(groups):
    def delays(g):
        msgs = g.messages
        r = msgs[msgs["reply_to"] >= 0]
        tgt = msgs.loc[r["reply_to"]]
        role = tgt["sender_id"].map(g.truth_roles.set_index("member_id")["role"]).to_numpy()
        d = (r["ts"].to_numpy() - tgt["ts"].to_numpy()) / np.timedelta64(1, "s")
        return pd.Series(d).groupby(role).median()

    assert delays(groups["healthy"])["thinker"] < 180

    def answered(g):
        msgs = g.messages
        q = msgs[msgs["act"] == "question"]
        return q["msg_no"].isin(msgs.loc[msgs["act"] == "answer", "reply_to"]).mean()

    assert answered(groups["healthy"]) > answered(groups["dying"]) + 0.1


def test_membership_events_and_rollcall(groups):
    g = groups["healthy"]
    msgs = g.messages
    sysm = msgs[msgs["sender_id"] == "system"]
    assert sysm["text"].str.contains("加入本群。$").any()
    assert sysm["text"].str.contains("邀请.+加入了本群。$").any()
    assert (sysm["event"] == "kick").any() and (sysm["event"] == "recall").any()
    rc = g.rollcall
    assert rc is not None and rc["responders"] and rc["kicked"]
    call = msgs[msgs["ts"] == rc["ts"]]
    assert call["text"].str.contains("在的请打1|扣1").any()
    answers = msgs[(msgs["act"] == "rollcall_answer")]
    assert set(answers["sender_id"]) == set(rc["responders"])
    assert ((answers["ts"] - rc["ts"]) < pd.Timedelta(hours=8)).all()
    lurk = set(g.truth_roles.loc[g.truth_roles["role"] == "lurker", "member_id"])
    assert lurk & set(rc["responders"]), "some lurkers are still reading and answer"
    kicked = g.truth_roles.set_index("member_id").loc[rc["kicked"]]
    assert (kicked["left_how"] == "kick").all() and not kicked["in_roster"].any()


# --- life cycles -----------------------------------------------------------------------------------------

def _window(g, days_lo: int, days_hi: int) -> pd.DataFrame:
    """Human messages between days_lo and days_hi before as_of."""
    m = human(g.messages)
    lo, hi = g.as_of - pd.Timedelta(days=days_lo), g.as_of - pd.Timedelta(days=days_hi)
    return m[(m["ts"] > lo) & (m["ts"] <= hi)]


def test_lifecycles_differ_in_the_expected_direction(groups):
    life = {lc: g.truth_life for lc, g in groups.items()}
    assert len(_window(groups["dead"], 21, 0)) == 0, "a dead group is silent in its last weeks"
    assert life["dead"]["dead_within_30d"] and life["dying"]["dead_within_30d"]
    for lc in ("healthy", "holiday_lull", "shrunk_stable", "revival"):
        assert not life[lc]["dead_within_30d"], lc
        assert len(_window(groups[lc], 14, 0)) > 0, lc
    dying = groups["dying"]
    start = human(dying.messages)["ts"].min()
    early = human(dying.messages).pipe(lambda m: m[m["ts"] < start + pd.Timedelta(days=30)])
    assert len(_window(dying, 30, 0)) < 0.3 * len(early)
    # flooded: 刷屏 "1", 打卡 and ads crowd out talk
    fl = groups["flooded"].messages
    noise = fl["act"].isin(["flood", "flood_start", "checkin", "ad"]).mean()
    assert noise > 3 * groups["healthy"].messages["act"].isin(["flood", "flood_start", "checkin", "ad"]).mean()
    # one-man show: the operator carries the group
    om = human(groups["one_man_show"].messages)
    assert om["sender_id"].value_counts(normalize=True).iloc[0] > 0.6
    # holiday lull: the lull is far quieter than the month before it, then talk comes back
    hl = groups["holiday_lull"]
    lo, hi = life["holiday_lull"]["lull_start"], life["holiday_lull"]["lull_end"]
    m = human(hl.messages)
    per_day = lambda a, b: ((m["ts"] >= a) & (m["ts"] < b)).sum() / max((b - a).days, 1)  # noqa: E731
    assert per_day(lo, hi) < 0.35 * per_day(lo - pd.Timedelta(days=30), lo)
    # shrunk but stable: fewer speakers late than early, still talking every week
    sh = groups["shrunk_stable"]
    first = human(sh.messages).pipe(lambda d: d[d["ts"] < d["ts"].min() + pd.Timedelta(days=30)])
    last = _window(sh, 30, 0)
    assert last["sender_id"].nunique() < first["sender_id"].nunique()
    assert all(len(_window(sh, w + 7, w)) > 0 for w in (0, 7, 14, 21))
    # revival: a quiet spell, then more talk in the last weeks than during it
    rv = groups["revival"]
    q0, q1 = life["revival"]["quiet_start"], life["revival"]["revival_at"]
    m = human(rv.messages)
    quiet = ((m["ts"] >= q0 + pd.Timedelta(days=7)) & (m["ts"] < q1)).sum() / max((q1 - q0).days - 7, 1)
    after = (m["ts"] >= q1).sum() / max((rv.as_of - q1).days, 1)
    assert quiet < 0.3 * after


def test_truth_files_and_cli(tmp_path: Path, groups):
    paths = write_truth(list(groups.values()), tmp_path / "truth")
    roles = pd.read_csv(paths[0], dtype=str)
    life = pd.read_csv(paths[1])
    assert set(roles["role"]) == set(ROLES) and len(life) == len(groups)
    assert set(life["lifecycle"]) == set(LIFECYCLES) and life["dead_within_30d"].dtype == bool

    out = tmp_path / "gen"
    res = CliRunner().invoke(cli, ["generate", str(out), "--groups", "2", "--messages-per-group", "120",
                                   "--to", "wechatmsg-csv", "--seed", "1"])
    assert res.exit_code == 0, res.output
    assert len(list((out / "exports").glob("*_utf8.csv"))) == 2
    assert len(list((out / "rosters").glob("*-roster.csv"))) == 2
    assert (out / "truth" / "roles.csv").exists() and "messages" in res.output
    res = CliRunner().invoke(cli, ["generate", str(out / "q"), "--groups", "2", "--messages-per-group", "100",
                                   "--single-file"])
    assert res.exit_code == 0, res.output
    assert (out / "q" / "exports" / "全部消息记录.txt").read_text("utf-8-sig").count("消息对象:") == 2


def test_generator_shares_the_products_constants():
    """Roles, life cycles and the Spring Festival come from the product, not a table of the generator's own."""
    assert ROLES is vocabulary.ROLES is ANALYSIS_ROLES and LIFECYCLES is vocabulary.LIFECYCLES
    assert CLI_LAYOUTS == LAYOUTS                          # the CLI's static list (no generator import at --help)
    assert not hasattr(model, "SPRING_FESTIVAL")
    assert spring_festival(2024, model.TZ) == pd.Timestamp("2024-02-10", tz="Asia/Shanghai")   # 初一, not 除夕


def test_generated_names_are_kept_as_file_names():
    """The generator's names (CJK, 【】, ()) are plain file names and stay as they are; others are slugged."""
    names = [g.name for g in generate_corpus(n_groups=40, seed=3, messages_per_group=60)]
    assert any("【" in n or "(" in n for n in names)       # names the slug rule would change ...
    assert [file_base(n) for n in names] == names          # ... are passed through
    for bad in ("../上级", "a/b", "con:x", " .hidden", "tab\there"):
        assert file_base(bad) == safe_filename(bad) and "/" not in file_base(bad) and ":" not in file_base(bad)


def test_generate_cli_output_contract(tmp_path: Path):
    res = CliRunner().invoke(cli, ["generate", str(tmp_path / "g"), "--groups", "2", "--messages-per-group", "60",
                                   "--format", "json", "-q"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert [Path(r["export"]).exists() for r in rows] == [True, True] and res.stderr == ""
    old = CliRunner().invoke(cli, ["generate", str(tmp_path / "h"), "--format", "wechatmsg-csv"])
    assert old.exit_code == 2 and "use --to wechatmsg-csv" in old.stderr and not (tmp_path / "h").exists()
