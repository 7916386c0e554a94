"""One library call per command: what ``qunkit <command>`` computes, as a ``Result``.

Each function takes plain arguments (a store, a ``Scope``, thresholds) and
returns a ``qunkit.commands.result.Result`` -- rows, the table view, notes and
an exit code -- so a notebook gets exactly what the command line prints, and
each click command is a few lines that call one of these and let the output
decorator (``qunkit.cli.output``) render it.

Nothing is imported here: ``qunkit --help`` must not pay for pandas.
"""
