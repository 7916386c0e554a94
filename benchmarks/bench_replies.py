"""Reply-link precision/recall/F1 of ``qunkit.analysis.replies`` on the IRC disentanglement dev files.

    PYTHONPATH=src python benchmarks/bench_replies.py                  # ../shared/realdata/irc/...
    PYTHONPATH=src python benchmarks/bench_replies.py --data DIR --repeat 3

Each ``*.raw.txt`` is read by ``benchmarks/irc.py`` as one group; every
annotated line gets one predicted link ("no link" stands for the gold's
self-link).  Printed per file and overall, on the tuning files (the even
positions in name order: the rules' defaults were chosen on these), on the
untouched files, and on all ten; next to it the baseline: the addressed
person's last message, else the previous message by another speaker.  The
time is for ``reply_links`` alone, scaled to 100,000 messages.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from irc import prf, read_irc, read_links, score  # noqa: E402

from qunkit.analysis.replies import (  # noqa: E402
    ReplyRules,
    candidates,
    explicit_links,
    reply_links,
)


def default_data() -> Path:
    """``../shared/realdata`` beside the repo root (a worktree under ``wt/`` looks one level further up)."""
    root = Path(__file__).resolve().parents[1]
    tried = [root / ".." / "shared" / "realdata", root / ".." / ".." / "shared" / "realdata"]
    real = next((d for d in tried if d.is_dir()), tried[0])
    return real / "irc" / "irc-disentanglement-dev"


def tuning_split(files: list[Path]) -> tuple[list[Path], list[Path]]:
    """(tuning, untouched): alternate files in name order, so both halves span 2004-2016."""
    return files[0::2], files[1::2]


def baseline(messages: pd.DataFrame) -> pd.DataFrame:
    """The addressed person's last message (qunkit's explicit @mention / name links, before any choice
    among that person's messages), else the previous message by another speaker."""
    ctx = explicit_links(messages)
    sender = messages["sender_id"].to_numpy()[ctx.sp]
    prev = np.full(len(ctx.sp), -1)
    last_other = -1
    for i in range(1, len(ctx.sp)):              # benchmark only: a few thousand lines
        if sender[i - 1] != sender[i]:
            last_other = i - 1
        prev[i] = last_other
    addressed = np.isin(ctx.evidence, ("mention", "addressed_name", "named"))
    pick = np.where(addressed, ctx.target, prev)
    line = messages["source_line"].to_numpy()
    out = pd.DataFrame({"source_line": line, "reply_to_line": pd.array([pd.NA] * len(line), dtype="Int64")})
    has = pick >= 0
    out.loc[ctx.sp[has], "reply_to_line"] = line[ctx.sp[pick[has]]]
    return out


def evaluate(files: list[Path], **rules) -> dict[str, dict[str, dict[str, int]]]:
    """{file name: {"qunkit": counts, "baseline": counts}}."""
    r = ReplyRules(**rules)
    res = {}
    for f in files:
        msgs = read_irc(f)
        gold = read_links(f.with_name(f.name.replace(".raw.txt", ".annotation.txt")))
        links = reply_links(msgs, r)
        res[f.name] = {"qunkit": score(links, gold), "baseline": score(baseline(msgs), gold)}
    return res


