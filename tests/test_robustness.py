"""Damaged exports never crash an importer: they import what they can or fail with BadInput.

Every file of every golden export under tests/data (a folder export's chunks,
manifest and users.json too) is cut short, has bytes flipped and has garbage
lines spliced in (seeded, so failures reproduce); each variant goes through
format sniffing and the parser the intact export is sniffed as.  Anything
but rows that keep the schema's promises, or qunkit's BadInput, is a bug.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from golden_frames import run_parser

from qunkit.errors import BadInput
from qunkit.formats import sniff
from qunkit.formats.base import MAX_KEPT_ISSUES
from qunkit.schema import EVENTS, KINDS

DATA = Path(__file__).parent / "data"
# folders imported as one export: a file inside is damaged in a copy of its folder, which is then imported
DIRECTORY_EXPORTS = ("qqnt/qce_chunked", "qqnt/qce_chunked_old", "wechat/pywxdump_group")
FILES = sorted(p for p in DATA.rglob("*") if p.is_file() and p.suffix not in (".py", ".md")
               and ".expected" not in p.name and "roster" not in p.parts
               and "acts" not in p.parts)  # acts/: a labelled message set, not an export
JUNK = [b"\x00\xff garbage", b"{\"broken\": [", b"====", b"2024-13-45 99:99:99 x(1)", "消息对象:".encode(),
        b'"unterminated, quote', b"1,2,3"]


def export_of(path: Path) -> Path:
    """The file or folder a user would import that ``path`` belongs to."""
    for rel in DIRECTORY_EXPORTS:
        if (DATA / rel) in path.parents:
            return DATA / rel
    return path


def variants(raw: bytes, seed: int) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    out = [("cut", raw[: rng.randrange(1, max(2, len(raw)))])]
    flipped = bytearray(raw)
    for _ in range(max(1, len(raw) // 200)):
        i = rng.randrange(len(flipped))
        flipped[i] = rng.randrange(256)
    out.append(("flipped", bytes(flipped)))
    lines = raw.split(b"\n")
    for _ in range(3):
        lines.insert(rng.randrange(len(lines) + 1), rng.choice(JUNK))
    out.append(("spliced", b"\n".join(lines)))
    return out


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(DATA)))
def test_damaged_exports_fail_cleanly(path: Path, tmp_path: Path) -> None:
    export = export_of(path)
    fmt = sniff(export).name
    intact, _ = run_parser(fmt, export)
    for seed in range(2):
        for label, data in variants(path.read_bytes(), seed):
            if export == path:
                damaged = target = tmp_path / f"{label}{seed}{path.suffix}"
            else:
                damaged = tmp_path / f"{label}{seed}" / export.name
                shutil.copytree(export, damaged)
                target = damaged / path.relative_to(export)
            target.write_bytes(data)
            try:
                sniff(damaged)                    # may pick another format or none, but only via BadInput
            except BadInput:
                pass
            try:
                df, report = run_parser(fmt, damaged)
            except BadInput:
                continue
            where = f"{label} seed {seed}"
            assert set(df["kind"].astype(str)) <= set(KINDS), where
            assert set(df["event"].dropna().astype(str)) <= set(EVENTS), where
            assert df["ts"].notna().all() and (df["source_line"] >= 1).all(), where
            assert df["msg_key"].is_unique, where     # occurrence numbers keep identical rows apart
            assert len(report.issues) == min(report.bad_lines, MAX_KEPT_ISSUES), where
            if label == "cut":
                assert len(df) <= len(intact), where  # cutting a file never adds messages
