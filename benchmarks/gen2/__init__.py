"""gen2: a second, independent group-chat generator for validating qunkit's role and risk engines.

Written only from the practice (shared/DOMAIN.md, shared/seeds/) and the export
layouts (shared/formats/), without reading qunkit's own generator, lexicons or
engine thresholds, so a figure measured on it says how far the engines carry
over rather than how well they were tuned.  Benchmarks import it like
``corpus`` (``import gen2``); it is never part of the qunkit package.

    groups = gen2.generate_corpus(60, seed=1)
    rows, truth = gen2.write_corpus(groups, out, "qq")     # or "wechat"

Rates, and why (DOMAIN.md):

- sizes: 35 % small groups of 12-30 ("小群: under 30, members know and talk to
  each other"), 45 % ordinary groups of 80-300 ("200-300 members, 5-8 % active"),
  20 % core groups of 40-80 ("69 members, active above 70 %"); the talkers are
  a fixed handful per group, so the active share falls with size as the
  practice says.
- roles per group: 1-2 organizers (upkeep: 群公告, @所有人, rules, welcomes,
  打卡, 清人 roll calls; the owner in 72 % of groups, otherwise an admin or a
  plain member while the owner is a thinker or a silent lurker), 1-5 thinkers
  ("the soul of the group", a few people; long posts that draw 2-6 replies from
  several people), 1-5 jokers (哈哈, stickers, memes, some with ？), 2-8 askers
  (请问 / 有没有大佬 / 求推荐, two thirds without a question mark), 0-2
  challengers (complaints at the rules, the admins, the missing weekly event),
  0-3 advertisers (4-8 in an ad-flooded group; 40 % are recruiters whose
  "欢迎加入<公司>" is an ad), everyone else a lurker.
- activity within a role is heavy-tailed (a lognormal weight, sigma 1.0;
  organizers 0.4, upkeep is steady): "a few carry the group", and some planted
  talkers say little.
- noise: 4-10 % of lurkers (1-12 per group) post a handful of 收到 / 1 / 哈哈
  after notices, and a quarter of all lurkers answer a roll call with "1";
  they stay lurkers in the truth.  Anyone may ask when an event starts; that is
  a question, not a notice.
- replies: answers @ the asker 45 % of the time, quote the question (WeChat
  ``引用:``) in another ~20 %, or just follow within a minute; threads get
  answered with the group's own habit (70-92 %), 60 % of that in a declining
  group, 45 % once its thinkers have gone quiet, 4 % in a monologue.
- life cycles (``life.py``): healthy 26 %, holiday_lull 12 %, slow_decline 16 %,
  sudden_death 10 %, monologue 12 %, core_quits 12 %, ad_flood 12 %.  Every
  group shares one ``as_of`` (early March 2026, two weeks after the Spring
  Festival) so the lull is in the history; ``dead_within_30d`` is whether the
  plan's death day falls on or before as_of + 30 days.

Truth: ``truth/roles.csv`` (every member who was ever in the group before
as_of: planted role, messages before as_of; the observable role of a talker
with no message is lurker, as validate.py scores it) and
``truth/lifecycles.csv`` (lifecycle, dead_within_30d, as_of, death day).
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from qunkit.ingest import import_file
from qunkit.store import Store

from .files import LAYOUTS, write_corpus
from .group import Gen2Group, build_group
from .life import assign_lifecycles

AS_OF = dt.date(2026, 3, 6)

__all__ = ["AS_OF", "LAYOUTS", "Gen2Group", "build_store", "generate_corpus", "write_corpus"]


def generate_corpus(n_groups: int = 60, seed: int = 0, messages_per_group: int = 1500) -> list[Gen2Group]:
    """``n_groups`` groups, deterministic for a seed (one ``random.Random`` per group, seeded from it)."""
    rng = random.Random(f"gen2-corpus-{seed}")
    lifecycles = assign_lifecycles(rng, n_groups)
    return [build_group(random.Random(f"gen2-{seed}-{i}"), i, lc, AS_OF, messages_per_group)
            for i, lc in enumerate(lifecycles)]


def build_store(root: Path, n_groups: int, seed: int, messages_per_group: int, layout: str = "qq"
                ) -> tuple[Store, list[Gen2Group]]:
    """Generate and write the corpus under ``root``, then import every export with its roster into
    ``root/store`` through qunkit's normal import path (what a user's store would hold)."""
    groups = generate_corpus(n_groups, seed=seed, messages_per_group=messages_per_group)
    rows, _ = write_corpus(groups, Path(root), layout)
    store = Store(Path(root) / "store")
    for row in rows:
        import_file(store, row["export"], roster=row["roster_file"], roster_group=row["group"])
    return store, groups
