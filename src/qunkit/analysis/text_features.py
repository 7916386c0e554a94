"""Per-message features shared by activity, roles and risk.

Everything runs over whole columns: texts are dictionary-encoded once and each
lexicon category is one RE2 pass (pyarrow's string kernels) over the *distinct*
texts (chat logs repeat "1", "哈哈", "[图片]" endlessly), then integer
arithmetic on sorted arrays finds replies, answers and floods.  No per-message
Python and no word segmentation: ``jieba.lcut`` took 11 s per 100,000 messages
here (about two minutes per million, ten times the whole analysis), while
substring lists already catch the phrases the roles need
(``benchmarks/bench_analysis.py --jieba`` measures it again).

Each distinct text also gets its message acts (``qunkit.analysis.acts``: ``act_question``,
``act_complaint`` ...); ``text_flags`` is the one function that computes every per-text flag, so
that a per-group cache can store its result keyed by text.  The store's facts keep them per message
(packed, ``FLAG_BITS``); given as the ``STORED_FLAGS`` columns, ``prepare_features`` scans no text.  The roles engine counts acts; activity
and risk still read the lexicon flags (``question``, ``noise`` ...), which keep their meaning.

A message "got a reply" when one of these happened (the three ways a chat shows
a response):

- another member spoke next within ``REPLY_WINDOW`` (the first message of the
  next speaker's turn; a burst of messages by one person is one turn),
- someone @-mentioned its sender within ``MENTION_WINDOW`` afterwards,
- someone quoted it (``reply_to``).

A question counts as answered on the same evidence with the longer
``ANSWER_WINDOW``: people answer questions hours later, banter within minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..localtime import DEFAULT_TZ
from ..members import alias_index, resolve_names
from .acts import ACTS, ActRules, _classify_distinct, resolve_rules
from .lexicon import Lexicon, resolve_lexicon
from .textscan import HANDLE, _arrow, _codes, _run_regexes

__all__ = ["ACT_COLUMNS", "FLAG_BITS", "HANDLE", "STORED_FLAGS", "Features", "PreparedFeatures", "compute_features",
           "pack_flags", "prepare_features", "text_flags", "to_datetime_utc", "ts_ns"]

REPLY_WINDOW = pd.Timedelta(minutes=10)
ANSWER_WINDOW = pd.Timedelta(hours=2)
MENTION_WINDOW = pd.Timedelta(hours=24)
LONG_CHARS = 30            # a "substantive" message: two sentences of Chinese or more
SHORT_CHARS = 6            # floods are runs of short identical replies ("1", "+1", 打卡)
FLOOD_RUN = 3              # consecutive content-free replies that make a flood
FLOOD_GAP = pd.Timedelta(minutes=30)
REACTION_CHARS = 8         # "谢谢大佬" is a reaction; a long thank-you note is talk
QUESTION_CHARS = 40        # past this, a question word without "?" is an explanation ("再怎么练都没用")
DUP_CHARS = 8              # repeated identical texts of at least this length are copy-paste
DUP_TIMES = 3              # ... when the group sees them this many times in one day

SYSTEM_KINDS = ("system", "recall")
MEDIA_KINDS = ("image", "video", "voice", "file")
TEXTUAL_KINDS = ("text", "link", "announcement", "forward")
ALL_MENTIONS = ("@all", "all", "全体成员", "所有人", "@全体成员", "@所有人")
CATEGORY_FLAGS = ("question", "laugh", "banter", "announce", "welcome", "rules", "event", "complaint",
                  "complaint_soft", "complaint_target", "ack", "greeting", "thanks", "agree", "festive")
ACT_COLUMNS = tuple(f"act_{a}" for a in ACTS)   # msgs columns from qunkit.analysis.acts (one per act)
# The boolean flags of ``text_flags`` as bits of one integer (bit i = FLAG_BITS[i]): the stored facts keep
# them so (``schema.FACTS.text_flags``).  Append new flags at the end and bump ``facts.FACTS_VERSION``.
FLAG_BITS = (*CATEGORY_FLAGS, "handle", "url", "at_all", "qmark", *ACT_COLUMNS)
# messages-frame columns carrying a text's stored flags (``engine`` attaches them from fresh facts):
# the packed bits, then the counts; with them ``prepare_features`` skips ``text_flags``
STORED_FLAGS = ("text_flags", "n_contact", "n_commercial")
_SEC = 1_000_000_000


@dataclass
class Features:
    """Features of every spoken message and membership event, as of ``as_of``.

    ``msgs`` has one row per spoken (non-system) message sorted by group and
    time, with integer ``g`` (row of ``groups``) and ``mk`` (row of ``people``)
    so that per-group and per-member sums are cheap bincounts.
    """

    msgs: pd.DataFrame
    events: pd.DataFrame     # g, ts, event, actor, target (member ids where resolvable), text
    groups: pd.DataFrame     # group_id, group_name, tz, platform, first_ts, last_ts, messages
    people: pd.DataFrame     # g, group_id, member_id, member_name: every sender
    as_of: pd.Timestamp
    # per msgs row, each ``acts.TOPIC_CUES`` cue of the text: set only when the features come from the store
    # (``stored_features``); ``grouptype`` scans the texts otherwise
    topics: dict[str, np.ndarray] | None = None


def ts_ns(ts: pd.Series) -> np.ndarray:
    """UTC nanoseconds since the epoch as int64 (no object arrays of Timestamps)."""
    if not len(ts):
        return np.zeros(0, np.int64)
    return pd.DatetimeIndex(ts).as_unit("ns").asi8


def to_datetime_utc(ns: np.ndarray) -> pd.DatetimeIndex:
    """int64 epoch nanoseconds -> tz-aware UTC index (fast path, no parsing)."""
    return pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).view("datetime64[ns]")).tz_localize("UTC")



def _labels(s: pd.Series) -> np.ndarray:
    """A column as an object array of str ('' for missing)."""
    codes, labels = _codes(s)
    lab = np.append(labels, "")
    return lab[np.where(codes < 0, len(labels), codes)]



def _alias_table(people: pd.DataFrame, members: pd.DataFrame | None) -> pd.DataFrame:
    """(group_id, alias, member_id): every name or id that refers to a member of a group
    (``qunkit.members.alias_index``; speakers first, then the members frame)."""
    parts = [people[["group_id", "member_id"]].assign(alias=people["member_id"]),
             people[["group_id", "member_id"]].assign(alias=people["member_name"])]
    if members is not None and len(members):
        mem = pd.DataFrame({"group_id": _labels(members["group_id"]), "member_id": _labels(members["member_id"]),
                            "member_name": _labels(members["member_name"])})
        parts.append(mem[["group_id", "member_id"]].assign(alias=mem["member_id"]))
        parts.append(mem[["group_id", "member_id"]].assign(alias=mem["member_name"]))
        ex = members[["group_id", "member_id", "names"]].explode("names").dropna(subset=["names"])
        parts.append(pd.DataFrame({"group_id": _labels(ex["group_id"]), "member_id": _labels(ex["member_id"]),
                                   "alias": ex["names"].astype(str).to_numpy()}))
    return alias_index(parts)[["group_id", "alias", "member_id"]]


def group_frame(gk: np.ndarray, t_all: np.ndarray, glabels: np.ndarray, row_labels: dict[str, np.ndarray]
                ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """(groups, gnum, gidx) of rows sorted by (group code ``gk``, time): one row per group with its labels
    as of its last row, first and last ts; ``gnum`` the group codes in order, ``gidx`` each row's group row."""
    starts = np.r_[True, gk[1:] != gk[:-1]] if len(gk) else np.zeros(0, bool)
    gnum, gidx = gk[starts], (np.cumsum(starts) - 1).astype(np.int64)
    first_pos = np.flatnonzero(starts)
    last_pos = (np.r_[first_pos[1:], len(gidx)][: len(gnum)] - 1).astype(np.int64)
    groups = pd.DataFrame({
        "group_id": glabels[gnum] if len(gnum) else np.zeros(0, object),
        **{c: v[last_pos] for c, v in row_labels.items()},
        "first_ts": to_datetime_utc(t_all[first_pos]),
        "last_ts": to_datetime_utc(t_all[last_pos]),
    })
    return groups, gnum, gidx


