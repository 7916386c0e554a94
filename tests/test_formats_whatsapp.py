"""WhatsApp .txt importer: golden files for every layout, sniffing, date order, chunking, every message once.

The fixtures in tests/data/whatsapp/ are invented (names and text); their shapes follow real exports:
Android day-first 24 h with name-less notices, Android US month-first 12 h with U+202F before PM, German
dotted dates, a Chinese year-first export with 上午/下午, iOS with BOM, CRLF, U+200E notices, ``~\u202fName``
non-contacts and U+202A-wrapped phone numbers (in a ``WhatsApp Chat - X/_chat.txt`` folder).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from click.testing import CliRunner
from golden_frames import assert_golden, run_parser

from qunkit.cli import cli
from qunkit.formats import sniff
from qunkit.formats.whatsapp_txt import ANDROID_HEADER, IOS_HEADER, read_headers

DATA = Path(__file__).parent / "data" / "whatsapp"
FIXTURES = ["WhatsApp Chat with Hiking Club.txt", "android_us_12h.txt", "android_de.txt", "android_zh.txt",
            "WhatsApp Chat - Book Circle/_chat.txt", "ios_ambiguous_12h.txt", "android_bad_lines.txt"]
FMT = "whatsapp-txt"


def expected_csv(name: str) -> Path:
    path = DATA / name
    return path.with_name(path.stem + ".expected.csv")


@pytest.mark.parametrize("name", FIXTURES)
def test_golden(name: str) -> None:
    df, report = run_parser(FMT, DATA / name, tz="UTC")
    assert_golden(df, expected_csv(name))
    if name != "android_bad_lines.txt":
        assert report.bad_lines == 0, report.issues


def test_lines_not_understood_are_reported_with_their_line() -> None:
    _, report = run_parser(FMT, DATA / "android_bad_lines.txt", tz="UTC")
    assert report.bad_lines == 2
    assert [(i.line, i.reason.split(";")[0]) for i in report.issues] == [
        (1, "text before the first message header"), (3, "message header has an impossible date or time")]


@pytest.mark.parametrize("name", FIXTURES)
def test_fixtures_sniff_as_whatsapp(name: str) -> None:
    assert sniff(DATA / name).name == FMT


def test_no_other_fixture_sniffs_as_whatsapp_or_telegram() -> None:
    ours = {DATA, DATA.parent / "telegram"}
    others = [p for p in (DATA.parent).rglob("*") if p.is_file() and not p.name.endswith(".expected.csv")
              and not any(d in p.parents for d in ours) and p.stat().st_size]
    assert len(others) > 20
    hits = []
    for p in others:
        try:
            name = sniff(p).name
        except Exception:  # noqa: BLE001 - a fixture no parser takes is fine here
            continue
        if name in (FMT, "telegram-json"):
            hits.append((p.name, name))
    assert hits == []


# ---------------------------------------------------------------- date order


def test_ambiguous_dates_follow_the_option_else_day_first_with_a_note() -> None:
    path = DATA / "ios_ambiguous_12h.txt"
    month, r_month = run_parser(FMT, path, tz="UTC", dayfirst=False)
    day, r_day = run_parser(FMT, path, tz="UTC", dayfirst=True)
    default, r_default = run_parser(FMT, path, tz="UTC")
    assert [t.isoformat() for t in month["ts"]] == ["2019-01-02T15:14:03+00:00", "2019-01-02T15:15:00+00:00",
                                                     "2019-02-01T09:00:00+00:00"]
    assert [t.isoformat() for t in day["ts"]] == ["2019-02-01T15:14:03+00:00", "2019-02-01T15:15:00+00:00",
                                                   "2019-01-02T09:00:00+00:00"]
    assert default["ts"].tolist() == day["ts"].tolist()
    assert any("day-first" in n for n in r_default.notes)
    assert not any("day-first" in n for n in r_month.notes + r_day.notes)


def test_a_day_above_12_anywhere_decides_over_the_option(tmp_path: Path) -> None:
    # the deciding date is the last line: the whole file is read for the order, not only the head
    lines = [f"0{m}/0{d}/2020, 10:00 - Ann: m{m}d{d}" for m in range(1, 10) for d in range(1, 10)]
    path = tmp_path / "late.txt"
    path.write_text("\n".join(lines + ["25/01/2020, 10:00 - Ben: the 25th"]) + "\n", encoding="utf-8")
    df, report = run_parser(FMT, path, tz="UTC", dayfirst=False, chunk_bytes=256)
    assert df["ts"].iloc[1].isoformat() == "2020-02-01T10:00:00+00:00"   # "01/02" read day-first
    assert df["ts"].iloc[-1].isoformat() == "2020-01-25T10:00:00+00:00"
    assert any("override" in n for n in report.notes)


def test_month_above_12_in_second_field_means_month_first() -> None:
    df, report = run_parser(FMT, DATA / "android_us_12h.txt", tz="UTC", dayfirst=True)
    assert df["ts"].iloc[-1].isoformat() == "2019-03-23T13:15:00+00:00"
    assert any("month-first" in n for n in report.notes)


# ---------------------------------------------------------------- chunks, newlines, every message once


@pytest.mark.parametrize("name", ["WhatsApp Chat with Hiking Club.txt", "WhatsApp Chat - Book Circle/_chat.txt"])
def test_tiny_chunks_give_the_same_rows(name: str) -> None:
    whole, _ = run_parser(FMT, DATA / name, tz="UTC")
    tiny, report = run_parser(FMT, DATA / name, tz="UTC", chunk_bytes=64)
    pd.testing.assert_frame_equal(whole.drop(columns="msg_key"), tiny.drop(columns="msg_key"))
    assert report.bad_lines == 0


def test_crlf_and_bom_do_not_change_the_rows(tmp_path: Path) -> None:
    src = DATA / "android_us_12h.txt"
    path = tmp_path / "android_us_12h.txt"
    path.write_bytes(b"\xef\xbb\xbf" + src.read_bytes().replace(b"\n", b"\r\n"))
    base, _ = run_parser(FMT, src, tz="UTC")
    got, _ = run_parser(FMT, path, tz="UTC")
    cols = ["ts", "sender_id", "kind", "text", "event", "source_line"]
    pd.testing.assert_frame_equal(base[cols], got[cols])


def _random_chat(seed: int, ios: bool) -> tuple[str, list[tuple[str, str, str]]]:
    rnd = random.Random(seed)
    # (a body line that is itself a whole header, or a name holding ": ", cannot be told apart: not generated)
    names = ["Ann Lee", "~\u202fBo Chan", "\u202a+44\u00a07700\u00a0900111\u202c", "Cy :D", "Dee"]
    words = ["hi", "ok", "see you", "12:30 - lunch?", "03/04/2020 was fun", "[quoted]", "a: b", "", "https://x.org"]
    out, want = [], []
    base = pd.Timestamp("2020-03-14 08:00")
    for i in range(300):
        ts = base + pd.Timedelta(minutes=i * 7 - rnd.randint(0, 20))   # not ascending
        name = rnd.choice(names)
        body = "\n".join(rnd.choice(words) or "x" for _ in range(rnd.choice([1, 1, 1, 2, 4])))
        if ios:
            head = f"[{ts:%d/%m/%Y}, {ts:%H:%M:%S}] {name}: "
        else:
            head = f"{ts.day}/{ts.month}/{ts:%y}, {ts:%H:%M} - {name}: "
        out.append(head + body)
        wanted_ts = ts if ios else ts.floor("min")
        want.append((wanted_ts.isoformat() + "+00:00", body, name))
    return "\n".join(out) + "\n", want


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("ios", [True, False])
def test_every_message_comes_back_once(tmp_path: Path, seed: int, ios: bool) -> None:
    text, want = _random_chat(seed, ios)
    path = tmp_path / "chat.txt"
    path.write_text(text, encoding="utf-8")
    df, report = run_parser(FMT, path, tz="UTC", chunk_bytes=512)
    assert report.bad_lines == 0
    got = sorted(zip((t.isoformat() for t in df["ts"]), df["text"], strict=True))
    assert got == sorted((t, b.strip()) for t, b, _ in want)
    assert set(df["sender_id"]) == {"Ann Lee", "Bo Chan", "+447700900111", "Cy :D", "Dee"}


# ---------------------------------------------------------------- CLI


def test_cli_import_with_monthfirst_and_analysis_on_the_group(tmp_path: Path) -> None:
    store = str(tmp_path / "store")
    runner = CliRunner()
    res = runner.invoke(cli, ["import", str(DATA / "ios_ambiguous_12h.txt"), "--monthfirst", "--store", store,
                              "--format", "json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)[0]
    assert report["format"] == FMT and report["messages"] == 3 and report["bad_lines"] == 0
    res = runner.invoke(cli, ["import", str(DATA / "WhatsApp Chat with Hiking Club.txt"), "--store", store,
                              "--quiet"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    groups = json.loads(runner.invoke(cli, ["groups", "--store", store, "--format", "json"]).stdout)
    by = {g["group_name"]: g for g in groups}
    assert by["Hiking Club"]["platform"] == "whatsapp" and by["Hiking Club"]["messages"] == 17
    assert str(by["ios_ambiguous_12h"]["first"]).startswith("2019-01-02")
    out = {}
    for cmd in (["roles"], ["risk"], ["prune", "--days", "30", "--as-of", "2019-06-01"]):
        res = runner.invoke(cli, [*cmd, "--store", store, "--format", "json"], catch_exceptions=False)
        assert res.exit_code == 0, res.output
        out[cmd[0]] = [r for r in json.loads(res.stdout) if r["group_name"] == "Hiking Club"]
    assert {r["member_id"] for r in out["roles"]} >= {"Anna Berg", "+447700900123", "Dana Fox"}
    assert "system" not in {r["member_id"] for r in out["roles"]}
    assert len(out["risk"]) == 1
    assert "+447700900123" in {r["member_id"] for r in out["prune"]}   # the phone id joins notice and messages


def _assembled(rng: random.Random, pieces: list[list[str]], n: int) -> list[str]:
    return ["".join(rng.choice(choices) for choices in pieces) for _ in range(n)]


def test_read_headers_gives_what_the_header_regex_captures() -> None:
    """The prefix's fields captured alone and the rest cut at the first separator: the same fields and
    the same rest as one capture of the whole header regex, on random lines and header-shaped ones."""
    rng = random.Random(3)
    noise = ["1", "12", "2020", "/", ".", "-", ",", " ", "\u00a0", "\u202f", ":", "00", "5", "PM", "a.m.", "上午", "下午",
             "[", "]", "–", " - ", "Bob", ": ", "x", "\u200e", "] "]
    lines = ["".join(rng.choice(noise) for _ in range(rng.randint(0, 14))) for _ in range(20000)]
    lines += _assembled(rng, [["", "\u200e"], ["1/2/20", "12.31.2020", "2020-1-2", "31/12/20."], [",", ""],
                              [" ", "\u202f"], ["", "上午", "PM "], ["10:00", "9.05", "10:00:59"], ["", " PM", "\u202fa.m."],
                              [" - ", " – ", "\u00a0-\u00a0", " -"], ["Bob: hi", "", "x - y", "Bob: a - b", " - "]], 20000)
    lines += _assembled(rng, [["", "\u200e"], ["["], ["1/2/20", "12.31.2020"], [",", ""], [" "],
                              ["10:00", "10:00:59 PM", "9.05 a.m."], ["]"], [" ", "\u00a0", ""], ["Bob: hi", "", "a] b", "] "]],
                        20000)
    arr = pa.array(lines)
    for regex in (IOS_HEADER, ANDROID_HEADER):
        want = pc.extract_regex(arr, regex)
        valid, got = read_headers(arr, regex)
        assert valid.tolist() == want.is_valid().to_numpy(zero_copy_only=False).tolist()
        assert 5000 < valid.sum() < len(lines) - 5000
        kept = want.filter(want.is_valid())
        for i in range(kept.type.num_fields):
            name = kept.type.field(i).name
            assert got.field(name).to_pylist() == kept.field(name).to_pylist(), name
