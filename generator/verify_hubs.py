"""`gen verify` of a spec of several hubs: each hub's capture checked as a hub on its own, then what joins the hubs.

A capture of several hubs is one folder per hub (`CAPTURE/<hub>/`, each what `gen collect` writes for one hub:
its deployment, Route Server and BGP state are one hub's), so that each region is collected and read as it is
deployed. Each hub's findings name the spec's paths.
"""

from __future__ import annotations

from pathlib import Path

from . import verify
from .capture import Capture, CaptureError
from .findings import Finding, sort_findings
from .hubs import Fleet, translate_finding
from .rules.verification import NOT_CAPTURED, HAIRPIN, HUB_PEERING

PEERING_SETTINGS = {"allowForwardedTraffic": True, "allowGatewayTransit": False, "useRemoteGateways": False}


def verify_hubs(fleet: Fleet, root: Path) -> list[Finding]:
    if not Path(root).is_dir():
        raise CaptureError(f"{root}: no such folder; a capture of several hubs is a folder with one folder per hub "
                           f"(gen collect SPEC writes the script that fills it)")
    findings: list[Finding] = []
    for region in fleet.regions:
        folder = root / region.name
        if not folder.is_dir():
            findings.append(NOT_CAPTURED.finding(f"hubs[{region.index}]", (
                f"no capture of hub {region.name}: a capture of several hubs has one folder per hub ({folder}/); "
                f"gen collect SPEC writes the script that fills them")))
            continue
        holds = _whose(Capture(folder))
        if holds is not None and holds.lower() != str(region.topology.scope.resource_group).lower():
            findings.append(NOT_CAPTURED.finding(f"hubs[{region.index}]", (
                f"the folder {region.name}/ holds the capture of resource group {holds}, not hub {region.name}'s "
                f"({region.topology.scope.resource_group}): are two folders swapped?")).at_file(f"{region.name}/"))
            continue
        findings += [translate_finding(f, region.paths).at_file(f"{region.name}/{f.file}" if f.file else f"{region.name}/")
                     for f in verify.verify(region.topology, folder)]
        findings += _joins(fleet, region, Capture(folder))
    return sort_findings(findings)


def _whose(capture: Capture) -> str | None:
    """The resource group whose deployment a hub's folder holds (None: no deployment captured, verify says so)."""
    try:
        deployment = capture.deployment()
    except CaptureError:
        return None
    return getattr(deployment, "resource_group", None) if deployment else None


def _joins(fleet: Fleet, region, capture: Capture) -> list[Finding]:
    """The hub's peerings to every other hub, and its ExpressRoute gateway's remote-VNet setting."""
    found = []
    t = region.topology
    try:
        resources = capture.resources
    except CaptureError as exc:
        return [NOT_CAPTURED.finding(f"hubs[{region.index}]", str(exc))]
    vnet = next((r for r in resources.values() if r.type.lower() == "microsoft.network/virtualnetworks"
                 and r.name.lower() == str(t.hub.vnet.name).lower()), None)
    if vnet is None:
        return found  # verify reports the missing VNet (VER014)
    def remote_of(peering: dict) -> tuple[str, str]:
        """(resource group, VNet name) of a peering's remote VNet, lower case: a VNet of that name elsewhere is not it."""
        properties = peering.get("properties") if isinstance(peering.get("properties"), dict) else {}
        remote = properties.get("remoteVirtualNetwork") if isinstance(properties.get("remoteVirtualNetwork"), dict) else {}
        parts = str(remote.get("id", "")).lower().split("/")
        return (parts[parts.index("resourcegroups") + 1] if "resourcegroups" in parts[:-1] else "", parts[-1])

    peerings = {remote_of(p): p for p in vnet.prop("virtualNetworkPeerings", default=[]) or [] if isinstance(p, dict)}
    for remote in t.remote_hubs:
        path = f"hubs[{region.index}].vnet"
        peering = peerings.get((str(remote.scope.resource_group).lower(), remote.vnet_name.lower()))
        if peering is None:
            found.append(HUB_PEERING.finding(path, f"{t.hub.vnet.name} has no peering to {remote.vnet_name} (hub {remote.name}): "
                                                   f"deploy peerings/ after both hubs"))
            continue
        properties = peering.get("properties") if isinstance(peering.get("properties"), dict) else {}
        state = properties.get("peeringState")
        if state != "Connected":
            found.append(HUB_PEERING.finding(path, f"the peering {peering.get('name')} to hub {remote.name} is {state or 'in no state'}, "
                                                   f"not Connected: the other side is missing (deploy peerings/)"))
        wrong = [f"{key} is {properties.get(key)!r}, not {want!r}" for key, want in PEERING_SETTINGS.items()
                 if bool(properties.get(key, False)) != want]
        if wrong:
            found.append(HUB_PEERING.finding(path, f"the peering {peering.get('name')} to hub {remote.name}: {'; '.join(wrong)}"))
    gateway = t.hub.expressroute_gateway
    if gateway is not None:
        running = next((r for r in resources.values() if r.type.lower() == "microsoft.network/virtualnetworkgateways"
                        and r.name.lower() == str(gateway.name).lower()), None)
        if running is not None and running.prop("allowRemoteVnetTraffic") is True:
            found.append(HAIRPIN.finding(f"hubs[{region.index}].expressRouteGateway", (
                f"{gateway.name} runs with allowRemoteVnetTraffic on: it learns the other hubs' VNets from the circuit, "
                f"and their traffic can hairpin through the peering location")))
    return found
