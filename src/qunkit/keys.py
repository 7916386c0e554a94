"""Stable message keys for idempotent imports.

A key is a 64-bit hash of (platform, group_id, ts truncated to the second,
sender_id, text) plus the occurrence number of that tuple within one chunk, so
two identical "1" replies in the same second stay two messages while the same
message imported again from an overlapping export gets the same key.  Seconds,
not milliseconds: some exporters keep ms and others do not.  pandas'
``hash_pandas_object`` uses a fixed SipHash key, so keys are stable across runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEY_COLUMNS = ("platform", "group_id", "ts", "sender_id", "text")


def message_keys(df: pd.DataFrame, carry: dict[int, int] | None = None) -> np.ndarray:
    """Return a uint64 key per row of ``df`` (which has KEY_COLUMNS).

    ``carry`` continues occurrence numbers across the chunks of one file: a run
    of identical messages cut by a chunk boundary sits in the last second of the
    earlier chunk, so only the counts of that second are carried (a tiny dict).
    """
    if len(df) == 0:
        return np.zeros(0, dtype=np.uint64)
    secs = df["ts"].astype("datetime64[ms, UTC]").astype("int64") // 1000
    parts = pd.DataFrame(
        {
            "platform": df["platform"].astype(str).to_numpy(),
            "group_id": df["group_id"].astype(str).to_numpy(),
            "ts": secs.to_numpy(),
            "sender_id": df["sender_id"].astype(str).to_numpy(),
            "text": df["text"].fillna("").astype(str).to_numpy(),
        }
    )
    base = pd.util.hash_pandas_object(parts, index=False).to_numpy()
    occurrence = pd.Series(base).groupby(base).cumcount().to_numpy().astype(np.uint64)
    if carry is not None:
        if carry:
            ckeys = np.fromiter(carry.keys(), np.uint64, len(carry))
            hit = np.flatnonzero(np.isin(base, ckeys))
            if len(hit):
                occurrence[hit] += np.array([carry[int(b)] for b in base[hit]], np.uint64)
        last = secs.to_numpy() == secs.iloc[-1]
        tail = pd.Series(occurrence[last] + 1, index=base[last])
        carry.clear()
        carry.update({int(k): int(v) for k, v in tail.groupby(level=0).max().items()})
    # mix the occurrence in; 0x9E37... is the 64-bit golden-ratio constant
    with np.errstate(over="ignore"):
        return base ^ (occurrence * np.uint64(0x9E3779B97F4A7C15))
