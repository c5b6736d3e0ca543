"""The `gen` command line: parse options, call the library, print, map results to exit codes.

Exit codes scripts can rely on: 0 ok, 1 findings (spec errors, compiler diagnostics, drift,
an undelivered trace, plan conflicts, disruptive changes, verify findings), 2 usage or
unreadable input, 3 a bug in gen (an unexpected error: one line, GEN_DEBUG=1 shows the
traceback), 130 interrupted. Only click and the light parts of gen are
imported here; each command loads what it needs (the schema validator, Jinja, the routing
model), so that `gen --help` and the fast commands start fast.
"""

from __future__ import annotations

import json
import os
import re
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


@main.command(short_help="Check specs: schema and every rule.")
@click.argument("spec_files", metavar="SPEC...", nargs=-1, required=True, type=click.Path(dir_okay=True))
@format_option
@strict_option
def validate(spec_files: tuple[str, ...], fmt: str, strict: bool) -> None:
    """Check each SPEC against the schema and every rule (`gen rules` lists them).

    Prints every finding with its rule id, spec path, line and a documentation link,
    in the order of the spec's lines; warnings the spec accepts (acceptedWarnings) are
    listed with their reason. Writes nothing. Exit 1 on errors in any spec (or unaccepted
    warnings with --strict), 2 when a SPEC cannot be read (json and sarif still carry the
    error). --format json and sarif take one SPEC (one document per run).

    \b
    Examples:
      gen validate spec.json
      gen validate specs/*.json
      gen validate spec.json --format sarif > gen.sarif
    """
    if fmt != "text" and len(spec_files) > 1:
        raise click.UsageError(f"--format {fmt} takes one SPEC (one findings document per run)")
    worst = EXIT_OK
    for spec_file in spec_files:
        analysis = _analyse(spec_file, fmt)
        _report(analysis, fmt)
        worst = max(worst, EXIT_FINDINGS if analysis.failed(strict) else EXIT_OK)
    finish(worst)


@main.command(short_help="Render specs into Bicep (or --check drift).")
@click.argument("spec_files", metavar="SPEC...", nargs=-1, required=True, type=click.Path(dir_okay=True))
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False),
              help="Output directory, for one SPEC [default: out/<name>/, where <name> is the spec's `name` field].")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if an output directory differs from what its SPEC renders.")
@click.option("--diff", "show_diff", is_flag=True, help="With --check: print a unified diff of what rendering would change.")
@click.option("--force", is_flag=True, help="Replace output rendered from another spec, and discard hand edits of generated files.")
@format_option
@strict_option
def render(spec_files: tuple[str, ...], out_dir: str | None, check: bool, show_diff: bool, force: bool, fmt: str, strict: bool) -> None:
    """Render each SPEC into Bicep: main.bicep, main.bicepparam, modules/, bicepconfig.json, README.md.

    Nothing is written for a spec with errors. The new output replaces the old one in one
    atomic step; files in the directory that gen did not write are kept as they are. gen
    refuses (exit 2) to overwrite the output of another spec, or a generated file edited
    by hand, unless --force. Output is byte-identical for the same spec and gen version.

    With --check, compare instead: exit 0 when every directory is exactly what its SPEC
    renders, 1 with a per-file summary otherwise (for CI and pre-commit; --diff shows it).

    \b
    Examples:
      gen render spec.json                     # into out/<name>/
      gen render spec.json -o hubs/weu
      gen render --check specs/*.json          # CI: is every committed out/<name>/ current?
    """
    from . import output, pipeline

    if out_dir is not None and len(spec_files) > 1:
        raise click.UsageError("-o/--output takes one SPEC; without it each spec renders into out/<name>/")
    if fmt != "text" and len(spec_files) > 1:
        raise click.UsageError(f"--format {fmt} takes one SPEC (one findings document per run)")
    if show_diff and not check:
        raise click.UsageError("--diff goes with --check")
    worst = EXIT_OK
    for spec_file in spec_files:
        analysis = _analyse(spec_file, fmt)
        if analysis.failed(strict):
            _report(analysis, fmt)
            click.echo(f"gen: {spec_file}: nothing written: fix the errors above first", err=True)
            worst = max(worst, EXIT_FINDINGS)
            continue
        _report(analysis, fmt, quiet_when_clean=True)
        try:
            directory = output.target_directory(out_dir if out_dir is not None else analysis.default_directory())
        except output.OutputConflict as exc:
            raise InputError(str(exc)) from None
        directory = Path(os.path.relpath(directory)) if directory.is_relative_to(Path.cwd()) else directory
        files = pipeline.render_files(analysis, directory)
        if check:
            worst = max(worst, _check(spec_file, files, directory, show_diff, fmt))
            continue
        try:
            written = output.write(files, directory, analysis.provenance(directory), force=force)
        except output.OutputConflict as exc:
            raise InputError(str(exc)) from None
        _say(f"wrote {len(written)} files to {directory}/ (see its README.md to deploy)", fmt)
        for secret in dict.fromkeys(s for t in analysis.fleet.topologies for s in t.secrets):
            _say(f"  deploying needs ${secret.env}: {secret.purpose}", fmt)
    finish(worst)


def _check(spec_file: str, files: dict[str, str], directory: Path, show_diff: bool, fmt: str) -> int:
    from . import output

    drift = output.check(files, directory)
    if not drift:
        _say(f"{directory}: up to date with {spec_file}", fmt)
        return EXIT_OK
    click.echo(f"{directory}: out of date with {spec_file}:", err=True)
    for item in drift:
        click.echo(f"  {item}", err=True)
    if show_diff:
        click.echo(output.unified_diff(files, directory), nl=False)
    click.echo(f"run: gen render {spec_file} -o {directory}", err=True)
    return EXIT_FINDINGS


@main.command(short_help="The pull-request gate: validate, render --check, compile, plan, diff, in one report.")
@click.argument("spec_files", metavar="SPEC...", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--base", metavar="REV", help="Also compare each SPEC with this git revision of it (gen diff --git), and plan "
                                         "what the change runs.")
@click.option("--capture", metavar="CAPTURE", type=click.Path(file_okay=False),
              help="Also verify against this capture (one SPEC); with --base, the change is compared with the capture "
                   "(what runs) instead of the revision.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json", "sarif"]), default="text", show_default=True,
              help="text for logs, markdown for the pull-request comment, json for scripts, sarif for annotations.")
