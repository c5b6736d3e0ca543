"""What the design routes, hop by hop: effective routes, packet walks (traces) and the transit matrix.

This is a model of the seed's findings (shared/seed/README.md), not of every Azure
routing rule. The hops, and the routing table each one forwards by:

- `onprem:<site>`   what an on-premises edge learns over ExpressRoute from the hub.
- `gateway-subnet`  the effective routes of GatewaySubnet: what the ExpressRoute and VPN
                    gateways forward by when traffic *enters* the hub through them.
- `firewall-subnet` the firewall's effective routes.
- `hub-vnet`        a workload subnet of the hub (no route table in the design).
- `branch:<name>`   what a branch learns over BGP from the hub (plus, for a VNet branch,
                    the system routes of its VNet).

A trace walks a packet from one endpoint to another (and back), looking up the
destination in the table of each hop: longest prefix first, and for the same prefix
a UDR beats a BGP-learned route, which beats a system route.

Layout: data types; building the tables; the lookup; the walk; the verdict; text.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from typing import Sequence

from . import policy
from .failures import NO_FAILURE, Failures
from .model import SPECIAL_SUBNETS, Route, SiteBranch, Topology, VnetBranch, address_number, parse_network

# --- data types -----------------------------------------------------------------------------------

UDR = "UDR"
BGP = "BGP"
SYSTEM = "system"
# A Local Network Gateway's address space: the VPN gateway routes it into the tunnel like a BGP route (VPN FAQ,
# BGP: "they are added as static routes"); gen routes names which of the two a route is.
STATIC = "static"
_PREFERENCE = {UDR: 0, BGP: 1, STATIC: 1, SYSTEM: 2}  # for the same prefix, the lower wins

# Next hop kinds. Azure's own names, plus the two ways into the hub from outside it.
APPLIANCE = "VirtualAppliance"
GATEWAY = "VirtualNetworkGateway"
VNET_LOCAL = "VnetLocal"
PEERING = "VNetPeering"  # a system route to a peered VNet (hub <-> spoke)
GLOBAL_PEERING = "VNetGlobalPeering"  # a system route to another hub of a spec of several, across regions
INTERNET = "Internet"
NONE = "None"
EXPRESSROUTE = "ExpressRoute"  # on-premises edge -> the hub's ExpressRoute gateway, over the circuit
VPN_TUNNEL = "VpnTunnel"  # a site's VPN device -> the hub's VPN gateway, over IPsec

DELIVERED = "delivered"
NO_ROUTE = "no-route"
LOOP = "loop"
ASYMMETRIC = "asymmetric"
DENIED = "denied"  # routed through the firewall, but its policy allows no such flow
BLACK_HOLED = "black-holed"  # a route still leads to something that failed (gen trace --fail)
PARTIAL = "partial"  # routed through the firewall, which lets some protocols through and drops the others
HANDOFF = "handoff"  # a walk that leaves this hub for another hub of the spec: routing_hubs.py goes on from there

INTERNET_KIND = "internet"  # a public address outside the design: the Internet
REMOTE_KIND = "remote-hub"  # an address behind another hub of a spec of several
# An Internet destination answers the flow: the reply returns the way the flow left. Through the firewall that is
# documented (it SNATs traffic to public addresses to its own public IP, so the reply comes back to it:
# https://learn.microsoft.com/azure/firewall/snat-private-range); straight out of a VNet it is assumed.
INTERNET_RETURN = "replies from the Internet come back the way the flow left the VNet (its default outbound path)"

GATEWAY_SUBNET_HOP = "gateway-subnet"
FIREWALL_SUBNET_HOP = "firewall-subnet"
HUB_VNET_HOP = "hub-vnet"

DEFAULT_ROUTE = "0.0.0.0/0"

# The seed showed on-premises <-> branch transit through the firewall; for branch <-> branch, both sides on
# connections of the same VPN gateway, no Microsoft page says whether the GatewaySubnet UDRs apply.
BRANCH_TO_BRANCH_ASSUMED = (
    "branch to branch through the firewall: that traffic between two connections of one VPN gateway follows the "
    "GatewaySubnet UDRs is not documented by Microsoft (the seed proved on-premises <-> branch only)")


# A static site's prefixes reach Route Server, and so ExpressRoute, like BGP-learned ones: "If you don't enable BGP on
# the VPN gateway, the gateway learns On-premises 1 routes that are defined in the local network gateway ... Whether
# you enable BGP on the VPN gateway or not, the gateway advertises the routes it learns to the Route Server if route
# exchange is enabled" (https://learn.microsoft.com/azure/route-server/expressroute-vpn-support, read 2026-12).
# "they can only connect to the Azure virtual network; they cannot transit to other on-premises networks or virtual
# networks via the same Azure VPN gateway" (Connect a VPN gateway to multiple on-premises policy-based VPN devices).
POLICY_BASED_LINK = "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-connect-multiple-policybased-rm-ps"


def _policy_based(branch) -> bool:
    return isinstance(branch, SiteBranch) and bool(branch.connection.policy_based_traffic_selectors)


# Microsoft's highly available cross-premises design: both devices advertise the same prefixes over BGP and
# "You must use Equal-cost multi-path routing (ECMP)" (https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-highlyavailable).
ECMP = "ECMP"


@dataclass(frozen=True)
class RouteEntry:
    """One route of one hop. `effective` is False when another route for the same prefix wins."""

    prefix: str
    next_hop: str  # "afw-hub (10.0.3.4)", a gateway name, "VnetLocal", "Internet" or "None"
    next_hop_kind: str
    source: str  # "UDR <route name>", "BGP via <gateway name>", "static via <gateway name> (...)" or "system"
    effective: bool = True

    @property
    def network(self) -> ipaddress.IPv4Network:
        # parse_network caches: lookups read it for every route of every hop (a plain property: functools'
        # cached_property takes a lock on every read before Python 3.12).
        return parse_network(self.prefix)

    @property
    def origin(self) -> str:
        """UDR, BGP or system."""
        return self.source.split()[0]


@dataclass(frozen=True)
class Endpoint:
    """Where an address lives: an on-premises site, a branch, or the hub VNet (a hub workload)."""

    kind: str  # "onprem", "vnet-branch", "site-branch", "spoke" or "hub"
    name: str  # site or branch name; the hub VNet's name for the hub
    address: str
    hop: str  # the hop whose routes traffic from here follows

    @property
    def label(self) -> str:
        return f"{self.name} ({self.address})"


@dataclass(frozen=True)
class Path:
    """One direction of a trace: the hops it crossed and how it ended."""

    hops: tuple[str, ...]
    status: str  # delivered, no-route, loop or black-holed
    where: str | None = None  # the hop that had no route, or the repeated hop
    reason: str = ""
    firewalls: tuple[str, ...] = ()  # firewall names crossed, in order
    assumptions: tuple[str, ...] = ()  # steps that rest on behaviour Microsoft does not document
    arrival: object = None  # HANDOFF: where the other hub takes the packet (its firewall, or its VNet over the peering)

    @property
    def text(self) -> str:
        text = " → ".join(self.hops)
        if self.status == NO_ROUTE:
            text += f" ✗ no route at {self.where}"
        elif self.status == LOOP:
            text += f" ↺ loop at {self.where}"
        elif self.status == BLACK_HOLED:
            text += f" ✗ down"
        return text


@dataclass(frozen=True)
class TraceResult:
    source: Endpoint
    destination: Endpoint
    forward_path: Path
    return_path: Path
    verdict: str  # delivered, no-route, loop, asymmetric or denied
    where: str | None  # for no-route and loop: the hop where it happened
    inspected: bool  # both directions cross the same firewall
    allowed_by: str = ""  # the firewall rule that lets the flow through, when it crosses a firewall
    flow: str = ""  # protocol and port asked about, e.g. "TCP 22"; empty for any
    snat: str = ""  # what the firewall does to the source address, when the flow crosses it
    denied_protocols: tuple[str, ...] = ()  # protocols the policy drops, when some pass (verdict partial)
    denied_by: str = ""  # the Deny rule that drops the flow first (verdict denied); empty: no rule allows it

    @property
    def assumptions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.forward_path.assumptions + self.return_path.assumptions))

    @property
    def forward(self) -> list[str]:
        return list(self.forward_path.hops)

    @property
    def back(self) -> list[str]:
        return list(self.return_path.hops)

    def render(self) -> str:
        return format_trace(self)


@dataclass(frozen=True)
class TransitPair:
    """One cell of the transit matrix (on-premises site to branch, or branch to branch), traced from representative hosts."""

    source_name: str
    destination_name: str
    source_ip: str
    destination_ip: str
    forward: str  # forward path text
    return_path: str  # return path text
    verdict: str
    where: str | None
    inspected: bool
    allowed_by: str = ""
    assumptions: tuple[str, ...] = ()
    denied_protocols: tuple[str, ...] = ()
    denied_by: str = ""


# --- building the routing tables ------------------------------------------------------------------


def _valid(prefixes) -> list[str]:
    """Spec prefixes that parse; the rules report the others, the routing model skips them."""
    return [str(p) for p in prefixes if parse_network(p) is not None]


def _on_premises_prefixes(topology: Topology, failed: Failures = NO_FAILURE) -> list[str]:
    """What the on-premises sites announce over ExpressRoute (advertisedPrefixes, by default their addressPrefixes);
    nothing from a circuit that failed, or when the ExpressRoute gateway did."""
    prefixes = []
    if failed.expressroute_gateway:
        return prefixes
    for site in _alive_sites(topology, failed):
        prefixes += _valid(site.advertised_prefixes)
        if site.advertises_default_route:
            prefixes.append(DEFAULT_ROUTE)
    return prefixes


def _announced(owner) -> list[str]:
    """Prefixes a gateway routes to an owner: what it advertises, and for a site also its Local Network Gateway's
    address space, which the VPN gateway adds as static routes (VPN FAQ, BGP)."""
    return list(_announced_once(owner))


# Asked for every branch of every table of every failure, and an owner's answer never changes. Keyed by the owner's
# identity: hashing a frozen dataclass hashes every field, which cost more than the answer.
_ANNOUNCED: dict[int, tuple[object, tuple[str, ...]]] = {}


def _announced_once(owner) -> tuple[str, ...]:
    known = _ANNOUNCED.get(id(owner))
    if known is not None and known[0] is owner:
        return known[1]
    static = _valid(owner.address_prefixes) if isinstance(owner, SiteBranch) and not owner.multi_device else []
    answer = tuple(dict.fromkeys(_valid(owner.advertised_prefixes) + static))
    if len(_ANNOUNCED) > 4096:
        _ANNOUNCED.clear()
    _ANNOUNCED[id(owner)] = (owner, answer)  # holding the owner keeps its id from being reused
    return answer


def _alive_sites(topology: Topology, failed: Failures) -> tuple:
    return tuple(s for s in topology.on_premises if s.name not in failed.circuits)


def _alive_branches(topology: Topology, failed: Failures) -> tuple:
    """The branches whose routes the hub VPN gateway still has: none when it is down."""
    if failed.vpn_gateway_down(topology):
        return ()
    return tuple(b for b in topology.branches if b.name not in failed.branches)


def _exchanges_routes(topology: Topology, failed: Failures) -> bool:
    """Route Server carries ExpressRoute <-> VPN routes only while it and both gateways are up."""
    return (topology.exchanges_routes and not failed.route_server and not failed.expressroute_gateway
            and not failed.vpn_gateway_down(topology))


def _branch_prefixes(topology: Topology, skip: str | None = None, failed: Failures = NO_FAILURE) -> list[str]:
    return [p for b in _alive_branches(topology, failed) if b.name != skip for p in _announced_once(b)]


def _udr_entry(topology: Topology, route: Route) -> RouteEntry:
    if route.next_hop_type == APPLIANCE:
        is_firewall = topology.hub.firewall and route.next_hop_ip == topology.firewall_private_ip
        remote = next((r.firewall_label for r in topology.remote_hubs if r.firewall_ip == route.next_hop_ip), None)
        next_hop = _firewall_label(topology) if is_firewall else remote or str(route.next_hop_ip)
    elif route.next_hop_type == GATEWAY and topology.hub.vpn_gateway:
        next_hop = topology.hub.vpn_gateway.name  # a UDR's VirtualNetworkGateway is the VPN gateway
    else:
        next_hop = route.next_hop_type  # VnetLocal, Internet, None
    return RouteEntry(route.address_prefix, next_hop, route.next_hop_type, f"{UDR} {route.name}")


def _udr_entries(topology: Topology, routes: Sequence[Route]) -> list[RouteEntry]:
    """The UDRs whose prefix parses; a spec with a bad prefix is routed as far as it can be (the rules report it)."""
    return [_udr_entry(topology, r) for r in routes if parse_network(r.address_prefix) is not None]


def _hub_system_routes(topology: Topology) -> list[RouteEntry]:
    """The hub VNet itself, each peered spoke, each other hub (global peering: its own address space only, peering is
    not transitive: https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering), and the Internet."""
    routes = [RouteEntry(p, VNET_LOCAL, VNET_LOCAL, SYSTEM) for p in _valid(topology.hub.vnet.address_space)]
    routes += [RouteEntry(p, spoke.name, PEERING, SYSTEM) for spoke in topology.spokes for p in _valid(spoke.vnet.address_space)]
    routes += [RouteEntry(p, remote.vnet_name, GLOBAL_PEERING, SYSTEM) for remote in topology.remote_hubs
               for p in _valid(remote.address_space)]
    return routes + [RouteEntry(DEFAULT_ROUTE, INTERNET, INTERNET, SYSTEM)]


def _spoke_prefixes(topology: Topology) -> list[str]:
    """The spokes, which the hub's gateways advertise because the spokes use them (useRemoteGateways)."""
    return [p for spoke in topology.spokes for p in _valid(spoke.vnet.address_space)]


