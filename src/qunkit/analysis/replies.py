"""Who answered whom: one reply link per message, with the evidence behind it.

``reply_links(messages)`` gives every message the earlier message it answers
(or none).  Evidence, strongest first; the first that applies wins:

- ``quote``: the export's native quote (``reply_to`` -> ``msg_id`` in the group);
- ``mention``: an @mention (``mentions``) of a member -> that member's last message;
- ``addressed_name``: the text starts with a member's name or a prefix of it
  ("name:", "name，", "@name"; IRC's "nick: text" is the same act as an @mention)
  -> that member's last message;
- ``turn_taking``: an unaddressed message by X right after someone addressed X
  (X answers them), a two-person exchange that goes on (X's partner spoke since
  X's last message), or X carrying on their own turn (links to X's own last
  message, as annotators of threads do; callers that want "another member
  answered" drop rows whose ``reply_to_sender_id`` is the sender);
- ``timing``: a short message right after another person's question;
- ``none``: nobody was addressed and nothing recent fits: a new topic.

System lines (joins, recalls, ...) are never linked and never link targets.
Windows and thresholds are in ``ReplyRules``; the defaults were tuned on five of
the ten IRC disentanglement dev files (``benchmarks/bench_replies.py``), and
``confidence`` is the precision each evidence reached there.

Everything is vectorised: one sort, RE2 passes over the texts (pyarrow),
``merge_asof`` for "the last message of member M before this one" and
integer arithmetic on the sorted positions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .lexicon import resolve_lexicon

EVIDENCE = ("quote", "mention", "addressed_name", "turn_taking", "timing", "none")
SYSTEM_KINDS = ("system", "recall")
ALL_MENTIONS = ("@all", "all", "全体成员", "所有人")
# a leading address: "@name ..." or "name: ..." / "name，..." (the token is matched against member names)
LEAD_RE = r"^\s*(?:@(?P<at>[^\s:：,，@]{1,40})|(?P<name>[^\s:：,，@]{1,40})\s*[:：,，])"
OUT_COLUMNS = ("group_id", "group_name", "ts", "sender_id", "sender_name", "source_line", "reply_to_row",
               "reply_to_line", "reply_to_sender_id", "confidence", "evidence")
_SEC = 1_000_000_000


@dataclass(frozen=True)
class ReplyRules:
    """Windows (seconds) and thresholds of the heuristics; see the module doc for what each rule means."""

    address_window: float = 3 * 3600   # an addressed member's last message older than this is not the target
    answer_window: float = 15 * 60     # X's unaddressed message this soon after being addressed answers it
    exchange_window: float = 15 * 60   # a two-person exchange goes on while both spoke this recently
    continue_window: float = 5 * 60    # X's own last message this recent: X carries on their turn
    question_window: float = 3 * 60    # a short message this soon after another person's question answers it
    short_chars: int = 60              # "short" for the question rule
    min_prefix: int = 3                # shortest nick prefix that counts as an address
    named_in_text: bool = True         # a member's name as a word anywhere in the text
    common_name: float = 0.02          # ... unless that word is in more than this share of the group's messages
    skip_third_party: bool = False     # the addressee's last message to me or to nobody, not to a third person
    same_addressee: bool = True        # X addressing Y again before Y answered links to X's own last message
    order: tuple[str, ...] = ("tt1", "tt2", "tt3")
    passes: int = 1
    words_min_len: int = 3
    words_max_df: float = 0.05
    words_prev: int = 3
    words_lookback: int = 30
    words_window: float = 15 * 60
    words_min_score: float = 4.0


RULES = ReplyRules()
CONFIDENCE = {"quote": 0.99, "mention": 0.9, "addressed_name": 0.8, "named": 0.7, "turn_taking": 0.6, "timing": 0.5,
              "none": 0.0}


def reply_links(messages: pd.DataFrame, rules: ReplyRules = RULES, lexicon=None) -> pd.DataFrame:
    """One row per message (same index as ``messages``): what it answers and why.

    ``reply_to_row`` is the position (0-based, in ``messages``) of the answered message, -1 for none;
    ``reply_to_line`` its ``source_line``; ``evidence`` one of ``EVIDENCE``.
    """
    n_all = len(messages)
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

    target = np.full(n, -1, np.int64)                # position (in sp) of the answered message
    evidence = np.full(n, "none", dtype=object)

    q = _quotes(messages, sp, g)
    _assign(target, evidence, q, "quote")
    addr, how = _addressed(messages, sp, g, member, rules)
    quoted = np.where(q >= 0, member[np.maximum(q, 0)], -1)
    told0 = np.where(quoted >= 0, quoted, addr)
    last_of = _addressee_message(g, member, pos, t, addr, told0, rules)
    if rules.same_addressee:
        # X addressed Y again before Y answered: X goes on with their own turn
        prev_own = pd.Series(pos).groupby(member).shift(1).fillna(-1).to_numpy().astype(np.int64)
        po = np.maximum(prev_own, 0)
        again = ((addr >= 0) & (prev_own >= 0) & (addr[po] == addr) & (prev_own > last_of)
                 & ((t - t[po]) <= rules.continue_window * _SEC))
        last_of = np.where(again, prev_own, last_of)
    for ev in ("mention", "addressed_name", "named"):
        _assign(target, evidence, np.where(how == ev, last_of, -1), ev)

    # who each explicit link points at: the member a later unaddressed message may be answering
    told = np.where(target >= 0, member[np.maximum(target, 0)], addr)
    told = np.where(told == member, -1, told)
    free = target < 0
    links = target
    for _ in range(rules.passes):
        # later passes also know who the earlier heuristic links answered
        heur = _heuristics(messages, sp, g, t, member, pos, told, links, rules, lexicon)
        links = target.copy()
        links[free] = heur[0][free]
        hint = np.where(links >= 0, member[np.maximum(links, 0)], -1)
        told = np.where(hint == member, -1, hint)
    target = links
    evidence[free & (heur[0] >= 0)] = heur[1][free & (heur[0] >= 0)]

    out_row = np.full(n_all, -1, np.int64)
    out_ev = np.full(n_all, "none", dtype=object)
    linked = target >= 0
    out_row[sp[linked]] = sp[target[linked]]
    out_ev[sp] = evidence
    has = out_row >= 0
    res = pd.DataFrame({
        "group_id": messages["group_id"].to_numpy(), "group_name": messages["group_name"].to_numpy()
        if "group_name" in messages.columns else messages["group_id"].to_numpy(),
        "ts": messages["ts"].to_numpy(), "sender_id": messages["sender_id"].to_numpy(),
        "sender_name": messages["sender_name"].to_numpy(), "source_line": line_all,
        "reply_to_row": out_row,
        "reply_to_line": pd.array(np.where(has, line_all[np.maximum(out_row, 0)], 0), dtype="Int64"),
        "reply_to_sender_id": np.where(has, sender_all[np.maximum(out_row, 0)], None),
        "confidence": pd.Series(out_ev).map(CONFIDENCE).to_numpy(), "evidence": out_ev,
    }, index=messages.index)
    res.loc[~has, "reply_to_line"] = pd.NA
    return res[list(OUT_COLUMNS)]


def _ts_ns(ts: pd.Series) -> np.ndarray:
    if not len(ts):
        return np.zeros(0, np.int64)
    return pd.DatetimeIndex(ts).as_unit("ns").asi8


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
        ex = mn[mn.map(lambda v: v is not None and len(v) > 0 if not isinstance(v, float) else False)].explode()
        if len(ex):
            name = ex.astype(str).str.strip().str.lstrip("@").str.lower()
            ok = ~name.isin(ALL_MENTIONS)
            i = ex.index.to_numpy()[ok.to_numpy()]
            look = pd.DataFrame({"i": i, "key": gs[i] + "\x1f" + name[ok].to_numpy(dtype=object)})
            j = look.merge(al, on="key", how="inner")
            j = j[j["member"].to_numpy() != member[j["i"].to_numpy()]].drop_duplicates("i", keep="first")
            addr[j["i"].to_numpy()] = j["member"].to_numpy()
            how[j["i"].to_numpy()] = "mention"

    text = pa.array(m["text"].iloc[sp].fillna("").astype(str).to_numpy(dtype=object), type=pa.string())
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
    if rules.named_in_text:
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
    flat = np.asarray(pc.list_flatten(words).to_numpy(zero_copy_only=False), dtype=object)
    owner = rows[np.asarray(pc.list_parent_indices(words).to_numpy())]
    keep = pd.Series(flat).str.len().to_numpy() >= rules.min_prefix
    pairs = pd.DataFrame({"i": owner[keep], "key": gs[owner[keep]] + "\x1f" + flat[keep]}).drop_duplicates()
    j = pairs.merge(al, on="key", how="inner")
    j = j[j["member"].to_numpy() != member[j["i"].to_numpy()]]
    if not len(j):
        return
    group_size = pd.Series(gs).value_counts()
    freq = j.groupby("key")["i"].transform("size").to_numpy()
    size = group_size.reindex(gs[j["i"].to_numpy()]).to_numpy()
    j = j[freq <= np.maximum(3, rules.common_name * size)].drop_duplicates("i", keep="first")
    addr[j["i"].to_numpy()] = j["member"].to_numpy()
    how[j["i"].to_numpy()] = "named"


def _last_before(g: np.ndarray, member: np.ndarray, pos: np.ndarray, t: np.ndarray, who: np.ndarray,
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


def _addressee_message(g, member, pos, t, addr, told0, rules: ReplyRules) -> np.ndarray:
    """The addressed member Y's message that row i (by X) answers: Y's last message to X or to nobody
    in particular (not one Y addressed to a third person), else Y's last message; -1 for none."""
    last = _last_before(g, member, pos, t, addr, rules.address_window)
    if not rules.skip_third_party:
        return last
    ask = np.flatnonzero(addr >= 0)
    best = np.full(len(pos), -1, np.int64)
    if not len(ask):
        return last
    span = int(member.max()) + 2
    for right_rows, key_right, key_left in (
        (np.flatnonzero(told0 < 0), member, addr),
        (np.flatnonzero(told0 >= 0), member * span + told0 + 1, addr * span + member + 1),
    ):
        if not len(right_rows):
            continue
        left = pd.DataFrame({"pos": pos[ask], "k": key_left[ask], "i": ask})
        right = pd.DataFrame({"pos": pos[right_rows], "k": key_right[right_rows], "p": right_rows})
        j = pd.merge_asof(left, right, on="pos", by="k", direction="backward", allow_exact_matches=False)
        p = j["p"].to_numpy()
        ok = ~np.isnan(p)
        i, p = j["i"].to_numpy()[ok], p[ok].astype(np.int64)
        fresh = (t[i] - t[p]) <= rules.address_window * _SEC
        best[i[fresh]] = np.maximum(best[i[fresh]], p[fresh])
    return np.where(best >= 0, best, last)


