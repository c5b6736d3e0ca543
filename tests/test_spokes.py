"""Spokes and firewall logs: a hub with two spokes renders, compiles clean, plans without conflict, and
routes every spoke to every site and branch through the firewall both ways; the logs compile and the
output README holds the query that shows the transit."""

from __future__ import annotations

import copy

import pytest

from arm import by_type, module_param, module_template, modules
from conftest import EXAMPLES, compile_rendered, load_example, variant
from generator import model, plan, routing, rules
from test_plan import _drop_depends_on, _plan_of

HUB_SPOKE = EXAMPLES / "hub-spoke.json"
SPOKE_HOSTS = {"spoke-app": "10.60.1.4", "spoke-shared": "10.61.1.4"}
SITE_HOSTS = {"onprem": "10.20.1.4", "branch1": "10.50.1.4"}
EXISTING_WORKSPACE = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-logs/providers/"
                      "Microsoft.OperationalInsights/workspaces/central")


def hub_spoke(mutate=lambda d: None) -> dict:
    return variant(load_example(HUB_SPOKE), mutate)


@pytest.fixture(scope="module")
def compiled(bicep_rpc, tmp_path_factory):
    return compile_rendered(bicep_rpc, hub_spoke(), tmp_path_factory.mktemp("hub-spoke"), "hub-spoke.json")


# --- routing: no compiler needed ----------------------------------------------------------------------


@pytest.mark.parametrize("spoke", sorted(SPOKE_HOSTS))
@pytest.mark.parametrize("site", sorted(SITE_HOSTS))
def test_each_spoke_reaches_each_site_and_branch_through_the_firewall_both_ways(spoke, site):
    t = model.build(hub_spoke())
    for source, destination in ((SPOKE_HOSTS[spoke], SITE_HOSTS[site]), (SITE_HOSTS[site], SPOKE_HOSTS[spoke])):
        result = routing.trace(t, source, destination, protocol="TCP", port=443)
        assert (result.verdict, result.inspected) == ("delivered", True), result.render()
        assert "afw-hub (10.0.3.4)" in result.forward and "afw-hub (10.0.3.4)" in result.back


def test_spokes_are_hops_of_their_own_in_the_transit_matrix():
    pairs = routing.transit_matrix(model.build(hub_spoke()))
    names = {(p.source_name, p.destination_name) for p in pairs}
    for spoke in SPOKE_HOSTS:
        for site in SITE_HOSTS:
            assert (site, spoke) in names or (spoke, site) in names
    site_pairs = [p for p in pairs if {p.source_name, p.destination_name} & set(SPOKE_HOSTS)
                  and {p.source_name, p.destination_name} & set(SITE_HOSTS)]
    assert len(site_pairs) == 4 and all(p.inspected for p in site_pairs)
    routes = routing.effective_routes(model.build(hub_spoke()))
    assert {"spoke:spoke-app", "spoke:spoke-shared"} <= set(routes)


def test_on_premises_and_branches_learn_the_spokes_from_the_hub():
    learned = routing.expected_learned(model.build(hub_spoke()))
    for peer, prefixes in learned.items():
        if "onprem" in peer or "branch1" in peer:
            assert {"10.60.0.0/16", "10.61.0.0/16"} <= set(prefixes), (peer, prefixes)


def test_a_spoke_without_inspection_goes_straight_to_the_gateways():
    t = model.build(hub_spoke(lambda d: d["hub"]["firewall"].update(inspectTransit=False)))
    assert t.spoke_route_tables == ()
    result = routing.trace(t, SPOKE_HOSTS["spoke-app"], SITE_HOSTS["onprem"])
    assert (result.verdict, result.inspected) == ("delivered", False)


def test_more_spokes_than_a_vnet_takes_peerings():
    def many(data):
        template = data["spokes"][0]
        data["spokes"] = []
        for i in range(501):
            spoke = copy.deepcopy(template)
            spoke["name"] = f"s{i}"
            spoke["vnet"] = {"name": f"vnet-s{i}", "addressSpace": [f"10.{100 + i // 256}.{i % 256}.0/24"],
                             "subnets": [{"name": "snet", "prefix": f"10.{100 + i // 256}.{i % 256}.0/25"}]}
            data["spokes"].append(spoke)
        data["testVms"] = []
    data = hub_spoke(many)
    findings = rules.check(model.build(data), data)
    assert ("SPOKE002", "spokes") in {(f.rule_id, f.path) for f in findings}
    assert ("SPOKE002", "spokes") not in {(f.rule_id, f.path) for f in rules.check(model.build(hub_spoke()), hub_spoke())}


# --- the compiled template ---------------------------------------------------------------------------


