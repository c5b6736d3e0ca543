"""What a design deploys: every Azure resource of a Topology, where it lives, and the properties a redeploy writes.

Decided once, here, for the three readers that need it: `gen diff` compares two inventories, `gen verify`
looks for each resource in a capture, `gen diff --live` and `gen import` compare one with what Azure holds
(live.py reads a capture into the same shape). Keys are (type, subscription, resource group, name), all in lower
case, names as ARM templates write them (`parent/child` for a child resource); the subscription is "" for the
hub's own, so that a spec that does not name it matches the capture of the subscription it was deployed to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import azure_shapes
from .model import (
    NETWORK,
    ROUTE_SERVER_SUBNET,
    Firewall,
    Scope,
    Topology,
    VnetBranch,
    resource_key,
)

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
# Resources that carry tags (child resources and extension resources do not).
TAGGED = (VNET, GATEWAY, PUBLIC_IP, ROUTE_SERVER, FIREWALL, POLICY, ROUTE_TABLE, CONNECTION, LOCAL_GATEWAY, NIC, VM, WORKSPACE)


@dataclass(frozen=True)
class Resource:
    """One Azure resource a design deploys (or a capture holds), with what a redeploy compares."""

    type: str
    name: str
    path: str  # the spec path of what it comes from (a capture: its file)
    role: str  # what it is in the design: "hub VPN gateway", "public IP 2 of the hub VPN gateway"
    props: dict = field(default_factory=dict, compare=False, hash=False)
    group: str = ""  # its resource group
    subscription: str = ""  # its subscription, "" for the hub's

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.type.lower(), self.subscription.lower(), self.group.lower(), self.name.lower())

    @property
    def designed(self) -> set[str]:
        """The properties the design writes on it: its type's (azure_shapes.designed, by its connection type and by
        whether a firewall holds classic rules) and what this spec adds (a policy's SNAT ranges or DNS settings)."""
        from . import azure_shapes

        decides = {"connectionType": self.props.get("connectionType", ""), "firewallPolicy": self.props.get("policy") or None}
        return azure_shapes.designed(self.type, decides) | set(self.props.get("designs", ()))


def home_subscription(t: Topology) -> str:
    return str(t.scope.subscription_id or "").lower()


def inventory(t: Topology) -> dict[tuple, Resource]:
    """Every Azure resource the design deploys, keyed by (type, subscription, group, name)."""
    found: list[Resource] = []
    hub = t.hub
    home = home_subscription(t)

    def add(type_: str, name: str, path: str, role: str, scope: Scope | None = None, **props) -> None:
        where = scope or t.scope
        subscription = str(where.subscription_id or "").lower()
        kept = t.kept(resource_key(type_, *str(name).split("/")), where)
        if type_ in TAGGED:
            props["tags"] = dict(kept.tags) if kept and kept.tags is not None else dict(t.tags)
        props["kept"] = azure_shapes.strip_computed(kept.properties) if kept and kept.properties else {}
        found.append(Resource(type_, str(name), path, role, props, str(where.resource_group),
                              "" if subscription == home else subscription))

    peered = {str(hub.vnet.name): [(str(s.vnet.name), s.spoke_to_hub_peering) for s in t.spokes]}
    peered.update({str(s.vnet.name): [(str(hub.vnet.name), s.hub_to_spoke_peering)] for s in t.spokes})
    in_use = {(vm.vnet_name, str(vm.subnet)): f"test VM {vm.name}" for vm in t.test_vms}
    owners = [(hub.vnet, t.scope, None)] + [(b.vnet, t.scope_of(b), b) for b in t.vnet_branches] + \
             [(s.vnet, t.scope_of(s), s) for s in t.spokes]
    for vnet, scope, owner in owners:
        # remote peerings: the (remote VNet, its peering) to sync after this VNet's address space changes
        add(VNET, vnet.name, vnet.path, vnet.label, scope, addressSpace=tuple(vnet.address_space),
            dnsServers=tuple(str(d) for d in vnet.dns_servers), remotes=tuple(peered.get(str(vnet.name), ())))
        for subnet in vnet.subnets:
            table = t.table_on(vnet.name, subnet.name)
            add(SUBNET, f"{vnet.name}/{subnet.name}", subnet.path, f"subnet {subnet.name} of {vnet.label}", scope,
                prefix=str(subnet.prefix), nsg=str(subnet.nsg_id or "").lower(), routeTable=table.name if table else None,
                user=_subnet_user(t, vnet, str(subnet.name)) or in_use.get((str(vnet.name), str(subnet.name))))
    for table in t.route_tables:
        add(ROUTE_TABLE, table.name, table.path or f"{hub.vnet.path}.subnets", f"route table of {table.placement}", table.scope,
            routes=tuple((r.name, r.address_prefix, r.next_hop_type, r.next_hop_ip) for r in table.routes),
            propagate=table.propagate_gateway_routes, placement=table.placement)
    for spoke in t.spokes:
        add(PEERING, f"{hub.vnet.name}/{spoke.hub_to_spoke_peering}", spoke.path, f"peering hub -> {spoke.name}",
            remote=str(spoke.vnet.name).lower())
        add(PEERING, f"{spoke.vnet.name}/{spoke.spoke_to_hub_peering}", spoke.path, f"peering {spoke.name} -> hub",
            t.scope_of(spoke), remote=str(hub.vnet.name).lower())
    ip_owners = {}
    if hub.expressroute_gateway:
        ip_owners[hub.expressroute_gateway.public_ip_name] = (hub.expressroute_gateway, t.scope)
    for owner in ((hub.vpn_gateway, t.scope),) + tuple((b.vpn_gateway, t.scope_of(b)) for b in t.vnet_branches):
        if owner[0] is not None:
            ip_owners.update({name: owner for name in owner[0].public_ip_names})
    if hub.route_server:
        ip_owners[hub.route_server.public_ip_name] = (hub.route_server, t.scope)
    if hub.firewall:
        fw = hub.firewall
        ip_owners[fw.public_ip_name] = (fw, t.scope)
        if fw.needs_management_ip:
            ip_owners[fw.management_public_ip_name] = (fw, t.scope)
    for derived in t.derived_names:
        if derived.resource_type == "public IP":
            owner, scope = ip_owners.get(str(derived.name), (None, t.scope))
            kept = t.kept(resource_key(PUBLIC_IP, derived.name), scope)
            zones = kept.zones if kept and kept.zones is not None else t.public_ip_zones(owner)
            # The role names the IP by its place (its owner's spec path and its suffix), so a renamed owner is a rename.
            add(PUBLIC_IP, derived.name, derived.path, f"public IP {derived.name.rsplit('-', 1)[-1]} of {derived.path.rsplit('.', 1)[0]}",
                scope, zones=tuple(sorted(zones)))
    if hub.expressroute_gateway:
        er = hub.expressroute_gateway
        add(GATEWAY, er.name, er.path, "ExpressRoute gateway", sku=str(er.sku), ipConfigurations=(er.ip_configuration_name,),
            scaleUnits=er.scale_units)
    for gateway, scope in ((hub.vpn_gateway, t.scope),) + tuple((b.vpn_gateway, t.scope_of(b)) for b in t.vnet_branches):
        if gateway is None:
            continue
        add(GATEWAY, gateway.name, gateway.path, gateway.label, scope, sku=str(gateway.sku), generation=gateway.generation,
            pinned=gateway.pinned_generation is not None, asn=gateway.asn, activeActive=gateway.active_active, locked=gateway.locked,
            customBgp=tuple(str(a) for a in gateway.custom_bgp_ip_addresses),
            ipConfigurations=tuple(gateway.ip_configuration_names))
    if hub.route_server:
        ars = hub.route_server
        subnet = hub.vnet.subnet(ROUTE_SERVER_SUBNET)
        add(ROUTE_SERVER, ars.name, ars.path, "Route Server", branchToBranch=ars.branch_to_branch,
            preference=ars.hub_routing_preference, subnet=str(subnet.prefix) if subnet else None,
            ipConfiguration=ars.ip_configuration_name)
    if hub.firewall:
        fw = hub.firewall
        add(FIREWALL, fw.name, fw.path, "Azure Firewall", tier=fw.tier, management=fw.needs_management_ip,
            policy="" if fw.classic_rules else fw.policy_name.lower(), zones=tuple(sorted(t.firewall_zones)),
            ipConfigurations=(fw.ip_configuration_name,) + ((fw.management_ip_configuration_name,) if fw.needs_management_ip else ()),
            classic=rule_set(fw) if fw.classic_rules else None, rules_for_migration=rule_set(fw),
            settings=(fw.threat_intel_mode, fw.dns_proxy, tuple(fw.dns_servers)) if fw.classic_rules else None)
        if not fw.classic_rules:
            # What it designs besides the type's own: SNAT ranges beyond Azure's default, DNS settings when the spec has some.
            designs = (("snat",) if t.designed_snat_ranges else ()) + (("dnsSettings",) if fw.dns_proxy or fw.dns_servers else ())
            add(POLICY, fw.policy_name, fw.path, "firewall policy", tier=fw.tier, snat=t.snat_private_ranges,
                firewall=str(fw.name), threatIntel=fw.threat_intel_mode, dns=(fw.dns_proxy, tuple(fw.dns_servers)),
                designs=designs)
            for group in fw.rule_collection_groups:
                add(RULES, f"{fw.policy_name}/{group.name}", group.path or fw.path,
                    "firewall rules" if group.name == fw.rule_group_name and group.path.endswith("networkRules") else
                    f"firewall rule collection group {group.name}",
                    priority=group.priority, rules=_network_rules(group), collections=_collections(group.collections))
        if fw.diagnostics:
            logs = fw.diagnostics
            # Named on the firewall (it is an extension resource of it): "<firewall>/<setting>".
            add(DIAGNOSTIC_SETTING, f"{fw.name}/{logs.setting_name}", logs.path, "firewall diagnostic setting",
                destination=str(logs.workspace_resource_id or logs.workspace_name).rsplit("/", 1)[-1].lower(),
                categories=tuple(logs.categories) + tuple(f"group:{g}" for g in logs.category_groups))
            if logs.workspace_name:
                add(WORKSPACE, logs.workspace_name, logs.path, "Log Analytics workspace", retention=logs.retention_days)
    for site in t.on_premises:
        add(CONNECTION, site.connection_name, site.path, f"ExpressRoute connection of {site.name}", connectionType="ExpressRoute",
            circuit=str(site.circuit_id).lower(), weight=site.routing_weight, fastPath=site.fast_path)
    for branch in t.branches:
        if isinstance(branch, VnetBranch):
            add(CONNECTION, branch.hub_to_branch_connection, branch.path, f"connection hub -> {branch.name}", connectionType="Vnet2Vnet")
            add(CONNECTION, branch.branch_to_hub_connection, branch.path, f"connection {branch.name} -> hub", connectionType="Vnet2Vnet")
        else:
            for device in branch.devices:
                of = f"{branch.name}/{device.name}" if branch.multi_device else str(branch.name)
                add(LOCAL_GATEWAY, device.local_network_gateway_name, device.path, f"Local Network Gateway of {of}",
                    address=device.endpoint, prefixes=tuple(branch.gateway_prefixes(device)),
                    asn=device.bgp_asn, peer=str(device.bgp_peering_address) if device.bgp else "")
                connection = branch.connection_of(device)
                policy = connection.ipsec_policy
                add(CONNECTION, device.connection_name, device.path, f"site-to-site connection of {of}", connectionType="IPsec",
                    ipsec=tuple(sorted(policy.as_arm().items())) if policy else (),
                    policyBased=bool(connection.policy_based_traffic_selectors),
                    dpd=connection.dpd_timeout_seconds or 45, mode=connection.connection_mode or "Default",
                    protocol=connection.connection_protocol or "IKEv2",
                    customBgp=tuple(str(a) for a in t.hub.vpn_gateway.custom_bgp_ip_addresses) if device.apipa else (),
                    bgp=device.bgp)
    for vm in t.test_vms:
        add(VM, vm.name, vm.path, "test VM", size=str(vm.size), placement=(vm.vnet_name, str(vm.subnet)),
            admin=str(vm.admin_username))
        add(NIC, f"{vm.name}-nic", vm.path, "test VM NIC", placement=(vm.vnet_name, str(vm.subnet)))
    # Where each resource lives: the hub's region, or a spoke's or VNet branch's own (gen diff refuses to move one:
    # Azure does not deploy an existing resource in another region).
    regions = {}
    for branch in t.vnet_branches:
        gateway = branch.vpn_gateway
        for name in (branch.vnet.name, gateway.name, branch.branch_to_hub_connection, *gateway.public_ip_names):
            regions[(VNET if name == branch.vnet.name else "", str(name))] = str(branch.location or t.location)
    for spoke in t.spokes:
        regions[(VNET, str(spoke.vnet.name))] = str(spoke.location or t.location)
    owners = {str(b.name): b.location for b in t.vnet_branches} | {str(s.name): s.location for s in t.spokes}
    for vm in t.test_vms:  # a test VM sits in its VNet's region (render.py puts it there)
        regions[(VM, str(vm.name))] = regions[(NIC, f"{vm.name}-nic")] = str(owners.get(str(vm.vnet_ref)) or t.location)
    for table in t.route_tables:
        regions[(ROUTE_TABLE, str(table.name))] = str(table.location or t.location)
    for resource in found:
        if resource.type in REGIONAL:
            resource.props["region"] = region(regions.get((resource.type, resource.name), regions.get(("", resource.name), str(t.location))))
    return {r.key: r for r in found}


def region(location: str) -> str:
    """A region as Azure's API names it: "UK South" and "uksouth" are one region."""
    return str(location or "").replace(" ", "").lower()


# Resources that have a region of their own (children, extension resources and policies' groups take their parent's).
REGIONAL = (VNET, GATEWAY, PUBLIC_IP, ROUTE_SERVER, FIREWALL, POLICY, ROUTE_TABLE, CONNECTION, LOCAL_GATEWAY, NIC, VM, WORKSPACE)


def _network_rules(group) -> tuple:
    """The Allow network rules of a group's collections, in order (what `gen diff` names rule by rule)."""
    return tuple((r.name, tuple(r.source_addresses), tuple(r.destination_addresses), tuple(r.destination_ports), tuple(r.protocols))
                 for c in sorted(group.collections, key=lambda c: c.priority) if c.rule_type == NETWORK and c.action == "Allow"
                 for r in c.rules)


def _collections(collections) -> tuple:
    """Every collection of a group, in a shape both sides of a comparison share: (name, type, priority, action, rules)."""
    return tuple(sorted((str(c.name), c.rule_type, c.priority, c.action, tuple(_rule_tuple(c.rule_type, r) for r in c.rules))
                        for c in collections))


def _rule_tuple(rule_type: str, rule) -> tuple:
    if rule_type == NETWORK:
        return (str(rule.name), tuple(rule.source_addresses), tuple(rule.source_ip_groups), tuple(rule.destination_addresses),
                tuple(rule.destination_ip_groups), tuple(rule.destination_fqdns), tuple(rule.destination_ports), tuple(rule.protocols))
    if rule_type == "application":
        return (str(rule.name), tuple(rule.source_addresses), tuple(rule.source_ip_groups), tuple(rule.protocols),
                tuple(rule.target_fqdns), tuple(rule.fqdn_tags), tuple(rule.target_urls), tuple(rule.web_categories),
                rule.terminate_tls)
    return (str(rule.name), tuple(rule.source_addresses), tuple(rule.source_ip_groups), tuple(rule.destination_addresses),
            tuple(rule.destination_ports), tuple(rule.protocols), rule.translated_address, rule.translated_fqdn, rule.translated_port)


def rule_set(firewall: Firewall) -> tuple:
    """Every collection the firewall holds (classic or in its policy), for comparing rule sets across the migration."""
    return _collections(firewall.collections)


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


def written(topology) -> dict[tuple[str, str, str], tuple[str, set[str]]]:
    """(resource_key, subscription, group) of every resource the design writes (lower case; subscription "" for the
    hub's) -> its resource type and the properties it designs."""
    home = str(topology.scope.subscription_id or "").lower()
    return {(resource_key(r.type, *r.name.split("/")).lower(), r.subscription or home, r.group.lower()): (r.type, r.designed)
            for r in inventory(topology).values()}


def written_for(written: dict, key: str) -> tuple[str, set[str]] | None:
    """The resource an asDeployed key names: by type and name anywhere, or by its resource ID in its group."""
    key = key.lower()
    if key.startswith("/subscriptions/"):
        parts = key.split("/")
        short = key.split("/providers/", 1)[1]
        return next((found for (k, subscription, group), found in written.items()
                     if k == short and group == parts[4] and subscription in ("", parts[2])), None)
    return next((found for (k, _, _), found in written.items() if k == key), None)
