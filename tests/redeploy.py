"""A STAND-IN FOR AZURE RESOURCE MANAGER, not Azure: what deploying a compiled template in incremental mode does to
resources that already exist, property by property.

It is the judge of "adopting a hub changes nothing": a capture of a running hub, the Bicep `gen import` + `gen render`
wrote for it, compiled by the real Bicep compiler and evaluated (tests/azure_standin.template_puts), then every PUT
applied over the captured resource it names. Written apart from gen's own view of the same thing
(generator/azure_shapes.py), so that a mistake there does not hide itself here.

What Resource Manager does, and where that is written:
- a PUT replaces the resource: "Properties that aren't included in the template are reset to the default values"
  (https://learn.microsoft.com/azure/azure-resource-manager/templates/deployment-modes); a property Azure computes
  (read-only in the REST API specs) is not written by anyone;
- a virtual network PUT without `subnets` keeps the subnets it has (API 2023-11-01 and later: Learn, "Create virtual
  network resources by using Bicep"), and one without `virtualNetworkPeerings` keeps the peerings
  (Azure/arm-template-whatif issue 281);
- zones cannot change ("Zones cannot be added/updated/removed once the resource is created": Azure/AzOps issue 701);
  a PUT without `zones` asks for none;
- the tags a template gives replace the resource's
  (https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources-bicep);
- secrets (shared keys, authorization keys) are never returned by a GET: not compared.
Read-only properties: Azure/azure-rest-api-specs, specification/network/resource-manager/Microsoft.Network/stable/
2024-05-01 (virtualNetwork.json, publicIpAddress.json, routeTable.json, virtualNetworkGateway.json, azureFirewall.json,
firewallPolicy.json, virtualWan.json); some the specs call writable are computed all the same (a peering's state, a
public IP's address) and are listed with them. Defaults: the specs' `default`, else what a GET of a resource created
without the property shows in the REST examples.
"""

from __future__ import annotations

import re

# Keys Azure computes wherever they appear (a sub-resource's id and type come from its name and parent).
COMPUTED = {"provisioningState", "resourceGuid", "etag"}
COMPUTED_IN = {
    "microsoft.network/virtualnetworks": {"flowLogs", "defaultPublicNatGateway"},
    "microsoft.network/virtualnetworks/subnets": {"ipConfigurations", "ipConfigurationProfiles", "privateEndpoints",
                                                  "resourceNavigationLinks", "serviceAssociationLinks", "purpose", "actions"},
    "microsoft.network/virtualnetworks/virtualnetworkpeerings": {
        "peeringState", "peeringSyncLevel", "remoteAddressSpace", "remoteVirtualNetworkAddressSpace", "remoteBgpCommunities",
        "remoteVirtualNetworkEncryption", "localAddressSpace", "localVirtualNetworkAddressSpace"},
    "microsoft.network/publicipaddresses": {"ipAddress", "ipConfiguration", "natGateway", "servicePublicIPAddress",
                                            "linkedPublicIPAddress", "migrationPhase", "fqdn"},
    "microsoft.network/routetables": {"subnets", "hasBgpOverride"},
    "microsoft.network/virtualnetworkgateways": {"privateIPAddress", "defaultBgpIpAddresses", "tunnelIpAddresses",
                                                 "bgpPeeringAddress", "capacity", "inboundDnsForwardingEndpoint",
                                                 "virtualNetworkGatewayMigrationStatus"},
    "microsoft.network/connections": {"connectionStatus", "tunnelConnectionStatus", "egressBytesTransferred",
                                      "ingressBytesTransferred", "sharedKey", "authorizationKey"},
    "microsoft.network/localnetworkgateways": set(),
    "microsoft.network/azurefirewalls": {"privateIPAddress", "hubIPAddresses", "ipGroups"},
    "microsoft.network/firewallpolicies": {"ruleCollectionGroups", "firewalls", "childPolicies", "size"},
    "microsoft.network/firewallpolicies/rulecollectiongroups": {"size"},
    "microsoft.network/virtualhubs": {"routingState", "bgpConnections", "ipConfigurations", "virtualRouterAsn",
                                      "virtualRouterIps", "routeMaps", "kind"},
    "microsoft.network/virtualhubs/ipconfigurations": {"privateIPAddress"},
}
# An ExpressRoute gateway's GET shows VPN settings Azure sets itself.
EXPRESSROUTE_COMPUTED = {"vpnType", "vpnGatewayGeneration", "activeActive", "enableBgp", "bgpSettings",
                         "enablePrivateIpAddress", "disableIPSecReplayProtection"}
