"""Adopting a running hub, point by point: how `gen import` judges, keeps and models what runs, and what the commands
that follow (render, trace, resilience, diff --live, verify, device-config, collect) do with it.

The hubs are the hand-built captures of tests/fixtures/captures (SOURCES.md there says where each file's shape comes
from): `portal-hub` (built in the portal: non-AZ gateways, a /27 RouteServerSubnet, classic rules with a Deny
collection, DNAT and application rules, DNS proxy, tags, no zones, spokes in another subscription sharing one route
table, a site of two APIPA devices with empty Local Network Gateways, an IKEv1 policy-based site) and `lab-hub` (a
public lab's ARM templates and az CLI script: the very ExpressRoute + VPN + Route Server + firewall design). The no-op
redeploy of both, judged by the Resource Manager stand-in, is test_adopt.py.
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path

import pytest

import fake_az
from conftest import render_data
from generator import diff, model, routing, rules, spec
from generator.capture import Capture
from generator.importer import import_capture
from test_cli import run, write_spec

CAPTURES = Path(__file__).parent / "fixtures" / "captures"
PORTAL, LAB = CAPTURES / "portal-hub", CAPTURES / "lab-hub"
HUB_SUBSCRIPTION, SPOKE_SUBSCRIPTION = "22222222-2222-2222-2222-222222222222", "33333333-3333-3333-3333-333333333333"


@pytest.fixture(scope="module")
def portal() -> dict:
    return import_capture(Capture(PORTAL)).spec


@pytest.fixture(scope="module")
def lab() -> dict:
    return import_capture(Capture(LAB)).spec


def findings(data: dict) -> dict[tuple[str, str], object]:
    return {(f.rule_id, f.path): f for f in rules.check(model.build(data), data)}


# --- 1. what runs is judged as running ---------------------------------------------------------------------------


def test_what_azure_no_longer_creates_is_a_warning_for_what_runs_and_an_error_for_what_gen_would_create(portal):
    found = findings(portal)
    vpn = found[("GW003", "hub.vpnGateway.sku")]
    assert vpn.severity == "warning" and "runs as VpnGw2" in vpn.message and "zone redundancy" in vpn.message
    assert "VpnGw2 -> VpnGw2AZ" in vpn.message and "no downtime" in vpn.message  # its cost, and how it moves
    route_server = found[("SUBNET002", "hub.vnet.subnets[1].prefix")]
    assert route_server.severity == "warning" and "deleting the Route Server" in route_server.message
    assert not [f for f in found.values() if f.severity == "error"]
    created = copy.deepcopy(portal)  # the same design, as gen would create it
    for part in ("vnet", "vpnGateway", "expressRouteGateway", "routeServer"):
        del created["hub"][part]["existing"]
    errors = {key for key, f in findings(created).items() if f.severity == "error"}
    assert {("GW003", "hub.vpnGateway.sku"), ("GW003", "hub.expressRouteGateway.sku"),
            ("SUBNET002", "hub.vnet.subnets[1].prefix")} <= errors


# --- 2. scopes: the landing-zone pattern ------------------------------------------------------------------------


def test_spokes_in_another_subscription_are_imported_and_rendered_where_they_live(portal):
    app1, app2 = portal["spokes"]
    assert (app1["resourceGroup"], app1["subscriptionId"]) == ("rg-app1-prod", SPOKE_SUBSCRIPTION)
    assert app2["vnet"]["subnets"][0]["routeTable"] == {**app1["vnet"]["subnets"][0]["routeTable"], "resourceGroup": "rg-app1-prod"}
    assert (portal["resourceGroup"], portal["subscriptionId"]) == ("rg-connectivity-prod", HUB_SUBSCRIPTION)
    files = render_data(portal)
    parameters = files["main.bicepparam"]
    assert f"subscriptionId: '{SPOKE_SUBSCRIPTION}'" in parameters and "resourceGroup: 'rg-app2-prod'" in parameters
    readme = files["README.md"]
    assert ("az deployment group create --resource-group rg-connectivity-prod --subscription "
            f"{HUB_SUBSCRIPTION}") in readme
    assert "az group create" not in readme  # its groups exist
    assert f"resource group rg-app1-prod (subscription {SPOKE_SUBSCRIPTION})" in readme
    assert "peer/action" in readme  # the role a peering needs at its other end


def test_diff_live_matches_by_resource_id_so_a_spoke_moved_to_another_group_is_a_twin_it_refuses(portal):
    moved = copy.deepcopy(portal)
    moved["spokes"][0]["resourceGroup"] = "rg-app1-new"
    changes = {(c.resource, c.action): c for c in diff.compare_live(Capture(PORTAL), model.build(moved))}
    twin = changes[("vnet-app1", diff.BLOCKED)]
    assert "in rg-app1-new beside vnet-app1 in rg-app1-prod" in twin.detail
    assert ("vnet-app1", diff.UNMANAGED) in changes  # the running one, left alone
    assert not [key for key in changes if key[0] == "vnet-app2" or key[0].startswith("vnet-app2/")]


# --- 3. lossless: rules, routes, DNS, tags, zones, names ----------------------------------------------------------


def classic_verdict(firewall: dict, source: str, destination: str) -> str:
    """An oracle written from Learn's rule processing, apart from gen's policy.py: the classic network rule
    collections by priority, the first rule whose source and destination match decides; nothing matches: Deny
    (https://learn.microsoft.com/azure/firewall/rule-processing)."""
    import ipaddress

    def inside(address: str, patterns: list[str]) -> bool:
        return any(p == "*" or ipaddress.ip_address(address) in ipaddress.ip_network(p, strict=False) for p in patterns)

    for collection in sorted(firewall["properties"]["networkRuleCollections"], key=lambda c: c["properties"]["priority"]):
        for rule in collection["properties"]["rules"]:
            if inside(source, rule["sourceAddresses"]) and inside(destination, rule["destinationAddresses"]):
                return collection["properties"]["action"]["type"]
    return "Deny"


@pytest.mark.parametrize("capture", [PORTAL, LAB], ids=lambda p: p.name)
def test_every_flow_gets_the_classic_rules_verdict_from_the_policy_they_become(capture):
    """gen writes the classic rules as a policy (the portal's migration layout); every flow through the firewall gets
    the verdict the running classic rules give it, Deny collections first where their priority says."""
    imported = import_capture(Capture(capture)).spec
    firewall = {"properties": next(iter(Capture(capture).of_type("Microsoft.Network/azureFirewalls"))).properties}
    topology = model.build(imported)
    inspected = [p for p in routing.transit_matrix(topology) if p.inspected or p.verdict == routing.DENIED]
    assert inspected
    for pair in inspected:
        expected = classic_verdict(firewall, pair.source_ip, pair.destination_ip)
        assert (pair.verdict == routing.DENIED) == (expected == "Deny"), pair
    as_policy = copy.deepcopy(imported)
    del as_policy["hub"]["firewall"]["classicRules"]  # the migration: the same rules, in a policy
    assert routing.transit_matrix(model.build(as_policy)) == routing.transit_matrix(topology)


def test_a_deny_collection_is_named_in_the_trace(portal, tmp_path):
    result = run("trace", write_spec(tmp_path, portal), "--from", "10.110.1.4", "--to", "10.111.1.4")
    assert result.exit_code == 1  # a flow that does not get through is a finding
    assert "Deny rule 'app1-app2' of collection 'deny-spoke-to-spoke' matches 10.110.1.4 -> 10.111.1.4 first" in result.output


def test_the_move_from_classic_rules_to_a_policy_has_learns_verdict(portal):
    as_policy = copy.deepcopy(portal)
    del as_policy["hub"]["firewall"]["classicRules"]
    changes = diff.compare_live(Capture(PORTAL), model.build(as_policy))
    migration = next(c for c in changes if "classic rules -> firewall policy" in c.detail)
    assert "every flow keeps its verdict" in migration.detail and migration.downtime == "brief"
    assert "assumed" in migration.detail  # Learn's migration page documents no downtime: said, not invented


def test_what_the_portal_hub_runs_is_in_the_spec(portal):
    firewall = portal["hub"]["firewall"]
    assert (firewall["threatIntelMode"], firewall["dnsProxy"], firewall["dnsServers"]) == ("Deny", True, ["10.100.4.4", "10.100.4.5"])
    kinds = {c["ruleType"]: c for g in firewall["ruleCollectionGroups"] for c in g["ruleCollections"]}
    assert kinds["nat"]["rules"][0]["translatedAddress"] == "10.100.2.10"
    assert kinds["application"]["rules"][0]["fqdnTags"] == ["WindowsUpdate"]
    assert (firewall["zones"], firewall["ipConfigurationName"]) == ([], "hub-fw-pip")
    assert portal["hub"]["vnet"]["dnsServers"] == ["10.100.4.4", "10.100.4.5"]
    assert portal["hub"]["vpnGateway"]["ipConfigurationNames"] == ["default", "activeActive"]
    assert portal["hub"]["expressRouteGateway"]["ipConfigurationName"] == "default"
    assert portal["tags"] == {"env": "prod", "owner": "netops"}
    kept = portal["asDeployed"]
    assert kept["Microsoft.Network/virtualNetworks/vnet-app2"]["tags"] == {"env": "prod", "owner": "api-team"}
    assert kept["Microsoft.Network/virtualNetworks/hub-vnet/subnets/snet-dns"]["properties"]["serviceEndpoints"][0]["service"] \
        == "Microsoft.Storage"
    diagnostics = firewall["diagnostics"]
    assert (diagnostics["settingName"], diagnostics["resourceSpecificTables"]) == ("fw-diag", False)
    shared = next(s for s in portal["hub"]["vnet"]["subnets"] if s["name"] == "snet-shared")["routeTable"]["routes"]
    assert [r["name"] for r in shared] == ["default-via-fw", "mgmt-ssh-exception"]  # the Internet exception, kept


def test_removing_a_route_that_steers_to_the_firewall_names_what_loses_inspection(portal, tmp_path):
    without = copy.deepcopy(portal)
    next(s for s in without["hub"]["vnet"]["subnets"] if s["name"] == "snet-shared")["routeTable"]["routes"] = []
    result = run("diff", "--live", PORTAL, write_spec(tmp_path, without))
    assert result.exit_code == 1
    assert "risk: route default-via-fw sent its Internet egress" in result.output and "lose inspection" in result.output
    assert "a management SSH session from that address breaks" in result.output
    assert "lost inspection" in result.output.splitlines()[-1]


@pytest.mark.parametrize("edit, expected", [
    (lambda s: s["hub"]["vnet"].update(dnsServers=[]), "DNS servers 10.100.4.4, 10.100.4.5 -> Azure DNS"),
    (lambda s: s["tags"].update(env="dev"), "tags {env=prod, owner=netops} -> {env=dev, owner=netops}"),
    (lambda s: s["hub"]["firewall"].update(zones=["1", "2", "3"]), "zones none -> 1, 2, 3"),
    (lambda s: s["hub"]["vpnGateway"].update(ipConfigurationNames=["ipconfig1", "ipconfig2"]),
     "IP configuration names default, activeActive -> ipconfig1, ipconfig2"),
    (lambda s: s["asDeployed"].pop("Microsoft.Network/virtualNetworks/hub-vnet/subnets/snet-dns"), "service endpoints"),
    (lambda s: s["hub"]["vpnGateway"].update(generation="Generation1"), "a non-AZ SKU Azure no longer lets anyone change"),
], ids=["dns", "tags", "zones", "ip-configuration-names", "subnet-properties", "generation"])
def test_diff_live_names_each_property_a_redeploy_would_change(portal, edit, expected):
    changed = copy.deepcopy(portal)
    edit(changed)
    changes = [c for c in diff.compare_live(Capture(PORTAL), model.build(changed)) if c.action != diff.UNMANAGED]
    assert any(expected in c.detail for c in changes), [c.detail for c in changes]
    assert diff.disruptive(changes) or all(c.downtime == "none" for c in changes)


# --- 4. prefixes from evidence ----------------------------------------------------------------------------------


def test_a_site_of_two_apipa_devices_with_empty_lngs_gets_its_prefix_from_what_its_peers_learned(portal):
    cork = next(b for b in portal["branches"] if b["name"] == "cork")
    assert cork["addressPrefixes"] == ["192.168.10.0/24"]  # not in any LNG: learned from 169.254.21.2 and .6
    assert [d["name"] for d in cork["devices"]] == ["fw1", "fw2"]  # one site by their shared ASN
    assert [d["bgp"]["asn"] for d in cork["devices"]] == [65010, 65010]
    assert cork["devices"][1]["connection"] == {"dpdTimeoutSeconds": 30}  # what differs per connection, per device
    dublin, = portal["onPremises"]
    assert dublin["addressPrefixes"] == ["10.1.0.0/16"]  # the site's prefix is never handed to the circuit


def test_a_udr_for_a_hub_subnet_is_a_kept_route_not_an_on_premises_prefix(portal, lab):
    gateway = portal["hub"]["vnet"]["subnets"][0]["routeTable"]
    assert gateway["routes"] == [{"name": "to-shared-services", "addressPrefix": "10.100.2.0/24",
                                  "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.100.1.4"}]
    everything_on_premises = [p for s in portal["onPremises"] + portal["branches"] for p in s["addressPrefixes"]]
    assert "10.100.2.0/24" not in everything_on_premises
    lab_gateway = next(s for s in lab["hub"]["vnet"]["subnets"] if s["name"] == "GatewaySubnet")["routeTable"]
    assert [r["addressPrefix"] for r in lab_gateway["routes"]] == ["10.0.0.0/27"]
    assert "10.0.0.0/27" not in [p for s in lab["onPremises"] + lab["branches"] for p in s.get("addressPrefixes", [])]


# --- 5. what import writes validates --------------------------------------------------------------------------------


def test_import_output_validates_with_azures_spellings_and_no_defaults(portal, tmp_path):
    assert spec.schema_findings(portal) == []
    cork = next(b for b in portal["branches"] if b["name"] == "cork")
    assert cork["connection"]["ipsecPolicy"]["pfsGroup"] == "PFS14"  # Azure's spelling, accepted as it runs
    assert "dpdTimeoutSeconds" not in json.dumps(cork["devices"][0])  # Azure's default 45 (and 0, unset) omitted
    target = tmp_path / "new" / "folder" / "hub.json"
    assert run("import", PORTAL, "-o", target).exit_code in (0, 1) and run("validate", target).exit_code == 0


# --- 6. verify on an adopted hub ------------------------------------------------------------------------------------


@pytest.mark.parametrize("capture", [PORTAL, LAB], ids=lambda p: p.name)
def test_verify_of_an_adopted_hub_finds_its_routes_as_designed(capture, tmp_path):
    imported = write_spec(tmp_path, import_capture(Capture(capture)).spec)
    result = run("verify", imported, capture)
    assert result.exit_code == 0, result.output
    assert "skips the firewall" not in result.output


def test_a_default_route_to_the_firewall_with_propagation_off_inspects_the_hub_subnet(lab, portal):
    """The lab's subnet1 sends 0.0.0.0/0 to the firewall with gateway route propagation off: every on-premises and
    branch flow goes through the firewall, so FW007 stays quiet; the portal hub's snet-shared has propagation on, its
    BGP routes win over 0.0.0.0/0, and FW007 says so."""
    assert not [key for key in findings(lab) if key[0] == "FW007"]
    assert [key for key in findings(portal) if key[0] == "FW007"]
    result = routing.trace(model.build(lab), "10.0.0.4", "172.16.0.4")
    assert result.verdict == routing.DELIVERED and result.inspected


def test_application_rules_let_a_spoke_reach_the_internet(portal):
    assert not [key for key in findings(portal) if key[0] == "SPOKE004"]
    without = copy.deepcopy(portal)
    without["hub"]["firewall"]["ruleCollectionGroups"] = [g for g in without["hub"]["firewall"]["ruleCollectionGroups"]
                                                          if g["name"] != "DefaultApplicationRuleCollectionGroup"]
    assert [key for key in findings(without) if key[0] == "SPOKE004"]


def test_a_capture_collected_from_resource_groups_has_what_verify_and_device_config_need(portal, tmp_path):
    """`gen collect -g` for three groups in two subscriptions, run for real against a stand-in `az` that answers from
    the portal hub's files: the capture it writes imports to the same spec, verifies, and configures the devices."""
    script = tmp_path / "collect.sh"
    groups = ["rg-connectivity-prod", f"{SPOKE_SUBSCRIPTION}/rg-app1-prod", f"{SPOKE_SUBSCRIPTION}/rg-app2-prod"]
    assert run("collect", *[a for g in groups for a in ("-g", g)], "-o", script).exit_code == 0
    env = fake_az.install(tmp_path / "bin", PORTAL, HUB_SUBSCRIPTION)
    ran = subprocess.run(["bash", str(script), "capture"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    collected = tmp_path / "capture"
    assert import_capture(Capture(collected)).spec == portal
    written = write_spec(tmp_path, portal)
    assert run("verify", written, collected).exit_code == 0
    devices = run("device-config", written, "cork", "--vendor", "strongswan", "--capture", collected)
    assert devices.exit_code == 0 and "<azure-instance" not in devices.output


# --- 7. device-config for an adopted site ---------------------------------------------------------------------------


def test_device_config_of_an_adopted_site_keeps_its_running_key_and_addresses(portal, tmp_path):
    written = write_spec(tmp_path, portal)
    result = run("device-config", written, "cork", "--vendor", "cisco-iosxe", "--capture", PORTAL)
    assert result.exit_code == 0, result.output
    fw1, fw2 = result.output.split("==> cork-fw2.ios <==")
    assert ("VPN_SHARED_KEY_CORK_FW1=$(az network vpn-connection shared-key show --resource-group rg-connectivity-prod "
            f"--subscription {HUB_SUBSCRIPTION} --connection-name conn-cork-fw1 --query value -o tsv)") in fw1
    assert "never a new one" in fw1 and "conn-cork-fw2" in fw2
    assert " ip address 169.254.21.2 255.255.255.255" in fw1 and " ip address 169.254.21.6 255.255.255.255" in fw2
    assert "neighbor 169.254.21.1 " in fw1 and "neighbor 169.254.21.5 " in fw1  # Azure's custom APIPA addresses
    assert "encryption aes-cbc-256" in fw1 and "group 14" in fw1  # the running connection's policy (PFS14: group 14)


def test_device_config_of_an_ikev1_site_says_what_it_cannot_write(portal, tmp_path):
    result = run("device-config", write_spec(tmp_path, portal), "galway", "--vendor", "strongswan", "--capture", PORTAL)
    assert result.exit_code == 2 and "IKEv1" in result.stderr and "keeps its own configuration" in result.stderr


# --- what two captures built without sight of the importer found -----------------------------------------------------

ALZ, CLI = CAPTURES / "alz-hub", CAPTURES / "cli-hub"


@pytest.fixture(scope="module")
def alz() -> dict:
    return import_capture(Capture(ALZ)).spec


@pytest.fixture(scope="module")
def cli() -> dict:
    return import_capture(Capture(CLI)).spec


def test_two_route_tables_of_one_name_in_two_landing_zones_keep_their_own_tags(alz):
    """ALZ names every landing zone's route table rtb-spoke-to-hub: asDeployed keys each by its resource ID, and the
    plan sees two resources, not one written twice at once."""
    keys = [k for k in alz["asDeployed"] if k.endswith("/routeTables/rtb-spoke-to-hub")]
    assert len(keys) == 2 and all(k.startswith("/subscriptions/") for k in keys)
    assert {alz["asDeployed"][k]["tags"]["Application"] for k in keys} == {"app1", "webshop"}
    assert spec.schema_findings(alz) == [] and not [k for k in findings(alz) if k[0] == "ASD001"]
    topology = model.build(alz)
    tables = {(str(t.scope.subscription_id), str(t.name)) for t in topology.route_tables if str(t.name) == "rtb-spoke-to-hub"}
    assert len(tables) == 2


def test_what_a_template_does_not_write_inside_a_designed_property_is_kept(alz):
    """ALZ sets the VPN gateway's BGP peer weight to 5; gen writes the ASN and APIPA addresses of bgpSettings only."""
    gateway = next(v for k, v in alz["asDeployed"].items() if k.endswith("virtualNetworkGateways/alz-Vpn-Gateway"))
    assert gateway["properties"]["bgpSettings"] == {"peerWeight": 5}
    assert not [k for k in findings(alz) if k[0] == "ASD001"]  # not "keeps what the spec designs"


def test_a_site_gateway_holding_only_its_peers_address_gets_the_prefix_its_peer_advertises(alz):
    """Rotterdam's Local Network Gateway holds only 192.168.255.1/32, its BGP peer (what an older VPN page asked
    for); the prefix is what that peer advertises, and the gateway keeps its /32 as it runs. Eindhoven's gateway is
    empty, as the current FAQ asks: it stays empty."""
    sites = {b["name"]: b for b in alz["branches"] if b["kind"] == "site"}
    rotterdam, eindhoven = sites["rotterdam-fw01"], sites["eindhoven-edge"]
    assert rotterdam["addressPrefixes"] == ["192.168.10.0/24"] and rotterdam["localNetworkGatewayPrefixes"] == ["192.168.255.1/32"]
    assert eindhoven["localNetworkGatewayPrefixes"] == []
    assert "192.168.10.0/24" not in [p for s in alz["onPremises"] for p in s["addressPrefixes"]]
    topology = model.build(alz)
    site = next(s for s in topology.site_branches if s.name == "eindhoven-edge")
    assert site.gateway_prefixes(site.devices[0]) == ()


def test_ip_groups_are_read_and_rules_that_name_them_match(alz, tmp_path):
    held = alz["hub"]["firewall"]["ipGroups"]
    assert any(k.endswith("/ipGroups/ipg-onprem-westeurope") for k in held)
    result = run("trace", write_spec(tmp_path, alz), "--from", "10.128.5.5", "--to", "192.168.20.10", "--port", "443")
    assert result.exit_code == 0 and "allowed by rule 'branch-to-branch'" in result.output
    without = copy.deepcopy(alz)
    del without["hub"]["firewall"]["ipGroups"]
    assert [k for k in findings(without) if k[0] == "FW010"]  # rules gen cannot evaluate are said so
    denied = run("trace", write_spec(tmp_path, without, "without.json"), "--from", "10.128.5.5", "--to", "192.168.20.10",
                 "--port", "443")
    assert denied.exit_code == 1


def test_a_diagnostic_setting_by_category_group_is_written_as_one(alz):
    diagnostics = alz["hub"]["firewall"]["diagnostics"]
    assert diagnostics["categoryGroups"] == ["allLogs"] and "categories" not in diagnostics
    module = render_data(alz)["modules/firewall-diagnostics.bicep"]
    assert "categoryGroup: group" in module
    assert "categoryGroups: firewallDiagnostics.?categoryGroups ?? []" in render_data(alz)["main.bicep"]


def test_the_azure_clis_resource_group_beside_each_id_is_not_kept(cli):
    """az prints `resourceGroup` beside every `id` (azure-cli-core transform.py); ARM neither returns nor stores it."""
    assert '"resourceGroup": "rg-hub-cli"' not in json.dumps(cli.get("asDeployed", {}))


def test_an_active_standby_gateway_beside_route_server_is_adopted_with_a_warning(cli):
    found = findings(cli)[("ARS005", "hub.vpnGateway.activeActive")]
    assert found.severity == "warning" and "runs active-standby" in found.message
    assert "expressroute-vpn-support" in found.link


def test_transit_the_gateway_subnet_does_not_steer_is_imported_as_not_inspected(cli, tmp_path):
    """cli-hub's GatewaySubnet sends spokes and a hub subnet to the firewall, not on-premises or the sites: transit
    runs gateway to gateway, and the spec says so (no false VER005 in verify, no false 'inspected' in the README)."""
    assert cli["hub"]["firewall"]["inspectTransit"] is False
    assert run("verify", write_spec(tmp_path, cli), CLI).exit_code == 0


def test_a_site_that_advertises_more_than_its_gateway_holds_keeps_it_and_its_device_too(cli, tmp_path):
    lyon = next(b for b in cli["branches"] if b["name"] == "lyon")
    assert "192.168.12.0/24" in lyon["advertisedPrefixes"] and "192.168.12.0/24" not in lyon["addressPrefixes"]
    result = run("device-config", write_spec(tmp_path, cli), "lyon", "--vendor", "cisco-iosxe", "--capture", CLI)
    assert result.exit_code == 0 and "192.168.12.0 255.255.255.0" in result.output  # it keeps advertising it


TF = CAPTURES / "tf-hub"


@pytest.fixture(scope="module")
def tf() -> dict:
    return import_capture(Capture(TF)).spec


def test_a_spoke_in_another_region_keeps_its_region_and_a_move_is_refused(tf):
    dr = next(s for s in tf["spokes"] if s["vnet"]["name"] == "vnet-spoke-dr-ukwest-001")
    assert dr["location"] == "ukwest"
    parameters = render_data(tf)["main.bicepparam"]
    assert "location: 'ukwest'" in parameters
    moved = copy.deepcopy(tf)
    next(s for s in moved["spokes"] if s["vnet"]["name"] == "vnet-spoke-dr-ukwest-001").pop("location")
    blocked = {c.resource: c for c in diff.compare_live(Capture(TF), model.build(moved)) if c.action == diff.BLOCKED}
    assert "runs in ukwest, the spec deploys it in uksouth" in blocked["vnet-spoke-dr-ukwest-001"].detail
    assert "InvalidResourceLocation" in blocked["rt-spoke-dr-ukwest-001"].detail


def test_the_firewall_management_subnet_keeps_the_table_azure_gives_it(tf):
    """"By default, the service associates a system-provided route table to the Management subnet ... Avoid associating
    customer route tables" (management-nic): a running subnet without one is imported as `routeTable: null`."""
    subnet = next(s for s in tf["hub"]["vnet"]["subnets"] if s["name"] == "AzureFirewallManagementSubnet")
    assert subnet["routeTable"] is None
    topology = model.build(tf)
    assert topology.table_on(topology.hub.vnet.name, "AzureFirewallManagementSubnet") is None


def test_kept_snat_ranges_are_what_the_firewall_does_and_no_drift(tf):
    topology = model.build(tf)
    assert "203.0.113.192/26" in topology.snat_private_ranges
    assert not [c for c in diff.compare_live(Capture(TF), topology) if "SNAT" in c.detail]


def test_what_gen_cannot_see_is_said_where_it_matters(tf, tmp_path):
    found = findings(tf)
    assert [k for k in found if k[0] == "FW010"] and [k for k in found if k[0] == "VPN003"]
    traced = run("trace", write_spec(tmp_path, tf), "--from", "10.200.1.10", "--to", "10.102.9.10", "--protocol", "TCP",
                 "--port", "443")
    assert "the rules it inherits from fwp-base-global come first" in traced.output


def test_the_output_readme_says_what_runs(tf):
    readme = render_data(tf)["README.md"]
    assert readme.count("`rt-spoke-app1-uksouth-001` on") == 1  # each table once
    assert 'ergw ==>|"UDR: spoke prefixes"| afw' in readme  # what GatewaySubnet's routes hold, not gen's design
    assert "## What your routers must advertise" not in readme  # transit is not inspected here
    assert "Not sent: flow trace" not in readme  # the running setting sends them
    assert "classic rules" not in readme.split("## What gets deployed")[1].split("##")[0]


def test_a_subnet_written_with_address_prefixes_keeps_that_form(tmp_path, tf):
    """The AVM subnet module writes `addressPrefixes`; Azure refuses a body with both forms (Azure/azure-cli issue
    32005), so the subnet's PUT keeps the one it runs with."""
    from azure_standin import template_puts
    from conftest import compile_environment, compile_rendered
    from generator.compiler import BicepJsonRpc, find_bicep

    kept = copy.deepcopy(tf)
    key = "Microsoft.Network/virtualNetworks/vnet-hub-uksouth-001/subnets/snet-shared-services"
    prefix = next(s["prefix"] for s in kept["hub"]["vnet"]["subnets"] if s["name"] == "snet-shared-services")
    kept.setdefault("asDeployed", {}).setdefault(key, {}).setdefault("properties", {})["addressPrefixes"] = [prefix]
    topology = model.build(kept)
    with BicepJsonRpc(find_bicep(), compile_environment(topology)) as rpc:
        result = compile_rendered(rpc, kept, tmp_path / "out")
    assert result.diagnostics == []
    puts = template_puts(result.template, result.parameter_values, topology.name, kept["resourceGroup"],
                         kept.get("subscriptionId") or "00000000-0000-0000-0000-000000000000")
    subnet = next(p for p in puts if p["id"].endswith("/subnets/snet-shared-services"))
    assert subnet["properties"]["addressPrefixes"] == [prefix] and subnet["properties"].get("addressPrefix") is None


def test_devices_of_one_site_may_differ_in_connection_mode(tf, tmp_path):
    """tf-hub's Manchester: fw02's connection is ResponderOnly (Azure only answers), fw01's Default. Each device's files
    follow its own connection."""
    site = next(b for b in tf["branches"] if b.get("devices") and len(b["devices"]) == 2)
    modes = {d["name"]: (d.get("connection") or {}).get("connectionMode", "Default") for d in site["devices"]}
    assert set(modes.values()) == {"Default", "ResponderOnly"}
    result = run("device-config", write_spec(tmp_path, tf), site["name"], "--vendor", "strongswan", "--capture", TF)
    assert result.exit_code == 0, result.stderr
    initiator = site["devices"][0]["name"] if modes[site["devices"][0]["name"]] == "InitiatorOnly" else None
    assert initiator is None and "start_action = start" in result.output  # both open IKE: neither is InitiatorOnly
