"""How a result becomes text: table, json or csv.

pandas and numpy are never imported here: a value can only be one of theirs when its module is
already loaded (``sys.modules``), so an unchanged re-import renders its summary without them.

- ``table``: a rich table on a terminal; plain aligned text (no colour, no box
  drawing) when stdout is piped or written with ``-o``, so cron mail, files and
  ``grep`` stay readable.
- ``json``: an array of objects (timestamps ISO 8601, NaN/NaT as null).
- ``csv``: RFC 4180 with spreadsheet formula neutralisation: a text cell that
  starts with = + - @ TAB or CR gets a leading apostrophe, so a nickname such as
  ``=HYPERLINK(...)`` is shown as text by Excel/WPS instead of executed.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import math
import re
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..safetext import safe_text
from .output import is_terminal

if TYPE_CHECKING:
    from pandas import DataFrame

_JSON_CONTROLS = {chr(c): f"\\u{c:04x}" for c in [0x7F, *range(0x80, 0xA0)]}
_JSON_CONTROLS_RE = re.compile("[\x7f-\x9f]")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_ALREADY = {str, int, bool, type(None)}


def plain(value: Any) -> Any:
    """Turn pandas/numpy/datetime values into JSON-able Python values."""
    if type(value) in (str, int, bool) or value is None:   # most cells: nothing to convert
        return value
    if type(value) is float:              # the next most common: skip the pandas/numpy probes below
        return None if math.isnan(value) or math.isinf(value) else round(value, 6)
    pd, np = sys.modules.get("pandas"), sys.modules.get("numpy")
    if value is None or (pd is not None and value is pd.NaT):  # NaT is a datetime: isoformat() gives "NaT"
        return None
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or (np is not None and isinstance(value, np.ndarray)):
        return [plain(v) for v in value]
    if pd is not None and isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if pd is not None and isinstance(value, pd.Timedelta):
        return None if pd.isna(value) else value.total_seconds()
    if np is not None:
        value = _numpy_scalar(value, np)
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, 6)
    if pd is not None:
        try:
            if pd.isna(value):
                return None
        except (TypeError, ValueError):
            pass
    return value


def _numpy_scalar(value: Any, np: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _is_frame(data: Any) -> bool:
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(data, pd.DataFrame)


def records(data: DataFrame | Sequence[dict]) -> list[dict]:
    """Rows as dicts of ``plain`` values; a frame is converted a column at a time (``_column``)."""
    if _is_frame(data):
        cols = list(data.columns)
        values = [_column(data.iloc[:, i]) for i in range(len(cols))]
        return [dict(zip(cols, row, strict=True)) for row in zip(*values, strict=True)]
    return [{k: plain(v) for k, v in r.items()} for r in data]


def _column(col: Any) -> list:
    """``[plain(v) for v in col]`` without a Python call per cell where the answer is known: names, ids and
    counts are already plain; a float column is converted once per distinct value (a confidence or a
    score column has few); UTC timestamps by Arrow's casts (``arrowtext.utc_text``: ``Timestamp.isoformat``
    per cell was most of rendering a prune list of 150,000 members).  A timestamp with a fraction of a
    second (or any other time zone) goes through ``plain``, so the text is the same either way."""
    pd, np = sys.modules["pandas"], sys.modules["numpy"]
    if isinstance(col.dtype, pd.DatetimeTZDtype) and str(col.dtype.tz) == "UTC":
        from .arrowtext import utc_text

        return utc_text(col).to_pylist()
    if col.dtype == np.float64:
        return _per_distinct(col.to_numpy(), plain, None)
    values = col.tolist()
    # names, ids, counts: ``plain`` is the identity on these, so the per-cell call is skipped
    return values if set(map(type, values)) <= _PLAIN_ALREADY else [plain(v) for v in values]


def _per_distinct(values: Any, fn: Any, missing: Any) -> list:
    """``[fn(v) for v in values]`` over a float array, ``fn`` called once per distinct value; NaN gives
    ``missing``.  A -0.0 keeps the per-cell path (factorising merges it with 0.0, which prints apart)."""
    pd, np = sys.modules["pandas"], sys.modules["numpy"]
    if np.any(np.signbit(values) & (values == 0)):
        return [missing if v != v else fn(v) for v in values.tolist()]
    codes, uniq = pd.factorize(values)
    table = np.array([fn(v) for v in uniq.tolist()] + [missing], dtype=object)
    return table[codes].tolist()


def neutralise(cell: str) -> str:
    """Make a CSV cell safe to open in a spreadsheet."""
    if cell and cell.startswith(_FORMULA_START):
        return "'" + cell
    return cell


def _cell_text(value: Any) -> str:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(_cell_text(v) for v in value)
    if isinstance(value, dict):
        return safe_text(json.dumps(value, ensure_ascii=False))
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e6 else f"{value:.0f}"
    return safe_text(str(value))   # chat text never reaches a terminal or a spreadsheet as a control sequence


def _csv_cell(v: Any) -> str:
    """One CSV cell from a ``plain`` value: text made safe and neutralised, numbers as they are."""
    text = _cell_text(v)
    return neutralise(text) if not isinstance(v, (int, float)) or isinstance(v, bool) else text


def to_csv(data: DataFrame | Sequence[dict], columns: Sequence[str] | None = None) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if _is_frame(data) and data.columns.is_unique:
        from .arrowtext import csv_rows

        cols = list(columns or data.columns)
        w.writerow([neutralise(str(c)) for c in cols])
        return csv_rows(data, cols, head=buf.getvalue())
    rows = records(data)
    cols = list(columns or (rows[0].keys() if rows else []))
    w.writerow([neutralise(str(c)) for c in cols])
    w.writerows([_csv_cell(r.get(c)) for c in cols] for r in rows)
    return buf.getvalue()


def to_json(data: DataFrame | Sequence[dict] | dict) -> str:
    if _is_frame(data) and data.columns.is_unique and all(type(c) is str for c in data.columns) and len(data.columns):
        text = _frame_json(data)
    else:
        text = _dumps(plain(data) if isinstance(data, dict) else records(data))
    # json.dumps escapes C0 controls itself; DEL and C1 (0x9b is an 8-bit CSI) are escaped here, so the
    # text a script parses is exact and nothing in it acts on a terminal
    # str.translate looks up every character (0.5 s for a 5 MB prune list); these characters are rare
    return _JSON_CONTROLS_RE.sub(lambda m: _JSON_CONTROLS[m.group()], text) if _JSON_CONTROLS_RE.search(text) else text


# Both writers below give exactly ``json.dumps(records, ensure_ascii=False, indent=2)``: with an indent
# json runs its pure-Python encoder (2.3 s for a 150,000-row prune list), so the records' layout is
# written here and each value encoded by json's C string encoder, or by ``json.dumps`` itself for
# anything but a plain scalar (its lines shifted to their depth).
_string = json.encoder.encode_basestring       # C, the one json.dumps uses with ensure_ascii=False


def _value(v: Any) -> str:
    """One JSON value as ``json.dumps`` writes it at a record field's depth."""
    t = type(v)
    if t is str:
        return _string(v)
    if v is None:
        return "null"
    if t is bool:
        return "true" if v else "false"
    if t is int or (t is float and math.isfinite(v)):
        return repr(v)
    return json.dumps(v, ensure_ascii=False, indent=2).replace("\n", "\n    ")


