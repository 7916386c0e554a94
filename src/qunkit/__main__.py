"""``python -m qunkit``: the same CLI as the ``qunkit`` script (handy from a source tree)."""

from .cli import main

main()
