"""Anonymised copies of a store: the same analyses, no original name or id (issue #10, "sharing data safely").

``anonymize(source, dest, groups, key)`` writes a new store in which every group id and name,
member id and name, custom title, @mention, native message id and source file name is replaced
by a pseudonym, in the columns *and inside message text* (mentions, join/leave lines, quoted
replies, a name written anywhere), and contact details in text (phone and QQ numbers, WeChat
ids, e-mail addresses, URLs) are masked the same way.

Pseudonyms are a keyed HMAC-SHA256 of the value, so one key always gives the same pseudonym
and nobody without the key can test a guess ("was 12345678 in this group?") against the copy.
They keep the *shape* of the value, character by character: same length, a digit for a digit,
an ASCII letter of the same case for an ASCII letter, a rare CJK character (Extension A, in no
lexicon and no word list) for any other letter, punctuation and spaces kept; an 11-digit mobile
number keeps its ``1[3-9]`` prefix.  That is what makes the analyses equal: message lengths,
word boundaries, the contact-handle and URL patterns and every lexicon cue of the text around a
name are what they were, and ``name(QQ号)`` join lines still parse.  Pseudonyms are injective
over the copy's values (a rare collision of two short values is resolved by a second HMAC
round), and none equals an original value or a word of the copied texts.  A text whose flags a
pseudonym changes in context (a cue read across the name) keeps one short edge of that name
occurrence (``keep_flags_in_context``); the words of URL paths and e-mail addresses are masked
through one table per copy, so a word gets one mask in every message.

Message text is kept (names and contacts replaced), because every analysis reads it (acts,
lexicon flags, floods, duplicates, reply evidence are computed from the text on each run), so a
copy without text could not give the same roles, risk or prune; the copy therefore still
contains what people wrote, minus names and contact details (say so when sharing it).

Message keys are re-keyed with a keyed 64-bit permutation (they hash the original ids), group
keys follow from the pseudonymised group ids, ``imports.json`` (paths and fingerprints of the
original files) is not copied, and the derived tables are recomputed in the copy when the
source store keeps them.  Everything runs per group over whole columns: each text pass is one
RE2 scan of the group's distinct texts, splitting them around matches and mapping the matched
pieces (a few thousand distinct names, not the messages) through the pseudonym table.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import derived
from .analysis.acts import builtin_rules
from .analysis.lexicon import resolve_lexicon
from .analysis.replies import RULES
from .analysis.text_features import SYSTEM_KINDS, text_flags
from .errors import BadInput, UsageProblem
from .formats.events import NAME_SEPARATORS, clean_name, split_names
from .members import normalise_names, role_from_title
from .private import make_dirs, write_text
from .schema import MESSAGES, conform
from .store import Store, group_key

KEY_BYTES = 32
PREFIX = RULES.min_prefix                # shorter prefixes of a nick address nobody (analysis.replies)
RETRIES = 64                             # pseudonym attempts that must keep the value's text flags
KEEP_FROM = 8                            # from this attempt on, one short piece of the value is kept (_kept_window)
KEEP_MAX = 3                             # ... of at most this many characters (吗, 可以, ❤️)
RESERVED = frozenset({"", "system", "self", "系统消息", "@all", "all", "全体成员", "所有人", "@全体成员", "@所有人"})
# WhatsApp notices call the exporting account "You" ("X added You"; whatsapp_txt maps it to --self when
# given): the export's word for "me", like "self", kept as it is unless a member really bears it as a name
EXPORTER_WORDS = frozenset({"You", "you", "Du", "Tú"})
CANONICAL_TITLE = {"owner": "群主", "admin": "管理员", "member": "成员"}
_RARE = (0x3400, 0x4DBF + 1)            # CJK Extension A: real characters, in no lexicon or word list
_RARE_N = _RARE[1] - _RARE[0]
# acts.py's _EMOJI ranges: an emoji of a name becomes another emoji (an emoji-only text stays one)
_EMOJI_RANGES = ((0x2600, 0x27BF), (0x1F000, 0x1FAFF), (0x2B50, 0x2B50), (0x2B55, 0x2B55))
# q, v, x and w spell the contact words of the handle pattern (q, v, qq, vx, wx, weixin), w and k follow
# a number as a price (3w, 5k): a value keeps its own and a pseudonym never gains one, so "…y 2333333"
# does not become a "q 2333333" contact
_HANDLE_LETTERS = frozenset("qvxwkQVXWK")
_LETTERS = "abcdefghijlmnoprstuyz"
_MOBILE = re.compile(r"1[3-9]\d{9}")
_EMAIL = r"[a-z0-9_.+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+"
_EMAIL_RE = re.compile(_EMAIL, re.I)
_NAMED_ID = re.compile(r"^(?P<name>.*?)\((?P<id>\d{5,12})\)$")   # members.py's "name(QQ号)"
# contact details in text: e-mail, URL, WeChat id, an id after a contact word (QQ/WeChat), a mobile number;
# a bare number is left alone ("2333333" is laughter; member ids are replaced as names)
CONTACTS = (_EMAIL + r"|(?:https?://|www\.)[^\s<>\"'，。！？、]+"
            r"|wxid_[a-z0-9_-]+"
            r"|(?:微信|weixin|wx|vx|v信|qq|扣扣|薇|威信)\s*号?\s*[:：\s]\s*[a-z_-]{0,15}\d[a-z0-9_-]{2,15}"
            r"|\b1[3-9]\d{9}\b")
_URL_START = re.compile(r"^(?:https?://|www\.)", re.I)
_URL_HOST = re.compile(r"^(?:https?://)?[^/?#]+", re.I)
_URL_WORDS = frozenset({"http", "https", "www", "com", "cn", "net", "org", "html", "htm", "php", "qq", "weixin"})
# the same words inside a name shaped like a site ("corp.example.com"): kept, so an e-mail or URL in text
# that contains the name is still one (the ad and contact cues read the ".com")
_DOMAIN_WORDS = re.compile(r"(?i)(?<=\.)(?:com|cn|net|org|html?|php)\b|\bwww(?=\.)|\bhttps?(?=://)")
_CONTACT_WORD = re.compile(r"^(?P<w>(?:微信|weixin|wx|vx|v信|qq|扣扣|薇|威信)\s*号?\s*[:：\s]\s*)(?P<id>.*)$", re.I)
_WORDCHAR = re.compile(r"[A-Za-z0-9_]")
# the words a name is read as in text: replies._named's split plus the separators of its LEAD_RE ("名字：")
_WORD_SEPARATORS = r"[\s,.;:!?()<>\[\]\"'：，@]+"
_SEPARATOR_RE = re.compile(NAME_SEPARATORS)
# an ASCII name that is a word of the group's text ("You", "Hi", "May"): in more than
# replies.RULES.common_name of the messages and more than COMMON_MIN of them, it is left in text
# (the reply evidence ignores it as a word too); it is still replaced in every column
COMMON_MIN = 20
WHOLE = ("group_id", "group_name", "member_id", "member_name")   # result fields holding one whole name or id
_SEPARATORS = ("\x00", "\ufdd0", "\U0010fffe")   # never in chat text; the first absent one splits
_CHUNK = 800                                       # names per RE2 alternation (program size stays small)
_PROBE = 100                                       # names per alternation that only finds the texts to replace in


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def load_key(path: Path | None) -> tuple[bytes, str]:
    """(key, where it came from): read ``path`` (hex) if it exists, else a new random key, written to
    ``path`` (0600) when given so that a later run gives the same pseudonyms."""
    if path is None:
        return new_key(), "a random key, not kept (pseudonyms differ on every run; --key-file keeps one)"
    path = Path(path).expanduser()
    if path.exists():
        raw = path.read_text(encoding="utf-8").strip()
        try:
            key = bytes.fromhex(raw)
        except ValueError:
            raise BadInput(f"{path}: not a qunkit key file (expected {KEY_BYTES * 2} hex digits)") from None
        if len(key) < 16:
            raise BadInput(f"{path}: key too short ({len(key)} bytes; expected {KEY_BYTES})")
        return key, f"the key in {path}"
    key = new_key()
    make_dirs(path.parent)
    write_text(path, key.hex() + "\n")
    return key, f"a new key, saved to {path} (keep it private: it links pseudonyms to their originals)"


class Pseudonyms:
    """value -> pseudonym for one copy: keyed, shape-preserving, injective, never an original value.

    Injective *as members match names*: values that ``members.normalise_names`` makes equal
    ("Bob", "@Bob", "Bob ") share one pseudonym core, and no two cores (nor a core and an original)
    are equal, so no pseudonym reads as another member's name once normalised."""

    def __init__(self, key: bytes, kept: Iterable[str] = (), words: Iterable[str] = ()) -> None:
        self._key = key
        self.kept = frozenset(kept)          # values that are no name here (EXPORTER_WORDS): never replaced
        self.words = frozenset(words)        # lower-cased words of the texts (text_words): no pseudonym is one
        self.table: dict[str, str] = {}
        self.cores: dict[str, str] = {}      # normalised value -> pseudonym of it

    def _draws(self, value: str, attempt: int) -> list[int]:
        """One keyed 16-bit draw per character, prefix-preserving: character ``i`` depends on the
        lower-cased value up to ``i`` (the first ``PREFIX`` characters on those together), so two
        values sharing a prefix of ``PREFIX`` or more characters share it in their pseudonyms too
        (reply evidence treats a 3-character prefix of a nick as addressing its owner), while two
        names that share only a surname do not."""
        low = value.lower()
        if len(low) != len(value):          # a character whose lower case is longer: no prefix to keep
            low = value
        head = hmac.new(self._key, f"{attempt}\0{low[:PREFIX]}".encode(), hashlib.sha256).digest()
        draws = [int.from_bytes(head[2 * i:2 * i + 2], "big") for i in range(min(PREFIX, len(value)))]
        for i in range(PREFIX, len(value)):
            d = hmac.new(self._key, f"{attempt}\0{low[:i + 1]}".encode(), hashlib.sha256).digest()
            draws.append(int.from_bytes(d[:2], "big"))
        return draws

    def _shape(self, value: str, attempt: int, cues: bool = True) -> str:
        """A value of the same shape as ``value`` (see the module docstring); with ``cues``, the
        lexicon words inside it stay (``明天会更好`` keeps 明天, which the act cues read).  What
        ``members.normalise_names`` strips (spaces, a leading @) stays around the pseudonym of the
        rest, so ``"@Bob "`` still resolves to Bob's pseudonym."""
        core = value.strip().lstrip("@")     # members.normalise_names, per value
        if core and core != value:
            at = value.index(core)
            return value[:at] + self._shape(core, attempt, cues) + value[at + len(core):]
        if _EMAIL_RE.fullmatch(value):      # an e-mail as an id: the provider stays, as in text (_contact_parts)
            local, _, domain = value.rpartition("@")
            return self._shape(local, attempt, cues) + "@" + domain
        d = self._draws(value, attempt)
        plain = attempt >= 2 * RETRIES or not any(_maps(c) for c in value)   # e.g. a name of punctuation only
        kept = np.zeros(len(value), bool)
        for m in _SEPARATOR_RE.finditer(value if attempt < 2 * RETRIES else ""):   # "A and B" stays two names
            kept[m.start():m.end()] = True
        if not plain:
            kept[:2] = bool(_MOBILE.fullmatch(value))
            if cues:
                for m in _cue_words().finditer(value):
                    kept[m.start():m.end()] = True
            for m in _DOMAIN_WORDS.finditer(value):
                kept[m.start():m.end()] = True
            window = _kept_window(len(value), attempt - KEEP_FROM) if KEEP_FROM <= attempt < RETRIES else None
            if window:
                kept[window[0]:window[1]] = True

        out = []
        for i, c in enumerate(value):
            r = d[i]
            kind = "other" if plain else _maps(c)
            if kept[i] or kind is None:
                out.append(c)
            elif kind == "digit":
                out.append(chr(48 + r % 10))
            elif kind == "lower":
                out.append(_LETTERS[r % len(_LETTERS)])
            elif kind == "upper":
                out.append(_LETTERS[r % len(_LETTERS)].upper())
            elif kind == "emoji":
                pool = _emoji_pool()
                out.append(pool[r % len(pool)])
            else:
                out.append(chr(_RARE[0] + r % _RARE_N))
        return "".join(out)

    def add(self, values: Iterable[str]) -> None:
        """Give every new value its pseudonym.

        A value ``members`` reads as several names or as ``name(QQ号)`` (an invitee list "A，B", a
        quoted name) is composed of the pseudonyms of those names, separators and quotes kept, so the
        copy's join and leave lines name the same members; every other value gets the pseudonym of
        its normalised core (``_add_names``)."""
        new = sorted({str(v) for v in values} - self.table.keys() - RESERVED - self.kept)
        parts = {v: names_in(v) for v in new}
        composite = [v for v in new if parts[v] != [v]]
        self._add_names(sorted(({v for v in new if parts[v] == [v]} | {n for v in composite for n in parts[v]})
                               - self.table.keys() - RESERVED - self.kept))
        originals, taken, alone = set(self.table) | set(new), set(self.table.values()), []
        for v in composite:
            p = compose(v, self.of)
            if p in taken or p in originals:     # a composition that reads as another value: shaped whole
                alone.append(v)
                continue
            taken.add(p)
            self.table[v] = p
        self._add_names(alone)

    def _add_names(self, values: list[str]) -> None:
        """Pseudonyms of ``values`` through their cores (``members.normalise_names``): rounds until no
        two cores share one, none equals an original value or core, and each reads to the text
        analysis exactly as its value does (``same_flags``)."""
        if not values:
            return
        cores = dict(zip(values, normalise_names(np.asarray(values, dtype=object)).tolist(), strict=True))
        cores = {v: c if c and c not in RESERVED else v for v, c in cores.items()}
        originals = set(self.table) | set(values) | set(cores.values()) | set(self.cores)
        taken = set(self.cores.values())

        def refused(v: str, p: str, last: bool) -> bool:
            if p in taken or p in originals or p.lower() in self.words or _holds_original(p, originals):
                return True
            return not last and (len(_SEPARATOR_RE.findall(p)) != len(_SEPARATOR_RE.findall(v)) or new_cues(v, p))

        for c, p in self.shaped(sorted(set(cores.values()) - self.cores.keys()), self._shape, refused):
            taken.add(p)
            self.cores[c] = p
        for v, c in cores.items():
            at = _core_at(v, c)
            self.table[v] = v[:at] + self.cores[c] + v[at + len(c):]

    def shaped(self, values: list[str], make, refused) -> list[tuple[str, str]]:
        """(value, pseudonym) for ``values``: ``make(value, attempt)`` until the pseudonym is not
        ``refused``, is new in this call, and keeps the value's text flags (after ``RETRIES``
        attempts, any unrefused one: a value whose flags no pseudonym keeps is rare)."""
        out, mine = [], set()
        attempt = dict.fromkeys(values, 0)
        pending, batch = list(values), 1
        while pending:      # round 1 tries one pseudonym per value, later rounds 8 at once (one flag pass each)
            tries = [(v, attempt[v] + j) for v in pending for j in range(batch)]
            cand = [make(v, a) for v, a in tries]
            strict = [i for i, (_, a) in enumerate(tries) if a < RETRIES]
            flags_ok = np.ones(len(tries), bool)
            flags_ok[strict] = same_flags([tries[i][0] for i in strict], [cand[i] for i in strict])
            done, nxt = set(), []
            for (v, a), p, ok in zip(tries, cand, flags_ok, strict=True):   # sorted: the smaller value wins a tie
                if v in done:
                    continue
                last = a >= 2 * RETRIES      # nothing kept any more: uniqueness is all that counts
                if p not in mine and not refused(v, p, last) and (last or ok):
                    mine.add(p)
                    out.append((v, p))
                    done.add(v)
            for v in pending:
                if v not in done:
                    attempt[v] += batch
                    nxt.append(v)
            pending, batch = nxt, 8
        return out

    def of(self, value: str) -> str:
        return value if value in RESERVED or value in self.kept else self.table[value]

    def hex(self, value: str, prefix: str) -> str:
        """An opaque keyed id (message ids, file names): no shape to keep."""
        return prefix + hmac.new(self._key, f"hex\0{prefix}\0{value}".encode(), hashlib.sha256).hexdigest()[:16]

    def mix(self, keys: np.ndarray) -> np.ndarray:
        """A keyed permutation of uint64 message keys (xor, odd multiply, xorshift; four rounds)."""
        k = np.frombuffer(hmac.new(self._key, b"msg_key", hashlib.sha256).digest(), dtype=np.uint64)
        x = keys.astype(np.uint64, copy=True)
        with np.errstate(over="ignore"):
            for r in range(4):
                x ^= k[r]
                x *= np.uint64(0x9E3779B97F4A7C15)
                x ^= x >> np.uint64(29)
        return x


