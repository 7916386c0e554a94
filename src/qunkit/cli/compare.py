"""``qunkit compare``: options in, one ``qunkit.commands.compare`` call out."""

from __future__ import annotations

import click

from .options import engine_options, lexicon_option, scope_options, store_option
from .output import output_options
from .progress import group_progress

PERIODS = ("week", "month")   # = qunkit.analysis.compare.PERIOD_DAYS (checked by a test)


@click.command("compare")
@click.option("--period", type=click.Choice(PERIODS), default="month", show_default=True,
              help="Messages and speakers over the last 7 or 30 days, against the same span before.")
@click.option("--overlap", is_flag=True, help="Members present in several groups instead of the group table.")
@click.option("--only-in", "only", metavar="GROUP", default=None,
              help="With --overlap implied: members of GROUP (name or id) who are not in the --not-in groups.")
@click.option("--not-in", "not_in", metavar="GROUP", multiple=True,
              help="Group(s) to exclude members of (repeatable; default: every other group in scope).")
@click.option("--cross-posts", "cross", is_flag=True,
              help="The same text posted by one member in several groups (advertisers across groups).")
@click.option("--min-chars", type=click.IntRange(min=1), default=10, show_default=True,
              help="--cross-posts: shortest text (after normalising) that counts, so 好的/收到 do not.")
@lexicon_option
@engine_options
@scope_options
@store_option
@output_options
def compare_cmd(period, overlap, only, not_in, cross, min_chars, lexicon, engine, scope, tz, store_dir, quiet):
    """Many groups side by side: size, activity, roles, risk and their change; shared members; cross-posts.

    \b
    Default: one row per group -- members, speakers in 30 days, active rate
    (speakers in 7 / 30 days over members; a roster is needed), messages per
    day, the role mix of present members, the risk score, and the change of
    messages, speakers and risk against --period earlier (the same analysis
    replayed at --as-of one period before).
    --overlap: members present in 2+ groups (same id on one platform; across
    platforms a weaker match by the same name, matched_by = name).
    --only-in A [--not-in B ...]: members of A who are in none of B ...
    --cross-posts: the same text (normalised, at least --min-chars) posted by
    one member in 2+ groups; ads flagged: advertisers working several groups.

    \b
    Examples:
      qunkit compare
      qunkit compare --period week --format csv -o groups.csv
      qunkit compare --overlap
      qunkit compare --only-in 读书会1群 --not-in 读书会2群
      qunkit compare --cross-posts --min-chars 15
    """
    from ..commands.compare import compare, crossposts
    from ..commands.compare import overlap as overlap_view
    from ..commands.loading import open_store
    from ..errors import UsageProblem

    if cross and (overlap or only or not_in):
        raise UsageProblem("--cross-posts and --overlap/--only-in/--not-in are different views: pick one")
    store = open_store(store_dir)
    with group_progress("compare", quiet) as bar:
        if cross:
            return crossposts(store, scope, min_chars=min_chars, tz=tz, engine=engine, progress=bar)
        if overlap or only or not_in:
            return overlap_view(store, scope, only=only, not_in=not_in, tz=tz, engine=engine, progress=bar)
        return compare(store, scope, period=period, lexicon=lexicon, tz=tz, engine=engine, progress=bar)
