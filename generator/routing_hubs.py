"""Routing across several hubs: a packet walked hop by hop through every hub it crosses.

Each hub's walker (routing.py) routes what its own tables know; where a route leads to another hub (a UDR to that
hub's firewall, or the global peering's system route to that hub's VNet) the walk hands off and goes on in the other
hub's walker. What no hub routes is a designed no-route, never a path: Route Servers do not exchange routes over
peering, so one region's VPN sites reach on-premises and their own region, not the other region's sites
(https://learn.microsoft.com/azure/route-server/route-server-faq: "the NVA-advertised routes will be dropped by the
second Route Server").

What fails across hubs: a whole region (its hub, spokes and branches), a hub (its gateways, Route Server and
firewall; the spokes stay), a circuit of the bow-tie (its connection to every hub), the peering between two hubs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from . import policy, routing
from .failures import NO_FAILURE, Behaviour, FailureError, Failures, elements, parse
from .hubs import Fleet, Region
from .routing import (BLACK_HOLED, DELIVERED, DENIED, HANDOFF, INTERNET_KIND, NO_ROUTE, PARTIAL, REMOTE_KIND, Endpoint, Path,
                      TraceResult)

ER_DISASTER_RECOVERY = "https://learn.microsoft.com/azure/expressroute/designing-for-disaster-recovery-with-expressroute-privatepeering"
ROUTE_SERVER_FAQ = "https://learn.microsoft.com/azure/route-server/route-server-faq"
UDR_OVERVIEW = "https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview"
ER_REMOTE_VNET = ("https://learn.microsoft.com/azure/expressroute/expressroute-howto-add-gateway-portal-resource-manager"
                  "#enable-or-disable-vnet-to-vnet-or-vnet-to-virtual-wan-traffic-through-expressroute")
PEERING_LINK = "https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering"
HUB_SPOKE = "https://learn.microsoft.com/azure/architecture/networking/architecture/hub-spoke"

# What the model does when a part of several hubs fails, each with its Learn page, or assumed.
BEHAVIOURS = {
    "region": (
        Behaviour("a region's outage takes its hub, its spokes and its branches' VNets down: their flows are gone; the "
                  "other hubs route as before (\"connect only spokes from the same region to those hubs ... to avoid failures "
                  "in one region's hub that could cause widespread network routing failures in unrelated regions\")", HUB_SPOKE),
        Behaviour("the circuits of the bow-tie stay up (they end at peering locations, not in the region): on-premises keeps "
                  "reaching the other regions over them (Learn documents the failover of a circuit, not of a region)"),
    ),
    "hub": (
        Behaviour("a hub whose gateways, Route Server and firewall are down leaves its spokes unreachable: a spoke is peered "
                  "with its own hub only, and \"peerings by themselves aren't transitive\", so no other hub can reach it",
                  PEERING_LINK),
    ),
    "circuit": (
        Behaviour("a circuit of the bow-tie fails at every hub it connects to: the on-premises networks another circuit "
                  "also carries are reached over that one (\"If the local ExpressRoute circuit fails, then the remote "
                  "ExpressRoute circuit is used for all the traffic flows between Azure and on-premises network\")",
                  ER_DISASTER_RECOVERY),
    ),
    "peering": (
        Behaviour("the UDRs to the other hub's firewall stay (static routes) but lead nowhere: traffic between the two "
                  "regions' spokes is dropped", UDR_OVERVIEW),
        Behaviour("it does not fall back to the circuits: the ExpressRoute gateways are written with "
                  "allowRemoteVnetTraffic off, so they accept no other VNet's routes from the circuit's edge routers",
                  ER_REMOTE_VNET),
    ),
}


@dataclass(frozen=True)
class HubFailures:
    """What fails across a spec of several hubs: whole regions or hubs, peerings, and each hub's own elements."""

    regions: frozenset = frozenset()  # hub names whose region is down
    hubs: frozenset = frozenset()  # hub names whose gateways, Route Server and firewall are down
    peerings: frozenset = frozenset()  # frozenset({a, b}) of each peering down
    within: tuple[tuple[str, Failures], ...] = ()  # (hub name, its own Failures)
    labels: tuple[str, ...] = field(default=(), compare=False)

    def __bool__(self) -> bool:
        return bool(self.regions or self.hubs or self.peerings or self.within)

    def of(self, name: str) -> Failures:
        return next((f for n, f in self.within if n == name), NO_FAILURE)

    @property
    def label(self) -> str:
        return " + ".join(self.labels) or "nothing"

    @property
    def kinds(self) -> list[str]:
        return [kind for kind, present in (("region", self.regions), ("hub", self.hubs), ("peering", self.peerings),
                                           ("circuit", any(f.circuits for _, f in self.within))) if present]


