"""qunkit core: planted starters, answerers and regulars in hand-built groups, the CLI on the bundled
sample and on a real QQ export."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from prune_frames import at, members, messages

from qunkit.analysis.core import core_candidates
from qunkit.analysis.roles import assign_roles
from qunkit.analysis.text_features import compute_features
from qunkit.cli import cli

ROOT = Path(__file__).resolve().parents[1]


def _invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _rows(days: int = 120) -> list[tuple]:
    """Every 10 days: 'A' opens after a long silence and B, C, D answer (taking turns to be first);
    'Z' monologues with no one replying (spaced beyond the reply window)."""
    rows = []
    for d in range(0, days, 10):
        rows.append((at(d, hours=9), "A", "阿甲", f"大家觉得第{d}期的题目怎么样，有什么想法吗？"))
        crowd = [("B", "阿乙"), ("C", "阿丙"), ("D", "阿丁")]
        crowd = crowd[(d // 10) % 3:] + crowd[:(d // 10) % 3]  # a different one answers first each time
        for k, (sid, name) in enumerate(crowd, 1):
            rows.append((at(d, hours=9 + k / 60), sid, name, f"我觉得可以先从基础部分开始看，第{d}期不错"))
        rows.append((at(d, hours=9.1), "A", "阿甲", "好的，那我们周末再细聊"))
        for k in range(3):
            rows.append((at(d + 3, hours=3 + k * 3), "Z", "阿Z", f"自言自语第{d}-{k}条"))
    return rows


def _members(group: str) -> pd.DataFrame:
    return members([{"member_id": i, "member_name": n, "joined": at(-5)}
                    for i, n in (("A", "阿甲"), ("B", "阿乙"), ("C", "阿丙"), ("D", "阿丁"), ("Z", "阿Z"),
                                 ("L", "走了"))] + [{"member_id": "L2", "joined": at(-5), "left": at(50)}],
                   group=group)


def _core(groups=("g1",), top=10, extra=()):
    m = pd.concat([messages(_rows() + list(extra), group=g, group_name=f"群{g}") for g in groups],
                  ignore_index=True)
    mem = pd.concat([_members(g) for g in groups], ignore_index=True)
    as_of = m["ts"].max()
    F = compute_features(m, as_of, members=mem)
    return core_candidates(F, mem, assign_roles(m, mem, as_of, features=F), top=top)


def test_starter_ranks_first_with_figures():
    out = _core()
    assert out.iloc[0]["member_id"] == "A"
    a = out.set_index("member_id").loc["A"]
    assert a["starts"] == 12 and a["repliers"] >= 3 and a["months"] >= 4
    assert a["reason"].startswith("12 discussion(s) started that 3+ others joined")
    z = out.set_index("member_id").loc["Z"] if "Z" in set(out["member_id"]) else None
    assert z is None or (z["starts"] == 0 and z["score"] < a["score"])
    assert list(out["rank"]) == list(range(1, len(out) + 1))
    assert not {"L", "L2"} & set(out["member_id"])
    assert len(_core(top=2)) == 2


def test_members_who_matter_in_several_groups():
    out = _core(groups=("g1", "g2"), top=1)
    assert set(out["member_id"]) == {"A"} and set(out["groups_core"]) == {2}
    assert out.iloc[0]["reason"].endswith("in the top 1 of 2 groups")


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("core") / "store"
    r = _invoke("import", str(ROOT / "samples" / "qq-group-sample.txt"), "--roster",
                str(ROOT / "samples" / "qq-group-sample-roster.csv"), "--store", str(store), "-q")
    assert r.exit_code == 0
    return store


def test_cli_core_on_sample(sample_store):
    rows = json.loads(_invoke("core", "--top", "5", "--store", str(sample_store), "--format", "json").stdout)
    assert [r["rank"] for r in rows] == [1, 2, 3, 4, 5]
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    for r in rows:
        assert r["role"] != "advertiser"
        assert f"replies from {r['repliers']} different people" in r["reason"]
    csv = _invoke("core", "--top", "5", "--store", str(sample_store), "--format", "csv").stdout
    assert csv.splitlines()[0].startswith("group_name,rank,member_id")


def test_real_export(realdata, tmp_path):
    """A real QQ group: the top candidates drew replies from more people than the group's typical speaker."""
    f = realdata / "qq-txt" / "pangjiuzala-wordFinder__all-messages.txt"
    if not f.exists():
        pytest.skip(f"{f.name} not in realdata")
    store = tmp_path / "s"
    assert _invoke("import", str(f), "--store", str(store), "-q").exit_code == 0
    top = json.loads(_invoke("core", "--top", "5", "--store", str(store), "--format", "json").stdout)
    every = json.loads(_invoke("core", "--top", "100000", "--store", str(store), "--format", "json").stdout)
    assert len(top) == 5 and len(every) > 20
    median = pd.Series([r["repliers"] for r in every]).median()
    assert all(r["repliers"] > median for r in top)
    assert all(r["starts"] <= r["messages"] for r in every)
