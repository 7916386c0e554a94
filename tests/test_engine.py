"""The group-by-group engine gives the rows the all-groups functions give, with every engine.

The reference is the all-at-once path (every scoped message in one frame, the
analysis functions called once); the engine reads one group per task.  Both run
on one multi-group generated store (operators and spam accounts shared between
groups, rosters, several life cycles).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import qunkit.engine as engine_mod
from qunkit.analysis.activity import activity as activity_all
from qunkit.analysis.grouptype import group_types
from qunkit.analysis.overview import overview
from qunkit.analysis.prune import prune_candidates
from qunkit.analysis.risk import group_risk
from qunkit.analysis.roles import assign_roles
from qunkit.analysis.scope import Scope, parse_when
from qunkit.analysis.split import split_advice
from qunkit.analysis.text_features import compute_features
from qunkit.cli import cli
from qunkit.commands import analysis as cmd
from qunkit.commands.analyze import analyze, current_roles, group_document
from qunkit.commands.digest import KEYWORD_BUDGET as DIGEST_BUDGET
from qunkit.commands.digest import digest, digest_group
from qunkit.commands.groups import groups
from qunkit.commands.loading import load_scope
from qunkit.commands.prune import prune
from qunkit.commands.report import KEYWORD_BUDGET, report, report_group
from qunkit.engine import Engine, GroupInput
from qunkit.errors import StoreError
from qunkit.generate import generate_corpus
from qunkit.generate.files import write_corpus
from qunkit.ingest import import_file
from qunkit.report.sections import render_report
from qunkit.store import Store

SERIAL = Engine(jobs=1)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    root = tmp_path_factory.mktemp("engine")
    groups = generate_corpus(10, seed=5, messages_per_group=500)
    rows, _ = write_corpus(groups, root, "qq-txt")
    st = Store(root / "store")
    for i, row in enumerate(rows):     # two groups without a roster: the no-roster paths too
        import_file(st, row["export"], roster=row["roster_file"] if i % 5 else None, roster_group=row["group"])
    return st


BATCHES = {"one group per task": 0, "batches of ~3 groups": 1500, "default batches": None}


@pytest.fixture(params=list(BATCHES.values()), ids=list(BATCHES))
def batch_rows(request, monkeypatch) -> int:
    """A comparison with the per-group tasks unbatched, in small batches and in the default ones (all three
    unless ``batched`` or ``scoped`` picks)."""
    if request.param is not None:
        monkeypatch.setattr(engine_mod, "BATCH_ROWS", request.param)
    return engine_mod.BATCH_ROWS


def batched(*names: str):
    """Only these batch sizes: unbatched tasks cost ~0.4 s of fixed work per group, so the slow ones run
    where they add a case, not for every command."""
    return pytest.mark.parametrize("batch_rows", [BATCHES[n] for n in names], ids=list(names), indirect=True)


def scoped(*cases: tuple[str, str]):
    """These (scope, batch size) pairs: each scope and each batch size at least once, not their cross product."""
    return pytest.mark.parametrize("scope,batch_rows", [(SCOPES[s], BATCHES[b]) for s, b in cases],
                                   ids=[f"{b}-{s}" for s, b in cases], indirect=["batch_rows"])


SCOPES = {
    "all": Scope(),
    "as-of mid-history": Scope(as_of=parse_when("2024-02-20 12:00", "Asia/Shanghai")),
    "since + until": Scope(since=parse_when("2024-01-10", "UTC"), until=parse_when("2024-03-10", "UTC")),
}


def _all_at_once(store: Store, scope: Scope):
    messages, members, as_of = load_scope(store, scope)
    return messages, members, as_of, compute_features(messages, as_of, members=members)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Every row and value equal (string columns compared as text: one group's categories are not all groups')."""
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b) and len(a) > 0
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    for c in a.columns:
        if isinstance(a[c].dtype, pd.CategoricalDtype) or isinstance(b[c].dtype, pd.CategoricalDtype):
            a[c], b[c] = a[c].astype(object), b[c].astype(object)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


@scoped(("all", "one group per task"), ("all", "default batches"), *((s, "batches of ~3 groups") for s in SCOPES))
def test_risk_roles_activity_match_all_at_once(store, scope, batch_rows) -> None:  # noqa: ARG001 (sets BATCH_ROWS)
    messages, members, as_of, F = _all_at_once(store, scope)
    risk = cmd.risk(store, scope, engine=SERIAL)
    _same(risk.rows, cmd.with_group_type(group_risk(messages, members, as_of, features=F), group_types(messages, F)))
    assert len(risk.rows) >= 8
    roles = cmd.roles(store, scope, engine=SERIAL)
    _same(roles.rows, assign_roles(messages, members, as_of, features=F))
    act = cmd.activity(store, scope, engine=SERIAL)
    ref = activity_all(messages, members, as_of, features=F)
    _same(act.rows[list(ref.columns)], ref)


