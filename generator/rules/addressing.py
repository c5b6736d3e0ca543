"""Rules: addressing (ADDR) and the special subnets Azure requires (SUBNET).

Every CIDR is checked for syntax once (ADDR001/ADDR002); all other rules use
`parse_network` and silently skip a prefix it cannot read, so one typo gives
one finding.
"""

from __future__ import annotations

import ipaddress

from ..findings import WARNING
from ..model import (
    FIREWALL_MANAGEMENT_SUBNET,
    FIREWALL_SUBNET,
    GATEWAY_SUBNET,
    ROUTE_SERVER_SUBNET,
    SPECIAL_SUBNETS,
    OnPremisesSite,
    Spoke,
    Subnet,
    parse_network,
)
from . import rule
from .helpers import cidr_fields, gateway_subnet_network, hits_gateway_subnet, loose_network, udr_prefixes

VNET_LINK = "https://learn.microsoft.com/azure/virtual-network/virtual-networks-faq"
UDR_LINK = "https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview"
GATEWAY_SUBNET_LINK = "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-about-vpn-gateway-settings#gwsub"
ROUTE_SERVER_LINK = "https://learn.microsoft.com/azure/route-server/route-server-faq"
PEERING_LINK = "https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering#requirements-and-constraints"
FIREWALL_LINK = "https://learn.microsoft.com/azure/firewall/firewall-faq"


def _is_default(network, owner) -> bool:
    """0.0.0.0/0 of a site covers everything by definition: ADDR006 says what to do with it, not the overlap rules."""
    return network.prefixlen == 0 and not owner.in_azure


# --- CIDR syntax ------------------------------------------------------------------------------------


@rule("ADDR001", "Address prefix is not IPv4 CIDR notation", VNET_LINK)
def cidr_syntax(topology, data):
    """Every address space, site prefix and subnet prefix must be an IPv4 prefix such as 10.0.0.0/16.

    gen handles IPv4 only; a bare address needs its prefix length (/32 for a host)."""
    for text in cidr_fields(topology):
        if loose_network(text) is not None:
            continue
        try:
            address = ipaddress.ip_interface(text) if "/" in text else ipaddress.ip_address(text)
        except ValueError:
            address = None
        if address is not None and address.version == 6:
            yield text.path, f"{text!r} is an IPv6 prefix; this generator handles IPv4 only: give an IPv4 prefix such as 10.0.0.0/16"
        elif address is not None:
            yield text.path, f"{text!r} has no prefix length: write {text}/32 for a single address, or the network's prefix such as 10.0.0.0/16"
        else:
            yield text.path, f"{text!r} is not an IPv4 prefix in CIDR notation (a.b.c.d/n, n from 0 to 32), for example 10.0.0.0/16"


@rule("ADDR002", "Address prefix is not in canonical form (host bits set)", VNET_LINK)
def cidr_canonical(topology, data):
    """A prefix with host bits set (10.0.0.1/16) is refused or rewritten by Azure, and a rewritten value shows
    as a change on every redeploy. Write the network address."""
    for text in cidr_fields(topology):
        network = loose_network(text)
        if network is None or str(network) == text:
            continue
        reason = "has host bits set" if parse_network(text) is None else "is not written the way Azure writes it"
        yield text.path, (f"{text!r} {reason}: its canonical form is {network}. Azure rejects or rewrites prefixes with host bits "
                          f"(and a redeploy then shows a diff), so write {network}")


# --- subnets and overlaps ------------------------------------------------------------------------------


@rule("ADDR003", "Subnet outside its VNet's address space", VNET_LINK)
def subnet_inside_vnet(topology, data):
    """A subnet must be carved out of its VNet's address space; Azure refuses the VNet otherwise."""
    for vnet in topology.vnets:
        spaces = [parse_network(p) for p in vnet.address_space]
        if None in spaces:
            continue  # ADDR001/ADDR002 report the unreadable address space; we cannot judge against it
        for subnet in vnet.subnets:
            network = subnet.network
            if network is not None and not any(network.subnet_of(space) for space in spaces):
                yield subnet.prefix.path, (
                    f"subnet '{subnet.name}' ({subnet.prefix}) is not inside the address space of {vnet.label} "
                    f"({', '.join(vnet.address_space)}): Azure only accepts subnets carved out of the VNet's address space. "
                    f"Move the subnet or add a prefix to addressSpace")


