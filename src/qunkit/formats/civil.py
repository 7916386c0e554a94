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


def wall_seconds(year: np.ndarray, month: np.ndarray, day: np.ndarray, hour: np.ndarray, minute: np.ndarray,
                 second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(wall-clock seconds since 1970-01-01 00:00, whether it is a time) of integer field arrays, as
    ``pd.to_datetime(..., format="%Y-%m-%d %H:%M:%S")`` reads the text of those fields: a date
    ``civil_days`` accepts, hours 0-23, minutes 0-59, seconds 0-61, where :60 and :61 roll into the
    next minute (23:59:60 on 12-31 into the next year), except in the year 0 and before, where pandas
    refuses them.  (Which years the text can spell is the caller's: pandas reads "0999" but not "999".)"""
    hour, minute, second = (np.asarray(a, np.int64) for a in (hour, minute, second))
    days, real = civil_days(year, month, day)
    ok = real & (hour >= 0) & (hour <= 23) & (minute >= 0) & (minute <= 59) & (second >= 0) & (second <= 61)
    ok &= (second <= 59) | (np.asarray(year, np.int64) > 0)
    return days * 86400 + hour * 3600 + minute * 60 + second, ok