@scoped(("all", "one group per task"), ("all", "default batches"), ("all", "batches of ~3 groups"),
        ("as-of mid-history", "batches of ~3 groups"))
def test_prune_matches_all_at_once(store, scope, batch_rows) -> None:  # noqa: ARG001 (sets BATCH_ROWS)
    messages, members, as_of, _ = _all_at_once(store, scope)
    ref = prune_candidates(messages, members, assign_roles(messages, members, as_of), as_of, 30, min_messages=5)
    got = prune(store, scope, days=30, min_messages=5, engine=SERIAL)
    _same(got.rows, ref)
    no_roster = next(n for n in got.notes if getattr(n, "text", None) or "".startswith("no member roster"))
    assert list(no_roster.items) == ref.attrs["no_roster"] and len(ref.attrs["no_roster"]) == 2


@pytest.mark.usefixtures("batch_rows")
def test_analyze_matches_all_at_once(store) -> None:
    messages, members, as_of, F = _all_at_once(store, Scope())
    roles = current_roles(assign_roles(messages, members, as_of, features=F))
    risk_by = {r["group_id"]: r for r in group_risk(messages, members, as_of, features=F).to_dict("records")}
    type_by = {t["group_id"]: t for t in group_types(messages, F).to_dict("records")}
    advice = split_advice(F, members)
    split_by = {gid: a.drop(columns=["group_id", "group_name"]).to_dict("records")
                for gid, a in advice.groupby("group_id", sort=False)}
    ref = [group_document(row, roles[roles["group_id"] == row["group_id"]], risk_by[row["group_id"]],
                          type_by[row["group_id"]], split_by.get(row["group_id"], []))
           for row in overview(messages, members, as_of).to_dict("records")]
    got = analyze(store, Scope(), engine=SERIAL).rows
    assert [d["group_id"] for d in got] == [d["group_id"] for d in ref]
    assert json.dumps(got, default=str, sort_keys=True) == json.dumps(ref, default=str, sort_keys=True)


