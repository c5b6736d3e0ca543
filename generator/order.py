"""The order of the deployment: which of main.bicep's modules wait for which, and why.

Decided once, here: main.bicep writes each step's `after` as its explicit `dependsOn`, and the
output README's deployment plan is computed from the same steps. `gen plan` then reads the
compiled template, which is what Azure Resource Manager really runs, and its conflict check
proves the order (tests compare the two for every example and topology).

Two rules give the order:
- Bicep already orders a module after every module whose outputs it reads (`needs`).
- Operations that write the same VNet or gateway must not run at once: Azure refuses a write
  while another is in progress (`AnotherOperationInProgress`). So everything that writes the
  hub VNet, directly or through its gateways, is one chain, each after the one before:
  ExpressRoute gateway, VPN gateway, firewall, Route Server, then the connections, then test VMs.
  Sources: Azure Landing Zones order the firewall after the gateways for exactly this
  (https://github.com/Azure/ALZ-Bicep, hubNetworking.bicep; https://github.com/Azure/Enterprise-Scale/issues/1726);
  connections on one gateway one at a time (https://learn.microsoft.com/azure/expressroute/expressroute-howto-linkvnet-arm).
  That connections on the two gateways of one GatewaySubnet conflict with each other, and a test VM's
  NIC with a gateway of its VNet, is not documented either way: assumed, on the safe side.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Topology
from .plan import modules

SAME_GATEWAY_SUBNET = "two gateways in one GatewaySubnet write the same VNet: one after the other"
FIREWALL_AFTER_GATEWAYS = ("the firewall writes the hub VNet too: after the gateways, as Azure Landing Zones order it "
                           "(AnotherOperationInProgress otherwise)")
ROUTE_SERVER_AFTER = "the Route Server peers with the gateways of its VNet as it is created: after them and the firewall"
CONNECTIONS_AFTER = ("creating the Route Server updates the gateways, and connections write them (and, assumed, their "
                     "GatewaySubnet): one kind of connection after the other, one at a time")
PEERINGS_AFTER = ("a peering writes the hub VNet, and the spoke uses the hub's gateways (RemoteVnetHasNoGateways before "
                  "they exist): after the gateways, one at a time, and (assumed) after the Route Server, which updates them")
DIAGNOSTICS_AFTER = ("the diagnostic setting is written on the firewall, named from the parameters (so that what-if "
                     "sees it): after the firewall exists")
VMS_AFTER = "a test VM's NIC joins a subnet of a VNet the gateways and connections write (assumed): after them"
TABLES_FIRST = "its subnets name their route tables by resource ID (the tables may live in other resource groups): after the tables"
SPOKE_SIDE_AFTER = "the spoke uses the hub's gateways, which the hub side of the peering lends: after it"


@dataclass(frozen=True)
class Step:
    """One module (or module loop) of main.bicep."""

    symbol: str
    module: str  # module file stem, e.g. "vpn-gateway"
    label: str  # what it deploys, for people
    instances: tuple[str, ...]  # the Azure name each instance deploys (one for a plain module)
    loop: bool = False
    serial: bool = False  # @batchSize(1): instances one at a time
    needs: tuple[str, ...] = ()  # symbols whose outputs it reads; "symbol[]" means the same loop index
    after: tuple[str, ...] = ()  # its explicit dependsOn
    why: str = ""  # why `after`
    operations: tuple = ()  # per instance, the Azure operations of its module (plan/modules.py)

    def waits_for(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.removesuffix("[]") for s in self.needs + self.after))


def steps(t: Topology) -> tuple[Step, ...]:
    """main.bicep's modules in the order they are written, each with what it waits for."""
    hub = t.hub
    found: list[Step] = []
    chain: list[str] = []  # the writers of the hub VNet, in order

    def add(step: Step, in_chain: bool = False) -> None:
        if in_chain and chain:
            previous = chain[-1]
            if previous not in step.waits_for():
                step = Step(**{**step.__dict__, "after": step.after + (previous,)})
        found.append(step)
        if in_chain:
            chain.append(step.symbol)

    if t.route_tables:
        found.append(Step("routeTableDeployments", "route-table", "route table", tuple(r.name for r in t.route_tables), loop=True,
                          operations=tuple(modules.route_table(r.name) for r in t.route_tables)))

    def tables_first(vnets) -> dict:
        """A VNet step's wait for the route tables, when any of its subnets has one."""
        return {"after": ("routeTableDeployments",), "why": TABLES_FIRST} if any(t.tables_of(v) for v in vnets) else {}

    found.append(Step("hubNetwork", "virtual-network", "hub VNet", (hub.vnet.name,), operations=(_network(hub.vnet),),
                      **tables_first([hub.vnet])))
    if hub.expressroute_gateway:
        er = hub.expressroute_gateway
        add(Step("expressRouteGatewayDeployment", "expressroute-gateway", "ExpressRoute gateway",
                 (er.name,), needs=("hubNetwork",), operations=(modules.gateway(er.name, (er.public_ip_name,)),)), in_chain=True)
    if hub.vpn_gateway:
        add(Step("hubVpnGatewayDeployment", "vpn-gateway", "hub VPN gateway", (hub.vpn_gateway.name,),
                 needs=("hubNetwork",), why=SAME_GATEWAY_SUBNET,
                 operations=(modules.gateway(hub.vpn_gateway.name, hub.vpn_gateway.public_ip_names),)), in_chain=True)
    if hub.firewall:
        fw = hub.firewall
        ips = (fw.public_ip_name,) + ((fw.management_public_ip_name,) if fw.needs_management_ip else ())
        add(Step("firewallDeployment", "firewall", "Azure Firewall and its policy", (fw.name,),
                 needs=("hubNetwork",), why=FIREWALL_AFTER_GATEWAYS, operations=(modules.firewall(fw.name, None if fw.classic_rules else fw.policy_name,
                                                 tuple(str(g.name) for g in fw.rule_collection_groups), ips),)),
            in_chain=True)
    if hub.firewall and hub.firewall.diagnostics:
        logs = hub.firewall.diagnostics
        found.append(Step("firewallDiagnosticsDeployment", "firewall-diagnostics", "firewall logs to Log Analytics",
                          (logs.workspace_name or "diagnostic setting",), after=("firewallDeployment",),
                          why=DIAGNOSTICS_AFTER,
                          operations=(modules.diagnostics(logs.setting_name, str(logs.workspace_name) if logs.workspace_name else None),)))
    if hub.route_server:
        ars = hub.route_server
        add(Step("routeServerDeployment", "route-server", "Route Server", (ars.name,),
                 needs=("hubNetwork",), why=ROUTE_SERVER_AFTER, operations=(modules.route_server(ars.name, ars.public_ip_name, ars.ip_configuration_name),)),
            in_chain=True)
    if t.spokes:
        found.append(Step("spokeNetworks", "virtual-network", "spoke VNet", tuple(s.vnet.name for s in t.spokes), loop=True,
                          operations=tuple(_network(s.vnet) for s in t.spokes), **tables_first([s.vnet for s in t.spokes])))
        # The peerings name their VNets (from the parameters, so that what-if sees them): ordered explicitly.
        add(Step("hubToSpokePeerings", "vnet-peering", "hub -> spoke peering", tuple(s.hub_to_spoke_peering for s in t.spokes),
                 loop=True, serial=True, after=("spokeNetworks[]",), why=PEERINGS_AFTER,
                 operations=tuple(modules.peering(f"{hub.vnet.name}/{s.hub_to_spoke_peering}") for s in t.spokes)), in_chain=True)
        # A peering writes both its VNets (assumed, as for the hub side): in the chain of the hub VNet's writers too.
        add(Step("spokeToHubPeerings", "vnet-peering", "spoke -> hub peering", tuple(s.spoke_to_hub_peering for s in t.spokes),
                 loop=True, serial=True, why=SPOKE_SIDE_AFTER,
                 operations=tuple(modules.peering(f"{s.vnet.name}/{s.spoke_to_hub_peering}") for s in t.spokes)), in_chain=True)
    if t.has_expressroute_connections:
        add(Step("expressRouteConnectionDeployments", "expressroute-connection", "ExpressRoute connection",
                 tuple(s.connection_name for s in t.on_premises), loop=True, serial=True,
                 needs=("expressRouteGatewayDeployment",), why=CONNECTIONS_AFTER,
                 operations=tuple(modules.connection(s.connection_name) for s in t.on_premises)), in_chain=True)
    if t.vnet_branches:
        names = tuple(b.vnet.name for b in t.vnet_branches)
        found.append(Step("branchNetworks", "virtual-network", "branch VNet", names, loop=True,
                          operations=tuple(_network(b.vnet) for b in t.vnet_branches), **tables_first([b.vnet for b in t.vnet_branches])))
        found.append(Step("branchVpnGateways", "vpn-gateway", "branch VPN gateway",
                          tuple(b.vpn_gateway.name for b in t.vnet_branches), loop=True, needs=("branchNetworks[]",),
                          operations=tuple(modules.gateway(b.vpn_gateway.name, b.vpn_gateway.public_ip_names) for b in t.vnet_branches)))
        add(Step("vnetToVnetConnections", "vnet-to-vnet-connection", "VNet-to-VNet connection pair",
                 tuple(b.hub_to_branch_connection for b in t.vnet_branches), loop=True, serial=True,
                 needs=("hubVpnGatewayDeployment", "branchVpnGateways[]"), why=CONNECTIONS_AFTER,
                 operations=tuple(modules.connection_pair(b.hub_to_branch_connection, b.branch_to_hub_connection)
                                  for b in t.vnet_branches)), in_chain=True)
    if t.site_branches:
        add(Step("siteToSiteConnections", "site-to-site-connection", "site-to-site connection and its Local Network Gateway",
                 tuple(d.connection_name for _, d in t.site_devices), loop=True, serial=True,
                 needs=("hubVpnGatewayDeployment",), why=CONNECTIONS_AFTER,
                 operations=tuple(modules.site_connection(d.local_network_gateway_name, d.connection_name)
                                  for _, d in t.site_devices)),
            in_chain=True)
    if t.test_vms:
        # The VMs name their subnet (resourceId), so nothing orders them after the networks but this.
        networks = () if chain else ("hubNetwork",) + (("branchNetworks",) if t.vnet_branches else ())
        add(Step("testVmDeployments", "linux-vm", "test VM", tuple(v.name for v in t.test_vms), loop=True,
                 after=networks, why=VMS_AFTER, operations=tuple(modules.linux_vm(v.name) for v in t.test_vms)), in_chain=True)
    return tuple(found)


def _network(vnet) -> list:
    return modules.virtual_network(str(vnet.name), tuple(str(s.name) for s in vnet.subnets))
