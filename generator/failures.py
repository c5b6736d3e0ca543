"""What fails: the elements of a design that `gen trace --fail` and `gen resilience` take down, and what Microsoft
documents about each (or that gen assumes, and says so).

Each element is named as users write it: `circuit:NAME`, `site:NAME`, `branch:NAME`, `vpn-instance:0|1`,
`expressroute-gateway`, `route-server`, `firewall`, `zone:1|2|3`. The routing model (routing.py) takes a
`Failures` and recomputes: BGP routes that disappear, static UDRs that still point where they did.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .model import Topology, resource_key

ACTIVE_ACTIVE = "https://learn.microsoft.com/azure/vpn-gateway/about-active-active-gateways"
HIGHLY_AVAILABLE = "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-highlyavailable"
ER_DISASTER_RECOVERY = "https://learn.microsoft.com/azure/expressroute/designing-for-disaster-recovery-with-expressroute-privatepeering"
ER_WEIGHT = "https://learn.microsoft.com/azure/expressroute/expressroute-optimize-routing"
RELIABILITY_GATEWAYS = "https://learn.microsoft.com/azure/reliability/reliability-virtual-network-gateway"
ROUTE_SERVER_FAQ = "https://learn.microsoft.com/azure/route-server/route-server-faq"
VPN_FAQ = "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-vpn-faq"
UDR = "https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview"
BGP_OVERVIEW = "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-bgp-overview"
# Read 2026-12 (ms.date 02/10/2026, MicrosoftDocs/reliability-docs).
RELIABILITY_FIREWALL = "https://learn.microsoft.com/azure/reliability/reliability-firewall"
ER_GATEWAY_MIGRATION = "https://learn.microsoft.com/azure/expressroute/gateway-migration"
ZONE_REDUNDANT_GATEWAYS = "https://learn.microsoft.com/azure/vpn-gateway/about-zone-redundant-vnet-gateways"
# Read 2026-12: the page's zone-redundancy section (firewalls without zones are zone-redundant by default).
FIREWALL_ZONES = "https://learn.microsoft.com/azure/firewall/deploy-availability-zone-powershell"


@dataclass(frozen=True)
class Behaviour:
    """One thing the model does when an element fails, with its source; `assumed` when no page documents it."""

    text: str
    source: str = ""

    @property
    def assumed(self) -> bool:
        return not self.source


# What the model does, element by element (the README's resilience section lists them).
BEHAVIOURS = {
    "circuit": (
        Behaviour("the circuit's BGP routes are withdrawn: on-premises networks that another circuit also carries are "
                  "reached over that one, by the highest routing weight (\"the standby circuit is used in this failure "
                  "state\")", ER_DISASTER_RECOVERY),
        Behaviour("the GatewaySubnet UDRs of its prefixes stay (UDRs are \"user-defined (static)\" routes) and still send "
                  "to the firewall, which then has no route for them: a private prefix nothing else carries meets the system "
                  "route None (\"Traffic routed to the None next hop type is dropped\"), other traffic the default route",
                  UDR),
    ),
    "site": (
        Behaviour("its tunnels drop and \"the corresponding routes will be withdrawn via BGP\"", BGP_OVERVIEW),
        Behaviour("the Local Network Gateway's prefixes lead nowhere while its tunnels are down"),
    ),
    "vpn-instance": (
        Behaviour("active-active: \"the switch over will happen automatically from the affected instance to the active "
                  "instance\"; a site keeps its connectivity through its tunnel to the other instance", ACTIVE_ACTIVE),
        Behaviour("each site's device has a tunnel to both instances, as an active-active gateway expects (gen "
                  "device-config writes both)"),
    ),
    "vpn-instance-standby": (
        Behaviour("active-standby: the standby takes over after \"a brief interruption\" (10 to 15 seconds planned, about "
                  "1 to 3 minutes unplanned)", HIGHLY_AVAILABLE),
    ),
    "expressroute-gateway": (
        Behaviour("no path between on-premises and Azure while the gateway is down: its routes are gone from the hub and "
                  "the circuits learn nothing from it (\"If the region becomes unavailable, your gateway is also "
                  "unavailable\"; an outage of the gateway alone is assumed to act the same)"),
    ),
    "route-server": (
        Behaviour("the ExpressRoute and VPN gateways stop exchanging routes: Route Server is what makes them (\"you'll "
                  "need to set up Azure Route Server\" for ExpressRoute to VPN routing)", VPN_FAQ),
        Behaviour("an outage acts like branch-to-branch off: on-premises and the branches lose each other, while each keeps "
                  "the hub and the spokes it learns from its own gateway"),
    ),
    "firewall": (
        Behaviour("the UDRs still point at the firewall's address: every inspected flow is dropped there, and traffic that "
                  "no UDR sends to it is untouched (Learn documents no fallback for a UDR whose next hop is down)"),
    ),
    "branch": (
        Behaviour("its VPN gateway (or its device) is gone: its prefixes are withdrawn over BGP", BGP_OVERVIEW),
    ),
    "device": (
        Behaviour("one device of a site with several: the site stays reached over the others, which advertise the same "
                  "prefixes (\"BGP is required to allow simultaneous connectivity on the two connections to the same "
                  "on-premises network\")", HIGHLY_AVAILABLE),
    ),
    # A zone outage: what is zone-redundant rides it out; what runs zonal or regional goes down with it (zone_outage).
    "zone": (
        Behaviour("Route Server \"has zone-level redundancy if you deploy it in an Azure region that supports "
                  "Availability Zones\"", ROUTE_SERVER_FAQ),
        Behaviour("test VMs are in no zone gen chooses: one may be in the zone that fails, which the table does not show"),
    ),
    "zone-redundant-gateway": (
        Behaviour("an AZ-SKU gateway whose public IPs are not pinned to one zone is zone-redundant: \"connections might "
                  "experience brief interruptions that typically last up to one minute\", and \"active requests connected "
                  "through gateway VMs in the failing zone are terminated\"", RELIABILITY_GATEWAYS),
    ),
    "regional-gateway": (
        Behaviour("a gateway with a non-AZ SKU (VpnGw1-5, Standard, HighPerformance, UltraPerformance) is not spread across "
                  "zones (these SKUs \"don't support the distribution of the gateway across multiple availability zones\"); "
                  "where its instances run is not shown, so any zone's outage is taken to take it down (assumed: the worst "
                  "case)", ER_GATEWAY_MIGRATION),
    ),
    "zonal-gateway": (
        Behaviour("an AZ-SKU gateway whose public IPs are in one zone is zonal: \"all instances of the gateway are deployed "
                  "in the same availability zone\", so that zone's outage takes it down", ZONE_REDUNDANT_GATEWAYS),
    ),
    "zone-redundant-firewall": (
        Behaviour("a firewall in several zones, or in none, is zone-redundant (\"All new Azure Firewall deployments that don't "
                  "explicitly specify zones ... are zone redundant by default\"; existing ones are platform-migrated)",
                  FIREWALL_ZONES),
        Behaviour("a zone-redundant firewall in a zone outage: \"Expect minimal downtime (typically a few seconds)\", and "
                  "\"requests in progress that connect to a firewall instance in the faulty availability zone might terminate "
                  "and require retries\"", RELIABILITY_FIREWALL),
    ),
    "zonal-firewall": (
        Behaviour("a firewall pinned to one zone is down with that zone (\"When a zone is unavailable, your firewall remains "
                  "unavailable until the availability zone recovers\"; Azure says it will migrate zonal firewalls to zone "
                  "redundancy \"in the future\": until the firewall shows more zones, gen takes the one it has)",
                  RELIABILITY_FIREWALL),
    ),
}


class FailureError(ValueError):
    """An element that is not one of the design; the message lists what is (exit 2)."""


@dataclass(frozen=True)
class Failures:
    circuits: frozenset = frozenset()  # on-premises site names (their ExpressRoute connection and circuit)
    branches: frozenset = frozenset()  # branch names: a VNet branch's gateway, or a site's device (all of them)
    devices: frozenset = frozenset()  # (site, device) of a site with several devices: one of them
    vpn_instances: frozenset = frozenset()  # instances of the hub VPN gateway
    expressroute_gateway: bool = False
    route_server: bool = False
    firewall: bool = False
    zones: frozenset = frozenset()
    labels: tuple[str, ...] = field(default=(), compare=False)  # as the user wrote them

    def __bool__(self) -> bool:
        return bool(self.circuits or self.branches or self.devices or self.vpn_instances or self.expressroute_gateway
                    or self.route_server or self.firewall or self.zones)

    def vpn_gateway_down(self, topology: Topology) -> bool:
        """The hub VPN gateway is gone when all of its instances are: active-active and active-standby both fail over."""
        gateway = topology.hub.vpn_gateway
        return gateway is not None and {0, 1} <= set(self.vpn_instances)

    def merge(self, other: "Failures") -> "Failures":
        return Failures(self.circuits | other.circuits, self.branches | other.branches, self.devices | other.devices,
                        self.vpn_instances | other.vpn_instances,
                        self.expressroute_gateway or other.expressroute_gateway, self.route_server or other.route_server,
                        self.firewall or other.firewall, self.zones | other.zones, self.labels + other.labels)

    @property
    def label(self) -> str:
        return " + ".join(self.labels) or "nothing"

    def behaviours(self, topology: Topology) -> list[Behaviour]:
        """What the model does for these failures, each with its source (or assumed)."""
        kinds = ["device" if label.startswith("site:") and "/" in label else label.split(":")[0] for label in self.labels]
        gateway = topology.hub.vpn_gateway
        kinds = [f"{k}-standby" if k == "vpn-instance" and gateway and not gateway.active_active else k for k in kinds]
        found = []
        for kind in dict.fromkeys(kinds):
            found += _zone_behaviours(topology) if kind == "zone" else BEHAVIOURS.get(kind, ())
        return list(dict.fromkeys(found))


NO_FAILURE = Failures()


def elements(topology: Topology) -> list[str]:
    """Every element of the design that can fail on its own, in a stable order."""
    hub = topology.hub
    found = [f"circuit:{s.name}" for s in topology.on_premises]
    for b in topology.branches:
        if b.kind == "site" and b.multi_device:
            found += [f"site:{b.name}/{d.name}" for d in b.devices]  # the whole site is every device down: a pair
        else:
            found.append(f"{'site' if b.kind == 'site' else 'branch'}:{b.name}")
    if hub.vpn_gateway:
        found += ["vpn-instance:0", "vpn-instance:1"]
    if hub.expressroute_gateway:
        found.append("expressroute-gateway")
    if hub.route_server:
        found.append("route-server")
    if hub.firewall:
        found.append("firewall")
    return found + ["zone:1", "zone:2", "zone:3"]


def parse(topology: Topology, texts) -> Failures:
    """The failures a user names (`--fail circuit:onprem --fail firewall`), checked against the design."""
    failures = NO_FAILURE
    for text in texts:
        failures = failures.merge(_one(topology, text.strip()))
    # A site whose every device is down is down.
    gone = {s.name for s in topology.site_branches if s.multi_device and all((s.name, d.name) in failures.devices for d in s.devices)}
    return replace(failures, branches=failures.branches | gone) if gone - failures.branches else failures


def _one(topology: Topology, text: str) -> Failures:
    kind, _, name = text.partition(":")
    kind = kind.lower()
    hub = topology.hub
    known = ", ".join(elements(topology))
    if kind == "circuit" and name in {s.name for s in topology.on_premises}:
        return Failures(circuits=frozenset({name}), labels=(text,))
    site_name, _, device = name.partition("/")
    site = next((s for s in topology.site_branches if s.name == site_name), None)
    if kind == "site" and device and site is not None and site.multi_device and device in {d.name for d in site.devices}:
        return Failures(devices=frozenset({(site.name, device)}), labels=(text,))
    if kind in ("site", "branch") and not device and name in {b.name for b in topology.branches}:
        return Failures(branches=frozenset({name}), labels=(text,))
    if kind == "vpn-instance" and name in ("0", "1") and hub.vpn_gateway:
        return Failures(vpn_instances=frozenset({int(name)}), labels=(text,))
    if kind == "zone" and name in ("1", "2", "3"):
        return zone_outage(topology, int(name), text)
    if not name and kind == "expressroute-gateway" and hub.expressroute_gateway:
        return Failures(expressroute_gateway=True, labels=(text,))
    if not name and kind == "route-server" and hub.route_server:
        return Failures(route_server=True, labels=(text,))
    if not name and kind == "firewall" and hub.firewall:
        return Failures(firewall=True, labels=(text,))
    raise FailureError(f"{text!r} is no element of this design that can fail; its elements: {known}")


# --- zones: what a zone outage takes down of what runs ---------------------------------------------------


@dataclass(frozen=True)
class ZoneExposure:
    """A part of the hub (or a VNet branch's gateway) that a zone outage can take down: regional or zonal."""

    element: str  # "vpn-gateway", "expressroute-gateway", "firewall", "branch:NAME"
    label: str  # "hub VPN gateway `vpngw-hub` (VpnGw1, no AZ)"
    zones: frozenset  # the zones whose outage takes it down
    kind: str  # the BEHAVIOURS key that says why


def _ip_zones(topology: Topology, owner, names, scope=None) -> set[str]:
    """The zones of an owner's public IPs: as they run (`asDeployed`), else as gen gives them."""
    found: set[str] = set()
    for name in names:
        kept = topology.kept(resource_key("Microsoft.Network/publicIPAddresses", name), scope)
        found |= set(kept.zones) if kept is not None and kept.zones is not None else set(topology.public_ip_zones(owner))
    return found


def _gateway_exposure(topology: Topology, element: str, gateway, ip_names, scope=None) -> ZoneExposure | None:
    every = frozenset(int(z) for z in topology.region_zones)
    if not every:
        return None
    if not gateway.az:
        return ZoneExposure(element, f"{gateway.label} `{gateway.name}` ({gateway.sku}, no AZ)", every, "regional-gateway")
    zones = _ip_zones(topology, gateway, ip_names, scope)
    if len(zones) == 1:
        zone = int(next(iter(zones)))
        return ZoneExposure(element, f"{gateway.label} `{gateway.name}` (zonal: zone {zone})", frozenset({zone}), "zonal-gateway")
    return None


def zone_exposures(topology: Topology) -> tuple[ZoneExposure, ...]:
    """What a zone outage can take down, as the spec (or what runs, through `asDeployed`) deploys it."""
    hub, found = topology.hub, []
    if hub.vpn_gateway:
        found.append(_gateway_exposure(topology, "vpn-gateway", hub.vpn_gateway, hub.vpn_gateway.public_ip_names))
    if hub.expressroute_gateway:
        gateway = hub.expressroute_gateway
        found.append(_gateway_exposure(topology, "expressroute-gateway", gateway, (gateway.public_ip_name,)))
    for branch in topology.vnet_branches:
        if branch.location is None or str(branch.location).lower() == str(topology.location).lower():
            found.append(_gateway_exposure(topology, f"branch:{branch.name}", branch.vpn_gateway,
                                           branch.vpn_gateway.public_ip_names, topology.scope_of(branch)))
    if hub.firewall and topology.region_zones and len(topology.firewall_zones) == 1:
        zone = int(topology.firewall_zones[0])
        found.append(ZoneExposure("firewall", f"firewall `{hub.firewall.name}` (zonal: zone {zone})", frozenset({zone}),
                                  "zonal-firewall"))
    return tuple(e for e in found if e is not None)


def zone_outage(topology: Topology, zone: int, text: str) -> Failures:
    """One zone's outage: what it takes down of the parts `zone_exposures` names."""
    down = [e for e in zone_exposures(topology) if zone in e.zones]
    elements_down = {e.element for e in down}
    return Failures(branches=frozenset(e.element.partition(":")[2] for e in down if e.element.startswith("branch:")),
                    vpn_instances=frozenset({0, 1}) if "vpn-gateway" in elements_down else frozenset(),
                    expressroute_gateway="expressroute-gateway" in elements_down, firewall="firewall" in elements_down,
                    zones=frozenset({zone}), labels=(text,))


def _zone_behaviours(topology: Topology) -> list[Behaviour]:
    """What a zone outage does to this design's parts, each part by what it runs as."""
    exposures = {e.element: e for e in zone_exposures(topology)}
    hub, kinds = topology.hub, []
    gateways = [("vpn-gateway", hub.vpn_gateway), ("expressroute-gateway", hub.expressroute_gateway)]
    gateways += [(f"branch:{b.name}", b.vpn_gateway) for b in topology.vnet_branches]
    for element, gateway in gateways:
        if gateway is not None:
            kinds.append(exposures[element].kind if element in exposures else "zone-redundant-gateway")
    if hub.firewall:
        kinds.append(exposures["firewall"].kind if "firewall" in exposures else "zone-redundant-firewall")
    found = [b for kind in dict.fromkeys(kinds) for b in BEHAVIOURS[kind]]
    found += [Behaviour(f"a zone outage takes down {e.label} in zone(s) {', '.join(map(str, sorted(e.zones)))}")
              for e in exposures.values()]
    return found + list(BEHAVIOURS["zone"])
