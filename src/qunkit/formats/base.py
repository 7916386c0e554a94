"""The one interface every export format implements.

A parser knows only its own layout.  It yields pandas DataFrames in chunks
(so a 2 GB export never sits in memory whole) with the *parser columns*
below; ``finish_chunk`` adds provenance and keys and casts to the canonical
``schema.MESSAGES``.  A line a parser cannot place goes to ``ParseReport.issue``:
counted, the first few kept with file:line and the reason, the rest of the file
still imports.

The mechanics several parsers need live here once, so a new format reuses them:
``text_encoding``/``text_chunks`` (detect the encoding, stream decoded
line-aligned chunks, keep ``report.encoding``/``bytes_read`` current),
``RowBuffer`` (records -> column lists of ``ROWS_PER_CHUNK`` rows),
``mark_system``/``mark_recalled`` (gray-bar notices and recalled messages filed
one way), and ``localtime.localize`` for wall-clock times (``ParseOptions.tz``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..keys import message_keys, table_keys
from ..localtime import DEFAULT_TZ
from ..parsereport import MAX_KEPT_ISSUES, ParseIssue, ParseReport  # noqa: F401 - re-exported
from ..schema import KIND_CODE, MESSAGES, conform
from .events import events_of
from .textio import file_encoding, iter_text_chunks, iter_utf8_chunks, spanning_string

# Columns a parser must (or may) fill.  ts must be tz-aware (parsers localise
# the export's wall-clock time with ParseOptions.tz).
REQUIRED_COLUMNS = ("group_id", "group_name", "chat_type", "ts", "sender_id", "sender_name", "kind", "text",
                    "source_line")
OPTIONAL_COLUMNS = ("sender_title", "sender_account_name", "event", "event_actor", "event_target", "mentions", "reply_to", "msg_id")

# Rows a record-by-record parser gathers before it yields a chunk: ~1 KB of Python objects
# per row while a chunk fills, so ~50 MB, and few enough chunks that per-chunk work is amortised.
ROWS_PER_CHUNK = 50_000
# The pseudo-sender every system (gray-bar) row is filed under, whatever the export called it.
SYSTEM_ID = "system"
SYSTEM_NAME = "系统消息"


@dataclass
class ParseOptions:
    tz: str = DEFAULT_TZ           # zone of the wall-clock times in the export
    self_id: str | None = None     # id to give the exporting account's own messages (我 / IsSender=1)
    self_name: str | None = None
    year: int | None = None        # for layouts whose timestamps lack a year (chatlog text)
    group: str | None = None       # chat name for layouts that do not carry one (WeChatMsg names files after it)
    dayfirst: bool | None = None   # D/M vs M/D for WhatsApp dates when the file's own dates leave it open
    chunk_bytes: int = 4 << 20     # streaming chunk size for text formats (QQ txt: 8 MB cost ~70 MB more peak, no less CPU)


class Parser(ABC):
    """Base class of every importer.  Subclasses set the class attributes and
    implement ``sniff`` and ``parse``; register them in ``formats/__init__.py``."""

    name: ClassVar[str]          # the --format value, e.g. "qq-txt"
    platform: ClassVar[str]      # qq | wechat | telegram | whatsapp
    description: ClassVar[str]   # one line for error messages and `qunkit formats`
    accepts_directory: ClassVar[bool] = False

    @classmethod
    @abstractmethod
    def sniff(cls, path: Path, head: str) -> int:
        """How sure this parser is that ``path`` is its format: 0 no, 100 certain.

        ``head`` is the decoded start of the file (about 64 KB; "" for a directory).
        Must not read more than it needs: sniffing runs every parser.
        """

    @abstractmethod
    def parse(self, path: Path, options: ParseOptions, report: ParseReport) -> Iterator[pd.DataFrame]:
        """Yield chunks of parser columns (REQUIRED_COLUMNS, any OPTIONAL_COLUMNS)."""

    def tables(self, path: Path, options: ParseOptions, report: ParseReport
               ) -> Iterator[pd.DataFrame | pa.Table]:
        """The chunks an import reads: ``parse``'s frames, unless the parser builds Arrow tables of the
        same columns itself (``ts`` a timestamp with a zone), which ``finish_chunk`` takes without a
        pandas round trip (the QQ text parser does)."""
        return self.parse(path, options, report)


def parser_frame(table: pa.Table) -> pd.DataFrame:
    """``parse``'s frame of a parser that builds Arrow tables (``tables``): the same columns, with
    ``mentions`` as lists (``to_pandas`` would give NumPy arrays) and text columns as Python strings."""
    df = table.to_pandas()
    if "mentions" in table.column_names:
        df["mentions"] = np.array(table.column("mentions").to_pylist() + [None], dtype=object)[:-1]
    return df


class RowBuffer:
    """Columns of records appended one at a time, handed out as chunks of ``rows`` rows.

    Record-by-record parsers (JSON mappers, the MHT and QCE text state machines)
    append to ``cols[name]`` directly (the hot path stays a list append) and call
    ``take`` after each record: it returns the filled columns and starts afresh
    once ``rows`` are gathered, or whatever is left when ``final``."""

    def __init__(self, columns: Iterable[str], rows: int = ROWS_PER_CHUNK) -> None:
        self.names = tuple(columns)
        self.rows = rows
        self.cols: dict[str, list] = {c: [] for c in self.names}

    def __len__(self) -> int:
        return len(self.cols[self.names[0]])

    def take(self, final: bool = False) -> dict[str, list] | None:
        n = len(self)
        if n == 0 or (not final and n < self.rows):
            return None
        full, self.cols = self.cols, {c: [] for c in self.names}
        return full


def mark_system(df: pd.DataFrame, system: np.ndarray | pd.Series, sender: np.ndarray | pd.Series | None = None
                ) -> None:
    """Give the ``system`` rows of a parser chunk their event, actor and target (``events``),
    kind ``recall`` or ``system``, and the system pseudo-sender (on the ``sender`` rows only,
    default all ``system`` rows), in place.  One place so every QQ/interchange parser files a
    gray-bar notice the same way (WeChat's pipeline, ``wechat_common``, uses the same pieces)."""
    system = np.asarray(system, dtype=bool)
    if not system.any():
        return
    kinds, *marks = system_rows(df.loc[system, "text"].fillna("").astype(str).to_list())
    df.loc[system, ["event", "event_actor", "event_target"]] = np.array(marks, dtype=object).T
    df.loc[system, "kind"] = kinds
    rows = system if sender is None else np.asarray(sender, dtype=bool)
    if rows.any():
        df.loc[rows, ["sender_id", "sender_name"]] = [SYSTEM_ID, SYSTEM_NAME]


def system_rows(texts: list[str]) -> tuple[list[str], list[str], list[str | None], list[str | None]]:
    """(kinds, events, actors, targets) of system-line texts: kind ``recall`` for a recall notice,
    else ``system``, and the event ``events.events_of`` reads (``mark_system`` applies it to a frame)."""
    events, actors, targets = events_of(texts)
    return ["recall" if e == "recall" else "system" for e in events], events, actors, targets


def system_columns(text: pa.Array, rows: np.ndarray, kind: np.ndarray) -> dict[str, pa.Array]:
    """The event, event_actor and event_target columns of an Arrow chunk whose ``rows`` are system
    lines (``system_rows``' rule), null elsewhere; the rows' kinds (recall or system) are written into
    the kind codes ``kind`` (``schema.KIND_CODE``).  Python runs over those rows only."""
    n = len(text)
    if not len(rows):
        return {c: pa.nulls(n, pa.string()) for c in ("event", "event_actor", "event_target")}
    kinds, *marks = system_rows(text.take(pa.array(rows)).to_pylist())
    kind[rows] = [KIND_CODE[k] for k in kinds]
    at = np.zeros(n, np.int32)          # 0: null; i: the i-th system row's value
    at[rows] = np.arange(1, len(rows) + 1)
    return {c: pa.array([None, *values], pa.string()).take(pa.array(at))
            for c, values in zip(("event", "event_actor", "event_target"), marks, strict=True)}


def mark_recalled(df: pd.DataFrame, recalled: np.ndarray | pd.Series) -> None:
    """A recalled message kept under its own sender (QCE ``recalled``, ChatLab RECALL): kind and
    event ``recall``, the sender as the event's target, in place."""
    recalled = np.asarray(recalled, dtype=bool)
    if recalled.any():
        df.loc[recalled, ["kind", "event"]] = "recall"
        df.loc[recalled, "event_target"] = df.loc[recalled, "sender_id"]


def text_encoding(path: Path, report: ParseReport) -> str:
    """The text preamble every text parser starts with: the file's encoding (head, middle and
    end sampled, ``textio``), written to ``report.encoding``."""
    report.encoding = file_encoding(path)
    return report.encoding


def text_chunks(path: Path, options: ParseOptions, report: ParseReport) -> Iterator[str]:
    """The file decoded in line-aligned chunks of about ``options.chunk_bytes``, with
    ``report.encoding`` set and ``report.bytes_read`` following the reading."""
    return iter_text_chunks(path, text_encoding(path, report), options.chunk_bytes, report)


def finish_chunk(df: pd.DataFrame | pa.Table, parser: type[Parser] | Parser, source_file: str, tz: str,
                 key_carry: dict[int, int] | None = None) -> pa.Table:
    """Turn a parser chunk into a canonical MESSAGES table (provenance, keys, types).

    Pass the same ``key_carry`` dict for every chunk of one file (see keys.py)."""
    if isinstance(df, pa.Table):
        return _finish_table(df, parser, source_file, tz, key_carry)
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"parser {parser.name} chunk lacks {missing}")
    out = df.copy()
    for col in OPTIONAL_COLUMNS:
        if col not in out.columns:
            out[col] = None
    if "platform" not in out.columns:  # interchange formats (ChatLab) say per file which platform it was
        out["platform"] = parser.platform
    out["platform"] = out["platform"].fillna(parser.platform)
    out["source_format"] = parser.name
    out["source_file"] = source_file
    out["tz"] = tz
    ts = pd.to_datetime(out["ts"])
    if ts.dt.tz is None:
        raise ValueError(f"parser {parser.name} produced naive timestamps")
    out["ts"] = ts.dt.tz_convert("UTC").astype("datetime64[ms, UTC]")
    out["text"] = out["text"].fillna("").astype(str)
    out["msg_key"] = message_keys(out, key_carry)
    out = out[list(MESSAGES.names)]
    table = pa.Table.from_pandas(out, preserve_index=False)
    return conform(table, MESSAGES)


