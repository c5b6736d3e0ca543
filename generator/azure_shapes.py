"""What a redeploy writes on each Azure resource type, decided once: the properties gen designs, those Azure computes,
and the values Azure gives a writable property that a PUT leaves out.

A template deployment is a PUT of the whole resource: "Properties that aren't included in the template are reset to
the default values" (https://learn.microsoft.com/azure/azure-resource-manager/templates/deployment-modes). So a running
resource keeps a property through a redeploy of gen's Bicep only if gen writes it: from the spec (what gen designs),
or as the spec keeps it (`asDeployed`). `gen import` keeps every writable property that is neither designed nor at its
default; `gen diff --live` and `gen verify` compare the same set; rule ASD001 refuses keeping what gen designs.

Read-only and writable properties: the REST API specs (Azure/azure-rest-api-specs, specification/network/
resource-manager/Microsoft.Network/stable/2024-05-01: virtualNetwork.json, publicIpAddress.json, routeTable.json,
virtualNetworkGateway.json, azureFirewall.json, firewallPolicy.json, virtualWan.json for virtualHubs). Some properties
the specs call writable are computed by Azure all the same (a peering's state, a public IP's address, a Route
Server's router IPs): they are listed as computed, since writing them back changes nothing.
Defaults: the specs' `default` where given (a subnet's privateEndpointNetworkPolicies "Disabled"), else what a GET of
a resource created without the property returns (the REST examples): false for the feature switches, empty lists.
"""

from __future__ import annotations

from .model import IANA_PRIVATE_RANGES

VNET = "microsoft.network/virtualnetworks"
SUBNET = "microsoft.network/virtualnetworks/subnets"
PEERING = "microsoft.network/virtualnetworks/virtualnetworkpeerings"
PUBLIC_IP = "microsoft.network/publicipaddresses"
ROUTE_TABLE = "microsoft.network/routetables"
GATEWAY = "microsoft.network/virtualnetworkgateways"
CONNECTION = "microsoft.network/connections"
LOCAL_GATEWAY = "microsoft.network/localnetworkgateways"
FIREWALL = "microsoft.network/azurefirewalls"
POLICY = "microsoft.network/firewallpolicies"
RULES = "microsoft.network/firewallpolicies/rulecollectiongroups"
HUB = "microsoft.network/virtualhubs"
HUB_IP_CONFIGURATION = "microsoft.network/virtualhubs/ipconfigurations"

# Computed by Azure wherever they appear.
COMPUTED_EVERYWHERE = frozenset({"provisioningState", "resourceGuid", "etag"})

# Top-level properties Azure computes, by type (beyond COMPUTED_EVERYWHERE).
COMPUTED = {
    VNET: {"flowLogs", "defaultPublicNatGateway", "subnets", "virtualNetworkPeerings"},  # the last two: child resources
    SUBNET: {"ipConfigurations", "ipConfigurationProfiles", "privateEndpoints", "resourceNavigationLinks",
             "serviceAssociationLinks", "purpose"},
    PEERING: {"peeringState", "peeringSyncLevel", "remoteAddressSpace", "remoteVirtualNetworkAddressSpace", "remoteBgpCommunities",
              "remoteVirtualNetworkEncryption", "localAddressSpace", "localVirtualNetworkAddressSpace"},
    PUBLIC_IP: {"ipAddress", "ipConfiguration", "natGateway", "servicePublicIPAddress", "linkedPublicIPAddress",
                "migrationPhase", "upgradedToV2"},
    ROUTE_TABLE: {"subnets"},
    GATEWAY: {"inboundDnsForwardingEndpoint", "virtualNetworkGatewayMigrationStatus"},
    CONNECTION: {"connectionStatus", "tunnelConnectionStatus", "egressBytesTransferred", "ingressBytesTransferred",
                 "sharedKey", "authorizationKey"},  # the secrets: never returned, always written from parameters
    LOCAL_GATEWAY: set(),
    FIREWALL: {"hubIPAddresses", "ipGroups"},
    POLICY: {"size", "ruleCollectionGroups", "firewalls", "childPolicies", "afcManaged"},
    RULES: {"size"},
    HUB: {"routingState", "bgpConnections", "ipConfigurations", "routeMaps", "virtualRouterAsn", "virtualRouterIps",
          "virtualRouterIpsV6", "kind"},
    HUB_IP_CONFIGURATION: {"privateIPAddress"},
}
# An ExpressRoute gateway's VPN settings are Azure's, whatever its GET shows (vpnType, generation "None", BGP 65515).
EXPRESSROUTE_GATEWAY_COMPUTED = frozenset({"vpnType", "vpnGatewayGeneration", "activeActive", "enableBgp", "bgpSettings",
                                           "enablePrivateIpAddress", "disableIPSecReplayProtection"})

