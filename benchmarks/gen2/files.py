"""gen2 groups on disk, in the layout ``qunkit generate`` uses (OUT/exports, OUT/rosters, OUT/truth).

Layouts (both are read by qunkit's own parsers; nothing here imports them):

- ``qq``: QQ 消息管理器 .txt (FORMATS.md §1): banner, ``====`` section lines,
  ``YYYY-MM-DD H:MM:SS 【头衔】名片(QQ号)`` headers, CRLF, sometimes a BOM;
  system lines from ``系统消息(10000)``.  Roster: 序号,QQ号,群名片,身份,入群时间,最后发言时间.
- ``wechat``: WeChatMsg / MemoTrace .txt: ``YYYY-MM-DD HH:MM:SS 名字`` headers,
  gray-bar notices on the header line, quoted replies as a last ``引用:名字:原文``
  line.  The export has no ids, so the roster (群昵称,身份,入群时间) has none either
  and members are known by display name.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from .group import Gen2Group
from .sim import Member, Msg

LAYOUTS = ("qq", "wechat")
SEP = "=" * 64
TITLE_WORDS = {"owner": "群主", "admin": "管理员", "member": "成员"}


def _qq_sender(m: Member, titles: bool) -> str:
    title = f"【{TITLE_WORDS[m.title]}】" if titles and m.title != "member" else ""
    return f"{title}{m.name}({m.mid})"


def _qq_system(msg: Msg) -> str:
    s = msg.subject
    if msg.event == "join":
        return f"{s.name}({s.mid})加入本群。"
    if msg.event == "kick":
        return f"{s.name}被管理员{msg.actor.name if msg.actor else ''}移出本群。"
    return f"{s.name}退出本群。"


def _body(msg: Msg, layout: str) -> str:
    text = f"@{msg.mention} {msg.text}" if msg.mention else msg.text
    if msg.quote and layout == "wechat":
        text += f"\n引用:{msg.quote[0]}:{msg.quote[1]}"
    elif msg.quote:
        text = f"@{msg.quote[0]} {text}"   # the QQ text export keeps no quote; the answer names the asker
    return text


def write_qq_txt(g: Gen2Group, path: Path) -> Path:
    """One 消息对象 section; the hour is unpadded in some exporters' locale (group-seeded choice)."""
    flavour = int(g.group_id) % 4
    titles, pad, bom = flavour != 0, flavour != 1, flavour == 2
    out = ["消息记录（此消息记录为文本格式，不支持重新导入）", "", SEP, "消息分组:我的QQ群", SEP, f"消息对象:{g.name}", SEP, ""]
    for msg in g.exported():
        ts = msg.ts.strftime("%Y-%m-%d %H:%M:%S") if pad else f"{msg.ts:%Y-%m-%d} {msg.ts.hour}:{msg.ts:%M:%S}"
        if msg.sender is None:
            out += [f"{ts} 系统消息(10000)", _qq_system(msg), ""]
        else:
            out += [f"{ts} {_qq_sender(msg.sender, titles)}", _body(msg, "qq"), ""]
    path.write_bytes((("\ufeff" if bom else "") + "\r\n".join(out) + "\r\n").encode("utf-8"))
    return path


def _wechat_system(msg: Msg) -> str:
    s, a = msg.subject, msg.actor
    if msg.event == "join":
        if a is not None and int(s.mid) % 3 == 0:
            return f"\"{s.name}\"通过扫描\"{a.name}\"分享的二维码加入群聊"
        return f"\"{a.name if a else s.name}\"邀请\"{s.name}\"加入了群聊"
    if msg.event == "kick":
        return f"\"{a.name if a else '群主'}\"将\"{s.name}\"移出了群聊"
    return f"\"{s.name}\"退出了群聊"


def write_wechat_txt(g: Gen2Group, path: Path) -> Path:
    out = []
    for msg in g.exported():
        ts = msg.ts.strftime("%Y-%m-%d %H:%M:%S")
        if msg.sender is None:
            out.append(f"{ts} {_wechat_system(msg)}\n\n")
        else:
            out.append(f"{ts} {msg.sender.name}\n{_body(msg, 'wechat')}\n\n")
    path.write_text("".join(out), encoding="utf-8")
    return path


def write_roster(g: Gen2Group, path: Path, layout: str) -> Path:
    last: dict[str, str] = {}
    for msg in g.exported():
        if msg.sender is not None:
            last[msg.sender.mid] = msg.ts.strftime("%Y-%m-%d %H:%M:%S")
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        if layout == "qq":
            w.writerow(["序号", "QQ号", "群名片", "身份", "入群时间", "最后发言时间"])
            for i, m in enumerate(g.roster(), 1):
                w.writerow([i, m.mid, m.name, TITLE_WORDS[m.title], f"{m.joined:%Y-%m-%d %H:%M:%S}",
                            last.get(m.mid, "从未发言")])
        else:
            w.writerow(["序号", "群昵称", "身份", "入群时间"])
            for i, m in enumerate(g.roster(), 1):
                w.writerow([i, m.name, {"owner": "群主", "admin": "群管理员"}.get(m.title, ""),
                            f"{m.joined:%Y-%m-%d %H:%M:%S}"])
    return path


def write_truth(groups: list[Gen2Group], outdir: Path, layout: str) -> list[Path]:
    outdir.mkdir(parents=True, exist_ok=True)
    roles = pd.concat([g.truth_roles_for(layout) for g in groups], ignore_index=True)
    life = pd.DataFrame([g.truth_life for g in groups])
    paths = [outdir / "roles.csv", outdir / "lifecycles.csv"]
    roles.to_csv(paths[0], index=False)
    life.to_csv(paths[1], index=False)
    return paths


def write_corpus(groups: list[Gen2Group], outdir: Path, layout: str = "qq") -> tuple[list[dict], list[Path]]:
    """Every group's export and roster and the truth; (one row per group, truth files)."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; one of {', '.join(LAYOUTS)}")
    outdir = Path(outdir)
    exports, rosters = outdir / "exports", outdir / "rosters"
    for d in (exports, rosters):
        d.mkdir(parents=True, exist_ok=True)
    rows = []
    for g in groups:
        path = exports / f"{g.name}.txt"
        (write_qq_txt if layout == "qq" else write_wechat_txt)(g, path)
        roster = write_roster(g, rosters / f"{g.name}-roster.csv", layout)
        rows.append({"group": g.name, "lifecycle": g.lifecycle, "messages": len(g.exported()),
                     "roster": len(g.roster()), "dead_within_30d": g.plan.dead_within_30d,
                     "export": str(path), "roster_file": str(roster)})
    return rows, write_truth(groups, outdir / "truth", layout)
