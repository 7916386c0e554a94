"""The risk trend at calendar week starts, and the ``risk_weekly`` table that keeps it in the store.

A stored point must say exactly what a replay says (``risk_at``, itself checked against a fresh
``group_risk`` in test_replay.py), survive an import that adds only later messages, and be replayed
again when an earlier message arrives; the report reads the stored points and judges as it did without
them, and draws its reply network from the facts' links."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import qunkit.commands.moments as moments
import qunkit.commands.report as report_mod
import qunkit.engine
from qunkit.analysis.scope import Scope
from qunkit.cli import cli
from qunkit.commands.moments import STORED_WEEKS, risk_at, week_starts
from qunkit.commands.report import report_facts
from qunkit.engine import Engine
from qunkit.generate import generate_group, write_qq_txt, write_roster_csv
from qunkit.store import Store


def run(*args: str) -> str:
    res = CliRunner().invoke(cli, [str(a) for a in args])
    assert res.exit_code == 0, res.output
    return res.output


def test_week_starts_are_local_mondays_strictly_before() -> None:
    tue = pd.Timestamp("2024-06-04 10:00", tz="Asia/Shanghai")
    got = week_starts(tue, 3)
    assert [t.tz_convert("Asia/Shanghai").strftime("%a %Y-%m-%d %H:%M") for t in got] == [
        "Mon 2024-05-20 00:00", "Mon 2024-05-27 00:00", "Mon 2024-06-03 00:00"]
    assert all(str(t.tz) == "UTC" for t in got)
    monday = pd.Timestamp("2024-06-03 00:00", tz="Asia/Shanghai")      # a moment on a week start: not its own point
    assert week_starts(monday, 1) == [pd.Timestamp("2024-05-27 00:00", tz="Asia/Shanghai").tz_convert("UTC")]
    # across a DST change the points stay at local midnight (Berlin moved its clocks on 2024-03-31)
    berlin = week_starts(pd.Timestamp("2024-04-03 12:00", tz="Europe/Berlin"), 2, tz="Europe/Berlin")
    assert [t.tz_convert("Europe/Berlin").strftime("%m-%d %H:%M") for t in berlin] == ["03-25 00:00", "04-01 00:00"]
    assert week_starts(tue, 0) == []


def _export(root: Path, name: str, life: str, seed: int, start: str = "2024-01-01") -> tuple[Path, Path]:
    g = generate_group(name, life, n_members=50, start=start, as_of="2024-04-30", messages=2200, seed=seed)
    write_qq_txt([g], root / f"{seed}.txt")
    write_roster_csv(g, root / f"{seed}.csv")
    return root / f"{seed}.txt", root / f"{seed}.csv"


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two generated groups with rosters, imported without derived tables."""
    root = tmp_path_factory.mktemp("weekly")
    for name, life, seed in (("周线健康群", "healthy", 21), ("周线衰落群", "dying", 22)):
        export, roster = _export(root, name, life, seed)
        run("import", export, "--roster", roster, "--store", root / "store", "-q")
    return root / "store"


