"""Roles and risk run on WeChat exports too, not only QQ: generated WeChatMsg CSV
groups go through the real importer and store, then the engines are checked
against the planted truth (loosely: the validation figures live in README)."""

from __future__ import annotations

import pandas as pd
import pytest

from qunkit.analysis.risk import group_risk
from qunkit.analysis.roles import assign_roles
from qunkit.analysis.scope import Scope
from qunkit.formats import ParseOptions
from qunkit.generate import generate_corpus
from qunkit.generate.writers import write_wechatmsg_csv
from qunkit.ingest import import_file
from qunkit.store import Store


@pytest.fixture(scope="module")
def wechat_store(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("wx")
    groups = generate_corpus(n_groups=8, seed=11, messages_per_group=1500, platform="wechat")
    store = Store(tmp / "store")
    for i, g in enumerate(groups):
        path = write_wechatmsg_csv(g, tmp / f"g{i}_utf8.csv")
        res = import_file(store, path, options=ParseOptions(self_id=g.self_id, group=g.name))
        assert res.report.bad_lines == 0 and res.report.format == "wechatmsg-csv"
    return store, groups


def test_roles_on_wechat_match_the_planted_truth(wechat_store) -> None:
    store, groups = wechat_store
    messages, as_of = Scope().apply(store.messages())
    roles = assign_roles(messages, store.members(messages=messages), as_of)
    truth = pd.concat([g.truth_roles.assign(group_name=g.name) for g in groups])
    truth = truth[truth["n_messages"] >= 10]        # members whose behaviour is visible in the log
    both = truth.merge(roles, on=["group_name", "member_id"], suffixes=("_true", ""))
    assert len(both) >= 0.9 * len(truth)            # wxids survive the export and import
    assert (both["role_true"] == both["role"]).mean() > 0.8      # 0.90 when written
    ads = both[both["role_true"] == "advertiser"]
    assert len(ads) and (ads["role"] == "advertiser").mean() > 0.8


def test_risk_on_wechat_ranks_dying_groups_first(wechat_store) -> None:
    store, groups = wechat_store
    messages, as_of = Scope().apply(store.messages())
    risk = group_risk(messages, store.members(messages=messages), as_of)
    dead = {g.name for g in groups if g.truth_life["dead_within_30d"]}
    assert dead and len(risk) == len(groups)
    alive_max = risk.loc[~risk["group_name"].isin(dead), "score"].max()
    assert risk.loc[risk["group_name"].isin(dead), "score"].min() > alive_max - 30
    assert risk.iloc[0]["group_name"] in dead
