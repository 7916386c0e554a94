"""A QCE text export whose head was cut off (only its tail survives, footer included).

Real exports shared as excerpts look like this: no banner, no 聊天名称 block, records from the
middle of the chat, and the exporter's footer still announcing the whole chat's count.  qunkit
must recognise the layout without the banner, import every record, and say the file is truncated."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from qunkit.cli import cli
from qunkit.formats import sniff
from qunkit.formats.base import ParseOptions, ParseReport
from qunkit.formats.qce_txt import QceTxtParser

FULL = Path(__file__).parent / "data" / "qqnt" / "qce_group.txt"


def tail_of_export(tmp_path: Path) -> Path:
    """The bundled QCE group export without everything before its second record."""
    lines = FULL.read_text(encoding="utf-8").split("\n")
    starts = [i for i in range(1, len(lines)) if lines[i].startswith("时间: ") and lines[i - 1].endswith(":")]
    path = tmp_path / "群聊.txt"
    path.write_text("\n".join(lines[starts[1] - 1:]), encoding="utf-8")
    return path


def parse(path: Path) -> tuple[int, ParseReport]:
    report = ParseReport(file=str(path))
    return sum(len(df) for df in QceTxtParser().parse(path, ParseOptions(), report)), report


def test_a_tail_without_the_banner_sniffs_as_qce_txt(tmp_path: Path) -> None:
    assert sniff(tail_of_export(tmp_path)).name == "qce-txt"


def test_the_footer_count_against_the_records_makes_it_truncated(tmp_path: Path) -> None:
    whole, whole_report = parse(FULL)
    part, report = parse(tail_of_export(tmp_path))
    assert not whole_report.truncated and whole == 10
    assert part == whole - 1 and report.bad_lines == whole_report.bad_lines  # the fixture holds one bad time
    assert report.truncated and any("announces 10 messages but the file holds 9" in n for n in report.notes)


def test_import_of_the_tail_reports_truncation_and_keeps_every_record(tmp_path: Path) -> None:
    res = CliRunner().invoke(cli, ["import", str(tail_of_export(tmp_path)), "--store", str(tmp_path / "s"),
                                   "--format", "json"])
    assert res.exit_code == 0, res.output
    assert '"truncated": true' in res.stdout and '"added": 9' in res.stdout


def test_the_real_qce_tail_is_recognised_and_reported_truncated(realdata: Path) -> None:
    """../shared/realdata/qce-txt holds the tail of a real export (its footer announces far more messages)."""
    [path] = sorted((realdata / "qce-txt").glob("*.txt"))
    assert sniff(path).name == "qce-txt"
    kept, report = parse(path)
    assert kept > 400 and report.bad_lines == 0 and report.truncated
