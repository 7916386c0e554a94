"""``qunkit digest``: the period's figures agree with the store and with the other commands."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from test_report import qq_export

import qunkit.commands.digest as digest_mod
from qunkit.cli import cli
from qunkit.store import Store

PEOPLE = [("老李", "1"), ("*小王*", "2"), ("阿May", "3"), ("路人", "4")]


def run(*args: str, code: int = 0) -> str:
    res = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert res.exit_code == code, res.output
    return res.output


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """Everyone speaks daily from Fri 2024-03-01 for 40 days, except 阿May (stops after day 27) and 路人
    (only day 0)."""
    s = tmp_path / "store"
    qq_export(tmp_path / "g.txt", "摄影群", PEOPLE, days=40, stop={2: 27, 3: 1})
    run("import", str(tmp_path / "g.txt"), "--store", str(s), "-q")
    return s


def _spoken(store: Path) -> pd.DataFrame:
    m = Store(store).messages()
    return m[(m["sender_id"] != "system") & ~m["kind"].isin(["system", "recall"])]


def test_week_figures_match_the_store(store: Path) -> None:
    doc = json.loads(run("digest", "--store", str(store), "--format", "json", "-q"))[0]
    start, end = pd.Timestamp(doc["start"]), pd.Timestamp(doc["end"])
    assert end - start == pd.Timedelta(days=7) and not doc["partial"]
    m = _spoken(store)
    now = m[(m["ts"] >= start) & (m["ts"] < end)]
    before = m[(m["ts"] >= start - pd.Timedelta(days=7)) & (m["ts"] < start)]
    assert (doc["messages"], doc["speakers"]) == (len(now), now["sender_id"].nunique())
    assert (doc["messages_prev"], doc["speakers_prev"]) == (len(before), before["sender_id"].nunique())
    assert m["ts"].max() >= end            # the newest week is partial, so the digest is the one before it


def test_regular_gone_quiet_is_named_with_evidence(store: Path) -> None:
    doc = json.loads(run("digest", "--store", str(store), "--format", "json", "-q"))[0]
    quiet = {q["member_name"]: q["evidence"] for q in doc["went_quiet"]}
    assert list(quiet) == ["阿May"]        # 路人 spoke once: not a regular
    assert "weeks before, not in this one" in quiet["阿May"]
    assert {t["member_name"] for t in doc["top_talkers"]} == {"老李", "*小王*"}


def test_risk_is_the_risk_command_at_the_period_end(store: Path) -> None:
    doc = json.loads(run("digest", "--store", str(store), "--format", "json", "-q"))[0]
    end = pd.Timestamp(doc["end"]) - pd.Timedelta(seconds=0)
    risk = json.loads(run("risk", "--store", str(store), "--format", "json", "-q", "--tz", "UTC",
                          "--as-of", end.tz_convert("UTC").strftime("%Y-%m-%d %H:%M:%S")))[0]
    assert doc["risk_score"] == risk["score"] and doc["risk_level"] == risk["level"]
    start = pd.Timestamp(doc["start"])
    prev = json.loads(run("risk", "--store", str(store), "--format", "json", "-q", "--tz", "UTC",
                          "--as-of", start.tz_convert("UTC").strftime("%Y-%m-%d %H:%M:%S")))[0]
    assert doc["risk_score_prev"] == prev["score"]


def test_text_and_markdown(store: Path) -> None:
    text = run("digest", "--store", str(store), "-q")
    assert text.startswith("摄影群\n") and "messages" in text and "went quiet" in text
    assert max(len(line) for line in text.splitlines()) < 200
    md = run("digest", "--store", str(store), "--format", "markdown", "-q")
    assert md.startswith("### 摄影群") and r"\*小王\*" in md
    month = json.loads(run("digest", "--store", str(store), "--period", "month", "--format", "json", "-q"))[0]
    assert month["period"].startswith("2024-03") and month["messages_prev"] is None


def test_csv_is_not_a_digest_format(store: Path) -> None:
    out = run("digest", "--store", str(store), "--format", "csv", code=2)
    assert "text, markdown, json" in out or "csv" in out


def test_roll_call_matches_the_rollcall_command(tmp_path: Path) -> None:
    """The bundled sample holds a roll call in its last complete week; the digest counts it as rollcall does."""
    root = Path(__file__).resolve().parents[1] / "samples"
    s = str(tmp_path / "store")
    run("import", str(root / "qq-group-sample.txt"), "--roster", str(root / "qq-group-sample-roster.csv"),
        "--store", s, "-q")
    doc = json.loads(run("digest", "--store", s, "--format", "json", "-q"))[0]
    rc = doc["rollcall"]
    assert rc is not None and pd.Timestamp(doc["start"]) <= pd.Timestamp(rc["announced"]) < pd.Timestamp(doc["end"])
    end = pd.Timestamp(doc["end"]).tz_convert("UTC").strftime("%Y-%m-%d %H:%M:%S")
    status = json.loads(run("rollcall", "--store", s, "--format", "json", "-q", "--tz", "UTC", "--as-of", end))
    assert rc["answered"] == sum(r["answered"] for r in status)
    assert rc["missing"] == sum(not r["answered"] for r in status)


def test_hot_words_are_found_in_a_bounded_sample(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The texts jieba segments for the hot words are shared out of one budget (a digest of thousands of
    groups must not segment every text of nine periods each): a small store is read whole, a big budget
    per group is cut to an even sample of at least 50 texts a period."""
    seen = []
    real = digest_mod.period_keywords
    monkeypatch.setattr(digest_mod, "period_keywords",
                        lambda *a, **k: seen.append((len(a[0]), k["per_period"])) or real(*a, **k))
    whole = json.loads(run("digest", "--store", str(store), "--format", "json", "-q", "--no-cache"))[0]
    assert seen[-1][1] == digest_mod.PER_PERIOD
    monkeypatch.setattr(digest_mod, "KEYWORD_BUDGET", 90)
    cut = json.loads(run("digest", "--store", str(store), "--format", "json", "-q", "--no-cache"))[0]
    assert seen[-1][1] == 50
    assert {k: v for k, v in cut.items() if k != "hot_words"} == {k: v for k, v in whole.items() if k != "hot_words"}
