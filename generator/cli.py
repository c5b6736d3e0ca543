"""The `gen` command line: parse options, call the library, print, map results to exit codes.

Exit codes scripts can rely on: 0 ok, 1 findings (spec errors, compiler diagnostics, drift,
an undelivered trace, plan conflicts, disruptive changes, verify findings), 2 usage or
unreadable input, 3 a bug in gen (an unexpected error: one line, GEN_DEBUG=1 shows the
traceback), 130 interrupted. Only click and the light parts of gen are
imported here; each command loads what it needs (the schema validator, Jinja, the routing
model), so that `gen --help` and the fast commands start fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NoReturn

import click

from . import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_BUG = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # the shell's code for SIGINT
FORMATS = ("text", "json", "sarif")
EXAMPLES = {"seed": "seed-b2b-azfw.json", "multi-site": "multi-site.json", "hub-spoke": "hub-spoke.json", "vpn-sites": "vpn-sites.json",
            "multi-region": "multi-region.json"}


class InputError(click.ClickException):
    """Unreadable input or a request gen cannot carry out: one line on stderr, exit 2."""

    exit_code = EXIT_INPUT

    def show(self, file=None) -> None:
        click.echo(f"gen: {self.format_message()}", err=True)


def finish(code: int) -> NoReturn:
    raise click.exceptions.Exit(code)


def _analyse(spec_file: str, fmt: str = "text"):
    """The analysis of a spec file; unreadable input ends the command with exit 2 (in `fmt` too)."""
    from . import pipeline, spec

    try:
        return pipeline.analyse(spec_file)
    except spec.SpecInputError as exc:
        if fmt != "text":
            from .report import render_input_error
            from .rules import INPUT

            click.echo(render_input_error(INPUT.finding("(spec)", str(exc)), spec_file, exc.line, fmt), nl=False)
        raise InputError(str(exc)) from None


def _report(analysis, fmt: str, quiet_when_clean: bool = False) -> None:
    """Findings go to stdout in the chosen format (redirect json/sarif to a file)."""
    from .report import render_findings

    if quiet_when_clean and not analysis.findings and fmt == "text":
        return
    click.echo(render_findings(analysis.findings, analysis.loaded.path, analysis.loaded.text, fmt), nl=False)


def _say(message: str, fmt: str) -> None:
    """Progress lines: stdout for people, stderr when stdout carries json/sarif."""
    click.echo(message, err=(fmt != "text"))


class GenGroup(click.Group):
    """The one boundary for unexpected errors: whatever escapes a command becomes one line and exit 3, never a
    traceback a user must read and never exit 1 (which scripts take for findings)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, BrokenPipeError):
            raise
        except KeyboardInterrupt:
            click.echo("gen: interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except Exception as exc:  # noqa: BLE001 - the boundary
            if os.environ.get("GEN_DEBUG"):
                import traceback

                traceback.print_exc()
            command = " ".join(sys.argv[1:]) or ctx.invoked_subcommand or ""
            command = command if len(command) <= 200 else command[:197] + "..."
            reason = str(exc).splitlines()[0][:200] if str(exc) else ""
            click.echo(f"gen: internal error ({type(exc).__name__}{': ' + reason if reason else ''}) while running "
                       f"`gen {command}`: this is a bug in gen: please report it with the command and its input "
                       f"(GEN_DEBUG=1 shows the traceback)", err=True)
            ctx.exit(EXIT_BUG)


format_option = click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
    help="How to print findings: text for people, json for scripts, sarif for pull-request annotations.",
)
strict_option = click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1); accepted warnings still pass.")


@click.group(cls=GenGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="gen")
def main() -> None:
    """Turn a short spec of an Azure hub network into deployable Bicep.

    The design: on-premises sites on ExpressRoute and VPN branches reach each other
    through Azure Route Server (branch-to-branch), and a route table on GatewaySubnet
    forces that transit through Azure Firewall.

    \b
    Typical session:
      gen init spec.json              # a starter spec shaped like the seed design
      gen validate spec.json          # schema and Azure rules, all findings at once
      gen render spec.json            # Bicep into out/<name>/
      gen build out/<name>            # compile with the real Bicep compiler
      gen plan out/<name>             # waves, critical path, conflicting writes
      gen trace spec.json --from 10.20.10.133 --to 10.50.1.4
      gen diff --git origin/main spec.json   # what the change does to the running hub
    After deploying:
      gen collect spec.json -o collect.sh && bash collect.sh capture
      gen verify spec.json capture    # sessions, learned routes, NIC routes

    Exit codes: 0 ok, 1 findings (spec errors, compiler diagnostics, drift,
    an undelivered trace, plan conflicts, disruptive changes, verify
    findings), 2 usage errors or unreadable input, 3 a bug in gen
    (GEN_DEBUG=1 shows its traceback), 130 interrupted.
    """


def _refuse_own_input(output, inputs) -> None:
    """No command writes over a file it reads: `gen collect SPEC -o SPEC` would replace the spec with a script."""
    if output is None:
        return
    for given in inputs:
        try:
            same = Path(output).exists() and os.path.samefile(output, given)
        except OSError:
            same = False
        if same:
            raise InputError(f"{output}: is {given}, which this command reads; write to another file")


def _is_dir(path: Path) -> bool:
    """Whether `path` is a directory; a path the system cannot even look up (too long, a loop) is bad input."""
    try:
        return path.is_dir()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _routable(spec_file: str):
    """The analysis of a schema-valid spec (its topology routable), errors noted on stderr."""
    analysis = _analyse(spec_file)
    if analysis.fleet is None:
        _report(analysis, "text")
        click.echo("gen: fix the spec's shape first (gen validate)", err=True)
        finish(EXIT_FINDINGS)
    if analysis.errors:
        click.echo(f"gen: note: the spec has {len(analysis.errors)} error(s) (gen validate); routing it as written", err=True)
    return analysis


def _price_table(path: str | None):
    from .prices import PriceTableError
    from .prices import load as load_prices

    try:
        return load_prices(path)
    except PriceTableError as exc:
        raise InputError(str(exc)) from None


# The commands, one module per concern: importing each registers its commands on `main`.
from .commands import analysis, cost, deploy, running, spec  # noqa: E402,F401

if __name__ == "__main__":
    # `python -m generator.cli`: this file runs as __main__, and the commands registered themselves on the main of
    # generator.cli, the module they import; run that one.
    from generator.cli import main as registered

    registered()
