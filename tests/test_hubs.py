"""Several hubs (issue 28), on the multi-region example: two hubs in two regions, two circuits in a bow-tie, a VPN
site and a spoke on each hub.

It validates, compiles with 0 errors and 0 warnings, plans with 0 conflicts; a spoke in one region reaches a spoke
in the other through both firewalls, both ways; on-premises reaches every spoke through the spoke's own hub; what
survives the loss of each region, hub, circuit and the peering is stated with its Learn page or as assumed; verify
and import read a capture of both hubs. The capture is the stand-in deployment of the compiled templates
(tests/azure_standin.py: A STAND-IN FOR AZURE, built from what the real compiler produced).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from azure_standin import template_puts, write_hubs_capture
from conftest import MULTI_REGION, SEED, Compiled, load_example, write_files
from generator import capture as captured
from generator import hubs, pipeline, resilience_hubs, routing_hubs, spec
from generator.findings import ERROR
from generator.importer.hubs import import_hubs
from generator.plan import from_template
from generator.plan import hubs as hubs_plan
from generator.verify_hubs import verify_hubs
from test_cli import run, write_spec

FOLDERS = ("weu", "neu", "peerings")
SPOKE_WEU, SPOKE_NEU, ONPREM, PARIS, OSLO = "10.1.16.4", "10.2.16.4", "10.20.0.4", "10.51.0.4", "10.52.0.4"


def analyse(data: dict, tmp_path: Path, name: str = "spec.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return pipeline.analyse(path)


def compile_folder(bicep_rpc, directory: Path) -> Compiled:
    diagnostics, template = bicep_rpc.compile(directory / "main.bicep")
    param_diagnostics, parameters = bicep_rpc.compile_params(directory / "main.bicepparam")
    unformatted = [str(p.relative_to(directory)) for p in
                   sorted([*directory.glob("*.bicep"), *directory.glob("modules/*.bicep"), directory / "main.bicepparam"])
                   if bicep_rpc.format(p) != p.read_text("utf-8")]
    return Compiled(directory, diagnostics + param_diagnostics, template, parameters, unformatted)


@pytest.fixture(scope="module")
def deployed(bicep_rpc, tmp_path_factory):
    """The example rendered, every deployment compiled by the real compiler, and the stand-in capture of both hubs."""
    root = tmp_path_factory.mktemp("hubs")
    analysis = pipeline.analyse(MULTI_REGION)
    out = write_files(pipeline.render_files(analysis, root / "out"), root / "out")
    compiled = {folder: compile_folder(bicep_rpc, out / folder) for folder in FOLDERS}
    capture = write_hubs_capture(root / "capture", analysis.fleet, compiled)
    return analysis, out, compiled, capture


def fresh_capture(deployed, tmp_path: Path) -> Path:
    target = tmp_path / "capture"
    shutil.copytree(deployed[3], target)
    return target


# --- the spec ----------------------------------------------------------------------------------------------------


def test_the_example_validates_clean_and_each_hub_is_the_spec_of_one_hub():
    analysis = pipeline.analyse(MULTI_REGION)
    assert analysis.findings == [] and analysis.several
    weu, neu = analysis.fleet.regions
    assert (weu.name, str(weu.topology.location), str(weu.topology.scope.resource_group)) == ("weu", "westeurope", "rg-hub-weu")
    assert [s.name for s in weu.topology.spokes] == ["spoke-weu-app"] and [b.name for b in neu.topology.branches] == ["site-oslo"]
    # The bow-tie: both circuits at each hub, the local one first with the higher weight.
    assert [(s.name, s.routing_weight) for s in weu.topology.on_premises] == [("onprem-ams", 100), ("onprem-dub", 10)]
    assert [(s.name, s.routing_weight) for s in neu.topology.on_premises] == [("onprem-dub", 100), ("onprem-ams", 10)]
    # One authorization key per connection: a circuit connected to two hubs needs two.
    assert {s.env for t in analysis.fleet.topologies for s in t.secrets if s.env.startswith("ER_AUTH_KEY_")} == {
        "ER_AUTH_KEY_ONPREM_AMS_WEU", "ER_AUTH_KEY_ONPREM_DUB_WEU", "ER_AUTH_KEY_ONPREM_AMS_NEU", "ER_AUTH_KEY_ONPREM_DUB_NEU"}


def test_a_spec_of_one_hub_is_the_one_region_case():
    analysis = pipeline.analyse(SEED)
    assert not analysis.several and analysis.fleet.topologies == (analysis.topology,)
    assert analysis.topology.remote_hubs == ()


@pytest.mark.parametrize("mutate, path, words", [
    (lambda d: d.update(hub={k: v for k, v in d["hubs"][0].items() if k not in ("name", "location", "resourceGroup")}),
     "hubs", "not both"),
    (lambda d: d.update(location="westeurope"), "location", "belongs to each hub"),
])
def test_hub_and_hubs_are_one_or_the_other(tmp_path, mutate, path, words):
    data = load_example(MULTI_REGION)
    mutate(data)
    findings = spec.schema_findings(data)
    assert [(f.rule_id, f.path) for f in findings] == [("SCHEMA", path)] and words in findings[0].message


def test_a_hub_named_on_an_entry_of_a_spec_of_one_hub_is_refused():
    data = load_example(SEED)
    data["onPremises"][0]["hub"] = "weu"
    assert [(f.path, f.rule_id) for f in spec.schema_findings(data)] == [("onPremises[0].hub", "SCHEMA")]


def _rule_findings(data, tmp_path, rule_id):
    return [f for f in analyse(data, tmp_path).findings if f.rule_id == rule_id]


def test_hub001_an_entry_without_its_hub_or_naming_an_unknown_one(tmp_path):
    data = load_example(MULTI_REGION)
    del data["spokes"][0]["hub"]
    data["branches"][1]["hub"] = "ams"
    data["onPremises"][0]["connections"].append({"hub": "weu"})
    data["testVms"].append({"name": "vm-hub", "vnet": "hub", "subnet": "snet-app"})  # "hub" names no hub of several
    found = {(f.path, f.message.split(":")[0]) for f in _rule_findings(data, tmp_path, "HUB001")}
    assert ("testVms[2].vnet", "'hub' is no hub, VNet branch or spoke of this spec") in found
    assert ("spokes[0]", "'spoke-weu-app' names no hub") in found
    assert ("branches[1].hub", "there is no hub 'ams'") in found
    assert ("onPremises[0].connections[2].hub", "hub 'weu' is named twice") in found


def test_hub002_names_repeat_across_hubs(tmp_path):
    data = load_example(MULTI_REGION)
    data["spokes"][1]["name"] = "spoke-weu-app"
    assert [f.path for f in _rule_findings(data, tmp_path, "HUB002")] == ["spokes[1].name"]


def test_hub003_address_spaces_overlap_across_hubs_and_the_finding_names_the_spec_path(tmp_path):
    data = load_example(MULTI_REGION)
    data["spokes"][1]["vnet"]["addressSpace"] = ["10.1.16.0/20"]
    data["spokes"][1]["vnet"]["subnets"][0]["prefix"] = "10.1.16.0/24"
    found = _rule_findings(data, tmp_path, "HUB003")
    assert [f.path for f in found] == ["spokes[1].vnet.addressSpace[0]"] and "hub weu" in found[0].message


def test_hub004_each_hub_needs_a_firewall_inspecting_transit(tmp_path):
    data = load_example(MULTI_REGION)
    del data["hubs"][1]["firewall"]
    assert [f.path for f in _rule_findings(data, tmp_path, "HUB004")] == ["hubs[1].firewall"]


def test_hub005_and_hub006_fastpath_across_regions_and_a_tie_on_weight(tmp_path):
    data = load_example(MULTI_REGION)
    data["onPremises"][0]["fastPath"] = True
    data["onPremises"][0]["connections"][1]["routingWeight"] = 100  # neu: ams and dub both at 100
    assert [f.path for f in _rule_findings(data, tmp_path, "HUB005")] == ["onPremises[0].fastPath"]
    tie = _rule_findings(data, tmp_path, "HUB006")
    assert len(tie) == 1 and "hub neu" in tie[0].message and tie[0].severity == "warning"


def test_a_hubs_own_rule_names_the_spec_path_not_the_projection(tmp_path):
    data = load_example(MULTI_REGION)
    data["hubs"][1]["vpnGateway"]["asn"] = 65010  # Route Server needs 65515 on the hub VPN gateway
    paths = {f.path for f in analyse(data, tmp_path).errors}
    assert "hubs[1].vpnGateway.asn" in paths and not any(p.startswith("hub.") for p in paths)


def test_the_peering_limit_counts_the_other_hubs(tmp_path):
    data = load_example(MULTI_REGION)
    spoke = data["spokes"][0]
    data["spokes"] += [{**spoke, "name": f"s{i}", "vnet": {"name": f"v{i}", "addressSpace": [f"10.{100 + i // 250}.{i % 250}.0/24"],
                                                           "subnets": [{"name": "a", "prefix": f"10.{100 + i // 250}.{i % 250}.0/24"}]}}
                       for i in range(499)]  # 500 spokes on weu + the peering to neu
    assert [f.path for f in _rule_findings(data, tmp_path, "SPOKE002")] == ["spokes"]


# --- rendered, compiled, planned ------------------------------------------------------------------------------------


@pytest.mark.compiler
def test_every_deployment_compiles_with_no_error_or_warning_and_bicep_format_changes_nothing(deployed):
    _, out, compiled, _ = deployed
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == sorted(FOLDERS)
    for folder, result in compiled.items():
        assert [str(d) for d in result.diagnostics if d.level in ("Error", "Warning")] == [], folder
        assert result.unformatted == [], folder


@pytest.mark.compiler
def test_the_peerings_are_forwarded_traffic_without_gateway_transit_one_at_a_time(deployed):
    _, _, compiled, _ = deployed
    template = compiled["peerings"].template
    module = next(r for r in template["resources"].values() if r["type"] == "Microsoft.Resources/deployments")
    assert module["copy"]["batchSize"] == 1  # each direction writes both VNets: one at a time
    puts = template_puts(template, compiled["peerings"].parameter_values, "peerings", "rg-hub-weu")
    assert {(p["name"], p["properties"]["remoteVirtualNetwork"]["id"].rsplit("/", 1)[-1]) for p in puts} == {
        ("vnet-hub-weu-to-vnet-hub-neu", "vnet-hub-neu"), ("vnet-hub-neu-to-vnet-hub-weu", "vnet-hub-weu")}
    for p in puts:
        assert {k: p["properties"][k] for k in ("allowForwardedTraffic", "allowGatewayTransit", "useRemoteGateways")} == {
            "allowForwardedTraffic": True, "allowGatewayTransit": False, "useRemoteGateways": False}
    assert {p["id"].split("/resourceGroups/")[1].split("/")[0] for p in puts} == {"rg-hub-weu", "rg-hub-neu"}


@pytest.mark.compiler
def test_each_hub_writes_its_firewall_routes_to_the_other_and_no_hairpin(deployed):
    _, _, compiled, _ = deployed
    for folder, other_spoke, other_firewall in (("weu", "10.2.16.0/20", "10.2.2.4"), ("neu", "10.1.16.0/20", "10.1.2.4")):
        puts = template_puts(compiled[folder].template, compiled[folder].parameter_values, folder, f"rg-hub-{folder}")
        table = next(p for p in puts if p["name"] == f"vnet-hub-{folder}-AzureFirewallSubnet-rt")
        routes = {(r["properties"]["addressPrefix"], r["properties"]["nextHopType"], r["properties"].get("nextHopIpAddress"))
                  for r in table["properties"]["routes"]}
        assert routes == {("0.0.0.0/0", "Internet", None), (other_spoke, "VirtualAppliance", other_firewall)}
        assert table["properties"]["disableBgpRoutePropagation"] is False  # the firewall learns on-premises
        gateway = next(p for p in puts if p["name"] == f"ergw-{folder}")
        assert gateway["properties"]["allowRemoteVnetTraffic"] is False
        own_firewall = "10.1.2.4" if folder == "weu" else "10.2.2.4"
        spoke = next(p for p in puts if p["name"] == f"vnet-spoke-{folder}-app-rt")
        assert (other_spoke, own_firewall) in {(r["properties"]["addressPrefix"], r["properties"].get("nextHopIpAddress"))
                                               for r in spoke["properties"]["routes"]}


@pytest.mark.compiler
def test_the_plan_deploys_the_hubs_at_once_then_the_peerings_with_no_conflict(deployed):
    _, out, compiled, _ = deployed
    plans = {f: from_template(c.template, c.parameter_values, f, f) for f, c in compiled.items()}
    plan = hubs_plan.of_plans(plans, hubs_plan.deployments(out), "multi-region")
    assert [[name for name, _ in stage] for stage in plan.stages] == [["neu", "weu"], ["peerings"]]
    assert plan.conflicts == []
    assert plan.total_minutes < plan.serial_minutes  # the hubs run at once
    assert plan.total_minutes == pytest.approx(max(plans["weu"].total_minutes, plans["neu"].total_minutes)
                                               + plans["peerings"].total_minutes)


@pytest.mark.compiler
def test_gen_build_and_gen_plan_take_the_folder_of_several_hubs(deployed):
    _, out, _, _ = deployed
    built = run("build", str(out))
    assert built.exit_code == 0, built.output
    assert built.output.count("0 error(s), 0 warning(s)") == 3
    planned = run("plan", str(out))
    assert planned.exit_code == 0 and "stage 1: neu, weu" in planned.output and "stage 2: peerings" in planned.output


# --- traces across hubs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("source, destination, forward", [
    (SPOKE_WEU, SPOKE_NEU, ("afw-weu", "afw-neu")),
    (SPOKE_NEU, SPOKE_WEU, ("afw-neu", "afw-weu")),
])
def test_a_spoke_reaches_the_other_regions_spoke_through_both_firewalls_both_ways(source, destination, forward):
    fleet = pipeline.analyse(MULTI_REGION).fleet
    result = routing_hubs.trace(fleet, source, destination, protocol="TCP", port=443)
    assert result.verdict == "delivered" and result.inspected
    assert result.forward_path.firewalls == forward and result.return_path.firewalls == tuple(reversed(forward))
    assert all(name in result.allowed_by for name in forward)  # each region's policy lets it through
    denied = routing_hubs.trace(fleet, source, destination, protocol="TCP", port=22)
    assert denied.verdict == "denied" and denied.denied_by.startswith(forward[0])


@pytest.mark.parametrize("spoke, gateway, circuit", [(SPOKE_WEU, "ergw-weu", "er-amsterdam"), (SPOKE_NEU, "ergw-neu", "er-dublin")])
def test_on_premises_reaches_every_spoke_through_its_own_hub_and_local_circuit(spoke, gateway, circuit):
    fleet = pipeline.analyse(MULTI_REGION).fleet
    result = routing_hubs.trace(fleet, ONPREM, spoke, protocol="TCP", port=443)
    assert result.verdict == "delivered" and result.inspected
    assert result.forward_path.hops[1] == gateway and len(set(result.forward_path.firewalls)) == 1
    assert any(f"circuit {circuit}" in hop and "weight 100 over 10" in hop for hop in result.return_path.hops)


def test_a_vpn_site_does_not_reach_the_other_region_by_design_and_says_why():
    fleet = pipeline.analyse(MULTI_REGION).fleet
    result = routing_hubs.trace(fleet, PARIS, OSLO)
    assert result.verdict == "no-route" and result.where == "branch:site-paris"
    assert "Route Servers do not carry routes between regions" in result.forward_path.reason
    assert "route-server-faq" in result.forward_path.reason
    assert routing_hubs.trace(fleet, PARIS, ONPREM).verdict == "delivered"  # its own region's transit stays


def test_gen_trace_and_routes_cross_hubs_from_the_cli():
    traced = run("trace", str(MULTI_REGION), "--from", SPOKE_WEU, "--to", SPOKE_NEU, "--protocol", "tcp", "--port", "443")
    assert traced.exit_code == 0 and "afw-weu (10.1.2.4) → afw-neu (10.2.2.4)" in traced.output
    down = run("trace", str(MULTI_REGION), "--from", SPOKE_WEU, "--to", SPOKE_NEU, "--fail", "peering:weu-neu")
    assert down.exit_code == 1 and "black-holed at peering weu-neu" in down.output and "virtual-networks-udr-overview" in down.output
    routes = run("routes", str(MULTI_REGION), "--at", "weu/firewall-subnet")
    assert routes.exit_code == 0 and "VNetGlobalPeering" in routes.output and "afw-neu (10.2.2.4)" in routes.output
    assert "== hub neu" not in routes.output
    bad = run("trace", str(MULTI_REGION), "--from", SPOKE_WEU, "--to", SPOKE_NEU, "--fail", "region:ams")
    assert bad.exit_code == 2 and "region:weu" in bad.stderr


# --- what survives ----------------------------------------------------------------------------------------------


def test_resilience_states_what_survives_each_region_hub_circuit_and_the_peering():
    fleet = pipeline.analyse(MULTI_REGION).fleet
    result = resilience_hubs.analyse(fleet)
    outcomes = {o.failure.label: o for o in result.outcomes}
    assert set(outcomes) == {"region:weu", "region:neu", "hub:weu", "hub:neu", "peering:weu-neu", "circuit:onprem-ams",
                             "circuit:onprem-dub"}
    # A region lost: its own flows go with it, the other region's keep working over either circuit.
    weu = outcomes["region:weu"]
    assert weu.count(resilience_hubs.BROKEN) == 0 and weu.count(resilience_hubs.KEPT) == 3
    kept = {flow for flow, effect, _ in weu.effects if effect == resilience_hubs.KEPT}
    assert "onprem-ams / onprem-dub ↔ spoke-neu-app" in kept
    # A circuit of the bow-tie lost: the other circuit carries the same network to both hubs.
    for circuit in ("circuit:onprem-ams", "circuit:onprem-dub"):
        assert outcomes[circuit].broken == [] and outcomes[circuit].count(resilience_hubs.KEPT) == 7
    assert outcomes["peering:weu-neu"].broken == ["spoke-weu-app ↔ spoke-neu-app (peering weu-neu)"]
    # Each behaviour has its Learn page, or says it is assumed.
    said = resilience_hubs.behaviours(result)
    assert said and all(b.source.startswith("https://learn.microsoft.com/") or b.assumed for b in said)
    assert any(b.assumed and "region" in b.text for b in said)
    assert any("designing-for-disaster-recovery" in b.source for b in said)


def test_a_circuit_down_fails_over_to_the_other_circuit_at_both_hubs():
    fleet = pipeline.analyse(MULTI_REGION).fleet
    failed = routing_hubs.parse_hub_failures(fleet, ["circuit:onprem-ams"])
    result = routing_hubs.trace(fleet, SPOKE_WEU, ONPREM, failed=failed)
    assert result.verdict == "partial" and result.forward_path.hops[-1] == "onprem-dub (10.20.0.4)"
    assert result.return_path.hops[:2] == ("onprem-dub (10.20.0.4)", "ergw-weu")


def test_gen_resilience_of_several_hubs():
    result = run("resilience", str(MULTI_REGION), "--format", "json")
    assert result.exit_code == 0
    document = json.loads(result.output)
    assert document["flows"] == 10 and {o["down"] for o in document["outcomes"]} >= {"region:weu", "circuit:onprem-dub"}


# --- verify and import of both hubs -------------------------------------------------------------------------------


@pytest.mark.compiler
def test_verify_passes_on_the_stand_in_deployment_of_both_hubs(deployed):
    analysis, _, _, capture = deployed
    assert verify_hubs(analysis.fleet, capture) == []
    result = run("verify", str(MULTI_REGION), str(capture))
    assert result.exit_code == 0 and "routes as designed" in result.output


def _edit_resource(capture: Path, hub: str, name: str, change) -> None:
    """Change one captured resource of one hub's folder (its GET body) in place."""
    path = next((capture / hub / "resources").rglob(f"{name}.json"))
    body = json.loads(path.read_text())
    change(body)
    path.write_text(json.dumps(body))



