"""Rules: what a spec keeps of running resources (`asDeployed`, route tables it names) (ASD, ROUTE)."""

from __future__ import annotations

from .. import azure_shapes
from ..findings import WARNING
from ..model import NO_ROUTE_TABLE_SUBNETS, ROUTE_SERVER_SUBNET, Subnet, resource_key
from ..inventory import written, written_for
from . import rule

MODES_LINK = "https://learn.microsoft.com/azure/azure-resource-manager/templates/deployment-modes"
UDR_LINK = "https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview"
# "Azure Route Server doesn't support a network security group or a route table on RouteServerSubnet" (Route
# Server FAQ); "UDR isn't supported on an Azure Bastion subnet" (Bastion FAQ).
NO_TABLE_LINK = "https://learn.microsoft.com/azure/route-server/route-server-faq"

# Designed properties a running resource may keep with a warning, because the spec has no field for them.
OVERRIDABLE = {azure_shapes.PEERING: {"allowForwardedTraffic", "allowVirtualNetworkAccess"}}


@rule("ASD001", "asDeployed names no resource, or keeps what the spec designs", MODES_LINK)
def kept_resources(topology, data):
    """`asDeployed` keeps what running resources carry that gen does not design. Each key names a resource the spec
    renders: its type and name as in its resource ID after `providers/`, or its whole resource ID where two resources
    of one type and name live in different groups. It never overrides what the spec designs (a SKU, the address space,
    routes, rules): those have their own fields, and keeping them here would hide a change from `gen diff` and from
    every analysis."""
    if not topology.as_deployed:
        return
    renders = written(topology)
    for entry in topology.as_deployed:
        found = written_for(renders, str(entry.key))
        if found is None:
            yield entry.path, (f"{entry.key} is no resource this spec renders (a name or type misspelt, or a resource left "
                               f"out of the spec): remove it, or add what it belongs to")
            continue
        kind, designed = found
        designed = designed - OVERRIDABLE.get(kind.lower(), set())
        clash = sorted(key for key in set(entry.properties or {}) & designed
                       if not azure_shapes.only_undesigned_parts(kind, key, entry.properties[key]))
        if clash:
            yield f"{entry.path}.properties", (f"keeps {', '.join(clash)}, which the spec designs: set it with the spec's own "
                                               f"fields (gen import writes them), not here")


@rule("ASD002", "asDeployed keeps a setting against gen's design", MODES_LINK, severity=WARNING)
def kept_against_design(topology, data):
    """A running resource may keep a setting gen designs where the spec has no field for it (a peering that does not
    allow forwarded traffic): the redeploy keeps it, but gen's routes and traces assume the design, so they may be
    wrong for it. A warning, to be fixed or accepted with its reason."""
    if not topology.as_deployed:
        return
    renders = written(topology)
    for entry in topology.as_deployed:
        kind = (written_for(renders, str(entry.key)) or ("", set()))[0]
        kept = sorted(set(entry.properties or {}) & OVERRIDABLE.get(kind.lower(), set()))
        if kept:
            yield f"{entry.path}.properties", (
                f"keeps {', '.join(f'{k}={entry.properties[k]}' for k in kept)} on {entry.key}, where gen designs "
                f"allowForwardedTraffic and allowVirtualNetworkAccess true: transit through the firewall to this VNet "
                f"arrives as forwarded traffic, so gen trace may call delivered what this peering drops")


@rule("ROUTE001", "Subnets that share a route table need different routes", UDR_LINK)
def shared_tables(topology, data):
    """Subnets that name the same route table share it: gen writes it once, with the routes each subnet needs. Two
    subnets that need a route of the same name to different places, or gateway route propagation both on and off,
    cannot share a table: give one of them a table of its own."""
    for conflict in topology.route_table_conflicts:
        path, _, message = conflict.partition(": ")
        yield path, message


@rule("ROUTE002", "Route table on a subnet that takes none", NO_TABLE_LINK)
def no_table_here(topology, data):
    """RouteServerSubnet and AzureBastionSubnet take no route table (Route Server FAQ; Bastion FAQ)."""
    for subnet in topology.each(Subnet):
        if subnet.table is not None and subnet.name in (ROUTE_SERVER_SUBNET,) + NO_ROUTE_TABLE_SUBNETS:
            yield subnet.table.path, f"{subnet.name} takes no route table: remove its routeTable"


GATEWAY_PROPAGATION_LINK = "https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview"


@rule("ROUTE003", "GatewaySubnet's route table must propagate gateway routes", GATEWAY_PROPAGATION_LINK, creation=True)
def gateway_subnet_propagation(topology, data):
    """"Route propagation shouldn't be disabled on GatewaySubnet. The gateway won't function if this setting is
    disabled" (virtual network traffic routing). A hub that runs with it off (`existing`) is a warning: kept as it runs,
    but broken until it is turned on (in place, no downtime documented)."""
    from ..model import GATEWAY_SUBNET

    table = topology.table_on(topology.hub.vnet.name, GATEWAY_SUBNET)
    if table is None or table.propagate_gateway_routes:
        return
    subnet = topology.hub.vnet.subnet(GATEWAY_SUBNET)
    where = subnet.table.path if subnet is not None and subnet.table is not None else topology.hub.vnet.path
    text = (f"route table {table.name} on GatewaySubnet has gateway route propagation off: \"The gateway won't function if "
            f"this setting is disabled\"")
    if topology.hub.vnet.existing:
        yield f"{where}", text + ". Kept as it runs; set propagateGatewayRoutes: true (or remove it) to turn it on", WARNING
    else:
        yield f"{where}", text + ": remove propagateGatewayRoutes: false"
