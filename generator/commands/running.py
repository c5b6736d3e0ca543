"""gen's commands of what runs: diff, collect, verify, import.

Each registers itself on the `main` group of generator/cli.py; the shared helpers live there."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click

from ..cli import (main, EXIT_FINDINGS, EXIT_OK, InputError, finish, _analyse, _is_dir, _price_table,
    _refuse_own_input, _report, _routable)

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
    from .. import diff as differ
    from .. import hubs, spec

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
        from ..capture import Capture, CaptureError

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
    from .. import cost as costing

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
    from .. import collect as collector
    from ..output import write_file

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
        from ..verify import test_vm_nics

        if analysis.several and (groups or deployment):
            raise click.UsageError("a spec of several hubs captures each hub's own resource groups and deployment: give it "
                                   "without --resource-group and --deployment")
        scripts = []
        for t in analysis.fleet.topologies:
            scopes = [f"{s.subscription_id}/{s.resource_group}" if s.subscription_id else str(s.resource_group) for s in t.scopes]
            scripts.append((t.hub_name, collector.script(list(groups) or scopes, deployment or t.name, t.name,
                                                         t.hub.route_server.name if t.hub.route_server else None,
                                                         tuple(nic for nic, _ in test_vm_nics(t)), say_next=not analysis.several)))
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
    from .. import verify as verifier
    from ..report import render_findings

    analysis = _routable(spec_file)
    try:
        if analysis.several:
            from ..verify_hubs import verify_hubs

            findings, sessions = verify_hubs(analysis.fleet, Path(capture)), []
        else:
            findings, sessions = verifier.verify_with_ledger(analysis.topology, Path(capture))
    except verifier.CaptureError as exc:
        raise InputError(str(exc)) from None
    if fmt == "text":
        click.echo(f"{capture.rstrip('/')}: {verifier.summary(findings)}")
    click.echo(render_findings(findings, capture.rstrip("/"), "", fmt, keep_order=True), nl=False)
    if fmt == "text":
        from .. import ledger

        if sessions:
            click.echo("\nroute ledger (what Azure reports, against its limits):\n" + ledger.as_text(sessions), nl=False)
    finish(EXIT_FINDINGS if any(f.severity == "error" for f in findings) else EXIT_OK)


@main.command(name="import", short_help="Write the spec of a running hub from a capture.")
@click.argument("capture", metavar="CAPTURE", type=click.Path(file_okay=False))
@click.option("-o", "--output", "target", type=click.Path(dir_okay=False), help="Write the spec here instead of printing it.")
@click.option("--name", metavar="NAME", help="The spec's name [default: from the resource group, rg-hub-weu -> hub-weu; of several hubs, the "
                                          "capture folder's name].")
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
    from .. import pipeline, spec
    from ..capture import Capture, CaptureError
    from ..importer import ImportFailure, import_capture
    from ..output import write_file

    if name is not None and not name.strip():
        raise click.UsageError("an empty --name")
    from ..importer.hubs import hub_folders, import_hubs

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
        from ..report import as_json_items

        document = {"spec": imported.spec, "leftOut": [item.as_json() for item in imported.left_out],
                    "findings": as_json_items(analysis.findings)}
        click.echo(json.dumps(document, indent=2), err=target is None)
    else:
        for item in imported.left_out:
            click.echo(f"left out: {item.resource}: {item.what} ({item.why}); a redeploy: {item.redeploy}", err=True)
        if analysis.findings:
            from ..report import render_findings

            click.echo(render_findings(analysis.findings, target or "(the imported spec)", text, "text"), err=True, nl=False)
        covered = "covers the capture" if not imported.left_out else f"leaves {len(imported.left_out)} thing(s) out (above)"
        click.echo(f"gen: the imported spec {covered}" + (f"; written to {target}" if target else ""), err=True)
    finish(EXIT_FINDINGS if imported.left_out or analysis.failed() else EXIT_OK)
