"""``qunkit anonymize``: an anonymised copy of the store (or of some groups) as a new store."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from ..anonymize import anonymize as write_copy
from ..anonymize import check_destination, load_key
from ..private import make_dirs, write_text
from ..store import Store
from .result import Result

COLUMNS = ["group_name", "group_key", "messages", "senders", "roster"]


def anonymize(store: Store, to: Path, groups: Iterable[str] = (), *, key_file: Path | None = None,
              map_file: Path | None = None) -> Result:
    """Write the copy to ``to``; one row per group, named by its pseudonym (no original name is printed).

    ``key_file``: the HMAC key (created when absent), so a later copy gives the same pseudonyms;
    ``map_file``: pseudonym -> original as JSON (0600), for the owner to read results on the copy."""
    check_destination(store, Path(to))     # before a key file is created for nothing
    key, where = load_key(key_file)
    copied = write_copy(store, Path(to), groups, key=key)
    notes = [f"anonymised copy written to {to} ({len(copied.rows)} group(s)); pseudonyms from {where}",
             "message text is kept with names, ids and contact details replaced: the copy still contains "
             "what people wrote",
             "not copied: imports.json (the original files' paths and fingerprints)"]
    if map_file is not None:
        make_dirs(Path(map_file).expanduser().parent)
        write_text(Path(map_file).expanduser(), json.dumps(copied.reverse, ensure_ascii=False, indent=1))
        notes.append(f"pseudonym -> original written to {map_file} (owner-only; never share it with the copy)")
    return Result(rows=copied.rows, columns=COLUMNS, title="Anonymised copy", notes=notes)
