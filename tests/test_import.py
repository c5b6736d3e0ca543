"""gen import and gen diff --live on a hub gen did not deploy.

tests/fixtures/captures/brownfield/ is a hub built by hand (its SOURCES.md says where each file's shape comes
from): names that are not gen's, a delegated subnet someone else owns, an NSG, a route added by hand, a second
route table, a point-to-site configuration, an application rule, a custom IPsec policy. The round trip of every
example and topology variant is in test_topologies.py (test_every_variant_imports_back_to_itself).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from generator import diff, model, rules
from generator.capture import Capture
from generator.importer import import_capture
from test_cli import run

BROWNFIELD = Path(__file__).parent / "fixtures" / "captures" / "brownfield"


@pytest.fixture(scope="module")
def imported():
    return import_capture(Capture(BROWNFIELD))


def left_out(result) -> dict[tuple[str, str], str]:
    return {(item.resource, item.what): item.redeploy for item in result.left_out}


def test_a_hand_built_hub_imports_with_its_own_names(imported):
    spec = imported.spec
    assert (spec["name"], spec["location"], spec["resourceGroup"]) == ("hub-weu", "westeurope", "rg-hub-weu")
    hub = spec["hub"]
    assert hub["vnet"]["name"] == "hub-vnet-weu" and hub["vnet"]["existing"] is True
    assert hub["vpnGateway"] == {"name": "vpngw-weu", "existing": True, "sku": "VpnGw2AZ", "asn": 65515, "generation": "Generation2",
                                 "publicIpNames": ["pip-vpngw-weu-1", "pip-vpngw-weu-2"],
                                 "ipConfigurationNames": ["default", "activeActive"]}  # the portal's names, kept
    assert hub["expressRouteGateway"] == {"name": "ergw-weu", "existing": True, "sku": "ErGw2AZ", "publicIpName": "pip-ergw-weu",
                                          "ipConfigurationName": "default"}
    assert hub["routeServer"] == {"name": "ars-weu", "existing": True, "publicIpName": "pip-ars-weu",
                                  "ipConfigurationName": "ipconfig-ars"}
    firewall = hub["firewall"]
    assert firewall["policyName"] == "fwpol-weu" and firewall["ipConfigurationName"] == "ipconfig-afw"
    groups = {g["name"]: g for g in firewall["ruleCollectionGroups"]}
    assert [r["name"] for r in groups["DefaultNetworkRuleCollectionGroup"]["ruleCollections"][0]["rules"]] == [
        "onprem-to-lyon", "lyon-to-onprem", "onprem-to-app"]
    gateway_subnet = hub["vnet"]["subnets"][0]
    assert gateway_subnet["routeTable"]["name"] == "rt-gatewaysubnet"
    assert gateway_subnet["routeTable"]["routeNames"] == {"10.20.0.0/16": "to-app", "10.30.0.0/16": "to-onprem",
                                                          "192.168.50.0/24": "to-lyon"}
    # On-premises: the GatewaySubnet's routes to the firewall that no branch, spoke or hub holds.
    assert spec["onPremises"] == [{"name": "amsterdam", "addressPrefixes": ["10.30.0.0/16"],
                                   "expressRouteCircuitId": "/subscriptions/99999999-8888-7777-6666-555555555555/resourceGroups/"
                                                            "rg-circuits/providers/Microsoft.Network/expressRouteCircuits/er-ams-01",
                                   "routingWeight": 10, "connectionName": "conn-er-amsterdam"}]
    site, = spec["branches"]
    assert (site["name"], site["connectionName"]) == ("lyon-dc", "conn-s2s-lyon")
    assert "localNetworkGatewayName" not in site  # lng-lyon-dc is what gen derives from lyon-dc
    spoke, = spec["spokes"]
    assert (spoke["hubToSpokePeeringName"], spoke["spokeToHubPeeringName"]) == ("peer-hub-to-app", "peer-app-to-hub")
    assert spoke["vnet"]["subnets"][0]["routeTable"]["name"] == "rt-app"
    assert "sharedKey" not in json.dumps(spec)  # secrets are never read


def test_a_site_s_custom_ipsec_policy_is_imported_and_azure_s_defaults_are_not(imported):
    site = next(b for b in imported.spec["branches"] if b["kind"] == "site")
    assert site["connection"] == {"ipsecPolicy": {
        "ikeEncryption": "AES256", "ikeIntegrity": "SHA256", "dhGroup": "DHGroup14", "ipsecEncryption": "GCMAES256",
        "ipsecIntegrity": "GCMAES256", "pfsGroup": "PFS2048", "saLifeTimeSeconds": 27000, "saDataSizeKilobytes": 102400000}}


def test_what_runs_is_kept_not_reset(imported):
    """What the old import listed as reset is carried now: the route added by hand, the second route table, the
    point-to-site configuration, the delegated subnet, the application rule, the tags of each resource."""
    spec = imported.spec
    subnets = {s["name"]: s for s in spec["hub"]["vnet"]["subnets"]}
    assert subnets["GatewaySubnet"]["routeTable"]["routes"] == [
        {"name": "temp-bypass-10.30.99.0", "addressPrefix": "10.30.99.0/24", "nextHopType": "VirtualNetworkGateway"}]
    assert subnets["snet-shared"]["routeTable"]["name"] == "rt-shared-custom"
    assert subnets["snet-shared"]["networkSecurityGroupId"].endswith("/networkSecurityGroups/nsg-shared")
    kept = spec["asDeployed"]
    assert kept["Microsoft.Network/virtualNetworkGateways/vpngw-weu"]["properties"]["vpnClientConfiguration"]["vpnClientProtocols"] == [
        "OpenVPN"]
    assert kept["Microsoft.Network/virtualNetworks/hub-vnet-weu/subnets/snet-dns-inbound"]["properties"]["delegations"][0][
        "properties"] == {"serviceName": "Microsoft.Network/dnsResolvers"}
    assert kept["Microsoft.Network/routeTables/rt-shared-custom"]["tags"]["owner"] == "j.martin"
    application = next(g for g in spec["hub"]["firewall"]["ruleCollectionGroups"] if g["name"] == "DefaultApplicationRuleCollectionGroup")
    assert application["ruleCollections"][0]["rules"][0]["targetFqdns"] == ["*.update.microsoft.com"]
    found = left_out(imported)
    assert found[("networkSecurityGroups nsg-shared", "the resource")] == "left alone"


def test_the_imported_spec_is_checked_like_any_other(imported):
    topology = model.build(imported.spec)
    findings = rules.check(topology, imported.spec)
    assert [f for f in findings if f.severity == "error"] == []
    assert {f.rule_id for f in findings} <= {"FW007", "FW009"}  # the hand-built hub's own gaps, shown not hidden


def test_diff_live_of_the_imported_spec_changes_nothing(imported):
    changes = diff.compare_live(Capture(BROWNFIELD), model.build(imported.spec))
    assert [(c.resource, c.action) for c in changes] == [("nsg-shared", "unmanaged")]
    assert not diff.disruptive(changes)


def test_diff_live_names_every_reset_when_the_spec_drops_what_runs(imported):
    without = json.loads(json.dumps(imported.spec))
    del without["branches"][0]["connection"]
    del without["asDeployed"]["Microsoft.Network/virtualNetworkGateways/vpngw-weu"]
    gateway_table = without["hub"]["vnet"]["subnets"][0]["routeTable"]
    del gateway_table["routes"]
    changes = {(c.resource, c.action): c for c in diff.compare_live(Capture(BROWNFIELD), model.build(without))}
    assert "IPsec/IKE policy" in changes[("conn-s2s-lyon", "modify")].detail  # a spec without it resets it
    assert "point-to-site" in changes[("vpngw-weu", "modify")].detail
    assert "removes 10.30.99.0/24" in changes[("rt-gatewaysubnet", "modify")].detail  # the route added by hand goes
    assert diff.disruptive(list(changes.values()))


def test_diff_live_with_gen_names_refuses_to_create_a_twin(imported):
    """A spec that does not keep an existing connection's name would create a second connection to the same circuit."""
    spec = json.loads(json.dumps(imported.spec))
    del spec["onPremises"][0]["connectionName"]
    changes = diff.compare_live(Capture(BROWNFIELD), model.build(spec))
    twin = next(c for c in changes if c.resource == "ergw-weu-amsterdam")
    assert twin.action == "blocked" and "conn-er-amsterdam" in twin.detail


