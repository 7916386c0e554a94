"""Message kinds from placeholder bodies (src/qunkit/formats/kinds.py): a body made only of one family's
placeholders is that kind, the first family in PLACEHOLDERS order wins, anything with words is text."""

from __future__ import annotations

import pyarrow as pa
import pytest

from qunkit.formats.kinds import kinds_of

BODIES = {
    "[图片]": "image",
    " [图片] [闪照] ": "image",
    "[表情]": "sticker",
    "[微笑][OK]": "sticker",            # bare QQ faces
    "[图片][表情]": "sticker",          # two families: only the face shape takes both
    "[文件] 报告.pdf": "file",
    "[链接] http://example.org/a": "link",
    "http://example.org/a": "link",
    "http://example.org/a 看看": "text",
    "发出了红包": "redpacket",
    "甲领取了乙的红包": "redpacket",
    "[图片]配文": "text",
    "通话时长 03:00": "call",
    "[语音]": "voice",
    "[拍一拍] 甲拍了拍乙": "pat",
    "[转账] 10元": "transfer",
    "": "text",
    "[": "text",
    "普通的一句话": "text",
}


@pytest.mark.parametrize("body", list(BODIES))
def test_kind_of_each_body_alone_and_among_others(body: str) -> None:
    assert kinds_of(pa.array([body])).tolist() == [BODIES[body]]


def test_kinds_of_a_column_keep_their_rows() -> None:
    bodies = list(BODIES) * 3
    assert kinds_of(pa.array(bodies)).tolist() == [BODIES[b] for b in bodies]