@functools.lru_cache(maxsize=1)
def _all_cue_words() -> frozenset[str]:
    return frozenset(w for lex in (resolve_lexicon(None), builtin_rules().cues) for ws in lex.words.values()
                     for w in ws)


@functools.lru_cache(maxsize=1)
def _cue_words() -> re.Pattern:
    """The built-in lexicon and act-cue words of two or more characters, longest first: the ones a
    name may contain without naming anyone (明天, 哈哈, 老师, nb), kept so the text's flags stay."""
    words = sorted({w for w in _all_cue_words() if len(w) >= 2}, key=lambda w: (-len(w), w))
    return re.compile("|".join(re.escape(w) for w in words) or "(?!)", re.I)


def new_cues(value: str, pseudonym: str) -> bool:
    """Whether ``pseudonym`` holds a cue word ``value`` does not ("jd" drawn inside a masked WeChat id).
    Alone it may keep every flag, but next to a contact or a price it makes an ad; the repair that
    then keeps the original's edge in that one text (``keep_flags_in_context``) would give the word
    another spelling there than everywhere else, and the rare words replies share would differ."""
    cues = _cue_words()
    return cues.findall(pseudonym.lower()) != cues.findall(value.lower())


def _holds_original(pseudonym: str, originals: set[str]) -> bool:
    """Does ``pseudonym`` hold an original name inside it, long enough to be read as that name (2
    characters of CJK, 3 ASCII letters, 5 digits)?  A random pseudonym sometimes does ("Mia" inside
    "XMiaX"): it would put the name back into the copy."""
    n = len(pseudonym)
    for i in range(n):
        for j in range(i + 2, min(n, i + _LONGEST_NAME) + 1):
            part = pseudonym[i:j]
            if part != pseudonym and part in originals and (
                    len(part) >= 5 if part.isdigit() else len(part) >= 3 if part.isascii() else True):
                return True
    return False


