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

from . import markdown
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
    inventory,
)
from .model import GENERATION1_ONLY, GENERATION2_ONLY, Topology, parse_network

CREATE, MODIFY, RECREATE, DELETE, BLOCKED = "create", "modify", "recreate", "delete", "blocked"
UNMANAGED = "unmanaged"  # gen diff --live: in Azure, not in the spec; the redeploy leaves it alone
NONE, BRIEF, LONG = "none", "brief", "long"

SKU_UPGRADE = "https://learn.microsoft.com/azure/vpn-gateway/gateway-sku-upgrade"
GATEWAY_SKUS = "https://learn.microsoft.com/azure/vpn-gateway/about-gateway-skus"
SKU_CONSOLIDATION = "https://learn.microsoft.com/azure/vpn-gateway/gateway-sku-consolidation"
ACTIVE_ACTIVE = "https://learn.microsoft.com/azure/vpn-gateway/gateway-change-active-active"
BGP_FAQ = "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-vpn-faq#bgp"
ER_GATEWAY = "https://learn.microsoft.com/azure/expressroute/expressroute-about-virtual-network-gateways"
ER_MIGRATION = "https://learn.microsoft.com/azure/expressroute/expressroute-howto-gateway-migration-portal"
# Route Server FAQ (2025-09, read 2026-12): creating or deleting a Route Server in a VNet with gateways causes "about
# 10 minutes" of gateway downtime, while the operation itself takes 30-60 minutes: plan a 60-minute maintenance window.
ROUTE_SERVER_DOWNTIME = "https://learn.microsoft.com/azure/route-server/route-server-faq"
ROUTE_SERVER_CREATED = ("creating a Route Server where gateways exist takes them down for about 10 minutes while the Route "
                        "Server deployment runs 30-60 minutes: plan a 60-minute maintenance window")
ROUTE_SERVER_DELETED = ("deleting a Route Server where gateways exist takes them down for about 10 minutes of an operation "
                        "of 30-60 minutes: plan a 60-minute maintenance window")
ROUTE_SERVER_CONFIG = "https://learn.microsoft.com/azure/route-server/configure-route-server"
FIREWALL_CHANGE_SKU = "https://learn.microsoft.com/azure/firewall/change-sku"
FORCED_TUNNELLING = "https://learn.microsoft.com/azure/firewall/forced-tunneling"
GATEWAY_UDR = "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-about-vpn-gateway-settings#gwsub"
ADDRESS_SPACE = "https://learn.microsoft.com/azure/virtual-network/update-virtual-network-peering-address-space"
SUBNETS = "https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-subnet"
CHILD_SUBNETS = "https://learn.microsoft.com/azure/azure-resource-manager/bicep/scenarios-virtual-networks"
NSG = "https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview"
LNG_CHANGES = "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-modify-local-network-gateway-portal"
IPSEC_POLICY = "https://learn.microsoft.com/azure/vpn-gateway/ipsec-ike-policy-howto"
CONFIGURE_BGP = "https://learn.microsoft.com/azure/vpn-gateway/bgp-howto"
INVALID_LOCATION = "https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/error-invalid-resource-location"
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
    # A subnet gen no longer declares stays (the VNet is written without its subnet list); refused while in use.
    SUBNET: (78, "az network vnet subnet delete --resource-group {rg} --vnet-name {parent} --name {child}"),
    VNET: (80, "az network vnet delete --resource-group {rg} --name {name}"),
    # After the VNet whose subnets use it: "You can't delete a route table that's associated to any subnets"
    # (https://learn.microsoft.com/azure/virtual-network/manage-route-table#delete-a-route-table); a hub table is detached by the redeploy.
    ROUTE_TABLE: (82, "az network route-table delete --resource-group {rg} --name {name}"),
}


@dataclass(frozen=True)
class Change:
    resource: str
    type: str
    action: str
    downtime: str
    detail: str
    link: str
    command: str = ""  # for a delete: the az command that removes it
    before_deploying: bool = False  # the command must run before the redeploy (traffic stays symmetric)
    risk: str = ""  # what it weakens without downtime: flows that lose inspection, an exception that stops working

    def as_json(self) -> dict:
        found = {"resource": self.resource, "type": self.type, "action": self.action, "downtime": self.downtime,
                 "detail": self.detail, "link": self.link}
        if self.command:
            found["command"] = self.command
            found["when"] = "before deploying" if self.before_deploying else "after deploying"
        if self.risk:
            found["risk"] = self.risk
        return found

    @property
    def disruptive(self) -> bool:
        return self.action in (RECREATE, DELETE, BLOCKED) or self.downtime != NONE or bool(self.risk)


# --- judging each difference -------------------------------------------------------------------------------

VPN_RANK = {f"VpnGw{i}AZ": i for i in range(1, 6)}
ER_RANK = {"ErGw1AZ": 1, "ErGw2AZ": 2, "ErGw3AZ": 3}


def _generations_of(sku: str) -> tuple[str, ...]:
    """The generations a VPN SKU exists in (about-gateway-skus): VpnGw2AZ and VpnGw3AZ in both."""
    if sku in GENERATION1_ONLY:
        return ("Generation1",)
    if sku in GENERATION2_ONLY:
        return ("Generation2",)
    return ("Generation1", "Generation2")


# VPN gateway SKU changes, as Learn's "Upgrade a VPN Gateway SKU" table gives them (read 2026-12, ms.date 03/03/2026):
# Basic -> any: delete and re-create; legacy (Standard, HighPerformance) -> AZ: "Yes (Migrate Only)"; Generation 1 ->
# Generation 1 AZ and Generation 2 -> Generation 2 AZ: "Yes" (about 45 minutes, public IPs kept, none within the family:
# "from VpnGw1 to VpnGw1AZ, there's no downtime"); Generation 1 -> Generation 2 AZ: "Yes (Migrate Only)"; downgrades:
# delete and re-create.
LEGACY_VPN = {"Standard": 1, "HighPerformance": 2}


def _vpn_rank(sku: str) -> int:
    """VpnGw1 and VpnGw1AZ are one family (1); Basic is 0; the legacy SKUs sit below the family they migrate to."""
    if sku in LEGACY_VPN:
        return LEGACY_VPN[sku]
    digits = "".join(c for c in sku if c.isdigit())
    return int(digits) if digits else 0


