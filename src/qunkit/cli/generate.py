"""``qunkit generate``: options in, one ``qunkit.commands.generate`` call out (the generator loads only here)."""

from __future__ import annotations

from pathlib import Path

import click

from ..vocabulary import LIFECYCLES
from .output import output_options

LAYOUTS = ("qq-txt", "wechatmsg-txt", "wechatmsg-csv")  # = qunkit.generate.files.LAYOUTS (checked by a test)


def _as_of(ctx, param, value: str) -> str:
    import pandas as pd

    try:
        pd.Timestamp(value)
    except (ValueError, TypeError):
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None
    return value


def _old_format(value: str) -> str | None:
    """``generate --format wechatmsg-csv`` from before --to existed."""
    return f"--format renders the summary; use --to {value}" if value in LAYOUTS else None


@click.command("generate")
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--groups", "n_groups", type=click.IntRange(1, 10_000), default=8, show_default=True,
              help="Number of groups (every life cycle appears when N >= 8).")
@click.option("--messages-per-group", type=click.IntRange(10), default=2000, show_default=True,
              help="Approximate messages per group (each group varies by up to ±30%).")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same bytes.")
@click.option("--to", type=click.Choice(LAYOUTS), default="qq-txt", show_default=True,
              help="Export layout to write.")
@click.option("--as-of", default="2024-03-31", show_default=True, callback=_as_of,
              help="Export date (YYYY-MM-DD; the end of that day, Asia/Shanghai).")
@click.option("--lifecycle", "lifecycles", type=click.Choice(LIFECYCLES), multiple=True,
              help="Only these life cycles (repeatable); default: a realistic mix.")
@click.option("--single-file", is_flag=True,
              help="qq-txt: all groups in one 全部消息记录.txt, as QQ's 导出全部消息记录 does.")
@output_options(format_hint=_old_format)
def generate_cmd(outdir: Path, n_groups: int, messages_per_group: int, seed: int, to: str, as_of: str,
                 lifecycles: tuple[str, ...], single_file: bool, quiet: bool):
    """Write synthetic group-chat exports, member rosters and the planted truth.

    \b
    OUTDIR/exports/   the chat exports (QQ .txt, WeChatMsg .txt or _utf8.csv)
    OUTDIR/rosters/   one member roster CSV per group (QQ号,群名片,身份,入群时间,最后发言时间)
    OUTDIR/truth/     roles.csv (planted role per member), lifecycles.csv (dead_within_30d ...)

    \b
    Examples:
      qunkit generate demo --groups 20
      qunkit generate demo --to wechatmsg-csv --lifecycle dying --lifecycle healthy
      qunkit generate bench --groups 1 --messages-per-group 1000000 --seed 7
    """
    from ..commands.generate import generate

    return generate(outdir, n_groups=n_groups, messages_per_group=messages_per_group, seed=seed, to=to,
                    as_of=as_of, lifecycles=lifecycles, single_file=single_file)
