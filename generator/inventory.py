"""What a design deploys: every Azure resource of a Topology, with the properties a redeploy compares.

Decided once, here, for the three readers that need it: `gen diff` compares two inventories, `gen verify`
looks for each resource in a capture, `gen diff --live` and `gen import` compare one with what Azure holds.
Keys are (type, name in lower case), names as ARM templates write them (`parent/child` for a child resource).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import ROUTE_SERVER_SUBNET, Topology, VnetBranch

VNET = "Microsoft.Network/virtualNetworks"
SUBNET = "Microsoft.Network/virtualNetworks/subnets"
GATEWAY = "Microsoft.Network/virtualNetworkGateways"
PUBLIC_IP = "Microsoft.Network/publicIPAddresses"
ROUTE_SERVER = "Microsoft.Network/virtualHubs"
FIREWALL = "Microsoft.Network/azureFirewalls"
POLICY = "Microsoft.Network/firewallPolicies"
RULES = "Microsoft.Network/firewallPolicies/ruleCollectionGroups"
ROUTE_TABLE = "Microsoft.Network/routeTables"
CONNECTION = "Microsoft.Network/connections"
LOCAL_GATEWAY = "Microsoft.Network/localNetworkGateways"
NIC = "Microsoft.Network/networkInterfaces"
PEERING = "Microsoft.Network/virtualNetworks/virtualNetworkPeerings"
VM = "Microsoft.Compute/virtualMachines"
WORKSPACE = "Microsoft.OperationalInsights/workspaces"
DIAGNOSTIC_SETTING = "Microsoft.Insights/diagnosticSettings"


@dataclass(frozen=True)
class Resource:
    """One Azure resource a design deploys, with what a redeploy compares."""

    type: str
    name: str
    path: str  # the spec path of what it comes from
    role: str  # what it is in the design: "hub VPN gateway", "public IP 2 of the hub VPN gateway"
    props: dict = field(default_factory=dict, compare=False, hash=False)


def inventory(t: Topology) -> dict[tuple[str, str], Resource]:
    """Every Azure resource the design deploys, keyed by (type, name)."""
    found: list[Resource] = []
    hub = t.hub

    def add(type_: str, name: str, path: str, role: str, **props) -> None:
        found.append(Resource(type_, str(name), path, role, props))

    peered = {str(hub.vnet.name): [(str(s.vnet.name), s.spoke_to_hub_peering) for s in t.spokes]}
    peered.update({str(s.vnet.name): [(str(hub.vnet.name), s.hub_to_spoke_peering)] for s in t.spokes})
    tables = {(str(hub.vnet.name), table.subnet): table.name for table in t.route_tables}
    for spoke, table in zip(t.spokes, t.spoke_route_tables):
        tables.update({(str(spoke.vnet.name), name): table.name for name in spoke.route_table_subnets})
    in_use = {(vm.vnet_name, str(vm.subnet)): f"test VM {vm.name}" for vm in t.test_vms}
    for vnet in t.vnets:
        # remote peerings: the (remote VNet, its peering) to sync after this VNet's address space changes
        add(VNET, vnet.name, vnet.path, vnet.label, addressSpace=tuple(vnet.address_space), remotes=tuple(peered.get(str(vnet.name), ())))
        for subnet in vnet.subnets:
            add(SUBNET, f"{vnet.name}/{subnet.name}", subnet.path, f"subnet {subnet.name} of {vnet.label}", prefix=str(subnet.prefix),
                nsg=str(subnet.nsg_id or "").lower(), routeTable=tables.get((str(vnet.name), str(subnet.name))),
                user=_subnet_user(t, vnet, str(subnet.name)) or in_use.get((str(vnet.name), str(subnet.name))))
    for table in t.route_tables:
        add(ROUTE_TABLE, table.name, f"{hub.vnet.path}.subnets", f"route table of {table.subnet}",
            routes=tuple((r.name, r.address_prefix, r.next_hop_type, r.next_hop_ip) for r in table.routes),
            propagate=table.propagate_gateway_routes)
    for spoke, table in zip(t.spokes, t.spoke_route_tables):
        add(ROUTE_TABLE, table.name, spoke.path, f"route table of spoke {spoke.name}",
            routes=tuple((r.name, r.address_prefix, r.next_hop_type, r.next_hop_ip) for r in table.routes),
            propagate=table.propagate_gateway_routes)
    for spoke in t.spokes:
        add(PEERING, f"{hub.vnet.name}/{spoke.hub_to_spoke_peering}", spoke.path, f"peering hub -> {spoke.name}",
            remote=str(spoke.vnet.name).lower())
        add(PEERING, f"{spoke.vnet.name}/{spoke.spoke_to_hub_peering}", spoke.path, f"peering {spoke.name} -> hub",
            remote=str(hub.vnet.name).lower())
    for derived in t.derived_names:
        if derived.resource_type == "public IP":
            # The role names the IP by its place (its owner's spec path and its suffix), so a renamed owner is a rename.
            add(PUBLIC_IP, derived.name, derived.path, f"public IP {derived.name.rsplit('-', 1)[-1]} of {derived.path.rsplit('.', 1)[0]}")
    if hub.expressroute_gateway:
        er = hub.expressroute_gateway
        add(GATEWAY, er.name, er.path, "ExpressRoute gateway", sku=str(er.sku))
    for gateway in t.vpn_gateways:
        add(GATEWAY, gateway.name, gateway.path, gateway.label, sku=str(gateway.sku), generation=gateway.generation,
            pinned=gateway.pinned_generation is not None, asn=gateway.asn, activeActive=gateway.active_active,
            customBgp=tuple(str(a) for a in gateway.custom_bgp_ip_addresses))
    if hub.route_server:
        ars = hub.route_server
        subnet = hub.vnet.subnet(ROUTE_SERVER_SUBNET)
        add(ROUTE_SERVER, ars.name, ars.path, "Route Server", branchToBranch=ars.branch_to_branch,
            preference=ars.hub_routing_preference, subnet=str(subnet.prefix) if subnet else None)
    if hub.firewall:
        fw = hub.firewall
        add(FIREWALL, fw.name, fw.path, "Azure Firewall", tier=fw.tier, management=fw.needs_management_ip,
            policy=fw.policy_name.lower())
        add(POLICY, fw.policy_name, fw.path, "firewall policy", tier=fw.tier, snat=t.snat_private_ranges,
            firewall=str(fw.name))
        add(RULES, f"{fw.policy_name}/{fw.rule_group_name}", fw.path, "firewall rules",
            rules=tuple((r.name, r.source_addresses, r.destination_addresses, r.destination_ports, r.protocols)
                        for r in fw.network_rules))
        if fw.diagnostics:
            logs = fw.diagnostics
            # Named on the firewall (it is an extension resource of it): "<firewall>/<setting>".
            add(DIAGNOSTIC_SETTING, f"{fw.name}/{logs.setting_name}", logs.path, "firewall diagnostic setting",
                destination=str(logs.workspace_resource_id or logs.workspace_name).rsplit("/", 1)[-1].lower(),
                categories=tuple(logs.categories))
            if logs.workspace_name:
                add(WORKSPACE, logs.workspace_name, logs.path, "Log Analytics workspace", retention=logs.retention_days)
    for site in t.on_premises:
        add(CONNECTION, site.connection_name, site.path, f"ExpressRoute connection of {site.name}",
            circuit=str(site.circuit_id).lower(), weight=site.routing_weight, fastPath=site.fast_path)
    for branch in t.branches:
        if isinstance(branch, VnetBranch):
            add(CONNECTION, branch.hub_to_branch_connection, branch.path, f"connection hub -> {branch.name}")
            add(CONNECTION, branch.branch_to_hub_connection, branch.path, f"connection {branch.name} -> hub")
        else:
            for device in branch.devices:
                of = f"{branch.name}/{device.name}" if branch.multi_device else str(branch.name)
                add(LOCAL_GATEWAY, device.local_network_gateway_name, device.path, f"Local Network Gateway of {of}",
                    address=device.endpoint, prefixes=() if branch.multi_device else tuple(branch.address_prefixes),
                    asn=device.bgp_asn, peer=str(device.bgp_peering_address) if device.bgp else "")
                policy = branch.connection.ipsec_policy
                add(CONNECTION, device.connection_name, device.path, f"site-to-site connection of {of}",
                    ipsec=tuple(sorted(policy.as_arm().items())) if policy else (),
                    policyBased=bool(branch.connection.policy_based_traffic_selectors),
                    dpd=branch.connection.dpd_timeout_seconds or 45, mode=branch.connection.connection_mode or "Default",
                    customBgp=tuple(str(a) for a in t.hub.vpn_gateway.custom_bgp_ip_addresses) if device.apipa else (),
                    bgp=device.bgp)
    for vm in t.test_vms:
        add(VM, vm.name, vm.path, "test VM", size=str(vm.size), placement=(vm.vnet_name, str(vm.subnet)),
            admin=str(vm.admin_username))
        add(NIC, f"{vm.name}-nic", vm.path, "test VM NIC", placement=(vm.vnet_name, str(vm.subnet)))
    # Where a VNet branch's own resources live: its region, when the spec gives one (gen diff refuses to move them).
    regions = {}
    for branch in t.vnet_branches:
        gateway = branch.vpn_gateway
        for name in (branch.vnet.name, gateway.name, branch.branch_to_hub_connection, *gateway.public_ip_names):
            regions[str(name)] = str(branch.location or t.location)
    for resource in found:
        if resource.name in regions and resource.type in (VNET, GATEWAY, CONNECTION, PUBLIC_IP):
            resource.props["region"] = regions[resource.name]
    return {(r.type, r.name.lower()): r for r in found}


def _subnet_user(t: Topology, vnet, name: str) -> str | None:
    """What of the design lives in a subnet (a gateway, the Route Server, the firewall): its prefix cannot change."""
    hub = t.hub
    if vnet is hub.vnet:
        users = {"GatewaySubnet": "the hub gateways" if (hub.expressroute_gateway or hub.vpn_gateway) else None,
                 "RouteServerSubnet": "the Route Server" if hub.route_server else None,
                 "AzureFirewallSubnet": "the firewall" if hub.firewall else None,
                 "AzureFirewallManagementSubnet": "the firewall" if hub.firewall and hub.firewall.needs_management_ip else None}
        return users.get(name)
    if name == "GatewaySubnet":
        return "the branch VPN gateway"
    return None
