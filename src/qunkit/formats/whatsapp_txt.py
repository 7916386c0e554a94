"""WhatsApp "Export chat" text (.txt from Android or iOS, with or without media).

Layouts (one per file; the locale decides separators, date order and clock)::

    Android  23/03/2019, 20:17 - Name: text       3/23/19, 8:17 PM - Name: text      23.03.19, 20:17 - Name: text
    iOS      [23/03/2019, 20:17:05] Name: text    [3/23/19, 8:17:05 PM] ~ Name: text

Why these choices:
- Date order is not written in the file.  A first pass over the header dates
  (vectorised, stopping as soon as it knows) decides: a first field above 12
  means day-first, a second field above 12 month-first, a four-digit first field
  year-first.  Only when no date decides does ``ParseOptions.dayfirst``
  (``--dayfirst/--monthfirst``) apply, else day-first with a note.  When the
  dates contradict the option, the dates win (with a note): the option cannot
  make an impossible date possible.
- A line that is not a header continues the message above (multi-line bodies);
  text before the first header is an issue.  Timestamps stay as written:
  WhatsApp's are not strictly ascending (a join can precede an older message).
- System lines are events, not messages (base.SYSTEM_ID/SYSTEM_NAME sender, kind "system"):
  Android writes them without ``Name:``; iOS starts them with U+200E, or writes
  ``Name: \\u200e<notice>`` where Name is the group or the member concerned;
  such a body is a notice only if it matches one of ``NOTICES`` (English, German,
  Spanish), anything else name-less is event "other".  "changed their phone
  number" is event "other" (old number actor, new number target when given).
- Deleted messages keep their sender and become kind/event ``recall`` with the
  sender as target (as the QQ NT importers do with recalls); "deleted by admin X"
  names X as actor.
- Ids: WhatsApp exports carry only display names or phone numbers.  The id is
  the name without directional marks (U+200E/F, U+202A-E, U+2066-9) and without
  the ``~`` that marks a non-contact; a phone number becomes ``+digits``.  The
  exporter's own messages carry whatever name the file gives; "You" in notices
  becomes ``ParseOptions.self_id`` when one is given.
- Group name: ``--chat-name``; else ``WhatsApp Chat with X.txt`` (or ``- X``)
  gives X; else ``_chat.txt`` (iOS) takes its folder's name (less a
  ``WhatsApp Chat - `` prefix); else the file name.  A file with at most two
  named senders and no membership notice is a private chat.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..localtime import localize_seconds
from .base import SYSTEM_ID, SYSTEM_NAME, ParseOptions, Parser, ParseReport, lines_array, parser_frame
from .bytescan import rows_with_byte
from .civil import civil_days
from .mentions import mentions_where
from .pieces import Piece, RecordPieces, line_regex_starts, ordered_map
from .textio import iter_text_chunks, iter_utf8_chunks, read_head

MARKS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
# Python's str.strip() set (every c with c.isspace()), so the RE2 trim below strips what .strip() did.
PY_SPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
            "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_SP = "[ \u00a0\u202f]"
_AMPM = r"(?:[AaPp]\.? ?[Mm]\.?|上午|下午)"
_DATE = r"(?P<d1>\d{1,4})[./-](?P<d2>\d{1,2})[./-](?P<d3>\d{1,4})\.?"
_TIME = (rf"(?P<pre>{_AMPM})?{_SP}?(?P<h>\d{{1,2}})[:.](?P<mi>\d{{2}})(?:[:.](?P<s>\d{{2}}))?"
         rf"(?:{_SP}?(?P<post>{_AMPM}))?")
IOS_HEADER = rf"^[{MARKS}]?\[{_DATE},?{_SP}{_TIME}\]{_SP}(?P<rest>.*)$"
ANDROID_HEADER = rf"^[{MARKS}]?{_DATE},?{_SP}{_TIME}{_SP}[-–]{_SP}(?P<rest>.*)$"
_IOS_RX = re.compile(IOS_HEADER, re.M)
_ANDROID_RX = re.compile(ANDROID_HEADER, re.M)
# each layout's header without its rest, and what ends that prefix (see ``read_headers``)
_PREFIXES = {IOS_HEADER: (IOS_HEADER.removesuffix("(?P<rest>.*)$"), rf"\]{_SP}"),
             ANDROID_HEADER: (ANDROID_HEADER.removesuffix("(?P<rest>.*)$"), rf"{_SP}[-–]{_SP}")}

_WHO = r"(?:[^:]|:[^ ])+?"  # a name: no ": " (so "Bob: Alice left" is a message, not a notice)
# (event, regex over a notice with marks stripped; groups actor/target).  First match wins.
NOTICES: list[tuple[str, str]] = [
    ("other", r"^Messages (?:and calls )?(?:to this group )?(?:are|were) (?:now )?(?:secured with )?end-to-end encrypt.*$"),
    ("join", rf"^(?P<target>{_WHO}) joined (?:using|via|from) .*$"),
    ("join", rf"^(?P<target>{_WHO}) (?:was|were) added\.?$"),
    ("join", rf"^(?P<actor>{_WHO}) added (?P<target>{_WHO})\.?$"),
    ("kick", rf"^(?P<target>{_WHO}) (?:was|were) removed\.?$"),
    ("kick", rf"^(?P<actor>{_WHO}) removed (?P<target>{_WHO})\.?$"),
    ("leave", rf"^(?P<target>{_WHO}) left\.?$"),
    ("rename", rf"^(?P<actor>{_WHO}) changed the (?:subject|group name) (?:from .+ )?to [“\"](?P<target>.*)[”\"]\.?$"),
    ("admin_change", rf"^(?P<target>{_WHO}) (?:is|are|'re|’re) (?:now|no longer) (?:an )?admins?\.?$"),
    ("admin_change", r"^(?P<target>You)(?:'re|’re) (?:now|no longer) an admin\.?$"),
    ("other", rf"^(?P<actor>{_WHO}) changed their phone number.*$"),
    ("other", rf"^(?P<actor>{_WHO}) changed to (?P<target>\+[\d \u00a0\u202f()-]+)$"),
    ("other", rf"^(?P<actor>{_WHO}) created (?:group|this group|the group)\b.*$"),
    ("other", rf"^(?P<actor>{_WHO}) (?:changed|deleted|removed|reset) (?:this|the) group'?s? "
              r"(?:icon|description|settings|invite link).*$"),
    ("other", rf"^(?P<actor>{_WHO}) changed the group description.*$"),
    ("other", rf"^(?P<actor>{_WHO}) changed (?:this group's|the group) settings.*$"),
    # German
    ("join", rf"^(?P<target>{_WHO}) ist (?:über den Einladungslink|mit dem Einladungslink).* beigetreten\.?$"),
    ("join", rf"^(?P<target>{_WHO}) wurden? hinzugefügt\.?$"),
    ("join", rf"^(?P<actor>{_WHO}) hat (?P<target>{_WHO}) hinzugefügt\.?$"),
    ("kick", rf"^(?P<actor>{_WHO}) hat (?P<target>{_WHO}) entfernt\.?$"),
    ("leave", rf"^(?P<target>{_WHO}) (?:hat die Gruppe verlassen|ist ausgetreten)\.?$"),
    ("rename", rf"^(?P<actor>{_WHO}) hat den Betreff (?:von .+ )?zu [„“\"](?P<target>.*)[“”\"] geändert\.?$"),
    ("other", rf"^(?P<actor>{_WHO}) hat die Gruppe .* erstellt\.?$"),
    # Spanish
    ("join", rf"^(?P<target>{_WHO}) se unió (?:usando|mediante|con) el enlace de invitación.*$"),
    ("join", rf"^(?P<actor>{_WHO}) añadió a (?P<target>{_WHO})\.?$"),
    ("kick", rf"^(?P<actor>{_WHO}) eliminó a (?P<target>{_WHO})\.?$"),
    ("leave", rf"^(?P<target>{_WHO}) salió(?: del grupo)?\.?$"),
    ("rename", rf"^(?P<actor>{_WHO}) cambió el asunto (?:de .+ )?a [“\"«](?P<target>.*)[”\"»]\.?$"),
    ("other", rf"^(?P<actor>{_WHO}) creó (?:el|este) grupo.*$"),
]
_NOTICE_WORDS = ("encrypt|joined|added|removed|left|changed|created|admin|deleted|reset|beigetreten|hinzugefügt|"
                 "entfernt|verlassen|ausgetreten|Betreff|erstellt|se unió|añadió|eliminó|salió|cambió|creó")
_NOTICE_RX = [(event, re.compile(p)) for event, p in NOTICES]
_GROUP_EVIDENCE = (r"joined using|joined via| added | removed | left$|created group|changed the subject|"
                   r"beigetreten|hinzugefügt|se unió|añadió")

_COLON_NOTICE_HINT = (r" changed the (?:subject|group)| joined | created | hat den Betreff | hat die Gruppe |"
                      r" cambió el asunto | creó | se unió ")

DELETED = (r"^(?:This message was deleted|You deleted this message|Diese Nachricht wurde gelöscht|"
           r"Du hast diese Nachricht gelöscht|Se eliminó este mensaje|Eliminaste este mensaje)\.?$")
DELETED_BY = r"^This message was deleted by admin (?P<actor>.+?)\.?$"

# kind -> body pattern (marks stripped), first match wins.  "<Media omitted>" does not say which medium.
PLACEHOLDERS: list[tuple[str, str]] = [
    ("image", r"^(?:image|photo) omitted$|^<attached: [^>]*-PHOTO-[^>]*>$|^\S+\.(?i:jpe?g|png|heic) \(file attached\)$"),
    ("video", r"^video omitted$|^<attached: [^>]*-VIDEO-[^>]*>$|^\S+\.(?i:mp4|mov|3gp) \(file attached\)$"),
    ("voice", r"^audio omitted$|^<attached: [^>]*-AUDIO-[^>]*>$|^\S+\.(?i:opus|ogg|m4a|aac) \(file attached\)$"),
    ("sticker", r"^(?:sticker|GIF) omitted$|^<attached: [^>]*-(?:STICKER|GIF)-[^>]*>$|^\S+\.webp \(file attached\)$"),
    ("file", r"document omitted$|^<attached: [^>]*>$|^.+ \(file attached\)$"),
    ("card", r"^Contact card omitted$|\.vcf \(file attached\)$"),
    ("location", r"^(?:Location|live location shared|Standort): "),
    ("call", r"^(?:Missed )?(?:voice|video|group) call"),
    ("other", r"^<Media omitted>$|^<Medien (?:weggelassen|ausgeschlossen)>$|^<Multimedia omitido>$|^null$|"
              r"^POLL:|^Waiting for this message\."),
    ("link", r"^\s*https?://\S+\s*$"),
]
_ANY_PLACEHOLDER = "|".join(f"(?:{pattern})" for _, pattern in PLACEHOLDERS)
MENTION_RE = re.compile(r"@(\d{7,15}\b|[^\s@,.:;!?()]{1,40})")


def chat_name(path: Path, options: ParseOptions) -> str:
    """The group name by the rule in the module docstring."""
    if options.group:
        return options.group
    named = re.match(r"^WhatsApp Chat (?:with|-|mit|con|avec|com) (.+?)(?: \(\d+\))?$", path.stem)
    if named:
        return named.group(1).strip()
    if path.stem == "_chat":
        folder = path.resolve().parent.name
        return re.sub(r"^WhatsApp Chat (?:with|-) ", "", folder) or path.stem
    return path.stem


def header_regex(head: str) -> str | None:
    """The layout of a file from its first lines: IOS_HEADER, ANDROID_HEADER or None."""
    ios, android = len(_IOS_RX.findall(head)), len(_ANDROID_RX.findall(head))
    if not ios and not android:
        return None
    return IOS_HEADER if ios >= android else ANDROID_HEADER


class WhatsAppTxtParser(Parser):
    name = "whatsapp-txt"
    platform = "whatsapp"
    description = "WhatsApp chat export .txt (Android '23/03/19, 20:17 - Name: text' or iOS '[23/03/19, 20:17:05] Name:')"

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        if not head:
            return 0
        lines = [ln for ln in head.split("\n")[:40] if ln.strip()]
        if not lines:
            return 0
        regex = header_regex("\n".join(lines))
        if regex is None:
            return 0
        rx = re.compile(regex)
        hits = sum(bool(rx.match(ln.rstrip("\r"))) for ln in lines)
        if rx.match(lines[0].rstrip("\r")) and hits >= min(3, len(lines)):
            return 90
        return 60 if hits >= 3 else 20 if hits else 0

    def parse(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pd.DataFrame]:
        for table in self.tables(path, options, report):
            yield parser_frame(table)

    def tables(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pa.Table]:
        head, encoding = read_head(path)
        report.encoding = encoding
        regex = header_regex(head) or ANDROID_HEADER
        scan = _prescan(path, encoding, regex, options.chunk_bytes)
        ctx = _Context(group=chat_name(path, options), regex=regex, options=options, report=report,
                       dayfirst=_date_order(scan, options, report),
                       chat_type="private" if len(scan.names) <= 2 and not scan.group_evidence else "group")
        if ctx.chat_type == "private":
            report.note(f"{path.name}: at most two senders and no membership notice: imported as a private chat")
        pieces = RecordPieces(iter_utf8_chunks(path, encoding, options.chunk_bytes, report), line_regex_starts(regex))
        seen_header = False
        for table, piece_report, had_header in ordered_map(partial(_piece, ctx=ctx), pieces):
            report.absorb(piece_report)
            seen_header |= had_header
            if table is not None:
                yield table
        if not pieces.ends_with_break and seen_header:
            report.note(f"{path.name} does not end with a line break; the last message may be incomplete")


def _piece(piece: Piece, ctx: _Context) -> tuple[pa.Table | None, ParseReport, bool]:
    """The messages of one piece (on a parse thread): (rows or None, what it reported, had a header)."""
    report = ctx.report.child()
    table, had_header = _chunk(lines_array(piece.data), replace(ctx, report=report), piece)
    return table, report, had_header


def _lines(text: str, drop_last: bool = False) -> pa.Array:
    """The lines of a decoded chunk as one arrow string array (split in C, no Python str per line)."""
    lines = pc.split_pattern(pa.array([text], pa.string()), "\n").flatten()
    return lines.slice(0, len(lines) - 1) if drop_last else lines


@dataclass
class _Scan:
    max_first: int = 0
    max_second: int = 0
    year_first: bool = False
    names: set[str] = field(default_factory=set)
    group_evidence: bool = False


def read_headers(lines: pa.Array, regex: str) -> tuple[np.ndarray, pa.StructArray]:
    """Which ``lines`` are headers of the layout ``regex`` (IOS_HEADER or ANDROID_HEADER), and the fields
    it captures from those lines: what ``pc.extract_regex(lines, regex)`` gives, faster.  The fields of
    the prefix are captured alone, and the rest is what follows the first "] " (iOS) or " - " (Android)
    in the line: the prefix's own, since its date and time cannot hold one.  Capturing the rest cost as
    much as every other field together (45 -> 83 ms per 4 MB piece)."""
    prefix, separator = _PREFIXES[regex]
    hdr = pc.extract_regex(lines, prefix)
    valid = hdr.is_valid().to_numpy(zero_copy_only=False)
    hdr = hdr.filter(pa.array(valid))
    rest = pc.list_element(pc.split_pattern_regex(lines.filter(pa.array(valid)), separator, max_splits=1), 1)
    names = [hdr.type.field(i).name for i in range(hdr.type.num_fields)]
    return valid, pa.StructArray.from_arrays([hdr.field(n) for n in names] + [rest], [*names, "rest"])


def _prescan(path: Path, encoding: str, regex: str, chunk_bytes: int) -> _Scan:
    """Header dates and senders, read until the date order and the chat type are both known."""
    scan = _Scan()
    for arr in _line_slices(path, encoding, chunk_bytes):
        _, hdr = read_headers(arr, regex)
        if not len(hdr):
            continue
        d1, d2 = (pc.cast(hdr.field(k), pa.int64()) for k in ("d1", "d2"))
        scan.year_first |= bool(pc.any(pc.greater(pc.utf8_length(hdr.field("d1")), 2)).as_py())
        scan.max_first = max(scan.max_first, pc.max(d1).as_py() or 0)
        scan.max_second = max(scan.max_second, pc.max(d2).as_py() or 0)
        rest = hdr.field("rest")
        name, body = name_and_body(rest)
        speaking = pc.and_(name.is_valid(), pc.invert(pc.starts_with(pc.fill_null(body, ""), "\u200e")))
        if len(scan.names) < 3:
            scan.names.update(pc.unique(name.filter(speaking)).to_pylist()[:3])
        scan.group_evidence |= bool(pc.any(pc.match_substring_regex(rest, _GROUP_EVIDENCE)).as_py())
        decided = scan.year_first or scan.max_first > 12 or scan.max_second > 12
        if decided and (len(scan.names) > 2 or scan.group_evidence):
            break
    return scan


def _line_slices(path: Path, encoding: str, chunk_bytes: int, rows: int = 20_000) -> Iterator[pa.Array]:
    """The file's lines in slices of ``rows``, so the prescan stops as soon as it knows."""
    for text in iter_text_chunks(path, encoding, chunk_bytes):
        arr = _lines(text)
        for at in range(0, len(arr), rows):
            yield arr.slice(at, rows)


