"""`gen import`: a running hub (a capture, read by capture.py) written back as a spec that renders to it, the
inverse of render: adopting a hub changes nothing that runs.

One concern per module, each deciding from evidence:
- evidence.py  the capture seen as a hub (what lives in which VNet, what connects to what), and the import's books;
- networks.py  the hub VNet, spokes (peered VNets without a gateway), where each lives (resource group, subscription);
- gateways.py  the ExpressRoute and VPN gateways and the Route Server, with their names (IPs, IP configurations);
- sites.py     VNet branches, VPN sites and on-premises sites, their prefixes from evidence;
- firewall.py  the firewall, its policy or classic rules, DNS proxy, threat intelligence, logs;
- tables.py    route tables, as they run;
- kept.py      tags, zones and every property gen does not design (`asDeployed`).

Secrets are never read (`az resource show` does not return shared keys): the spec names the environment variables as
usual, and the output README says how to read the running keys. Last, the imported spec is compared with the capture
as `gen diff --live` does: whatever a redeploy would still change is listed with its verdict.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..capture import Capture
from ..regions import zones_of
from .evidence import FIREWALL, LEFT_ALONE, PEERING, SUBNET, Evidence, ImportFailure, LeftOut, group_of, subscription_of
from .firewall import diagnostics, firewall
from .gateways import expressroute_gateway, route_server, vpn_gateway
from .kept import as_deployed, common_tags
from .networks import item_name, spokes, vnet
from .sites import Sites, _inside
from .tables import captured_routes, firewall_routes, keep

__all__ = ["Imported", "ImportFailure", "LeftOut", "import_capture", "item_name"]


@dataclass
class Imported:
    spec: dict
    left_out: list[LeftOut] = field(default_factory=list)
    used: set = field(default_factory=set)  # keys of the captured resources the spec describes


def import_capture(capture: Capture, name: str | None = None) -> Imported:
    ev = Evidence(capture)
    hub = ev.find_hub()
    spec: dict = {"name": item_name(name) if name else item_name(group_of(hub) or hub.name, strip=("rg-",)),
                  "location": hub.location or "", "resourceGroup": group_of(hub)}
    if len({r.subscription.lower() for r in capture.resources.values() if r.subscription}) > 1:
        spec["subscriptionId"] = subscription_of(hub)
    hub_spec: dict = {"vnet": vnet(ev, hub)}
    spec["hub"] = hub_spec
    gateways = ev.gateways_in(hub)
    er = next((g for g in gateways if str(g.prop("gatewayType")).lower() == "expressroute"), None)
    vpn = next((g for g in gateways if str(g.prop("gatewayType")).lower() == "vpn"), None)
    for other in gateways:
        if other is not er and other is not vpn:
            ev.use(other)
            ev.leave(other, "the gateway", "gen's hub has one ExpressRoute and one VPN gateway: it stays as it is", LEFT_ALONE)
    if er is not None:
        hub_spec["expressRouteGateway"] = expressroute_gateway(ev, er)
    if vpn is not None:
        hub_spec["vpnGateway"] = vpn_gateway(ev, vpn, hub=True)
    ars = route_server(ev, hub)
    if ars is not None:
        hub_spec["routeServer"] = ars
    wall = next((f for f in ev.of_type(FIREWALL) if ev.lives_in(f, hub)), None)
    firewall_ip = wall.prop("ipConfigurations", 0, "properties", "privateIPAddress") if wall else None
    gateway_subnet = next((s for s in ev.subnets(hub) if s.name.lower().endswith("/gatewaysubnet")), None)
    udrs = firewall_routes(ev.table_of(gateway_subnet) if gateway_subnet else None, firewall_ip)
    taken: set[str] = set()
    sites = Sites(ev, hub, vpn, er, udrs, taken)
    branches = sites.vnet_branches() + sites.vpn_sites()
    order = [prefix for _, prefix in udrs]  # gen writes GatewaySubnet's routes in spec order: keep it
    branches.sort(key=lambda b: min((order.index(p) for p in _prefixes(b) if p in order), default=len(order)))
    spoke_list = spokes(ev, hub, taken)
    claimed = set(hub_spec["vnet"]["addressSpace"]) | {p for s in spoke_list for p in s["vnet"]["addressSpace"]}
    on_premises = sites.on_premises(claimed)
    if wall is not None:
        hub_spec["firewall"] = firewall(ev, wall, zones_of(spec["location"]))
        # Transit is inspected when GatewaySubnet sends on-premises and branch prefixes to the firewall; a table that
        # steers only spokes or hub subnets there (or none) leaves transit gateway to gateway, as the spec must say.
        transit = [p for site in on_premises for p in site["addressPrefixes"]] + [p for b in branches for p in _prefixes(b)]
        steered = [prefix for _, prefix in udrs]
        if not udrs or (transit and not any(p in steered or _inside(p, steered) for p in transit)):
            hub_spec["firewall"]["inspectTransit"] = False
        logs = diagnostics(ev, wall)
        if logs:
            hub_spec["firewall"]["diagnostics"] = logs
    if on_premises:
        spec["onPremises"] = on_premises
    if branches:
        spec["branches"] = branches
    if spoke_list:
        spec["spokes"] = spoke_list
    vnets = [(hub_spec["vnet"], hub)] + [(b["vnet"], ev.by_id(_vnet_id(ev, b))) for b in branches if b["kind"] == "vnet"] + \
            [(s["vnet"], ev.by_id(_vnet_id(ev, s))) for s in spoke_list]
    vnets = [(v, r) for v, r in vnets if r is not None]
    _infer_spoke_design(ev, spoke_list, vnets, firewall_ip)
    keep(ev, spec, vnets)
    if "firewall" in hub_spec and hub_spec["firewall"].get("inspectTransit", True):
        _infer_hub_inspection(ev, spec, vnets)
    _order(spec)
    common_tags(ev, spec)
    as_deployed(ev, spec)
    _unused(ev)
    _what_a_redeploy_still_changes(ev, spec)
    return Imported(_order(spec), ev.left_out, ev.used)


def _infer_spoke_design(ev: Evidence, spoke_list: list[dict], vnets: list, firewall_ip) -> None:
    """A spoke's design from its tables: Internet traffic through the firewall (a 0.0.0.0/0 route to it), gateway
    routes propagated (propagation on)."""
    tables = {id(v): r for v, r in vnets}
    for spoke in spoke_list:
        vnet_resource = tables.get(id(spoke["vnet"]))
        running = [t for t in (ev.table_of(s) for s in ev.subnets(vnet_resource)) if t is not None] if vnet_resource else []
        if not running:
            continue
        table = max(running, key=running.count)
        routes = {prefix: (hop, address) for _, prefix, hop, address in captured_routes(table)}
        if routes.get("0.0.0.0/0") == ("VirtualAppliance", firewall_ip) and firewall_ip:
            spoke["internetThroughFirewall"] = True
        if not table.prop("disableBgpRoutePropagation"):
            spoke["propagateGatewayRoutes"] = True


def _infer_hub_inspection(ev: Evidence, spec: dict, vnets: list) -> None:
    """inspectHubSubnets, when the hub's tables already do what it designs: every workload subnet's table sends
    on-premises and branch prefixes to the firewall with propagation off, and GatewaySubnet sends the subnets back."""
    from .. import model

    trial = json.loads(json.dumps(spec))
    trial["hub"]["firewall"]["inspectHubSubnets"] = True
    for entry in trial["hub"]["vnet"]["subnets"]:
        entry.pop("routeTable", None)
    try:
        workload = [s.name for s in model.build(trial).hub_workload_subnets]
    except (KeyError, TypeError, ValueError):
        return
    keep(Evidence(ev.capture), trial, [(trial["hub"]["vnet"], vnets[0][1])])
    tables = {s["name"]: s.get("routeTable") for s in trial["hub"]["vnet"]["subnets"]}
    if workload and all(tables.get(name) and not tables[name].get("onlyTheseRoutes")
                        and "propagateGatewayRoutes" not in tables[name] for name in workload + ["GatewaySubnet"]):
        spec["hub"]["firewall"]["inspectHubSubnets"] = True
        spec["hub"]["vnet"]["subnets"] = trial["hub"]["vnet"]["subnets"]


def _vnet_id(ev: Evidence, owner: dict) -> str:
    """The captured VNet of a spoke or branch the import wrote."""
    name = owner["vnet"]["name"].lower()
    group = owner.get("resourceGroup")
    match = [r for r in ev.of_type("microsoft.network/virtualnetworks") if r.name.lower() == name
             and (group is None or group_of(r).lower() == group.lower())]
    return match[0].id if match else ""


def _prefixes(branch: dict) -> list[str]:
    return branch["vnet"]["addressSpace"] if branch["kind"] == "vnet" else branch["addressPrefixes"]


SPEC_ORDER = ("$schema", "name", "location", "resourceGroup", "subscriptionId", "tags", "hub", "onPremises", "branches",
              "spokes", "testVms", "acceptedWarnings", "asDeployed")


def _order(spec: dict) -> dict:
    ordered = {key: spec[key] for key in SPEC_ORDER if key in spec}
    spec.clear()
    spec.update(ordered)
    return spec


def _unused(ev: Evidence) -> None:
    """Every captured resource the spec does not describe: the redeploy leaves it alone (incremental mode)."""
    for resource in sorted(ev.capture.resources.values(), key=lambda r: (r.type.lower(), r.name.lower())):
        if resource.key in ev.used or resource.type.lower() in (SUBNET, PEERING):
            continue  # a subnet or peering of a VNet the spec does not describe goes with it
        if resource.type.lower() == "microsoft.network/virtualhubs/ipconfigurations":
            continue
        ev.leave(resource, "the resource", "not part of the hub design gen describes: the redeploy leaves it alone", LEFT_ALONE)


def _what_a_redeploy_still_changes(ev: Evidence, spec: dict) -> None:
    """What `gen diff --live` would still find between the capture and the imported spec: each with its verdict."""
    from .. import diff, model, spec as spec_module

    if spec_module.schema_findings(spec):
        return  # the CLI reports them; a model of an invalid spec says nothing
    topology = model.build(spec)
    for change in diff.compare_live(ev.capture, topology):
        if change.action == diff.UNMANAGED:
            continue
        ev.leave(f"{change.type.split('/', 1)[-1]} {change.resource}", change.detail, "what a redeploy of the imported spec "
                                                                                      "still does", f"{change.action}, downtime "
                                                                                                    f"{change.downtime}")

