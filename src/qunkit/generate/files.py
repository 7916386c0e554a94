"""A generated corpus on disk: exports, rosters and the truth, in the layout ``qunkit generate`` documents.

    OUTDIR/exports/   the chat exports (QQ .txt, WeChatMsg .txt or _utf8.csv)
    OUTDIR/rosters/   one member roster CSV per group
    OUTDIR/truth/     roles.csv, lifecycles.csv

File names are the group names: the generator's invented names hold CJK,
【】 and () but never a separator or a character Windows refuses, and they are
kept as they are (existing corpora and scripts name files by them); a name
that is not plain goes through ``qunkit.filenames.safe_filename``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..filenames import safe_filename
from .model import GeneratedGroup
from .writers import write_qq_txt, write_roster_csv, write_truth, write_wechatmsg_csv, write_wechatmsg_txt

LAYOUTS = ("qq-txt", "wechatmsg-txt", "wechatmsg-csv")
SINGLE_FILE = "全部消息记录.txt"  # QQ's 导出全部消息记录 name
_NOT_PLAIN = set('\\/:*?"<>|') | {chr(c) for c in range(32)}


def file_base(name: str) -> str:
    """The group name itself when it is a plain file name, else its ``safe_filename`` slug."""
    plain = name.strip(" .") == name and name not in ("", ".", "..") and not (set(name) & _NOT_PLAIN)
    return name if plain else safe_filename(name)


def write_corpus(groups: Sequence[GeneratedGroup], outdir: Path, layout: str = "qq-txt",
                 single_file: bool = False) -> tuple[list[dict], list[Path]]:
    """Write every group's export and roster and the truth; (one row per group, truth files)."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; one of {', '.join(LAYOUTS)}")
    outdir = Path(outdir)
    exports, rosters = outdir / "exports", outdir / "rosters"
    for d in (exports, rosters):
        d.mkdir(parents=True, exist_ok=True)
    single = layout == "qq-txt" and single_file
    if single:
        write_qq_txt(groups, exports / SINGLE_FILE)
    rows = []
    for g in groups:
        base = file_base(g.name)
        if single:
            path = exports / SINGLE_FILE
        elif layout == "qq-txt":
            path = write_qq_txt(g, exports / f"{base}.txt")
        elif layout == "wechatmsg-txt":
            path = write_wechatmsg_txt(g, exports / f"{base}.txt")
        else:
            path = write_wechatmsg_csv(g, exports / f"{base}_utf8.csv")
        roster = write_roster_csv(g, rosters / f"{base}-roster.csv")
        rows.append({"group": g.name, "lifecycle": g.lifecycle, "messages": len(g.messages),
                     "roster": len(g.roster), "dead_within_30d": g.truth_life["dead_within_30d"],
                     "export": str(path), "roster_file": str(roster)})
    return rows, list(write_truth(groups, outdir / "truth"))