def _layout(rows: list[Sequence[str]]) -> str:
    """The ``indent=2`` text of a list of records, each given as its ``    "key": value`` lines."""
    if not rows:
        return "[]"
    return "[\n" + ",\n".join("  {\n" + ",\n".join(r) + "\n  }" if r else "  {}" for r in rows) + "\n]"


def _frame_json(frame: DataFrame) -> str:
    """A frame's records (``records``), written a column at a time (``arrowtext``: no dict per row)."""
    if not len(frame):
        return "[]"
    from .arrowtext import json_records

    return json_records(frame)


def _dumps(payload: Any) -> str:
    """``json.dumps(payload, ensure_ascii=False, indent=2)``, written directly for a list of records."""
    if not isinstance(payload, list) or not all(type(r) is dict and all(type(k) is str for k in r) for r in payload):
        return json.dumps(payload, ensure_ascii=False, indent=2)
    keys: dict[str, str] = {}
    out = []
    for r in payload:
        fields = []
        for k, v in r.items():
            name = keys.get(k)
            if name is None:
                name = keys[k] = "    " + _string(k) + ": "
            fields.append(name + _value(v))
        out.append(fields)
    return _layout(out)


def to_text_table(data: DataFrame | Sequence[dict], columns: Sequence[str] | None = None,
                  title: str | None = None) -> str:
    """Plain aligned text for pipes and cron mail (East Asian wide chars counted as 2)."""
    if _is_frame(data) and data.columns.is_unique and len(columns or data.columns):
        from .arrowtext import text_table

        return text_table(data, list(columns or data.columns), title)
    rows = records(data)
    cols = list(columns or (data.columns if _is_frame(data) else (rows[0].keys() if rows else [])))
    cells = [[str(c) for c in cols]] + [[_cell_text(r.get(c)).replace("\n", " ") for c in cols] for r in rows]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(cols))]
    lines = [title] if title else []
    for row in cells:
        lines.append("  ".join(_pad(v, w) for v, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines) + "\n"


def _width(s: str) -> int:
    from rich.cells import cell_len

    return cell_len(s)


def _pad(s: str, width: int) -> str:
    return s + " " * (width - _width(s))


def rich_table(data: DataFrame | Sequence[dict], columns: Sequence[str] | None = None,
               title: str | None = None):
    from rich.markup import escape
    from rich.table import Table

    rows = records(data)
    cols = list(columns or (data.columns if _is_frame(data) else (rows[0].keys() if rows else [])))
    table = Table(title=title, show_lines=False)
    for c in cols:
        table.add_column(str(c), overflow="fold")
    for r in rows:
        # chat text may contain "[bold]" etc.: escape so rich never interprets it
        table.add_row(*[escape(_cell_text(r.get(c))) for c in cols])
    return table


def console(stream: Any = None):
    """A rich console on ``stream`` (default stdout): colour on a terminal, plain 200 columns otherwise."""
    from rich.console import Console

    stream = stream or sys.stdout
    tty = is_terminal(stream)
    return Console(file=stream, force_terminal=tty, no_color=not tty, highlight=False,
                   width=None if tty else 200, soft_wrap=not tty)
