"""Render a Topology into the files of the output directory, in memory.

Every value that reaches Bicep goes through `bicep_literal` (strings through
`bicep_string`, the one escaping function); templates never paste spec text into
Bicep by hand.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from importlib import resources

import jinja2

from . import cache, cost, logs, markdown, order, plan, prices, routing, tables
from .plan import text as plan_text
from .compiler import TESTED_BICEP
from .diagram import mermaid
from .model import (
    APPLICATION,
    NAT,
    NETWORK,
    SSH_KEY_ENV,
    ApplicationRule,
    Firewall,
    NatRule,
    NetworkRule,
    RouteTable,
    RuleCollection,
    Scope,
    Topology,
    VirtualNetwork,
    VpnGateway,
)
from .provenance import Provenance, comment_header

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Keys that would read as something else unquoted. `type` is not among them: Bicep takes it as a property name, and
# its linter wants it bare (prefer-unquoted-property-names).
_BICEP_KEYWORDS = {"true", "false", "null", "if", "for", "in", "param", "var", "resource", "module", "output",
                   "metadata", "import", "func", "using", "existing", "targetScope"}


_NEEDS_ESCAPE = re.compile("[\\\\'\n\r\t$\x00-\x1f\x7f-\x9f\u2028\u2029]")


def bicep_string(value: str) -> str:
    """A Bicep single-quoted string literal that evaluates to exactly `value`."""
    if not _NEEDS_ESCAPE.search(value):
        return f"'{value}'"  # most values: names and prefixes, nothing to escape
    out = []
    for char in value:
        if char == "\\":
            out.append("\\\\")
        elif char == "'":
            out.append("\\'")
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif char == "$":
            # `${` would start an interpolation; escaping every `$` is always safe.
            out.append("\\$")
        elif ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 or char in "\u2028\u2029":
            out.append("\\u{%X}" % ord(char))
        else:
            out.append(char)
    return "'" + "".join(out) + "'"


def bicep_key(key: str) -> str:
    """An object key: bare when it is an identifier, quoted otherwise."""
    return key if _IDENTIFIER.match(key) and key not in _BICEP_KEYWORDS else bicep_string(key)


def bicep_literal(value, indent: int = 0) -> str:
    """Python data as a Bicep expression, laid out the way `bicep format` leaves it."""
    pad = "  " * indent
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return bicep_string(value)
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        items = "".join(f"{pad}  {bicep_literal(item, indent + 1)}\n" for item in value)
        return f"[\n{items}{pad}]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        lines = "".join(f"{pad}  {bicep_key(key)}: {bicep_literal(item, indent + 1)}\n" for key, item in value.items())
        return "{\n" + lines + pad + "}"
    raise TypeError(f"no Bicep literal for {type(value).__name__}")


# --- parameter values: everything main.bicepparam carries --------------------------------------------


def _scope_value(scope: Scope | None, around: Scope) -> dict:
    """`resourceGroup` and `subscriptionId` of something that lives elsewhere than `around`; {} when it does not."""
    if scope is None or scope.same_as(around):
        return {}
    found = {"resourceGroup": scope.resource_group}
    if scope.subscription_id and str(scope.subscription_id).lower() != str(around.subscription_id or "").lower():
        found["subscriptionId"] = scope.subscription_id
    return found


def _vnet_value(t: Topology, vnet: VirtualNetwork, scope: Scope) -> dict:
    subnets = []
    for subnet in vnet.subnets:
        value = {"name": subnet.name, "addressPrefix": subnet.prefix}
        if subnet.nsg_id:
            value["networkSecurityGroupId"] = subnet.nsg_id
        table = t.table_on(vnet.name, subnet.name)
        if table is not None:
            value["routeTable"] = {"name": table.name, **_scope_value(table.scope, scope)}
        subnets.append(value)
    found = {"name": vnet.name, "addressPrefixes": list(vnet.address_space)}
    if vnet.dns_servers:
        found["dnsServers"] = list(vnet.dns_servers)
    return {**found, "subnets": subnets}


def _vpn_gateway_value(t: Topology, gateway: VpnGateway) -> dict:
    return {
        "name": gateway.name,
        "sku": gateway.sku,
        "generation": gateway.generation,
        "asn": gateway.asn,
        "activeActive": gateway.active_active,
        "publicIpNames": list(gateway.public_ip_names),
        "publicIpZones": list(t.public_ip_zones(gateway)),
        **({"customBgpIpAddresses": list(gateway.custom_bgp_ip_addresses)} if gateway.custom_bgp_ip_addresses else {}),
        **({"ipConfigurationNames": list(gateway.kept_ip_configuration_names)} if gateway.kept_ip_configuration_names else {}),
        **({"readOnly": True} if gateway.locked else {}),
    }


def _site_device_value(t: Topology, site, device) -> dict:
    """One Local Network Gateway and its connection: a site's, or one device's of a site with `devices`."""
    value = {"name": f"{site.name}-{device.name}" if site.multi_device else site.name,
             "localNetworkGatewayName": device.local_network_gateway_name, "connectionName": device.connection_name}
    if site.multi_device:
        value["sharedKeyName"] = site.shared_key_name(device)  # the site's key, or the device's own
    value.update({"gatewayIpAddress": device.gateway_ip_address} if device.gateway_ip_address else {"fqdn": device.fqdn})
    value["addressPrefixes"] = list(site.gateway_prefixes(device))
    if device.bgp:
        value.update({"bgpAsn": device.bgp_asn, "bgpPeeringAddress": device.bgp_peering_address})
    if device.apipa:
        # The connection names the custom APIPA address of each instance it peers from (Learn, configure BGP).
        value["customBgpIpAddresses"] = list(t.hub.vpn_gateway.custom_bgp_ip_addresses)
        if t.hub.vpn_gateway.kept_ip_configuration_names:
            value["gatewayIpConfigurationNames"] = list(t.hub.vpn_gateway.kept_ip_configuration_names)
    connection = site.connection_of(device)
    if connection.ipsec_policy:
        value["ipsecPolicy"] = connection.ipsec_policy.as_arm()
    if connection.policy_based_traffic_selectors is not None:
        value["usePolicyBasedTrafficSelectors"] = connection.policy_based_traffic_selectors
    if connection.dpd_timeout_seconds is not None:
        value["dpdTimeoutSeconds"] = connection.dpd_timeout_seconds
    if connection.connection_mode is not None:
        value["connectionMode"] = connection.connection_mode
    if connection.connection_protocol is not None:
        value["connectionProtocol"] = connection.connection_protocol
    return value


def _route_table_value(t: Topology, table: RouteTable) -> dict:
    values = []
    for route in table.routes:
        value = {"name": route.name, "addressPrefix": route.address_prefix, "nextHopType": route.next_hop_type}
        if route.next_hop_ip:
            value["nextHopIpAddress"] = route.next_hop_ip
        values.append(value)
    return {"name": table.name, **_scope_value(table.scope, t.scope), **({"location": table.location} if table.location else {}),
            "propagateGatewayRoutes": table.propagate_gateway_routes, "routes": values}


# --- firewall rules: the spec's neutral shape, as each API writes it ------------------------------------


def _policy_rule(rule_type: str, rule) -> dict:
    """A rule as a firewall policy's rule collection group writes it."""
    if rule_type == NETWORK:
        found = {"ruleType": "NetworkRule", "name": rule.name, "ipProtocols": list(rule.protocols),
                 "sourceAddresses": list(rule.source_addresses), "destinationAddresses": list(rule.destination_addresses),
                 "destinationPorts": list(rule.destination_ports)}
        extra = {"sourceIpGroups": rule.source_ip_groups, "destinationIpGroups": rule.destination_ip_groups,
                 "destinationFqdns": rule.destination_fqdns}
    elif rule_type == APPLICATION:
        found = {"ruleType": "ApplicationRule", "name": rule.name,
                 "protocols": [{"protocolType": kind, "port": port} for kind, port in rule.protocols],
                 "sourceAddresses": list(rule.source_addresses), "targetFqdns": list(rule.target_fqdns),
                 "fqdnTags": list(rule.fqdn_tags)}
        extra = {"sourceIpGroups": rule.source_ip_groups, "targetUrls": rule.target_urls, "webCategories": rule.web_categories}
        if rule.terminate_tls:
            found["terminateTLS"] = True
    else:
        found = {"ruleType": "NatRule", "name": rule.name, "ipProtocols": list(rule.protocols),
                 "sourceAddresses": list(rule.source_addresses), "destinationAddresses": list(rule.destination_addresses),
                 "destinationPorts": list(rule.destination_ports)}
        extra = {"sourceIpGroups": rule.source_ip_groups}
        found.update({key: value for key, value in (("translatedAddress", rule.translated_address),
                                                    ("translatedFqdn", rule.translated_fqdn),
                                                    ("translatedPort", rule.translated_port)) if value})
    if rule.description:
        found["description"] = rule.description
    found.update({key: list(value) for key, value in extra.items() if value})
    return found


