"""qunkit's command line: a thin layer over the library.

Each subject lives in its own module and is registered in ``COMMANDS``.
``main()`` turns ``QunkitError`` into a one-line message on stderr and the
documented exit code.
"""

from __future__ import annotations

import importlib
import sys

import click

from .. import __version__
from ..errors import QunkitError

HELP = """qunkit: measure WeChat and QQ group chats from their exported logs.

\b
Typical use:
  qunkit analyze 全部消息记录.txt          import an export and show an overview
  qunkit import export.txt --roster members.csv
  qunkit groups                            list groups in the store
  qunkit risk --fail-above 70              rank groups by dead-group risk
  qunkit prune --days 90 --format csv      members to remove, with reasons

\b
Exit codes: 0 ok, 1 a threshold was crossed (--fail-above, --fail-if-any),
2 usage error, 3 bad input or store error.  Errors go to stderr.
Chat logs never leave this machine: qunkit makes no network connections.
"""

# "module:command" entries; a module is imported only when listed here.
COMMANDS = [
    "qunkit.cli.importing:import_cmd",
    "qunkit.cli.importing:formats_cmd",
    "qunkit.cli.groups:groups_cmd",
    "qunkit.cli.analyze:analyze_cmd",
    "qunkit.cli.analysis:activity_cmd",
    "qunkit.cli.analysis:roles_cmd",
    "qunkit.cli.analysis:risk_cmd",
    "qunkit.cli.replies:replies_cmd",
    "qunkit.cli.prune:prune_cmd",
    "qunkit.cli.prune:rollcall_cmd",
    "qunkit.cli.generate:generate_cmd",
    "qunkit.cli.export:export_cmd",
]


class QunkitGroup(click.Group):
    """Maps library errors to a one-line stderr message and the documented exit code,
    both for the installed script and for click's CliRunner in tests."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except QunkitError as exc:
            click.echo(f"qunkit: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except BrokenPipeError:  # `qunkit ... | head`
            sys.stderr.close()
            ctx.exit(0)


@click.group(cls=QunkitGroup, help=HELP,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="qunkit")
def cli() -> None:
    pass


def _register() -> None:
    for spec in COMMANDS:
        mod, name = spec.split(":")
        cli.add_command(getattr(importlib.import_module(mod), name))


_register()


def main() -> None:
    cli(prog_name="qunkit")
