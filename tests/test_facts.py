"""Facts at import, the aggregates beside them, staleness, ``qunkit rebuild`` and doctor's report of it.

Checked against the messages themselves (through ``Store.messages``) rather than restated figures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from test_store import msgs, qq_export, write

import qunkit.engine
from qunkit.cli import cli
from qunkit.derived import enable, enabled
from qunkit.facts import FACTS_VERSION
from qunkit.generate import generate_group, write_qq_txt
from qunkit.ingest import attach_roster, import_file
from qunkit.store import Store


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("facts")
    groups = [generate_group("读书会", n_members=40, seed=3, messages=1500),
              generate_group("跑步群", n_members=30, seed=4, messages=900)]
    export = write_qq_txt(groups, root / "all.txt")
    assert run("import", export, "--facts", "--store", root / "s", "-q").exit_code == 0
    return root / "s"


def keeping(root: Path) -> Store:
    """A store that keeps facts (as after a first ``qunkit rebuild``)."""
    s = Store(root)
    with s.lock():
        enable(s)
    return s


def test_every_message_has_its_facts_and_reply_links_point_backwards(store: Path) -> None:
    s = Store(store)
    for key in s.metas():
        m = s.messages([key]).sort_values(["ts", "source_line"], kind="stable")
        f = s.facts([key])
        assert sorted(f["msg_key"]) == sorted(m["msg_key"]) and (f["group_key"] == key).all()
        ts = dict(zip(m["msg_key"], m["ts"], strict=True))
        linked = f[f["reply_to"].notna()]
        assert len(linked) > 20
        assert linked["reply_to"].astype("uint64").map(ts).le(linked["ts"]).all()     # never a later message
        assert set(linked["reply_evidence"]) <= {"quote", "mention", "addressed_name", "turn_taking", "timing"}
        sender = dict(zip(m["msg_key"], m["sender_id"].astype(str), strict=True))
        assert (linked["reply_to"].astype("uint64").map(sender) == linked["reply_to_member"]).all()
        system = m["kind"].isin(["system", "recall"]) | m["event"].notna() | (m["sender_id"] == "system")
        assert f.set_index("msg_key").loc[m["msg_key"], "is_system"].to_numpy().tolist() == system.tolist()


def test_mentions_are_resolved_to_member_ids(store: Path) -> None:
    s = Store(store)
    facts, members = s.facts(), s.members()
    mentioned = facts["mentions"].dropna().explode().dropna()
    assert len(mentioned) > 10
    ids = set(members["member_id"])
    named = {n for names in members["names"] for n in names} - ids
    assert mentioned.isin(ids | {"@all"}).mean() > 0.5     # names no member is known by stay as written
    assert not mentioned.isin(named).any()                 # no mention left under a name a member is known by


def test_aggregates_add_up_to_the_facts(store: Path) -> None:
    s = Store(store)
    for key in s.metas():
        f = s.facts([key])
        spoken = f[~f["is_system"]]
        md = s.read_table("member_day", [key]).to_pandas()
        gd = s.read_table("group_day", [key]).to_pandas()
        assert md["messages"].sum() == gd["messages"].sum() == len(spoken)
        assert md["replies_given"].sum() == md["replies_received"].sum()
        act_cols = [c for c in md.columns if c.startswith("act_")]
        assert (md[act_cols].sum(axis=1) == md["messages"]).all()
        assert gd["joins"].sum() == (f["event"] == "join").sum()
        assert gd["leaves"].sum() == f["event"].isin(["leave", "kick"]).sum()
        per_day = spoken.groupby("day")["member_id"].nunique()
        assert gd.set_index("day").loc[per_day.index, "speakers"].tolist() == per_day.tolist()
        assert gd["replied_share"].between(0, 1).all() and gd["replied_share"].max() > 0


def test_an_import_recomputes_only_the_groups_it_changed(tmp_path: Path) -> None:
    s = keeping(tmp_path / "s")
    import_file(s, write(tmp_path / "a.txt", qq_export("甲群", msgs(1, 5))))
    import_file(s, write(tmp_path / "b.txt", qq_export("乙群", msgs(1, 4))))
    a, b = s.resolve_group("甲群"), s.resolve_group("乙群")
    before = (s.table_dir("facts", b) / "facts.parquet").stat().st_mtime_ns
    import_file(s, write(tmp_path / "c.txt", qq_export("甲群", msgs(2, 3))))
    assert (s.table_dir("facts", b) / "facts.parquet").stat().st_mtime_ns == before
    assert len(s.facts([a])) == 8 and s.derived_stamp(a)["messages"] == 8


def test_a_new_facts_version_is_reported_by_doctor_and_fixed_by_rebuild(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    s = keeping(tmp_path / "s")
    import_file(s, write(tmp_path / "a.txt", qq_export("甲群", msgs(1, 5))))
    import_file(s, write(tmp_path / "b.txt", qq_export("乙群", msgs(1, 4))))
    assert run("doctor", "--store", s.root).exit_code == 0
    monkeypatch.setattr("qunkit.facts.FACTS_VERSION", 999)
    res = run("doctor", "--store", s.root, "--format", "json")
    assert res.exit_code == 3
    assert sorted(f["group"] for f in json.loads(res.stdout) if "stale" in f["problem"]) == ["乙群", "甲群"]
    one = run("rebuild", "--store", s.root, "--group", "甲群", "--format", "json")
    assert one.exit_code == 0 and [r["status"] for r in json.loads(one.stdout)] == ["rebuilt"]
    assert f"facts version {FACTS_VERSION}" in json.loads(one.stdout)[0]["reason"]
    rest = json.loads(run("rebuild", "--store", s.root, "--format", "json").stdout)
    assert {r["group_name"]: r["status"] for r in rest} == {"甲群": "fresh", "乙群": "rebuilt"}
    assert run("doctor", "--store", s.root).exit_code == 0


def test_a_changed_lexicon_or_roster_makes_facts_stale_until_recomputed(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    s = keeping(tmp_path / "s")
    import_file(s, write(tmp_path / "a.txt", qq_export("甲群", msgs(1, 5))))
    key = s.resolve_group("甲群")
    monkeypatch.setattr("qunkit.facts.lexicon_hash", lambda: "another")
    res = json.loads(run("rebuild", "--store", s.root, "--format", "json").stdout)
    assert res[0]["status"] == "rebuilt" and "lexicons changed" in res[0]["reason"]
    roster = write(tmp_path / "r.csv", "QQ号,群昵称,身份\n20010,成员零,群主\n20011,成员一,成员\n99999,新人,成员\n")
    attach_roster(s, roster, "甲群")          # attaching recomputes the group's members and facts
    members = s.read_table("members", [key]).to_pandas()
    assert "99999" in set(members["member_id"]) and s.derived_stamp(key)["roster"] == s.roster_digest(key)
    assert run("doctor", "--store", s.root).exit_code == 0


def test_derived_tables_are_plain_hive_datasets(store: Path) -> None:
    facts = pd.read_parquet(store / "facts")
    assert len(facts) == len(Store(store).messages()) and facts["group_key"].nunique() == 2
    member_day = pd.read_parquet(store / "member_day")
    assert member_day["messages"].sum() == (~facts["is_system"]).sum()


def test_a_store_that_never_asked_keeps_no_facts_until_rebuild(tmp_path: Path) -> None:
    s = Store(tmp_path / "s")
    import_file(s, write(tmp_path / "a.txt", qq_export("甲群", msgs(1, 5))))
    assert not enabled(s) and s.table_keys("facts") == []
    res = run("sql", "SELECT count(*) AS n FROM facts", "--store", tmp_path / "s", "--format", "json")
    assert res.exit_code == 0 and json.loads(res.stdout) == [{"n": 0}]
    assert "qunkit rebuild" in res.stderr
    assert run("rebuild", "--store", tmp_path / "s", "-q").exit_code == 0
    assert enabled(Store(tmp_path / "s")) and len(Store(tmp_path / "s").facts()) == 5
    import_file(Store(tmp_path / "s"), write(tmp_path / "b.txt", qq_export("甲群", msgs(2, 3))))
    assert len(Store(tmp_path / "s").facts()) == 8     # from the first rebuild on, imports keep them fresh


def test_rebuild_in_a_pool_writes_the_tables_one_process_writes(store: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """``rebuild --jobs 2`` runs the groups in worker processes (the pool threshold lowered so that two
    small groups use it); every derived table equals the one ``--jobs 1`` wrote, row for row."""
    monkeypatch.setattr(qunkit.engine, "POOL_MIN_ROWS", 0)
    used = []
    real = qunkit.engine._pool_map
    monkeypatch.setattr(qunkit.engine, "_pool_map", lambda *a, **k: used.append(1) or real(*a, **k))
    copies = {}
    for jobs in ("1", "2"):
        root = tmp_path / f"jobs{jobs}"
        shutil.copytree(store, root)
        res = run("rebuild", "--store", root, "--force", "--jobs", jobs, "--format", "json")
        assert res.exit_code == 0, res.output
        assert sorted(r["group_name"] for r in json.loads(res.stdout) if r["status"] == "rebuilt") == ["读书会", "跑步群"]
        copies[jobs] = {t: Store(root).read_table(t, Store(root).keys_for()).to_pandas()
                        for t in ("facts", "members", "member_day", "group_day", "risk_weekly")}
    assert used == [1]                       # the pool ran once: for --jobs 2
    for table, frame in copies["1"].items():
        pd.testing.assert_frame_equal(copies["2"][table], frame, obj=table)
    assert run("doctor", "--store", tmp_path / "jobs2").exit_code == 0
