"""The firewall of a running hub: its tier, zones and names, and every rule it holds, whether in a firewall policy or
as classic rules on the firewall itself (arm_rules.py reads both into the spec's shape)."""

from __future__ import annotations

from .. import arm_rules
from ..capture import Resource
from ..live import name_of
from .evidence import ASSUMED, CREATED_BESIDE, POLICY, RULES, Evidence


def firewall(ev: Evidence, resource: Resource, region_zones: tuple[str, ...]) -> dict:
    ev.use(resource)
    properties = resource.properties
    found = {"name": resource.name, "existing": True, "tier": str((resource.prop("sku") or {}).get("tier") or "Standard")}
    zones = tuple(sorted(resource.zones))
    if zones != tuple(region_zones):
        if zones or ev.capture.zones_are_read():
            found["zones"] = list(zones)  # zones cannot change on a running firewall: what runs
        else:
            ev.leave(resource, "its zones", f"this capture may not hold them (gen collect before version 2 read them with az "
                                            f"resource show): assumed {', '.join(region_zones) or 'none'}, the region's; check "
                                            f"with az network firewall show --query zones", ASSUMED)
    configurations = [c for c in resource.prop("ipConfigurations", default=[]) or [] if isinstance(c, dict)]
    public_ip = ev.public_ip((configurations[0].get("properties") or {}).get("publicIPAddress")) if configurations else None
    ev.use(public_ip)
    if public_ip and public_ip.name != f"{resource.name}-pip":
        found["publicIpName"] = public_ip.name
    if configurations and configurations[0].get("name") != "ipconfig1":
        found["ipConfigurationName"] = str(configurations[0].get("name"))  # labs write FW-config
    if len(configurations) > 1:
        ev.leave(resource, f"{len(configurations) - 1} more public IP configuration(s)", "the spec gives the firewall one "
                                                                                         "data-path public IP: the redeploy "
                                                                                         "removes the others", "modify")
    management = resource.prop("managementIpConfiguration")
    if isinstance(management, dict):
        management_ip = ev.public_ip((management.get("properties") or {}).get("publicIPAddress"))
        ev.use(management_ip)
        if found["tier"] != "Basic":
            found["forcedTunneling"] = True
        if management_ip and management_ip.name != f"{resource.name}-mgmt-pip":
            found["managementPublicIpName"] = management_ip.name
        if management.get("name") != "management":
            found["managementIpConfigurationName"] = str(management.get("name"))
    policy_id = resource.prop("firewallPolicy", "id")
    if policy_id:
        _policy(ev, resource, ev.by_id(policy_id), name_of(policy_id), found)
    else:
        _classic(resource, found)
    _ip_groups(ev, found)
    return found


def _ip_groups(ev: Evidence, found: dict) -> None:
    """What the IP groups the rules name hold, for gen trace (gen does not write them; they stay as they are)."""
    named = {str(i) for group in found.get("ruleCollectionGroups", []) for collection in group.get("ruleCollections", [])
             for rule in collection.get("rules", []) for key in ("sourceIpGroups", "destinationIpGroups") for i in rule.get(key, [])}
    held = {}
    for group_id in sorted(named):
        group = ev.by_id(group_id)
        if group is None:
            continue  # not captured: the rule is taken as not matching, and gen trace says so
        ev.use(group)
        held[group.id] = [str(a) for a in group.prop("ipAddresses", default=[]) or []]
    if held:
        found["ipGroups"] = held


def _classic(resource: Resource, found: dict) -> None:
    """Classic rules stay classic (a no-op redeploy); removing `classicRules` later moves the same rules into a policy."""
    found["classicRules"] = True
    mode, proxy, servers = arm_rules.classic_settings(resource.properties)
    _settings(found, mode, proxy, servers)
    groups = arm_rules.classic_groups(resource.properties)
    if groups:
        found["ruleCollectionGroups"] = groups


def _settings(found: dict, mode: str, proxy: bool, servers) -> None:
    if mode != "Alert":
        found["threatIntelMode"] = mode
    if proxy:
        found["dnsProxy"] = True
    if servers:
        found["dnsServers"] = list(servers)