@rule("ADDR004", "Subnets of one VNet overlap", VNET_LINK)
def subnets_overlap(topology, data):
    """Subnets of one VNet must not overlap; Azure refuses the VNet otherwise."""
    for vnet in topology.vnets:
        seen = []
        for subnet in vnet.subnets:
            network = subnet.network
            if network is None:
                continue
            other = next((o for o in seen if network.overlaps(o.network)), None)
            if other:
                yield subnet.prefix.path, (
                    f"subnet '{subnet.name}' ({subnet.prefix}) overlaps subnet '{other.name}' ({other.prefix}) in {vnet.label}: "
                    f"Azure refuses overlapping subnets in one VNet. Give each subnet its own range")
            seen.append(subnet)


@rule("ADDR005", "Address spaces of the hub, branches, spokes and sites overlap", VNET_LINK)
def spaces_overlap(topology, data):
    """Every network joined through the hub (hub VNet, VNet branches, spokes, VPN sites, on-premises sites) needs its
    own addresses: Azure refuses overlapping VNet-to-VNet/site-to-site address spaces and peerings of overlapping VNets,
    an overlap that it accepts sends one side's traffic to the other, and a site prefix inside the hub would become a
    spoke UDR that sends the spokes' traffic for that part of the hub to the firewall instead of over the peering. On-premises
    sites may share prefixes: that is one network reached over several circuits (two peering locations), where the
    connection's routing weight picks the circuit (https://learn.microsoft.com/azure/expressroute/expressroute-optimize-routing)."""
    owners = topology.address_owners
    index = _PrefixIndex(owners)
    for b, owner in enumerate(owners[1:], start=1):
        for prefix in owner.address_prefixes:
            network = parse_network(prefix)
            if network is None or _is_default(network, owner):
                continue
            skip_hub = hits_gateway_subnet(topology, network)  # ADDR007 reports the more harmful half of this overlap
            both_on_premises = isinstance(owner, OnPremisesSite)  # one network over several circuits: routing weight decides
            found = index.first_overlap(network, b, lambda e: (e == 0 and skip_hub) or
                                        (both_on_premises and isinstance(owners[e], OnPremisesSite)))
            if found is not None:
                earlier, clash = owners[found[0]], found[1]
                yield prefix.path, (f"{prefix} of {owner.label} overlaps {clash} of {earlier.label}: every network joined "
                                    f"through the hub needs its own addresses: {_overlap_harm(topology, owner, earlier)}. "
                                    f"Renumber one side")


class _PrefixIndex:
    """Every owner's prefixes, to find what overlaps a network without comparing every pair (a spec of thousands of
    sites validates in seconds): two CIDR prefixes overlap when one holds the other, so the candidates are the
    network's supernets (one lookup per prefix length) and the prefixes inside it (one range of the sorted starts)."""

    def __init__(self, owners):
        import bisect

        self._bisect = bisect
        self.exact: dict = {}
        items = []
        for o, owner in enumerate(owners):
            for position, prefix in enumerate(owner.address_prefixes):
                n = parse_network(prefix)
                if n is None or _is_default(n, owner):
                    continue
                entry = (o, position, prefix)
                self.exact.setdefault(n, []).append(entry)
                items.append((int(n.network_address), int(n.broadcast_address), entry))
        items.sort(key=lambda item: item[0])
        self.starts = [item[0] for item in items]
        self.items = items

    def first_overlap(self, network, before: int, skip) -> tuple[int, object] | None:
        """(owner index, prefix) of the first owner before `before` (lowest index, then its first prefix) whose prefix
        overlaps `network`, leaving out the owners `skip` says."""
        candidates = []
        for length in range(network.prefixlen + 1):
            candidates += self.exact.get(network.supernet(new_prefix=length) if length < network.prefixlen else network, [])
        first, last = int(network.network_address), int(network.broadcast_address)
        low = self._bisect.bisect_left(self.starts, first)
        high = self._bisect.bisect_right(self.starts, last)
        candidates += [item[2] for item in self.items[low:high] if item[1] <= last]
        eligible = [c for c in candidates if c[0] < before and not skip(c[0])]
        if not eligible:
            return None
        owner, _, prefix = min(eligible, key=lambda c: (c[0], c[1]))
        return owner, prefix


