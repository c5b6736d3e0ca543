"""gen collect and gen verify: a healthy capture built from the model (in the shapes the Azure CLI
really prints, shared/docs/azure-cli-outputs.md) passes; each kind of breakage is reported with its id."""

from __future__ import annotations

import ipaddress
import json
import re
import subprocess
from pathlib import Path

import pytest

from conftest import EXAMPLES, MULTI_SITE, SEED, load_example

HUB_SPOKE = EXAMPLES / "hub-spoke.json"
from generator import model, routing, verify
from test_cli import run, write_spec


def _host(prefix: str, offset: int) -> str:
    return str(ipaddress.ip_network(prefix).network_address + offset)


def _subnet(t, vnet, name) -> str:
    return str(vnet.subnet(name).prefix)


def healthy_capture(t: model.Topology, root: Path, bare_lists: bool = False) -> Path:
    """The capture a healthy deployment of `t` gives, every file in the az shape."""
    def wrap(items: list) -> object:
        return items if bare_lists else {"value": items}

    def write(rel: str, document) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2))

    hub = t.hub
    gateway_subnet = _subnet(t, hub.vnet, "GatewaySubnet")
    hub_bgp = [_host(gateway_subnet, 4), _host(gateway_subnet, 5)]
    route_server = [_host(_subnet(t, hub.vnet, "RouteServerSubnet"), 4), _host(_subnet(t, hub.vnet, "RouteServerSubnet"), 5)]
    branch_bgp = {b.name: _host(_subnet(t, b.vnet, "GatewaySubnet"), 4) for b in t.vnet_branches}
    outputs = {
        "firewallPrivateIpAddress": {"type": "String", "value": t.firewall_private_ip},
        "firewallPrivateIpAddressExpected": {"type": "String", "value": t.firewall_private_ip},
        "firewallPrivateIpAddressMatches": {"type": "Bool", "value": True},
        "hubVpnGatewayBgpPeeringAddress": {"type": "String", "value": ",".join(hub_bgp)},
        "routeServerIps": {"type": "Array", "value": route_server},
        "branchVpnGateways": {"type": "Array", "value": [
            {"name": name, "publicIpAddresses": ["198.51.100.7"], "bgpPeeringAddress": address} for name, address in branch_bgp.items()]},
    }
    write("deployment.json", {"name": t.name, "properties": {"provisioningState": "Succeeded", "outputs": outputs}})
    write("route-server.json", {"allowBranchToBranchTraffic": True, "hubRoutingPreference": "ExpressRoute", "name": hub.route_server.name,
                                "provisioningState": "Succeeded", "routingState": "Provisioned", "sku": "Standard",
                                "virtualRouterAsn": 65515, "virtualRouterIps": route_server})

    def session(local: str, neighbor: str, asn: int, state: str = "Connected") -> dict:
        return {"asn": asn, "connectedDuration": "3.03:14:13.1796961" if state == "Connected" else None, "localAddress": local,
                "messagesReceived": 4995, "messagesSent": 5157, "neighbor": neighbor, "routesReceived": 18, "state": state}

    expected = routing.expected_learned(t)
    er = hub.expressroute_gateway.name
    sessions = {er: [session(_host(gateway_subnet, 12), ip, 65515) for ip in route_server]
                + [session(_host(gateway_subnet, 12), "10.0.4.4", 12076)]}
    sessions[hub.vpn_gateway.name] = [session(local, ip, 65515) for local in hub_bgp for ip in route_server]
    for branch in t.branches:
        if isinstance(branch, model.VnetBranch):
            sessions[hub.vpn_gateway.name] += [session(local, branch_bgp[branch.name], branch.vpn_gateway.asn) for local in hub_bgp]
            sessions[branch.vpn_gateway.name] = [session(branch_bgp[branch.name], ip, 65515) for ip in hub_bgp]
        else:
            sessions[hub.vpn_gateway.name] += [session(local, str(branch.bgp_peering_address), branch.bgp_asn) for local in hub_bgp]
    for gateway, listed in sessions.items():
        write(verify.bgp_status_file(gateway), wrap(listed))
        local = listed[0]["localAddress"]
        learned = [{"asPath": "", "localAddress": local, "network": str(p), "nextHop": None, "origin": "Network",
                    "sourcePeer": local, "weight": 32768} for p in hub.vnet.address_space]
        learned += [{"asPath": "65110-65515", "localAddress": local, "network": p, "nextHop": listed[0]["neighbor"],
                     "origin": "EBgp" if i % 2 else "IBgp", "sourcePeer": listed[0]["neighbor"], "weight": 32768}
                    for i, p in enumerate(expected.get(gateway, []))]
        write(verify.learned_routes_file(gateway), wrap(learned))
    for nic, hop in verify.test_vm_nics(t):
        table = []
        for entry in routing.effective_routes(t)[hop]:
            ip = [t.firewall_private_ip] if entry.next_hop_kind == routing.APPLIANCE else ["13.81.113.28"] if entry.next_hop_kind == routing.GATEWAY else []
            table.append({"addressPrefix": [entry.prefix], "nextHopIpAddress": ip, "nextHopType": entry.next_hop_kind,
                          "source": "User" if entry.origin == "UDR" else "VirtualNetworkGateway" if entry.origin == "BGP" else "Default",
                          "state": "Active" if entry.effective else "Invalid",
                          # The older CLI shape: the propagation flag inside additionalProperties.
                          "additionalProperties": {"disableBgpRoutePropagation": False}})
        write(verify.effective_routes_file(nic), {"nextLink": None, "value": table})
    return root


