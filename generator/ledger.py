"""The route ledger: each BGP session of the design and the prefixes it carries, against the limit Azure puts on it.

From the spec (`gen routes --ledger`, and the rules LIM001/LIM002, ARS002, ARS003) the counts are what the design
makes each session carry (routing.expected_learned and expected_advertised: the same answer `gen verify` checks);
from a capture (`gen verify`) they are what Azure reports. Each limit names the Learn page it comes from and what
Azure does beyond it.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import routing
from .model import Topology, parse_network

NEAR = 0.8  # a session at 80 % of its limit is near it: one more summary or site away

# The pages each limit comes from, in the versions read on 2026-12-07 (the limits change: the route table limit went
# from 400 to 1,000 in 2026, ErGwScale's learned routes from 60,000 to 9,500).
ROUTE_SERVER_FAQ = "https://learn.microsoft.com/azure/route-server/route-server-faq"  # ms.date 09/17/2025
VPN_BGP_FAQ = "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-vpn-faq#bgp"  # ms.date 06/04/2026
EXPRESSROUTE_LIMITS = "https://learn.microsoft.com/azure/expressroute/expressroute-faq"  # ms.date 03/31/2026
ER_GATEWAY_ROUTES = ("https://learn.microsoft.com/azure/expressroute/expressroute-about-virtual-network-gateways"
                     "#aggthroughput")  # ms.date 09/05/2026
ROUTE_TABLE_LIMITS = ("https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits"
                      "#azure-resource-manager-virtual-networking-limits")

# Routes an ExpressRoute gateway learns, by SKU ("Number of routes learned by gateway": ErGwScale "9,500 total per
# gateway"; a 2024 version said 60,000). What happens past it the page does not say: "assumed" below.
ER_GATEWAY_LEARNS = {"Standard": 4000, "ErGw1AZ": 4000, "HighPerformance": 9500, "ErGw2AZ": 9500,
                     "UltraPerformance": 9500, "ErGw3AZ": 9500, "ErGwScale": 9500}
# ExpressRoute FAQ: private peering takes "4,000 prefixes" from on-premises (10,000 with Premium) and "the BGP
# session is dropped" beyond; Azure advertises at most 1,000 IPv4 prefixes per connection, and beyond "the
# connection between the ExpressRoute circuit and the gateway disconnects including peered virtual network using
# gateway transit".
FROM_ON_PREMISES = 4000
FROM_ON_PREMISES_PREMIUM = 10000
TO_ON_PREMISES = 1000
# VPN Gateway FAQ (BGP): a peer may advertise 4,000 prefixes; "If the number of prefixes exceeds this limit, the
# BGP session is dropped."
FROM_VPN_PEER = 4000
# User-defined routes per route table: 1,000 since Azure Update 562695 (GA May 2026; the limits page says 1,000 as
# quoted in MicrosoftDocs/azure-docs#128792, Sept 2026; it said 400 until then). An ARM resource limit: the
# deployment of a larger table fails (assumed: no page says how).
ROUTE_TABLE = 1000


@dataclass(frozen=True)
class Session:
    """One BGP session (or route table) of the design, the prefixes it carries and Azure's limit on it."""

    name: str  # "circuit of dc-amsterdam: on-premises -> ExpressRoute gateway ergw-hub"
    count: int
    limit: int | None  # None: Azure documents none (the device's own is the limit)
    beyond: str  # what Azure does past the limit
    link: str
    path: str  # the spec path a finding names
    relief: str  # how to bring it under the limit
    rule_id: str = "LIM001"  # the rule that errs past the limit (ARS002 and ARS003 keep their ids)
    file: str = ""  # for a session read from a capture: the capture file that holds its count

    @property
    def headroom(self) -> int | None:
        return None if self.limit is None else self.limit - self.count

    @property
    def over(self) -> bool:
        return self.limit is not None and self.count > self.limit

    @property
    def near(self) -> bool:
        return self.limit is not None and not self.over and self.count >= NEAR * self.limit


def _count(prefixes) -> int:
    """Distinct prefixes that parse (the rules report the others)."""
    return len({str(parse_network(p)) for p in prefixes if parse_network(p) is not None})


_LAST: list = []  # (topology, sessions) of the last spec counted: three rules ask for the same ledger


def from_spec(t: Topology) -> list[Session]:
    """Every session of the design with the prefixes the spec makes it carry. In time proportional to the prefixes
    (never the square of the branches: a spec of thousands of sites is counted in well under a second)."""
    if _LAST and _LAST[0][0] is t:
        return _LAST[0][1]
    sessions = _count_sessions(t)
    _LAST[:] = [(t, sessions)]
    return sessions