def _heuristics(m, sp, g, t, member, pos, told, target, rules: ReplyRules, lexicon):
    """(position, evidence) from turn-taking and timing for every row (callers use them for unlinked rows)."""
    n = len(sp)
    cand = np.full(n, -1, np.int64)
    ev = np.full(n, "none", dtype=object)
    if not n:
        return cand, ev
    sec = _SEC

    # X's own previous message
    s = pd.Series(pos)
    prev_own = s.groupby(member).shift(1).fillna(-1).to_numpy().astype(np.int64)
    # the latest message by someone else that addressed (or quoted) X
    to_me = np.full(n, -1, np.int64)
    rows = np.flatnonzero(told >= 0)
    if len(rows):
        left = pd.DataFrame({"pos": pos, "member": member, "i": pos})
        right = pd.DataFrame({"pos": pos[rows], "member": told[rows], "p": pos[rows]})
        j = pd.merge_asof(left, right, on="pos", by="member", direction="backward", allow_exact_matches=False)
        p = j["p"].to_numpy()
        ok = ~np.isnan(p)
        to_me[j["i"].to_numpy()[ok]] = p[ok].astype(np.int64)
    # the previous message by someone else (the end of the previous turn)
    turn_start = np.ones(n, bool)
    turn_start[1:] = (member[1:] != member[:-1]) | (g[1:] != g[:-1])
    start = np.maximum.accumulate(np.where(turn_start, pos, 0))
    prev_other = np.where((start > 0) & (g[np.maximum(start - 1, 0)] == g), start - 1, -1)

    def age(p: np.ndarray) -> np.ndarray:
        return np.where(p >= 0, (t - t[np.maximum(p, 0)]) / sec, np.inf)

    question = _questions(m, sp, lexicon)
    length = m["text"].iloc[sp].fillna("").astype(str).str.len().to_numpy()
    po = np.maximum(prev_other, 0)
    partner = np.where((prev_own >= 0) & (target[np.maximum(prev_own, 0)] >= 0),
                       member[np.maximum(target[np.maximum(prev_own, 0)], 0)], -1)
    partner = np.where(partner == member, -1, partner)
    y_last = _last_before(g, member, pos, t, partner, rules.exchange_window)
    rule = {
        # answer whoever addressed X since X last spoke
        "tt1": (to_me, (to_me >= 0) & (to_me > prev_own) & (age(to_me) <= rules.answer_window)),
        # a two-person exchange goes on: X's last message answered Y and Y has spoken since
        "tt2": (y_last, (y_last > prev_own) & (prev_own >= 0) & (age(prev_own) <= rules.exchange_window)),
        # X carries on their own turn
        "tt3": (prev_own, (prev_own >= 0) & (age(prev_own) <= rules.continue_window)),
        # right after another person's question that opened a thread
        "qopen": (prev_other, (prev_other >= 0) & question[po] & (target[po] < 0)
                  & (age(prev_other) <= rules.question_window)),
        # a short message right after another person's question
        "timing": (prev_other, (prev_other >= 0) & question[po] & (length <= rules.short_chars)
                   & (age(prev_other) <= rules.question_window)),
    }
    if "words" in rules.order:
        best, score = _shared_words(m, sp, g, member, pos, t, rules)
        rule["words"] = (best, (best >= 0) & (score >= rules.words_min_score))
    for name in rules.order:
        c, ok = rule[name]
        take = (cand < 0) & ok
        cand[take], ev[take] = c[take], name
    return cand, ev


