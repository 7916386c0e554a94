"""qunkit activity / roles / risk through click's CliRunner, on generated QQ exports in a real store."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from qunkit import generate as gen
from qunkit.analysis.roles import ROLES
from qunkit.cli import cli
from qunkit.generate.writers import write_qq_txt, write_roster_csv

LIFECYCLES = ["healthy", "dead", "dying"]


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("cli-analysis")
    store = str(tmp / "store")
    names = {}
    for i, lc in enumerate(LIFECYCLES):
        g = gen.generate_group(f"{lc}群", lifecycle=lc, n_members=60, seed=200 + i, messages=700)
        txt = write_qq_txt(g, tmp / f"g{i}.txt")
        args = ["import", str(txt), "--store", store, "--quiet"]
        if lc != "dying":                       # one group without a roster
            args += ["--roster", str(write_roster_csv(g, tmp / f"g{i}.csv"))]
        res = run(*args)
        assert res.exit_code == 0, res.output
        names[lc] = g.name
    return {"store": store, "names": names}


def test_risk_json_is_ranked_with_reasons_and_features(store):
    res = run("risk", "--store", store["store"], "--format", "json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [d["score"] for d in data] == sorted((d["score"] for d in data), reverse=True)
    assert {"group_name", "score", "level", "reasons", "features"} <= set(data[0])
    by = {d["group_name"]: d for d in data}
    dead = by[store["names"]["dead"]]
    assert dead["level"] == "dead" and data[0]["group_name"] == dead["group_name"]
    assert dead["reasons"][0].startswith("no message with content for")
    assert isinstance(dead["features"]["days_silent"], (int, float))
    assert by[store["names"]["healthy"]]["level"] == "healthy"
    assert "note: as of" in res.stderr            # notes never pollute the JSON stream


def test_risk_fail_above_exits_one_for_cron(store):
    scores = [d["score"] for d in json.loads(run("risk", "--store", store["store"], "--format", "json").stdout)]
    hit = run("risk", "--store", store["store"], "--fail-above", "90", "--quiet")
    assert hit.exit_code == 1 and max(scores) >= 90
    assert "note:" not in hit.output
    calm = run("risk", "--store", store["store"], "--group", store["names"]["healthy"], "--fail-above", "50")
    assert calm.exit_code == 0, calm.output
    bad = run("risk", "--store", store["store"], "--fail-above", "101")
    assert bad.exit_code == 2


def test_risk_as_of_replays_an_earlier_moment(store):
    dead = store["names"]["dead"]
    now = json.loads(run("risk", "--store", store["store"], "--group", dead, "--format", "json").stdout)[0]
    silent_days = now["features"]["days_silent"]
    [row] = [g for g in json.loads(run("groups", "--store", store["store"], "--format", "json").stdout)
             if g["group_name"] == dead]
    first, last = pd.Timestamp(row["first"]), pd.Timestamp(row["last"])
    middle = (first + (last - first) / 2).isoformat()   # a moment inside the group's own history
    earlier = run("risk", "--store", store["store"], "--group", dead, "--format", "json", "--as-of", middle)
    assert earlier.exit_code == 0, earlier.output
    past = json.loads(earlier.stdout)[0]
    assert past["features"]["days_silent"] < silent_days


def test_roles_json_shape_and_filters(store):
    res = run("roles", "--store", store["store"], "--format", "json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert {"group_name", "member_id", "member_name", "role", "messages", "scores", "reasons"} <= set(data[0])
    assert {d["role"] for d in data} <= set(ROLES)
    assert all(set(d["scores"]) == set(ROLES) and 2 <= len(d["reasons"]) <= 3 for d in data)
    assert "organizer" in {d["role"] for d in data}
    # the group imported without a roster is named in a note on stderr
    assert "no member roster for " + store["names"]["dying"] in res.stderr
    askers = json.loads(run("roles", "--store", store["store"], "--format", "json", "--role", "asker").stdout)
    assert askers and {d["role"] for d in askers} == {"asker"}
    talkers = json.loads(run("roles", "--store", store["store"], "--format", "json", "--hide-lurkers").stdout)
    assert "lurker" not in {d["role"] for d in talkers} and len(talkers) < len(data)


def test_roles_table_and_csv(store):
    table = run("roles", "--store", store["store"], "--group", store["names"]["healthy"], "--hide-lurkers")
    assert table.exit_code == 0
    lines = table.output.splitlines()
    assert lines[0].startswith("Member roles (")
    assert lines[1].split()[:4] == ["group_name", "member_name", "member_id", "role"]
    assert any(line.startswith("note: ") and "organizer" in line for line in lines)
    csv_out = run("roles", "--store", store["store"], "--format", "csv", "--quiet").stdout
    assert csv_out.splitlines()[0] == "group_id,group_name,member_id,member_name,role,messages,scores,reasons,present"


def test_roles_user_lexicon_and_bad_lexicon(store, tmp_path: Path):
    words = tmp_path / "words.txt"
    words.write_text("[question]\n咋整\n", encoding="utf-8")
    assert run("roles", "--store", store["store"], "--lexicon", str(words), "--format", "json").exit_code == 0
    bad = tmp_path / "bad.txt"
    bad.write_text("[nonsense]\nx\n", encoding="utf-8")
    res = run("roles", "--store", store["store"], "--lexicon", str(bad))
    assert res.exit_code == 3 and "unknown lexicon category" in res.stderr
    missing = run("roles", "--store", store["store"], "--lexicon", str(tmp_path / "nope.txt"))
    assert missing.exit_code == 2


def test_activity_json_and_benchmarks(store):
    res = run("activity", "--store", store["store"], "--by", "month", "--format", "json")
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    keys = {"group_name", "period", "messages", "speakers", "members", "active_rate", "new_members", "leavers",
            "messages_per_speaker", "top1_share", "top5_share", "gini", "reply_share", "median_reply_s",
            "noise_share", "hours", "weekdays", "tz", "size_class", "benchmark_active_low"}
    assert keys <= set(rows[0])
    no_roster = [r for r in rows if r["group_name"] == store["names"]["dying"]]
    assert no_roster and all(r["members"] is None and r["active_rate"] is None for r in no_roster)
    with_roster = [r for r in rows if r["group_name"] == store["names"]["healthy"]]
    assert all(r["members"] > 0 for r in with_roster)
    assert all(len(r["hours"]) == 24 and len(r["weekdays"]) == 7 for r in rows)


def test_activity_table_prints_benchmarks_beside_groups(store):
    res = run("activity", "--store", store["store"], "--by", "month", "--group", store["names"]["healthy"])
    assert res.exit_code == 0
    assert res.output.startswith("Activity by month")
    notes = [line for line in res.output.splitlines() if line.startswith("note: ")]
    assert any(store["names"]["healthy"] + ":" in n and "%" in n for n in notes)


def test_empty_store_is_a_clear_error(tmp_path: Path):
    for cmd in ("activity", "roles", "risk"):
        res = run(cmd, "--store", str(tmp_path / "empty"))
        assert res.exit_code == 3 and "no messages in scope" in res.stderr
