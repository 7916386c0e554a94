"""Unicode sparklines for counts per period."""

from __future__ import annotations

from collections.abc import Sequence

BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float]) -> str:
    """One character per value, scaled to the largest; zero is a blank-looking low bar."""
    vals = [max(0.0, float(v)) for v in values]
    top = max(vals, default=0.0)
    if top <= 0:
        return BARS[0] * len(vals)
    return "".join(" " if v == 0 else BARS[min(len(BARS) - 1, int(v / top * (len(BARS) - 1) + 0.5))] for v in vals)
