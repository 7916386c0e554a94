"""``qunkit generate``: a synthetic corpus written to disk, and the table of what was written."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from ..generate import generate_corpus
from ..generate.files import write_corpus
from .result import Result

GENERATE_COLUMNS = ("group", "lifecycle", "messages", "roster", "dead_within_30d", "export")


def generate(outdir: Path, *, n_groups: int = 8, messages_per_group: int = 2000, seed: int = 0,
             to: str = "qq-txt", as_of: str = "2024-03-31", lifecycles: Sequence[str] = (),
             single_file: bool = False) -> Result:
    """Generate ``n_groups`` groups and write them in layout ``to`` under ``outdir``."""
    t0 = time.perf_counter()
    groups = generate_corpus(n_groups=n_groups, seed=seed, as_of=as_of, messages_per_group=messages_per_group,
                             platform="qq" if to == "qq-txt" else "wechat", lifecycles=list(lifecycles) or None)
    rows, truth = write_corpus(groups, outdir, to, single_file)
    total = sum(r["messages"] for r in rows)
    return Result(rows=rows, title=f"Generated {len(groups)} groups ({to})", table_columns=GENERATE_COLUMNS,
                  notes=[f"{total:,} messages in {time.perf_counter() - t0:.1f} s; rosters in {Path(outdir) / 'rosters'}",
                         f"truth: {', '.join(str(p) for p in truth)}",
                         f"import one with: qunkit import {rows[0]['export']} --roster {rows[0]['roster_file']}"])
