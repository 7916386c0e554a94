"""Member rosters (群成员列表) exported by QQ/WeChat group tools, as CSV or XLSX.

A message log never shows members who stay silent; a roster does.  Tools name
their columns differently (QQ号/账号/wxid, 群名片/昵称, 入群时间, 身份 ...), so
headers are matched loosely (case, spaces and underscores ignored; an alias
contained in a header counts).  Columns we do not know (序号, 性别, QQ年龄,
等级 ...) are ignored.  Rows we cannot use are reported, never dropped silently:
pass a ``ParseReport`` (the same one importers use) or read
``df.attrs["roster_issues"]``.

Rosters larger than ``MAX_ROSTER_ROWS`` (100,000) rows are refused with BadInput (see there why).

Returned columns: ``member_id`` (str), ``member_name`` (str or None), ``role``
(owner/admin/member or None), ``joined`` and ``last_spoke`` (UTC timestamps or
NaT).  Naive times in the file are read in ``tz`` (exports carry local time).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd

from .errors import BadInput
from .formats.base import ParseReport
from .formats.textio import bytes_encoding
from .localtime import DEFAULT_TZ, localize_one
from .members import role_from_title

ROSTER_COLUMNS = ("member_id", "member_name", "role", "joined", "last_spoke")

# field -> header aliases, most preferred first.  When a file has several columns
# for one field (QQ exports carry both 群名片 and 昵称) each row takes the first
# non-empty one in this order: the group card is what members see in the chat.
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("qq号", "qq号码", "uin", "账号", "帐号", "微信号", "wxid", "成员id", "用户id", "userid",
           "user_id", "member_id", "uid", "id", "qq"),
    "name": ("群名片", "群昵称", "群内昵称", "昵称", "成员", "成员昵称", "nickname", "member_name", "name", "名称", "姓名", "备注",
             "remark"),
    "joined": ("入群时间", "加入时间", "进群时间", "joined", "join_time", "jointime", "join_date", "入群日期"),
    "role": ("身份", "群身份", "权限", "角色", "role", "群角色"),
    "last_spoke": ("最后发言时间", "最后发言", "最近发言", "last_spoke", "last_speak", "lastspoke",
                   "last_spoke_time", "last_active"),
}


# values that mean "no date" rather than a bad date
_NO_DATE = {"", "-", "--", "—", "无", "从未", "从未发言", "未发言", "none", "null", "nan", "nat", "never", "n/a"}
_HEADER_SCAN_ROWS = 20
_ID_IN_NAME = re.compile(r"^(?P<name>.*?)\s*[(（](?P<id>\d{5,12})[)）]\s*$")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# A roster lists one group's members, and no platform allows more than a few thousand (QQ 3,000,
# WeChat 500, Telegram supergroups more, but nobody exports those as a roster sheet).  Past
# MAX_ROSTER_ROWS rows the file is the wrong file (a message export, a joined database dump):
# refused at import with the reason, rather than a roster of a million "members" that every
# analysis then carries (prune and roles would hold it several times over).
MAX_ROSTER_ROWS = 100_000
MAX_ROSTER_BYTES = 64 << 20
_TOO_BIG_WHY = ("no platform's group has that many members (QQ caps groups at 3,000); "
                "is it the right file?")
_CN_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?")


def read_roster(path: str | Path, tz: str = DEFAULT_TZ, report: ParseReport | None = None) -> pd.DataFrame:
    """Read a member roster (CSV in UTF-8/UTF-8-BOM/GBK/UTF-16, or XLSX).

    Bad rows go to ``report.issue(row_number, reason, excerpt)`` (row numbers are
    1-based file rows, header included); without a report they are still in
    ``df.attrs["roster_issues"]`` (as "file:row: reason" strings, the first 20)
    and ``df.attrs["roster_bad_rows"]`` (the count).  Raises ``BadInput`` when
    the file has no id or name column, or cannot be read at all.
    """
    path = Path(path)
    report = report if report is not None else ParseReport(file=str(path), format="roster")
    if not path.is_file():
        raise BadInput(f"{path}: no such roster file")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path)
        report.encoding = "xlsx"
    elif suffix == ".xls":
        raise BadInput(f"{path}: old binary .xls is not supported; save the roster as .xlsx or .csv")
    else:
        rows = _csv_rows(path, report)
    df = _build(path, rows, tz, report)
    # plain JSON values only: pandas writes attrs into Parquet metadata
    df.attrs["roster_issues"] = [str(i) for i in report.issues]
    df.attrs["roster_bad_rows"] = report.bad_lines
    df.attrs["roster_encoding"] = report.encoding
    return df


# ---------------------------------------------------------------- file readers

def _csv_rows(path: Path, report: ParseReport) -> Iterator[tuple[int, list[object]]]:
    """(line number, cells) per line.  Roster cells never hold a line break, so each physical line is
    parsed on its own: an unmatched quote (a name such as ``"小王``) is that line's issue instead of
    a quoted field that swallows every row after it."""
    size = path.stat().st_size
    if size > MAX_ROSTER_BYTES:
        raise BadInput(f"{path}: {size >> 20} MB is not a member roster (a {MAX_ROSTER_ROWS:,}-row roster is "
                       f"under {MAX_ROSTER_BYTES >> 20} MB); {_TOO_BIG_WHY}")
    raw = path.read_bytes()
    if not raw.strip():
        raise BadInput(f"{path}: the roster file is empty; expected a header row with a member id or name column")
    enc = bytes_encoding(raw, path)
    report.encoding = enc
    text = raw.decode(enc, errors="replace").lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delim = max((",", "\t", ";"), key=first.count)
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    for i, line in enumerate(lines, start=1):
        if '"' in line:
            try:
                yield i, next(csv.reader([line], delimiter=delim, strict=True), [])
                continue
            except csv.Error as exc:
                if "end of data" in str(exc):
                    report.issue(i, "unmatched quote in this row: row skipped (the rows after it are read)",
                                 line[:120])
                    continue
        yield i, next(csv.reader([line], delimiter=delim), [])


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[object]]]:
    import openpyxl  # noqa: PLC0415 - only XLSX rosters need it; every import would pay ~0.3 s otherwise

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException ...
        raise BadInput(f"{path}: cannot open as an XLSX workbook ({exc})") from None
    try:
        ws = wb.worksheets[0]
        for i, row in enumerate(ws.iter_rows(values_only=True), start=1):
            yield i, list(row)
    finally:
        wb.close()


# ---------------------------------------------------------------- header matching

def _norm(header: object) -> str:
    return re.sub(r"[\s_\-:：()（）]+", "", str(header or "")).lower().lstrip("\ufeff")


_NORM_ALIASES = {f: tuple(_norm(a) for a in al) for f, al in ALIASES.items()}


def _match_header(header: object) -> tuple[str, int] | None:
    """(field, rank) for a header cell: exact alias match first, then containment."""
    h = _norm(header)
    if not h:
        return None
    for field, aliases in _NORM_ALIASES.items():
        if h in aliases:
            return field, aliases.index(h)
    for field, aliases in _NORM_ALIASES.items():
        for rank, alias in enumerate(aliases):
            # short ascii aliases ("id", "qq", "uid") only as whole header words, or "年龄" would not
            # matter but "paid" or "qq年龄" would
            if len(alias) <= 3 and alias.isascii():
                continue
            if alias in h:
                return field, len(aliases) + rank  # partial matches rank after every exact one
    return None


def _header_map(row: list[object]) -> dict[str, list[int]]:
    """field -> column indexes, best alias first."""
    found: dict[str, list[tuple[int, int]]] = {}
    for col, cell in enumerate(row):
        m = _match_header(cell)
        if m:
            found.setdefault(m[0], []).append((m[1], col))
    return {f: [c for _, c in sorted(v)] for f, v in found.items()}


# ---------------------------------------------------------------- rows -> frame

def _build(path: Path, rows: Iterable[tuple[int, list[object]]], tz: str, report: ParseReport) -> pd.DataFrame:
    it = iter(rows)
    cols: dict[str, list[int]] = {}
    scanned = []
    for _lineno, row in it:
        scanned.append(row)
        cols = _header_map(row)
        # a header names the id or name column outright, or matches several fields; a title row
        # such as "某某群 群成员列表" above the header only brushes one alias
        exact = {m[0] for c in row if (m := _match_header(c)) and m[1] < len(_NORM_ALIASES[m[0]])}
        if ("id" in cols or "name" in cols) and (exact & {"id", "name"} or len(cols) >= 2):
            break
        cols = {}
        if len(scanned) >= _HEADER_SCAN_ROWS:
            break
    if "id" not in cols and "name" not in cols:
        seen = next((r for r in scanned if any(_cell(c) for c in r)), [])
        raise BadInput(
            f"{path}: no member id or name column in the roster header; expected a header such as "
            f"QQ号/账号/微信号/wxid/id/成员ID or 昵称/群名片/群昵称/name"
            + (f" (first row: {', '.join(_cell(c) for c in seen if _cell(c))[:120]})" if seen else "")
        )

    ids: list[str] = []
    names: list[str | None] = []
    roles: list[str | None] = []
    joined: list[pd.Timestamp] = []
    spoke: list[pd.Timestamp] = []
    lines: list[int] = []
    for lineno, row in it:
        if not any(_cell(c) for c in row):
            continue  # blank row (trailing lines, spacer rows in sheets)
        if len(ids) >= MAX_ROSTER_ROWS:
            raise BadInput(f"{path}:{lineno}: more than {MAX_ROSTER_ROWS:,} member rows; {_TOO_BIG_WHY}")
        excerpt = ", ".join(_cell(c) for c in row if _cell(c))[:120]
        mid = _first(row, cols.get("id", []))
        name = _first(row, cols.get("name", []))
        if not mid and name:
            m = _ID_IN_NAME.match(name)  # "昵称(12345)" in a single column
            if m:
                name, mid = m["name"].strip() or None, m["id"]
        if not mid and not name:
            report.issue(lineno, "roster row has neither a member id nor a name", excerpt)
            continue
        role = _role(_first(row, cols.get("role", [])), lineno, excerpt, report)
        ids.append(mid or name or "")
        names.append(name or None)
        roles.append(role)
        joined.append(_when(_first_raw(row, cols.get("joined", [])), tz, lineno, "join time", excerpt, report))
        spoke.append(_when(_first_raw(row, cols.get("last_spoke", [])), tz, lineno, "last-spoke time", excerpt,
                           report))
        lines.append(lineno)

    df = pd.DataFrame(
        {
            "member_id": pd.Series(ids, dtype=object),
            "member_name": pd.Series(names, dtype=object),
            "role": pd.Series(roles, dtype=object),
            "joined": pd.Series(pd.DatetimeIndex(joined, tz="UTC") if joined else [], dtype="datetime64[ns, UTC]"),
            "last_spoke": pd.Series(pd.DatetimeIndex(spoke, tz="UTC") if spoke else [],
                                    dtype="datetime64[ns, UTC]"),
        }
    )
    dup = df["member_id"].duplicated(keep="first")
    for i in dup[dup].index:
        report.issue(lines[i], f"duplicate member id {df.at[i, 'member_id']}; kept the first row", "")
    df = df[~dup].reset_index(drop=True)
    report.messages = len(df)
    return df


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if v != v:  # NaN
            return ""
        if v.is_integer():
            return str(int(v))  # QQ numbers read from XLSX as floats
    return str(v).strip()


def _first(row: list[object], idx: list[int]) -> str:
    for i in idx:
        if i < len(row):
            v = _cell(row[i])
            if v:
                return v
    return ""


def _first_raw(row: list[object], idx: list[int]) -> object:
    for i in idx:
        if i < len(row) and _cell(row[i]):
            return row[i]
    return None


def _role(value: str, lineno: int, excerpt: str, report: ParseReport) -> str | None:
    if not value:
        return None
    role = role_from_title(value)
    if role is None:
        report.issue(lineno, f"unknown role {value!r} (expected 群主/管理员/成员 or owner/admin/member)", excerpt)
    return role


def _when(value: object, tz: str, lineno: int, what: str, excerpt: str, report: ParseReport) -> pd.Timestamp:
    """A roster time -> UTC Timestamp (naive values are local time in ``tz``), NaT if empty or bad."""
    if value is None:
        return pd.NaT
    try:
        if isinstance(value, dt.datetime | dt.date):
            ts = pd.Timestamp(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            # unix time: ms or seconds (already absolute, no zone to apply)
            unit = "ms" if value > 1e11 else "s"
            return pd.Timestamp(int(value), unit=unit, tz="UTC")
        else:
            s = str(value).strip()
            if s.lower() in _NO_DATE:
                return pd.NaT
            if s.isdigit() and len(s) in (10, 13):
                return pd.Timestamp(int(s), unit="ms" if len(s) == 13 else "s", tz="UTC")
            s = _CN_DATE.sub(r"\1-\2-\3", s)
            ts = pd.Timestamp(s)
    except (ValueError, TypeError, OverflowError):
        report.issue(lineno, f"unreadable {what} {value!r}; left empty", excerpt)
        return pd.NaT
    if ts is pd.NaT:
        return pd.NaT
    if ts.tzinfo is None:
        ts = localize_one(ts, tz)
    return ts.tz_convert("UTC")
