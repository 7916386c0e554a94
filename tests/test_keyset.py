"""``ingest.KeySet``: the rows an import adds are those a plain set of seen keys would add."""

from __future__ import annotations

import numpy as np

from qunkit.ingest import KeySet


def test_keyset_adds_what_a_set_of_seen_keys_adds() -> None:
    rng = np.random.default_rng(7)
    stored = np.unique(rng.integers(0, 5000, 300, dtype=np.uint64))
    keyset, seen = KeySet(stored), set(stored.tolist())
    for _ in range(200):
        keys = rng.integers(0, 5000, int(rng.integers(0, 120)), dtype=np.uint64)
        want = np.zeros(len(keys), bool)
        for i, k in enumerate(keys.tolist()):
            if k not in seen:
                want[i] = True
                seen.add(k)
        assert keyset.add_new(keys).tolist() == want.tolist()
    assert len(keyset.runs) <= 12          # log-structured: few runs, not one per chunk
    assert sorted(np.concatenate(keyset.runs).tolist()) == sorted(seen)
    for run in keyset.runs:
        assert (np.diff(run.astype(np.int64)) > 0).all()


def test_an_empty_store_starts_with_no_runs() -> None:
    keyset = KeySet(np.zeros(0, np.uint64))
    assert keyset.add_new(np.array([3, 3, 1], np.uint64)).tolist() == [True, False, True]
    assert keyset.add_new(np.array([1, 2], np.uint64)).tolist() == [False, True]
