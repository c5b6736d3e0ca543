"""Rules: a spec of several hubs (HUB), what no single hub's rules can see.

Each hub's own rules run on the spec of that hub alone (generator/hubs.py); these read the spec of every hub at once:
which hub each entry names, address spaces across regions, the firewall each region's transit needs, and what a
global peering rules out. They run only for a spec with `hubs`.
"""

from __future__ import annotations

import inspect
from itertools import combinations

from ..findings import ERROR, WARNING
from ..model import parse_network
from . import Rule, register

PEERING_LINK = "https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering"
MULTI_HUB_LINK = "https://learn.microsoft.com/azure/firewall/firewall-multi-hub-spoke"
FASTPATH_LINK = "https://learn.microsoft.com/azure/expressroute/about-fastpath"
WEIGHT_LINK = "https://learn.microsoft.com/azure/expressroute/expressroute-optimize-routing"


def hub_rule(rule_id: str, title: str, link: str, severity: str = ERROR):
    """Register a rule over every hub at once: `check(fleet, data)` yields (spec path, message)."""

    def decorate(function):
        register(Rule(rule_id, severity, title, link, inspect.cleandoc(function.__doc__ or title), function, stage="hubs"))
        return function

    return decorate


@hub_rule("HUB001", "An entry names no hub of `hubs`, or one that does not exist", PEERING_LINK)
def names_its_hub(fleet, data):
    """In a spec of several hubs each on-premises circuit, branch and spoke says which hub it connects to (`hub`, or
    `connections` for a circuit connected to several), and each hub it names is one of `hubs`, once; a test VM names
    the hub (by its name), VNet branch or spoke it lives in."""
    known = [h["name"] for h in data["hubs"]]
    for list_name in ("onPremises", "branches", "spokes"):
        for i, entry in enumerate(data.get(list_name, [])):
            path = f"{list_name}[{i}]"
            if "hub" in entry and "connections" in entry:
                yield f"{path}.connections", "give `hub` (one connection) or `connections` (several), not both"
                continue
            names = [(f"{path}.hub", entry["hub"])] if "hub" in entry else [
                (f"{path}.connections[{j}].hub", c["hub"]) for j, c in enumerate(entry.get("connections", []))]
            if not names:
                what = "`hub` (or `connections`, one per hub the circuit connects to)" if list_name == "onPremises" else "`hub`"
                yield path, f"'{entry.get('name')}' names no hub: add {what}, one of {', '.join(known)}"
            seen = set()
            for where, name in names:
                if name not in known:
                    yield where, f"there is no hub {name!r}: the hubs are {', '.join(known)}"
                elif name in seen:
                    yield where, f"hub {name!r} is named twice: a circuit has one connection per hub"
                seen.add(name)
    # A test VM lives in a hub (named by the hub's name), a VNet branch or a spoke: one of some hub.
    places = known + [e.get("name") for key in ("branches", "spokes") for e in data.get(key, []) if e.get("kind", "vnet") == "vnet"]
    for i, vm in enumerate(data.get("testVms", [])):
        if vm.get("vnet") not in places:
            yield f"testVms[{i}].vnet", (f"{vm.get('vnet')!r} is no hub, VNet branch or spoke of this spec: name a hub "
                                         f"({', '.join(known)}), a VNet branch or a spoke")


PEERINGS_FOLDER = "peerings"  # the folder of the peerings between hubs, beside each hub's


@hub_rule("HUB002", "Names of hubs, their resources, sites, branches and spokes repeat across hubs", PEERING_LINK)
def unique_names(fleet, data):
    """Hub names name folders and `hub` and test VM references; site, branch and spoke names name connections,
    peerings, environment variables and `gen trace` endpoints; each hub's VNet, gateways, Route Server and firewall
    are what the traces, the plan and `gen diff` tell the hubs apart by. Each is unique in the whole spec, not only
    within a hub (Azure would take the same resource name in two resource groups; gen does not). `peerings` names
    the folder of the peerings between hubs: no hub takes it."""
    names: dict[str, str] = {}
    for i, hub in enumerate(data["hubs"]):
        if hub["name"] == PEERINGS_FOLDER:
            yield f"hubs[{i}].name", f"'{PEERINGS_FOLDER}' names the folder of the peerings between hubs: name the hub otherwise"
        if hub["name"] in names:
            yield f"hubs[{i}].name", f"hub {hub['name']!r} is named twice (first at {names[hub['name']]})"
        names.setdefault(hub["name"], f"hubs[{i}]")
    for list_name in ("onPremises", "branches", "spokes"):
        for i, entry in enumerate(data.get(list_name, [])):
            name = entry.get("name")
            if name in names:
                yield f"{list_name}[{i}].name", f"{name!r} is also the name of {names[name]}: names are unique across every hub"
            names.setdefault(name, f"{list_name}[{i}]")
    resources: dict[tuple[str, str], str] = {}
    for region in fleet.regions:
        hub = region.topology.hub
        parts = [("vnet", hub.vnet)] + [(key, part) for key, part in (
            ("expressRouteGateway", hub.expressroute_gateway), ("vpnGateway", hub.vpn_gateway),
            ("routeServer", hub.route_server), ("firewall", hub.firewall)) if part is not None]
        for key, part in parts:
            name = str(part.name).lower()
            kind = "gateway" if key.endswith("Gateway") else key
            where = f"hubs[{region.index}].{key}.name"
            if (kind, name) in resources:
                yield where, f"{part.name!r} is also the name of {resources[(kind, name)]}: give each hub's resources names of their own"
            resources.setdefault((kind, name), where)


