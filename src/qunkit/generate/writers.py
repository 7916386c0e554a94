"""Write generated groups as the bytes real exporters produce, plus rosters and truth files.

Layouts follow ``shared/formats/FORMATS.md``: the QQ PC message manager .txt
(CRLF, UTF-8 with BOM, non-padded hour, ``昵称(QQ号)`` headers, 系统消息(10000)),
and LC044/WeChatMsg's TXT (UTF-8, no BOM, LF: it opens the file with
``newline=''``; system notices sit on the header line; link cards are indented)
and CSV (utf-8-sig, CRLF rows, RFC 4180 quoting around multi-line XML).
Formatting is per column (a table of the 86,400 clock strings, one date string
per day) and a single join, so a million messages write in seconds.
"""

from __future__ import annotations

import codecs
import zlib
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .model import TZ, GeneratedGroup

QQ_HEADER = "消息记录（此消息记录为文本格式，不支持重新导入）"
QQ_RULE = "=" * 64
QQ_SYSTEM = "系统消息(10000)"
ROSTER_ROLE_ZH = {"owner": "群主", "admin": "管理员", "member": "成员"}


def _groups(groups: GeneratedGroup | Iterable[GeneratedGroup]) -> list[GeneratedGroup]:
    return [groups] if isinstance(groups, GeneratedGroup) else list(groups)


def _wall_secs(ts: pd.Series) -> np.ndarray:
    """Wall-clock seconds in Asia/Shanghai (what the exporter's PC shows), as int64."""
    naive = ts.dt.tz_convert(TZ).dt.tz_localize(None)
    return naive.to_numpy().astype("datetime64[s]").astype(np.int64)


@lru_cache(maxsize=2)
def _clock(ampm: bool) -> tuple[str, ...]:
    """All 86,400 times of day as QQ prints them: hour not zero-padded, optional 12-hour AM/PM."""
    out = []
    for s in range(86400):
        h, m, sec = s // 3600, s // 60 % 60, s % 60
        if ampm:
            out.append(f"{(h % 12) or 12}:{m:02d}:{sec:02d} {'AM' if h < 12 else 'PM'}")
        else:
            out.append(f"{h}:{m:02d}:{sec:02d}")
    return tuple(out)


def _dates(secs: np.ndarray) -> list[str]:
    days = secs // 86400
    uniq, inv = np.unique(days, return_inverse=True)
    names = np.datetime_as_string(uniq.astype("datetime64[D]"))
    return names[inv].tolist()


def _clean_body(s: pd.Series) -> list[str]:
    """Bodies use \\n internally; the writer decides the line ending."""
    return s.fillna("").astype(str).str.replace("\r\n", "\n", regex=False).tolist()


CHUNK = 100_000  # messages formatted per string: bounds memory on million-message exports


def _qq_parts(groups: GeneratedGroup | Iterable[GeneratedGroup], ampm: bool, folder: str) -> Iterator[str]:
    clock = _clock(ampm)
    yield f"{QQ_HEADER}\n\n"
    for g in _groups(groups):
        yield f"{QQ_RULE}\n消息分组:{folder}\n{QQ_RULE}\n消息对象:{g.name}\n{QQ_RULE}\n\n"
        for lo in range(0, len(g.messages), CHUNK):
            msgs = g.messages.iloc[lo:lo + CHUNK]
            secs = _wall_secs(msgs["ts"])
            dates = _dates(secs)
            sod = (secs % 86400).tolist()
            titles = msgs["sender_title"].astype(object).where(msgs["sender_title"].notna(), "").tolist()
            labels = [QQ_SYSTEM if i == "system" else f"{t}{n}({i})"
                      for i, n, t in zip(msgs["sender_id"].tolist(), msgs["sender_name"].tolist(), titles,
                                         strict=True)]
            bodies = _clean_body(msgs["text"])
            yield "".join([f"{d} {clock[s]} {lab}\n{b}\n\n"
                           for d, s, lab, b in zip(dates, sod, labels, bodies, strict=True)])


def qq_txt_text(groups: GeneratedGroup | Iterable[GeneratedGroup], *, ampm: bool = False,
                folder: str = "我的QQ群") -> str:
    """The export as one string with ``\\n`` line ends (see :func:`write_qq_txt`)."""
    return "".join(_qq_parts(groups, ampm, folder))


def _write_parts(parts: Iterable[str], path: str | Path, encoding: str, crlf: bool) -> Path:
    """Stream text parts to ``path``; an incremental encoder writes a BOM (utf-8-sig) once."""
    enc = codecs.getincrementalencoder(encoding)()
    path = Path(path)
    with open(path, "wb") as f:
        for part in parts:
            f.write(enc.encode(part.replace("\n", "\r\n") if crlf else part))
        f.write(enc.encode("", final=True))
    return path


