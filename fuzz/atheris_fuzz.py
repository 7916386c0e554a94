"""Coverage-guided fuzzing of every parser with atheris (libFuzzer); not in CI.

    pip install -e '.[fuzz]'
    python fuzz/atheris_fuzz.py --format qq-txt --seconds 60     # one format
    python fuzz/atheris_fuzz.py --all --seconds 60               # every format, one child process each
    python fuzz/atheris_fuzz.py --format qq-txt --reproduce fuzz/crashes/qq-txt-....bin

Each input is written as an export of the format (a directory for qce-jsonl and pywxdump-csv: the
input's parts, split on ``PART``, become manifest + chunks, or pages + users.json) and read the way
``qunkit import`` reads it: ``sniff`` (a refusal is fine), then ``ingest.parsed_tables`` with the
format forced, small streaming chunks so chunk boundaries are crossed.  A ``QunkitError`` (BadInput
naming the file) and bad lines counted in the report are correct answers; any other exception is a
crash: the input is saved as ``fuzz/crashes/<format>-<sha1>.bin`` (one per distinct traceback, the
run goes on), and libFuzzer's own artifacts (a timeout, memory past ``--rss-mb``) go there too.
The corpus starts from the fixtures in tests/data (copied to a temporary directory: the fixtures
are never written to), with a dictionary of the layouts' structural tokens.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
CRASHES = ROOT / "fuzz" / "crashes"
PART = b"\n--qunkit-fuzz-part--\n"   # separates the files of a directory export inside one input

# format -> (file name the input is written as, seed files or directories under tests/data)
TARGETS: dict[str, tuple[str, list[str]]] = {
    "qq-txt": ("export.txt", ["qq/*.txt"]),
    "qce-json": ("export.json", ["qqnt/qce_*.json"]),
    "qce-jsonl": ("", ["qqnt/qce_chunked", "qqnt/qce_chunked_old"]),
    "qce-txt": ("export.txt", ["qqnt/qce_*.txt"]),
    "qq-mht": ("export.mht", ["mht/*.mht"]),
    "chatlab": ("export.json", ["qqnt/chatlab_*.json", "qqnt/chatlab_*.jsonl"]),
    "wechatmsg-csv": ("群.csv", ["wechat/*_utf8.csv"]),
    "wechatmsg-txt": ("群.txt", ["wechat/读书会.txt", "wechat/家族群.txt"]),
    "pywxdump-csv": ("", ["wechat/pywxdump_group", "wechat/pywxdump_private"]),
    "chatlog-json": ("export.json", ["wechat/chatlog_*.json"]),
    "chatlog-csv": ("export.csv", ["wechat/chatlog_*.csv"]),
    "chatlog-txt": ("export.txt", ["wechat/chatlog_*.txt"]),
    "weflow-json": ("export.json", ["wechat/weflow_*.json", "wechat/echotrace_*.json"]),
    "whatsapp-txt": ("WhatsApp Chat with Club.txt", ["whatsapp/*.txt", "whatsapp/*/_chat.txt"]),
    "telegram-json": ("result.json", ["telegram/*.json"]),
}
TOKENS = [b'"', b"[", b"]", b"{", b"}", b",", b":", b"\\u", b"\\", b"\r", b"\r\n", b"\n\n", b"\x00", b"\xef\xbb\xbf",
          b"9" * 30, b"-1", b"1e400", b"null", b"true", b"NaN", b'"messages"', b'"timestamp"', b'"chunked"',
          b'"relativePath"', b'"type"', b'"date_unixtime"', b'"createTime"', b"2024-03-01 10:00:00 ", b"(10001)",
          b"<10001@qq.com>", "消息对象:".encode(), b"=" * 64, b"<tr>", b"<td>", b"</table>", b"Content-Type: ",
          b"boundary=", b"=\r\n", b"charset=gb18030", b"03/01/24, 10:00 - ", b"[01.03.24, 10:00:00] ", "\u200e".encode(),
          b"\x1b[2J", b"1@chatroom", b"wxid_", PART]


def files_of(fmt: str, data: bytes) -> dict[str, bytes]:
    """The export an input stands for: relative path -> bytes."""
    name, _ = TARGETS[fmt]
    if fmt == "qce-jsonl":
        manifest, *chunks = data.split(PART)
        return {"manifest.json": manifest, **{f"chunks/c{i:06d}.jsonl": c for i, c in enumerate(chunks, 1)}}
    if fmt == "pywxdump-csv":   # no PART: one page given as a file; else a folder
        first, *rest = data.split(PART)
        out = {"1@chatroom_0_5.csv": first}
        if rest:
            out["users.json"] = rest[0]
        out.update({f"1@chatroom_{5 * i}_{5 * i + 5}.csv": p for i, p in enumerate(rest[1:], 1)})
        return out
    return {name: data}


def seed_of(fmt: str, path: Path) -> bytes:
    """A fixture as one input (the inverse of ``files_of``)."""
    if not path.is_dir():
        return path.read_bytes()
    if fmt == "qce-jsonl":
        return PART.join([(path / "manifest.json").read_bytes(),
                          *(p.read_bytes() for p in sorted((path / "chunks").glob("*.jsonl")))])
    pages = sorted(p for p in path.glob("*.csv") if "expected" not in p.name)
    users = path / "users.json"
    if len(pages) == 1 and not users.is_file():
        return pages[0].read_bytes()
    return PART.join([pages[0].read_bytes(), users.read_bytes() if users.is_file() else b"{}",
                      *(p.read_bytes() for p in pages[1:])])


def seeds(fmt: str) -> list[tuple[str, bytes]]:
    _, globs = TARGETS[fmt]
    found = sorted({p for g in globs for p in DATA.glob(g) if "expected" not in p.name})
    return [(p.name, seed_of(fmt, p)) for p in found]


def write_export(fmt: str, data: bytes, work: Path) -> Path:
    """Write the input into a fresh ``work``; the path ``qunkit import`` would be given."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for rel, blob in files_of(fmt, data).items():
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_bytes(blob)
    name, _ = TARGETS[fmt]
    if fmt == "pywxdump-csv" and PART not in data:
        return work / "1@chatroom_0_5.csv"
    return work / name if name else work