_LONGEST_NAME = 40   # the longest name part looked for inside a pseudonym


@functools.lru_cache(maxsize=1)
def _emoji_pool() -> str:
    """Pictographs (U+1F300-1F5FF) in no cue or lexicon word: what an emoji of a name becomes."""
    used = set("".join(_all_cue_words()))
    return "".join(c for c in map(chr, range(0x1F300, 0x1F600)) if unicodedata.category(c) == "So" and c not in used)


def _kept_window(n: int, k: int) -> tuple[int, int] | None:
    """The ``k``-th piece of a value of ``n`` characters that an attempt keeps as it is, shortest
    first and from the end (an end-of-question 吗, a 可以, an emoji that is a cue): a name whose every
    pseudonym loses a text flag keeps the piece that carries it.  Never the whole value."""
    for size in range(1, min(KEEP_MAX, n - 1) + 1):
        if k < n - size + 1:
            start = n - size - k
            return start, start + size
        k -= n - size + 1
    return None


def _core_at(value: str, core: str) -> int:
    """Where ``core`` (``value`` normalised) starts in ``value``: after its spaces and leading @s."""
    if core == value:
        return 0
    rest = value.lstrip()
    at = len(value) - len(rest)
    rest = rest.rstrip()
    at += len(rest) - len(rest.lstrip("@"))
    assert value[at:at + len(core)] == core
    return at