def write_qq_txt(groups: GeneratedGroup | Iterable[GeneratedGroup], path: str | Path, *, crlf: bool = True,
                 encoding: str = "utf-8-sig", ampm: bool = False, folder: str = "我的QQ群") -> Path:
    """QQ PC 消息管理器 "文本文件" export; several groups make one 全部消息记录-style file.

    Defaults are what real exports look like (CRLF, UTF-8 with BOM); ``ampm`` gives the
    English-Windows 12-hour clock, ``encoding="gb18030"`` an old or re-saved file.
    """
    return _write_parts(_qq_parts(groups, ampm, folder), path, encoding, crlf)


@lru_cache(maxsize=1)
def _clock_padded() -> tuple[str, ...]:
    return tuple(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400))


def _fmt_local(ts: pd.Series) -> list[str]:
    """``YYYY-MM-DD HH:MM:SS`` local (WeChatMsg's StrTime, roster times), "" for missing."""
    ok = ts.notna().to_numpy()
    out = [""] * len(ts)
    if ok.any():
        secs = _wall_secs(ts[ok])
        clock = _clock_padded()
        idx = np.flatnonzero(ok).tolist()
        for i, d, s in zip(idx, _dates(secs), (secs % 86400).tolist(), strict=True):
            out[i] = f"{d} {clock[s]}"
    return out


def write_roster_csv(group: GeneratedGroup, path: str | Path, encoding: str = "utf-8-sig",
                     headers: Sequence[str] | None = None) -> Path:
    """Member roster as group-management tools export it (Chinese headers, 群主/管理员/成员).

    QQ: ``QQ号,群名片,身份,入群时间,最后发言时间``; for a WeChat group the id column is ``wxid``.
    Members who never spoke have an empty 最后发言时间.
    """
    ro = group.roster
    if headers is None:
        headers = ("QQ号" if group.platform == "qq" else "wxid", "群名片", "身份", "入群时间", "最后发言时间")
    df = pd.DataFrame({
        headers[0]: ro["member_id"].astype(str).tolist(),
        headers[1]: ro["member_name"].astype(str).tolist(),
        headers[2]: [ROSTER_ROLE_ZH[x] for x in ro["role"]],
        headers[3]: _fmt_local(ro["joined"]),
        headers[4]: _fmt_local(ro["last_spoke"]),
    })
    path = Path(path)
    df.to_csv(path, index=False, encoding=encoding, lineterminator="\r\n")
    return path


def write_truth(groups: GeneratedGroup | Iterable[GeneratedGroup], directory: str | Path) -> list[Path]:
    """``roles.csv`` (every member ever, with the planted role) and ``lifecycles.csv`` (one row
    per group with ``dead_within_30d``); plain UTF-8, ISO timestamps with offset."""
    gs = _groups(groups)
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    roles = pd.concat([g.truth_roles.assign(platform=g.platform) for g in gs], ignore_index=True)
    life = pd.DataFrame([g.truth_life for g in gs])
    out = []
    for name, df in (("roles.csv", roles), ("lifecycles.csv", life)):
        df = df.copy()
        for c in df.columns:
            if isinstance(df[c].dtype, pd.DatetimeTZDtype):
                df[c] = df[c].map(lambda x: x.isoformat() if pd.notna(x) else "")
            elif df[c].dtype == object:
                df[c] = df[c].map(lambda x: x.isoformat() if isinstance(x, pd.Timestamp) else x)
        p = d / name
        df.to_csv(p, index=False, encoding="utf-8")
        out.append(p)
    return out


# --- WeChat (LC044/WeChatMsg) --------------------------------------------------------------------

def _card_desc(title: str) -> str:
    return f"{title}，点击查看全文"


def _wechatmsg_parts(group: GeneratedGroup) -> Iterator[str]:
    pad = " " * 12  # WeChatMsg writes link cards from an indented triple-quoted f-string
    for lo in range(0, len(group.messages), CHUNK):
        msgs = group.messages.iloc[lo:lo + CHUNK]
        out = []
        for t, name, kind, text, url in zip(_fmt_local(msgs["ts"]), msgs["sender_name"].tolist(),
                                            msgs["kind"].tolist(), _clean_body(msgs["text"]), msgs["url"].tolist(),
                                            strict=True):
            if kind in ("system", "recall"):
                out.append(f"{t} {text}\n\n")
            elif kind == "redpacket":
                continue
            elif kind == "link" and url:
                out.append(f"{t} {name}\n{pad}[链接]:title:{text}\n{pad}description:{_card_desc(text)}\n"
                           f"{pad}url:{url}\n{pad}name:{'公众号' if 'weixin' in url else '哔哩哔哩'}\n{pad}\n\n")
            elif kind == "image":
                out.append(f"{t} {name}\n[图片]\n\n")
            elif kind == "sticker":
                out.append(f"{t} {name}\n[表情包]\n\n")
            else:
                out.append(f"{t} {name}\n{text}\n\n")
        yield "".join(out)