@click.option("-o", "--output", "report_file", type=click.Path(dir_okay=False), help="Write the report here instead of printing it.")
@strict_option
def check(spec_files: tuple[str, ...], base: str | None, capture: str | None, fmt: str, report_file: str | None, strict: bool) -> None:
    """Check each SPEC the way a pull request needs it, in one run and one report: the schema
    and every rule (findings at their spec lines), its committed output against what it renders
    (found by its manifest, or out/<name>/), the real compiler on that output (errors, warnings,
    lint, format; the hubs share one compiler process, one per core from four hubs on, and are
    not compiled at all when the same files were compiled before), the deployment plan, and
    with --base the change against that git revision: what it does to the running hub and
    which operations its deployment runs.

    The report says what each change was compared with: the spec at the revision (assumed to be
    what runs: nothing checks that it was deployed), nothing (the spec is new: a first
    deployment), or with --capture what Azure holds (gen collect's capture of the hub).

    Exit 0 when everything is clean, 1 when anything needs fixing (errors, out-of-date output,
    compiler diagnostics, plan conflicts, a disruptive change), 2 when a spec or the revision
    cannot be read or there is no compiler.

    \b
    Examples:
      gen check specs/*.json
      gen check specs/*.json --base origin/main --format markdown -o comment.md
      gen check specs/*.json --format sarif -o gen.sarif
      gen check specs/hub.json --base origin/main --capture capture
    """
    from . import check as checker
    from .output import write_file

    if capture is not None and len(spec_files) > 1:
        raise click.UsageError("--capture goes with one SPEC (a capture is of one hub)")
    _refuse_own_input(report_file, spec_files)
    report = checker.run(list(spec_files), base, capture, strict)
    text = checker.FORMATS[fmt](report)
    if report_file is None:
        click.echo(text, nl=False)
    else:
        try:
            write_file(report_file, text)
        except OSError as exc:
            raise InputError(f"{report_file}: cannot write ({exc.strerror or exc})") from None
        click.echo(f"wrote {report_file}", err=True)
    for hub in report.hubs:
        if hub.input_error:
            click.echo(f"gen: {hub.input_error}", err=True)
    if report.no_compiler:
        click.echo(f"gen: {report.no_compiler}", err=True)
    finish(report.exit_code)


@main.command(short_help="Compile rendered Bicep with the real compiler.")
@click.argument("directories", metavar="DIR...", nargs=-1, required=True, type=click.Path())
def build(directories: tuple[str, ...]) -> None:
    """Compile the rendered Bicep in each DIR with the real Bicep compiler.

    Uses the `bicep` binary (PATH, next to gen, then ~/.azure/bin), else `az bicep build`.
    Checks main.bicep and its modules with the linter of DIR/bicepconfig.json,
    main.bicepparam (unset secret variables get a placeholder), and that
    `bicep format` would change nothing. Several directories go through one compiler
    process. Exit 1 on any error or warning, 2 when there is no compiler or a DIR
    holds no rendered output.

    \b
    Examples:
      gen build out/b2b-azfw
      gen build out/*                          # every hub of a repository, one compiler start
    """
    from . import compiler
    from .plan import hubs as hubs_plan

    paths = [Path(d) for d in directories]
    for path in paths:
        if not str(path).strip():
            raise InputError("an empty directory name; give the directory `gen render` wrote")
        try:
            if path.is_file():
                raise InputError(f"{path}: is a file; gen build takes the directory `gen render` wrote (e.g. {path.parent or '.'})")
            if not path.exists():
                raise InputError(f"{path}: no such directory; render a spec into it first: gen render SPEC -o {path}")
            if not (path / "main.bicep").is_file() and not hubs_plan.is_several(path):
                raise InputError(f"{path}: no main.bicep here; run `gen render SPEC -o {path}` first")
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    # A folder of several hubs: each hub's deployment and the peerings'.
    paths = [p for path in paths for p in ([d for stage in hubs_plan.deployments(path) for d in stage]
                                            if hubs_plan.is_several(path) else [path])]
    try:
        results = compiler.build_all(paths)
    except (compiler.CompilerNotFound, compiler.CompilerFailed) as exc:
        raise InputError(str(exc)) from None
    except OSError as exc:
        raise InputError(f"cannot compile ({exc.strerror or exc}{': ' + exc.filename if exc.filename else ''})") from None
    for path, result in zip(paths, results):
        for diagnostic in result.diagnostics:
            click.echo(str(diagnostic))
        errors = sum(d.level == "Error" for d in result.diagnostics)
        warnings = sum(d.level == "Warning" for d in result.diagnostics)
        click.echo(f"{result.compiler}: {errors} error(s), {warnings} warning(s) in {path}/")
    finish(EXIT_OK if all(r.ok for r in results) else EXIT_FINDINGS)


@main.command(short_help="The deployment as Azure will run it: waves, critical path, conflicts.")
@click.argument("target", metavar="SPEC|DIR", type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True,
              help="text for terminals, markdown for a pull-request comment, json for scripts.")
def plan(target: str, fmt: str) -> None:
    """Show how Azure Resource Manager will run the deployment of SPEC (rendered in memory)
    or of a rendered DIR, read from the template the real Bicep compiler produces.

    Prints the waves (operations that run at the same time), each Azure operation with its
    type, name and typical duration (documented figures, or ~estimates), the critical path
    and its total against a fully serial order, and the conflicts: two operations that may
    run at once and write the same VNet or gateway (PLAN001), which Azure refuses with
    AnotherOperationInProgress after the first has run for up to an hour.

    Exit 0 without conflicts, 1 with conflicts (or a spec with errors), 2 when the input
    cannot be read or compiled, or there is no Bicep compiler.

    \b
    Examples:
      gen plan spec.json
      gen plan out/b2b-azfw --format markdown
    """
    import tempfile

    from . import compiler, output, pipeline
    from . import plan as planner
    from .plan.text import FORMATS as PLAN_FORMATS

    from .plan import hubs as hubs_plan

    path = Path(target)
    try:
        if _is_dir(path) and hubs_plan.is_several(path):
            _plan_hubs(hubs_plan.of_directory_of_hubs(path), fmt)
        if _is_dir(path):
            if not (path / "main.bicep").is_file():
                raise InputError(f"{path}: no main.bicep here; give a spec, or a directory `gen render` wrote")
            result = planner.of_directory(path)
        else:
            analysis = _analyse(target)
            if analysis.failed():
                _report(analysis, "text")
                click.echo(f"gen: {target}: nothing to plan: fix the errors above first", err=True)
                finish(EXIT_FINDINGS)
            with tempfile.TemporaryDirectory(prefix="gen-plan-") as temporary:
                directory = Path(temporary) / analysis.fleet.name
                output.write(pipeline.render_files(analysis, directory), directory)
                if analysis.several:
                    _plan_hubs(hubs_plan.of_directory_of_hubs(directory, source=target), fmt)
                result = planner.of_directory(directory, source=target)
    except (compiler.CompilerNotFound, compiler.CompilerFailed, planner.PlanInputError, output.OutputConflict) as exc:
        raise InputError(str(exc)) from None
    except OSError as exc:
        raise InputError(f"{target}: cannot be read or compiled ({exc.strerror or exc})") from None
    click.echo(PLAN_FORMATS[fmt](result), nl=False)
    finish(EXIT_FINDINGS if result.conflicts else EXIT_OK)


