"""Real WhatsApp and Telegram exports import with nothing lost.

Reads /work/shared/realdata (beside the repository; $QUNKIT_REALDATA overrides) and compares, per file,
qunkit's message and event counts with the independent header/JSON counts of benchmarks/realdata_counts.py.
Only numbers are asserted: the files hold real people's chats and none of their content enters the repo.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import realdata_counts as rc  # noqa: E402

if not rc.REALDATA.is_dir():
    pytest.skip(f"real exports not present at {rc.REALDATA} (set QUNKIT_REALDATA to run these)",
                allow_module_level=True)

CASES = [(fmt, p) for fmt, p in rc.files() if fmt in ("whatsapp-txt", "telegram-json")]


def test_there_are_real_files_of_both_formats() -> None:
    assert {fmt for fmt, _ in CASES} == {"whatsapp-txt", "telegram-json"}


@pytest.mark.parametrize(("fmt", "path"), CASES, ids=[p.name[:50] for _, p in CASES])
def test_every_header_becomes_one_row(fmt: str, path: Path) -> None:
    want = rc.COUNTERS[fmt](path)
    got = rc.import_file(path, fmt)
    assert got.format == fmt                       # sniffed, not forced
    assert (got.messages, got.events) == (want.messages, want.events)
    assert got.report.bad_lines == 0 and not got.report.truncated


@pytest.mark.parametrize(("fmt", "path"), [c for c in CASES if c[0] == "telegram-json"],
                         ids=lambda v: v.name[:50] if isinstance(v, Path) else v)
def test_channels_are_reported_not_imported(fmt: str, path: Path) -> None:
    want = rc.COUNTERS[fmt](path)
    notes = rc.import_file(path, fmt).report.notes
    assert len([n for n in notes if "channel, not a group" in n]) == len(want.skipped)
    for name in want.skipped:
        assert any(repr(name) in n for n in notes)