def _policy_collection(collection: RuleCollection) -> dict:
    if collection.rule_type == NAT:
        return {"ruleCollectionType": "FirewallPolicyNatRuleCollection", "name": collection.name, "priority": collection.priority,
                "action": {"type": "DNAT"}, "rules": [_policy_rule(NAT, r) for r in collection.rules]}
    return {"ruleCollectionType": "FirewallPolicyFilterRuleCollection", "name": collection.name, "priority": collection.priority,
            "action": {"type": collection.action}, "rules": [_policy_rule(collection.rule_type, r) for r in collection.rules]}


def _classic_rule(rule_type: str, rule) -> dict:
    """A rule as the firewall's own (classic) rule collections write it."""
    found = {"name": rule.name}
    if rule.description:
        found["description"] = rule.description
    if rule_type == NETWORK:
        found.update(protocols=list(rule.protocols), sourceAddresses=list(rule.source_addresses),
                     destinationAddresses=list(rule.destination_addresses), destinationPorts=list(rule.destination_ports))
        extra = {"sourceIpGroups": rule.source_ip_groups, "destinationIpGroups": rule.destination_ip_groups,
                 "destinationFqdns": rule.destination_fqdns}
    elif rule_type == APPLICATION:
        found.update(protocols=[{"protocolType": kind, "port": port} for kind, port in rule.protocols],
                     sourceAddresses=list(rule.source_addresses), targetFqdns=list(rule.target_fqdns),
                     fqdnTags=list(rule.fqdn_tags))
        extra = {"sourceIpGroups": rule.source_ip_groups}
    else:
        found.update(protocols=list(rule.protocols), sourceAddresses=list(rule.source_addresses),
                     destinationAddresses=list(rule.destination_addresses), destinationPorts=list(rule.destination_ports))
        found.update({key: value for key, value in (("translatedAddress", rule.translated_address),
                                                    ("translatedFqdn", rule.translated_fqdn),
                                                    ("translatedPort", rule.translated_port)) if value})
        extra = {"sourceIpGroups": rule.source_ip_groups}
    found.update({key: list(value) for key, value in extra.items() if value})
    return found