def _plan_hubs(result, fmt: str) -> None:
    from .plan import hubs as hubs_plan

    click.echo(hubs_plan.FORMATS[fmt](result), nl=False)
    finish(EXIT_FINDINGS if result.conflicts else EXIT_OK)


@main.command(short_help="What a spec change does to the running network.")
@click.argument("specs", metavar="[OLD] NEW", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--git", "revision", metavar="REV", help="Take OLD from this git revision of NEW, e.g. origin/main.")
@click.option("--live", "live_capture", metavar="CAPTURE", type=click.Path(file_okay=False),
              help="Take OLD from Azure: a capture folder (gen collect) of the deployed hub. Adds drift and unmanaged resources.")
@click.option("-g", "--resource-group", metavar="NAME", help="Resource group in the delete commands [default: rg-<name>, as the output README deploys].")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True,
              help="text for terminals, markdown for a pull-request comment, json for scripts.")
def diff(specs: tuple[str, ...], revision: str | None, live_capture: str | None, resource_group: str | None, fmt: str) -> None:
    """Compare two versions of a spec, resource by resource, and say what deploying NEW over
    OLD does to each Azure resource that changes: create, modify (in place), recreate (Azure
    cannot change it in place), delete (gone from the spec: removed by you, with the az command,
    because deployments are incremental), or blocked (Azure refuses the change); the downtime
    (none, brief, long) and the source of each.

    With --live CAPTURE, OLD is what Azure really holds (a capture by gen collect): every
    difference is drift (changed outside the spec), with what the redeploy does to it; what the
    redeploy resets (a P2S configuration, a hand-added route, an NSG attached by hand) is said;
    resources the spec does not know are listed as unmanaged: left alone.

    NEW is validated first (exit 1 on errors). Exit 0 when nothing changes or nothing that
    changes is disruptive, 1 for any recreate, delete, refusal, reset or downtime, 2 when a
    spec or capture cannot be read or the git revision does not exist. A spec new in the
    revision range counts as all created.

    \b
    Examples:
      gen diff old.json spec.json
      gen diff --git origin/main spec.json --format markdown > diff.md
      gen diff --live capture spec.json
    """
    from . import diff as differ
    from . import hubs, spec

    if revision is not None and live_capture is not None:
        raise click.UsageError("give --git or --live, not both: OLD is either a revision or what Azure holds")
    if (revision is not None or live_capture is not None) and len(specs) != 1:
        raise click.UsageError("with --git or --live give only NEW: OLD comes from the revision or the capture")
    if revision is None and live_capture is None and len(specs) != 2:
        raise click.UsageError("give OLD and NEW, NEW with --git REV, or NEW with --live CAPTURE")
    new = _analyse(specs[-1])
    if new.failed():
        _report(new, "text")
        click.echo(f"gen: {specs[-1]}: fix the errors above before comparing", err=True)
        finish(EXIT_FINDINGS)
    if live_capture is not None:
        from .capture import Capture, CaptureError

        try:
            if new.several:  # a capture of several hubs: one folder per hub
                changes = differ.live_of_hubs(Path(live_capture), new.fleet, resource_group)
            else:
                changes = differ.compare_live(Capture(live_capture), new.topology, resource_group)
        except CaptureError as exc:
            raise InputError(str(exc)) from None
        click.echo(differ.FORMATS[fmt](changes), nl=False)
        finish(EXIT_FINDINGS if differ.disruptive(changes) else EXIT_OK)
    try:
        if revision is not None:
            raw = differ.read_revision(revision, specs[-1])
            old = None if raw is None else spec.parse(raw, f"{revision}:{specs[-1]}")
        else:
            old = spec.load(specs[0])
    except differ.RevisionError as exc:
        raise InputError(str(exc)) from None
    except spec.SpecInputError as exc:
        raise InputError(str(exc)) from None
    old_fleet = None
    if old is not None:
        if spec.schema_findings(old.data):
            raise InputError(f"{old.path}: does not match the schema, so it cannot be compared (gen validate shows why)")
        old_fleet = hubs.build(old.data)
    from . import cost as costing

    changes, spent = [], None
    try:
        paired = hubs.pairs(old_fleet, new.fleet)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    for old_topology, new_topology in paired:  # hub by hub, matched by the hub VNet's name
        changes += differ.compare(old_topology, new_topology, resource_group)
        delta = costing.delta(old_topology, new_topology, _price_table(None))
        spent = delta if spent is None else costing.add_deltas(spent, delta)
    changes += differ.peering_changes(old_fleet, new.fleet)  # what joins the hubs
    if fmt == "json":
        click.echo(json.dumps({**json.loads(differ.as_json(changes)), "cost": costing.delta_json(spent)}, indent=2))
    else:
        click.echo(differ.FORMATS[fmt](changes), nl=False)
        if spent.changed_lines():  # a change that costs nothing more or less says nothing of cost
            click.echo("\n" + ("\n".join(costing.delta_lines(spent)) + "\n" if fmt == "text" else costing.delta_markdown(spent)),
                       nl=False)
    finish(EXIT_FINDINGS if differ.disruptive(changes) else EXIT_OK)


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


GROUP_ARGUMENT = re.compile(r"^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/)?"
                            r"[-\w._()]{1,90}$")


@main.command(short_help="Write the read-only az script that captures a hub.")
@click.argument("spec_file", metavar="[SPEC]", required=False, type=click.Path(dir_okay=False))
@click.option("-g", "--resource-group", "groups", metavar="[SUBSCRIPTION/]GROUP", multiple=True,
              help="Resource group to capture, SUBSCRIPTION/GROUP for one in another subscription; repeat for several "
                   "[with SPEC, default: every group the spec deploys to].")
