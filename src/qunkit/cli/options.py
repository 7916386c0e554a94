"""Options shared by commands, declared once, with values checked at parse time (a bad value: exit 2).

``--store`` resolves to the flag, else ``$QUNKIT_STORE``, else the per-user
data directory (``platformdirs.user_data_dir("qunkit")``, e.g.
``~/.local/share/qunkit`` on Linux).  Nothing here imports pandas until a
command runs.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from pathlib import Path

import click

from ..localtime import DEFAULT_TZ
from ..vocabulary import ENGINES


def store_option(f: Callable) -> Callable:
    return click.option(
        "--store", "store_dir", type=click.Path(file_okay=False, path_type=Path), envvar="QUNKIT_STORE",
        default=None, show_envvar=True,
        help="Store directory. Default: $QUNKIT_STORE, else the user data dir (~/.local/share/qunkit on Linux).",
    )(f)


class FiniteFloatRange(click.FloatRange):
    """A FloatRange that also refuses nan/inf (click lets nan through every range check)."""

    def convert(self, value, param, ctx):
        rv = super().convert(value, param, ctx)
        if not math.isfinite(rv):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return rv


def _zone(ctx, param, value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"{value!r} is not a time zone (e.g. Asia/Shanghai, UTC)") from None
    return value


def tz_option(f: Callable) -> Callable:
    return click.option("--tz", default=DEFAULT_TZ, show_default=True, callback=_zone,
                        help="Time zone of the export's wall-clock times, and of naive --as-of/--since/--until.")(f)


# Dates and spans qunkit computes with: pandas' nanosecond times end in 2262, and an --as-of near
# there plus a window would overflow mid-analysis (an internal error) rather than at the option.
FIRST_YEAR, LAST_YEAR = 1900, 2200
MAX_DAYS = 36_600  # a century: longer spans than any chat history, and as_of - days stays representable


def days_range(min_days: int) -> click.IntRange:
    """An --days style option's type: ``min_days`` to ``MAX_DAYS``."""
    return click.IntRange(min=min_days, max=MAX_DAYS)


def _when(ctx, param, value):
    if value is None:
        return None
    import pandas as pd

    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        ts = None
    if ts is None or ts is pd.NaT:
        raise click.BadParameter(f"{value!r} is not a date or date-time (e.g. 2024-03-01 or '2024-03-01 20:00')")
    if not FIRST_YEAR <= ts.year <= LAST_YEAR:
        raise click.BadParameter(f"{value!r} is outside the years qunkit handles ({FIRST_YEAR} to {LAST_YEAR})")
    return value


def lexicon_option(f: Callable) -> Callable:
    return click.option("--lexicon", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
                        help="Extra words for the built-in lists (JSON, or text with [category] headers).")(f)


def _merge_file(ctx, param, value):
    """The --merge CSV read at parse time: a bad line is a bad-input error (exit 3) naming file and line."""
    if value is None:
        return ()
    from ..identity import read_merge_file

    return read_merge_file(value)


def scope_options(f: Callable) -> Callable:
    """--as-of/--since/--until/--group/--include-private/--tz/--merge -> ``scope`` and ``tz`` keyword
    arguments."""

    @click.option("--as-of", "as_of", callback=_when,
                  help="Judge as of this moment (default: the newest message in scope). Later messages are ignored.")
    @click.option("--since", callback=_when, help="Only messages at or after this date.")
    @click.option("--until", callback=_when, help="Only messages before this date.")
    @click.option("--group", "groups", multiple=True, help="Group name or id (repeatable). Default: all groups.")
    @click.option("--include-private", is_flag=True, help="Also analyse one-to-one (friend) chats.")
    @click.option("--merge", "merges", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
                  callback=_merge_file, metavar="FILE",
                  help="CSV of ids that are one person (group,id,same_as_id; group optional): each id is "
                       "counted as same_as_id.")
    @tz_option
    @functools.wraps(f)
    def wrapper(*args, as_of, since, until, groups, include_private, merges, tz, **kwargs):
        from ..analysis.scope import Scope, parse_when

        scope = Scope(
            as_of=parse_when(as_of, tz), since=parse_when(since, tz), until=parse_when(until, tz),
            groups=tuple(groups), include_private=include_private, merges=tuple(merges),
        )
        return f(*args, scope=scope, tz=tz, **kwargs)

    return wrapper


def engine_options(f: Callable | None = None, *, cache: bool = True) -> Callable:
    """--jobs/--engine/--scheduler/--no-cache -> an ``engine`` keyword argument (``qunkit.engine.Engine``);
    ``cache=False`` for a command that keeps no result cache (no --no-cache option then)."""
    if f is None:
        return functools.partial(engine_options, cache=cache)

    @functools.wraps(f)
    def wrapper(*args, jobs, engine_kind, scheduler, no_cache=False, **kwargs):
        from ..engine import Engine

        if scheduler and engine_kind != "dask":
            raise click.UsageError("--scheduler needs --engine dask")
        return f(*args, engine=Engine(kind=engine_kind, jobs=jobs, scheduler=scheduler, cache=not no_cache), **kwargs)

    if cache:
        wrapper = click.option(
            "--no-cache", is_flag=True,
            help="Recompute every group instead of reusing results of unchanged groups from earlier runs "
                 "(kept in STORE/cache; or set QUNKIT_NO_CACHE=1).")(wrapper)
    wrapper = click.option("--scheduler", default=None, metavar="ADDRESS",
                           help="With --engine dask: an existing scheduler (tcp://host:8786); its workers read the "
                                "store path themselves. Default: a local cluster of --jobs workers.")(wrapper)
    wrapper = click.option("--engine", "engine_kind", type=click.Choice(ENGINES), default="local",
                           show_default=True,
                           help="local: a process pool; dask: a dask.distributed cluster "
                                "(pip install 'qunkit[dask]').")(wrapper)
    return click.option("--jobs", type=click.IntRange(min=1), default=None, metavar="N",
                        help="Groups worked on in parallel (default: the number of cores; 1: in this "
                             "process).")(wrapper)
