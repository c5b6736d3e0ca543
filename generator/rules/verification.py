"""What `gen verify` checks in a capture of a deployed hub (VER): declared here, in the one catalogue.

The checks themselves live in generator/verify.py: they compare read-only `az` output with the
routing model, not a spec with Azure's rules.
"""

from __future__ import annotations

from .. import readme_link
from ..findings import ERROR, WARNING

# The order gen verify reports in: missing evidence first, then causes (what is set up wrong), then the effects
# they explain (routes not learned, NIC routes), so that the first line read is the one to fix.
EVIDENCE = ("VER008", "VER009")
CAUSES = ("VER014", "VER001", "VER012", "VER010", "VER011", "VER002", "VER003", "VER016", "VER019")
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
    "VER008", ERROR, "Evidence is missing from the capture", readme_link("after-deploying"),
    "The capture folder lacks a file `gen collect` would write (a gateway's BGP sessions or routes, the resources, a "
    "test VM's routes): the checks that need it cannot run, so the capture proves nothing there. Run the collect "
    "script again (it says which commands failed, often a missing permission).")
DEPLOYMENT_STATE = _verify(
    "VER009", ERROR, "The deployment is missing or did not succeed", "https://learn.microsoft.com/azure/azure-resource-manager/templates/deployment-history",
    "deployment.json is absent, or its provisioningState is not Succeeded: the hub may be half deployed, and every "
    "other finding may follow from that. `az deployment group show --query properties.error` says why it failed.")
ROUTE_TABLE_PLACEMENT = _verify(
    "VER010", ERROR, "A subnet has not the route table the design gives it", "https://learn.microsoft.com/azure/firewall/tutorial-hybrid-portal",
    "GatewaySubnet without its route table sends transit gateway to gateway both ways, symmetric and never inspected "
    "(what happened to Azure Landing Zones users on redeploy, Azure/ALZ-Bicep#512); a spoke or hub subnet without "
    "its table reaches on-premises past the firewall one way; a custom table on RouteServerSubnet (not supported) "
    "or AzureFirewallSubnet (other than the designed 0.0.0.0/0 -> Internet) breaks the Route Server or the firewall.")
ROUTE_CONTENT = _verify(
    "VER011", ERROR, "A designed route table differs from the design", UDR_LINK,
    "A route of a table gen writes is missing, points elsewhere than the firewall's private IP, or the table's gateway "
    "route propagation differs (GatewaySubnet needs it on: \"BGP route propagation must stay enabled\"): the transit "
    "it steers goes past the firewall or nowhere.")
BRANCH_TO_BRANCH = _verify(
    "VER012", ERROR, "Route Server branch-to-branch is off", ARS_LINK,
    "allowBranchToBranchTraffic is false on the deployed Route Server: the ExpressRoute and VPN gateways stop exchanging "
    "routes, so on-premises and the branches no longer reach each other (the seed's finding).")
NOT_ADVERTISED = _verify(
    "VER013", ERROR, "A gateway does not advertise a prefix the design needs", BGP_LINK,
    "The captured advertised routes of the ExpressRoute gateway towards its circuits lack a branch or spoke prefix, or "
    "the hub VPN gateway's towards a site lack an on-premises prefix: the other side has no route back.")
DRIFT = _verify(
    "VER015", WARNING, "A deployed resource differs from the spec (drift)", readme_link("adopt-a-running-hub"),
    "Something changed outside the spec (a route added by hand, a SKU changed in the portal, an NSG attached) or the "
    "resource carries what the spec cannot hold (a P2S configuration, a custom IPsec policy): the next redeploy "
    "reverts or resets it. The message says what the redeploy does; `gen diff --live CAPTURE SPEC` lists it all.")
RESOURCE_MISSING = _verify(
    "VER014", ERROR, "A resource of the design is not deployed", readme_link("after-deploying"),
    "The capture's resources (az resource show of every resource in the resource group) lack one the spec deploys: "
    "the deployment did not finish, or someone deleted it.")
FAILURE_SEEN = _verify(
    "VER016", WARNING, "The capture shows a failure: what the model predicts for it", readme_link("what-survives-a-failure"),
    "The BGP sessions down in the capture match an element of the design that failed (a site, a branch, one instance "
    "of the hub VPN gateway, the Route Server, the circuits): the message names it, gives the outcome `gen resilience` "
    "predicts for it flow by flow, and checks the learned and advertised routes against that failure (the routes it "
    "withdraws are not reported missing; routes it should have withdrawn and that are still learned are named).")
OVER_LIMIT = _verify(
    "VER017", ERROR, "A BGP session carries more prefixes than Azure takes", readme_link("route-ledger"),
    "The routes a gateway's BGP peer sent (routesReceived), the routes the ExpressRoute gateway learned, or what it "
    "advertises to a circuit, past the limit Azure documents for that session: Azure drops the session (or does not "
    "learn the routes beyond). The message gives the count, the limit and its Learn page.")
NEAR_LIMIT = _verify(
    "VER018", WARNING, "A BGP session is near Azure's limit", readme_link("route-ledger"),
    "At 80 % of the limit or more: the next site, spoke or unsummarised prefix may take the session down.")
HUB_PEERING = _verify(
    "VER019", ERROR, "A peering between two hubs is missing, not Connected, or set up otherwise",
    "https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering",
    "A spec of several hubs: each hub VNet holds a peering to every other hub's VNet, Connected, with forwarded traffic "
    "allowed (the other firewall forwards spoke traffic over it) and neither gateway transit nor remote gateways (each "
    "hub has its own). Without it the UDRs to the other firewall lead nowhere.")
HAIRPIN = _verify(
    "VER020", WARNING, "A gateway of several hubs accepts other VNets' routes from the circuit",
    "https://learn.microsoft.com/azure/expressroute/expressroute-howto-add-gateway-portal-resource-manager#enable-or-disable-vnet-to-vnet-or-vnet-to-virtual-wan-traffic-through-expressroute",
    "allowRemoteVnetTraffic is on (gateways made before May 2024 run with it on): the gateway learns the other hubs' "
    "spokes from the circuit's edge routers, more specific than nothing, and traffic between hubs can hairpin through "
    "the peering location instead of the firewalls. gen writes it off; a running gateway keeps it only through asDeployed.")