def test_cli_import_and_diff_live(tmp_path):
    target = tmp_path / "specs" / "hub.json"  # -o makes the folders it needs
    result = run("import", BROWNFIELD, "-o", target)
    assert result.exit_code == 1  # something is left out (the NSG, the unread diagnostic settings)
    assert "left out: networkSecurityGroups nsg-shared: the resource" in result.stderr
    assert json.loads(target.read_text())["name"] == "hub-weu"
    assert run("import", BROWNFIELD, "-o", target).exit_code == 2  # never overwrites by surprise
    as_json = json.loads(run("import", BROWNFIELD, "--format", "json", "-o", tmp_path / "other.json").output)
    assert {"spec", "leftOut", "findings"} <= set(as_json) and as_json["leftOut"]
    assert run("validate", target).exit_code == 0
    live = run("diff", "--live", BROWNFIELD, target)
    assert live.exit_code == 0 and "unmanaged" in live.output
    assert live.output.splitlines()[-1] == "no change to what the spec deploys; 1 resource(s) outside the spec left alone"
    assert run("diff", "--live", BROWNFIELD, "--git", "HEAD", target).exit_code == 2


@pytest.mark.parametrize("damage", ["truncated", "wrong shape", "another type", "duplicate", "no hub"])
def test_a_bad_capture_is_one_line_exit_2_and_nothing_written(tmp_path, damage):
    capture = tmp_path / "capture"
    shutil.copytree(BROWNFIELD, capture)
    vnet = capture / "resources/rg-hub-weu/Microsoft.Network/virtualNetworks/hub-vnet-weu.json"
    if damage == "truncated":
        vnet.write_text(vnet.read_text()[:200])
    elif damage == "wrong shape":
        document = json.loads(vnet.read_text())
        document["properties"]["subnets"] = "GatewaySubnet"
        vnet.write_text(json.dumps(document))
    elif damage == "another type":
        table = capture / "resources/rg-hub-weu/Microsoft.Network/routeTables/rt-app.json"
        vnet.write_text(table.read_text())
    elif damage == "duplicate":
        copy = capture / "resources/rg-other/Microsoft.Network/virtualNetworks/hub-vnet-weu.json"
        copy.parent.mkdir(parents=True)
        shutil.copy(vnet, copy)
    else:
        shutil.rmtree(capture / "resources/rg-hub-weu/Microsoft.Network")
        (capture / "resources/rg-hub-weu/Microsoft.Network").mkdir()
    target = tmp_path / "hub.json"
    result = run("import", capture, "-o", target)
    assert result.exit_code == 2 and "Traceback" not in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not target.exists()


