"""Old entry points of the golden harness, kept as thin aliases of ``golden_frames``
(one mechanism: parse like the store, render cells one way)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from golden_frames import read_expected, render, run_parser

from qunkit.formats import ParseReport


def parse_file(path: Path, fmt: str, **opts) -> tuple[pd.DataFrame, ParseReport]:
    """``run_parser`` with the arguments the other way round."""
    return run_parser(fmt, path, **opts)


def comparable(df: pd.DataFrame, columns: list[str], tz: str = "UTC") -> pd.DataFrame:
    return render(df, columns, tz)


def expected(path: Path) -> pd.DataFrame:
    return read_expected(path)
