"""Synthetic QQ/WeChat group exports with planted roles and life cycles, and the truth beside them.

Tests, the README samples, the benchmark script and the role/risk validation all
draw on this; it is a library first (``generate_group``/``generate_corpus`` return
DataFrames a notebook can inspect) and the writers turn a group into the exact
bytes a real exporter would produce.
"""

from .model import (
    ACTS,
    LIFECYCLES,
    ROLES,
    GeneratedGroup,
    GroupSpec,
    Person,
    generate,
    generate_corpus,
    generate_group,
)

__all__ = ["ACTS", "LIFECYCLES", "ROLES", "GeneratedGroup", "GroupSpec", "Person", "generate", "generate_corpus",
           "generate_group"]