def _overlap_harm(topology, owner, earlier) -> str:
    """What an overlap between two address owners breaks, for the message."""
    hub = topology.address_owners[0]
    if isinstance(owner, Spoke) and earlier is hub:
        return f"Azure refuses to peer VNets whose address spaces overlap ({PEERING_LINK})"
    if isinstance(owner, Spoke) or isinstance(earlier, Spoke):
        return "the hub's gateways would advertise both, and one of them would receive the other's traffic"
    harm = "Azure refuses the VNet-to-VNet/site-to-site connection or routes one of them to the wrong place"
    if earlier is hub and topology.spoke_route_tables:
        # Site and branch prefixes become spoke UDRs: for the part inside the hub, a hairpin through the firewall.
        harm += ("; and the spokes' route tables would send their traffic for that part of the hub to the firewall "
                 "instead of over the peering (a hairpin)")
    return harm


@rule("ADDR006", "0.0.0.0/0 would become a GatewaySubnet UDR", UDR_LINK)
def default_route_udr(topology, data):
    """Every on-premises and branch prefix becomes a GatewaySubnet UDR to the firewall; Azure does not support a
    default route on GatewaySubnet (it breaks the gateways)."""
    for prefix, owner in udr_prefixes(topology):
        network = parse_network(prefix)
        if network is None or network.prefixlen != 0:
            continue
        if isinstance(owner, OnPremisesSite):
            fix = ("If the site advertises a default route over ExpressRoute, remove 0.0.0.0/0 here and set "
                   "advertisesDefaultRoute: true on the site instead (the firewall subnet then keeps its own Internet path)")
        else:
            fix = ("List the site's own prefixes instead; a default route it announces over BGP needs no UDR "
                   "(advertisesDefaultRoute exists for onPremises sites)")
        yield prefix.path, (f"{prefix} of {owner.label} would become a 0.0.0.0/0 UDR on GatewaySubnet (firewall inspectTransit is on), "
                            f"and Azure does not support a default route on GatewaySubnet: it breaks the gateways. {fix}")


@rule("ADDR007", "GatewaySubnet UDR covers the GatewaySubnet range", UDR_LINK)
def udr_covers_gateway_subnet(topology, data):
    """A UDR on GatewaySubnet for a prefix that covers GatewaySubnet itself sends the gateways' own traffic to the
    firewall, which breaks them."""
    gateway = gateway_subnet_network(topology)
    if gateway is None:
        return
    for prefix, owner in udr_prefixes(topology):
        network = parse_network(prefix)
        if network is not None and hits_gateway_subnet(topology, network):
            yield prefix.path, (f"{prefix} of {owner.label} overlaps GatewaySubnet {gateway} and would become a UDR on GatewaySubnet itself: "
                                f"the gateways' own traffic would be sent to the firewall, which breaks them. "
                                f"Give the site its real prefixes, outside the hub")


@rule("ADDR008", "Prefixes of one address space overlap", VNET_LINK)
def prefixes_overlap_within_owner(topology, data):
    """A VNet's address prefixes must not overlap (Azure refuses it), and each site prefix becomes one route: list
    each range once."""
    for owner in topology.address_owners:
        seen = []
        for prefix in owner.address_prefixes:
            network = parse_network(prefix)
            if network is None or _is_default(network, owner):
                continue
            clash = next((text for text, n in seen if network.overlaps(n)), None)
            if clash:
                yield prefix.path, (f"{prefix} overlaps {clash}, listed earlier for {owner.label}: list each range once "
                                    f"(Azure refuses overlapping VNet address prefixes, and each site prefix becomes one route)")
            else:
                seen.append((prefix, network))


# --- special subnets ---------------------------------------------------------------------------------


def _special_subnet(vnet, name, largest, purpose, small_reason, running: str = ""):
    """Findings for a subnet that must exist with prefix length <= `largest`. `running`: what keeping a smaller one
    costs, when what lives there runs already (`existing`): Azure asks for the size when it creates it, and a subnet
    in use cannot be resized (InUseSubnetCannotBeUpdated), so the running one is a warning, not a refusal."""
    subnet = vnet.subnet(name)
    if subnet is None:
        yield f"{vnet.path}.subnets", (f"{vnet.label} has no subnet named {name}, needed by {purpose} (Azure requires exactly "
                                       f"that name). Add one of /{largest} or larger")
        return
    network = subnet.network
    if network is not None and network.prefixlen > largest:
        if running:
            yield subnet.prefix.path, f"{name} {subnet.prefix} is smaller than /{largest}, kept because {running}", WARNING
        else:
            yield subnet.prefix.path, f"{name} {subnet.prefix} is too small: {small_reason}"


