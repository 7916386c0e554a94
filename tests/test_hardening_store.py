"""Store and import hardening (issue 13): each test is a defect a probe found; each failed before the fix."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from filelock import FileLock
from helpers import parse_file
from test_store import SEP, msgs, qq_export, write

from qunkit import store as store_mod
from qunkit.cli import cli
from qunkit.errors import BadInput, StoreError
from qunkit.formats import ParseOptions
from qunkit.ingest import import_file, plausible_window
from qunkit.store import Store

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


def run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def qunkit_subprocess(*args: str, timeout: float = 60, env: dict | None = None, limit_as: int | None = None):
    """The real executable in a child process (bounded by ``timeout``: a hang fails the test, never stalls it)."""
    full_env = {**os.environ, "PYTHONPATH": str(SRC), **(env or {})}

    def limit() -> None:
        if limit_as:
            resource.setrlimit(resource.RLIMIT_AS, (limit_as, limit_as))

    code = "import sys; from qunkit.cli import main; sys.argv[0] = 'qunkit'; main()"
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=full_env, preexec_fn=limit)


def section(group: str, rows: list[tuple[str, str, str]]) -> str:
    """One more 消息对象 block, to append to ``qq_export``'s output."""
    body = "".join(f"{t} {who}\n{text}\n\n" for t, who, text in rows)
    return f"{SEP}\n消息对象:{group}\n{SEP}\n\n{body}"


# -- 1, 2: implausible timestamps ----------------------------------------------------------------------
def test_far_future_and_pre_platform_dates_are_bad_lines_never_stored(tmp_path: Path) -> None:
    rows = msgs(1, 4) + [("2300-01-01 10:00:00", "b(2)", "far"), ("2100-01-01 10:00:00", "b(2)", "future"),
                         ("1998-12-31 10:00:00", "b(2)", "before QQ")]
    f = write(tmp_path / "a.txt", qq_export("群", rows))
    other = write(tmp_path / "b.txt", qq_export("另一个群", msgs(3, 6)))
    store = tmp_path / "s"
    res = run("import", f, other, "--store", store)
    assert res.exit_code == 0, res.output
    assert "3 line(s) not understood" in res.stderr
    assert f"{f}:{4 * 3 + 9}: implausible timestamp" in res.stderr          # file:line of the 2300 header
    assert "2300-01-01 10:00:00" in res.stderr and "before qq existed (1999)" in res.stderr
    m = Store(store).messages()
    assert len(m) == 10 and m["ts"].max() < pd.Timestamp("2024-02-01", tz="UTC")
    # the default --as-of comes from real messages: the other group is not "dead for decades"
    risk = run("risk", "--store", store, "--format", "json")
    assert risk.exit_code == 0, risk.output
    silent = {r["group_name"]: r["features"]["days_silent"] for r in json.loads(risk.stdout)}
    assert set(silent) == {"群", "另一个群"} and max(silent.values()) < 30


def test_plausible_window_per_platform() -> None:
    now = pd.Timestamp("2025-06-01", tz="UTC")
    assert {p: plausible_window(p, now)[0].year for p in ("qq", "wechat", "whatsapp", "telegram")} == \
        {"qq": 1999, "wechat": 2011, "whatsapp": 2009, "telegram": 2013}
    assert plausible_window("wechat", now)[1] == now + pd.Timedelta(days=1)


# -- 4: address-space limit ----------------------------------------------------------------------------
def test_store_reads_finish_under_an_address_space_limit(tmp_path: Path) -> None:
    store = tmp_path / "s"
    import_file(Store(store), write(tmp_path / "a.txt", qq_export("群", msgs(1, 31))))
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    code = ("import pyarrow as pa; from qunkit.store import Store; "
            f"print(len(Store({str(store)!r}).messages()), pa.default_memory_pool().backend_name)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**env, "PYTHONPATH": str(SRC)},
                         preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (1_500_000 << 10,) * 2))
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["31", "system"]
    res = qunkit_subprocess("groups", "--store", store, "--format", "json", limit_as=1_500_000 << 10)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)[0]["messages"] == 31


# -- 5: crash during compaction ------------------------------------------------------------------------
def test_readers_honour_the_compaction_journal(tmp_path: Path) -> None:
    """A compaction killed after renaming the merged part, before deleting the old ones: no double count."""
    store = Store(tmp_path / "s")
    for day in (1, 2, 3):
        import_file(store, write(tmp_path / f"d{day}.txt", qq_export("群", msgs(day, 4))))
    gdir = next(store.groups_dir.iterdir())
    folder = store.part_dir(gdir.name)
    old = sorted(folder.glob("part-*.parquet"))
    merged = pd.concat([pd.read_parquet(p) for p in old])
    merged.to_parquet(folder / "part-merged.parquet", index=False)
    store._write_json(gdir / "compact.json", {"new": "part-merged.parquet", "old": [p.name for p in old]})
    assert len(Store(store.root).messages()) == 12
    assert json.loads(run("groups", "--store", store.root, "--format", "json").stdout)[0]["messages"] == 12
    (folder / "part-merged.parquet").unlink()      # killed before the rename: the old parts count
    assert len(Store(store.root).messages()) == 12