NO_HUB_FAILURE = HubFailures()
# Which circuit on-premises sends over is its own routers' choice; Learn's design has it prefer the local one.
LOCAL_CIRCUIT_ASSUMED = (
    "on-premises sends to each hub over that hub's local circuit (the one with the highest weight there): its edge routers "
    f"prefer it by local preference, as the disaster-recovery design asks ({ER_DISASTER_RECOVERY})")


def _why_not_across(source: Endpoint, destination: Endpoint, home: str) -> str:
    """Why a hub has no route to another hub's address: what the design routes between hubs, and what it does not."""
    if "branch" in source.kind or "branch" in destination.kind:
        return (f"{destination.address} lives behind hub {home}, and Route Servers do not carry routes between regions "
                f"({ROUTE_SERVER_FAQ})")
    return (f"{destination.address} lives behind hub {home}: between hubs only spokes (and hub subnets with "
            f"inspectHubSubnets) are routed, firewall to firewall, and peering is not transitive ({PEERING_LINK})")


ELSEWHERE = "elsewhere"  # an address of the design that this hub has no route or place for (another region's site)
HUB_PARTS = ("expressroute-gateway", "route-server", "firewall", "vpn-instance:0", "vpn-instance:1")


def hub_elements(fleet: Fleet) -> list[str]:
    """What can fail across the hubs, named as `gen trace --fail` and `gen resilience` take them."""
    found = [f"region:{r.name}" for r in fleet.regions] + [f"hub:{r.name}" for r in fleet.regions]
    found += [f"peering:{a.name}-{b.name}" for i, a in enumerate(fleet.regions) for b in fleet.regions[i + 1:]]
    circuits = dict.fromkeys(str(s.name) for r in fleet.regions for s in r.topology.on_premises)
    found += [f"circuit:{c}" for c in circuits]
    return found


def parse_hub_failures(fleet: Fleet, texts) -> HubFailures:
    """`region:weu`, `hub:weu`, `peering:weu-neu`, `circuit:NAME` (at every hub), or one hub's element as `weu/firewall`."""
    failures = NO_HUB_FAILURE
    names = [r.name for r in fleet.regions]
    for text in texts:
        kind, _, name = text.strip().partition(":")
        within: dict[str, Failures] = dict(failures.within)
        if kind == "region" and name in names:
            failures = replace(failures, regions=failures.regions | {name})
        elif kind == "hub" and name in names:
            failures = replace(failures, hubs=failures.hubs | {name})
        elif kind == "peering" and "-" in name and any(name == f"{a}-{b}" or name == f"{b}-{a}" for a in names for b in names if a != b):
            pair = next(frozenset({a, b}) for a in names for b in names if a != b and name == f"{a}-{b}")
            failures = replace(failures, peerings=failures.peerings | {pair})
        elif kind == "circuit" and any(name == s.name for r in fleet.regions for s in r.topology.on_premises):
            for region in fleet.regions:
                if any(name == s.name for s in region.topology.on_premises):
                    within[region.name] = within.get(region.name, NO_FAILURE).merge(parse(region.topology, [text]))
            failures = replace(failures, within=tuple(within.items()))
        elif "/" in text and text.split("/", 1)[0] in names:
            hub, _, element = text.strip().partition("/")
            try:
                within[hub] = within.get(hub, NO_FAILURE).merge(parse(fleet.region(hub).topology, [element]))
            except FailureError as exc:
                raise FailureError(f"{text!r}: {exc}") from None
            failures = replace(failures, within=tuple(within.items()))
        else:
            known = ", ".join(hub_elements(fleet) + [f"{r.name}/<element>" for r in fleet.regions[:1]])
            raise FailureError(f"{text!r} is no element of these hubs that can fail; they are: {known} (an element of one "
                               f"hub as HUB/ELEMENT, e.g. {names[0]}/firewall)")
        failures = replace(failures, labels=failures.labels + (text.strip(),))
    return failures