def _date_order(scan: _Scan, options: ParseOptions, report: ParseReport) -> bool | None:
    """True day-first, False month-first, None year-first (see the module docstring)."""
    if scan.year_first:
        return None
    data = True if scan.max_first > 12 else False if scan.max_second > 12 else None
    if data is None:
        if options.dayfirst is None:
            report.note("no date in the file tells day from month: read as day-first "
                        "(pass --monthfirst if the export is month-first)")
            return True
        return options.dayfirst
    if options.dayfirst is not None and options.dayfirst != data:
        report.note(f"the dates are {'day' if data else 'month'}-first (a field above 12), "
                    f"which overrides --{'monthfirst' if data else 'dayfirst'}")
    return data


@dataclass
class _Context:
    group: str
    regex: str
    options: ParseOptions
    report: ParseReport
    dayfirst: bool | None
    chat_type: str


def _chunk(arr: pa.Array, ctx: _Context, piece: Piece) -> tuple[pa.Table | None, bool]:
    """Messages of a piece's lines (whole messages: ``RecordPieces`` cuts before a header) and whether
    it had a header.  Lines before the first header are text outside any message (only the file's
    first piece has them, but for a stretch without headers longer than ``pieces.MAX_CARRY``).

    Columnar: RE2 kernels find and split the headers, a take + list join assembles multi-line bodies;
    Python touches only the rare rows (notices, bad dates)."""
    first = piece.first_line
    if not len(arr):
        return None, False
    cand = np.flatnonzero(pc.match_substring_regex(arr, r"^.?.?[\[\d]").to_numpy(zero_copy_only=False))
    valid, hdr = read_headers(arr.take(pa.array(cand, pa.int64())), ctx.regex)
    starts = cand[valid]
    lead = int(starts[0]) if len(starts) else len(arr)
    if lead:
        _report_orphans(arr.slice(0, lead), first, ctx.report)
    if not len(starts):
        return None, False
    fields = _split_rest(hdr.field("rest"), ctx.regex == IOS_HEADER)
    body = pc.utf8_rtrim(_bodies(arr, starts, fields["first"]), "\n")
    line_no = starts + first + 1
    ts, bad = _timestamps(hdr, ctx)
    for i in np.flatnonzero(bad):
        ctx.report.issue(int(line_no[i]), "message header has an impossible date or time",
                         arr[int(starts[i])].as_py()[:80])
    return _frame(body, fields, ts, line_no, ~bad, ctx), True