def fit(files: list[Path], addressed: bool = False, first: dict | None = None, steps: int = 3000,
        l2: float = 1e-3, **rules) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Fit the pair and none weights of ``reply_links`` on ``files``: a conditional logit over the
    candidates of every annotated message that addresses nobody (Adam on the mean log-likelihood of
    picking any gold parent; "no link" is right for the gold's self-links).  ``addressed``: the weights
    that pick one of the addressed member's messages instead (no "no link" option)."""
    RULES = ReplyRules(**rules)

    Fs, Ns, Vs, Gs = [], [], [], []
    for f in files:
        msgs = read_irc(f)
        gold = read_links(f.with_name(f.name.replace(".raw.txt", ".annotation.txt")))
        ctx = explicit_links(msgs, RULES)
        links = None
        if first is not None:                     # features as the second pass sees them
            links = reply_links(msgs, replace(RULES, passes=1, **first))["reply_to_row"].to_numpy()
            back = np.full(len(msgs), -1)
            back[ctx.sp] = np.arange(len(ctx.sp))
            links = np.where(links[ctx.sp] >= 0, back[np.maximum(links[ctx.sp], 0)], -1)
        J, valid, F, N = candidates(msgs, ctx, RULES, links=links, addressed=addressed)
        line = msgs["source_line"].to_numpy()[ctx.sp]
        parents = gold.groupby("child")["parent"].apply(set)
        said = np.isin(ctx.evidence, ("mention", "addressed_name", "named"))
        pick = ctx.target < 0 if not addressed else said
        rows = [i for i in np.flatnonzero(pick) if line[i] in parents.index]
        for i in rows:
            ps = parents[line[i]]
            cand = valid[i]
            opts = [line[i] in ps and not addressed] + [bool(v and line[j] in ps) for j, v in zip(J[i], cand, strict=True)]
            if sum(opts) and (not addressed or cand.sum() > 1):
                valid[i] = cand
                Fs.append(F[i])
                Ns.append(N[i])
                Vs.append(valid[i])
                Gs.append(opts)
    F, N, V, G = np.array(Fs), np.array(Ns), np.array(Vs), np.array(Gs, dtype=bool)
    dp, dn = F.shape[-1], N.shape[-1]
    w = np.zeros(dp + dn)
    m1, m2 = np.zeros_like(w), np.zeros_like(w)
    for step in range(1, steps + 1):
        none = np.full(len(N), -np.inf) if addressed else N @ w[dp:]
        z = np.concatenate([none[:, None], np.where(V, F @ w[:dp], -np.inf)], axis=1)
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        q = np.where(G, p, 0)
        q /= q.sum(axis=1, keepdims=True)
        d = p - q                                   # gradient of -log P(gold) w.r.t. the logits
        d = np.nan_to_num(d)
        grad = np.concatenate([np.einsum("ik,ikf->f", d[:, 1:], F), d[:, 0] @ N]) / len(F) + l2 * w
        m1 = 0.9 * m1 + 0.1 * grad
        m2 = 0.999 * m2 + 0.001 * grad ** 2
        w -= 0.05 * (m1 / (1 - 0.9 ** step)) / (np.sqrt(m2 / (1 - 0.999 ** step)) + 1e-8)
    return tuple(round(float(x), 3) for x in w[:dp]), tuple(round(float(x), 3) for x in w[dp:])


def fit_all(files: list[Path], rules: dict) -> dict[str, tuple[float, ...]]:
    """All three weight vectors fitted on ``files``, pass by pass as ``reply_links`` uses them."""
    address, _ = fit(files, addressed=True, **rules)
    pair, none = fit(files, **rules)
    for _ in range(1, rules.get("passes", 2)):
        first = {"pair_weights": pair, "none_weights": none, "address_weights": address}
        pair, none = fit(files, first=first, **rules)
        address, _ = fit(files, addressed=True, first=first, **rules)
    return {"pair_weights": pair, "none_weights": none, "address_weights": address}


def cross_validate(files: list[Path], rules: dict) -> int:
    """Print the links right on the untouched half with weights fitted on the tuning half, and the
    reverse: the figure to compare rule changes by, since a refit moves each half by about 3 links."""
    tune, held = tuning_split(files)
    total = {"predicted": 0, "gold": 0, "correct": 0}
    for name, train, test in (("untouched (fit on tuning)", tune, held), ("tuning (fit on untouched)", held, tune)):
        res = evaluate(test, **(rules | fit_all(train, rules)))
        c = _sum([r["qunkit"] for r in res.values()])
        total = _sum([total, c])
        print(f"{name:30} correct {c['correct']:5}  {_fmt(c)}")
    print(f"{'2-fold total':30} correct {total['correct']:5}  {_fmt(total)}")
    return 0


def _sum(counts: list[dict[str, int]]) -> dict[str, int]:
    return {k: sum(c[k] for c in counts) for k in ("predicted", "gold", "correct")}


def _fmt(c: dict[str, int]) -> str:
    p, r, f = prf(c)
    return f"P {p:.3f} R {r:.3f} F1 {f:.3f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=default_data())
    ap.add_argument("--repeat", type=int, default=3, help="timing repetitions (best is shown)")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="override a ReplyRules field (numbers only), e.g. --set lookback=20")
    ap.add_argument("--fit", action="store_true", help="fit the weights on the tuning files, print and use them")
    ap.add_argument("--cv", action="store_true",
                    help="2-fold cross-validation: links right on each half with the weights fitted on the other")
    args = ap.parse_args(argv)
    files = sorted(args.data.glob("*.raw.txt"))
    if not files:
        print(f"skipped: no IRC *.raw.txt files in {args.data} (the real-data directory is absent)")
        return 0
    weights = {k: float(v) if "." in v else int(v) for k, v in (a.split("=", 1) for a in args.set)}
    if args.cv:
        return cross_validate(files, weights)
    if args.fit:
        fitted = fit_all(tuning_split(files)[0], weights)
        print("\n".join(f"{k.upper()} = {v}" for k, v in fitted.items()))
        weights |= fitted
    res = evaluate(files, **weights)
    tune, held = tuning_split(files)
    print(f"{'file':28} {'split':9} {'qunkit':30} baseline")
    for f in files:
        r = res[f.name]
        print(f"{f.name:28} {'tuning' if f in tune else 'untouched':9} {_fmt(r['qunkit']):30} {_fmt(r['baseline'])}")
    for name, part in (("tuning", tune), ("untouched", held), ("all", files)):
        q = _sum([res[f.name]["qunkit"] for f in part])
        b = _sum([res[f.name]["baseline"] for f in part])
        print(f"{'overall ' + name:38} {_fmt(q):30} {_fmt(b)}")

    msgs = pd.concat([read_irc(f) for f in files], ignore_index=True)
    reps = max(1, -(-100_000 // len(msgs)))
    big = pd.concat([msgs.assign(group_id=msgs["group_id"].astype(str) + f"#{k}") for k in range(reps)],
                    ignore_index=True)
    best = min(_timed(big) for _ in range(args.repeat))
    print(f"reply_links: {len(big):,} messages in {best:.2f} s = {best * 100_000 / len(big):.2f} s per 100k")
    return 0


def _timed(msgs: pd.DataFrame) -> float:
    t0 = time.perf_counter()
    reply_links(msgs)
    return time.perf_counter() - t0


if __name__ == "__main__":
    raise SystemExit(main())
