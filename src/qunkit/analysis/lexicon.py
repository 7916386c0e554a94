"""Word lists behind the message features, shipped as ``qunkit/data/lexicon.json``.

Operators' groups have their own jargon (a course group's 交作业, a brand's
coupon wording), so the lists are data, not code: ``--lexicon FILE`` adds words
to any category.  A user file is either JSON shaped like the built-in one
(``{"question": {"words": [...], "patterns": [...]}}`` or simply
``{"question": [...]}``) or plain text::

    # comments and blank lines are ignored
    [question]
    咋整
    re:有没有.*推荐      <- a line starting with re: is an RE2 pattern
    [commercial]
    内推

Words are matched as case-insensitive substrings; patterns as RE2 regexes
(what pyarrow's string kernels run), so every category is one vectorised pass.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import BadInput

# complaint: a complaint on its own; complaint_soft: only next to a complaint_target (群主, 这群 ...);
# ack: content-free replies ("1", "+1", 打卡); greeting: newcomers' hellos; thanks and agree: a short
# 谢谢 or 确实.  All of them count as low-content: they show presence more than a role.  festive:
# holiday greetings (新年快乐, 中秋快乐), which tell a holiday lull from a dying group.
CATEGORIES = (
    "question", "laugh", "banter", "announce", "welcome", "rules", "event",
    "complaint", "complaint_soft", "complaint_target", "contact", "commercial", "ack", "greeting", "thanks", "agree",
    "festive",
)


@dataclass
class Lexicon:
    words: dict[str, list[str]] = field(default_factory=dict)
    patterns: dict[str, list[str]] = field(default_factory=dict)

    def regex(self, category: str) -> str | None:
        """One alternation for the category (None when it is empty)."""
        parts = [re.escape(w) for w in self.words.get(category, []) if w]
        parts += [p for p in self.patterns.get(category, []) if p]
        if not parts:
            return None
        return "|".join(f"(?:{p})" for p in parts)

    def extend(self, other: Lexicon) -> Lexicon:
        """Self's entries then other's new ones, each kept once in first-seen order; dict keys
        (not list scans), so a user file of 200,000 words loads in linear time."""
        def merged(mine: dict[str, list[str]], theirs: dict[str, list[str]]) -> dict[str, list[str]]:
            out = {c: dict.fromkeys(v) for c, v in mine.items()}
            for c, vs in theirs.items():
                out.setdefault(c, {}).update(dict.fromkeys(vs))
            return {c: list(v) for c, v in out.items()}

        return Lexicon(merged(self.words, other.words), merged(self.patterns, other.patterns))


def _from_mapping(data: dict, source: str) -> Lexicon:
    lex = Lexicon()
    for cat, entry in data.items():
        if cat.startswith("_"):
            continue
        if cat not in CATEGORIES:
            raise BadInput(f"{source}: unknown lexicon category {cat!r}; known: {', '.join(CATEGORIES)}")
        if isinstance(entry, list):
            entry = {"words": entry}
        if not isinstance(entry, dict):
            raise BadInput(f"{source}: category {cat!r} must be a list of words or an object")
        lex.words[cat] = [str(w) for w in entry.get("words", [])]
        lex.patterns[cat] = [str(p) for p in entry.get("patterns", [])]
    return lex


def _from_text(text: str, source: str) -> Lexicon:
    lex = Lexicon()
    cat: str | None = None
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            cat = line[1:-1].strip()
            if cat not in CATEGORIES:
                raise BadInput(f"{source}:{n}: unknown lexicon category {cat!r}; known: {', '.join(CATEGORIES)}")
            continue
        if cat is None:
            raise BadInput(f"{source}:{n}: a word before any [category] header")
        if line.startswith("re:"):
            lex.patterns.setdefault(cat, []).append(line[3:].strip())
        else:
            lex.words.setdefault(cat, []).append(line)
    return lex


def _check_patterns(lex: Lexicon, source: str) -> None:
    probe = pa.array([""])
    for cat, pats in lex.patterns.items():
        for p in pats:
            try:
                pc.match_substring_regex(probe, p)
            except Exception as exc:  # pyarrow raises ArrowInvalid for RE2 errors
                raise BadInput(f"{source}: bad pattern {p!r} in [{cat}]: {exc}") from exc


def builtin_lexicon() -> Lexicon:
    text = resources.files("qunkit").joinpath("data/lexicon.json").read_text(encoding="utf-8")
    return _from_mapping(json.loads(text), "qunkit/data/lexicon.json")


def load_lexicon(path: str | Path | None = None) -> Lexicon:
    """The built-in lexicon, extended with the user's file when given."""
    lex = builtin_lexicon()
    if path is None:
        return lex
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise BadInput(f"{p}: cannot read lexicon: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise BadInput(f"{p}: lexicon is not UTF-8 text") from exc
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadInput(f"{p}: invalid JSON lexicon: {exc}") from exc
        user = _from_mapping(data, str(p))
    else:
        user = _from_text(text, str(p))
    _check_patterns(user, str(p))
    return lex.extend(user)


def resolve_lexicon(lexicon: Lexicon | str | Path | None) -> Lexicon:
    if isinstance(lexicon, Lexicon):
        return lexicon
    return load_lexicon(lexicon)