def _region_failures(region: Region, failed: HubFailures) -> Failures:
    own = failed.of(region.name)
    if region.name in failed.hubs or region.name in failed.regions:
        parts = [e for e in elements(region.topology) if e in HUB_PARTS]
        own = own.merge(parse(region.topology, parts)) if parts else own
    return own


class HubRouting:
    """Each hub's tables and walker, built once for every trace of one set of failures."""

    def __init__(self, fleet: Fleet, failed: HubFailures = NO_HUB_FAILURE):
        self.fleet = fleet
        self.failed = failed
        self.failures = {r.name: _region_failures(r, failed) for r in fleet.regions}
        self.routes = {r.name: routing.effective_routes(r.topology, failed=self.failures[r.name]) for r in fleet.regions}
        self.places = {r.name: routing.places(r.topology) for r in fleet.regions}
        self.walkers = {r.name: routing.Walker(r.topology, self.routes[r.name], self.failures[r.name]) for r in fleet.regions}

    def locate(self, region: Region, ip: str) -> Endpoint:
        """Where an address lives as one hub sees it: its own, another hub's (REMOTE_KIND), or nowhere it knows."""
        try:
            return routing.locate(region.topology, ip, self.places[region.name], self.failures[region.name].circuits)
        except ValueError:
            if not any(self._knows(r, ip) for r in self.fleet.regions):
                raise
            return Endpoint(ELSEWHERE, ip, ip, ELSEWHERE)

    def _carried_by_several(self, region_name: str, site_name: str) -> bool:
        """Whether the site's network reaches this hub over several circuits (the bow-tie): on-premises then picks one."""
        sites = self.fleet.region(region_name).topology.on_premises
        site = next((s for s in sites if s.name == site_name), None)
        return site is not None and any(s is not site and set(s.address_prefixes) & set(site.address_prefixes) for s in sites)

    def _knows(self, region: Region, ip: str) -> bool:
        try:
            routing.locate(region.topology, ip, self.places[region.name])
            return True
        except ValueError:
            return False

    def home(self, ip: str, other: str) -> Region:
        """The hub a walk from `ip` starts in: the one it lives in; of several (on-premises, behind circuits connected to
        several hubs; the Internet), the one `other` lives in, else the first."""
        homes = [r for r in self.fleet.regions if self.locate(r, ip).kind not in (REMOTE_KIND, ELSEWHERE)]
        if not homes:
            raise ValueError(f"{ip} is in no hub's part of the design")
        if len(homes) == 1:
            return homes[0]
        return next((r for r in homes if self.locate(r, other).kind not in (REMOTE_KIND, ELSEWHERE)), homes[0])

    def walk(self, source_ip: str, destination_ip: str) -> tuple[Path, list[str], Endpoint, Endpoint]:
        """One direction through every hub it crosses: the joined path, the hubs crossed, and both ends as their own
        hubs see them."""
        region = self.home(source_ip, destination_ip)
        source = first_source = self.locate(region, source_ip)
        hops, firewalls, assumptions, crossed, start = [], [], [], [region.name], None
        for _ in range(len(self.fleet.regions) + 1):
            destination = self.locate(region, destination_ip)
            if region.name in self.failed.regions:
                path = Path((f"region {region.name}",), BLACK_HOLED, f"region {region.name}", f"region {region.name} is down")
            else:
                path = self.walkers[region.name].walk(source, destination, start)
            hops += path.hops
            firewalls += path.firewalls
            assumptions += [a for a in path.assumptions if a not in assumptions]
            if path.status != HANDOFF:
                home = self.home(destination_ip, source_ip)
                reason = path.reason
                if path.status == NO_ROUTE and home.name != region.name:
                    reason += ": " + _why_not_across(first_source, self.locate(home, destination_ip), home.name)
                if first_source.kind == "onprem" and self._carried_by_several(crossed[0], first_source.name):
                    assumptions.append(LOCAL_CIRCUIT_ASSUMED)
                return replace(path, hops=tuple(hops), firewalls=tuple(firewalls), assumptions=tuple(assumptions),
                               reason=reason), crossed, first_source, self.locate(home, destination_ip)
            nxt = self.fleet.region(path.where)
            if frozenset({region.name, nxt.name}) in self.failed.peerings:
                where = "peering " + "-".join(r.name for r in self.fleet.regions if r.name in (region.name, nxt.name))
                return Path(tuple(hops + [where]), BLACK_HOLED, where, f"the peering between {region.name} and {nxt.name} is down",
                            tuple(firewalls), tuple(assumptions)), crossed, first_source, destination
            start = path.arrival
            region, source = nxt, self.locate(nxt, source_ip)
            crossed.append(region.name)
        return Path(tuple(hops), routing.LOOP, hops[-1] if hops else None, "the walk crosses more hubs than there are"), \
            crossed, first_source, destination


