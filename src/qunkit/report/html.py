"""Facts -> one self-contained HTML page.  Rendering only: no analysis here, no network, no script.

The one escaping rule: every value goes through ``esc`` unless it is ``Raw`` (markup built here or in
``charts`` from escaped pieces).  A message ``</script><script>...``, a nickname ``<img onerror=...>`` or a
group named ``<b>x</b>`` is therefore shown as text.  The page carries a Content-Security-Policy that
allows no script and no fetch at all (``default-src 'none'``; inline styles and ``data:`` images only), so
even a renderer bug could not load or run anything.  Fonts are the system stack (CJK included).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any


class Raw(str):
    """Markup that is already safe (built from escaped pieces); ``esc`` leaves it as it is."""


def esc(value: Any) -> str:
    """Text as HTML: ``& < > " '`` escaped; None/NaN as an empty cell; ``Raw`` unchanged."""
    if isinstance(value, Raw):
        return value
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        value = f"{value:.4g}"
    return html.escape(str(value), quote=True)


def tag(name: str, body: Any = "", **attrs: Any) -> Raw:
    """``<name attr="...">body</name>`` with the body and every attribute value escaped."""
    attr = "".join(f' {k.rstrip("_").replace("_", "-")}="{esc(v)}"' for k, v in attrs.items() if v is not None)
    return Raw(f"<{name}{attr}>{esc(body)}</{name}>")


def join(parts: Iterable[Any], sep: str = "") -> Raw:
    return Raw(sep.join(esc(p) for p in parts))


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], cls: str | None = None) -> Raw:
    """A table; numbers right-aligned by the stylesheet (class ``n``)."""
    head = join(tag("th", h) for h in headers)
    body = join(tag("tr", join(tag("td", c, class_="n" if isinstance(c, (int, float)) else None) for c in r))
                for r in rows)
    return tag("table", Raw(f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody>"), class_=cls)


def facts(pairs: Iterable[tuple[str, Any]]) -> Raw:
    """A definition list of ``label: value`` lines."""
    return tag("dl", join(Raw(f"{tag('dt', k)}{tag('dd', v)}") for k, v in pairs))


def bullets(items: Iterable[Any]) -> Raw:
    return tag("ul", join(tag("li", i) for i in items))


def section(title: str, *body: Any, id_: str | None = None, level: int = 2) -> Raw:
    return tag("section", join([tag(f"h{level}", title), *body]), id=id_)


CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

CSS = """
:root{--fg:#1d2330;--mute:#667085;--line:#d9dee8;--bg:#fff;--accent:#2f6fde;--bad:#c4372c;--warn:#d08a12;--ok:#2d8a4e}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1100px;padding:24px;color:var(--fg);background:var(--bg);line-height:1.45;
font-family:system-ui,-apple-system,"Segoe UI","PingFang SC","Hiragino Sans GB","Microsoft YaHei",
"Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei",sans-serif}
h1{font-size:1.6em;margin:.2em 0}h2{margin-top:1.6em;border-bottom:2px solid var(--line);padding-bottom:.2em}
h3{margin:1.2em 0 .4em}section.group{border-top:4px solid var(--accent);margin-top:2.5em}
table{border-collapse:collapse;margin:.4em 0 1em;font-size:.92em}th,td{border-bottom:1px solid var(--line);
padding:3px 8px;text-align:left;vertical-align:top}th{background:#f4f6fa}td.n{text-align:right;
font-variant-numeric:tabular-nums}dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px}
dt{color:var(--mute)}dd{margin:0}.mute{color:var(--mute);font-size:.9em}.lvl-dead,.lvl-at-risk{color:var(--bad);
font-weight:600}.lvl-watch{color:var(--warn);font-weight:600}.lvl-healthy{color:var(--ok);font-weight:600}
svg{max-width:100%;height:auto;font-family:inherit}svg text{font-size:11px;fill:var(--mute)}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:18px}@media(max-width:800px){.grid2{grid-template-columns:1fr}}
blockquote{margin:.3em 0;padding:.3em .8em;border-left:3px solid var(--line);white-space:pre-wrap;
overflow-wrap:anywhere}nav a{margin-right:1em}
"""


def page(title: str, body: Iterable[Any], subtitle: str = "") -> str:
    """The whole document: one file, every style inline, no script, no external reference."""
    head = (f'<meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="referrer" content="no-referrer">{tag("title", title)}<style>{CSS}</style>')
    top = join([tag("h1", title), tag("p", subtitle, class_="mute") if subtitle else ""])
    return f"<!DOCTYPE html>\n<html lang=\"zh\"><head>{head}</head><body>{top}{join(body)}</body></html>\n"
