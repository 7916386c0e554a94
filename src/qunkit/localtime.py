"""Wall-clock time of exports: the default zone and the one policy for reading local times.

Exports carry the exporting PC's local time without a zone.  qunkit reads it in
``--tz`` (default ``DEFAULT_TZ``, where QQ and WeChat groups mostly live) and
stores UTC.  Local times that do not exist (a DST gap) move forward to the first
valid moment; times that exist twice (a DST fold) take standard time.  Neither
ever becomes NaT: a message is never lost to a clock change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas loads with the first conversion, not for `qunkit --help` (which reads DEFAULT_TZ)
    import pandas as pd

DEFAULT_TZ = "Asia/Shanghai"


def localize(naive: pd.Series | pd.DatetimeIndex, tz: str = DEFAULT_TZ) -> pd.Series | pd.DatetimeIndex:
    """Naive wall-clock times -> tz-aware times in ``tz`` (the policy above)."""
    import numpy as np
    import pandas as pd

    fold = np.zeros(len(naive), dtype=bool)
    if isinstance(naive, pd.Series):
        return naive.dt.tz_localize(tz, ambiguous=fold, nonexistent="shift_forward")
    return naive.tz_localize(tz, ambiguous=fold, nonexistent="shift_forward")


def localize_seconds(secs, tz: str = DEFAULT_TZ):
    """Wall-clock seconds since 1970 (a NumPy int64 array) -> an Arrow timestamp array in ``tz``, for
    parsers that build Arrow tables.  Arrow converts when no time falls in a DST gap or fold, nor after
    2037 (Arrow's zone data ends with the transitions listed up to 2037: it read summer 2038 in New
    York as standard time, pandas by the zone's rule); otherwise ``localize`` applies the policy above."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(secs) or secs.max() < _FIRST_UNLISTED:
        try:
            return pc.assume_timezone(pa.array(secs, pa.timestamp("s")), timezone=tz, ambiguous="raise",
                                      nonexistent="raise")
        except pa.ArrowInvalid:
            pass
    # pandas cannot localize a time whose UTC falls past the year 9999; no chat has one (the import
    # reports it as dated in the future), so those keep Arrow's reading instead of failing the file
    far = secs >= _LAST_LOCALIZABLE
    out = pa.array(localize(pd.DatetimeIndex(np.where(far, 0, secs).astype("datetime64[s]")), tz))
    if far.any():
        late = pc.assume_timezone(pa.array(secs[far], pa.timestamp("s")), timezone=tz, ambiguous="earliest",
                                  nonexistent="earliest")
        out = pc.replace_with_mask(out, pa.array(far), late.cast(out.type))
    return out


_FIRST_UNLISTED = 2145916800      # 2038-01-01 00:00 in seconds since 1970 (``localize_seconds``)
_LAST_LOCALIZABLE = 253402041600   # 9999-12-29 00:00 in seconds since 1970: past it, UTC may be in year 10000


_OFFSET_AT_END = r"(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT)\s*$"


def text_times_utc(texts: pd.Series, tz: str = DEFAULT_TZ) -> pd.Series:
    """Date-time texts -> UTC (NaT where unreadable): wall-clock texts read in ``tz`` (``localize``),
    texts ending in their own offset (``+08:00``, ``Z``) at that offset.  The two kinds are parsed
    apart, so a column mixing them (a damaged or hand-edited export) is no ``Mixed timezones`` error."""
    import pandas as pd

    lo, hi = pd.Timestamp.min.tz_localize("UTC"), pd.Timestamp.max.tz_localize("UTC")
    out = pd.Series(pd.NaT, index=texts.index, dtype="datetime64[ns, UTC]")
    aware = texts.str.contains(_OFFSET_AT_END, case=False, regex=True, na=False)
    for rows, wall in ((~aware, True), (aware, False)):
        if not rows.any():
            continue
        try:
            got = pd.to_datetime(texts[rows], format="mixed", errors="coerce", utc=not wall)
        except (ValueError, TypeError):   # offsets the pattern missed, mixed with wall-clock texts
            got = pd.to_datetime(texts[rows], format="mixed", errors="coerce", utc=True)
        if got.dt.tz is None:
            got = localize(got, tz)
        got = got.dt.tz_convert("UTC")
        # a year such as 1012 parses in microseconds, past the nanosecond range every table uses: NaT
        out[rows] = got.where((got > lo) & (got < hi)).astype(out.dtype)
    return out


def localize_one(ts: pd.Timestamp, tz: str = DEFAULT_TZ) -> pd.Timestamp:
    """One naive timestamp -> tz-aware (aware ones pass through); same policy as ``localize``."""
    if ts.tzinfo is not None:
        return ts
    return ts.tz_localize(tz, ambiguous=False, nonexistent="shift_forward")


def local_text(ts, tz: str, fmt: str = "%Y-%m-%d"):
    """UTC instants as local wall-clock text: a Series gives a Series (None where missing), a scalar a
    str ("" where missing).  The one formatter of times for tables, notes and the HTML report."""
    import pandas as pd

    if isinstance(ts, pd.Series):
        ts = pd.to_datetime(ts, utc=True)
        return ts.dt.tz_convert(tz).dt.strftime(fmt).where(ts.notna(), None)
    return "" if ts is None or pd.isna(ts) else pd.Timestamp(ts).tz_convert(tz).strftime(fmt)