def names_in(value: str) -> list[str]:
    """The names ``members`` reads out of ``value`` as a join/leave target: each name of an invitee
    list (``formats.events.split_names``), and of ``name(QQ号)`` the name and the number."""
    out = []
    for name in split_names(value):
        m = _NAMED_ID.match(name.strip().lstrip("@"))
        out += ([m["name"]] if m["name"] else []) + [m["id"]] if m else [name]
    return out


def compose(value: str, of) -> str:
    """``value`` with each name ``names_in`` finds replaced by ``of(name)``; separators, quotes and
    the spaces around the names kept, so ``split_names`` of the result gives the pseudonyms."""
    out = []
    for i, part in enumerate(re.split(f"({NAME_SEPARATORS})", value)):
        core = clean_name(part) if i % 2 == 0 else None
        if not core:
            out.append(part)
            continue
        m = _NAMED_ID.match(core.strip().lstrip("@"))
        if m:
            lead = core[:len(core) - len(core.lstrip().lstrip("@"))]
            new = lead + (of(m["name"]) if m["name"] else "") + f"({of(m['id'])})"
        else:
            new = of(core)
        at = part.index(core)
        out.append(part[:at] + new + part[at + len(core):])
    return "".join(out)


def keep_flags_in_context(original: pa.Array, replaced: pa.Array, read: np.ndarray) -> pa.Array:
    """``replaced`` (names and contact details replaced in ``original``, same lengths) with, in each
    text whose flags the replacement changed, one short edge of one replaced run (at most ``KEEP_MAX`` characters, never a
    whole run) written as in the original, the first such edge that gives the text its flags back.

    A pseudonym keeps the flags of the name alone (``same_flags``) but not always of the sentence
    around it: "在相册里安好了" reads "在…里" (an answer cue) across a name 里安.  A text no edge
    repairs keeps its full replacement (the benchmark counts it).  Only the texts ``read`` marks are
    looked at: a join line's names are read from the event columns, its text is not analysed."""
    diff = pc.fill_null(pc.not_equal(original, replaced), False).to_numpy(zero_copy_only=False)
    changed = np.flatnonzero(diff & read)
    if not len(changed):
        return replaced
    idx = pa.array(changed)
    before, after = original.take(idx).to_pylist(), replaced.take(idx).to_pylist()
    bad = ~same_flags(before, after)
    tries: list[tuple[int, str]] = []
    for k in np.flatnonzero(bad):
        o, n = before[k], after[k]
        if len(o) != len(n):
            continue
        diff = np.frombuffer(o.encode("utf-32-le"), np.uint32) != np.frombuffer(n.encode("utf-32-le"), np.uint32)
        edges = np.flatnonzero(np.diff(np.r_[0, diff.astype(np.int8), 0]))
        for start, end in zip(edges[::2], edges[1::2], strict=True):
            for size in range(1, min(KEEP_MAX, end - start - 1) + 1):
                for a in (start, end - size):
                    tries.append((k, n[:a] + o[a:a + size] + n[a + size:]))
    if not tries:
        return replaced
    ok = same_flags([before[k] for k, _ in tries], [t for _, t in tries])
    out = replaced.to_numpy(zero_copy_only=False).astype(object)
    done = set()
    for (k, t), good in zip(tries, ok, strict=True):
        if good and k not in done:
            done.add(k)
            out[changed[k]] = t
    return pa.array(out, pa.string())