def subnet_hops(topology: Topology, owner) -> list[tuple[str, object, tuple]]:
    """(hop, route table or None, subnets) of a VNet's subnets that route alike: the largest group is the VNet's own hop
    (`hub-vnet`, `spoke:<name>`), every other group a hop of its own named after its first subnet (`hub-vnet/<subnet>`,
    `spoke:<name>/<subnet>`): a subnet with a route table of its own forwards by it."""
    base = HUB_VNET_HOP if owner is None else f"spoke:{owner.name}"
    vnet = topology.hub.vnet if owner is None else owner.vnet
    groups = topology.subnet_route_groups(vnet)
    return [(base if index == 0 else f"{base}/{subnets[0].name}", table, subnets) for index, (table, subnets) in enumerate(groups)] \
        or [(base, None, ())]


def _hop_owner(hop: str) -> str:
    """The VNet a hop of a subnet group belongs to: `hub-vnet/snet-a` -> `hub-vnet`, `spoke:app/snet-b` -> `spoke:app`."""
    return hop.split("/", 1)[0]


def _spoke_routes(topology: Topology, spoke, table, failed: Failures = NO_FAILURE) -> list[RouteEntry]:
    """A spoke subnet: its route table (on-premises and branch prefixes to the firewall), the routes the hub's
    gateways teach it when propagation is on (or there is no table), its own VNet, the hub over the peering."""
    routes = _udr_entries(topology, table.routes) if table else []
    if table is None or table.propagate_gateway_routes:
        routes += _learned_in_hub(topology, failed)
    routes += [RouteEntry(p, VNET_LOCAL, VNET_LOCAL, SYSTEM) for p in _valid(spoke.vnet.address_space)]
    routes += [RouteEntry(p, topology.hub.vnet.name, PEERING, SYSTEM) for p in _valid(topology.hub.vnet.address_space)]
    return routes + [RouteEntry(DEFAULT_ROUTE, INTERNET, INTERNET, SYSTEM)]


