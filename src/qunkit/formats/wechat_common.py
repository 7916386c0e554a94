"""What every WeChat importer shares: type codes, XML bodies, system lines, senders.

All WeChat exporters read the same message table, so once a parser has put its
rows into the *raw* shape below, one vectorised pipeline turns them into parser
columns.  Doing it once keeps the five formats consistent (a recall, a reply or
an invite comes out the same whichever tool exported it).

Raw columns a parser provides (``build_messages``):
  ts (tz-aware), group_id, group_name, chat_type, source_line, content (str),
  and any of: type, subtype (WeChat codes; v4 packed ``subtype<<32|type`` is
  unpacked here), label_kind (kind decided from a format's own label),
  is_system, is_self, sender_id (wxid or ""), sender_name, msg_id, reply_to; optionally
  sender_account_name (the account nickname where the export keeps it beside the display name).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .base import SYSTEM_ID, SYSTEM_NAME, ParseOptions, ParseReport
from .events import parse_events
from .kinds import classify_kinds
from .mentions import spaced_mentions

# Type codes -> kind (FORMATS.md section 3).  37 friend request and unknown codes are "other".
BASE_KINDS: dict[int, str] = {
    1: "text", 3: "image", 34: "voice", 37: "other", 42: "card", 43: "video", 47: "sticker",
    48: "location", 50: "call", 10000: "system", 10002: "system",
}
# Type 49 app messages by <appmsg><type> (SubType).  Unknown app types are "other".
APP_KINDS: dict[int, str] = {
    1: "text", 3: "link", 4: "link", 5: "link", 6: "file", 8: "sticker", 19: "forward", 24: "link",
    33: "link", 36: "link", 40: "forward", 51: "link", 53: "text", 57: "text", 62: "pat", 63: "link",
    87: "announcement", 88: "link", 2000: "transfer", 2001: "redpacket", 2003: "other",
}
# What text a media row gets when the export holds only XML (or nothing) for it.
PLACEHOLDER_TEXT = {"image": "[图片]", "voice": "[语音]", "video": "[视频]", "sticker": "[表情]",
                    "location": "[位置]", "card": "[名片]", "call": "[通话]"}

# Chinese type labels (PyWxDump type_name, WeFlow/EchoTrace type) -> kind.  Checked in order,
# as substrings, so "视频号" is a link before "视频" is a video and "语音通话" a call before "语音".
LABEL_KINDS: list[tuple[str, str]] = [
    ("撤回", "recall"), ("拍一拍", "pat"), ("系统", "system"), ("邀请加群", "system"),
    ("引用", "text"), ("文本", "text"), ("接龙", "text"),
    ("语音通话", "call"), ("视频通话", "call"), ("通话", "call"),
    ("视频号", "link"), ("小程序", "link"), ("音乐", "link"), ("链接", "link"), ("分享", "link"), ("卡片", "link"),
    ("图片", "image"), ("语音", "voice"), ("视频", "video"),
    ("表情", "sticker"), ("位置", "location"), ("名片", "card"), ("公众号", "card"),
    ("合并转发", "forward"), ("聊天记录", "forward"), ("群公告", "announcement"),
    ("红包封面", "other"), ("红包", "redpacket"), ("转账", "transfer"), ("文件", "file"), ("未知", "other"),
]

# RE2 patterns (run by pyarrow.compute: pandas would fall back to Python's re for \s and $)
WS = "[ \t\r\n]"
_XMLISH = rf"^{WS}*(?:<\?xml|<msg[ \t\r\n>]|<appmsg[ \t\r\n>]|<sysmsg[ \t\r\n>]|<voipmsg[ \t\r\n>]|<voipinvitemsg[ \t\r\n>]|<revokemsg[ \t\r\n>])"
APP_TYPE = rf"<type>{WS}*(?P<g>[0-9]+){WS}*</type>"
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
# a wxid:\n prefix some v3 databases keep in group-message content
_SENDER_PREFIX = r"^(?P<g>[A-Za-z][A-Za-z0-9_-]{3,40}):\n"
# @昵称 ending in a space / U+2005 (what WeChat inserts after a picked mention) or the end of text;
# not preceded by a word character so e-mail addresses are not mentions: the rule
# ``mentions.spaced_mentions`` runs in Arrow kernels (this regex states it; the tests hold them equal)
MENTION_RX = r"(?<![A-Za-z0-9_.])@([^\s@]+)(?=\s|$)"
# exact placeholder bodies (the common case) -> kind without running the regex families
EXACT_PLACEHOLDERS = {
    "[图片]": "image", "[语音]": "voice", "[视频]": "video", "[表情]": "sticker", "[表情包]": "sticker",
    "[动画表情]": "sticker", "[GIF表情]": "sticker", "[文件]": "file", "[位置]": "location", "[名片]": "card",
    "[红包]": "redpacket", "[转账]": "transfer", "[语音通话]": "call", "[视频通话]": "call",
    "[聊天记录]": "forward", "[链接]": "link", "[音乐分享]": "link", "[小程序]": "link", "[拍一拍]": "pat",
}



def _arr(s: pd.Series) -> pa.Array:
    return pa.array(s.astype(object) if s.dtype == object else s, type=pa.large_string(), from_pandas=True)


def rx_has(s: pd.Series, pattern: str) -> pd.Series:
    """Rows whose text matches an RE2 pattern (vectorised; null -> False)."""
    if len(s) == 0:
        return pd.Series(False, index=s.index, dtype=bool)
    hit = pc.fill_null(pc.match_substring_regex(_arr(s), pattern), False)
    return pd.Series(hit.to_numpy(zero_copy_only=False), index=s.index, dtype=bool)


def rx_sub(s: pd.Series, pattern: str, repl: str, max_replacements: int | None = None) -> pd.Series:
    """RE2 replace over a whole column (``\\1`` refers to groups)."""
    if len(s) == 0:
        return s
    out = pc.replace_substring_regex(_arr(s), pattern, repl, max_replacements=max_replacements)
    return out.to_pandas().set_axis(s.index)


def rx_get(s: pd.Series, pattern: str) -> pd.Series:
    """First capture group of an RE2 pattern (named ``g``) or None where it does not match."""
    if len(s) == 0:
        return pd.Series([], index=s.index, dtype=object)
    m = pc.extract_regex(_arr(s), pattern)
    got = pc.if_else(m.is_valid(), m.field("g"), pa.scalar(None, pa.large_string()))
    got = got.to_pandas().set_axis(s.index).astype(object)
    return got.where(got.notna(), None)


def label_kinds(labels: pd.Series) -> pd.Series:
    """Kind of each Chinese type label; None where no rule matches (caller falls back)."""
    labels = labels.fillna("").astype(str)
    kind = pd.Series(None, index=labels.index, dtype=object)
    for needle, k in LABEL_KINDS:
        hit = kind.isna() & labels.str.contains(needle, regex=False)
        kind[hit] = k
    return kind


def ts_from_epoch(values: pd.Series) -> pd.Series:
    """Unix seconds or milliseconds (decided per value: > 1e11 is ms) -> UTC timestamps; NaT if bad."""
    num = to_int(values).astype("float64") if pd.api.types.is_string_dtype(values.dtype) \
        else pd.to_numeric(values, errors="coerce")
    ms = np.where(num.abs() > 1e11, num, num * 1000.0)
    out = pd.to_datetime(pd.Series(ms, index=values.index), unit="ms", utc=True, errors="coerce")
    return out


def self_ids(options: ParseOptions) -> tuple[str, str]:
    return options.self_id or "self", options.self_name or "我"


def _unwrap(s: pd.Series) -> pd.Series:
    """CDATA wrappers off and XML entities decoded (entities are rare: only rows that have them)."""
    s = rx_sub(s.fillna(""), r"(?s)<!\[CDATA\[(.*?)\]\]>", r"\1")
    amp = s.str.contains("&", regex=False).fillna(False).astype(bool)
    if amp.any():
        s = s.copy()
        s[amp] = s[amp].map(html.unescape)
    return s


def _tag(s: pd.Series, tag: str) -> pd.Series:
    return _unwrap(rx_get(s, rf"(?s)<{tag}(?:{WS}[^>]*)?>(?P<g>.*?)</{tag}>").fillna("")).str.strip()


def _attr(s: pd.Series, name: str) -> pd.Series:
    return _unwrap(rx_get(s, rf'{WS}{name}="(?P<g>[^"]*)"').fillna("")).str.strip()


def render_appmsg(content: pd.Series, kind: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Type-49 XML -> (readable text, quoted svrid).  The title is what a person wrote or saw
    (reply text, file name, link title); links keep their URL for ad detection."""
    title = _tag(content, "title").fillna("")
    des = _tag(content, "des").fillna("")
    url = _tag(content, "url").fillna("")
    text = title.where(title != "", des)
    link = (kind == "link") & (url != "")
    text = text.where(~link, (text + "\n" + url).str.lstrip("\n"))
    ann = kind == "announcement"
    if ann.any():
        body = _tag(content[ann], "textannouncement").fillna("")
        text[ann] = text[ann].where(body == "", body)
    money = kind == "transfer"
    if money.any():
        fee = _tag(content[money], "feedesc").fillna("")
        memo = _tag(content[money], "pay_memo").fillna("")
        text[money] = (title[money] + " " + fee + " " + memo).str.strip()
    svrid = rx_get(content, rf"(?s)<refermsg>.*?<svrid>{WS}*(?P<g>[0-9]+){WS}*</svrid>")
    return text, svrid


