"""``qunkit anonymize``."""

from __future__ import annotations

from pathlib import Path

import click

from .options import store_option
from .output import output_options


@click.command("anonymize")
@click.argument("groups", nargs=-1)
@click.option("--to", "to", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the new store (must not exist, or be empty).")
@click.option("--key-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="HMAC key for the pseudonyms: read if it exists, else created (0600). The same key gives the "
                   "same pseudonyms; without it a random key is used and forgotten.")
@click.option("--map-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write pseudonym -> original (JSON, 0600), to read results on the copy. Keep it private.")
@store_option
@output_options
def anonymize_cmd(groups, to, key_file, map_file, store_dir, quiet):
    """Write an anonymised copy of the store: names, ids and contacts replaced, the same analyses.

    \b
    GROUP... (names or ids) limits the copy to those groups.  Every group and
    member id and name, title, @mention, message id and file name is replaced
    by a keyed pseudonym of the same shape, in the columns and inside the
    text (mentions, join/leave lines, quotes); phone numbers, WeChat ids, QQ
    numbers after a contact word, e-mail addresses and URL paths in text are
    masked.  Message text is otherwise kept, so roles, risk, prune and
    activity on the copy equal those on the original.

    \b
    Examples:
      qunkit anonymize --to ./shared-store
      qunkit anonymize 读书会 --to ./one-group --key-file ~/.config/qunkit/anon.key
    """
    from ..commands.anonymize import anonymize
    from ..commands.loading import open_store

    return anonymize(open_store(store_dir), to, groups, key_file=key_file, map_file=map_file)
