"""The Chinese public holidays when groups go quiet, declared once.

Risk discounts a lull that overlaps one; the generator plants holiday lulls
around them.  Spring Festival is given by its eve (除夕); the table runs to 2035
(after that only the fixed-date holidays are known, and risk says nothing of a
Spring Festival lull).
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from .localtime import DEFAULT_TZ

# 除夕 (Spring Festival eve), month-day, per year
SPRING_FESTIVAL_EVE = {
    2015: "02-18", 2016: "02-07", 2017: "01-27", 2018: "02-15", 2019: "02-04", 2020: "01-24",
    2021: "02-11", 2022: "01-31", 2023: "01-21", 2024: "02-09", 2025: "01-28", 2026: "02-16",
    2027: "02-05", 2028: "01-25", 2029: "02-12", 2030: "02-02", 2031: "01-22", 2032: "02-10",
    2033: "01-30", 2034: "02-18", 2035: "02-07",
}

# fixed-date public holidays (month-day start, month-day end), widened by a travel day:
# New Year, Qingming, Labour Day, National Day
FIXED_HOLIDAYS = (("12-31", "01-03"), ("04-03", "04-07"), ("04-30", "05-06"), ("09-29", "10-09"))


def spring_festival(year: int, tz: str = DEFAULT_TZ) -> pd.Timestamp | None:
    """Midnight of 春节 (the first day of the new year, the day after 除夕) in ``tz``."""
    md = SPRING_FESTIVAL_EVE.get(year)
    return None if md is None else pd.Timestamp(f"{year}-{md}", tz=tz) + pd.Timedelta(days=1)


@lru_cache(maxsize=1)
def holidays() -> tuple[tuple[pd.Timestamp, pd.Timestamp], ...]:
    """(start, end) of each quiet span, in Asia/Shanghai: the Spring Festival fortnight (from a week
    before 除夕, travel included), New Year, Qingming, Labour Day, National Day."""
    out = []
    for year, md in SPRING_FESTIVAL_EVE.items():
        eve = pd.Timestamp(f"{year}-{md}", tz=DEFAULT_TZ)
        out.append((eve - pd.Timedelta(days=7), eve + pd.Timedelta(days=10)))
        for a, b in FIXED_HOLIDAYS:
            end_year = year + 1 if b < a else year
            out.append((pd.Timestamp(f"{year}-{a}", tz=DEFAULT_TZ), pd.Timestamp(f"{end_year}-{b}", tz=DEFAULT_TZ)))
    return tuple(out)