def classic_rule_collections(firewall: Firewall) -> dict:
    """The firewall's collections as classic collections (network, application, NAT), each in priority order."""
    found: dict = {NETWORK: [], APPLICATION: [], NAT: []}
    for collection in firewall.collections:
        action = "Dnat" if collection.rule_type == NAT else collection.action
        found[collection.rule_type].append({"name": collection.name, "properties": {
            "priority": collection.priority, "action": {"type": action},
            "rules": [_classic_rule(collection.rule_type, r) for r in collection.rules]}})
    return found


def _firewall_value(t: Topology, fw: Firewall) -> dict:
    value = {
        "name": fw.name,
        "tier": fw.tier,
        "zones": list(t.firewall_zones),
        "policyName": fw.policy_name,
        "publicIpName": fw.public_ip_name,
        "managementPublicIpName": fw.management_public_ip_name if fw.needs_management_ip else "",
        "ipConfigurationName": fw.ip_configuration_name,
        "managementIpConfigurationName": fw.management_ip_configuration_name,
        "expectedPrivateIpAddress": t.firewall_private_ip,
        "snatPrivateRanges": list(t.designed_snat_ranges),
        "threatIntelMode": fw.threat_intel_mode,
        "dnsProxy": fw.dns_proxy,
        "dnsServers": list(fw.dns_servers),
        "classicRules": fw.classic_rules,
        "ruleCollectionGroups": [] if fw.classic_rules else [
            {"name": g.name, "priority": g.priority,
             "ruleCollections": [_policy_collection(c) for c in sorted(g.collections, key=lambda c: c.priority)]}
            for g in fw.rule_collection_groups],
    }
    if fw.classic_rules:
        value["classicRuleCollections"] = classic_rule_collections(fw)
    return value


