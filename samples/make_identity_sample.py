"""Write the identity sample (synthetic people, no real chat): a QQ group as a ChatLab JSON file with
group cards beside account names, renames, a join line, one person under two ids, and look-alikes.

    python samples/make_identity_sample.py

Writes ``qq-identity-sample.chatlab.json`` and ``identity-merge.csv`` (the operator's own list:
one member's second account) next to this script.  README's "Identity" section shows qunkit's output
on them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
START = pd.Timestamp("2024-02-01 20:00", tz="Asia/Shanghai")
LINES = ("今天读到第三章了", "有人看过这本吗？", "推荐《人类简史》", "收到", "周末线下见", "这段写得真好",
         "我同意楼上", "下周换哪本？", "打卡", "谢谢分享")

# (sender id, account name, group card or None, first day, last day, every n days)
SPEAKERS = [
    ("20001", "王建国", "群主-老王", 0, 80, 3),
    ("20002", "Lily", "运营-李莉", 0, 35, 4),
    ("20002", "Lily", "李莉(请假中)", 36, 55, 5),
    ("20002", "Lily", "运营-李莉", 56, 80, 4),
    ("20003", "阿九", None, 2, 78, 6),
    ("chen.ming@example.com", "陈明", "陈明-北京", 1, 20, 3),   # one person: an e-mail login first ...
    ("20004", "陈明", "陈明-北京", 29, 79, 3),                 # ... then the QQ number, same unique card
    ("20005", "张磊", "小张", 3, 70, 7),                       # a common card two members (and an
    ("20006", "张伟", "小张", 5, 75, 8),                       # e-mail id) share: never merged
    ("zhang@example.com", "张", "小张", 10, 12, 1),
    ("20007", "林小雨", "林小雨", 34, 60, 4),                   # joined by a join line on day 33
    ("20007", "林小雨", "小雨-上海", 61, 80, 4),
    ("20008", "Lily的小号", "李莉2号", 40, 52, 6),             # the operator knows: Lily's second account
]


def main() -> None:
    msgs = []
    for sid, account, card, first, last, every in SPEAKERS:
        for k, day in enumerate(range(first, last + 1, every)):
            ts = START + pd.Timedelta(days=day, minutes=(int(sid[-1]) if sid[-1].isdigit() else 7) * 3 + k % 5)
            m = {"sender": sid, "accountName": account, "timestamp": int(ts.timestamp()), "type": 0,
                 "content": LINES[(k + len(sid)) % len(LINES)]}
            if card:
                m["groupNickname"] = card
            msgs.append(m)
    join = START + pd.Timedelta(days=33, hours=1)
    msgs.append({"sender": "system", "accountName": "系统消息", "timestamp": int(join.timestamp()), "type": 80,
                 "content": "林小雨(20007)加入本群。"})
    msgs.sort(key=lambda m: (m["timestamp"], m["sender"]))
    doc = {"chatlab": {"version": "0.0.2", "exportedAt": int(START.timestamp()) + 90 * 86400,
                       "generator": "qunkit samples/make_identity_sample.py"},
           "meta": {"name": "读书分享群", "platform": "qq", "type": "group", "groupId": "700100200"},
           "members": [], "messages": msgs}
    out = HERE / "qq-identity-sample.chatlab.json"
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    merge = HERE / "identity-merge.csv"
    merge.write_text("# ids the operator knows are one person: id is counted as same_as_id\n"
                     "group,id,same_as_id\n读书分享群,20008,20002\n", encoding="utf-8")
    print(f"wrote {out.relative_to(HERE.parent)} ({len(msgs)} messages), {merge.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
