"""What is really deployed, in the words of inventory.py: a capture's resources as the inventory of a design.

`gen diff --live CAPTURE NEW` judges NEW against this instead of an older spec, with the same judges;
`gen verify` reports the differences as drift. Each property is read from the ARM GET body the way
inventory.py writes it for a spec, so that equal means "a redeploy changes nothing here".
"""

from __future__ import annotations

from .capture import Capture, Resource as Captured, diagnostic_settings_file
from .model import IANA_PRIVATE_RANGES
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
    ROUTE_SERVER,
    ROUTE_TABLE,
    RULES,
    SUBNET,
    VM,
    VNET,
    WORKSPACE,
    Resource,
)

KNOWN = (VNET, SUBNET, GATEWAY, PUBLIC_IP, ROUTE_SERVER, FIREWALL, POLICY, RULES, ROUTE_TABLE, CONNECTION,
         LOCAL_GATEWAY, NIC, PEERING, VM, WORKSPACE)


def name_of(resource_id) -> str:
    return str(resource_id or "").rstrip("/").rsplit("/", 1)[-1]


def inventory(capture: Capture) -> dict[tuple[str, str], Resource]:
    """Every captured resource, keyed like inventory.inventory: (type as gen writes it, name in lower case)."""
    found: dict[tuple[str, str], Resource] = {}
    resources = capture.resources
    vnet_of_subnet = {r.key: r.name.split("/")[0] for r in resources.values() if r.type.lower() == SUBNET.lower()}
    for resource in resources.values():
        kind = next((k for k in KNOWN if k.lower() == resource.type.lower()), resource.type)
        props = _props(kind, resource, resources, vnet_of_subnet)
        found[(kind, resource.name.lower())] = Resource(kind, resource.name, resource.file, _role(kind, resource), props)
        if kind == FIREWALL:
            for setting in capture.diagnostic_settings(resource.name) or []:
                name = f"{resource.name}/{setting.name}"
                found[(DIAGNOSTIC_SETTING, name.lower())] = Resource(
                    DIAGNOSTIC_SETTING, name, diagnostic_settings_file(resource.name), f"diagnostic setting {name} (deployed)",
                    {"destination": name_of(setting.workspace_id).lower(), "categories": setting.categories})
    return found


def has_diagnostic_settings(capture: Capture) -> bool:
    """Whether the capture read the diagnostic settings (older captures did not: then they are not compared)."""
    return (capture.root / "diagnostic-settings").is_dir()


def _role(kind: str, resource: Captured) -> str:
    return f"{kind.split('/', 1)[-1]} {resource.name} (deployed)"


