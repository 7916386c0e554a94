"""Layout 1 (``groups/<key>/messages/``, no store.json) is migrated to the Hive layout on open, crash-safely.

A migration killed after its first group (kill point ``migrate_moved``) leaves a store that opens, reads every
message once and finishes migrating; plain Parquet readers see the Hive partitions afterwards."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
import pytest
from test_crash_safety import snapshot
from test_hardening_store import section
from test_store import msgs, qq_export, write

from qunkit.ingest import import_file
from qunkit.store import KILL_ENV, PARTITION, SCHEMA_VERSION, Store

SRC = Path(__file__).resolve().parents[1] / "src"


def to_layout_1(root: Path) -> None:
    """Put a store back into layout 1: parts under groups/<key>/messages/, no store.json."""
    for part_dir in (root / "messages").glob(f"{PARTITION}=*"):
        old = root / "groups" / part_dir.name.split("=", 1)[1] / "messages"
        old.mkdir(parents=True, exist_ok=True)
        for p in part_dir.iterdir():
            os.replace(p, old / p.name)
    shutil.rmtree(root / "messages")
    (root / "store.json").unlink()


@pytest.fixture
def old_store(tmp_path: Path) -> tuple[Path, dict]:
    root = tmp_path / "s"
    import_file(Store(root), write(tmp_path / "a.txt", qq_export("群A", msgs(1, 5)) + section("群B", msgs(2, 3))
                                   + section("群C", msgs(3, 4))))
    import_file(Store(root), write(tmp_path / "b.txt", qq_export("群A", msgs(4, 2))))
    expected = snapshot(root)
    to_layout_1(root)
    return root, expected


def cli_in_child(root: Path, *args: str, kill_at: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    env.pop(KILL_ENV, None)
    if kill_at:
        env[KILL_ENV] = kill_at
    code = "import sys; from qunkit.cli import main; sys.argv[0] = 'qunkit'; main()"
    return subprocess.run([sys.executable, "-c", code, *args, "--store", str(root)], capture_output=True,
                          text=True, timeout=120, env=env)


def migrated(root: Path) -> bool:
    version = json.loads((root / "store.json").read_text())["schema_version"] if (root / "store.json").exists() else 1
    return version == SCHEMA_VERSION and not list((root / "groups").glob("*/messages"))


def test_opening_a_layout_1_store_migrates_it_with_a_note(old_store: tuple[Path, dict]) -> None:
    root, expected = old_store
    assert not migrated(root)
    res = cli_in_child(root, "groups", "--format", "json")
    assert res.returncode == 0, res.stderr
    assert "migrated to layout 2" in res.stderr and "3 group(s)" in res.stderr
    assert {g["group_name"]: g["messages"] for g in json.loads(res.stdout)} == {"群A": 7, "群B": 3, "群C": 4}
    assert migrated(root) and snapshot(root) == expected
    again = cli_in_child(root, "groups", "--format", "json")
    assert "migrated" not in again.stderr            # once


def test_a_migration_killed_midway_opens_and_finishes(old_store: tuple[Path, dict]) -> None:
    root, expected = old_store
    killed = cli_in_child(root, "groups", kill_at="migrate_moved")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not migrated(root)
    assert list((root / "messages").glob(f"{PARTITION}=*/part-*.parquet"))     # half moved
    assert list((root / "groups").glob("*/messages/part-*.parquet"))
    assert snapshot(root) == expected                 # opens, each message once; the open finished the job
    assert migrated(root)
    assert not list(root.rglob(".tmp-*"))


def test_the_migrated_store_is_a_hive_dataset(old_store: tuple[Path, dict]) -> None:
    root, _ = old_store
    Store(root).metas()
    rows = sum(len(keys) for _, keys in snapshot(root).values())
    frame = pd.read_parquet(root / "messages")
    assert len(frame) == rows == 14
    by_key = frame.groupby(PARTITION, observed=True).size().to_dict()
    assert by_key == {k: len(keys) for k, (_, keys) in snapshot(root).items()}
    table = ds.dataset(root / "messages", partitioning="hive").to_table(columns=["msg_key", PARTITION])
    assert table.num_rows == rows


def test_a_store_from_a_newer_qunkit_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "s"
    import_file(Store(root), write(tmp_path / "a.txt", qq_export("群A", msgs(1, 2))))
    (root / "store.json").write_text(json.dumps({"schema_version": SCHEMA_VERSION + 1}))
    res = cli_in_child(root, "groups")
    assert res.returncode == 3 and "newer than this qunkit" in res.stderr