def render_media(content: pd.Series, kind: pd.Series) -> pd.Series:
    """Placeholders for media rows whose body is XML; location and card keep their label/name."""
    text = kind.map(PLACEHOLDER_TEXT).fillna("")
    loc = kind == "location"
    if loc.any():
        label = _attr(content[loc], "poiname").fillna("")
        label = label.where(label != "", _attr(content[loc], "label").fillna(""))
        text[loc] = ("[位置] " + label).str.strip()
    card = kind == "card"
    if card.any():
        text[card] = ("[名片] " + _attr(content[card], "nickname").fillna("")).str.strip()
    call = kind == "call"
    if call.any():
        said = _tag(content[call], "msg").fillna("")
        text[call] = text[call].where(said == "", said)
    return text


def _template(xml: str, template: str) -> str:
    """Fill a sysmsgtemplate's $name$ slots with the nicknames listed under <link name="name">."""
    out = template
    for m in re.finditer(r'(?s)<link\s+name="([^"]+)"[^>]*>(.*?)</link>', xml):
        names = [html.unescape(_CDATA.sub(r"\1", n)).strip() for n in re.findall(r"(?s)<nickname>(.*?)</nickname>", m.group(2))]
        sep = re.search(r"(?s)<separator>(.*?)</separator>", m.group(2))
        joiner = html.unescape(_CDATA.sub(r"\1", sep.group(1))) if sep else "、"
        out = out.replace(f"${m.group(1)}$", joiner.join(n for n in names if n))
    return out