def trace(fleet: Fleet, source_ip: str, destination_ip: str, protocol: str | None = None, port: int | None = None,
          failed: HubFailures = NO_HUB_FAILURE, state: HubRouting | None = None) -> TraceResult:
    """Walk a packet from source to destination and the reply back, through every hub they cross, and judge the pair:
    delivered only if each firewall crossed lets it through (each region's policy is its own)."""
    state = state or HubRouting(fleet, failed)
    forward, _, source, destination = state.walk(source_ip, destination_ip)
    routing.refuse_internet_source(source)
    back = routing.internet_reply(forward) if destination.kind == INTERNET_KIND else state.walk(destination_ip, source_ip)[0]
    verdict, where = routing.judge(forward, back)
    inspected = verdict == DELIVERED and bool(forward.firewalls)
    allowed, denied_by, partial = [], "", []
    if inspected:
        firewalls = {str(r.topology.hub.firewall.name): r.topology.hub.firewall for r in fleet.regions if r.topology.hub.firewall}
        for name in dict.fromkeys(forward.firewalls):
            rules, denied = policy.allowance(firewalls[name], source_ip, destination_ip, protocol, port)
            if not rules:
                verdict = DENIED
                denied_by = f"{name}: " + (policy.denying_rule(firewalls[name], source_ip, destination_ip, protocol, port)
                                           or "no rule allows it")
                break
            allowed.append(f"{name}: {policy.describe_allowance(rules)}")
            partial += denied
        if verdict != DENIED and partial:
            verdict = PARTIAL
    flow = " ".join(part for part in (protocol or "", str(port) if port else "") if part)
    return TraceResult(source, destination, forward, back, verdict, where, inspected, "; ".join(allowed) if verdict != DENIED else "",
                       flow, "", tuple(dict.fromkeys(partial)) if verdict == PARTIAL else (), denied_by)


# --- the flows of several hubs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HubFlow:
    """One row of the transit across hubs: a place to another, each by a representative host, with their hubs."""

    source_name: str
    destination_name: str
    source_ip: str
    destination_ip: str
    source_hubs: tuple[str, ...]  # the hub(s) the source hangs off (on-premises: every hub its circuits connect to)
    destination_hubs: tuple[str, ...]


def flows(fleet: Fleet) -> list[HubFlow]:
    """Every place of every hub to every other, once: each on-premises network, each branch and each spoke, by a
    representative host. One hub's own pairs and the pairs across hubs alike: the README shows both."""
    places: dict[str, tuple[str, list[str]]] = {}  # label -> (host, hubs)
    for region in fleet.regions:
        t = region.topology
        networks: dict[frozenset, list] = {}
        for site in t.on_premises:
            networks.setdefault(frozenset(routing.valid_prefixes(site.address_prefixes)), []).append(site)
        for sites in networks.values():
            label = " / ".join(sorted(str(s.name) for s in sites))
            host = routing.representative(t, sites[0].name)
            places.setdefault(label, (host, []))[1].append(region.name)
        for item in t.branches + t.spokes:
            places.setdefault(str(item.name), (routing.representative(t, item.name), []))[1].append(region.name)
    labels = [label for label, (host, _) in places.items() if host is not None]
    return [HubFlow(a, b, places[a][0], places[b][0], tuple(places[a][1]), tuple(places[b][1]))
            for i, a in enumerate(labels) for b in labels[i + 1:]]


def transit(fleet: Fleet, failed: HubFailures = NO_HUB_FAILURE, only: list[HubFlow] | None = None) -> list[tuple[HubFlow, TraceResult | None]]:
    """Each flow traced both ways with `failed` taken down; None for a flow whose end is in a region that is down."""
    state = HubRouting(fleet, failed)
    found = []
    for flow in only if only is not None else flows(fleet):
        if any(set(hubs) <= failed.regions for hubs in (flow.source_hubs, flow.destination_hubs)):
            found.append((flow, None))
            continue
        found.append((flow, trace(fleet, flow.source_ip, flow.destination_ip, state=state)))
    return found