def _count_sessions(t: Topology) -> list[Session]:
    hub = t.hub
    offered = routing.offered_counts(t)
    found: list[Session] = []
    er = hub.expressroute_gateway
    if er is not None:
        for site in t.on_premises:
            premium = site.premium
            found.append(Session(
                f"circuit of {site.name}: on-premises -> ExpressRoute private peering", _count(site.advertised_prefixes),
                FROM_ON_PREMISES_PREMIUM if premium else FROM_ON_PREMISES,
                "the circuit drops the BGP session of its private peering", EXPRESSROUTE_LIMITS, site.path,
                "summarise what the site advertises (advertisedPrefixes)"
                + ("" if premium else ", or use ExpressRoute Premium (10,000)")))
        to_circuits = routing.advertised_to_circuits(t) if t.on_premises else None
        if to_circuits is not None:
            b2b = t.exchanges_routes
            found.append(Session(
                f"ExpressRoute gateway {er.name} -> on-premises (hub, spokes{', branches through Route Server' if b2b else ''})",
                _count(to_circuits), TO_ON_PREMISES, "the connection between the circuit and the gateway disconnects, "
                "spokes using gateway transit with it, until the count is back under",
                EXPRESSROUTE_LIMITS, "branches" if b2b else "hub.vnet.addressSpace",
                "summarise the branch prefixes (one supernet per region), or fewer spoke address spaces", rule_id="ARS002"))
        limit = ER_GATEWAY_LEARNS.get(str(er.sku))
        found.append(Session(
            f"ExpressRoute gateway {er.name} ({er.sku}) learns (circuits{', and branches through Route Server' if t.exchanges_routes else ''})",
            _count(routing.expressroute_learns(t)), limit, "the routes past it are not learned (assumed: the page gives "
            "the number, not what happens past it)", ER_GATEWAY_ROUTES, f"{er.path}.sku",
            "summarise on-premises and branch prefixes, or a larger SKU (ErGw2AZ and up: 9,500)"))
    vpn = hub.vpn_gateway
    if vpn is not None:
        for branch in t.branches:
            if branch.kind == "vnet":
                found.append(Session(
                    f"VNet branch {branch.name} ({branch.vpn_gateway.name}) -> hub VPN gateway {vpn.name}",
                    _count(branch.advertised_prefixes), FROM_VPN_PEER, "the hub VPN gateway drops the BGP session",
                    VPN_BGP_FAQ, f"{branch.path}.vnet.addressSpace", "fewer address spaces in the branch VNet"))
                found.append(Session(
                    f"hub VPN gateway {vpn.name} -> VNet branch {branch.name} ({branch.vpn_gateway.name})",
                    offered[branch.name], FROM_VPN_PEER, "the branch's VPN gateway drops the BGP session", VPN_BGP_FAQ, branch.path,
                    "summarise the other branches' and on-premises prefixes"))
            elif branch.bgp:
                for device in branch.devices:
                    found.append(Session(
                        f"site {branch.name}" + (f" device {device.name}" if branch.multi_device else "")
                        + f" -> hub VPN gateway {vpn.name}",
                        _count(branch.advertised_prefixes), FROM_VPN_PEER, "the hub VPN gateway drops the BGP session",
                        VPN_BGP_FAQ, branch.path, "summarise what the site advertises (advertisedPrefixes)"))
                found.append(Session(
                    f"hub VPN gateway {vpn.name} -> site {branch.name} (what its devices must accept)",
                    offered[branch.name], None, "the device's own limit (Azure documents none for this "
                    "direction)", VPN_BGP_FAQ, branch.path, "summarise the other branches' and on-premises prefixes"))
    for table in t.route_tables:
        found.append(Session(
            f"route table {table.name} ({len(table.placements)} subnet(s))", len(table.routes), ROUTE_TABLE,
            "the deployment of the table fails (assumed: an ARM resource limit)", ROUTE_TABLE_LIMITS,
            f"{hub.firewall.path}.inspectTransit" if table is t.gateway_route_table and hub.firewall else table.path,
            "summarise the prefixes the routes cover", rule_id="ARS003" if table is t.gateway_route_table else "LIM001"))
    return found


