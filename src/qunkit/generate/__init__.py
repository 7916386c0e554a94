"""Synthetic QQ/WeChat group exports with planted roles and life cycles, and the truth beside them.

Tests, the README samples, the benchmark script and the role/risk validation all
draw on this; it is a library first (``generate_group``/``generate_corpus`` return
DataFrames a notebook can inspect) and the writers turn a group into the exact
bytes a real exporter would produce::

    from qunkit.generate import generate_corpus, write_qq_txt, write_roster_csv, write_truth
    groups = generate_corpus(n_groups=20, seed=0, as_of="2024-03-31", messages_per_group=2000)
    write_qq_txt(groups, "全部消息记录.txt")
    write_truth(groups, "truth/")
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
from .writers import (
    qq_txt_text,
    wechatmsg_frame,
    wechatmsg_txt_text,
    write_qq_txt,
    write_roster_csv,
    write_truth,
    write_wechatmsg_csv,
    write_wechatmsg_txt,
)

__all__ = ["ACTS", "LIFECYCLES", "ROLES", "GeneratedGroup", "GroupSpec", "Person", "generate", "generate_corpus",
           "generate_group", "qq_txt_text", "wechatmsg_frame", "wechatmsg_txt_text", "write_qq_txt",
           "write_roster_csv", "write_truth", "write_wechatmsg_csv", "write_wechatmsg_txt"]