def _learned_in_hub(topology: Topology, failed: Failures = NO_FAILURE) -> list[RouteEntry]:
    """BGP routes every hub subnet learns from the gateways (gateway route propagation stays on).

    This holds with or without Route Server: each gateway puts what it learns into the hub VNet.
    """
    routes = []
    er, vpn = topology.hub.expressroute_gateway, topology.hub.vpn_gateway
    if er:
        routes += [RouteEntry(p, er.name, GATEWAY, f"{BGP} via {er.name}") for p in _on_premises_prefixes(topology, failed)]
    if vpn:
        routes += [RouteEntry(p, vpn.name, GATEWAY, source) for p, source in _branch_sources(topology, vpn, failed)]
    return routes


def _branch_sources(topology: Topology, vpn, failed: Failures) -> list[tuple[str, str]]:
    """(prefix, source) for each branch prefix the hub VPN gateway routes: BGP when the branch advertises it, static
    when only its Local Network Gateway's address space holds it."""
    found = []
    for branch in _alive_branches(topology, failed):
        site = isinstance(branch, SiteBranch)
        advertised = set(_valid(branch.advertised_prefixes)) if site and branch.bgp else set()
        for prefix in _announced(branch):
            if not site or prefix in advertised:
                found.append((prefix, f"{BGP} via {vpn.name}"))
            else:
                lng = branch.devices[0].local_network_gateway_name
                found.append((prefix, f"{STATIC} via {vpn.name} (Local Network Gateway {lng})"))
    return found


def _onprem_routes(topology: Topology, failed: Failures = NO_FAILURE) -> list[RouteEntry]:
    """What an on-premises edge learns from the hub's ExpressRoute gateway.

    The hub VNet always; the branch prefixes only with branch-to-branch. Never another
    on-premises site's prefixes: ExpressRoute to ExpressRoute transit is Global Reach, not this.
    """
    er = topology.hub.expressroute_gateway
    if er is None or failed.expressroute_gateway:
        return []
    learned = _valid(topology.hub.vnet.address_space) + _spoke_prefixes(topology)
    if _exchanges_routes(topology, failed):
        learned += _branch_prefixes(topology, failed=failed)
    return [RouteEntry(p, er.name, EXPRESSROUTE, f"{BGP} via {er.name}") for p in learned]


def _branch_learned(topology: Topology, branch, failed: Failures = NO_FAILURE) -> list[str]:
    """The prefixes a branch learns from the hub VPN gateway over BGP (or routes into its tunnel when static). A
    policy-based site reaches the hub VNet only (POLICY_BASED_LINK)."""
    if failed.vpn_gateway_down(topology) or branch.name in failed.branches:
        return []
    if _policy_based(branch):
        return _valid(topology.hub.vnet.address_space)
    learned = (_valid(topology.hub.vnet.address_space) + _spoke_prefixes(topology)
               + _branch_prefixes(topology, skip=branch.name, failed=failed))
    if _exchanges_routes(topology, failed):
        learned += _on_premises_prefixes(topology, failed)
    return learned


def offered_counts(topology: Topology) -> dict[str, int]:
    """Branch name -> how many distinct prefixes the hub VPN gateway offers it (what `offered_to` lists), for every
    branch at once in time proportional to the prefixes, not their square: the route ledger counts a spec of
    thousands of sites. The same rules as `_branch_learned`, with a count per prefix of how many sources give it."""
    if topology.hub.vpn_gateway is None:
        return {}
    hub = [p for p in dict.fromkeys(_valid(topology.hub.vnet.address_space)) if p != DEFAULT_ROUTE]
    common = _spoke_prefixes(topology) + (_on_premises_prefixes(topology) if _exchanges_routes(topology, NO_FAILURE) else [])
    sources: dict[str, int] = {}
    for prefix in set(p for p in hub + common if p != DEFAULT_ROUTE):
        sources[prefix] = sources.get(prefix, 0) + 1  # the hub, spokes and on-premises: never a branch's own
    owned = {}
    for branch in topology.branches:
        own = set(p for p in _announced_once(branch) if p != DEFAULT_ROUTE)
        owned[branch.name] = own
        for prefix in own:
            sources[prefix] = sources.get(prefix, 0) + 1
    total = len(sources)
    counts = {}
    for branch in topology.branches:
        if _policy_based(branch):
            counts[branch.name] = len(hub)
        else:  # every source but its own: a prefix only it gives is not offered back to it
            counts[branch.name] = total - sum(1 for p in owned[branch.name] if sources[p] == 1)
    return counts


def expressroute_learns(topology: Topology, failed: Failures = NO_FAILURE) -> list[str]:
    """What the ExpressRoute gateway learns: its circuits' prefixes, and the branches' through Route Server."""
    if failed.expressroute_gateway:
        return []
    return _on_premises_prefixes(topology, failed) + (_branch_prefixes(topology, failed=failed)
                                                      if _exchanges_routes(topology, failed) else [])


def advertised_to_circuits(topology: Topology, failed: Failures = NO_FAILURE) -> list[str]:
    """What the ExpressRoute gateway advertises to on-premises (the hub, the spokes, the branches with b2b)."""
    return [r.prefix for r in _onprem_routes(topology, failed)]


def offered_to(topology: Topology, branch) -> list[str]:
    """The prefixes the hub VPN gateway offers a branch or site: what its device must accept over BGP, or route
    into the tunnel when static (the hub, the spokes, the other branches, on-premises with branch-to-branch)."""
    return [p for p in dict.fromkeys(_branch_learned(topology, branch)) if p != DEFAULT_ROUTE]


def expected_learned(topology: Topology, failed: Failures = NO_FAILURE) -> dict[str, list[str]]:
    """Gateway name -> the prefixes it must learn over BGP in this design (what `gen verify` checks), with what
    `failed` takes away gone.

    ExpressRoute gateway: the on-premises prefixes from its circuits, and the branches' through Route Server
    with branch-to-branch; hub VPN gateway: the branches', and on-premises through Route Server; each VNet
    branch's gateway: what the hub VPN gateway advertises to it.
    """
    hub = topology.hub
    exchanges = _exchanges_routes(topology, failed)
    found: dict[str, list[str]] = {}
    if hub.expressroute_gateway:
        found[hub.expressroute_gateway.name] = expressroute_learns(topology, failed)
    if hub.vpn_gateway:
        found[hub.vpn_gateway.name] = [] if failed.vpn_gateway_down(topology) else (
            _branch_prefixes(topology, failed=failed) + (_on_premises_prefixes(topology, failed) if exchanges else []))
        for branch in topology.vnet_branches:
            found[branch.vpn_gateway.name] = _branch_learned(topology, branch, failed)
    return {gateway: list(dict.fromkeys(p for p in prefixes if p != DEFAULT_ROUTE)) for gateway, prefixes in found.items()}


