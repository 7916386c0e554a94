"""``qunkit generate``: synthetic exports with planted roles and life cycles, and the truth beside them."""

from __future__ import annotations

import re
import time
from pathlib import Path

import click
import pandas as pd

from ..generate import LIFECYCLES, generate_corpus
from ..generate.writers import (
    write_qq_txt,
    write_roster_csv,
    write_truth,
    write_wechatmsg_csv,
    write_wechatmsg_txt,
)
from .output import emit

FORMATS = ("qq-txt", "wechatmsg-txt", "wechatmsg-csv")


def safe_filename(name: str) -> str:
    """A group name as a file name on every OS (names are invented, but may hold / : * ?)."""
    s = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name).strip(" .")
    return s or "group"


@click.command("generate")
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--groups", "n_groups", type=click.IntRange(1, 10_000), default=8, show_default=True,
              help="Number of groups (every life cycle appears when N >= 8).")
@click.option("--messages-per-group", type=click.IntRange(10), default=2000, show_default=True,
              help="Approximate messages per group (each group varies by up to ±30%).")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same bytes.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="qq-txt", show_default=True,
              help="Export layout to write.")
@click.option("--as-of", default="2024-03-31", show_default=True,
              help="Export date (YYYY-MM-DD; the end of that day, Asia/Shanghai).")
@click.option("--lifecycle", "lifecycles", type=click.Choice(LIFECYCLES), multiple=True,
              help="Only these life cycles (repeatable); default: a realistic mix.")
@click.option("--single-file", is_flag=True,
              help="qq-txt: all groups in one 全部消息记录.txt, as QQ's 导出全部消息记录 does.")
def generate_cmd(outdir: Path, n_groups: int, messages_per_group: int, seed: int, fmt: str, as_of: str,
                 lifecycles: tuple[str, ...], single_file: bool) -> None:
    """Write synthetic group-chat exports, member rosters and the planted truth.

    \b
    OUTDIR/exports/   the chat exports (QQ .txt, WeChatMsg .txt or _utf8.csv)
    OUTDIR/rosters/   one member roster CSV per group (QQ号,群名片,身份,入群时间,最后发言时间)
    OUTDIR/truth/     roles.csv (planted role per member), lifecycles.csv (dead_within_30d ...)

    \b
    Examples:
      qunkit generate demo --groups 20
      qunkit generate demo --format wechatmsg-csv --lifecycle dying --lifecycle healthy
      qunkit generate bench --groups 1 --messages-per-group 1000000 --seed 7
    """
    try:
        pd.Timestamp(as_of)
    except (ValueError, TypeError) as exc:
        raise click.BadParameter(f"not a date: {as_of!r}", param_hint="--as-of") from exc
    t0 = time.perf_counter()
    platform = "qq" if fmt == "qq-txt" else "wechat"
    groups = generate_corpus(n_groups=n_groups, seed=seed, as_of=as_of, messages_per_group=messages_per_group,
                             platform=platform, lifecycles=list(lifecycles) or None)
    exports, rosters = outdir / "exports", outdir / "rosters"
    for d in (exports, rosters):
        d.mkdir(parents=True, exist_ok=True)
    rows = []
    if fmt == "qq-txt" and single_file:
        write_qq_txt(groups, exports / "全部消息记录.txt")
    for g in groups:
        base = safe_filename(g.name)
        if fmt == "qq-txt":
            path = exports / "全部消息记录.txt" if single_file else write_qq_txt(g, exports / f"{base}.txt")
        elif fmt == "wechatmsg-txt":
            path = write_wechatmsg_txt(g, exports / f"{base}.txt")
        else:
            path = write_wechatmsg_csv(g, exports / f"{base}_utf8.csv")
        roster = write_roster_csv(g, rosters / f"{base}-roster.csv")
        rows.append({"group": g.name, "lifecycle": g.lifecycle, "messages": len(g.messages),
                     "roster": len(g.roster), "dead_within_30d": g.truth_life["dead_within_30d"],
                     "export": str(path), "roster_file": str(roster)})
    truth = write_truth(groups, outdir / "truth")
    total = sum(r["messages"] for r in rows)
    emit(pd.DataFrame(rows), "table", title=f"Generated {len(groups)} groups ({fmt})",
         columns=["group", "lifecycle", "messages", "roster", "dead_within_30d", "export"],
         notes=[f"{total:,} messages in {time.perf_counter() - t0:.1f} s; rosters in {rosters}",
                f"truth: {', '.join(str(p) for p in truth)}",
                f"import one with: qunkit import {rows[0]['export']} --roster {rows[0]['roster_file']}"])
