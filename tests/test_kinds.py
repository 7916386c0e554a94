"""Message kinds from placeholder bodies (src/qunkit/formats/kinds.py): a body made only of one family's
placeholders is that kind, the first family in PLACEHOLDERS order wins, anything with words is text."""

from __future__ import annotations

import random

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from qunkit.formats.kinds import _ANY_ONLY, _ONLY, kinds_of

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


def _every_body_through_the_regexes(bodies: list[str]) -> list[str]:
    """The kinds with no cheap test in front: ``_ANY_ONLY`` and then each family's pattern, on every body."""
    arr = pa.array(bodies)
    out = ["text"] * len(bodies)
    rest = [i for i, ok in enumerate(pc.match_substring_regex(arr, _ANY_ONLY).to_pylist()) if ok]
    for name, pattern in _ONLY.items():
        hits = pc.match_substring_regex(arr.take(pa.array(rest, pa.int64())), pattern).to_pylist() if rest else []
        for i, hit in zip(rest, hits, strict=True):
            if hit:
                out[i] = "sticker" if name == "face" else name
        rest = [i for i, hit in zip(rest, hits, strict=True) if not hit]
    return out


def test_the_byte_tests_in_front_of_the_regexes_lose_no_placeholder_body() -> None:
    """``kind_codes`` runs the regexes only on bodies whose first bytes (or a 红包) allow a match, and a
    body that starts with neither "[" nor a space only through the families that can start otherwise; on
    bodies assembled from every family's pieces, with spaces, words and line breaks around them, it
    gives what every family's regex, in order, gives on every body."""
    rng = random.Random(11)
    pieces = ["[图片]", "[表情]", "[微笑]", "[文件] a.pdf", "http://x.org/a", "https://y.cn", "发出了红包", "甲领取了乙的红包",
              "通话时长 1:00", "[语音通话]", "[位置] 某地", "[拍一拍]", " ", "\t", "\n", "\r\n", "\f", "\v", "\u3000", "字",
              "h", "[", "]", "红包", "通话", "[链接]"]
    bodies = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 4))) for _ in range(4000)]
    assert kinds_of(pa.array(bodies)).tolist() == _every_body_through_the_regexes(bodies)
    assert len(set(kinds_of(pa.array(bodies)).tolist())) >= 8
