"""System-line text -> event, actor, target.

QQ (系统消息 pseudo-sender or bare notice lines) and WeChat (type 10000/10002
gray bars) describe membership changes in prose.  These patterns are the ones
documented in ``shared/formats/FORMATS.md``; both ASCII and full-width quotes.
Only system rows are passed in, so a per-pattern pandas regex pass is cheap.
"""

from __future__ import annotations

import re

import pandas as pd

Q = "[\"“”'‘’「」]"  # any quote mark exporters use around names
NAME = "(?P<{}>[^\"“”'‘’「」]+?)"

# (event, regex with named groups actor/target).  First match wins.
PATTERNS: list[tuple[str, str]] = [
    # WeChat
    ("join", rf"^\s*{Q}{NAME.format('actor')}{Q}\s*邀请\s*(?P<target>.+?)\s*加入了群聊"),
    ("join", rf"^\s*{Q}?{NAME.format('target')}{Q}?\s*通过扫描\s*{Q}?{NAME.format('actor')}{Q}?\s*分享的二维码加入群聊"),
    ("join", r"^\s*(?P<target>你)通过扫描二维码加入群聊"),
    ("join", rf"^\s*{Q}{NAME.format('actor')}{Q}\s*邀请(?P<target>你)加入了群聊"),
    ("join", r"^\s*(?P<actor>你)\s*邀请\s*(?P<target>.+?)\s*加入了群聊"),
    ("join", r"^\s*(?P<actor>.+?) invited (?P<target>.+?) to (?:join )?the group"),
    ("join", r"^\s*(?P<target>.+?) joined the group chat via"),
    ("kick", rf"^\s*{Q}?{NAME.format('actor')}{Q}?\s*将\s*{Q}?(?P<target>.+?){Q}?\s*移出(?:了)?群聊"),
    ("kick", r"^\s*(?P<target>你)已?被\s*{Q}?(?P<actor>[^\"“”]+?)?{Q}?\s*移出群聊".replace("{Q}", Q)),
    ("leave", rf"^\s*{Q}?{NAME.format('target')}{Q}?\s*(?:已)?退出了群聊"),
    ("rename", rf"^\s*{Q}?{NAME.format('actor')}{Q}?\s*修改群名为\s*{Q}?(?P<target>.+?){Q}?\s*$"),
    ("owner_change", rf"^\s*{Q}?{NAME.format('actor')}{Q}?\s*已将群主转让给\s*{Q}?(?P<target>.+?){Q}?\s*$"),
    ("owner_change", rf"^\s*{Q}?{NAME.format('target')}{Q}?\s*已成为新群主"),
    ("recall", rf"^\s*{Q}?{NAME.format('target')}{Q}?\s*撤回了一条(?:成员)?消息"),
    ("pat", rf"^\s*{Q}?{NAME.format('actor')}{Q}?\s*拍了拍\s*{Q}?(?P<target>[^\"“”]+?){Q}?(?:\s.*)?$"),
    # QQ (系统消息 bodies and bare notices)
    ("join", r"^\s*(?P<actor>[^邀]+?)邀请(?P<target>.+?)加入(?:了)?(?:本群|群聊)"),
    ("join", r"^\s*(?P<target>.+?)(?:\((?P<tid>\d{5,12})\))?\s*(?:已)?加入(?:了)?(?:本群|群聊)"),
    ("recall", r"^\s*(?P<actor>.+?)\s*撤回了\s*(?P<target>.+?)\s*的(?:一条)?消息"),
    ("leave", r"^\s*(?P<target>.+?)(?:已)?退出(?:了)?本群"),
    ("kick", r"^\s*(?P<target>.+?)被(?:管理员|群主)?\s*(?P<actor>.*?)\s*(?:移出|踢出)(?:了)?本群"),
    ("kick", r"^\s*(?P<actor>.+?)将(?P<target>.+?)(?:移出|踢出)(?:了)?本群"),
    ("rename", r"^\s*(?P<actor>.+?)修改了群名称(?:为)?\s*(?P<target>.*?)\s*$"),
    ("owner_change", r"^\s*(?P<target>.+?)成为(?:了)?新群主"),
    ("admin_change", r"^\s*(?P<target>.+?)(?:被设置为|成为(?:了)?)管理员"),
    ("announcement", r"群公告"),
]

_COMPILED = [(event, __import__("re").compile(p)) for event, p in PATTERNS]


def parse_events(text: pd.Series) -> pd.DataFrame:
    """Classify system-line texts.  Returns columns event, event_actor, event_target
    (strings or None); unclassified lines get event "other"."""
    events, actors, targets = events_of(text.fillna("").astype(str).to_list())
    return pd.DataFrame({"event": events, "event_actor": actors, "event_target": targets}, index=text.index)


def events_of(texts: list[str]) -> tuple[list[str], list[str | None], list[str | None]]:
    """``parse_events`` of plain strings: (events, actors, targets), one of each per text."""
    events, actors, targets = [], [], []
    for t in texts:  # system rows only: a few per thousand messages
        first = t.strip().split("\n", 1)[0]
        for event, rx in _COMPILED:
            m = rx.search(first)
            if m:
                g = m.groupdict()
                events.append(event)
                actors.append(_clean(g.get("actor")))
                targets.append(_target(g))
                break
        else:
            events.append("other")
            actors.append(None)
            targets.append(None)
    return events, actors, targets


def _target(g: dict) -> str | None:
    """The target as written; a QQ join line's ``name(QQ号)`` keeps both, so the name a later leave
    line uses can be resolved to the number (``qunkit.members.resolve_names`` reads the id out)."""
    name, tid = _clean(g.get("target")), g.get("tid")
    return f"{name}({tid})" if tid and name else tid or name


def _clean(name: str | None) -> str | None:
    if name is None:
        return None
    name = name.strip().strip("\"“”'‘’「」").strip()
    return name or None


NAME_SEPARATORS = r"[、，,]|\band\b|和"     # between the names of an invitee list (anonymize keeps them)


def clean_name(name: str | None) -> str | None:
    """A name from a system line without the quotes and spaces around it (None when nothing is left)."""
    return _clean(name)


def split_names(names: str) -> list[str]:
    """Invitee lists: "李四、王五" or "\"李四\"、\"王五\"" or "A, B and C"."""
    parts = re.split(NAME_SEPARATORS, names)
    return [p for p in (_clean(x) for x in parts) if p]
