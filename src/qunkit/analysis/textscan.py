"""Vectorised RE2 scans over the distinct texts of a column: the plumbing text_features and acts share.

Chat logs repeat "1", "哈哈" and "[图片]" endlessly, so both the lexicon flags and the message
acts dictionary-encode a text column once and run each pattern over its distinct values.
Kept apart so that ``text_features`` (which uses acts) and ``acts`` (which uses these) do not
import each other.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# a contact handle: an id after a colon or a contact word, or a mainland mobile number
HANDLE = (r"(?:微信|weixin|wx|vx|v信|qq|扣扣|薇|威信|v|q)\s*号?\s*[:：\s]\s*[a-z_-]{0,15}\d[a-z0-9_-]{2,15}"
          r"|(?:^|\D)1[3-9]\d{9}(?:\D|$)")


def _codes(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(codes, labels as str) of a column; categoricals keep their dictionary, others are factorised."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = np.asarray(s.cat.categories.astype(str), dtype=object)
        return s.cat.codes.to_numpy().astype(np.int64), cats
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    return codes.astype(np.int64), np.asarray(pd.Index(uniq).astype(str), dtype=object)


def _arrow(s: pd.Series, typ: pa.DataType) -> pa.Array:
    arr = pa.array(s.array, type=typ, from_pandas=True) if len(s) else pa.array([], type=typ)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def str_array(s: pd.Series) -> pa.Array | None:
    """A text column (str, or categorical of str) as an Arrow string array, nulls where missing, without a
    Python object per row (a categorical's dictionary is cast in C++: 0.01 s against 0.35 s a million rows
    through objects); None for any other column, whose values the caller converts its own way."""
    if isinstance(s.dtype, pd.StringDtype):
        return _arrow(s, pa.string())
    if isinstance(s.dtype, pd.CategoricalDtype) and isinstance(s.cat.categories.dtype, pd.StringDtype):
        arr = pa.array(s.array)
        arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
        return arr.cast(pa.string())
    return None


def _run_regexes(uniq: pa.Array, jobs: dict[str, tuple[str, str | None]]) -> dict[str, np.ndarray]:
    """Run each (match|count, RE2 pattern) over the distinct texts, in parallel threads."""
    def one(job: tuple[str, str | None]) -> np.ndarray:
        how, rx = job
        if rx is None or not len(uniq):
            return np.zeros(len(uniq), dtype=bool if how == "match" else np.int64)
        if how == "match":
            return pc.match_substring_regex(uniq, rx, ignore_case=True).fill_null(False).to_numpy(
                zero_copy_only=False)
        return pc.count_substring_regex(uniq, rx, ignore_case=True).fill_null(0).to_numpy(zero_copy_only=False)

    # each pattern scans the texts once: a "match" of a pattern that is also counted is count > 0
    # (acts.json counts the very cue words it matches: ad_word, recruit, complaint_soft)
    counted = {rx for how, rx in jobs.values() if how == "count" and rx is not None}
    scans = {k: j for k, j in jobs.items() if not (j[0] == "match" and j[1] in counted)}
    workers = max(1, min(len(scans), os.cpu_count() or 1))
    if workers == 1 or len(uniq) < 20_000:
        done = {k: one(j) for k, j in scans.items()}
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            done = dict(zip(scans.keys(), pool.map(one, scans.values()), strict=True))
    by_rx = {rx: done[k] for k, (how, rx) in scans.items() if how == "count"}
    return {k: done[k] if k in done else by_rx[j[1]] > 0 for k, j in jobs.items()}
