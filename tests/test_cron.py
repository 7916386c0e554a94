"""qunkit as cron runs it: no TTY, plain text, exit codes.

The commands run through click's CliRunner (stdout and stderr are no
terminal, TERM names a colour terminal, so plain output must come from the TTY
check, not from the environment) with a private HOME and store; one test runs
the installed console script for real, through examples/nightly.sh.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from qunkit.analysis.prune import COLUMNS
from qunkit.analysis.rollcall import SEED_ANNOUNCEMENT, STATUS_COLUMNS
from qunkit.cli import cli
from qunkit.generate import generate_group, writers

GROUP = "读书会"
EVIL = '=HYPERLINK("http://evil.example/x","点我")'
ANSI = "\x1b["


def _qunkit_exe() -> str:
    found = shutil.which("qunkit") or str(Path(sys.executable).with_name("qunkit"))
    if not Path(found).exists():
        pytest.fail("the qunkit console script is not installed (pip install -e '.[test]')")
    return found


def _msg(ts: str, sender: str, body: str) -> str:
    return f"{ts} {sender}\n{body}\n"


def write_export(path: Path) -> None:
    """A QQ message-manager export (CRLF, BOM) of one group, with a roll call on 2024-06-29."""
    msgs = [
        _msg("2024-01-05 10:00:00", "【群主】书虫(10001)", "欢迎大家来到读书会"),
        _msg("2024-01-05 10:01:00", "【管理员】小管(10002)", "本群规则见群公告"),
        _msg("2024-01-05 10:02:00", "老王(10004)", "大家好"),
        _msg("2024-01-10 09:00:00", f"{EVIL}(10007)", "hi"),
        _msg("2024-01-12 09:00:00", "潜水员(10008)", "路过"),
        _msg("2024-01-15 09:00:00", "核心(10009)", "好书推荐"),
        _msg("2024-02-01 20:00:00", "老王(10004)", "这本书不错"),
        _msg("2024-06-25 08:00:00", "系统消息(10000)", "新朋友(10006)加入本群。"),
        _msg("2024-06-28 21:00:00", "活跃(10003)", "今天读了三章"),
        _msg("2024-06-29 20:00:00", "【群主】书虫(10001)", SEED_ANNOUNCEMENT),
        _msg("2024-06-29 20:01:00", "活跃(10003)", "1"),
        _msg("2024-06-29 20:05:00", "潜水员(10008)", "在！"),
        _msg("2024-06-30 22:00:00", "【群主】书虫(10001)", "晚安"),
    ]
    head = ("消息记录（此消息记录为文本格式，不支持重新导入）\n\n" + "=" * 64 + "\n消息分组:我的QQ群\n" + "=" * 64
            + f"\n消息对象:{GROUP}\n" + "=" * 64 + "\n\n")
    text = head + "\n".join(msgs)
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))


def write_roster(path: Path) -> None:
    rows = [
        ("10001", "书虫", "群主", "2023-06-01 10:00:00"),
        ("10002", "小管", "管理员", "2023-06-01 10:00:00"),
        ("10003", "活跃", "成员", "2023-07-01 10:00:00"),
        ("10004", "老王", "成员", "2023-07-01 10:00:00"),
        ("10005", "从不说话", "成员", "2023-12-01 10:00:00"),
        ("10006", "新朋友", "成员", "2024-06-25 08:00:00"),
        ("10007", EVIL, "成员", "2023-08-01 10:00:00"),
        ("10008", "潜水员", "成员", "2023-08-01 10:00:00"),
        ("10009", "核心", "成员", "2023-08-01 10:00:00"),
    ]
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["QQ号", "群名片", "身份", "入群时间"])
        w.writerows(rows)


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("home")
    e = {k: v for k, v in os.environ.items() if not k.startswith(("QUNKIT_", "FORCE_COLOR", "NO_COLOR"))}
    e.update(HOME=str(home), TERM="xterm-256color", COLUMNS="200", QUNKIT_STORE=str(home / "unused-store"),
             PYTHONIOENCODING="utf-8")
    return e


def _check(returncode: int, stdout: str, stderr: str, check_code: int | None) -> None:
    if check_code is not None:
        assert returncode == check_code, (returncode, stdout, stderr)
    assert ANSI not in stdout and ANSI not in stderr                # no colour in pipes
    assert "\r" not in stderr                                        # no progress bars redrawing a line


def run(env: dict, *args: str, check_code: int | None = 0) -> subprocess.CompletedProcess:
    """One qunkit command through CliRunner in ``env`` (stdout/stderr apart, neither a terminal)."""
    res = CliRunner(env=env).invoke(cli, list(args), catch_exceptions=False)
    _check(res.exit_code, res.stdout, res.stderr, check_code)
    return subprocess.CompletedProcess(args, res.exit_code, res.stdout, res.stderr)


@pytest.fixture(scope="module")
def store(env, tmp_path_factory) -> str:
    d = tmp_path_factory.mktemp("data")
    write_export(d / "读书会.txt")
    write_roster(d / "members.csv")
    store = str(d / "store")
    run(env, "import", str(d / "读书会.txt"), "--roster", str(d / "members.csv"), "--store", store)
    return store


def test_import_twice_adds_nothing(env, tmp_path):
    write_export(tmp_path / "export.txt")
    store = str(tmp_path / "store")
    first = json.loads(run(env, "import", str(tmp_path / "export.txt"), "--store", store, "--format", "json").stdout)
    assert [r["added"] for r in first] == [13]
    for extra in ([], ["--force"]):   # unchanged file skipped; forced re-read de-duplicated
        again = json.loads(run(env, "import", str(tmp_path / "export.txt"), "--store", store, "--format", "json",
                               *extra).stdout)
        assert [r["added"] for r in again] == [0]
    groups = json.loads(run(env, "groups", "--store", store, "--format", "json").stdout)
    assert [g["messages"] for g in groups] == [13]


def test_prune_plain_text_in_a_pipe(env, store):
    p = run(env, "prune", "--days", "90", "--store", store)
    lines = p.stdout.splitlines()
    assert lines[0] == "Prune candidates (4)"
    assert lines[1].split() == COLUMNS
    listed = {line.split()[1] for line in lines[2:6]}
    assert listed == {"10004", "10005", "10007", "10009"}
    body = p.stdout
    assert "as of 2024-06-30 22:00 Asia/Shanghai" in body
    assert "4 member(s) in 1 group(s): 4 silent" in body
    assert not any(ch in body for ch in "┃━│─╭╮")                   # no box drawing
    assert p.stderr == ""


def test_prune_rules_end_to_end(env, store):
    rows = json.loads(run(env, "prune", "--days", "90", "--store", store, "--format", "json").stdout)
    by_id = {r["member_id"]: r for r in rows}
    assert set(by_id) == {"10004", "10005", "10007", "10009"}   # not owner/admin, newcomer, answerers, active
    assert list(rows[0]) == COLUMNS
    assert by_id["10005"]["last_spoke"] is None and by_id["10005"]["days_silent"] == 212
    assert by_id["10004"]["last_spoke"] == "2024-02-01T12:00:00+00:00" and by_id["10004"]["messages"] == 2
    assert all(r["reason"] == "silent" for r in rows)
    # the roll call keeps 10008 (2 messages) under --min-messages; 10003 answered too; 10006 is in grace
    few = json.loads(run(env, "prune", "--days", "90", "--min-messages", "5", "--store", store,
                         "--format", "json").stdout)
    assert {r["member_id"] for r in few} == {"10004", "10005", "10007", "10009"}
    graceless = json.loads(run(env, "prune", "--days", "90", "--min-messages", "5", "--grace", "0",
                               "--store", store, "--format", "json").stdout)
    assert {r["member_id"] for r in graceless} == {"10004", "10005", "10006", "10007", "10009"}


def test_prune_csv_is_safe_for_spreadsheets(env, store):
    p = run(env, "prune", "--days", "90", "--store", store, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    assert list(rows[0]) == COLUMNS
    evil = [r for r in rows if r["member_id"] == "10007"][0]
    assert evil["member_name"] == "'" + EVIL
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())
    assert "note: as of 2024-06-30 22:00" in p.stderr                 # notes kept off the CSV stream


def test_keep_file_and_fail_if_any(env, store, tmp_path):
    p = run(env, "prune", "--days", "90", "--store", store, "--fail-if-any", check_code=1)
    assert "Prune candidates (4)" in p.stdout and p.stderr == ""
    keep = tmp_path / "keep.txt"
    keep.write_text("# the core\n10009\n老王\n\n", encoding="utf-8")
    rows = json.loads(run(env, "prune", "--days", "90", "--keep", str(keep), "--store", store, "--format",
                          "json").stdout)
    assert {r["member_id"] for r in rows} == {"10005", "10007"}
    keep.write_text("10004\n10005\n10007\n10009\n", encoding="utf-8")
    p = run(env, "prune", "--days", "90", "--keep", str(keep), "--store", store, "--fail-if-any", check_code=0)
    assert "no one to prune" in p.stdout


def test_quiet_prints_only_results(env, store):
    p = run(env, "prune", "--days", "90", "--store", store, "--quiet")
    assert "note:" not in p.stdout and p.stderr == ""
    assert p.stdout.splitlines()[0] == "Prune candidates (4)" and len(p.stdout.splitlines()) == 6
    p = run(env, "prune", "--days", "90", "--store", store, "--quiet", "--format", "csv")
    assert p.stderr == "" and len(p.stdout.splitlines()) == 5


def test_as_of_replays_the_past(env, store):
    rows = json.loads(run(env, "prune", "--days", "90", "--as-of", "2024-05-01", "--store", store,
                          "--format", "json").stdout)
    # on 1 May: 10004's last message (1 Feb 20:00) was 89 days old
    assert {r["member_id"] for r in rows} == {"10003", "10005", "10007", "10008", "10009"}
    rows = json.loads(run(env, "prune", "--days", "90", "--as-of", "2024-05-02", "--store", store,
                          "--format", "json").stdout)
    # on 2 May: 10008 had not answered yet and was silent since 12 Jan; 10003 never spoke, joined July 2023
    assert {r["member_id"] for r in rows} == {"10003", "10004", "10005", "10007", "10008", "10009"}


def test_announce(env):
    assert run(env, "prune", "--announce").stdout == SEED_ANNOUNCEMENT + "\n"
    out = run(env, "prune", "--announce", "--at", "21:30").stdout
    assert "晚上21:30本群将调整一部分长期潜水不说话的小伙伴,在的请打1" in out
    assert run(env, "prune", "--announce", "--at", "25:99", check_code=2).stdout == ""


def test_rollcall(env, store):
    rows = json.loads(run(env, "rollcall", "--store", store, "--format", "json").stdout)
    assert list(rows[0]) == STATUS_COLUMNS
    answered = {r["member_id"] for r in rows if r["answered"]}
    missing = {r["member_id"] for r in rows if not r["answered"]}
    assert answered == {"10003", "10008"}
    assert missing == {"10002", "10004", "10005", "10006", "10007", "10009"}   # the announcer (owner) is not
    p = run(env, "rollcall", "--store", store, "--only", "missing", "--format", "csv")
    assert len(p.stdout.splitlines()) == 7
    assert "读书会: roll call by 书虫 at 2024-06-29 20:00: 2 answered, 6 did not" in p.stderr
    table = run(env, "rollcall", "--store", store).stdout
    assert table.splitlines()[1].split() == STATUS_COLUMNS
    none = run(env, "rollcall", "--store", store, "--message", "明天开会")
    assert "no roll-call announcement found" in none.stdout


def test_usage_errors_exit_2(env, store):
    for args in (["prune", "--days", "abc"], ["prune", "--window", "soon"], ["prune", "--no-such-flag"],
                 ["prune", "--group", "不存在的群", "--store", store]):
        p = run(env, *args, "--store", store, check_code=2) if "--store" not in args else run(env, *args,
                                                                                               check_code=2)
        assert p.stdout == "" and p.stderr.strip()


def test_bad_input_or_store_exit_3(env, tmp_path):
    empty = str(tmp_path / "empty-store")
    p = run(env, "prune", "--store", empty, check_code=3)
    assert p.stdout == "" and "no messages in scope" in p.stderr
    binary = tmp_path / "x.txt"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    p = run(env, "import", str(binary), "--store", empty, check_code=3)
    assert p.stderr.startswith("qunkit: error:")


def test_help_documents_exit_codes(env):
    for args in (["--help"], ["prune", "--help"]):
        out = run(env, *args).stdout
        assert "0 ok" in out and "2 usage error" in out and "3 bad input" in out


def test_nightly_script(env, tmp_path):
    """examples/nightly.sh, as the crontab line in docs/cron.md runs it: the installed executable, for real."""
    script = Path(__file__).parents[1] / "examples" / "nightly.sh"
    exports, reports = tmp_path / "exports", tmp_path / "reports"
    exports.mkdir()
    write_export(exports / "读书会.txt")
    write_roster(exports / "读书会.roster.csv")
    e = dict(env, QUNKIT_STORE=str(tmp_path / "store"), QUNKIT=_qunkit_exe())

    def nightly() -> subprocess.CompletedProcess:
        p = subprocess.run(["bash", str(script), str(exports), str(reports)], env=e, capture_output=True,
                           text=True, encoding="utf-8", stdin=subprocess.DEVNULL, timeout=300)
        _check(p.returncode, p.stdout, p.stderr, 0)
        assert p.stderr == ""
        return p

    first = nightly()
    prune_csv = [f for f in reports.iterdir() if f.name.startswith("prune-")]
    risk_txt = [f for f in reports.iterdir() if f.name.startswith("risk-")]
    assert len(prune_csv) == 1 and len(risk_txt) == 1
    assert GROUP in risk_txt[0].read_text(encoding="utf-8")
    assert len(prune_csv[0].name) == len("prune-2024-01-01.csv")                 # the date is in the name
    rows = list(csv.DictReader(io.StringIO(prune_csv[0].read_text(encoding="utf-8"))))
    assert {r["member_id"] for r in rows} == {"10004", "10005", "10007", "10009"}
    assert f"4 prune candidate(s) (silent 90+ days or advertisers): {prune_csv[0]}" in first.stdout
    (digest,) = [f for f in reports.iterdir() if f.name.startswith("digest-")]
    assert digest.read_text(encoding="utf-8").startswith(GROUP) and "digest" not in first.stdout
    # the next night: nothing new to import, the same list, nothing stored twice
    nightly()
    groups = json.loads(run(e, "groups", "--format", "json").stdout)
    assert [(g["messages"], g["roster"]) for g in groups] == [(13, True)]
    assert not [f for f in reports.iterdir() if f.name.endswith(".tmp")]
    (night,) = (reports / "imports").iterdir()          # nothing changed on the second night: no new import
    (summary,) = json.loads(night.read_text(encoding="utf-8"))
    assert Path(summary["file"]).name == "读书会.txt" and summary["roster_members"] > 0
    assert summary["skipped_unchanged"] is False and summary["added"] == 13   # the one night it was new


@pytest.mark.parametrize("platform,writer", [("qq", "write_qq_txt"), ("wechat", "write_wechatmsg_csv")])
def test_generated_export_roll_call_end_to_end(env, tmp_path, platform, writer):
    """A generated export with a planted roll call, through import, rollcall and prune."""
    g = generate_group("打卡群", lifecycle="healthy", n_members=120, seed=5, rollcall=True, messages=1500,
                       platform=platform)
    export = getattr(writers, writer)(g, tmp_path / ("export.txt" if platform == "qq" else "export_utf8.csv"))
    roster = writers.write_roster_csv(g, tmp_path / "roster.csv")
    store = str(tmp_path / "store")
    run(env, "import", str(export), "--roster", str(roster), "--store", store, "--quiet")
    rows = json.loads(run(env, "rollcall", "--store", store, "--format", "json").stdout)
    assert {r["member_id"] for r in rows if r["answered"]} == set(g.rollcall["responders"])
    assert {r["announced"] for r in rows} == {g.rollcall["ts"].tz_convert("UTC").isoformat()}
    days = (g.as_of - g.rollcall["ts"]).days + 1        # the roll call falls inside the prune window
    listed = {r["member_id"] for r in json.loads(run(env, "prune", "--days", str(days), "--min-messages", "3",
                                                     "--store", store, "--format", "json").stdout)}
    assert listed and not listed & set(g.rollcall["responders"])
    assert not listed & set(g.roster.loc[g.roster["role"].isin(["owner", "admin"]), "member_id"])
