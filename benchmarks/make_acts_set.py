"""Build the labelled message-act set ``tests/data/acts/messages.tsv`` from hand-written rows.

``tests/data/acts/source/*.txt`` hold the hand-written messages (``acts<TAB>style<TAB>text``,
acts comma-separated, ``none`` for no act), written for this set in many domains and
styles; nothing comes from ``qunkit.generate`` or from real chat exports.  This script
adds one or two *style variants* of each row (a typo, an emoji, an @-address, trailing
punctuation, 网络用语 after banter) so that the rules are measured on noisy spellings,
keeping the label, and splits the set:

- a row and its variants share a split, so the holdout never sees a near-copy of a
  tuned row;
- the split is stratified by the row's main act (about 30% of each act to ``holdout``),
  chosen by a hash of the text, so re-running the script gives the same file;
- ``source/*.tune.txt`` are rows added after the holdout was frozen (2026-12-07: the shapes real
  groups showed, such as app share templates, group-invite links, tutoring offers, 卧槽-style
  banter; written fresh, nothing copied): always ``tune`` and appended after the other rows, so the
  holdout and every earlier row's id stay exactly as they were.

Run: ``python benchmarks/make_acts_set.py`` (rewrites the TSV).
"""

from __future__ import annotations

import csv
import hashlib
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "tests" / "data" / "acts" / "source"
OUT = ROOT / "tests" / "data" / "acts" / "messages.tsv"
ACTS = ("question", "answer", "notice", "rule", "welcome", "complaint", "banter", "ad", "ack")
MAIN_ORDER = ("ad", "complaint", "rule", "notice", "welcome", "question", "answer", "banter", "ack")
HOLDOUT_SHARE = 0.3

# own variant material: neutral emoji, homophone typos, addresses, trailing punctuation
NEUTRAL_EMOJI = ("✨", "🙂", "👀", "💪", "🌸", "🌞", "😊", "🌙")
TYPOS = (("的", "得"), ("在", "再"), ("吗", "嘛"), ("哪", "那"), ("做", "作"), ("已", "以"), ("再", "在"),
         ("得", "的"), ("账", "帐"), ("候", "后"))
ADDRESS = ("@阿杰 ", "@小林 ", "@Momo ", "@王姐 ", "@老周 ")
PUNCT = ("！", "~", "。。。", "!!", "～～", " ")
BANTER_TAIL = (" 哈哈哈", " xswl", "🤣", " 绝了", " hhh")


def _seed(text: str) -> int:
    return int(hashlib.md5(text.encode("utf-8")).hexdigest()[:12], 16)


def _variants(text: str, acts: list[str], rng: random.Random) -> list[tuple[str, str]]:
    """Label-preserving rewrites of one message: (style tag, text)."""
    out: list[tuple[str, str]] = []
    for a, b in TYPOS:
        if a in text:
            out.append(("typo", text.replace(a, b, 1)))
            break
    emoji_only = all(not ch.isalnum() for ch in text)
    if not emoji_only and "banter" not in acts:
        out.append(("emoji", text + rng.choice(NEUTRAL_EMOJI)))
    if not emoji_only:
        out.append(("address", rng.choice(ADDRESS) + text))
        out.append(("punct", text.rstrip("。！!~～") + rng.choice(PUNCT)))
    if "banter" in acts and not emoji_only:
        out.append(("slang", text + rng.choice(BANTER_TAIL)))
    rng.shuffle(out)
    return [(s, t) for s, t in out if t.strip() != text.strip()]


def main_act(acts: list[str]) -> str:
    return next((a for a in MAIN_ORDER if a in acts), "none")


def build() -> list[dict[str, str]]:
    bases = []
    late = sorted(SOURCE.glob("*.tune.txt"))
    for path in [p for p in sorted(SOURCE.glob("*.txt")) if p not in late] + late:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            acts_s, style, text = line.split("\t", 2)
            acts = [] if acts_s == "none" else acts_s.split(",")
            bad = [a for a in acts if a not in ACTS]
            if bad:
                raise SystemExit(f"{path.name}:{n}: unknown act {bad}")
            bases.append((text.strip(), acts, style, path in late))
    # stratified split by main act, by hash order within each act
    split: dict[str, str] = {}
    by_act: dict[str, list[str]] = {}
    for text, acts, _, later in bases:
        if later:
            split.setdefault(text, "tune")
            continue
        by_act.setdefault(main_act(acts), []).append(text)
    for texts in by_act.values():
        texts.sort(key=_seed)
        k = round(len(texts) * HOLDOUT_SHARE)
        for i, t in enumerate(texts):
            split[t] = "holdout" if i < k else "tune"
    rows, seen = [], set()
    for text, acts, style, _ in bases:
        if text in seen:
            continue
        rng = random.Random(_seed(text))
        cands = [(style, text)] + [(f"{style}+{s}", t) for s, t in _variants(text, acts, rng)]
        keep = 3 if rng.random() < 0.15 else 2
        for st, t in cands[:keep]:
            if t in seen:
                continue
            seen.add(t)
            rows.append({"id": f"a{len(rows) + 1:05d}", "text": t, "acts": ",".join(acts),
                         "split": split[text], "style": st})
    return rows


def main() -> None:
    rows = build()
    with OUT.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["id", "text", "acts", "split", "style"], delimiter="\t",
                           lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writeheader()
        w.writerows(rows)
    hold = sum(r["split"] == "holdout" for r in rows)
    print(f"{len(rows)} rows ({hold} holdout) -> {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