def read_like_import(fmt: str, path: Path) -> tuple[int, int]:
    """(messages, bad lines) of ``path`` read as ``qunkit import`` reads it; a QunkitError is an answer."""
    from qunkit.errors import QunkitError  # noqa: PLC0415 (imported under instrumentation, see main)
    from qunkit.formats import ParseOptions, ParseReport, get_parser, sniff  # noqa: PLC0415
    from qunkit.ingest import check_input, parsed_tables  # noqa: PLC0415

    report = ParseReport(file=str(path), format=fmt)
    try:
        check_input(path)
        try:
            sniff(path)
        except QunkitError:
            pass   # a refusal to guess is an answer; --format still reads it
        for _ in parsed_tables(path, get_parser(fmt), ParseOptions(chunk_bytes=4096), report):
            pass
    except QunkitError:
        pass
    return report.messages, report.bad_lines


class Target:
    """The per-input callback: distinct crashes (by exception type and innermost qunkit frame) saved once."""

    def __init__(self, fmt: str, work: Path, seconds: int) -> None:
        self.fmt, self.work, self.seconds = fmt, work, seconds
        self.runs = 0
        self.crashes: dict[str, str] = {}
        self.start = time.monotonic()

    def __call__(self, data: bytes) -> None:
        if time.monotonic() - self.start >= self.seconds:
            self.finish()
        self.runs += 1
        path = write_export(self.fmt, data, self.work)
        try:
            read_like_import(self.fmt, path)
        except Exception as exc:  # noqa: BLE001 (anything that is not a QunkitError is the finding)
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/qunkit/" in f.filename]
            where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
            sig = f"{type(exc).__name__} at {where}"
            if sig not in self.crashes:
                CRASHES.mkdir(exist_ok=True)
                out = CRASHES / f"{self.fmt}-{hashlib.sha1(data).hexdigest()[:12]}.bin"
                out.write_bytes(data)
                self.crashes[sig] = str(out.relative_to(ROOT))
                print(f"CRASH {sig}: {exc!r:.200} -> {out}", file=sys.stderr, flush=True)

    def finish(self) -> None:
        """Stop here: libFuzzer's own exit skips Python's atexit, so the summary is printed first."""
        print("FUZZ-SUMMARY " + json.dumps({"format": self.fmt, "runs": self.runs,
                                            "seconds": round(time.monotonic() - self.start, 1),
                                            "crashes": self.crashes}, ensure_ascii=False), flush=True)
        shutil.rmtree(self.work.parent, ignore_errors=True)
        os._exit(0)