@hub_rule("HUB008", "Some hubs give their subscription and others do not", PEERING_LINK)
def subscriptions_all_or_none(fleet, data):
    """The peerings between hubs name each other's VNet by resource ID, subscription included. A hub without
    `subscriptionId` is deployed to whatever subscription the deployer's az CLI points at, which the peerings cannot
    know: give every hub its subscription, or none (all in the one you deploy to)."""
    given = [i for i, h in enumerate(data["hubs"]) if "subscriptionId" in h]
    if given and len(given) < len(data["hubs"]):
        for i, hub in enumerate(data["hubs"]):
            if i not in given:
                yield f"hubs[{i}]", (f"hub {hub['name']!r} gives no subscriptionId while hub(s) "
                                     f"{', '.join(data['hubs'][j]['name'] for j in given)} do: the peerings would look for its "
                                     f"VNet in the wrong subscription")


def _azure_spaces(region, with_on_premises: bool = False):
    """(owner label, spec path, network) of what a region alone holds: its hub, spokes, VNet branches and VPN sites
    (and, `with_on_premises`, the on-premises networks of its circuits)."""
    t = region.topology
    owners = (t.hub.vnet,) + tuple(b for b in t.branches) + tuple(t.spokes) + (t.on_premises if with_on_premises else ())
    for owner in owners:
        for prefix in owner.address_prefixes:
            network = parse_network(prefix)
            if network is not None:
                yield owner.label, region.spec_path(getattr(prefix, "path", "") or owner.path), network


@hub_rule("HUB003", "Address spaces of two hubs' networks overlap", PEERING_LINK)
def spaces_unique(fleet, data):
    """Two hubs are joined by a global VNet peering, and "the virtual networks you peer must have nonoverlapping IP
    address spaces" (Learn, Create, change, or delete a virtual network peering, 05/08/2025). Across regions the
    spokes and sites must not overlap either: each firewall routes the other region's prefixes to the other firewall,
    and an overlap would send one region's own traffic away (Learn, Multiregion network design: "Each region needs its
    own VNet address space")."""
    for a, b in combinations(fleet.regions, 2):
        theirs = list(_azure_spaces(b))
        for label, path, network in _azure_spaces(a):
            for other_label, other_path, other in theirs:
                if network.overlaps(other):
                    yield other_path, (f"{other} of {other_label} (hub {b.name}) overlaps {network} of {label} (hub {a.name}, "
                                       f"{path}): hubs joined by peering need address spaces of their own")
    # An on-premises network one hub reaches over its circuits must not be another hub's network either: its UDRs and
    # the routes to the other hub's firewall would name the same prefix twice (Azure refuses: RouteConflict).
    for a in fleet.regions:
        mine = [s for s in a.topology.on_premises]
        for b in fleet.regions:
            if b is a:
                continue
            for label, path, network in _azure_spaces(b):
                for site in mine:
                    for prefix in site.address_prefixes:
                        other = parse_network(prefix)
                        if other is not None and other.overlaps(network):
                            yield a.spec_path(getattr(prefix, "path", "") or site.path), (
                                f"{prefix} of on-premises site '{site.name}' (hub {a.name}) overlaps {network} of {label} "
                                f"(hub {b.name}): a network is on-premises or in Azure, not both")