def parameter_values(t: Topology) -> dict:
    """The non-secret parameters of main.bicep, in the order main.bicep declares them."""
    hub = t.hub
    values: dict = {"location": t.location, "tags": dict(t.tags)}
    if t.as_deployed:
        values["asDeployed"] = {str(entry.key): entry.as_parameter() for entry in t.as_deployed}
    values["hubVirtualNetwork"] = _vnet_value(t, hub.vnet, t.scope)
    if t.route_tables:
        values["routeTables"] = [_route_table_value(t, table) for table in t.route_tables]
    if hub.expressroute_gateway:
        er = hub.expressroute_gateway
        values["expressRouteGateway"] = {"name": er.name, "sku": er.sku, "publicIpName": er.public_ip_name,
                                         "publicIpZones": list(t.public_ip_zones(er))}
        if er.kept_ip_configuration_name:
            values["expressRouteGateway"]["ipConfigurationName"] = er.kept_ip_configuration_name
        if er.scale_units:
            values["expressRouteGateway"]["scaleUnits"] = {"min": er.scale_units[0], "max": er.scale_units[1]}
        if t.has_expressroute_connections:
            values["expressRouteConnections"] = [
                {"siteName": s.name, "name": s.connection_name, "circuitResourceId": s.circuit_id, "routingWeight": s.routing_weight,
                 "fastPath": s.fast_path}
                for s in t.on_premises
            ]
    if hub.vpn_gateway:
        values["hubVpnGateway"] = _vpn_gateway_value(t, hub.vpn_gateway)
    if hub.route_server:
        ars = hub.route_server
        values["routeServer"] = {
            "name": ars.name,
            "publicIpName": ars.public_ip_name,
            "publicIpZones": list(t.public_ip_zones(ars)),
            "ipConfigurationName": ars.ip_configuration_name,
            "allowBranchToBranchTraffic": ars.branch_to_branch,
            "hubRoutingPreference": ars.hub_routing_preference,
        }
    if hub.firewall:
        values["firewall"] = _firewall_value(t, hub.firewall)
    if hub.firewall and hub.firewall.diagnostics:
        diagnostics = hub.firewall.diagnostics
        values["firewallDiagnostics"] = {
            "workspaceResourceId": diagnostics.workspace_resource_id or "",
            "workspaceName": diagnostics.workspace_name or "",
            "retentionInDays": diagnostics.retention_days,
            "categories": list(diagnostics.categories),
            **({"categoryGroups": list(diagnostics.category_groups)} if diagnostics.category_groups else {}),
            "settingName": diagnostics.setting_name,
            "resourceSpecificTables": diagnostics.resource_specific,
            "metrics": diagnostics.metrics,
        }
    if t.vnet_branches:
        values["vnetBranches"] = [
            {
                "name": b.name,
                **_scope_value(t.scope_of(b), t.scope),
                "virtualNetwork": _vnet_value(t, b.vnet, t.scope_of(b)),
                "vpnGateway": _vpn_gateway_value(t, b.vpn_gateway),
                "hubToBranchConnectionName": b.hub_to_branch_connection,
                "branchToHubConnectionName": b.branch_to_hub_connection,
                **({"location": b.location} if b.location else {}),
            }
            for b in t.vnet_branches
        ]
    if t.site_branches:
        values["siteBranches"] = [_site_device_value(t, s, d) for s, d in t.site_devices]
    if t.spokes:
        values["spokes"] = [
            {"name": spoke.name, **_scope_value(t.scope_of(spoke), t.scope), **({"location": spoke.location} if spoke.location else {}),
             "virtualNetwork": _vnet_value(t, spoke.vnet, t.scope_of(spoke)),
             "hubToSpokePeeringName": spoke.hub_to_spoke_peering, "spokeToHubPeeringName": spoke.spoke_to_hub_peering}
            for spoke in t.spokes]
    if t.test_vms:
        regions = {o.name: o.location for o in (*t.vnet_branches, *t.spokes) if o.location}
        owners = {o.name: o for o in (*t.vnet_branches, *t.spokes)}
        values["testVms"] = [
            {"name": v.name, "virtualNetworkName": v.vnet_name, "subnetName": v.subnet, "size": v.size, "adminUsername": v.admin_username,
             **({"location": regions[v.vnet_ref]} if v.vnet_ref in regions else {}),
             # its VNet's group when that is not the hub's: the subnet's ID names it
             **(_scope_value(t.scope_of(owners[v.vnet_ref]), t.scope) if v.vnet_ref in owners else {})}
            for v in t.test_vms
        ]
    return values


