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


@hub_rule("HUB002", "Names of hubs, sites, branches and spokes repeat across hubs", PEERING_LINK)
def unique_names(fleet, data):
    """Hub names name folders and `hub` references; site, branch and spoke names name connections, peerings,
    environment variables and `gen trace` endpoints. Each is unique in the whole spec, not only within a hub."""
    seen: dict[str, str] = {}
    for i, hub in enumerate(data["hubs"]):
        if hub["name"] in seen:
            yield f"hubs[{i}].name", f"hub {hub['name']!r} is named twice (first at {seen[hub['name']]})"
        seen.setdefault(hub["name"], f"hubs[{i}].name")
    names: dict[str, str] = {}
    for list_name in ("onPremises", "branches", "spokes"):
        for i, entry in enumerate(data.get(list_name, [])):
            name = entry.get("name")
            if name in names:
                yield f"{list_name}[{i}].name", f"{name!r} is also the name of {names[name]}: names are unique across every hub"
            names.setdefault(name, f"{list_name}[{i}]")


def _azure_spaces(region):
    """(owner label, spec path, network) of what a region alone holds: its hub, spokes, VNet branches and VPN sites."""
    t = region.topology
    owners = (t.hub.vnet,) + tuple(b for b in t.branches) + tuple(t.spokes)
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