def render_sysmsg(xml: str) -> str:
    """A 10002 <sysmsg> (or wrapped 10000) -> the gray-bar sentence the client shows."""
    m = re.search(r"(?s)<replacemsg>(.*?)</replacemsg>", xml)
    if m:
        return html.unescape(_CDATA.sub(r"\1", m.group(1))).strip()
    m = re.search(r"(?s)<template>(.*?)</template>", xml)
    if m:
        tpl = html.unescape(_CDATA.sub(r"\1", m.group(1)))
        if "${" in tpl:  # pat: "${wxid_a}" 拍了拍 "${wxid_b}"
            return re.sub(r"\$\{([^}]*)\}", r"\1", tpl).strip()
        return _template(xml, tpl).strip()
    m = re.search(r"(?s)<plain>(.*?)</plain>", xml)
    if m and _CDATA.sub(r"\1", m.group(1)).strip():
        return html.unescape(_CDATA.sub(r"\1", m.group(1))).strip()
    return html.unescape(re.sub(r"<[^>]+>", "", _CDATA.sub(r"\1", xml))).strip()


def clean_system_text(text: pd.Series) -> pd.Series:
    """Gray-bar text without XML wrappers, CDATA, or the 重新编辑/撤销 links recall notices carry."""
    text = text.fillna("").astype(str)
    xml = rx_has(text, rf"^{WS}*<(?:\?xml|sysmsg|msg|revokemsg)")
    out = text.copy()
    if xml.any():
        out[xml] = text[xml].map(render_sysmsg)
    out = rx_sub(out, r"<!\[CDATA\[|\]\]>", "")
    out = rx_sub(out, rf"(?s){WS}*<a{WS}[^>]*>.*?</a>", "")
    out = rx_sub(out, rf"(?s){WS}*<_wc_custom_link_[^>]*>.*?</_wc_custom_link_>", "")
    out = rx_sub(out, r"</?[A-Za-z_][^<>]*>", "")
    return out.str.strip()


