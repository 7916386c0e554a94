"""Progress bars for long imports: on a terminal only, and only after a second.

Never in pipes, cron or ``--quiet``: stderr must stay clean for scripts.
"""

from __future__ import annotations

import time

from .output import is_terminal


class ImportProgress:
    """``(done, total)`` callback drawing a bar: bytes of an import, or ``unit="groups"`` of an analysis."""

    def __init__(self, label: str, enabled: bool = True, delay_s: float = 1.0, unit: str = "bytes") -> None:
        import sys

        self.enabled = enabled and is_terminal(sys.stderr)
        self.label = label
        self.unit = unit
        self.delay_s = delay_s
        self.started = time.monotonic()
        self._bar = None
        self._task = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            if time.monotonic() - self.started < self.delay_s or done >= total:
                return
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            count = DownloadColumn() if self.unit == "bytes" else MofNCompleteColumn()
            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), count,
                                 TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=total)
        self._bar.update(self._task, completed=done)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def group_progress(command: str, quiet: bool) -> ImportProgress:
    """The bar of a group-by-group analysis (``qunkit.engine``): groups done of groups in scope."""
    return ImportProgress(f"{command}: groups", enabled=not quiet, unit="groups")
