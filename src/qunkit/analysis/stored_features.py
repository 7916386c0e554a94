"""A group's features over all its messages, as a stored table and back (issue #10).

``compute_features`` is the largest per-message cost of ``risk``, ``prune``, ``roles``, ``activity`` and
``analyze`` (replies, floods, duplicates, mentions, names: about 1 CPU s per 250,000 messages, every run).
Over *all* of a group's messages -- the scope of a default run -- its per-message columns depend on
that group's messages, its members and the built-in lexicons only: what the stored facts depend on.
So ``qunkit rebuild`` (and every import into a store that keeps derived tables) stores them as the
``features`` table (``table``), and a run whose scope keeps every message of fresh groups rebuilds
``Features`` from it (``assemble``) instead of computing them.

What is stored is what cannot be had cheaply: the per-message columns (flags, acts, floods, replies,
answers ...), each reply's replier as the first row that member wrote, the membership events with their actor and target
resolved, and the topic cues of ``grouptype``.  What numbers rows within a run -- the group and member
numbers, the row of ``messages`` (``src``), the ``kind`` categories, names as of the last message -- is
made from the run's own messages frame, the way ``text_features`` makes it, because a batch of groups
numbers them together.  ``assemble`` therefore equals ``compute_features`` on the same messages, frame
for frame (``tests/test_stored_features.py`` compares every column).

Rows: the spoken messages in ``Features.msgs`` order (``section`` 0, keyed by ``msg_key``), then the
membership events in ``Features.events`` order (``section`` 1).  Every boolean column is a bit of one
int64 ``flags`` (the names in the schema metadata): reading 50 columns cost more than the rest.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa

from .acts import TOPIC_CUES
from .text_features import (
    Features,
    _labels,
    group_frame,
    group_labels,
    kind_codes,
    kind_column,
    people_frame,
    row_order,
    system_rows,
    to_datetime_utc,
    ts_ns,
)
from .textscan import _codes

# msgs columns made from the run's own messages frame (see the module docstring), not stored
_NUMBERING = ("g", "mk", "t", "kind", "src", "ts", "replier")
# Features.events columns -> stored column (the msgs have a boolean ``event`` of their own)
_EVENT_COLUMNS = {"event": "event_label", "actor": "event_actor", "target": "event_target", "text": "event_text"}
_META = b"qunkit.msgs_columns"      # Features.msgs columns, in order
_FLAGS = b"qunkit.flag_bits"        # the boolean columns packed in ``flags`` (bit i: the i-th name)


def table(F: Features, msg_keys: np.ndarray, topics: dict[str, np.ndarray]) -> pa.Table:
    """One group's features (``F`` over all its messages) as the stored table; ``msg_keys``: the
    ``msg_key`` of each msgs row, ``topics``: each ``TOPIC_CUES`` cue per msgs row.  A reply's replier is
    kept as ``replier_row``, the first msgs row the replier wrote (-1: none): a batch numbers members
    its own way, and a row says who without a name lookup."""
    if F.groups["group_id"].nunique() > 1:
        raise ValueError("a features table holds one group")
    f = F.msgs
    replier, mk = f["replier"].to_numpy(np.int64), f["mk"].to_numpy(np.int64)
    first_row = np.full(len(F.people), -1, np.int64)
    first_row[mk[::-1]] = np.arange(len(f) - 1, -1, -1)        # the earliest row of each member wins
    spoken = {"section": pa.array(np.zeros(len(f), np.int8)),
              "msg_key": pa.array(np.asarray(msg_keys, np.uint64), pa.uint64()),
              "replier_row": pa.array(np.where(replier >= 0, first_row[np.maximum(replier, 0)], -1), pa.int64())}
    flags = {c: f[c].to_numpy() for c in f.columns if c not in _NUMBERING and f[c].dtype == bool}
    flags.update({f"topic_{c}": np.asarray(topics[c], bool) for c in TOPIC_CUES})
    if len(flags) > 63:
        raise AssertionError(f"{len(flags)} boolean features do not fit one int64")
    bits = np.zeros(len(f), np.int64)
    for i, v in enumerate(flags.values()):
        bits |= v.astype(np.int64) << i
    spoken["flags"] = pa.array(bits, pa.int64())      # one column for every boolean: a cheap read
    for c in f.columns:
        if c not in _NUMBERING and c not in flags:
            spoken[c] = pa.array(f[c].to_numpy())
    ev = F.events
    events = {"section": pa.array(np.ones(len(ev), np.int8)),
              "event_ts": pa.array(ts_ns(ev["ts"]), pa.int64()),
              **{name: pa.array(_strings(ev[c]), pa.string()) for c, name in _EVENT_COLUMNS.items()}}
    out = pa.concat_tables([pa.table(spoken), pa.table(events)], promote_options="default")
    return out.replace_schema_metadata({_META: json.dumps(list(f.columns)).encode(),
                                        _FLAGS: json.dumps(list(flags)).encode()})


def assemble(messages: pd.DataFrame, tables: dict[str, pa.Table], group_ids: dict[str, str], as_of: pd.Timestamp
             ) -> Features | None:
    """``Features`` of ``messages`` (every message of the groups ``tables`` holds: group key -> its stored
    table; ``group_ids``: group key -> group id; with ``msg_key``) from the stored tables; None when they
    do not hold exactly these messages in the features' order (compute them instead)."""
    m = messages
    gcode, glabels = _codes(m["group_id"])
    scode, slabels = _codes(m["sender_id"])
    kcode, klabels = kind_codes(m)
    t_all = ts_ns(m["ts"])
    order = row_order(m, gcode, t_all)
    groups, gnum, _ = group_frame(gcode[order], t_all[order], glabels, group_labels(m, order))
    code_of = {str(label): i for i, label in enumerate(glabels)}
    codes = [code_of.get(group_ids.get(k, ""), -1) for k in tables]
    if sorted(codes) != sorted(gnum.tolist()) or not all(map(_readable, tables.values())):
        return None
    spoken, events = [], []
    for _, key in sorted(zip(codes, tables, strict=True)):       # the groups in the run's numbering
        t = tables[key]
        n = int(np.searchsorted(t["section"].to_numpy(), 1))     # spoken rows first, then the events
        spoken.append(t.slice(0, n))
        events.append(t.slice(n))
    sp, ev = pa.concat_tables(spoken), pa.concat_tables(events)
    rows = order[~system_rows(m, kcode, klabels, scode, slabels)[order]]
    keys = m["msg_key"].to_numpy(np.uint64)
    if len(rows) != sp.num_rows or len(rows) + ev.num_rows != len(m) or (
            keys[rows] != sp["msg_key"].to_numpy().astype(np.uint64)).any():
        return None

    dense = np.zeros(len(glabels) + 1, np.int64)
    dense[gnum] = np.arange(len(gnum))
    g = dense[gcode[rows]]
    pair_uniq, mk = np.unique(gcode[rows] * (len(slabels) + 1) + scode[rows], return_inverse=True)
    mk = mk.astype(np.int64)
    people = people_frame(pair_uniq, mk, _labels(m["sender_name"])[rows], slabels, gnum, groups, len(glabels))
    t = t_all[rows]
    starts = np.r_[0, np.cumsum(np.bincount(g, minlength=len(gnum)))[:-1]]    # each group's first msgs row
    meta = next(iter(tables.values())).schema.metadata
    packed = sp["flags"].to_numpy()
    flags = {name: ((packed >> i) & 1).astype(bool) for i, name in enumerate(json.loads(meta[_FLAGS]))}
    cols: dict[str, object] = {}
    for c in json.loads(meta[_META]):
        if c == "g":
            cols[c] = g
        elif c == "mk":
            cols[c] = mk
        elif c == "t":
            cols[c] = t
        elif c == "kind":
            cols[c] = kind_column(kcode[rows], klabels)
        elif c == "src":
            cols[c] = rows.astype(np.int64)
        elif c == "ts":
            cols[c] = to_datetime_utc(t)
        elif c == "replier":
            by = sp["replier_row"].to_numpy()
            cols[c] = np.where(by >= 0, mk[np.maximum(starts[g] + by, 0)], -1).astype(np.int64)
        else:
            cols[c] = flags[c] if c in flags else sp[c].to_numpy()
    msgs = pd.DataFrame(cols)

    ev_g = np.repeat(np.arange(len(events)), [e.num_rows for e in events])
    events_frame = pd.DataFrame({
        "g": ev_g.astype(np.int64),
        "ts": to_datetime_utc(ev["event_ts"].to_numpy().astype(np.int64)),
        **{c: ev[name].to_numpy() for c, name in _EVENT_COLUMNS.items()},
    })
    groups["messages"] = np.bincount(g, minlength=len(groups)) if len(groups) else []
    people["messages"] = np.bincount(mk, minlength=len(people)) if len(people) else []
    topics = {c: flags[f"topic_{c}"] for c in TOPIC_CUES}
    return Features(msgs=msgs, events=events_frame, groups=groups, people=people, as_of=as_of, topics=topics)


def _readable(t: pa.Table | None) -> bool:
    """A table this code wrote (a development store may hold another layout under the same version)."""
    if t is None or t.schema.metadata is None or not {_META, _FLAGS} <= set(t.schema.metadata):
        return False
    return {"section", "msg_key", "replier_row", "flags"} <= set(t.column_names) and {
        f"topic_{c}" for c in TOPIC_CUES} <= set(json.loads(t.schema.metadata[_FLAGS]))


def _strings(s: pd.Series) -> np.ndarray:
    """A column as objects (None where missing) for Arrow."""
    v = s.astype(object).to_numpy()
    return np.where(pd.isna(v), None, v)