def people_frame(pair_uniq: np.ndarray, mk: np.ndarray, names: np.ndarray, slabels: np.ndarray,
                 gnum: np.ndarray, groups: pd.DataFrame, n_codes: int) -> pd.DataFrame:
    """Every sender (``pair_uniq``: group code x (senders + 1) + sender code, sorted; ``n_codes`` group
    codes) with the latest of the ``names`` its rows ``mk`` (in time order) carry."""
    dense = np.zeros(n_codes + 1, np.int64)
    dense[gnum] = np.arange(len(gnum))
    pg = dense[pair_uniq // (len(slabels) + 1)].astype(np.int64)
    ps = (pair_uniq % (len(slabels) + 1)).astype(np.int64)
    last_name = np.empty(len(pair_uniq), dtype=object)
    last_name[mk] = names          # later rows overwrite: the latest name wins
    return pd.DataFrame({"g": pg,
                         "group_id": np.asarray(groups["group_id"].to_numpy()[pg], dtype=object),
                         "member_id": np.asarray(slabels[ps] if len(ps) else [], dtype=object),
                         "member_name": last_name})


def group_labels(m: pd.DataFrame, order: np.ndarray) -> dict[str, np.ndarray]:
    """group_name / tz / platform of the rows ``order`` of ``m`` as str (absent column: the default)."""
    return {c: (_labels(m[c])[order] if c in m.columns else np.full(len(order), default, dtype=object))
            for c, default in (("group_name", ""), ("tz", DEFAULT_TZ), ("platform", ""))}


def kind_codes(m: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(code per row of ``m``, labels) of the ``kind`` column; a missing kind is the last label, ""."""
    kcode, klabels = _codes(m["kind"])
    klabels = np.append(klabels, "")
    return np.where(kcode < 0, len(klabels) - 1, kcode), klabels


def kind_column(kc: np.ndarray, klabels: np.ndarray) -> pd.Categorical:
    """The msgs ``kind`` column of rows with kind codes ``kc``."""
    if len(set(klabels)) == len(klabels):
        return pd.Categorical.from_codes(kc, categories=klabels)
    return pd.Categorical(klabels[kc])


def row_order(m: pd.DataFrame, gcode: np.ndarray, t_all: np.ndarray) -> np.ndarray:
    """The features' row order of ``m``: by group code, time, then source line (stable).  Rows read from
    the store usually come in that order already: one linear check then replaces the three-key sort
    (a quarter of a second per million rows)."""
    line = m["source_line"].to_numpy() if "source_line" in m.columns else np.zeros(len(m), np.int64)
    dg, dt = np.diff(gcode), np.diff(t_all)
    if ((dg > 0) | ((dg == 0) & ((dt > 0) | ((dt == 0) & (np.diff(line) >= 0))))).all():
        return np.arange(len(m))
    return np.lexsort((line, t_all, gcode))


def system_rows(m: pd.DataFrame, kcode: np.ndarray, klabels: np.ndarray, scode: np.ndarray, slabels: np.ndarray
                ) -> np.ndarray:
    """Rows of ``m`` that are system lines (a system kind, the system sender, a membership event), from
    the kind and sender codes of its rows."""
    mask = np.isin(klabels, SYSTEM_KINDS)[kcode] | (scode == _find(slabels, "system"))
    if "event" in m.columns:
        mask |= m["event"].notna().to_numpy()
    return mask


def compute_features(
    messages: pd.DataFrame,
    as_of: pd.Timestamp,
    lexicon: Lexicon | str | None = None,
    members: pd.DataFrame | None = None,
) -> Features:
    """Compute per-message features once; activity, roles and risk all accept the result.

    The work is ``prepare_features`` (what does not depend on the moment) then ``PreparedFeatures.at``
    (what does): a replay at several moments prepares once.
    """
    return prepare_features(messages, as_of, lexicon).at(as_of, members)


def _as_utc(t: pd.Timestamp) -> pd.Timestamp:
    t = pd.Timestamp(t)
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


# the per-message columns that depend only on the message itself and the messages before it
# (text, kind, the sender's earlier messages): computed once by ``prepare_features``
_STATIC_FLAGS = ("kind", "length", "textual", "link", "qmark", "question", "laugh", "banter", "sticker",
                 "redpacket", "media", "mention_all", "announce", "welcome", "rules", "event", "complaint",
                 "contact", "commercial", "festive", "ack", "thanks", "agree", "lowcontent", *ACT_COLUMNS,
                 "dup_self", "src")


@dataclass
class PreparedFeatures:
    """The moment-independent part of ``compute_features`` over messages up to ``as_of``, rows sorted by
    (group, time, line); ``at(t)`` finishes it for any ``t`` up to ``as_of``.

    What depends on the moment is recomputed in ``at`` from the rows up to ``t``: group and member
    numbering, latest names, name -> member resolution (``members`` as of ``t``), floods and same-day
    duplicates, replies and answers (a later message can answer an earlier one).  Everything else
    (per-text flags and acts, kinds, lengths, a member repeating their own earlier text, ads) depends
    on a message and the ones before it only, so the rows up to ``t`` keep their values: ``at(t)``
    equals ``compute_features(messages[ts <= t], t)`` (tests/test_report.py checks it).
    """

    as_of: pd.Timestamp
    t_all: np.ndarray            # every row: epoch ns, sorted order
    gcode: np.ndarray            # every row: group code (labels glabels)
    glabels: np.ndarray
    row_labels: dict[str, np.ndarray]   # every row: group_name / tz / platform as str (absent: default)
    is_sys: np.ndarray
    event_lab: np.ndarray
    sys_cols: dict[str, np.ndarray]     # system rows: event_actor, event_target, text as str
    scode: np.ndarray            # spoken rows: sender code (labels slabels)
    slabels: np.ndarray
    names: np.ndarray            # spoken rows: sender name as str
    static: pd.DataFrame         # spoken rows: the _STATIC_FLAGS columns
    static_t: np.ndarray         # spoken rows: epoch ns
    tcode: np.ndarray            # spoken rows: distinct-text code
    n_contact: np.ndarray        # spoken rows: ad evidence
    n_commercial: np.ndarray
    handle: np.ndarray
    mention_rows: np.ndarray     # (spoken row, mention) pairs
    mention_vals: np.ndarray
    quotes: tuple[np.ndarray, np.ndarray] | None   # spoken rows: reply_to, msg_id (object, None for none)
    text_bits: np.ndarray        # spoken rows: the text's flags (``pack_flags``), as the facts store them
    text_counts: tuple[np.ndarray, np.ndarray]     # spoken rows: the text's n_contact, n_commercial
    _cut: dict = field(default_factory=dict, repr=False)   # ``_cut_codes``, made at the first ``at``

    def _cut_codes(self) -> dict[str, np.ndarray]:
        """Codes over every spoken row that ``at`` cuts instead of sorting the kept rows again at each moment:
        ``pair`` (sender within group, numbered in (group, sender) order) with ``pairs`` its values, and
        ``gdt`` (group, day, text)."""
        if not self._cut:
            gs = self.gcode[~self.is_sys].astype(np.int64)
            pairs, pair = np.unique(gs * (len(self.slabels) + 1) + self.scode, return_inverse=True)
            t = self.static_t
            day = (t - t.min(initial=0)) // (86400 * _SEC)     # as ``at`` numbered them before: t // 1 day
            key = (gs * (int(day.max(initial=0)) + 1) + day) * (int(self.tcode.max(initial=0)) + 1) + self.tcode
            self._cut.update(pair=pair.astype(np.int64), pairs=pairs, gdt=np.unique(key, return_inverse=True)[1])
        return self._cut

    def at(self, t: pd.Timestamp | None = None, members: pd.DataFrame | None = None) -> Features:
        """The features as of ``t`` (default: the prepared ``as_of``); ``members``: the members frame as
        of ``t`` (``derive_members`` of the messages up to ``t``), used to resolve names."""
        as_of = self.as_of if t is None else _as_utc(t)
        if as_of > self.as_of:
            raise ValueError(f"prepared up to {self.as_of}, asked for {as_of}")
        keep_all = self.t_all <= as_of.value
        t_all = self.t_all[keep_all]
        is_sys = self.is_sys[keep_all]
        codes = self._cut_codes()
        groups, gnum, gidx = group_frame(self.gcode[keep_all], t_all, self.glabels,
                                         {c: v[keep_all] for c, v in self.row_labels.items()})

        # ---- people (every sender) ----------------------------------------------------------
        keep = keep_all[~self.is_sys]
        g = gidx[~is_sys]
        pair = codes["pair"][keep]           # (group, sender) numbered in that order: the kept ones renumbered
        seen = np.zeros(len(codes["pairs"]), dtype=bool)
        seen[pair] = True
        mk = (np.cumsum(seen) - 1)[pair]
        people = people_frame(codes["pairs"][seen], mk, self.names[keep], self.slabels, gnum, groups,
                              len(self.glabels))
        aliases = _alias_table(people, members)

        # ---- membership events ---------------------------------------------------------------
        keep_sys = keep_all[self.is_sys]
        eg = gidx[is_sys]
        egid = groups["group_id"].to_numpy()[eg] if len(eg) else np.zeros(0, object)
        sys_col = {c: v[keep_sys] for c, v in self.sys_cols.items()}
        events = pd.DataFrame({
            "g": eg.astype(np.int64),
            "ts": to_datetime_utc(t_all[is_sys]),
            "event": self.event_lab[keep_all][is_sys],
            "actor": resolve_names(egid, sys_col["event_actor"], aliases),
            "target": resolve_names(egid, sys_col["event_target"], aliases),
            "text": sys_col["text"],
        })

        # ---- spoken messages ---------------------------------------------------------------
        n = int(keep.sum())
        t = self.static_t[keep]
        cols: dict[str, object] = {"g": g, "mk": mk.astype(np.int64), "t": t}
        st = self.static.loc[keep] if n != len(keep) else self.static
        for c in _STATIC_FLAGS:
            cols[c] = st[c].to_numpy() if c != "kind" else st[c].array
        f = pd.DataFrame(cols)
        tcode = self.tcode[keep]
        length = f["length"].to_numpy()
        textual = f["textual"].to_numpy()

        # repeated identical texts many times in the group in one day (later messages of the day count)
        longish = length >= DUP_CHARS
        gdt = codes["gdt"][keep]
        f["dup_group"] = longish & (np.bincount(gdt)[gdt] >= DUP_TIMES) if n else longish

        # floods: runs of content-free replies ("1", "+1", 扣1, 打卡 ...) or of one identical short text,
        # each within FLOOD_GAP of the previous one, in a group's timeline
        short = (length <= SHORT_CHARS) & textual
        acklike = f["ack"].to_numpy()
        close = np.zeros(n, dtype=bool)
        if n > 1:
            close[1:] = (g[1:] == g[:-1]) & ((t[1:] - t[:-1]) <= FLOOD_GAP.value)
        same_prev = np.zeros(n, dtype=bool)
        if n > 1:
            same_prev[1:] = close[1:] & ((acklike[1:] & acklike[:-1])
                                         | ((tcode[1:] == tcode[:-1]) & short[1:] & short[:-1]))
        run_id = np.cumsum(~same_prev) - 1
        run_len = np.bincount(run_id)[run_id] if n else np.zeros(0, np.int64)
        f["flood"] = (acklike | short) & (run_len >= FLOOD_RUN)

        # an ad needs two pieces of evidence: a contact word, a handle, a sales/recruiting word, a link,
        # or posting the same long text again ("私聊我" or "代理" alone is ordinary chat)
        n_contact, handle = self.n_contact[keep], self.handle[keep]
        n_commercial = self.n_commercial[keep]
        points = (np.minimum(n_contact, 2) + handle + np.minimum(n_commercial, 3) + f["link"].to_numpy()
                  + f["dup_self"].to_numpy())
        ad = textual & (points >= 2) & (n_contact + handle + n_commercial > 0)
        f["ad"] = ad
        f["noise"] = f["flood"].to_numpy() | ad | f["dup_group"].to_numpy()

        new_row = np.cumsum(keep) - 1
        mk_rows = keep[self.mention_rows]
        m_rows, m_vals = new_row[self.mention_rows[mk_rows]], self.mention_vals[mk_rows]
        mentions = _mention_targets(groups["group_id"].to_numpy()[g[m_rows]], m_rows, m_vals, aliases, people)
        quotes = _quote_pairs(self.quotes, keep, g)
        addressed = np.zeros(n, dtype=bool)
        addressed[mentions["by"].to_numpy()] = True
        f["mentions_someone"] = addressed
        _replies(f, mentions, quotes)
        organizing = (f["announce"] | f["welcome"] | f["rules"] | f["event"]).to_numpy()
        f["long"] = textual & (length >= LONG_CHARS) & ~ad & ~f["question"].to_numpy() & ~organizing
        f["talk"] = ~f["lowcontent"].to_numpy() & ~f["flood"].to_numpy()
        f["ts"] = to_datetime_utc(t)
        groups["messages"] = np.bincount(g, minlength=len(groups)) if len(groups) else []
        people["messages"] = np.bincount(mk, minlength=len(people)) if len(people) else []
        return Features(msgs=f, events=events, groups=groups, people=people, as_of=as_of)


def prepare_features(messages: pd.DataFrame, as_of: pd.Timestamp, lexicon: Lexicon | str | None = None
                     ) -> PreparedFeatures:
    """The moment-independent work of ``compute_features`` over the messages up to ``as_of`` (see
    ``PreparedFeatures``): sorting, codes, per-text flags and acts, the per-message flags.

    When ``messages`` carries the ``STORED_FLAGS`` columns (the stored facts' flags of each row) and the
    lexicon is the built-in one, those are used and no text is scanned; a user's lexicon scans."""
    stored = lexicon is None and all(c in messages.columns for c in STORED_FLAGS)
    lex = None if stored else resolve_lexicon(lexicon)
    as_of = _as_utc(as_of)
    m = messages[messages["ts"] <= as_of] if len(messages) else messages

    gcode, glabels = _codes(m["group_id"])
    t_all = ts_ns(m["ts"])
    order = row_order(m, gcode, t_all)
    gcode, t_all = gcode[order], t_all[order]
    row_labels = group_labels(m, order)
    kcode, klabels = kind_codes(m)
    scode_all, slabels = _codes(m["sender_id"])
    is_sys = system_rows(m, kcode, klabels, scode_all, slabels)[order]
    kcode, scode_all = kcode[order], scode_all[order]
    if "event" in m.columns:
        ecode, elabels = _codes(m["event"])
        ecode = ecode[order]
        event_lab = np.append(elabels, "")[np.where(ecode < 0, len(elabels), ecode)]
    else:
        event_lab = np.full(len(m), "", dtype=object)
    sys_order = order[is_sys]
    sys_cols = {c: (_labels(m[c].iloc[sys_order]) if c in m.columns and len(sys_order)
                    else np.full(len(sys_order), "", dtype=object)) for c in ("event_actor", "event_target", "text")}

    # ---- spoken messages: everything that depends on a message and the ones before it ----------
    keep = ~is_sys
    sp_order = order[keep]
    n = len(sp_order)
    scode = scode_all[keep]
    kc = kcode[keep]
    k = kind_column(kc, klabels)
    def kmask(names: tuple[str, ...]) -> np.ndarray:
        return np.isin(klabels, names)[kc]
    text = _arrow(m["text"], pa.string()).take(pa.array(sp_order)) if n else pa.array([], pa.string())
    enc = pc.dictionary_encode(text) if n else None
    tcode = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64) if n else np.zeros(0, np.int64)
    uniq = enc.dictionary if n else pa.array([], pa.string())
    ulen = pc.utf8_length(uniq).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int32)
    length_raw = ulen[tcode] if n else np.zeros(0, np.int32)
    textual = kmask(TEXTUAL_KINDS)
    length = np.where(textual, length_raw, 0)

    if stored:
        bits = m["text_flags"].to_numpy(np.int64)[sp_order]
        counts = (m["n_contact"].to_numpy(np.int64)[sp_order], m["n_commercial"].to_numpy(np.int64)[sp_order])
    else:
        per_text = text_flags(uniq, lex)
        bits = pack_flags(per_text)[tcode]
        counts = (per_text["n_contact"].astype(np.int64)[tcode], per_text["n_commercial"].astype(np.int64)[tcode])
    per_row = unpack_flags(bits)        # spoken rows: each flag of the row's text
    hits = {c: per_row[c] & textual for c in CATEGORY_FLAGS}
    n_contact = counts[0] * textual
    n_commercial = counts[1] * textual
    handle = per_row["handle"] & textual
    url = per_row["url"]
    mention_rows, mention_vals = _list_column(m, "mentions", sp_order)
    mention_all = np.zeros(n, dtype=bool)
    mention_all[mention_rows[np.isin(mention_vals, ALL_MENTIONS)]] = True
    mention_all |= per_row["at_all"]

    f = pd.DataFrame({"kind": k, "length": length, "textual": textual})
    # the row of ``messages`` each spoken message came from (per-text work elsewhere joins back by it)
    kept = np.flatnonzero((messages["ts"] <= as_of).to_numpy()) if len(messages) else np.zeros(0, np.int64)
    f["src"] = kept[sp_order] if n else np.zeros(0, np.int64)
    f["link"] = kmask(("link",)) | url
    f["qmark"] = per_row["qmark"] & textual
    f["question"] = hits["question"] & (length <= 200) & ((length <= QUESTION_CHARS) | per_row["qmark"])
    f["laugh"] = hits["laugh"]
    f["banter"] = hits["banter"]
    f["sticker"] = kmask(("sticker",))
    f["redpacket"] = kmask(("redpacket", "transfer"))
    f["media"] = kmask(MEDIA_KINDS)
    f["mention_all"] = mention_all
    f["announce"] = kmask(("announcement",)) | mention_all | hits["announce"]
    f["welcome"] = hits["welcome"]
    f["rules"] = hits["rules"]
    f["event"] = hits["event"] & (length >= 8)
    f["complaint"] = ((hits["complaint"] | (hits["complaint_soft"] & hits["complaint_target"]))
                      & ~f["announce"].to_numpy() & ~hits["rules"])
    f["contact"] = (n_contact > 0) | handle
    f["commercial"] = n_commercial > 0
    f["festive"] = hits["festive"]
    f["ack"] = hits["ack"] & ~hits["question"]
    short_reaction = length <= REACTION_CHARS
    f["thanks"] = hits["thanks"] & short_reaction & ~hits["question"]
    f["agree"] = hits["agree"] & short_reaction & ~hits["question"]
    f["lowcontent"] = (f["ack"].to_numpy() | (hits["greeting"] & ~hits["question"]) | f["thanks"].to_numpy()
                       | f["agree"].to_numpy())

    # message acts (qunkit.analysis.acts) of the text; an announcement-kind message is a notice
    for a in ACTS:
        f[f"act_{a}"] = per_row[f"act_{a}"] & textual
    f["act_notice"] = f["act_notice"].to_numpy() | kmask(("announcement",))
    f["act_banter"] = f["act_banter"].to_numpy() | kmask(("sticker", "redpacket", "transfer"))

    # the same text again by the same member (group, sender, text: earlier messages only)
    base = int(tcode.max(initial=0)) + 1
    key_mt = (gcode[keep] * (len(slabels) + 1) + scode) * base + tcode
    f["dup_self"] = (length >= DUP_CHARS) & (pd.Series(key_mt).groupby(key_mt).cumcount().to_numpy() > 0)
    return PreparedFeatures(
        as_of=as_of, t_all=t_all, gcode=gcode, glabels=glabels, row_labels=row_labels, is_sys=is_sys,
        event_lab=event_lab, sys_cols=sys_cols, scode=scode, slabels=slabels,
        names=_labels(m["sender_name"])[sp_order] if n else np.zeros(0, object),
        static=f, static_t=t_all[keep], tcode=tcode, n_contact=n_contact, n_commercial=n_commercial,
        handle=handle, mention_rows=mention_rows, mention_vals=mention_vals, quotes=_quote_columns(m, sp_order),
        text_bits=bits, text_counts=counts)


def pack_flags(flags: dict[str, np.ndarray]) -> np.ndarray:
    """The ``FLAG_BITS`` booleans of ``text_flags``'s result as one int64 per text (bit i: FLAG_BITS[i])."""
    n = len(flags[FLAG_BITS[0]])
    bits = np.zeros(n, np.int64)
    for i, name in enumerate(FLAG_BITS):
        bits |= flags[name].astype(np.int64) << i
    return bits


def unpack_flags(bits: np.ndarray) -> dict[str, np.ndarray]:
    """``pack_flags`` undone: flag name -> bool array."""
    bits = np.asarray(bits, np.int64)
    return {name: ((bits >> i) & 1).astype(bool) for i, name in enumerate(FLAG_BITS)}


def text_flags(uniq: pa.Array, lexicon: Lexicon | None = None, rules: ActRules | None = None
               ) -> dict[str, np.ndarray]:
    """Every text-only flag of each *distinct* text (one array per flag, aligned with ``uniq``).

    The one place per-text work happens (lexicon categories, contact/commercial counts, handles,
    links, @all, "?" and the message acts ``act_<act>``), so that a cache keyed by text can store it:
    nothing here depends on who sent the text, when, or in which group.
    """
    lex = resolve_lexicon(lexicon)
    # every regex runs once over the distinct texts; pyarrow releases the GIL, so threads use all cores
    jobs = {c: ("match", lex.regex(c)) for c in CATEGORY_FLAGS}
    jobs.update({"n_contact": ("count", lex.regex("contact")), "n_commercial": ("count", lex.regex("commercial")),
                 "handle": ("match", HANDLE), "url": ("match", r"https?://|www\.|\.com/|\.cn/"),
                 "at_all": ("match", r"@全体成员|@所有人|@all\b"), "qmark": ("match", r"[?？]")})
    out = _run_regexes(uniq, jobs)
    acts = _classify_distinct(uniq.fill_null(""), resolve_rules(rules))
    out.update({f"act_{a}": acts[a].to_numpy(dtype=bool) for a in ACTS})
    return out


def _find(labels: np.ndarray, value: str) -> int:
    hit = np.flatnonzero(labels == value)
    return int(hit[0]) if len(hit) else -2


def _list_column(m: pd.DataFrame, col: str, sp_order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row in spoken order, value) for every element of a list column (mentions)."""
    if col not in m.columns or not len(sp_order):
        return np.zeros(0, np.int64), np.zeros(0, object)
    s = m[col]
    present = s.notna().to_numpy()[sp_order]
    rows = np.flatnonzero(present)
    if not len(rows):
        return np.zeros(0, np.int64), np.zeros(0, object)
    vals = s.to_numpy(dtype=object)[sp_order[rows]]
    lists = pa.array(vals, type=pa.list_(pa.string()), from_pandas=True)
    flat = pc.list_flatten(lists)
    parents = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
    return rows[parents], np.asarray(flat.to_pylist(), dtype=object)



def _mention_targets(gid_rows: np.ndarray, rows: np.ndarray, vals: np.ndarray, aliases: pd.DataFrame,
                     people: pd.DataFrame) -> pd.DataFrame:
    """(by, mk): spoken message ``by`` (in group ``gid_rows``) @-mentions member ``mk`` (a row of people)."""
    keep = ~np.isin(vals, ALL_MENTIONS)
    rows, vals, gid_rows = rows[keep], vals[keep], gid_rows[keep]
    if not len(rows):
        return pd.DataFrame({"by": np.zeros(0, np.int64), "mk": np.zeros(0, np.int64)})
    target = resolve_names(gid_rows, vals, aliases)
    look = pd.DataFrame({"group_id": people["group_id"], "member_id": people["member_id"],
                         "mk": np.arange(len(people))})
    q = pd.DataFrame({"group_id": gid_rows, "member_id": target, "by": rows})
    j = q.merge(look, on=["group_id", "member_id"], how="inner")
    return j[["by", "mk"]].reset_index(drop=True)


def _quote_columns(m: pd.DataFrame, sp_order: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """reply_to and msg_id of the spoken rows as object arrays (None: no row quotes anything)."""
    if "reply_to" not in m.columns or "msg_id" not in m.columns or not len(sp_order):
        return None
    rt = m["reply_to"].iloc[sp_order]
    has = rt.notna().to_numpy() & (rt.astype(object).to_numpy() != "")
    if not has.any():
        return None
    mid = m["msg_id"].iloc[sp_order]
    return (np.where(has, rt.astype(object).to_numpy(), None),
            np.where(mid.notna().to_numpy(), mid.astype(object).to_numpy(), None))


def _quote_pairs(quotes: tuple[np.ndarray, np.ndarray] | None, keep: np.ndarray, g: np.ndarray) -> pd.DataFrame:
    """(row, by): spoken message ``row`` is quoted by spoken message ``by`` (reply_to -> msg_id), among the
    spoken rows ``keep`` (a msg_id seen twice names its latest message up to the moment)."""
    empty = pd.DataFrame({"row": np.zeros(0, np.int64), "by": np.zeros(0, np.int64)})
    if quotes is None:
        return empty
    rt, mid = quotes[0][keep], quotes[1][keep]
    has = pd.notna(rt)
    if not has.any():
        return empty
    ids = pd.DataFrame({"g": g, "msg_id": mid, "row": np.arange(len(mid))})
    ids = ids[pd.notna(mid)].drop_duplicates(["g", "msg_id"], keep="last")
    q = pd.DataFrame({"g": g[has], "msg_id": rt[has], "by": np.flatnonzero(has)})
    j = q.merge(ids, on=["g", "msg_id"], how="inner")
    return j[["row", "by"]].reset_index(drop=True)


def _replies(f: pd.DataFrame, mentions: pd.DataFrame, quotes: pd.DataFrame) -> None:
    """Fill replied, replier, reply_delay (s), answered, answer, gives_reply (see the module doc).

    ~80 lines: the three kinds of evidence (next turn, @mention, quote) share one set of sorted
    arrays (time, group, member, order); ``analysis.replies.reply_links`` is to replace it."""
    n = len(f)
    t = f["t"].to_numpy()
    g = f["g"].to_numpy()
    mk = f["mk"].to_numpy()
    noise_like = f["ad"].to_numpy() | f["flood"].to_numpy()

    # turns: consecutive messages by one member; the next turn's first message replies to the whole turn
    turn_start = np.ones(n, dtype=bool)
    if n > 1:
        turn_start[1:] = (mk[1:] != mk[:-1]) | (g[1:] != g[:-1])
    turn = np.cumsum(turn_start) - 1
    starts = np.flatnonzero(turn_start)
    next_start = np.full(len(starts), -1)
    if len(starts) > 1:
        next_start[:-1] = np.where(g[starts[1:]] == g[starts[:-1]], starts[1:], -1)
    nxt = next_start[turn] if n else np.zeros(0, np.int64)
    ok = (nxt >= 0) & ~noise_like[np.maximum(nxt, 0)]
    delay_next = np.full(n, np.inf)
    delay_next[ok] = (t[nxt[ok]] - t[ok]) / _SEC

    # quotes by someone else
    delay_quote = np.full(n, np.inf)
    quoted_by = np.full(n, -1)
    if len(quotes):
        q = quotes[mk[quotes["row"].to_numpy()] != mk[quotes["by"].to_numpy()]]
        q = q.assign(d=np.maximum((t[q["by"].to_numpy()] - t[q["row"].to_numpy()]) / _SEC, 0))
        q = q.sort_values("d", kind="stable").drop_duplicates("row")
        delay_quote[q["row"].to_numpy()] = q["d"].to_numpy()
        quoted_by[q["row"].to_numpy()] = q["by"].to_numpy()

    # @mentions: the mentioned member's latest message before the mention
    delay_mention = np.full(n, np.inf)
    mentioned_prev = np.full(n, -1)
    mentioned_by = np.full(n, -1)
    if len(mentions):
        mq = mentions[mentions["mk"].to_numpy() != mk[mentions["by"].to_numpy()]]
        mq = mq.assign(t=t[mq["by"].to_numpy()]).sort_values("t", kind="stable")
        right = pd.DataFrame({"mk": mk, "row": np.arange(n), "t": t}).sort_values("t", kind="stable")
        j = pd.merge_asof(mq, right, on="t", by="mk", direction="backward", allow_exact_matches=False)
        j = j[j["row"].notna()]
        if len(j):
            row = j["row"].to_numpy().astype(np.int64)
            d = (j["t"].to_numpy() - t[row]) / _SEC
            sel = d <= MENTION_WINDOW.total_seconds()
            j, row, d = j[sel], row[sel], d[sel]
            mentioned_prev[j["by"].to_numpy()] = row
            jj = pd.DataFrame({"row": row, "d": d, "by": j["by"].to_numpy()}).sort_values("d", kind="stable").drop_duplicates("row")
            delay_mention[jj["row"].to_numpy()] = jj["d"].to_numpy()
            mentioned_by[jj["row"].to_numpy()] = jj["by"].to_numpy()

    fast_next = delay_next <= REPLY_WINDOW.total_seconds()
    other = np.minimum(delay_quote, delay_mention)
    replied = fast_next | np.isfinite(other)
    delay = np.where(fast_next, np.minimum(delay_next, other), other)
    f["replied"] = replied
    # who replied (a row of people, -1 for none): the next speaker, else whoever quoted or @-mentioned it first
    by_row = np.where(delay_quote <= delay_mention, quoted_by, mentioned_by)
    f["replier"] = np.where(fast_next, mk[np.maximum(nxt, 0)],
                            np.where(np.isfinite(other), mk[np.maximum(by_row, 0)], -1)).astype(np.int64)
    f["reply_delay"] = np.where(replied, delay, np.nan)
    q = f["question"].to_numpy()
    f["answered"] = q & ((delay_next <= ANSWER_WINDOW.total_seconds()) | np.isfinite(other))

    # answers: the first message of a turn right after someone else's question, or a message
    # quoting / @-mentioning an asker whose last message was a question
    textual = f["textual"].to_numpy()
    substantive = textual & (f["length"].to_numpy() >= 4) & ~q & ~noise_like
    answer = np.zeros(n, dtype=bool)
    if n > 1:
        prev_q = np.zeros(n, dtype=bool)
        prev_q[1:] = q[:-1] & (g[1:] == g[:-1]) & ((t[1:] - t[:-1]) / _SEC <= ANSWER_WINDOW.total_seconds())
        answer |= turn_start & prev_q
    rows = np.flatnonzero(quoted_by >= 0)
    answer[quoted_by[rows[q[rows]]]] = True
    mp = np.flatnonzero(mentioned_prev >= 0)
    answer[mp[q[mentioned_prev[mp]]]] = True
    f["answer"] = answer & substantive

    # replies a message gives: a new turn soon after someone else, a quote, or an @mention
    gives = np.zeros(n, dtype=bool)
    if n > 1:
        gives[1:] = turn_start[1:] & (g[1:] == g[:-1]) & ((t[1:] - t[:-1]) / _SEC <= REPLY_WINDOW.total_seconds())
    gives[mentioned_prev >= 0] = True
    gives[quoted_by[rows]] = True
    f["gives_reply"] = gives
