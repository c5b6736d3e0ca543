"""What `gen verify` checks in a capture of a deployed hub (VER): declared here, in the one catalogue.

The checks themselves live in generator/verify.py: they compare read-only `az` output with the
routing model, not a spec with Azure's rules.
"""

from __future__ import annotations

from .. import PROJECT_URL
from ..findings import ERROR, WARNING
from . import Rule, register

UDR_LINK = "https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview#how-azure-selects-a-route"
BGP_LINK = "https://learn.microsoft.com/azure/vpn-gateway/bgp-diagnostics"
ARS_LINK = "https://learn.microsoft.com/azure/route-server/expressroute-vpn-support"


def _verify(rule_id: str, severity: str, title: str, link: str, description: str) -> Rule:
    return register(Rule(rule_id, severity, title, link, description, stage="verify"))


FIREWALL_ADDRESS = _verify(
    "VER001", ERROR, "The firewall's private IP is not the UDRs' next hop", UDR_LINK,
    "The deployment output firewallPrivateIpAddressMatches is false, or the firewall's address differs from the next "
    "hop gen computed for the route tables: the UDRs send transit to an address where no firewall listens.")
SESSION_DOWN = _verify(
    "VER002", ERROR, "A BGP session is not Connected", BGP_LINK,
    "A gateway lists a BGP neighbour the design needs in a state other than Connected (Idle, Connecting, Stopped, "
    "Unknown): no routes flow over it.")
SESSION_MISSING = _verify(
    "VER003", ERROR, "A BGP session the design needs does not exist", BGP_LINK,
    "A gateway does not list a neighbour the design needs at all: the Route Server instances for the hub gateways, "
    "each branch for the hub VPN gateway, the hub for each branch.")
ROUTE_MISSING = _verify(
    "VER004", ERROR, "A gateway did not learn a prefix the design needs", ARS_LINK,
    "A prefix the routing model says a gateway must learn over BGP (on-premises prefixes at the VPN gateways, "
    "branch prefixes at the ExpressRoute gateway) is missing from its learned routes: that traffic has no route.")
FIREWALL_BYPASS = _verify(
    "VER005", ERROR, "A learned prefix skips the firewall", UDR_LINK,
    "A hub gateway learned a prefix more specific than the GatewaySubnet UDR covering it, or one no UDR covers while "
    "it overlaps a site's: Azure picks the longest prefix first, so that traffic goes gateway to gateway one way and "
    "through the firewall the other, and the stateful firewall drops the replies.")
UNKNOWN_PREFIX = _verify(
    "VER006", WARNING, "A learned prefix belongs to nothing in the spec", UDR_LINK,
    "A hub gateway learned a prefix no site, branch or VNet of the spec holds: transit to it is not inspected, and "
    "the spec may be missing a network.")
NIC_ROUTE = _verify(
    "VER007", ERROR, "A test VM's effective route differs from the model", "https://learn.microsoft.com/azure/virtual-network/diagnose-network-routing-problem",
    "For a prefix `gen routes` gives the VM's hop, the NIC's active route has another next hop type (or, for the "
    "firewall, another address).")
NOT_CAPTURED = _verify(
    "VER008", WARNING, "A file of the capture is missing", f"{PROJECT_URL}#after-deploying",
    "The capture folder lacks a file `gen collect` would write; the checks that need it are skipped.")
