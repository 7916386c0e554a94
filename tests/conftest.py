import os
from pathlib import Path

import pytest

# a command module that fails to import must fail the tests, not vanish from --help
os.environ["QUNKIT_STRICT_IMPORTS"] = "1"

DATA = Path(__file__).parent / "data"


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"
