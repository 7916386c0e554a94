"""Damaged exports never crash an importer: they import what they can or fail with BadInput.

Every golden export under tests/data is cut short, has bytes flipped and has
garbage lines spliced in (seeded, so failures reproduce); each variant goes
through format sniffing and the chosen parser.  Anything but a ParseReport or
qunkit's BadInput is a bug.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from helpers import parse_file

from qunkit.errors import BadInput
from qunkit.formats import sniff

DATA = Path(__file__).parent / "data"
EXPORTS = sorted(p for p in DATA.rglob("*") if p.is_file() and p.suffix not in (".py", ".md")
                 and ".expected" not in p.name and "roster" not in p.parts)


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
        lines.insert(rng.randrange(len(lines) + 1), rng.choice([b"\x00\xff garbage", b"{\"broken\": [", b"====",
                                                                b"2024-13-45 99:99:99 x(1)", "消息对象:".encode()]))
    out.append(("spliced", b"\n".join(lines)))
    return out


@pytest.mark.parametrize("path", EXPORTS, ids=lambda p: str(p.relative_to(DATA)))
def test_damaged_exports_fail_cleanly(path: Path, tmp_path: Path) -> None:
    try:
        fmt = sniff(path).name
    except BadInput:
        pytest.skip("not an export on its own (a fragment of a directory format)")
    for seed in range(3):
        for label, data in variants(path.read_bytes(), seed):
            damaged = tmp_path / f"{label}{seed}{path.suffix}"
            damaged.write_bytes(data)
            try:
                df, report = parse_file(damaged, fmt)
            except BadInput:
                continue
            assert report.messages >= 0
            assert len(df) == 0 or df["msg_key"].notna().all()