def _vpn_gateway(old: Resource, new: Resource):
    o, n = old.props, new.props
    if "generation" not in o or "generation" not in n:
        return  # a captured gateway whose GET body says not what kind it is (no properties): nothing to compare it by
    if o["generation"] != n["generation"]:
        detail = (f"{o['sku']} {o['generation']} -> {n['sku']} {n['generation']}: a redeploy cannot change a gateway's generation "
                  f"(assumed refused: Learn documents no update that does). Learn's upgrade table gives Generation 1 -> "
                  f"Generation 2 AZ as \"Yes (Migrate Only)\", never delete and re-create: Microsoft moves gateways with a "
                  f"Standard public IP to Generation 2 itself \"before September 30, 2026\", with no downtime and the public "
                  f"IPs kept ({SKU_CONSOLIDATION}); one with a Basic public IP moves with the Basic IP migration")
        if not n.get("pinned") and o["generation"] in _generations_of(n["sku"]):
            detail += (f". The new generation comes only from gen's default for {n['sku']}: pin `generation: "
                       f"\"{o['generation']}\"` on this gateway in the spec to resize it in place")
        yield BLOCKED, NONE, detail, SKU_UPGRADE
    elif o["sku"] != n["sku"]:
        before, after = _vpn_rank(o["sku"]), _vpn_rank(n["sku"])
        if o["sku"] == "Basic":
            yield RECREATE, LONG, (f"Basic -> {n['sku']}: \"You can't upgrade a Basic SKU to a new SKU. You must delete the "
                                   f"gateway, and then create a new one\" (a new public IP: every VPN device re-pointed)"), SKU_UPGRADE
        elif o["sku"] in LEGACY_VPN:
            yield BLOCKED, BRIEF, (f"{o['sku']} is a legacy SKU: legacy -> AZ is \"Yes (Migrate Only)\", through the Basic IP "
                                   f"migration (\"Up to 10 minutes of downtime\", the IP kept), which moves it to "
                                   f"VpnGw{before}AZ; a redeploy cannot"), SKU_UPGRADE
        elif after < before or (o["sku"].endswith("AZ") and not n["sku"].endswith("AZ")):
            yield RECREATE, LONG, (f"{o['sku']} -> {n['sku']} is a downgrade: \"You can't downgrade a SKU without deleting the "
                                   f"gateway and creating a new one\" (new public IPs)"), SKU_UPGRADE
        elif not n["sku"].endswith("AZ"):
            yield BLOCKED, NONE, (f"{o['sku']} -> {n['sku']}: a non-AZ SKU takes no change since the SKU consolidation; move to "
                                  f"{n['sku']}AZ instead"), SKU_CONSOLIDATION
        elif after == before:
            yield MODIFY, NONE, (f"{o['sku']} -> {n['sku']} in place within {n['generation']}: the same family gains availability "
                                 f"zones with no downtime (\"from VpnGw1 to VpnGw1AZ, there's no downtime\"), public IPs kept"), SKU_UPGRADE
        else:
            yield MODIFY, BRIEF, (f"resize {o['sku']} -> {n['sku']} in place within {n['generation']}: about 45 minutes, "
                                  f"minimal downtime, public IPs kept"), SKU_UPGRADE
    if o["activeActive"] != n["activeActive"]:
        mode = "active-active" if n["activeActive"] else "active-standby"
        yield MODIFY, LONG, (f"to {mode} in place, 30-45 minutes with downtime; the BGP addresses change: on-premises BGP peers "
                             f"must be re-pointed to the new ones (output hubVpnGatewayBgpPeeringAddress)"), ACTIVE_ACTIVE
    if o["asn"] != n["asn"]:
        yield MODIFY, BRIEF, f"ASN {o['asn']} -> {n['asn']}: changed in place, BGP sessions restart; every BGP peer must use the new ASN", BGP_FAQ
    if "customBgp" in o and "customBgp" in n and o["customBgp"] != n["customBgp"]:
        yield MODIFY, BRIEF, (f"custom APIPA BGP addresses {', '.join(o['customBgp']) or 'none'} -> {', '.join(n['customBgp']) or 'none'}: "
                              f"the sessions with APIPA devices restart (assumed) and each device's BGP neighbours must "
                              f"change with them (gen device-config writes them)"), CONFIGURE_BGP


def _expressroute_gateway(old: Resource, new: Resource):
    o, n = old.props["sku"], new.props["sku"]
    if o == n:
        return
    if o not in ER_RANK or n not in ER_RANK:
        yield BLOCKED, BRIEF, f"{o} -> {n} moves between the legacy and the AZ SKU families: use the gateway migration procedure", ER_MIGRATION
    elif ER_RANK[n] > ER_RANK[o]:
        yield MODIFY, BRIEF, (f"upgrade {o} -> {n} in place within the AZ family; private endpoint traffic may see "
                              f"intermittent interruptions meanwhile (the rest: assumed brief)"), ER_GATEWAY
    else:
        yield RECREATE, LONG, (f"{o} -> {n} is a downgrade: \"including downgrades ..., you must delete and recreate the "
                               f"gateway. This process incurs downtime\"; its connections are recreated too (about 45 minutes "
                               f"to create it again)"), ER_GATEWAY


def _route_server(old: Resource, new: Resource):
    o, n = old.props, new.props
    if o["subnet"] != n["subnet"]:
        yield BLOCKED, LONG, "RouteServerSubnet cannot change while the Route Server uses it: delete the Route Server first", ROUTE_SERVER_DOWNTIME
    if o["branchToBranch"] != n["branchToBranch"]:
        state = "on" if n["branchToBranch"] else "off: on-premises and branches stop learning each other's routes"
        yield MODIFY, BRIEF, f"branch-to-branch {state}; whether BGP sessions reset is not documented (assumed brief)", ROUTE_SERVER_CONFIG
    if o["preference"] != n["preference"]:
        yield MODIFY, BRIEF, f"routing preference {o['preference']} -> {n['preference']}: paths to shared prefixes move (assumed brief)", ROUTE_SERVER_CONFIG


MIGRATE_TO_POLICY = "https://learn.microsoft.com/azure/firewall-manager/migrate-to-policy"
RULE_PROCESSING = "https://learn.microsoft.com/azure/firewall/rule-processing"


