"""The import pipeline through the library (qunkit.ingest): the roster rule, fingerprints, strict mode,
buffering, and the unknown-format usage error through the CLI."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from test_store import SEP, msgs, qq_export, write

from qunkit import ingest, unchanged
from qunkit.cli import cli
from qunkit.errors import BadInput, UsageProblem
from qunkit.formats import ParseOptions, format_names
from qunkit.formats.qq_txt import QQTxtParser
from qunkit.ingest import import_file, import_files
from qunkit.store import Store

ROSTER = "QQ号,群名片,身份\n20010,成员0,群主\n20099,潜水员,成员\n"


def two_files(tmp_path: Path) -> list[Path]:
    return [write(tmp_path / "a.txt", qq_export("甲群", msgs(1, 4))),
            write(tmp_path / "b.txt", qq_export("乙群", msgs(2, 3)))]


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def roster_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Paths handed to read_roster, to count how often a roster is attached."""
    calls: list[str] = []
    real = ingest.read_roster

    def counting(path, *args, **kwargs):
        calls.append(str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(ingest, "read_roster", counting)           # ingest imports it at its top
    return calls


def test_several_files_and_a_roster_without_a_group_is_a_usage_problem(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    roster = write(tmp_path / "r.csv", ROSTER)
    with pytest.raises(UsageProblem, match="--group"):
        import_files(store, two_files(tmp_path), roster=roster)
    assert files_under(tmp_path / "s" / "groups") == files_under(tmp_path / "s" / "messages") == []  # refused first


def test_several_files_with_a_group_attach_the_roster_once(tmp_path: Path, roster_reads: list[str]) -> None:
    store = Store(tmp_path / "s")
    roster = write(tmp_path / "r.csv", ROSTER)
    results = import_files(store, two_files(tmp_path), roster=roster, roster_group="甲群")
    assert roster_reads == [str(roster)]
    assert [r.roster_group for r in results] == [None, "甲群"]   # reported with the last file
    assert results[-1].roster_members == 2
    assert [r.added_total for r in results] == [4, 3]
    assert set(store.rosters()) == {store.metas()[store.resolve_group("甲群")]["group_id"]}
    assert "20099" in set(store.members(["甲群"])["member_id"])
    assert "20099" not in set(store.members(["乙群"])["member_id"])


def test_one_file_holding_several_chats_needs_a_group_and_can_retry_without_rereading(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    two = qq_export("群A", msgs(1, 2)) + qq_export("群B", msgs(1, 2)).split("\n", 2)[2]
    f = write(tmp_path / "two.txt", two)
    roster = write(tmp_path / "r.csv", ROSTER)
    store = Store(tmp_path / "s")
    with pytest.raises(UsageProblem, match="2 chats"):
        import_file(store, f, roster=roster)
    assert len(store.messages()) == 4                               # the messages themselves were committed
    monkeypatch.setattr(QQTxtParser, "parse", lambda *_a, **_k: pytest.fail("re-parsed an unchanged file"))
    res = import_file(store, f, roster=roster, roster_group="群B")
    assert res.skipped_unchanged and res.roster_group == "群B" and res.roster_members == 2
    assert bool(store.members(["群B"])["roster_known"].any())
    assert not bool(store.members(["群A"])["roster_known"].any())


def test_unchanged_file_with_a_roster_attaches_it_without_reparsing(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path / "s")
    f = write(tmp_path / "a.txt", qq_export("群", msgs(1, 3)))
    assert import_file(store, f).added_total == 3
    monkeypatch.setattr(QQTxtParser, "parse", lambda *_a, **_k: pytest.fail("re-parsed an unchanged file"))
    res = import_files(store, [f], roster=write(tmp_path / "r.csv", ROSTER))[0]
    assert res.skipped_unchanged and res.report.messages == 3 and res.added_total == 0
    assert res.roster_group == "群" and res.roster_members == 2
    assert "20099" in set(store.members()["member_id"])


def test_strict_writes_nothing_not_even_meta_or_fingerprint(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    import_file(store, write(tmp_path / "a.txt", qq_export("群", msgs(1, 3))))
    before = {p: p.read_bytes() for p in files_under(tmp_path / "s")}
    bad = qq_export("新群", msgs(2, 3)).replace(f"{SEP}\n\n2024", f"{SEP}\nstray line\n2024", 1)
    renamed = qq_export("群", msgs(3, 2)).replace(f"{SEP}\n\n2024", f"{SEP}\nstray line\n2024", 1)
    for name, text in (("bad.txt", bad), ("renamed.txt", renamed)):
        with pytest.raises(BadInput, match="--strict"):
            import_file(store, write(tmp_path / name, text), strict=True)
    after = {p: p.read_bytes() for p in files_under(tmp_path / "s")}
    assert after == before                              # no part, no new group's meta.json, no imports.json entry
    assert store.groups()["group_name"].tolist() == ["群"] and len(store.messages()) == 3


def test_rows_are_deduplicated_across_chunks_and_flushed_in_parts(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest, "FLUSH_ROWS", 40)
    day1, day2 = msgs(1, 60), msgs(2, 50)
    f = write(tmp_path / "a.txt", qq_export("群", day1 + day2 + day1))   # the first day exported twice
    store = Store(tmp_path / "s")
    small_chunks = ParseOptions(chunk_bytes=2048)       # the repeat lands in another chunk than the original
    res = import_file(store, f, options=small_chunks)
    assert res.report.messages == 170 and res.added_total == 110 and res.duplicates == 60
    parts = list((tmp_path / "s" / "messages").glob("group_key=*/part-*.parquet"))
    assert 2 <= len(parts) <= 8                          # flushed more than once, compacted past 8
    stored = store.messages()
    assert len(stored) == 110 and stored["msg_key"].is_unique
    again = import_file(store, f, options=small_chunks, force=True)
    assert again.added_total == 0 and again.duplicates == 170


def test_import_files_reports_each_file_as_it_finishes(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    seen: list[tuple[str, str, int]] = []
    opened: list[str] = []

    class Bar:
        def __init__(self, path: Path) -> None:
            opened.append(path.name)
            self.calls: list[tuple[int, int]] = []

        def __enter__(self):
            return lambda done, total: self.calls.append((done, total))

        def __exit__(self, *exc) -> None:
            seen.append(("closed", opened[-1], 0))

    paths = two_files(tmp_path)
    results = import_files(store, paths, progress_factory=Bar,
                           on_result=lambda r: seen.append(("result", Path(r.report.file).name, r.added_total)))
    assert opened == ["a.txt", "b.txt"]
    assert seen == [("closed", "a.txt", 0), ("result", "a.txt", 4), ("closed", "b.txt", 0), ("result", "b.txt", 3)]
    assert [r.report.format for r in results] == ["qq-txt", "qq-txt"]


def test_unknown_input_format_is_a_usage_error(tmp_path: Path) -> None:
    f = write(tmp_path / "a.txt", qq_export("群", msgs(1, 2)))
    with pytest.raises(UsageProblem, match="nosuch"):
        import_file(Store(tmp_path / "lib"), f, input_format="nosuch")
    res = CliRunner().invoke(cli, ["import", "--input-format", "nosuch", str(f), "--store", str(tmp_path / "s")])
    assert res.exit_code == 2, res.output
    assert "nosuch" in res.stderr and all(name in res.stderr for name in format_names())
    assert not (tmp_path / "s").exists() and not (tmp_path / "lib").exists()


def test_import_summary_json_carries_the_roster_of_the_last_file(tmp_path: Path) -> None:
    a, b = two_files(tmp_path)
    roster = write(tmp_path / "r.csv", ROSTER)
    res = CliRunner().invoke(cli, ["import", str(a), str(b), "--roster", str(roster), "--group", "乙群",
                                   "--store", str(tmp_path / "s"), "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert [(r["added"], r["roster_group"], r["roster_members"]) for r in rows] == [(4, None, 0), (3, "乙群", 2)]


def test_a_file_of_a_size_no_import_recorded_is_hashed_while_it_is_parsed(tmp_path: Path) -> None:
    """A new file's fingerprint is only needed to record it; a file whose size matches a record (or a
    record from before sizes were kept) is hashed first, and found unchanged."""
    a, b = two_files(tmp_path)
    store = Store(tmp_path / "store")
    import_file(store, a)
    record = next(iter(store.read_imports().values()))
    assert record["size"] == a.stat().st_size
    assert not unchanged.may_be_recorded(b, store.read_imports())    # b's size differs from a's
    assert unchanged.may_be_recorded(a, store.read_imports())
    assert unchanged.may_be_recorded(b, {"x": {"file": "old.txt"}})   # a record without a size: may be b
    assert import_file(store, a).skipped_unchanged
    # an imports.json written before sizes were kept still finds the file unchanged
    imports = {fp: {k: v for k, v in rec.items() if k != "size"} for fp, rec in store.read_imports().items()}
    with store.lock():
        store.write_imports(imports)
    assert import_file(store, a).skipped_unchanged


def test_a_fingerprint_is_remembered_only_while_the_file_stays_the_same(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "a.txt", "first version\n")
    hashed: list[bytes] = []
    sha256 = hashlib.sha256

    class Counting:
        def __init__(self) -> None:
            self._h = sha256()

        def update(self, data: bytes) -> None:
            hashed.append(data)
            self._h.update(data)

        def hexdigest(self) -> str:
            return self._h.hexdigest()

    monkeypatch.setattr(unchanged.hashlib, "sha256", Counting)   # hashlib's own: restored after the test
    first = unchanged.fingerprint(path)
    assert first == sha256(b"first version\n").hexdigest()
    assert unchanged.fingerprint(path) == first and unchanged.fingerprint_soon(path)() == first
    assert hashed == [b"first version\n"]            # the bytes of one version are read once
    path.write_text("second version, longer\n")
    assert unchanged.fingerprint(path) == sha256(b"second version, longer\n").hexdigest()
    assert len(hashed) == 2


def test_parts_hold_their_rows_in_time_order_whatever_order_the_file_wrote(tmp_path: Path) -> None:
    """The writer sorts a batch only when it is out of order; either way every part is in time order
    and holds every row."""
    rows = msgs(3, 6) + msgs(1, 5) + msgs(2, 4)           # days 3, 1, 2: out of order
    store = Store(tmp_path / "store")
    import_file(store, write(tmp_path / "a.txt", qq_export("乱序群", rows)))
    import_file(store, write(tmp_path / "b.txt", qq_export("顺序群", msgs(1, 5) + msgs(2, 4))))
    parts = sorted((tmp_path / "store" / "messages").rglob("*.parquet"))
    assert len(parts) >= 2
    total = 0
    for part in parts:
        ts = pq.read_table(part, columns=["ts"])["ts"].to_pylist()
        assert ts == sorted(ts)
        total += len(ts)
    assert total == len(rows) + 9