def with_vms(data: dict) -> dict:
    data["testVms"] = [{"name": "vm-hub", "vnet": "hub", "subnet": "subnet-001"},
                       {"name": "vm-branch1", "vnet": "branch1", "subnet": "subnet-001"}]
    return data


def ids(findings) -> set[tuple[str, str]]:
    return {(f.rule_id, f.path) for f in findings}


@pytest.mark.parametrize("example,bare", [(SEED, False), (SEED, True), (MULTI_SITE, False), (HUB_SPOKE, False)],
                         ids=["seed", "seed-bare-lists", "multi-site", "hub-spoke"])
def test_a_healthy_capture_verifies_clean(tmp_path, example, bare):
    data = with_vms(load_example(example)) if example == SEED else load_example(example)
    t = model.build(data)
    assert verify.verify(t, healthy_capture(t, tmp_path / "capture", bare)) == []
    result = run("verify", write_spec(tmp_path, data), tmp_path / "capture")
    assert result.exit_code == 0, result.output


def _edit(path: Path, change) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


def _seed_capture(tmp_path):
    t = model.build(with_vms(load_example(SEED)))
    return t, healthy_capture(t, tmp_path / "capture")


def test_a_session_connecting_names_both_ends(tmp_path):
    t, capture = _seed_capture(tmp_path)
    _edit(capture / verify.bgp_status_file("vpngw-hub"), lambda d: d["value"][0].update(state="Connecting"))
    found = verify.verify(t, capture)
    assert ("VER002", "vpngw-hub") in ids(found)
    message = next(f.message for f in found if f.rule_id == "VER002")
    assert "vpngw-hub from 10.0.0.4 <-> Route Server ars-hub instance 10.0.1.4 (10.0.1.4): Connecting" in message


def test_a_missing_session_and_a_missing_learned_prefix(tmp_path):
    t, capture = _seed_capture(tmp_path)
    _edit(capture / verify.bgp_status_file("vpngw-branch1"), lambda d: d["value"].clear())
    _edit(capture / verify.learned_routes_file("ergw-hub"), lambda d: d.update(value=[r for r in d["value"] if r["network"] != "10.50.0.0/16"]))
    found = ids(verify.verify(t, capture))
    assert ("VER003", "vpngw-branch1") in found and ("VER004", "ergw-hub") in found


def test_a_more_specific_learned_prefix_skips_the_firewall(tmp_path):
    t, capture = _seed_capture(tmp_path)
    extra = {"asPath": "12076-65001", "localAddress": "10.0.0.12", "network": "10.20.10.0/24", "nextHop": "10.0.4.4",
             "origin": "EBgp", "sourcePeer": "10.0.4.4", "weight": 32769}
    _edit(capture / verify.learned_routes_file("ergw-hub"), lambda d: d["value"].append(extra))
    found = verify.verify(t, capture)
    bypass = next(f for f in found if f.rule_id == "VER005")
    assert bypass.path == "ergw-hub" and "10.20.10.0/24" in bypass.message and "10.20.0.0/16" in bypass.message


def test_an_unknown_learned_prefix_is_a_warning(tmp_path):
    t, capture = _seed_capture(tmp_path)
    extra = {"asPath": "12076-65001", "localAddress": "10.0.0.12", "network": "172.31.0.0/16", "nextHop": "10.0.4.4",
             "origin": "EBgp", "sourcePeer": "10.0.4.4", "weight": 32769}
    _edit(capture / verify.learned_routes_file("ergw-hub"), lambda d: d["value"].append(extra))
    found = verify.verify(t, capture)
    assert [(f.rule_id, f.severity) for f in found] == [("VER006", "warning")]


def test_the_firewall_at_another_address(tmp_path):
    t, capture = _seed_capture(tmp_path)

    def moved(d):
        d["properties"]["outputs"]["firewallPrivateIpAddress"]["value"] = "10.0.3.5"
        d["properties"]["outputs"]["firewallPrivateIpAddressMatches"]["value"] = False

    _edit(capture / "deployment.json", moved)
    found = verify.verify(t, capture)
    assert ("VER001", "afw-hub") in ids(found)


