"""What is really deployed, in the words of inventory.py: a capture's resources as the inventory of a design.

`gen diff --live CAPTURE NEW` judges NEW against this instead of an older spec, with the same judges;
`gen verify` reports the differences as drift. Each property is read from the ARM GET body the way
inventory.py writes it for a spec, so that equal means "a redeploy changes nothing here"; what gen does not
design is compared as `kept` (azure_shapes.kept_properties), so that a redeploy that would reset it says so.
"""

from __future__ import annotations

from . import arm_rules, azure_shapes
from .capture import Capture, Resource as Captured, diagnostic_settings_file, id_part
from .inventory import (
    CONNECTION,
    DIAGNOSTIC_SETTING,
    FIREWALL,
    GATEWAY,
    LOCAL_GATEWAY,
    NIC,
    PEERING,
    POLICY,
    PUBLIC_IP,
    REGIONAL,
    ROUTE_SERVER,
    ROUTE_TABLE,
    RULES,
    SUBNET,
    TAGGED,
    VM,
    VNET,
    WORKSPACE,
    Resource,
    _collections,
    _network_rules,
    region,
)
from .model import _rule_groups

KNOWN = (VNET, SUBNET, GATEWAY, PUBLIC_IP, ROUTE_SERVER, FIREWALL, POLICY, RULES, ROUTE_TABLE, CONNECTION,
         LOCAL_GATEWAY, NIC, PEERING, VM, WORKSPACE)


def name_of(resource_id) -> str:
    return str(resource_id or "").rstrip("/").rsplit("/", 1)[-1]


def inventory(capture: Capture, home_subscription: str = "") -> dict[tuple, Resource]:
    """Every captured resource, keyed like inventory.inventory: (type as gen writes it, subscription ("" for
    `home_subscription`, the hub's), resource group, name), in lower case."""
    found: dict[tuple, Resource] = {}
    resources = capture.resources
    home = home_subscription.lower()
    for resource in resources.values():
        kind = next((k for k in KNOWN if k.lower() == resource.type.lower()), resource.type)
        props = _props(kind, resource, resources)
        if kind in TAGGED:
            props["tags"] = dict(resource.tags or {})
        if kind in REGIONAL and resource.location:
            props["region"] = region(resource.location)
        if kind.lower() in azure_shapes.DESIGNED:  # the network resources gen designs; test VMs are left alone
            props["kept"] = azure_shapes.kept_properties(kind, resource.properties)
        subscription = "" if resource.subscription.lower() == home else resource.subscription.lower()
        entry = Resource(kind, resource.name, resource.file, _role(kind, resource), props, resource.resource_group, subscription)
        found[entry.key] = entry
        if kind == FIREWALL:
            for setting in capture.diagnostic_settings(resource.name) or []:
                name = f"{resource.name}/{setting.name}"
                entry = Resource(DIAGNOSTIC_SETTING, name, diagnostic_settings_file(resource.name),
                                 f"diagnostic setting {name} (deployed)",
                                 {"destination": name_of(setting.workspace_id).lower(),
                                  "categories": setting.categories + tuple(f"group:{g}" for g in setting.category_groups)},
                                 resource.resource_group, subscription)
                found[entry.key] = entry
    return found


def home_subscription_of(capture: Capture, vnet: str, group: str) -> str:
    """The subscription of the hub VNet in a capture: what a spec that names none means by "mine"."""
    match = next((r for r in capture.of_type(VNET) if r.name.lower() == str(vnet).lower()
                  and r.resource_group.lower() == str(group).lower()), None) or capture.find(VNET, vnet)
    return match.subscription if match else ""


def has_diagnostic_settings(capture: Capture) -> bool:
    """Whether the capture read the diagnostic settings (older captures did not: then they are not compared)."""
    return (capture.root / "diagnostic-settings").is_dir()


def _role(kind: str, resource: Captured) -> str:
    return f"{kind.split('/', 1)[-1]} {resource.name} (deployed)"


def _configuration_names(items) -> tuple[str, ...]:
    return tuple(str(c.get("name")) for c in items or [] if isinstance(c, dict))


