"""System-line prose -> membership events (QQ and WeChat wording)."""

from __future__ import annotations

import pandas as pd
import pytest

from qunkit.formats.events import parse_events, split_names

CASES = [
    ("真核生物独幕剧加入本群。", "join", None, "真核生物独幕剧"),
    ("阿强(10004)加入本群。", "join", None, "阿强(10004)"),
    ("李四邀请王五加入了本群", "join", "李四", "王五"),
    ("张三加入了群聊", "join", None, "张三"),
    ("\"张三\"邀请\"李四、王五\"加入了群聊", "join", "张三", "李四、王五"),
    ("“A”通过扫描“B”分享的二维码加入群聊", "join", "B", "A"),
    ("小明撤回了一条消息", "recall", None, "小明"),
    ("Bob 撤回了 Alice 的消息", "recall", "Bob", "Alice"),
    ("X退出了群聊", "leave", None, "X"),
    ("老王退出本群", "leave", None, "老王"),
    ("今天天气不错", "other", None, None),
]


@pytest.mark.parametrize("text,event,actor,target", CASES)
def test_events(text: str, event: str, actor: str | None, target: str | None) -> None:
    row = parse_events(pd.Series([text])).iloc[0]
    assert (row["event"], row["event_actor"], row["event_target"]) == (event, actor, target)


def test_split_invitee_lists() -> None:
    assert split_names("李四、王五") == ["李四", "王五"]
    assert split_names("\"李四\"、\"王五\"") == ["李四", "王五"]
    assert split_names("Alice, Bob and Carol") == ["Alice", "Bob", "Carol"]