def same_flags(values: list[str], pseudonyms: list[str]) -> np.ndarray:
    """Whether each pseudonym gets every per-text flag its value gets (``text_flags``: lexicon
    categories, contact handles, URLs, @all, "?", the message acts), one vectorised pass each."""
    if not values:
        return np.zeros(0, bool)
    a, b = text_flags(pa.array(values, pa.string())), text_flags(pa.array(pseudonyms, pa.string()))
    return np.logical_and.reduce([np.asarray(a[k]) == np.asarray(b[k]) for k in a])


def _maps(c: str) -> str | None:
    """Which class a character of a value maps within (None: kept, e.g. punctuation and spaces)."""
    if "0" <= c <= "9":
        return "digit"
    if c in _HANDLE_LETTERS:
        return None
    if "a" <= c <= "z":
        return "lower"
    if "A" <= c <= "Z":
        return "upper"
    cat = unicodedata.category(c)
    if cat == "So" and any(lo <= ord(c) <= hi for lo, hi in _EMOJI_RANGES):
        return "emoji"
    return "other" if cat[0] in "LN" or cat == "So" else None


def written_anywhere(v: str) -> bool:
    """Whether a name is long enough to be a name rather than a word piece wherever it is written
    (2+ characters with a non-ASCII one, 3+ ASCII, 5+ digits); a shorter one only after "@"."""
    return len(v) >= 5 if v.isdigit() else len(v) >= 3 if v.isascii() else len(v) >= 2


def in_text_pattern(values: Iterable[str]) -> list[tuple[str, dict[str, str], list[str]]]:
    """(RE2 alternation, matched piece -> lookup key, probes) chunks for the values written inside text.
    The probes split the alternation into small ones that find the texts it matches: RE2's DFA runs out
    of memory on 800 names and falls back to a slow matcher (87 s against 2.6 s over 44,000 real texts),
    while the replacement itself runs on those texts only, with the whole chunk's leftmost-longest choice.

    A value is replaced wherever it occurs when it is long enough to be a name rather than a word
    piece (2+ characters with a non-ASCII one, 3+ ASCII, 5+ digits); a shorter one only as ``@x``.
    A value that is itself a lexicon word is left in text (there it is the word, and its flags count)."""
    alts: dict[str, str] = {}
    words = _cue_words()
    for v in values:
        if v in RESERVED or words.fullmatch(v):   # a name that is a lexicon word (哈哈, 老师) is a word in text
            continue
        alts.setdefault(("" if written_anywhere(v) else "@") + v.lower(), v)
    order = sorted(alts, key=lambda s: (-len(s), s))
    # an ASCII name is a whole word ("ali" is no name inside "quality"); a CJK one has no word boundary.
    # A name may take the "@" before it: RE2 takes the leftmost match, so without it "@16" (a short
    # name, only after @) would win over "16-越哥" starting one character later
    edge = {s: ("" if s.startswith("@") else "@?") + ("\\b" if _WORDCHAR.match(s[0]) else "") + _escape(s)
            + ("\\b" if _WORDCHAR.match(s[-1]) else "") for s in order}
    chunks = []
    for i in range(0, len(order), _CHUNK):
        part = order[i:i + _CHUNK]
        probes = ["(?i)" + "|".join(edge[s] for s in part[j:j + _PROBE]) for j in range(0, len(part), _PROBE)]
        chunks.append(("(?i)" + "|".join(edge[s] for s in part), {s: alts[s] for s in part}, probes))
    return chunks


def unmapper(back: dict[str, str]) -> Callable[[object], object]:
    """A function mapping a result computed on the copy (JSON: dicts, lists, strings) back to the
    original's names with the ``--map-file`` table ``back``: whole-value fields (``WHOLE``) exactly,
    and inside free text (reasons) the pseudonyms long enough to be written in text (as
    ``in_text_pattern``), an ASCII one only as a whole word ("Rage" is no pseudonym in "average")."""
    long = sorted(filter(written_anywhere, back), key=len, reverse=True)
    pat = re.compile("|".join((r"\b" if p[0].isalnum() and p[0].isascii() else "") + re.escape(p)
                              + (r"\b" if p[-1].isalnum() and p[-1].isascii() else "") for p in long)) if long else None

    def text(s: str) -> str:
        return pat.sub(lambda m: back[m.group(0)], s) if pat else s

    def unmap(x: object, field: str = "") -> object:
        if isinstance(x, str):
            return back.get(x, x) if field in WHOLE else text(x)
        if isinstance(x, list):
            return [unmap(v) for v in x]
        if isinstance(x, dict):
            return {k: unmap(v, k) for k, v in x.items()}
        return x

    return unmap


def _escape(s: str) -> str:
    """A literal for RE2: every ASCII character that is not a letter or digit as ``\\x{..}``."""
    return "".join(c if c.isalnum() or not c.isascii() else f"\\x{{{ord(c):x}}}" for c in s)


