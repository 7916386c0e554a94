"""``qunkit report`` and ``qunkit analyze --html``: the page is right, self-contained, and chat text stays text.

The browser tests load the page in headless Chromium with the network off (``tests/browser.py``) and fail
on a console error, an outgoing request, or an element or script injected by a name or a message.
"""

from __future__ import annotations

import html
import html.parser
import json
import re
from pathlib import Path

import browser
import pandas as pd
import pytest
from click.testing import CliRunner

import qunkit.commands.report as report_command
from qunkit.analysis.scope import Scope
from qunkit.cli import cli
from qunkit.commands.loading import open_store
from qunkit.commands.report import report_facts

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "qq-group-sample.txt"
ROSTER = ROOT / "samples" / "qq-group-sample-roster.csv"

GROUP = "<b>x</b>群"
NICK = "<img src=x onerror=window.__pwned=1>"
MESSAGE = "</script><script>window.__pwned=1</script>"
SVG_NICK = "</text><script>window.__pwned=2</script>"


def qq_export(path: Path, group: str, people: list[tuple[str, str]], days: int = 40,
              texts: dict[tuple[int, int], str] | None = None, stop: dict[int, int] | None = None) -> Path:
    """A QQ message-manager export: each person speaks every day at 20:00 + their index (minutes);
    ``texts[(day, person)]`` replaces that message; ``stop[person]`` is the day after their last."""
    lines = ["消息记录（此消息记录为文本格式，不支持重新导入）", "", "=" * 64, "消息分组:我的QQ群", "=" * 64,
             f"消息对象:{group}", "=" * 64, ""]
    t0 = pd.Timestamp("2024-03-01 20:00")
    texts = texts or {}
    for d in range(days):
        for i, (name, qq) in enumerate(people):
            if d >= (stop or {}).get(i, days):
                continue
            t = t0 + pd.Timedelta(days=d, minutes=i)
            text = texts.get((d, i), f"第{d}天 讨论相机镜头和光圈 {i}")
            lines += [f"{t:%Y-%m-%d %H:%M:%S} {name}({qq})", text, ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def run(*args: str) -> str:
    res = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res.output


@pytest.fixture
def hostile_store(tmp_path: Path) -> Path:
    store = tmp_path / "store"
    people = [("老李", "10003"), (NICK, "10001"), (SVG_NICK, "10002"), ("小王", "10004")]
    last = 39   # the last day: the payload is the most replied-to message (everyone @s its author)
    texts = {(last, 0): MESSAGE, (last, 1): "@老李 说得对", (last, 2): "@老李 同意", (last, 3): "@老李 <i>斜体</i>"}
    qq_export(tmp_path / "a.txt", GROUP, people, texts=texts)
    qq_export(tmp_path / "b.txt", "读书会", [("甲", "20001"), ("乙", "20002")], days=20)
    run("import", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"), "--store", str(store), "-q")
    return store


def _need_chromium() -> None:
    if browser.chromium() is None:
        pytest.skip("chromium not installed (apt-get install chromium; .ci/run installs it when run as root)")


CHECKS = {
    "title": "document.title",
    "pwned": "typeof window.__pwned",
    "injected": "document.querySelectorAll('img, script, b, i, iframe, object, embed, link, meta[http-equiv=refresh]')"
                ".length",
    "text": "document.body.innerText",
    "groups": "document.querySelectorAll('section.group').length",
    "svg_text": "Array.from(document.querySelectorAll('svg text')).map(t => t.textContent).join('\\n')",
}


def test_report_escapes_chat_text_in_chromium(hostile_store: Path, tmp_path: Path) -> None:
    _need_chromium()
    out = tmp_path / "r.html"
    run("report", "--store", str(hostile_store), "-o", str(out))
    got = browser.load(out, CHECKS)
    assert got["console"] == [] and got["exceptions"] == [] and got["log"] == [], got
    assert got["requests"] == []
    v = got["values"]
    assert v["pwned"] == "undefined"
    assert v["injected"] == 0
    assert v["groups"] == 2
    assert GROUP in v["text"] and NICK in v["text"]                       # shown as text
    assert MESSAGE in v["text"]                                           # the most replied-to message, as text
    assert SVG_NICK[:14] in v["svg_text"]                                 # the network label, as text


def test_harness_sees_errors_and_requests(tmp_path: Path) -> None:
    """The checks above can fail: a page that logs an error and fetches an image is caught."""
    _need_chromium()
    bad = tmp_path / "bad.html"
    bad.write_text('<html><body><img src="http://example.invalid/x.png">'
                   '<script>console.error("boom"); window.__pwned = 1</script></body></html>')
    got = browser.load(bad, {"pwned": "typeof window.__pwned"})
    assert got["values"]["pwned"] == "number"
    assert any("boom" in json.dumps(c) for c in got["console"])
    assert any(r.startswith("http://example.invalid") for r in got["requests"])


class _Links(html.parser.HTMLParser):
    """Anchor texts of the ranking table (``href="#g…"``), in order, and where they point."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self.targets: list[str] = []
        self.ids: list[str] = []
        self._in = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self._in = tag == "a" and a.get("href", "").startswith("#g")
        if self._in:
            self.targets.append(a["href"][1:])
        if tag == "section" and a.get("id"):
            self.ids.append(a["id"])

    def handle_data(self, data):
        if self._in:
            self.names.append(data)
            self._in = False


def test_report_ranks_like_risk_and_is_offline_markup(hostile_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    run("report", "--store", str(hostile_store), "-o", str(out))
    page = out.read_text(encoding="utf-8")
    risk = json.loads(run("risk", "--store", str(hostile_store), "--format", "json", "-q"))
    links = _Links()
    links.feed(page)
    assert links.names == [r["group_name"] for r in risk]
    assert links.targets == links.ids and len(set(links.ids)) == len(risk)   # each link opens its group
    ranking = json.loads(run("report", "--store", str(hostile_store), "--format", "json", "--trend-weeks", "0", "-q"))
    assert [(r["group_name"], r["risk_score"]) for r in ranking] == [(r["group_name"], r["score"]) for r in risk]
    assert "<script" not in page.lower() and "http://" not in page and "https://" not in page
    assert "default-src 'none'" in html.unescape(page)


def test_report_one_group_by_name(hostile_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "one.html"
    run("report", "读书会", "--store", str(hostile_store), "-o", str(out), "--trend-weeks", "2")
    page = out.read_text(encoding="utf-8")
    assert page.count('class="group"') == 1 and "Groups by dead-group risk" not in page
    assert "&lt;b&gt;x&lt;/b&gt;" not in page


def test_analyze_html_is_the_report(tmp_path: Path) -> None:
    store = tmp_path / "store"
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    run("analyze", str(SAMPLE), "--roster", str(ROSTER), "--store", str(store), "--html", str(a), "-q")
    run("report", "--store", str(store), "-o", str(b))
    assert a.read_text(encoding="utf-8") == b.read_text(encoding="utf-8")
    page = a.read_text(encoding="utf-8")
    assert "摄影爱好者交流群" in page and "<svg" in page
    # the content section has topics per month: keywords joined by " / " with the texts that use them
    content = page[page.index("topics (texts)"):]
    assert re.search(r"<td>[^<>]+ / [^<>]+ \(\d+\)", content[:content.index("</table>")])


def test_report_empty_store_is_a_store_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["report", "--store", str(tmp_path / "none")])
    assert res.exit_code == 3 and "no messages in scope" in res.output


def test_risk_trend_is_risk_as_of_each_week_end(tmp_path: Path) -> None:
    """Each trend point is what `qunkit risk --as-of` says at that moment (the roster-backed sample)."""
    store = tmp_path / "store"
    run("import", str(SAMPLE), "--roster", str(ROSTER), "--store", str(store), "-q")
    (group,), _ = report_facts(open_store(store), Scope(), trend_weeks=3)
    assert len(group["risk_trend"]) == 4
    for t, score in group["risk_trend"][:-1]:
        at = pd.Timestamp(t).tz_convert("UTC").strftime("%Y-%m-%d %H:%M:%S")
        (r,) = json.loads(run("risk", "--store", str(store), "--format", "json", "-q", "--tz", "UTC", "--as-of", at))
        assert r["score"] == score


def test_report_reads_the_reply_links_the_facts_store(tmp_path: Path, monkeypatch) -> None:
    """With derived tables the page's conversation comes from the links stored at import (nothing is
    computed again); on the sample, shorter than the report's window, they are the links computed."""
    store = tmp_path / "store"
    run("import", str(SAMPLE), "--store", str(store), "-q")
    (before,), _ = report_facts(open_store(store), Scope(), trend_weeks=1)
    run("rebuild", "--store", str(store), "-q")

    def refuse(*_a, **_k):
        raise AssertionError("reply links recomputed although the facts are fresh")

    monkeypatch.setattr(report_command, "reply_links", refuse)
    (after,), _ = report_facts(open_store(store), Scope(), trend_weeks=1)
    pairs = before["replies"].pop("pairs")
    assert len(pairs) and after["replies"].pop("pairs").equals(pairs)
    assert after["replies"] == before["replies"]
