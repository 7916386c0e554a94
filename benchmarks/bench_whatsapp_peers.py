"""WhatsApp import side by side: the read floor, qunkit, whatstk and chat-miner on one file.

    python benchmarks/bench_whatsapp_peers.py --messages 1000000
    python benchmarks/bench_whatsapp_peers.py --messages 200000 --chatminer-fixtures ~/src/chat-miner/test/whatsapp

Writes one Android-layout WhatsApp export (``DD/MM/YY, HH:MM - Name: text``: Chinese and Latin names,
multi-line messages, media placeholders, deleted messages, join/add/leave lines), then runs each tool
in a child process of its own and prints seconds, messages/s and the child's peak resident memory
(``os.wait4``), with each time as a multiple of the floor (reading and decoding the file in Python).

- qunkit: ``python -m qunkit import FILE`` into a fresh store (parse + keys + Parquet write).
- whatstk and chat-miner are installed by this script into a virtual environment of their own
  (``--peers-venv``, default ``benchmarks/.peers-venv``); they are never qunkit dependencies.
  whatstk gets the header format (``hformat``) so it does not spend time guessing it, and
  ``max_size=None`` (it refuses files over 50 MB by default).
- ``--chatminer-fixtures DIR``: chat-miner's own WhatsApp test files (its repository's
  ``test/whatsapp``; not shipped with its package, so point at a checkout).  For each file, qunkit's
  messages (time, author, text) are compared with what chat-miner parses from it, whitespace runs
  compared as one space (chat-miner joins the lines of a multi-line message with a space, qunkit keeps
  the newline the file has).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from childrun import FLOOR, QUNKIT, measure

HERE = Path(__file__).resolve().parent
PEERS = ("whatstk", "chat-miner")

FAMILY = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高")
GIVEN = ["小明", "晓红", "建国", "丽娜", "子涵", "浩然", "雨桐", "俊杰", "欣怡", "梓萱", "志强", "婷婷"]
LATIN = ["Alice", "Bob", "Carlos", "Dana", "Emeka", "Fatima", "Grace", "Hiro", "Ivan", "Julia", "Kofi", "Lena"]
WORDS = ("今天 明天 活动 报名 时间 地点 大家 好的 谢谢 哈哈 请问 有没有 推荐 一下 这个 那个 我觉得 可以 不行 "
         "meeting tomorrow thanks ok lol link photo please check group share 😂 👍 🙏").split()


def write_export(path: Path, n: int, seed: int) -> int:
    """An Android export of ``n`` messages (plus a few system lines); returns the message count."""
    rng = random.Random(seed)
    names = [rng.choice(FAMILY) + rng.choice(GIVEN) for _ in range(150)] + \
            [f"{rng.choice(LATIN)} {rng.choice(LATIN)[0]}." for _ in range(50)] + ["+86 138 0013 8000"]
    t = 1_577_836_800  # 2020-01-01 00:00 UTC, written as wall time
    messages = 0
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write("01/01/20, 00:00 - Messages and calls are end-to-end encrypted. No one outside of this chat, "
                  "not even WhatsApp, can read or listen to them. Tap to learn more.\n")
        while messages < n:
            # ~85 s apart on average: 1M messages end in 2022 (the gaps before, ~650 s, ran to 2040 and
            # the import rightly refused two thirds of them as dated in the future)
            t += rng.choice((5, 20, 30, 60, 60, 120, 300))
            stamp = time.strftime("%d/%m/%y, %H:%M", time.gmtime(t))
            who = rng.choice(names)
            roll = rng.random()
            if roll < 0.004:
                out.write(f"{stamp} - {who} joined using this group's invite link\n")
                continue
            if roll < 0.006:
                out.write(f"{stamp} - {who} left\n")
                continue
            if roll < 0.05:
                body = "<Media omitted>"
            elif roll < 0.055:
                body = "This message was deleted"
            else:
                body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 14)))
                if rng.random() < 0.05:
                    body += "\n" + " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 8)))
            out.write(f"{stamp} - {who}: {body}\n")
            messages += 1
    return messages


WHATSTK = ("import sys; from whatstk import WhatsAppChat; "
           "c = WhatsAppChat.from_source(filepath=sys.argv[1], hformat='%d/%m/%y, %H:%M - %name:', max_size=None); "
           "print(len(c.df))")
CHATMINER = ("import sys; from chatminer.chatparsers import WhatsAppParser; p = WhatsAppParser(sys.argv[1]); "
             "p.parse_file(); print(len(p.parsed_messages.get_df()))")


def peers_python(venv: Path) -> Path:
    """The peers' interpreter, creating the virtual environment and installing them the first time."""
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"installing {', '.join(PEERS)} into {venv} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PEERS], check=True)
    return python