@pytest.mark.compiler
@pytest.mark.parametrize("change, words", [
    (lambda b: b["properties"].update(virtualNetworkPeerings=[]), "has no peering to vnet-hub-weu"),
    (lambda b: b["properties"]["virtualNetworkPeerings"][-1]["properties"].update(peeringState="Initiated"), "is Initiated, not Connected"),
    (lambda b: b["properties"]["virtualNetworkPeerings"][-1]["properties"].update(allowGatewayTransit=True), "allowGatewayTransit is True"),
])
def test_verify_reports_a_peering_between_hubs_missing_half_made_or_lending_its_gateways(deployed, tmp_path, change, words):
    analysis, _, _, _ = deployed
    capture = fresh_capture(deployed, tmp_path)
    _edit_resource(capture, "neu", "vnet-hub-neu", change)
    found = [f for f in verify_hubs(analysis.fleet, capture) if f.rule_id == "VER019"]
    assert len(found) == 1 and found[0].path == "hubs[1].vnet" and words in found[0].message and found[0].severity == ERROR


@pytest.mark.compiler
def test_verify_warns_of_a_gateway_that_accepts_other_vnets_routes_and_of_a_hub_not_captured(deployed, tmp_path):
    analysis, _, _, _ = deployed
    capture = fresh_capture(deployed, tmp_path)
    _edit_resource(capture, "weu", "ergw-weu", lambda b: b["properties"].update(allowRemoteVnetTraffic=True))
    shutil.rmtree(capture / "neu")
    found = {(f.rule_id, f.path) for f in verify_hubs(analysis.fleet, capture)}
    assert ("VER020", "hubs[0].expressRouteGateway") in found and ("VER008", "hubs[1]") in found


