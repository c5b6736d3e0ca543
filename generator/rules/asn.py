"""Rules: BGP autonomous system numbers (ASN).

Each ASN has one rule that says it is unusable (reserved, or not 65515 where
Route Server needs it); the uniqueness rules skip such ASNs so that one bad
value gives one finding.
"""

from __future__ import annotations

from ..findings import WARNING
from ..model import ROUTE_SERVER_ASN
from . import rule

BGP_LINK = "https://learn.microsoft.com/azure/vpn-gateway/bgp-overview"
ROUTE_SERVER_LINK = "https://learn.microsoft.com/azure/route-server/route-server-faq"

# Refused by Azure for VPN peers: Azure's own (8074, 8075, 12076, 65515, 65517-65520) and IANA's reserved ones.
RESERVED_ASNS = frozenset(
    [8074, 8075, 12076, 65515, 65517, 65518, 65519, 65520, 23456, 4294967295]
    + list(range(64496, 64512))
    + list(range(65535, 65552))
)
PRIVATE_HINT = "use a private ASN from 64512-65514 or 65521-65534"


def is_reserved(asn: int) -> bool:
    return asn in RESERVED_ASNS


def _reserved_reason(asn: int) -> str:
    if asn in (8074, 8075, 12076) or 65515 <= asn <= 65520:
        return "reserved by Azure"
    return "reserved by IANA"


def _hub_asn_is_usable(topology) -> bool:
    """The hub VPN gateway's ASN, when no other rule already refuses it."""
    gateway = topology.hub.vpn_gateway
    if gateway is None:
        return False
    if topology.hub.route_server is not None:
        return gateway.asn == ROUTE_SERVER_ASN
    return gateway.asn == ROUTE_SERVER_ASN or not is_reserved(gateway.asn)


@rule("ASN001", "Hub VPN gateway ASN must be 65515 with a Route Server", ROUTE_SERVER_LINK)
def hub_asn_with_route_server(topology, data):
    """Route Server exchanges routes with the VPN gateway only when the gateway uses Azure's ASN 65515 (the seed
    needed it too)."""
    gateway = topology.hub.vpn_gateway
    if gateway is None or topology.hub.route_server is None or gateway.asn == ROUTE_SERVER_ASN:
        return
    yield f"{gateway.path}.asn", (
        f"hub VPN gateway ASN is {gateway.asn}; with a Route Server in the hub it must be 65515: Route Server "
        f"exchanges routes with the VPN gateway only when the gateway uses Azure's ASN 65515 (the seed needed it too)")


@rule("ASN002", "VPN gateway uses a reserved ASN", BGP_LINK)
def gateway_asn_reserved(topology, data):
    """Azure and IANA reserve some ASNs (Azure: 8074, 8075, 12076, 65515, 65517-65520); a branch gateway needs a
    private ASN of its own."""
    hub = topology.hub.vpn_gateway
    # The hub may (and with a Route Server must) use 65515; ASN001 covers the Route Server case.
    if hub and topology.hub.route_server is None and hub.asn != ROUTE_SERVER_ASN and is_reserved(hub.asn):
        yield f"{hub.path}.asn", f"hub VPN gateway ASN {hub.asn} is {_reserved_reason(hub.asn)}: {PRIVATE_HINT}, or 65515"
    for branch in topology.vnet_branches:
        if not is_reserved(branch.vpn_gateway.asn):
            continue
        asn = branch.vpn_gateway.asn
        if asn == ROUTE_SERVER_ASN:
            why = ("65515 is the hub side's ASN (Route Server and the hub VPN gateway), and the VNet-to-VNet BGP "
                   "session needs two different ASNs")
        else:
            why = f"{asn} is {_reserved_reason(asn)}"
        yield f"{branch.vpn_gateway.path}.asn", f"branch '{branch.name}' VPN gateway ASN {asn}: {why}; {PRIVATE_HINT}"


