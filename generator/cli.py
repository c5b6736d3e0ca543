"""The `gen` command line: parse options, call the library, print, map results to exit codes.

Exit codes scripts can rely on: 0 ok, 1 findings (spec errors, compiler
diagnostics, drift, an undelivered trace), 2 usage or unreadable input.
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path

import click

from . import __version__, compiler, output, pipeline, spec
from .report import FORMATS, render_findings

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2

EXAMPLES = {"seed": "seed-b2b-azfw.json", "multi-site": "multi-site.json"}


def _fail_input(message: str) -> None:
    click.echo(f"gen: {message}", err=True)
    sys.exit(EXIT_INPUT)


def _analyse(spec_path: str) -> pipeline.Analysis:
    try:
        return pipeline.analyse(spec_path)
    except spec.SpecInputError as exc:
        _fail_input(str(exc))


def _report(analysis: pipeline.Analysis, fmt: str, quiet_when_clean: bool = False) -> None:
    """Findings go to stdout in the chosen format (redirect json/sarif to a file)."""
    if quiet_when_clean and not analysis.findings and fmt == "text":
        return
    click.echo(render_findings(analysis.findings, analysis.loaded.path, analysis.loaded.text, fmt), nl=False)


def _say(message: str, fmt: str) -> None:
    """Progress lines: stdout for people, stderr when stdout carries json/sarif."""
    click.echo(message, err=(fmt != "text"))


def _strict_failed(analysis: pipeline.Analysis, strict: bool) -> bool:
    return bool(analysis.errors) or analysis.topology is None or (strict and bool(analysis.findings))


format_option = click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
    help="How to print findings: text for people, json for scripts, sarif for pull-request annotations.",
)
strict_option = click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1).")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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
      gen trace spec.json --from 10.20.10.133 --to 10.50.1.4

    Exit codes: 0 ok, 1 findings (spec errors, compiler diagnostics, drift,
    an undelivered trace), 2 usage errors or unreadable input.
    """


@main.command(short_help='Check a spec: schema and every rule.')
@click.argument("spec_file", metavar="SPEC", type=click.Path(dir_okay=True))
@format_option
@strict_option
def validate(spec_file: str, fmt: str, strict: bool) -> None:
    """Check SPEC against the schema and every rule (`gen rules` lists them).

    Prints every finding with its rule id, spec path, line and a documentation link,
    sorted by spec path. Writes nothing. Exit 1 on errors (or warnings with --strict).
    """
    analysis = _analyse(spec_file)
    _report(analysis, fmt)
    sys.exit(EXIT_FINDINGS if _strict_failed(analysis, strict) else EXIT_OK)


@main.command(short_help='Render a spec into Bicep (or --check drift).')
@click.argument("spec_file", metavar="SPEC", type=click.Path(dir_okay=True))
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False), help="Output directory [default: out/<spec name>/].")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if the output directory differs from what SPEC renders.")
@format_option
@strict_option
def render(spec_file: str, out_dir: str | None, check: bool, fmt: str, strict: bool) -> None:
    """Render SPEC into Bicep: main.bicep, main.bicepparam, modules/, bicepconfig.json, README.md.

    Nothing is written unless the spec is clean. The new output replaces the old one in
    one atomic step; files in the directory that gen did not write are kept as they are.
    Output is byte-identical for the same spec and gen version.

    With --check, compare instead: exit 0 when the directory is exactly what SPEC renders,
    1 with a per-file summary otherwise (for CI and pre-commit).
    """
    analysis = _analyse(spec_file)
    if _strict_failed(analysis, strict):
        _report(analysis, fmt)
        click.echo("gen: nothing written: fix the errors above first", err=True)
        sys.exit(EXIT_FINDINGS)
    _report(analysis, fmt, quiet_when_clean=True)
    files = pipeline.render_files(analysis)
    directory = Path(out_dir) if out_dir else Path("out") / analysis.topology.name
    if check:
        drift = output.check(files, directory)
        if drift:
            click.echo(f"{directory}: out of date with {spec_file}:", err=True)
            for item in drift:
                click.echo(f"  {item}", err=True)
            click.echo(f"run: gen render {spec_file} -o {directory}", err=True)
            sys.exit(EXIT_FINDINGS)
        _say(f"{directory}: up to date with {spec_file}", fmt)
        sys.exit(EXIT_OK)
    try:
        written = output.write(files, directory, pipeline.provenance(analysis))
    except output.OutputConflict as exc:
        _fail_input(str(exc))
    except OSError as exc:
        _fail_input(f"{directory}: cannot write ({exc.strerror or exc})")
    _say(f"wrote {len(written)} files to {directory}/ (see its README.md to deploy)", fmt)
    for secret in analysis.topology.secrets:
        _say(f"  deploying needs ${secret.env}: {secret.purpose}", fmt)
    sys.exit(EXIT_OK)


