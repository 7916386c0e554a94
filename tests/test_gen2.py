"""benchmarks/gen2, the independent second generator: deterministic, importable by qunkit, truth complete."""

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from qunkit.cli import cli
from qunkit.store import Store

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import gen2  # noqa: E402

N, MSGS = 10, 200   # every life cycle at least once (largest-remainder shares of 10)


@pytest.fixture(scope="module")
def groups():
    return gen2.generate_corpus(N, seed=5, messages_per_group=MSGS)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_every_life_cycle_and_role_is_planted(groups):
    assert {g.lifecycle for g in groups} == set(gen2.life.LIFECYCLES)
    roles = {m.role for g in groups for m in g.members}
    assert roles == {"organizer", "thinker", "joker", "asker", "challenger", "lurker", "advertiser"}
    life = pd.DataFrame([g.truth_life for g in groups])
    assert life["dead_within_30d"].any() and not life["dead_within_30d"].all()
    assert not life.loc[life["lifecycle"].isin(["healthy", "holiday_lull"]), "dead_within_30d"].any()


@pytest.mark.parametrize("layout", gen2.LAYOUTS)
def test_deterministic_per_seed(tmp_path, groups, layout):
    again = gen2.generate_corpus(N, seed=5, messages_per_group=MSGS)
    other = gen2.generate_corpus(N, seed=6, messages_per_group=MSGS)
    a, b, c = (tmp_path / x for x in "abc")
    gen2.write_corpus(groups, a, layout)
    gen2.write_corpus(again, b, layout)
    gen2.write_corpus(other, c, layout)
    assert _files(a) == _files(b)
    assert _files(a) != _files(c)


@pytest.mark.parametrize("layout", gen2.LAYOUTS)
def test_qunkit_imports_every_line_and_truth_covers_every_speaker(tmp_path, groups, layout):
    rows, truth_files = gen2.write_corpus(groups, tmp_path / "corpus", layout)
    store_dir = tmp_path / "store"
    runner = CliRunner()
    for row in rows:
        res = runner.invoke(cli, ["import", row["export"], "--roster", row["roster_file"], "--store",
                                   str(store_dir), "--format", "json", "--quiet"])
        assert res.exit_code == 0, res.output
        out = json.loads(res.stdout)
        report = out[0] if isinstance(out, list) else out["rows"][0]
        assert report["bad_lines"] == 0, report
        assert report["messages"] == row["messages"], report   # every exported message (and system line) parsed
        assert report["roster_members"] == row["roster"], report
        assert not report["roster_issues"], report
    store = Store(store_dir)
    messages = store.messages()
    assert len(messages) == sum(r["messages"] for r in rows)
    truth = pd.read_csv(truth_files[0], dtype={"group_id": str, "member_id": str})
    spoke = messages.loc[messages["sender_id"] != "system", ["group_name", "sender_id"]].drop_duplicates()
    known = set(zip(truth["group_name"], truth["member_id"], strict=True))
    missing = [k for k in zip(spoke["group_name"], spoke["sender_id"], strict=True) if k not in known]
    assert not missing
    counted = truth.groupby(["group_name", "member_id"])["n_messages"].sum()
    seen = messages[messages["sender_id"] != "system"].groupby(["group_name", "sender_id"]).size()
    seen.index.names = counted.index.names
    assert (counted.reindex(seen.index) == seen).all()   # truth's message counts are what qunkit read
    silent = truth["n_messages"] == 0
    assert (truth.loc[silent, "observable"] == "lurker").all()
    assert (truth.loc[~silent, "observable"] == truth.loc[~silent, "role"]).all()


def test_trivial_posters_and_recruiters_are_in_the_truth(groups):
    truth = pd.concat([g.truth_roles for g in groups], ignore_index=True)
    noise = truth[truth["noise"]]
    assert (noise["role"] == "lurker").all() and (noise["n_messages"] > 0).any()
    ads = [m.text for g in groups for m in g.exported() if m.sender is not None and m.sender.recruiter]
    assert any(t.startswith("欢迎加入") for t in ads)
