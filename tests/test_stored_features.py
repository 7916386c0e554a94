"""The stored features (issue #10): a group's ``Features`` over all its messages, written with the facts
and rebuilt by the engine instead of computed; equal to ``compute_features`` frame for frame, alone and
in batches, and never used where they would not hold (a scope that drops messages, a user's lexicon,
stale tables)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner
from test_facts_flags import counting_calls, output
from test_store import write

import qunkit.commands.analysis
from qunkit.analysis import text_features
from qunkit.analysis.acts import TOPIC_CUES, resolve_rules
from qunkit.analysis.grouptype import topic_flags
from qunkit.analysis.text_features import compute_features
from qunkit.cli import cli
from qunkit.derived import staleness, stored_features
from qunkit.engine import ANALYSIS_COLUMNS, HEAVY_COLUMNS
from qunkit.generate import generate_group, write_qq_txt
from qunkit.members import conform_members, conform_table
from qunkit.store import Store

COMMANDS = (("roles",), ("risk",), ("prune", "--days", "90"), ("activity",), ("analyze",))


def run(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> tuple[Path, Path]:
    """(a store without derived tables, the same export imported with them): four groups, one of
    them with two members quoting one message in the same second (a tie the reply features break)."""
    root = tmp_path_factory.mktemp("features")
    groups = [generate_group("读书会", n_members=40, seed=3, messages=1500),
              generate_group("跑步群", lifecycle="dying", n_members=30, seed=4, messages=900),
              generate_group("广告群", n_members=25, seed=5, messages=600),
              generate_group("亲友群", n_members=12, seed=6, messages=300)]
    export = write_qq_txt(groups, root / "all.txt")
    assert run("import", export, "--store", root / "plain", "-q").exit_code == 0
    assert run("import", export, "--facts", "--store", root / "facts", "-q").exit_code == 0
    return root / "plain", root / "facts"


def _computed(s: Store, keys: list[str]) -> tuple[pd.DataFrame, object]:
    m = s.messages(keys, columns=[*ANALYSIS_COLUMNS, "msg_key"])
    as_of = m["ts"].max() + pd.Timedelta(days=3)      # a run's as_of may lie after a group's last message
    return m, compute_features(m, as_of, members=s.members(keys, messages=m))


@pytest.mark.parametrize("which", ["each group alone", "all groups in one batch", "two groups, reversed"])
def test_assembled_features_equal_computed_ones_frame_for_frame(stores: tuple[Path, Path], which: str) -> None:
    s = Store(stores[1])
    keys = list(s.metas())
    batches = {"each group alone": [[k] for k in keys], "all groups in one batch": [keys],
               "two groups, reversed": [keys[:2][::-1]]}[which]
    for batch in batches:
        m, want = _computed(s, batch)
        ids = {k: s.metas()[k]["group_id"] for k in batch}
        got = stored_features(s, batch, ids, m, want.as_of)
        assert got is not None
        for frame in ("msgs", "people", "events", "groups"):
            pd.testing.assert_frame_equal(getattr(got, frame), getattr(want, frame), check_exact=True)
        assert got.as_of == want.as_of
        src = want.msgs["src"].to_numpy()
        scanned = topic_flags(m["text"].iloc[src], resolve_rules(None))
        assert set(got.topics) == set(TOPIC_CUES)
        assert all((got.topics[c] == scanned[c]).all() for c in TOPIC_CUES)
    assert len(want.events) and want.msgs["replied"].any() and want.msgs["answer"].any()


def test_tables_that_do_not_cover_the_messages_are_refused(stores: tuple[Path, Path]) -> None:
    s = Store(stores[1])
    keys = list(s.metas())[:2]
    m, F = _computed(s, keys)
    ids = {k: s.metas()[k]["group_id"] for k in keys}
    assert stored_features(s, keys, ids, m.iloc[:-1], F.as_of) is None            # a message more in the table
    extra = m.iloc[[0]].assign(msg_key=np.uint64(1))
    assert stored_features(s, keys, ids, pd.concat([m, extra], ignore_index=True), F.as_of) is None
    assert stored_features(s, keys[:1], {keys[0]: ids[keys[0]]}, m, F.as_of) is None   # a group without its table


def counting_features(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count feature computations (``prepare_features``, the start of every ``compute_features``)."""
    return counting_calls(monkeypatch, text_features, "prepare_features")


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_fresh_tables_give_byte_identical_output_without_computing_features(
        stores: tuple[Path, Path], command: tuple, monkeypatch: pytest.MonkeyPatch) -> None:
    plain, facts = stores
    calls = counting_features(monkeypatch)
    want = output(plain, *command)
    assert calls, "the store without derived tables computes the features"
    calls.clear()
    assert output(facts, *command) == want
    assert calls == []
    # one task of several groups (the engine's batches) reads them too
    monkeypatch.setattr("qunkit.engine.BATCH_ROWS", 2500)
    assert output(facts, *command) == want
    assert calls == []


