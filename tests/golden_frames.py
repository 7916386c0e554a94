"""Golden-file helpers for parser tests: run a parser through the public API
(``get_parser`` + ``finish_chunk``) and render the key columns as strings so a
hand-written ``*.expected.csv`` can be compared cell by cell."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from qunkit.formats import ParseOptions, ParseReport, finish_chunk, get_parser
from qunkit.schema import empty_messages

KEY_COLUMNS = ["group_id", "group_name", "ts", "sender_id", "sender_name", "sender_title", "kind", "text",
               "event", "event_target", "reply_to", "mentions", "source_line"]


def run_parser(name: str, path: Path, tz: str = "Asia/Shanghai", **opts) -> tuple[pd.DataFrame, ParseReport]:
    """Parse ``path`` with format ``name``; return the canonical table (pandas) and the report."""
    parser = get_parser(name)
    report = ParseReport(file=str(path), format=name)
    options = ParseOptions(tz=tz, **opts)
    tables = [finish_chunk(df, parser, str(path), tz) for df in parser().parse(path, options, report)]
    if not tables:
        return empty_messages().to_pandas(), report
    frames = [t.to_pandas() for t in tables]
    return pd.concat(frames, ignore_index=True), report


def as_strings(df: pd.DataFrame, columns: list[str], tz: str = "Asia/Shanghai") -> pd.DataFrame:
    """Key columns rendered the way the expected CSV files write them."""
    out = pd.DataFrame(index=df.index)
    for col in columns:
        s = df[col]
        if col == "ts":
            out[col] = [t.tz_convert(tz).isoformat() for t in s]
        elif col == "mentions":
            out[col] = ["|".join(v) if v is not None and len(v) else "" for v in s]
        else:
            out[col] = ["" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v) for v in s.astype(object)]
    return out.reset_index(drop=True)


def assert_golden(df: pd.DataFrame, expected_csv: Path, tz: str = "Asia/Shanghai") -> None:
    expected = pd.read_csv(expected_csv, dtype=str, keep_default_na=False)
    got = as_strings(df, list(expected.columns), tz)
    if len(got) != len(expected):
        raise AssertionError(f"{len(got)} rows parsed, {len(expected)} expected:\n{got.to_string()}")
    for i in range(len(expected)):
        g, e = got.iloc[i].to_dict(), expected.iloc[i].to_dict()
        diff = {k: (g[k], e[k]) for k in e if g[k] != e[k]}
        assert not diff, f"row {i + 1} ({expected_csv.name}): (got, expected) {diff}"