# What a PUT without the key leaves, by type (absent, null, [] and {} are always "nothing").
DEFAULTS = {
    "microsoft.network/virtualnetworks": {"enableDdosProtection": False, "enableVmProtection": False,
                                          "privateEndpointVNetPolicies": "Disabled"},
    "microsoft.network/virtualnetworks/subnets": {"privateEndpointNetworkPolicies": "Disabled",
                                                  "privateLinkServiceNetworkPolicies": "Enabled"},
    "microsoft.network/virtualnetworks/virtualnetworkpeerings": {"doNotVerifyRemoteGateways": False, "peerCompleteVnets": True,
                                                                 "enableOnlyIPv6Peering": False, "allowVirtualNetworkAccess": True,
                                                                 "allowForwardedTraffic": False, "allowGatewayTransit": False,
                                                                 "useRemoteGateways": False},
    "microsoft.network/publicipaddresses": {"idleTimeoutInMinutes": 4, "publicIPAddressVersion": "IPv4",
                                            "ddosSettings": {"protectionMode": "VirtualNetworkInherited"}},
    "microsoft.network/routetables": {"disableBgpRoutePropagation": False, "disablePeeringRoute": False},
    "microsoft.network/virtualnetworkgateways": {"enablePrivateIpAddress": False, "disableIPSecReplayProtection": False,
                                                 "enableBgpRouteTranslationForNat": False, "allowVirtualWanTraffic": False,
                                                 "allowRemoteVnetTraffic": False, "enableDnsForwarding": False,
                                                 "adminState": "Enabled", "resiliencyModel": "SingleHomed",
                                                 "customRoutes": {"addressPrefixes": []}, "privateIPAllocationMethod": "Dynamic",
                                                 "peerWeight": 0, "enableHighBandwidthVpnGateway": False},
    "microsoft.network/connections": {"routingWeight": 0, "useLocalAzureIpAddress": False, "enablePrivateLinkFastPath": False,
                                      "expressRouteGatewayBypass": False, "usePolicyBasedTrafficSelectors": False,
                                      "connectionMode": "Default", "authenticationType": "PSK", "enableBgp": False,
                                      "connectionProtocol": "IKEv2"},
    "microsoft.network/azurefirewalls": {"threatIntelMode": "Alert", "privateIPAllocationMethod": "Dynamic"},
    "microsoft.network/firewallpolicies/rulecollectiongroups": {"terminateTLS": False},
    "microsoft.network/localnetworkgateways": {"peerWeight": 0},
    "microsoft.network/firewallpolicies": {"threatIntelMode": "Alert", "dnsSettings": {"servers": [], "enableProxy": False},
                                           "threatIntelWhitelist": {"fqdns": [], "ipAddresses": []}},
    "microsoft.network/virtualhubs": {"virtualRouterAutoScaleConfiguration": {"minCapacity": 2},
                                      "preferredRoutingGateway": "ExpressRoute", "hubRoutingPreference": "ExpressRoute",
                                      "routeTable": {"routes": []}},
    "microsoft.network/virtualhubs/ipconfigurations": {"privateIPAllocationMethod": "Dynamic"},
}
# A connection's DPD timeout reads 0 when never set and 45 once Azure applied its default: both mean "not set".
UNSET_VALUES = {("microsoft.network/connections", "dpdTimeoutSeconds"): (0, 45)}
# Policies: "IANAPrivateRanges" is Azure's word for IANA's four private ranges, the default.
IANA = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"]
_RESOURCE_ID = re.compile(r"^/subscriptions/", re.IGNORECASE)


