"""Rebuild the two samples of group type and split advice (synthetic people, no real chat).

    python samples/make_grouptype_samples.py

Writes, next to this script:

- ``qq-big-group-sample.txt`` + ``qq-big-group-sample-roster.csv``: a generated reading club of ~480
  members (QQ, so its cap is 500) where five members who never spoke in the generated log talk among
  themselves late at night: the cap, a sub-group (小团体) and loyal members to move into a 2群;
- ``qq-help-group-sample.txt``: a generated group's members posting 助力 / 砍一刀 links and thanks
  (a negative-value group, seed 002).
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pandas as pd

from qunkit.generate import generate_group
from qunkit.generate.writers import write_qq_txt, write_roster_csv

HERE = Path(__file__).resolve().parent
START, AS_OF = "2024-01-01", "2024-03-31"
CLIQUE_TALK = ["今晚还有人在吗", "在的，刚看完那一章", "我觉得结尾写得一般", "同感，前面铺垫太长了", "明天继续聊",
               "你们周末去书店吗", "去，老地方见", "那本新书我买了", "借我看看", "好的，下次带给你"]
HELP_TALK = ["帮我砍一刀吧，就差一点了 https://mobile.yangkeduo.com/goods.html?ps={n}",
             "好友助力一下，谢谢大家 https://act.example.cn/help?id={n}", "求复活！帮我点一下 [链接]",
             "帮忙点一下谢谢，拼多多助力{n}", "点了", "谢谢", "互助互助，帮我点完我帮你"]


def _rows(g, sender_ids: list[str], texts: list[str], times: pd.DatetimeIndex, seed: int) -> pd.DataFrame:
    """Text messages by ``sender_ids`` (chosen in turn, no one twice in a row) at ``times``."""
    r = random.Random(seed)
    names = dict(zip(g.roster["member_id"], g.roster["member_name"], strict=True))
    rows, prev = [], None
    for n, ts in enumerate(times):
        who = r.choice([s for s in sender_ids if s != prev])
        prev = who
        rows.append({"group_id": g.group_id, "group_name": g.name, "ts": ts, "sender_id": who,
                     "sender_name": names[who], "sender_title": None, "kind": "text",
                     "text": r.choice(texts).format(n=n), "act": "text"})
    return pd.DataFrame(rows)


def big_group():
    g = generate_group(name="读书会大群", lifecycle="healthy", n_members=520, start=START, as_of=AS_OF,
                       platform="qq", messages=2500, topic="读书", seed=0)
    spoke = set(g.messages["sender_id"])
    quiet = [m for m in g.roster["member_id"] if m not in spoke][:5]
    days = pd.date_range(START, AS_OF, freq="D", tz="Asia/Shanghai")
    times = pd.DatetimeIndex([d + pd.Timedelta(hours=1, minutes=2 * k) for d in days[::2] for k in range(6)])
    clique = _rows(g, quiet, CLIQUE_TALK, times, seed=1)
    msgs = pd.concat([g.messages, clique], ignore_index=True).sort_values("ts", kind="stable")
    return replace(g, messages=msgs.reset_index(drop=True))


def help_group():
    g = generate_group(name="拼团助力互助群", lifecycle="healthy", n_members=40, start="2024-02-01", as_of=AS_OF,
                       platform="qq", messages=200, seed=0)
    senders = list(g.roster["member_id"])[:25]
    r = random.Random(2)
    times = pd.DatetimeIndex(sorted(pd.Timestamp("2024-02-01", tz="Asia/Shanghai")
                                    + pd.Timedelta(minutes=r.randrange(60 * 24 * 59)) for _ in range(220)))
    return replace(g, messages=_rows(g, senders, HELP_TALK, times, seed=3))


def main() -> None:
    big, help_ = big_group(), help_group()
    out = [write_qq_txt(big, HERE / "qq-big-group-sample.txt"),
           write_roster_csv(big, HERE / "qq-big-group-sample-roster.csv"),
           write_qq_txt(help_, HERE / "qq-help-group-sample.txt")]
    for g in (big, help_):
        print(f"{g.name}: {len(g.messages)} messages, {len(g.roster)} in roster")
    for p in out:
        print(f"wrote {p.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