@rule("ASN003", "Branch VPN gateway ASNs must differ from each other and from the hub's", BGP_LINK)
def gateway_asns_distinct(topology, data):
    """The BGP session between two gateways needs two ASNs, and BGP drops routes whose AS path holds its own ASN:
    every VPN gateway needs its own."""
    owners = {}
    if _hub_asn_is_usable(topology):
        owners[topology.hub.vpn_gateway.asn] = "the hub VPN gateway"
    for branch in topology.vnet_branches:
        if is_reserved(branch.vpn_gateway.asn):
            continue  # ASN002 reports reserved ones
        asn = branch.vpn_gateway.asn
        if asn in owners:
            yield f"{branch.vpn_gateway.path}.asn", (
                f"branch '{branch.name}' VPN gateway ASN {asn} is already used by {owners[asn]}: the BGP session between "
                f"two gateways needs different ASNs, and BGP drops routes whose AS path holds its own ASN, so they would "
                f"never learn each other's prefixes. {PRIVATE_HINT[0].upper() + PRIVATE_HINT[1:]}")
        else:
            owners[asn] = f"branch '{branch.name}'"


def _bgp_devices(topology):
    """(site, device) of every site VPN device that runs BGP."""
    return [(site, device) for site, device in topology.site_devices if device.bgp]


@rule("ASN004", "Site BGP ASN is reserved", BGP_LINK)
def site_asn_reserved(topology, data):
    """Azure refuses a reserved ASN for a VPN device; 65515 in particular (why the seed's VNet branch needed
    VNet-to-VNet instead of a Local Network Gateway)."""
    for branch, device in _bgp_devices(topology):
        if not is_reserved(device.bgp_asn):
            continue
        asn = device.bgp_asn
        if asn == ROUTE_SERVER_ASN:
            message = (f"site '{branch.name}' uses ASN 65515, which a Local Network Gateway cannot take (Azure keeps it for "
                       f"its own gateways and Route Server). If this branch is an Azure VNet with its own VPN gateway, model "
                       f"it as kind: \"vnet\" (VNet-to-VNet with BGP), as the seed had to; otherwise {PRIVATE_HINT}")
        else:
            message = (f"site '{branch.name}' ASN {asn} is {_reserved_reason(asn)} and Azure refuses it for a VPN device; "
                       f"{PRIVATE_HINT}")
        yield f"{device.path}.bgp.asn", message


@rule("ASN005", "Site BGP ASN equals an Azure gateway's ASN", BGP_LINK)
def site_asn_vs_gateways(topology, data):
    """eBGP needs different ASNs on both ends, and a router drops routes that already carry its own ASN."""
    gateways = {}
    if _hub_asn_is_usable(topology):
        gateways[topology.hub.vpn_gateway.asn] = "the hub VPN gateway"
    for branch in topology.vnet_branches:
        gateways.setdefault(branch.vpn_gateway.asn, f"the VPN gateway of branch '{branch.name}'")
    for branch, device in _bgp_devices(topology):
        if not is_reserved(device.bgp_asn) and device.bgp_asn in gateways:
            yield f"{device.path}.bgp.asn", (
                f"site '{branch.name}' ASN {device.bgp_asn} is also the ASN of {gateways[device.bgp_asn]}: eBGP needs "
                f"different ASNs on both ends, and a router drops routes that already carry its own ASN, so these "
                f"networks could not reach each other. {PRIVATE_HINT[0].upper() + PRIVATE_HINT[1:]}")


@rule("ASN006", "Two sites share a BGP ASN", BGP_LINK, severity=WARNING)
def site_asns_distinct(topology, data):
    """Two sites with one ASN drop each other's routes (their own ASN is in the AS path) unless the devices allow
    it (allowas-in)."""
    seen = {}
    for branch, device in _bgp_devices(topology):
        asn = device.bgp_asn
        if is_reserved(asn):
            continue
        if asn in seen and seen[asn] != branch.name:  # the devices of one site may share its ASN
            yield f"{device.path}.bgp.asn", (
                f"sites '{seen[asn]}' and '{branch.name}' both use ASN {asn}: each drops the other's "
                f"routes (its own ASN is in the AS path) unless the devices allow it (allowas-in). Give each site its own "
                f"ASN unless that is intended")
        else:
            seen.setdefault(asn, branch.name)