def _finish_table(table: pa.Table, parser: type[Parser] | Parser, source_file: str, tz: str,
                  key_carry: dict[int, int] | None) -> pa.Table:
    """``finish_chunk`` of an Arrow chunk: the same columns and keys, built column by column."""
    missing = [c for c in REQUIRED_COLUMNS if c not in table.column_names]
    if missing:
        raise ValueError(f"parser {parser.name} chunk lacks {missing}")
    ts_type = table.schema.field("ts").type
    if not pa.types.is_timestamp(ts_type) or ts_type.tz is None:
        raise ValueError(f"parser {parser.name} produced naive timestamps")
    n = table.num_rows
    cols = {name: table.column(name) for name in table.column_names}

    def constant(value: str) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([value], pa.string()))

    for name in OPTIONAL_COLUMNS:
        if name not in cols:
            cols[name] = pa.nulls(n, MESSAGES.field(name).type)
    cols["platform"] = (pc.fill_null(cols["platform"], parser.platform) if "platform" in cols
                        else constant(parser.platform))
    cols["source_format"] = constant(parser.name)
    cols["source_file"] = constant(source_file)
    cols["tz"] = constant(tz)
    cols["ts"] = pc.cast(cols["ts"], pa.timestamp("ms", tz="UTC"))
    cols["text"] = pc.fill_null(cols["text"], "")
    cols["msg_key"] = pa.array(np.zeros(n, np.uint64))
    out = conform(pa.table({name: cols[name] for name in MESSAGES.names}), MESSAGES)
    keys = table_keys(out, key_carry)
    return out.set_column(out.schema.get_field_index("msg_key"), MESSAGES.field("msg_key"), pa.array(keys))