def _separator(texts: pa.Array) -> str:
    for sep in _SEPARATORS:
        if not pc.any(pc.match_substring(texts, sep)).as_py():
            return sep
    raise BadInput("message text contains every separator qunkit can split on; cannot anonymise it")


def replace_pieces(texts: pa.Array, pattern: str, piece_map, weights: np.ndarray | None = None,
                   probes: list[str] | None = None) -> pa.Array:
    """``texts`` with every match of ``pattern`` replaced by ``piece_map(pieces[, messages])``.

    One RE2 pass marks the matches with a separator, a split turns each text into pieces (odd
    positions are matches), the distinct matched pieces are mapped, and the pieces are joined.
    With ``weights`` (messages per text), ``piece_map`` also gets, per distinct lower-cased piece,
    how many messages contain it.  ``probes``: smaller patterns whose matches together are ``pattern``'s,
    used to find the texts it matches (faster than the whole pattern, see ``in_text_pattern``)."""
    texts = texts.cast(pa.string())
    if not len(texts):
        return texts
    hit = pa.array(np.zeros(len(texts), bool))
    for probe in probes or [pattern]:
        hit = pc.or_(hit, pc.fill_null(pc.match_substring_regex(texts, probe), False))
    if not pc.any(hit).as_py():
        return texts
    rows = pa.array(np.flatnonzero(hit.to_numpy(zero_copy_only=False)))
    sub = pc.take(texts, rows)
    sep = _separator(sub)
    marked = pc.replace_substring_regex(sub, pattern, sep + r"\0" + sep)
    parts = pc.split_pattern(marked, sep)
    flat = parts.flatten()
    offsets = parts.offsets.to_numpy()
    pos = np.arange(len(flat)) - np.repeat(offsets[:-1], np.diff(offsets))
    odd = np.flatnonzero(pos % 2 == 1)
    values = np.asarray(flat.to_numpy(zero_copy_only=False), dtype=object)
    if len(odd):
        uniq, inv = np.unique(values[odd].astype(str), return_inverse=True)
        if weights is None:
            values[odd] = np.asarray(piece_map(list(uniq)), dtype=object)[inv]
        else:
            parent = np.searchsorted(offsets, odd, side="right") - 1
            hits = pd.DataFrame({"piece": pd.Series(uniq[inv]).str.lower().to_numpy(), "text": parent}).drop_duplicates()
            hits["w"] = weights[rows.to_numpy()][hits["text"].to_numpy()]
            per = hits.groupby("piece")["w"].sum()
            counts = per.reindex(pd.Series(uniq).str.lower()).to_numpy()
            values[odd] = np.asarray(piece_map(list(uniq), counts), dtype=object)[inv]
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(values, pa.string())),
                            "")
    out = texts.to_numpy(zero_copy_only=False).astype(object)
    out[rows.to_numpy()] = joined.to_numpy(zero_copy_only=False)
    return pa.array(out, pa.string())


@dataclass
class Anonymizer:
    """The pseudonym table of one copy and the text passes built from it."""

    names: Pseudonyms
    chunks: list[tuple[str, dict[str, str], list[str]]] = field(default_factory=list)
    masked: dict[str, str] = field(default_factory=dict)     # a word of a contact detail -> its mask

    def prepare(self, values: Iterable[str]) -> None:
        self.names.add(values)
        self.chunks = in_text_pattern(self.names.table)

    def text(self, col: pd.Series, contacts: bool = True, spoken: np.ndarray | None = None) -> pa.Array:
        """Names (then contact details) inside a text column replaced; one pass per distinct text.
        ``spoken`` (default: every row) marks the rows whose text the analyses read (not system lines):
        only their texts get ``keep_flags_in_context``."""
        arr = pa.array(col.astype(object).where(col.notna(), None).to_numpy(), pa.string())
        enc = pc.dictionary_encode(arr)
        uniq = enc.dictionary
        codes = enc.indices.to_numpy(zero_copy_only=False)
        weights = np.bincount(codes, minlength=len(uniq))
        read = weights > 0 if spoken is None else np.bincount(codes[spoken], minlength=len(uniq)) > 0
        common = max(COMMON_MIN, RULES.common_name * len(arr))
        original = uniq
        for pattern, lookup, probes in self.chunks:
            uniq = replace_pieces(uniq, pattern, lambda ps, n, lk=lookup: [
                p if c > common and p.isascii() else self._name_piece(p, lk) for p, c in zip(ps, n, strict=True)],
                weights, probes)
        if contacts:
            uniq = replace_pieces(uniq, "(?i)" + CONTACTS, self._contacts)
        return pc.take(keep_flags_in_context(original, uniq, read), enc.indices)

    def event(self, col: pd.Series) -> pa.Array:
        """event_actor / event_target: an invitee list or ``name(QQ号)`` has its pseudonym composed of
        its names' (``Pseudonyms.add``), so ``members`` reads the copy's lines as the original's."""
        return self.exact(col)

    def _name_piece(self, piece: str, lookup: dict[str, str]) -> str:
        key = piece.lower()
        value = lookup.get(key)
        if value is None and key.startswith("@"):    # "@" + a name replaced anywhere
            value = lookup.get(key[1:])
        if value is None:       # a case variant RE2 folded that str.lower() does not: keep its shape
            return self.names._shape(piece, 0)
        return ("@" if key.startswith("@") and not value.startswith("@") else "") + self.names.of(value)

    def _contacts(self, pieces: list[str]) -> list[str]:
        """Contact details of the same shape, each word masked through one table for the whole copy
        (``masked``): a word of a URL path or an e-mail gets the same mask in every message, so the
        rare words the reply evidence shares between messages are shared in the copy too."""
        parts = [_contact_parts(p) for p in pieces]
        words = {b for _, body, _ in parts for i, b in enumerate(_WORD_SPLIT.split(body)) if _masked_word(i, b)}
        new = sorted(words - self.masked.keys())
        taken = set(self.masked.values())
        for v, p in self.names.shaped(new, self.names._shape,
                                      lambda v, p, last: p in taken or (not last and new_cues(v, p))):
            taken.add(p)
            self.masked[v] = p
        return [head + "".join(self.masked[b] if _masked_word(i, b) else b
                               for i, b in enumerate(_WORD_SPLIT.split(body))) + tail
                for head, body, tail in parts]

    def exact(self, col: pd.Series) -> pa.Array:
        """A column of whole values (ids, names), each replaced by its pseudonym (nulls stay)."""
        s = col.astype(object)
        codes, uniq = pd.factorize(s, use_na_sentinel=True)
        mapped = np.asarray([self.names.of(str(v)) for v in uniq] + [None], dtype=object)
        return pa.array(mapped[np.where(codes < 0, len(uniq), codes)], pa.string())

    def title(self, col: pd.Series) -> pa.Array:
        """Titles that name a role become its plain word (roles read it); other titles are pseudonymised."""
        codes, uniq = pd.factorize(col.astype(object), use_na_sentinel=True)
        out = []
        for v in uniq:
            role = role_from_title(v)
            out.append(CANONICAL_TITLE[role] if role else self.names.of(str(v)))
        return pa.array(np.asarray(out + [None], dtype=object)[np.where(codes < 0, len(uniq), codes)], pa.string())

    def mentions(self, col: pd.Series) -> pa.Array:
        lists = pa.array(col.to_numpy(dtype=object), type=pa.list_(pa.string()), from_pandas=True)
        flat = pc.list_flatten(lists)
        if not len(flat):
            return lists
        mapped = self.exact(pd.Series(flat.to_numpy(zero_copy_only=False), dtype=object))
        return pa.ListArray.from_arrays(lists.offsets, mapped, mask=lists.is_null())


