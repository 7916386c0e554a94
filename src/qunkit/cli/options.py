"""Options shared by every command, declared once.

``--store`` resolves to the flag, else ``$QUNKIT_STORE``, else the per-user
data directory (``platformdirs.user_data_dir("qunkit")``, e.g.
``~/.local/share/qunkit`` on Linux).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import click

from ..analysis.scope import DEFAULT_TZ, Scope, parse_when
from .output import FORMATS


def default_store() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("qunkit", appauthor=False))


def store_option(f: Callable) -> Callable:
    return click.option(
        "--store", "store_dir", type=click.Path(file_okay=False, path_type=Path), envvar="QUNKIT_STORE",
        default=None, show_envvar=True,
        help="Store directory. Default: $QUNKIT_STORE, else the user data dir (~/.local/share/qunkit on Linux).",
    )(f)


def open_store(store_dir: Path | None):
    from ..store import Store

    return Store(store_dir or default_store())


def load_scope(store, scope: Scope, hint: str = "qunkit import FILE"):
    """(messages in scope, members derived from exactly those, as_of) — what every analysis command starts
    from.  An empty scope is a store error (exit 3) that says how to fill the store."""
    from ..errors import StoreError

    messages, as_of = scope.apply(store.messages(scope.groups))
    if len(messages) == 0:
        raise StoreError(f"no messages in scope (store {store.root}); import an export first: {hint}")
    return messages, store.members(scope.groups, messages=messages), as_of


def format_option(f: Callable) -> Callable:
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
                        help="table (rich on a terminal, plain text in pipes), json, or csv.")(f)


def quiet_option(f: Callable) -> Callable:
    return click.option("--quiet", "-q", is_flag=True, help="Print only results and errors (no notes).")(f)


def tz_option(f: Callable) -> Callable:
    return click.option("--tz", default=DEFAULT_TZ, show_default=True,
                        help="Time zone of the export's wall-clock times, and of naive --as-of/--since/--until.")(f)


def _when(ctx, param, value):
    if value is None:
        return None
    try:
        import pandas as pd

        pd.Timestamp(value)
    except (ValueError, TypeError):
        raise click.BadParameter(f"{value!r} is not a date or date-time (e.g. 2024-03-01 or '2024-03-01 20:00')") from None
    return value


def scope_options(f: Callable) -> Callable:
    """--as-of/--since/--until/--group/--include-private/--tz -> a ``scope`` keyword argument."""

    @click.option("--as-of", "as_of", callback=_when,
                  help="Judge as of this moment (default: the newest message in scope). Later messages are ignored.")
    @click.option("--since", callback=_when, help="Only messages at or after this date.")
    @click.option("--until", callback=_when, help="Only messages before this date.")
    @click.option("--group", "groups", multiple=True, help="Group name or id (repeatable). Default: all groups.")
    @click.option("--include-private", is_flag=True, help="Also analyse one-to-one (friend) chats.")
    @tz_option
    @functools.wraps(f)
    def wrapper(*args, as_of, since, until, groups, include_private, tz, **kwargs):
        scope = Scope(
            as_of=parse_when(as_of, tz), since=parse_when(since, tz), until=parse_when(until, tz),
            groups=tuple(groups), include_private=include_private,
        )
        return f(*args, scope=scope, tz=tz, **kwargs)

    return wrapper
