"""Rules: ExpressRoute and VPN gateways, their SKUs and limits, the region, and the site VPN devices (GW)."""

from __future__ import annotations

import difflib
import ipaddress
import re

from ..findings import WARNING
from ..regions import NO_ZONE_REGIONS, ZONE_REGIONS
from ..model import APIPA_AZURE_RANGE, GATEWAY_SUBNET, GENERATION1_ONLY, GENERATION2_ONLY
from . import rule

VPN_LINK = "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-about-vpn-gateway-settings"
ER_LINK = "https://learn.microsoft.com/azure/expressroute/expressroute-about-virtual-network-gateways"
BGP_LINK = "https://learn.microsoft.com/azure/vpn-gateway/bgp-overview"
LIMITS_LINK = "https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits"
REGIONS_LINK = "https://learn.microsoft.com/azure/reliability/regions-list"
LNG_LINK = "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-about-vpn-gateway-settings#lng"
FASTPATH_LINK = "https://learn.microsoft.com/azure/expressroute/about-fastpath"
LINK_LINK = "https://learn.microsoft.com/azure/expressroute/expressroute-howto-linkvnet-arm"
BGP_FAQ_LINK = "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-vpn-faq#bgp"
# Read 2026-12-02: "configure a custom Azure APIPA BGP address in the range 169.254.21.0 through 169.254.22.255";
# "When you use APIPA addresses, Azure VPN Gateway doesn't initiate the BGP peering session".
CONFIGURE_BGP_LINK = "https://learn.microsoft.com/azure/vpn-gateway/bgp-howto"
# "create one local network gateway for each VPN device, and one connection ... to each"; unique public IPs and
# BGP peer IPs; "BGP is required for this configuration".
HA_LINK = "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-highlyavailable"

# Legacy SKUs Azure no longer creates, and their AZ replacement.
AZ_REPLACEMENT = {
    "Standard": "ErGw1AZ", "HighPerformance": "ErGw2AZ", "UltraPerformance": "ErGw3AZ",
    "VpnGw1": "VpnGw1AZ", "VpnGw2": "VpnGw2AZ", "VpnGw3": "VpnGw3AZ", "VpnGw4": "VpnGw4AZ", "VpnGw5": "VpnGw5AZ",
}
# S2S + VNet-to-VNet tunnels per VPN gateway, and circuits per ExpressRoute gateway.
MAX_TUNNELS = {"Basic": 10, "VpnGw1": 30, "VpnGw2": 30, "VpnGw3": 30, "VpnGw4": 100, "VpnGw5": 100,
               "VpnGw1AZ": 30, "VpnGw2AZ": 30, "VpnGw3AZ": 30, "VpnGw4AZ": 100, "VpnGw5AZ": 100}
MAX_CIRCUITS = {"ErGw1AZ": 4, "ErGw2AZ": 8, "ErGw3AZ": 16, "Standard": 4, "HighPerformance": 8, "UltraPerformance": 16}