_WORD_SPLIT = re.compile(r"([^0-9A-Za-z_]+)")


def _masked_word(i: int, bit: str) -> bool:
    """Whether piece ``i`` of ``_WORD_SPLIT.split`` is a word to mask: not a separator, not http/www/com,
    not one or two characters (the /d/e/ of a path names nobody, and 21 letters cannot mask them all)."""
    return i % 2 == 0 and len(bit) > 2 and bit.lower() not in _URL_WORDS


def _contact_parts(piece: str) -> tuple[str, str, str]:
    """(kept head, body to mask, kept tail) of a contact detail: the words a pattern needs stay
    (微信/qq before an id, an e-mail's provider, a URL's site: the act lexicon knows t.cn, b23.tv ...)."""
    m = _CONTACT_WORD.match(piece)
    if m:
        return m["w"], m["id"], ""
    if "@" in piece and not _URL_START.match(piece):
        local, _, domain = piece.rpartition("@")
        return "", local, "@" + domain
    m = _URL_HOST.match(piece)
    if m:
        return m.group(0), piece[m.end():], ""
    return "", piece, ""


def text_words(messages: pd.DataFrame) -> set[str]:
    """The lower-cased words of a group's texts as the reply evidence splits them (``replies._named``:
    a member's name written as a word addresses them): a pseudonym equal to one of them ("mate") would
    make the copy read an address the original does not have."""
    text = pa.array(messages["text"].astype(object).where(messages["text"].notna(), "").to_numpy(), pa.string())
    words = pc.unique(pc.list_flatten(pc.split_pattern_regex(pc.utf8_lower(text), _WORD_SEPARATORS)))
    return set(words.to_pylist()) - {""}


def exporter_words(messages: pd.DataFrame) -> set[str]:
    """The ``EXPORTER_WORDS`` a WhatsApp group's notices use for the exporting account (whole values or
    one name of an invitee list): ``values_of`` leaves them out of the event columns."""
    rows = messages["platform"].astype(str).to_numpy() == "whatsapp"
    vals = pd.concat([messages.loc[rows, c].dropna().astype(str) for c in ("event_actor", "event_target")])
    return {n for v in vals.unique() for n in names_in(v)} & EXPORTER_WORDS


def values_of(messages: pd.DataFrame, roster: pd.DataFrame | None, meta: dict) -> set[str]:
    """Every id and name of one group: what gets a pseudonym (titles that name a role excepted;
    WhatsApp's "You" of the exporting account in its notices, ``exporter_words``, neither)."""
    pronouns = exporter_words(messages)
    out = {str(meta.get("group_id", "")), str(meta.get("group_name", "")), *map(str, meta.get("names", []))}
    for col in ("group_id", "group_name", "sender_id", "sender_name"):
        out |= set(messages[col].astype(str).unique())
    if "sender_account_name" in messages:
        out |= set(messages["sender_account_name"].dropna().astype(str).unique())
    titles = messages["sender_title"].dropna().astype(str).unique()
    out |= {t for t in titles if role_from_title(t) is None}
    ment = messages["mentions"].dropna()
    if len(ment):
        out |= {str(v) for v in ment.explode().dropna().unique()}
    for col in ("event_actor", "event_target"):     # the names inside a list: Pseudonyms.add
        out |= set(messages[col].dropna().astype(str).unique()) - pronouns
    if roster is not None and len(roster):
        for col in ("member_id", "member_name"):
            if col in roster:
                out |= set(roster[col].dropna().astype(str).unique())
    return {v for v in out if v not in RESERVED}


def spoken_rows(m: pd.DataFrame) -> np.ndarray:
    """The rows the text analyses read (text_features: not a system line, a recall or an event)."""
    system = m["kind"].astype(str).isin(SYSTEM_KINDS) | (m["sender_id"].astype(str) == "system") | m["event"].notna()
    return ~system.to_numpy()