def _bodies(lines: pa.Array, starts: np.ndarray, firsts: pa.Array) -> pa.Array:
    """Each message's text: its header line's body (``firsts``), then the continuation lines up to the next
    header, joined with "\n".  One take (header lines swapped for their bodies) and one list join."""
    keep = len(lines)
    idx = np.arange(starts[0], keep, dtype=np.int64)
    idx[starts - starts[0]] = keep + np.arange(len(starts), dtype=np.int64)
    values = pa.concat_arrays([lines, firsts.cast(lines.type)]).take(pa.array(idx))
    offsets = pa.array((np.append(starts, keep) - starts[0]).astype(np.int32))
    return pc.binary_join(pa.ListArray.from_arrays(offsets, values), "\n")


def _report_orphans(arr: pa.Array, first: int, report: ParseReport) -> None:
    blank = pc.equal(pc.utf8_trim_whitespace(arr), "").to_numpy(zero_copy_only=False)
    idx = np.flatnonzero(~blank)
    for i in idx[:5]:
        report.issue(first + int(i) + 1, "text before the first message header; expected "
                                         "'DD/MM/YY, HH:MM - Name: text' or '[DD/MM/YY, HH:MM:SS] Name: text'",
                     arr[int(i)].as_py())
    if len(idx) > 5:
        report.issue(first + int(idx[5]) + 1, "more text before the first message header", count=len(idx) - 5)