def _nothing(value) -> bool:
    return value is None or value == [] or value == {} or value == ""


def _snat(value) -> list | None:
    ranges = (value or {}).get("privateRanges") if isinstance(value, dict) else None
    ranges = ranges or ["IANAPrivateRanges"]
    return [r for item in ranges for r in (IANA if item == "IANAPrivateRanges" else [item])]


def _is_default(kind: str, key: str, value) -> bool:
    if _nothing(value):
        return True
    if value in UNSET_VALUES.get((kind, key), ()):
        return True
    if kind == "microsoft.network/firewallpolicies" and key == "snat":
        return _snat(value) == IANA
    default = DEFAULTS.get(kind, {}).get(key, object())
    return _strip(value) == default


def _strip(value):
    """A value without what Azure computes inside it (and without the id and type of a named sub-resource, and the
    `resourceGroup` the Azure CLI prints beside every `id`: azure-cli-core, commands/transform.py `_add_resource_group`;
    ARM neither returns nor stores it)."""
    if isinstance(value, dict):
        named = "name" in value
        return {k: _strip(v) for k, v in value.items() if k not in COMPUTED and not (named and k in ("id", "type"))
                and not (k == "resourceGroup" and "id" in value)}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _without(value, computed: set):
    """A value without the keys Azure computes, at any depth (and the CLI's `resourceGroup` beside an `id`)."""
    if isinstance(value, dict):
        return {k: _without(v, computed) for k, v in value.items() if k not in computed and k not in COMPUTED
                and not (k == "resourceGroup" and "id" in value)}
    if isinstance(value, list):
        return [_without(v, computed) for v in value]
    return value


def _empty(kind: str, key: str, value, computed: set) -> bool:
    """Whether a value says nothing a PUT must keep: Azure's default for the key (at any depth), or nothing at all
    once what Azure computes is taken out (a gateway's BGP addresses per IP configuration)."""
    if _is_default(kind, key, value):
        return True
    value = _without(value, computed)

    def hollow(item) -> bool:
        if isinstance(item, dict):
            return all(hollow(v) or k == "ipconfigurationId" for k, v in item.items())
        if isinstance(item, list):
            return all(hollow(v) for v in item)
        return _nothing(item)

    return hollow(value)


def _computed(kind: str, properties: dict) -> set:
    found = COMPUTED | COMPUTED_IN.get(kind, set())
    if kind == "microsoft.network/virtualnetworkgateways" and str(properties.get("gatewayType", "")).lower() == "expressroute":
        found |= EXPRESSROUTE_COMPUTED
    return found


def _same_scalar(a, b) -> bool:
    if isinstance(a, str) and isinstance(b, str) and _RESOURCE_ID.match(a) and _RESOURCE_ID.match(b):
        return a.lower() == b.lower()  # Azure compares resource IDs without case
    return a == b


