"""Rules: Azure Route Server and the routes it carries between ExpressRoute and VPN (ARS).

Route Server's 8-BGP-peer limit is not checked: the spec models no NVA peers
(the gateways in the hub VNet peer with it automatically and do not count).
"""

from __future__ import annotations

from .. import ledger
from ..findings import WARNING
from . import rule

ROUTE_SERVER_LINK = "https://learn.microsoft.com/azure/route-server/route-server-faq"
VPN_SUPPORT_LINK = "https://learn.microsoft.com/azure/route-server/expressroute-vpn-support"



def _transit_wanted(topology) -> bool:
    """Both sides exist: on-premises behind an ExpressRoute gateway and branches behind a VPN gateway."""
    hub = topology.hub
    return bool(hub.expressroute_gateway and topology.on_premises and hub.vpn_gateway and topology.branches)


@rule("ARS001", "Branch-to-branch must be on for ExpressRoute <-> VPN transit", ROUTE_SERVER_LINK)
def branch_to_branch(topology, data):
    """With branch-to-branch off, the ExpressRoute and VPN gateways exchange no routes: on-premises never learns the
    branch prefixes, whatever the GatewaySubnet UDRs say (the seed saw exactly this)."""
    ars = topology.hub.route_server
    if ars is None or ars.branch_to_branch or not _transit_wanted(topology):
        return
    yield f"{ars.path}.branchToBranch", (
        "branchToBranch is false, so the ExpressRoute and VPN gateways exchange no routes: on-premises never learns the "
        "branch prefixes (and the branches never learn on-premises), whatever the GatewaySubnet UDRs say. The seed saw "
        "exactly this failure. Set branchToBranch: true")


@rule("ARS002", "More than 1,000 prefixes advertised towards ExpressRoute", ROUTE_SERVER_LINK)
def routes_towards_expressroute(topology, data):
    """The ExpressRoute gateway advertises the hub's and the spokes' address spaces to on-premises, and with
    branch-to-branch on every VPN branch prefix Route Server hands it; Azure advertises at most 1,000 prefixes over
    a circuit's private peering and drops the BGP session beyond (the route ledger counts them)."""
    for session in ledger.from_spec(topology):
        if session.rule_id == "ARS002" and session.over:
            yield session.path, (
                f"{session.count} prefixes would be advertised to on-premises over ExpressRoute (the hub and spoke address "
                f"spaces{', and every branch prefix through Route Server' if topology.exchanges_routes else ''}); Azure "
                f"allows at most {session.limit:,} and drops the BGP session beyond ({session.link}). Summarise the "
                f"branch prefixes")


@rule("ARS003", "GatewaySubnet route table would exceed 1,000 routes", ledger.ROUTE_TABLE_LIMITS)
def gateway_subnet_route_count(topology, data):
    """Inspecting transit puts one UDR per on-premises, branch and spoke prefix on GatewaySubnet; a route table holds
    at most 1,000 routes (400 until Azure raised the limit in 2026)."""
    if not topology.inspects_transit:
        return
    # Count what the route table would hold even when the firewall address is not computable yet.
    count = max(len(topology.gateway_subnet_routes),
                sum(len(owner.address_prefixes) for owner in topology.on_premises + topology.branches + topology.spokes))
    if count > ledger.ROUTE_TABLE:
        yield f"{topology.hub.firewall.path}.inspectTransit", (
            f"inspecting transit puts one UDR per on-premises, branch and spoke prefix on GatewaySubnet: {count} routes, "
            f"but a route table holds at most {ledger.ROUTE_TABLE}. Summarise the prefixes")


@rule("ARS004", "Route Server without both an ExpressRoute and a VPN gateway", ROUTE_SERVER_LINK, severity=WARNING)
def route_server_alone(topology, data):
    """Route Server exchanges routes between an ExpressRoute and a VPN gateway; without both it has nothing to do,
    costs money, and adding or removing it takes the gateways down for a while."""
    hub = topology.hub
    if hub.route_server is None or (hub.expressroute_gateway and hub.vpn_gateway):
        return
    missing = " and no ".join(k for k, g in (("ExpressRoute gateway", hub.expressroute_gateway),
                                               ("VPN gateway", hub.vpn_gateway)) if not g)
    yield hub.route_server.path, (
        f"the hub has a Route Server but no {missing}: it has nothing to exchange between ExpressRoute and VPN, and it "
        f"costs money and adds ~10 minutes of gateway downtime when added or removed. Drop it, or add the missing gateway")


@rule("ARS005", "Hub VPN gateway must be active-active with a Route Server", VPN_SUPPORT_LINK)
def hub_vpn_active_active(topology, data):
    """A VPN gateway that exchanges routes with Route Server must be active-active ("Azure VPN gateway must be
    configured in active-active mode and have the ASN set to 65515"): Route Server peers with both instances. A gateway
    that runs active-standby beside a running Route Server (`existing`) is a warning: outside Microsoft's support
    statement, and moving it is a change with downtime."""
    gateway = topology.hub.vpn_gateway
    # The model defaults the hub gateway to active-active, so only an explicit `activeActive: false` lands here.
    if topology.hub.route_server is None or gateway is None or gateway.active_active:
        return
    if gateway.existing:
        yield f"{gateway.path}.activeActive", (
            f"{gateway.label} runs active-standby beside Route Server {topology.hub.route_server.name}: kept as it runs, but "
            f"Microsoft supports ExpressRoute-VPN transit through Route Server only with an active-active gateway. Moving to "
            f"active-active is in place, 30-45 minutes with downtime, and gives the gateway a second BGP address every "
            f"BGP peer must learn (gen diff names it)"), WARNING
        return
    yield f"{gateway.path}.activeActive", (
        "activeActive is false: a VPN gateway that exchanges routes with Route Server must be active-active "
        "(Route Server peers with both instances). Remove the field or set it to true")


@rule("ARS006", "ExpressRoute and VPN branches without a Route Server", ROUTE_SERVER_LINK, severity=WARNING)
def no_route_server(topology, data):
    """Without Route Server the ExpressRoute and VPN gateways exchange no routes, so on-premises and the branches
    cannot reach each other."""
    if topology.hub.route_server is not None or not _transit_wanted(topology):
        return
    yield "hub", (
        "the hub has ExpressRoute sites and VPN branches but no routeServer: the two gateways exchange no routes, so "
        "on-premises and the branches cannot reach each other. Add hub.routeServer (branchToBranch: true) if they should")