@rule("SUBNET001", "Hub GatewaySubnet missing or smaller than /27", GATEWAY_SUBNET_LINK, creation=True)
def hub_gateway_subnet(topology, data):
    """The hub gateways live in a subnet named exactly GatewaySubnet, /27 or larger (an ExpressRoute gateway and a
    VPN gateway coexisting need it)."""
    hub = topology.hub
    kinds = [k for k, g in (("ExpressRoute", hub.expressroute_gateway), ("VPN", hub.vpn_gateway)) if g]
    if not kinds:
        return
    both = len(kinds) == 2
    purpose = "the ExpressRoute and VPN gateways" if both else f"the {kinds[0]} gateway"
    subnet = hub.vnet.subnet(GATEWAY_SUBNET)
    length = subnet.network.prefixlen if subnet and subnet.network else None
    if both:
        reason = "an ExpressRoute gateway and a VPN gateway share it here, which needs /27 or larger"
    else:
        reason = f"the {kinds[0]} gateway needs /27 or larger (room for its instances and a later coexisting gateway)"
    if length == 28:
        reason = f"a /28 is not enough; {reason}"
    running = [g for g in (hub.expressroute_gateway, hub.vpn_gateway) if g and g.existing]
    yield from _special_subnet(hub.vnet, GATEWAY_SUBNET, 27, purpose, reason, running=(
        f"{' and '.join(g.name for g in running)} run(s) in it and a subnet in use cannot be resized: what it costs is "
        f"room (a coexisting gateway, more circuits or scale units may not fit); growing it means deleting the gateways "
        f"first (new gateways, tunnels and circuits down for an hour or more)") if running and len(running) == len(kinds) else "")


@rule("SUBNET002", "RouteServerSubnet missing or smaller than /26", ROUTE_SERVER_LINK, creation=True)
def route_server_subnet(topology, data):
    """Route Server lives in a subnet named exactly RouteServerSubnet; current docs ask for /26 or larger when a Route
    Server is created (older docs said /27). A running Route Server in a /27 keeps it: a warning."""
    ars = topology.hub.route_server
    if ars is None:
        return
    yield from _special_subnet(
        topology.hub.vnet, ROUTE_SERVER_SUBNET, 26, "the Route Server",
        "current Route Server docs ask for /26 or larger (older docs said /27; take the safe side)",
        running=(f"Route Server {ars.name} runs in it (created when /27 was enough) and the subnet cannot change while it is "
                 f"in use: resizing means deleting the Route Server and creating it again, which takes the gateways down for "
                 f"about 10 minutes of a 30-60 minute operation and drops every BGP session it holds") if ars.existing else "")


@rule("SUBNET003", "AzureFirewallSubnet missing or smaller than /26", FIREWALL_LINK, creation=True)
def firewall_subnet(topology, data):
    """Azure Firewall lives in a subnet named exactly AzureFirewallSubnet, /26 so that it can scale out."""
    firewall = topology.hub.firewall
    if firewall is None:
        return
    yield from _special_subnet(topology.hub.vnet, FIREWALL_SUBNET, 26, "Azure Firewall",
                               "Azure Firewall needs /26 so that it can scale out",
                               running=(f"firewall {firewall.name} runs in it and the subnet cannot change while it is in use: "
                                        f"it may not scale out as far as a /26 lets it") if firewall.existing else "")


@rule("SUBNET004", "AzureFirewallManagementSubnet missing or smaller than /26", FIREWALL_LINK)
def firewall_management_subnet(topology, data):
    """The Basic tier and forced tunnelling send the firewall's management traffic through a subnet named exactly
    AzureFirewallManagementSubnet (/26 or larger) with its own public IP."""
    firewall = topology.hub.firewall
    if firewall is None or not firewall.needs_management_ip:
        return
    why = "the Basic tier" if firewall.tier == "Basic" else "forced tunnelling"
    yield from _special_subnet(
        topology.hub.vnet, FIREWALL_MANAGEMENT_SUBNET, 26,
        f"Azure Firewall with {why} (its management traffic uses that subnet and its own public IP)",
        "Azure Firewall's management subnet must be /26 or larger")


@rule("SUBNET005", "Branch VNet GatewaySubnet missing or smaller than /27", GATEWAY_SUBNET_LINK)
def branch_gateway_subnet(topology, data):
    """A VNet branch's VPN gateway lives in its GatewaySubnet, /27 or larger (Microsoft's recommended minimum)."""
    for branch in topology.vnet_branches:
        yield from _special_subnet(
            branch.vnet, GATEWAY_SUBNET, 27, "its VPN gateway",
            "the branch VPN gateway needs /27 or larger (Microsoft's recommended minimum)")


