"""Rules: spokes, the workload VNets peered with the hub (SPOKE)."""

from __future__ import annotations

import ipaddress

from ..findings import WARNING
from ..model import APPLICATION, IANA_PRIVATE_RANGES, NETWORK, SPECIAL_SUBNETS
from . import rule

PEERING_LINK = "https://learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview"
LIMITS_LINK = "https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#azure-networking-limits"
HYBRID_LINK = "https://learn.microsoft.com/azure/firewall/tutorial-hybrid-portal"
RULES_LINK = "https://learn.microsoft.com/azure/firewall/rule-processing"

MAX_PEERINGS = 500


@rule("SPOKE001", "Spoke subnet named like one of Azure's special subnets", PEERING_LINK)
def spoke_special_subnet(topology, data):
    """A spoke uses the hub's gateways (useRemoteGateways), Route Server and firewall: it has workload subnets only.
    A GatewaySubnet there would be for a gateway of its own, which cannot coexist with useRemoteGateways."""
    for spoke in topology.spokes:
        for subnet in spoke.vnet.subnets:
            if subnet.name in SPECIAL_SUBNETS:
                yield subnet.name.path, (
                    f"spoke '{spoke.name}' has a subnet named {subnet.name}: a spoke uses the hub's gateways, Route Server and "
                    f"firewall (a gateway of its own cannot coexist with useRemoteGateways). Give it a workload name")


@rule("SPOKE002", "More spokes than a VNet takes peerings", LIMITS_LINK)
def peering_limit(topology, data):
    """Each spoke is one peering of the hub VNet, and so is each other hub of a spec of several; a VNet takes at most
    500 peerings (and "a virtual network with an ExpressRoute gateway can have virtual network peering with up to 500
    other virtual networks": https://learn.microsoft.com/azure/expressroute/expressroute-about-virtual-network-gateways)."""
    count = len(topology.spokes) + len(topology.remote_hubs)
    if count > MAX_PEERINGS:
        hubs = f" and {len(topology.remote_hubs)} other hub(s)" if topology.remote_hubs else ""
        yield "spokes", (f"{len(topology.spokes)} spokes{hubs} need {count} peerings on the hub VNet; a VNet takes at "
                         f"most {MAX_PEERINGS}. Split them over several hubs")


@rule("SPOKE003", "Spoke learns gateway routes: a more specific prefix skips the firewall", HYBRID_LINK, severity=WARNING)
def spoke_propagation(topology, data):
    """With gateway route propagation on, a spoke learns what the sites advertise; a prefix more specific than the
    spoke's UDR wins (longest prefix first) and goes to the gateway, past the firewall. Microsoft's hybrid
    firewall tutorial turns propagation off on the spoke route table."""
    if not topology.inspects_transit:
        return
    for spoke in topology.spokes:
        if spoke.propagate_gateway_routes:
            yield f"{spoke.path}.propagateGatewayRoutes", (
                f"spoke '{spoke.name}' learns the gateways' routes: a prefix a site advertises more specifically than its UDR "
                f"would reach the gateway directly and skip the firewall one way. Leave propagateGatewayRoutes off unless "
                f"the sites advertise exactly their addressPrefixes")


@rule("SPOKE004", "Spoke Internet traffic goes to a firewall that allows none", RULES_LINK, severity=WARNING)
def internet_denied(topology, data):
    """internetThroughFirewall sends a spoke's Internet traffic (0.0.0.0/0) to the firewall, which denies what no rule
    allows: without a network rule to a public destination or an application rule (FQDNs, FQDN tags, web categories:
    all public names), the spoke reaches nothing on the Internet (OS updates, public PaaS endpoints)."""
    firewall = topology.hub.firewall
    if firewall is None:
        return
    allowing = [r for c in firewall.collections if c.rule_type == NETWORK and c.action == "Allow" for r in c.rules]
    by_name = any(c.rule_type == APPLICATION and c.action == "Allow" and c.rules for c in firewall.collections)
    if not topology.spoke_route_tables or by_name or any(_allows_public(r) or r.destination_fqdns for r in allowing):
        return
    for spoke in topology.spokes:
        if spoke.internet_through_firewall:
            yield f"{spoke.path}.internetThroughFirewall", (
                f"spoke '{spoke.name}' sends its Internet traffic to {firewall.name}, but no network rule allows a public "
                f"destination and no application rule allows a name: the firewall denies all of it. Add a rule for what the spoke needs, or leave "
                f"internetThroughFirewall off")


def _allows_public(network_rule) -> bool:
    """Whether a network rule lets anything through to an address outside IANA's private ranges."""
    private = [ipaddress.ip_network(r) for r in IANA_PRIVATE_RANGES]
    for address in network_rule.destination_addresses:
        if address == "*":
            return True
        first = address.split("-")[0].split("/")[0]
        try:
            network = ipaddress.ip_network(f"{first}/{address.split('/')[1]}" if "/" in address else first, strict=False)
        except (ValueError, IndexError):
            continue  # FW002 reports it
        if not any(network.subnet_of(p) for p in private if network.version == p.version):
            return True
    return False