def placeholder_kinds(text: pd.Series) -> pd.Series:
    """kinds.classify_kinds, run only where a placeholder can be (brackets, URLs, 红包/通话 notices);
    exact placeholder bodies are looked up, not matched."""
    kind = pd.Series("text", index=text.index, dtype=object)
    cand = rx_has(text, r"[\[]|https?://|红包|通话")
    if not cand.any():
        return kind
    exact = text[cand].map(EXACT_PLACEHOLDERS)
    kind[exact.index] = exact.where(exact.notna(), "text").astype(object)
    rest = exact.index[exact.isna()]
    if len(rest):
        kind[rest] = classify_kinds(text[rest])
    return kind


def infer_chat_type(df: pd.DataFrame) -> str:
    """group when the id is a chatroom, membership events occur, or more than one other person speaks."""
    if df["group_id"].astype(str).str.endswith("@chatroom").any():
        return "group"
    if "event" in df and df["event"].isin(["join", "kick", "leave", "rename", "owner_change"]).any():
        return "group"
    others = df.loc[(df["sender_id"] != SYSTEM_ID) & ~df["is_self_row"], "sender_id"]
    return "group" if others.nunique() > 1 else "private"


def _col(raw: pd.DataFrame, name: str, default: object = None) -> pd.Series:
    if name in raw:
        return raw[name]
    return pd.Series(default, index=raw.index, dtype=object)


def to_int(s: pd.Series) -> pd.Series:
    """Integers (nullable Int64) from numbers or decimal strings; anything else becomes NA.
    Strings go through pyarrow: pandas' to_numeric walks them in Python."""
    if pd.api.types.is_numeric_dtype(s.dtype) or (
            s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) != "string"):
        return pd.to_numeric(s, errors="coerce").astype("Int64")
    a = pc.utf8_trim_whitespace(_arr(s))
    ok = pc.fill_null(pc.match_substring_regex(a, r"^-?[0-9]{1,19}$"), False)
    vals = pc.cast(pc.if_else(ok, a, pa.scalar(None, pa.large_string())), pa.int64(), safe=False)
    return vals.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get).set_axis(s.index)


def _codes(s: pd.Series) -> np.ndarray:
    """Type codes as int64, -1 where missing or not a number."""
    if s.dtype == object and s.isna().all():
        return np.full(len(s), -1, dtype=np.int64)
    return to_int(s).fillna(-1).to_numpy(dtype=np.int64)


def _strs(s: pd.Series) -> np.ndarray:
    """Stripped strings as a numpy object array ("" for missing)."""
    if s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) != "string":
        s = s.where(s.notna(), "").astype(str)
    trimmed = pc.utf8_trim_whitespace(pc.fill_null(_arr(s), ""))
    return trimmed.to_numpy(zero_copy_only=False).astype(object, copy=False)


