"""The facts' stored per-text flags (issue #10): analyses read them from fresh facts instead of
scanning every text again, and give exactly what a scan gives; stale facts or a user's lexicon scan."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from click.testing import CliRunner
from test_store import msgs, qq_export, write

import qunkit.store
from qunkit.analysis import text_features
from qunkit.analysis.text_features import FLAG_BITS, pack_flags, text_flags, unpack_flags
from qunkit.cli import cli
from qunkit.derived import staleness, stored_text_flags
from qunkit.generate import generate_group, write_qq_txt
from qunkit.store import Store

COMMANDS = (("roles",), ("risk",), ("prune", "--days", "90"), ("activity",), ("analyze",), ("report",), ("digest",),
            ("compare",))


def run(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args])


def output(store: Path, *command: str) -> str:
    res = run(*command, "--store", store, "--no-cache", "--format", "json", "--jobs", "1")
    assert res.exit_code == 0, res.output
    return res.stdout.replace(str(store), "STORE")


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> tuple[Path, Path, Path]:
    """(an export, a store of it without facts, the same store with facts)."""
    root = tmp_path_factory.mktemp("flags")
    groups = [generate_group("读书会", n_members=40, seed=3, messages=1500),
              generate_group("跑步群", lifecycle="dying", n_members=30, seed=4, messages=900),
              generate_group("广告群", n_members=25, seed=5, messages=600)]
    export = write_qq_txt(groups, root / "all.txt")
    assert run("import", export, "--store", root / "plain", "-q").exit_code == 0
    assert run("import", export, "--facts", "--store", root / "facts", "-q").exit_code == 0
    return export, root / "plain", root / "facts"


def counting_calls(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[int]:
    """Record the length of the first argument of every call to ``owner.name`` (the real one still runs)."""
    calls: list[int] = []
    real = getattr(owner, name)

    def spy(first, *args, **kwargs):
        calls.append(len(first))
        return real(first, *args, **kwargs)
    monkeypatch.setattr(owner, name, spy)
    return calls


def counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count text_flags calls (the one scan of the texts) made by analyses."""
    return counting_calls(monkeypatch, text_features, "text_flags")


def test_the_bits_are_every_boolean_of_text_flags_and_round_trip() -> None:
    texts = pa.array(["请问怎么报名？", "加我微信 abc12345 优惠", "哈哈哈", "@全体成员 明天活动 http://x.cn/a", ""])
    flags = text_flags(texts)
    booleans = {k for k, v in flags.items() if v.dtype == bool}
    assert booleans == set(FLAG_BITS) and len(FLAG_BITS) < 63
    back = unpack_flags(pack_flags(flags))
    assert all((back[k] == flags[k]).all() for k in FLAG_BITS)
    assert back["qmark"].tolist() == [True, False, False, False, False]


