"""Is a recent count low *for this group*?  A robust test against its own week-to-week swing.

A fixed "down 40%" threshold calls a noisy but steady group dying every time it
has a slow week, and misses a quiet fall in a very regular one.  So a recent
count (messages or speakers, a week, two weeks or three days) is compared with
the same-sized windows before it on a log scale: the baseline is their median,
the spread the median absolute deviation (MAD, scaled to a standard deviation) of
the changes from one window to the next (so a slow trend is not mistaken for
noise), never below the Poisson noise of counts that size (a few messages swing a lot).
``z`` is how many spreads the recent count lies below the usual; the risk model
asks for both a large ``z`` *and* a large fall before it counts a drop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MAD_SCALE = 1.4826       # MAD -> standard deviation for normal data
MIN_SPREAD = 0.1         # log units: a group never counts as more regular than +-10% a week
MIN_BASELINE = 2         # windows before a test means anything (a group in its third week has two)
FEW_WINDOWS = 4          # below this many the swing itself is a guess: assume at least ...
FEW_WINDOWS_SPREAD = 0.3  # ... +-30% a window


@dataclass(frozen=True)
class Dip:
    """A recent count against its baseline windows (all per window)."""

    recent: float          # the recent count (mean per window when several windows)
    usual: float           # median of the baseline windows
    change: float          # recent / usual - 1 (negative = fewer)
    spread: float          # the baseline's robust spread, log units
    z: float               # (log recent - log usual) / spread; negative = below usual
    windows: int           # baseline windows used

    @property
    def valid(self) -> bool:
        return self.windows >= MIN_BASELINE and self.usual > 0


NO_DIP = Dip(0.0, 0.0, 0.0, 0.0, 0.0, 0)


def dip(recent: np.ndarray, baseline: np.ndarray) -> Dip:
    """``recent``: the counts of the recent window(s); ``baseline``: the counts of the windows before.

    The recent windows are averaged (a sustained fall keeps its size, a one-off dip is halved by a
    normal window beside it) and their mean is tested against spread / sqrt(k)."""
    base = np.asarray(baseline, dtype=float)
    if len(base) < MIN_BASELINE or not len(recent):
        return NO_DIP
    y = np.log1p(base)
    med = float(np.median(y))
    # week-to-week swing: the MAD of successive differences (a steady trend is not noise), per window
    dy = np.diff(y)
    mad = MAD_SCALE * float(np.median(np.abs(dy - np.median(dy)))) / np.sqrt(2.0)
    usual = float(np.expm1(med))
    poisson = 1.0 / np.sqrt(usual + 1.0)          # sd of log1p(count) for Poisson counts near ``usual``
    spread = max(mad, poisson, MIN_SPREAD, FEW_WINDOWS_SPREAD if len(base) < FEW_WINDOWS else 0.0)
    r = float(np.mean(recent))
    z = (float(np.log1p(r)) - med) / (spread / np.sqrt(len(recent)))    # a mean of k windows swings less
    change = r / usual - 1.0 if usual > 0 else 0.0
    return Dip(r, usual, change, spread, z, len(base))
