"""prune --newcomers (newcomer probation) and prune --keep-under (the cap list): planted cases, the CLI,
and one real QQ export."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from prune_frames import at, members, messages

from qunkit.analysis.capacity import cap_list, group_cap
from qunkit.analysis.newcomers import newcomer_candidates
from qunkit.cli import cli
from qunkit.store import Store

ROOT = Path(__file__).resolve().parents[1]
AS_OF = at(10)


def _log(extra=()):
    return messages([(at(0), "100", "群主", "开群"), *extra, (AS_OF, "100", "群主", "晚安")])


def _invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_newcomers_planted():
    m = _log([(at(9.5), "103", "说话的", "大家好"), (at(2), "105", "回流", "旧话")])
    mem = members([{"member_id": "100", "role": "owner", "joined": at(-10)},
                   {"member_id": "101", "joined": at(7)},             # 72 h, silent -> listed
                   {"member_id": "102", "joined": at(9)},             # 24 h -> too soon
                   {"member_id": "103", "joined": at(7)},             # spoke after joining
                   {"member_id": "104", "joined": at(5), "role": "admin"},  # protected
                   {"member_id": "105", "joined": at(6)},             # spoke only before re-joining
                   {"member_id": "106"},                              # join unknown: not judged
                   {"member_id": "107", "joined": at(1), "left": at(3)}])  # gone
    out = newcomer_candidates(m, mem, AS_OF, 48)
    assert sorted(out["member_id"]) == ["101", "105"]
    row = out.set_index("member_id").loc["101"]
    assert row["hours_since_join"] == 72
    assert row["reason"] == "joined 2024-01-08 12:00, 72 h ago, no message since"
    assert out.attrs["unknown_join"] == 1
    assert list(newcomer_candidates(m, mem, AS_OF, 48, keep=["101"])["member_id"]) == ["105"]
    assert sorted(newcomer_candidates(m, mem, AS_OF, 24)["member_id"]) == ["101", "102", "105"]
    with pytest.raises(ValueError):
        newcomer_candidates(m, mem, AS_OF, -1)


def test_group_cap_tiers():
    assert group_cap("wechat", 30) == 500
    assert [group_cap("qq", n) for n in (150, 200, 201, 999, 1500, 5000)] == [200, 200, 500, 1000, 2000, 3000]


def test_cap_list_least_active_first_paced_and_protected():
    rows = [(at(9), "100", "群主", "x")]
    # 110..119 speak i-109 times; 120..124 never spoke; 125 the admin never spoke; 126 a newcomer
    for i in range(110, 120):
        rows += [(at(8, hours=k), str(i), f"m{i}", "hi") for k in range(i - 109)]
    mem = members([{"member_id": "100", "role": "owner", "joined": at(-30)},
                   *({"member_id": str(i), "joined": at(-20, hours=i)} for i in range(110, 125)),
                   {"member_id": "125", "role": "admin", "joined": at(-20)},
                   {"member_id": "126", "joined": at(9)}])
    m = _log(rows)
    out = cap_list(m, mem, AS_OF, margin=2, cap=12, per_day=3, keep=["121"])
    # 18 members, target 10 -> 8 to remove: the 4 never-spoken (not 121 kept), then 110 (1 msg), 111, 112, 113
    assert list(out["member_id"]) == ["120", "122", "123", "124", "110", "111", "112", "113"]
    assert list(out["batch"]) == [1, 1, 1, 2, 2, 2, 3, 3]
    assert set(out["members"]) == {18} and set(out["cap"]) == {12}
    assert out.loc[out["member_id"] == "113", "reason"].item().startswith("4 messages in 90 days, 4 ever, last spoke")
    g = out.attrs["groups"][0]
    assert (g["to_remove"], g["listed"]) == (8, 8)
    # a cap the group is far below: nothing to remove
    assert cap_list(m, mem, AS_OF, margin=2, cap=500).empty
    # more to remove than may be removed: all eligible listed, the summary says how many were wanted
    small = cap_list(m, mem, AS_OF, margin=0, cap=1)
    assert small.attrs["groups"][0]["to_remove"] == 17
    assert len(small) == 15 and not {"100", "125", "126"} & set(small["member_id"])


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("ops") / "store"
    r = _invoke("import", str(ROOT / "samples" / "qq-group-sample.txt"), "--roster",
                str(ROOT / "samples" / "qq-group-sample-roster.csv"), "--store", str(store), "-q")
    assert r.exit_code == 0, r.output
    return store


def _truth(store: Path):
    st = Store(store)
    msgs = st.messages()
    return msgs, st.members(messages=msgs)


def test_cli_newcomers_on_sample(sample_store):
    r = _invoke("prune", "--newcomers", "48", "--store", str(sample_store), "--format", "json")
    assert r.exit_code == 0
    rows = json.loads(r.stdout)
    assert rows
    msgs, mem = _truth(sample_store)
    as_of = msgs["ts"].max()
    spoke = msgs[msgs["sender_id"] != "system"].groupby("sender_id", observed=True)["ts"].max()
    for row in rows:
        joined = pd.Timestamp(row["joined"])
        assert as_of - joined >= pd.Timedelta(hours=48)
        last = spoke.get(row["member_id"])
        assert last is None or last < joined
    r = _invoke("prune", "--newcomers", "48", "--store", str(sample_store), "--fail-if-any", "-q")
    assert r.exit_code == 1
    r = _invoke("prune", "--newcomers", "48", "--keep-under", "5", "--store", str(sample_store))
    assert r.exit_code == 2 and "separate" in r.output


def test_cli_keep_under_on_sample(sample_store):
    r = _invoke("prune", "--keep-under", "20", "--cap", "60", "--per-day", "4", "--store", str(sample_store),
                "--format", "csv")
    assert r.exit_code == 0
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("group_name,batch,member_id")
    rows = json.loads(_invoke("prune", "--keep-under", "20", "--cap", "60", "--per-day", "4", "--store",
                              str(sample_store), "--format", "json").stdout)
    size = rows[0]["members"]
    assert len(rows) == len(lines) - 1 == max(0, size - 40)
    assert [r["batch"] for r in rows] == [i // 4 + 1 for i in range(len(rows))]
    msgs, mem = _truth(sample_store)
    protected = set(mem.loc[mem["role"].isin(["owner", "admin"]), "member_id"])
    assert protected and not protected & {r["member_id"] for r in rows}
    table = _invoke("prune", "--keep-under", "20", "--cap", "60", "--store", str(sample_store)).stdout
    assert "at most 20 a day" in table and "cap 60" in table


def test_real_qq_export(realdata, tmp_path):
    """A real QQ export (join lines, no roster): every newcomer listed has a join time at least 48 h
    back and no message after it; the cap list under an artificial cap lists no more than the excess."""
    f = realdata / "qq-txt" / "Times125-QQ_Chat_Records_Analyse__test-test.txt"
    if not f.exists():
        pytest.skip(f"{f.name} not in realdata")
    store = tmp_path / "s"
    assert _invoke("import", str(f), "--store", str(store), "-q").exit_code == 0
    msgs, mem = _truth(store)
    as_of = msgs["ts"].max()
    out = newcomer_candidates(msgs, mem, as_of, 48)
    assert len(out) > 0
    spoke = msgs[msgs["sender_id"] != "system"].groupby(["group_id", "sender_id"], observed=True)["ts"].max()
    for r in out.itertuples():
        assert as_of - r.joined >= pd.Timedelta(hours=48)
    joined = mem.set_index(["group_id", "member_id"])["joined"]
    listed = set(out["member_id"])
    for (g, s), last in spoke.items():
        if s in listed:
            assert last < joined.loc[(g, s)]
    rows = json.loads(_invoke("prune", "--keep-under", "0", "--cap", "10", "--store", str(store),
                              "--format", "json").stdout)
    size = rows[0]["members"] if rows else 0
    assert len(rows) <= max(0, size - 10)