def _firewall(old: Resource, new: Resource):
    o, n = old.props, new.props
    if not o["policy"] and n["policy"]:
        same = o.get("classic") == n.get("rules_for_migration")
        verdict = ("the same rules move into it: every flow keeps its verdict (gen trace, before and after)" if same else
                   "its rules differ from the classic ones: flows the new rules deny are dropped, existing sessions too "
                   "(\"If you change a rule to deny previously allowed traffic, Azure Firewall drops any relevant existing "
                   "sessions\": " + RULE_PROCESSING + ")")
        yield MODIFY, BRIEF, (f"classic rules -> firewall policy {n['policy']}: attaching a policy replaces the classic rule "
                              f"collections (a firewall holds one or the other: Azure/azure-cli issue 11834); {verdict}. Learn's "
                              f"migration page documents no downtime for it: assumed brief. Run it in a window, then check "
                              f"the firewall's logs"), MIGRATE_TO_POLICY
    elif o["policy"] and not n["policy"]:
        yield BLOCKED, BRIEF, (f"firewall policy {o['policy']} -> classic rules: Learn documents the way to a policy, not back "
                               f"(classic rules are Standard only, and Premium features need a policy); keep the policy"), MIGRATE_TO_POLICY
    elif not o["policy"] and not n["policy"]:
        if o.get("classic") != n.get("classic"):
            yield MODIFY, NONE, "classic rule collections updated in place; flows they no longer allow are dropped", RULE_PROCESSING
        if o.get("settings") != n.get("settings"):
            yield MODIFY, NONE, "threat intelligence or DNS settings of the classic firewall updated in place", RULE_PROCESSING
    if o["tier"] != n["tier"]:
        # Learn's Change SKU (read 2026-12, ms.date 02/21/2026): Basic "must be migrated to Standard SKU first before any
        # upgrade to Premium"; "Downgrading from Azure Firewall Premium or Standard to Basic is supported only through
        # PowerShell or Terraform". No page gives a Basic -> Standard procedure in place.
        if n["tier"] == "Basic":
            yield BLOCKED, LONG, (f"{o['tier']} -> Basic: \"Downgrading from Azure Firewall Premium or Standard to Basic is "
                                  f"supported only through PowerShell or Terraform\", not by a redeploy (Basic also needs "
                                  f"AzureFirewallManagementSubnet and a management IP): change it with PowerShell (sku_tier), "
                                  f"then set the tier in the spec"), FIREWALL_CHANGE_SKU
        elif o["tier"] == "Basic":
            through = " (Premium only through Standard)" if n["tier"] == "Premium" else ""
            yield BLOCKED, LONG, (f"Basic -> {n['tier']}: a Basic firewall \"must be migrated to Standard SKU first\"{through}, and "
                                  f"the easy SKU change \"doesn't support Basic SKU firewalls\": use Change SKU's manual "
                                  f"migration (\"some downtime (typically 20-30 minutes)\"), not a redeploy, then set the tier in "
                                  f"the spec"), FIREWALL_CHANGE_SKU
        elif o["policy"] == n["policy"]:
            yield BLOCKED, NONE, (f"{o['tier']} -> {n['tier']} with the same policy: a policy cannot change tier "
                                  f"(FirewallPolicySkuChangeDisallowed). Follow Learn's Change SKU: either set "
                                  f"hub.firewall.policyName to a new name (e.g. {o['policy']}-{n['tier'].lower()}) so the redeploy "
                                  f"creates a {n['tier']} policy with the same rules and moves the firewall to it, or run Change "
                                  f"SKU in the portal and set policyName to the policy it attached"), FIREWALL_CHANGE_SKU
        else:
            extra = "; Premium-only features must be off first (gen sets none)" if n["tier"] == "Standard" else ""
            yield MODIFY, NONE, (f"{o['tier']} -> {n['tier']} in place with the {n['tier']} policy {n['policy']} created "
                                 f"first: Learn's Change SKU, \"zero downtime\" where the region offers it (elsewhere the "
                                 f"manual method stops the firewall for 20-30 minutes){extra}"), FIREWALL_CHANGE_SKU
    elif o["policy"] != n["policy"]:
        yield MODIFY, NONE, f"moves to the firewall policy {n['policy']} (created first, with the spec's rules)", FIREWALL_CHANGE_SKU
    if o["management"] != n["management"] and "Basic" not in (o["tier"], n["tier"]):
        yield BLOCKED, LONG, "a management IP configuration (forced tunnelling) is set when a firewall is created: deallocate and allocate it again", FORCED_TUNNELLING


def _policy(old: Resource, new: Resource):
    o, n = old.props, new.props
    if o["tier"] != n["tier"]:
        yield BLOCKED, NONE, (f"a policy cannot change tier ({o['tier']} -> {n['tier']}: FirewallPolicySkuChangeDisallowed); "
                              f"give the {n['tier']} firewall a new policy name (hub.firewall.policyName), as Learn's "
                              f"Change SKU does"), FIREWALL_CHANGE_SKU
    if o["snat"] != n["snat"]:
        yield MODIFY, NONE, f"SNAT private ranges -> {', '.join(n['snat'])}", "https://learn.microsoft.com/azure/firewall/snat-private-range"
    if o.get("threatIntel") != n.get("threatIntel"):
        yield MODIFY, NONE, f"threat intelligence {o.get('threatIntel')} -> {n.get('threatIntel')}", \
            "https://learn.microsoft.com/azure/firewall/threat-intel"
    if o.get("dns") != n.get("dns"):
        yield MODIFY, NONE, (f"DNS proxy {'on' if n['dns'][0] else 'off'}, servers {', '.join(n['dns'][1]) or 'Azure DNS'}: "
                             f"clients that use the firewall as their DNS server depend on the proxy"), \
            "https://learn.microsoft.com/azure/firewall/dns-settings"


