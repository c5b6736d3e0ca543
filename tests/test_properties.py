"""Property-based tests: random valid topologies compile clean; random breakage never crashes gen.

`make test` runs them derandomized (the same examples every run, no example database), so a
fresh clone gives the same result every time; `make soak` explores with fresh random examples,
ten times as many (HYPOTHESIS_PROFILE=soak, see conftest.py). The compile property is sized for
CI (each example is one compile through the long-lived jsonrpc process).
"""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MULTI_SITE, SEED, examples, load_example
from generator import model, pipeline, render, rules, spec
from generator.provenance import Provenance
from test_rules import resolve

CIRCUIT = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-er/providers/Microsoft.Network/expressRouteCircuits/erc-{}"


@st.composite
def topologies(draw) -> dict:
    """A valid spec: the hub plus a random mix of every option, with non-overlapping addresses."""
    on_premises = draw(st.integers(0, 3))
    vnet_branches = draw(st.integers(0, 3))
    sites = draw(st.integers(0, 2))
    firewall = draw(st.sampled_from([None, "Basic", "Standard", "Premium"]))
    subnets = [
        {"name": "GatewaySubnet", "prefix": "10.0.0.0/26"},
        {"name": "RouteServerSubnet", "prefix": "10.0.0.64/26"},
        {"name": "workload", "prefix": "10.0.1.0/24"},
    ]
    hub: dict = {
        "vnet": {"name": "vnet-hub", "addressSpace": ["10.0.0.0/16"], "subnets": subnets},
        "routeServer": {"name": "ars-hub", "hubRoutingPreference": draw(st.sampled_from(["ExpressRoute", "VpnGateway", "ASPath"]))},
    }
    if on_premises:
        hub["expressRouteGateway"] = {"name": "ergw-hub", "sku": draw(st.sampled_from(["ErGw1AZ", "ErGw2AZ", "ErGw3AZ"]))}
    if vnet_branches or sites:
        hub["vpnGateway"] = {"name": "vpngw-hub", "sku": draw(st.sampled_from(["VpnGw1AZ", "VpnGw2AZ", "VpnGw5AZ"])), "asn": 65515}
    if firewall:
        forced = firewall != "Basic" and draw(st.booleans())
        subnets.append({"name": "AzureFirewallSubnet", "prefix": "10.0.2.0/26"})
        if firewall == "Basic" or forced:
            subnets.append({"name": "AzureFirewallManagementSubnet", "prefix": "10.0.2.64/26"})
        hub["firewall"] = {
            "name": "afw-hub", "tier": firewall, "inspectTransit": draw(st.booleans()), "forcedTunneling": forced,
            "networkRules": [{"name": "allow", "sourceAddresses": ["10.0.0.0/8"], "destinationAddresses": ["*"],
                              "destinationPorts": ["22", "443"], "protocols": ["TCP"]}],
        }
    data = {"name": "prop", "location": draw(st.sampled_from(["japaneast", "westeurope", "eastus2"])), "hub": hub, "onPremises": [], "branches": []}
    for i in range(on_premises):
        data["onPremises"].append({
            "name": f"o{i}", "addressPrefixes": [f"172.{16 + i}.0.0/16"], "expressRouteCircuitId": CIRCUIT.format(i),
            "advertisesDefaultRoute": draw(st.booleans()), "routingWeight": draw(st.integers(0, 100)),
        })
    for i in range(vnet_branches):
        data["branches"].append({
            "name": f"b{i}", "kind": "vnet",
            "vnet": {"name": f"vnet-b{i}", "addressSpace": [f"10.{100 + i}.0.0/16"],
                     "subnets": [{"name": "GatewaySubnet", "prefix": f"10.{100 + i}.0.0/27"}, {"name": "app", "prefix": f"10.{100 + i}.1.0/24"}]},
            "vpnGateway": {"name": f"vpngw-b{i}", "sku": "VpnGw1AZ", "asn": 65001 + i, "activeActive": draw(st.booleans())},
        })
    for i in range(sites):
        site = {"name": f"site{i + 1}", "kind": "site", "addressPrefixes": [f"192.168.{i}.0/24"], "bgp": {"asn": 64600 + i, "peeringAddress": f"192.168.{i}.1"}}
        site.update({"fqdn": f"vpn{i}.example.net"} if draw(st.booleans()) else {"gatewayIpAddress": f"203.0.113.{10 + i}"})
        data["branches"].append(site)
    if draw(st.booleans()):
        data["testVms"] = [{"name": "vm-hub", "vnet": "hub", "subnet": "workload"}]
    return data


@pytest.mark.compiler
@settings(max_examples=examples(12), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=topologies())
def test_random_valid_topologies_compile_with_zero_diagnostics(bicep_rpc, tmp_path_factory, data):
    assert spec.schema_findings(data) == []
    topology = model.build(data)
    assert [f for f in rules.check(topology, data) if f.severity == "error"] == []
    files = render.render(topology, Provenance("gen test", "prop.json", "0" * 64))
    directory = tmp_path_factory.mktemp("prop")
    for rel, text in files.items():
        (directory / rel).parent.mkdir(parents=True, exist_ok=True)
        (directory / rel).write_text(text)
    diagnostics, template = bicep_rpc.compile(directory / "main.bicep")
    param_diagnostics, _ = bicep_rpc.compile_params(directory / "main.bicepparam")
    assert [str(d) for d in diagnostics + param_diagnostics] == []
    assert template is not None


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=12) | st.sampled_from(["10.0.0.0/33", "0.0.0.0/0", "65515", "GatewaySubnet", "hub", ""]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=6,
)


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*path, index))


@st.composite
def mutated_specs(draw) -> dict:
    data = copy.deepcopy(load_example(draw(st.sampled_from([SEED, MULTI_SITE]))))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(data) if p]
        path = draw(st.sampled_from(paths))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "duplicate"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[path[-1]]))
        else:
            parent[path[-1]] = draw(JSON_VALUES)
    return data


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=mutated_specs())
def test_random_mutations_give_findings_or_render_never_a_traceback(tmp_path, data):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(data))
    analysis = pipeline.analyse(path)
    if analysis.topology is not None:
        # gen routes and gen trace work on any schema-valid spec, rule errors or not.
        from generator import routing

        routing.format_routes(routing.effective_routes(analysis.topology))
        routing.transit_matrix(analysis.topology)
    if analysis.clean:
        files = pipeline.render_files(analysis, tmp_path / "out")
        assert "main.bicep" in files
        return
    assert analysis.errors
    known = {r.id for r in rules.all_rules()}
    for finding in analysis.findings:
        assert finding.rule_id in known and finding.message and finding.title and finding.link, finding
        _assert_points_into(data, finding.path)


def _assert_points_into(data: dict, path: str) -> None:
    """A finding's path names the field, or (a missing or defaulted field) an object that holds it."""
    if path == "(spec)":
        return
    try:
        resolve(data, path)
        return
    except (KeyError, IndexError, TypeError):
        pass
    parent = path.rsplit(".", 1)[0] if "." in path else "(spec)"
    assert parent == "(spec)" or isinstance(resolve(data, parent), dict), path
