"""qunkit's command line: a thin layer over the library.

Each subject lives in its own module, listed in ``COMMANDS`` with its one-line
help and imported only when it runs.  Every command renders through
``output.output_options``; ``main()`` turns ``QunkitError`` and usage errors
into a one-line message on stderr and the documented exit code.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from .. import __version__
from ..errors import EXIT_BAD_INPUT, EXIT_USAGE, QunkitError
from ..safetext import safe_text

HELP = """qunkit: measure WeChat and QQ group chats from their exported logs.

\b
Typical use:
  qunkit analyze 全部消息记录.txt          import an export and show an overview
  qunkit import export.txt --roster members.csv
  qunkit groups                            list groups in the store
  qunkit risk --fail-above 70              rank groups by dead-group risk
  qunkit prune --days 90 --format csv      members to remove, with reasons
  qunkit risk --format json -o risk.json   any result to a file (written atomically)

\b
Exit codes: 0 ok, 1 a threshold was crossed (--fail-above, --fail-if-any),
2 usage error, 3 bad input, store error or an internal error (--debug shows
its traceback).  Errors go to stderr, one line.
Chat logs never leave this machine: qunkit makes no network connections.
"""

# name -> ("module:attribute", one-line help).  The help is here so `qunkit --help` lists every
# command without importing any of them; tests check it matches each command's own docstring.
COMMANDS: dict[str, tuple[str, str]] = {
    "import": ("qunkit.cli.importing:import_cmd",
               "Import chat exports into the store (idempotent: re-importing adds nothing twice)."),
    "formats": ("qunkit.cli.importing:formats_cmd", "List the export formats qunkit reads (the names --input-format takes)."),
    "groups": ("qunkit.cli.groups:groups_cmd", "List the groups in the store with their size and period."),
    "analyze": ("qunkit.cli.analyze:analyze_cmd",
                "Overview of groups: activity, member roles, dead-group risk, benchmarks."),
    "activity": ("qunkit.cli.analysis:activity_cmd",
                 "Activity per group and period: volume, speakers, active rate, replies, noise."),
    "roles": ("qunkit.cli.analysis:roles_cmd",
              "Each member's main role, the score per role and the reasons behind it."),
    "risk": ("qunkit.cli.analysis:risk_cmd",
             "Rank groups by dead-group risk (0-100) with the causes behind each score."),
    "prune": ("qunkit.cli.prune:prune_cmd", "List members to remove (清人), each with the reason."),
    "rollcall": ("qunkit.cli.prune:rollcall_cmd", "Who answered the roll call (点名), and which members did not."),
    "signups": ("qunkit.cli.operator:signups_cmd",
                "Who signed a 接龙 (sign-up chain), and which current members did not."),
    "core": ("qunkit.cli.operator:core_cmd",
             "Members to invite into a core group (核心群) or cultivate as KOLs, ranked with reasons."),
    "impact": ("qunkit.cli.impact:impact_cmd",
               "The lift in messages and speakers after an event (分享/直播/活动/红包), and who came back for it."),
    "compare": ("qunkit.cli.compare:compare_cmd",
                "Many groups side by side: size, activity, roles, risk and their change; shared members; cross-posts."),
    "names": ("qunkit.cli.identity:names_cmd",
              "Each member's names over time (群名片, account name, join lines), and ids merged as one person."),
    "generate": ("qunkit.cli.generate:generate_cmd",
                 "Write synthetic group-chat exports, member rosters and the planted truth."),
    "export": ("qunkit.cli.export:export_cmd", "Write groups from the store as ChatLab files, one file per group."),
    "replies": ("qunkit.cli.replies:replies_cmd",
                "For each message, the message it answers (or none) and the evidence."),
    "report": ("qunkit.cli.report:report_cmd",
               "One self-contained HTML report: groups ranked by risk, then a section per group."),
    "digest": ("qunkit.cli.report:digest_cmd", "A short summary per group for a period, for a cron mail or a chat bot."),
    "doctor": ("qunkit.cli.doctor:doctor_cmd",
               "Check the store for damage and say how to repair it; --repair does what is safe."),
    "rebuild": ("qunkit.cli.rebuild:rebuild_cmd",
                "Recompute per-message facts and the aggregates where stale (new lexicon or qunkit version)."),
    "sql": ("qunkit.cli.sql:sql_cmd", "Run a read-only SQL query (DuckDB) over the store's tables."),
    "anonymize": ("qunkit.cli.anonymize:anonymize_cmd",
                  "Write an anonymised copy of the store: names, ids and contacts replaced, the same analyses."),
}


class QunkitGroup(click.Group):
    """Lazy commands, and library errors as a one-line stderr message with the documented exit code.

    A command's module is imported only when that command runs or shows its own
    help, so ``qunkit --help`` loads neither pandas nor pyarrow.  Usage errors
    (a bad option value) are one line naming the option, exit 2."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        spec = COMMANDS.get(name)
        if spec is None:
            return None
        mod, attr = spec[0].split(":")
        return getattr(importlib.import_module(mod), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, helptext) for name, (_, helptext) in COMMANDS.items()])

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except QunkitError as exc:
            click.echo(f"qunkit: error: {safe_text(str(exc))}", err=True)
            ctx.exit(exc.exit_code)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "qunkit"
            click.echo(f"qunkit: usage error: {safe_text(exc.format_message())} (see '{where} --help')", err=True)
            ctx.exit(EXIT_USAGE)
        except BrokenPipeError:  # `qunkit ... | head`
            sys.stderr.close()
            ctx.exit(0)
        except (click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except click.ClickException as exc:  # e.g. a file click could not open: input, not a threshold
            click.echo(f"qunkit: error: {safe_text(exc.format_message())}", err=True)
            ctx.exit(EXIT_BAD_INPUT)
        except Exception as exc:  # a qunkit bug or an unforeseen input: never exit 1, which means "act on it"
            if ctx.params.get("debug") or os.environ.get("QUNKIT_DEBUG") == "1":
                raise
            what = safe_text(f"{type(exc).__name__}: {exc}")[:500]
            click.echo(f"qunkit: internal error: {what} (qunkit --debug COMMAND ... shows the traceback)",
                       err=True)
            ctx.exit(EXIT_BAD_INPUT)


@click.group(cls=QunkitGroup, help=HELP,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="qunkit")
@click.option("--debug", is_flag=True, help="On an internal error, show the Python traceback (or set QUNKIT_DEBUG=1).")
def cli(debug: bool) -> None:  # noqa: ARG001 - read from the context by QunkitGroup.invoke
    pass


def main() -> None:
    # qunkit's NumPy work is element-wise (its one BLAS call fits a line through 8 weekly points), yet
    # OpenBLAS starts a server thread per core that spins after start-up: 0.1-0.15 s of CPU a command
    # (measured on the 992k-message QQ import, 2 cores).  One BLAS thread unless the user chose; set
    # here, before NumPy loads, for the qunkit process only (a notebook importing qunkit is untouched).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    cli(prog_name="qunkit")