def _rules(old: Resource, new: Resource):
    o, n = old.props, new.props
    if o.get("priority") != n.get("priority"):
        yield MODIFY, NONE, f"group priority {o.get('priority')} -> {n.get('priority')}: the order of its collections among the others changes", RULE_PROCESSING
    if o.get("collections") != n.get("collections") and o.get("rules") == n.get("rules"):
        before = {c[0]: c for c in o.get("collections") or ()}
        after = {c[0]: c for c in n.get("collections") or ()}
        what = "; ".join(filter(None, [f"adds {', '.join(sorted(set(after) - set(before)))}" if set(after) - set(before) else "",
                                       f"removes {', '.join(sorted(set(before) - set(after)))}" if set(before) - set(after) else "",
                                       "changes " + ", ".join(sorted(k for k in set(before) & set(after) if before[k] != after[k]))
                                       if any(before[k] != after[k] for k in set(before) & set(after)) else ""]))
        yield MODIFY, NONE, f"rule collections updated in place ({what}); flows they no longer allow are dropped", RULE_PROCESSING
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
    o, n = old.props, new.props
    if o["propagate"] != n["propagate"]:
        state = "on" if n["propagate"] else "off"
        yield MODIFY, NONE, f"gateway route propagation {state}", GATEWAY_UDR
    if set(o["routes"]) != set(n["routes"]):  # the order of a table's routes means nothing to Azure
        before = {r[1]: r for r in o["routes"]}
        after = {r[1]: r for r in n["routes"]}
        changed = sorted(p for p in set(before) & set(after) if before[p][2:] != after[p][2:])
        renamed = sorted(p for p in set(before) & set(after) if before[p][2:] == after[p][2:] and before[p] != after[p])
        parts = [f"adds {', '.join(sorted(set(after) - set(before)))}" if set(after) - set(before) else "",
                 f"removes {', '.join(sorted(set(before) - set(after)))}" if set(before) - set(after) else "",
                 f"changes the next hop of {', '.join(changed)}" if changed else "",
                 f"renames the routes of {', '.join(renamed)} (same next hops: traffic is not affected)" if renamed else ""]
        where = n.get("placement") or o.get("placement") or f"the subnets of {new.name}"
        lost = [before[p] for p in sorted(set(before) - set(after)) + changed]
        risks = [_route_risk(route, where) for route in lost]
        yield MODIFY, NONE, f"routes updated in place ({', '.join(filter(None, parts))})", GATEWAY_UDR, "; ".join(filter(None, risks))


def _route_risk(route: tuple, where: str) -> str:
    """What removing (or re-pointing) a route that steers traffic takes away: the firewall's inspection of the flows it
    sent there, or an operator's exception to the Internet. A UDR decides the next hop of the subnets it is on
    (https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview)."""
    name, prefix, hop, address = route
    if hop == "VirtualAppliance":
        into = " (traffic arriving from on-premises and the branches)" if "GatewaySubnet" in where else ""
        scope = "its Internet egress and everything without a more specific route" if prefix == "0.0.0.0/0" else prefix
        return (f"route {name} sent {scope} from {where}{into} to {address}: without it those flows skip the appliance "
                f"(they lose inspection)")
    if hop == "Internet":
        return (f"route {name} sent {prefix} from {where} straight to the Internet, an exception to the appliance: without "
                f"it that traffic follows the next route (to the firewall, which may drop or SNAT it: a management SSH "
                f"session from that address breaks)")
    return ""


def _covered(prefix: str, prefixes) -> bool:
    """Whether `prefix` lies inside one of `prefixes` (an expansion keeps it)."""
    network = parse_network(prefix)
    return network is not None and any(other is not None and network.subnet_of(other) for other in map(parse_network, prefixes))


def _vnet(old: Resource, new: Resource, resource_group: str = "{rg}"):
    o, n = old.props, new.props
    if set(o["addressSpace"]) == set(n["addressSpace"]):
        return
    dropped = sorted(p for p in set(o["addressSpace"]) - set(n["addressSpace"]) if not _covered(p, n["addressSpace"]))
    detail = f"address space -> {', '.join(n['addressSpace'])} in place, no downtime"
    if dropped:
        detail += f"; {', '.join(dropped)} must hold no subnet before it can go"
    if n["remotes"]:
        from .collect import quote

        commands = "; ".join(f"az network vnet peering sync --resource-group {quote(resource_group)} --vnet-name {quote(vnet)} "
                             f"--name {quote(peering)}" for vnet, peering in n["remotes"])
        detail += f"; then sync each remote peering, or the peered VNets keep routing to the old ranges: {commands}"
    yield MODIFY, NONE, detail, ADDRESS_SPACE


def _subnet(old: Resource, new: Resource, resource_group: str = "{rg}"):
    o, n = old.props, new.props
    name = new.name.split("/", 1)[1]
    if o["prefix"] != n["prefix"]:
        user = n.get("user") or o.get("user")
        if user:
            yield BLOCKED, LONG, (f"{name} {o['prefix']} -> {n['prefix']}: {user} use(s) it, and Azure changes a subnet's range only "
                                  f"when nothing is deployed in it (InUseSubnetCannotBeUpdated): remove what uses it first"), SUBNETS
        else:
            yield BLOCKED, NONE, (f"{name} {o['prefix']} -> {n['prefix']}: refused while anything is deployed in it "
                                  f"(InUseSubnetCannotBeUpdated); gen cannot see what others put there: check with az network "
                                  f"vnet subnet show --resource-group {resource_group} --vnet-name {new.name.split('/')[0]} "
                                  f"--name {name} --query ipConfigurations, or compare with a capture (gen diff --live)"), SUBNETS
    if o["nsg"] != n["nsg"]:
        what = f"the network security group {n['nsg'].rsplit('/', 1)[-1]}" if n["nsg"] else "no network security group"
        yield MODIFY, NONE, f"{name} gets {what}: its rules filter the subnet's traffic from now on", NSG
    if o["routeTable"] != n["routeTable"]:
        what = f"route table {n['routeTable']}" if n["routeTable"] else "no route table"
        yield MODIFY, NONE, f"{name} gets {what}", GATEWAY_UDR