@pytest.mark.compiler
def test_two_spokes_compile_with_zero_diagnostics_and_are_format_stable(compiled):
    assert [str(d) for d in compiled.diagnostics] == []
    assert compiled.unformatted == []


@pytest.mark.compiler
def test_hub_lends_its_gateways_and_each_spoke_uses_them(compiled):
    """Each side of a peering is its own module, in its VNet's resource group: the hub side lends the gateways, the
    spoke side (after it) uses them."""
    flags = ("allowGatewayTransit", "useRemoteGateways")
    hub_side = module_param(compiled.template, "hubToSpokePeerings")
    spoke_side = module_param(compiled.template, "spokeToHubPeerings")
    assert {k: hub_side[k] for k in flags} == {"allowGatewayTransit": True, "useRemoteGateways": False}
    assert {k: spoke_side[k] for k in flags} == {"allowGatewayTransit": False, "useRemoteGateways": True}
    peering, = by_type(module_template(compiled.template, "hubToSpokePeerings"),
                       "Microsoft.Network/virtualNetworks/virtualNetworkPeerings")
    assert "allowForwardedTraffic" in str(peering["properties"]) and "true" in str(peering["properties"]).lower()
    spokes = compiled.parameter_values["spokes"]
    assert [(s["hubToSpokePeeringName"], s["spokeToHubPeeringName"]) for s in spokes] == [
        ("vnet-hub-to-vnet-spoke-app", "vnet-spoke-app-to-vnet-hub"), ("vnet-hub-to-vnet-spoke-shared", "vnet-spoke-shared-to-vnet-hub")]
    assert modules(compiled.template)["hubToSpokePeerings"]["copy"]["mode"] == "serial"
    assert "hubToSpokePeerings" in str(modules(compiled.template)["spokeToHubPeerings"]["dependsOn"])


@pytest.mark.compiler
def test_each_spoke_subnet_sends_sites_and_branches_to_the_firewall(compiled):
    values = compiled.parameter_values
    firewall_ip = values["firewall"]["expectedPrivateIpAddress"]
    tables = {t["name"]: t for t in values["routeTables"]}
    for spoke in values["spokes"]:
        placed = {s["routeTable"]["name"] for s in spoke["virtualNetwork"]["subnets"]}
        assert len(placed) == 1, spoke["name"]  # every subnet of a spoke gets its spoke's table
        table = tables[placed.pop()]
        prefixes = sorted(r["addressPrefix"] for r in table["routes"])
        expected = ["10.20.0.0/16", "10.50.0.0/16"] + (["0.0.0.0/0"] if spoke["name"] == "spoke-shared" else [])
        assert prefixes == sorted(expected), spoke["name"]
        assert {(r["nextHopType"], r["nextHopIpAddress"]) for r in table["routes"]} == {("VirtualAppliance", firewall_ip)}
        assert table["propagateGatewayRoutes"] is False
    hub_subnets = {s["name"]: s.get("routeTable") for s in values["hubVirtualNetwork"]["subnets"]}
    gateway = tables[hub_subnets["GatewaySubnet"]["name"]]
    assert {"10.60.0.0/16", "10.61.0.0/16"} <= {r["addressPrefix"] for r in gateway["routes"]}  # the return is inspected


@pytest.mark.compiler
def test_two_spokes_plan_without_conflict_and_peer_after_the_gateways_and_route_server(compiled):
    planned = plan.from_template(compiled.template, compiled.parameter_values, "hub-spoke")
    assert planned.conflicts == []
    end = {op.name: op.end for op in planned.operations}
    start = {op.name: op.start for op in planned.operations}
    peerings = [name for name in start if "-to-vnet-spoke" in name or name.endswith("-to-vnet-hub")]
    assert len(peerings) == 4
    for peering in peerings:
        for writer in ("vpngw-hub", "ergw-hub", "afw-hub", "ars-hub/ipconfig1"):
            assert start[peering] >= end[writer], (peering, writer)


@pytest.mark.compiler
def test_a_dropped_depends_on_of_the_peerings_is_a_conflict(bicep_rpc, tmp_path):
    directory = tmp_path / "out"
    compile_rendered(bicep_rpc, hub_spoke(), directory)
    _drop_depends_on(directory / "main.bicep", "hubToSpokePeerings")
    conflicts = _plan_of(bicep_rpc, directory).conflicts
    assert any("vnet-hub/" in c.first.name + c.second.name for c in conflicts), [c.message for c in conflicts]