@pytest.mark.compiler
def test_a_finding_of_one_hubs_capture_names_the_file_in_that_hubs_folder(deployed, tmp_path):
    analysis, _, _, _ = deployed
    capture = fresh_capture(deployed, tmp_path)
    _edit_resource(capture, "neu", "vnet-hub-neu", lambda b: [s["properties"].pop("routeTable", None) for s in b["properties"]["subnets"]
                                                           if s["name"] == "GatewaySubnet"])
    found = [f for f in verify_hubs(analysis.fleet, capture) if f.rule_id == "VER010"]
    assert found and all(f.path == "vnet-hub-neu/GatewaySubnet" and f.file.startswith("neu/resources/") for f in found)


def _resources(compiled: dict) -> dict:
    """What a deployment of every folder puts, by resource ID (test VMs aside: not part of a hub's design)."""
    found = {}
    for folder, c in compiled.items():
        group = f"rg-hub-{folder}" if folder != "peerings" else "rg-hub-weu"
        for body in template_puts(c.template, c.parameter_values, folder, group):
            if body["type"] not in ("Microsoft.Compute/virtualMachines", "Microsoft.Network/networkInterfaces"):
                found[body["id"].lower()] = json.dumps(body, sort_keys=True, default=str)
    return found


def _adopted(bicep_rpc, capture: Path, tmp_path: Path):
    """The spec gen import writes from a capture of several hubs, checked clean, and what it renders."""
    imported = import_hubs(capture, "multi-region")
    again = analyse(imported.spec, tmp_path)
    assert again.findings == [], again.findings
    rendered = write_files(pipeline.render_files(again, tmp_path / "again"), tmp_path / "again")
    return imported, {folder: compile_folder(bicep_rpc, rendered / folder) for folder in FOLDERS}