@click.option("-n", "--deployment", metavar="NAME", help="With SPEC: name of the deployment [default: the spec's name].")
@click.option("-o", "--output", "script", type=click.Path(dir_okay=False), help="Write the script here instead of printing it.")
def collect(spec_file: str | None, groups: tuple[str, ...], deployment: str | None, script: str | None) -> None:
    """Write a bash script of read-only az commands that captures a hub into a folder: every
    resource of the resource group(s) as Azure Resource Manager returns it, each gateway's BGP
    sessions, learned and advertised routes, and with SPEC the deployment's outputs, the Route
    Server and the test VMs' effective routes. `gen verify` (with SPEC) and `gen import`
    (without) read that folder. Running it needs Reader on the groups plus the actions that read
    BGP and effective routes (Network Contributor has them; Reader alone does not).

    \b
    Examples:
      gen collect spec.json -o collect.sh && bash collect.sh capture
      gen verify spec.json capture
      gen collect --resource-group rg-hub-weu -o collect.sh    # a hub gen did not deploy
      gen collect -g rg-hub -g 33333333-3333-3333-3333-333333333333/rg-app1 -o collect.sh
      bash collect.sh capture && gen import capture -o hub.json
    """
    from . import collect as collector
    from .output import write_file

    if any(not g.strip() for g in groups):
        raise click.UsageError("an empty --resource-group; name the resource group to capture")
    for group in groups:
        if not GROUP_ARGUMENT.fullmatch(group):
            raise click.UsageError(f"--resource-group {group!r}: a resource group name (letters, digits, -_.()), or "
                                   f"SUBSCRIPTION/GROUP with the subscription's ID")
    if spec_file is None:
        if not groups:
            raise click.UsageError("give SPEC (a hub gen deployed), or --resource-group RG (a hub to import)")
        if deployment:
            raise click.UsageError("--deployment goes with SPEC")
        text = collector.script(list(groups))
        next_step = "gen import CAPTURE"
    else:
        if deployment is not None and not deployment.strip():
            raise click.UsageError("an empty --deployment; name the deployment, or leave it out for the spec's name")
        analysis = _analyse(spec_file)
        if analysis.failed():
            _report(analysis, "text")
            click.echo(f"gen: {spec_file}: fix the errors above first: a spec with errors was not deployed", err=True)
            finish(EXIT_FINDINGS)
        from .verify import test_vm_nics

        if analysis.several and (groups or deployment):
            raise click.UsageError("a spec of several hubs captures each hub's own resource groups and deployment: give it "
                                   "without --resource-group and --deployment")
        scripts = []
        for t in analysis.fleet.topologies:
            scopes = [f"{s.subscription_id}/{s.resource_group}" if s.subscription_id else str(s.resource_group) for s in t.scopes]
            scripts.append((t.hub_name, collector.script(list(groups) or scopes, deployment or t.name, t.name,
                                                         t.hub.route_server.name if t.hub.route_server else None,
                                                         tuple(nic for nic, _ in test_vm_nics(t)))))
        text = collector.hubs_script(scripts, analysis.fleet.name) if analysis.several else scripts[0][1]
        next_step = f"gen verify {spec_file} CAPTURE"
    if script is None:
        click.echo(text, nl=False)
        finish(EXIT_OK)
    _refuse_own_input(script, [spec_file] if spec_file else [])
    try:
        write_file(script, text, executable=True)
    except OSError as exc:
        raise InputError(f"{script}: cannot write ({exc.strerror or exc}); nothing was changed") from None
    click.echo(f"wrote {script}; run: bash {script} capture && {next_step.replace('CAPTURE', 'capture')}", err=True)
    finish(EXIT_OK)


@main.command(short_help="Check a captured deployment against the design.")
@click.argument("spec_file", metavar="SPEC", type=click.Path(dir_okay=False))
@click.argument("capture", metavar="CAPTURE", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "markdown"]), default="text", show_default=True,
              help="text for terminals, json for scripts, sarif for annotations, markdown for a run log or comment.")
def verify(spec_file: str, capture: str, fmt: str) -> None:
    """Compare a CAPTURE folder (what `gen collect`'s script writes) with how SPEC's design
    should route, and report each difference with its rule id (VER..., `gen rules` lists
    them): the deployment's state, the firewall's address against the UDRs' next hop, BGP
    sessions down or missing, Route Server branch-to-branch, the route table on each subnet
    and the routes in it, prefixes a gateway did not learn or does not advertise, learned
    prefixes that would skip the firewall, and the test VMs' effective routes.

    Findings come causes first (evidence missing, a table detached, a session down), then the
    effects they explain, each cause with the az command that shows it. Exit 0 when nothing is
    wrong (warnings allowed), 1 with errors (missing evidence included: a capture that proves
    nothing does not pass), 2 when the folder or a file in it is not what gen collect writes.

    A spec of several hubs takes a CAPTURE folder with one folder per hub (CAPTURE/<hub>/, each
    what gen collect writes for that hub), and checks the peerings between the hubs too.

    \b
    Example:
      gen verify spec.json capture --format markdown
    """
    from . import verify as verifier
    from .report import render_findings

    analysis = _routable(spec_file)
    try:
        if analysis.several:
            from .verify_hubs import verify_hubs

            findings, sessions = verify_hubs(analysis.fleet, Path(capture)), []
        else:
            findings, sessions = verifier.verify_with_ledger(analysis.topology, Path(capture))
    except verifier.CaptureError as exc:
        raise InputError(str(exc)) from None
    if fmt == "text":
        click.echo(f"{capture.rstrip('/')}: {verifier.summary(findings)}")
    click.echo(render_findings(findings, capture.rstrip("/"), "", fmt, keep_order=True), nl=False)
    if fmt == "text":
        from . import ledger

        if sessions:
            click.echo("\nroute ledger (what Azure reports, against its limits):\n" + ledger.as_text(sessions), nl=False)
    finish(EXIT_FINDINGS if any(f.severity == "error" for f in findings) else EXIT_OK)