def wechatmsg_txt_text(group: GeneratedGroup) -> str:
    """WeChatMsg TXT for one chat: ``{StrTime} {name}\\n{content}\\n\\n``; system notices are
    ``{StrTime} {notice}\\n\\n``; red packets are not exported by WeChatMsg's TXT exporter."""
    return "".join(_wechatmsg_parts(group))


def write_wechatmsg_txt(group: GeneratedGroup, path: str | Path, *, crlf: bool = False,
                        encoding: str = "utf-8") -> Path:
    """WeChatMsg (留痕) TXT export of one group chat (UTF-8 without BOM, LF like the tool)."""
    return _write_parts(_wechatmsg_parts(group), path, encoding, crlf)


def _xml_escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _app_xml(sender: str, title: str, des: str, typ: int, url: str = "") -> str:
    return ("<?xml version=\"1.0\"?>\n<msg>\n\t<appmsg appid=\"\" sdkver=\"0\">\n"
            f"\t\t<title>{_xml_escape(title)}</title>\n\t\t<des>{_xml_escape(des)}</des>\n"
            f"\t\t<type>{typ}</type>\n\t\t<url>{_xml_escape(url)}</url>\n\t</appmsg>\n"
            f"\t<fromusername>{sender}</fromusername>\n</msg>")


def wechatmsg_frame(group: GeneratedGroup) -> pd.DataFrame:
    """The rows of WeChatMsg's CSV export (before encoding)."""
    msgs = group.messages
    kind = msgs["kind"].tolist()
    sender = msgs["sender_id"].tolist()
    names = msgs["sender_name"].tolist()
    text = _clean_body(msgs["text"])
    urls = msgs["url"].tolist()
    rows: list[tuple[int, int, str]] = []  # (Type, SubType, StrContent)
    for k, s, x, u in zip(kind, sender, text, urls, strict=True):
        if k in ("system", "recall"):
            rows.append((10000, 0, x))
        elif k == "image":
            rows.append((3, 0, ""))
        elif k == "sticker":
            md5 = f"{zlib.crc32(s.encode()):08x}" * 4
            rows.append((47, 0, f"<msg><emoji fromusername=\"{s}\" tousername=\"{group.group_id}\" type=\"2\" "
                                f"md5=\"{md5}\" len=\"{zlib.crc32(x.encode()) % 90000 + 1000}\" /></msg>"))
        elif k == "link" and u:
            rows.append((49, 5, _app_xml(s, x, _card_desc(x), 5, u)))
        elif k == "redpacket":
            rows.append((49, 2001, _app_xml(s, "微信红包", "我给你发了一个红包，赶紧去拆!", 2001)))
        else:
            rows.append((1, 0, x))
    types, subs, content = (list(c) for c in zip(*rows, strict=True)) if rows else ([], [], [])
    is_sys = [k in ("system", "recall") for k in kind]
    is_self = [int(s == group.self_id) for s in sender]
    secs_utc = msgs["ts"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().astype("datetime64[s]").astype(np.int64)
    talker = zlib.crc32(group.group_id.encode()) % 900 + 20
    return pd.DataFrame({
        "localId": np.arange(1, len(msgs) + 1),
        "TalkerId": talker,
        "Type": types,
        "SubType": subs,
        "IsSender": is_self,
        "CreateTime": secs_utc,
        "Status": [2 if x else 3 for x in is_self],
        "StrContent": content,
        "StrTime": _fmt_local(msgs["ts"]),
        "Remark": ["" if y else n for n, y in zip(names, is_sys, strict=True)],
        "NickName": ["" if y else n for n, y in zip(names, is_sys, strict=True)],
        "Sender": ["" if y else s for s, y in zip(sender, is_sys, strict=True)],
    })


def write_wechatmsg_csv(group: GeneratedGroup, path: str | Path) -> Path:
    """WeChatMsg CSV export (``<remark>_utf8.csv``): utf-8-sig, csv-module quoting, CRLF rows."""
    path = Path(path)
    wechatmsg_frame(group).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n",
                                  chunksize=CHUNK)
    return path