# -- 6: a chat section repeated in one file ------------------------------------------------------------
def test_a_repeated_section_is_stored_once(tmp_path: Path) -> None:
    ones = [("2024-01-01 20:00:00", "甲(10001)", "1")] * 3
    text = qq_export("群A", msgs(1, 5) + ones) + section("群B", msgs(2, 3)) + section("群A", msgs(1, 5) + ones)
    store = Store(tmp_path / "s")
    for chunk_bytes in (8 << 20, 150):        # one chunk, and chunk boundaries everywhere
        res = import_file(store, write(tmp_path / "rep.txt", text), options=ParseOptions(chunk_bytes=chunk_bytes),
                          force=True)
        assert res.report.messages == 19
    by_group = store.messages().groupby("group_name").size().to_dict()
    assert by_group == {"群A": 8, "群B": 3}     # identical "1"s inside one section are still 3 messages


@pytest.mark.parametrize(("sample", "digest"), [("qq-group-sample.txt", "2b2ac86128366ad6"),
                                                ("wechat-group-sample.txt", "1f6e01b621acf8e6")])
def test_keys_of_the_bundled_samples_did_not_change(sample: str, digest: str) -> None:
    """Digest of the sorted keys, taken before per-section occurrence counting: stored stores stay valid."""
    path = ROOT / "samples" / sample
    fmt = "qq-txt" if sample.startswith("qq") else "wechatmsg-txt"
    df, _ = parse_file(path, fmt)
    keys = np.sort(df["msg_key"].to_numpy(np.uint64))
    assert hashlib.sha256(keys.tobytes()).hexdigest()[:16] == digest


# -- 8: a corrupt part ---------------------------------------------------------------------------------
def _two_groups(tmp_path: Path) -> tuple[Path, Path, Path]:
    store = tmp_path / "s"
    fa = write(tmp_path / "a.txt", qq_export("群A", msgs(1, 6)))
    fb = write(tmp_path / "b.txt", qq_export("群B", msgs(2, 4)))
    import_file(Store(store), fa)
    import_file(Store(store), fb)
    return store, fa, fb


def _part_of(store: Path, name: str) -> Path:
    key = Store(store).resolve_group(name)
    return next(Store(store).part_dir(key).glob("part-*.parquet"))


def test_a_corrupt_part_skips_only_its_group(tmp_path: Path) -> None:
    store, fa, _ = _two_groups(tmp_path)
    part = _part_of(store, "群A")
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])       # a truncated copy
    res = run("groups", "--store", store, "--format", "json")
    assert res.exit_code == 0
    assert [g["group_name"] for g in json.loads(res.stdout)] == ["群B"]
    assert str(part) in res.stderr and "skipped" in res.stderr
    assert run("activity", "--store", store, "--format", "json").exit_code == 0
    # a plain import names the part and says how to repair; --force rewrites the group cleanly
    plain = run("import", fa, "--store", store)
    assert plain.exit_code == 3 and str(part) in plain.stderr and "--force" in plain.stderr
    forced = run("import", fa, "--force", "--store", store)
    assert forced.exit_code == 0, forced.output
    assert Store(store).messages().groupby("group_name").size().to_dict() == {"群A": 6, "群B": 4}


def test_exit_3_only_when_nothing_can_be_read(tmp_path: Path) -> None:
    store, _, _ = _two_groups(tmp_path)
    for name in ("群A", "群B"):
        _part_of(store, name).write_bytes(b"not parquet")
    for cmd in ("groups", "activity"):
        res = run(cmd, "--store", store)
        assert res.exit_code == 3 and res.stderr.count("qunkit: error:") == 1


def test_data_page_damage_is_caught_on_read(tmp_path: Path) -> None:
    store, _, _ = _two_groups(tmp_path)
    part = _part_of(store, "群A")
    raw = bytearray(part.read_bytes())
    raw[8:200] = b"\xff" * 192                      # footer intact, column chunks garbage
    part.write_bytes(bytes(raw))
    m = Store(store).messages()
    assert set(m["group_name"]) == {"群B"}


# -- 10: inputs that block or never end, stores that cannot be locked ----------------------------------
def test_fifo_and_devices_are_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for args in ([fifo], ["/dev/zero", "--input-format", "qq-txt"]):
        res = qunkit_subprocess("import", *args, "--store", tmp_path / "s", timeout=30)
        assert res.returncode == 3
        assert ("FIFO" in res.stderr) or ("character device" in res.stderr)