@pytest.mark.compiler
def test_import_of_both_hubs_gives_a_spec_of_hubs_that_renders_what_runs(deployed, bicep_rpc, tmp_path):
    """Adopting is a no-op: the imported spec renders to the same resources the capture holds (test VMs are not part of
    a hub's design: import leaves them alone, and says so)."""
    _, _, compiled, capture = deployed
    imported, again = _adopted(bicep_rpc, capture, tmp_path)
    data = imported.spec
    assert [h["name"] for h in data["hubs"]] == ["neu", "weu"]
    ams = next(s for s in data["onPremises"] if s["name"] == "onprem-ams")
    assert sorted((c["hub"], c["routingWeight"]) for c in ams["connections"]) == [("neu", 10), ("weu", 100)]
    assert {s["name"]: s["hub"] for s in data["spokes"]} == {"spoke-weu-app": "weu", "spoke-neu-app": "neu"}
    firewall_subnet = next(s for h in data["hubs"] for s in h["vnet"]["subnets"] if s["name"] == "AzureFirewallSubnet")
    assert "routes" not in firewall_subnet.get("routeTable", {})  # the routes between hubs are gen's design again
    assert {item.resource.split()[0] for item in imported.left_out} == {"connections", "virtualMachines", "networkInterfaces"}
    assert _resources(again) == _resources(compiled)
    # The routes of what the compiled templates deployed (read back from the stand-in) carry the same traffic: spoke to
    # spoke through both firewalls both ways, on-premises to each spoke through that spoke's own hub.
    fleet = analyse(data, tmp_path, "adopted.json").fleet
    for source, destination, firewalls in ((SPOKE_WEU, SPOKE_NEU, ("afw-weu", "afw-neu")), (SPOKE_NEU, SPOKE_WEU, ("afw-neu", "afw-weu"))):
        result = routing_hubs.trace(fleet, source, destination, protocol="TCP", port=443)
        assert (result.verdict, result.forward_path.firewalls, result.return_path.firewalls) == (
            "delivered", firewalls, tuple(reversed(firewalls)))
    for spoke, gateway in ((SPOKE_WEU, "ergw-weu"), (SPOKE_NEU, "ergw-neu")):
        result = routing_hubs.trace(fleet, ONPREM, spoke, protocol="TCP", port=443)
        assert result.verdict == "delivered" and result.forward_path.hops[1] == gateway


