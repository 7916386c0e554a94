"""Who answered whom: one reply link per message, with the evidence behind it.

``reply_links(messages)`` gives every message the earlier message it answers
(or none).  Evidence, strongest first; the first that applies wins:

- ``quote``: the export's native quote (``reply_to`` -> ``msg_id`` in the group);
- ``mention``: an @mention (``mentions``) of a member -> that member's last message;
- ``addressed_name``: the text starts with a member's name or a prefix of it
  ("name:", "name，", "@name"; IRC's "nick: text" is the same act as an
  @mention), or names a member as a word ("thanks bob2") -> one of that
  member's recent messages (their own chain, reaching further back than the
  unaddressed lookback: ``address_columns``), the last unless an earlier one scores better
  (``ADDRESS_WEIGHTS``: X often answers the question before Y's follow-up), or
  X's own earlier message when X goes on telling Y ("bob: try this" ...
  "bob: or that"; shown as ``turn_taking``);
- ``turn_taking`` / ``timing``: for a message that addresses nobody, the best of
  the previous ``lookback`` messages (within ``window``) or none, by a linear
  score of what the practice says matters: whoever just addressed X and has
  not been answered, X's own last message (X goes on with their turn), X's
  partner in a two-person exchange, the distance in messages and minutes, a
  question, shared rare words, a message to the room versus one to a third
  person.  ``turn_taking`` when the pick is X's own message, someone who
  addressed X or X's partner; ``timing`` otherwise;
- ``none``: the score of "no link" (a new topic) beat every candidate.

System lines (joins, recalls, ...) are never linked, and link targets only when the export's own
reply id points at one (Telegram's replies to "X joined the group"): ``quote``, sender ``system``.
The weights were fitted (``benchmarks/bench_replies.py --fit``, a conditional
logit) on five of the ten IRC disentanglement dev files; ``confidence`` is the
model's probability of its pick, or for explicit evidence a fixed figure
(addressed_name: about the precision it reached on those files; quote and
mention, which IRC lacks, are set by judgement, not measured).  Callers that want "another member answered" drop the rows whose
``reply_to_sender_id`` is the sender (X carrying on their own turn).

Everything is vectorised: one sort, RE2 passes over the texts (pyarrow),
``merge_asof`` for "the last message of member M before this one", and an
(n x lookback) matrix of candidate features scored at once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .lexicon import resolve_lexicon
from .textscan import str_array

EVIDENCE = ("quote", "mention", "addressed_name", "turn_taking", "timing", "none")
SYSTEM_KINDS = ("system", "recall")
ALL_MENTIONS = ("@all", "all", "全体成员", "所有人")
# a leading address: "@name ..." or "name: ..." / "name，..." (the token is matched against member names)
LEAD_RE = r"^\s*(?:@(?P<at>[^\s:：,，@]{1,40})|(?P<name>[^\s:：,，@]{1,40})\s*[:：,，])"
OUT_COLUMNS = ("group_id", "group_name", "ts", "sender_id", "sender_name", "source_line", "reply_to_row",
               "reply_to_line", "reply_to_sender_id", "confidence", "evidence")
# features of a candidate j for message i (by X); see _candidates
PAIR_FEATURES = ("own", "own_latest", "to_me", "to_me_open", "partner", "third", "log_dist", "minutes",
                 "question", "words", "open", "sender_latest", "newcomer", "adjacent_short",
                 "own_minutes", "to_me_dist", "newcomer_question", "own_question", "any_words", "j_log_len",
                 "j_url", "partner_latest", "own_dist", "short_after_question", "j_answered_me",
                 "own_answered", "same_to", "same_to_open")
# features of "no link" for message i
NONE_FEATURES = ("bias", "question", "log_len", "first", "log_gap")
PAIR_WEIGHTS = (0.999, 1.669, 0.34, 1.073, 0.944, -1.441, -1.503, -1.646, 0.215, 1.095, 0.367, -0.019, -0.13, 0.147, -0.553, 0.409, -0.239, 0.645, 1.285, 0.356, 0.045, 0.137, 0.263, 0.094, 1.386, -0.16, 0.0, 0.0)
ADDRESS_WEIGHTS = (-1.84, 1.1, 1.583, 0.928, -0.407, -0.72, -0.832, -2.635, 0.061, 0.691, 0.977, 0.489, 0.61, 0.197, 2.75, -0.108, -0.13, -0.869, 1.549, 0.564, 0.41, 0.497, -0.639, -0.247, 0.695, -1.219, 1.193, 0.67)
NONE_WEIGHTS = (-0.265, 1.103, 0.36, 2.773, -0.321)
# explicit evidence: addressed_name ~ its precision on the IRC tuning files; quote/mention are judgement
CONFIDENCE = {"quote": 0.99, "mention": 0.9, "addressed_name": 0.7}
_SEC = 1_000_000_000


@dataclass(frozen=True)
class ReplyRules:
    """Windows, thresholds and weights; see the module doc for what each one decides."""

    address_window: float = 60 * 60    # an addressed member's last message older than this is not the target
    lookback: int = 20                 # candidates: this many previous messages of the group ...
    window: float = 15 * 60            # ... no older than this (seconds)
    min_prefix: int = 3                # shortest nick prefix (and in-text name) that counts as an address
    common_name: float = 0.02          # a name that is a word in more than this share of messages is no address
    words_min_len: int = 3             # shared words: at least this long ...
    words_max_df: float = 0.05         # ... and in at most this share of the group's messages
    pair_weights: tuple[float, ...] = PAIR_WEIGHTS
    none_weights: tuple[float, ...] = NONE_WEIGHTS
    address_weights: tuple[float, ...] = ADDRESS_WEIGHTS
    short_answer: int = 5              # a non-question this short right after another's question answers it
    answer_window: float = 2 * 60      # ... when it comes this soon (seconds)
    passes: int = 2                    # scoring rounds for unaddressed messages
    address_lookback: int = 100        # an addressed message chooses among this many previous messages ...
    address_span: float = 60 * 60      # ... no older than this (seconds) ...
    address_depth: int = 30            # ... the addressed member's last this many messages ...
    own_depth: int = 8                 # ... and the sender's own last this many


def address_rules(rules: ReplyRules) -> ReplyRules:
    """The rules an addressed message's candidates are built with: its own lookback and window."""
    return replace(rules, lookback=rules.address_lookback, window=rules.address_span)