@pytest.mark.parametrize("extra", [("--since", "2024-03-01"), ("--as-of", "2024-03-20")], ids=lambda e: e[0])
def test_a_scope_that_drops_messages_computes_them(stores: tuple[Path, Path], extra: tuple,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    plain, facts = stores
    want = output(plain, "risk", *extra)
    calls = counting_features(monkeypatch)
    assert output(facts, "risk", *extra) == want
    assert calls


def test_a_user_lexicon_computes_them(stores: tuple[Path, Path], tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    plain, facts = stores
    lexicon = write(tmp_path / "lex.txt", "[question]\n报名\n[laugh]\n笑死\n")
    want = output(plain, "roles", "--lexicon", lexicon)
    calls = counting_features(monkeypatch)
    assert output(facts, "roles", "--lexicon", lexicon) == want
    assert calls


def test_features_of_ignores_stored_features_under_a_user_lexicon(stores: tuple[Path, Path], tmp_path: Path) -> None:
    s = Store(stores[1])
    keys = list(s.metas())[:1]
    m, F = _computed(s, keys)
    g = qunkit.engine.GroupInput(keys[0], s.metas()[keys[0]], m, s.members(keys, messages=m), F.as_of, s, F)
    assert qunkit.commands.analysis.features_of(g, None) is F
    assert qunkit.commands.analysis.features_of(g, write(tmp_path / "lex.txt", "[question]\n报名\n")) is not F


def test_reply_ties_do_not_depend_on_the_groups_beside_them() -> None:
    """Two members quote each question after the same delay: who replied is the first of them in time
    order, whether the group is computed alone or after another group (an unstable sort picked either,
    so a group's roles could change with the groups batched beside it)."""
    def group(gid: str, n: int, offset: int, ids: tuple[str, str, str]) -> pd.DataFrame:
        base = pd.Timestamp("2024-03-01 10:00", tz="UTC") + pd.Timedelta(minutes=offset)
        rows = []
        for i in range(n):
            ts, later = base + pd.Timedelta(hours=i), pd.Timedelta(minutes=11 + (i * 7) % 40)
            rows += [(ids[0], "Ann", f"问题{i}怎么办？", None, f"{gid}q{i}", ts),
                     (ids[1], "Bob", f"答案是{i}号", f"{gid}q{i}", f"{gid}b{i}", ts + later),
                     (ids[2], "Cat", f"我觉得是{i}", f"{gid}q{i}", f"{gid}c{i}", ts + later)]
        cols = ("sender_id", "sender_name", "text", "reply_to", "msg_id", "ts")
        return pd.DataFrame({"group_id": gid, "group_name": gid, **{c: [r[j] for r in rows] for j, c in enumerate(cols)},
                             "kind": "text", "source_line": np.arange(len(rows)) + offset})
    alone = group("g2", 60, 0, ("a", "b", "c"))
    both = pd.concat([group("g1", 37, 5, ("x", "y", "z")), alone], ignore_index=True)
    as_of = pd.Timestamp("2024-06-02", tz="UTC")
    a, b = compute_features(alone, as_of), compute_features(both, as_of)
    mine = b.msgs["g"].to_numpy() == int(np.flatnonzero(b.groups["group_id"].to_numpy() == "g2")[0])
    ra = a.people["member_id"].to_numpy()[a.msgs["replier"].to_numpy()]
    rb = b.people["member_id"].to_numpy()[b.msgs.loc[mine, "replier"].to_numpy()]
    assert ra[::3].tolist() == ["b"] * 60          # each question: Bob, who comes first in the log
    assert (ra == rb).all()


def test_import_writes_the_features_table_and_a_missing_one_is_stale(stores: tuple[Path, Path],
                                                                   tmp_path: Path) -> None:
    s = Store(stores[1])
    key = next(iter(s.metas()))
    t = s.read_table("features", [key])
    assert t is not None and t.num_rows == s.row_count(key)      # every message: spoken rows, then events
    assert pa.types.is_uint64(t.schema.field("msg_key").type) and "flags" in t.column_names
    copy = tmp_path / "copy"
    shutil.copytree(stores[1], copy)
    c = Store(copy)
    (c.table_dir("features", key) / "features.parquet").unlink()
    assert staleness(c, key) == "a derived table file is missing"
    assert run("rebuild", "--store", copy, "-q").exit_code == 0
    assert staleness(c, key) is None
    pd.testing.assert_frame_equal(c.read_table("features", [key]).to_pandas(), t.to_pandas())   # NaN delays equal


def test_stored_members_are_conformed_from_arrow_as_conform_members_does(stores: tuple[Path, Path]) -> None:
    s = Store(stores[1])
    table = s.read_table("members", list(s.metas())).drop_columns("group_key")
    pd.testing.assert_frame_equal(conform_table(table), conform_members(table.to_pandas()), check_exact=True)
    # what the fast path does not cover falls back to conform_members: a null name in a list, a null flag
    odd = table.slice(0, 3)
    names = pa.array([["甲", None], [], None], pa.list_(pa.string()))
    odd = odd.set_column(odd.schema.get_field_index("names"), "names", names)
    pd.testing.assert_frame_equal(conform_table(odd), conform_members(odd.to_pandas()), check_exact=True)
    assert conform_table(odd)["names"].tolist()[0] == ["甲", "None"]


def _columns_read(monkeypatch: pytest.MonkeyPatch) -> list[set[str]]:
    """The column sets of every read of message rows (``Store.message_table``, under ``Store.messages``)."""
    reads: list[set[str]] = []
    real = Store.message_table

    def spy(self, groups=(), columns=None):
        reads.append(set(columns or ANALYSIS_COLUMNS))
        return real(self, groups, columns)
    monkeypatch.setattr(Store, "message_table", spy)
    return reads


@pytest.mark.parametrize(("command", "still_read"), [(("risk",), set()), (("roles",), set()),
                                                     (("prune", "--days", "90"), {"text"})], ids=["risk", "roles", "prune"])
def test_with_stored_features_the_heavy_columns_are_not_read(stores: tuple[Path, Path], command: tuple,
                                                             still_read: set, monkeypatch: pytest.MonkeyPatch) -> None:
    """A task that declares what it needs besides the features (``reads_features(needs=...)``) reads no
    other text column where the stored features serve it; the output stays byte-identical (test above)."""
    _, facts = stores
    reads = _columns_read(monkeypatch)
    output(facts, *command)
    row_reads = [r for r in reads if "sender_id" in r]      # not the first pass's ts/chat_type reads
    assert row_reads and all(r & set(HEAVY_COLUMNS) == still_read for r in row_reads)


def test_when_the_features_cannot_serve_the_heavy_columns_are_read_again(stores: tuple[Path, Path],
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables that do not cover the messages (here: made unreadable) send the task back to the whole read."""
    plain, facts = stores
    want = output(plain, "risk")
    monkeypatch.setattr("qunkit.analysis.stored_features._readable", lambda _table: False)
    reads = _columns_read(monkeypatch)
    assert output(facts, "risk") == want
    row_reads = [r for r in reads if "sender_id" in r]
    assert any(not r & set(HEAVY_COLUMNS) for r in row_reads) and any(set(HEAVY_COLUMNS) <= r for r in row_reads)
