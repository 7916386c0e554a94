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