@pytest.mark.compiler
def test_import_keeps_the_tags_each_hub_runs_with(bicep_rpc, tmp_path):
    data = load_example(MULTI_REGION)
    data["tags"] = {"env": "prod", "owner": "network"}
    data["hubs"][1]["tags"] = {"owner": "network-neu"}
    analysis = analyse(data, tmp_path, "tagged.json")
    out = write_files(pipeline.render_files(analysis, tmp_path / "out"), tmp_path / "out")
    compiled = {folder: compile_folder(bicep_rpc, out / folder) for folder in FOLDERS}
    capture = write_hubs_capture(tmp_path / "capture", analysis.fleet, compiled)
    imported, again = _adopted(bicep_rpc, capture, tmp_path)
    assert imported.spec["tags"] == {"env": "prod"}
    assert {h["name"]: h.get("tags") for h in imported.spec["hubs"]} == {"neu": {"owner": "network-neu"}, "weu": {"owner": "network"}}
    assert _resources(again) == _resources(compiled)


@pytest.mark.compiler
def test_gen_import_and_collect_of_several_hubs_from_the_cli(deployed, tmp_path):
    _, _, _, capture = deployed
    result = run("import", str(capture), "--name", "multi-region", "-o", str(tmp_path / "hubs.json"))
    assert result.exit_code == 1 and "leaves 6 thing(s) out" in result.stderr  # the test VMs and the assumed prefixes
    assert "hubs" in json.loads((tmp_path / "hubs.json").read_text())
    script = run("collect", str(MULTI_REGION))
    assert script.exit_code == 0 and '"$CAPTURE"/weu' in script.output and '"$CAPTURE"/neu' in script.output
    assert run("collect", str(MULTI_REGION), "-g", "rg-x").exit_code == 2


# --- the rest of the commands -------------------------------------------------------------------------------------


def test_gen_diff_compares_hub_by_hub_with_the_cost_of_both(tmp_path):
    data = load_example(MULTI_REGION)
    data["spokes"][1]["vnet"]["subnets"].append({"name": "snet-db", "prefix": "10.2.17.0/24"})
    new = write_spec(tmp_path, data)
    result = run("diff", str(MULTI_REGION), str(new))
    assert result.exit_code == 0 and "create" in result.output and "vnet-spoke-neu-app/snet-db" in result.output
    assert run("diff", str(SEED), str(MULTI_REGION)).exit_code == 2  # a hub removed is not a diff
    # A third hub: its deployment is new, and so are its peerings with both others.
    third = load_example(MULTI_REGION)
    hub = json.loads(json.dumps(third["hubs"][1]).replace("neu", "frc").replace("10.2.", "10.3."))
    hub["location"] = "francecentral"
    third["hubs"].append(hub)
    added = run("diff", str(MULTI_REGION), str(write_spec(tmp_path, third, "third.json")), "--format", "json")
    created = [c["resource"] for c in json.loads(added.output)["changes"] if c["type"].endswith("virtualNetworkPeerings")]
    assert sorted(created) == ["vnet-hub-frc/vnet-hub-frc-to-vnet-hub-neu", "vnet-hub-frc/vnet-hub-frc-to-vnet-hub-weu",
                               "vnet-hub-neu/vnet-hub-neu-to-vnet-hub-frc", "vnet-hub-weu/vnet-hub-weu-to-vnet-hub-frc"]


def test_gen_cost_adds_every_hubs_lines():
    result = run("cost", str(MULTI_REGION))
    assert result.exit_code == 0 and "ergw-weu" in result.output and "ergw-neu" in result.output


def test_the_readme_of_the_hubs_shows_both_hubs_the_deploy_order_and_what_each_side_learns():
    analysis = pipeline.analyse(MULTI_REGION)
    text = pipeline.render_files(analysis, Path("out/multi-region"))["README.md"]
    assert "| weu | westeurope | rg-hub-weu |" in text and "| neu | northeurope | rg-hub-neu |" in text
    deploy = text.split("```sh")[1].split("```")[0]
    assert deploy.index("weu/main.bicepparam") < deploy.index("wait") < deploy.index("peerings/main.bicepparam")
    assert "-n multi-region-weu " in deploy and "-n multi-region-peerings " in deploy  # a deployment name each
    assert "Route Servers do not exchange routes over peering" in text and "by design" in text
    assert "hub_weu <-->" in text  # the diagram joins the hubs