def test_azure_bastion_subnet_of_a_spoke_gets_no_route_table():
    """Azure Bastion does not take a route table on its subnet (https://learn.microsoft.com/azure/bastion/bastion-faq#udr)."""
    t = model.build(hub_spoke(lambda d: d["spokes"][0]["vnet"]["subnets"].append({"name": "AzureBastionSubnet", "prefix": "10.60.3.0/26"})))
    assert t.spokes[0].route_table_subnets == ("snet-app", "snet-data")
    assert t.spoke_route_tables[0].placement == "every subnet of `vnet-spoke-app` but AzureBastionSubnet"
    hub = model.build(hub_spoke(lambda d: d["hub"]["vnet"]["subnets"].append({"name": "AzureBastionSubnet", "prefix": "10.0.4.0/26"})))
    assert "AzureBastionSubnet" not in {s.name for s in hub.hub_workload_subnets}


def test_log_categories_are_the_ones_the_firewall_can_fill():
    standard = model.build(hub_spoke()).hub.firewall.diagnostics.categories
    assert "AZFWNetworkRule" in standard and "AZFWIdpsSignature" not in standard and "AZFWDnsQuery" not in standard
    premium = model.build(hub_spoke(lambda d: d["hub"]["firewall"].update(tier="Premium"))).hub.firewall.diagnostics.categories
    assert "AZFWIdpsSignature" in premium


@pytest.mark.compiler
def test_firewall_logs_go_to_a_created_workspace_in_resource_specific_tables(compiled):
    from azure_standin import template_puts

    setting, = (r for r in template_puts(compiled.template, compiled.parameter_values, "hub-spoke", "rg-hub-spoke")
                if r["type"] == "Microsoft.Insights/diagnosticSettings")
    assert setting["properties"]["logAnalyticsDestinationType"] == "Dedicated"
    assert setting["properties"]["metrics"] == []
    diagnostics = compiled.parameter_values["firewallDiagnostics"]
    assert diagnostics["workspaceName"] == "log-hub-spoke" and diagnostics["retentionInDays"] == 90
    assert "AZFWNetworkRule" in diagnostics["categories"]
    readme = (compiled.directory / "README.md").read_text()
    assert "### The transit in the firewall's logs" in readme and "AZFWNetworkRule" in readme
    assert (compiled.directory / "transit.kql").read_text().split("\n", 1)[1] in readme
    assert "az monitor log-analytics query --workspace" in readme


@pytest.mark.compiler
def test_firewall_logs_to_an_existing_workspace(bicep_rpc, tmp_path):
    data = hub_spoke(lambda d: d["hub"]["firewall"].update(diagnostics={"workspaceResourceId": EXISTING_WORKSPACE}))
    result = compile_rendered(bicep_rpc, data, tmp_path / "out")
    assert [str(d) for d in result.diagnostics] == [] and result.unformatted == []
    diagnostics = result.parameter_values["firewallDiagnostics"]
    assert (diagnostics["workspaceResourceId"], diagnostics["workspaceName"]) == (EXISTING_WORKSPACE, "")
    planned = plan.from_template(result.template, result.parameter_values, "existing")
    assert "Microsoft.OperationalInsights/workspaces" not in {op.type for op in planned.operations}
    assert "Microsoft.Insights/diagnosticSettings" in {op.type for op in planned.operations}


@pytest.mark.compiler
def test_spokes_without_a_firewall_compile_and_peer(bicep_rpc, tmp_path):
    data = hub_spoke(lambda d: d["hub"].pop("firewall"))
    result = compile_rendered(bicep_rpc, data, tmp_path / "out")
    assert [str(d) for d in result.diagnostics] == [] and result.unformatted == []
    assert "spokeRouteTables" not in modules(result.template)
    assert plan.from_template(result.template, result.parameter_values, "no-firewall").conflicts == []


@pytest.mark.compiler
def test_a_test_vm_in_a_spoke_of_its_own_resource_group_joins_the_subnet_there(bicep_rpc, tmp_path):
    """The NIC names its subnet by ID: the spoke's group, not the hub's (where the deployment runs)."""
    from azure_standin import template_puts

    data = load_example(EXAMPLES / "hub-spoke.json")
    data["spokes"][0]["resourceGroup"] = "rg-app"
    compiled = compile_rendered(bicep_rpc, data, tmp_path / "out")
    assert [d for d in compiled.diagnostics if d.level in ("Error", "Warning")] == []
    puts = template_puts(compiled.template, compiled.parameter_values, "hub-spoke", "rg-hub-spoke")
    nics = {p["name"]: p for p in puts if p["type"] == "Microsoft.Network/networkInterfaces"}
    subnet = nics["vm-spoke-app-nic"]["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"]
    assert "/resourceGroups/rg-app/providers/Microsoft.Network/virtualNetworks/vnet-spoke-app/subnets/snet-app" in subnet
    hub_vm = [n for name, n in nics.items() if name != "vm-spoke-app-nic"]
    assert all("/resourceGroups/rg-hub-spoke/" in n["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"] for n in hub_vm)
