"""Small helpers shared by tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from qunkit.formats import ParseOptions, ParseReport, finish_chunk, get_parser


def parse_file(path: Path, fmt: str, **opts) -> tuple[pd.DataFrame, ParseReport]:
    """Parse through the public parser interface into canonical rows."""
    parser = get_parser(fmt)
    report = ParseReport(str(path), fmt)
    options = ParseOptions(**opts)
    carry: dict[int, int] = {}
    tables = [finish_chunk(c, parser, path.name, options.tz, carry).to_pandas()
              for c in parser().parse(path, options, report)]
    df = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    return df, report


def comparable(df: pd.DataFrame, columns: list[str], tz: str = "Asia/Shanghai") -> pd.DataFrame:
    out = pd.DataFrame()
    for c in columns:
        if c == "ts":
            out[c] = df["ts"].dt.tz_convert(tz).map(lambda t: t.isoformat())
        else:
            out[c] = df[c].astype(object).where(df[c].notna(), "").astype(str)
    return out.reset_index(drop=True)


def expected(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)