def test_device_config_of_a_site_comes_from_its_own_hub():
    result = run("device-config", str(MULTI_REGION), "site-oslo", "--vendor", "strongswan")
    assert result.exit_code == 0 and "vpngw-neu" in result.output


def test_gen_init_offers_the_multi_region_example(tmp_path):
    result = run("init", str(tmp_path / "hubs.json"), "--example", "multi-region")
    assert result.exit_code == 0 and "hubs" in json.loads((tmp_path / "hubs.json").read_text())
    assert run("validate", str(tmp_path / "hubs.json")).exit_code == 0


def test_the_projection_translates_paths_back_to_the_spec():
    fleet = hubs.build(load_example(MULTI_REGION))
    neu = fleet.region("neu")
    assert neu.spec_path("hub.vpnGateway.asn") == "hubs[1].vpnGateway.asn"
    assert neu.spec_path("spokes[0].vnet") == "spokes[1].vnet"
    assert neu.spec_path("onPremises[0].routingWeight") == "onPremises[1].connections[0].routingWeight"
    assert hubs.translate_text("see spokes[0] and hub.firewall", neu.paths) == "see spokes[1] and hubs[1].firewall"


def test_as_deployed_goes_to_the_hub_that_renders_it_and_a_stray_key_is_reported_once(tmp_path):
    data = load_example(MULTI_REGION)
    data["asDeployed"] = {"Microsoft.Network/virtualNetworks/vnet-hub-neu": {"tags": {"owner": "neu-team"}},
                          "Microsoft.Network/virtualNetworks/vnet-nowhere": {"tags": {"a": "b"}}}
    analysis = analyse(data, tmp_path)
    weu, neu = analysis.fleet.regions
    assert [str(e.key) for e in neu.topology.as_deployed] == ["Microsoft.Network/virtualNetworks/vnet-hub-neu"]
    assert [(f.rule_id, f.path) for f in analysis.findings] == [("ASD001", "asDeployed.Microsoft.Network/virtualNetworks/vnet-nowhere")]


def test_a_hubs_own_tags_go_over_the_specs(tmp_path):
    data = load_example(MULTI_REGION)
    data["tags"] = {"env": "prod", "owner": "network"}
    data["hubs"][1]["tags"] = {"owner": "network-neu"}
    fleet = analyse(data, tmp_path).fleet
    assert dict(fleet.region("weu").topology.tags) == {"env": "prod", "owner": "network"}
    assert dict(fleet.region("neu").topology.tags) == {"env": "prod", "owner": "network-neu"}


def test_hub007_a_route_table_kept_as_it_runs_without_the_routes_between_hubs(tmp_path):
    data = load_example(MULTI_REGION)
    subnet = next(s for s in data["hubs"][0]["vnet"]["subnets"] if s["name"] == "AzureFirewallSubnet")
    subnet["routeTable"] = {"name": "rt-afw", "onlyTheseRoutes": True,
                            "routes": [{"name": "default", "addressPrefix": "0.0.0.0/0", "nextHopType": "Internet"}]}
    found = _rule_findings(data, tmp_path, "HUB007")
    assert [(f.path, f.severity) for f in found] == [("hubs[0].vnet", "warning")] and "10.2.16.0/20" in found[0].message
    fleet = analyse(data, tmp_path).fleet
    assert routing_hubs.trace(fleet, SPOKE_WEU, SPOKE_NEU).verdict != "delivered"  # what the warning warns of
    assert _rule_findings(load_example(MULTI_REGION), tmp_path, "HUB007") == []


# --- what a review found: each is a finding, an output or a verdict now -----------------------------------------


@pytest.mark.parametrize("mutate, path", [
    (lambda d: d["hubs"][1]["firewall"].update(name="afw-weu"), "hubs[1].firewall.name"),  # traces, policy, diff by name
    (lambda d: d["hubs"][1]["vnet"].update(name="vnet-hub-weu"), "hubs[1].vnet.name"),
    (lambda d: d["hubs"][1].update(name="peerings"), "hubs[1].name"),  # the folder of the peerings
    (lambda d: d["spokes"][1].update(name="weu"), "spokes[1].name"),  # a hub's name is a test VM's place too
])
def test_hub002_names_of_hubs_and_their_resources_are_unique(tmp_path, mutate, path):
    data = load_example(MULTI_REGION)
    mutate(data)
    assert path in [f.path for f in _rule_findings(data, tmp_path, "HUB002")]


def test_hub008_every_hub_gives_its_subscription_or_none(tmp_path):
    data = load_example(MULTI_REGION)
    data["hubs"][0]["subscriptionId"] = "11111111-1111-1111-1111-111111111111"
    assert [f.path for f in _rule_findings(data, tmp_path, "HUB008")] == ["hubs[1]"]
    data["hubs"][1]["subscriptionId"] = "22222222-2222-2222-2222-222222222222"
    assert _rule_findings(data, tmp_path, "HUB008") == []
    peerings = pipeline.render_files(analyse(data, tmp_path), tmp_path / "out")["peerings/main.bicepparam"]
    assert "remoteSubscriptionId: '22222222-2222-2222-2222-222222222222'" in peerings


def test_hub003_an_on_premises_network_that_is_another_hubs_spoke(tmp_path):
    data = load_example(MULTI_REGION)
    data["onPremises"].append({"name": "onprem-x", "hub": "weu", "addressPrefixes": ["10.2.16.0/20"],
                               "expressRouteCircuitId": data["onPremises"][0]["expressRouteCircuitId"] + "x"})
    found = _rule_findings(data, tmp_path, "HUB003")
    assert [f.path for f in found] == ["onPremises[2].addressPrefixes[0]"] and "spoke 'spoke-neu-app'" in found[0].message


