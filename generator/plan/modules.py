"""What each module of templates/modules asks Azure to do, operation by operation, for one instance.

The output README's plan is made from these (no compiler at render time), `gen plan` from the compiled
template; tests compare the two for every example and topology, operation by operation, so that both
print one set of figures. Each operation is (Azure name, resource type, indexes of the operations of
the same instance it waits for); a loop with @batchSize(1) waits for its previous instance.
"""

from __future__ import annotations

Operation = tuple[str, str, tuple[int, ...]]

PUBLIC_IP = "Microsoft.Network/publicIPAddresses"
ROUTE_TABLE = "Microsoft.Network/routeTables"
VNET = "Microsoft.Network/virtualNetworks"
SUBNET = "Microsoft.Network/virtualNetworks/subnets"
PEERING = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings"
GATEWAY = "Microsoft.Network/virtualNetworkGateways"
CONNECTION = "Microsoft.Network/connections"
LOCAL_GATEWAY = "Microsoft.Network/localNetworkGateways"
HUB = "Microsoft.Network/virtualHubs"
HUB_IP_CONFIGURATION = "Microsoft.Network/virtualHubs/ipConfigurations"
FIREWALL = "Microsoft.Network/azureFirewalls"
POLICY = "Microsoft.Network/firewallPolicies"
RULE_GROUP = "Microsoft.Network/firewallPolicies/ruleCollectionGroups"
WORKSPACE = "Microsoft.OperationalInsights/workspaces"
DIAGNOSTIC_SETTING = "Microsoft.Insights/diagnosticSettings"
NIC = "Microsoft.Network/networkInterfaces"
VM = "Microsoft.Compute/virtualMachines"
EXPRESSROUTE_GATEWAY = "ExpressRoute"  # the gatewayType that tells the two gateways' durations apart


def route_table(name: str) -> list[Operation]:
    return [(name, ROUTE_TABLE, ())]


def virtual_network(name: str, subnets: tuple[str, ...]) -> list[Operation]:
    """The VNet, then its subnets one at a time (@batchSize(1): each write updates the VNet)."""
    found = [(name, VNET, ())]
    for index, subnet in enumerate(subnets):
        found.append((f"{name}/{subnet}", SUBNET, (0,) if index == 0 else (0, index)))
    return found


def gateway(name: str, public_ips: tuple[str, ...]) -> list[Operation]:
    """A VPN or ExpressRoute gateway after its public IPs (side by side)."""
    return [(ip, PUBLIC_IP, ()) for ip in public_ips] + [(name, GATEWAY, tuple(range(len(public_ips))))]


def firewall(name: str, policy: str | None, rule_groups: tuple[str, ...], public_ips: tuple[str, ...]) -> list[Operation]:
    """The public IP(s) and the policy side by side, its rule collection groups one after the other (the module writes
    them with batchSize 1), the firewall after all of them. Classic rules (`policy` None): the firewall holds them."""
    ips = [(ip, PUBLIC_IP, ()) for ip in public_ips]
    first = len(ips)
    if policy is None:
        return ips + [(name, FIREWALL, tuple(range(first)))]
    groups = [(f"{policy}/{group}", RULE_GROUP, (first + index,)) for index, group in enumerate(rule_groups)]
    return ips + [(policy, POLICY, ())] + groups + [(name, FIREWALL, tuple(range(first + 1 + len(groups))))]


def route_server(name: str, public_ip: str, ip_configuration: str) -> list[Operation]:
    return [(public_ip, PUBLIC_IP, ()), (name, HUB, ()), (f"{name}/{ip_configuration}", HUB_IP_CONFIGURATION, (0, 1))]


def connection(name: str) -> list[Operation]:
    return [(name, CONNECTION, ())]


def connection_pair(first: str, second: str) -> list[Operation]:
    """Both directions of a VNet-to-VNet link, one after the other (they write the same gateways)."""
    return [(first, CONNECTION, ()), (second, CONNECTION, (0,))]


def site_connection(local_network_gateway: str, name: str) -> list[Operation]:
    return [(local_network_gateway, LOCAL_GATEWAY, ()), (name, CONNECTION, (0,))]


def peering(name: str) -> list[Operation]:
    """One side of a peering (`vnet/peering`)."""
    return [(name, PEERING, ())]


def diagnostics(setting: str, workspace: str | None) -> list[Operation]:
    """The diagnostic setting, after the workspace when the module creates one."""
    if workspace is None:
        return [(setting, DIAGNOSTIC_SETTING, ())]
    return [(workspace, WORKSPACE, ()), (setting, DIAGNOSTIC_SETTING, (0,))]


def linux_vm(name: str) -> list[Operation]:
    return [(f"{name}-nic", NIC, ()), (name, VM, (0,))]