RULES = ReplyRules()


@dataclass
class Context:
    """The spoken messages of ``messages`` sorted by group and time, with the explicit links."""

    sp: np.ndarray        # row positions in ``messages`` of the spoken messages, sorted
    g: np.ndarray         # group code
    t: np.ndarray         # ns since the epoch
    member: np.ndarray    # (group, sender) code
    target: np.ndarray    # explicit link: position in sp, -1 for none
    evidence: np.ndarray  # quote / mention / addressed_name / named / "" per sorted row
    told: np.ndarray      # member the row explicitly addresses or quotes, -1 for none


def reply_links(messages: pd.DataFrame, rules: ReplyRules = RULES, lexicon=None) -> pd.DataFrame:
    """One row per message (same index as ``messages``): what it answers and why.

    ``reply_to_row`` is the position (0-based, in ``messages``) of the answered message, -1 for none;
    ``reply_to_line`` its ``source_line``; ``evidence`` one of ``EVIDENCE``.
    """
    ctx = explicit_links(messages, rules)
    prep = prepare(messages, ctx, rules, lexicon)
    target = ctx.target.copy()
    evidence = ctx.evidence.copy()
    evidence[evidence == "named"] = "addressed_name"
    conf = pd.Series(evidence).map(CONFIDENCE).fillna(0.0).to_numpy(dtype=np.float64, copy=True)
    said_all = np.flatnonzero(np.isin(ctx.evidence, ("mention", "addressed_name", "named")))
    free = np.flatnonzero(target < 0)
    for p in range(rules.passes):
        # a later pass knows whom the previous one linked each earlier message to
        state = with_links(prep, ctx, target if p else None)
        picked = target.copy()
        # an addressed member's earlier message rather than their last, or X's own: the one X answers
        for said in _blocks(said_all):
            J, r, c, F = address_pairs(state, ctx, rules, said)
            z = np.full(J.shape, -np.inf, np.float32)
            z[r, c] = F @ np.asarray(rules.address_weights, np.float32)
            k = np.argmax(z, axis=1)
            ok = np.isfinite(z).any(axis=1)
            picked[said[ok]] = J[ok, k[ok]]
            own = ok & (ctx.member[J[np.arange(len(k)), k]] == ctx.member[said])
            evidence[said] = np.where(own, "turn_taking", np.where(ctx.evidence[said] == "named", "addressed_name",
                                                                 ctx.evidence[said]))
        for rows in _blocks(free):
            J, valid, F, N = features(state, ctx, rules, rows)
            pick, prob, turn = choose(J, valid, F, N, rules)
            picked[rows] = pick
            conf[rows] = prob
            evidence[rows] = np.where(pick < 0, "none", np.where(turn, "turn_taking", "timing"))
        target = picked
    # the practice's plainest rule, which a newcomer's first words would otherwise miss: a short
    # non-question right after another person's question answers it
    q, length = prep["question"], prep["length"]
    prev = np.maximum(prep["pos"] - 1, 0)
    quick = ((target < 0) & (evidence == "none") & (prep["pos"] > 0) & (ctx.g[prev] == ctx.g)
             & (ctx.member[prev] != ctx.member) & q[prev] & ~q & (length <= rules.short_answer)
             & (ctx.told[prev] < 0) & ((ctx.t - ctx.t[prev]) <= rules.answer_window * _SEC))
    target[quick] = prev[quick]
    evidence[quick] = "timing"

    n_all = len(messages)
    sp = ctx.sp
    out_row = np.full(n_all, -1, np.int64)
    out_ev = np.full(n_all, "none", dtype=object)
    out_conf = np.ones(n_all)
    linked = target >= 0
    out_row[sp[linked]] = sp[target[linked]]
    out_ev[sp] = evidence
    out_conf[sp] = conf
    i, j = _system_quotes(messages, sp, out_ev)
    out_row[i], out_ev[i], out_conf[i] = j, "quote", CONFIDENCE["quote"]
    return link_frame(messages, out_row, out_ev, np.round(out_conf, 3))


