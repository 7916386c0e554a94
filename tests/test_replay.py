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
from qunkit.members import derive_members, prepare_members
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
    # the last two after the newest message: the members and features of the newest, judged later
    times = [as_of - pd.Timedelta(weeks=k) for k in (6, 3, 1)] + [as_of, as_of + pd.Timedelta(days=17)]
    past = risk_at(replay_store, (), messages, times)
    assert len(past) == 5 * 3
    for t in times:
        cut = messages[messages["ts"] <= t]
        fresh = group_risk(cut, derive_members(cut, rosters), t)
        got = past[past["as_of"] == t].set_index("group_id")
        for r in fresh.to_dict("records"):
            assert got.loc[r["group_id"], "score"] == r["score"]
            assert got.loc[r["group_id"], "level"] == r["level"]
    assert past["score"].nunique() > 1
    later = past[past["as_of"] == times[-1]].set_index("group_id")["score"]
    now = past[past["as_of"] == as_of].set_index("group_id")["score"]
    assert (later > now.reindex(later.index)).any()   # seventeen silent days weigh


def _renamed_and_name_keyed(messages: pd.DataFrame, rosters: dict[str, pd.DataFrame], mid: pd.Timestamp
                            ) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], tuple[str, str, str]]:
    """The store's messages with what a cut must get right: every third speaker renamed after ``mid`` and
    every fifth given an admin title then; in one group three speakers keyed by name only (an export without
    ids): A throughout (takes the roster id), B until ``mid`` and by id after (the match holds only before B's
    id speaks), C whose name a second roster row also has (ambiguous)."""
    m = messages.copy()
    sid = np.array(m["sender_id"].astype(str), dtype=object)
    name = np.array(m["sender_name"].astype(str), dtype=object)
    code = pd.factorize(sid)[0]
    late = (m["ts"] > mid).to_numpy() & (sid != "system")
    name[late & (code % 3 == 0)] += "·新"
    title = np.array(m["sender_title"].astype(object), dtype=object)
    title[late & (code % 5 == 1)] = "管理员"
    gid = str(m["group_id"].iloc[0])
    roster = rosters[gid]
    roster_name = dict(zip(roster["member_id"].astype(str), roster["member_name"].astype(str), strict=True))
    ing = (m["group_id"].astype(str) == gid).to_numpy()
    a, b, c = [x for x in pd.Series(sid[ing]).value_counts().index if x in roster_name][:3]
    for who in (a, b, c):
        mine = ing & (sid == who)
        name[mine] = roster_name[who]
        sid[mine & ((m["ts"] <= mid).to_numpy() if who == b else True)] = roster_name[who]
    m["sender_id"], m["sender_name"], m["sender_title"] = sid, name, title
    twin = roster.iloc[[0]].assign(member_id="10000001", member_name=roster_name[c])
    return m, {**rosters, gid: pd.concat([roster, twin], ignore_index=True)}, (a, b, c)


def test_members_prepared_once_and_cut_equal_derive_members_at_each_moment(replay_store: Store) -> None:
    messages = replay_store.messages()
    as_of = messages["ts"].max()
    mid = as_of - pd.Timedelta(weeks=6)
    messages, rosters, (a, b, c) = _renamed_and_name_keyed(messages, replay_store.rosters(()), mid)
    assert messages["event"].isin(["join", "leave", "kick"]).sum() > 10     # joins and leaves to cut
    prep = prepare_members(messages, rosters)
    times = [as_of, as_of - pd.Timedelta(days=2, hours=3), mid + pd.Timedelta(hours=1), mid - pd.Timedelta(hours=1),
             as_of - pd.Timedelta(weeks=12), messages["ts"].min(), messages["ts"].min() - pd.Timedelta(days=1),
             pd.Timestamp("2024-03-12 20:00", tz="Asia/Shanghai")]    # the late group barely started
    seen = {}
    for t in times:
        fresh = derive_members(messages[messages["ts"] <= t], rosters)
        cut = prep.at(t)
        pd.testing.assert_frame_equal(cut, fresh, obj=f"members at {t}")
        assert cut.attrs["ambiguous_names"] == fresh.attrs["ambiguous_names"]
        seen[t] = cut.set_index("member_id")
    pd.testing.assert_frame_equal(prep.at(), derive_members(messages, rosters))
    late, early = seen[as_of], seen[mid - pd.Timedelta(hours=1)]
    # the cut sees other facts at other moments: names, roles, counts, who B is, the ambiguous name
    assert (late["names"].map(len) > 1).sum() > 5 and (early["names"].map(len) > 1).sum() == 0
    assert (late["role"] == "admin").sum() > (early["role"] == "admin").sum()
    assert (late["messages"].sum() > early["messages"].sum()) and len(seen[times[-2]]) < len(early)
    assert b in early.index and early.loc[b, "messages"] > 0      # B's name-keyed messages under the roster id
    assert seen[as_of].attrs["ambiguous_names"] and not seen[times[-2]].attrs["ambiguous_names"]
    assert a in late.index and late.loc[a, "in_roster"]