@main.command(name="import", short_help="Write the spec of a running hub from a capture.")
@click.argument("capture", metavar="CAPTURE", type=click.Path(file_okay=False))
@click.option("-o", "--output", "target", type=click.Path(dir_okay=False), help="Write the spec here instead of printing it.")
@click.option("--name", metavar="NAME", help="The spec's name [default: from the resource group, rg-hub-weu -> hub-weu].")
@click.option("--force", is_flag=True, help="Overwrite the -o file if it exists.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="How to print what is left out: text for people, json for scripts.")
def import_(capture: str, target: str | None, name: str | None, force: bool, fmt: str) -> None:
    """Write the spec that renders to the hub in CAPTURE (what `gen collect --resource-group RG`'s
    script writes): the hub VNet and subnets, gateways, Route Server, firewall and its network
    rules, route tables, ExpressRoute connections, VNet branches, sites and spokes. Names that
    differ from gen's are kept (connectionName, publicIpNames, ...), so nothing is renamed.

    What the spec cannot hold is listed, each with what a redeploy of the imported spec does to
    it: left alone (not in the spec: incremental mode), reset (a property of a resource the spec
    declares, removed by the redeploy) or created beside it. The imported spec is then checked
    like any other: its findings follow. Secrets are never read: the spec names the environment
    variables as usual.

    A CAPTURE of several hubs (one folder per hub, CAPTURE/<hub>/) gives a spec of `hubs`: each
    hub imported on its own, a circuit connected to several hubs one entry with a connection per
    hub, and what joins the hubs (their peering, the routes firewall to firewall) left to gen's
    design of several hubs.

    Exit 0 when the spec covers the capture, 1 when something is left out or the spec has
    findings, 2 when the capture cannot be read.

    \b
    Examples:
      gen collect --resource-group rg-hub-weu -o collect.sh && bash collect.sh capture
      gen import capture -o hub.json
      gen diff --live capture hub.json      # what a redeploy of it would change
    """
    from . import pipeline, spec
    from .capture import Capture, CaptureError
    from .importer import ImportFailure, import_capture
    from .output import write_file

    if name is not None and not name.strip():
        raise click.UsageError("an empty --name")
    from .importer.hubs import hub_folders, import_hubs

    try:
        several = _is_dir(Path(capture)) and bool(hub_folders(Path(capture)))
        imported = import_hubs(Path(capture), name) if several else import_capture(Capture(capture), name)
    except (CaptureError, ImportFailure) as exc:
        raise InputError(str(exc)) from None
    text = json.dumps(imported.spec, indent=2) + "\n"
    analysis = pipeline.analyse_loaded(spec.parse(text.encode("utf-8"), target or "imported.json"))
    if target is None:
        click.echo(text, nl=False)
    else:
        if Path(target).exists() and not force:
            raise InputError(f"{target}: exists; pass --force to overwrite")
        try:
            write_file(target, text, parents=True)
        except OSError as exc:
            raise InputError(f"{target}: cannot write ({exc.strerror or exc}); nothing was changed") from None
    if fmt == "json":
        from .report import as_json_items

        document = {"spec": imported.spec, "leftOut": [item.as_json() for item in imported.left_out],
                    "findings": as_json_items(analysis.findings)}
        click.echo(json.dumps(document, indent=2), err=target is None)
    else:
        for item in imported.left_out:
            click.echo(f"left out: {item.resource}: {item.what} ({item.why}); a redeploy: {item.redeploy}", err=True)
        if analysis.findings:
            from .report import render_findings

            click.echo(render_findings(analysis.findings, target or "(the imported spec)", text, "text"), err=True, nl=False)
        covered = "covers the capture" if not imported.left_out else f"leaves {len(imported.left_out)} thing(s) out (above)"
        click.echo(f"gen: the imported spec {covered}" + (f"; written to {target}" if target else ""), err=True)
    finish(EXIT_FINDINGS if imported.left_out or analysis.failed() else EXIT_OK)


@main.command(short_help="Print the spec's JSON Schema or field table.")
@click.option("--format", "fmt", type=click.Choice(["json", "markdown"]), default="json", show_default=True,
              help="json: the JSON Schema itself (point editors at it); markdown: the field reference table.")
def schema(fmt: str) -> None:
    """Print the spec's JSON Schema (draft 2020-12); every field has a description.

    \b
    Examples:
      gen schema > spec.schema.json            # then "$schema": "spec.schema.json" in the spec
      gen schema --format markdown
    """
    from .schema_doc import markdown
    from .spec import schema as schema_document

    document = schema_document()
    click.echo(markdown(document) if fmt == "markdown" else json.dumps(document, indent=2), nl=fmt != "markdown")


@main.command(short_help="Write a starter spec.")
@click.argument("path", required=False, default="spec.json", type=click.Path(dir_okay=False))
@click.option("--example", type=click.Choice(sorted(EXAMPLES)), default="seed", show_default=True,
              help="seed: the field report's design (one circuit, one VNet branch); multi-site: two circuits, two VNet "
                   "branches and a real VPN site; hub-spoke: the seed with two spokes, the hub's own subnets inspected and "
                   "firewall logs; multi-region: two hubs in two regions joined firewall to firewall, two circuits in a "
                   "bow-tie, a VPN site and a spoke on each hub.")
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def init(path: str, example: str, force: bool) -> None:
    """Write a starter spec to PATH (default spec.json) to edit and render.

    \b
    Examples:
      gen init                                 # spec.json, the seed design
      gen init hub.json --example multi-site
      gen init hubs.json --example multi-region      # several hubs
    """
    from importlib import resources

    from .output import write_file

    target = Path(path)
    if not path.strip():
        raise InputError("an empty file name; name the spec to write, e.g. gen init spec.json")
    if target.exists() and not force:
        raise InputError(f"{target}: exists; pass --force to overwrite")
    text = _pinned(resources.files("generator.examples").joinpath(EXAMPLES[example]).read_text("utf-8"))
    try:
        write_file(target, text)
    except OSError as exc:
        raise InputError(f"{target}: cannot write ({exc.strerror or exc}); nothing was changed") from None
    click.echo(f"wrote {target}; next: gen validate {target}")


def _pinned(text: str) -> str:
    """A starter spec with each VPN gateway's generation written out: a later SKU change then stays a resize in place
    (gen diff explains why it matters)."""
    import re

    from .model import default_generation

    def pin(match: re.Match) -> str:
        return f'{match.group(0)}, "generation": "{default_generation(match.group(2))}"'

    return re.sub(r'("sku": "(VpnGw[1-5]AZ)")', pin, text)


def _is_dir(path: Path) -> bool:
    """Whether `path` is a directory; a path the system cannot even look up (too long, a loop) is bad input."""
    try:
        return path.is_dir()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _routable_topology(spec_file: str, command: str = ""):
    """The topology of a schema-valid spec of one hub. Rule errors do not stop routing: seeing what a mistake
    does to the paths (branch-to-branch off: no route at the on-premises edge) is the point."""
    return _one_hub(_routable(spec_file), spec_file, command)


def _one_hub(analysis, spec_file: str, command: str):
    """The topology of a spec of one hub; a spec of several is refused with what to do instead (exit 2)."""
    if analysis.several:
        names = ", ".join(r.name for r in analysis.fleet.regions)
        raise InputError(f"{spec_file}: has several hubs ({names}); gen {command} takes one hub at a time: run it on the "
                         f"spec of one hub, or see `gen {command} --help`")
    return analysis.topology


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


@main.command(short_help="The monthly list-price estimate of a hub, component by component.")
@click.argument("spec_file", metavar="SPEC", type=click.Path(dir_okay=False))
@click.option("--prices", "price_file", metavar="FILE", type=click.Path(dir_okay=False),
              help="A price table written by `gen prices update` [default: the table shipped with gen].")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True,
              help="text for terminals, markdown for a pull request, json for scripts.")
def cost(spec_file: str, price_file: str | None, fmt: str) -> None:
    """Estimate what the hub in SPEC costs a month at list prices: each gateway by SKU (and an
    ErGwScale gateway's scale units), VPN tunnels beyond the 10 a gateway includes, Route
    Server, the firewall by tier and the data it processes, the public IPs, and the firewall's
    logs into Log Analytics. Usage comes from the spec's `costAssumptions` (data through the
    firewall, log volume, scale units), else defaults that the estimate says it assumed.

    Each price comes from the price table: the one shipped with gen names the source and
    date of every row; `gen prices update` writes a fresh one from the Azure Retail Prices API
    for your region and currency. A line without a price says "unknown" and is left out of
    the total. Nothing is queried: the estimate works offline.

    \b
    Examples:
      gen cost spec.json
      gen prices update --region westeurope -o prices.json && gen cost spec.json --prices prices.json
    """
    from . import cost as costing

    table = _price_table(price_file)
    analysis = _routable(spec_file)
    estimate = None
    for topology in analysis.fleet.topologies:  # several hubs: one estimate of every hub's lines
        estimate = costing.combine(estimate, costing.estimate(topology, table))
    click.echo({"text": costing.as_text, "markdown": costing.as_markdown, "json": costing.as_json}[fmt](estimate), nl=False)
    finish(EXIT_FINDINGS if analysis.errors else EXIT_OK)


