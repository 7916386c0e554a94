"""Rebuild the bundled sample exports from the generator (synthetic people, no real chat).

    python samples/make_samples.py

Writes, next to this script:

- ``qq-group-sample.txt``          QQ PC message-manager export of one group (CRLF, UTF-8 with BOM)
- ``qq-group-sample-roster.csv``   its member roster (QQ号,群名片,身份,入群时间,最后发言时间)
- ``wechat-group-sample.txt``      a WeChat group as LC044/WeChatMsg's TXT export (UTF-8, LF)
- ``truth/roles.csv``, ``truth/lifecycles.csv``  the planted roles and life cycles of both

The first seed whose group shows everything a newcomer should see in a sample (every role, joins
with an inviter, a roll call with kicks, an advertiser repeating an ad, multi-line and empty bodies,
pictures and stickers, a 【title】) is used, so the files are reproducible and complete.
"""

from __future__ import annotations

from pathlib import Path

from qunkit.generate import ROLES, GeneratedGroup, generate_group
from qunkit.generate.writers import write_qq_txt, write_roster_csv, write_truth, write_wechatmsg_txt

HERE = Path(__file__).resolve().parent
AS_OF = "2024-03-31"
START = "2024-01-15"


def complete(g: GeneratedGroup) -> bool:
    m = g.messages
    ev = set(m["event"].dropna())
    ads = m[m["act"] == "ad"]["text"]
    return (set(g.truth_roles["role"]) == set(ROLES)
            and {"join", "kick", "recall"} <= ev
            and m["event_actor"].notna().any()
            and g.rollcall is not None and bool(g.rollcall["kicked"])
            and ads.duplicated().any()
            and m["text"].str.contains("\n\n").any()
            and (m["text"] == "").any()
            and {"image", "sticker"} <= set(m["kind"])
            and (g.platform != "qq" or m["sender_title"].notna().any()))


def first_complete(**kw) -> GeneratedGroup:
    for seed in range(200):
        g = generate_group(seed=seed, **kw)
        if complete(g):
            return g
    raise SystemExit(f"no seed below 200 gives a complete sample for {kw['name']}")


def main() -> None:
    qq = first_complete(name="摄影爱好者交流群", lifecycle="healthy", n_members=60, start=START, as_of=AS_OF,
                        platform="qq", messages=360, topic="摄影", rollcall=True)
    wx = first_complete(name="周末跑步打卡群", lifecycle="healthy", n_members=45, start=START, as_of=AS_OF,
                        platform="wechat", messages=300, topic="跑步", rollcall=True)
    out = [write_qq_txt(qq, HERE / "qq-group-sample.txt"),
           write_roster_csv(qq, HERE / "qq-group-sample-roster.csv"),
           write_wechatmsg_txt(wx, HERE / "wechat-group-sample.txt"),
           *write_truth([qq, wx], HERE / "truth")]
    for g in (qq, wx):
        print(f"{g.name}: seed {g.spec.seed}, {len(g.messages)} messages, {len(g.roster)} in roster")
    for p in out:
        print(f"wrote {p.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