def _props(kind: str, r: Captured, resources: dict) -> dict:
    p = r.prop
    if kind == VNET:
        return {"addressSpace": tuple(p("addressSpace", "addressPrefixes", default=[]) or []),
                "dnsServers": tuple(str(d) for d in p("dhcpOptions", "dnsServers", default=[]) or []), "remotes": ()}
    if kind == SUBNET:
        users = p("ipConfigurations", default=[]) or []
        user = f"{len(users)} IP configuration(s) (NICs, gateways, the firewall)" if users else None
        return {"prefix": str(p("addressPrefix") or (p("addressPrefixes", default=[None]) or [None])[0]),
                "nsg": str(p("networkSecurityGroup", "id") or "").lower(),
                "routeTable": name_of(p("routeTable", "id")) or None, "user": user}
    if kind == ROUTE_TABLE:
        routes = []
        for route in p("routes", default=[]) or []:
            fields = route.get("properties", route) if isinstance(route, dict) else {}
            routes.append((str(route.get("name")), str(fields.get("addressPrefix")), str(fields.get("nextHopType")),
                           fields.get("nextHopIpAddress")))
        return {"routes": tuple(routes), "propagate": not bool(p("disableBgpRoutePropagation"))}
    if kind == PUBLIC_IP:
        return {"zones": tuple(sorted(r.zones))}
    if kind == GATEWAY:
        sku = str((r.sku or {}).get("name") or p("sku", "name") or "")
        names = _configuration_names(p("ipConfigurations", default=[]))
        if str(p("gatewayType")).lower() == "expressroute":
            bounds = p("autoScaleConfiguration", "bounds") or {}
            scale = (bounds.get("min"), bounds.get("max")) if isinstance(bounds, dict) and bounds.get("max") else None
            return {"sku": sku, "ipConfigurations": names, "scaleUnits": scale}
        custom = tuple(str(a) for entry in in_ip_configuration_order(r) for a in (entry.get("customBgpIpAddresses") or [])[:1])
        return {"sku": sku, "generation": str(p("vpnGatewayGeneration") or ""), "pinned": True,
                "asn": p("bgpSettings", "asn"), "activeActive": bool(p("activeActive")), "customBgp": custom,
                "ipConfigurations": names}
    if kind == ROUTE_SERVER:
        ip_configuration = p("ipConfigurations", 0, "id")
        child = resources.get(str(ip_configuration or "").lower())
        subnet_id = str(child.prop("subnet", "id") or "").lower() if child else ""
        subnet = resources.get(subnet_id)
        return {"branchToBranch": bool(p("allowBranchToBranchTraffic")), "preference": p("hubRoutingPreference") or "ExpressRoute",
                "subnet": subnet.prop("addressPrefix") if subnet else None, "ipConfiguration": name_of(ip_configuration)}
    if kind == FIREWALL:
        policy = name_of(p("firewallPolicy", "id")).lower()
        management = p("managementIpConfiguration")
        names = _configuration_names(p("ipConfigurations", default=[])) + (
            (str(management.get("name")),) if isinstance(management, dict) else ())
        classic = None
        if not policy:  # classic rules, compared as the same collections a spec with classicRules writes
            groups = _rule_groups({"ruleCollectionGroups": arm_rules.classic_groups(r.properties)}, "capture")
            classic = _collections(tuple(c for g in groups for c in g.collections))
        return {"tier": str((p("sku") or {}).get("tier") or ""), "management": bool(management), "policy": policy,
                "zones": tuple(sorted(r.zones)), "ipConfigurations": names, "classic": classic,
                "settings": None if policy else arm_rules.classic_settings(r.properties)}
    if kind == POLICY:
        dns = p("dnsSettings") or {}
        return {"tier": str(p("sku", "tier") or ""), "snat": azure_shapes.snat_ranges(p("snat")),
                "firewall": name_of((p("firewalls", default=[{}]) or [{}])[0].get("id")),
                "threatIntel": str(p("threatIntelMode") or "Alert"),
                "dns": (bool(dns.get("enableProxy")), tuple(str(s) for s in dns.get("servers") or []))}
    if kind == RULES:
        groups = _rule_groups({"ruleCollectionGroups": [{"name": r.name.split("/")[-1], "priority": p("priority") or 100,
                                                         "ruleCollections": arm_rules.policy_collections(r.properties)}]},
                              "capture")
        return {"priority": p("priority"), "rules": _network_rules(groups[0]), "collections": _collections(groups[0].collections)}
    if kind == CONNECTION:
        if str(p("connectionType")) == "ExpressRoute":
            return {"circuit": str(p("peer", "id") or "").lower(), "weight": p("routingWeight") or 0,
                    "fastPath": bool(p("expressRouteGatewayBypass"))}
        if str(p("connectionType")) == "Vnet2Vnet":
            return {}
        policies = [x for x in p("ipsecPolicies", default=[]) or [] if isinstance(x, dict)]
        return {
            "ipsec": tuple(sorted(policies[0].items())) if policies else (),
            "policyBased": bool(p("usePolicyBasedTrafficSelectors")),
            "dpd": p("dpdTimeoutSeconds") or 45,  # what Azure sets when a PUT leaves them out
            "mode": p("connectionMode") or "Default",
            "protocol": p("connectionProtocol") or "IKEv2",
            "customBgp": tuple(str(x.get("customBgpIpAddress")) for x in p("gatewayCustomBgpIpAddresses", default=[]) or []
                               if isinstance(x, dict)),
            "bgp": bool(p("enableBgp")),
        }
    if kind == LOCAL_GATEWAY:
        return {"address": p("gatewayIpAddress") or p("fqdn"),
                "prefixes": tuple(p("localNetworkAddressSpace", "addressPrefixes", default=[]) or []),
                "asn": p("bgpSettings", "asn"), "peer": str(p("bgpSettings", "bgpPeeringAddress") or "")}
    if kind == PEERING:
        return {"remote": name_of(p("remoteVirtualNetwork", "id")).lower()}
    if kind == WORKSPACE:
        return {"retention": p("retentionInDays")}
    if kind == NIC:
        subnet_id = str(p("ipConfigurations", 0, "properties", "subnet", "id") or "")
        return {"placement": (id_part(subnet_id, "virtualnetworks") or None, name_of(subnet_id))}
    if kind == VM:
        nic = resources.get(str(p("networkProfile", "networkInterfaces", 0, "id") or "").lower())
        subnet_id = str(nic.prop("ipConfigurations", 0, "properties", "subnet", "id") or "") if nic else ""
        return {"size": p("hardwareProfile", "vmSize"), "admin": p("osProfile", "adminUsername"),
                "placement": (id_part(subnet_id, "virtualnetworks") or None, name_of(subnet_id))}
    return {}


