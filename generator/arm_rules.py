"""Azure Firewall rules as Azure holds them, read into the spec's neutral shape (`ruleCollectionGroups`).

Two APIs hold the same rules (REST API specs, stable/2024-05-01, azureFirewall.json and firewallPolicy.json):
- a firewall policy's rule collection groups: `ruleCollections[]` of FirewallPolicyFilterRuleCollection (action Allow
  or Deny; NetworkRule with `ipProtocols`, ApplicationRule with `protocols: [{protocolType, port}]`) and
  FirewallPolicyNatRuleCollection (action DNAT; NatRule);
- a firewall's classic collections: `networkRuleCollections`, `applicationRuleCollections`, `natRuleCollections`, each
  `{name, properties: {priority, action: {type}, rules}}`, network and NAT rules with `protocols`.
Both run DNAT rules first, then network, then application, each by priority ("Azure Firewall rule processing logic",
https://learn.microsoft.com/azure/firewall/rule-processing). A classic firewall's collections become three groups, one
per rule type, named and ordered as the portal's "Migrate to firewall policy" does (Learn:
https://learn.microsoft.com/azure/firewall-manager/migrate-to-policy): the order within each rule type is kept, so
every flow gets the same verdict in both.
"""

from __future__ import annotations

# The groups the portal's migration writes, by rule type: (name, priority).
CLASSIC_GROUPS = {"nat": ("DefaultDnatRuleCollectionGroup", 100), "network": ("DefaultNetworkRuleCollectionGroup", 200),
                  "application": ("DefaultApplicationRuleCollectionGroup", 300)}
CLASSIC_KEYS = {"network": "networkRuleCollections", "application": "applicationRuleCollections", "nat": "natRuleCollections"}
POLICY_TYPES = {"NetworkRule": "network", "ApplicationRule": "application", "NatRule": "nat"}


def _strings(rule: dict, key: str) -> list[str]:
    value = rule.get(key)
    return [str(item) for item in value if isinstance(item, (str, int))] if isinstance(value, list) else []


def _application_protocols(rule: dict) -> list[str]:
    found = []
    for protocol in rule.get("protocols") or []:
        if isinstance(protocol, dict) and protocol.get("protocolType"):
            found.append(f"{protocol['protocolType']}:{protocol.get('port') or _DEFAULT_PORTS.get(protocol['protocolType'], 443)}")
    return found


_DEFAULT_PORTS = {"Http": 80, "Https": 443, "Mssql": 1433}


def spec_rule(rule_type: str, rule: dict, classic: bool) -> dict:
    """One rule in the spec's shape; what it does not set is left out."""
    found: dict = {"name": str(rule.get("name") or "")}
    if rule.get("description"):
        found["description"] = str(rule["description"])[:1024]
    keys = ["sourceAddresses", "sourceIpGroups"]
    if rule_type == "network":
        keys += ["destinationAddresses", "destinationIpGroups", "destinationFqdns", "destinationPorts"]
        protocols = _strings(rule, "protocols" if classic else "ipProtocols")
    elif rule_type == "application":
        keys += ["targetFqdns", "fqdnTags", "targetUrls", "webCategories"]
        protocols = []
        found["applicationProtocols"] = _application_protocols(rule)
        if rule.get("terminateTLS"):
            found["terminateTls"] = True
    else:
        keys += ["destinationAddresses", "destinationPorts"]
        protocols = _strings(rule, "protocols" if classic else "ipProtocols")
    for key in keys:
        if _strings(rule, key):
            found[key] = _strings(rule, key)
    if protocols:
        found["protocols"] = protocols
    if rule_type == "nat":
        for key in ("translatedAddress", "translatedFqdn", "translatedPort"):
            if rule.get(key) not in (None, ""):
                found[key] = str(rule[key])
    return found


def policy_collections(group_properties: dict) -> list[dict]:
    """The collections of a policy's rule collection group, in the spec's shape."""
    found = []
    for collection in group_properties.get("ruleCollections") or []:
        if not isinstance(collection, dict):
            continue
        kind = collection.get("ruleCollectionType")
        rules = [r for r in collection.get("rules") or [] if isinstance(r, dict)]
        if kind == "FirewallPolicyNatRuleCollection":
            rule_type, action = "nat", "Dnat"
        else:
            types = {POLICY_TYPES.get(str(r.get("ruleType"))) for r in rules} - {None}
            rule_type = types.pop() if len(types) == 1 else "network"
            action = str((collection.get("action") or {}).get("type") or "Allow")
        found.append({"name": str(collection.get("name") or ""), "priority": collection.get("priority") or 100,
                      "ruleType": rule_type, "action": action.capitalize() if action.lower() in ("allow", "deny") else "Dnat",
                      "rules": [spec_rule(POLICY_TYPES.get(str(r.get("ruleType")), rule_type), r, classic=False) for r in rules]})
    return found


def classic_groups(firewall_properties: dict) -> list[dict]:
    """A classic firewall's collections as the spec's groups: one per rule type that has collections."""
    groups = []
    for rule_type in ("nat", "network", "application"):
        collections = []
        for collection in firewall_properties.get(CLASSIC_KEYS[rule_type]) or []:
            if not isinstance(collection, dict):
                continue
            properties = collection.get("properties") if isinstance(collection.get("properties"), dict) else collection
            action = str((properties.get("action") or {}).get("type") or ("Dnat" if rule_type == "nat" else "Allow"))
            collections.append({
                "name": str(collection.get("name") or ""), "priority": properties.get("priority") or 100, "ruleType": rule_type,
                "action": "Dnat" if rule_type == "nat" else action.capitalize(),
                "rules": [spec_rule(rule_type, r, classic=True) for r in properties.get("rules") or [] if isinstance(r, dict)]})
        if collections:
            name, priority = CLASSIC_GROUPS[rule_type]
            groups.append({"name": name, "priority": priority, "ruleCollections": collections})
    return groups


def classic_settings(firewall_properties: dict) -> tuple[str, bool, tuple[str, ...]]:
    """A classic firewall's threat intelligence mode, DNS proxy and DNS servers (additionalProperties are strings:
    "Network.DNS.EnableProxy": "true", "Network.DNS.Servers": "10.1.0.4,10.1.0.5";
    https://learn.microsoft.com/azure/firewall/dns-settings)."""
    extra = firewall_properties.get("additionalProperties") or {}
    extra = extra if isinstance(extra, dict) else {}
    proxy = str(extra.get("Network.DNS.EnableProxy", "")).lower() == "true"
    servers = tuple(s.strip() for s in str(extra.get("Network.DNS.Servers", "")).split(",") if s.strip())
    return str(firewall_properties.get("threatIntelMode") or "Alert"), proxy, servers