def secret_parameters(t: Topology) -> dict:
    """Parameters filled from environment variables at deploy time: name -> (env var or {key: env var}, default)."""
    secrets: dict = {}
    if t.has_expressroute_connections:
        secrets["expressRouteAuthorizationKeys"] = {s.name: (s.secret_env, "") for s in t.on_premises}
    if t.branches:
        secrets["vpnSharedKeys"] = {}
        for b in t.branches:
            keys = b.shared_keys if b.kind == "site" else ((str(b.name), b.secret_env),)
            secrets["vpnSharedKeys"].update({key: (env, None) for key, env in keys})
    if t.test_vms:
        secrets["testVmSshPublicKey"] = (SSH_KEY_ENV, None)
    return secrets


def _read_env(env: str, default) -> str:
    if default is None:
        return f"readEnvironmentVariable({bicep_string(env)})"
    return f"readEnvironmentVariable({bicep_string(env)}, {bicep_string(default)})"


def secret_expression(spec) -> str:
    """The bicepparam right-hand side of a secret: read from the environment, never written down."""
    if isinstance(spec, tuple):
        return _read_env(*spec)
    lines = "".join(f"  {bicep_key(key)}: {_read_env(*value)}\n" for key, value in spec.items())
    return "{\n" + lines + "}"


# Each component's module files, and the types main.bicep imports from its first file.
MODULES = {
    "virtual-network": (("virtual-network.bicep",), ("virtualNetworkType",)),
    "route-table": (("route-table.bicep",), ("routeTableType",)),
    "expressroute-gateway": (("expressroute-gateway.bicep", "public-ip.bicep"), ("expressRouteGatewayType",)),
    "expressroute-connection": (("expressroute-connection.bicep",), ("expressRouteConnectionType",)),
    "vpn-gateway": (("vpn-gateway.bicep", "public-ip.bicep"), ("vpnGatewayType",)),
    "vnet-to-vnet-connection": (("vnet-to-vnet-connection.bicep",), ("vnetBranchType",)),
    "site-to-site-connection": (("site-to-site-connection.bicep",), ("siteBranchType",)),
    "route-server": (("route-server.bicep", "public-ip.bicep"), ("routeServerType",)),
    "firewall": (("firewall.bicep", "public-ip.bicep"), ("firewallType",)),
    # spokeType holds the spoke's route table: route-table.bicep comes along even without one.
    "vnet-peering": (("vnet-peering.bicep",), ("spokeType",)),
    "firewall-diagnostics": (("firewall-diagnostics.bicep",), ("firewallDiagnosticsType",)),
    "linux-vm": (("linux-vm.bicep",), ("testVmType",)),
}