def test_a_hub_with_spokes_only_is_not_told_to_stop_inspecting(tmp_path):
    data = load_example(MULTI_REGION)
    data["onPremises"] = [dict(s, connections=[c for c in s["connections"] if c["hub"] == "weu"]) for s in data["onPremises"]]
    data["branches"] = [b for b in data["branches"] if b["hub"] == "weu"]
    del data["hubs"][1]["expressRouteGateway"], data["hubs"][1]["vpnGateway"], data["hubs"][1]["routeServer"]
    data["hubs"][1]["vnet"]["subnets"] = [s for s in data["hubs"][1]["vnet"]["subnets"] if s["name"] == "AzureFirewallSubnet"]
    analysis = analyse(data, tmp_path)
    assert not [f for f in analysis.findings if f.rule_id == "FW005"] and not analysis.errors, analysis.findings
    assert routing_hubs.trace(analysis.fleet, SPOKE_WEU, SPOKE_NEU, protocol="TCP", port=443).verdict == "delivered"


def test_a_hubs_tag_is_reported_at_the_hubs_tags(tmp_path):
    data = load_example(MULTI_REGION)
    data["hubs"][1]["tags"] = {"bad<key": "x"}
    paths = [f.path for f in analyse(data, tmp_path).findings]
    assert paths and all(p.startswith("hubs[1].tags") for p in paths), paths


def test_the_costs_of_each_hubs_public_ips_are_lines_of_their_own():
    result = run("cost", str(MULTI_REGION))
    assert "Standard public IP addresses of hub weu" in result.output and "of hub neu" in result.output
    assert "the hubs are in westeurope, northeurope" in result.output and "global VNet peering transfer" in result.output


def test_no_route_across_hubs_says_the_cause_it_has():
    fleet = pipeline.analyse(MULTI_REGION).fleet
    hub_subnet = routing_hubs.trace(fleet, "10.1.0.10", SPOKE_NEU)  # the weu GatewaySubnet's range: a hub address
    assert hub_subnet.verdict == "no-route" and "peering is not transitive" in hub_subnet.forward_path.reason
    assert "Route Servers" not in hub_subnet.forward_path.reason
    onprem = routing_hubs.trace(fleet, ONPREM, SPOKE_NEU)
    assert routing_hubs.LOCAL_CIRCUIT_ASSUMED in onprem.assumptions  # which circuit on-premises takes is its choice


def test_the_readme_of_hubs_without_route_server_says_what_their_sites_learn(tmp_path):
    data = load_example(MULTI_REGION)
    del data["hubs"][1]["routeServer"]
    data["hubs"][1]["vnet"]["subnets"] = [s for s in data["hubs"][1]["vnet"]["subnets"] if s["name"] != "RouteServerSubnet"]
    text = pipeline.render_files(analyse(data, tmp_path), tmp_path / "out")["README.md"]
    row = next(line for line in text.splitlines() if line.startswith("| site-oslo"))
    assert "no Route Server exchanges ExpressRoute and VPN routes here" in row and "branch-to-branch" not in row


@pytest.mark.compiler
def test_diff_live_of_hubs_a_new_hub_is_all_created_and_the_peerings_are_not_unmanaged(deployed, tmp_path):
    _, _, _, capture = deployed
    same = run("diff", "--live", str(capture), str(MULTI_REGION), "--format", "json")
    changes = json.loads(same.output)["changes"]
    assert not [c for c in changes if c["type"].endswith("virtualNetworkPeerings")], changes
    third = load_example(MULTI_REGION)
    hub = json.loads(json.dumps(third["hubs"][1]).replace("neu", "frc").replace("10.2.", "10.3."))
    third["hubs"].append(hub)
    grown = run("diff", "--live", str(capture), str(write_spec(tmp_path, third)), "--format", "json")
    assert grown.exit_code in (0, 1), grown.stderr
    created = {c["resource"] for c in json.loads(grown.output)["changes"] if c["action"] == "create"}
    assert "vnet-hub-frc" in created


@pytest.mark.compiler
def test_verify_knows_a_peering_to_a_vnet_of_the_same_name_elsewhere_is_not_the_hubs(deployed, tmp_path):
    analysis, _, _, _ = deployed
    capture = fresh_capture(deployed, tmp_path)
    _edit_resource(capture, "weu", "vnet-hub-weu", lambda b: b["properties"]["virtualNetworkPeerings"][-1]["properties"][
        "remoteVirtualNetwork"].update(id=b["properties"]["virtualNetworkPeerings"][-1]["properties"]["remoteVirtualNetwork"][
            "id"].replace("rg-hub-neu", "rg-elsewhere")))
    found = [f for f in verify_hubs(analysis.fleet, capture) if f.rule_id == "VER019"]
    assert [f.path for f in found] == ["hubs[0].vnet"] and "has no peering to vnet-hub-neu" in found[0].message


@pytest.mark.compiler
def test_a_gateway_that_runs_with_remote_vnet_traffic_on_keeps_it_when_adopted(deployed, bicep_rpc, tmp_path):
    """gen writes allowRemoteVnetTraffic: false; a running gateway with it on (made before May 2024) is adopted as it runs:
    import keeps the value (asDeployed), the render writes it, and verify warns what it means between hubs (VER020)."""
    analysis, _, _, _ = deployed
    capture = fresh_capture(deployed, tmp_path)
    _edit_resource(capture, "weu", "ergw-weu", lambda b: b["properties"].update(allowRemoteVnetTraffic=True))
    imported, again = _adopted(bicep_rpc, capture, tmp_path)
    kept = {k: v for k, v in imported.spec["asDeployed"].items() if k.endswith("virtualNetworkGateways/ergw-weu")}
    assert [v["properties"] for v in kept.values()] == [{"allowRemoteVnetTraffic": True}]
    puts = template_puts(again["weu"].template, again["weu"].parameter_values, "weu", "rg-hub-weu")
    assert next(p for p in puts if p["name"] == "ergw-weu")["properties"]["allowRemoteVnetTraffic"] is True
    assert ("VER020", "hubs[0].expressRouteGateway") in {(f.rule_id, f.path) for f in verify_hubs(analysis.fleet, capture)}


# --- a second review: captures of several hubs as users will make them ---------------------------------------------


@pytest.mark.compiler
def test_import_refuses_hub_folders_it_cannot_name_or_count(deployed, tmp_path):
    capture = fresh_capture(deployed, tmp_path)
    (capture / "weu").rename(capture / "WEU")
    with pytest.raises(Exception, match="named as its hub"):
        import_hubs(capture)
    shutil.rmtree(capture / "WEU")
    with pytest.raises(Exception, match="import the hub alone"):
        import_hubs(capture)


