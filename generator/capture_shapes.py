"""The shape of every captured resource gen reads, checked where the file is read (capture.py): a value of another
type is refused there with its file and path (exit 2), so nothing after it meets a list where it expects a name.

One JSON Schema per resource type, of the properties gen reads and nothing else (Azure's bodies carry many more: they
are let through). `null` is allowed wherever `az` prints it for "not set". Shapes follow the REST API specs
(Azure/azure-rest-api-specs, specification/network/resource-manager/Microsoft.Network/stable/2024-05-01) and what the
Azure CLI adds (a `resourceGroup` beside an `id`). Besides the types: no string anywhere holds a control character (a
newline in a name or an address would become a line of its own in a script or a device configuration), except a
rule's free-text `description`.
"""

from __future__ import annotations

from functools import lru_cache

NULL = {"type": "null"}


def _or_null(schema: dict) -> dict:
    return {"anyOf": [schema, NULL]}


TEXT = _or_null({"type": "string"})
TEXTS = _or_null({"type": "array", "items": {"type": "string"}})
INTEGER = _or_null({"type": "integer"})
BOOLEAN = _or_null({"type": "boolean"})
REFERENCE = _or_null({"type": "object", "properties": {"id": TEXT}})
REFERENCES = _or_null({"type": "array", "items": {"type": "object", "properties": {"id": TEXT}}})


def _object(properties: dict) -> dict:
    return _or_null({"type": "object", "properties": properties})


def _list(item: dict) -> dict:
    return _or_null({"type": "array", "items": item})


ADDRESS_SPACE = _object({"addressPrefixes": TEXTS, "addressPrefix": TEXT})
SUBNET_PROPERTIES = {"addressPrefix": TEXT, "addressPrefixes": TEXTS, "routeTable": REFERENCE, "networkSecurityGroup": REFERENCE,
                     "natGateway": REFERENCE, "ipConfigurations": REFERENCES, "serviceEndpoints": _list({"type": "object"}),
                     "delegations": _list({"type": "object"})}
PEERING_PROPERTIES = {"remoteVirtualNetwork": REFERENCE, "remoteAddressSpace": ADDRESS_SPACE, "allowGatewayTransit": BOOLEAN,
                      "useRemoteGateways": BOOLEAN, "allowForwardedTraffic": BOOLEAN, "allowVirtualNetworkAccess": BOOLEAN}
IP_CONFIGURATION = {"type": "object", "properties": {
    "name": TEXT, "id": TEXT,
    "properties": _object({"subnet": REFERENCE, "publicIPAddress": REFERENCE, "privateIPAddress": TEXT})}}
CLASSIC_RULE = {"type": "object", "properties": {
    "name": TEXT, "sourceAddresses": TEXTS, "destinationAddresses": TEXTS, "destinationPorts": TEXTS, "sourceIpGroups": TEXTS,
    "destinationIpGroups": TEXTS, "destinationFqdns": TEXTS, "targetFqdns": TEXTS, "fqdnTags": TEXTS, "translatedAddress": TEXT,
    "translatedPort": TEXT, "translatedFqdn": TEXT,
    "protocols": _list({"anyOf": [{"type": "string"}, {"type": "object", "properties": {"protocolType": TEXT, "port": INTEGER}}]})}}
CLASSIC_COLLECTIONS = _list({"type": "object", "properties": {
    "name": TEXT, "properties": _object({"priority": INTEGER, "action": _object({"type": TEXT}), "rules": _list(CLASSIC_RULE)})}})
POLICY_RULE = {"type": "object", "properties": {
    **CLASSIC_RULE["properties"], "ruleType": TEXT, "ipProtocols": TEXTS, "targetUrls": TEXTS, "webCategories": TEXTS,
    "terminateTLS": BOOLEAN, "sourceAddresses": TEXTS}}