@main.group(short_help="The price table gen estimates costs with.")
def prices() -> None:
    """The price table `gen cost`, the output README and the cost delta of `gen diff` and
    `gen check` use. gen ships one (each row with its source and date); `gen prices update`
    writes a fresh one from the Azure Retail Prices API."""


@prices.command(short_help="Write a price table from the Azure Retail Prices API.")
@click.option("--region", default="eastus", show_default=True, metavar="REGION",
              help="The Azure region whose prices to fetch (armRegionName, e.g. westeurope). Route Server is priced "
                   "under Global whatever the region.")
@click.option("--currency", default="USD", show_default=True, metavar="CODE",
              help="The currency (USD, EUR, GBP, ...); prices under Global come in USD only.")
@click.option("-o", "--output", "target", default="prices.json", show_default=True, type=click.Path(dir_okay=False),
              help="Where to write the table.")
@click.option("--force", is_flag=True, help="Overwrite the -o file if it exists.")
def update(region: str, currency: str, target: str, force: bool) -> None:
    """Look up every row of the price table (the shipped one) in the Azure Retail Prices API
    (https://prices.azure.com/api/retail/prices, no sign-in) for REGION and CURRENCY, and write
    the table with today's prices, each row with the API query it came from and its effective
    date. Each row matches its SKU, meter and product exactly (a service alone returns every
    meter of it), consumption prices only, the charged tier (Log Analytics' first 5 GB are
    free). Rows the API does not answer are listed and marked: they keep their old price when
    it was of the same region and currency, else they become unknown.

    The only command that uses the network. Exit 0 when every row was found, 1 when some were
    not, 2 when the API cannot be reached or answers something else.

    \b
    Example:
      gen prices update --region westeurope --currency EUR -o prices.json
    """
    import datetime

    from .output import write_file
    from .prices import PriceTableError, fetch_json
    from .prices import update as update_prices

    if not re.fullmatch(r"[a-z0-9]{2,40}", region) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise click.UsageError("--region is an armRegionName such as westeurope; --currency a three-letter code such as EUR")
    if Path(target).exists() and not force:
        raise InputError(f"{target}: exists; give --force to overwrite it")
    try:
        table, missing = update_prices(None, region, currency, fetch_json, datetime.date.today().isoformat())
        write_file(target, json.dumps(table, indent=2) + "\n")
    except PriceTableError as exc:
        raise InputError(str(exc)) from None
    except OSError as exc:
        raise InputError(f"{target}: cannot write ({exc.strerror or exc})") from None
    click.echo(f"wrote {target}: {len(table['rows'])} prices for {region} in {currency}", err=True)
    rows = {row["key"]: row for row in table["rows"]}
    for key in missing:
        click.echo(f"  not found in the API: {key} ({rows[key]['note'].split(': ')[-1]}, marked)", err=True)
    finish(EXIT_FINDINGS if missing else EXIT_OK)


@main.command(short_help="Show the effective routes at each hop.")
@click.argument("spec_file", metavar="SPEC", type=click.Path(dir_okay=True))
@click.option("--at", "hop", metavar="HOP", help="Only this hop, e.g. gateway-subnet (or GatewaySubnet), firewall-subnet, onprem:<site>, branch:<name>, "
                   "spoke:<name>.")
@click.option("--fail", "failures", metavar="ELEMENT", multiple=True,
              help="The routes with ELEMENT down (repeat for several): its BGP routes withdrawn, the UDRs as deployed. "
                   "Elements as gen trace --fail names them.")
@click.option("--ledger", is_flag=True, help="Instead of the routes: each BGP session and route table with the prefixes it "
                                             "carries, Azure's limit, the headroom and the limit's Learn page.")
def routes(spec_file: str, hop: str | None, failures: tuple[str, ...], ledger: bool) -> None:
    """Show the effective route table at each hop the design produces.

    \b
    Hops: onprem:<site>     what an on-premises edge learns over ExpressRoute
          gateway-subnet    what the ExpressRoute and VPN gateways forward by
                            (UDRs beat BGP-learned routes beat system routes)
          firewall-subnet   what Azure Firewall forwards by
          hub-vnet          what a workload subnet of the hub forwards by
          branch:<name>     what a branch learns over BGP (a static site: what its
                            device must route into the tunnel)
          spoke:<name>      what a spoke's subnets forward by (its UDRs, the peering)
    Every route shows its source: UDR, BGP via which gateway, static (a
    Local Network Gateway's address space, or a static site's own routes),
    or system.
    Computed from the spec alone: nothing is deployed or queried.

    With --ledger: the route ledger. Each BGP session of the design (a circuit's private
    peering each way, what the ExpressRoute gateway learns, each VPN peer each way) and each
    route table, with the prefixes it carries against Azure's limit on it: "near" at 80 %,
    "OVER" past it (gen validate reports both: LIM001, LIM002, ARS002, ARS003). gen verify
    counts the same sessions in a capture.

    \b
    Examples:
      gen routes spec.json
      gen routes spec.json --at gateway-subnet
      gen routes spec.json --at gateway-subnet --fail circuit:onprem
      gen routes spec.json --ledger
    """
    from . import routing
    from .failures import FailureError
    from .failures import parse as parse_failures

    analysis = _routable(spec_file)
    if analysis.several:
        _routes_hubs(analysis.fleet, hop, failures, ledger)
    topology = analysis.topology
    if ledger:
        from . import ledger as route_ledger

        if hop or failures:
            raise click.UsageError("--ledger counts the whole design: give it without --at or --fail")
        sessions = route_ledger.from_spec(topology)
        click.echo(route_ledger.as_text(sessions), nl=False)
        finish(EXIT_FINDINGS if any(s.over for s in sessions) else EXIT_OK)
    try:
        failed = parse_failures(topology, failures)
    except FailureError as exc:
        raise InputError(str(exc)) from None
    if failed:
        click.echo(f"failed: {failed.label}")
    table = routing.effective_routes(topology, failed=failed)
    if hop:
        found = routing.hop_named(table, hop)
        if found is None:
            raise InputError(f"no hop {hop!r}; hops: {', '.join(table)}")
        hop = found
    click.echo(routing.format_routes(table, hop), nl=False)