@pytest.mark.compiler
def test_import_lists_a_peering_to_a_third_vnet_whose_name_looks_like_a_hubs(deployed, tmp_path):
    capture = fresh_capture(deployed, tmp_path)

    def third(body):
        peering = json.loads(json.dumps(body["properties"]["virtualNetworkPeerings"][-1]))
        peering["name"] = "vnet-hub-weu-to-vnet-hub-neu-dr"
        peering["id"] = peering["id"].rsplit("/", 1)[0] + "/" + peering["name"]
        peering["properties"]["remoteVirtualNetwork"]["id"] = peering["properties"]["remoteVirtualNetwork"]["id"].replace(
            "rg-hub-neu", "rg-dr").replace("vnet-hub-neu", "vnet-hub-neu-dr")
        body["properties"]["virtualNetworkPeerings"].append(peering)
    _edit_resource(capture, "weu", "vnet-hub-weu", third)
    left = [item.resource for item in import_hubs(capture, "multi-region").left_out]
    assert any(r.endswith("vnet-hub-weu/vnet-hub-weu-to-vnet-hub-neu-dr") for r in left)
    assert not any(r.endswith("vnet-hub-weu/vnet-hub-weu-to-vnet-hub-neu") for r in left)  # the hubs' own: gen's design


@pytest.mark.compiler
def test_verify_and_diff_live_of_a_capture_that_is_not_there_or_swapped(deployed, tmp_path):
    analysis, _, _, _ = deployed
    assert run("verify", str(MULTI_REGION), str(tmp_path / "typo")).exit_code == 2
    assert run("diff", "--live", str(tmp_path / "typo"), str(MULTI_REGION)).exit_code == 2
    capture = fresh_capture(deployed, tmp_path)
    (capture / "weu").rename(capture / "tmp")
    (capture / "neu").rename(capture / "weu")
    (capture / "tmp").rename(capture / "neu")
    found = verify_hubs(analysis.fleet, capture)
    assert [(f.rule_id, f.path) for f in found] == [("VER008", "hubs[0]"), ("VER008", "hubs[1]")]
    assert "are two folders swapped?" in found[0].message


@pytest.mark.compiler
def test_verify_reads_a_peering_without_properties_as_missing_not_a_crash(deployed, tmp_path):
    analysis, _, _, _ = deployed
    capture = fresh_capture(deployed, tmp_path)
    _edit_resource(capture, "neu", "vnet-hub-neu", lambda b: b["properties"]["virtualNetworkPeerings"][-1].update(properties=None))
    found = [f for f in verify_hubs(analysis.fleet, capture) if f.rule_id == "VER019"]
    assert [f.path for f in found] == ["hubs[1].vnet"]


def test_the_collect_script_of_hubs_in_their_subscriptions_reads_each_hubs_deployment_there(tmp_path):
    data = load_example(MULTI_REGION)
    data["hubs"][0]["subscriptionId"] = "11111111-1111-1111-1111-111111111111"
    data["hubs"][1]["subscriptionId"] = "22222222-2222-2222-2222-222222222222"
    script = run("collect", str(write_spec(tmp_path, data))).output
    assert 'RESOURCE_GROUPS=(11111111-1111-1111-1111-111111111111/rg-hub-weu)' in script
    assert 'az deployment group show --resource-group "$HUB_GROUP" "${HUB_SUBSCRIPTION[@]}" --name multi-region-weu' in script
    assert script.rstrip().endswith('run gen verify SPEC $CAPTURE"') and script.count("captured into") == 1


def test_the_deploy_commands_of_the_hubs_parse_whatever_a_resource_group_is_named(tmp_path):
    data = load_example(MULTI_REGION)
    data["hubs"][0]["resourceGroup"] = "rg-hub.(weu)_x"  # schema-valid: parentheses and dots
    files = pipeline.render_files(analyse(data, tmp_path), tmp_path / "out")
    for name in ("README.md", "weu/README.md"):
        blocks = [b.split("\n", 1)[1] for b in files[name].split("```sh")[1:]]
        for block in blocks:
            script = block.split("```")[0]
            checked = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
            assert checked.returncode == 0, (name, checked.stderr, script)
    assert "-g 'rg-hub.(weu)_x' -n multi-region-weu" in files["README.md"]


@pytest.mark.compiler
def test_gen_check_with_a_capture_of_both_hubs_reports_what_verify_finds_in_every_format(deployed, tmp_path):
    capture = fresh_capture(deployed, tmp_path)
    _edit_resource(capture, "neu", "vnet-hub-neu", lambda b: b["properties"].update(virtualNetworkPeerings=[]))
    text = run("check", str(MULTI_REGION), "--capture", str(capture))
    assert text.exit_code == 1 and "VER019" in text.output and f"{capture}/neu/resources/" in text.output
    sarif = json.loads(run("check", str(MULTI_REGION), "--capture", str(capture), "--format", "sarif").output)
    results = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "VER019"]
    where = results[0]["locations"][0]["physicalLocation"] if results else {}
    # A finding about the spec's hub is annotated at the spec's line of hubs[1].vnet.
    assert where["artifactLocation"]["uri"] == str(MULTI_REGION) and where["region"]["startLine"] > 1


def test_a_trace_of_several_hubs_takes_the_internet_as_a_hubs_own_trace_does():
    fleet = pipeline.analyse(MULTI_REGION).fleet
    out = routing_hubs.trace(fleet, SPOKE_WEU, "8.8.8.8")
    assert out.verdict == "delivered" and out.return_path.hops == tuple(reversed(out.forward_path.hops))
    assert "replies from the Internet come back the way the flow left the VNet" in " ".join(out.assumptions)  # not inspected
    with pytest.raises(ValueError, match="is on the Internet"):
        routing_hubs.trace(fleet, "8.8.8.8", SPOKE_WEU)
    assert run("trace", str(MULTI_REGION), "--from", "8.8.8.8", "--to", SPOKE_WEU).exit_code == 2
