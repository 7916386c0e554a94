"""Legacy QQ .mht export (消息记录 网页格式).

tests/data/mht/*.mht are built by make_mht.py from hand-written table rows in the
documented layout (shared/formats/FORMATS.md §1); each ``*.expected.csv`` holds all
MESSAGES columns (see golden_frames.py; first written by hand, checked row by row).
"""

from __future__ import annotations

import email.policy
import tracemalloc
from email.message import EmailMessage
from pathlib import Path

import pytest
from golden_frames import assert_golden, run_parser

from qunkit.errors import BadInput
from qunkit.formats import sniff

DATA = Path(__file__).parent / "data" / "mht"


def html_of(path: Path) -> bytes:
    """The raw HTML payload of a small fixture (read with the email package, for building variants)."""
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    part = next(p for p in msg.walk() if p.get_content_type() == "text/html")
    return part.get_payload(decode=True)


def test_mht_group_golden():
    df, report = run_parser("qq-mht", DATA / "qq_group.mht")
    assert_golden(df, DATA / "qq_group.expected.csv")
    assert [(i.line, i.reason.split(";")[0]) for i in report.issues] == [
        (14, "table row is neither a message, a date nor a chat heading")]
    assert report.encoding == "utf-8" and not report.truncated


def test_mht_gb18030_html_under_a_utf8_header():
    df, report = run_parser("qq-mht", DATA / "qq_private_gb18030.mht")
    assert_golden(df, DATA / "qq_private_gb18030.expected.csv")
    assert report.encoding == "gb18030"
    assert any("gb18030" in n for n in report.notes)


def test_mht_sniffed_over_the_txt_parser():
    assert sniff(DATA / "qq_group.mht").name == "qq-mht"
    assert sniff(DATA / "qq_private_gb18030.mht").name == "qq-mht"


@pytest.mark.parametrize("cte", ["base64", "quoted-printable"])
def test_mht_transfer_encodings_and_standard_mime_layout(tmp_path, cte):
    """The same page written by Python's email package (LF line ends, other header
    spelling) with the HTML base64- or QP-encoded parses to the same table."""
    html = html_of(DATA / "qq_group.mht")
    msg = EmailMessage()
    msg["From"] = "<Save by Tencent MsgMgr>"
    msg["Subject"] = "Tencent IM Message"
    msg.set_content(html, maintype="text", subtype="html", cte=cte)
    msg.make_related()
    msg.add_related(b"\x89PNG" + b"\0" * 5000, maintype="image", subtype="png", cte="base64",
                    headers=["Content-Location: {8A1F0C2D-0000-4E11-9AAA-000000000001}.dat"])
    p = tmp_path / "variant.mht"
    p.write_bytes(msg.as_bytes())
    df, report = run_parser("qq-mht", p)
    assert set(df["source_file"]) == {"variant.mht"}
    assert_golden(df.assign(source_file="qq_group.mht"), DATA / "qq_group.expected.csv")


def test_mht_truncated_inside_the_html(tmp_path):
    raw = (DATA / "qq_group.mht").read_bytes()
    cut = raw.index("第一行".encode())  # inside row 11 (小明's message)
    p = tmp_path / "cut.mht"
    p.write_bytes(raw[:cut])
    df, report = run_parser("qq-mht", p)
    assert report.truncated
    assert df["source_line"].tolist() == [8, 9, 10]
    assert any("truncated" in i.reason and i.line == 11 for i in report.issues)


def test_mht_message_before_any_date_row(tmp_path):
    html = html_of(DATA / "qq_group.mht").decode()
    first_day = html.index("<tr><td style=border-bottom")
    html = html[:first_day] + html[html.index("</tr>", first_day) + 5:]  # drop the first 日期 row
    msg = EmailMessage()
    msg["Subject"] = "Tencent IM Message"
    msg.set_content(html.encode(), maintype="text", subtype="html", cte="8bit")
    msg.make_related()
    p = tmp_path / "nodate.mht"
    p.write_bytes(msg.as_bytes())
    df, report = run_parser("qq-mht", p)
    assert df["text"].tolist() == ["第二天"]
    assert sum("date is unknown" in i.reason for i in report.issues) == 7


def test_mht_without_html_part_is_bad_input(tmp_path):
    msg = EmailMessage()
    msg["Subject"] = "Tencent IM Message"
    msg.set_content(b"\0" * 10, maintype="image", subtype="png")
    msg.make_mixed()
    p = tmp_path / "x.mht"
    p.write_bytes(msg.as_bytes())
    with pytest.raises(BadInput, match="text/html"):
        run_parser("qq-mht", p)


def test_mht_image_parts_are_never_read(tmp_path):
    """64 MB of base64 image parts after the page: the parser stops at the end of the
    HTML part, so its Python allocations stay tiny next to the file."""
    src = (DATA / "qq_group.mht").read_bytes()
    marker = b"\r\n------=_NextPart_01D2B5A7.6E4C1A40\r\nContent-Type:image/png"
    head, tail = src.split(marker, 1)
    big = tmp_path / "big.mht"
    with open(big, "wb") as fh:
        fh.write(head)
        fh.write(marker + b"\r\nContent-Transfer-Encoding:base64\r\nContent-Location:{X}.dat\r\n\r\n")
        line = b"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==\r\n"
        block = line * ((1 << 20) // len(line))
        for _ in range(64):
            fh.write(block)
        fh.write(marker + tail)
    tracemalloc.start()
    try:
        df, report = run_parser("qq-mht", big)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(df) == 8 and not report.truncated
    assert peak < 16 << 20, f"peak Python allocations {peak >> 20} MB for a {big.stat().st_size >> 20} MB file"
