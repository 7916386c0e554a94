"""The benchmarks' corpus, laid out once: generated groups as QQ .txt exports with member rosters.

The layout is the one ``qunkit generate OUT`` writes (``qunkit.generate.files``:
OUT/exports, OUT/rosters, OUT/truth), and the store is filled through the
normal import path, so a benchmark reads exactly what a user's store holds.
Scripts in this directory import it as ``corpus`` (their own directory is on
``sys.path`` when run as ``python benchmarks/x.py``).
"""

from __future__ import annotations

from pathlib import Path

from qunkit.generate import GeneratedGroup, generate_corpus
from qunkit.generate.files import write_corpus
from qunkit.ingest import import_file
from qunkit.store import Store


def write(root: Path, n_groups: int, seed: int, messages_per_group: int, single_file: bool = False,
          layout: str = "qq-txt") -> tuple[list[GeneratedGroup], list[dict]]:
    """Generate and write the corpus under ``root``: (groups, one row per group with its export and roster)."""
    groups = generate_corpus(n_groups, seed=seed, messages_per_group=max(messages_per_group, 50))
    names = [g.name for g in groups]
    if len(set(names)) != len(names):
        raise SystemExit("the corpus has two groups with one name; a text export could not tell them apart")
    rows, _ = write_corpus(groups, root, layout, single_file=single_file)
    return groups, rows


def build_store(root: Path, n_groups: int, seed: int, messages_per_group: int, layout: str = "qq-txt"
                ) -> tuple[Store, list[GeneratedGroup]]:
    """``write`` the corpus (``layout``: one of ``qunkit.generate.files.LAYOUTS``), then import every export
    with its roster into ``root/store``."""
    groups, rows = write(root, n_groups, seed, messages_per_group, layout=layout)
    store = Store(root / "store")
    for row in rows:
        import_file(store, row["export"], roster=row["roster_file"], roster_group=row["group"])
    return store, groups