DNS_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
# RFC 5737 documentation ranges: not routable, but Azure accepts them and examples and labs use them.
DOCUMENTATION_NETWORKS = tuple(ipaddress.IPv4Network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"))


def _all_gateways(topology):
    """The hub ExpressRoute gateway, then every VPN gateway (hub first, then the branches')."""
    if topology.hub.expressroute_gateway:
        yield topology.hub.expressroute_gateway
    yield from topology.vpn_gateways


def _ipv4(text):
    try:
        return ipaddress.IPv4Address(text)
    except ValueError:
        return None


@rule("GW001", "ExpressRoute gateway required for on-premises sites", ER_LINK)
def expressroute_gateway_required(topology, data):
    """ExpressRoute circuits connect to a VNet only through an ExpressRoute gateway."""
    if topology.on_premises and topology.hub.expressroute_gateway is None:
        yield "hub", (f"onPremises lists {len(topology.on_premises)} site(s) but the hub has no expressRouteGateway: "
                      f"ExpressRoute circuits connect to a VNet only through one. Add hub.expressRouteGateway (e.g. ErGw1AZ)")


@rule("GW002", "Hub VPN gateway required for branches", VPN_LINK)
def vpn_gateway_required(topology, data):
    """Every branch connects to the hub VPN gateway."""
    if topology.branches and topology.hub.vpn_gateway is None:
        yield "hub", (f"branches lists {len(topology.branches)} branch(es) but the hub has no vpnGateway: every branch "
                      f"connects to the hub VPN gateway. Add hub.vpnGateway (e.g. VpnGw1AZ, ASN 65515)")


# "Upgrade a VPN Gateway SKU" (2026) and the SKU consolidation FAQ: Generation1 -> Generation1 AZ is an upgrade,
# public IPs kept ("from VpnGw1 to VpnGw1AZ, there's no downtime"); Microsoft migrates non-AZ gateways itself.
SKU_UPGRADE_LINK = "https://learn.microsoft.com/azure/vpn-gateway/gateway-sku-upgrade"
CONSOLIDATION_LINK = "https://learn.microsoft.com/azure/vpn-gateway/gateway-sku-consolidation"
ER_MIGRATION_LINK = "https://learn.microsoft.com/azure/expressroute/expressroute-howto-gateway-migration-portal"


@rule("GW003", "Gateway SKU is a legacy non-AZ SKU", VPN_LINK, creation=True)
def legacy_sku(topology, data):
    """Azure no longer creates the non-zone-redundant gateway SKUs; each has an AZ replacement. A gateway that runs
    with one (`existing`) is kept: a warning with what it costs and how it moves."""
    for gateway in _all_gateways(topology):
        if gateway.sku not in AZ_REPLACEMENT:
            continue
        target = AZ_REPLACEMENT[gateway.sku]
        if not gateway.existing:
            yield gateway.sku.path, (f"{gateway.label} SKU {gateway.sku} is a non-zone-redundant SKU that Azure no longer lets you "
                                     f"create: use the AZ SKU, {gateway.sku} -> {target}")
        elif gateway.sku.startswith("VpnGw"):
            yield gateway.sku.path, (
                f"{gateway.label} runs as {gateway.sku}, a non-AZ SKU: Azure refuses every change to such a gateway since "
                f"the SKU consolidation (\"Existing VPN gateways not supported by an availability zone will no longer allow "
                f"configuration changes\": {CONSOLIDATION_LINK}), so gen reads it and does not write it; what the spec says "
                f"of it (ASN, active-active, APIPA addresses) must be what runs. It costs zone redundancy (any zone's outage "
                f"may take it down: gen resilience). Migrate it: {gateway.sku} -> {target} is an in-place upgrade that keeps "
                f"the public IPs and has no downtime in the same family ({SKU_UPGRADE_LINK}: \"from VpnGw1 to VpnGw1AZ, "
                f"there's no downtime\"); then set sku: {target}, and gen writes it again"), WARNING
        else:
            yield gateway.sku.path, (
                f"{gateway.label} runs as {gateway.sku}, a legacy SKU Azure no longer creates: kept as it runs. It costs zone "
                f"redundancy. Moving to {target} is the gateway migration procedure (a new gateway beside it, about 30 s "
                f"of interruption: {ER_MIGRATION_LINK}), not a redeploy"), WARNING


@rule("GW004", "Basic VPN SKU has no BGP", BGP_LINK)
def basic_sku(topology, data):
    """The Basic VPN SKU has no BGP, no active-active and no zones: none of the connections here can use it."""
    for gateway in topology.vpn_gateways:
        if gateway.sku == "Basic":
            yield gateway.sku.path, (f"{gateway.label} SKU Basic does not support BGP, which every connection here needs (Route Server, "
                                  f"VNet-to-VNet and site-to-site with BGP), nor active-active or zones: use VpnGw1AZ")


@rule("GW005", "Too many connections for the hub VPN gateway SKU", LIMITS_LINK)
def tunnel_count(topology, data):
    """Each VNet branch and each site's VPN device is one connection on the hub VPN gateway ("Each connection is
    counted against the maximum number of tunnels"): 30 on VpnGw1AZ-3AZ, 100 on VpnGw4AZ/5AZ."""
    gateway = topology.hub.vpn_gateway
    if gateway is None:
        return
    limit = MAX_TUNNELS.get(gateway.sku)
    connections = len(topology.vnet_branches) + len(topology.site_devices)
    if limit is not None and connections > limit:
        bigger = "VpnGw4AZ (100 tunnels)" if limit < 100 else "Virtual WAN"
        yield "branches", (f"{connections} connections (one per VNet branch and per site VPN device) need one tunnel each on "
                           f"the hub VPN gateway, but {gateway.sku} allows at most {limit} site-to-site/VNet-to-VNet "
                           f"tunnels: use {bigger}")


@rule("GW006", "Too many ExpressRoute circuits for the gateway SKU", ER_LINK)
def circuit_count(topology, data):
    """Each on-premises site is one circuit connection on the ExpressRoute gateway: 4 on ErGw1AZ, 8 on ErGw2AZ, 16
    on ErGw3AZ."""
    gateway = topology.hub.expressroute_gateway
    if gateway is None:
        return
    limit = MAX_CIRCUITS.get(gateway.sku)
    if limit is not None and len(topology.on_premises) > limit:
        bigger = {4: "ErGw2AZ (8) or ErGw3AZ (16)", 8: "ErGw3AZ (16)"}.get(limit, "fewer circuits per gateway")
        yield "onPremises", (f"{len(topology.on_premises)} on-premises sites need one circuit connection each, but "
                             f"{gateway.sku} accepts at most {limit}: use {bigger}")


@rule("GW007", "More than 8 ExpressRoute circuits need a /26 GatewaySubnet", ER_LINK)
def circuits_need_big_gateway_subnet(topology, data):
    """Connecting more than 8 circuits (up to 16 on ErGw3AZ) needs a GatewaySubnet of /26 or larger."""
    if topology.hub.expressroute_gateway is None or len(topology.on_premises) <= 8:
        return
    subnet = topology.hub.vnet.subnet(GATEWAY_SUBNET)
    network = subnet.network if subnet else None
    if network is not None and network.prefixlen > 26:
        yield subnet.prefix.path, (
            f"GatewaySubnet {subnet.prefix} is too small for {len(topology.on_premises)} ExpressRoute circuits: connecting "
            f"more than 8 (up to 16 on ErGw3AZ) needs a GatewaySubnet of /26 or larger")


def _locations(topology):
    """(spec path, region) of the spec and of every VNet branch in a region of its own."""
    yield "location", topology.location
    for branch in topology.vnet_branches:
        if branch.location:
            yield branch.location.path, str(branch.location)


@rule("GW008", "Location is not a known Azure region", REGIONS_LINK)
def known_region(topology, data):
    """A location must be a region name as `az account list-locations` prints it (japaneast, not Japan East)."""
    known = ZONE_REGIONS | NO_ZONE_REGIONS
    for path, location in _locations(topology):
        if location in known:
            continue
        squeezed = re.sub(r"[\s_-]+", "", location).lower()
        guess = [squeezed] if squeezed in known else difflib.get_close_matches(squeezed, sorted(known), n=1, cutoff=0.7)
        hint = f" (did you mean '{guess[0]}'?)" if guess else ""
        yield path, (f"{location!r} is not an Azure region name{hint}: use the programmatic name that "
                     f"`az account list-locations -o table` shows, lowercase without spaces, e.g. japaneast")


@rule("GW009", "Region has no availability zones", CONSOLIDATION_LINK, severity=WARNING)
def zoned_region(topology, data):
    """In a region without availability zones the AZ SKUs can still be created and stay regional (SKU consolidation
    FAQ: "If a region doesn't currently support availability zones, you can still create VPN Gateway AZ SKUs, but the
    deployment will remain regional"): gen renders the public IPs and the firewall without zones there. A warning, so
    that the design's reviewer knows nothing survives a datacenter failure."""
    for path, location in _locations(topology):
        if location in NO_ZONE_REGIONS:
            yield path, (f"{location} has no availability zones: the gateways, their public IPs and the firewall stay regional "
                         f"(no zones), so a datacenter failure takes them down. A region with zones nearby: "
                         f"{_nearby_zone_region(location)}")


def _nearby_zone_region(location: str) -> str:
    guess = difflib.get_close_matches(location, sorted(ZONE_REGIONS), n=1, cutoff=0.0)
    return guess[0] if guess else "westeurope"


def _devices(topology):
    """(site, device, where the spec writes it, how to name it) of every site VPN device."""
    for site, device in topology.site_devices:
        where = device.path if site.multi_device else site.path
        label = f"device '{device.name}' of site '{site.name}'" if site.multi_device else f"site '{site.name}'"
        yield site, device, where, label


@rule("GW010", "Site gatewayIpAddress is not a public IPv4 address", LNG_LINK)
def site_public_ip(topology, data):
    """Azure reaches a site's VPN device over the Internet: its Local Network Gateway needs a public IPv4 address
    (RFC 5737 documentation ranges are accepted for examples and labs)."""
    for _, device, _, label in _devices(topology):
        text = device.gateway_ip_address
        if text is None:
            continue
        address = _ipv4(text)
        if address is None:
            yield text.path, f"{text!r} is not an IPv4 address: give the public IPv4 of the VPN device of {label}"
        elif not address.is_global and not any(address in n for n in DOCUMENTATION_NETWORKS):
            yield text.path, (
                f"{text} is a private or reserved address: Azure reaches the VPN device of {label} over the Internet, so "
                f"give its public IPv4 (the NAT's public address if it sits behind NAT)")


@rule("GW011", "Site or device needs exactly one of gatewayIpAddress, fqdn and devices", LNG_LINK)
def site_ip_or_fqdn(topology, data):
    """A Local Network Gateway reaches the VPN device by exactly one of a public IP address and a DNS name; a site
    with `devices` gives them per device, and its own `bgp` too."""
    for branch in topology.site_branches:
        raw = data["branches"][int(branch.path[len("branches["):-1])]  # the site as written: branches[<k>]
        if branch.multi_device:
            stray = [key for key in ("gatewayIpAddress", "fqdn", "bgp", "localNetworkGatewayName", "connectionName") if key in raw]
            if stray:
                yield branch.path, (f"site '{branch.name}' lists devices and also {', '.join(stray)}: with devices each device "
                                    f"has its own address, BGP and names. Move them into the devices")
    for _, device, where, label in _devices(topology):
        has_ip, has_fqdn = device.gateway_ip_address is not None, device.fqdn is not None
        if has_ip == has_fqdn:
            state = "both gatewayIpAddress and fqdn" if has_ip else "neither gatewayIpAddress nor fqdn (nor devices)"
            yield where, (f"{label} gives {state}: its Local Network Gateway takes exactly one way to reach the VPN device. "
                          f"Keep one")


@rule("GW012", "Site fqdn is not a DNS name", LNG_LINK)
def site_fqdn(topology, data):
    """Azure resolves the fqdn of a site's VPN device: it must be a DNS name."""
    for _, device, _, _ in _devices(topology):
        fqdn = device.fqdn
        if fqdn is None:
            continue
        labels = fqdn[:-1].split(".") if fqdn.endswith(".") else fqdn.split(".")
        ok = (len(fqdn) <= 253 and len(labels) >= 2 and all(DNS_LABEL.match(label) for label in labels)
              and not labels[-1].isdigit())
        if not ok:
            yield fqdn.path, (f"{fqdn!r} is not a DNS name (dot-separated labels of letters, digits and "
                              f"hyphens, e.g. vpn.example.net): Azure resolves it to find the VPN device. "
                              f"Use gatewayIpAddress for an IP address")


@rule("GW013", "Site BGP peer address unusable (invalid, in a VNet, APIPA without Azure's)", CONFIGURE_BGP_LINK)
def site_peering_address(topology, data):
    """The BGP peer address of a site's VPN device must be a unicast IPv4 address of the site: inside an Azure VNet
    the session never comes up. An APIPA (169.254.x.x) peer needs the other half, custom APIPA addresses on the hub
    VPN gateway: "otherwise the BGP session can't establish for this connection"."""
    vnet_spaces = [(f"hub VNet '{topology.hub.vnet.name}'", topology.hub.vnet.networks)]
    vnet_spaces += [(f"branch '{b.name}'", b.vnet.networks) for b in topology.vnet_branches]
    gateway = topology.hub.vpn_gateway
    custom = gateway.custom_bgp_ip_addresses if gateway else ()
    for _, device, _, label in _devices(topology):
        if not device.bgp:
            continue
        text = device.bgp_peering_address
        path = text.path
        address = _ipv4(text)
        if address is None:
            yield path, f"{text!r} is not an IPv4 address: give the BGP peer IP of the VPN device of {label} (e.g. 192.168.255.1)"
            continue
        if address.is_unspecified or address.is_loopback or address.is_multicast or address == ipaddress.IPv4Address("255.255.255.255"):
            yield path, f"{text} cannot be a BGP peer address: give the unicast IP the VPN device of {label} uses for BGP"
            continue
        inside = next((where for where, networks in vnet_spaces if any(address in n for n in networks)), None)
        if inside:
            yield path, (f"BGP peering address {text} of {label} is inside the address space of {inside}: Azure routes that "
                         f"address inside the VNet, so the BGP session to the device would never come up. Use an address of "
                         f"the site")
            continue
        if address.is_link_local and not custom:
            yield path, (f"{text} is an APIPA (169.254.x.x) address: Azure peers with it only from a custom APIPA address of "
                         f"its own, and the hub VPN gateway has none. Add hub.vpnGateway.customBgpIpAddresses (one per "
                         f"instance, in 169.254.21.0-169.254.22.255), or use a non-APIPA address of the device")


@rule("GW014", "Site lists its own BGP peer address as a /32 prefix", BGP_FAQ_LINK, severity=WARNING)
def bgp_peer_host_prefix(topology, data):
    """With BGP, the VPN gateway adds a host route to the site's BGP peer address over the tunnel by itself. The
    current VPN FAQ says not to add that /32 to the Local Network Gateway (it reverses the older advice to add it);
    here it would also become a GatewaySubnet UDR to the firewall."""
    for branch, device, _, label in _devices(topology):
        if not device.bgp:
            continue
        host = f"{device.bgp_peering_address}/32"
        for prefix in branch.address_prefixes:
            if prefix == host:
                yield prefix.path, (
                    f"{prefix} is the BGP peer address of {label}: the VPN gateway adds this host route over "
                    f"the tunnel itself, and the VPN FAQ now says not to list it (older pages asked for it). Remove it; "
                    f"here it would also become a UDR to the firewall")


@rule("GW015", "ExpressRoute FastPath while transit is inspected", FASTPATH_LINK)
def fast_path_with_inspection(topology, data):
    """FastPath sends traffic from the circuit straight to the VMs, past the ExpressRoute gateway: the GatewaySubnet
    UDRs that force on-premises <-> branch transit through the firewall would not apply to it."""
    if not topology.inspects_transit:
        return
    for site in topology.on_premises:
        if site.fast_path:
            yield f"{site.path}.fastPath", (
                f"FastPath on '{site.name}' bypasses the ExpressRoute gateway and with it the GatewaySubnet UDRs, so its "
                f"traffic would skip the firewall this design inspects transit with. Remove fastPath, or set "
                f"hub.firewall.inspectTransit: false if the traffic must not be inspected")


@rule("GW016", "ExpressRoute FastPath needs ErGw3AZ", FASTPATH_LINK)
def fast_path_sku(topology, data):
    """FastPath is available on the Ultra Performance and ErGw3AZ gateway SKUs."""
    gateway = topology.hub.expressroute_gateway
    if gateway is None or gateway.sku in ("ErGw3AZ", "UltraPerformance"):
        return
    for site in topology.on_premises:
        if site.fast_path:
            yield f"{site.path}.fastPath", (f"FastPath on '{site.name}' needs an ErGw3AZ gateway; the hub's is {gateway.sku}")


@rule("GW017", "The same ExpressRoute circuit connected twice", LINK_LINK)
def circuit_connected_twice(topology, data):
    """A gateway links to a circuit with one connection (Learn: "a new connection object for each ExpressRoute
    circuit"); a second connection of the same circuit to the same gateway adds nothing and Azure refuses it. To
    reach a site over several circuits, give each circuit its own entry."""
    seen = {}
    for site in topology.on_premises:
        key = site.circuit_id.lower().rstrip("/")
        if key in seen:
            yield site.circuit_id.path, (
                f"circuit {site.circuit_id.rsplit('/', 1)[-1]} is already connected for '{seen[key]}': one connection per "
                f"circuit and gateway. List the prefixes of both under one site, or name the other circuit")
        else:
            seen[key] = site.name


SKUS_LINK = "https://learn.microsoft.com/azure/vpn-gateway/about-gateway-skus"


@rule("GW018", "VPN gateway SKU does not exist in the pinned generation", SKUS_LINK)
def generation_matches_sku(topology, data):
    """VpnGw1AZ exists only in Generation1, VpnGw4AZ and VpnGw5AZ only in Generation2; VpnGw2AZ and VpnGw3AZ exist in
    both (about-gateway-skus). A SKU and generation that do not match fail the deployment
    (VirtualNetworkGatewaySkuCannotBeCreatedForSpecifiedVmGeneration)."""
    for gateway in topology.vpn_gateways:
        pinned = gateway.pinned_generation
        if pinned is None:
            continue
        if (gateway.sku in GENERATION1_ONLY and pinned != "Generation1") or (gateway.sku in GENERATION2_ONLY and pinned != "Generation2"):
            other = "Generation1" if pinned == "Generation2" else "Generation2"
            yield pinned.path, (f"{gateway.label} SKU {gateway.sku} does not exist in {pinned}, only in {other}: Azure refuses "
                                f"the deployment. Pin {other}, or pick a SKU {pinned} has")


@rule("GW019", "Custom APIPA BGP addresses are wrong or not on the hub VPN gateway", CONFIGURE_BGP_LINK)
def custom_bgp_addresses(topology, data):
    """Custom Azure APIPA BGP addresses: one per instance of the gateway, each in 169.254.21.0-169.254.22.255
    ("you must select an address from the Azure-reserved APIPA address range for VPN"), all different, and none a
    device's own ("must not overlap between the on-premises VPN devices and all connected VPN gateways")."""
    devices = {str(d.bgp_peering_address): label for _, d, _, label in _devices(topology) if d.apipa}
    for gateway in topology.vpn_gateways:
        addresses = gateway.custom_bgp_ip_addresses
        if not addresses:
            continue
        path = f"{gateway.path}.customBgpIpAddresses"
        if gateway is not topology.hub.vpn_gateway:
            yield path, (f"{gateway.label} has custom APIPA addresses, but only the hub VPN gateway peers with VPN devices "
                         f"(a VNet branch's gateway peers with the hub's over VNet-to-VNet): remove them")
            continue
        if len(addresses) != gateway.instances:
            yield path, (f"{gateway.label} has {gateway.instances} instance(s) but {len(addresses)} custom APIPA address(es): "
                         f"give one per instance, the first for instance 0"
                         + (", the second for instance 1" if gateway.instances == 2 else ""))
        seen = set()
        for text in addresses:
            address = _ipv4(text)
            if address is None or not (APIPA_AZURE_RANGE[0] <= address <= APIPA_AZURE_RANGE[1]):
                yield text.path, (f"{text!r} is not in 169.254.21.0-169.254.22.255, the APIPA range Azure reserves for VPN "
                                  f"gateways: pick an address there")
            elif str(address) in seen:
                yield text.path, f"{text} is given twice: each instance needs its own custom APIPA address"
            elif str(address) in devices:
                yield text.path, (f"{text} is also the BGP address of {devices[str(address)]}: APIPA addresses must not overlap "
                                  f"between the VPN devices and the gateways. Give the gateway and the device different ones")
            seen.add(str(address))


@rule("GW020", "Devices of one site are not each their own peer", HA_LINK)
def site_devices_distinct(topology, data):
    """Microsoft's highly available cross-premises design: "The local network gateways corresponding to your VPN
    devices must have unique public IP addresses", "Each local network gateway representing a VPN device must have a
    unique BGP peer IP address", and two devices need BGP to carry traffic at once."""
    for site in topology.site_branches:
        if not site.multi_device:
            continue
        names, endpoints, peers = {}, {}, {}
        for device in site.devices:
            for seen, value, what in ((names, str(device.name), "name"), (endpoints, str(device.endpoint or ""), "public address"),
                                      (peers, str(device.bgp_peering_address or ""), "BGP peer address")):
                if value and value in seen:
                    yield device.path, (f"devices '{seen[value]}' and '{device.name}' of site '{site.name}' share the {what} "
                                        f"{value}: each device needs its own Local Network Gateway, with a unique public IP "
                                        f"and a unique BGP peer address")
                seen.setdefault(value, device.name)


@rule("GW021", "Two sites with the same public address on one gateway", HA_LINK, severity=WARNING)
def sites_share_public_address(topology, data):
    """Learn asks for unique public IPs across the Local Network Gateways of one site's devices, and says nothing of
    two sites behind one address; gen assumes the hub gateway cannot tell two such connections apart (IKE identifies
    the peer by its address) and warns."""
    seen = {}
    for site, device, _, label in _devices(topology):
        endpoint = str(device.endpoint or "").lower()
        if not endpoint:
            continue
        if endpoint in seen and seen[endpoint][0] != site.name:
            yield (device.gateway_ip_address or device.fqdn).path, (
                f"{label} and {seen[endpoint][1]} both reach Azure from {endpoint}: assumed (Learn documents nothing for two "
                f"sites behind one address) that the hub gateway cannot tell their IKE sessions apart. Give each site its own "
                f"public address, or make them one site")
        seen.setdefault(endpoint, (site.name, label))