# Properties gen designs: the spec decides them, so a redeploy writes them (drift when Azure differs).
DESIGNED = {
    VNET: {"addressSpace", "dhcpOptions"},
    SUBNET: {"addressPrefix", "routeTable", "networkSecurityGroup"},
    PEERING: {"remoteVirtualNetwork", "allowVirtualNetworkAccess", "allowForwardedTraffic", "allowGatewayTransit",
              "useRemoteGateways"},
    PUBLIC_IP: {"publicIPAllocationMethod", "publicIPAddressVersion"},
    ROUTE_TABLE: {"routes", "disableBgpRoutePropagation"},
    GATEWAY: {"gatewayType", "vpnType", "vpnGatewayGeneration", "sku", "activeActive", "enableBgp", "bgpSettings",
              "ipConfigurations", "autoScaleConfiguration"},
    CONNECTION: {"connectionType", "connectionProtocol", "virtualNetworkGateway1", "virtualNetworkGateway2",
                 "localNetworkGateway2", "peer", "routingWeight", "expressRouteGatewayBypass", "enableBgp", "ipsecPolicies",
                 "usePolicyBasedTrafficSelectors", "dpdTimeoutSeconds", "connectionMode", "gatewayCustomBgpIpAddresses"},
    LOCAL_GATEWAY: {"gatewayIpAddress", "fqdn", "localNetworkAddressSpace", "bgpSettings"},
    FIREWALL: {"sku", "firewallPolicy", "ipConfigurations", "managementIpConfiguration", "networkRuleCollections",
               "applicationRuleCollections", "natRuleCollections"},
    POLICY: {"sku", "threatIntelMode"},
    RULES: {"priority", "ruleCollections"},
    HUB: {"sku", "allowBranchToBranchTraffic", "hubRoutingPreference"},
    HUB_IP_CONFIGURATION: {"subnet", "publicIPAddress"},
}
# Inside a property gen designs, what it does not write, with the value a PUT without it leaves: kept as it runs.
PARTLY_DESIGNED = {
    GATEWAY: {"bgpSettings": {"peerWeight": 0}},  # gen writes the ASN and APIPA addresses; ALZ sets peerWeight 5
}
# A Vnet2Vnet connection: gen writes neither the routing weight nor the DPD timeout; an ExpressRoute one no IPsec.
CONNECTION_DESIGNED = {
    "expressroute": {"connectionType", "virtualNetworkGateway1", "peer", "routingWeight", "expressRouteGatewayBypass"},
    "vnet2vnet": {"connectionType", "virtualNetworkGateway1", "virtualNetworkGateway2", "enableBgp"},
}

# What a PUT without the property leaves: a running value equal to it needs no keeping.
DEFAULTS = {
    VNET: {"enableDdosProtection": False, "enableVmProtection": False, "privateEndpointVNetPolicies": "Disabled",
           "bgpCommunities": None, "ddosProtectionPlan": None, "encryption": None, "ipAllocations": []},
    SUBNET: {"privateEndpointNetworkPolicies": "Disabled", "privateLinkServiceNetworkPolicies": "Enabled", "serviceEndpoints": [],
             "serviceEndpointPolicies": [], "delegations": [], "ipAllocations": [], "applicationGatewayIPConfigurations": [],
             "natGateway": None, "sharingScope": None, "ipamPoolPrefixAllocations": []},
    PEERING: {"doNotVerifyRemoteGateways": False, "peerCompleteVnets": True, "enableOnlyIPv6Peering": False,
              "localSubnetNames": [], "remoteSubnetNames": []},
    PUBLIC_IP: {"idleTimeoutInMinutes": 4, "ipTags": [], "ddosSettings": {"protectionMode": "VirtualNetworkInherited"},
                "dnsSettings": None, "publicIPPrefix": None, "deleteOption": None},
    ROUTE_TABLE: {"disablePeeringRoute": False},
    GATEWAY: {"enablePrivateIpAddress": False, "disableIPSecReplayProtection": False, "enableBgpRouteTranslationForNat": False,
              "allowVirtualWanTraffic": False, "allowRemoteVnetTraffic": False, "enableDnsForwarding": False, "natRules": [],
              "customRoutes": {"addressPrefixes": []}, "vpnClientConfiguration": None, "adminState": "Enabled",
              "virtualNetworkGatewayPolicyGroups": [], "gatewayDefaultSite": None, "vNetExtendedLocationResourceId": None,
              "resiliencyModel": "SingleHomed", "enableHighBandwidthVpnGateway": False},
    CONNECTION: {"routingWeight": 0, "dpdTimeoutSeconds": [0, 45], "useLocalAzureIpAddress": False,
                 "enablePrivateLinkFastPath": False, "expressRouteGatewayBypass": False, "trafficSelectorPolicies": [],
                 "ingressNatRules": [], "egressNatRules": [], "usePolicyBasedTrafficSelectors": False, "ipsecPolicies": [],
                 "connectionMode": "Default", "gatewayCustomBgpIpAddresses": [], "authenticationType": "PSK",
                 "tunnelProperties": [], "connectionProtocol": "IKEv2", "enableBgp": False, "routingConfiguration": None},
    LOCAL_GATEWAY: {},
    FIREWALL: {"threatIntelMode": "Alert", "additionalProperties": {}, "autoscaleConfiguration": None, "virtualHub": None,
               "networkRuleCollections": [], "applicationRuleCollections": [], "natRuleCollections": []},
    POLICY: {"threatIntelMode": "Alert", "threatIntelWhitelist": {"fqdns": [], "ipAddresses": []}, "snat": None,
             "dnsSettings": {"servers": [], "enableProxy": False}, "intrusionDetection": None, "basePolicy": None,
             "insights": None, "sql": None, "explicitProxy": None, "transportSecurity": None},
    RULES: {},
    HUB: {"virtualRouterAutoScaleConfiguration": {"minCapacity": 2}, "preferredRoutingGateway": "ExpressRoute",
          "virtualHubRouteTableV2s": [], "routeTable": {"routes": []}, "virtualWan": None, "vpnGateway": None,
          "p2SVpnGateway": None, "expressRouteGateway": None, "azureFirewall": None, "securityPartnerProvider": None,
          "addressPrefix": None, "securityProviderName": None},
    HUB_IP_CONFIGURATION: {"privateIPAllocationMethod": "Dynamic"},
}


