"""``qunkit rebuild``."""

from __future__ import annotations

import click

from .options import engine_options, store_option
from .output import output_options
from .progress import group_progress


@click.command("rebuild")
@click.option("--group", "groups", multiple=True, help="Group name or id (repeatable). Default: all groups.")
@click.option("--force", is_flag=True, help="Recompute even the groups whose facts are up to date.")
@engine_options(cache=False)
@store_option
@output_options
def rebuild_cmd(groups, force, engine, store_dir, quiet):
    """Recompute per-message facts and the aggregates where stale (new lexicon or qunkit version).

    \b
    The derived tables: facts, the stored features (what risk, prune, roles,
    activity and analyze read instead of computing them), members and the
    day aggregates.  Import keeps them up to date; after an upgrade that
    changes the facts' definitions or the built-in lexicons, `qunkit doctor`
    reports the groups whose facts are stale and this recomputes them: groups
    in parallel, one per core (--jobs), biggest first, so memory is bounded by
    the largest group per worker.  --engine dask runs them on a cluster that sees the
    store at the same path.

    \b
    Examples:
      qunkit rebuild
      qunkit rebuild --group 读书会 --force
      qunkit rebuild --force --jobs 1          # one process, least memory
    """
    from ..commands.loading import open_store
    from ..commands.rebuild import rebuild

    with group_progress("rebuild", quiet) as bar:
        return rebuild(open_store(store_dir), groups, force=force, engine=engine, progress=bar)
