"""A frame's cells as Arrow text, for the CSV, JSON and plain-table writers of ``render``: no Python call per cell.

``render.to_csv``, ``render.to_json`` and ``render.to_text_table`` once built a dict per row and formatted
every cell in Python: 27 s, 11 s and ~50 s for the 992,232 rows of ``qunkit replies`` over a 1M-message store.  Here each column
becomes one ``pa.StringArray`` of its finished cells and the rows are joined by Arrow kernels.  The text
is byte for byte what the per-cell writers give (``render.plain``, ``_csv_cell``, ``_value``; a
randomised test compares them):

- text: two RE2 passes find the few cells that need more than copying (a control character for
  ``safe_text``, a formula start for ``neutralise``; in JSON a quote, backslash or control character
  for the string encoder), and only those go through the per-cell function;
- whole numbers and booleans are cast; floats are formatted once per distinct value (``_per_distinct``);
  UTC timestamps of whole seconds by ``strftime`` (any other cell by ``plain``);
- anything else (lists, dicts, mixed objects) keeps the per-cell functions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..safetext import safe_text
from .render import _cell_text, _column, _csv_cell, _per_distinct, _value, neutralise, plain

# what ``safe_text`` rewrites, and a formula start it leaves in place (a leading CR becomes "\x0d")
_CONTROLS = "[\\x{00}-\\x{08}\\x{0b}-\\x{1f}\\x{7f}-\\x{9f}]"
_FORMULA = "^[=+\\-@\\t]"
_CSV_QUOTE = '[\\n",]'                       # what makes Python's csv writer (QUOTE_MINIMAL, "\n") quote
_JSON_ESCAPE = '["\\\\\\x{00}-\\x{1f}]'      # what json's string encoder writes as an escape


def csv_rows(frame: pd.DataFrame, columns: Sequence[str], head: str = "") -> str:
    """``head`` and the data rows of ``render.to_csv`` (each ending in a newline) for ``frame``'s ``columns``."""
    if not len(frame) or not len(columns):
        return head
    cells = []
    for c in columns:
        if c not in frame.columns:
            cells.append(pa.array([""] * len(frame), pa.string()))
            continue
        kind = _kind(frame[c])
        text = _cells(frame[c], kind, _CSV)
        if kind in ("int", "bool", "utc"):      # nothing to quote in these
            cells.append(text)
            continue
        quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
        cells.append(pc.if_else(pc.match_substring_regex(text, _CSV_QUOTE), quoted, text))
    if len(cells) == 1:             # the csv module quotes a row whose only field is empty
        cells[0] = pc.if_else(pc.equal(cells[0], ""), '""', cells[0])
    lines = pc.binary_join_element_wise(*cells, ",")
    return _joined(lines, "\n", head, "\n")


def json_records(frame: pd.DataFrame) -> str:
    """``render._frame_json``'s text: the records with ``indent=2``, a column at a time."""
    fields = []
    for c in frame.columns:
        name = "    " + _value(str(c)) + ": "
        fields.append(pc.binary_join_element_wise(name, _cells(frame[c], _kind(frame[c]), _JSON), ""))
    rows = pc.binary_join_element_wise("  {\n", pc.binary_join_element_wise(*fields, ",\n"), "\n  }", "")
    return _joined(rows, ",\n", "[\n", "\n]")


def text_table(frame: pd.DataFrame, columns: Sequence[str], title: str | None) -> str:
    """``render.to_text_table``'s text for ``frame``: cells made a column at a time (``_cell_text``, newlines
    as spaces), display widths from RE2 (printable ASCII is one column a character) and rich's ``cell_len``
    once per distinct other cell, padded and joined by Arrow; only the final ``rstrip`` is per line."""
    from rich.cells import cell_len

    cells, widths = [], []
    for c in columns:
        text = _cells(frame[c], _kind(frame[c]), _TABLE) if c in frame.columns else pa.array([""] * len(frame), pa.string())
        text = pc.replace_substring(text, "\n", " ")
        width = pc.utf8_length(text).to_numpy(zero_copy_only=False).astype(np.int64)
        wide = pc.indices_nonzero(pc.invert(pc.match_substring_regex(text, "^[\\x{20}-\\x{7e}]*$")))
        if len(wide):
            sub = text.take(wide)
            uniq = pc.unique(sub)
            per = np.array([cell_len(v) for v in uniq.to_pylist()], np.int64)
            width[wide.to_numpy()] = per[pc.index_in(sub, uniq).to_numpy()]
        cells.append(text)
        widths.append(width)
    header = [str(c) for c in columns]
    col_w = [max([cell_len(h), *(w.max(initial=0),)]) for h, w in zip(header, widths, strict=True)]
    lines = [title] if title else []
    lines.append("  ".join(h + " " * (w - cell_len(h)) for h, w in zip(header, col_w, strict=True)).rstrip())
    if len(frame):
        padded = [pc.binary_join_element_wise(t, pc.binary_repeat(" ", pa.array(w_col - w)), "")
                  for t, w, w_col in zip(cells, widths, col_w, strict=True)]
        rows = pc.binary_join_element_wise(*padded, "  ") if len(padded) > 1 else padded[0]
        lines.extend(line.rstrip() for line in rows.to_pylist())
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class _Format:
    """How one writer turns cells into text: ``cell`` a plain value (``render``'s per-cell function),
    ``text`` a text cell RE2 ``flags`` (the rest are copied, in quotes when ``quote``), ``null`` a missing one."""

    cell: Callable[[Any], str]
    text: Callable[[str], str]
    flags: tuple[str, ...]
    null: str
    booleans: tuple[str, str]
    quote: bool = False