def expected_advertised(topology: Topology, failed: Failures = NO_FAILURE) -> dict[str, dict[str, list[str]]]:
    """Gateway name -> {peer: the prefixes it must advertise to that peer} (what `gen verify` checks in the captured
    advertised routes). The ExpressRoute gateway's peers are its circuits' edge routers ("circuits": the same for
    every one); the hub VPN gateway's are each site's BGP address and each VNet branch's name. A peer that
    `failed` takes down is not listed: nothing is advertised to it."""
    hub = topology.hub
    found: dict[str, dict[str, list[str]]] = {}
    if hub.expressroute_gateway and _alive_sites(topology, failed) and not failed.expressroute_gateway:
        found[hub.expressroute_gateway.name] = {"circuits": advertised_to_circuits(topology, failed)}
    if hub.vpn_gateway and not failed.vpn_gateway_down(topology):
        peers = {}
        for b in _alive_branches(topology, failed):
            offered = list(dict.fromkeys(_branch_learned(topology, b, failed)))
            if isinstance(b, VnetBranch):
                peers[b.name] = offered
            else:  # each BGP device of the site by its address; a static site learns nothing over BGP
                peers.update({str(d.bgp_peering_address): offered for d in b.devices
                              if d.bgp and (b.name, d.name) not in failed.devices})
        found[hub.vpn_gateway.name] = peers
    return found


def _branch_routes(topology: Topology, branch, failed: Failures = NO_FAILURE) -> list[RouteEntry]:
    """What a branch learns over BGP from the hub's VPN gateway (and a VNet branch's own system routes).

    The hub VNet always; the other branches' prefixes too, because a VPN gateway with BGP
    re-advertises what one BGP peer sends to the others; the on-premises prefixes only with
    branch-to-branch (seed: Route Server re-advertises ExpressRoute routes to the VPN gateway).
    """
    vpn = topology.hub.vpn_gateway
    routes = []
    if vpn:
        learned = _branch_learned(topology, branch, failed)
        if isinstance(branch, VnetBranch):  # the branch VNet sends to its own VPN gateway, which tunnels to the hub's
            routes = [RouteEntry(p, branch.vpn_gateway.name, GATEWAY, f"{BGP} via {vpn.name}") for p in learned]
        elif branch.bgp:  # the site's VPN device sends into its tunnel to the hub's VPN gateway
            routes = [RouteEntry(p, vpn.name, VPN_TUNNEL, f"{BGP} via {vpn.name}") for p in learned]
        else:  # no BGP: the device's own static routes (or traffic selectors) send these into the tunnel
            routes = [RouteEntry(p, vpn.name, VPN_TUNNEL, f"{STATIC} on the device, tunnel to {vpn.name}") for p in learned]
    if isinstance(branch, VnetBranch):
        routes += [RouteEntry(p, VNET_LOCAL, VNET_LOCAL, SYSTEM) for p in _valid(branch.vnet.address_space)]
        routes += [RouteEntry(DEFAULT_ROUTE, INTERNET, INTERNET, SYSTEM)]
    return routes


def _choose(candidates: list[RouteEntry]) -> list[RouteEntry]:
    """Mark one winner per prefix (UDR > BGP > system), keep the losers visible, sort the table.

    Sorted by prefix length descending, then address, the winner first within a prefix.
    """
    candidates = list(dict.fromkeys(candidates))  # the same route learned twice is one route
    winners: dict[str, RouteEntry] = {}
    for route in sorted(candidates, key=lambda r: _PREFERENCE[r.origin]):  # stable: first listed wins a tie
        winners.setdefault(route.prefix, route)
    table = [r if winners[r.prefix] is r else replace(r, effective=False) for r in candidates]
    return sorted(table, key=lambda r: (*_prefix_order(r.prefix), not r.effective, _PREFERENCE[r.origin]))


@lru_cache(maxsize=None)
def _prefix_order(prefix: str) -> tuple[int, int]:
    """Longest prefix first, then by address: the order Azure lists effective routes in."""
    network = parse_network(prefix)
    return -network.prefixlen, int(network.network_address)


def effective_routes(topology: Topology, gateway_udrs: Sequence[Route] | None = None,
                     failed: Failures = NO_FAILURE) -> dict[str, list[RouteEntry]]:
    """Hop id -> its routes. `gateway_udrs` replaces the GatewaySubnet route table (None: the design's). With
    `failed`, the BGP routes of what failed are gone; the UDRs stay as deployed."""
    udrs = topology.gateway_subnet_routes if gateway_udrs is None else tuple(gateway_udrs)
    tables = {f"onprem:{site.name}": _choose(_onprem_routes(topology, failed) if site.name not in failed.circuits else [])
              for site in topology.on_premises}
    tables[GATEWAY_SUBNET_HOP] = _choose(
        _udr_entries(topology, udrs) + _learned_in_hub(topology, failed) + _hub_system_routes(topology)
    )
    if topology.hub.firewall:
        # Gateway route propagation stays on for the firewall subnet, so it learns every gateway route;
        # its only UDR is 0/0 -> Internet when on-premises advertises a default route.
        tables[FIREWALL_SUBNET_HOP] = _choose(
            _udr_entries(topology, topology.firewall_subnet_routes)
            + _learned_in_hub(topology, failed)
            + _hub_system_routes(topology)
        )
    tables.update(_subnet_tables(topology, None, failed))
    for branch in topology.branches:
        tables[f"branch:{branch.name}"] = _choose(_branch_routes(topology, branch, failed))
    for spoke in topology.spokes:
        tables.update(_subnet_tables(topology, spoke, failed))
    return tables


def _subnet_tables(topology: Topology, owner, failed: Failures = NO_FAILURE) -> dict[str, list[RouteEntry]]:
    """The hops of the hub's workload subnets (owner None) or of a spoke's. A hub workload subnet: its own route table
    (inspectHubSubnets, or one it runs with), else the routes every hub subnet learns from the gateways. Subnets that
    route alike share a hop."""
    if owner is not None:
        return {hop: _choose(_spoke_routes(topology, owner, table, failed)) for hop, table, _ in subnet_hops(topology, owner)}
    learned = None  # what the gateways teach the hub: computed once, for every hop that propagates it
    tables = {}
    for hop, table, _ in subnet_hops(topology, None):
        propagates = table is None or table.propagate_gateway_routes
        if propagates and learned is None:
            learned = _learned_in_hub(topology, failed)
        tables[hop] = _choose(_udr_entries(topology, table.routes if table else ()) + (learned if propagates else [])
                              + _hub_system_routes(topology))
    return tables


# --- the lookup -----------------------------------------------------------------------------------


def subnets_past_firewall(topology: Topology, owner=None, routes: dict | None = None) -> list[str]:
    """The subnets of the hub (owner None) or of a spoke whose traffic to some on-premises or branch prefix does not
    go to the firewall, by the routes they have: what FW007 and the output README name."""
    routes = _subnet_tables(topology, owner) if routes is None else routes
    remote = [n for o in (*topology.on_premises, *topology.branches) for n in map(parse_network, o.address_prefixes) if n]
    names = []
    for hop, _, subnets in subnet_hops(topology, owner):
        table = routes.get(hop, [])
        if any(not sends_to_firewall(topology, lookup(table, str(n.network_address + 1))) for n in remote):
            names += [str(s.name) for s in subnets]
    return names


def sends_to_firewall(topology: Topology, entry: RouteEntry | None) -> bool:
    """The route's next hop is the hub firewall."""
    return entry is not None and topology.hub.firewall is not None and entry.next_hop == _firewall_label(topology)


def lookup(routes: Sequence[RouteEntry], address: str) -> RouteEntry | None:
    """The effective route for an address: longest prefix; `_choose` already settled equal prefixes."""
    return _RouteIndex(routes).lookup(address)


