"""Telegram Desktop result.json importer: one-chat and full-account exports, channels, streaming, damage.

The fixtures in tests/data/telegram/ are invented and written the way Telegram Desktop writes them
(``json.dump(indent=1)``, ``date`` and ``date_unixtime``, ``text`` as a string or an entity list).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from golden_frames import assert_golden, run_parser

from qunkit.cli import cli
from qunkit.formats import sniff, telegram_json

DATA = Path(__file__).parent / "data" / "telegram"
FMT = "telegram-json"
COLS = ["group_id", "chat_type", "ts", "sender_id", "kind", "text", "event", "event_actor", "event_target",
        "reply_to", "msg_id"]


@pytest.mark.parametrize("name", ["group_result", "account_result"])
def test_golden(name: str) -> None:
    df, report = run_parser(FMT, DATA / f"{name}.json", tz="UTC")
    assert_golden(df, DATA / f"{name}.expected.csv")
    assert report.bad_lines == 0 and not report.truncated


@pytest.mark.parametrize("name", ["group_result", "account_result", "channel_result"])
def test_fixtures_sniff_as_telegram(name: str) -> None:
    assert sniff(DATA / f"{name}.json").name == FMT


def test_a_channel_is_not_a_group_it_is_skipped_and_named() -> None:
    df, report = run_parser(FMT, DATA / "channel_result.json", tz="UTC")
    assert len(df) == 0
    assert any("'Seed News'" in n and "channel" in n and "not a group" in n for n in report.notes)


def test_full_account_imports_groups_and_names_the_skipped_channel() -> None:
    df, report = run_parser(FMT, DATA / "account_result.json", tz="UTC")
    assert set(df["group_name"]) == {"Book Swap", "Jon Reed", "Old Club"}   # Empty Group has no messages
    assert dict(df.groupby("group_name")["chat_type"].first()) == {"Book Swap": "group", "Jon Reed": "private",
                                                                   "Old Club": "group"}
    assert [n for n in report.notes if "Seed News" in n]
    assert not [n for n in report.notes if "read whole" in n]   # streamed, not json.load


def test_full_account_read_in_tiny_blocks_gives_the_same_rows(monkeypatch) -> None:
    """Keys, strings and records cut across reads (64-byte blocks) walk the same."""
    whole, _ = run_parser(FMT, DATA / "account_result.json", tz="UTC")
    monkeypatch.setattr(telegram_json, "READ_BLOCK", 64)
    tiny, report = run_parser(FMT, DATA / "account_result.json", tz="UTC")
    pd.testing.assert_frame_equal(whole[COLS], tiny[COLS])
    assert report.bad_lines == 0 and not report.truncated


def test_minified_full_account_gives_the_same_rows(tmp_path: Path) -> None:
    doc = json.loads((DATA / "account_result.json").read_text(encoding="utf-8"))
    path = tmp_path / "result.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    pretty, _ = run_parser(FMT, DATA / "account_result.json", tz="UTC")
    mini, report = run_parser(FMT, path, tz="UTC")
    pd.testing.assert_frame_equal(pretty[COLS], mini[COLS])
    assert not any("read whole" in n for n in report.notes)   # walked key by key like the pretty file


def test_a_cut_file_keeps_the_complete_messages(tmp_path: Path) -> None:
    raw = (DATA / "group_result.json").read_text(encoding="utf-8")
    cut = raw.index('"id": 12,')
    path = tmp_path / "result.json"
    path.write_text(raw[:cut], encoding="utf-8")
    df, report = run_parser(FMT, path, tz="UTC")
    assert report.truncated
    assert df["msg_id"].tolist() == [str(i) for i in range(1, 12)]


def test_text_entities_mentions_and_replies() -> None:
    df, _ = run_parser(FMT, DATA / "group_result.json", tz="UTC")
    row = df[df["msg_id"] == "8"].iloc[0]
    assert row["text"] == "Thanks @ivystone and Jon! See https://example.org"
    assert list(row["mentions"]) == ["ivystone", "user1002"]
    assert row["reply_to"] == "4"
    pin = df[df["msg_id"] == "5"].iloc[0]
    assert (pin["event"], pin["reply_to"]) == ("announcement", "4")


def test_cli_import_then_roles_and_prune_see_the_members(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    runner = CliRunner()
    res = runner.invoke(cli, ["import", str(DATA / "account_result.json"), "--store", store, "--format", "json"],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout)[0]
    assert rep["format"] == FMT and rep["messages"] == 6 and any("Seed News" in n for n in rep["notes"])
    res = runner.invoke(cli, ["import", str(DATA / "group_result.json"), "--store", store, "--quiet"],
                        catch_exceptions=False)
    assert res.exit_code == 0, res.output
    groups = {g["group_name"]: g for g in json.loads(runner.invoke(cli, ["groups", "--store", store, "--format",
                                                                          "json"]).stdout)}
    assert groups["Garden Club 2024"]["platform"] == "telegram" and groups["Garden Club 2024"]["messages"] == 23
    roles = json.loads(runner.invoke(cli, ["roles", "--store", store, "--format", "json"],
                                     catch_exceptions=False).stdout)
    members = {r["member_id"] for r in roles if r["group_name"] == "Garden Club 2024"}
    assert {"user1001", "user1002", "user1003"} <= members and "system" not in members
    res = runner.invoke(cli, ["risk", "--store", store, "--format", "json"], catch_exceptions=False)
    assert res.exit_code == 0 and "Garden Club 2024" in res.stdout


@pytest.mark.parametrize("minify", [False, True], ids=["pretty", "minified"])
def test_a_cut_full_account_keeps_the_chats_before_the_cut(tmp_path: Path, minify: bool) -> None:
    """Walked key by key, a full-account file cut inside a later chat keeps every complete message
    before the cut and says it is truncated; garbage where a key belongs ends the walk with an issue."""
    doc = json.loads((DATA / "account_result.json").read_text(encoding="utf-8"))
    raw = json.dumps(doc, ensure_ascii=False, indent=None if minify else 1)
    whole, _ = run_parser(FMT, DATA / "account_result.json", tz="UTC")
    last = whole["group_name"].iloc[-1]
    cut = raw.index(json.dumps(last, ensure_ascii=False)) + 3
    path = tmp_path / "result.json"
    path.write_text(raw[:cut], encoding="utf-8")
    df, report = run_parser(FMT, path, tz="UTC")
    assert report.truncated
    assert df[COLS].reset_index(drop=True).equals(whole.loc[whole["group_name"] != last, COLS].reset_index(drop=True))
    path.write_text(raw[:cut - 3] + "}}} oops", encoding="utf-8")
    df, report = run_parser(FMT, path, tz="UTC")
    assert len(df) == (whole["group_name"] != last).sum()
    assert any("damaged full-account export" in i.reason for i in report.issues)