def only_undesigned_parts(resource_type: str, key: str, value) -> bool:
    """Whether a kept value of a designed property holds only what gen does not write inside it (PARTLY_DESIGNED)."""
    parts = PARTLY_DESIGNED.get(resource_type.lower(), {}).get(key)
    return bool(parts) and isinstance(value, dict) and set(value) <= set(parts)


def designed(resource_type: str, properties: dict) -> set[str]:
    """The properties gen designs on a resource of this type (an ExpressRoute or Vnet2Vnet connection: fewer)."""
    kind = resource_type.lower()
    if kind == CONNECTION:
        connection = str(properties.get("connectionType", "")).lower()
        return set(CONNECTION_DESIGNED.get(connection, DESIGNED[CONNECTION]))
    if kind == FIREWALL and not properties.get("firewallPolicy"):
        # Classic rules: the firewall itself holds threat intelligence and the DNS and SNAT settings gen designs.
        return DESIGNED[FIREWALL] | {"threatIntelMode", "additionalProperties"}
    return set(DESIGNED.get(kind, ()))


def computed(resource_type: str, properties: dict) -> set[str]:
    kind = resource_type.lower()
    found = set(COMPUTED.get(kind, ())) | COMPUTED_EVERYWHERE
    if kind == GATEWAY and str(properties.get("gatewayType", "")).lower() == "expressroute":
        found |= EXPRESSROUTE_GATEWAY_COMPUTED
    return found


def is_default(resource_type: str, key: str, value) -> bool:
    """Whether a running value is what a PUT without the property would give (absent, empty, or Azure's default)."""
    if value is None or value == [] or value == {}:
        return True
    default = DEFAULTS.get(resource_type.lower(), {}).get(key, _MISSING)
    if default is _MISSING:
        return False
    if isinstance(default, list) and default and not isinstance(default[0], (dict, list)):
        return value in default or value == default  # several values mean "not set" (a DPD timeout of 0 or 45)
    if resource_type.lower() == POLICY and key == "snat":
        return snat_ranges(value) == IANA_PRIVATE_RANGES
    return strip_computed(value) == default


from .model import snat_ranges  # noqa: E402 - decided once, in the model


def strip_computed(value):
    """A value without what Azure computes inside it: provisioning states and etags anywhere, and the `id` and `type`
    of a named sub-resource (a delegation, a service endpoint). References ({"id": ...}) stay, without the
    `resourceGroup` the Azure CLI adds beside every `id` it prints (azure-cli-core, commands/transform.py
    `_add_resource_group`): ARM neither returns nor stores it."""
    if isinstance(value, dict):
        named = "name" in value
        return {k: strip_computed(v) for k, v in value.items()
                if k not in COMPUTED_EVERYWHERE and k not in ("actions",) and not (named and k in ("id", "type"))
                and not (k == "resourceGroup" and "id" in value)}
    if isinstance(value, list):
        return [strip_computed(item) for item in value]
    return value


def kept_properties(resource_type: str, properties: dict, designed_here: set[str] | None = None) -> dict:
    """What a running resource carries that a redeploy of gen's design would reset: every writable property that gen
    does not design and that is not at its default, without what Azure computes inside it."""
    azure = computed(resource_type, properties)
    skip = azure | (designed(resource_type, properties) if designed_here is None else designed_here)
    kept = {key: strip_computed(value) for key, value in sorted(properties.items())
            if key not in skip and not is_default(resource_type, key, value)}
    for key, parts in PARTLY_DESIGNED.get(resource_type.lower(), {}).items():
        value = properties.get(key)
        if key in skip and key not in azure and isinstance(value, dict):
            extra = {part: value[part] for part, default in parts.items() if value.get(part) not in (None, default)}
            if extra:
                kept[key] = extra  # deep-merged into what gen writes (union in the module)
    return dict(sorted(kept.items()))


_MISSING = object()