@rule("SUBNET006", "Subnet names must be unique in a VNet", VNET_LINK)
def subnet_names_unique(topology, data):
    """Subnets are child resources of their VNet keyed by name (case-insensitively)."""
    for vnet in topology.vnets:
        seen = set()
        for subnet in vnet.subnets:
            key = subnet.name.casefold()  # Azure resource names are case-insensitive
            if key in seen:
                yield subnet.name.path, (f"subnet name '{subnet.name}' appears twice in {vnet.label}: a VNet's "
                                         f"subnets are child resources keyed by name. Rename or merge one")
            seen.add(key)


# Each quoted in the rule's description; AzureFirewallManagementSubnet is left to Azure (Learn is silent on NSGs there).
NSG_REFUSED = {
    GATEWAY_SUBNET: ("NSGs on the gateway subnet aren't supported\" (VPN Gateway settings, #gwsub): the gateways may stop "
                     "working", GATEWAY_SUBNET_LINK),
    FIREWALL_SUBNET: ("Subnet level NSGs aren't required on the AzureFirewallSubnet, and are disabled\" (Azure Firewall FAQ)",
                      FIREWALL_LINK),
    ROUTE_SERVER_SUBNET: ("Azure Route Server doesn't support network security group association to the RouteServerSubnet\" "
                          "(Route Server FAQ)", ROUTE_SERVER_LINK),
    FIREWALL_MANAGEMENT_SUBNET: ("Azure Firewall's own NIC-level protection covers it (the management NIC page allows only a "
                                 "default route there; assumed for NSGs)", "https://learn.microsoft.com/azure/firewall/management-nic"),
}


@rule("SUBNET007", "Network security group on a subnet that does not take one", GATEWAY_SUBNET_LINK)
def nsg_on_special_subnet(topology, data):
    """GatewaySubnet, AzureFirewallSubnet and RouteServerSubnet refuse a network security group: "NSGs on the gateway
    subnet aren't supported" (VPN Gateway settings), "Subnet level NSGs ... are disabled" on AzureFirewallSubnet
    (Azure Firewall FAQ), "Azure Route Server doesn't support network security group association to the
    RouteServerSubnet" (Route Server FAQ). AzureFirewallManagementSubnet is treated the same (assumed: Learn only
    limits its routes)."""
    for subnet in topology.each(Subnet):
        if subnet.nsg_id is not None and subnet.name in SPECIAL_SUBNETS:
            why, link = NSG_REFUSED[str(subnet.name)]
            yield subnet.nsg_id.path, (f"{subnet.name} takes no network security group: \"{why}. Remove "
                                       f"networkSecurityGroupId here ({link})")


@rule("ADDR009", "An advertised prefix would skip the firewall", UDR_LINK, severity=WARNING)
def advertised_prefix_bypasses_udr(topology, data):
    """Azure picks the longest matching prefix before it compares a UDR with a BGP route. A site that advertises a
    prefix more specific than the UDR covering it (or one no UDR covers) sends that traffic gateway to gateway, past
    the firewall one way, and the stateful firewall drops the replies. The UDRs come from `addressPrefixes`; each
    site must advertise exactly those (`advertisedPrefixes` says what it really does)."""
    if not topology.inspects_transit:
        return
    udrs = [n for n in (parse_network(r.address_prefix) for r in topology.gateway_subnet_routes) if n is not None]
    for owner in topology.on_premises + topology.site_branches:
        for prefix in owner.advertised:
            network = parse_network(prefix)
            if network is None:
                continue
            covering = [u for u in udrs if network.subnet_of(u)]
            if network in covering:
                continue
            if covering:
                widest = max(covering, key=lambda u: u.prefixlen)
                yield prefix.path, (
                    f"{prefix}, advertised by {owner.label}, is more specific than the UDR for {widest}: Azure takes the longest "
                    f"prefix first, so traffic to {prefix} leaves GatewaySubnet by BGP and skips the firewall one way. Advertise "
                    f"{widest} only, or list {prefix} in addressPrefixes")
            else:
                yield prefix.path, (
                    f"{prefix}, advertised by {owner.label}, is covered by no GatewaySubnet UDR: traffic to it goes gateway to "
                    f"gateway, not through the firewall. List it in addressPrefixes or stop advertising it")
