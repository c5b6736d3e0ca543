"""gen's commands of the spec: validate, render, check (the pull-request gate), schema, init, rules.

Each registers itself on the `main` group of generator/cli.py; the shared helpers live there."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import click

from ..cli import (main, EXAMPLES, EXIT_FINDINGS, EXIT_OK, InputError, finish, format_option, strict_option,
    _analyse, _refuse_own_input, _report, _say)

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
    from .. import output, pipeline

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
    from .. import output

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
    from .. import check as checker
    from ..output import write_file

    if capture is not None and len(spec_files) > 1:
        raise click.UsageError("--capture goes with one SPEC (a capture is of one spec: one hub, or a folder per hub of several)")
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
    from ..schema_doc import markdown
    from ..spec import schema as schema_document

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

    from ..output import write_file

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

    from ..model import default_generation

    def pin(match: re.Match) -> str:
        return f'{match.group(0)}, "generation": "{default_generation(match.group(2))}"'

    return re.sub(r'("sku": "(VpnGw[1-5]AZ)")', pin, text)


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
    from ..report import explain, rules_listing
    from ..rules import all_rules

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
