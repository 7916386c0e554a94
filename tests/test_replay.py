"""The analysis replayed at earlier moments from features prepared once (``PreparedFeatures.at``, the report's
risk trend and the digest's previous period) says exactly what a fresh run over the messages up to that
moment says: the same feature frames and the same risk verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qunkit.analysis.risk import group_risk
from qunkit.analysis.text_features import compute_features, prepare_features
from qunkit.commands.moments import risk_at
from qunkit.generate import generate_group, write_qq_txt, write_roster_csv
from qunkit.ingest import import_file
from qunkit.members import derive_members
from qunkit.store import Store


@pytest.fixture(scope="module")
def replay_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """Three generated groups with rosters (a healthy one, a dying one, one that starts late)."""
    root = tmp_path_factory.mktemp("replay")
    store = Store(root / "store")
    specs = [("回放健康群", "healthy", "2024-01-01"), ("回放衰落群", "dying", "2024-01-01"),
             ("回放新群", "healthy", "2024-03-10")]
    for i, (name, life, start) in enumerate(specs):
        g = generate_group(name, life, n_members=60, start=start, as_of="2024-04-30", messages=2500, seed=i + 3)
        write_qq_txt([g], root / f"{i}.txt")
        write_roster_csv(g, root / f"{i}.csv")
        import_file(store, root / f"{i}.txt", roster=root / f"{i}.csv")
    return store


def _with_quotes(messages: pd.DataFrame) -> pd.DataFrame:
    """Quotes the QQ text layout lacks: every 7th message quotes the message 3 rows earlier and every 11th
    a message 40 rows *later* (a replay must not see the answer before it is written); some msg_ids repeat."""
    m = messages.reset_index(drop=True).copy()
    n = len(m)
    ids = np.array([f"id{i}" for i in range(n)], dtype=object)
    ids[5::97] = "dup"
    rt = np.full(n, None, dtype=object)
    rows = np.arange(n)
    rt[rows[7::7]] = ids[rows[7::7] - 3]
    back = rows[11::11][rows[11::11] + 40 < n]
    rt[back + 40] = ids[back]
    m["msg_id"], m["reply_to"] = ids, rt
    return m


def test_prepared_features_at_earlier_moments_equal_a_fresh_run(replay_store: Store) -> None:
    messages = _with_quotes(replay_store.messages())
    rosters = replay_store.rosters(())
    as_of = messages["ts"].max()
    prep = prepare_features(messages, as_of)
    for t in [as_of, as_of - pd.Timedelta(days=3, hours=5), as_of - pd.Timedelta(weeks=5),
              pd.Timestamp("2024-03-12 20:00", tz="Asia/Shanghai")]:     # the late group barely started
        cut = messages[messages["ts"] <= t]
        mem = derive_members(cut, rosters)
        fresh = compute_features(cut, t, members=mem)
        replay = prep.at(t, mem)
        for part in ("events", "groups", "people"):
            pd.testing.assert_frame_equal(getattr(replay, part), getattr(fresh, part), obj=f"{part} at {t}")
        # ``src`` points into the frame each was given: the same messages, at other positions
        pd.testing.assert_frame_equal(replay.msgs.drop(columns="src"), fresh.msgs.drop(columns="src"), obj=f"msgs at {t}")
        assert (messages["msg_key"].to_numpy()[replay.msgs["src"]] == cut["msg_key"].to_numpy()[fresh.msgs["src"]]).all()
        assert replay.as_of == fresh.as_of
        assert fresh.msgs["replied"].any() and len(fresh.groups) >= 2
        if t < as_of:   # the latest features cut at t are not the features at t: answers come later
            late = prep.at(as_of).msgs
            late = late[late["t"].to_numpy() <= t.value].reset_index(drop=True)
            assert not late["replied"].equals(fresh.msgs["replied"])
    with pytest.raises(ValueError, match="prepared up to"):
        prep.at(as_of + pd.Timedelta(days=1))


def test_risk_at_equals_group_risk_at_each_moment(replay_store: Store) -> None:
    messages = replay_store.messages()
    rosters = replay_store.rosters(())
    as_of = messages["ts"].max()
    times = [as_of - pd.Timedelta(weeks=k) for k in (6, 3, 1)]
    past = risk_at(replay_store, (), messages, times)
    assert len(past) == 3 * 3
    for t in times:
        cut = messages[messages["ts"] <= t]
        fresh = group_risk(cut, derive_members(cut, rosters), t)
        got = past[past["as_of"] == t].set_index("group_id")
        for r in fresh.to_dict("records"):
            assert got.loc[r["group_id"], "score"] == r["score"]
            assert got.loc[r["group_id"], "level"] == r["level"]
    assert past["score"].nunique() > 1
