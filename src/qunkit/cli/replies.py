"""``qunkit replies``: options in, one ``qunkit.commands.replies`` call out."""

from __future__ import annotations

import click

from .options import engine_options, scope_options, store_option
from .output import output_options
from .progress import group_progress


@click.command("replies")
@engine_options(cache=False)
@scope_options
@store_option
@output_options
def replies_cmd(engine, scope, tz, store_dir, quiet):
    """For each message, the message it answers (or none) and the evidence.

    \b
    Evidence, strongest first: quote (the export's own reply link), mention
    (@name), addressed_name (the text starts with "name:" / "name，" or names
    a member), then turn_taking (answering whoever addressed them, a two-person
    exchange, carrying on one's own turn) and timing (a reply by position and
    time); none for a new topic.  System lines are never linked.  source_line
    and reply_to_line are line numbers in the imported export; json/csv add
    a confidence per link.  A group at a time; a store with fresh facts
    (qunkit rebuild) answers from the links stored at import, unless --since
    or --until cut a group's messages.

    \b
    Examples:
      qunkit replies --group 读书会 --since 2024-03-01
      qunkit replies --format csv > replies.csv
      qunkit replies --format json | jq '[.[] | select(.evidence == "quote")] | length'
    """
    from ..commands.loading import open_store
    from ..commands.replies import replies

    with group_progress("replies", quiet) as bar:
        return replies(open_store(store_dir), scope, tz=tz, engine=engine, progress=bar)