def utf8_chunks(path: Path, options: ParseOptions, report: ParseReport) -> Iterator[bytes]:
    """``text_chunks`` as UTF-8 bytes (``textio.iter_utf8_chunks``: a plain UTF-8 file is never decoded,
    and its CRLF or lone CR breaks are left for ``lines_array``), for parsers that cut lines with it."""
    return iter_utf8_chunks(path, text_encoding(path, report), options.chunk_bytes, report)


def lines_array(chunk: bytes) -> pa.StringArray:
    """The lines of a UTF-8 chunk (``utf8_chunks``) as one Arrow string array, without a Python string
    per line.  A break is ``\\n``, CRLF or a lone CR (``textio._normalise``'s rule, so the lines are
    those of the decoded text); a final break ends the last line (no empty line after it), as
    ``text.split("\\n")[:-1]``.

    A chunk whose breaks are all ``\\n`` or all CRLF (nearly every export) is cut by Arrow's
    ``split_pattern`` over the chunk as one string: on the 992k-message QQ export (CRLF) 0.19 s for the
    file against 0.44 s for the offset arithmetic of ``_mixed_lines``, which cuts any other mix."""
    if not chunk:
        return pa.array([], pa.string())
    raw = np.frombuffer(chunk, np.uint8)
    n_cr = int(np.count_nonzero(raw == 0x0D))
    sep = "\n" if n_cr == 0 else "\r\n"
    lines = pc.split_pattern(spanning_string(chunk), sep).flatten()
    if n_cr and not (len(lines) - 1 == n_cr == int(np.count_nonzero(raw == 0x0A))):
        return _mixed_lines(raw)                   # a lone CR or a bare LF beside the CRLFs
    # the text after the last break is a line unless it is empty (the chunk ended on a break)
    return lines.slice(0, len(lines) - 1) if chunk.endswith(b"\n") else lines