MODULE_DESCRIPTIONS = {
    "virtual-network": "a virtual network and the subnets gen manages, each a child resource (hub, VNet branches and spokes)",
    "route-table": "a route table, on the subnets that name it (GatewaySubnet, AzureFirewallSubnet, a spoke's subnets, ...)",
    "expressroute-gateway": "the ExpressRoute gateway and its public IP",
    "expressroute-connection": "one connection to an existing ExpressRoute circuit",
    "vpn-gateway": "a VPN gateway with BGP and its public IPs (hub and VNet branches)",
    "vnet-to-vnet-connection": "the two Vnet2Vnet connections of a VNet branch",
    "site-to-site-connection": "a Local Network Gateway and its IPsec connection with BGP",
    "route-server": "Azure Route Server (virtualHubs), its IP configuration and public IP",
    "firewall": "Azure Firewall, its policy, rule collection group and public IP(s)",
    "vnet-peering": "one side of a spoke's peering with the hub (gateway transit on the hub side), in its VNet's resource group",
    "firewall-diagnostics": "the firewall's logs to a Log Analytics workspace (resource-specific tables), and the workspace if created",
    "linux-vm": "a test VM and its NIC, no public IP",
    "public-ip": "a Standard, Static public IP, zone-redundant where its owner needs it (gateways, Route Server, firewall)",
}


def logs_not_sent(t: Topology) -> list[str]:
    """The firewall logs its diagnostic setting leaves out, and why, for the output README
    (https://learn.microsoft.com/azure/firewall/monitor-firewall-reference)."""
    firewall = t.hub.firewall
    logs = firewall.diagnostics if firewall else None
    if logs is None or logs.category_groups:  # allLogs: every category
        return []
    sent = set(logs.categories)
    found = []
    if not {"AZFWFlowTrace", "AZFWFatFlow"} & sent:
        found.append("flow trace and top flows (they need enabling on the firewall first)")
    if "AZFWDnsQuery" not in sent and "AzureFirewallDnsProxy" not in sent:
        found.append("DNS queries" + ("" if firewall.dns_proxy else " (DNS proxy is off)"))
    if firewall.tier != "Premium":
        found.append("IDPS (Premium only)")
    return found


def _past_firewall(t: Topology, routes: dict) -> dict[str, list[str]]:
    """The hub's workload subnets and the spokes' subnets whose on-premises and branch traffic skips the firewall, by
    their routes (the README says so instead of what the design would do)."""
    if not (t.hub.firewall and t.inspects_transit):
        return {"hub_subnets_past_firewall": [], "spoke_subnets_past_firewall": []}
    workload = {str(s.name) for s in t.hub_workload_subnets}
    return {"hub_subnets_past_firewall": [n for n in routing.subnets_past_firewall(t, None, routes) if n in workload],
            "spoke_subnets_past_firewall": [f"{spoke.vnet.name}/{n}" for spoke in t.spokes
                                            for n in routing.subnets_past_firewall(t, spoke, routes)]}


def shared_key_reads(t: Topology) -> dict[str, str]:
    """For a hub that runs already: each VPN key's variable -> the command that exports its connection's running key."""
    from .collect import shared_key_read

    if not t.hub.vnet.existing:
        return {}
    reads = {b.secret_env: b.hub_to_branch_connection for b in t.vnet_branches}
    for site, device in t.site_devices:
        reads.setdefault(site.secret_env_of(device), device.connection_name)  # a site's key: its first device's
    return {env: shared_key_read(t, env, str(connection)) for env, connection in reads.items()}


def module_files(t: Topology) -> list[str]:
    """The module files the design needs, each once, in component order."""
    return list(dict.fromkeys(f for c in t.components for f in MODULES[c][0]))


def type_imports(t: Topology) -> list[str]:
    """main.bicep's import lines: each parameter type comes from the module that declares it."""
    return [f"import {{ {', '.join(MODULES[c][1])} }} from 'modules/{MODULES[c][0][0]}'" for c in t.components]


def parameter_summary(value) -> str:
    """A short, reviewable rendering of a parameter value for the generated README (Markdown, escaped)."""
    if isinstance(value, list):
        names = [item.get("name") for item in value if isinstance(item, dict) and item.get("name")]
        return f"{len(value)} item(s)" + (f": {markdown.text(tables.first_names(names))}" if names else "")
    if isinstance(value, dict):
        if "name" in value:
            return markdown.code(value["name"])
        return markdown.text(", ".join(f"{k}={v}" for k, v in value.items())) or "{}"
    return markdown.code(json.dumps(value))


# --- ordering: decided in order.py, written here as dependsOn --------------------------------------------