def test_facts_keep_the_flags_of_each_message_text(stores: tuple[Path, Path, Path]) -> None:
    s = Store(stores[2])
    for key in s.metas():
        m = s.messages([key]).set_index("msg_key")
        f = s.facts([key]).set_index("msg_key").loc[m.index]
        spoken = ~f["is_system"].to_numpy()
        texts = pa.array(m["text"].astype(str).to_numpy()[spoken])
        want = text_flags(texts)
        assert (f["text_flags"].to_numpy()[spoken] == pack_flags(want)).all()
        assert (f["n_contact"].to_numpy()[spoken] == want["n_contact"]).all()
        assert (f["n_commercial"].to_numpy()[spoken] == want["n_commercial"]).all()
        assert (f["text_flags"].to_numpy()[~spoken] == 0).all()
        assert f["n_contact"].to_numpy()[spoken].sum() > 0 and unpack_flags(f["text_flags"].to_numpy())["act_question"].any()


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_fresh_facts_give_byte_identical_output_without_a_scan(stores: tuple[Path, Path, Path], command: tuple,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _, plain, facts = stores
    calls = counting(monkeypatch)
    want = output(plain, *command)
    assert calls, "the store without facts scans the texts"
    calls.clear()
    assert output(facts, *command) == want
    assert calls == []


def test_report_html_is_identical_with_and_without_facts(stores: tuple[Path, Path, Path], tmp_path: Path) -> None:
    _, plain, facts = stores
    pages = []
    for s in (plain, facts):
        res = run("report", "--store", s, "--no-cache", "--jobs", "1", "-o", tmp_path / f"{s.name}.html")
        assert res.exit_code == 0, res.output
        pages.append((tmp_path / f"{s.name}.html").read_text(encoding="utf-8").replace(str(s), "STORE"))
    assert pages[0] == pages[1]


def test_with_fresh_facts_text_flags_is_never_called(stores: tuple[Path, Path, Path],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _, plain, facts = stores
    want = output(plain, "risk")

    def refuse(*_a, **_k):
        raise AssertionError("text_flags called although the facts are fresh")
    monkeypatch.setattr(text_features, "text_flags", refuse)
    assert output(facts, "risk") == want
    res = run("risk", "--store", plain, "--no-cache", "--format", "json", "--jobs", "1")
    assert res.exit_code != 0      # the patch bites where there are no facts


def test_a_user_lexicon_scans_the_texts(stores: tuple[Path, Path, Path], tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _, plain, facts = stores
    lexicon = write(tmp_path / "lex.txt", "[question]\n报名\n[laugh]\n笑死\n")
    want = output(plain, "roles", "--lexicon", lexicon)
    calls = counting(monkeypatch)
    assert output(facts, "roles", "--lexicon", lexicon) == want
    assert calls


def test_stale_facts_fall_back_to_the_scan(stores: tuple[Path, Path, Path], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    export, _, _ = stores
    plain, facts = tmp_path / "plain", tmp_path / "facts"
    assert run("import", export, "--store", plain, "-q").exit_code == 0
    assert run("import", export, "--facts", "--store", facts, "-q").exit_code == 0
    more = write(tmp_path / "more.txt", qq_export("读书会", msgs(1, 30)))
    s = Store(facts)
    with s.lock():
        s.set_setting("derived", False)        # messages added while the store kept no facts
    for store in (plain, facts):
        assert run("import", more, "--store", store, "-q").exit_code == 0
    with s.lock():
        s.set_setting("derived", True)
    key = s.resolve_group("读书会")
    assert staleness(s, key) is not None
    calls = counting(monkeypatch)
    for command in (("roles",), ("prune", "--days", "90")):
        calls.clear()
        assert output(facts, *command) == output(plain, *command)
        assert calls                            # the stale group was scanned
    # a facts version this qunkit does not compute: every group is stale and scanned, still right
    assert run("rebuild", "--store", facts, "-q").exit_code == 0 and staleness(s, key) is None
    monkeypatch.setattr("qunkit.facts.FACTS_VERSION", 999)
    calls.clear()
    assert output(facts, "risk") == output(plain, "risk")
    assert calls


def test_the_flags_are_aligned_by_msg_key_not_by_position(stores: tuple[Path, Path, Path]) -> None:
    s = Store(stores[2])
    key = next(iter(s.metas()))
    m = s.messages([key], columns=["msg_key", "text"])
    f = s.facts([key]).set_index("msg_key")
    keys = m["msg_key"].to_numpy()[::-1].copy()
    got = stored_text_flags(s, [key], keys)
    assert got is not None
    assert (got["text_flags"] == f.loc[keys, "text_flags"].to_numpy()).all()
    assert stored_text_flags(s, [key], np.append(keys, np.uint64(12345))) is None   # a message without facts


def counting_members(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count member derivations (``derive_members`` as the store calls it)."""
    return counting_calls(monkeypatch, qunkit.store, "derive_members")


@pytest.mark.parametrize("command", [("risk",), ("roles",), ("prune", "--days", "90")], ids=lambda c: c[0])
def test_fresh_facts_give_the_stored_members_where_the_scope_keeps_every_message(
        stores: tuple[Path, Path, Path], command: tuple, monkeypatch: pytest.MonkeyPatch) -> None:
    _, plain, facts = stores
    calls = counting_members(monkeypatch)
    want = output(plain, *command)
    assert calls, "the store without facts derives the members"
    calls.clear()
    assert output(facts, *command) == want
    assert calls == []
    # a scope that drops messages (--since) derives them from what it kept, and still agrees
    since = ("--since", "2024-03-01")
    want = output(plain, *command, *since)
    calls.clear()
    assert output(facts, *command, *since) == want
    assert calls
