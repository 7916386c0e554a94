import os
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
# Real people's exports: local test input only; never copy their names, text or ids into the repo.
# ../shared/realdata from the repo root (CI has it); QUNKIT_REALDATA points elsewhere (a git worktree
# whose parent has no shared/).
REALDATA = Path(os.environ.get("QUNKIT_REALDATA") or Path(__file__).resolve().parents[1] / ".." / "shared" / "realdata")


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The real-export directory, or a skip (a user's clone may not have it: an optional external thing)."""
    if not REALDATA.is_dir():
        pytest.skip("../shared/realdata not found: real-export tests skipped")
    return REALDATA.resolve()


@pytest.fixture(autouse=True)
def _cold_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test computes its analyses (no result cache: qunkit.resultcache), so a test that changes
    code or data between two runs on one store sees the change; tests/test_nightly.py turns it on."""
    monkeypatch.setenv("QUNKIT_NO_CACHE", "1")
