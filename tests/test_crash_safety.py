"""Imports killed with SIGKILL at each kill point (``QUNKIT_TEST_KILL_AT``, read in qunkit.store.kill_point).

After every kill the store opens, readers see no double counts and no phantom groups, and re-running the
import gives exactly the store an uninterrupted import gives.  Concurrent overlapping imports store every
message once."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_hardening_store import section
from test_store import msgs, qq_export, write

from qunkit.derived import enable, stale_groups
from qunkit.ingest import import_file
from qunkit.store import COMPACT_AFTER_PARTS, KILL_ENV, Store

SRC = Path(__file__).resolve().parents[1] / "src"
KILL_POINTS = ["parts_written", "parts_committed", "meta_written", "compact_renamed", "derived_written",
               "before_imports"]


def import_in_child(store: Path, *files: Path, kill_at: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    env.pop(KILL_ENV, None)
    if kill_at:
        env[KILL_ENV] = kill_at
    code = "import sys; from qunkit.cli import main; sys.argv[0] = 'qunkit'; main()"
    return subprocess.run([sys.executable, "-c", code, "import", *map(str, files), "--store", str(store), "-q"],
                          capture_output=True, text=True, timeout=120, env=env)


def snapshot(store: Path) -> dict:
    """What a reader sees: per group, its meta and its sorted message keys."""
    s = Store(store)
    m = s.messages()
    assert m["msg_key"].is_unique, "a message is counted twice"
    metas = s.metas()
    out = {}
    for key, meta in metas.items():
        keys = sorted(m.loc[m["group_id"] == meta["group_id"], "msg_key"].tolist())
        assert keys, f"phantom group {meta['group_name']} with no messages"
        out[key] = ({k: meta[k] for k in ("group_id", "group_name", "platform", "chat_type")}, keys)
    return out


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> dict:
    """A store with COMPACT_AFTER_PARTS imports of one group, and the next file: one more day of that group
    (its import compacts) plus a new group."""
    root = tmp_path_factory.mktemp("crash")
    base = root / "base"
    with Store(base).lock():
        enable(Store(base))        # the store keeps facts: the derived_written kill point is on the import path
    for day in range(1, COMPACT_AFTER_PARTS + 1):
        import_file(Store(base), write(root / f"d{day}.txt", qq_export("老群", msgs(day, 3))))
    nxt = write(root / "next.txt", qq_export("老群", msgs(20, 4)) + section("新群", msgs(21, 5)))
    clean = root / "clean"
    shutil.copytree(base, clean)
    import_file(Store(clean), nxt)
    return {"root": root, "base": base, "next": nxt, "clean": snapshot(clean),
            "before": snapshot(base)}


@pytest.mark.parametrize("point", KILL_POINTS)
def test_an_import_killed_at_a_kill_point_recovers_exactly(scenario: dict, point: str) -> None:
    store = scenario["root"] / f"killed-{point}"
    shutil.copytree(scenario["base"], store)
    killed = import_in_child(store, scenario["next"], kill_at=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    seen = snapshot(store)                  # opens; no double count; no phantom group
    clean, before = scenario["clean"], scenario["before"]
    for key, (meta, keys) in seen.items():  # every reader sees either the old or the new state of a group
        assert (meta, keys) in (before.get(key), clean[key])
    import_file(Store(store), scenario["next"])
    assert snapshot(store) == clean
    assert not list(store.rglob(".tmp-*")) and not list(store.rglob("compact.json"))
    assert len(list((store / "messages").glob("group_key=*/part-*.parquet"))) <= COMPACT_AFTER_PARTS + 1
    assert stale_groups(Store(store)) == {}            # the re-run also finished the facts and aggregates


def test_the_compaction_kill_point_is_reached(scenario: dict) -> None:
    """The scenario really compacts (else the compact_renamed case would test nothing)."""
    store = scenario["root"] / "compact-check"
    shutil.copytree(scenario["base"], store)
    import_in_child(store, scenario["next"], kill_at="compact_renamed")
    assert list(store.rglob("compact.json")), "the import was not killed mid-compaction"


def test_concurrent_overlapping_imports_store_every_message_once(tmp_path: Path) -> None:
    a = write(tmp_path / "a.txt", qq_export("群", msgs(1, 30) + msgs(2, 30)))
    b = write(tmp_path / "b.txt", qq_export("群", msgs(2, 30) + msgs(3, 30)))
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    code = "import sys; from qunkit.cli import main; sys.argv[0] = 'qunkit'; main()"
    procs = [subprocess.Popen([sys.executable, "-c", code, "import", str(f), "--store", str(tmp_path / "s"), "-q"],
                              env=env) for f in (a, b, a, b)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    m = Store(tmp_path / "s").messages()
    assert len(m) == 90 and m["msg_key"].is_unique