def as_text(sessions: list[Session]) -> str:
    """An aligned table: session, prefixes, limit, headroom, verdict."""
    rows = [("session", "prefixes", "limit", "headroom", "")]
    for s in sessions:
        verdict = "OVER" if s.over else "near" if s.near else ""
        rows.append((s.name, str(s.count), f"{s.limit:,}" if s.limit else "-",
                     f"{s.headroom:,}" if s.headroom is not None else "-", verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]:>{widths[3]}}  {r[4]}".rstrip()
             for r in rows]
    lines += ["", "limits from:"] + [f"  {link}" for link in dict.fromkeys(s.link for s in sessions)]
    return "\n".join(lines) + "\n"


# --- from a capture: what Azure reports ------------------------------------------------------------------------------

MSEE_ASN = 12076  # the Microsoft edge routers of a circuit, which an ExpressRoute gateway peers with
LEARNED_ORIGINS = ("EBgp", "IBgp")


def from_capture(t: Topology, capture) -> list[Session]:
    """The same sessions as Azure reports them: each gateway's BGP peers with the routes each sent (routesReceived),
    the routes the ExpressRoute gateway learned, and what it advertises to each circuit edge. Azure's own peers (the
    Route Server's instances, the other instance of the same gateway) have no documented limit: shown, not judged.
    An Azure peer is told by its address (the gateway's own instance addresses, the Route Server's), never by ASN
    65515: a VNet branch's gateway may run with 65515 too, and its sessions have the VPN limit."""
    from .capture import advertised_routes_file, bgp_status_file, learned_routes_file

    found: list[Session] = []
    er = t.hub.expressroute_gateway
    sites = {str(d.bgp_peering_address): f"site {b.name}" for b in t.site_branches for d in b.devices if d.bgp}
    route_server = capture.route_server() if t.hub.route_server else None
    azure_peers = set(route_server.ips) if route_server else set()
    gateways = ([er.name] if er else []) + [g.name for g in t.vpn_gateways]
    edges: set[str] = set()
    for gateway in gateways:
        is_er = er is not None and gateway == er.name
        listed = capture.bgp_sessions(gateway) or []
        own = {p.local_address for p in listed if p.local_address}  # this gateway's instances
        for peer in listed:
            if peer.routes_received is None:
                continue
            local = f" ({peer.local_address})" if peer.local_address else ""
            file = bgp_status_file(gateway)
            if is_er:
                edge = peer.asn == MSEE_ASN
                if edge:
                    edges.add(peer.neighbor)
                what = f"circuit edge {peer.neighbor} (ASN {MSEE_ASN})" if edge else f"{peer.neighbor} (ASN {peer.asn})"
                found.append(Session(f"{gateway}{local} <- {what}", peer.routes_received,
                                     FROM_ON_PREMISES if edge else None,
                                     "the circuit drops the BGP session of its private peering" if edge else "none documented",
                                     EXPRESSROUTE_LIMITS, f"capture:{gateway}",
                                     "summarise what on-premises advertises, or ExpressRoute Premium (10,000)" if edge else "",
                                     file=file))
            else:
                internal = peer.neighbor in azure_peers or peer.neighbor in own
                found.append(Session(f"{gateway}{local} <- {sites.get(peer.neighbor, peer.neighbor)} (ASN {peer.asn})",
                                     peer.routes_received, None if internal else FROM_VPN_PEER,
                                     "none documented" if internal else "the VPN gateway drops the BGP session",
                                     VPN_BGP_FAQ, f"capture:{gateway}", "summarise what the peer advertises", file=file))
    if er is not None:
        learned = capture.learned_routes(er.name)
        if learned is not None:
            running = capture.find("Microsoft.Network/virtualNetworkGateways", er.name)
            sku = (running.prop("sku", "name") if running else None) or er.sku
            count = len({r.network for r in learned if r.origin in LEARNED_ORIGINS})
            found.append(Session(f"{er.name} ({sku}) learns", count, ER_GATEWAY_LEARNS.get(str(sku)),
                                 "the routes past it are not learned (assumed)", ER_GATEWAY_ROUTES, f"capture:{er.name}",
                                 "summarise on-premises and branch prefixes, or a larger SKU", file=learned_routes_file(er.name)))
        for peer, routes in sorted((capture.advertised_routes(er.name) or {}).items()):
            if peer not in edges:  # what it advertises to the Route Server is not what a circuit takes
                continue
            found.append(Session(f"{er.name} -> circuit edge {peer}", len({r.network for r in routes}), TO_ON_PREMISES,
                                 "the connection between the circuit and the gateway disconnects", EXPRESSROUTE_LIMITS,
                                 f"capture:{er.name}", "summarise the branch prefixes, or fewer spoke address spaces",
                                 file=advertised_routes_file(er.name, peer)))
    return found