@main.command(short_help='Compile rendered Bicep with the real compiler.')
@click.argument("directory", metavar="DIR", type=click.Path(file_okay=False))
def build(directory: str) -> None:
    """Compile the rendered Bicep in DIR with the real Bicep compiler.

    Uses the `bicep` binary (PATH, then ~/.azure/bin), else `az bicep build`.
    Checks main.bicep and its modules with the linter of DIR/bicepconfig.json,
    main.bicepparam (unset secret variables get a placeholder), and that
    `bicep format` would change nothing. Exit 1 on any error or warning.
    """
    path = Path(directory)
    if not (path / "main.bicep").is_file():
        _fail_input(f"{path}: no main.bicep here; run `gen render SPEC -o {path}` first")
    try:
        result = compiler.build(path)
    except (compiler.CompilerNotFound, compiler.CompilerFailed) as exc:
        _fail_input(str(exc))
    for diagnostic in result.diagnostics:
        click.echo(str(diagnostic))
    errors = sum(d.level == "Error" for d in result.diagnostics)
    warnings = sum(d.level == "Warning" for d in result.diagnostics)
    click.echo(f"{result.compiler}: {errors} error(s), {warnings} warning(s) in {path}/")
    sys.exit(EXIT_OK if result.ok else EXIT_FINDINGS)


@main.command(short_help="Print the spec's JSON Schema or field table.")
@click.option("--format", "fmt", type=click.Choice(["json", "markdown"]), default="json", show_default=True,
              help="json: the JSON Schema itself (point editors at it); markdown: the field reference table.")
def schema(fmt: str) -> None:
    """Print the spec's JSON Schema (draft 2020-12); every field has a description."""
    if fmt == "markdown":
        from .schema_doc import markdown

        click.echo(markdown(spec.schema()), nl=False)
    else:
        click.echo(json.dumps(spec.schema(), indent=2))


@main.command(short_help='Write a starter spec.')
@click.argument("path", required=False, default="spec.json", type=click.Path(dir_okay=False))
@click.option("--example", type=click.Choice(sorted(EXAMPLES)), default="seed", show_default=True,
              help="seed: the field report's design (one circuit, one VNet branch); multi-site: two circuits, two VNet branches and a real VPN site.")
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def init(path: str, example: str, force: bool) -> None:
    """Write a starter spec to PATH (default spec.json) to edit and render."""
    target = Path(path)
    if target.exists() and not force:
        _fail_input(f"{target}: exists; pass --force to overwrite")
    text = resources.files("generator.examples").joinpath(EXAMPLES[example]).read_text("utf-8")
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail_input(f"{target}: cannot write ({exc.strerror or exc})")
    click.echo(f"wrote {target}; next: gen validate {target}")


def _routable_topology(spec_file: str):
    """The topology of a schema-valid spec. Rule errors do not stop routing: seeing what a mistake
    does to the paths (branch-to-branch off: no route at the on-premises edge) is the point."""
    analysis = _analyse(spec_file)
    if analysis.topology is None:
        _report(analysis, "text")
        click.echo("gen: fix the spec's shape first (gen validate)", err=True)
        sys.exit(EXIT_FINDINGS)
    if analysis.errors:
        click.echo(f"gen: note: the spec has {len(analysis.errors)} error(s) (gen validate); routing it as written", err=True)
    return analysis.topology