PROPERTIES = {
    "microsoft.network/virtualnetworks": {
        "addressSpace": ADDRESS_SPACE, "dhcpOptions": _object({"dnsServers": TEXTS}),
        "subnets": _list({"type": "object", "properties": {"name": {"type": "string"}, "id": TEXT,
                                                             "properties": _object(SUBNET_PROPERTIES)}}),
        "virtualNetworkPeerings": _list({"type": "object", "properties": {"name": {"type": "string"}, "id": TEXT,
                                                                            "properties": _object(PEERING_PROPERTIES)}})},
    "microsoft.network/virtualnetworks/subnets": SUBNET_PROPERTIES,
    "microsoft.network/virtualnetworks/virtualnetworkpeerings": PEERING_PROPERTIES,
    "microsoft.network/publicipaddresses": {"ipAddress": TEXT, "ipConfiguration": REFERENCE},
    "microsoft.network/virtualnetworkgateways": {
        "gatewayType": TEXT, "vpnType": TEXT, "vpnGatewayGeneration": TEXT, "activeActive": BOOLEAN, "enableBgp": BOOLEAN,
        "sku": _object({"name": TEXT, "tier": TEXT, "capacity": INTEGER}), "ipConfigurations": _list(IP_CONFIGURATION),
        "bgpSettings": _object({"asn": INTEGER, "bgpPeeringAddress": TEXT, "peerWeight": INTEGER,
                                "bgpPeeringAddresses": _list({"type": "object", "properties": {
                                    "ipconfigurationId": TEXT, "defaultBgpIpAddresses": TEXTS, "customBgpIpAddresses": TEXTS,
                                    "tunnelIpAddresses": TEXTS}})}),
        "autoScaleConfiguration": _object({"bounds": _object({"min": INTEGER, "max": INTEGER})})},
    "microsoft.network/connections": {
        "connectionType": TEXT, "virtualNetworkGateway1": REFERENCE, "virtualNetworkGateway2": REFERENCE,
        "localNetworkGateway2": REFERENCE, "peer": REFERENCE, "routingWeight": INTEGER, "enableBgp": BOOLEAN,
        "usePolicyBasedTrafficSelectors": BOOLEAN, "dpdTimeoutSeconds": INTEGER, "connectionMode": TEXT,
        "connectionProtocol": TEXT, "expressRouteGatewayBypass": BOOLEAN,
        "ipsecPolicies": _list({"type": "object", "properties": {
            "ikeEncryption": TEXT, "ikeIntegrity": TEXT, "dhGroup": TEXT, "ipsecEncryption": TEXT, "ipsecIntegrity": TEXT,
            "pfsGroup": TEXT, "saLifeTimeSeconds": INTEGER, "saDataSizeKilobytes": INTEGER}}),
        "gatewayCustomBgpIpAddresses": _list({"type": "object", "properties": {"ipConfigurationId": TEXT,
                                                                               "customBgpIpAddress": TEXT}})},
    "microsoft.network/localnetworkgateways": {
        "gatewayIpAddress": TEXT, "fqdn": TEXT, "localNetworkAddressSpace": ADDRESS_SPACE,
        "bgpSettings": _object({"asn": INTEGER, "bgpPeeringAddress": TEXT, "peerWeight": INTEGER})},
    "microsoft.network/routetables": {
        "disableBgpRoutePropagation": BOOLEAN, "subnets": REFERENCES,
        "routes": _list({"type": "object", "properties": {"name": TEXT, "properties": _object({
            "addressPrefix": TEXT, "nextHopType": TEXT, "nextHopIpAddress": TEXT})}})},
    "microsoft.network/azurefirewalls": {
        "sku": _object({"name": TEXT, "tier": TEXT}), "firewallPolicy": REFERENCE, "threatIntelMode": TEXT,
        "ipConfigurations": _list(IP_CONFIGURATION), "managementIpConfiguration": _or_null(IP_CONFIGURATION),
        "additionalProperties": _or_null({"type": "object", "additionalProperties": {"type": "string"}}),
        "networkRuleCollections": CLASSIC_COLLECTIONS, "applicationRuleCollections": CLASSIC_COLLECTIONS,
        "natRuleCollections": CLASSIC_COLLECTIONS},
    "microsoft.network/firewallpolicies": {
        "sku": _object({"tier": TEXT}), "threatIntelMode": TEXT, "basePolicy": REFERENCE, "ruleCollectionGroups": REFERENCES,
        "firewalls": REFERENCES,
        "dnsSettings": _object({"servers": TEXTS, "enableProxy": BOOLEAN}), "snat": _object({"privateRanges": TEXTS})},
    "microsoft.network/firewallpolicies/rulecollectiongroups": {
        "priority": INTEGER,
        "ruleCollections": _list({"type": "object", "properties": {
            "name": TEXT, "priority": INTEGER, "ruleCollectionType": TEXT, "action": _object({"type": TEXT}),
            "rules": _list(POLICY_RULE)}})},
    "microsoft.network/virtualhubs": {
        "allowBranchToBranchTraffic": BOOLEAN, "virtualRouterIps": TEXTS, "virtualRouterAsn": INTEGER, "hubRoutingPreference": TEXT,
        "ipConfigurations": REFERENCES, "bgpConnections": REFERENCES, "sku": TEXT},
    "microsoft.network/virtualhubs/ipconfigurations": {"subnet": REFERENCE, "publicIPAddress": REFERENCE, "privateIPAddress": TEXT},
    "microsoft.network/ipgroups": {"ipAddresses": TEXTS},
    "microsoft.network/networkinterfaces": {"ipConfigurations": _list(IP_CONFIGURATION)},
    "microsoft.compute/virtualmachines": {"hardwareProfile": _object({"vmSize": TEXT}),
                                          "networkProfile": _object({"networkInterfaces": REFERENCES}),
                                          "osProfile": _object({"adminUsername": TEXT})},
    "microsoft.operationalinsights/workspaces": {"retentionInDays": INTEGER},
}
BODY = {"id": {"type": "string"}, "name": {"type": "string"}, "type": {"type": "string"}, "location": TEXT,
        "tags": _or_null({"type": "object", "additionalProperties": TEXT}), "zones": TEXTS,
        "sku": _or_null({"type": "object", "properties": {"name": TEXT, "tier": TEXT}})}


@lru_cache(maxsize=None)
def _validator(kind: str):
    from jsonschema import Draft202012Validator

    schema = {"type": "object", "properties": {**BODY, "properties": _object(PROPERTIES.get(kind, {}))}}
    return Draft202012Validator(schema)


def problems(kind: str, body: dict) -> list[str]:
    """What is wrong with a captured body of this type: "properties.routes[0]: is a string, an object expected"."""
    found = []
    for error in sorted(_validator(kind.lower()).iter_errors(body), key=lambda e: list(map(str, e.absolute_path))):
        where = _path(error.absolute_path)
        found.append(f"{where or 'the body'}: {_short(error.instance)} is not what Azure returns there"
                     f" ({_expected(error)})")
    found += [f"{_path(path)}: holds a control character (a line break?): Azure names and addresses have none"
              for path in _controls(body, ())]
    return found


def _expected(error) -> str:
    schema = error.schema
    for option in schema.get("anyOf", [schema]):
        if option.get("type") not in (None, "null"):
            return f"{option['type']} expected"
    return str(error.message)[:80]


def _controls(value, path):
    if isinstance(value, str):
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            if key != "description":  # a rule's free text: never written where a line break matters
                yield from _controls(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _controls(item, path + (index,))


def _path(parts) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _short(value) -> str:
    import json

    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."