def _connection(old: Resource, new: Resource):
    o, n = old.props, new.props
    if o.get("circuit") != n.get("circuit"):
        yield BLOCKED, LONG, "a connection's circuit cannot change (ExpressRouteConnectionPeerCannotBeChanged): delete the connection first", ER_PEER
    if o.get("weight") != n.get("weight"):
        yield MODIFY, NONE, f"routing weight {o.get('weight')} -> {n.get('weight')}: the preferred circuit for shared prefixes may change", ER_WEIGHT
    if o.get("fastPath") != n.get("fastPath"):
        yield MODIFY, BRIEF, f"FastPath {'on' if n.get('fastPath') else 'off'}: the data path changes (assumed brief)", FASTPATH
    def changed(labels: dict) -> list[str]:
        return [label for key, label in labels.items() if key in o and key in n and o[key] != n[key]]

    ipsec = changed({"ipsec": "IPsec/IKE policy", "policyBased": "policy-based traffic selectors", "dpd": "DPD timeout",
                     "mode": "connection mode"})
    if ipsec:
        # "once a custom policy is specified on a connection, Azure VPN gateway will only use the policy on the
        # connection" (VPN FAQ): the device must change with it, or its tunnels stay down. The reset itself is assumed.
        yield MODIFY, BRIEF, (f"{', '.join(ipsec)} changed: the tunnels renegotiate (assumed: brief) and come back only "
                              f"when the VPN device matches (gen device-config writes its side)"), IPSEC_POLICY
    bgp = changed({"customBgp": "custom APIPA BGP addresses", "bgp": "BGP"})
    if bgp:
        yield MODIFY, BRIEF, (f"{', '.join(bgp)} changed: the BGP session restarts (assumed: the tunnels stay) and the "
                              f"device's BGP settings must change with it (gen device-config writes them)"), CONFIGURE_BGP


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
    if old.props["placement"] != new.props["placement"]:
        yield RECREATE, BRIEF, "the NIC moves to another subnet: it is deleted and created again with its VM", VM_RESIZE


JUDGES = {VNET: _vnet, SUBNET: _subnet, ROUTE_TABLE: _route_table, ROUTE_SERVER: _route_server, FIREWALL: _firewall, POLICY: _policy,
          RULES: _rules, CONNECTION: _connection, LOCAL_GATEWAY: _local_gateway, VM: _vm, NIC: _nic,
          DIAGNOSTIC_SETTING: _diagnostic_setting, WORKSPACE: _workspace}


def _judge(old: Resource, new: Resource, resource_group: str):
    if old.type == GATEWAY:
        found = _expressroute_gateway(old, new) if "generation" not in old.props else _vpn_gateway(old, new)
    elif old.type in (VNET, SUBNET):
        found = JUDGES[old.type](old, new, resource_group)
    else:
        judge = JUDGES.get(old.type)
        found = judge(old, new) if judge else ()
    verdicts = list(found) + list(_common(old, new))
    if verdicts and new.props.get("locked"):
        yield BLOCKED, NONE, (f"{old.name} runs as {old.props['sku']}, a non-AZ SKU Azure no longer lets anyone change (\"Existing "
                              f"VPN gateways not supported by an availability zone will no longer allow configuration changes\"): "
                              f"gen does not write it, so none of this is applied: " + "; ".join(v[2] for v in verdicts)
                              + f". Migrate it to {old.props['sku']}AZ first (in place, no downtime in the same family), then "
                                f"set that SKU"), SKU_CONSOLIDATION, ""
        return
    for verdict in verdicts:
        yield verdict if len(verdict) == 5 else (*verdict, "")


ZONES = "https://github.com/Azure/AzOps/issues/701"
DNS_SERVERS = "https://learn.microsoft.com/azure/virtual-network/manage-virtual-network#change-dns-servers"
TAGS = "https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources-bicep"
IP_CONFIGURATION = "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-about-vpn-gateway-settings"


def _common(old: Resource, new: Resource):
    """What every resource type shares: zones, IP configuration names, tags, and what the spec keeps as deployed."""
    o, n = old.props, new.props
    if "zones" in o and "zones" in n and tuple(o["zones"]) != tuple(n["zones"]):
        yield BLOCKED, LONG, (f"zones {', '.join(o['zones']) or 'none'} -> {', '.join(n['zones']) or 'none'}: \"Zones cannot be "
                              f"added/updated/removed once the resource is created\" (ResourceAvailabilityZonesCannotBeModified): "
                              f"keep what runs (asDeployed zones, hub.firewall.zones), or create a new one and move to it"), ZONES
    shared = min(len(o.get("ipConfigurations") or ()), len(n.get("ipConfigurations") or ()))  # active-active adds one
    if shared and tuple(o["ipConfigurations"])[:shared] != tuple(n["ipConfigurations"])[:shared]:
        yield BLOCKED, BRIEF, (f"IP configuration names {', '.join(o['ipConfigurations'])} -> {', '.join(n['ipConfigurations'])}: "
                               f"assumed not changeable in place on a running resource (no page documents renaming one): keep "
                               f"the running names in the spec (gen import writes them)"), IP_CONFIGURATION
    if "dnsServers" in o and "dnsServers" in n and tuple(o["dnsServers"]) != tuple(n["dnsServers"]):
        yield MODIFY, NONE, (f"DNS servers {', '.join(o['dnsServers']) or 'Azure DNS'} -> {', '.join(n['dnsServers']) or 'Azure DNS'}: "
                             f"its machines use them from their next DHCP renewal or restart"), DNS_SERVERS, \
            (f"name resolution of every machine in {new.name} changes (a resolver or the firewall's DNS proxy no longer "
             f"answers)" if o["dnsServers"] else "")
    if "tags" in o and "tags" in n and o["tags"] != n["tags"]:
        yield MODIFY, NONE, f"tags {_tags(o['tags'])} -> {_tags(n['tags'])} in place (a template's tags replace the resource's)", TAGS
    before, after = o.get("kept") or {}, n.get("kept") or {}
    designs = set(n.get("designs") or ()) | set(o.get("designs") or ())  # compared by the type's own judge
    for key in sorted(set(before) | set(after)):
        if before.get(key) == after.get(key) or key in designs:
            continue
        what, effect, link = RESETS.get(key, (key, "back to Azure's default", MODES))
        if key in before and key not in after:
            yield MODIFY, BRIEF if key in DISRUPTIVE_RESETS else NONE, (
                f"reset: it has a {what} the spec does not keep (asDeployed); the redeploy removes it: {effect}"), link
        else:
            yield MODIFY, NONE, f"{what} {'set' if key not in before else 'changed'} (asDeployed)", link


def _tags(tags: dict) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in sorted(tags.items())) + "}" if tags else "none"


# --- comparing ---------------------------------------------------------------------------------------------


ASYMMETRY = "https://learn.microsoft.com/azure/firewall/integrate-lb"


