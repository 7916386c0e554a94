"""Message acts: what a message *does* (asks, answers, announces, complains ...), with polarity and target.

The lexicon flags in ``text_features`` say which words a message contains; an act
also needs who or what the words are about.  "这种群规太离谱了" contains 群规 but
complains about the rules; "欢迎加入某某科技" contains 欢迎 but recruits; "明晚的直播
几点开始？" names an event but asks about it; "哈哈哈？" has a question mark but is
banter.  So every act is a combination of cues (``qunkit/data/acts.json``, users
can extend it) decided here in code:

- ``question``  asks for information (?, 请问, 吗 at the end ...), but not laughter
  with a "?", a rhetorical complaint (凭什么, 说好的...呢) or an ad;
- ``answer``    what the *text* says: an explanation or advice ("你可以试试...",
  "应该是...", "我一般..."). Whether a message answers someone needs reply links
  (``analysis/replies.py``, being built now); that link-based answer comes later
  and should be combined with this one, not replace it;
- ``notice``    announcements and event notices (【通知】, @所有人, an event with a
  time or an arrangement verb), never a question about an event;
- ``rule``      rule reminders in the rule-giver's voice (禁止/请勿/违者/不要...),
  not complaints about the rules;
- ``welcome``   welcoming newcomers, not "欢迎加入<公司>" (recruiting, an ``ad``),
  not "欢迎提问/欢迎下单", not the newcomer's own hello;
- ``complaint`` criticism of the group, its rules, its management or content:
  strong complaint words, rhetorical questions, or a target word (群主, 管理员,
  群规, 分享, 活动 ...) followed by a negation (不/没/别) in the same clause;
- ``banter``    laughter, 网络用语, emoji-only texts, stickers and red packets;
- ``ad``        sales and recruiting: two pieces of evidence (price + contact,
  recruiting + contact/link/company, sales word + contact ...);
- ``ack``       low-content replies ("1", 收到, 好的, 👍, 早安, 没问题).

Speed: every cue is one RE2 pass (pyarrow) over the *distinct* texts.  jieba only
segments the few texts where word boundaries decide the polarity: those with a
target word and a 不/没/别 (whether 不 is a negation or part of 不错/不用/别人, and
whether it negates 允许 in a rule or 遵守 in a complaint).  Full segmentation of
every distinct text was measured and rejected (``benchmarks/bench_acts.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import BadInput
from ..formats.kinds import classify_kinds
from . import segmenter
from .lexicon import Lexicon
from .textscan import HANDLE, _arrow, _codes, _run_regexes

ACTS = ("question", "answer", "notice", "rule", "welcome", "complaint", "banter", "ad", "ack")
# main_act: the first act a text carries in this order (an ad that says 欢迎 is an ad first)
MAIN_ORDER = ("ad", "complaint", "rule", "notice", "welcome", "question", "answer", "banter", "ack")
NO_ACT = "none"
QUESTION_CHARS = 14      # a bare 怎么/为什么 without "?" in a longer text is narration ("不知道为什么")
ANSWER_MIN_CHARS = 6     # "试试" alone is a reaction, "你可以试试重启路由器" is advice
BANTER_KINDS = ("sticker", "redpacket", "transfer", "pat")
TEXTUAL_KINDS = ("text", "link", "announcement", "forward")
_CORE_CUES = ("ack_full", "q_end", "emoji_only", "ack_emoji")
# cues in acts.json that are not acts: what a group talks about, counted per group by analysis.grouptype
TOPIC_CUES = ("kin", "daily_life", "help_link", "task_work", "study", "work", "share")
_LEADING_AT = r"^(?:[@＠]\S+\s*)+"
_EMOJI = r"[\x{2600}-\x{27BF}\x{1F000}-\x{1FAFF}\x{FE0F}\x{200D}\x{2B50}\x{2B55}]"
_CLAUSE = re.compile(r"^[，,。.！!？?；;~～…\s]+$")


@dataclass
class ActRules:
    """Cue regexes (a ``Lexicon`` keyed by cue name) and jieba token lists."""

    cues: Lexicon
    tokens: dict[str, list[str]] = field(default_factory=dict)

    def extend(self, other: ActRules) -> ActRules:
        tokens = {k: list(v) for k, v in self.tokens.items()}
        for k, v in other.tokens.items():
            tokens.setdefault(k, []).extend(w for w in v if w not in tokens[k])
        return ActRules(self.cues.extend(other.cues), tokens)


def _rules_from_mapping(data: dict, source: str, known: set[str] | None = None) -> ActRules:
    cues = Lexicon()
    for name, entry in (data.get("cues") or {}).items():
        if known is not None and name not in known:
            raise BadInput(f"{source}: unknown act cue {name!r}; known: {', '.join(sorted(known))}")
        if isinstance(entry, list):
            entry = {"words": entry}
        cues.words[name] = [str(w) for w in entry.get("words", [])]
        cues.patterns[name] = [str(p) for p in entry.get("patterns", [])]
        for p in cues.patterns[name]:
            try:
                pc.match_substring_regex(pa.array([""]), p)
            except Exception as exc:  # pyarrow raises ArrowInvalid for RE2 errors
                raise BadInput(f"{source}: bad pattern {p!r} in cue {name!r}: {exc}") from exc
    tokens = {k: [str(w) for w in v] for k, v in (data.get("tokens") or {}).items()}
    return ActRules(cues, tokens)


@lru_cache(maxsize=1)
def builtin_rules() -> ActRules:
    text = resources.files("qunkit").joinpath("data/acts.json").read_text(encoding="utf-8")
    return _rules_from_mapping(json.loads(text), "qunkit/data/acts.json")


def resolve_rules(rules: ActRules | dict | str | Path | None) -> ActRules:
    """The built-in cues, extended by a user's JSON file or mapping of the same shape."""
    if isinstance(rules, ActRules):
        return rules
    base = builtin_rules()
    if rules is None:
        return base
    if isinstance(rules, dict):
        data, source = rules, "act rules"
    else:
        p = Path(rules)
        try:
            data = json.loads(p.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadInput(f"{p}: cannot read act rules: {exc}") from exc
        source = str(p)
    return base.extend(_rules_from_mapping(data, source, set(base.cues.words) | set(base.cues.patterns)))


def _as_array(texts: pa.Array | pa.ChunkedArray | Sequence[str] | pd.Series) -> pa.Array:
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    if isinstance(texts, pa.Array):
        arr = texts if pa.types.is_string(texts.type) else texts.cast(pa.string())
    elif isinstance(texts, pd.Series):
        arr = _arrow(texts, pa.string())
    else:
        arr = pa.array(list(texts), type=pa.string())
    return arr.fill_null("")


def _negated_targets(texts: list[str], rules: ActRules, cut: Callable[[str], list[str]]) -> np.ndarray:
    """True where a target word is followed, in the same clause, by a negation (群主从来不管, 分享没了).

    Needs word boundaries: 不错/不用/别人/不要 are words, not negations; 不允许 after 群规
    is the rule itself, 不遵守 after 管理员 is a complaint; 我没 is the speaker's own.
    """
    neg = set(rules.tokens.get("negation", []))
    skip = set(rules.tokens.get("not_negation_after", []))
    rule_verb = set(rules.tokens.get("rule_verb", []))
    selves = set(rules.tokens.get("self", []))
    target = re.compile("|".join(re.escape(w) for w in rules.cues.words.get("target", []) if w) or "(?!)",
                        re.IGNORECASE)
    out = np.zeros(len(texts), dtype=bool)
    for i, text in enumerate(texts):
        toks = [t for t in cut(text) if t.strip()]
        seen_target = False
        for j, tok in enumerate(toks):
            if tok in selves or _CLAUSE.match(tok):     # 活动我没赶上: the speaker, not the target
                seen_target = False
            elif target.search(tok):
                seen_target = True
            elif seen_target and tok in neg:
                nxt = toks[j + 1] if j + 1 < len(toks) else ""
                if nxt not in skip and nxt not in rule_verb:
                    out[i] = True
                    break
    return out


def _target_then_negation(rules: ActRules) -> str | None:
    """RE2 prefilter: a target word, then 不/没/别 later in the same clause (the only texts jieba sees)."""
    words = [re.escape(w) for w in rules.cues.words.get("target", []) if w]
    return f"(?:{'|'.join(words)})[^，,。.！!？?；;~～…]*[不没别]" if words else None


@lru_cache(maxsize=4)
def _jieba_cut(words: tuple[str, ...] = ()) -> Callable[[str], list[str]]:
    """A private jieba tokenizer that knows the cue words (群规 stays one word without HMM guessing).

    Private so that adding words does not change jieba for anyone else in the process.
    """
    tok = segmenter.tokenizer()
    for w in words:
        tok.add_word(w)
    return lambda s: tok.lcut(s, HMM=False)


def _classify_distinct(uniq: pa.Array, rules: ActRules, cut: Callable[[str], list[str]] | None = None
                       ) -> pd.DataFrame:
    """Acts of each distinct text (one row per element of ``uniq``).

    ~85 lines on purpose: every RE2 pass is submitted at once (one thread pool over the distinct
    texts), and the polarity/target rules then combine their ~20 boolean arrays; split, those
    arrays would travel between the pieces."""
    names = sorted(set(rules.cues.words) | set(rules.cues.patterns))
    jobs = {c: ("match", rules.cues.regex(c)) for c in names if c not in _CORE_CUES and c not in TOPIC_CUES}
    jobs["handle"] = ("match", HANDLE)
    jobs["n_recruit"] = ("count", rules.cues.regex("recruit"))
    jobs["n_ad"] = ("count", rules.cues.regex("ad_word"))
    jobs["n_soft"] = ("count", rules.cues.regex("complaint_soft"))
    jobs["target_neg"] = ("match", _target_then_negation(rules))
    stripped = pc.utf8_trim_whitespace(uniq)
    # ack, end-of-question and emoji cues look past a leading @name and (for ack / 吗) past emoji
    addressed = pc.utf8_trim_whitespace(pc.replace_substring_regex(stripped, _LEADING_AT, ""))
    core = pc.utf8_trim_whitespace(pc.replace_substring_regex(addressed, _EMOJI, ""))
    c = _run_regexes(stripped, jobs)
    c.update(_run_regexes(core, {k: ("match", rules.cues.regex(k)) for k in ("ack_full", "q_end")}))
    c.update(_run_regexes(addressed, {k: ("match", rules.cues.regex(k)) for k in ("emoji_only", "ack_emoji")}))
    z = np.zeros(len(uniq), dtype=bool)
    c = {k: c.get(k, z) for k in (*names, "handle", "n_recruit", "n_ad", "n_soft", "target_neg")}
    length = pc.utf8_length(stripped).to_numpy(zero_copy_only=False).astype(np.int32)
    core_len = pc.utf8_length(core).to_numpy(zero_copy_only=False).astype(np.int32)

    maybe = np.flatnonzero(c["target_neg"])
    neg_target = np.zeros(len(uniq), dtype=bool)
    if len(maybe):
        sub = uniq.take(pa.array(maybe)).to_pylist()
        known = tuple(sorted({*rules.cues.words.get("target", []), *rules.tokens.get("negation", []),
                              *rules.tokens.get("rule_verb", [])}))
        neg_target[maybe] = _negated_targets(sub, rules, cut or _jieba_cut(known))

    ack = (c["ack_full"] & (core_len > 0)) | (c["ack_emoji"] & (length > 0))
    emoji = c["emoji_only"] & ~c["ack_emoji"] & (length > 0)
    laughing = c["laugh"] | c["banter_word"] | emoji
    contact = c["contact"] | c["handle"]
    recruit_join = c["welcome_join"] & ~c["join_group"]
    recruiting = recruit_join | (c["recruit_strong"] & ((c["n_recruit"] >= 2) | c["company"] | c["welcome_word"]))
    sales = c["ad_word"] | c["price"]
    asking = c["qmark"] | c["q_strong"] | c["q_choice"] | c["q_ask"]
    # talk about offers and prices ("内推码哪个好?") is not an ad: a question needs a contact or link to sell
    ad = (((c["price"] & c["ad_word"]) | (c["recruit"] & c["ad_word"])
           | recruiting | (c["n_ad"] >= 3)) & ~asking)
    ad |= ((contact | c["url"]) & (sales | recruiting)) | (c["handle"] & (c["n_ad"] + c["n_recruit"] >= 1))
    # a rule reminder names ads and recruiting without selling anything
    ad &= ~(c["rule_word"] & ~c["handle"] & ~c["price"] & ~c["url"])

    asks = c["q_ask"]
    complaint = (c["complaint_strong"] | c["rhetorical"] | ((c["sarcasm"] | c["complaint_degree"]) & c["target"])
                 | ((neg_target | (c["complaint_soft"] & c["target"]
                                   & ((c["n_soft"] >= 2) | c["qmark"] | c["neg_char"])))
                    & ~c["answer_word"] & ~asks & ~c["q_end"]))
    complaint &= ~ad & ~ack

    laugh_q = laughing & ~c["q_strong"]      # 哈哈哈？/ 笑死这是什么: banter, unless it really asks
    weak_q = c["q_weak"] & ~c["q_not"] & (core_len <= QUESTION_CHARS)
    qform = c["qmark"] | c["q_strong"] | c["q_choice"] | c["q_end"] | weak_q
    question = qform & ~laugh_q & ~ad & ~ack & ~(complaint & ~asks)
    # "要看有没有霉斑" is advice: a question word without "?" inside a longer explanation
    question &= ~(c["answer_word"] & ~c["qmark"] & ~asks & ~c["q_strong"] & ~c["q_head"] & ~c["q_end"]
                  & (length > 12))

    rule_voice = c["rule_voice"]
    # 不准/不要发 are rules only about the group's conduct ("爸妈不准", "不要发几毛" are not)
    rule = c["rule_word"] & (rule_voice | c["rule_context"]) & ~(complaint & ~rule_voice) & ~(question & ~rule_voice) & ~ad
    question &= ~(rule & rule_voice & ~c["qmark"])
    welcome = (c["welcome_word"] & ~c["welcome_not"] & ~recruiting & ~complaint
               & ~((c["newcomer_self"] | question | rule) & ~c["welcome_verb"]))
    welcome &= ~(ad & ~c["welcome_verb"])
    question &= ~(welcome & ~c["qmark"])

    # "我明天还有考试" is the speaker's own plan, not a notice to the group
    eventish = (c["event_word"] & (c["time_word"] | c["notice_verb"]) & ~c["past"] & ~c["personal"]
                & (length >= 4))
    plain = ~question & ~complaint & ~ad
    notice = ((c["notice_head"] & ~complaint & ~ad & ~(question & ~eventish & ~c["notice_verb"])
               & ~(rule & ~(eventish | c["time_word"] | c["notice_verb"])))
              | ((c["notice_mark"] | c["notice_weak"]) & (eventish | c["notice_verb"] | c["time_word"]) & plain
                 & ~rule)
              | (eventish & plain & ~rule))
    answer = (c["answer_word"] & ~question & ~ad & ~notice & ~rule & ~welcome & ~complaint & ~ack
              & (length >= ANSWER_MIN_CHARS))
    banter = laughing & ~ad & ~ack
    out = pd.DataFrame({"question": question, "answer": answer, "notice": notice, "rule": rule,
                        "welcome": welcome, "complaint": complaint, "banter": banter, "ad": ad, "ack": ack})
    out["main_act"] = _main_act(out)
    return out


def _main_act(flags: pd.DataFrame) -> pd.Categorical:
    """The first act of MAIN_ORDER each row carries, or ``none``."""
    codes = np.full(len(flags), len(MAIN_ORDER), dtype=np.int8)
    for i, act in reversed(list(enumerate(MAIN_ORDER))):
        codes = np.where(flags[act].to_numpy(), i, codes)
    return pd.Categorical.from_codes(codes, categories=[*MAIN_ORDER, NO_ACT])


def classify_texts(texts: pa.Array | Sequence[str], lexicon: ActRules | dict | str | Path | None = None, *,
                   cut: Callable[[str], list[str]] | None = None) -> pd.DataFrame:
    """One row per input text: a boolean column per act (a text can carry several) and ``main_act``.

    Repeated texts are classified once.  ``lexicon`` extends ``acts.json`` (a path or
    a mapping of the same shape); ``cut`` swaps the word segmenter (jieba by default;
    the benchmark passes rjieba to compare).
    """
    arr = _as_array(texts)
    if not len(arr):
        return _classify_distinct(arr, resolve_rules(lexicon), cut).iloc[:0].reset_index(drop=True)
    enc = pc.dictionary_encode(arr)
    per_text = _classify_distinct(enc.dictionary, resolve_rules(lexicon), cut)
    codes = enc.indices.to_numpy(zero_copy_only=False)
    return per_text.iloc[codes].reset_index(drop=True)


def message_acts(messages: pd.DataFrame, lexicon: ActRules | dict | str | Path | None = None) -> pd.DataFrame:
    """Acts of every message (same index and order as ``messages``), each distinct text classified once.

    The message ``kind`` is context: stickers, red packets, transfers and pats are
    banter; an ``announcement`` is a notice; media, system lines and a ``text``
    body that is only a placeholder ("[图片]") carry no act, except placeholder
    stickers ("[表情]", "[捂脸]") and red packets, which are banter.
    """
    n = len(messages)
    text = _as_array(messages["text"]) if "text" in messages.columns else pa.array([""] * n, pa.string())
    if "kind" in messages.columns and n:
        kcode, klabels = _codes(messages["kind"])
    else:
        kcode, klabels = np.zeros(n, np.int64), np.array(["text"], dtype=object)
    klabels = np.append(klabels, "text")                  # a missing kind is read as text
    kcode = np.where(kcode < 0, len(klabels) - 1, kcode)
    enc = pc.dictionary_encode(text)
    uniq = enc.dictionary
    codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    per_text = _classify_distinct(uniq, resolve_rules(lexicon))
    # a text body that is only a placeholder takes the placeholder's kind ("[表情]" is a sticker)
    body = np.asarray(classify_kinds(pd.Series(uniq.to_pylist(), dtype=object)).to_numpy(), dtype=object)
    is_text = (klabels == "text")[kcode]
    textual = np.where(is_text, (body == "text")[codes], np.isin(klabels, TEXTUAL_KINDS)[kcode])
    banter_kind = np.where(is_text, np.isin(body, BANTER_KINDS)[codes], np.isin(klabels, BANTER_KINDS)[kcode])
    out = pd.DataFrame({a: per_text[a].to_numpy()[codes] & textual for a in ACTS}, index=messages.index)
    out["banter"] |= banter_kind
    out["notice"] |= (klabels == "announcement")[kcode]
    out["main_act"] = _main_act(out)
    return out
