"""Real QQ .txt exports (../shared/realdata/qq-txt, see conftest.realdata): they import
without unreadable lines, with distinct keys, the same in small chunks, and idempotently.

Figures only: never put anything from these files into an assertion message or the repo."""

from __future__ import annotations

from pathlib import Path

import pytest
from golden_frames import run_parser

from qunkit.formats import sniff
from qunkit.ingest import import_file
from qunkit.store import Store


@pytest.fixture(scope="module")
def qq_exports(realdata: Path) -> list[Path]:
    files = sorted((realdata / "qq-txt").glob("*.txt"))
    assert files, "realdata/qq-txt holds no .txt export"
    return files


def test_real_qq_txt_exports_parse_cleanly_in_any_chunking(qq_exports: list[Path]) -> None:
    for i, path in enumerate(qq_exports):
        assert sniff(path).name == "qq-txt", f"file {i}"
        whole, report = run_parser("qq-txt", path)
        assert len(whole) > 1000 and report.bad_lines == 0 and not report.truncated, f"file {i}"
        assert whole["msg_key"].is_unique, f"file {i}"
        if path.stat().st_size > 1 << 20:
            continue                 # chunking is the point, not size: the big one is parsed whole only
        small, _ = run_parser("qq-txt", path, chunk_bytes=1 << 16)
        for col in ("msg_key", "source_line", "kind", "event", "sender_name"):  # msg_key covers ts, sender, text
            assert small[col].astype(object).equals(whole[col].astype(object)), f"file {i}: {col}"


def test_real_export_imported_twice_adds_nothing(qq_exports: list[Path], tmp_path: Path) -> None:
    path = min(qq_exports, key=lambda p: p.stat().st_size)
    store = Store(tmp_path / "s")
    first = import_file(store, path)
    again = import_file(store, path, force=True)
    assert first.added_total == len(run_parser("qq-txt", path)[0]) > 0
    assert again.added_total == 0 and again.duplicates == first.added_total