def _delete(resource: Resource, resource_group: str, why: str, before_deploying: bool = False) -> Change:
    resource_group = resource.group or resource_group
    _, command = DELETE_COMMANDS.get(resource.type, (90, "az resource delete --resource-group {rg} --name {name} "
                                                         f"--resource-type {resource.type}"))
    downtime = LONG if "takes them down" in why else NONE
    parent, _, child = resource.name.partition("/")
    if before_deploying:
        # Not a documented Microsoft sequence: what the firewall's statefulness implies (integrate-lb: "Since the
        # firewall is stateful, it drops the returning packet").
        detail = (f"{why}; delete it BEFORE deploying: the redeploy removes the GatewaySubnet UDRs of its prefixes, and while "
                  f"it is still connected its traffic would cross the firewall one way and go gateway to gateway the other, "
                  f"so the stateful firewall drops it")
        link = ASYMMETRY
    else:
        detail, link = f"{why}; az deployment group create is incremental, so it stays deployed until you run the command", MODES
    # Every value quoted for the shell: OLD is never rule-checked, and a reviewer pastes these commands.
    from .collect import quote

    return Change(resource.name, resource.type, DELETE, downtime, detail, link,
                  command.format(rg=quote(resource_group), name=quote(resource.name), parent=quote(parent), child=quote(child)),
                  before_deploying)


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
                changes.append(Change(resource.name, resource.type, CREATE, LONG, ROUTE_SERVER_CREATED, ROUTE_SERVER_DOWNTIME))
            else:
                changes.append(Change(resource.name, resource.type, CREATE, NONE, f"new {resource.role}", ARM))
        elif before[key].props.get("region", resource.props.get("region")) != resource.props.get("region", before[key].props.get("region")):
            was, now = before[key].props["region"], resource.props["region"]
            changes.append(Change(resource.name, resource.type, BLOCKED, LONG if resource.type == GATEWAY else BRIEF,
                                  f"region {was} -> {now}: Azure refuses to deploy an existing resource in another region "
                                  f"(InvalidResourceLocation); delete the branch's resources in {was} first, then deploy",
                                  INVALID_LOCATION))
        else:
            for action, downtime, detail, link, risk in _judge(before[key], resource, resource_group):
                changes.append(Change(resource.name, resource.type, action, downtime, detail, link, risk=risk))
    gone_vnets = {(r.group.lower(), r.name.lower()) for r in gone.values() if r.type == VNET}
    for resource in gone.values():
        if resource.type == SUBNET and (resource.group.lower(), resource.name.split("/")[0].lower()) in gone_vnets:
            continue  # deleting the VNet deletes its subnets
        why = f"{resource.role} is no longer in the spec"
        if resource.type == ROUTE_SERVER and any(r.type == GATEWAY for r in after.values()):
            why += f"; {ROUTE_SERVER_DELETED}"
        elif resource.type == WORKSPACE:
            why += f"; deleting it deletes the logs it holds (soft-deleted, recoverable for 14 days: {WORKSPACE_DELETE})"
        # What carries traffic of a site, circuit, branch or spoke that leaves an inspected design goes first.
        first = old.inspects_transit and resource.type in (CONNECTION, PEERING)
        deletes.append((DELETE_COMMANDS.get(resource.type, (90,))[0], _delete(resource, resource_group, why, first)))
    ordered = [c for _, c in sorted(deletes, key=lambda d: (not d[1].before_deploying, d[0], d[1].resource))]
    return _fold_tags(changes) + ordered


def _fold_tags(changes: list[Change]) -> list[Change]:
    """The same tag change on many resources (the spec's `tags` edited) as one line."""
    tagged = [c for c in changes if c.action == MODIFY and c.link == TAGS]
    if len(tagged) <= 3 or len({c.detail for c in tagged}) != 1:
        return changes
    first = changes.index(tagged[0])
    kept = [c for c in changes if c not in tagged]
    kept.insert(first, Change(f"({len(tagged)} resources)", "tags", MODIFY, NONE, tagged[0].detail, TAGS))
    return kept


# --- the old side from Azure: gen diff --live ------------------------------------------------------------------

# What a resource of the spec carries in Azure that gen does not write, and what writing it without that does.
RESETS = {
    "vpnClientConfiguration": ("point-to-site configuration", "P2S clients lose their connection",
                               "https://learn.microsoft.com/azure/vpn-gateway/point-to-site-about"),
    "natRules": ("NAT rules", "translated flows stop", "https://learn.microsoft.com/azure/vpn-gateway/nat-overview"),
    "customRoutes": ("custom routes advertised to P2S clients", "P2S clients lose those routes",
                     "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-p2s-advertise-custom-routes"),
    "ipsecPolicies": ("custom IPsec/IKE policy", "the tunnel renegotiates with Azure's default policy; a device that "
                      "accepts only the custom one drops it", "https://learn.microsoft.com/azure/vpn-gateway/ipsec-ike-policy-howto"),
    "usePolicyBasedTrafficSelectors": ("policy-based traffic selectors", "a policy-based device no longer matches",
                                       "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-connect-multiple-policybased-rm-ps"),
    "trafficSelectorPolicies": ("custom traffic selectors", "a policy-based device no longer matches",
                                "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-connect-multiple-policybased-rm-ps"),
    "dpdTimeoutSeconds": ("dead peer detection timeout", "back to the 45 s default",
                          "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-about-vpn-devices"),
    "connectionMode": ("connection mode", "back to Default (both sides may initiate)",
                       "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-about-vpn-devices"),
    "gatewayCustomBgpIpAddresses": ("custom APIPA BGP addresses", "the BGP session moves to the default addresses: the "
                                    "device's peer must change", "https://learn.microsoft.com/azure/vpn-gateway/bgp-howto"),
    "delegations": ("subnet delegation", "the delegated service (or Azure, refusing it while in use) breaks",
                    "https://learn.microsoft.com/azure/virtual-network/subnet-delegation-overview"),
    "serviceEndpoints": ("service endpoints", "traffic to those services takes the public path",
                         "https://learn.microsoft.com/azure/virtual-network/virtual-network-service-endpoints-overview"),
}


# What a redeploy that does not keep them removes, and the harm: resets with an outage first.
DISRUPTIVE_RESETS = ("vpnClientConfiguration", "natRules", "customRoutes", "ipsecPolicies", "usePolicyBasedTrafficSelectors",
                     "trafficSelectorPolicies", "gatewayCustomBgpIpAddresses", "delegations", "serviceEndpoints",
                     "routingWeight", "virtualRouterAutoScaleConfiguration")