def _routes_hubs(fleet, hop: str | None, failures, ledger: bool) -> None:
    """gen routes of several hubs: each hub's hops under its name (`--at weu/gateway-subnet`, or a hop of every hub)."""
    from . import ledger as route_ledger
    from . import routing, routing_hubs

    worst = EXIT_OK
    if ledger and (hop or failures):
        raise click.UsageError("--ledger counts the whole design: give it without --at or --fail")
    try:
        failed = routing_hubs.parse_hub_failures(fleet, failures)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    state = None if ledger else routing_hubs.HubRouting(fleet, failed)
    wanted_hub, _, wanted_hop = (hop or "").rpartition("/") if hop and "/" in hop and hop.split("/", 1)[0] in \
        [r.name for r in fleet.regions] else ("", "", hop or "")
    if failed:
        click.echo(f"failed: {failed.label}")
    shown = 0
    for region in fleet.regions:
        if wanted_hub and region.name != wanted_hub:
            continue
        heading = f"== hub {region.name} ({region.topology.location}, resource group {region.topology.scope.resource_group})"
        if ledger:
            click.echo(heading)
            sessions = route_ledger.from_spec(region.topology)
            click.echo(route_ledger.as_text(sessions), nl=False)
            worst = max(worst, EXIT_FINDINGS if any(s.over for s in sessions) else EXIT_OK)
            continue
        table = state.routes[region.name]
        found = routing.hop_named(table, wanted_hop) if wanted_hop else None
        if wanted_hop and found is None:
            continue
        shown += 1
        click.echo(heading)
        click.echo(routing.format_routes(table, found), nl=False)
    if hop and not ledger and not shown:
        hops = ", ".join(f"{r.name}/{h}" for r in fleet.regions for h in state.routes[r.name])
        raise InputError(f"no hop {hop!r}; hops: {hops}")
    finish(worst)


@main.command(short_help="Trace a packet both ways, like traceroute.")
@click.argument("spec_file", metavar="SPEC", type=click.Path(dir_okay=True))
@click.option("--from", "source", required=True, metavar="IP", help="Source address, e.g. an on-premises host.")
@click.option("--to", "destination", required=True, metavar="IP", help="Destination address, e.g. a branch VM.")
@click.option("--protocol", type=click.Choice(["TCP", "UDP", "ICMP", "any"], case_sensitive=False), default="any", show_default=True,
              help="Protocol, for the firewall policy; any: say which of TCP, UDP and ICMP it lets through.")
@click.option("--port", type=click.IntRange(1, 65535), help="Destination port (TCP or UDP), for the firewall policy [default: any port].")
@click.option("--fail", "failures", metavar="ELEMENT", multiple=True,
              help="Take ELEMENT down first (repeat for several): circuit:NAME, site:NAME, site:NAME/DEVICE, branch:NAME, vpn-instance:0|1, "
                   "expressroute-gateway, route-server, firewall, zone:1|2|3.")
def trace(spec_file: str, source: str, destination: str, protocol: str | None, port: int | None, failures: tuple[str, ...]) -> None:
    """Trace a packet from IP to IP and back, hop by hop, like the seed's traceroute.

    Prints the forward and the return path naming each resource, and a verdict:
    delivered, no-route (and where), loop, asymmetric (the two directions do
    not cross the same firewall), denied (routed through the firewall, but no
    network rule of its policy allows the flow), partial (without --protocol:
    some of TCP, UDP and ICMP pass, the others are dropped) or, with --fail,
    black-holed (a route still leads to what failed). Steps that rest on
    behaviour Microsoft does not document are listed as "assumed". --to may be
    a public address: the Internet. Exit 0 when delivered, 1 otherwise.

    \b
    Examples (the seed's own check, on-premises host to branch VM, ssh):
      gen trace spec.json --from 10.20.10.133 --to 10.50.1.4 --protocol tcp --port 22
      gen trace spec.json --from 10.20.10.133 --to 10.50.1.4 --fail route-server
    """
    from . import routing

    protocol = None if protocol.lower() == "any" else protocol.upper()
    if protocol == "ICMP" and port:
        raise click.UsageError("--port goes with TCP or UDP: ICMP has no ports")
    from .failures import parse as parse_failures

    analysis = _routable(spec_file)
    if analysis.several:
        _trace_hubs(analysis.fleet, source, destination, protocol, port, failures)
    topology = analysis.topology
    try:
        failed = parse_failures(topology, failures)
        result = routing.trace(topology, source, destination, protocol=protocol, port=port, failed=failed)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if failed:
        click.echo(f"failed:  {failed.label}")
    click.echo(routing.format_trace(result) + "\n", nl=False)
    for behaviour in failed.behaviours(topology):
        click.echo(f"{'assumed' if behaviour.assumed else 'source'}:  {behaviour.text}" + (f" ({behaviour.source})" if behaviour.source else ""))
    finish(EXIT_OK if result.verdict == "delivered" else EXIT_FINDINGS)


def _trace_hubs(fleet, source: str, destination: str, protocol: str | None, port: int | None, failures) -> None:
    """gen trace across several hubs: the walk goes on from hub to hub (routing_hubs.py)."""
    from . import routing, routing_hubs

    try:
        failed = routing_hubs.parse_hub_failures(fleet, failures)
        result = routing_hubs.trace(fleet, source, destination, protocol=protocol, port=port, failed=failed)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if failed:
        click.echo(f"failed:  {failed.label}")
    click.echo(routing.format_trace(result) + "\n", nl=False)
    said = [b for kind in failed.kinds for b in routing_hubs.BEHAVIOURS[kind]]
    said += [b for name, f in failed.within for b in f.behaviours(fleet.region(name).topology)]
    for behaviour in dict.fromkeys(said):
        click.echo(f"{'assumed' if behaviour.assumed else 'source'}:  {behaviour.text}" + (f" ({behaviour.source})" if behaviour.source else ""))
    finish(EXIT_OK if result.verdict == "delivered" else EXIT_FINDINGS)


@main.command(short_help="What survives each failure: circuits, tunnels, gateways, Route Server, firewall, zones.")
@click.argument("spec_file", metavar="SPEC", type=click.Path(dir_okay=True))
@click.option("--pairs", is_flag=True, help="Every pair of failures too, not only each single one.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True,
              help="text for terminals, markdown for a change advisory board, json for scripts.")