def in_ip_configuration_order(gateway) -> list[dict]:
    """bgpSettings.bgpPeeringAddresses in the order of the gateway's IP configurations (instance 0 first): names
    differ between gen's (ipconfig1, ipconfig2) and the portal's (default, activeActive)."""
    order = [str(c.get("id") or c.get("name") or "").lower() for c in gateway.prop("ipConfigurations", default=[]) or []
             if isinstance(c, dict)]
    entries = [e for e in gateway.prop("bgpSettings", "bgpPeeringAddresses", default=[]) or [] if isinstance(e, dict)]

    def position(entry: dict) -> int:
        wanted = str(entry.get("ipconfigurationId") or "").lower()
        return next((i for i, c in enumerate(order) if c and (c == wanted or wanted.endswith(f"/{c}"))), len(order))

    return sorted(entries, key=position)


def inspects_transit(capture: Capture) -> bool:
    """Whether the captured hub sends transit through an appliance: a GatewaySubnet route table with routes to one."""
    for resource in capture.resources.values():
        if resource.type.lower() == SUBNET.lower() and resource.name.lower().endswith("/gatewaysubnet"):
            table = capture.by_id(resource.prop("routeTable", "id"))
            if table and any(str((r.get("properties") or {}).get("nextHopType")) == "VirtualAppliance"
                             for r in table.prop("routes", default=[]) or [] if isinstance(r, dict)):
                return True
    return False
