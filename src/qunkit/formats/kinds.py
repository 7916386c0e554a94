"""Message kinds from exported text with inline placeholders ([图片], [表情] ...).

QQ's message manager and WeChat text exporters replace media with bracketed
placeholders.  A body made only of one placeholder family becomes that kind;
placeholders mixed with words stay ``text`` (the words are what matters).
Vectorised: a few regex kernels over the whole column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..schema import KIND_CODE, KINDS, dictionary_column
from .bytescan import rows_with, starts_with_any

# kind -> placeholder alternatives (regex, no anchors).  Order matters: first match wins.
PLACEHOLDERS: dict[str, str] = {
    "image": r"\[(?:图片|闪照|image|Image|photo)\]",
    "sticker": r"\[(?:表情|表情包|动画表情|GIF表情|自定义表情|大表情|sticker|Sticker)\]",
    "voice": r"\[(?:语音|语音消息|voice)\]",
    "video": r"\[(?:视频|小视频|video)\]",
    "file": r"\[(?:文件)\](?:.*)?",
    "redpacket": r"\[(?:红包|QQ红包|微信红包)\](?:.*)?|发出了红包.*|.*领取了.*的红包",
    "transfer": r"\[(?:转账)\](?:.*)?",
    "location": r"\[(?:位置|地理位置|定位)\](?:.*)?",
    "card": r"\[(?:名片|个人名片)\](?:.*)?",
    "call": r"\[(?:语音通话|视频通话)\](?:.*)?|通话时长.*",
    "forward": r"\[(?:聊天记录|转发)\](?:.*)?",
    "pat": r"\[拍一拍\](?:.*)?",
    "link": r"\[(?:链接|分享|卡片消息|音乐|音乐分享|小程序|视频号)\](?:.*)?|https?://\S+",
}

_ONLY = {k: f"^(?:\\s*(?:{v}))+\\s*$" for k, v in PLACEHOLDERS.items()}
# checked last: a body of bare QQ faces such as [微笑][OK] is a sticker too
_ONLY["face"] = r"^(?:\s*\[[^\[\]\s]{1,4}\])+\s*$"
# a body made only of placeholders of any families: every body one family's pattern takes matches it, so
# only the bodies it takes are tried family by family
_ANY_ONLY = "^(?:\\s*(?:" + "|".join([*PLACEHOLDERS.values(), r"\[[^\[\]\s]{1,4}\]"]) + "))+\\s*$"
# how a body that ``_ANY_ONLY`` matches can start: a family's first character, or RE2's \s before it
_LEADS = ("[", "h", "发出了红包", "通话时长", " ", "\t", "\n", "\r", "\f")
_BRACKET_LEADS = ("[", " ", "\t", "\n", "\r", "\f")
# the families with an alternative that starts with something else than "[" (the rest need a "[" first)
_UNBRACKETED = {k: v for k, v in _ONLY.items() if k in ("redpacket", "call", "link")}


def classify_kinds(text: pd.Series) -> pd.Series:
    """Return the kind of each body ("text" unless it is only a placeholder) (``kinds_of``)."""
    return pd.Series(kinds_of(pa.array(text.fillna("").astype(str), pa.string())), index=text.index)


def kinds_of(arr: pa.Array) -> np.ndarray:
    """The kind of each body of a null-free Arrow string array, as an object array (``kind_codes``)."""
    return np.asarray(KINDS, dtype=object)[kind_codes(arr)]


def kind_column(codes: np.ndarray) -> pa.DictionaryArray:
    """Kind codes (``kind_codes``, ``KIND_CODE``) as the dictionary column ``conform`` would make of their
    names (``schema.dictionary_column``): no Python string per row."""
    return dictionary_column(codes, KINDS)


def kind_codes(arr: pa.Array) -> np.ndarray:
    """The kind of each body of a null-free Arrow string array, as int8 indices into ``schema.KINDS``.

    Runs on Arrow (RE2) kernels, on the bodies that could be placeholders only: ``_ANY_ONLY`` must
    match a family's pattern at the body's start (after RE2's ASCII ``\\s``), and every pattern starts
    with "[", "http", 发出了红包 or 通话时长, except ``.*领取了.*的红包``, whose bodies hold 红包.
    Those are told by bytes (``bytescan``): a tenth of the cost of a regex over every body.
    """
    kind = np.zeros(len(arr), np.int8)    # KINDS[0] is "text"
    idx = np.flatnonzero(_may_be_placeholders(arr))
    if len(idx):
        idx = idx[pc.match_substring_regex(arr.take(pa.array(idx)), _ANY_ONLY).to_numpy(zero_copy_only=False)]
    # a family's pattern matches only a body that starts with one of its alternatives: one that starts
    # with neither "[" nor RE2's \s can only be a family with an alternative of another start (a bare
    # link, 发出了红包, 通话时长): links skip ten bracket-only families (kind_codes on the 992k QQ export's
    # 1.47M lines: 0.33-0.39 -> 0.20-0.21 s)
    bracket = starts_with_any(arr, _BRACKET_LEADS)[idx]
    for rows, families in ((idx[bracket], _ONLY), (idx[~bracket], _UNBRACKETED)):
        for name, pattern in families.items():   # in order, each family on the bodies no earlier one took
            if not len(rows):
                break
            hit = pc.match_substring_regex(arr.take(pa.array(rows)), pattern).to_numpy(zero_copy_only=False)
            kind[rows[hit]] = KIND_CODE["sticker" if name == "face" else name]
            rows = rows[~hit]
    return kind


def _may_be_placeholders(arr: pa.Array) -> np.ndarray:
    """Bodies ``_ANY_ONLY`` can match (see ``kind_codes``): a superset, told by their first bytes."""
    maybe = starts_with_any(arr, _LEADS)
    if not maybe.all():
        maybe |= rows_with(arr, "红包")
    return maybe
