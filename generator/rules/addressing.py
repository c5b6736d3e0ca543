"""Rules: addressing (ADDR) and the special subnets Azure requires (SUBNET).

Every CIDR is checked for syntax once (ADDR001/ADDR002); all other rules use
`parse_network` and silently skip a prefix it cannot read, so one typo gives
one finding.
"""

from __future__ import annotations

import ipaddress

from ..model import (
    FIREWALL_MANAGEMENT_SUBNET,
    FIREWALL_SUBNET,
    GATEWAY_SUBNET,
    ROUTE_SERVER_SUBNET,
    parse_network,
)
from . import rule

VNET_LINK = "https://learn.microsoft.com/azure/virtual-network/virtual-networks-faq"
UDR_LINK = "https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview"
GATEWAY_SUBNET_LINK = "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-about-vpn-gateway-settings#gwsub"
ROUTE_SERVER_LINK = "https://learn.microsoft.com/azure/route-server/route-server-faq"
FIREWALL_LINK = "https://learn.microsoft.com/azure/firewall/firewall-faq"


# --- shared helpers (the other families import these) ----------------------------------------------


def vnets(topology):
    """Every VNet: (spec path, VirtualNetwork, label). Branch indexes are the spec's (build keeps the order)."""
    yield "hub.vnet", topology.hub.vnet, f"hub VNet '{topology.hub.vnet.name}'"
    for i, branch in enumerate(topology.branches):
        if branch.kind == "vnet":
            yield f"branches[{i}].vnet", branch.vnet, f"branch '{branch.name}' (VNet '{branch.vnet.name}')"


def address_owners(topology):
    """Everything that owns addresses joined through the hub: (label, is_azure_vnet, [(path, prefix text)])."""
    owners = [(f"hub VNet '{topology.hub.vnet.name}'", True,
               [(f"hub.vnet.addressSpace[{j}]", p) for j, p in enumerate(topology.hub.vnet.address_space)])]
    for i, branch in enumerate(topology.branches):
        if branch.kind == "vnet":
            entries = [(f"branches[{i}].vnet.addressSpace[{j}]", p) for j, p in enumerate(branch.vnet.address_space)]
            owners.append((f"branch '{branch.name}'", True, entries))
        else:
            entries = [(f"branches[{i}].addressPrefixes[{j}]", p) for j, p in enumerate(branch.address_prefixes)]
            owners.append((f"site '{branch.name}'", False, entries))
    for i, site in enumerate(topology.on_premises):
        entries = [(f"onPremises[{i}].addressPrefixes[{j}]", p) for j, p in enumerate(site.address_prefixes)]
        owners.append((f"on-premises site '{site.name}'", False, entries))
    return owners


def cidr_fields(topology):
    """(path, text) of every CIDR field of the spec."""
    for _, _, entries in address_owners(topology):
        yield from entries
    for path, vnet, _ in vnets(topology):
        for j, subnet in enumerate(vnet.subnets):
            yield f"{path}.subnets[{j}].prefix", subnet.prefix


def loose_network(text: str):
    """The IPv4 prefix as typed, host bits allowed; None when it is no IPv4 CIDR at all."""
    if "/" not in text:
        return None
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    return network if isinstance(network, ipaddress.IPv4Network) else None


def find_subnet(vnet, name):
    """(index, Subnet) of the first subnet called `name`, or (None, None)."""
    for j, subnet in enumerate(vnet.subnets):
        if subnet.name == name:
            return j, subnet
    return None, None


def gateway_subnet_network(topology):
    _, subnet = find_subnet(topology.hub.vnet, GATEWAY_SUBNET)
    return subnet.network if subnet else None


def udr_prefixes(topology):
    """Prefixes that become GatewaySubnet UDRs to the firewall: (path, text, owner label), when transit is inspected."""
    if not topology.inspects_transit:
        return
    for label, _, entries in address_owners(topology)[1:]:  # everything but the hub itself
        for path, text in entries:
            yield path, text, label


def _hits_gateway_subnet(topology, network) -> bool:
    """A non-default UDR prefix that overlaps GatewaySubnet (ADDR007's case)."""
    gateway = gateway_subnet_network(topology)
    return bool(topology.inspects_transit and gateway and network.prefixlen > 0 and network.overlaps(gateway))


# --- CIDR syntax ------------------------------------------------------------------------------------


@rule("ADDR001", "Address prefix is not IPv4 CIDR notation", VNET_LINK)
def cidr_syntax(topology, data):
    for path, text in cidr_fields(topology):
        if loose_network(text) is not None:
            continue
        try:
            address = ipaddress.ip_interface(text) if "/" in text else ipaddress.ip_address(text)
        except ValueError:
            address = None
        if address is not None and address.version == 6:
            yield path, f"{text!r} is an IPv6 prefix; this generator handles IPv4 only: give an IPv4 prefix such as 10.0.0.0/16"
        elif address is not None:
            yield path, f"{text!r} has no prefix length: write {text}/32 for a single address, or the network's prefix such as 10.0.0.0/16"
        else:
            yield path, f"{text!r} is not an IPv4 prefix in CIDR notation (a.b.c.d/n, n from 0 to 32), for example 10.0.0.0/16"


