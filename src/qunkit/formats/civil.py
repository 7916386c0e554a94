"""Calendar dates as day numbers, for parsers that read dates from their digits.

One rule for every parser that turns year, month and day fields into seconds without a date
parser: the proleptic Gregorian calendar (any year, 0 included, as Arrow's strptime reads), a
month 1-12 and a day that month has (02-29 only in leap years).  Vectorised over NumPy arrays.
"""

from __future__ import annotations

import numpy as np

_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def civil_days(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(days from 1970-01-01, whether the date exists) of integer year, month and day arrays; the
    days of a date that does not exist are meaningless (callers mask them)."""
    year, month, day = (np.asarray(a, np.int64) for a in (year, month, day))
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    valid = (month >= 1) & (month <= 12) & (day >= 1) & (day <= _MONTH_DAYS[np.clip(month, 0, 12)] + ((month == 2) & leap))
    shifted = year - (month <= 2)
    era = np.floor_divide(shifted, 400)
    yoe = shifted - era * 400
    doy = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468, valid