def _opt(s: pd.Series) -> np.ndarray:
    """Optional ids: numpy object array of str, None where missing or empty."""
    out = s.astype(object).to_numpy(dtype=object, copy=True)
    missing = pd.isna(out)
    if s.dtype == object or not pd.api.types.is_string_dtype(s.dtype):  # JSON values, numbers
        out[~missing] = [str(int(v)) if isinstance(v, float) and v.is_integer() else str(v) for v in out[~missing]]
    out[missing | (out == "")] = None
    return out


def _np_lookup(codes: np.ndarray, table: dict[int, str]) -> np.ndarray:
    uniq, inv = np.unique(codes, return_inverse=True)
    vals = np.array([table.get(int(u)) for u in uniq] + [None], dtype=object)[:-1]
    return vals[inv.reshape(-1)]


def _type_codes(raw: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(type, subtype) codes; WeChat 4 databases pack them as (subtype << 32) | type."""
    typ = _codes(_col(raw, "type"))
    sub = _codes(_col(raw, "subtype"))
    packed = typ >= 1 << 32
    if packed.any():
        sub = np.where(packed, typ >> 32, sub)
        typ = np.where(packed, typ & 0xFFFFFFFF, typ)
    return typ, sub


def _strip_sender_prefix(content: pd.Series, sender_id: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    """v3 group content "wxid_xxx:<newline>..." -> body, and the wxid when the row had no sender."""
    if not content.str.contains(":\n", regex=False).any():
        return content, sender_id
    pref = rx_get(content, _SENDER_PREFIX).to_numpy(dtype=object)
    got = ~pd.isna(pref)
    pref_s = np.where(got, pref, "").astype(object)
    strip = got & ((pref_s == sender_id) | ((sender_id == "") & pd.Series(pref_s).str.startswith("wxid_")
                                             .to_numpy(dtype=bool)))
    if strip.any():
        content = content.mask(strip, rx_sub(content, _SENDER_PREFIX, "", max_replacements=1))
        sender_id = np.where(strip & (sender_id == ""), pref_s, sender_id)
    return content, sender_id


def _kinds(raw: pd.DataFrame, content: pd.Series, typ: np.ndarray, sub: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """(kind, system): the format's own label first, then the type code (app messages by their
    subtype, read from the XML when the row has none); None where only the text can tell."""
    kind = _col(raw, "label_kind").astype(object).to_numpy(dtype=object, copy=True)
    kind[pd.isna(kind)] = None
    by_type = _np_lookup(typ, BASE_KINDS)
    app = typ == 49
    if app.any():
        appsub = sub.copy()
        missing = app & (appsub <= 0)
        if missing.any():
            appsub[missing] = _codes(rx_get(content[missing], APP_TYPE))
        found = _np_lookup(appsub[app], APP_KINDS)
        found[pd.isna(found)] = "other"
        by_type[app] = found
    by_type[(typ >= 0) & pd.isna(by_type)] = "other"
    nolabel = pd.isna(kind)
    kind[nolabel] = by_type[nolabel]
    system = np.isin(kind, ["system", "recall"])
    if "is_system" in raw:
        system |= raw["is_system"].fillna(False).to_numpy(dtype=bool)
    else:
        system |= (typ == 10000) | (typ == 10002)
    return kind, system


def _render_xml(content: pd.Series, kind: np.ndarray, app: np.ndarray, system: np.ndarray,
                reply_to: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(text, xmlish): XML app bodies rendered (their kind and quoted message filled into ``kind``
    and ``reply_to`` in place), media XML -> placeholders; other rows keep their content."""
    text = content.to_numpy(dtype=object, copy=True)
    xmlish = rx_has(content, _XMLISH).to_numpy() & ~system
    if not xmlish.any():
        return text, xmlish
    app_rows = xmlish & (app | content.str.contains("<appmsg", regex=False).to_numpy(dtype=bool))
    if app_rows.any():
        k = kind[app_rows]
        if pd.isna(k).any():  # XML app message without a usable type: read it from the XML
            t = _np_lookup(_codes(rx_get(content[app_rows], APP_TYPE)), APP_KINDS)
            t[pd.isna(t)] = "other"
            k = np.where(pd.isna(k), t, k)
            kind[app_rows] = k
        rendered, svrid = render_appmsg(content[app_rows], pd.Series(k, index=content.index[app_rows]))
        text[app_rows] = rendered.to_numpy(dtype=object)
        rt = reply_to[app_rows]
        reply_to[app_rows] = np.where(pd.isna(rt), svrid.to_numpy(dtype=object), rt)
    media = xmlish & ~app_rows
    if media.any():
        mk = pd.Series(kind[media], index=content.index[media]).fillna("other")
        text[media] = render_media(content[media], mk).to_numpy(dtype=object)
    return text, xmlish