def test_no_line_break_and_nul_inputs_fail_in_bounded_time(tmp_path: Path) -> None:
    long_line = tmp_path / "long.txt"
    long_line.write_text("x" * (40 << 20) + "\n2024-01-01 10:00:00 a(1)\n", encoding="utf-8")  # (mid-file: a bad
    # line, tests/test_hostile_inputs.py)
    nul = tmp_path / "nul.txt"
    nul.write_bytes(b"\0" * (4 << 20))
    with pytest.raises(BadInput, match="no line break"):
        import_file(Store(tmp_path / "s"), long_line, input_format="qq-txt")
    with pytest.raises(BadInput, match="NUL"):
        import_file(Store(tmp_path / "s"), nul, input_format="qq-txt")


def test_a_store_that_cannot_hold_a_lock_fails_at_once(tmp_path: Path) -> None:
    f = write(tmp_path / "a.txt", qq_export("群", msgs(1, 2)))
    res = qunkit_subprocess("import", f, "--store", "/proc/self", timeout=30)
    assert res.returncode == 3 and "cannot create the lock file" in res.stderr


def test_locked_by_another_process_is_a_different_error(tmp_path: Path, monkeypatch) -> None:
    f = write(tmp_path / "a.txt", qq_export("群", msgs(1, 2)))
    (tmp_path / "s").mkdir()
    monkeypatch.setattr(store_mod, "LOCK_TIMEOUT_S", 0.2)
    with FileLock(str(tmp_path / "s" / ".lock")):
        with pytest.raises(StoreError, match="locked by another qunkit process"):
            import_file(Store(tmp_path / "s"), f)


# -- 13: unwritable store, meta.json, deleted groups ---------------------------------------------------
def test_a_write_error_is_one_line_with_the_path(tmp_path: Path, monkeypatch) -> None:
    f = write(tmp_path / "a.txt", qq_export("群", msgs(1, 2)))

    class Denied(store_mod.pq.ParquetWriter):   # the part's rows are written on the writer thread
        def write_table(self, *_a, **_kw):
            raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(store_mod.pq, "ParquetWriter", Denied)
    res = run("import", f, "--store", tmp_path / "s")
    assert res.exit_code == 3
    assert res.stderr.startswith("qunkit: error: cannot write to the store:") and "Permission denied" in res.stderr
    assert "Traceback" not in res.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores permission bits (the monkeypatched test covers it)")
def test_a_read_only_store_is_one_line(tmp_path: Path) -> None:
    f = write(tmp_path / "a.txt", qq_export("群", msgs(1, 2)))
    (tmp_path / "s").mkdir()
    os.chmod(tmp_path / "s", 0o555)
    try:
        res = run("import", f, "--store", tmp_path / "s")
    finally:
        os.chmod(tmp_path / "s", 0o755)
    assert res.exit_code == 3 and "lock file" in res.stderr


@pytest.mark.parametrize("damage", ["missing", "empty", "garbage"])
def test_a_group_with_parts_but_no_good_meta_is_still_listed(tmp_path: Path, damage: str) -> None:
    store, _, _ = _two_groups(tmp_path)
    meta = store / "groups" / Store(store).resolve_group("群A") / "meta.json"
    {"missing": meta.unlink, "empty": lambda: meta.write_text("{}"), "garbage": lambda: meta.write_text("{")}[damage]()
    res = run("groups", "--store", store, "--format", "json")
    assert res.exit_code == 0
    got = {g["group_name"]: g["messages"] for g in json.loads(res.stdout)}
    assert got == {"群A": 6, "群B": 4}
    assert str(meta) in res.stderr and "rebuilt" in res.stderr


def test_reimport_restores_a_deleted_group_folder(tmp_path: Path) -> None:
    store, fa, _ = _two_groups(tmp_path)

    key = Store(store).resolve_group("群A")
    shutil.rmtree(store / "groups" / key)                         # the group deleted: control folder and rows
    shutil.rmtree(Store(store).part_dir(key))
    res = import_file(Store(store), fa)
    assert not res.skipped_unchanged and res.added_total == 6
    assert import_file(Store(store), fa).skipped_unchanged        # and now it is unchanged again


# -- 14: no phantom groups -----------------------------------------------------------------------------
def test_a_folder_without_parts_is_not_a_group(tmp_path: Path) -> None:
    store, _, _ = _two_groups(tmp_path)
    Store(store).update_meta("0123456789abcdef", platform="qq", group_id="幽灵", names=["幽灵"], latest="幽灵",
                             chat_type="group")
    res = run("groups", "--store", store, "--format", "json")
    assert sorted(g["group_name"] for g in json.loads(res.stdout)) == ["群A", "群B"]
