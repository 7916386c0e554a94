"""Where every command's data comes from: the store, and the scoped messages and members in it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from platformdirs import user_data_dir

from ..errors import StoreError

if TYPE_CHECKING:
    import pandas as pd

    from ..analysis.scope import Scope
    from ..store import Store


def default_store() -> Path:
    """``$QUNKIT_STORE`` is read by the CLI; this is the per-user data directory behind it."""
    return Path(user_data_dir("qunkit", appauthor=False))


def store_root(store_dir: Path | str | None = None) -> Path:
    """The store directory a command uses: ``--store``/``$QUNKIT_STORE``, else ``default_store()``."""
    return Path(store_dir) if store_dir else default_store()


def open_store(store_dir: Path | str | None = None) -> Store:
    from ..store import Store  # noqa: PLC0415 - pandas and pyarrow load with the store, not before

    return Store(store_root(store_dir))


def load_scope(store: Store, scope: Scope, hint: str = "qunkit import FILE"
               ) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp]:
    """(messages in scope, members derived from exactly those, as_of) -- what every analysis starts
    from.  An empty scope is a store error (exit 3) that says how to fill the store."""
    messages, as_of = scope.apply(store.messages(scope.groups))
    if len(messages) == 0:
        raise StoreError(f"no messages in scope (store {store.root}); import an export first: {hint}")
    return messages, store.members(scope.groups, messages=messages), as_of


def as_of_note(as_of: pd.Timestamp, tz: str, extra: str = "(--as-of to judge another moment)") -> str:
    """The moment a verdict is judged at, in the reader's zone."""
    return f"as of {as_of.tz_convert(tz):%Y-%m-%d %H:%M} {tz} {extra}".rstrip()