def _split_rest(rest: pa.Array, ios: bool) -> dict:
    """Header text after the timestamp -> name (null for name-less notices), first body line (arrow
    arrays), notice flag (numpy bool).  Only the rows that may be notices reach Python."""
    name, body = name_and_body(rest)
    body = pc.coalesce(body, rest)
    named = name.is_valid().to_numpy(zero_copy_only=False)
    if ios:  # iOS starts name-less notices with U+200E
        bare = pc.starts_with(rest, "\u200e").to_numpy(zero_copy_only=False) | ~named
    else:  # Android: any line without "Name: ", or a notice whose quoted part holds ": "
        hint = named & pc.match_substring_regex(rest, _COLON_NOTICE_HINT).to_numpy(zero_copy_only=False)
        bare = ~named
        if hint.any():
            idx = np.flatnonzero(hint)
            bare[idx] = _notice_events(_strip_marks(rest.take(pa.array(idx))))["event"].notna().to_numpy()
    mask = pa.array(bare)
    name = pc.if_else(mask, pa.scalar(None, pa.string()), name)
    body = pc.if_else(mask, rest, body)
    # iOS "Group: \u200e<notice>" / "Member: \u200e~ Member joined ...": a notice when it matches one
    marked = ~bare & pc.starts_with(body, "\u200e").to_numpy(zero_copy_only=False)
    notice = bare.copy()
    if marked.any():
        idx = np.flatnonzero(marked)
        notice[idx] = _notice_events(_strip_marks(body.take(pa.array(idx))))["event"].notna().to_numpy()
    return {"name": name, "first": body, "notice": notice}