def anonymize_messages(m: pd.DataFrame, an: Anonymizer) -> pa.Table:
    """One group's MESSAGES rows with every name and id replaced (same rows, same order)."""
    n = len(m)
    src = m["source_file"].astype(str)
    files = {f: an.names.hex(f, "file-") + Path(f).suffix.lower()[:8] for f in src.unique()}
    mid = {c: m[c].astype(object).where(m[c].notna(), None).map(str, na_action="ignore") for c in ("msg_id", "reply_to")}
    ids = pd.unique(pd.concat([mid["msg_id"].dropna(), mid["reply_to"].dropna()]).astype(str))
    hexed = {v: an.names.hex(v, "m") for v in ids}
    cols = {c: pa.array(m[c].astype(str).to_numpy(dtype=object), pa.string())
            for c in ("platform", "source_format", "chat_type", "tz", "kind")}
    cols.update({
        "group_id": an.exact(m["group_id"]), "group_name": an.exact(m["group_name"]),
        "ts": pa.array(m["ts"], MESSAGES.field("ts").type),
        "sender_id": an.exact(m["sender_id"]), "sender_name": an.exact(m["sender_name"]),
        "sender_title": an.title(m["sender_title"]),
        "sender_account_name": an.exact(m["sender_account_name"]) if "sender_account_name" in m
        else pa.nulls(n, pa.string()),
        "text": pc.fill_null(an.text(m["text"], spoken=spoken_rows(m)), ""),
        "event": pa.array(m["event"].astype(object).where(m["event"].notna(), None).to_numpy(), pa.string()),
        "event_actor": an.event(m["event_actor"]), "event_target": an.event(m["event_target"]),
        "mentions": an.mentions(m["mentions"]),
        "reply_to": pa.array(mid["reply_to"].map(hexed).to_numpy(dtype=object), pa.string(), from_pandas=True),
        "msg_id": pa.array(mid["msg_id"].map(hexed).to_numpy(dtype=object), pa.string(), from_pandas=True),
        "msg_key": pa.array(an.names.mix(m["msg_key"].to_numpy(np.uint64)), pa.uint64()),
        "source_file": pa.array(src.map(files).to_numpy(dtype=object), pa.string()),
        "source_line": pa.array(m["source_line"].to_numpy(np.int64), pa.int64()),
    })
    assert all(len(a) == n for a in cols.values())
    return conform(pa.table(cols))


def anonymize_roster(roster: pd.DataFrame, an: Anonymizer) -> pd.DataFrame:
    out = roster.copy()
    for col in ("member_id", "member_name"):
        if col in out:
            mapped = an.exact(out[col]).to_pandas()
            out[col] = mapped.where(out[col].notna(), None)
    return out


@dataclass
class Copied:
    """What ``anonymize`` wrote: one row per group, and the pseudonym table (pseudonym -> original)."""

    rows: list[dict]
    reverse: dict[str, str]


def check_destination(source: Store, dest: Path) -> Path:
    """``dest`` if a copy may be written there: absent or an empty folder, and not inside the source."""
    dest = Path(dest).expanduser()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise UsageProblem(f"--to {dest}: exists and is not an empty folder (the copy is always a new store)")
    src_root, dest_abs = source.root.resolve(), dest.resolve()
    if dest_abs == src_root or src_root in dest_abs.parents:
        raise UsageProblem(f"--to {dest}: inside the source store {source.root}")
    return dest


def anonymize(source: Store, dest: Path, groups: Iterable[str] = (), key: bytes | None = None) -> Copied:
    """Write an anonymised copy of ``groups`` (default all) of ``source`` as a new store at ``dest``.

    ``dest`` must not exist or be an empty folder, and may not lie inside the source store."""
    dest = check_destination(source, dest)
    keys = source.keys_for(groups)
    metas = source.metas()
    loaded, values, pronouns, words = [], set(), set(), set()
    for k in keys:      # pass 1: every name of every copied group, so text in one names members of another
        msgs = source.messages([k])
        roster = source.rosters([k]).get(metas[k]["group_id"])
        values |= values_of(msgs, roster, metas[k])
        pronouns |= exporter_words(msgs)
        words |= text_words(msgs)
        loaded.append((k, roster))
    # a member called "You" is a name; a pseudonym is no word of any copied text
    an = Anonymizer(Pseudonyms(key or new_key(), kept=pronouns - values, words=words))
    an.names.add(values)    # at once: no pseudonym equals an original value of any copied group
    an.chunks = in_text_pattern(an.names.table)
    out = Store(dest)
    rows = []
    with out.lock():
        if derived.enabled(source):
            derived.enable(out)
        for k, roster in loaded:
            table = anonymize_messages(source.messages([k]), an)
            meta = metas[k]
            gid, platform = an.names.of(meta["group_id"]), meta["platform"]
            nk = group_key(platform, gid)
            out.commit([out.write_part(nk, [table])])
            names = [an.names.of(str(n)) for n in meta.get("names", [meta["group_name"]])]
            out.update_meta(nk, platform=platform, group_id=gid, names=names,
                            latest=an.names.of(meta["group_name"]), chat_type=meta.get("chat_type", "group"))
            if roster is not None:
                out.write_roster(nk, anonymize_roster(roster, an))
            derived.refresh_stale(out, [nk])
            rows.append({"group_name": an.names.of(meta["group_name"]), "group_key": nk,
                         "messages": table.num_rows,
                         "senders": len(set(pc.unique(table.column("sender_id")).to_pylist()) - RESERVED),
                         "roster": roster is not None})
    reverse = {p: v for v, p in an.names.table.items()}
    return Copied(rows=rows, reverse=reverse)