def link_frame(messages: pd.DataFrame, out_row: np.ndarray, evidence: np.ndarray, confidence: np.ndarray
               ) -> pd.DataFrame:
    """``reply_links``' result from each message's answered row (position in ``messages``, -1 for none),
    evidence and confidence: the one place its columns are made (also from stored facts,
    ``derived.stored_reply_links``)."""
    line_all = messages["source_line"].to_numpy().astype(np.int64)
    sender_all = messages["sender_id"].astype(str).to_numpy(dtype=object)
    has = out_row >= 0
    group_id = _out_text(messages["group_id"])
    res = pd.DataFrame({
        "group_id": group_id, "group_name": _out_text(messages["group_name"])
        if "group_name" in messages.columns else group_id,
        # a tz-aware column's to_numpy() is a Timestamp object per row (3 s a million rows, both ways)
        "ts": messages["ts"].array if isinstance(messages["ts"].dtype, pd.DatetimeTZDtype)
        else messages["ts"].to_numpy(),
        "sender_id": _out_text(messages["sender_id"]),
        "sender_name": _out_text(messages["sender_name"]), "source_line": line_all,
        "reply_to_row": out_row,
        "reply_to_line": pd.arrays.IntegerArray(np.where(has, line_all[np.maximum(out_row, 0)], 0), ~has),
        "reply_to_sender_id": np.where(has, sender_all[np.maximum(out_row, 0)], None),
        "confidence": confidence, "evidence": evidence,
    }, index=messages.index)
    return res[list(OUT_COLUMNS)]


def row_links(messages: pd.DataFrame, rows: np.ndarray, lexicon=None, rules: ReplyRules = RULES
              ) -> tuple[np.ndarray, np.ndarray]:
    """The links of ``reply_links`` restated for a subset of the rows of ``messages``, in the subset's own
    numbering (``rows[k]`` is the position in ``messages`` of item k, e.g. the Features frame's spoken
    messages): (item each item answers, -1 for none or a message outside the subset; evidence code, an
    index into ``EVIDENCE``).  Meant as ``text_features``' source of "got a reply" / "answered"; not wired
    in yet: on the generated corpora the IRC-fitted "no link" choice leaves too few replies for the risk
    thresholds (README, replies section)."""
    n_all, rows = len(messages), np.asarray(rows, np.int64)
    if not len(rows):
        return np.zeros(0, np.int64), np.zeros(0, np.int8)
    links = reply_links(messages, rules, lexicon)
    item = np.full(n_all, -1, np.int64)
    item[rows] = np.arange(len(rows))
    to = links["reply_to_row"].to_numpy()[rows]
    target = np.where(to >= 0, item[np.maximum(to, 0)], -1)
    code = pd.Categorical(links["evidence"].to_numpy()[rows], categories=EVIDENCE).codes.astype(np.int8)
    return target, np.where(target >= 0, code, np.int8(EVIDENCE.index("none")))


def explicit_links(messages: pd.DataFrame, rules: ReplyRules = RULES) -> Context:
    """Sort the spoken messages and find the links the messages state: quotes, then addresses."""
    gcode = pd.factorize(messages["group_id"].astype(str))[0].astype(np.int64)
    t_all = _ts_ns(messages["ts"])
    line_all = messages["source_line"].to_numpy().astype(np.int64)
    sender_all = messages["sender_id"].astype(str).to_numpy(dtype=object)
    kind = messages["kind"].astype(str).to_numpy(dtype=object)
    system = np.isin(kind, SYSTEM_KINDS) | (sender_all == "system")
    order = np.lexsort((line_all, t_all, gcode))
    sp = order[~system[order]]                       # spoken rows, sorted by group, time, line
    n = len(sp)
    g, t = gcode[sp], t_all[sp]
    member = pd.factorize(pd.Series(g).astype(str) + "\x1f" + sender_all[sp])[0].astype(np.int64)
    pos = np.arange(n, dtype=np.int64)
    target = np.full(n, -1, np.int64)
    evidence = np.full(n, "", dtype=object)

    q = _quotes(messages, sp, g)
    _assign(target, evidence, q, "quote")
    addr, how = _addressed(messages, sp, g, member, rules)
    last_of = _last_before(member, pos, t, addr, rules.address_window)
    for ev in ("mention", "addressed_name", "named"):
        _assign(target, evidence, np.where(how == ev, last_of, -1), ev)
    quoted = np.where(q >= 0, member[np.maximum(q, 0)], -1)
    told = np.where(quoted >= 0, quoted, addr)
    told = np.where(told == member, -1, told)
    return Context(sp, g, t, member, target, evidence, told)