def build_messages(raw: pd.DataFrame, options: ParseOptions, report: ParseReport) -> pd.DataFrame:
    """Raw WeChat rows -> parser columns (kind, text, events, mentions, reply_to, senders).

    Row-wise state lives in numpy arrays and boolean masks; regex work runs on Arrow kernels
    over the rows that need it (XML bodies, system lines, "@" texts)."""
    raw = raw.reset_index(drop=True)
    n = len(raw)
    content = _col(raw, "content", "").fillna("").astype(str)
    if content.str.contains("\r", regex=False).any():
        content = content.str.replace("\r\n", "\n", regex=False)
    typ, sub = _type_codes(raw)
    sender_id = _strs(_col(raw, "sender_id", ""))
    sender_name = _strs(_col(raw, "sender_name", ""))
    account = _opt(_col(raw, "sender_account_name"))  # the account nickname beside the card, when known
    is_self = _col(raw, "is_self", False).fillna(False).to_numpy(dtype=bool).copy()
    content, sender_id = _strip_sender_prefix(content, sender_id)
    kind, system = _kinds(raw, content, typ, sub)
    reply_to = _opt(_col(raw, "reply_to"))
    text, xmlish = _render_xml(content, kind, typ == 49, system, reply_to)
    empty_media = (text == "") & np.isin(kind, list(PLACEHOLDER_TEXT)) & ~system
    if empty_media.any():
        text[empty_media] = [PLACEHOLDER_TEXT[k] for k in kind[empty_media]]

    still = pd.isna(kind) & ~system
    if still.any():
        kind[still] = placeholder_kinds(pd.Series(text[still], dtype=object)).to_numpy(dtype=object)
    kind[pd.isna(kind)] = "system"

    event = np.full(n, None, dtype=object)
    actor = np.full(n, None, dtype=object)
    target = np.full(n, None, dtype=object)
    sid, sname = self_ids(options)
    if system.any():
        cleaned = clean_system_text(content[system])
        text[system] = cleaned.to_numpy(dtype=object)
        ev = parse_events(cleaned)
        evn = ev["event"].to_numpy(dtype=object)
        event[system] = evn
        actor[system] = ev["event_actor"].to_numpy(dtype=object)
        target[system] = ev["event_target"].to_numpy(dtype=object)
        k = np.where(evn == "recall", "recall", np.where(evn == "pat", "pat", "system")).astype(object)
        labelled = np.isin(kind[system], ["recall", "pat"])
        kind[system] = np.where(labelled, kind[system], k)
        event[system & (kind == "recall")] = "recall"
        sender_id[system] = SYSTEM_ID
        sender_name[system] = SYSTEM_NAME
        account[system] = None
        is_self[system] = False
    pat = (kind == "pat") & ~system
    if pat.any():
        ev = parse_events(pd.Series(text[pat], dtype=object))
        event[pat] = "pat"
        actor[pat] = ev["event_actor"].to_numpy(dtype=object)
        target[pat] = ev["event_target"].to_numpy(dtype=object)
    ann = (kind == "announcement") & ~system
    if ann.any():
        event[ann] = "announcement"
        actor[ann] = np.where(is_self[ann], sid, sender_id[ann])
    # "你" in a notice is the exporting account
    actor[actor == "你"] = sid
    target[target == "你"] = sid

    sender_id[is_self] = sid
    sender_name[is_self] = sname
    no_id = sender_id == ""
    sender_id[no_id] = sender_name[no_id]
    no_name = sender_name == ""
    sender_name[no_name] = sender_id[no_name]
    nobody = sender_id == ""
    if nobody.any():
        sender_id[nobody] = "unknown"
        sender_name[nobody] = "unknown"
        report.note(f"{int(nobody.sum())} messages name no sender; imported with sender 'unknown'")

    # "@" rows: from the Arrow content where the text is the content, else from the rendered text
    changed = xmlish | system | empty_media
    has_at = rx_has(content, "@").to_numpy() & ~changed
    if changed.any():
        has_at[changed] = [("@" in t) for t in text[changed]]
    mentions = np.full(n, None, dtype=object)
    at = np.flatnonzero(has_at & ~system)
    if len(at):
        mentions[at] = spaced_mentions(pa.array(text[at], pa.string())).to_pylist()

    def obj(a: np.ndarray) -> pd.Series:  # object columns as they are: no str-dtype inference pass
        return pd.Series(a, dtype=object, copy=False)

    return pd.DataFrame({
        "group_id": raw["group_id"].astype(str),
        "group_name": raw["group_name"].astype(str),
        "chat_type": raw["chat_type"],
        "ts": raw["ts"],
        "sender_id": obj(sender_id),
        "sender_name": obj(sender_name),
        "sender_account_name": obj(account),
        "kind": obj(kind),
        "text": obj(text),
        "event": obj(event),
        "event_actor": obj(actor),
        "event_target": obj(target),
        "mentions": obj(mentions),
        "reply_to": obj(reply_to),
        "msg_id": obj(_opt(_col(raw, "msg_id"))),
        "source_line": raw["source_line"].astype("int64"),
        "is_self_row": is_self,
    })