@rule("ADDR002", "Address prefix is not in canonical form (host bits set)", VNET_LINK)
def cidr_canonical(topology, data):
    for path, text in cidr_fields(topology):
        network = loose_network(text)
        if network is None or str(network) == text:
            continue
        if parse_network(text) is None:
            reason = "has host bits set"
        else:
            reason = "is not written the way Azure writes it"
        yield path, (f"{text!r} {reason}: its canonical form is {network}. Azure rejects or rewrites prefixes with host bits "
                     f"(and a redeploy then shows a diff), so write {network}")


# --- subnets and overlaps ------------------------------------------------------------------------------


@rule("ADDR003", "Subnet outside its VNet's address space", VNET_LINK)
def subnet_inside_vnet(topology, data):
    for path, vnet, label in vnets(topology):
        spaces = [parse_network(p) for p in vnet.address_space]
        if None in spaces:
            continue  # ADDR001/ADDR002 report the unreadable address space; we cannot judge against it
        for j, subnet in enumerate(vnet.subnets):
            network = subnet.network
            if network is not None and not any(network.subnet_of(space) for space in spaces):
                yield f"{path}.subnets[{j}].prefix", (
                    f"subnet '{subnet.name}' ({subnet.prefix}) is not inside the address space of {label} "
                    f"({', '.join(vnet.address_space)}): Azure only accepts subnets carved out of the VNet's address space. "
                    f"Move the subnet or add a prefix to addressSpace")


@rule("ADDR004", "Subnets of one VNet overlap", VNET_LINK)
def subnets_overlap(topology, data):
    for path, vnet, label in vnets(topology):
        seen = []
        for j, subnet in enumerate(vnet.subnets):
            network = subnet.network
            if network is None:
                continue
            for other in seen:
                if network.overlaps(other.network):
                    yield f"{path}.subnets[{j}].prefix", (
                        f"subnet '{subnet.name}' ({subnet.prefix}) overlaps subnet '{other.name}' ({other.prefix}) in {label}: "
                        f"Azure refuses overlapping subnets in one VNet. Give each subnet its own range")
                    break
            seen.append(subnet)


@rule("ADDR005", "Address spaces of the hub, branches and sites overlap", VNET_LINK)
def spaces_overlap(topology, data):
    owners = address_owners(topology)
    for b in range(1, len(owners)):
        b_label, b_is_vnet, b_entries = owners[b]
        for b_path, b_text in b_entries:
            b_net = parse_network(b_text)
            # A default route covers everything by definition: ADDR006 says what to do with it.
            if b_net is None or (b_net.prefixlen == 0 and not b_is_vnet):
                continue
            for a in range(b):
                a_label, a_is_vnet, a_entries = owners[a]
                clash = None
                for _, a_text in a_entries:
                    a_net = parse_network(a_text)
                    if a_net is None or (a_net.prefixlen == 0 and not a_is_vnet):
                        continue
                    if a == 0 and _hits_gateway_subnet(topology, b_net):
                        continue  # ADDR007 reports the more harmful half of this overlap
                    if b_net.overlaps(a_net):
                        clash = a_text
                        break
                if clash:
                    yield b_path, (
                        f"{b_text} of {b_label} overlaps {clash} of {a_label}: every network joined through the hub needs "
                        f"its own addresses, otherwise Azure refuses the VNet-to-VNet/site-to-site connection or routes "
                        f"one of them to the wrong place. Renumber one side")
                    break


@rule("ADDR006", "0.0.0.0/0 would become a GatewaySubnet UDR", UDR_LINK)
def default_route_udr(topology, data):
    for path, text, label in udr_prefixes(topology):
        network = parse_network(text)
        if network is None or network.prefixlen != 0:
            continue
        if path.startswith("onPremises"):
            fix = ("If the site advertises a default route over ExpressRoute, remove 0.0.0.0/0 here and set "
                   "advertisesDefaultRoute: true on the site instead (the firewall subnet then keeps its own Internet path)")
        else:
            fix = ("List the site's own prefixes instead; a default route it announces over BGP needs no UDR "
                   "(advertisesDefaultRoute exists for onPremises sites)")
        yield path, (f"{text} of {label} would become a 0.0.0.0/0 UDR on GatewaySubnet (firewall inspectTransit is on), "
                     f"and Azure does not support a default route on GatewaySubnet: it breaks the gateways. {fix}")


@rule("ADDR007", "GatewaySubnet UDR covers the GatewaySubnet range", UDR_LINK)
def udr_covers_gateway_subnet(topology, data):
    gateway = gateway_subnet_network(topology)
    if gateway is None:
        return
    for path, text, label in udr_prefixes(topology):
        network = parse_network(text)
        if network is not None and _hits_gateway_subnet(topology, network):
            yield path, (f"{text} of {label} overlaps GatewaySubnet {gateway} and would become a UDR on GatewaySubnet itself: "
                         f"the gateways' own traffic would be sent to the firewall, which breaks them. "
                         f"Give the site its real prefixes, outside the hub")