_CSV = _Format(_csv_cell, lambda v: neutralise(safe_text(v)), (_CONTROLS, _FORMULA), "", ("True", "False"))
_TABLE = _Format(_cell_text, safe_text, (_CONTROLS,), "", ("True", "False"))
_JSON = _Format(_value, _value, (_JSON_ESCAPE,), "null", ("true", "false"), quote=True)


def _cells(col: pd.Series, kind: str, f: _Format) -> pa.Array:
    """The column's cells as ``f`` writes them (``kind``: ``_kind(col)``)."""
    if kind == "text":
        return _text(col, f.text, f.flags, f.quote)
    if kind == "int":
        return pc.fill_null(pc.cast(_array(pa.array(col)), pa.string()), f.null)
    if kind == "bool":
        return pa.array(np.where(col.to_numpy(), *f.booleans), pa.string())
    if kind == "float":
        return pa.array(_per_distinct(col.to_numpy(), lambda v: f.cell(plain(v)), f.null), pa.string())
    if kind == "utc":
        text = utc_text(col)
        return pc.fill_null(pc.binary_join_element_wise('"', text, '"', "") if f.quote else text, f.null)
    return pa.array([f.cell(v) for v in _column(col)], pa.string())


def _kind(col: pd.Series) -> str:
    dtype = col.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "utc" if str(dtype.tz) == "UTC" else "other"
    if isinstance(dtype, pd.StringDtype):
        return "text"
    if pd.api.types.is_bool_dtype(dtype) and not col.isna().any():
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if dtype == np.float64:
        return "float"
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
        if isinstance(dtype, pd.StringDtype) or (pd.api.types.is_object_dtype(dtype) and set(map(type, col.cat.categories)) <= {str}):
            return "text"
    elif pd.api.types.is_object_dtype(dtype) and set(map(type, col.tolist())) <= {str, type(None)}:
        return "text"
    return "other"


def _text(col: pd.Series, fn: Callable[[str], str], patterns: Sequence[str], quote: bool = False) -> pa.Array:
    """Text cells: copied (in quotes for JSON, ``quote``) unless one of the RE2 ``patterns`` flags them for ``fn``."""
    values = col if isinstance(col.dtype, pd.StringDtype) else col.astype(object).where(col.notna(), None)
    arr = _array(pa.array(values, pa.string(), from_pandas=True))
    flagged = pc.match_substring_regex(arr, patterns[0])
    for p in patterns[1:]:
        flagged = pc.or_(flagged, pc.match_substring_regex(arr, p))
    out = pc.fill_null(pc.binary_join_element_wise('"', arr, '"', ""), "null") if quote else pc.fill_null(arr, "")
    rows = pc.indices_nonzero(pc.fill_null(flagged, False))
    if not len(rows):
        return out
    fixed = pa.array([fn(v) for v in arr.take(rows).to_pylist()], pa.string())
    return _put(out, rows, fixed)


def utc_text(col: pd.Series) -> pa.Array:
    """ISO 8601 of whole UTC seconds (``+00:00``), null for NaT; a cell with a fraction as ``plain`` writes it.
    Built from the date and time-of-day casts (``strftime`` took 1.7 s per million cells, these 0.16 s)."""
    arr = _array(pa.array(col))
    secs = arr.cast(pa.timestamp("s", tz="UTC"), safe=False)
    naive = secs.cast(pa.timestamp("s"))
    day, clock = naive.cast(pa.date32()).cast(pa.string()), naive.cast(pa.time32("s")).cast(pa.string())
    text = pc.binary_join_element_wise(day, "T", clock, "+00:00", "")
    inexact = pc.indices_nonzero(pc.fill_null(pc.not_equal(secs.cast(arr.type), arr), False))
    if not len(inexact):
        return text
    return _put(text, inexact, pa.array([plain(col.iloc[i]) for i in inexact.to_pylist()], pa.string()))


def _array(x: pa.Array | pa.ChunkedArray) -> pa.Array:
    return x.combine_chunks() if isinstance(x, pa.ChunkedArray) else x


def _put(arr: pa.Array, rows: pa.Array, values: pa.Array) -> pa.Array:
    """``arr`` with ``values`` at positions ``rows``."""
    mask = np.zeros(len(arr), dtype=bool)
    idx = rows.to_numpy()
    mask[idx] = True
    return pc.replace_with_mask(arr, pa.array(mask), values)


def _joined(lines: pa.Array, sep: str, head: str = "", tail: str = "") -> str:
    """``head + sep.join(lines) + tail`` in Arrow kernels and one decode (large offsets: the text may pass
    2 GB; a Python concatenation would copy hundreds of MB of four-byte characters once more)."""
    big = lines.cast(pa.large_string())
    one = pa.LargeListArray.from_arrays(pa.array([0, len(big)], pa.int64()), big)
    text = pc.binary_join(one, pa.scalar(sep, pa.large_string()))
    ends = [pa.scalar(x, pa.large_string()) for x in (head, tail)]
    return pc.binary_join_element_wise(ends[0], text, ends[1], pa.scalar("", pa.large_string()))[0].as_py()