def write_dict(path: Path) -> None:
    path.write_text("".join('"' + "".join(f"\\x{b:02x}" for b in tok) + '"\n' for tok in TOKENS), encoding="ascii")


def fuzz_one(fmt: str, seconds: int, rss_mb: int) -> None:
    import atheris  # noqa: PLC0415 (optional extra: the rest of the file works without it)

    # parse on the fuzzing thread: inputs are small, and libFuzzer's timeout and crash handling see it whole
    os.environ.setdefault("QUNKIT_PARSE_THREADS", "1")
    with atheris.instrument_imports(include=["qunkit"]):
        import qunkit.ingest  # noqa: F401, PLC0415
        from qunkit.formats import parsers  # noqa: PLC0415
        parsers()   # imports every parser module, instrumented
    tmp = Path(tempfile.mkdtemp(prefix=f"qunkit-fuzz-{fmt}-"))
    corpus = tmp / "corpus"
    corpus.mkdir()
    for i, (name, blob) in enumerate(seeds(fmt)):
        (corpus / f"seed{i}-{Path(name).stem}").write_bytes(blob)
    write_dict(tmp / "tokens.dict")
    target = Target(fmt, tmp / "work", seconds)
    CRASHES.mkdir(exist_ok=True)
    args = [sys.argv[0], f"-max_total_time={seconds + 600}", f"-rss_limit_mb={rss_mb}", "-timeout=30",
            f"-artifact_prefix={CRASHES}/{fmt}-", f"-dict={tmp / 'tokens.dict'}", "-max_len=65536",
            "-print_final_stats=1", str(corpus)]
    atheris.Setup(args, target)
    atheris.Fuzz()


def fuzz_all(formats: list[str], seconds: int, rss_mb: int) -> int:
    """Each format in its own child (atheris.Fuzz never returns); a table of what each found."""
    failed = 0
    for fmt in formats:
        proc = subprocess.run([sys.executable, __file__, "--format", fmt, "--seconds", str(seconds),
                               "--rss-mb", str(rss_mb)], capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("FUZZ-SUMMARY ")]
        info = json.loads(lines[-1].split(" ", 1)[1]) if lines else {"runs": "?", "seconds": "?", "crashes": {}}
        dead = proc.returncode != 0 and not info["crashes"]
        found = "; ".join(f"{k} ({v})" for k, v in info["crashes"].items()) or (
            f"libFuzzer stopped (exit {proc.returncode}): " + proc.stderr.strip().splitlines()[-1][:200]
            if dead else "no crash")
        failed += bool(info["crashes"]) or dead
        print(f"{fmt:<14} {info['runs']:>8} inputs in {info['seconds']} s: {found}", flush=True)
    return 1 if failed else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--format", dest="fmt", choices=sorted(TARGETS))
    ap.add_argument("--all", action="store_true", help="every format in turn (--seconds each)")
    ap.add_argument("--seconds", type=int, default=60, help="per format")
    ap.add_argument("--rss-mb", type=int, default=2048, help="memory past this is a finding")
    ap.add_argument("--reproduce", type=Path, help="read one saved input and show its traceback")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    if args.reproduce:
        if not args.fmt:
            ap.error("--reproduce needs --format")
        with tempfile.TemporaryDirectory() as tmp:
            messages, bad = read_like_import(args.fmt, write_export(args.fmt, args.reproduce.read_bytes(),
                                                                    Path(tmp) / "work"))
        print(f"{args.fmt}: {messages} messages, {bad} bad lines, no crash")
        return 0
    if args.all == bool(args.fmt):
        ap.error("give --format NAME or --all")
    try:
        import atheris  # noqa: F401, PLC0415
    except ImportError:
        print("atheris is not installed: pip install -e '.[fuzz]'", file=sys.stderr)
        return 2
    if args.all:
        return fuzz_all(sorted(TARGETS), args.seconds, args.rss_mb)
    fuzz_one(args.fmt, args.seconds, args.rss_mb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