def _shared_words(m: pd.DataFrame, sp: np.ndarray, g: np.ndarray, member: np.ndarray, pos: np.ndarray,
                  t: np.ndarray, rules: ReplyRules) -> tuple[np.ndarray, np.ndarray]:
    """(best earlier message, score) by the rare words row i shares with one of the previous
    ``words_lookback`` messages of other members (score: the sum of the shared words' idf in the group)."""
    n = len(sp)
    best = np.full(n, -1, np.int64)
    score = np.zeros(n)
    if n < 2:
        return best, score
    text = pa.array(m["text"].iloc[sp].fillna("").astype(str).to_numpy(dtype=object), type=pa.string())
    words = pc.split_pattern_regex(pc.utf8_lower(text), r"[^\w./-]+")
    flat = np.asarray(pc.list_flatten(words).to_numpy(zero_copy_only=False), dtype=object)
    row = np.asarray(pc.list_parent_indices(words).to_numpy())
    keep = pd.Series(flat).str.len().to_numpy() >= rules.words_min_len
    w = pd.DataFrame({"i": row[keep], "g": g[row[keep]], "w": flat[keep]}).drop_duplicates(["i", "w"])
    if not len(w):
        return best, score
    size = np.bincount(g, minlength=int(g.max()) + 1)
    df = w.groupby(["g", "w"])["i"].transform("size").to_numpy()
    idf = np.log(size[w["g"].to_numpy()] / df)
    w = w.assign(idf=idf)[(df / size[w["g"].to_numpy()] <= rules.words_max_df) & (df >= 2)]
    w = w.sort_values(["g", "w", "i"], kind="stable")
    key = w.groupby(["g", "w"], sort=False)
    pairs = []
    for k in range(1, rules.words_prev + 1):
        j = key["i"].shift(k)
        ok = j.notna().to_numpy()
        pairs.append(pd.DataFrame({"i": w["i"].to_numpy()[ok], "j": j.to_numpy()[ok].astype(np.int64),
                                   "idf": w["idf"].to_numpy()[ok]}))
    pr = pd.concat(pairs, ignore_index=True)
    i, j = pr["i"].to_numpy(), pr["j"].to_numpy()
    pr = pr[(i - j <= rules.words_lookback) & (member[i] != member[j])
            & ((t[i] - t[j]) <= rules.words_window * _SEC)]
    if not len(pr):
        return best, score
    agg = pr.groupby(["i", "j"], sort=False)["idf"].sum().reset_index()
    agg = agg.sort_values(["i", "idf", "j"], ascending=[True, False, False]).drop_duplicates("i")
    best[agg["i"].to_numpy()] = agg["j"].to_numpy()
    score[agg["i"].to_numpy()] = agg["idf"].to_numpy()
    return best, score


def _questions(m: pd.DataFrame, sp: np.ndarray, lexicon) -> np.ndarray:
    """Rows whose text asks something (the lexicon's question words and marks), one RE2 pass."""
    regex = resolve_lexicon(lexicon).regex("question")
    if regex is None or not len(sp):
        return np.zeros(len(sp), bool)
    text = pa.array(m["text"].iloc[sp].fillna("").astype(str).to_numpy(dtype=object), type=pa.string())
    return np.asarray(pc.match_substring_regex(text, regex, ignore_case=True).to_numpy(zero_copy_only=False))
