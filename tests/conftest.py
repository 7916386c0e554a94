from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"
