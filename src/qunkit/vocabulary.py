"""Names that several layers share and the command line offers as choices.

Declared here, free of pandas, so ``qunkit <command> --help`` can list them
without importing the analysis code; the analysis modules and the generator
import them from here instead of keeping their own copies.
"""

from __future__ import annotations

# member roles, in the order reports list them (seed 000 of the practice, plus advertisers)
ROLES = ("organizer", "thinker", "joker", "asker", "challenger", "lurker", "advertiser")

# activity period lengths (``qunkit activity --by``)
PERIODS = ("day", "week", "month")

# the generator's planted life cycles (``qunkit generate --lifecycle``)
LIFECYCLES = ("healthy", "dying", "dead", "flooded", "one_man_show", "holiday_lull", "shrunk_stable", "revival")

# how per-group analyses run (``--engine``): a local process pool, or a dask.distributed cluster
ENGINES = ("local", "dask")