# --- behaviours a mutation round found untested ---------------------------------------------------------------------


def _changed_capture(tmp_path: Path, name: str, change) -> Path:
    capture = tmp_path / "capture"
    shutil.copytree(BROWNFIELD, capture)
    path = next(capture.rglob(f"resources/**/{name}.json"))
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))
    return capture


def test_a_static_connection_whose_lng_still_has_bgp_settings_is_a_static_site(tmp_path):
    """BGP runs on a connection only with enableBgp: a Local Network Gateway's leftover bgpSettings do not make the
    site a BGP site (https://learn.microsoft.com/azure/vpn-gateway/bgp-howto)."""
    capture = _changed_capture(tmp_path, "conn-s2s-lyon", lambda d: d["properties"].update(enableBgp=False))
    site = next(b for b in import_capture(Capture(capture)).spec["branches"] if b["name"] == "lyon-dc")
    assert "bgp" not in site and site["addressPrefixes"]


def test_an_active_standby_hub_gateway_imports_as_one_instance(tmp_path):
    def standby(d):
        d["properties"].update(activeActive=False)
        d["properties"]["ipConfigurations"] = d["properties"]["ipConfigurations"][:1]
        d["properties"]["bgpSettings"]["bgpPeeringAddresses"] = d["properties"]["bgpSettings"]["bgpPeeringAddresses"][:1]
        d["properties"]["bgpSettings"]["bgpPeeringAddress"] = "10.10.0.4"

    capture = _changed_capture(tmp_path, "vpngw-weu", standby)
    gateway = import_capture(Capture(capture)).spec["hub"]["vpnGateway"]
    assert gateway["activeActive"] is False and gateway["ipConfigurationNames"] == ["default"]
    assert model.build(import_capture(Capture(capture)).spec).hub.vpn_gateway.instances == 1
