"""Read IRC disentanglement files (``*.raw.txt`` / ``*.annotation.txt``) for the replies benchmark only.

The raw layout is ``[HH:MM] <nick> text`` for messages, ``[HH:MM]  * nick text``
for /me actions and ``=== ...`` for joins, quits and nick changes.  ``===``
lines are not messages but keep their line numbers: ``source_line`` is the
0-based line index, the numbering the annotations use.  The date comes from
the file name (``YYYY-MM-DD_HH``); a clock that goes backwards means midnight
passed.  A nick change (``=== a is now known as b``) keeps the sender's id, so
a member's names are all the nicks they used, as qunkit's members are.

Annotations are ``i j -`` lines meaning line j answers line i; ``i == j``
marks a message that starts a conversation (or a system line).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

MSG_RE = re.compile(r"^\[(\d\d):(\d\d)\] (?:<([^>]+)>|\s?\* (\S+)) ?(.*)$")
RENAME_RE = re.compile(r"^=== (\S+) is now known as (\S+)")
DATE_RE = re.compile(r"(\d{4}-\d{2}-\d{2})")


def read_irc(path: Path) -> pd.DataFrame:
    """A MESSAGES-shaped frame of one raw file (system lines as kind ``system``, sender ``system``)."""
    lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    day = pd.Timestamp(DATE_RE.search(path.name).group(1), tz="UTC")
    rows = []
    ident: dict[str, str] = {}        # current nick -> the first nick of that person
    minute, offset = 0, 0
    for i, line in enumerate(lines):
        m = MSG_RE.match(line)
        if m:
            now = int(m.group(1)) * 60 + int(m.group(2))
            if now < minute - 60:      # the clock went back: a new day
                offset += 1440
            minute = now
            nick = m.group(3) or m.group(4)
            rows.append((i, offset + now, ident.get(nick, nick), nick, "text", m.group(5)))
            continue
        r = RENAME_RE.match(line)
        if r:
            ident[r.group(2)] = ident.pop(r.group(1), r.group(1))
        rows.append((i, offset + minute, "system", "system", "system", line))
    line_no, minutes, sender_id, sender_name, kind, text = (list(c) for c in zip(*rows, strict=True))
    n = len(rows)
    group = path.name.split(".")[0]
    return pd.DataFrame({
        "platform": "irc", "source_format": "irc-raw", "group_id": group, "group_name": group,
        "chat_type": "group", "ts": day + pd.to_timedelta(np.asarray(minutes), unit="min"), "tz": "UTC",
        "sender_id": sender_id, "sender_name": sender_name, "sender_title": None, "kind": kind, "text": text,
        "event": np.where(np.asarray(kind) == "system", "other", None), "event_actor": None,
        "event_target": None, "mentions": None, "reply_to": None, "msg_id": None,
        "msg_key": np.arange(n, dtype=np.uint64), "source_file": path.name,
        "source_line": np.asarray(line_no, dtype=np.int64),
    })


def read_links(path: Path) -> pd.DataFrame:
    """Gold links as (parent, child) 0-based line numbers; ``parent == child`` starts a conversation."""
    pairs = [tuple(int(x) for x in ln.split()[:2]) for ln in path.read_text().splitlines() if ln.strip()]
    return pd.DataFrame(pairs, columns=["parent", "child"]).drop_duplicates()


def score(pred: pd.DataFrame, gold: pd.DataFrame) -> dict[str, int]:
    """Link counts of predictions (``source_line``, ``reply_to_line``) against gold, over annotated lines.

    A prediction of "no link" stands for the self-link the gold uses for a message that starts a thread,
    so it is correct exactly when the gold has that self-link.  Every annotated message gets one predicted
    link; a gold message with two parents has two links, of which one can be found.
    """
    lines = gold["child"].unique()
    p = pred[pred["source_line"].isin(lines)]
    parent = p["reply_to_line"].astype("Float64").fillna(p["source_line"].astype("Float64")).astype("int64")
    guess = pd.DataFrame({"parent": parent.to_numpy(), "child": p["source_line"].to_numpy()})
    hit = guess.merge(gold, on=["parent", "child"], how="inner")
    return {"predicted": len(guess), "gold": len(gold), "correct": len(hit)}


def prf(c: dict[str, int]) -> tuple[float, float, float]:
    p = c["correct"] / c["predicted"] if c["predicted"] else 0.0
    r = c["correct"] / c["gold"] if c["gold"] else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)