def _policy(ev: Evidence, firewall: Resource, policy: Resource | None, name: str, found: dict) -> None:
    if name != f"{firewall.name}-policy":
        found["policyName"] = name
    if policy is None:
        ev.leave(f"firewallPolicies {name}", "the firewall's policy and its rules", "not in the capture (a policy in another "
                                                                                     "resource group? capture it too): the "
                                                                                     "redeploy would create an empty policy of "
                                                                                     "that name in the hub's group and attach it",
                 CREATED_BESIDE)
        return
    ev.use(policy)
    dns = policy.prop("dnsSettings") or {}
    _settings(found, str(policy.prop("threatIntelMode") or "Alert"), bool(dns.get("enableProxy")),
              [str(s) for s in dns.get("servers") or []])
    groups = sorted((g for g in ev.of_type(RULES) if g.key.rsplit("/rulecollectiongroups/", 1)[0] == policy.key),
                    key=lambda g: (g.prop("priority") or 0, g.name.lower()))
    network_rules, kept = None, []
    for group in groups:
        ev.use(group)
        collections = arm_rules.policy_collections(group.properties)
        short = group.name.split("/")[-1]
        simple = _gens_own(collections, group.prop("priority"))
        if simple is not None and network_rules is None:
            network_rules = simple
            if short != "network-rules":
                found["ruleCollectionGroupName"] = short
        else:
            kept.append({"name": short, "priority": group.prop("priority") or 100, "ruleCollections": collections})
    if kept:
        found["ruleCollectionGroups"] = kept
    if network_rules:
        found["networkRules"] = network_rules
    listed = {str(entry.get("id") or "").lower() for entry in policy.prop("ruleCollectionGroups", default=[]) or []
              if isinstance(entry, dict)}
    missing = sorted(entry for entry in listed if entry and ev.by_id(entry) is None)
    if missing:
        ev.leave(policy, f"{len(missing)} rule collection group(s) not in the capture", "the spec cannot hold rules it did not "
                                                                                         "see: they stay as they are (child "
                                                                                         "resources gen does not write)", ASSUMED)


def _gens_own(collections: list[dict], priority) -> list[dict] | None:
    """The rules of a group as gen writes `networkRules` (one Allow network collection `allow-network` of priority 100,
    in a group of priority 200, rules on addresses only), or None for any other group."""
    if priority != 200 or len(collections) != 1:
        return None
    collection = collections[0]
    if (collection["name"], collection["priority"], collection["ruleType"], collection["action"]) != ("allow-network", 100,
                                                                                                      "network", "Allow"):
        return None
    rules = []
    for rule in collection["rules"]:
        if any(rule.get(k) for k in ("sourceIpGroups", "destinationIpGroups", "destinationFqdns")) or not all(
                rule.get(k) for k in ("sourceAddresses", "destinationAddresses", "destinationPorts", "protocols")):
            return None
        rules.append({key: rule[key] for key in ("name", "description", "sourceAddresses", "destinationAddresses",
                                                 "destinationPorts", "protocols") if key in rule})
    return rules


def diagnostics(ev: Evidence, resource: Resource) -> dict | None:
    """The firewall's diagnostic setting towards Log Analytics, when the capture read them."""
    settings = ev.capture.diagnostic_settings(resource.name)
    if settings is None:
        ev.leave(resource, "its diagnostic settings", "the capture did not read them (extension resources are not in az "
                                                      "resource list): add hub.firewall.diagnostics if it logs", ASSUMED)
        return None
    setting = next((s for s in settings if s.workspace_id), None)
    for other in settings:
        if other is not setting:
            ev.leave(f"diagnosticSettings {other.name}", "a diagnostic setting of the firewall", "gen writes one (to Log "
                                                                                                 "Analytics): this one stays "
                                                                                                 "as it is", "left alone")
    if setting is None:
        return None
    found = {}
    workspace = ev.by_id(setting.workspace_id)
    if workspace is not None:
        ev.use(workspace)
        found["workspace"] = {"name": workspace.name, "retentionInDays": workspace.prop("retentionInDays") or 30}
    else:
        found["workspaceResourceId"] = setting.workspace_id
    if setting.name != "to-log-analytics":
        found["settingName"] = setting.name
    if setting.categories:
        found["categories"] = list(setting.categories)  # what it sends now; gen's default may differ by tier
    if setting.category_groups:
        found["categoryGroups"] = list(setting.category_groups)
    if not setting.dedicated:
        found["resourceSpecificTables"] = False  # the legacy AzureDiagnostics table, as it runs
    if setting.metrics:
        found["metrics"] = True
    return found


def is_policy(resource: Resource) -> bool:
    return resource.type.lower() == POLICY
