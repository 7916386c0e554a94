"""File names built from group names: one rule, and it can never leave the target directory."""

from __future__ import annotations

import re


def safe_filename(name: str, suffix: str = "", key: str | None = None) -> str:
    """``<slug>[-<key>]<suffix>``: letters and digits of any script, ``_`` and ``-`` only.

    No separator, dot-dot, control character or reserved Windows character survives, so the
    result is one plain name inside whatever directory it is joined to.  ``key`` (a group's
    store key) keeps two groups whose names slug alike apart."""
    slug = re.sub(r"[^\w-]+", "_", name).strip("_-")[:60] or "group"
    return f"{slug}-{key}{suffix}" if key else f"{slug}{suffix}"