def _differences(kind: str, running, put, where: str, computed: set, top: bool) -> list[str]:
    found = []
    if isinstance(running, dict) and isinstance(put, dict):
        for key in sorted(set(running) | set(put)):
            if key in computed or (not top and key in ("id", "type") and "name" in running):
                continue
            if key == "resourceGroup" and "id" in running and not top:
                continue  # what the Azure CLI prints beside an id (see _strip): not in ARM's body
            if (kind, key) == ("microsoft.network/firewallpolicies", "snat") and top:
                if _snat(running.get(key)) != _snat(put.get(key)):
                    found.append(f"{where}.{key}: {running.get(key)} -> {put.get(key)}")
                continue
            here = f"{where}.{key}"
            if key not in put:
                if not _empty(kind, key, running[key], computed):
                    found.append(f"{here}: {_short(running[key])} -> reset (the template leaves it out)")
            elif key not in running:
                if not _empty(kind, key, put[key], computed):
                    found.append(f"{here}: unset -> {_short(put[key])}")
            elif _empty(kind, key, running[key], computed) and _empty(kind, key, put[key], computed):
                continue
            else:
                found += _differences(kind, running[key], put[key], here, computed, False)
        return found
    if isinstance(running, list) and isinstance(put, list):
        named = all(isinstance(item, dict) and "name" in item for item in running + put) and (running or put)
        if named:  # named sub-resources (routes, rules, IP configurations): by name, as Azure keys them
            before = {str(item["name"]).lower(): item for item in running}
            after = {str(item["name"]).lower(): item for item in put}
            for name in sorted(set(before) | set(after)):
                if name not in after:
                    found.append(f"{where}[{name}]: removed")
                elif name not in before:
                    found.append(f"{where}[{name}]: added")
                else:
                    found += _differences(kind, before[name], after[name], f"{where}[{name}]", computed, False)
            return found
        if len(running) != len(put):
            return [f"{where}: {_short(running)} -> {_short(put)}"]
        for index, (a, b) in enumerate(zip(running, put)):
            found += _differences(kind, a, b, f"{where}[{index}]", computed, False)
        return found
    if _nothing(running) and _nothing(put):
        return []
    if not _same_scalar(running, put):
        return [f"{where}: {_short(running)} -> {_short(put)}"]
    return []


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def children(body: dict) -> list[dict]:
    """The child resources a GET returns inside their parent (a VNet's subnets and peerings), as bodies of their own."""
    found = []
    if body.get("type", "").lower() == "microsoft.network/virtualnetworks":
        for key, kind in (("subnets", "subnets"), ("virtualNetworkPeerings", "virtualNetworkPeerings")):
            for child in (body.get("properties") or {}).get(key) or []:
                found.append({"id": child.get("id") or f"{body['id']}/{kind}/{child['name']}", "name": child["name"],
                              "type": f"{body['type']}/{kind}", "properties": child.get("properties") or {}})
    return found


def apply(running: list[dict], puts: list[dict]) -> tuple[list[str], list[str]]:
    """(what the PUTs change on resources that run, the resources they would create). `running`: GET bodies of
    every captured resource (children inside their parents, as a GET returns them)."""
    by_id = {}
    for body in running:
        by_id[body["id"].lower()] = body
        for child in children(body):
            by_id.setdefault(child["id"].lower(), child)
    changed, created = [], []
    for put in puts:
        kind = put["type"].lower()
        if kind.startswith("microsoft.insights/"):
            continue  # an extension resource (diagnostic settings): captured apart, compared by gen verify
        current = by_id.get(put["id"].lower())
        label = f"{put['type'].split('/', 1)[-1]} {put['id'].split('/providers/')[-1].split('/', 2)[-1]}"
        if current is None:
            created.append(label)
            continue
        where = label
        if "location" in put and put.get("location") and str(put["location"]).replace(" ", "").lower() != \
                str(current.get("location") or put["location"]).replace(" ", "").lower():
            changed.append(f"{where}: location {current.get('location')} -> {put['location']}")
        if "tags" in put and dict(put.get("tags") or {}) != dict(current.get("tags") or {}):
            changed.append(f"{where}: tags {current.get('tags') or {}} -> {put.get('tags') or {}}")
        if sorted(put.get("zones") or []) != sorted(current.get("zones") or []) and kind in (
                "microsoft.network/publicipaddresses", "microsoft.network/azurefirewalls"):
            changed.append(f"{where}: zones {current.get('zones') or []} -> {put.get('zones') or []}")
        if "sku" in put and isinstance(put["sku"], dict):
            for key, value in put["sku"].items():
                if (current.get("sku") or {}).get(key, value) != value:
                    changed.append(f"{where}: sku.{key} {(current.get('sku') or {}).get(key)} -> {value}")
        properties = dict(current.get("properties") or {})
        if kind == "microsoft.network/virtualnetworks":
            for key in ("subnets", "virtualNetworkPeerings"):
                if key not in put["properties"]:
                    properties.pop(key, None)  # kept: a VNet PUT without them keeps them
        changed += _differences(kind, properties, put["properties"], f"{where}: properties",
                                _computed(kind, properties), True)
    return changed, created