def compare_live(capture, new: Topology, resource_group: str | None = None) -> list[Change]:
    """What deploying NEW does to what is really deployed: the same verdicts as `compare`, every difference being
    drift (something changed outside the spec), what the redeploy resets, and what it leaves alone (unmanaged).
    Resources are matched by resource ID (type, subscription, resource group, name)."""
    from . import live

    resource_group = resource_group or str(new.scope.resource_group)
    home = str(new.scope.subscription_id or "") or live.home_subscription_of(capture, new.hub.vnet.name, new.scope.resource_group)
    before = live.inventory(capture, home)
    after = {key: r for key, r in inventory(new).items()  # a capture without diagnostic settings cannot compare them
             if r.type != DIAGNOSTIC_SETTING or live.has_diagnostic_settings(capture)}
    changes: list[Change] = []
    unmanaged = [r for key, r in before.items() if key not in after and r.type.lower() not in _CHILDREN_OF_MANAGED]
    gateways_exist = any(r.type == GATEWAY for r in before.values())
    for key, resource in after.items():
        if key not in before:
            twin = _twin(resource, unmanaged)
            if twin is not None:
                where = f" in {twin.group}" if twin.group.lower() != resource.group.lower() else ""
                changes.append(Change(resource.name, resource.type, BLOCKED, BRIEF,
                                      f"the spec would create {resource.name} in {resource.group} beside {twin.name}{where}, "
                                      f"which does the same ({twin.type.split('/', 1)[-1]}); keep the existing name and "
                                      f"resource group in the spec (gen import writes them) instead of creating a second one", ARM))
            elif resource.type == ROUTE_SERVER and gateways_exist:
                changes.append(Change(resource.name, resource.type, CREATE, LONG, ROUTE_SERVER_CREATED, ROUTE_SERVER_DOWNTIME))
            else:
                changes.append(Change(resource.name, resource.type, CREATE, NONE,
                                      f"new {resource.role} in {resource.group} (not in Azure)", ARM))
            continue
        was, now = before[key].props.get("region"), resource.props.get("region")
        if was and now and was != now:
            changes.append(Change(resource.name, resource.type, BLOCKED, NONE,
                                  f"runs in {was}, the spec deploys it in {now}: Azure refuses to deploy an existing resource "
                                  f"in another region (InvalidResourceLocation); give its spoke or branch `location: {was}` "
                                  f"(gen import writes it)", INVALID_LOCATION))
            continue
        for action, downtime, detail, link, risk in _judge(before[key], resource, resource_group):
            prefix = "" if detail.startswith("reset: ") else "drift: "
            changes.append(Change(resource.name, resource.type, action, downtime, f"{prefix}{detail}", link, risk=risk))
    for resource in sorted(unmanaged, key=lambda r: (r.type, r.group, r.name)):
        changes.append(Change(resource.name, resource.type, UNMANAGED, NONE,
                              "not in the spec: the redeploy leaves it alone (incremental mode)", MODES))
    return changes


# Child resources ARM lists under a parent gen manages, which the parent's verdict covers.
_CHILDREN_OF_MANAGED = ("microsoft.network/virtualhubs/ipconfigurations",)


def _twin(resource: Resource, unmanaged: list[Resource]) -> Resource | None:
    """An unmanaged resource that does what `resource` would (the same circuit, device or peered pair, the same name
    in another resource group): creating `resource` beside it fails or duplicates it."""
    for other in unmanaged:
        if other.type != resource.type:
            continue
        if other.name.lower() == resource.name.lower():
            return other
        if resource.type == CONNECTION and resource.props.get("circuit") and other.props.get("circuit") == resource.props["circuit"]:
            return other
        if resource.type == LOCAL_GATEWAY and other.props.get("address") == resource.props.get("address"):
            return other
        if resource.type == PEERING and other.name.split("/")[0].lower() == resource.name.split("/")[0].lower() \
                and other.props.get("remote") == resource.props.get("remote"):
            return other
    return None


# --- the old side from git ---------------------------------------------------------------------------------


class RevisionError(Exception):
    """The git revision cannot be read: not a repository, or no such revision. The message says which."""


MAX_REVISION = 256  # a branch name, a tag, a hash, `origin/main~3`: far shorter than this


