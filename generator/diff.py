"""`gen diff`: what a spec change does to the running network, resource by resource.

Two models are compared, never the JSON text: each side becomes an inventory of the Azure
resources it deploys (type, name, the spec path it comes from, the properties that matter for
a redeploy), and every difference is judged with what Microsoft documents about changing that
property in place (shared/docs/azure-change-impact.md collects the sources; each rule below
links its own). Where nothing documents a behaviour, the detail says "assumed".

Removed from the spec is not removed from Azure: `az deployment group create` runs in
incremental mode and leaves resources the template no longer names where they are
(https://learn.microsoft.com/azure/azure-resource-manager/templates/deployment-modes). Every
`delete` therefore comes with the `az` command that removes it, in an order Azure accepts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .model import ROUTE_SERVER_SUBNET, SPECIAL_SUBNETS, Topology, VnetBranch

CREATE, MODIFY, RECREATE, DELETE, BLOCKED = "create", "modify", "recreate", "delete", "blocked"
NONE, BRIEF, LONG = "none", "brief", "long"

VNET = "Microsoft.Network/virtualNetworks"
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

SKU_UPGRADE = "https://learn.microsoft.com/azure/vpn-gateway/gateway-sku-upgrade"
ACTIVE_ACTIVE = "https://learn.microsoft.com/azure/vpn-gateway/gateway-change-active-active"
BGP_FAQ = "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-vpn-faq#bgp"
ER_GATEWAY = "https://learn.microsoft.com/azure/expressroute/expressroute-about-virtual-network-gateways"
ER_MIGRATION = "https://learn.microsoft.com/azure/expressroute/expressroute-howto-gateway-migration-portal"
ROUTE_SERVER_DOWNTIME = "https://learn.microsoft.com/azure/route-server/expressroute-vpn-support"
ROUTE_SERVER_CONFIG = "https://learn.microsoft.com/azure/route-server/configure-route-server"
FIREWALL_UPGRADE = "https://learn.microsoft.com/azure/firewall/premium-migrate"
FIREWALL_EASY = "https://learn.microsoft.com/azure/firewall/easy-upgrade"
FORCED_TUNNELLING = "https://learn.microsoft.com/azure/firewall/forced-tunneling"
GATEWAY_UDR = "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-about-vpn-gateway-settings#gwsub"
ADDRESS_SPACE = "https://learn.microsoft.com/azure/virtual-network/update-virtual-network-peering-address-space"
INLINE_SUBNETS = "https://github.com/Azure/bicep/issues/4653"
LNG_CHANGES = "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-modify-local-network-gateway-portal"
ER_WEIGHT = "https://learn.microsoft.com/azure/expressroute/expressroute-optimize-routing"
ER_PEER = "https://github.com/Azure/azure-cli/issues/9447"
FASTPATH = "https://learn.microsoft.com/azure/expressroute/about-fastpath"
VM_RESIZE = "https://learn.microsoft.com/azure/virtual-machines/resize-vm"
DIAGNOSTIC_SETTINGS = "https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings"
RETENTION = "https://learn.microsoft.com/azure/azure-monitor/logs/data-retention-configure"
WORKSPACE_DELETE = "https://learn.microsoft.com/azure/azure-monitor/logs/delete-workspace"
MODES = "https://learn.microsoft.com/azure/azure-resource-manager/templates/deployment-modes"
ARM = "https://learn.microsoft.com/azure/azure-resource-manager/management/overview"

# How to delete what leaves the spec, and in which order Azure accepts it: connections before the
# gateways they use, gateways before their VNet, NICs after their VM, route tables after their subnets.
DELETE_COMMANDS = {
    CONNECTION: (10, "az network vpn-connection delete --resource-group {rg} --name {name}"),
    VM: (20, "az vm delete --resource-group {rg} --name {name} --yes"),
    NIC: (25, "az network nic delete --resource-group {rg} --name {name}"),
    FIREWALL: (30, "az network firewall delete --resource-group {rg} --name {name}  # needs: az extension add --name azure-firewall"),
    POLICY: (35, "az network firewall policy delete --resource-group {rg} --name {name}"),
    ROUTE_SERVER: (40, "az network routeserver delete --resource-group {rg} --name {name}"),
    GATEWAY: (50, "az network vnet-gateway delete --resource-group {rg} --name {name}"),
    LOCAL_GATEWAY: (55, "az network local-gateway delete --resource-group {rg} --name {name}"),
    PUBLIC_IP: (60, "az network public-ip delete --resource-group {rg} --name {name}"),
    PEERING: (65, "az network vnet peering delete --resource-group {rg} --vnet-name {parent} --name {child}"),
    DIAGNOSTIC_SETTING: (5, "az monitor diagnostic-settings delete --resource-group {rg} --resource {parent} "
                            "--resource-type Microsoft.Network/azureFirewalls --name {child}"),
    # Soft-deleted for 14 days: the logs in it can be recovered until then, and the name stays taken.
    WORKSPACE: (85, "az monitor log-analytics workspace delete --resource-group {rg} --workspace-name {name} --yes"),
    VNET: (80, "az network vnet delete --resource-group {rg} --name {name}"),
    # After the VNet whose subnets use it: "You can't delete a route table that's associated to any subnets"
    # (https://learn.microsoft.com/azure/virtual-network/manage-route-table#delete-a-route-table); a hub table is detached by the redeploy.
    ROUTE_TABLE: (82, "az network route-table delete --resource-group {rg} --name {name}"),
}


@dataclass(frozen=True)
class Resource:
    """One Azure resource a design deploys, with what a redeploy compares."""

    type: str
    name: str
    path: str  # the spec path of what it comes from
    role: str  # what it is in the design: "hub VPN gateway", "public IP 2 of the hub VPN gateway"
    props: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Change:
    resource: str
    type: str
    action: str
    downtime: str
    detail: str
    link: str
    command: str = ""  # for a delete: the az command that removes it

    def as_json(self) -> dict:
        found = {"resource": self.resource, "type": self.type, "action": self.action, "downtime": self.downtime,
                 "detail": self.detail, "link": self.link}
        if self.command:
            found["command"] = self.command
        return found

    @property
    def disruptive(self) -> bool:
        return self.action in (RECREATE, DELETE, BLOCKED) or self.downtime != NONE


# --- what each design deploys ---------------------------------------------------------------------------


def inventory(t: Topology) -> dict[tuple[str, str], Resource]:
    """Every Azure resource the design deploys, keyed by (type, name)."""
    found: list[Resource] = []
    hub = t.hub

    def add(type_: str, name: str, path: str, role: str, **props) -> None:
        found.append(Resource(type_, str(name), path, role, props))

    for vnet in t.vnets:
        add(VNET, vnet.name, vnet.path, vnet.label, addressSpace=tuple(vnet.address_space),
            subnets={str(s.name): str(s.prefix) for s in vnet.subnets})
    for table in t.route_tables:
        add(ROUTE_TABLE, table.name, f"{hub.vnet.path}.subnets", f"route table of {table.subnet}",
            routes=tuple((r.name, r.address_prefix, r.next_hop_type, r.next_hop_ip) for r in table.routes),
            propagate=table.propagate_gateway_routes)
    for spoke, table in zip(t.spokes, t.spoke_route_tables):
        add(ROUTE_TABLE, table.name, spoke.path, f"route table of spoke {spoke.name}",
            routes=tuple((r.name, r.address_prefix, r.next_hop_type, r.next_hop_ip) for r in table.routes),
            propagate=table.propagate_gateway_routes)
    for spoke in t.spokes:
        add(PEERING, f"{hub.vnet.name}/{spoke.hub_to_spoke_peering}", spoke.path, f"peering hub -> {spoke.name}")
        add(PEERING, f"{spoke.vnet.name}/{spoke.spoke_to_hub_peering}", spoke.path, f"peering {spoke.name} -> hub")
    for derived in t.derived_names:
        if derived.resource_type == "public IP":
            # The role names the IP by its place (its owner's spec path and its suffix), so a renamed owner is a rename.
            add(PUBLIC_IP, derived.name, derived.path, f"public IP {derived.name.rsplit('-', 1)[-1]} of {derived.path.rsplit('.', 1)[0]}")
    if hub.expressroute_gateway:
        er = hub.expressroute_gateway
        add(GATEWAY, er.name, er.path, "ExpressRoute gateway", sku=str(er.sku))
    for gateway in t.vpn_gateways:
        add(GATEWAY, gateway.name, gateway.path, gateway.label, sku=str(gateway.sku), generation=gateway.generation,
            asn=gateway.asn, activeActive=gateway.active_active)
    if hub.route_server:
        ars = hub.route_server
        subnet = hub.vnet.subnet(ROUTE_SERVER_SUBNET)
        add(ROUTE_SERVER, ars.name, ars.path, "Route Server", branchToBranch=ars.branch_to_branch,
            preference=ars.hub_routing_preference, subnet=str(subnet.prefix) if subnet else None)
    if hub.firewall:
        fw = hub.firewall
        add(FIREWALL, fw.name, fw.path, "Azure Firewall", tier=fw.tier, management=fw.needs_management_ip)
        add(POLICY, fw.policy_name, fw.path, "firewall policy", tier=fw.tier, snat=t.snat_private_ranges)
        add(RULES, f"{fw.policy_name}/network-rules", fw.path, "firewall rules",
            rules=tuple((r.name, r.source_addresses, r.destination_addresses, r.destination_ports, r.protocols)
                        for r in fw.network_rules))
        if fw.diagnostics:
            logs = fw.diagnostics
            # Named on the firewall (it is an extension resource of it): "<firewall>/<setting>".
            add(DIAGNOSTIC_SETTING, f"{fw.name}/{logs.setting_name}", logs.path, "firewall diagnostic setting",
                destination=str(logs.workspace_resource_id or logs.workspace_name).lower(), categories=logs.categories)
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
            add(LOCAL_GATEWAY, branch.local_network_gateway_name, branch.path, f"Local Network Gateway of {branch.name}",
                address=branch.gateway_ip_address or branch.fqdn, prefixes=tuple(branch.address_prefixes),
                asn=branch.bgp_asn, peer=str(branch.bgp_peering_address))
            add(CONNECTION, branch.connection_name, branch.path, f"site-to-site connection of {branch.name}")
    for vm in t.test_vms:
        add(VM, vm.name, vm.path, "test VM", size=str(vm.size), placement=(vm.vnet_name, str(vm.subnet)),
            admin=str(vm.admin_username))
        add(NIC, f"{vm.name}-nic", vm.path, "test VM NIC", placement=(vm.vnet_name, str(vm.subnet)))
    return {(r.type, r.name.lower()): r for r in found}


# --- judging each difference -------------------------------------------------------------------------------

VPN_RANK = {f"VpnGw{i}AZ": i for i in range(1, 6)}
ER_RANK = {"ErGw1AZ": 1, "ErGw2AZ": 2, "ErGw3AZ": 3}


def _vpn_gateway(old: Resource, new: Resource):
    o, n = old.props, new.props
    if o["sku"] != n["sku"]:
        if o["sku"] not in VPN_RANK:
            yield RECREATE, LONG, f"{o['sku']} is a legacy SKU: moving to {n['sku']} means delete and create again (new public IPs)", SKU_UPGRADE
        elif o["generation"] != n["generation"]:
            yield BLOCKED, LONG, (f"{o['sku']} -> {n['sku']} also moves {o['generation']} -> {n['generation']}: Microsoft's pages "
                                  f"disagree on whether that is a resize or a delete and create; verify before deploying"), SKU_UPGRADE
        elif VPN_RANK[n["sku"]] > VPN_RANK[o["sku"]]:
            yield MODIFY, BRIEF, f"resize {o['sku']} -> {n['sku']} in place: about 45 minutes, minimal downtime, public IPs kept", SKU_UPGRADE
        else:
            yield RECREATE, LONG, f"{o['sku']} -> {n['sku']} is a downgrade: not in place; delete and create again (new public IPs)", SKU_UPGRADE
    if o["activeActive"] != n["activeActive"]:
        mode = "active-active" if n["activeActive"] else "active-standby"
        yield MODIFY, LONG, (f"to {mode} in place, 30-45 minutes with downtime; the BGP addresses change: on-premises BGP peers "
                             f"must be re-pointed to the new ones (output hubVpnGatewayBgpPeeringAddress)"), ACTIVE_ACTIVE
    if o["asn"] != n["asn"]:
        yield MODIFY, BRIEF, f"ASN {o['asn']} -> {n['asn']}: changed in place, BGP sessions restart; every BGP peer must use the new ASN", BGP_FAQ


def _expressroute_gateway(old: Resource, new: Resource):
    o, n = old.props["sku"], new.props["sku"]
    if o == n:
        return
    if o not in ER_RANK or n not in ER_RANK:
        yield BLOCKED, BRIEF, f"{o} -> {n} moves between the legacy and the AZ SKU families: use the gateway migration procedure", ER_MIGRATION
    elif ER_RANK[n] > ER_RANK[o] or ER_RANK[o] - ER_RANK[n] == 1:
        yield MODIFY, BRIEF, f"resize {o} -> {n} in place within the family; the brief interruption is assumed, not documented", ER_GATEWAY
    else:
        yield RECREATE, LONG, f"{o} -> {n} is more than one step down: delete and create again, with downtime", ER_GATEWAY


def _route_server(old: Resource, new: Resource):
    o, n = old.props, new.props
    if o["subnet"] != n["subnet"]:
        yield BLOCKED, LONG, "RouteServerSubnet cannot change while the Route Server uses it: delete the Route Server first", ROUTE_SERVER_DOWNTIME
    if o["branchToBranch"] != n["branchToBranch"]:
        state = "on" if n["branchToBranch"] else "off: on-premises and branches stop learning each other's routes"
        yield MODIFY, BRIEF, f"branch-to-branch {state}; whether BGP sessions reset is not documented (assumed brief)", ROUTE_SERVER_CONFIG
    if o["preference"] != n["preference"]:
        yield MODIFY, BRIEF, f"routing preference {o['preference']} -> {n['preference']}: paths to shared prefixes move (assumed brief)", ROUTE_SERVER_CONFIG


def _firewall(old: Resource, new: Resource):
    o, n = old.props, new.props
    if o["tier"] != n["tier"]:
        if "Basic" in (o["tier"], n["tier"]):
            yield BLOCKED, LONG, f"{o['tier']} -> {n['tier']}: Basic cannot be upgraded or downgraded in place; deploy a new firewall", FIREWALL_EASY
        else:
            yield MODIFY, BRIEF, f"{o['tier']} -> {n['tier']} in place (about 10 minutes observed): plan a window", FIREWALL_UPGRADE
    if o["management"] != n["management"] and "Basic" not in (o["tier"], n["tier"]):
        yield BLOCKED, LONG, "a management IP configuration (forced tunnelling) is set when a firewall is created: deallocate and allocate it again", FORCED_TUNNELLING


def _policy(old: Resource, new: Resource):
    o, n = old.props, new.props
    if o["tier"] != n["tier"]:
        yield BLOCKED, NONE, (f"a policy cannot change tier ({o['tier']} -> {n['tier']}: FirewallPolicySkuChangeDisallowed); "
                              f"create a policy of the new tier and point the firewall at it"), FIREWALL_UPGRADE
    if o["snat"] != n["snat"]:
        yield MODIFY, NONE, f"SNAT private ranges -> {', '.join(n['snat'])}", "https://learn.microsoft.com/azure/firewall/snat-private-range"


def _rules(old: Resource, new: Resource):
    if old.props["rules"] != new.props["rules"]:
        before = {r[0]: r for r in old.props["rules"]}
        after = {r[0]: r for r in new.props["rules"]}
        changed = sorted(name for name in set(before) & set(after) if before[name] != after[name])
        what = "; ".join(filter(None, [f"adds {', '.join(sorted(set(after) - set(before)))}" if set(after) - set(before) else "",
                                       f"removes {', '.join(sorted(set(before) - set(after)))}" if set(before) - set(after) else "",
                                       f"changes {', '.join(changed)}" if changed else "",
                                       "reorders them" if not changed and set(before) == set(after) else ""]))
        yield MODIFY, NONE, f"network rules updated in place ({what}); flows they no longer allow are dropped", ARM


def _route_table(old: Resource, new: Resource):
    if old.props != new.props:
        before = {r[1] for r in old.props["routes"]}
        after = {r[1] for r in new.props["routes"]}
        parts = [f"adds {', '.join(sorted(after - before))}" if after - before else "",
                 f"removes {', '.join(sorted(before - after))}" if before - after else ""]
        yield MODIFY, NONE, f"routes updated in place ({', '.join(filter(None, parts)) or 'next hops change'})", GATEWAY_UDR


def _vnet(old: Resource, new: Resource):
    o, n = old.props, new.props
    if set(o["addressSpace"]) != set(n["addressSpace"]):
        removed = sorted(set(o["addressSpace"]) - set(n["addressSpace"]))
        note = f"; {', '.join(removed)} must hold no subnet before it can go" if removed else ""
        yield MODIFY, NONE, f"address space -> {', '.join(n['addressSpace'])} in place; peerings must be synced afterwards{note}", ADDRESS_SPACE
    for name in sorted(set(o["subnets"]) | set(n["subnets"])):
        before, after = o["subnets"].get(name), n["subnets"].get(name)
        if before == after:
            continue
        special = name in SPECIAL_SUBNETS
        if after is None:
            if special:
                yield BLOCKED, LONG, f"{name} is removed but its gateway, Route Server or firewall still uses it (InUseSubnetCannotBeDeleted)", INLINE_SUBNETS
            else:
                yield MODIFY, NONE, f"subnet {name} is deleted by the redeploy (subnets are inline); refused while a NIC uses it", INLINE_SUBNETS
        elif before is None:
            yield MODIFY, NONE, f"subnet {name} {after} added in place", INLINE_SUBNETS
        elif special:
            yield BLOCKED, LONG, f"{name} {before} -> {after}: an in-use gateway, Route Server or firewall subnet cannot change its prefix", INLINE_SUBNETS
        else:
            yield MODIFY, NONE, f"subnet {name} {before} -> {after}; refused while a NIC uses it", INLINE_SUBNETS


def _connection(old: Resource, new: Resource):
    o, n = old.props, new.props
    if o.get("circuit") != n.get("circuit"):
        yield BLOCKED, LONG, "a connection's circuit cannot change (ExpressRouteConnectionPeerCannotBeChanged): delete the connection first", ER_PEER
    if o.get("weight") != n.get("weight"):
        yield MODIFY, NONE, f"routing weight {o.get('weight')} -> {n.get('weight')}: the preferred circuit for shared prefixes may change", ER_WEIGHT
    if o.get("fastPath") != n.get("fastPath"):
        yield MODIFY, BRIEF, f"FastPath {'on' if n.get('fastPath') else 'off'}: the data path changes (assumed brief)", FASTPATH


def _local_gateway(old: Resource, new: Resource):
    o, n = old.props, new.props
    changed = [key for key in ("address", "prefixes", "asn", "peer") if o[key] != n[key]]
    if changed:
        yield MODIFY, BRIEF, (f"{', '.join(changed)} changed in place: \"may cause tunnel disconnects and downtime\"; the site's "
                              f"VPN device must match"), LNG_CHANGES


def _diagnostic_setting(old: Resource, new: Resource):
    o, n = old.props, new.props
    if o["destination"] != n["destination"]:
        yield MODIFY, NONE, ("the firewall's logs go to the other workspace from now on; what the old one holds stays there "
                             "until its retention ends"), DIAGNOSTIC_SETTINGS
    if o["categories"] != n["categories"]:
        yield MODIFY, NONE, f"log categories -> {', '.join(n['categories'])}", DIAGNOSTIC_SETTINGS


def _workspace(old: Resource, new: Resource):
    o, n = old.props["retention"], new.props["retention"]
    if n > o:
        yield MODIFY, NONE, f"retention {o} -> {n} days in place, for the logs it already holds too", RETENTION
    elif n < o:
        yield MODIFY, NONE, (f"retention {o} -> {n} days: logs older than {n} days are removed 30 days after the change "
                             f"(set it back within 30 days to keep them)"), RETENTION


def _vm(old: Resource, new: Resource):
    o, n = old.props, new.props
    if o["placement"] != n["placement"] or o["admin"] != n["admin"]:
        yield RECREATE, BRIEF, "another subnet or admin user: delete the test VM and create it again", VM_RESIZE
    elif o["size"] != n["size"]:
        yield MODIFY, BRIEF, f"size {o['size']} -> {n['size']}: the VM restarts", VM_RESIZE


def _nic(old: Resource, new: Resource):
    if old.props != new.props:
        yield RECREATE, BRIEF, "the NIC moves to another subnet: it is deleted and created again with its VM", VM_RESIZE


JUDGES = {VNET: _vnet, ROUTE_TABLE: _route_table, ROUTE_SERVER: _route_server, FIREWALL: _firewall, POLICY: _policy,
          RULES: _rules, CONNECTION: _connection, LOCAL_GATEWAY: _local_gateway, VM: _vm, NIC: _nic,
          DIAGNOSTIC_SETTING: _diagnostic_setting, WORKSPACE: _workspace}


def _judge(old: Resource, new: Resource):
    if old.type == GATEWAY:
        return _expressroute_gateway(old, new) if "generation" not in old.props else _vpn_gateway(old, new)
    judge = JUDGES.get(old.type)
    return judge(old, new) if judge else ()


# --- comparing ---------------------------------------------------------------------------------------------


def _delete(resource: Resource, resource_group: str, why: str) -> Change:
    _, command = DELETE_COMMANDS.get(resource.type, (90, "az resource delete --resource-group {rg} --name {name} "
                                                         f"--resource-type {resource.type}"))
    downtime = LONG if "takes them down" in why else NONE
    parent, _, child = resource.name.partition("/")
    return Change(resource.name, resource.type, DELETE, downtime,
                  f"{why}; az deployment group create is incremental, so it stays deployed until you run the command", MODES,
                  command.format(rg=resource_group, name=resource.name, parent=parent, child=child))


def compare(old: Topology | None, new: Topology, resource_group: str | None = None) -> list[Change]:
    """Every Azure resource that changes between two designs, deletes last and in the order Azure accepts.

    `old` None: nothing deployed yet (a spec new in this pull request): everything is created."""
    resource_group = resource_group or f"rg-{new.name}"
    if old is None:
        return [Change(r.name, r.type, CREATE, NONE, f"new {r.role}", ARM) for r in inventory(new).values()]
    before, after = inventory(old), inventory(new)
    changes: list[Change] = []
    deletes: list[tuple[int, Change]] = []
    if str(old.location) != str(new.location):
        for resource in after.values():
            changes.append(Change(resource.name, resource.type, RECREATE, LONG if resource.type == GATEWAY else NONE,
                                  f"location {old.location} -> {new.location}: every resource is new", ARM))
        for resource in before.values():
            deletes.append((DELETE_COMMANDS.get(resource.type, (90,))[0],
                            _delete(resource, resource_group, f"left behind in {old.location}")))
        return changes + [c for _, c in sorted(deletes, key=lambda d: (d[0], d[1].resource))]
    gone = {k: r for k, r in before.items() if k not in after}
    new_only = {k: r for k, r in after.items() if k not in before}
    renamed = {}
    for key, resource in new_only.items():
        match = next((k for k, r in gone.items() if (r.type, r.path, r.role) == (resource.type, resource.path, resource.role)), None)
        if match:
            renamed[key] = gone.pop(match)
    gateways_exist = any(r.type == GATEWAY for r in before.values())
    for key, resource in after.items():
        if key in renamed:
            was = renamed[key]
            downtime = LONG if resource.type in (GATEWAY, ROUTE_SERVER, FIREWALL) else BRIEF if resource.type == CONNECTION else NONE
            changes.append(Change(resource.name, resource.type, RECREATE, downtime,
                                  f"renamed from {was.name}: Azure sees a new {resource.role}, and what hangs off it follows", ARM))
            deletes.append((DELETE_COMMANDS.get(was.type, (90,))[0], _delete(was, resource_group, f"the old {was.role} {was.name}")))
        elif key in new_only:
            if resource.type == ROUTE_SERVER and gateways_exist:
                changes.append(Change(resource.name, resource.type, CREATE, LONG,
                                      "creating a Route Server where gateways exist takes them down until it completes", ROUTE_SERVER_DOWNTIME))
            else:
                changes.append(Change(resource.name, resource.type, CREATE, NONE, f"new {resource.role}", ARM))
        else:
            for action, downtime, detail, link in _judge(before[key], resource):
                changes.append(Change(resource.name, resource.type, action, downtime, detail, link))
    for resource in gone.values():
        why = f"{resource.role} is no longer in the spec"
        if resource.type == ROUTE_SERVER and any(r.type == GATEWAY for r in after.values()):
            why += "; deleting a Route Server where gateways exist takes them down until it completes"
        elif resource.type == WORKSPACE:
            why += f"; deleting it deletes the logs it holds (soft-deleted, recoverable for 14 days: {WORKSPACE_DELETE})"
        deletes.append((DELETE_COMMANDS.get(resource.type, (90,))[0], _delete(resource, resource_group, why)))
    if old.tags != new.tags:
        changes.append(Change("(every resource)", "tags", MODIFY, NONE, "tags updated in place", ARM))
    return changes + [c for _, c in sorted(deletes, key=lambda d: (d[0], d[1].resource))]


# --- the old side from git ---------------------------------------------------------------------------------


class RevisionError(Exception):
    """The git revision cannot be read: not a repository, or no such revision. The message says which."""


def read_revision(revision: str, path) -> bytes | None:
    """The file at `path` as it was at `revision`; None when it did not exist then (a spec new in the change)."""
    import subprocess
    from pathlib import Path

    path = Path(path).resolve()
    git = ["git", "-C", str(path.parent)]
    check = subprocess.run([*git, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], capture_output=True, text=True)
    if check.returncode != 0:
        said = subprocess.run([*git, "rev-parse", "--git-dir"], capture_output=True, text=True)
        where = "is not a git revision" if said.returncode == 0 else f"cannot be read: {path.parent} is not in a git repository"
        raise RevisionError(f"{revision!r} {where}")
    shown = subprocess.run([*git, "show", f"{revision}:./{path.name}"], capture_output=True)
    return shown.stdout if shown.returncode == 0 else None


# --- reporting ---------------------------------------------------------------------------------------------


def disruptive(changes: list[Change]) -> bool:
    return any(c.disruptive for c in changes)


def as_json(changes: list[Change]) -> str:
    return json.dumps({"changes": [c.as_json() for c in changes], "disruptive": disruptive(changes)}, indent=2) + "\n"


def as_text(changes: list[Change]) -> str:
    if not changes:
        return "no changes\n"
    lines = []
    for c in changes:
        lines.append(f"{c.action:9} {c.downtime:6} {c.type.split('/', 1)[-1]} {c.resource}")
        lines.append(f"{'':17}{c.detail}")
        if c.command:
            lines.append(f"{'':17}$ {c.command}")
    verdict = "disruptive: recreates, deletes, refusals or downtime" if disruptive(changes) else "no downtime"
    return "\n".join(lines + [f"{len(changes)} change(s), {verdict}"]) + "\n"


def as_markdown(changes: list[Change]) -> str:
    if not changes:
        return "**gen diff**: no changes to the deployed network.\n"
    lines = ["**gen diff**: " + ("⚠️ disruptive" if disruptive(changes) else "no downtime") + f", {len(changes)} change(s).", "",
             "| resource | type | action | downtime | what it means |", "|---|---|---|---|---|"]
    for c in changes:
        detail = c.detail.replace("|", "\\|")
        lines.append(f"| `{c.resource}` | {c.type.split('/', 1)[-1]} | {c.action} | {c.downtime} | {detail} ([source]({c.link})) |")
    commands = [c.command for c in changes if c.command]
    if commands:
        lines += ["", "Removed from the spec is not removed from Azure (incremental mode). After deploying, delete in this order:",
                  "", "```sh", *commands, "```"]
    return "\n".join(lines) + "\n"


FORMATS = {"text": as_text, "markdown": as_markdown, "json": as_json}
