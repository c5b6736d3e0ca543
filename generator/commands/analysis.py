"""gen's commands of where packets go: routes, trace, resilience, device-config.

Each registers itself on the `main` group of generator/cli.py; the shared helpers live there."""

from __future__ import annotations

from pathlib import Path

import click

from ..cli import (main, EXIT_FINDINGS, EXIT_OK, InputError, finish, _analyse, _report, _routable)

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
    from .. import routing
    from ..failures import FailureError
    from ..failures import parse as parse_failures

    analysis = _routable(spec_file)
    if analysis.several:
        _routes_hubs(analysis.fleet, hop, failures, ledger)
    topology = analysis.topology
    if ledger:
        from .. import ledger as route_ledger

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
    from .. import ledger as route_ledger
    from .. import routing, routing_hubs

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
    from .. import routing

    protocol = None if protocol.lower() == "any" else protocol.upper()
    if protocol == "ICMP" and port:
        raise click.UsageError("--port goes with TCP or UDP: ICMP has no ports")
    from ..failures import parse as parse_failures

    analysis = _routable(spec_file)
    if analysis.several:
        _trace_hubs(analysis.fleet, source, destination, protocol, port, failures)
    topology = analysis.topology
    try:
        failed = parse_failures(topology, failures)
        result = routing.trace(topology, source, destination, protocol=protocol, port=port, failed=failed)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    _say_trace(result, failed, failed.behaviours(topology))


def _trace_hubs(fleet, source: str, destination: str, protocol: str | None, port: int | None, failures) -> None:
    """gen trace across several hubs: the walk goes on from hub to hub (routing_hubs.py)."""
    from .. import routing_hubs

    try:
        failed = routing_hubs.parse_hub_failures(fleet, failures)
        result = routing_hubs.trace(fleet, source, destination, protocol=protocol, port=port, failed=failed)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    said = [b for kind in failed.kinds for b in routing_hubs.BEHAVIOURS[kind]]
    said += [b for name, f in failed.within for b in f.behaviours(fleet.region(name).topology)]
    _say_trace(result, failed, list(dict.fromkeys(said)))


def _say_trace(result, failed, behaviours) -> None:
    """A trace as gen trace prints it: what failed, both paths and the verdict, what the failures do and on what
    authority; exit 0 delivered, 1 otherwise."""
    from .. import routing

    if failed:
        click.echo(f"failed:  {failed.label}")
    click.echo(routing.format_trace(result) + "\n", nl=False)
    for behaviour in behaviours:
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
    from .. import resilience as checker

    analysis = _routable(spec_file)
    if analysis.several:
        from .. import resilience_hubs

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
    from .. import devices
    from ..output import write_files

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
        from ..capture import Capture, CaptureError

        from ..runtime import outputs as runtime_outputs

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