def _props(kind: str, r: Captured, resources: dict, vnet_of_subnet: dict) -> dict:
    p = r.prop
    if kind == VNET:
        return {"addressSpace": tuple(p("addressSpace", "addressPrefixes", default=[]) or []), "remotes": ()}
    if kind == SUBNET:
        users = p("ipConfigurations", default=[]) or []
        user = f"{len(users)} IP configuration(s) (NICs, gateways, the firewall)" if users else None
        return {"prefix": str(p("addressPrefix") or (p("addressPrefixes", default=[None]) or [None])[0]),
                "nsg": str(p("networkSecurityGroup", "id") or "").lower(),
                "routeTable": name_of(p("routeTable", "id")) or None, "user": user,
                "extra": {key: value for key, value in r.properties.items() if key in ("delegations", "serviceEndpoints") and value}}
    if kind == ROUTE_TABLE:
        routes = []
        for route in p("routes", default=[]) or []:
            fields = route.get("properties", route) if isinstance(route, dict) else {}
            routes.append((str(route.get("name")), str(fields.get("addressPrefix")), str(fields.get("nextHopType")),
                           fields.get("nextHopIpAddress")))
        return {"routes": tuple(routes), "propagate": not bool(p("disableBgpRoutePropagation"))}
    if kind == GATEWAY:
        sku = str((r.sku or {}).get("name") or p("sku", "name") or "")
        if str(p("gatewayType")).lower() == "expressroute":
            return {"sku": sku}
        custom = tuple(str(a) for entry in in_ip_configuration_order(r) for a in (entry.get("customBgpIpAddresses") or [])[:1])
        return {"sku": sku, "generation": str(p("vpnGatewayGeneration") or ""), "pinned": True,
                "asn": p("bgpSettings", "asn"), "activeActive": bool(p("activeActive")), "customBgp": custom,
                "extra": {key: p(key) for key in ("vpnClientConfiguration", "natRules", "customRoutes") if p(key)}}
    if kind == ROUTE_SERVER:
        ip_configuration = p("ipConfigurations", 0, "id")
        child = resources.get(str(ip_configuration or "").lower())
        subnet_id = str(child.prop("subnet", "id") or "").lower() if child else ""
        subnet = resources.get(subnet_id)
        return {"branchToBranch": bool(p("allowBranchToBranchTraffic")), "preference": p("hubRoutingPreference") or "ExpressRoute",
                "subnet": subnet.prop("addressPrefix") if subnet else None}
    if kind == FIREWALL:
        return {"tier": str((p("sku") or {}).get("tier") or ""), "management": bool(p("managementIpConfiguration")),
                "policy": name_of(p("firewallPolicy", "id")).lower()}
    if kind == POLICY:
        # "IANAPrivateRanges" is Azure's word for the four ranges gen writes out.
        ranges = [r for item in (p("snat", "privateRanges") or ["IANAPrivateRanges"])
                  for r in (IANA_PRIVATE_RANGES if item == "IANAPrivateRanges" else (item,))]
        return {"tier": str(p("sku", "tier") or ""), "snat": tuple(dict.fromkeys(ranges)),
                "firewall": name_of((p("firewalls", default=[{}]) or [{}])[0].get("id"))}
    if kind == RULES:
        return {"rules": _network_rules(r), "other": _other_rules(r)}
    if kind == CONNECTION:
        if str(p("connectionType")) == "ExpressRoute":
            return {"circuit": str(p("peer", "id") or "").lower(), "weight": p("routingWeight") or 0,
                    "fastPath": bool(p("expressRouteGatewayBypass"))}
        policies = [x for x in p("ipsecPolicies", default=[]) or [] if isinstance(x, dict)]
        found = {
            "ipsec": tuple(sorted(policies[0].items())) if policies else (),
            "policyBased": bool(p("usePolicyBasedTrafficSelectors")),
            "dpd": p("dpdTimeoutSeconds") or 45,  # what Azure sets when a PUT leaves them out
            "mode": p("connectionMode") or "Default",
            "customBgp": tuple(str(x.get("customBgpIpAddress")) for x in p("gatewayCustomBgpIpAddresses", default=[]) or []
                               if isinstance(x, dict)),
            "bgp": bool(p("enableBgp")),
        }
        extra = {key: p(key) for key in ("trafficSelectorPolicies",) if p(key)}
        return {**found, "extra": extra} if extra else found
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
        return {"placement": (vnet_of_subnet.get(subnet_id.lower()), name_of(subnet_id))}
    if kind == VM:
        nic = resources.get(str(p("networkProfile", "networkInterfaces", 0, "id") or "").lower())
        subnet_id = str(nic.prop("ipConfigurations", 0, "properties", "subnet", "id") or "") if nic else ""
        return {"size": p("hardwareProfile", "vmSize"), "admin": p("osProfile", "adminUsername"),
                "placement": (vnet_of_subnet.get(subnet_id.lower()), name_of(subnet_id))}
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


def _collections(r: Captured):
    for collection in r.prop("ruleCollections", default=[]) or []:
        if isinstance(collection, dict):
            yield collection


def _network_rules(r: Captured) -> tuple:
    """The Allow network rules of filter collections, in priority order, as inventory.py writes a spec's."""
    found = []
    collections = sorted(_collections(r), key=lambda c: c.get("priority") or 0)
    for collection in collections:
        if collection.get("ruleCollectionType") != "FirewallPolicyFilterRuleCollection":
            continue
        if (collection.get("action") or {}).get("type") != "Allow":
            continue
        for rule in collection.get("rules") or []:
            if isinstance(rule, dict) and rule.get("ruleType") == "NetworkRule":
                found.append((str(rule.get("name")), tuple(rule.get("sourceAddresses") or ()),
                              tuple(rule.get("destinationAddresses") or ()), tuple(rule.get("destinationPorts") or ()),
                              tuple(rule.get("ipProtocols") or ())))
    return tuple(found)


def _other_rules(r: Captured) -> tuple[str, ...]:
    """What the spec cannot hold: application, NAT and deny rules, network rules with IP groups or FQDNs."""
    found = []
    for collection in _collections(r):
        kind = collection.get("ruleCollectionType")
        action = (collection.get("action") or {}).get("type")
        for rule in collection.get("rules") or []:
            if not isinstance(rule, dict):
                continue
            label = f"{rule.get('ruleType')} '{rule.get('name')}' of collection '{collection.get('name')}'"
            if kind != "FirewallPolicyFilterRuleCollection" or action != "Allow" or rule.get("ruleType") != "NetworkRule":
                found.append(f"{label} ({kind}, {action})")
            elif any(rule.get(key) for key in ("sourceIpGroups", "destinationIpGroups", "destinationFqdns")):
                found.append(f"{label} (IP groups or FQDNs)")
    return tuple(found)


def inspects_transit(capture: Capture) -> bool:
    """Whether the captured hub sends transit through an appliance: a GatewaySubnet route table with routes to one."""
    for resource in capture.resources.values():
        if resource.type.lower() == SUBNET.lower() and resource.name.lower().endswith("/gatewaysubnet"):
            table = capture.by_id(resource.prop("routeTable", "id"))
            if table and any(str((r.get("properties") or {}).get("nextHopType")) == "VirtualAppliance"
                             for r in table.prop("routes", default=[]) or [] if isinstance(r, dict)):
                return True
    return False