def read_revision(revision: str, path) -> bytes | None:
    """The file at `path` as it was at `revision`; None when it did not exist then (a spec new in the change)."""
    import shutil
    import subprocess
    from pathlib import Path

    if not revision.strip() or len(revision) > MAX_REVISION or any(not c.isprintable() for c in revision):
        shown = revision if len(revision) <= 40 else revision[:37] + "..."
        raise RevisionError(f"{shown!r} is not a git revision (empty, longer than {MAX_REVISION} characters, or with control characters)")
    if revision.startswith("-"):
        raise RevisionError(f"{revision!r} is not a git revision (it would be read as an option)")
    git_binary = shutil.which("git")
    if git_binary is None:
        raise RevisionError("--git needs git on PATH; install git, or give OLD as a file")
    try:
        path = Path(path).resolve()
        git = [git_binary, "-C", str(path.parent)]
        check = subprocess.run([*git, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"],
                               capture_output=True, text=True)
        if check.returncode != 0:
            said = subprocess.run([*git, "rev-parse", "--git-dir"], capture_output=True, text=True)
            where = "is not a git revision" if said.returncode == 0 else f"cannot be read: {path.parent} is not in a git repository"
            raise RevisionError(f"{revision!r} {where}")
        shown = subprocess.run([*git, "show", f"{check.stdout.strip()}:./{path.name}"], capture_output=True)
    except (OSError, RuntimeError) as exc:
        raise RevisionError(f"git could not be run for {revision!r} ({getattr(exc, 'strerror', None) or exc})") from None
    return shown.stdout if shown.returncode == 0 else None


def short_commit(revision: str, path) -> str:
    """The abbreviated commit a revision names, for a report to say which one it compared with ("" if git cannot say)."""
    import shutil
    import subprocess
    from pathlib import Path

    git_binary = shutil.which("git")
    if git_binary is None:
        return ""
    said = subprocess.run([git_binary, "-C", str(Path(path).resolve().parent), "rev-parse", "--short", "--verify", "--quiet",
                           "--end-of-options", f"{revision}^{{commit}}"], capture_output=True, text=True)
    return said.stdout.strip() if said.returncode == 0 else ""


# --- reporting ---------------------------------------------------------------------------------------------


def disruptive(changes: list[Change]) -> bool:
    """Any recreate, delete, refusal, downtime or risk (an unmanaged resource left alone is none of these)."""
    return any(c.disruptive for c in changes)


def as_json(changes: list[Change]) -> str:
    return json.dumps({"changes": [c.as_json() for c in changes], "disruptive": disruptive(changes)}, indent=2) + "\n"


def steps(changes: list[Change]) -> tuple[list[str], list[str]]:
    """The az commands to run before deploying, and after it, in order."""
    return ([c.command for c in changes if c.command and c.before_deploying],
            [c.command for c in changes if c.command and not c.before_deploying])


def as_text(changes: list[Change]) -> str:
    if not changes:
        return "no changes\n"
    lines = []
    for c in changes:
        lines.append(f"{c.action:9} {c.downtime:6} {c.type.split('/', 1)[-1]} {c.resource}")
        lines.append(f"{'':17}{c.detail}")
        if c.risk:
            lines.append(f"{'':17}risk: {c.risk}")
        if c.command:
            lines.append(f"{'':17}$ {c.command}")
    before, after = steps(changes)
    if before or after:
        lines += ["", "in this order:"]
        lines += [f"  1. before deploying: $ {command}" for command in before]
        lines += [f"  {2 if before else 1}. deploy: az deployment group create ... (the output README's command)"]
        lines += [f"  {3 if before else 2}. after deploying:  $ {command}" for command in after]
    verdict = "disruptive: recreates, deletes, refusals, downtime or lost inspection" if disruptive(changes) else "no downtime"
    return "\n".join(lines + [_summary(changes, verdict)]) + "\n"


def _summary(changes: list[Change], verdict: str) -> str:
    """The last line: the changes a redeploy makes, apart from what runs outside the spec and is left alone."""
    unmanaged = sum(c.action == UNMANAGED for c in changes)
    made = len(changes) - unmanaged
    if not made:
        return f"no change to what the spec deploys; {unmanaged} resource(s) outside the spec left alone"
    return f"{made} change(s), {verdict}" + (f"; {unmanaged} resource(s) outside the spec left alone" if unmanaged else "")


def as_markdown(changes: list[Change]) -> str:
    if not changes:
        return "**gen diff**: no changes to the deployed network.\n"
    lines = ["**gen diff**: " + _summary(changes, "⚠️ disruptive" if disruptive(changes) else "no downtime") + ".", "",
             "| resource | type | action | downtime | what it means |", "|---|---|---|---|---|"]
    for c in changes:
        lines.append(f"| {markdown.code(c.resource)} | {c.type.split('/', 1)[-1]} | {c.action} | {c.downtime} | "
                     f"{markdown.text(c.detail)}{' **Risk:** ' + markdown.text(c.risk) if c.risk else ''} ([source]({c.link})) |")
    before, after = steps(changes)
    if before:
        lines += ["", "**Before deploying**, delete these in this order (their traffic would otherwise cross the firewall one "
                      "way only, and be dropped):", "", "```sh", *before, "```"]
    if after:
        lines += ["", "Removed from the spec is not removed from Azure (incremental mode). After deploying, delete in this order:",
                  "", "```sh", *after, "```"]
    return "\n".join(lines) + "\n"


FORMATS = {"text": as_text, "markdown": as_markdown, "json": as_json}


PEERING_LINK = "https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering"


def live_of_hubs(root, fleet, resource_group: str | None = None) -> list[Change]:
    """gen diff --live of several hubs: each hub against its folder of the capture (a hub with no folder yet is not
    deployed: all created); the peerings between hubs are gen's (peerings/), not unmanaged."""
    from pathlib import Path

    from dataclasses import replace

    from .capture import Capture, CaptureError

    if not Path(root).is_dir():
        raise CaptureError(f"{root}: no such folder; a capture of several hubs is a folder with one folder per hub")
    if not any((Path(root) / r.name).is_dir() for r in fleet.regions):
        raise CaptureError(f"{root}: holds no folder of any hub ({', '.join(r.name for r in fleet.regions)}): a capture of "
                           f"several hubs has one per hub, named as the hub (gen collect SPEC writes the script)")
    joining = {f"{p.local.hub.vnet.name}/{p.name}".lower() for p in fleet.peerings}
    changes = []
    for region in fleet.regions:
        folder = Path(root) / region.name
        if not folder.exists():  # a hub the spec adds: nothing of it runs yet, and the reader is told why
            changes += [replace(c, detail=f"{c.detail} (hub {region.name} has no folder in the capture, {folder}: taken as not "
                                          f"deployed yet)") for c in compare(None, region.topology, resource_group)]
            continue
        changes += [c for c in compare_live(Capture(folder), region.topology, resource_group)
                    if not (c.action == UNMANAGED and c.type.lower() == PEERING.lower() and c.resource.lower() in joining)]
    return changes


def peering_changes(old, new) -> list[Change]:
    """The global VNet peerings between hubs that a change of a spec of several hubs adds or removes (hubs.Fleet each;
    `old` None: nothing deployed). peerings/ deploys them after every hub; removing one stops the traffic between the
    two hubs' spokes, and a redeploy does not delete it (incremental mode): the command does."""
    def by_key(fleet) -> dict:
        return {(str(p.local.hub.vnet.name).lower(), p.name.lower()): p for p in (fleet.peerings if fleet else ())}

    before, after = by_key(old), by_key(new)
    changes = [Change(f"{p.local.hub.vnet.name}/{p.name}", PEERING, "create", NONE,
                      f"new global VNet peering from hub {p.local.hub_name} to hub {p.remote.name} (peerings/, after both hubs)",
                      PEERING_LINK) for key, p in after.items() if key not in before]
    for key, p in before.items():
        if key not in after:
            scope = p.local.scope
            command = (f"az network vnet peering delete -g {scope.resource_group} --vnet-name {p.local.hub.vnet.name} -n {p.name}"
                       + (f" --subscription {scope.subscription_id}" if scope.subscription_id else ""))
            changes.append(Change(f"{p.local.hub.vnet.name}/{p.name}", PEERING, "delete", LONG,
                                  f"the peering from hub {p.local.hub_name} to hub {p.remote.name} is gone from the spec: the "
                                  f"two hubs' spokes no longer reach each other", PEERING_LINK, command))
    return changes
