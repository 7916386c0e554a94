"""Old entry points of the golden harness, kept as thin aliases of ``golden_frames``
(one mechanism: parse like the store, render cells one way)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from golden_frames import read_expected, render, run_parser

from qunkit.formats import ParseReport


def parse_file(path: Path, fmt: str, **opts) -> tuple[pd.DataFrame, ParseReport]:
    """``run_parser`` with the arguments the other way round."""
    return run_parser(fmt, path, **opts)


def comparable(df: pd.DataFrame, columns: list[str], tz: str = "UTC") -> pd.DataFrame:
    return render(df, columns, tz)


def expected(path: Path) -> pd.DataFrame:
    return read_expected(path)


def qq_export_file(path: Path, group: str, body: str, encoding: str = "utf-8-sig") -> Path:
    """A QQ message-manager .txt export of one group: the client's header, then ``body`` (messages as
    ``"2024-05-01 09:00:00 name(10001)\\ntext\\n\\n"``)."""
    sep = "=" * 64
    path.write_text(f"消息记录（此消息记录为文本格式，不支持重新导入）\n\n{sep}\n消息分组:我的QQ群\n{sep}\n"
                    f"消息对象:{group}\n{sep}\n\n{body}", encoding=encoding)
    return path
