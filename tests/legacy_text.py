"""The readers that text parsers had before the piece engine, kept as the tests' reference.

``iter_text_blocks`` is the shared header/body splitter of ``wechat_io`` (WeChatMsg .txt and chatlog
text read through it, Python per block); ``ChatlogTextBefore`` is the chatlog text parser as it was
at 091afa3, year inference by a first pass over the file included.  The piece-engine parsers are
held to the rows, issues and notes these give (``test_formats_wechatmsg_txt``,
``test_formats_chatlog_txt``).  Not product code: nothing in ``src`` may import it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from qunkit.formats import finish_chunk
from qunkit.formats.base import SYSTEM_NAME, ParseOptions, Parser, ParseReport, text_encoding
from qunkit.formats.textio import iter_text_chunks
from qunkit.formats.wechat_common import build_messages, drop_bad, rx_get, rx_sub, settle_chat_type
from qunkit.formats.wechatmsg_csv import chat_name_from_file
from qunkit.localtime import localize
from qunkit.schema import empty_messages

MAX_ROWS = 250_000  # rows per yielded chunk (wechat_io's)


def _slices(df: pd.DataFrame) -> Iterator[pd.DataFrame]:
    if len(df) <= MAX_ROWS:
        yield df
        return
    for start in range(0, len(df), MAX_ROWS):
        yield df.iloc[start:start + MAX_ROWS].reset_index(drop=True)


def _with_last(it: Iterator[str]) -> Iterator[tuple[str, bool]]:
    prev = None
    for item in it:
        if prev is not None:
            yield prev, False
        prev = item
    if prev is not None:
        yield prev, True


def iter_text_blocks(path: Path, encoding: str, header: str, report: ParseReport,
                     chunk_bytes: int = 32 << 20, loose: bool | None = None,
                     fields: Callable[[pa.Array], dict[str, pa.Array]] | None = None) -> Iterator[pd.DataFrame]:
    """Split a header/body text export into messages, vectorised.

    ``header`` is an RE2 pattern with named groups; a line matching it starts a
    message when it is the first line or follows a blank line (exporters write a
    blank line after every message, so a body line that happens to look like a
    header is not split off).  Files without those blank lines fall back to
    accepting every matching line.  Yields DataFrames with the header's groups,
    ``body`` (lines joined by "\\n", trailing blank lines removed) and
    ``source_line``.  Non-blank lines before the first header are report issues.
    ``fields`` may cut the header lines into columns faster than the pattern's
    groups (fixed-width layouts); the pattern then only decides which lines are headers.
    """
    carry, base_line, seen_header = "", 1, False
    for piece, last in _with_last(iter_text_chunks(path, encoding, chunk_bytes, report)):
        text = carry + piece
        carry = ""
        arr = pc.list_flatten(pc.split_pattern(pa.array([text], pa.large_string()), "\n"))
        if text.endswith("\n"):
            arr = arr.slice(0, len(arr) - 1)
        n = len(arr)
        if n == 0:
            continue
        valid = pc.fill_null(pc.match_substring_regex(arr, header), False).to_numpy(zero_copy_only=False)
        empty = pc.or_(pc.equal(pc.binary_length(arr), 0), pc.utf8_is_space(arr)).to_numpy(zero_copy_only=False)
        if loose is None:
            prev_blank = np.concatenate([[True], empty[:-1]])
            strict = valid & prev_blank
            if strict.any() or not valid.any():
                loose = False
            elif last or valid.sum() > 1:
                loose = True
                report.note("message headers are not separated by blank lines; every header-shaped line "
                            "starts a message")
        if loose:
            hdr = valid
        else:
            hdr = valid & np.concatenate([[True], empty[:-1]])
        hpos = np.flatnonzero(hdr)
        if not seen_header:
            pre_end = int(hpos[0]) if len(hpos) else (n if last else 0)
            if len(hpos) or last:
                _preamble_issues(arr.slice(0, pre_end), base_line, report)
                seen_header = bool(len(hpos))
        # the last message may go on in the next piece: carry it
        cut = n if last else (int(hpos[-1]) if len(hpos) else 0)
        if not last:
            carry = "\n".join(arr.slice(cut).to_pylist()) + "\n"
        use = hpos[hpos < cut]
        if len(use):
            yield from _slices(_blocks(arr, header, fields, hdr, use, cut, base_line))
        base_line += cut


def _preamble_issues(lines: pa.Array, first_line: int, report: ParseReport) -> None:
    texts = lines.to_pylist()
    bad = [(first_line + i, t) for i, t in enumerate(texts) if t.strip()]
    for k, (line, t) in enumerate(bad[:20]):
        report.issue(line, "text before the first message header", t, count=1 if k < 19 else len(bad) - 19)


def _blocks(arr: pa.Array, header: str, fields: Callable[[pa.Array], dict[str, pa.Array]] | None,
            hdr: np.ndarray, use: np.ndarray, cut: int, base_line: int) -> pd.DataFrame:
    idx = np.arange(cut)
    hdr = hdr[:cut]
    msg = np.cumsum(hdr) - 1
    body_mask = ~hdr & (idx >= use[0])
    counts = np.bincount(msg[body_mask], minlength=len(use))
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), pa.int64())
    values = arr.slice(0, cut).filter(pa.array(body_mask))
    body = pc.binary_join(pa.LargeListArray.from_arrays(offsets, values), pa.scalar("\n", pa.large_string()))
    body = pc.replace_substring_regex(body, r"(?:\n[ \t]*)+$", "")  # trailing blank lines (not the last line's own spaces)
    lines = arr.take(pa.array(use))
    if fields is not None:
        out = {k: v.to_pandas() for k, v in fields(lines).items()}
    else:
        heads = pc.extract_regex(lines, header)
        out = {f.name: heads.field(i).to_pandas() for i, f in enumerate(heads.type)}
    out["body"] = body.to_pandas()
    out["source_line"] = use + base_line
    return pd.DataFrame(out)


# -- chatlog text as it was ------------------------------------------------------------------

SYSTEM_SENDER = SYSTEM_NAME  # how chatlog names the sender of gray-bar rows

# PlainTextContent placeholders: ![图片](url), [链接|title](url), [转账|发送 ￥1.00](备注) ...
MEDIA_LABELS = {
    "图片": "image", "语音": "voice", "视频": "video", "动画表情": "sticker", "GIF表情": "sticker", "表情": "sticker",
    "名片": "card", "链接": "link", "分享": "link", "小程序": "link", "视频号": "link", "文件": "file",
    "群公告": "announcement", "红包": "redpacket", "红包封面": "other", "转账": "transfer", "语音通话": "call",
    "视频通话": "call", "位置": "location", "聊天记录": "forward", "合并转发": "forward", "拍一拍": "pat",
}
_MEDIA = r"^!?\[(?P<g>" + "|".join(sorted(MEDIA_LABELS, key=len, reverse=True)) + r")(?:\|[^\]\n]*)?\](?:\([^)\n]*\))?$"
_UNKNOWN = r"^Type: ?[0-9]+"

TIME = r"(?:[0-9]{4}-)?[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}"
# "> quoted" lines are excluded from headers by the leading [^>]
HEADER = rf"^(?P<head>[^>\n].*?) (?P<time>{TIME})$"
_ROOM = re.compile(r"^(?P<sender>.*?\)|[^ ()]+) \[(?P<room>.*)\]$")
_ID = re.compile(r"^(?P<name>.*)\((?P<id>[^()]*)\)$")

def media_kinds(text: pd.Series) -> pd.Series:
    """Kind of chatlog placeholder bodies (None where the body is not one)."""
    label = rx_get(text.fillna("").astype(str), _MEDIA)
    kind = label.map(MEDIA_LABELS).astype(object)
    unknown = text.fillna("").astype(str).str.match(_UNKNOWN)
    kind[unknown.to_numpy(dtype=bool)] = "other"
    return kind.where(kind.notna(), None)


class ChatlogTextBefore(Parser):
    name = "chatlog-txt"
    platform = "wechat"
    description = "sjzar/chatlog text (API format=text): '张三(wxid) [群名(id@chatroom)] 01-02 15:04:05' headers"

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:  # noqa: ARG003 - a reference, never sniffed
        return 0

    def parse(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pd.DataFrame]:
        encoding = text_encoding(path, report)
        first_year = self._first_year(path, encoding, options, report)
        yield from settle_chat_type(self._chunks(path, encoding, first_year, options, report))

    # -- year ------------------------------------------------------------------------------------
    @staticmethod
    def _year_keys(times: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """(seconds into a leap year, has-its-own-year) for MM-DD HH:MM:SS / YYYY-MM-DD HH:MM:SS."""
        full = times.str.len() > 14
        md = times.where(~full, times.str[5:])
        ref = pd.to_datetime("2000-" + md, format="%Y-%m-%d %H:%M:%S", errors="coerce")
        secs = ((ref - pd.Timestamp("2000-01-01")).dt.total_seconds()).fillna(-1).to_numpy()
        return secs, full.to_numpy(dtype=bool)

    def _first_year(self, path: Path, encoding: str, options: ParseOptions, report: ParseReport) -> int | None:
        """Year of the first message (see the module docstring); None when every header has one."""
        if options.year:
            report.note(f"chatlog text without years: the first message is taken to be in {options.year} "
                        "(--year); later messages roll into the next year when the date goes back")
            return options.year
        rollovers, last, seen, prev = 0, None, False, None
        scratch = ParseReport(report.file)
        for blocks in iter_text_blocks(path, encoding, HEADER, scratch, options.chunk_bytes):
            secs, full = self._year_keys(blocks["time"])
            keep = ~full & (secs >= 0)
            secs = secs[keep]
            if not len(secs):
                continue
            seen = True
            chain = np.concatenate([[prev], secs]) if prev is not None else secs
            rollovers += int((np.diff(chain) < -86400).sum())
            prev, last = secs[-1], secs[-1]
        if not seen:
            return None
        mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
        local = pd.Timestamp(mtime).tz_convert(options.tz)
        mt_secs = (pd.Timestamp(2000, local.month, local.day, local.hour, local.minute, local.second)
                   - pd.Timestamp("2000-01-01")).total_seconds()
        end_year = local.year if last <= mt_secs else local.year - 1
        first_year = end_year - rollovers
        span = f"{first_year}" if rollovers == 0 else f"{first_year}–{end_year}"
        report.note(f"chatlog text has no years: dated {span}, inferred from the file's modification time "
                    f"({local:%Y-%m-%d}) as the export time; pass --year (year of the first message) if wrong")
        return first_year

    # -- messages --------------------------------------------------------------------------------
    def _chunks(self, path: Path, encoding: str, first_year: int | None, options: ParseOptions,
                report: ParseReport) -> Iterator[pd.DataFrame]:
        fallback = options.group or chat_name_from_file(path)
        prev, offset = None, 0
        for blocks in iter_text_blocks(path, encoding, HEADER, report, options.chunk_bytes):
            times = blocks["time"].astype(str)
            secs, full = self._year_keys(times)
            year = np.full(len(times), first_year or 0, dtype=np.int64)
            short = ~full & (secs >= 0)
            if short.any():
                s = secs[short]
                chain = np.concatenate([[prev], s]) if prev is not None else np.concatenate([[s[0]], s])
                steps = np.cumsum(np.diff(chain) < -86400) + offset
                year[short] = (first_year or 0) + steps
                offset, prev = int(steps[-1]), s[-1]
            stamp = times.where(full, pd.Series(year, index=times.index).astype(str) + "-" + times)
            naive = pd.to_datetime(stamp, format="%Y-%m-%d %H:%M:%S", errors="coerce")
            blocks["ts"] = localize(naive, options.tz)
            blocks = drop_bad(blocks, blocks["ts"].isna(), "header time is not a valid date", report,
                              blocks["head"] + " " + blocks["time"])
            if blocks.empty:
                continue
            yield build_messages(self._raw(blocks, fallback, options), options, report)

    @staticmethod
    def _raw(blocks: pd.DataFrame, fallback: str, options: ParseOptions) -> pd.DataFrame:
        heads = blocks["head"].astype(str).to_list()
        senders, rooms = [], []
        for h in heads:  # one small regex per header (the split needs backtracking RE2 lacks)
            m = _ROOM.match(h)
            senders.append(m["sender"] if m else h)
            rooms.append(m["room"] if m else "")
        sender = pd.Series(senders, index=blocks.index, dtype=object)
        room = pd.Series(rooms, index=blocks.index, dtype=object)
        sid = sender.str.extract(_ID.pattern, expand=True)
        sender_name = sid["name"].fillna("").str.strip()
        sender_id = sid["id"].where(sid["id"].notna(), sender).str.strip()
        rid = room.str.extract(_ID.pattern, expand=True)
        talker = rid["id"].where(rid["id"].notna(), room).fillna("").str.strip()
        tname = rid["name"].fillna("").str.strip()
        in_room = talker != ""
        body = blocks["body"].astype(str)
        own = rx_sub(body, r"^(?:>[^\n]*(?:\n|$))+", "")
        system = sender_id == SYSTEM_SENDER
        group = options.group
        return pd.DataFrame({
            "ts": blocks["ts"],
            "group_id": talker.where(in_room, fallback),
            "group_name": group or tname.where(tname != "", talker.where(in_room, fallback)),
            "chat_type": pd.Series("group", index=blocks.index, dtype=object).where(in_room, None),
            "source_line": blocks["source_line"],
            "content": own,
            "label_kind": media_kinds(own),
            "is_system": system,
            "is_self": (sender_id == "我") & ~system,
            "sender_id": sender_id.where(~system, ""),
            "sender_name": sender_name,
        })


def chatlog_text_before(path: Path, tz: str = "Asia/Shanghai", **opts) -> tuple[pd.DataFrame, ParseReport]:
    """``golden_frames.run_parser`` of ``ChatlogTextBefore``: the MESSAGES rows an import stored."""
    parser = ChatlogTextBefore()
    report = ParseReport(file=str(path), format="chatlog-txt")
    options = ParseOptions(tz=tz, **opts)
    carry: dict[int, int] = {}
    tables = [finish_chunk(df, parser, Path(path).name, tz, carry) for df in parser.parse(path, options, report)]
    if not tables:
        return empty_messages().to_pandas(), report
    return pd.concat([t.to_pandas() for t in tables], ignore_index=True), report