def _mixed_lines(raw: np.ndarray) -> pa.StringArray:
    """``lines_array`` of any mix of breaks (``raw``: the chunk's bytes), cut by offset arithmetic."""
    if len(raw) and raw[-1] != 0x0A:
        raw = np.append(raw, np.uint8(0x0A))
    is_cr = raw == 0x0D
    cr = np.flatnonzero(is_cr) if is_cr.any() else np.zeros(0, np.int64)   # any(): most files have no CR
    if len(cr):
        lone = cr[raw[cr + 1] != 0x0A]             # raw ends with LF, so cr + 1 is in range
        if len(lone):
            raw = raw.copy()
            raw[lone] = 0x0A
            cr = np.setdiff1d(cr, lone, assume_unique=True)
    breaks = np.flatnonzero(raw == 0x0A)
    n = len(breaks)
    # line i ends where its break was, less the LFs and the CRs (of CRLFs) before it
    ends = breaks - np.arange(n)
    keep = np.ones(len(raw), bool)
    keep[breaks] = False
    if len(cr) == n:
        ends -= np.arange(1, n + 1)                # every break a CRLF (as QQ for Windows writes): no search
        keep[cr] = False
    elif len(cr):
        crlf = np.zeros(n, np.int64)
        crlf[np.searchsorted(breaks, cr + 1)] = 1   # every remaining CR sits just before a break
        ends -= np.cumsum(crlf)
        keep[cr] = False
    offsets = np.zeros(n + 1, np.int32)            # a chunk is megabytes: int32 offsets always suffice
    offsets[1:] = ends
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(raw[keep]))