def address_columns(prep: dict[str, np.ndarray], ctx: Context, rules: ReplyRules, rows: np.ndarray
                    ) -> np.ndarray:
    """(rows x address_depth + own_depth): the addressed member's messages from the last back, then the
    sender's own, -1 for none.  An addressed row only chooses among these, so it can look further back than an
    unaddressed one (``address_lookback``) at the cost of a few columns, not of the whole span."""
    prev_own, depth = prep["prev_own"], rules.address_depth
    J = np.full((len(rows), depth + rules.own_depth), -1, np.int64)
    for first, columns in ((ctx.target[rows], range(depth)), (prev_own[rows], range(depth, J.shape[1]))):
        for k in columns:
            J[:, k] = first
            first = np.where(first >= 0, prev_own[np.maximum(first, 0)], -1)
    return J


def address_pairs(prep: dict[str, np.ndarray], ctx: Context, rules: ReplyRules, rows: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(J, r, c, F): the messages addressed ``rows`` may answer (``address_columns``) and the features of
    the pairs within reach (``address_lookback`` / ``address_span``) only: pair p is row r[p] and
    candidate J[r[p], c[p]], F[p] its PAIR_FEATURES.  Flat, as most of the columns are empty."""
    J = address_columns(prep, ctx, rules, rows)
    ar = address_rules(rules)
    Jc = np.maximum(J, 0)
    near = ((J >= 0) & (prep["pos"][rows][:, None] - J <= ar.lookback)
            & ((ctx.t[rows][:, None] - ctx.t[Jc]) <= ar.window * _SEC))
    r, c = np.nonzero(near)
    F = features(prep, ctx, ar, rows[r], J[r, c][:, None])[2][:, 0]
    return J, r, c, F


def _blocks(rows: np.ndarray, size: int = 20_000):
    """``rows`` in blocks, so the (rows x lookback x features) matrices stay small."""
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def _spoken_text(m: pd.DataFrame, sp: np.ndarray) -> pa.Array:
    """The texts of rows ``sp`` of ``m`` as Arrow strings, "" where missing."""
    arr = str_array(m["text"])
    if arr is None:
        return pa.array(m["text"].iloc[sp].fillna("").astype(str).to_numpy(dtype=object), type=pa.string())
    return pc.fill_null(arr.take(pa.array(sp, pa.int64())), "")


def _out_text(s: pd.Series) -> pd.api.extensions.ExtensionArray | np.ndarray:
    """A text column of the result, as the frame constructor would infer it from ``s.to_numpy()``
    (which builds a Python object per row: 0.35 s a million rows for a categorical column)."""
    arr = str_array(s)
    return s.to_numpy() if arr is None else pd.array(arr, dtype="str")


def _ts_ns(ts: pd.Series) -> np.ndarray:
    if not len(ts):
        return np.zeros(0, np.int64)
    return pd.DatetimeIndex(ts).as_unit("ns").asi8


def _prev_own(member: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Position of the same member's previous message, -1 for none."""
    return pd.Series(pos).groupby(member).shift(1).fillna(-1).to_numpy().astype(np.int64)


def _assign(target: np.ndarray, evidence: np.ndarray, cand: np.ndarray, name: str) -> None:
    """Fill still-unlinked rows from ``cand`` (positions, -1 none): earlier evidence keeps precedence."""
    take = (target < 0) & (cand >= 0)
    target[take] = cand[take]
    evidence[take] = name


def _quotes(m: pd.DataFrame, sp: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Position of the quoted message (``reply_to`` -> ``msg_id`` in the same group), -1 for none."""
    out = np.full(len(sp), -1, np.int64)
    if "reply_to" not in m.columns or "msg_id" not in m.columns or not len(sp):
        return out
    rt = m["reply_to"].iloc[sp].astype(object).to_numpy()
    has = pd.notna(rt) & (rt != "")
    if not has.any():
        return out
    mid = m["msg_id"].iloc[sp].astype(object).to_numpy()
    ids = pd.DataFrame({"g": g, "msg_id": mid, "p": np.arange(len(sp))})[pd.notna(mid)]
    ids = ids.astype({"msg_id": str}).drop_duplicates(["g", "msg_id"], keep="first")
    ask = pd.DataFrame({"g": g[has], "msg_id": rt[has].astype(str), "i": np.flatnonzero(has)})
    j = ask.merge(ids, on=["g", "msg_id"], how="inner")
    j = j[j["p"] < j["i"]]
    out[j["i"].to_numpy()] = j["p"].to_numpy()
    return out


def _system_quotes(m: pd.DataFrame, sp: np.ndarray, out_ev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows, system rows they quote): the one way a system line becomes a link target.  Telegram lets
    people reply to "X joined the group" (a welcome); the export's reply id says so, and guessing another
    target instead would contradict it.  Positions are in ``m``; quotes of spoken rows are already set."""
    none = np.zeros(0, np.int64), np.zeros(0, np.int64)
    if "reply_to" not in m.columns or "msg_id" not in m.columns or not len(sp):
        return none
    spoken = np.zeros(len(m), bool)
    spoken[sp] = True
    rt = m["reply_to"].astype(object).to_numpy()
    ask = np.flatnonzero(spoken & pd.notna(rt) & (rt != "") & (out_ev != "quote"))
    mid = m["msg_id"].astype(object).to_numpy()
    sysrow = np.flatnonzero(~spoken & pd.notna(mid))
    if not len(ask) or not len(sysrow):
        return none
    gid = m["group_id"].astype(str).to_numpy(dtype=object)
    ids = pd.DataFrame({"g": gid[sysrow], "id": mid[sysrow].astype(str), "j": sysrow}).drop_duplicates(["g", "id"])
    q = pd.DataFrame({"g": gid[ask], "id": rt[ask].astype(str), "i": ask}).merge(ids, on=["g", "id"], how="inner")
    t = _ts_ns(m["ts"])
    q = q[t[q["j"].to_numpy()] <= t[q["i"].to_numpy()]]
    return q["i"].to_numpy(np.int64), q["j"].to_numpy(np.int64)


def _has_items(s: pd.Series) -> np.ndarray:
    """Whether each cell of a column of lists (None/NaN for none) holds at least one item: Arrow's list
    lengths when the column converts to a list array, else a Python test per cell."""
    try:
        arr = pa.array(s, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arr = None
    if arr is not None and pa.types.is_null(arr.type):
        return np.zeros(len(s), bool)
    if arr is None or not (pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type)):
        return s.map(lambda v: v is not None and len(v) > 0 if not isinstance(v, float) else False).to_numpy(bool)
    return pc.fill_null(pc.list_value_length(arr), 0).to_numpy(zero_copy_only=False) > 0


def _aliases(m: pd.DataFrame, sp: np.ndarray, g: np.ndarray, member: np.ndarray) -> pd.DataFrame:
    """(key "group\\x1flower-name", member): every id and name a member spoke under, sorted by key."""
    gs = pd.Series(g).astype(str) + "\x1f"
    names = pd.concat([gs + m["sender_name"].iloc[sp].astype(str).str.lower().to_numpy(),
                       gs + m["sender_id"].iloc[sp].astype(str).str.lower().to_numpy()], ignore_index=True)
    al = pd.DataFrame({"key": names, "member": np.r_[member, member]})
    al = al.drop_duplicates("key", keep="last")     # a name two people used: the latest user
    return al.sort_values("key", ignore_index=True)


def _addressed(m: pd.DataFrame, sp: np.ndarray, g: np.ndarray, member: np.ndarray,
               rules: ReplyRules) -> tuple[np.ndarray, np.ndarray]:
    """(member addressed, -1 none; "mention" / "addressed_name" / "") for each spoken row."""
    n = len(sp)
    addr = np.full(n, -1, np.int64)
    how = np.full(n, "", dtype=object)
    if not n:
        return addr, how
    al = _aliases(m, sp, g, member)
    keys = al["key"].to_numpy(dtype=object)
    gs = pd.Series(g).astype(str).to_numpy(dtype=object)

    if "mentions" in m.columns:
        mn = m["mentions"].iloc[sp].reset_index(drop=True)
        ex = mn[_has_items(mn)].explode()
        if len(ex):
            name = ex.astype(str).str.strip().str.lstrip("@").str.lower()
            ok = ~name.isin(ALL_MENTIONS)
            i = ex.index.to_numpy()[ok.to_numpy()]
            look = pd.DataFrame({"i": i, "key": gs[i] + "\x1f" + name[ok].to_numpy(dtype=object)})
            j = look.merge(al, on="key", how="inner")
            j = j[j["member"].to_numpy() != member[j["i"].to_numpy()]].drop_duplicates("i", keep="first")
            addr[j["i"].to_numpy()] = j["member"].to_numpy()
            how[j["i"].to_numpy()] = "mention"

    text = _spoken_text(m, sp)
    lead = pc.extract_regex(text, LEAD_RE)
    at = pc.fill_null(lead.field("at"), "")
    tok = pc.fill_null(pc.if_else(pc.equal(at, ""), lead.field("name"), at), "")
    tok = np.asarray(pc.utf8_lower(tok).to_numpy(zero_copy_only=False), dtype=object)
    rows = np.flatnonzero((tok != "") & (addr < 0))
    if len(rows):
        query = gs[rows] + "\x1f" + tok[rows]
        lo = np.searchsorted(keys, query, side="left")
        exact = (lo < len(keys)) & (keys[np.minimum(lo, len(keys) - 1)] == query)
        hi = np.searchsorted(keys, query + "\U0010ffff", side="left")
        plen = pd.Series(tok[rows]).str.len().to_numpy()
        mem = al["member"].to_numpy()
        who = mem[np.minimum(lo, len(keys) - 1)]
        # a prefix of one member's names ("act:" for ActionParsnip) counts; one of several people's does not
        prefix = (~exact & (hi > lo) & (hi - lo <= 4) & (plen >= rules.min_prefix)
                  & (who == mem[np.clip(hi - 1, 0, len(keys) - 1)]))
        hit = exact | prefix
        hit &= who != member[rows]
        addr[rows[hit]] = who[hit]
        how[rows[hit]] = "addressed_name"
    _named(text, gs, al, member, addr, how, rules)
    return addr, how


def _named(text: pa.Array, gs: np.ndarray, al: pd.DataFrame, member: np.ndarray, addr: np.ndarray,
           how: np.ndarray, rules: ReplyRules) -> None:
    """A member's full name as a word anywhere in the text ("thanks bob2"), for rows not yet addressed.
    A name that is also a common word of the group (in more than ``common_name`` of its messages) is no
    evidence: a member called "ubuntu" in #ubuntu."""
    rows = np.flatnonzero(addr < 0)
    if not len(rows):
        return
    words = pc.split_pattern_regex(pc.utf8_lower(pc.take(text, pa.array(rows))), r"[\s,.;:!?()<>\[\]\"']+")
    flat = pc.list_flatten(words)
    owner = rows[np.asarray(pc.list_parent_indices(words).to_numpy())]
    keep = pc.greater_equal(pc.utf8_length(flat), rules.min_prefix)
    flat, owner = flat.filter(keep), owner[keep.to_numpy(zero_copy_only=False)]
    # "group\x1fword" looked up among the aliases in Arrow: a word is a Python object only if it is a name
    gcode, groups = pd.factorize(gs)
    group_of = pa.DictionaryArray.from_arrays(pa.array(gcode[owner], pa.int32()), pa.array(groups, pa.string()))
    keys = pc.binary_join_element_wise(group_of.cast(pa.string()), flat, "\x1f")
    alias = pc.index_in(keys, value_set=pa.array(al["key"].to_numpy(dtype=object), pa.string(), from_pandas=True))
    hit = pc.indices_nonzero(pc.is_valid(alias)).to_numpy()
    code = alias.take(pa.array(hit)).to_numpy(zero_copy_only=False).astype(np.int64)
    j = pd.DataFrame({"i": owner[hit], "key": code, "member": al["member"].to_numpy()[code]}).drop_duplicates(["i", "key"])
    j = j[j["member"].to_numpy() != member[j["i"].to_numpy()]]
    if not len(j):
        return
    group_size = pd.Series(gs).value_counts()
    freq = j.groupby("key")["i"].transform("size").to_numpy()
    size = group_size.reindex(gs[j["i"].to_numpy()]).to_numpy()
    j = j[freq <= np.maximum(3, rules.common_name * size)].drop_duplicates("i", keep="first")
    addr[j["i"].to_numpy()] = j["member"].to_numpy()
    how[j["i"].to_numpy()] = "named"


def _last_before(member: np.ndarray, pos: np.ndarray, t: np.ndarray, who: np.ndarray,
                 window: float) -> np.ndarray:
    """Position of member ``who[i]``'s last message before row i within ``window`` seconds, -1 for none."""
    out = np.full(len(pos), -1, np.int64)
    ask = np.flatnonzero(who >= 0)
    if not len(ask):
        return out
    left = pd.DataFrame({"pos": pos[ask], "member": who[ask], "i": ask})
    right = pd.DataFrame({"pos": pos, "member": member, "p": pos})
    j = pd.merge_asof(left, right, on="pos", by="member", direction="backward", allow_exact_matches=False)
    p = j["p"].to_numpy()
    ok = ~np.isnan(p)
    i, p = j["i"].to_numpy()[ok], p[ok].astype(np.int64)
    fresh = (t[i] - t[p]) <= window * _SEC
    out[i[fresh]] = p[fresh]
    return out


def candidates(messages: pd.DataFrame, ctx: Context, rules: ReplyRules = RULES, lexicon=None,
               links: np.ndarray | None = None, rows: np.ndarray | None = None, addressed: bool = False
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(J, valid, F, N) for the sorted ``rows`` (default: all): the previous ``lookback`` rows
    J[r, k] = row - k - 1, whether each is a candidate (same group, within ``window``), their
    PAIR_FEATURES F[r, k, :] and the NONE_FEATURES N[r, :] of "no link".  ``links`` (default: the explicit
    ones) are the links known so far: a second pass sees whom the first linked each earlier message to.
    ``addressed``: the columns an addressed row chooses among instead (``address_columns``)."""
    state = with_links(prepare(messages, ctx, rules, lexicon), ctx, links)
    rows = np.arange(len(ctx.g)) if rows is None else rows
    if not addressed:
        return features(state, ctx, rules, rows)
    J, r, c, Fp = address_pairs(state, ctx, rules, rows)
    valid = np.zeros(J.shape, bool)
    valid[r, c] = True
    F = np.zeros(J.shape + (Fp.shape[-1],), np.float32)
    F[r, c] = Fp
    return J, valid, F, np.zeros((len(rows), len(NONE_FEATURES)), np.float32)


def prepare(messages: pd.DataFrame, ctx: Context, rules: ReplyRules, lexicon=None) -> dict[str, np.ndarray]:
    """The per-message arrays the candidate features are read from (one pass over the texts)."""
    g, member, told = ctx.g, ctx.member, ctx.told
    n = len(g)
    pos = np.arange(n, dtype=np.int64)
    prev_own = _prev_own(member, pos)
    next_own = pd.Series(pos).groupby(member).shift(-1).fillna(n).to_numpy().astype(np.int64)
    # the latest message that addressed X
    to_me = np.full(n, -1, np.int64)
    rows = np.flatnonzero(told >= 0)
    if len(rows):
        left = pd.DataFrame({"pos": pos, "member": member, "i": pos})
        right = pd.DataFrame({"pos": pos[rows], "member": told[rows], "p": pos[rows]})
        j = pd.merge_asof(left, right, on="pos", by="member", direction="backward", allow_exact_matches=False)
        p = j["p"].to_numpy()
        ok = ~np.isnan(p)
        to_me[j["i"].to_numpy()[ok]] = p[ok].astype(np.int64)
    text = _spoken_text(messages, ctx.sp)
    length = pc.utf8_length(text).to_numpy(zero_copy_only=False).astype(np.int64)
    return {"pos": pos, "prev_own": prev_own, "next_own": next_own, "to_me": to_me,
            "question": _questions(messages, ctx.sp, lexicon),
            "length": length, "log_length": np.log1p(length),
            "url": pc.match_substring(text, "http").to_numpy(zero_copy_only=False),
            "words": _shared_words(messages, ctx, rules)}


def with_links(prep: dict[str, np.ndarray], ctx: Context, links: np.ndarray | None) -> dict[str, np.ndarray]:
    """``prep`` plus the arrays that depend on the links known so far (X's partner)."""
    member, told = ctx.member, ctx.told
    links = ctx.target if links is None else links
    prev_own, to_me = prep["prev_own"], prep["to_me"]
    po = np.maximum(prev_own, 0)
    # X's partner: whom X's last message addressed, else answered, else who last addressed X
    partner = np.where(prev_own >= 0, told[po], -1)
    answered = np.where((prev_own >= 0) & (links[po] >= 0), member[np.maximum(links[po], 0)], -1)
    partner = np.where(partner < 0, np.where(answered != member, answered, -1), partner)
    partner = np.where(partner < 0, np.where(to_me >= 0, member[np.maximum(to_me, 0)], -1), partner)
    return prep | {"links": links, "partner": partner}


def features(prep: dict[str, np.ndarray], ctx: Context, rules: ReplyRules, rows: np.ndarray,
             J: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(J, valid, F, N) of ``rows`` (see ``candidates``); float32, a block of rows at a time.  ``J``:
    the candidate positions (-1 none; default the previous ``lookback`` rows), at most ``lookback`` back."""
    g, t, member, told = ctx.g, ctx.t, ctx.member, ctx.told
    pos, prev_own, next_own, to_me = prep["pos"][rows], prep["prev_own"], prep["next_own"], prep["to_me"]
    question, length, url, links, partner = (prep[k] for k in ("question", "length", "url", "links", "partner"))
    K = rules.lookback
    if J is None:
        J = pos[:, None] - np.arange(1, K + 1)[None, :]
        k1 = np.broadcast_to(np.arange(1, K + 1)[None, :], J.shape)
        logk = np.broadcast_to(np.log(np.arange(1, K + 1))[None, :], J.shape)   # the rows share 1..K
        words = prep["words"][rows, :K]
    else:
        k1 = np.clip(pos[:, None] - J, 1, K)
        logk = np.log(k1)
        words = prep["words"][rows[:, None], k1 - 1]
    Jc = np.maximum(J, 0)
    ti = t[rows][:, None]
    valid = (J >= 0) & (g[Jc] == g[rows][:, None]) & ((ti - t[Jc]) <= rules.window * _SEC) & (pos[:, None] - J <= K)
    mi = member[rows][:, None]
    own = member[Jc] == mi
    minutes = np.minimum((ti - t[Jc]) / (60 * _SEC), 30)
    first_of_j = (prev_own[Jc] < 0) | ((t[Jc] - t[np.maximum(prev_own[Jc], 0)]) > 1800 * _SEC)
    pi, po_i, ti_me, li = partner[rows][:, None], prev_own[rows], to_me[rows], length[rows][:, None]
    with_partner = (member[Jc] == pi) & (pi >= 0)
    sender_latest = next_own[Jc] >= pos[:, None]
    ti_to = told[rows][:, None]
    same_to = (told[Jc] == ti_to) & (ti_to >= 0)     # j addressed the member row i addresses
    answered_by_j = np.where(links[Jc] >= 0, member[np.maximum(links[Jc], 0)], -1)
    cols = (
        own,
        Jc == po_i[:, None],
        told[Jc] == mi,
        (Jc == ti_me[:, None]) & (ti_me > po_i)[:, None],
        with_partner,
        (told[Jc] >= 0) & (told[Jc] != mi) & ~own,
        logk,
        minutes / 10,
        question[Jc],
        np.minimum(words, 30) / 10,
        (told[Jc] < 0) & ~own,
        sender_latest,
        first_of_j & ~own,
        (k1 == 1) & (li <= 20),
        own * minutes / 10,
        (told[Jc] == mi) * logk,
        first_of_j & ~own & question[Jc],
        own & question[rows][:, None],
        words > 0,
        prep["log_length"][Jc],
        url[Jc],
        with_partner & sender_latest,
        own * logk,
        ~own & question[Jc] & (li <= 40),
        (answered_by_j == mi) & ~own,
        own & (answered_by_j >= 0) & (answered_by_j != mi),
        same_to,
        same_to & (ctx.target[rows][:, None] < Jc),
    )
    F = np.empty(J.shape + (len(cols),), np.float32)
    # filled a few hundred rows at a time: a column written down the whole block strides through all of
    # F once per feature (most of reply_links' time on 1M messages); a ~1 MB slab stays in cache
    step = max(1, (1 << 18) // max(1, J.shape[1] * len(cols)))
    cols = [np.broadcast_to(col, J.shape) for col in cols]
    for a in range(0, len(J), step):
        slab = F[a:a + step]
        for c, col in enumerate(cols):
            slab[..., c] = col[a:a + step]
    tr = t[rows]
    gap = np.clip(np.where(pos > 0, (tr - t[np.maximum(pos - 1, 0)]) / (60 * _SEC), 30), 0, 30)
    own_gap = np.where(po_i >= 0, (tr - t[np.maximum(po_i, 0)]) / (60 * _SEC), np.inf)
    N = np.stack([np.ones(len(rows)), question[rows], np.log1p(length[rows]), own_gap > 30, np.log1p(gap)],
                 axis=-1).astype(np.float32)
    return J, valid, F, N


def scores(valid: np.ndarray, F: np.ndarray, N: np.ndarray, rules: ReplyRules) -> np.ndarray:
    """Logits (rows x 1 + lookback): column 0 is "no link", then the candidates (-inf where not valid)."""
    pair = F @ np.asarray(rules.pair_weights, np.float32)
    none = N @ np.asarray(rules.none_weights, np.float32)
    return np.concatenate([none[:, None], np.where(valid, pair, -np.inf)], axis=1)


def choose(J, valid, F, N, rules: ReplyRules) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(picked position or -1, its probability, picked by turn-taking) for each row."""
    z = scores(valid, F, N, rules)
    best = np.argmax(z, axis=1)
    zz = np.exp(z - z.max(axis=1, keepdims=True))
    prob = zz[np.arange(len(z)), best] / zz.sum(axis=1)
    k = np.maximum(best - 1, 0)
    pick = np.where(best > 0, J[np.arange(len(J)), k], -1)
    f = F[np.arange(len(F)), k]
    turn = (best > 0) & ((f[:, 0] > 0) | (f[:, 2] > 0) | (f[:, 4] > 0))
    return pick, prob, turn


def _shared_words(m: pd.DataFrame, ctx: Context, rules: ReplyRules) -> np.ndarray:
    """(rows x lookback): the summed idf of the rare words row i shares with each earlier candidate."""
    g, sp = ctx.g, ctx.sp
    n, K = len(g), max(rules.lookback, rules.address_lookback)
    out = np.zeros((n, K), np.float32)
    if n < 2:
        return out
    text = _spoken_text(m, sp)
    words = pc.split_pattern_regex(pc.utf8_lower(text), r"[^\w./-]+")
    flat = pc.list_flatten(words)
    keep = pc.greater_equal(pc.utf8_length(flat), rules.words_min_len)
    row = np.asarray(pc.list_parent_indices(words).to_numpy())[keep.to_numpy(zero_copy_only=False)]
    # each word as its rank among the distinct words (the order of the text itself, so the sort below and
    # the float sums that follow it are the ones string keys gave), no Python object per word
    encoded = pc.dictionary_encode(flat.filter(keep))
    rank = np.empty(len(encoded.dictionary), np.int64)
    rank[pc.sort_indices(encoded.dictionary).to_numpy()] = np.arange(len(encoded.dictionary))
    wcode = rank[encoded.indices.to_numpy(zero_copy_only=False)]
    w = pd.DataFrame({"i": row, "g": g[row], "w": wcode}).drop_duplicates(["i", "w"])
    if not len(w):
        return out
    size = np.bincount(g, minlength=int(g.max()) + 1)
    df = w.groupby(["g", "w"])["i"].transform("size").to_numpy()
    gsize = size[w["g"].to_numpy()]
    w = w.assign(idf=np.log(gsize / df))[(df / gsize <= rules.words_max_df) & (df >= 2)]
    w = w.sort_values(["g", "w", "i"], kind="stable")
    key = w.groupby(["g", "w"], sort=False)["i"]
    i_all, idf = w["i"].to_numpy(), w["idf"].to_numpy()
    for k in range(1, 4):                       # the last three earlier uses of each word
        j = key.shift(k).to_numpy()
        ok = ~np.isnan(j)
        i = i_all[ok]
        d = i - j[ok].astype(np.int64)
        near = d <= K
        np.add.at(out, (i[near], d[near] - 1), idf[ok][near])
    return out


def _questions(m: pd.DataFrame, sp: np.ndarray, lexicon) -> np.ndarray:
    """Rows whose text asks something (the lexicon's question words and marks), one RE2 pass."""
    regex = resolve_lexicon(lexicon).regex("question")
    if regex is None or not len(sp):
        return np.zeros(len(sp), bool)
    text = _spoken_text(m, sp)
    return np.asarray(pc.match_substring_regex(text, regex, ignore_case=True).to_numpy(zero_copy_only=False))