@batched("batches of ~3 groups", "default batches")
@pytest.mark.usefixtures("batch_rows")
def test_report_matches_all_at_once(store) -> None:
    """The report's page equals its task run once over every group's messages in one frame."""
    messages, members, as_of = load_scope(store, Scope())
    facts = report_group(GroupInput("all", {}, messages, members, as_of, store), lexicon=None, trend_weeks=2,
                         prune_days=30, keyword_budget=KEYWORD_BUDGET // len(store.metas()))
    facts.sort(key=lambda f: (-f["risk"]["score"], f["group_name"]))
    ref = render_report(facts, as_of, "Asia/Shanghai")
    got = report(store, Scope(), trend_weeks=2, prune_days=30, engine=SERIAL, tz="Asia/Shanghai").text
    assert len(facts) == len(store.metas()) and got == ref


@batched("batches of ~3 groups", "default batches")
@pytest.mark.usefixtures("batch_rows")
def test_digest_matches_all_at_once(store) -> None:
    messages, members, as_of = load_scope(store, Scope())
    ref = digest_group(GroupInput("all", {}, messages, members, as_of, store), period="week", lexicon=None, top=5,
                       keyword_budget=DIGEST_BUDGET // len(store.metas()))
    ref.sort(key=lambda d: (-(d["risk_score"] or 0), d["group_name"]))
    got = digest(store, Scope(), engine=SERIAL, fmt="json").rows
    assert len(got) == len(store.metas())
    assert json.dumps(got, default=str, sort_keys=True) == json.dumps(ref, default=str, sort_keys=True)


def test_default_as_of_is_the_newest_message_across_groups(store) -> None:
    newest = store.messages(columns=["ts"])["ts"].max()
    assert cmd.risk(store, Scope(), engine=SERIAL).notes[0] == cmd.as_of_note(newest, "Asia/Shanghai")
    with pytest.raises(StoreError, match="no messages in scope"):
        cmd.risk(store, Scope(until=parse_when("2000-01-01", "UTC")), engine=SERIAL)


def test_the_default_scope_reads_its_sizes_from_the_part_footers(store, tmp_path, monkeypatch) -> None:
    """The first pass (each group's in-scope count and newest message) from the footers' statistics equals
    the one that reads the rows, for the default scope with and without private chats; other scopes read."""
    private = Store(tmp_path / "private")
    import_file(private, Path(__file__).parent / "data" / "mht" / "qq_private_gb18030.mht")
    calls: list[str] = []

    def unknown(_store: Store, key: str) -> None:       # as a footer without statistics: read the rows
        calls.append(key)
    for st in (store, private):
        keys, metas = list(st.metas()), st.metas()
        for scope in (Scope(), Scope(include_private=True)):
            fast = engine_mod.scope_as_of(st, scope, metas, keys, 1)
            calls.clear()
            with monkeypatch.context() as m:
                m.setattr(Store, "footer_summary", unknown)
                assert engine_mod.scope_as_of(st, scope, metas, keys, 1) == fast
            assert sorted(calls) == sorted(keys)
    assert engine_mod.scope_as_of(private, Scope(), private.metas(), list(private.metas()), 1)[0] is None
    assert engine_mod.scope_as_of(private, Scope(include_private=True), private.metas(), list(private.metas()), 1)[0]
    calls.clear()
    monkeypatch.setattr(Store, "footer_summary", unknown)
    engine_mod.scope_as_of(store, Scope(since=parse_when("2024-01-01", "UTC")), store.metas(), list(store.metas()), 1)
    assert calls == []          # a scope that cuts by time never asks the footers


def test_process_pool_matches_serial(store, monkeypatch) -> None:
    monkeypatch.setattr(engine_mod, "POOL_MIN_ROWS", 0)       # this store is small: force the pool
    monkeypatch.setattr(engine_mod, "BATCH_ROWS", 1500)      # and several batches of a few groups
    used = []
    real = engine_mod._pool_map
    monkeypatch.setattr(engine_mod, "_pool_map", lambda *a, **k: used.append(1) or real(*a, **k))
    seen = []
    got = cmd.roles(store, Scope(), engine=Engine(jobs=2), progress=lambda done, total: seen.append((done, total)))
    assert used, "the pool did not run"
    _same(got.rows, cmd.roles(store, Scope(), engine=SERIAL).rows)
    assert seen[-1][0] == seen[-1][1] == len(store.metas())


def test_groups_in_parallel_match_the_store_listing(store, monkeypatch) -> None:
    monkeypatch.setattr(engine_mod, "POOL_MIN_GROUPS", 0)
    got = groups(store, engine=Engine(jobs=2)).rows
    ref = store.groups()
    assert len(got) == len(store.metas()) == 10
    pd.testing.assert_frame_equal(got, ref)


def _cli(store: Store, *args: str):
    return CliRunner().invoke(cli, [*args, "--store", str(store.root)], catch_exceptions=False)


def test_cli_jobs_and_engine_options(store) -> None:
    one = _cli(store, "risk", "--jobs", "1", "--format", "json")
    two = _cli(store, "prune", "--jobs", "2", "--days", "30", "--format", "json")
    assert one.exit_code == 0 and two.exit_code == 0
    assert len(json.loads(one.stdout)) >= 8
    bad = _cli(store, "roles", "--jobs", "0")
    assert bad.exit_code == 2 and "--jobs" in bad.stderr
    bad = _cli(store, "risk", "--engine", "spark")
    assert bad.exit_code == 2 and "--engine" in bad.stderr
    bad = _cli(store, "risk", "--scheduler", "tcp://127.0.0.1:1")
    assert bad.exit_code == 2 and "--engine dask" in bad.stderr


def test_dask_missing_is_a_clear_error(store, monkeypatch) -> None:
    real = engine_mod.importlib.import_module

    def no_dask(name, *a):
        if name.startswith("dask"):
            raise ImportError(name)
        return real(name, *a)

    monkeypatch.setattr(engine_mod.importlib, "import_module", no_dask)
    res = _cli(store, "risk", "--engine", "dask")
    assert res.exit_code == 2 and "pip install 'qunkit[dask]'" in res.stderr


@pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                    reason="dask.distributed not installed (pip install 'qunkit[dask]')")
def test_dask_cluster_matches_local(store) -> None:
    LocalCluster = importlib.import_module("dask.distributed").LocalCluster   # optional: qunkit[dask]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        dask = Engine(kind="dask", scheduler=cluster.scheduler_address)
        for name in ("risk", "roles", "activity"):
            _same(getattr(cmd, name)(store, Scope(), engine=dask).rows,
                  getattr(cmd, name)(store, Scope(), engine=SERIAL).rows)
        _same(prune(store, Scope(), days=30, engine=dask).rows, prune(store, Scope(), days=30, engine=SERIAL).rows)
        res = _cli(store, "risk", "--engine", "dask", "--scheduler", cluster.scheduler_address, "--format", "json")
        assert res.exit_code == 0
        assert json.loads(res.stdout) == json.loads(_cli(store, "risk", "--format", "json").stdout)

