"""gen collect and gen verify: a healthy capture passes; each kind of breakage (a detached table, a route that
points elsewhere, branch-to-branch off, a session down, hollow evidence) is reported with its id, causes first.

The healthy captures come from tests/azure_standin.py: A STAND-IN FOR AZURE built from the compiled template,
in the shapes `az` prints (its docstring says where each shape comes from).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from azure_standin import SUBSCRIPTION, write_capture
from conftest import EXAMPLES, MULTI_SITE, SEED, compile_rendered, load_example
from generator import capture as captured
from generator import model, verify
from test_cli import run, write_spec

HUB_SPOKE = EXAMPLES / "hub-spoke.json"
pytestmark = pytest.mark.compiler


def with_vms(data: dict) -> dict:
    data["testVms"] = [{"name": "vm-hub", "vnet": "hub", "subnet": "subnet-001"},
                       {"name": "vm-branch1", "vnet": "branch1", "subnet": "subnet-001"}]
    return data


SPECS = {"seed": lambda: with_vms(load_example(SEED)), "multi-site": lambda: load_example(MULTI_SITE),
         "hub-spoke": lambda: load_example(HUB_SPOKE), "vpn-sites": lambda: load_example(EXAMPLES / "vpn-sites.json")}


@pytest.fixture(scope="module")
def compiled(bicep_rpc, tmp_path_factory):
    """Each spec compiled once for the module: (spec data, Topology, template, parameter values)."""
    found = {}

    def get(name: str):
        if name not in found:
            data = SPECS[name]()
            result = compile_rendered(bicep_rpc, data, tmp_path_factory.mktemp(name) / "out")
            found[name] = (data, model.build(data), result.template, result.parameter_values)
        return found[name]

    return get


@pytest.fixture
def healthy(compiled, tmp_path):
    """A healthy capture of one spec in a fresh folder: (Topology, capture folder, spec file)."""
    def make(name: str = "seed"):
        data, t, template, values = compiled(name)
        root = write_capture(tmp_path / "capture", template, values, t)
        return t, root, write_spec(tmp_path, data)

    return make


def ids(findings) -> set[tuple[str, str]]:
    return {(f.rule_id, f.path) for f in findings}


def edit(path: Path, change) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


def resource(root: Path, t: model.Topology, kind: str, name: str) -> Path:
    return root / captured.resource_file(f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-{t.name}/providers/Microsoft.Network/{kind}/{name}")


def subnet(document: dict, name: str) -> dict:
    return next(s for s in document["properties"]["subnets"] if s["name"] == name)


# --- healthy ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SPECS))
def test_a_healthy_capture_verifies_clean(healthy, name):
    t, root, spec = healthy(name)
    assert verify.verify(t, root) == []
    result = run("verify", spec, root)
    assert result.exit_code == 0, result.output
    assert "routes as designed" in result.output


def test_bare_lists_as_older_clis_print_them_verify_clean_too(healthy):
    t, root, _ = healthy()
    for path in root.glob("gateways/**/*.json"):
        edit(path, lambda d: None)
        document = json.loads(path.read_text())
        path.write_text(json.dumps(document["value"]))  # the older CLI shape: a bare list
    assert verify.verify(t, root) == []


# --- the data path ------------------------------------------------------------------------------------------


def test_a_detached_gateway_subnet_table_is_a_cause_with_the_command_that_fixes_it(healthy):
    """What happened to Azure Landing Zones users on redeploy (ALZ-Bicep #512): symmetric, and never inspected."""
    t, root, spec = healthy()
    edit(resource(root, t, "virtualNetworks", "vnet-hub"), lambda d: subnet(d, "GatewaySubnet")["properties"].pop("routeTable"))
    found = verify.verify(t, root)
    assert found[0].rule_id == "VER010" and found[0].path == "vnet-hub/GatewaySubnet"
    assert "firewall never sees it" in found[0].message and "--route-table vnet-hub-GatewaySubnet-rt" in found[0].message
    result = run("verify", spec, root)
    assert result.exit_code == 1 and "VER010 vnet-hub/GatewaySubnet" in result.output


def test_a_route_whose_next_hop_changed(healthy):
    t, root, _ = healthy()

    def elsewhere(document):
        document["properties"]["routes"][0]["properties"]["nextHopIpAddress"] = "10.0.3.9"

    edit(resource(root, t, "routeTables", "vnet-hub-GatewaySubnet-rt"), elsewhere)
    found = verify.verify(t, root)
    assert [(f.rule_id, f.path) for f in found] == [("VER011", "vnet-hub-GatewaySubnet-rt")]
    assert "10.0.3.9" in found[0].message


def test_gateway_route_propagation_off_on_gateway_subnet(healthy):
    t, root, _ = healthy()
    edit(resource(root, t, "routeTables", "vnet-hub-GatewaySubnet-rt"), lambda d: d["properties"].update(disableBgpRoutePropagation=True))
    found = verify.verify(t, root)
    assert ("VER011", "vnet-hub-GatewaySubnet-rt") in ids(found) and "propagation off" in found[0].message


def test_a_table_on_route_server_subnet(healthy):
    t, root, _ = healthy()
    table = "/subscriptions/0/resourceGroups/rg-b2b-azfw/providers/Microsoft.Network/routeTables/someone-elses"
    edit(resource(root, t, "virtualNetworks", "vnet-hub"),
         lambda d: subnet(d, "RouteServerSubnet")["properties"].update(routeTable={"id": table}))
    found = verify.verify(t, root)
    assert ("VER010", "vnet-hub/RouteServerSubnet") in ids(found)
    assert "someone-elses" in found[0].message and "Route Server does not support" in found[0].message


def test_branch_to_branch_off(healthy):
    t, root, _ = healthy()
    edit(root / captured.ROUTE_SERVER, lambda d: d.update(allowBranchToBranchTraffic=False))
    found = verify.verify(t, root)
    assert found[0].rule_id == "VER012" and found[0].severity == "error" and "--allow-b2b-traffic true" in found[0].message
    assert "(1 flow(s) of the design stop: onprem -> branch1)" in found[0].message
    result = run("verify", SEED, root)
    assert result.exit_code == 1 and "VER012" in result.output


def test_a_detached_spoke_table(healthy):
    t, root, _ = healthy("hub-spoke")
    edit(resource(root, t, "virtualNetworks", "vnet-spoke-app"), lambda d: subnet(d, "snet-app")["properties"].pop("routeTable"))
    found = verify.verify(t, root)
    assert found[0].rule_id == "VER010" and found[0].path == "vnet-spoke-app/snet-app"
    assert "past the firewall" in found[0].message


def test_a_designed_resource_that_is_gone(healthy):
    t, root, _ = healthy("multi-site")
    lng = next(root.glob("resources/**/localNetworkGateways/lng-warehouse-lyon.json"))
    lng.unlink()
    assert ("VER014", "lng-warehouse-lyon") in ids(verify.verify(t, root))


def test_a_gateway_that_does_not_advertise_the_branches_to_its_circuits(healthy):
    t, root, _ = healthy()
    advertised = root / captured.advertised_routes_file("ergw-hub", "10.255.255.4")  # the circuit's edge router
    edit(advertised, lambda d: d.update(value=[r for r in d["value"] if r["network"] != "10.50.0.0/16"]))
    found = verify.verify(t, root)
    assert [(f.rule_id, f.path) for f in found] == [("VER013", "ergw-hub")] and "10.50.0.0/16" in found[0].message


# --- BGP and the test VMs -------------------------------------------------------------------------------------


def test_a_session_connecting_names_both_ends(healthy):
    t, root, _ = healthy()
    edit(root / captured.bgp_status_file("vpngw-hub"), lambda d: d["value"][0].update(state="Connecting"))
    found = verify.verify(t, root)
    message = next(f.message for f in found if f.rule_id == "VER002")
    assert re.search(r"vpngw-hub from 10\.0\.0\.4 <-> Route Server ars-hub instance 10\.0\.1\.4 \(10\.0\.1\.4\): Connecting", message)


def test_findings_come_causes_first_with_a_summary(healthy):
    """A session down (the cause) explains prefixes not learned (the effects): the cause is the first line."""
    t, root, spec = healthy()
    edit(root / captured.bgp_status_file("vpngw-branch1"), lambda d: d["value"].clear())
    edit(root / captured.learned_routes_file("ergw-hub"), lambda d: d.update(value=[r for r in d["value"] if r["network"] != "10.50.0.0/16"]))
    found = verify.verify(t, root)
    assert [f.rule_id for f in found][:1] == ["VER003"] and "VER004" in [f.rule_id for f in found]
    lines = run("verify", spec, root).output.splitlines()
    assert "cause(s)" in lines[0] and "effect(s)" in lines[0]
    assert "VER003" in lines[1]


def test_a_more_specific_learned_prefix_skips_the_firewall(healthy):
    t, root, _ = healthy()
    extra = {"asPath": "12076-65001", "localAddress": "10.0.0.12", "network": "10.20.10.0/24", "nextHop": "10.0.4.4",
             "origin": "EBgp", "sourcePeer": "10.0.4.4", "weight": 32769}
    edit(root / captured.learned_routes_file("ergw-hub"), lambda d: d["value"].append(extra))
    bypass = next(f for f in verify.verify(t, root) if f.rule_id == "VER005")
    assert bypass.path == "ergw-hub" and "10.20.10.0/24" in bypass.message and "10.20.0.0/16" in bypass.message


def test_an_unknown_learned_prefix_is_a_warning(healthy):
    t, root, spec = healthy()
    extra = {"asPath": "12076-65001", "localAddress": "10.0.0.12", "network": "172.31.0.0/16", "nextHop": "10.0.4.4",
             "origin": "EBgp", "sourcePeer": "10.0.4.4", "weight": 32769}
    edit(root / captured.learned_routes_file("ergw-hub"), lambda d: d["value"].append(extra))
    assert [(f.rule_id, f.severity) for f in verify.verify(t, root)] == [("VER006", "warning")]
    assert run("verify", spec, root).exit_code == 0


def test_the_firewall_at_another_address(healthy):
    t, root, _ = healthy()

    def moved(d):
        d["properties"]["outputs"]["firewallPrivateIpAddress"]["value"] = "10.0.3.5"
        d["properties"]["outputs"]["firewallPrivateIpAddressMatches"]["value"] = False

    edit(root / captured.DEPLOYMENT, moved)
    assert ("VER001", "afw-hub") in ids(verify.verify(t, root))


def test_a_nic_route_pointing_elsewhere(healthy):
    t, root, _ = healthy()

    def elsewhere(d):
        for route in d["value"]:
            if route["addressPrefix"] == ["10.20.0.0/16"] and route["state"] == "Active":
                route["nextHopType"] = "VirtualAppliance"
                route["nextHopIpAddress"] = ["10.0.2.50"]

    edit(root / captured.effective_routes_file("vm-hub-nic"), elsewhere)
    assert ("VER007", "vm-hub-nic") in ids(verify.verify(t, root))


# --- hollow evidence --------------------------------------------------------------------------------------------


def test_an_empty_capture_folder_fails(tmp_path):
    (tmp_path / "capture").mkdir()
    result = run("verify", write_spec(tmp_path, with_vms(load_example(SEED))), tmp_path / "capture")
    assert result.exit_code == 1 and "VER008" in result.output and "missing piece(s) of evidence" in result.output


def test_a_failed_deployment_fails_first(healthy):
    t, root, _ = healthy()
    edit(root / captured.DEPLOYMENT, lambda d: d["properties"].update(provisioningState="Failed",
                                                                       error={"code": "Conflict", "message": "AnotherOperationInProgress"}))
    found = verify.verify(t, root)
    assert found[0].rule_id == "VER009" and "AnotherOperationInProgress" in found[0].message


def test_an_expressroute_gateway_without_any_session(healthy):
    t, root, spec = healthy()
    edit(root / captured.bgp_status_file("ergw-hub"), lambda d: d["value"].clear())
    found = verify.verify(t, root)
    assert ("VER003", "ergw-hub") in ids(found)
    assert any("ExpressRoute edge" in f.message for f in found)
    assert run("verify", spec, root).exit_code == 1


def test_a_missing_file_is_missing_evidence(healthy):
    t, root, spec = healthy()
    (root / captured.learned_routes_file("vpngw-branch1")).unlink()
    found = verify.verify(t, root)
    assert [(f.rule_id, f.severity, f.file) for f in found] == [("VER008", "error", captured.learned_routes_file("vpngw-branch1"))]
    assert run("verify", spec, root).exit_code == 1


def test_cli_formats(healthy):
    t, root, spec = healthy()
    edit(root / captured.bgp_status_file("ergw-hub"), lambda d: d["value"][0].update(state="Idle"))
    sarif = json.loads(run("verify", spec, root, "--format", "sarif").output)
    location = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert location.endswith("gateways/ergw-hub/bgp-peer-status.json")
    assert "| error | [VER002]" in run("verify", spec, root, "--format", "markdown").output


# --- captures that are not what gen collect writes: one line, exit 2 ---------------------------------------------


BROKEN = {
    "null deployment": (captured.DEPLOYMENT, "null", "holds null"),
    "deployment a list": (captured.DEPLOYMENT, "[1]", "expected an object"),
    "deployment a string": (captured.DEPLOYMENT, '"x"', "expected an object"),
    "outputs a string": (captured.DEPLOYMENT, '{"properties": {"outputs": "x"}}', "properties.outputs is a string"),
    "route server ips of objects": (captured.ROUTE_SERVER, '{"virtualRouterIps": [{}]}', "virtualRouterIps"),
    "route server a list": (captured.ROUTE_SERVER, "[1]", "expected an object"),
    "deeply nested": (captured.learned_routes_file("ergw-hub"), "[" * 1000 + "]" * 1000, "nested too deeply"),
    "surrogate in a state": (captured.bgp_status_file("ergw-hub"), '{"value": [{"neighbor": "10.0.1.4", "state": "\\ud800"}]}',
                             "not valid Unicode"),
    "neighbor a list": (captured.bgp_status_file("ergw-hub"), '{"value": [{"neighbor": ["10.0.1.4"]}]}', "neighbor is a list"),
    "not json": (captured.learned_routes_file("ergw-hub"), "{not json", "not the JSON"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_capture_file_exits_2_naming_it(healthy, name):
    t, root, spec = healthy()
    rel, text, expected = BROKEN[name]
    (root / rel).write_text(text)
    result = run("verify", spec, root)
    assert result.exit_code == 2 and "Traceback" not in result.stderr, result.stderr
    assert rel in result.stderr and expected in result.stderr


def test_a_branch_gateway_name_that_is_a_list_in_the_outputs(healthy):
    t, root, spec = healthy()
    edit(root / captured.DEPLOYMENT, lambda d: d["properties"]["outputs"]["branchVpnGateways"]["value"][0].update(name=["x"]))
    result = run("verify", spec, root)
    assert result.exit_code in (0, 1) and "Traceback" not in result.stderr


@pytest.mark.parametrize("kind", ["directory", "fifo", "loop", "outside"])
def test_a_file_that_is_not_a_regular_file_inside_the_capture_exits_2(healthy, tmp_path, kind):
    t, root, spec = healthy()
    target = root / captured.learned_routes_file("ergw-hub")
    target.unlink()
    if kind == "directory":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(target)
    elif kind == "loop":
        target.symlink_to(target)
    else:
        outside = tmp_path / "secret.json"
        outside.write_text('{"value": []}')
        target.symlink_to(outside)
    result = run("verify", spec, root)
    assert result.exit_code == 2 and "Traceback" not in result.stderr and "learned-routes.json" in result.stderr


def test_a_resource_file_of_another_type_exits_2(healthy):
    t, root, spec = healthy()
    path = resource(root, t, "routeTables", "vnet-hub-GatewaySubnet-rt")
    vnet = json.loads(resource(root, t, "virtualNetworks", "vnet-hub").read_text())
    path.write_text(json.dumps(vnet))
    result = run("verify", spec, root)
    assert result.exit_code == 2 and "not what its path says" in result.stderr


# --- gen collect ------------------------------------------------------------------------------------------------


def test_collect_writes_a_read_only_script_bash_accepts(tmp_path):
    script = tmp_path / "collect.sh"
    assert run("collect", MULTI_SITE, "-o", script, "-g", "rg-weu").exit_code == 0
    text = script.read_text()
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    assert "RESOURCE_GROUPS=(rg-weu)" in text
    verbs = re.findall(r"\baz ((?:[a-z-]+ )+?)(?:--|\$|\")", text)
    assert verbs and all(v.split()[-1] in ("show", "list", "list-bgp-peer-status", "list-learned-routes", "list-advertised-routes",
                                           "show-effective-route-table", "rest") for v in verbs), verbs
    assert all(line.split("az rest ", 1)[1].startswith("--method get ") for line in text.splitlines() if "az rest " in line)
    for rel in ("deployment.json", "route-server.json", "gateways/$gateway/bgp-peer-status.json", "az resource show --ids",
                "advertised-routes/$peer.json", "Network Contributor"):
        assert rel in text, rel
    printed = run("collect", write_spec(tmp_path, with_vms(load_example(SEED))))
    assert printed.exit_code == 0 and "nics/vm-hub-nic/effective-routes.json az network nic show-effective-route-table" in printed.output


def test_collect_of_resource_groups_without_a_spec(tmp_path):
    result = run("collect", "-g", "rg-hub", "-g", "rg-spokes")
    assert result.exit_code == 0 and "RESOURCE_GROUPS=(rg-hub rg-spokes)" in result.output
    assert "deployment.json" not in result.output and "gen import" in result.output
    assert run("collect").exit_code == 2
    assert run("collect", "-g", "").exit_code == 2


def test_collect_refuses_a_spec_with_errors(tmp_path):
    bad = Path(__file__).parent / "fixtures" / "specs" / "bad" / "NAME001-bad-vnet-name.json"
    if not bad.exists():
        bad = next((Path(__file__).parent / "fixtures" / "specs" / "bad").glob("NAME001-*.json"))
    result = run("collect", bad)
    assert result.exit_code == 1 and "NAME001" in result.output


def test_a_hostile_name_never_runs_in_the_collect_script(tmp_path):
    """Whatever a name holds reaches the script as one quoted word. The script is run for real against a stub
    `az` (it prints {} and lists nothing): no command hidden in a name runs. A name that is not an Azure name
    is refused before the script is written (NAME001)."""
    from generator import collect

    stub = tmp_path / "bin" / "az"
    stub.parent.mkdir()
    stub.write_text("#!/bin/sh\necho '{}'\n")
    stub.chmod(0o755)
    env = {**os.environ, "PATH": f"{stub.parent}:{os.environ['PATH']}"}
    for number, hostile in enumerate(("$(touch pwned)", "`touch pwned`", 'a"b', "a'b", "x; touch pwned", "\n$(touch pwned)")):
        text = collect.script(["rg-hub"], f"dep{hostile}", "spec", f"ars{hostile}", (f"vm{hostile}-nic",))
        script = tmp_path / f"collect{number}.sh"
        script.write_text(text)
        ran = subprocess.run(["bash", str(script), "capture"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert ran.returncode == 0, ran.stderr
        assert not (tmp_path / "pwned").exists(), hostile
    data = load_example(SEED)
    data["hub"]["routeServer"]["name"] = "ars$(touch pwned)"
    result = run("collect", write_spec(tmp_path, data))
    assert result.exit_code == 1 and "NAME001" in result.output


def test_drift_of_the_deployed_resources_is_reported_next_to_the_routing_checks(healthy):
    """A SKU changed in the portal and a P2S configuration added by hand: the next redeploy reverts the one and
    removes the other. Both are drift (VER015, warnings): the hub still routes as designed."""
    t, root, spec = healthy()
    edit(resource(root, t, "virtualNetworkGateways", "vpngw-hub"), lambda d: (
        d["properties"]["sku"].update(name="VpnGw2AZ", tier="VpnGw2AZ"),
        d["properties"].update(vpnClientConfiguration={"vpnClientAddressPool": {"addressPrefixes": ["172.30.0.0/24"]}})))
    found = verify.verify(t, root)
    assert {(f.rule_id, f.severity) for f in found} == {("VER015", "warning")}
    messages = " ".join(f.message for f in found)
    assert "VpnGw2AZ -> VpnGw1AZ" in messages and "point-to-site" in messages
    assert run("verify", spec, root).exit_code == 0


# --- a capture taken during a failure ---------------------------------------------------------------------------


@pytest.fixture
def failing(compiled, tmp_path):
    """A capture of a spec taken while `labels` are down (the stand-in's sessions Idle, its routes withdrawn)."""
    from generator.failures import parse

    def make(name: str, *labels: str):
        data, t, template, values = compiled(name)
        root = write_capture(tmp_path / "capture", template, values, t, failed=parse(t, labels))
        return t, root, write_spec(tmp_path, data)

    return make


def seen(findings) -> list:
    return [f for f in findings if f.rule_id == "VER016"]


def test_a_branch_down_is_named_with_the_flows_it_breaks_and_no_route_is_missing_beyond_it(failing):
    t, root, spec = failing("seed", "branch:branch1")
    found = verify.verify(t, root)
    assert [f.path for f in seen(found)] == ["branch:branch1"]
    message = seen(found)[0].message
    assert "onprem -> branch1: broken" in message and "--fail branch:branch1" in message
    rules = {f.rule_id for f in found}
    assert "VER002" in rules  # the cause: the sessions down
    assert not rules & {"VER004", "VER007", "VER013"}  # what the failure withdraws is what it predicts


def test_one_vpn_instance_down_is_named_and_nothing_breaks(failing):
    t, root, _ = failing("seed", "vpn-instance:1")
    found = verify.verify(t, root)
    assert [f.path for f in seen(found)] == ["vpn-instance:1"]
    assert "nothing broken" in seen(found)[0].message
    assert "instance 1 (" in seen(found)[0].message
    assert not {f.rule_id for f in found} & {"VER004", "VER007", "VER013"}


def test_route_server_down_breaks_branch_transit_only(failing):
    t, root, spec = failing("multi-site", "route-server")
    found = verify.verify(t, root)
    assert [f.path for f in seen(found)] == ["route-server"]
    message = seen(found)[0].message
    assert re.search(r"dc-\S+ -> shop-paris: broken", message)  # ExpressRoute <-> VPN transit
    assert "hub/snet-shared -> dc-frankfurt" not in message  # on-premises <-> hub survives
    assert not {f.rule_id for f in found} & {"VER004", "VER013"}
    result = run("verify", spec, root)
    assert result.exit_code == 1 and "VER016" in result.output


def test_a_site_down_is_named_as_trace_names_it(failing):
    t, root, _ = failing("multi-site", "site:warehouse-lyon")
    found = verify.verify(t, root)
    assert [f.path for f in seen(found)] == ["site:warehouse-lyon"]
    assert "-> warehouse-lyon: broken" in seen(found)[0].message


def test_every_circuit_down_is_named(failing):
    t, root, _ = failing("seed", "circuit:onprem")
    found = verify.verify(t, root)
    assert [f.path for f in seen(found)] == ["circuit:onprem"]
    assert not {f.rule_id for f in found} & {"VER004", "VER013"}


def test_routes_the_failure_should_have_withdrawn_are_named(failing, healthy):
    _, healthy_root, _ = healthy()
    before = (healthy_root / captured.learned_routes_file("ergw-hub")).read_text()
    t, root, _ = failing("seed", "branch:branch1")
    (root / captured.learned_routes_file("ergw-hub")).write_text(before)
    message = seen(verify.verify(t, root))[0].message
    assert "still learned" in message and "10.50.0.0/16 at ergw-hub" in message


def test_one_edge_session_of_several_down_is_unclear_and_checked_against_the_whole_design(healthy):
    t, root, _ = healthy("multi-site")
    er = t.hub.expressroute_gateway.name

    def second_edge_down(document):
        edge = next(s for s in document["value"] if s["asn"] == 12076)
        document["value"].append(dict(edge, neighbor="10.255.255.5", state="Idle", connectedDuration=None))

    edit(root / captured.bgp_status_file(er), second_edge_down)
    found = seen(verify.verify(t, root))
    assert len(found) == 1 and "does not say which circuit" in found[0].message


def test_one_device_of_a_site_down_is_named_and_its_site_still_reached(failing):
    t, root, _ = failing("vpn-sites", "site:dc-frankfurt/fra-edge1")
    found = verify.verify(t, root)
    assert [f.path for f in seen(found)] == ["site:dc-frankfurt/fra-edge1"]
    assert "nothing broken" in seen(found)[0].message
    down = [f for f in found if f.rule_id == "VER002"]
    assert down and all("169.254.21.1" in f.message for f in down)  # the device's APIPA address, from each instance
    assert not {f.rule_id for f in found} & {"VER004", "VER013"}


# --- behaviours a mutation round found untested ---------------------------------------------------------------------


def test_a_route_table_id_in_another_letter_case_is_the_same_table(healthy):
    """Azure resource IDs are case-insensitive; az prints group names as the user typed them."""
    t, root, _ = healthy()
    edit(resource(root, t, "virtualNetworks", "vnet-hub"),
         lambda d: subnet(d, "GatewaySubnet")["properties"]["routeTable"].update(
             id=subnet(d, "GatewaySubnet")["properties"]["routeTable"]["id"].upper()))
    assert not [f for f in verify.verify(t, root) if f.rule_id == "VER010"]


def test_a_spoke_table_detached_from_its_second_subnet_is_reported(healthy):
    t, root, _ = healthy("hub-spoke")
    spoke = t.spokes[0]
    assert len(spoke.vnet.subnets) >= 2, "the hub-spoke example's spoke needs two subnets for this test"
    second = spoke.vnet.subnets[1].name
    edit(resource(root, t, "virtualNetworks", spoke.vnet.name), lambda d: subnet(d, second)["properties"].pop("routeTable"))
    found = verify.verify(t, root)
    assert ("VER010", f"{spoke.vnet.name}/{second}") in ids(found)


def test_a_prefix_the_hub_vpn_gateway_does_not_advertise_to_a_site_is_reported(healthy):
    t, root, _ = healthy("multi-site")
    site = next(b for b in t.site_branches if any(d.bgp for d in b.devices))
    peer = str(site.devices[0].bgp_peering_address)
    onprem = str(t.on_premises[0].address_prefixes[0])
    edit(root / captured.advertised_routes_file(t.hub.vpn_gateway.name, peer),
         lambda d: d.update(value=[r for r in d["value"] if r["network"] != onprem]))
    found = [f for f in verify.verify(t, root) if f.rule_id == "VER013"]
    assert found and found[0].path == t.hub.vpn_gateway.name and onprem in found[0].message


def test_a_bgp_peer_without_a_state_is_not_connected(healthy):
    t, root, _ = healthy()
    edit(root / captured.bgp_status_file("vpngw-hub"), lambda d: d["value"][0].pop("state"))
    assert "VER002" in {f.rule_id for f in verify.verify(t, root)}


def test_an_effective_route_without_a_state_is_active_as_older_clis_print_it(healthy):
    t, root, _ = healthy()
    edit(root / captured.effective_routes_file("vm-hub-nic"), lambda d: [route.pop("state", None) for route in d["value"]
                                                                         if route.get("state") == "Active"])
    assert not [f for f in verify.verify(t, root) if f.rule_id == "VER007"]

    def elsewhere(d):
        for route in d["value"]:
            if route["addressPrefix"] == ["10.20.0.0/16"] and "state" not in route:
                route["nextHopType"] = "VirtualAppliance"
                route["nextHopIpAddress"] = ["10.0.2.50"]

    edit(root / captured.effective_routes_file("vm-hub-nic"), elsewhere)
    assert ("VER007", "vm-hub-nic") in ids(verify.verify(t, root))


def test_show_commands_name_the_group_each_gateway_lives_in(compiled, tmp_path):
    """A VNet branch in its own resource group: the command that shows its sessions names that group, not the hub's."""
    data = with_vms(load_example(SEED))
    data["branches"][0]["resourceGroup"] = "rg-branch-one"
    t = model.build(data)
    _, _, template, values = compiled("seed")
    root = write_capture(tmp_path / "capture", template, values, t)
    gateway = next(p for p in (root / "resources").rglob("*.json")
                   if json.loads(p.read_text()).get("name") == "vpngw-branch1"
                   and json.loads(p.read_text())["type"] == "Microsoft.Network/virtualNetworkGateways")
    body = json.loads(gateway.read_text())
    body["id"] = body["id"].replace("/resourceGroups/rg-b2b-azfw/", "/resourceGroups/rg-branch-one/")
    gateway.unlink()
    moved = root / captured.resource_file(body["id"])
    moved.parent.mkdir(parents=True, exist_ok=True)
    moved.write_text(json.dumps(body))
    edit(root / captured.bgp_status_file("vpngw-branch1"), lambda d: d["value"][0].update(state="Idle"))
    message = next(f.message for f in verify.verify(t, root) if f.rule_id == "VER002" and f.path == "vpngw-branch1")
    assert "list-bgp-peer-status --resource-group rg-branch-one --name vpngw-branch1" in message
