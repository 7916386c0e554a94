"""接龙 sign-up chains: planted chains in hand-built frames, a generated QQ export through the CLI,
and a real QQ export whose numbered, forwarded notices must not count as chains."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import qq_export_file
from prune_frames import at, members, messages

from qunkit.analysis.signups import entry_name, find_chains, parse_chain, signup_status
from qunkit.cli import cli

V1 = "#接龙\n周六爬山\n1. 张三"
V2 = V1 + "\n2. 李四 +1"
V3 = V2 + "\n3. 王五(带娃)"


def _invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_parse_chain_and_entry_name():
    assert parse_chain(V3) == ("周六爬山", ["张三", "李四 +1", "王五(带娃)"])
    assert parse_chain("群规\n1. 不发广告") is None                  # one item, no 接龙: not a chain
    assert parse_chain("1. a\n3. b") is None                        # does not count up from 1
    assert parse_chain("接龙：\n1. 甲\n2. 乙")[0] == "接龙"            # no title: named 接龙
    # a numbered notice and a numbered explanation (接龙 only inside an entry) are not sign-ups
    assert parse_chain("【群公告】请遵守以下规定：\n1. 不发广告\n2. 不刷屏") is None
    assert parse_chain("总结一下\n1. 先把字体搞明白，再去折腾图标，别本末倒置。\n2. 接龙的事情下次再说，今天先讲清楚排版") is None
    assert [entry_name(e) for e in ("李四 +1", "王五(带娃)", "赵六 x2", "  钱七  备注")] == ["李四", "王五", "赵六", "钱七"]


def _group():
    m = messages([(at(0), "100", "群主", "开群"), (at(1), "101", "张三", V1), (at(1.1), "102", "李四", V2),
                  (at(1.2), "103", "小王", V3), (at(1.3), "101", "张三", "好"),
                  # a numbered notice re-posted unchanged by someone else: not a chain
                  (at(2), "100", "群主", "群规\n1. 不发广告\n2. 不刷屏"), (at(2.1), "102", "李四", "群规\n1. 不发广告\n2. 不刷屏"),
                  # the same title 30 days later: a new chain
                  (at(31), "104", "赵六", "#接龙\n周六爬山\n1. 赵六"), (at(32), "100", "群主", "ok")])
    mem = members([{"member_id": "100", "member_name": "群主", "role": "owner", "joined": at(-10)},
                   {"member_id": "101", "member_name": "张三", "joined": at(-8)},
                   {"member_id": "102", "member_name": "李四", "joined": at(-8)},
                   {"member_id": "103", "member_name": "小王", "joined": at(-8)},
                   {"member_id": "104", "member_name": "赵六", "joined": at(-8)},
                   {"member_id": "105", "member_name": "走了", "joined": at(-8), "left": at(0.5)}])
    return m, mem


def test_chains_versions_and_attribution():
    m, mem = _group()
    chains, versions = find_chains(m)
    assert list(chains["versions"]) == [3, 1] and list(chains["entries"]) == [3, 1]
    st = signup_status(mem, chains, versions, latest_only=False)
    first = st[st["chain"] == chains["chain"].iloc[0]].set_index("member_id")
    assert first.loc[first["signed"], "matched_by"].to_dict() == {"101": "name", "102": "name", "103": "poster"}
    assert first.loc["103", "entry"] == 3
    assert sorted(first.index[~first["signed"]]) == ["100", "104"]  # 105 had left
    latest = signup_status(mem, chains, versions)
    assert sorted(latest.loc[latest["signed"], "member_id"]) == ["104"]
    # as of before the second chain, only the first exists
    assert len(find_chains(m, as_of=at(10))[0]) == 1


def _qq_export(path: Path) -> Path:
    """A small QQ .txt export with one 接龙 re-posted by three members."""
    msgs = [("2024-05-01 09:00:00", "老张", "10001", "早"), ("2024-05-01 09:05:00", "小红", "10002", V1),
            ("2024-05-01 09:10:00", "阿李", "10003", V2.replace("张三", "小红").replace("李四", "阿李")),
            ("2024-05-01 09:20:00", "阿明", "10004", "收到"), ("2024-05-01 09:30:00", "老张", "10001", "周六见")]
    return qq_export_file(path, "爬山群", "".join(f"{ts} {name}({qq})\n{text}\n\n" for ts, name, qq, text in msgs),
                        encoding="utf-8")


def test_cli_signups(tmp_path):
    f = _qq_export(tmp_path / "爬山群.txt")
    store = tmp_path / "store"
    assert _invoke("import", str(f), "--store", str(store), "-q").exit_code == 0
    rows = json.loads(_invoke("signups", "--store", str(store), "--format", "json").stdout)
    signed = {r["member_id"]: r["entry"] for r in rows if r["signed"]}
    assert signed == {"10002": 1, "10003": 2}
    assert sorted(r["member_id"] for r in rows if not r["signed"]) == ["10001", "10004"]
    missing = json.loads(_invoke("signups", "--only", "missing", "--store", str(store), "--format", "json").stdout)
    assert {r["member_id"] for r in missing} == {"10001", "10004"}
    table = _invoke("signups", "--store", str(store)).stdout
    assert "2 version(s)" in table and "2 member(s) signed, 2 did not" in table
    none = _invoke("signups", "--until", "2024-05-01 09:01", "--store", str(store)).stdout
    assert "no 接龙 found" in none


def test_real_export_forwarded_notices_are_not_chains(realdata, tmp_path):
    """A real QQ group where numbered job notices are forwarded unchanged by several members: no chain."""
    f = realdata / "qq-txt" / "pangjiuzala-wordFinder__all-messages.txt"
    if not f.exists():
        pytest.skip(f"{f.name} not in realdata")
    store = tmp_path / "s"
    assert _invoke("import", str(f), "--store", str(store), "-q").exit_code == 0
    rows = json.loads(_invoke("signups", "--all", "--store", str(store), "--format", "json").stdout)
    assert rows == []