def test_a_nic_route_pointing_elsewhere(tmp_path):
    t, capture = _seed_capture(tmp_path)

    def elsewhere(d):
        for route in d["value"]:
            if route["addressPrefix"] == ["10.20.0.0/16"] and route["state"] == "Active":
                route["nextHopType"] = "VirtualAppliance"
                route["nextHopIpAddress"] = ["10.0.2.50"]

    _edit(capture / verify.effective_routes_file("vm-hub-nic"), elsewhere)
    found = verify.verify(t, capture)
    assert ("VER007", "vm-hub-nic") in ids(found)


def test_a_spoke_nic_that_reaches_on_premises_past_the_firewall(tmp_path):
    """The spoke's route table missing: its VM learns on-premises from the hub's gateways (useRemoteGateways)."""
    t = model.build(load_example(HUB_SPOKE))
    capture = healthy_capture(t, tmp_path / "capture")

    def gateway(d):
        for route in d["value"]:
            if route["addressPrefix"] == ["10.20.0.0/16"] and route["state"] == "Active":
                route.update(source="VirtualNetworkGateway", nextHopType="VirtualNetworkGateway", nextHopIpAddress=["10.0.0.4"])

    _edit(capture / verify.effective_routes_file("vm-spoke-app-nic"), gateway)
    assert ("VER007", "vm-spoke-app-nic") in ids(verify.verify(t, capture))


def test_a_missing_file_is_a_warning_and_a_corrupt_one_exits_2(tmp_path):
    data = with_vms(load_example(SEED))
    t, capture = _seed_capture(tmp_path)
    (capture / verify.learned_routes_file("vpngw-branch1")).unlink()
    found = verify.verify(t, capture)
    assert [(f.rule_id, f.severity, f.file) for f in found] == [("VER008", "warning", verify.learned_routes_file("vpngw-branch1"))]
    spec = write_spec(tmp_path, data)
    assert run("verify", spec, capture).exit_code == 0
    (capture / "deployment.json").write_text("{not json")
    corrupt = run("verify", spec, capture)
    assert corrupt.exit_code == 2 and "deployment.json" in corrupt.stderr
    assert run("verify", spec, tmp_path / "nowhere").exit_code == 2


def test_cli_reports_each_finding_with_its_id_and_resource(tmp_path):
    data = with_vms(load_example(SEED))
    t, capture = _seed_capture(tmp_path)
    _edit(capture / verify.bgp_status_file("ergw-hub"), lambda d: d["value"][0].update(state="Idle"))
    spec = write_spec(tmp_path, data)
    text = run("verify", spec, capture)
    assert text.exit_code == 1 and "error VER002 ergw-hub:" in text.output
    sarif = json.loads(run("verify", spec, capture, "--format", "sarif").output)
    location = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert location.endswith("gateways/ergw-hub/bgp-peer-status.json")
    assert "| error | [VER002]" in run("verify", spec, capture, "--format", "markdown").output


def test_readers_take_every_shape_the_cli_has_printed():
    doc_example = {"value": [{"asPath": "", "localAddress": "10.2.0.4", "network": "10.2.0.0/16", "nextHop": None, "origin": "Network",
                              "sourcePeer": "10.2.0.4", "weight": 32768}]}
    assert verify.entries(doc_example) == verify.entries(doc_example["value"])
    by_instance = {"RouteServiceRole_IN_0": [{"network": "10.1.0.0/16"}], "RouteServiceRole_IN_1": [{"network": "10.1.0.0/16"}]}
    assert len(verify.entries(by_instance)) == 2
    assert verify.entries({"value": by_instance["RouteServiceRole_IN_0"]}) == by_instance["RouteServiceRole_IN_0"]
    assert verify.entries(None) == [] and verify.entries("oops") == []


def test_collect_writes_a_read_only_script_bash_accepts(tmp_path):
    script = tmp_path / "collect.sh"
    assert run("collect", MULTI_SITE, "-o", script, "-g", "rg-weu").exit_code == 0
    text = script.read_text()
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    assert text.splitlines()[3] == "set -euo pipefail" and "RG=rg-weu" in text
    verbs = re.findall(r"\baz ((?:[a-z-]+ )+?)(?:--|\$)", text)
    assert verbs and all(v.split()[-1] in ("show", "list-bgp-peer-status", "list-learned-routes", "list-advertised-routes",
                                           "show-effective-route-table") for v in verbs), verbs
    for rel in ("deployment.json", "route-server.json", verify.bgp_status_file("vpngw-shop-paris"),
                verify.learned_routes_file("ergw-hub-weu"), "advertised-routes/$peer.json"):
        assert rel in text, rel
    printed = run("collect", write_spec(tmp_path, with_vms(load_example(SEED))))
    assert printed.exit_code == 0 and "nics/vm-hub-nic/effective-routes.json az network nic show-effective-route-table" in printed.output