def name_and_body(rest: pa.Array) -> tuple[pa.Array, pa.Array]:
    """"Name: body" split at the first ": " (a name may hold ":D"); null name and body where there is none."""
    has = pc.greater_equal(pc.find_substring(rest, ": "), 0)
    parts = pc.split_pattern(rest.filter(has), ": ", max_splits=1)
    idx = pc.subtract(pc.cumulative_sum(pc.cast(has, pa.int64())), 1)
    name = pc.if_else(has, pc.take(pc.list_element(parts, 0), pc.max_element_wise(idx, 0)), None) if len(parts) \
        else pa.nulls(len(rest), pa.string())
    body = pc.if_else(has, pc.take(pc.list_element(parts, 1), pc.max_element_wise(idx, 0)), None) if len(parts) \
        else pa.nulls(len(rest), pa.string())
    return name, body


def _timestamps(hdr: pa.Array, ctx: _Context) -> tuple[pa.Array, np.ndarray]:
    num = {k: pd.Series(pc.cast(pc.if_else(pc.equal(hdr.field(k), ""), None, hdr.field(k)), pa.int64())
                        .to_numpy(zero_copy_only=False), dtype="float64") for k in ("d1", "d2", "d3", "h", "mi", "s")}
    if ctx.dayfirst is None:
        year, month, day = num["d1"], num["d2"], num["d3"]
    else:
        year = num["d3"]
        day, month = (num["d1"], num["d2"]) if ctx.dayfirst else (num["d2"], num["d1"])
    year = year.where(year >= 100, year + 2000)
    ampm = pc.replace_substring_regex(pc.utf8_upper(pc.binary_join_element_wise(hdr.field("pre"), hdr.field("post"),
                                                                                 "")), r"[.\s]", "")
    hour = num["h"]
    pm = pc.is_in(ampm, pa.array(["PM", "下午"])).to_numpy(zero_copy_only=False) & (hour < 12)
    am12 = pc.is_in(ampm, pa.array(["AM", "上午"])).to_numpy(zero_copy_only=False) & (hour == 12)
    hour = hour + np.where(pm, 12, 0) - np.where(am12, 12, 0)
    second = num["s"].fillna(0)
    secs, valid = _wall_seconds(year.to_numpy(), month.to_numpy(), day.to_numpy(), hour.to_numpy(),
                                num["mi"].to_numpy(), second.to_numpy())
    odd = ~valid & year.notna().to_numpy() & month.notna().to_numpy() & day.notna().to_numpy()
    if odd.any():   # a year outside 1000-9999 or an impossible day: pandas' reading of those, as before
        naive = pd.to_datetime(pd.DataFrame({"year": year[odd], "month": month[odd], "day": day[odd],
                                             "hour": hour[odd], "minute": num["mi"][odd], "second": second[odd]}),
                               errors="coerce")
        ok = naive.notna().to_numpy()
        secs[np.flatnonzero(odd)[ok]] = naive[ok].to_numpy().astype("datetime64[s]").astype(np.int64)
        valid[np.flatnonzero(odd)[ok]] = True
    bad = ~valid | (num["h"] > 23).to_numpy() | (num["mi"] > 59).to_numpy()
    return localize_seconds(np.where(bad, 0, secs), ctx.options.tz), bad


