"""Errors with the exit code the CLI should end with.

Exit codes (documented in README and ``qunkit --help``): 0 ok, 1 a threshold was
crossed (``--fail-above``, ``--fail-if-any``), 2 usage error, 3 bad input or store error.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_THRESHOLD = 1
EXIT_USAGE = 2
EXIT_BAD_INPUT = 3


class QunkitError(Exception):
    exit_code = EXIT_BAD_INPUT


class BadInput(QunkitError):
    """An input file qunkit cannot read (unknown format, binary, empty, strict-mode failure)."""

    exit_code = EXIT_BAD_INPUT


class StoreError(QunkitError):
    exit_code = EXIT_BAD_INPUT


class UsageProblem(QunkitError):
    exit_code = EXIT_USAGE