@pytest.fixture(scope="module")
def kept(plain: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same store after ``qunkit rebuild`` (derived tables, risk_weekly among them)."""
    out = tmp_path_factory.mktemp("weekly-kept") / "store"
    shutil.copytree(plain, out)
    run("rebuild", "--store", out, "-q", "--jobs", "1")
    return out


def test_stored_points_are_the_replays_at_each_week_start(kept: Path) -> None:
    s = Store(kept)
    for key, meta in s.metas().items():
        table = s.read_table("risk_weekly", [key]).to_pandas()
        messages = s.messages([key])
        times = week_starts(messages["ts"].max(), STORED_WEEKS)
        assert list(table["week_start"].dt.as_unit("ns")) == times and len(times) == STORED_WEEKS
        replayed = risk_at(s, (key,), messages, times)
        assert replayed["score"].tolist() == table["score"].tolist(), meta["group_name"]
        assert replayed["level"].tolist() == table["level"].tolist()
        assert table["upto"].tolist() == [int((messages["ts"] <= t).sum()) for t in times]
    assert table["score"].nunique() > 1        # a dying group's score moves over eight weeks
    # the table is a view of `qunkit sql` too
    res = CliRunner().invoke(cli, ["sql", "SELECT group_key, count(*) AS n, max(score) AS top FROM risk_weekly "
                                          "GROUP BY 1 ORDER BY 1", "--store", str(kept), "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    want = sorted((k, s.read_table("risk_weekly", [k]).to_pandas()) for k in s.metas())
    assert [(r["group_key"], r["n"], r["top"]) for r in rows] == [(k, len(t), t["score"].max()) for k, t in want]


def test_the_report_reads_the_stored_points_and_judges_the_same(plain: Path, kept: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    one = Engine(jobs=1, cache=False)
    before, _ = report_facts(Store(plain), Scope(), engine=one)
    calls = []
    monkeypatch.setattr(report_mod, "risk_at", lambda *a, **k: calls.append(a[3]) or risk_at(*a, **k))
    after, _ = report_facts(Store(kept), Scope(), engine=one)
    assert [(g["group_name"], g["risk"]["score"], g["risk_trend"]) for g in after] == \
        [(g["group_name"], g["risk"]["score"], g["risk_trend"]) for g in before]
    assert all(len(g["risk_trend"]) == STORED_WEEKS + 1 for g in after)
    # only the points after a group's newest message (the store's as-of is the other group's) are replayed
    last = {k: Store(kept).messages([k])["ts"].max() for k in Store(kept).metas()}
    assert all(t > min(last.values()) for ts in calls for t in ts)
    if min(last.values()) == max(last.values()):
        assert calls == []
    # a lexicon of one's own, or weeks in another zone, replays every point
    calls.clear()
    report_facts(Store(kept), Scope(), engine=one, tz="UTC", trend_weeks=2)
    assert calls and all(len(ts) == 2 for ts in calls)


def test_with_facts_the_reply_network_is_qunkit_replies_links(kept: Path) -> None:
    """A store with facts draws the network from the stored links (made over all of a group's messages,
    what ``qunkit replies`` lists), over each group's last ``REPLY_WINDOW`` messages."""
    facts, _ = report_facts(Store(kept), Scope(), engine=Engine(jobs=1, cache=False), trend_weeks=0)
    listed = pd.DataFrame(json.loads(run("replies", "--store", kept, "--format", "json", "-q")))
    for g in facts:
        tail = listed[listed["group_name"] == g["group_name"]].tail(report_mod.REPLY_WINDOW)
        linked = tail["reply_to_line"].notna() & (tail["sender_id"] != tail["reply_to_sender_id"])
        assert g["replies"]["window"] == len(tail) == report_mod.REPLY_WINDOW
        assert g["replies"]["linked"] == int(linked.sum()) > 0


def test_an_import_of_later_messages_keeps_the_points_and_an_earlier_one_replays(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    export, roster = _export(tmp_path, "周线增量群", "healthy", 23)
    lines = export.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    # the export up to mid-April, then the whole export (the dedup adds the rest); each message starts
    # with a dated header line, so cutting before one keeps whole messages
    cut = next(i for i, line in enumerate(lines) if line.startswith("2024-04-15"))
    first = tmp_path / "first.txt"
    first.write_text("".join(lines[:cut]), encoding="utf-8")
    store = tmp_path / "store"
    run("import", first, "--roster", roster, "--store", store, "--facts", "-q")
    s = Store(store)
    (key,) = s.metas()
    before = s.read_table("risk_weekly", [key]).to_pandas()
    replayed = []
    real = moments.risk_at
    monkeypatch.setattr(moments, "risk_at", lambda *a, **k: replayed.append(list(a[3])) or real(*a, **k))
    run("import", export, "--roster", roster, "--store", store, "-q")
    after = Store(store).read_table("risk_weekly", [key]).to_pandas()
    kept_rows = after[after["week_start"].isin(before["week_start"])]
    assert len(kept_rows) >= STORED_WEEKS - 3 and kept_rows["upto"].tolist() == before["upto"].tolist()[-len(kept_rows):]
    assert replayed and all(t not in set(before["week_start"].dt.as_unit("ns")) for t in replayed[-1])
    # what the incremental refresh wrote is what a rebuild from nothing writes
    run("rebuild", "--store", store, "--force", "-q", "--jobs", "1")
    fresh = Store(store).read_table("risk_weekly", [key]).to_pandas()
    pd.testing.assert_frame_equal(after, fresh)
    # an earlier message (before every stored week start) moves every count: every point is replayed
    replayed.clear()
    early = tmp_path / "early.txt"
    head = next(i for i, line in enumerate(lines) if line.startswith("2024-"))
    early.write_text("".join(lines[:head]) + "2024-01-01 08:00:01 周线补录(99999)\n补一条最早的消息\n\n",
                     encoding="utf-8")
    run("import", early, "--store", store, "-q")
    assert replayed and len(replayed[-1]) == STORED_WEEKS


def test_a_big_store_without_derived_tables_is_told_to_rebuild(plain: Path, kept: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_mod, "SLOW_PLAIN", 1000)
    one = Engine(jobs=1, cache=False)
    (note,) = report_mod.report(Store(plain), Scope(), engine=one, trend_weeks=0).notes
    assert "keeps no derived tables" in note and "qunkit rebuild" in note
    assert report_mod.report(Store(kept), Scope(), engine=one, trend_weeks=0).notes == []
    monkeypatch.setattr(report_mod, "SLOW_PLAIN", 10**9)
    assert report_mod.report(Store(plain), Scope(), engine=one, trend_weeks=0).notes == []



def test_rebuild_in_a_pool_writes_the_points_one_process_writes(plain: Path, kept: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The weekly pass batched (one group per batch) and run in worker processes writes what one process wrote."""
    monkeypatch.setattr(qunkit.engine, "POOL_MIN_ROWS", 0)
    monkeypatch.setattr(qunkit.engine, "BATCH_ROWS", 1)
    used = []
    real = qunkit.engine._pool_map
    monkeypatch.setattr(qunkit.engine, "_pool_map", lambda *a, **k: used.append(len(a[1])) or real(*a, **k))
    pooled = tmp_path / "store"
    shutil.copytree(plain, pooled)
    run("rebuild", "--store", pooled, "-q", "--jobs", "2")
    assert used == [2, 2]                    # the facts pass and the weekly pass, each over both groups
    for key in Store(kept).metas():
        want = Store(kept).read_table("risk_weekly", [key]).to_pandas()
        assert len(want) == STORED_WEEKS
        pd.testing.assert_frame_equal(Store(pooled).read_table("risk_weekly", [key]).to_pandas(), want)


def test_a_group_silent_before_the_store_as_of_replays_only_its_later_points(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One group stops three weeks before the other: its stored points end at its newest message, the report
    replays the weeks after (from the facts' text flags, scanning no text) and says what a store without
    derived tables says."""
    lively, roster = _export(tmp_path, "周线活跃群", "healthy", 24)
    quiet, quiet_roster = _export(tmp_path, "周线沉默群", "healthy", 25)
    lines = quiet.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines) if line.startswith("2024-04-08"))
    quiet.write_text("".join(lines[:cut]), encoding="utf-8")
    plain, kept = tmp_path / "plain", tmp_path / "kept"
    for export, r in ((lively, roster), (quiet, quiet_roster)):
        run("import", export, "--roster", r, "--store", plain, "-q")
    shutil.copytree(plain, kept)
    run("rebuild", "--store", kept, "-q", "--jobs", "1")
    one = Engine(jobs=1, cache=False)
    before, _ = report_facts(Store(plain), Scope(), engine=one)
    calls = []
    monkeypatch.setattr(report_mod, "risk_at", lambda *a, **k: calls.append((len(a[2]), a[3])) or risk_at(*a, **k))

    def no_scan(*_: object, **__: object) -> None:
        raise AssertionError("a text was scanned although the facts hold its flags")

    monkeypatch.setattr("qunkit.analysis.text_features.text_flags", no_scan)
    after, _ = report_facts(Store(kept), Scope(), engine=one)
    assert [(g["group_name"], g["risk_trend"]) for g in after] == [(g["group_name"], g["risk_trend"]) for g in before]
    (rows, times), = calls                      # one replay set, over the silent group's messages only
    quiet_store = Store(kept)
    quiet_key = next(k for k, m in quiet_store.metas().items() if m["group_name"] == "周线沉默群")
    quiet_messages = quiet_store.messages([quiet_key])
    assert rows == len(quiet_messages) and len(times) >= 3
    assert all(t > quiet_messages["ts"].max() for t in times)