def fixture_check(fixtures: Path, peers: Path) -> None:
    """qunkit's (time, author, text) against chat-miner's parse of chat-miner's own test files."""
    dump = ("import json, sys; from chatminer.chatparsers import WhatsAppParser; p = WhatsAppParser(sys.argv[1]); "
            "p.parse_file(); df = p.parsed_messages.get_df(); "
            "rows = df.iter_rows(named=True) if hasattr(df, 'iter_rows') else df.to_dict('records'); "
            "print(json.dumps([[str(r['timestamp'])[:16], r['author'], r['message']] for r in rows]))")
    sys.path.insert(0, str(HERE.parent / "src"))
    from qunkit.formats import ParseOptions, ParseReport, get_parser  # noqa: PLC0415 (after the path is set)

    parser = get_parser("whatsapp-txt")()
    print("\nchat-miner's fixtures: qunkit's messages against chat-miner's parse of the same file")
    for path in sorted(fixtures.glob("*.txt")):
        theirs = {(t, a, " ".join(m.split())) for t, a, m in json.loads(measure([str(peers), "-c", dump, str(path)]).stdout)}
        frames = list(parser.parse(path, ParseOptions(tz="UTC"), ParseReport(file=str(path), format="whatsapp-txt")))
        ours = set()
        for df in frames:
            spoken = df[df["kind"] != "system"]
            for ts, who, text in zip(spoken["ts"], spoken["sender_name"], spoken["text"], strict=True):
                ours.add((ts.tz_convert("UTC").strftime("%Y-%m-%d %H:%M"), who, " ".join(text.split())))
        print(f"  {path.name:<28} chat-miner {len(theirs):>3}  qunkit {len(ours):>3}  same {len(ours & theirs):>3}"
              f"  only chat-miner {len(theirs - ours)}  only qunkit {len(ours - theirs)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--peers-venv", type=Path, default=HERE / ".peers-venv")
    ap.add_argument("--skip-peers", action="store_true", help="time the floor and qunkit only")
    ap.add_argument("--peers", default="whatstk,chat-miner",
                    help="which peers to time, comma-separated (chat-miner takes tens of minutes at 1M)")
    ap.add_argument("--chatminer-fixtures", type=Path, default=None)
    args = ap.parse_args()
    env = dict(os.environ, PYTHONPATH=str(HERE.parent / "src"))
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "WhatsApp Chat with 读书会.txt"
        t = time.perf_counter()
        n = write_export(export, args.messages, args.seed)
        mb = export.stat().st_size / 1e6
        print(f"export: {n:,} messages, {mb:.0f} MB, written in {time.perf_counter() - t:.1f} s "
              f"({os.cpu_count()} cores)")
        print(f"\n{'tool':<22} {'seconds':>8} {'msgs/s':>10} {'peak MB':>8} {'x floor':>8}", flush=True)
        floor = None
        runs = [("read + decode (floor)", [sys.executable, "-c", FLOOR, str(export)], None),
                ("qunkit import", [sys.executable, "-c", QUNKIT, "import", str(export), "--store",
                                   str(Path(tmp) / "store"), "--quiet"], env)]
        peers = None if args.skip_peers else peers_python(args.peers_venv)
        if peers is not None:
            wanted = set(args.peers.split(","))
            runs += [(name, [str(peers), "-c", code, str(export)], None)
                     for name, code in (("whatstk", WHATSTK), ("chat-miner", CHATMINER)) if name in wanted]
        for name, argv, run_env in runs:
            run = measure(argv, run_env)
            floor = floor or run.seconds
            print(f"{name:<22} {run.seconds:8.1f} {n / run.seconds:10,.0f} {run.peak_mb:8.0f} "
                  f"{run.seconds / floor:8.1f}  (cpu {run.cpu:.1f} s)", flush=True)
        if peers is not None and args.chatminer_fixtures:
            fixture_check(args.chatminer_fixtures, peers)


if __name__ == "__main__":
    main()
