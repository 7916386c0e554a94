"""Progress bars: only on a terminal, only for imports that take more than the delay."""

from __future__ import annotations

import io

import qunkit.cli.progress as progress


def test_no_bar_when_stderr_is_not_a_terminal(monkeypatch) -> None:
    monkeypatch.setattr(progress, "is_terminal", lambda *_a, **_k: False)
    bar = progress.ImportProgress("x", delay_s=0)
    bar(10, 100)
    assert bar._bar is None


def test_bar_appears_only_after_the_delay(monkeypatch) -> None:
    monkeypatch.setattr(progress, "is_terminal", lambda *_a, **_k: True)
    monkeypatch.setattr("sys.stderr", io.StringIO())
    quick = progress.ImportProgress("x", delay_s=3600)
    quick(10, 100)
    assert quick._bar is None                 # a fast import never shows a bar
    slow = progress.ImportProgress("x", delay_s=0)
    with slow:
        slow(10, 100)
        assert slow._bar is not None
        slow(100, 100)
    assert slow._bar is None                  # closed (transient) at the end


def test_quiet_disables_the_bar(monkeypatch) -> None:
    monkeypatch.setattr(progress, "is_terminal", lambda *_a, **_k: True)
    bar = progress.ImportProgress("x", enabled=False, delay_s=0)
    bar(10, 100)
    assert bar._bar is None