@main.command(short_help='Show the effective routes at each hop.')
@click.argument("spec_file", metavar="SPEC", type=click.Path(dir_okay=True))
@click.option("--at", "hop", metavar="HOP", help="Only this hop, e.g. gateway-subnet, firewall-subnet, onprem:<site>, branch:<name>.")
def routes(spec_file: str, hop: str | None) -> None:
    """Show the effective route table at each hop the design produces.

    \b
    Hops: onprem:<site>     what an on-premises edge learns over ExpressRoute
          gateway-subnet    what the ExpressRoute and VPN gateways forward by
                            (UDRs beat BGP-learned routes beat system routes)
          firewall-subnet   what Azure Firewall forwards by
          hub-vnet          what a workload subnet of the hub forwards by
          branch:<name>     what a branch learns over BGP
    Every route shows its source: UDR, BGP via which gateway, or system.
    Computed from the spec alone: nothing is deployed or queried.
    """
    from . import routing

    topology = _routable_topology(spec_file)
    table = routing.effective_routes(topology)
    if hop and hop not in table:
        _fail_input(f"no hop {hop!r}; hops: {', '.join(table)}")
    text = routing.format_routes(table, hop)
    click.echo(text if text.endswith("\n") else text + "\n", nl=False)


@main.command(short_help='Trace a packet both ways, like traceroute.')
@click.argument("spec_file", metavar="SPEC", type=click.Path(dir_okay=True))
@click.option("--from", "source", required=True, metavar="IP", help="Source address, e.g. an on-premises host.")
@click.option("--to", "destination", required=True, metavar="IP", help="Destination address, e.g. a branch VM.")
@click.option("--protocol", type=click.Choice(["TCP", "UDP", "ICMP"], case_sensitive=False), help="Protocol, for the firewall policy [default: any].")
@click.option("--port", type=click.IntRange(1, 65535), help="Destination port, for the firewall policy [default: any].")
def trace(spec_file: str, source: str, destination: str, protocol: str | None, port: int | None) -> None:
    """Trace a packet from IP to IP and back, hop by hop, like the seed's traceroute.

    Prints the forward and the return path naming each resource, and a verdict:
    delivered, no-route (and where), loop, asymmetric (the two directions do
    not cross the same firewall), or denied (routed through the firewall, but
    no network rule of its policy allows the flow; --protocol and --port narrow
    the question). Exit 0 when delivered, 1 otherwise.

    \b
    Example (the seed's own check, on-premises host to branch VM, ssh):
      gen trace spec.json --from 10.20.10.133 --to 10.50.1.4 --protocol tcp --port 22
    """
    from . import routing

    topology = _routable_topology(spec_file)
    try:
        result = routing.trace(topology, source, destination, protocol=protocol.upper() if protocol else None, port=port)
    except ValueError as exc:
        _fail_input(str(exc))
    text = routing.format_trace(result)
    click.echo(text if text.endswith("\n") else text + "\n", nl=False)
    sys.exit(EXIT_OK if result.verdict == "delivered" else EXIT_FINDINGS)


@main.command(name="rules", short_help='List every validation rule.')
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True)
def list_rules(fmt: str) -> None:
    """List every validation rule: id, severity, title and documentation link.

    SCHEMA and SEC000 come from the schema check; the others run on a schema-valid spec.
    """
    from .rules import Rule, all_rules

    found = [Rule(*builtin, check=None) for builtin in spec.BUILTIN_RULES] + all_rules()
    if fmt == "json":
        click.echo(json.dumps([{"id": r.id, "severity": r.severity, "title": r.title, "link": r.link} for r in found], indent=2))
    elif fmt == "markdown":
        click.echo("| id | severity | title |\n|---|---|---|")
        for r in found:
            click.echo(f"| [{r.id}]({r.link}) | {r.severity} | {r.title} |")
    else:
        for r in found:
            click.echo(f"{r.id:8} {r.severity:8} {r.title}\n{'':17}{r.link}")


if __name__ == "__main__":
    main()