class _PrefixIndex:
    """Values keyed by IPv4 prefix, for longest-prefix lookups in a few dictionary probes instead of a scan
    (a transit matrix of 100 branches does tens of thousands of lookups)."""

    def __init__(self, items):
        by_length: dict[int, dict[int, list]] = {}
        for network, value in items:
            if network is not None:
                by_length.setdefault(network.prefixlen, {}).setdefault(int(network.network_address), []).append(value)
        self.lengths = sorted(by_length.items(), reverse=True)

    def longest(self, address) -> list:
        """The values of the longest prefix that holds `address`, in the order they were given; [] when none does."""
        target = address_number(str(address))
        for length, networks in self.lengths:
            found = networks.get(target & ((0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF))
            if found:
                return found
        return []


class _RouteIndex(_PrefixIndex):
    """One hop's effective routes; `_choose` already settled equal prefixes, so the first one is the route."""

    def __init__(self, routes: Sequence[RouteEntry]):  # the same keys as _PrefixIndex, from the cache `_choose` filled
        by_length: dict[int, dict[int, list]] = {}
        for r in routes:
            if r.effective:
                negative_length, number = _prefix_order(r.prefix)
                by_length.setdefault(-negative_length, {}).setdefault(number, []).append(r)
        self.lengths = sorted(by_length.items(), reverse=True)

    def lookup(self, address: str) -> RouteEntry | None:
        found = self.longest(address)
        return found[0] if found else None


class _Places(list):
    """(prefix, kind, name, hop) of every place an address can live, with an index for `locate`."""

    @cached_property
    def index(self) -> _PrefixIndex:
        return _PrefixIndex((place[0], place) for place in self)


def _places(topology: Topology) -> _Places:
    """(prefix, kind, name, hop) of every place an address can live."""
    places = _Places()
    for site in topology.on_premises:
        prefixes = dict.fromkeys(_valid(site.address_prefixes) + _valid(site.advertised_prefixes))
        places += [(parse_network(p), "onprem", site.name, f"onprem:{site.name}") for p in prefixes]
    for branch in topology.branches:
        kind = "vnet-branch" if isinstance(branch, VnetBranch) else "site-branch"
        places += [(parse_network(p), kind, branch.name, f"branch:{branch.name}") for p in _announced(branch)]
    for spoke in topology.spokes:
        hops = subnet_hops(topology, spoke)
        places += [(parse_network(p), "spoke", spoke.name, hops[0][0]) for p in _valid(spoke.vnet.address_space)]
        places += [(s.network, "spoke", spoke.name, hop) for hop, _, subnets in hops[1:] for s in subnets if s.network]
    for remote in topology.remote_hubs:
        owned = dict.fromkeys(_valid(remote.address_space) + _valid(p for _, p in remote.destinations))
        places += [(parse_network(p), REMOTE_KIND, remote.name, f"remote:{remote.name}") for p in owned]
    hub = topology.hub.vnet
    hops = subnet_hops(topology, None)
    places += [(parse_network(p), "hub", hub.name, HUB_VNET_HOP) for p in _valid(hub.address_space)]
    places += [(s.network, "hub", hub.name, hop) for hop, _, subnets in hops[1:] for s in subnets if s.network]
    return places


def locate(topology: Topology, ip: str, places: list | None = None, avoid: frozenset = frozenset()) -> Endpoint:
    """The endpoint an address belongs to (longest prefix); ValueError if it is in none. Of two owners of one
    prefix (one network over two circuits), one not in `avoid` (a failed circuit) is taken.

    `places` lets a caller locating many addresses compute them once."""
    places = _places(topology) if places is None else places

    def known() -> str:
        return ", ".join(f"{network} ({name})" for network, _, name, _ in places)

    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        raise ValueError(f"{ip!r} is not an IP address; known prefixes: {known()}") from None
    matches = (places if isinstance(places, _Places) else _Places(places)).index.longest(address) if address.version == 4 else []
    if not matches and address.version == 4 and address.is_global:
        return Endpoint(INTERNET_KIND, INTERNET, str(address), INTERNET_KIND)
    if not matches:
        raise ValueError(f"{ip} is in no prefix of the design and is not a public (Internet) address; known prefixes: {known()}")
    _, kind, name, hop = next((m for m in matches if m[2] not in avoid), matches[0])
    return Endpoint(kind, name, str(address), hop)


# --- the walk -------------------------------------------------------------------------------------


def _firewall_label(topology: Topology) -> str | None:
    firewall = topology.hub.firewall
    return f"{firewall.name} ({topology.firewall_private_ip})" if firewall else None


@dataclass(frozen=True)
class _Node:
    """Where the packet is. `inbound`: a gateway got it from outside the hub (its circuit or tunnel)."""

    kind: str  # "source", "hub-gateway", "firewall" or "branch-gateway"
    name: str
    inbound: bool = False


@dataclass(frozen=True)
class _Outcome:
    """One step: go on to `node`, or stop (delivered, or no route at `where`)."""

    node: _Node | None = None
    delivered: bool = False
    where: str | None = None
    reason: str = ""
    assumption: str = ""  # set when this step rests on undocumented behaviour
    via: str = ""  # on delivery: the circuit chosen among several, shown as a hop
    handoff: str = ""  # the other hub the packet leaves for (its firewall, or its VNet over the global peering)
    handoff_node: "_Node | None" = None  # where it arrives there


class _Walker:
    """Walks one packet through the design. Every step is one lookup in one hop's routes."""

    def __init__(self, topology: Topology, routes: dict[str, list[RouteEntry]], failed: Failures = NO_FAILURE):
        self.topology = topology
        self.routes = routes
        self.failed = failed
        hub = topology.hub
        self.firewall = _firewall_label(topology)
        self.expressroute = hub.expressroute_gateway.name if hub.expressroute_gateway else None
        self.vpn = hub.vpn_gateway.name if hub.vpn_gateway else None
        self.branch_gateways = {b.vpn_gateway.name: b for b in topology.vnet_branches}
        self.remote_firewalls = {r.firewall_label: r for r in topology.remote_hubs if r.firewall_label}
        self.remote_vnets = {r.vnet_name: r for r in topology.remote_hubs}
        self.indexes: dict[str, _RouteIndex] = {}
        # What each hub gateway's connections advertise, indexed once for every walk of this walker.
        self.advertised = {
            gateway: _PrefixIndex((parse_network(p), peer) for peer in peers for p in _announced(peer))
            for gateway, peers in ((self.expressroute, _alive_sites(topology, failed)), (self.vpn, _alive_branches(topology, failed)))
            if gateway
        }
        # What failed, as the walk meets it: the firewall's and the gateways' nodes.
        self.down = set()
        if failed.firewall and self.firewall:
            self.down.add(("firewall", self.firewall))
        if failed.expressroute_gateway and self.expressroute:
            self.down.add(("hub-gateway", self.expressroute))
        if failed.vpn_gateway_down(topology) and self.vpn:
            self.down.add(("hub-gateway", self.vpn))
        for branch in topology.vnet_branches:
            if branch.name in failed.branches:
                self.down.add(("branch-gateway", branch.vpn_gateway.name))

    def _index(self, hop: str) -> _RouteIndex:
        if hop not in self.indexes:
            self.indexes[hop] = _RouteIndex(self.routes.get(hop, []))
        return self.indexes[hop]

    def walk(self, source: Endpoint, destination: Endpoint, start: "_Node | None" = None) -> Path:
        """One direction, from the source (or, coming from another hub, from `start`: this hub's firewall, or its VNet
        over the global peering) to the destination, or to the other hub it leaves for (status HANDOFF)."""
        if start is None and (source.kind, source.name) == (destination.kind, destination.name):
            return Path((source.label, destination.label), DELIVERED, reason="same network, the hub is not involved")
        hops, firewalls, assumptions, seen = ([source.label] if start is None else []), [], [], set()
        node = start or _Node("source", source.name)
        if start is not None:
            stopped = self._enter(node, hops, firewalls, assumptions, seen)
            if stopped:
                return stopped
        while True:
            outcome = self._step(node, source, destination)
            if outcome.assumption and outcome.assumption not in assumptions:
                assumptions.append(outcome.assumption)
            if outcome.delivered:
                via = [outcome.via] if outcome.via else []
                return Path(tuple(hops + via + [destination.label]), DELIVERED, firewalls=tuple(firewalls), assumptions=tuple(assumptions))
            if outcome.handoff:
                return Path(tuple(hops), HANDOFF, outcome.handoff, outcome.reason, tuple(firewalls), tuple(assumptions),
                            outcome.handoff_node)
            if outcome.node is None:
                return Path(tuple(hops), NO_ROUTE, outcome.where, outcome.reason, tuple(firewalls), tuple(assumptions))
            node = outcome.node
            stopped = self._enter(node, hops, firewalls, assumptions, seen)
            if stopped:
                return stopped

    def _enter(self, node: "_Node", hops: list, firewalls: list, assumptions: list, seen: set) -> "Path | None":
        """Step onto a node: the Path that ends there (it is down, or reached twice), or None to go on."""
        label = self._label(node)
        if (node.kind, node.name if node.kind != "firewall" else self.firewall) in self.down:
            return Path(tuple(hops + [label]), BLACK_HOLED, label, f"{label} is down, and the routes still lead to it",
                        tuple(firewalls), tuple(assumptions))
        # A gateway appears twice on branch-to-branch (in from one tunnel, out to another): that is
        # two different steps. Only the same step twice is a loop, since every step is deterministic.
        if node in seen:
            return Path(tuple(hops + [label]), LOOP, label, f"{label} is reached twice", tuple(firewalls), tuple(assumptions))
        seen.add(node)
        if node.kind != "peering-in":
            hops.append(label)
        if node.kind == "firewall":
            firewalls.append(self.topology.hub.firewall.name)
        return None

    def _label(self, node: _Node) -> str:
        return self.firewall if node.kind == "firewall" else node.name

    def _step(self, node: _Node, source: Endpoint, destination: Endpoint) -> _Outcome:
        if node.kind == "source":
            return self._leave_source(source, destination)
        if node.kind == "peering-in":  # in from another hub over the global peering: it reaches this VNet only
            if destination.kind == "hub":
                return _Outcome(delivered=True)
            return _Outcome(where=HUB_VNET_HOP, reason=f"traffic in over the global peering reaches {self.topology.hub.vnet.name} "
                                                       f"only: peering is not transitive")
        if node.kind == "hub-gateway":
            return self._gateway_in(node.name, destination) if node.inbound else self._gateway_out(node.name, destination)
        if node.kind == "firewall":
            return self._follow(FIREWALL_SUBNET_HOP, destination, inbound=False)
        return self._branch_gateway(node, destination)

    def _follow(self, hop: str, destination: Endpoint, inbound: bool) -> _Outcome:
        """Look the destination up in `hop`'s routes and turn the route into the next step."""
        route = self._index(hop).lookup(destination.address)
        if route is None or route.next_hop_kind == NONE:
            return _Outcome(where=hop, reason=f"{hop} has no route to {destination.address}")
        if route.next_hop_kind == INTERNET:
            if destination.kind == INTERNET_KIND:
                return _Outcome(delivered=True)
            return _Outcome(where=hop, reason=f"{hop} has no route to {destination.address} but {route.prefix} → Internet")
        if route.next_hop_kind == VNET_LOCAL:  # the destination is in this hop's own VNet
            in_hub = _hop_owner(hop) in (GATEWAY_SUBNET_HOP, FIREWALL_SUBNET_HOP, HUB_VNET_HOP)
            if (destination.kind == "hub") if in_hub else (_hop_owner(destination.hop) == _hop_owner(hop)):
                return _Outcome(delivered=True)
            return _Outcome(where=hop, reason=f"{hop} sees {destination.address} as local, but it lives elsewhere")
        if route.next_hop_kind == PEERING:  # to a peered VNet: the spoke from the hub, the hub from a spoke
            if route.next_hop == destination.name or (destination.kind == "hub" and route.next_hop == self.topology.hub.vnet.name):
                return _Outcome(delivered=True)
            return _Outcome(where=hop, reason=f"{hop} sends {destination.address} over the peering to {route.next_hop}, not its owner")
        if route.next_hop == self.firewall:
            return _Outcome(_Node("firewall", route.next_hop))
        if route.next_hop in self.remote_firewalls:  # a UDR to another hub's firewall, across the global peering
            remote = self.remote_firewalls[route.next_hop]
            return _Outcome(handoff=remote.name, handoff_node=_Node("firewall", route.next_hop),
                            reason=f"{hop} sends {destination.address} to {route.next_hop} over the global peering")
        if route.next_hop_kind == GLOBAL_PEERING:
            return _Outcome(handoff=self.remote_vnets[route.next_hop].name, handoff_node=_Node("peering-in", route.next_hop),
                            reason=f"{hop} sends {destination.address} over the global peering to {route.next_hop}")
        if route.next_hop in (self.expressroute, self.vpn):
            return _Outcome(_Node("hub-gateway", route.next_hop, inbound))
        if route.next_hop in self.branch_gateways:
            return _Outcome(_Node("branch-gateway", route.next_hop, inbound=False))
        return _Outcome(where=hop, reason=f"{hop} sends {destination.address} to {route.next_hop}, which is no device of this design")

    def _leave_source(self, source: Endpoint, destination: Endpoint) -> _Outcome:
        # From on-premises or a site the packet enters the hub through a gateway (inbound);
        # from a hub workload or a spoke it is already inside Azure and leaves through one.
        return self._follow(source.hop, destination, inbound=source.kind not in ("hub", "spoke"))

    def _gateway_in(self, gateway: str, destination: Endpoint) -> _Outcome:
        """Traffic entering the hub through a gateway goes where GatewaySubnet's effective routes say.

        With inspection, the UDR sends on-premises and branch prefixes to the firewall; without it,
        the BGP route sends them straight to the other gateway (gateway to gateway). Only the UDR
        steers this: an NVA advertising the prefixes to Route Server with next hop = firewall does
        not (seed appendix), so the model has no such route. The spec has no NVAs anyway.
        """
        route = self._index(GATEWAY_SUBNET_HOP).lookup(destination.address)
        if route is not None and route.next_hop == gateway:
            return self._gateway_out(gateway, destination)  # e.g. branch to branch through the VPN gateway alone
        outcome = self._follow(GATEWAY_SUBNET_HOP, destination, inbound=False)
        if gateway == self.vpn and destination.kind in ("vnet-branch", "site-branch") and outcome.node and outcome.node.kind == "firewall":
            return replace(outcome, assumption=BRANCH_TO_BRANCH_ASSUMED)
        return outcome

    def _gateway_out(self, gateway: str, destination: Endpoint) -> _Outcome:
        """A gateway sends the packet out over the connection whose peer advertises the destination.

        The packet leaves encapsulated (IPsec on the VPN side), so GatewaySubnet's UDRs do not match
        it again. Seed: this is why firewall -> VPN gateway -> tunnel does not loop back to the firewall.
        """
        index = self.advertised.get(gateway)
        candidates = list(dict.fromkeys(index.longest(destination.address))) if index else []
        if not candidates:
            return _Outcome(where=gateway, reason=f"{gateway} has no connection that advertises {destination.address}")
        if gateway == self.expressroute and len(candidates) > 1:
            return self._choose_circuit(candidates, destination)
        peer = candidates[0]
        if isinstance(peer, VnetBranch):
            return _Outcome(_Node("branch-gateway", peer.vpn_gateway.name, inbound=True))
        if peer.name == destination.name:
            return _Outcome(delivered=True, via=self._devices_of(peer))
        return _Outcome(where=gateway, reason=f"{gateway} sends {destination.address} to {peer.name}, not its owner")

    def _devices_of(self, site) -> str:
        """The devices a site is reached over: all of them at once (ECMP), or the ones still up."""
        if not isinstance(site, SiteBranch) or not site.multi_device:
            return ""
        up = [str(d.name) for d in site.devices if (site.name, d.name) not in self.failed.devices]
        down = [str(d.name) for d in site.devices if (site.name, d.name) in self.failed.devices]
        if len(up) > 1:
            return f"{' + '.join(up)} ({ECMP}, a tunnel to each gateway instance)"
        return f"{up[0]} ({', '.join(down)} down)" if up else ""

    @staticmethod
    def _choose_circuit(sites: list, destination: Endpoint) -> _Outcome:
        """Several circuits advertise the destination's prefix (one site reached over several circuits): the
        ExpressRoute gateway takes the connection with the highest routing weight, before AS path length
        (https://learn.microsoft.com/azure/expressroute/expressroute-optimize-routing)."""
        ranked = sorted(sites, key=lambda site: -site.routing_weight)
        best, runner_up = ranked[0], ranked[1]
        circuit = best.circuit_id.rstrip("/").rsplit("/", 1)[-1]
        if best.routing_weight > runner_up.routing_weight:
            why = f"weight {best.routing_weight} over {runner_up.routing_weight}"
        else:
            why = f"equal weights {best.routing_weight}: AS path length decides, the model takes the first listed"
        return _Outcome(delivered=True, via=f"circuit {circuit} of {best.name} ({why})")

    def _branch_gateway(self, node: _Node, destination: Endpoint) -> _Outcome:
        branch = self.branch_gateways[node.name]
        if node.inbound:  # out of the tunnel, into the branch VNet
            if destination.name == branch.name:
                return _Outcome(delivered=True)
            return _Outcome(where=f"branch:{branch.name}", reason=f"{node.name} does not forward tunnel traffic elsewhere")
        if self.vpn is None:  # from the branch VNet into the tunnel to the hub
            return _Outcome(where=node.name, reason=f"{node.name} has no tunnel to a hub VPN gateway")
        return _Outcome(_Node("hub-gateway", self.vpn, inbound=True))


# --- the verdict ----------------------------------------------------------------------------------


def _site_limits(topology: Topology, source: Endpoint, destination: Endpoint, forward: Path, back: Path) -> tuple[Path, Path]:
    """What a site's connection allows of a delivered flow: a policy-based site reaches the hub VNet only, and
    on-premises to a static site rests on an assumption."""
    sites = {str(s.name): s for s in topology.site_branches}
    for site_end, other in ((source, destination), (destination, source)):
        site = sites.get(site_end.name) if site_end.kind == "site-branch" else None
        if site is not None and _policy_based(site) and other.kind != "hub" and forward.status == DELIVERED:
            gateway = str(topology.hub.vpn_gateway.name)
            forward = Path(forward.hops[:-1], NO_ROUTE, gateway,
                           f"{site_end.name} uses policy-based traffic selectors: it reaches the hub VNet only and cannot "
                           f"transit through {gateway} to {other.name} ({POLICY_BASED_LINK})", forward.firewalls, forward.assumptions)
            back = forward
    return forward, back


def trace(topology: Topology, source_ip: str, destination_ip: str, gateway_udrs: Sequence[Route] | None = None,
          protocol: str | None = None, port: int | None = None, routes: dict[str, list[RouteEntry]] | None = None,
          places: list | None = None, walker: _Walker | None = None, failed: Failures = NO_FAILURE) -> TraceResult:
    """Walk a packet from source to destination and the reply back, and judge the pair.

    Seed symmetry: the reply arrives at the VPN gateway and follows GatewaySubnet's routes too, so
    the UDRs must cover both directions; with only one direction covered the trace is asymmetric.
    A delivered, inspected flow is then put to the firewall policy (stateful: the forward direction
    decides); `protocol` and `port` narrow the question, else any protocol and port counts.
    `routes`, `places` and `walker` let a caller tracing many pairs build the tables once.
    """
    places = _places(topology) if places is None else places
    avoid = failed.circuits
    source, destination = locate(topology, source_ip, places, avoid), locate(topology, destination_ip, places, avoid)
    if walker is None:
        walker = _Walker(topology, routes if routes is not None else effective_routes(topology, gateway_udrs, failed), failed)
    refuse_internet_source(source)
    forward = walker.walk(source, destination)
    back = internet_reply(forward) if destination.kind == INTERNET_KIND else walker.walk(destination, source)
    if "site-branch" in (source.kind, destination.kind):  # most pairs have no site end: skip the lookups
        forward, back = _site_limits(topology, source, destination, forward, back)
    verdict, where = judge(forward, back)
    inspected = verdict == DELIVERED and bool(forward.firewalls)
    allowed_by, denied, denied_by = "", [], ""
    if inspected and topology.hub.firewall:
        allowed, denied = policy.allowance(topology.hub.firewall, source.address, destination.address, protocol, port)
        if not allowed:
            verdict = DENIED
            denied_by = policy.denying_rule(topology.hub.firewall, source.address, destination.address, protocol, port)
        else:
            allowed_by = policy.describe_allowance(allowed)
            if denied:
                verdict = PARTIAL
    flow = " ".join(part for part in (protocol or "", str(port) if port else "") if part)
    if inspected and topology.firewall_parent_policy:
        forward = replace(forward, assumptions=forward.assumptions + (
            f"the verdict comes from the policy's own rules; the rules it inherits from {topology.firewall_parent_policy} "
            f"come first and are not in the spec (FW010)",))
    snat = policy.snat_effect(topology, destination.address) if inspected else ""
    return TraceResult(source, destination, forward, back, verdict, where, inspected, allowed_by, flow, snat,
                       tuple(denied) if verdict == PARTIAL else (), denied_by)


def refuse_internet_source(source: Endpoint) -> None:
    if source.kind == INTERNET_KIND:
        raise ValueError(f"{source.address} is on the Internet: the design takes no flow from there (gen traces flows "
                         f"that start inside it; trace the other way: --from a host --to {source.address})")


def internet_reply(forward: Path) -> Path:
    """The Internet only answers: the reply retraces the flow (through a firewall documented, straight out assumed)."""
    if forward.status != DELIVERED:
        return forward
    assumed = () if forward.firewalls else (INTERNET_RETURN,)
    return replace(forward, hops=tuple(reversed(forward.hops)), assumptions=forward.assumptions + assumed)


def judge(forward: Path, back: Path) -> tuple[str, str | None]:
    """The verdict of both directions before the firewall policy: the first that is not delivered, else asymmetric when
    they cross different firewalls, else delivered; with the hop where it went wrong."""
    for path in (forward, back):
        if path.status != DELIVERED:
            return path.status, path.where
    return (ASYMMETRIC if set(forward.firewalls) != set(back.firewalls) else DELIVERED), None


def _representative(topology: Topology, name: str) -> str | None:
    """A host address for a site or branch: .4 of its first prefix, or of a VNet branch's first workload subnet.

    Never an address in GatewaySubnet (or another special subnet): no VM lives there.
    """
    branch = next((b for b in topology.branches + topology.spokes if b.name == name), None)
    if branch is not None and branch.in_azure:
        spaces = branch.vnet.networks  # a subnet outside the (readable) address space is not an address of the VNet
        workload = [s.network for s in branch.vnet.subnets
                    if s.name not in SPECIAL_SUBNETS and s.network and any(s.network.subnet_of(n) for n in spaces)]
        if workload:
            return str(_host(workload[0]))
        special = [s.network for s in branch.vnet.subnets if s.name in SPECIAL_SUBNETS and s.network]
        for network in branch.vnet.networks:
            candidate = _host(network)
            while candidate in network and any(candidate in s for s in special):
                block = next(s for s in special if candidate in s)
                candidate = block.broadcast_address + 5  # .4 of the block after the special subnet
            if candidate in network:
                return str(candidate)
        return None
    owner = branch or next((s for s in topology.on_premises if s.name == name), None)
    prefixes = _valid(owner.address_prefixes) if owner else []
    return str(_host(parse_network(prefixes[0]))) if prefixes else None


def _host(network: ipaddress.IPv4Network) -> ipaddress.IPv4Address:
    if network.num_addresses >= 8:
        return network.network_address + 4  # Azure's first usable address; kept for sites too
    return network.network_address + (1 if network.num_addresses > 2 else 0)


def branch_pair_count(topology: Topology) -> int:
    n = len(topology.branches)
    return n * (n - 1) // 2


@dataclass(frozen=True)
class Flow:
    """One row of the transit table: a place to another, each by a representative host."""

    source_name: str
    destination_name: str
    source_ip: str
    destination_ip: str


def flows(topology: Topology, with_branch_pairs: bool = True) -> list[Flow]:
    """One flow per distinct pair of places of the design, in spec order: each on-premises network to each branch,
    every pair of branches (unless `with_branch_pairs` is False: they grow with the square of the branches), each
    spoke to each site, branch and later spoke, and each hub workload subnet to each site, branch and spoke. Sites
    that share their prefixes (one network over several circuits) are one network, named after all of them."""
    networks: dict[frozenset, list] = {}
    for site in topology.on_premises:
        networks.setdefault(frozenset(_valid(site.address_prefixes)), []).append(site)
    hosts = {}
    onprem = []
    for sites in networks.values():
        label = " / ".join(str(s.name) for s in sites)
        hosts[label] = _representative(topology, sites[0].name)
        onprem.append(label)
    for item in topology.branches + topology.spokes:
        hosts[str(item.name)] = _representative(topology, item.name)
    hub_subnets = []
    for subnet in topology.hub_workload_subnets:
        if subnet.network is not None and any(subnet.network.subnet_of(n) for n in topology.hub.vnet.networks):
            label = f"hub/{subnet.name}"
            hosts[label] = str(_host(subnet.network))
            hub_subnets.append(label)
    branches = [str(b.name) for b in topology.branches]
    spokes = [str(s.name) for s in topology.spokes]
    ends = [(site, branch) for site in onprem for branch in branches]
    if with_branch_pairs:
        ends += [(a, b) for i, a in enumerate(branches) for b in branches[i + 1:]]
    ends += [(spoke, other) for i, spoke in enumerate(spokes) for other in onprem + branches + spokes[i + 1:]]
    ends += [(subnet, other) for subnet in hub_subnets for other in onprem + branches + spokes]
    # A place without a valid prefix has no host: the rules report it.
    return [Flow(a, b, hosts[a], hosts[b]) for a, b in ends if hosts[a] is not None and hosts[b] is not None]


def transit_matrix(topology: Topology, gateway_udrs: Sequence[Route] | None = None,
                   with_branch_pairs: bool = True, failed: Failures = NO_FAILURE,
                   only: Sequence[Flow] | None = None, routes: dict | None = None) -> list[TransitPair]:
    """Each flow of `flows` (or `only` these) traced both ways, with `failed` taken down. `routes`: the
    `effective_routes` of the same arguments, when the caller has them already."""
    places = _places(topology)
    walker = _Walker(topology, routes if routes is not None else effective_routes(topology, gateway_udrs, failed), failed)
    pairs = []
    for flow in only if only is not None else flows(topology, with_branch_pairs):
        result = trace(topology, flow.source_ip, flow.destination_ip, places=places, walker=walker, failed=failed)
        pairs.append(TransitPair(
            source_name=flow.source_name,
            destination_name=flow.destination_name,
            source_ip=flow.source_ip,
            destination_ip=flow.destination_ip,
            forward=result.forward_path.text,
            return_path=result.return_path.text,
            verdict=result.verdict,
            where=result.where,
            inspected=result.inspected,
            allowed_by=result.allowed_by,
            assumptions=result.assumptions,
            denied_protocols=result.denied_protocols,
            denied_by=result.denied_by,
        ))
    return pairs


# --- text -----------------------------------------------------------------------------------------


def _verdict_text(result: TraceResult) -> str:
    forward, back = result.forward_path, result.return_path
    if result.verdict in (NO_ROUTE, LOOP, BLACK_HOLED):
        failed, direction = (forward, "forward") if forward.status != DELIVERED else (back, "return")
        return f"{result.verdict} at {result.where} ({direction}): {failed.reason}"
    if result.verdict == ASYMMETRIC:
        def crossed(path: Path) -> str:
            return ", ".join(dict.fromkeys(path.firewalls)) or "no firewall"
        return f"asymmetric: forward crosses {crossed(forward)}, return crosses {crossed(back)}"
    if (result.source.kind, result.source.name) == (result.destination.kind, result.destination.name):
        return f"delivered inside {result.source.name}, the hub is not involved"
    firewalls = ", ".join(dict.fromkeys(forward.firewalls))
    if result.verdict == DENIED and result.denied_by:
        return (f"denied: routed through {firewalls} both ways, and {result.denied_by} matches "
                f"{result.source.address} -> {result.destination.address}{' ' + result.flow if result.flow else ''} "
                f"first; the firewall drops it")
    if result.verdict == DENIED:
        return (f"denied: routed through {firewalls} both ways, but no network rule of its policy allows "
                f"{result.source.address} -> {result.destination.address}{' ' + result.flow if result.flow else ''}; "
                f"the firewall drops it")
    if result.verdict == PARTIAL:
        return (f"partial: routed through {firewalls} both ways; allowed by {result.allowed_by}, "
                f"{' and '.join(result.denied_protocols)} denied (--protocol asks about one)")
    if result.inspected:
        return f"delivered, inspected by {firewalls} both ways, allowed by {result.allowed_by}"
    return "delivered, not inspected (no firewall on either path)"


def format_trace(result: TraceResult) -> str:
    lines = [
        f"forward: {result.forward_path.text}",
        f"return:  {result.return_path.text}",
        f"verdict: {_verdict_text(result)}",
    ]
    if result.snat:
        lines.append(f"source:  {result.snat}")
    lines += [f"assumed: {text}" for text in result.assumptions]
    return "\n".join(lines)


# The subnet names Azure uses, accepted for the hops that stand for them.
HOP_ALIASES = {"gatewaysubnet": GATEWAY_SUBNET_HOP, "azurefirewallsubnet": FIREWALL_SUBNET_HOP, "hub": HUB_VNET_HOP}


def hop_named(routes_by_hop: dict, name: str) -> str | None:
    """The hop a user means: its id in any case, or the Azure subnet name it stands for."""
    wanted = HOP_ALIASES.get(name.lower(), name).lower()
    return next((hop for hop in routes_by_hop if hop.lower() == wanted), None)


def format_routes(routes_by_hop: dict[str, list[RouteEntry]], hop: str | None = None) -> str:
    """Plain aligned tables, one per hop; routes that lose to another for the same prefix say so."""
    if hop is not None and hop not in routes_by_hop:
        raise ValueError(f"unknown hop {hop!r}; hops: {', '.join(routes_by_hop)}")
    blocks = []
    for name in [hop] if hop is not None else list(routes_by_hop):
        routes = routes_by_hop[name]
        winners = {r.prefix: r for r in routes if r.effective}
        rows = [("prefix", "next hop", "next hop type", "source", "effective")]
        for r in routes:
            state = "yes" if r.effective else f"no (shadowed by {winners[r.prefix].origin})" if r.prefix in winners else "no"
            rows.append((r.prefix, r.next_hop, r.next_hop_kind, r.source, state))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = [name]
        if not routes:
            lines.append("  (no routes)")
        else:
            lines += ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


# What routing_hubs.py walks each hub of several with: the same places, walker, prefixes and hosts a hub's own trace uses.
places, Walker, valid_prefixes, representative = _places, _Walker, _valid, _representative