def resilience(spec_file: str, pairs: bool, fmt: str) -> None:
    """Take each element of SPEC's design down in turn (circuits, sites, VNet branches, each
    instance of the hub VPN gateway, the ExpressRoute gateway, the Route Server, the firewall,
    each availability zone) and trace every flow of the transit table again: which flows are
    kept, which lose inspection (now skip the firewall), which go asymmetric, which break (no
    route, or black-holed where a route still leads to what failed). Single points of failure
    come first; what the model assumes about each failure is said next to it.

    Exit 1 when a failure breaks a flow the spec claims redundant (a network over two circuits)
    or makes traffic skip the firewall; 0 otherwise, single points of failure included (they are
    listed: whether to accept one is the reviewer's call).

    \b
    Examples:
      gen resilience spec.json
      gen resilience spec.json --pairs --format markdown > resilience.md
    """
    from . import resilience as checker

    analysis = _routable(spec_file)
    if analysis.several:
        from . import resilience_hubs

        if pairs:
            raise click.UsageError("--pairs takes a spec of one hub; across several hubs each single failure is taken down")
        across = resilience_hubs.analyse(analysis.fleet)
        click.echo(resilience_hubs.FORMATS[fmt](across), nl=False)
        finish(EXIT_FINDINGS if across.skips_firewall or analysis.errors else EXIT_OK)
    result = checker.analyse(analysis.topology, pairs=pairs)
    click.echo(checker.FORMATS[fmt](result), nl=False)
    finish(EXIT_FINDINGS if result.failed or analysis.errors else EXIT_OK)  # a spec with errors is a finding


@main.command(name="device-config", short_help="Write a site's VPN device configuration: both tunnels, BGP, crypto.")
@click.argument("spec_file", metavar="SPEC", type=click.Path(dir_okay=True))
@click.argument("site", metavar="SITE")
@click.option("--vendor", type=click.Choice(["strongswan", "cisco-iosxe", "fortios", "panos", "junos"]), required=True,
              help="The device's software: strongswan writes swanctl.conf and FRR's frr.conf.")
@click.option("--capture", metavar="CAPTURE", type=click.Path(file_okay=False),
              help="A capture of the deployed hub (gen collect): Azure's public IPs and BGP addresses come from its "
                   "deployment outputs. Without it they are placeholders.")
@click.option("-o", "--output", "target", type=click.Path(file_okay=False), help="Write the files into this directory instead of printing them.")
@click.option("--force", is_flag=True, help="Overwrite files that exist in the -o directory.")
def device_config(spec_file: str, site: str, vendor: str, capture: str | None, target: str | None, force: bool) -> None:
    """Write the configuration of SITE's VPN device(s): a tunnel to each instance of the hub's
    VPN gateway, BGP over each (or static routes for a site without BGP), the crypto of the
    site's ipsecPolicy (or one of Azure's default offers, and a note that it is weak), the site's
    ASN and addresses, and the shared key as ${VPN_SHARED_KEY_<SITE>}: the variable the
    deployment reads, to substitute when installing. A site with devices gets one set of files
    per device (four tunnels for two devices).

    Azure's values (each instance's public IP and default BGP address) come from the deployment
    outputs in CAPTURE; custom APIPA addresses come from the spec. Without a capture they are
    placeholders like <azure-instance-0-public-ip>, listed on stderr.

    Exit 0 written, 1 the spec has errors, 2 bad input (no such site, or a setting the vendor's
    syntax cannot express: the message says which).

    \b
    Examples:
      gen device-config spec.json dc-frankfurt --vendor strongswan
      gen device-config spec.json dc-frankfurt --vendor cisco-iosxe --capture capture -o devices/
    """
    from . import devices
    from .output import write_files

    analysis = _analyse(spec_file)
    if analysis.fleet is None or analysis.errors:
        _report(analysis, "text")
        click.echo("gen: fix the spec first (gen validate): a device configuration of a broken design would not come up", err=True)
        finish(EXIT_FINDINGS)
    # Of several hubs, the one whose VPN gateway the site connects to (--capture: that hub's folder of the capture).
    region = next((r for r in analysis.fleet.regions if any(b.name == site for b in r.topology.branches)),
                  analysis.fleet.regions[0])
    topology = region.topology
    if capture is not None and analysis.several:
        capture = str(Path(capture) / region.name)
    outputs, source = None, "unknown (no --capture): placeholders"
    if capture is not None:
        from .capture import Capture, CaptureError

        from .runtime import outputs as runtime_outputs

        try:
            outputs, source = runtime_outputs(Capture(capture), topology)
        except CaptureError as exc:
            raise InputError(str(exc)) from None
        if not outputs.get("hubVpnGatewayPublicIpAddresses"):
            raise InputError(f"{capture}: holds neither the deployment's outputs nor the hub VPN gateway "
                             f"{topology.hub.vpn_gateway.name if topology.hub.vpn_gateway else ''}: capture its resource group "
                             f"(gen collect SPEC, or gen collect -g GROUP)")
        source = f"{source} in {capture}"
    try:
        config = devices.site_config(topology, site, devices.azure_side(topology, outputs, source))
        files = devices.render(config, vendor)
    except devices.DeviceConfigError as exc:
        raise InputError(str(exc)) from None
    if target is None:
        for name, text in files.items():
            if len(files) > 1:
                click.echo(f"# ==> {name} <==")
            click.echo(text, nl=False)
    else:
        directory = Path(target)
        existing = [name for name in files if (directory / name).exists()]
        if existing and not force:
            raise InputError(f"{', '.join(str(directory / n) for n in existing)} exist(s): --force overwrites")
        try:
            directory.mkdir(parents=True, exist_ok=True)
            write_files(directory, files)  # all or none: never a new swanctl.conf beside an old frr.conf
        except OSError as exc:
            raise InputError(f"{exc.filename or directory}: cannot be written ({exc.strerror or exc})") from None
        click.echo(f"wrote {len(files)} file(s) to {directory}/: {', '.join(files)}", err=True)
    if config.placeholders:
        click.echo(f"gen: fill in {', '.join(config.placeholders)} (or pass --capture of the deployed hub)", err=True)
    finish(EXIT_OK)


@main.command(name="rules", short_help="List every validation rule, or explain one.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True,
              help="text: id, severity, title and link; markdown and json add each rule's description.")
@click.option("--explain", "explain_id", metavar="ID", help="Print one rule's whole text (what goes wrong in Azure, and the source), offline.")
def list_rules(fmt: str, explain_id: str | None) -> None:
    """List every validation rule: id, severity, title and documentation link.

    INPUT, SCHEMA, JSON001 and SEC000 come from reading the spec and its schema check; the others
    run on a schema-valid spec; ACC001/ACC002 check acceptedWarnings; PLAN and VER rules come
    from gen plan and gen verify.

    \b
    Examples:
      gen rules
      gen rules --explain ARS001
      gen rules --format markdown
    """
    from .report import explain, rules_listing
    from .rules import all_rules

    catalogue = all_rules()
    if explain_id is not None:
        found = next((r for r in catalogue if r.id.lower() == explain_id.strip().lower()), None)
        if found is None:
            import difflib

            guess = difflib.get_close_matches(explain_id.upper(), [r.id for r in catalogue], n=1)
            raise InputError(f"no rule {explain_id!r}" + (f"; did you mean {guess[0]}?" if guess else "; `gen rules` lists them"))
        click.echo(explain(found), nl=False)
        return
    click.echo(rules_listing(catalogue, fmt), nl=False)


if __name__ == "__main__":
    main()