@rule("ADDR008", "Prefixes of one address space overlap", VNET_LINK)
def prefixes_overlap_within_owner(topology, data):
    for label, is_vnet, entries in address_owners(topology):
        seen = []
        for path, text in entries:
            network = parse_network(text)
            if network is None or (network.prefixlen == 0 and not is_vnet):
                continue
            clash = next((t for t, n in seen if network.overlaps(n)), None)
            if clash:
                yield path, (f"{text} overlaps {clash}, listed earlier for {label}: list each range once "
                             f"(Azure refuses overlapping VNet address prefixes, and each site prefix becomes one route)")
            else:
                seen.append((text, network))


# --- special subnets ---------------------------------------------------------------------------------


def _special_subnet(path, vnet, label, name, largest, purpose, small_reason):
    """Findings for a subnet that must exist with prefix length <= `largest`."""
    j, subnet = find_subnet(vnet, name)
    if subnet is None:
        yield f"{path}.subnets", (f"{label} has no subnet named {name}, needed by {purpose} (Azure requires exactly "
                                  f"that name). Add one of /{largest} or larger")
        return
    network = subnet.network
    if network is not None and network.prefixlen > largest:
        yield f"{path}.subnets[{j}].prefix", f"{name} {subnet.prefix} is too small: {small_reason}"


@rule("SUBNET001", "Hub GatewaySubnet missing or smaller than /27", GATEWAY_SUBNET_LINK)
def hub_gateway_subnet(topology, data):
    hub = topology.hub
    kinds = [k for k, g in (("ExpressRoute", hub.expressroute_gateway), ("VPN", hub.vpn_gateway)) if g]
    if not kinds:
        return
    both = len(kinds) == 2
    purpose = "the ExpressRoute and VPN gateways" if both else f"the {kinds[0]} gateway"
    _, subnet = find_subnet(hub.vnet, GATEWAY_SUBNET)
    length = subnet.network.prefixlen if subnet and subnet.network else None
    if both:
        reason = "an ExpressRoute gateway and a VPN gateway share it here, which needs /27 or larger"
    else:
        reason = f"the {kinds[0]} gateway needs /27 or larger (room for its instances and a later coexisting gateway)"
    if length == 28:
        reason = f"a /28 is not enough; {reason}"
    yield from _special_subnet("hub.vnet", hub.vnet, f"hub VNet '{hub.vnet.name}'", GATEWAY_SUBNET, 27, purpose, reason)


@rule("SUBNET002", "RouteServerSubnet missing or smaller than /26", ROUTE_SERVER_LINK)
def route_server_subnet(topology, data):
    if topology.hub.route_server is None:
        return
    vnet = topology.hub.vnet
    yield from _special_subnet(
        "hub.vnet", vnet, f"hub VNet '{vnet.name}'", ROUTE_SERVER_SUBNET, 26, "the Route Server",
        "current Route Server docs ask for /26 or larger (older docs said /27; take the safe side)")


@rule("SUBNET003", "AzureFirewallSubnet missing or smaller than /26", FIREWALL_LINK)
def firewall_subnet(topology, data):
    if topology.hub.firewall is None:
        return
    vnet = topology.hub.vnet
    yield from _special_subnet(
        "hub.vnet", vnet, f"hub VNet '{vnet.name}'", FIREWALL_SUBNET, 26, "Azure Firewall",
        "Azure Firewall needs /26 so that it can scale out")


@rule("SUBNET004", "AzureFirewallManagementSubnet missing or smaller than /26", FIREWALL_LINK)
def firewall_management_subnet(topology, data):
    firewall = topology.hub.firewall
    if firewall is None or not firewall.needs_management_ip:
        return
    why = "the Basic tier" if firewall.tier == "Basic" else "forced tunnelling"
    vnet = topology.hub.vnet
    yield from _special_subnet(
        "hub.vnet", vnet, f"hub VNet '{vnet.name}'", FIREWALL_MANAGEMENT_SUBNET, 26,
        f"Azure Firewall with {why} (its management traffic uses that subnet and its own public IP)",
        "Azure Firewall's management subnet must be /26 or larger")


@rule("SUBNET005", "Branch VNet GatewaySubnet missing or smaller than /27", GATEWAY_SUBNET_LINK)
def branch_gateway_subnet(topology, data):
    for path, vnet, label in vnets(topology):
        if path == "hub.vnet":
            continue
        yield from _special_subnet(
            path, vnet, label, GATEWAY_SUBNET, 27, "its VPN gateway",
            "the branch VPN gateway needs /27 or larger (Microsoft's recommended minimum)")


@rule("SUBNET006", "Subnet names must be unique in a VNet", VNET_LINK)
def subnet_names_unique(topology, data):
    for path, vnet, label in vnets(topology):
        seen = set()
        for j, subnet in enumerate(vnet.subnets):
            key = subnet.name.casefold()  # Azure resource names are case-insensitive
            if key in seen:
                yield f"{path}.subnets[{j}].name", (f"subnet name '{subnet.name}' appears twice in {label}: a VNet's "
                                                    f"subnets are child resources keyed by name. Rename or merge one")
            seen.add(key)