def _wall_seconds(year: np.ndarray, month: np.ndarray, day: np.ndarray, hour: np.ndarray, minute: np.ndarray,
                  second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Seconds since 1970 of wall-clock dates and times (floats, NaN where absent), and which dates are
    real (year 1000-9999, a month, a day that month has); hours, minutes and seconds add up as given,
    as ``pd.to_datetime`` of the same fields does (its reading of a year outside that range is kept:
    ``_timestamps`` asks it for those rows only)."""
    with np.errstate(invalid="ignore"):
        known = ~(np.isnan(year) | np.isnan(month) | np.isnan(day))
        days, valid = civil_days(*(np.where(known, a, 1) for a in (year, month, day)))
        valid &= known & (year >= 1000) & (year <= 9999)
    clock = np.where(valid, hour * 3600 + minute * 60 + second, 0).astype(np.int64)
    return np.where(valid, days, 0) * 86400 + clock, valid


def _strip_marks(arr: pa.Array) -> pd.Series:
    """The few rows that go on to Python (notice candidates), directional marks removed."""
    return pd.Series(_no_marks(arr).to_numpy(zero_copy_only=False), dtype=object)


def _no_marks(arr: pa.Array) -> pa.Array:
    return pc.replace_substring_regex(arr, f"[{MARKS}]", "")


def _notice_events(text: pd.Series) -> pd.DataFrame:
    """event / event_actor / event_target of notices (None where no pattern matches), one pass per pattern."""
    out = pd.DataFrame({"event": None, "event_actor": None, "event_target": None}, index=text.index, dtype=object)
    gate = pc.match_substring_regex(pa.array(text, pa.string()), _NOTICE_WORDS).to_numpy(zero_copy_only=False)
    todo = text[gate].str.strip()
    for event, rx in _NOTICE_RX:
        if todo.empty:
            break
        hit = todo.str.match(rx)
        if not hit.any():
            continue
        idx = hit[hit].index
        out.loc[idx, "event"] = event
        if rx.groupindex:
            got = todo[hit].str.extract(rx)
            for col in ("actor", "target"):
                if col in got.columns:
                    out.loc[idx, f"event_{col}"] = got[col].to_numpy()
        todo = todo[~hit]
    return out


def member_ids(names: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(id, display name) of WhatsApp names: marks and the non-contact "~" removed, phones as +digits."""
    ids, arr = _member_ids(pa.array(names.astype(object).fillna(""), pa.string()))
    return (pd.Series(ids.to_numpy(zero_copy_only=False), index=names.index, dtype=object),
            pd.Series(arr.to_numpy(zero_copy_only=False), index=names.index, dtype=object))


def _member_ids(names: pa.Array) -> tuple[pa.Array, pa.Array]:
    """member_ids over an arrow array (nulls read as ""), computed once per distinct name."""
    codes = pc.dictionary_encode(pc.fill_null(names, ""))
    ids, shown = _distinct_member_ids(codes.dictionary)
    return ids.take(codes.indices), shown.take(codes.indices)


def _distinct_member_ids(names: pa.Array) -> tuple[pa.Array, pa.Array]:
    arr = _no_marks(names)
    arr = pc.replace_substring_regex(arr, "^~[ \u00a0\u202f]*", "")
    arr = pc.utf8_trim_whitespace(pc.replace_substring_regex(arr, "[\u00a0\u202f]", " "))
    phone = pc.match_substring_regex(arr, r"^\+[\d ()\-.]{6,}$")
    ids = pc.if_else(phone, pc.binary_join_element_wise("+", pc.replace_substring_regex(arr, r"\D", ""), ""), arr)
    return ids, arr


def _name_list_ids(names: pd.Series, self_id: str | None) -> pd.Series:
    """Notice targets such as "A, +44 7700 900123 and B" -> their ids, comma-joined; None stays None."""
    has = names.notna() & (names.astype(str).str.strip() != "")
    out = pd.Series(None, index=names.index, dtype=object)
    if not has.any():
        return out
    parts = names[has].astype(str).str.split(r",\s*|\s+(?:and|und|y)\s+", regex=True).explode()
    ids, _ = member_ids(parts)
    if self_id:
        ids = ids.where(~ids.isin(["You", "you", "Du", "Tú"]), self_id)
    out[has] = ids[ids != ""].groupby(level=0).agg(", ".join).reindex(names[has].index).to_numpy()
    return out


def _kinds(text: pa.Array) -> np.ndarray:
    """kind per body: one RE2 pass of all PLACEHOLDERS together, then the patterns in order over its hits."""
    kind = np.full(len(text), "text", dtype=object)
    some = np.flatnonzero(pc.match_substring_regex(text, _ANY_PLACEHOLDER).to_numpy(zero_copy_only=False))
    arr = text.take(pa.array(some, pa.int64()))
    sub = np.full(len(arr), "text", dtype=object)
    undecided = np.ones(len(arr), bool)
    for name, pattern in PLACEHOLDERS:
        hit = undecided & pc.match_substring_regex(arr, pattern).to_numpy(zero_copy_only=False)
        sub[hit] = name
        undecided &= ~hit
    kind[some] = sub
    return kind


def _frame(body: pa.Array, fields: dict, ts: pa.Array, line_no: np.ndarray,
           ok: np.ndarray, ctx: _Context) -> pa.Table | None:
    """The parser columns of a piece's messages as an Arrow table: kernels over every row; Python and
    pandas only for the few notices, deleted messages and rows with an "@"."""
    if not ok.any():
        return None
    text = pc.utf8_trim(_no_marks(body), PY_SPACE)
    sid, sname = _member_ids(fields["name"])
    notice = fields["notice"]
    mask = pa.array(notice)
    n = len(text)
    kind = _kinds(text)
    events = {c: np.full(n, None, dtype=object) for c in ("event", "event_actor", "event_target")}
    sender_id = pc.if_else(mask, SYSTEM_ID, sid)
    if notice.any():
        ev = _notice_events(_rows(text, notice))
        ev["event"] = ev["event"].fillna("other")
        kind[notice] = "system"
        events["event"][notice] = ev["event"].to_numpy()
        events["event_actor"][notice] = _name_list_ids(ev["event_actor"], ctx.options.self_id).to_numpy()
        events["event_target"][notice] = _name_list_ids(ev["event_target"], ctx.options.self_id).to_numpy()
    spoken = ~notice
    deleted = spoken & pc.match_substring_regex(text, DELETED).to_numpy(zero_copy_only=False)
    by_admin = spoken & pc.match_substring_regex(text, DELETED_BY).to_numpy(zero_copy_only=False)
    if deleted.any() or by_admin.any():
        actor = pd.Series(None, index=np.flatnonzero(deleted | by_admin), dtype=object)
        if by_admin.any():
            admins = _rows(text, by_admin)
            actor[admins.index] = admins.str.extract(DELETED_BY)["actor"].to_numpy()
        deleted |= by_admin
        kind[deleted] = "recall"
        events["event"][deleted] = "recall"
        events["event_target"][deleted] = np.asarray(sender_id.filter(pa.array(deleted)).to_pylist(), dtype=object)
        events["event_actor"][deleted] = _name_list_ids(actor, ctx.options.self_id).to_numpy()
    has_at = spoken & rows_with_byte(text, "@")
    found = mentions_where(np.asarray(text.filter(pa.array(has_at)).to_pylist(), dtype=object),
                           np.ones(int(has_at.sum()), bool), MENTION_RE)
    mentions = np.full(n, None, dtype=object)   # @4477… is a phone number
    mentions[has_at] = np.fromiter(([("+" + x if x.isdigit() else x) for x in names] if names else None
                                    for names in found), dtype=object, count=len(found))
    table = pa.table({
        "group_id": pa.array([ctx.group] * n, pa.string()), "group_name": pa.array([ctx.group] * n, pa.string()),
        "chat_type": pa.array([ctx.chat_type] * n, pa.string()), "ts": ts,
        "sender_id": sender_id, "sender_name": pc.if_else(mask, SYSTEM_NAME, sname),
        "kind": pa.array(kind, pa.string()), "text": text, "source_line": pa.array(line_no, pa.int64()),
        **{c: pa.array(v, pa.string(), from_pandas=True) for c, v in events.items()},   # NaN: none
        "mentions": pa.array(list(mentions), pa.list_(pa.string())),
    })
    return table if ok.all() else table.filter(pa.array(ok))


def _rows(text: pa.Array, where: np.ndarray) -> pd.Series:
    """The texts of the ``where`` rows as a pandas Series indexed by row number (the few that go to Python)."""
    return pd.Series(text.filter(pa.array(where)).to_pylist(), index=np.flatnonzero(where), dtype=object)
