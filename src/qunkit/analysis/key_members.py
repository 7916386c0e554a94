"""Key members gone quiet, and key members back: who carried a group and stopped (or returned).

A group often lives on two or three regulars; when they stop, the rest follow
(the practice: no devoted core, familiarity fades).  "Key" is measured, not
assumed: a member who wrote at least ``KEY_MIN_MSGS`` messages with content and
``KEY_SHARE`` of the group's in a reference window (the 60 days before the last
30 for "quiet"; the 60 days before their silence began for "back"), at most
``KEY_TOP`` of them.  One group at a time, vectorised over its messages.
"""

from __future__ import annotations

from typing import Any

import numpy as np

DAY = 86_400 * 1_000_000_000
QUIET_DAYS = 30          # silent this long (up to as_of) = gone quiet
REF_DAYS = 60            # the window a member must have been key in
BACK_DAYS = 14           # a return within this many days before as_of counts as "back"
KEY_MIN_MSGS = 15
KEY_SHARE = 0.10
KEY_TOP = 5


def _key_in(mi: np.ndarray, sel: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Members with enough messages and share among ``mi[sel]``: (ids, counts), biggest first, and the total."""
    total = int(sel.sum())
    if not total:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), 0
    ids, counts = np.unique(mi[sel], return_counts=True)
    order = np.argsort(-counts, kind="stable")[:KEY_TOP]
    ids, counts = ids[order], counts[order]
    keep = (counts >= KEY_MIN_MSGS) & (counts >= KEY_SHARE * total)
    return ids[keep], counts[keep], total


def key_member_features(mi: np.ndarray, ti: np.ndarray, talk: np.ndarray, names: np.ndarray, as_of: int
                        ) -> dict[str, Any]:
    """One group's key members quiet for ``QUIET_DAYS`` and those back after such a silence.

    ``mi``: person index per message (into ``names``), ``ti``: ns times (sorted), ``talk``: content mask.
    Each entry: name, messages and share in the reference window, days silent (or the silence ended).
    """
    age = as_of - ti
    ref = talk & (age >= QUIET_DAYS * DAY) & (age < (QUIET_DAYS + REF_DAYS) * DAY)
    ids, counts, total = _key_in(mi, ref)
    recent_ids = np.unique(mi[talk & (age < QUIET_DAYS * DAY)])
    quiet = []
    for pid, n in zip(ids, counts, strict=True):
        if pid in recent_ids:
            continue
        last = int(ti[talk & (mi == pid)].max())
        quiet.append({"name": str(names[pid]), "messages": int(n), "share": round(n / total, 4),
                      "days_silent": round((as_of - last) / DAY, 1)})
    return {"key_members": int(len(ids)), "key_ref_messages": total, "key_quiet": quiet,
            "key_quiet_share": round(sum(q["share"] for q in quiet), 4),
            "key_back": _back(mi, ti, talk, names, as_of)}


def _back(mi: np.ndarray, ti: np.ndarray, talk: np.ndarray, names: np.ndarray, as_of: int) -> list[dict[str, Any]]:
    """Members whose first message in the last ``BACK_DAYS`` ended a silence of ``QUIET_DAYS`` or more and
    who were key in the ``REF_DAYS`` before that silence."""
    idx = np.flatnonzero(talk)
    if len(idx) < 2:
        return []
    by_member = idx[np.lexsort((ti[idx], mi[idx]))]
    m, t = mi[by_member], ti[by_member]
    gap = np.full(len(m), np.iinfo(np.int64).max)
    same = m[1:] == m[:-1]
    gap[1:][same] = t[1:][same] - t[:-1][same]
    ret = np.flatnonzero((t > as_of - BACK_DAYS * DAY) & (gap >= QUIET_DAYS * DAY) & (gap < np.iinfo(np.int64).max))
    out = []
    tt = ti[idx]
    for r in ret:
        pid, silent_from = m[r], int(t[r - 1])
        win = (tt > silent_from - REF_DAYS * DAY) & (tt <= silent_from)
        ids, counts, total = _key_in(mi[idx], win)
        hit = np.flatnonzero(ids == pid)
        if len(hit):
            n = int(counts[hit[0]])
            out.append({"name": str(names[pid]), "messages": n, "share": round(n / total, 4),
                        "silent_days": round((int(t[r]) - silent_from) / DAY, 1)})
    return out