def drop_bad(df: pd.DataFrame, bad: pd.Series, reason: str, report: ParseReport, excerpt: pd.Series) -> pd.DataFrame:
    """Report rows flagged ``bad`` (one issue each, excerpt kept) and return the rest."""
    bad = bad.fillna(True).astype(bool)
    if bad.any():
        lines = df.loc[bad, "source_line"].astype("int64").to_numpy()
        ex = excerpt[bad].fillna("").astype(str).to_numpy()
        for i, (line, text) in enumerate(zip(lines, ex, strict=True)):
            if i >= 50:  # the report keeps only the first few; count the rest in one call
                report.issue(int(line), reason, text, count=int(bad.sum()) - i)
                break
            report.issue(int(line), reason, text)
    return df.loc[~bad]


def finalize(df: pd.DataFrame, chat_type: str | None) -> pd.DataFrame:
    """Fill chat_type where the parser left it open and drop helper columns.
    (Message and group counts in the report are the store's to keep.)"""
    if chat_type is not None:
        df["chat_type"] = df["chat_type"].where(df["chat_type"].notna(), chat_type)
    df = df.drop(columns=["is_self_row"])
    return df.reset_index(drop=True)


def settle_chat_type(chunks: Iterator[pd.DataFrame], min_rows: int = 5000) -> Iterator[pd.DataFrame]:
    """Finalize ``build_messages`` chunks whose chat_type the export does not state.

    A private chat looks like a quiet group until a second person speaks, so chunks
    are held back (at most ``min_rows`` rows) until a group is evident or enough of
    the chat was seen; the answer then holds for the whole file.
    """
    pending: list[pd.DataFrame] = []
    decided: str | None = None
    for out in chunks:
        if decided is not None:
            yield finalize(out, decided)
            continue
        pending.append(out)
        seen = pd.concat(pending) if len(pending) > 1 else out
        guess = infer_chat_type(seen)
        if guess == "group" or len(seen) >= min_rows:
            decided = guess
            for p in pending:
                yield finalize(p, decided)
            pending = []
    if pending:
        decided = infer_chat_type(pd.concat(pending))
        for p in pending:
            yield finalize(p, decided)