@hub_rule("HUB004", "A hub of several has no firewall inspecting transit", MULTI_HUB_LINK)
def firewall_in_each_hub(fleet, data):
    """Spokes of one region reach the other's firewall to firewall: each spoke sends the remote prefixes to its own
    firewall, and each firewall subnet sends them to the other firewall ("Each hub VNet only knows the prefixes of the
    directly peered VNets, so there's no routing for the prefixes of remote spokes": Learn, Use Azure Firewall to route a
    multi hub and spoke topology, 06/26/2025). A hub without a firewall inspecting transit has no such routes."""
    for region in fleet.regions:
        firewall = region.topology.hub.firewall
        if firewall is None or not firewall.inspect_transit or region.topology.firewall_private_ip is None:
            yield f"hubs[{region.index}].firewall", (
                f"hub {region.name} has no firewall inspecting transit (with an AzureFirewallSubnet of /26 or more): the "
                f"other hubs' spokes cannot reach its spokes, which are routed firewall to firewall")


@hub_rule("HUB005", "FastPath on a circuit of a hub joined by global peering", FASTPATH_LINK, severity=WARNING)
def fast_path_and_global_peering(fleet, data):
    """"Global virtual network peering | Not supported by ExpressRoute FastPath" (Learn, About ExpressRoute FastPath,
    03/20/2025): traffic from the circuit to a VNet peered across regions goes through the gateway anyway."""
    for i, entry in enumerate(data.get("onPremises", [])):
        if entry.get("fastPath"):
            yield f"onPremises[{i}].fastPath", (f"'{entry['name']}' asks for FastPath, which global VNet peering does not "
                                                f"support: the hubs are peered across regions")


@hub_rule("HUB006", "Circuits carrying one prefix tie on weight at a hub", WEIGHT_LINK, severity=WARNING)
def local_circuit_preferred(fleet, data):
    """Where two circuits carry the same on-premises prefix to a hub (a bow-tie), the connection weights decide which
    one the hub sends through; with equal weights Azure spreads the traffic over both (ECMP), and a region sends its
    traffic over the remote peering location. "Assign a higher weight to the local connection to ensure VNets prefer
    the optimal path" (Learn, Optimize routing for Azure ExpressRoute, 01/31/2025)."""
    for region in fleet.regions:
        by_prefix: dict[str, list] = {}
        for site in region.topology.on_premises:
            for prefix in site.address_prefixes:
                by_prefix.setdefault(str(prefix), []).append(site)
        for prefix, sites in by_prefix.items():
            weights = sorted((s.routing_weight for s in sites), reverse=True)
            if len(sites) > 1 and weights[0] == weights[1]:
                best = [s for s in sites if s.routing_weight == weights[0]]
                yield region.spec_path(best[1].path), (
                    f"hub {region.name} reaches {prefix} over {', '.join(str(s.name) for s in best)} with the same weight "
                    f"{weights[0]}: give the circuit of {region.name}'s own peering location the higher weight")


def _covered(routes, prefix: str, next_hop: str) -> bool:
    return any(str(r.address_prefix) == prefix and r.next_hop_type == "VirtualAppliance" and r.next_hop_ip == next_hop
               for r in routes)


@hub_rule("HUB007", "A firewall subnet or spoke lacks its route to another hub's spokes", MULTI_HUB_LINK, severity=WARNING)
def routes_between_hubs(fleet, data):
    """Between hubs, traffic goes firewall to firewall only by UDR: each spoke subnet sends the other hubs' spokes to its
    own firewall, and the AzureFirewallSubnet sends them to the other hub's firewall ("You can add user-defined routes
    for each Azure Firewall subnet so that traffic for each region is routed to the corresponding Azure Firewall": Learn,
    Use Azure Firewall to route a multi hub and spoke topology, 06/26/2025). gen writes these routes; a route table kept
    as it runs (`onlyTheseRoutes`, a table without them) leaves the other region unreachable from there: `gen trace`
    shows where."""
    for region in fleet.regions:
        t = region.topology
        own = t.firewall_private_ip
        for remote in t.remote_hubs:
            for owner, prefix in remote.destinations:
                if t.hub.firewall and remote.firewall_ip and not _covered(t.firewall_subnet_routes, prefix, remote.firewall_ip):
                    yield f"hubs[{region.index}].vnet", (
                        f"AzureFirewallSubnet of hub {region.name} has no route for {prefix} ({owner}, hub {remote.name}) to "
                        f"{remote.firewall_ip}: the other hub's spoke is unreachable through {t.hub.firewall.name}")
                for spoke in t.spokes:
                    tables = t.tables_of(spoke.vnet)
                    if own and tables and not all(_covered(table.routes, prefix, own) for table in tables):
                        yield region.spec_path(spoke.path), (
                            f"spoke '{spoke.name}' has no route for {prefix} ({owner}, hub {remote.name}) to its firewall "
                            f"{own} on every subnet: that traffic does not cross the firewalls")
