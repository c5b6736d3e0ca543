"""gen diff: each documented change impact, renames, removals with their delete commands, exit codes, --git."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import EXAMPLES, MULTI_SITE, SEED, load_example, variant
from generator import diff, model
from test_cli import run, write_spec

HUB_SPOKE = EXAMPLES / "hub-spoke.json"
WORKSPACE = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-logs/providers/Microsoft.OperationalInsights/workspaces/central"
NSG = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-sec/providers/Microsoft.Network/networkSecurityGroups/nsg-app"
CIRCUIT = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-er/providers/Microsoft.Network/expressRouteCircuits/er-{}"


def changes(old: dict, new: dict) -> dict[str, list[tuple[str, str]]]:
    """resource name -> [(action, downtime)] for the model-level comparison."""
    found: dict[str, list] = {}
    for c in diff.compare(model.build(old), model.build(new)):
        found.setdefault(c.resource, []).append((c.action, c.downtime))
    return found


def seed(mutate=lambda d: None) -> dict:
    return variant(load_example(SEED), mutate)


def multi(mutate=lambda d: None) -> dict:
    return variant(load_example(MULTI_SITE), mutate)


def spokes(mutate=lambda d: None) -> dict:
    return variant(load_example(HUB_SPOKE), mutate)


def hub(key, **values):
    return lambda d: d["hub"][key].update(values)


# One row per line of shared/docs/azure-change-impact.md (and the additions): old, new, resource, expected.
ROWS = {
    "vpn sku up, same generation": (multi(), multi(hub("vpnGateway", sku="VpnGw3AZ")), "vpngw-hub-weu", [("modify", "brief")]),
    "vpn sku down": (multi(hub("vpnGateway", sku="VpnGw3AZ")), multi(), "vpngw-hub-weu", [("recreate", "long")]),
    "vpn non-AZ to AZ, same family": (multi(hub("vpnGateway", sku="VpnGw2")), multi(), "vpngw-hub-weu", [("modify", "none")]),
    "vpn non-AZ to a larger AZ": (multi(hub("vpnGateway", sku="VpnGw2")), multi(hub("vpnGateway", sku="VpnGw3AZ")), "vpngw-hub-weu",
                                  [("modify", "brief")]),
    "vpn AZ to non-AZ": (multi(), multi(hub("vpnGateway", sku="VpnGw2")), "vpngw-hub-weu", [("recreate", "long")]),
    "vpn non-AZ resize": (multi(hub("vpnGateway", sku="VpnGw2")), multi(hub("vpnGateway", sku="VpnGw3")), "vpngw-hub-weu",
                          [("blocked", "none")]),
    "vpn sku up, generation from the default": (seed(), seed(hub("vpnGateway", sku="VpnGw2AZ")), "vpngw-hub", [("blocked", "none")]),
    "vpn sku up, generation 1 pinned": (seed(), seed(hub("vpnGateway", sku="VpnGw2AZ", generation="Generation1")), "vpngw-hub",
                                        [("modify", "brief")]),
    "vpn generation pinned to 2": (seed(hub("vpnGateway", sku="VpnGw2AZ", generation="Generation1")),
                                   seed(hub("vpnGateway", sku="VpnGw2AZ", generation="Generation2")), "vpngw-hub", [("blocked", "none")]),
    "active-active on": (seed(), seed(lambda d: d["branches"][0]["vpnGateway"].update(activeActive=True)), "vpngw-branch1",
                         [("modify", "long")]),
    "vpn asn": (seed(), seed(lambda d: d["branches"][0]["vpnGateway"].update(asn=65051)), "vpngw-branch1", [("modify", "brief")]),
    "er sku within family": (seed(), seed(hub("expressRouteGateway", sku="ErGw2AZ")), "ergw-hub", [("modify", "brief")]),
    "er sku two steps down": (seed(hub("expressRouteGateway", sku="ErGw3AZ")), seed(), "ergw-hub", [("recreate", "long")]),
    "er sku one step down": (seed(hub("expressRouteGateway", sku="ErGw2AZ")), seed(), "ergw-hub", [("recreate", "long")]),
    "er sku 3 to 2": (seed(hub("expressRouteGateway", sku="ErGw3AZ")), seed(hub("expressRouteGateway", sku="ErGw2AZ")), "ergw-hub",
                      [("recreate", "long")]),
    "er legacy to AZ": (seed(hub("expressRouteGateway", sku="Standard")), seed(), "ergw-hub", [("blocked", "brief")]),
    "route server added": (seed(lambda d: d["hub"].pop("routeServer")), seed(), "ars-hub", [("create", "long")]),
    "route server removed": (seed(), seed(lambda d: d["hub"].pop("routeServer")), "ars-hub", [("delete", "long")]),
    "branch-to-branch toggled": (seed(), seed(hub("routeServer", branchToBranch=False)), "ars-hub", [("modify", "brief")]),
    "address space": (seed(), seed(lambda d: d["hub"]["vnet"]["addressSpace"].append("10.1.0.0/16")), "vnet-hub", [("modify", "none")]),
    "firewall standard to premium, same policy": (seed(), seed(hub("firewall", tier="Premium")), "afw-hub", [("blocked", "none")]),
    "policy cannot change tier": (seed(), seed(hub("firewall", tier="Premium")), "afw-hub-policy", [("blocked", "none")]),
    "firewall standard to premium, new policy": (seed(), seed(hub("firewall", tier="Premium", policyName="afw-hub-policy-premium")),
                                                 "afw-hub", [("modify", "none")]),
    "premium policy created": (seed(), seed(hub("firewall", tier="Premium", policyName="afw-hub-policy-premium")),
                               "afw-hub-policy-premium", [("recreate", "none")]),
    "firewall basic to standard": (
        seed(lambda d: (d["hub"]["firewall"].update(tier="Basic"),
                        d["hub"]["vnet"]["subnets"].append({"name": "AzureFirewallManagementSubnet", "prefix": "10.0.4.0/26"}))),
        seed(lambda d: d["hub"]["vnet"]["subnets"].append({"name": "AzureFirewallManagementSubnet", "prefix": "10.0.4.0/26"})),
        "afw-hub", [("blocked", "long")]),
    "firewall rule": (seed(), seed(lambda d: d["hub"]["firewall"]["networkRules"][0].update(destinationPorts=["22"])),
                      "afw-hub-policy/network-rules", [("modify", "none")]),
    "gateway subnet route": (seed(), seed(lambda d: d["onPremises"][0]["addressPrefixes"].append("10.21.0.0/16")),
                             "vnet-hub-GatewaySubnet-rt", [("modify", "none")]),
    "in-use subnet prefix": (seed(), seed(lambda d: d["hub"]["vnet"]["subnets"][3].update(prefix="10.0.4.0/24")),
                             "vnet-hub/AzureFirewallSubnet", [("blocked", "long")]),
    "workload subnet renumbered": (seed(), seed(lambda d: d["hub"]["vnet"]["subnets"][2].update(prefix="10.0.5.0/24")),
                                   "vnet-hub/subnet-001", [("blocked", "none")]),
    "subnet under a test VM renumbered": (spokes(), spokes(lambda d: d["spokes"][0]["vnet"]["subnets"][0].update(prefix="10.60.9.0/24")),
                                          "vnet-spoke-app/snet-app", [("blocked", "long")]),
    "workload subnet removed": (seed(), seed(lambda d: d["hub"]["vnet"]["subnets"].pop(2)), "vnet-hub/subnet-001", [("delete", "none")]),
    "subnet added": (seed(), seed(lambda d: d["hub"]["vnet"]["subnets"].append({"name": "dns", "prefix": "10.0.9.0/24"})),
                     "vnet-hub/dns", [("create", "none")]),
    "nsg associated": (seed(), seed(lambda d: d["hub"]["vnet"]["subnets"][2].update(networkSecurityGroupId=NSG)), "vnet-hub/subnet-001",
                       [("modify", "none")]),
    "routing weight": (seed(), seed(lambda d: d["onPremises"][0].update(routingWeight=5)), "ergw-hub-onprem", [("modify", "none")]),
    "circuit replaced": (seed(), seed(lambda d: d["onPremises"][0].update(expressRouteCircuitId=CIRCUIT.format("other"))),
                         "ergw-hub-onprem", [("blocked", "long")]),
    "spoke added": (spokes(lambda d: d["spokes"].pop()), spokes(), "vnet-spoke-shared", [("create", "none")]),
    "spoke removed": (spokes(), spokes(lambda d: d["spokes"].pop()), "vnet-hub/vnet-hub-to-vnet-spoke-shared", [("delete", "none")]),
    "spoke internet through the firewall": (spokes(), spokes(lambda d: d["spokes"][0].update(internetThroughFirewall=True)),
                                            "vnet-spoke-app-rt", [("modify", "none")]),
    "firewall logs stopped": (spokes(), spokes(lambda d: d["hub"]["firewall"].pop("diagnostics")), "afw-hub/to-log-analytics",
                              [("delete", "none")]),
    "log workspace removed": (spokes(), spokes(lambda d: d["hub"]["firewall"].pop("diagnostics")), "log-hub-spoke", [("delete", "none")]),
    "log retention shortened": (spokes(), spokes(lambda d: d["hub"]["firewall"]["diagnostics"]["workspace"].update(retentionInDays=30)),
                                "log-hub-spoke", [("modify", "none")]),
    "logs to another workspace": (spokes(), spokes(lambda d: d["hub"]["firewall"].update(diagnostics={"workspaceResourceId": WORKSPACE})),
                                  "afw-hub/to-log-analytics", [("modify", "none")]),
    "site device moved": (multi(), multi(lambda d: d["branches"][2].update(fqdn="vpn2.warehouse-lyon.example.net")),
                          "lng-warehouse-lyon", [("modify", "brief")]),
}


@pytest.mark.parametrize("name", sorted(ROWS))
def test_each_documented_change_has_its_action_and_downtime(name):
    old, new, resource, expected = ROWS[name]
    assert changes(old, new).get(resource) == expected


def test_every_change_says_what_to_do_and_links_a_source():
    for old, new, _, _ in ROWS.values():
        for c in diff.compare(model.build(old), model.build(new)):
            assert c.detail and c.link.startswith("https://"), c


def test_a_rename_recreates_the_resource_and_what_hangs_off_it():
    found = changes(seed(), seed(hub("vpnGateway", name="vpngw-hub2")))
    assert found["vpngw-hub2"] == [("recreate", "long")]
    assert found["vpngw-hub2-pip1"] == [("recreate", "none")]
    assert found["vpngw-hub2-to-vpngw-branch1"] == [("recreate", "brief")]
    assert found["vpngw-hub"] == [("delete", "none")]  # left behind, with its delete command


def test_a_location_change_makes_every_resource_new():
    found = diff.compare(model.build(seed()), model.build(seed(lambda d: d.update(location="japanwest"))))
    assert {c.action for c in found} == {"recreate", "delete"}
    assert len([c for c in found if c.action == "recreate"]) == len(diff.inventory(model.build(seed())))


def test_a_removed_branch_leaves_resources_behind_and_says_how_to_delete_them_in_order():
    found = diff.compare(model.build(multi()), model.build(multi(lambda d: d["branches"].pop(1))))
    deletes = [c for c in found if c.action == "delete"]
    assert [c.type.rsplit("/", 1)[-1] for c in deletes] == [
        "connections", "connections", "virtualNetworkGateways", "publicIPAddresses", "virtualNetworks"]
    assert all(c.command.startswith("az network ") for c in deletes)
    # The connections go first, before the redeploy drops the branch's UDRs; the rest after it.
    assert [c.before_deploying for c in deletes] == [True, True, False, False, False]
    assert all("BEFORE deploying" in c.detail for c in deletes[:2]) and all("incremental" in c.detail for c in deletes[2:])
    text = diff.as_text(found)
    assert text.index("1. before deploying: $ az network vpn-connection delete") < text.index("2. deploy:") < \
        text.index("3. after deploying:  $ az network vnet-gateway delete")
    assert "--resource-group rg-multi-site --name vnet-shop-madrid" in deletes[-1].command
    added = changes(multi(lambda d: d["branches"].pop(1)), multi())
    assert added["vnet-shop-madrid"] == [("create", "none")] and added["vpngw-shop-madrid"] == [("create", "none")]


def test_a_removed_spoke_and_its_logs_say_how_to_delete_them_in_order():
    found = diff.compare(model.build(spokes()), model.build(spokes(lambda d: (d["spokes"].pop(), d["hub"]["firewall"].pop("diagnostics")))))
    deletes = [(c.resource, c.command) for c in found if c.action == "delete"]
    assert [c.before_deploying for c in found if c.action == "delete"] == [True, True, False, False, False, False]
    assert deletes == [
        # The peerings first, before deploying: the redeploy drops the spoke's GatewaySubnet UDRs.
        ("vnet-hub/vnet-hub-to-vnet-spoke-shared", "az network vnet peering delete --resource-group rg-hub-spoke --vnet-name vnet-hub "
                                                   "--name vnet-hub-to-vnet-spoke-shared"),
        ("vnet-spoke-shared/vnet-spoke-shared-to-vnet-hub", "az network vnet peering delete --resource-group rg-hub-spoke "
                                                            "--vnet-name vnet-spoke-shared --name vnet-spoke-shared-to-vnet-hub"),
        ("afw-hub/to-log-analytics", "az monitor diagnostic-settings delete --resource-group rg-hub-spoke --resource afw-hub "
                                     "--resource-type Microsoft.Network/azureFirewalls --name to-log-analytics"),
        ("vnet-spoke-shared", "az network vnet delete --resource-group rg-hub-spoke --name vnet-spoke-shared"),
        ("vnet-spoke-shared-rt", "az network route-table delete --resource-group rg-hub-spoke --name vnet-spoke-shared-rt"),
        ("log-hub-spoke", "az monitor log-analytics workspace delete --resource-group rg-hub-spoke --workspace-name log-hub-spoke --yes"),
    ]
    workspace = next(c for c in found if c.resource == "log-hub-spoke")
    assert "deletes the logs it holds" in workspace.detail


def test_cli_exit_codes_and_formats(tmp_path):
    old = write_spec(tmp_path, load_example(SEED), "old.json")
    same = run("diff", old, old)
    assert same.exit_code == 0 and same.output == "no changes\n"
    rules_only = write_spec(tmp_path, seed(lambda d: d["hub"]["firewall"]["networkRules"][0].update(destinationPorts=["22"])), "rules.json")
    assert run("diff", old, rules_only).exit_code == 0  # a rule change is no downtime
    resized = write_spec(tmp_path, seed(hub("expressRouteGateway", sku="ErGw2AZ")), "resized.json")
    as_json = json.loads(run("diff", old, resized, "--format", "json").output)
    assert as_json["disruptive"] is True and as_json["changes"][0]["resource"] == "ergw-hub"
    assert set(as_json["changes"][0]) == {"resource", "type", "action", "downtime", "detail", "link"}
    assert "| `ergw-hub` | virtualNetworkGateways | modify | brief |" in run("diff", old, resized, "--format", "markdown").output
    assert run("diff", old, resized).exit_code == 1
    broken = write_spec(tmp_path, seed(hub("routeServer", branchToBranch=False)), "broken.json")
    assert run("diff", old, broken).exit_code == 1  # NEW with errors: findings, exit 1
    assert run("diff", tmp_path / "missing.json", old).exit_code == 2
    assert run("diff", old).exit_code == 2  # usage: OLD and NEW, or --git


def test_git_revision_as_old(tmp_path):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    git("config", "user.email", "gen@example.net")
    git("config", "user.name", "gen")
    spec = write_spec(tmp_path, load_example(SEED), "hub.json")
    git("add", "hub.json")
    git("commit", "-qm", "hub")
    spec.write_text(json.dumps(seed(hub("expressRouteGateway", sku="ErGw2AZ"))))
    result = run("diff", "--git", "HEAD", spec)
    assert result.exit_code == 1 and "ergw-hub" in result.output
    assert run("diff", "--git", "no-such-branch", spec).exit_code == 2
    new_spec = write_spec(tmp_path, load_example(MULTI_SITE), "new.json")  # not in HEAD: everything is created
    created = json.loads(run("diff", "--git", "HEAD", new_spec, "--format", "json").output)
    assert {c["action"] for c in created["changes"]} == {"create"}


def _only(old: dict, new: dict, resource: str) -> diff.Change:
    found = [c for c in diff.compare(model.build(old), model.build(new)) if c.resource == resource]
    assert len(found) == 1, found
    return found[0]


def test_a_generation_change_from_the_default_says_which_generation_to_pin():
    """Generation 1 -> Generation 2 AZ is "Yes (Migrate Only)" in Learn's upgrade table, never a delete and re-create: a
    redeploy does not do it, Microsoft does (IPs kept); resizing in place means pinning the generation that runs."""
    change = _only(seed(), seed(hub("vpnGateway", sku="VpnGw2AZ")), "vpngw-hub")
    assert "cannot change a gateway's generation" in change.detail and "Migrate Only" in change.detail
    assert "public IPs kept" in change.detail and "new public IPs" not in change.detail and "recreate" != change.action
    assert 'pin `generation: "Generation1"`' in change.detail
    pinned = _only(seed(hub("vpnGateway", sku="VpnGw2AZ", generation="Generation1")),
                   seed(hub("vpnGateway", sku="VpnGw2AZ", generation="Generation2")), "vpngw-hub")
    assert "pin" not in pinned.detail  # the spec asked for the new generation: nothing to pin


def test_an_expressroute_downgrade_recreates_the_gateway_and_its_connections():
    change = _only(seed(hub("expressRouteGateway", sku="ErGw2AZ")), seed(), "ergw-hub")
    assert (change.action, change.downtime) == ("recreate", "long") and "connections are recreated" in change.detail


def test_a_firewall_tier_change_prescribes_learns_change_sku_and_the_spec_edit():
    same_policy = _only(seed(), seed(hub("firewall", tier="Premium")), "afw-hub")
    assert "hub.firewall.policyName" in same_policy.detail and "change-sku" in same_policy.link
    moved = _only(seed(), seed(hub("firewall", tier="Premium", policyName="afw-hub-policy-premium")), "afw-hub")
    assert "zero downtime" in moved.detail
    old_policy = _only(seed(), seed(hub("firewall", tier="Premium", policyName="afw-hub-policy-premium")), "afw-hub-policy")
    assert old_policy.action == "delete" and not old_policy.before_deploying


def test_a_spoke_range_expansion_is_in_place_with_the_peering_sync_command():
    old = spokes(lambda d: d["spokes"][0]["vnet"].update(addressSpace=["10.60.0.0/22"]))
    new = spokes(lambda d: d["spokes"][0]["vnet"].update(addressSpace=["10.60.0.0/21"]))
    change = _only(old, new, "vnet-spoke-app")
    assert (change.action, change.downtime) == ("modify", "none")
    assert "must hold no subnet" not in change.detail
    assert "az network vnet peering sync --resource-group rg-hub-spoke --vnet-name vnet-hub --name vnet-hub-to-vnet-spoke-app" in change.detail


def test_a_branch_address_space_change_mentions_no_peering():
    change = _only(seed(), seed(lambda d: d["branches"][0]["vnet"]["addressSpace"].append("10.51.0.0/16")), "vnet-branch1")
    assert "peering" not in change.detail


def test_a_removed_range_must_be_empty_first():
    change = _only(seed(lambda d: d["hub"]["vnet"]["addressSpace"].append("10.1.0.0/16")), seed(), "vnet-hub")
    assert "10.1.0.0/16 must hold no subnet" in change.detail


def test_renumbering_a_subnet_under_a_test_vm_exits_1(tmp_path):
    old = write_spec(tmp_path, spokes(), "old.json")
    new = write_spec(tmp_path, spokes(lambda d: d["spokes"][0]["vnet"]["subnets"][0].update(prefix="10.60.9.0/24")), "new.json")
    result = run("diff", old, new)
    assert result.exit_code == 1 and "blocked" in result.output and "test VM vm-spoke-app" in result.output


def vpn_sites(mutate=lambda d: None) -> dict:
    return variant(load_example(EXAMPLES / "vpn-sites.json"), mutate)


def test_moving_a_branch_to_another_region_is_blocked():
    moved = changes(vpn_sites(), vpn_sites(lambda d: d["branches"][3].update(location="northeurope")))
    for name in ("vnet-branch-north", "vpngw-branch-north", "vpngw-branch-north-pip1", "vpngw-branch-north-to-vpngw-hub-vpn"):
        assert moved[name][0][0] == diff.BLOCKED, name
    change = next(c for c in diff.compare(model.build(vpn_sites()), model.build(vpn_sites(lambda d: d["branches"][3].update(location="northeurope"))))
                  if c.resource == "vpngw-branch-north")
    assert "InvalidResourceLocation" in change.detail and "error-invalid-resource-location" in change.link
    assert "vpngw-hub-vpn" not in moved  # the hub stays where it is


def test_new_custom_apipa_addresses_restart_the_apipa_sessions_and_ask_for_the_devices_to_follow():
    moved = vpn_sites(lambda d: d["hub"]["vpnGateway"].update(customBgpIpAddresses=["169.254.21.6", "169.254.22.6"]))
    found = {c.resource: c for c in diff.compare(model.build(vpn_sites()), model.build(moved))}
    assert "custom APIPA BGP addresses 169.254.21.2, 169.254.22.2 -> 169.254.21.6, 169.254.22.6" in found["vpngw-hub-vpn"].detail
    assert "BGP session restarts" in found["vpngw-hub-vpn-to-dc-frankfurt-fra-edge1"].detail
    assert "vpngw-hub-vpn-to-shop-lisbon" not in found  # a device with a regular address is not touched


def test_a_new_ipsec_policy_says_the_device_must_follow():
    stronger = vpn_sites(lambda d: d["branches"][2].update(connection={"ipsecPolicy": {
        "ikeEncryption": "AES256", "ikeIntegrity": "SHA256", "dhGroup": "DHGroup14", "ipsecEncryption": "GCMAES256",
        "ipsecIntegrity": "GCMAES256", "pfsGroup": "PFS2048"}}))
    change, = [c for c in diff.compare(model.build(vpn_sites()), model.build(stronger))]
    assert change.resource == "vpngw-hub-vpn-to-shop-lisbon" and change.action == diff.MODIFY
    assert "IPsec/IKE policy changed" in change.detail and "gen device-config" in change.detail


def test_firewall_tier_changes_with_basic_follow_learns_change_sku():
    """Standard or Premium -> Basic "is supported only through PowerShell or Terraform"; Basic goes to Standard before
    Premium (Change Azure Firewall SKU, read 2026-12): a redeploy does neither."""
    management = {"name": "AzureFirewallManagementSubnet", "prefix": "10.0.4.0/26"}
    standard = seed(lambda d: d["hub"]["vnet"]["subnets"].append(management))
    basic = seed(lambda d: (d["hub"]["firewall"].update(tier="Basic"), d["hub"]["vnet"]["subnets"].append(management)))
    premium = seed(lambda d: (d["hub"]["firewall"].update(tier="Premium"), d["hub"]["vnet"]["subnets"].append(management)))
    down = _only(standard, basic, "afw-hub")
    assert (down.action, down.downtime) == ("blocked", "long") and "only through PowerShell or Terraform" in down.detail
    up = _only(basic, standard, "afw-hub")
    assert up.action == "blocked" and "must be migrated to Standard SKU first" in up.detail
    assert "Premium only through Standard" in _only(basic, premium, "afw-hub").detail
    assert "only through PowerShell or Terraform" in _only(premium, basic, "afw-hub").detail
