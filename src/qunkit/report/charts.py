"""Inline SVG charts for the HTML report: no script, no font download, text drawn by the browser.

Each function takes plain numbers and labels and returns ``html.Raw`` markup; every label passes
through ``html.esc`` (a member name in the reply network is chat text).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .html import Raw, esc

W, H, PAD = 640, 180, 34
ACCENT, SOFT, BAD, BAND = "#2f6fde", "#9db7ea", "#c4372c", "#2d8a4e"


def _svg(body: str, w: int = W, h: int = H, label: str = "") -> Raw:
    return Raw(f'<svg viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
               f'role="img" aria-label="{esc(label)}">{body}</svg>')


def _scale(values: Sequence[float], top: float | None = None) -> float:
    m = max([v for v in values if v is not None and not math.isnan(v)] or [0])
    return max(top if top is not None else m, 1e-9)


def _axis(top: float, labels: Sequence[str], n: int, fmt: str = "{:g}") -> str:
    """Y maximum, a baseline and at most 6 x labels."""
    out = [f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - 8}" y2="{H - PAD}" stroke="#d9dee8"/>',
           f'<text x="2" y="{PAD - 4}">{esc(fmt.format(top))}</text>', f'<text x="2" y="{H - PAD}">0</text>']
    if n and labels:
        step = max(1, math.ceil(n / 6))
        for i in range(0, n, step):
            out.append(f'<text x="{_x(i, n):.1f}" y="{H - PAD + 14}" text-anchor="middle">{esc(labels[i])}</text>')
    return "".join(out)


def _x(i: float, n: int) -> float:
    return PAD + (W - PAD - 8) * (i + 0.5) / max(n, 1)


def _y(v: float, top: float) -> float:
    return H - PAD - (H - 2 * PAD) * (v / top)


def bars_and_line(values: Sequence[float], line: Sequence[float] | None, labels: Sequence[str],
                  label: str = "") -> Raw:
    """Bars (e.g. messages per day) with a line over them (e.g. the 7-day average)."""
    n = len(values)
    top = _scale(list(values) + list(line or []))
    bw = max((W - PAD - 8) / max(n, 1) - 1, 0.6)
    body = [_axis(top, labels, n)]
    body += [f'<rect x="{_x(i, n) - bw / 2:.1f}" y="{_y(v, top):.1f}" width="{bw:.1f}" '
             f'height="{H - PAD - _y(v, top):.1f}" fill="{SOFT}"><title>{esc(labels[i])}: {esc(v)}</title></rect>'
             for i, v in enumerate(values)]
    if line:
        pts = " ".join(f"{_x(i, n):.1f},{_y(v, top):.1f}" for i, v in enumerate(line) if not math.isnan(v))
        body.append(f'<polyline points="{pts}" fill="none" stroke="{ACCENT}" stroke-width="2"/>')
    return _svg("".join(body), label=label)


def rate_with_band(rates: Sequence[float | None], labels: Sequence[str], low: float | None, high: float | None,
                   label: str = "") -> Raw:
    """A rate per period (0..1) with the practice's band for the group's size shaded behind it."""
    n = len(rates)
    vals = [r for r in rates if r is not None and not math.isnan(r)]
    top = max(vals + [high or 0, low or 0, 0.1]) * 1.1
    body = [_axis(top * 100, labels, n, "{:.0f}%")]
    if low is not None:
        hi = high if high is not None else top
        body.append(f'<rect x="{PAD}" y="{_y(hi, top):.1f}" width="{W - PAD - 8}" '
                    f'height="{_y(low, top) - _y(hi, top):.1f}" fill="{BAND}" opacity="0.13">'
                    f'<title>benchmark {low:.0%}–{hi:.0%}</title></rect>')
    pts = [(i, r) for i, r in enumerate(rates) if r is not None and not math.isnan(r)]
    if pts:
        body.append(f'<polyline points="{" ".join(f"{_x(i, n):.1f},{_y(r, top):.1f}" for i, r in pts)}" '
                    f'fill="none" stroke="{ACCENT}" stroke-width="2"/>')
        body += [f'<circle cx="{_x(i, n):.1f}" cy="{_y(r, top):.1f}" r="2.5" fill="{ACCENT}">'
                 f'<title>{esc(labels[i])}: {r:.1%}</title></circle>' for i, r in pts]
    return _svg("".join(body), label=label)


def in_out(joined: Sequence[int], left: Sequence[int], labels: Sequence[str], label: str = "") -> Raw:
    """Members joining (up) and leaving (down) per period."""
    n = len(joined)
    top = _scale(list(joined) + list(left))
    mid = H / 2
    half = (H - 2 * PAD) / 2
    bw = max((W - PAD - 8) / max(n, 1) - 1, 0.6)
    body = [f'<line x1="{PAD}" y1="{mid}" x2="{W - 8}" y2="{mid}" stroke="#d9dee8"/>',
            f'<text x="2" y="{mid - half}">+{esc(top)}</text><text x="2" y="{mid + half}">-{esc(top)}</text>']
    for i in range(n):
        up, down = half * joined[i] / top, half * left[i] / top
        body.append(f'<rect x="{_x(i, n) - bw / 2:.1f}" y="{mid - up:.1f}" width="{bw:.1f}" height="{up:.1f}" '
                    f'fill="{BAND}"><title>{esc(labels[i])}: {joined[i]} joined</title></rect>')
        body.append(f'<rect x="{_x(i, n) - bw / 2:.1f}" y="{mid:.1f}" width="{bw:.1f}" height="{down:.1f}" '
                    f'fill="{BAD}"><title>{esc(labels[i])}: {left[i]} left</title></rect>')
    step = max(1, math.ceil(n / 6))
    body += [f'<text x="{_x(i, n):.1f}" y="{H - 4}" text-anchor="middle">{esc(labels[i])}</text>' for i in range(0, n, step)]
    return _svg("".join(body), label=label)


WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def heatmap(grid: Sequence[Sequence[int]], label: str = "") -> Raw:
    """Messages by weekday (rows, Monday first) and hour (columns), darker = more."""
    cw, ch, left, top_pad = 22, 18, 40, 18
    top = _scale([v for row in grid for v in row])
    body = [f'<text x="{left + h * cw + 4}" y="12">{h}</text>' for h in range(0, 24, 3)]
    for d, row in enumerate(grid):
        body.append(f'<text x="4" y="{top_pad + d * ch + 13}">{WEEKDAYS[d]}</text>')
        for h, v in enumerate(row):
            a = 0.06 + 0.94 * (v / top) if v else 0.0
            body.append(f'<rect x="{left + h * cw}" y="{top_pad + d * ch}" width="{cw - 2}" height="{ch - 2}" '
                        f'fill="{ACCENT}" fill-opacity="{a:.2f}" stroke="#eef1f6"><title>{WEEKDAYS[d]} {h}:00: '
                        f'{v}</title></rect>')
    return _svg("".join(body), w=left + 24 * cw + 4, h=top_pad + 7 * ch + 4, label=label)


def network(nodes: Sequence[tuple[str, int]], edges: Sequence[tuple[int, int, int]], label: str = "") -> Raw:
    """Who answers whom: members on a circle (size = replies given and received), an arrow per pair
    with width by the number of replies."""
    size, r0 = 460, 170
    c = size / 2
    n = max(len(nodes), 1)
    pos = [(c + r0 * math.cos(2 * math.pi * i / n - math.pi / 2), c + r0 * math.sin(2 * math.pi * i / n - math.pi / 2))
           for i in range(len(nodes))]
    top = max([k for _, _, k in edges] or [1])
    body = ['<defs><marker id="arr" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5" markerHeight="5" '
            f'orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="{ACCENT}"/></marker></defs>']
    for a, b, k in edges:
        (x1, y1), (x2, y2) = pos[a], pos[b]
        body.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{ACCENT}" '
                    f'stroke-opacity="{0.25 + 0.6 * k / top:.2f}" stroke-width="{0.8 + 4 * k / top:.1f}" '
                    f'marker-end="url(#arr)"><title>{esc(nodes[a][0])} → {esc(nodes[b][0])}: {k}</title></line>')
    big = max([w for _, w in nodes] or [1])
    for (name, w), (x, y) in zip(nodes, pos, strict=True):
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{4 + 10 * math.sqrt(w / big):.1f}" fill="{SOFT}" '
                    f'stroke="{ACCENT}"><title>{esc(name)}: {w}</title></circle>')
        anchor = "start" if x >= c else "end"
        dx = 14 if x >= c else -14
        body.append(f'<text x="{x + dx:.1f}" y="{y + 4:.1f}" text-anchor="{anchor}">{esc(name[:14])}</text>')
    return _svg("".join(body), w=size, h=size, label=label)


def trend(values: Sequence[float], labels: Sequence[str], top: float = 100.0, label: str = "") -> Raw:
    """A score over time (risk 0-100) with the level boundaries 25 and 50 drawn."""
    n = len(values)
    body = [_axis(top, labels, n)]
    for cut, colour in ((25, "#d08a12"), (50, BAD)):
        body.append(f'<line x1="{PAD}" y1="{_y(cut, top):.1f}" x2="{W - 8}" y2="{_y(cut, top):.1f}" '
                    f'stroke="{colour}" stroke-dasharray="4 3" opacity="0.6"/>')
    if n:
        body.append(f'<polyline points="{" ".join(f"{_x(i, n):.1f},{_y(v, top):.1f}" for i, v in enumerate(values))}"'
                    f' fill="none" stroke="{ACCENT}" stroke-width="2"/>')
        body += [f'<circle cx="{_x(i, n):.1f}" cy="{_y(v, top):.1f}" r="3" fill="{ACCENT}"><title>'
                 f'{esc(labels[i])}: {v:g}</title></circle>' for i, v in enumerate(values)]
    return _svg("".join(body), label=label)