def depends_on(steps: dict, symbol: str, level: int) -> str:
    """A module's explicit dependsOn block (with the reason as a comment), or "" when the data flow orders it."""
    step = steps[symbol]
    if not step.after:
        return ""
    pad = "  " * level
    # "symbol[]": the instance of a loop with the same index as this one.
    entries = "".join(f"{pad}  {after[:-2] + '[index]' if after.endswith('[]') else after}\n" for after in step.after)
    return f"{pad}// {step.why[0].upper()}{step.why[1:]}.\n{pad}dependsOn: [\n{entries}{pad}]\n"


# --- the Jinja2 environment and the files ------------------------------------------------------------


def shell_word(value) -> str:
    """A value in a command the README prints: one shell word, whatever the spec holds (a resource group may hold
    parentheses)."""
    import shlex

    return shlex.quote(str(value))


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates (keyed by each template's source): compiling them is most of a render's work."""
    directory = cache.directory(f"jinja-{jinja2.__version__}")
    return jinja2.FileSystemBytecodeCache(str(directory)) if directory else None


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        bytecode_cache=_bytecode_cache(),
        loader=jinja2.FunctionLoader(_load_template),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["bicep"] = bicep_literal
    env.filters["key"] = bicep_key
    env.filters["secret"] = secret_expression
    env.filters["md"] = markdown.text
    env.filters["sh"] = shell_word
    env.filters["code"] = markdown.code
    env.filters["urlpath"] = lambda path: urllib.parse.quote(str(path), safe="/._-")
    env.filters["first_names"] = tables.first_names
    env.filters["groupby_next_hop"] = _by_next_hop
    return env


def _by_next_hop(routes) -> list[tuple[str, list]]:
    """A route table's routes grouped by next hop, in the order each next hop first appears."""
    groups: dict[str, list] = {}
    for r in routes:
        groups.setdefault(f"{r.next_hop_type}{' ' + str(r.next_hop_ip) if r.next_hop_ip else ''}", []).append(r)
    return list(groups.items())


def _deployed_rows(t: Topology) -> dict[str, int]:
    """How many on-premises sites, branches and spokes the README's "What gets deployed" lists one by one: all of them
    while the table stays within README_ROWS rows, else as many as fit, in that order (a site of several devices
    takes a row per device); the rest are one row each of "N more"."""
    budget = tables.README_ROWS - 8  # the hub's own rows: VNet, gateways, Route Server, firewall and its logs
    shown = {}
    for kind, items, size in (("on_premises", t.on_premises, lambda o: 1), ("branches", t.branches,
                              lambda b: len(b.devices) if b.kind == "site" else 1), ("spokes", t.spokes, lambda o: 1)):
        count = 0
        for item in items:
            if size(item) > budget and count < len(items):
                break
            budget -= size(item)
            count += 1
        shown[kind] = count
    return shown


def _secret_loop(t: Topology, reads: dict[str, str]) -> list[list[str]]:
    """The keys the Deploy steps read in one loop, four names a line, when there are more than a README lists."""
    typed = [s.env for s in t.secrets if s.required and s.env not in reads]
    if len(typed) <= tables.README_ROWS:
        return []
    return [typed[i:i + 4] for i in range(0, len(typed), 4)]


def _load_template(name: str) -> str:
    path = resources.files("generator.templates")
    for part in name.split("/"):
        path = path.joinpath(part)
    return path.read_text("utf-8")


def safe_file_name(name: str) -> str:
    """A spec path as it may appear in comments and Markdown: no control characters or quotes."""
    return "".join(c if c.isprintable() and c not in "'\"`<>*" else "_" for c in name).replace("--", "__") or "spec"


def _module_text(file_name: str) -> str:
    return resources.files("generator.templates.modules").joinpath(file_name).read_text("utf-8")


README_BRANCH_PAIRS = 45  # ten branches
README_FAILURE_TRACES = 1500  # single failures x flows the README's resilience table traces; beyond: gen resilience


def render(t: Topology, source: Provenance) -> dict[str, str]:
    """All files of the output directory: relative path -> text."""
    env = _environment()
    ordered = order.steps(t)
    steps = {step.symbol: step for step in ordered}
    # The README lists branch-to-branch pairs while they stay readable; beyond, it says how many and how to trace one.
    listed = routing.branch_pair_count(t) <= README_BRANCH_PAIRS
    routes = routing.effective_routes(t)  # once: the transit, the subnets past the firewall and routes.csv read it
    transit = routing.transit_matrix(t, with_branch_pairs=listed, routes=routes)
    by_class = len(transit) > tables.README_ROWS
    from . import failures, resilience
    from .devices import site as devices

    traced = len(failures.elements(t)) * len(transit)
    survives = resilience.as_markdown(resilience.analyse(t, with_branch_pairs=listed), "Single failures") \
        if transit and traced <= README_FAILURE_TRACES else ""
    spec_file = safe_file_name(source.spec)
    header = comment_header("//")
    reads = shared_key_reads(t)
    loop = _secret_loop(t, reads)
    context = {
        "t": t,
        "header": header,
        "description": f"Hub network {t.name}: ExpressRoute and VPN branches exchanging routes through Azure Route Server"
        + (", transit inspected by Azure Firewall" if t.inspects_transit else "")
        + ". Generated by gen.",
        "imports": type_imports(t),
        "depends_on": lambda symbol, level: depends_on(steps, symbol, level),
        "kept_arg": lambda level: f"{'  ' * level}asDeployed: asDeployed\n" if t.as_deployed else "",
        "multi_scope": len(t.scopes) > 1 or any(not (table.scope or t.scope).same_as(t.scope) for table in t.route_tables),
        "parameters": parameter_values(t),
        "secrets": secret_parameters(t),
        "spec_file": spec_file,
        "provenance": source,
        "diagram": mermaid(t),
        "modules": module_files(t),
        "module_descriptions": MODULE_DESCRIPTIONS,
        "parameter_summary": parameter_summary,
        "transit": transit,
        "tables": tables,
        "rows": tables.README_ROWS,
        "shown": _deployed_rows(t),
        "transit_by_class": tables.by_class(t, transit) if by_class else [],
        "transit_exceptions": tables.exceptions(t, transit) if by_class else [],
        "unlisted_branch_pairs": 0 if listed else routing.branch_pair_count(t),
        "transit_assumptions": list(dict.fromkeys(a for pair in transit for a in pair.assumptions)),
        "resilience": survives,
        "resilience_skipped": traced if transit and not survives else 0,
        "public_ips": list(t.new_public_ips),
        "accepted": t.accepted_warnings,
        "transit_query": logs.transit_query(t) if t.hub.firewall and t.hub.firewall.diagnostics else "",
        "plan": plan_text.as_markdown(plan.from_steps(ordered), "Deployment plan", rows=tables.PLAN_ROWS),
        "bicep_tested": f"Bicep {TESTED_BICEP}",
        "device_summaries": {s.name: devices.describe(t, s) for s in t.site_branches},
        "device_commands": {s.name: devices.command(s) for s in t.site_branches},
        "device_loop": [[str(s.name) for s in rest[i:i + 6]] for rest in [t.site_branches[tables.README_NAMES:]]
                        for i in range(0, len(rest), 6)],
        "hub_subscription": f" --subscription {t.scope.subscription_id}" if t.scope.subscription_id else "",
        "shared_key_reads": reads,
        "secret_loop": loop,
        "secret_loop_names": {name for names in loop for name in names},
        **_past_firewall(t, routes),
        "logs_not_sent": logs_not_sent(t),
        "cost": cost.as_markdown(cost.estimate(t, prices.load()), rows=tables.README_ROWS),
    }
    files = {
        "main.bicep": env.get_template("main.bicep.j2").render(context),
        "main.bicepparam": env.get_template("main.bicepparam.j2").render(context),
        "bicepconfig.json": env.get_template("bicepconfig.json.j2").render(context),
        "README.md": env.get_template("README.md.j2").render({**context, "header": comment_header("<!--")}),
    }
    for file_name in module_files(t):
        files[f"modules/{file_name}"] = f"{header}\n{_module_text(file_name)}"
    if context["transit_query"]:
        files["transit.kql"] = f"{header}\n{context['transit_query']}"
    if transit:
        files[tables.TRANSIT_FILE] = tables.transit_csv(transit)
    files[tables.ROUTES_FILE] = tables.routes_csv(routes)
    return dict(sorted(files.items()))
