"""Every topology option renders and compiles clean with the real compiler, and does what it says.

Each variant starts from an example and changes one option; the compiled ARM
JSON and the compiled parameter values are checked for that option's effect.
"""

from __future__ import annotations

import pytest

from arm import by_type, module_param, module_template, modules, resources
from conftest import EXAMPLES, MULTI_SITE, SEED, load_example, variant

pytestmark = pytest.mark.compiler


def _seed(mutate=lambda d: None) -> dict:
    return variant(load_example(SEED), mutate)


def _multi(mutate=lambda d: None) -> dict:
    return variant(load_example(MULTI_SITE), mutate)


def _firewall(**changes):
    def mutate(data):
        data["hub"]["firewall"].update(changes)
    return mutate


def _add_management_subnet(data):
    data["hub"]["vnet"]["subnets"].append({"name": "AzureFirewallManagementSubnet", "prefix": "10.0.4.0/26"})


def _basic(data):
    _firewall(tier="Basic")(data)
    _add_management_subnet(data)


def _forced_tunnelling(data):
    _firewall(forcedTunneling=True)(data)
    _add_management_subnet(data)


def _no_firewall(data):
    del data["hub"]["firewall"]


def _default_route(data):
    data["onPremises"][0]["advertisesDefaultRoute"] = True


def _test_vms(data):
    data["testVms"] = [
        {"name": "vm-hub", "vnet": "hub", "subnet": "subnet-001"},
        {"name": "vm-branch1", "vnet": "branch1", "subnet": "subnet-001", "size": "Standard_B2s"},
    ]


def _site_with_ip(data):
    data["branches"].append({
        "name": "site1", "kind": "site", "addressPrefixes": ["192.168.10.0/24"], "gatewayIpAddress": "203.0.113.10",
        "bgp": {"asn": 65010, "peeringAddress": "192.168.10.1"},
    })


def _many(data):
    """Three circuits and three VNet branches."""
    for i in (2, 3):
        data["onPremises"].append({
            "name": f"onprem{i}", "addressPrefixes": [f"10.{20 + i}.0.0/16", f"172.{20 + i}.0.0/16"],
            "expressRouteCircuitId": f"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-er/providers/Microsoft.Network/expressRouteCircuits/er-{i}",
            "routingWeight": 10 * i,
        })
        data["branches"].append({
            "name": f"branch{i}", "kind": "vnet",
            "vnet": {"name": f"vnet-branch{i}", "addressSpace": [f"10.{50 + i}.0.0/16"],
                     "subnets": [{"name": "GatewaySubnet", "prefix": f"10.{50 + i}.0.0/27"}, {"name": "workload", "prefix": f"10.{50 + i}.1.0/24"}]},
            "vpnGateway": {"name": f"vpngw-branch{i}", "sku": "VpnGw2AZ", "asn": 65050 + i, "activeActive": True},
        })


def _public_site(data):
    """A datacentre on public address space, and FastPath written (off) on every connection."""
    data["onPremises"][0]["addressPrefixes"].append("198.18.0.0/16")


NSG_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-sec/providers/Microsoft.Network/networkSecurityGroups/nsg-{}"


def _nsgs_and_pinned_generations(data):
    """Landing-zone style: an existing NSG on every workload subnet, and both VPN gateways' generations pinned."""
    data["hub"]["vnet"]["subnets"][2]["networkSecurityGroupId"] = NSG_ID.format("hub")
    data["branches"][0]["vnet"]["subnets"][1]["networkSecurityGroupId"] = NSG_ID.format("branch")
    data["hub"]["vpnGateway"].update(sku="VpnGw2AZ", generation="Generation1")
    data["branches"][0]["vpnGateway"]["generation"] = "Generation1"


def _two_sites(data):
    """Two real sites, each with its own device, ASN and BGP address."""
    data["branches"].append({"name": "site2", "kind": "site", "addressPrefixes": ["192.168.60.0/24"], "gatewayIpAddress": "203.0.113.20",
                             "bgp": {"asn": 65020, "peeringAddress": "192.168.60.1"}})
    data["hub"]["firewall"]["networkRules"].append({"name": "datacentres-to-site2", "sourceAddresses": ["172.16.0.0/12"],
                                                    "destinationAddresses": ["192.168.60.0/24"], "destinationPorts": ["*"],
                                                    "protocols": ["Any"]})


def _vpn_sites(mutate=lambda d: None) -> dict:
    data = load_example(EXAMPLES / "vpn-sites.json")
    mutate(data)
    return data


def _vm_in_the_north(data):
    """A test VM in the branch VNet that sits in another region."""
    data["testVms"] = [{"name": "vm-north", "vnet": "branch-north", "subnet": "subnet-001"}]


VARIANTS = {
    "seed": lambda: _seed(),
    "vpn-sites": lambda: _vpn_sites(_vm_in_the_north),
    "two-sites": lambda: _multi(_two_sites),
    "nsgs-and-generations": lambda: _seed(_nsgs_and_pinned_generations),
    "multi-site": lambda: _multi(),
    "firewall-basic": lambda: _seed(_basic),
    "firewall-premium": lambda: _seed(_firewall(tier="Premium")),
    "forced-tunnelling": lambda: _seed(_forced_tunnelling),
    "no-firewall": lambda: _seed(_no_firewall),
    "no-inspection": lambda: _seed(_firewall(inspectTransit=False)),
    "default-route": lambda: _seed(_default_route),
    "test-vms": lambda: _seed(_test_vms),
    "site-with-ip": lambda: _seed(_site_with_ip),
    "routing-preference": lambda: _multi(lambda d: d["hub"]["routeServer"].update(hubRoutingPreference="VpnGateway")),
    "many-circuits-and-branches": lambda: _seed(_many),
    "public-address-space": lambda: _multi(_public_site),
}


@pytest.fixture(scope="module")
def compiled(bicep_rpc, tmp_path_factory):
    """Compile each variant once for all the tests of this module."""
    from conftest import Compiled, compile_rendered

    cache = {}

    def get(name: str) -> Compiled:
        if name not in cache:
            cache[name] = compile_rendered(bicep_rpc, VARIANTS[name](), tmp_path_factory.mktemp(name), f"{name}.json")
        return cache[name]

    return get


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_compiles_with_zero_diagnostics_and_is_format_stable(compiled, name):
    result = compiled(name)
    assert [str(d) for d in result.diagnostics] == []
    assert result.unformatted == []
    assert result.template is not None and result.parameters is not None


def test_multi_site_every_circuit_connected_one_at_a_time(compiled):
    result = compiled("multi-site")
    connections = result.parameter_values["expressRouteConnections"]
    assert [c["siteName"] for c in connections] == ["dc-amsterdam", "dc-frankfurt"]
    module = modules(result.template)["expressRouteConnectionDeployments"]
    assert module["copy"] == {"name": "expressRouteConnectionDeployments", "count": "[length(parameters('expressRouteConnections'))]", "mode": "serial", "batchSize": 1}


def test_one_udr_per_prefix_of_every_onprem_site_and_branch(compiled):
    for name in ("multi-site", "many-circuits-and-branches"):
        result = compiled(name)
        values = result.parameter_values
        expected = [p for s in values["expressRouteConnections"] for p in _onprem_prefixes(name, s["siteName"])]
        expected += [p for b in values["vnetBranches"] for p in b["virtualNetwork"]["addressPrefixes"]]
        expected += [p for s in values.get("siteBranches", []) for p in s["addressPrefixes"]]
        routes = _table(values, "GatewaySubnet")["routes"]
        assert sorted(r["addressPrefix"] for r in routes) == sorted(expected)
        assert {r["nextHopIpAddress"] for r in routes} == {values["firewall"]["expectedPrivateIpAddress"]}
        assert len({r["name"] for r in routes}) == len(routes)


def _table(values: dict, subnet: str) -> dict | None:
    """The compiled parameters' route table of one hub subnet: the one its subnet names."""
    named = next((s.get("routeTable") for s in values["hubVirtualNetwork"]["subnets"] if s["name"] == subnet), None)
    return next((t for t in values.get("routeTables", []) if named and t["name"] == named["name"]), None)


def _onprem_prefixes(variant_name: str, site: str) -> list[str]:
    data = VARIANTS[variant_name]()
    return next(s["addressPrefixes"] for s in data["onPremises"] if s["name"] == site)


def test_many_branches_each_get_vnet_gateway_and_a_connection_pair(compiled):
    result = compiled("many-circuits-and-branches")
    branches = result.parameter_values["vnetBranches"]
    assert [b["name"] for b in branches] == ["branch1", "branch2", "branch3"]
    assert [b["vpnGateway"]["asn"] for b in branches] == [65050, 65052, 65053]
    assert [len(b["vpnGateway"]["publicIpNames"]) for b in branches] == [1, 2, 2]
    found = modules(result.template)
    assert found["vnetToVnetConnections"]["copy"]["mode"] == "serial"
    assert len(result.parameter_values["expressRouteConnections"]) == 3
    assert [c["routingWeight"] for c in result.parameter_values["expressRouteConnections"]] == [0, 20, 30]


def deployed(result, name: str) -> dict[tuple[str, str], dict]:
    """(type, name) -> the resource body the compiled template deploys, evaluated by gen's ARM evaluator (the
    stand-in's, tests/azure_standin.py)."""
    from azure_standin import deployed_resources
    from generator import model

    bodies = deployed_resources(result.template, result.parameter_values, model.build(VARIANTS[name]()), "rg-test")
    return {(b["type"], b["name"]): b for b in bodies}


def test_site_branch_gets_local_network_gateway_and_bgp_connection(compiled):
    for name, key, value in (("multi-site", "fqdn", "vpn.warehouse-lyon.example.net"), ("site-with-ip", "gatewayIpAddress", "203.0.113.10")):
        result = compiled(name)
        site = result.parameter_values["siteBranches"][0]
        assert site[key] == value
        assert ({"fqdn", "gatewayIpAddress"} - {key}).isdisjoint(site)
        bodies = deployed(result, name)
        lng = bodies[("Microsoft.Network/localNetworkGateways", site["localNetworkGatewayName"])]
        assert lng["properties"]["bgpSettings"] == {"asn": site["bgpAsn"], "bgpPeeringAddress": site["bgpPeeringAddress"]}
        connection = bodies[("Microsoft.Network/connections", site["connectionName"])]["properties"]
        assert connection["connectionType"] == "IPsec" and connection["enableBgp"] is True
        # Nothing the spec does not set: Azure's defaults stay Azure's.
        assert {"ipsecPolicies", "usePolicyBasedTrafficSelectors", "dpdTimeoutSeconds", "connectionMode",
                "gatewayCustomBgpIpAddresses"}.isdisjoint(k for k, v in connection.items() if v is not None)
        s2s = module_template(result.template, "siteToSiteConnections")
        assert s2s["parameters"]["sharedKey"]["type"] == "securestring"
        module = modules(result.template)["siteToSiteConnections"]
        assert module["copy"]["mode"] == "serial" and module["copy"]["batchSize"] == 1
    # The Local Network Gateway holds the site's prefixes only: with BGP the VPN gateway adds the host route to
    # the peer address itself, and the current VPN FAQ says not to list that /32 (it reverses the older advice).
    site = compiled("multi-site").parameter_values["siteBranches"][0]
    assert (site["addressPrefixes"], site["bgpPeeringAddress"]) == (["192.168.50.0/24"], "192.168.255.1")
    lng = deployed(compiled("multi-site"), "multi-site")[("Microsoft.Network/localNetworkGateways", "lng-warehouse-lyon")]
    assert lng["properties"]["localNetworkAddressSpace"] == {"addressPrefixes": ["192.168.50.0/24"]}
    text = (compiled("multi-site").directory / "main.bicepparam").read_text()
    assert "warehouse-lyon': readEnvironmentVariable('VPN_SHARED_KEY_WAREHOUSE_LYON')" in text
    assert "`VPN_SHARED_KEY_WAREHOUSE_LYON`" in (compiled("multi-site").directory / "README.md").read_text()


def test_a_two_device_apipa_site_gets_a_gateway_and_connection_per_device_with_its_policy(compiled):
    """Microsoft's highly available cross-premises design: one Local Network Gateway and one connection per device,
    each device's BGP address APIPA, the hub gateway's custom APIPA address per instance, the custom policy on both."""
    result = compiled("vpn-sites")
    bodies = deployed(result, "vpn-sites")
    gateway = bodies[("Microsoft.Network/virtualNetworkGateways", "vpngw-hub-vpn")]["properties"]["bgpSettings"]
    assert [(p["ipconfigurationId"].rsplit("/", 1)[-1], p["customBgpIpAddresses"]) for p in gateway["bgpPeeringAddresses"]] == [
        ("ipconfig1", ["169.254.21.2"]), ("ipconfig2", ["169.254.22.2"])]
    assert all("/virtualNetworkGateways/vpngw-hub-vpn/ipConfigurations/" in p["ipconfigurationId"] for p in gateway["bgpPeeringAddresses"])
    for device, address, public in (("fra-edge1", "169.254.21.1", "203.0.113.10"), ("fra-edge2", "169.254.22.1", "203.0.113.11")):
        lng = bodies[("Microsoft.Network/localNetworkGateways", f"lng-dc-frankfurt-{device}")]["properties"]
        assert (lng["gatewayIpAddress"], lng["bgpSettings"]) == (public, {"asn": 65030, "bgpPeeringAddress": address})
        # A BGP device's Local Network Gateway may leave its address space empty (VPN FAQ, BGP): BGP carries the prefixes.
        assert lng["localNetworkAddressSpace"] == {"addressPrefixes": []}
        connection = bodies[("Microsoft.Network/connections", f"vpngw-hub-vpn-to-dc-frankfurt-{device}")]["properties"]
        assert connection["enableBgp"] is True and connection["localNetworkGateway2"]["id"].endswith(f"lng-dc-frankfurt-{device}")
        assert connection["ipsecPolicies"] == [{
            "saLifeTimeSeconds": 27000, "saDataSizeKilobytes": 102400000, "ipsecEncryption": "GCMAES256",
            "ipsecIntegrity": "GCMAES256", "ikeEncryption": "GCMAES256", "ikeIntegrity": "SHA384", "dhGroup": "ECP384",
            "pfsGroup": "ECP384"}]
        assert (connection["dpdTimeoutSeconds"], connection["connectionMode"]) == (45, "Default")
        assert [(c["ipConfigurationId"].rsplit("/", 3)[-3::2], c["customBgpIpAddress"]) for c in connection["gatewayCustomBgpIpAddresses"]] == [
            (["vpngw-hub-vpn", "ipconfig1"], "169.254.21.2"), (["vpngw-hub-vpn", "ipconfig2"], "169.254.22.2")]
    # Both devices use the site's one shared key.
    text = (result.directory / "main.bicepparam").read_text()
    assert "'dc-frankfurt': readEnvironmentVariable('VPN_SHARED_KEY_DC_FRANKFURT')" in text
    assert "fra-edge1': readEnvironmentVariable" not in text


def test_a_static_policy_based_site_has_no_bgp_and_its_selectors(compiled):
    bodies = deployed(compiled("vpn-sites"), "vpn-sites")
    lng = bodies[("Microsoft.Network/localNetworkGateways", "lng-shop-oslo")]["properties"]
    assert lng.get("bgpSettings") is None and lng["localNetworkAddressSpace"] == {"addressPrefixes": ["10.31.0.0/24"]}
    connection = bodies[("Microsoft.Network/connections", "vpngw-hub-vpn-to-shop-oslo")]["properties"]
    assert connection["enableBgp"] is False and connection["usePolicyBasedTrafficSelectors"] is True
    assert connection["ipsecPolicies"][0]["pfsGroup"] == "PFS2048" and connection.get("gatewayCustomBgpIpAddresses") is None
    # A BGP site on Azure's defaults keeps the plain shape, peering from the GatewaySubnet addresses.
    lisbon = bodies[("Microsoft.Network/connections", "vpngw-hub-vpn-to-shop-lisbon")]["properties"]
    assert lisbon["enableBgp"] is True and lisbon.get("ipsecPolicies") is None and lisbon.get("gatewayCustomBgpIpAddresses") is None


def test_a_branch_in_another_region_is_deployed_there(compiled):
    bodies = deployed(compiled("vpn-sites"), "vpn-sites")
    for kind, name in (("Microsoft.Network/virtualNetworks", "vnet-branch-north"), ("Microsoft.Network/virtualNetworkGateways", "vpngw-branch-north"),
                       ("Microsoft.Network/publicIPAddresses", "vpngw-branch-north-pip1"), ("Microsoft.Network/connections", "vpngw-branch-north-to-vpngw-hub-vpn"),
                       ("Microsoft.Compute/virtualMachines", "vm-north")):
        assert bodies[(kind, name)]["location"] == "swedencentral", name
    assert bodies[("Microsoft.Network/connections", "vpngw-hub-vpn-to-vpngw-branch-north")]["location"] == "westeurope"
    assert bodies[("Microsoft.Network/virtualNetworkGateways", "vpngw-hub-vpn")]["location"] == "westeurope"


def test_the_bicep_ipsec_policy_type_is_the_schema_s(compiled):
    """The module's ipsecPolicyType and the spec schema list the same values: one cannot drift from the other."""
    import json as json_module
    import re

    from conftest import ROOT

    schema = json_module.loads((ROOT / "schemas" / "spec.schema.json").read_text())["$defs"]["ipsecPolicy"]["properties"]
    module = (ROOT / "templates" / "modules" / "site-to-site-connection.bicep").read_text()
    block = module[module.index("type ipsecPolicyType"):module.index("type siteBranchType")]
    for key, definition in schema.items():
        if "enum" in definition:
            listed = re.search(rf"\n  {key}: ([^\n]+)", block).group(1)
            assert sorted(re.findall(r"'([^']+)'", listed)) == sorted(definition["enum"]), key


def test_site_connections_wait_for_the_vnet_to_vnet_ones(compiled):
    found = modules(compiled("multi-site").template)
    assert "vnetToVnetConnections" in found["siteToSiteConnections"]["dependsOn"]


@pytest.mark.parametrize("name", ["no-firewall", "no-inspection"])
def test_no_gateway_route_table_without_firewall_or_inspection(compiled, name):
    result = compiled(name)
    assert "routeTableDeployments" not in modules(result.template)
    assert "routeTables" not in result.parameter_values
    assert all("routeTable" not in s for s in result.parameter_values["hubVirtualNetwork"]["subnets"])
    assert not (result.directory / "modules" / "route-table.bicep").exists()


def test_no_firewall_renders_plain_route_server_design(compiled):
    result = compiled("no-firewall")
    assert "firewallDeployment" not in modules(result.template)
    assert "routeServerDeployment" in modules(result.template)
    assert result.parameter_values["routeServer"]["allowBranchToBranchTraffic"] is True


@pytest.mark.parametrize("name", ["firewall-basic", "forced-tunnelling"])
def test_management_subnet_and_public_ip_for_basic_and_forced_tunnelling(compiled, name):
    result = compiled(name)
    firewall = result.parameter_values["firewall"]
    assert firewall["managementPublicIpName"] == "afw-hub-mgmt-pip"
    assert module_param(result.template, "firewallDeployment")["managementSubnetResourceId"] == (
        "[reference('hubNetwork').outputs.subnetResourceIds.value.AzureFirewallManagementSubnet]"
    )
    fw = module_template(result.template, "firewallDeployment")
    assert resources(fw)["managementPublicIp"]["condition"] == "[variables('withManagement')]"
    assert firewall["tier"] == ("Basic" if name == "firewall-basic" else "Standard")
    # Redeploy-safe: gen's own table on the management subnet, only 0.0.0.0/0 -> Internet, propagation off
    # (Learn: firewall/management-nic), written again by every redeploy instead of dropped by one.
    table = _table(result.parameter_values, "AzureFirewallManagementSubnet")
    assert table["propagateGatewayRoutes"] is False
    assert table["routes"] == [{"name": "default-to-internet", "addressPrefix": "0.0.0.0/0", "nextHopType": "Internet"}]


def test_standard_firewall_has_no_management_configuration(compiled):
    assert compiled("seed").parameter_values["firewall"]["managementPublicIpName"] == ""
    assert "managementSubnetResourceId" not in module_param(compiled("seed").template, "firewallDeployment")


def test_default_route_gives_the_firewall_subnet_a_route_to_internet(compiled):
    result = compiled("default-route")
    table = _table(result.parameter_values, "AzureFirewallSubnet")
    assert table["routes"] == [{"name": "default-to-internet", "addressPrefix": "0.0.0.0/0", "nextHopType": "Internet"}]
    assert table["name"] == "vnet-hub-AzureFirewallSubnet-rt"
    # GatewaySubnet never gets 0.0.0.0/0.
    assert all(r["addressPrefix"] != "0.0.0.0/0" for r in _table(result.parameter_values, "GatewaySubnet")["routes"])
    assert _table(compiled("seed").parameter_values, "AzureFirewallSubnet") is None


def test_routing_preference_reaches_the_route_server(compiled):
    assert compiled("routing-preference").parameter_values["routeServer"]["hubRoutingPreference"] == "VpnGateway"
    assert compiled("multi-site").parameter_values["routeServer"]["hubRoutingPreference"] == "ASPath"
    assert module_param(compiled("seed").template, "routeServerDeployment")["hubRoutingPreference"] == (
        "[parameters('routeServer').hubRoutingPreference]")
    ars = module_template(compiled("seed").template, "routeServerDeployment")
    assert "parameters('hubRoutingPreference')" in str(resources(ars)["routeServer"]["properties"])


def test_test_vms_without_public_ip_and_their_ips_in_outputs(compiled):
    result = compiled("test-vms")
    vms = result.parameter_values["testVms"]
    assert [(v["name"], v["virtualNetworkName"], v["subnetName"], v["size"]) for v in vms] == [
        ("vm-hub", "vnet-hub", "subnet-001", "Standard_B1s"), ("vm-branch1", "vnet-branch1", "subnet-001", "Standard_B2s"),
    ]
    vm_template = module_template(result.template, "testVmDeployments")
    nic, = by_type(vm_template, "Microsoft.Network/networkInterfaces")
    assert "publicIPAddress" not in nic["properties"]["ipConfigurations"][0]["properties"]
    vm, = by_type(vm_template, "Microsoft.Compute/virtualMachines")
    assert vm["properties"]["osProfile"]["linuxConfiguration"]["disablePasswordAuthentication"] is True
    assert "testVmPrivateIpAddresses" in result.template["outputs"]
    assert "readEnvironmentVariable('TEST_VM_SSH_PUBLIC_KEY')" in (result.directory / "main.bicepparam").read_text()
    # A NIC joins a subnet of a VNet the gateways and connections write: after the last of them.
    assert modules(result.template)["testVmDeployments"]["dependsOn"] == ["vnetToVnetConnections"]


def test_outputs_users_need_after_deploying(compiled):
    outputs = compiled("multi-site").template["outputs"]
    for name in ("hubVpnGatewayPublicIpAddresses", "hubVpnGatewayBgpPeeringAddress", "routeServerIps", "routeServerAsn",
                 "firewallPrivateIpAddress", "firewallPrivateIpAddressMatches", "branchVpnGateways", "expressRouteGatewayResourceId"):
        assert name in outputs, name


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_every_variant_is_traced_and_inspected_exactly_when_it_should_be(name):
    from generator import model, routing

    topology = model.build(VARIANTS[name]())
    pairs = routing.transit_matrix(topology)
    branches = len(topology.branches)
    networks = len({frozenset(map(str, s.address_prefixes)) for s in topology.on_premises})  # one row per network
    hub_rows = [p for p in pairs if p.source_name.startswith("hub/")]
    assert len(pairs) - len(hub_rows) == networks * branches + branches * (branches - 1) // 2
    assert len(hub_rows) == len(topology.hub_workload_subnets) * (networks + branches)
    on_premises = {s.name for s in topology.on_premises}
    # A policy-based site reaches the hub VNet only: every flow between it and another network has no route.
    policy_based = {str(s.name) for s in topology.site_branches if s.connection.policy_based_traffic_selectors}
    isolated = [p for p in pairs if {p.source_name, p.destination_name} & policy_based and not p.source_name.startswith("hub/")]
    assert all(p.verdict == "no-route" for p in isolated)
    pairs = [p for p in pairs if p not in isolated]
    hub_rows = [p for p in hub_rows if p not in isolated]
    transit = [p for p in pairs if p not in hub_rows]
    # On-premises -> branch passes every variant's policy (multi-site's for TCP only: partial); branch <->
    # branch may be denied by it.
    assert transit and all(p.verdict in ("delivered", "partial") for p in transit if p.source_name.split(" / ")[0] in on_premises)
    assert all(p.verdict in ("delivered", "partial", "denied") for p in transit)
    assert all(p.inspected == topology.inspects_transit for p in transit)
    # The hub's own subnets reach the sites straight through the gateways unless inspectHubSubnets (FW007).
    assert all(p.inspected == topology.inspects_hub_subnets for p in hub_rows if p.verdict != "no-route")


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_every_variant_plans_without_conflicts_and_as_its_readme_says(compiled, name):
    """gen plan reads the compiled template: no two writers of a VNet or gateway may overlap, and the
    README's module-level plan (from the order decided in order.py) must agree with it."""
    from generator import model, order, plan

    from test_plan import same_plan

    result = compiled(name)
    planned = plan.from_template(result.template, result.parameter_values, "test")
    assert [c.message for c in planned.conflicts] == []
    same_plan(plan.from_steps(order.steps(model.build(VARIANTS[name]()))), planned)
    assert planned.total_minutes < planned.serial_minutes


def test_firewall_keeps_the_source_of_transit_to_public_address_space(compiled):
    """Azure Firewall SNATs network-rule traffic outside IANA's private ranges: the policy lists the site's
    public prefix next to them (Learn: firewall/snat-private-range)."""
    result = compiled("public-address-space")
    ranges = result.parameter_values["firewall"]["snatPrivateRanges"]
    assert ranges == ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "198.18.0.0/16"]
    policy, = (r for r in _deployed(result, "public-address-space") if r["type"] == "Microsoft.Network/firewallPolicies")
    assert policy["properties"]["snat"] == {"privateRanges": ranges}
    # Only IANA's private ranges: Azure's default, so the policy leaves SNAT alone (and keeps what runs).
    assert compiled("seed").parameter_values["firewall"]["snatPrivateRanges"] == []


def test_fastpath_is_written_off_on_every_expressroute_connection(compiled):
    result = compiled("multi-site")
    assert [c["fastPath"] for c in result.parameter_values["expressRouteConnections"]] == [False, False]
    connections = [r for r in _deployed(result, "multi-site") if r["type"] == "Microsoft.Network/connections"
                   and r["properties"]["connectionType"] == "ExpressRoute"]
    assert len(connections) == 2 and all(c["properties"]["expressRouteGatewayBypass"] is False for c in connections)


def test_shipped_linter_config_warns_and_never_fails_a_deployment(compiled):
    """gen build fails on any warning; az deployment group create, with whatever Bicep the deployer has, only warns."""
    import json
    import re

    text = (compiled("seed").directory / "bicepconfig.json").read_text()
    config = json.loads(re.sub(r"^\s*//.*$", "", text, flags=re.M))
    levels = {rule["level"] for rule in config["analyzers"]["core"]["rules"].values()}
    assert levels == {"warning", "off"}


def test_output_readme_for_a_reviewer(compiled):
    text = (compiled("multi-site").directory / "README.md").read_text()
    assert "read -rs VPN_SHARED_KEY_SHOP_PARIS && export VPN_SHARED_KEY_SHOP_PARIS" in text
    assert "export VPN_SHARED_KEY_SHOP_PARIS='" not in text  # no key typed on a command line
    assert "`serviceProviderProvisioningState` is `Provisioned`" in text and "private peering" in text
    assert "| shop-paris (10.110.1.4) | shop-madrid (10.120.1.4) |" in text  # branch <-> branch in the matrix
    assert "Assumed: branch to branch through the firewall" in text
    assert "## What your routers must advertise" in text and "| warehouse-lyon | 192.168.50.0/24 |" in text
    assert "`modules/route-table.bicep` | a route table, on the subnets that name it" in text
    assert "critical path **2 h 38 min**" in text  # the same figure gen plan prints (test_plan.same_plan)
    assert "incremental" in text and "ASN 65515" in text
    # Roles per component: this design has no test VM, so no Compute role; its circuits are in another group.
    assert "[Network Contributor](https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/networking#network-contributor)" in text
    assert "Virtual Machine Contributor" not in text and "expressRouteCircuits/join/action" in text
    assert "Bicep 0.25.3 or newer" in text and "az bicep upgrade && az bicep version" in text


def test_a_subnet_takes_the_network_security_group_the_spec_names(compiled):
    result = compiled("nsgs-and-generations")
    subnets = result.parameter_values["hubVirtualNetwork"]["subnets"]
    assert [s.get("networkSecurityGroupId") for s in subnets] == [None, None, NSG_ID.format("hub"), None]
    assert result.parameter_values["hubVpnGateway"]["generation"] == "Generation1"
    assert result.parameter_values["vnetBranches"][0]["vpnGateway"]["generation"] == "Generation1"


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_every_variant_imports_back_to_itself(compiled, name, tmp_path):
    """The round trip of brownfield import: a healthy deployment of the variant (tests/azure_standin.py, a stand-in
    for Azure) imported by gen import renders to the same resources (gen diff: no change), and gen diff --live of
    that capture against the original spec finds nothing. Test VMs are the one thing import leaves alone."""
    from azure_standin import write_capture
    from generator import diff, model, rules
    from generator.capture import Capture
    from generator.importer import import_capture

    original = model.build(VARIANTS[name]())
    result = compiled(name)
    capture = Capture(write_capture(tmp_path / "capture", result.template, result.parameter_values, original))
    imported = import_capture(capture)
    assert [(i.resource, i.what) for i in imported.left_out if not i.resource.startswith(("virtualMachines", "networkInterfaces"))] == []
    vms = ("Microsoft.Compute/virtualMachines", "Microsoft.Network/networkInterfaces")
    again = model.build(imported.spec)
    assert [c for c in diff.compare(original, again) if c.type not in vms] == []
    assert [c for c in diff.compare_live(capture, original) if c.action != "unmanaged"] == []
    errors = [f for f in rules.check(again, imported.spec) if f.severity == "error"]
    assert errors == []


def _deployed(result, name) -> list[dict]:
    """The resources the compiled template would deploy, every expression evaluated (tests/azure_standin.py)."""
    from azure_standin import deployed_resources
    from generator import model

    return deployed_resources(result.template, result.parameter_values, model.build(VARIANTS[name]()), "rg-test")


def test_each_site_gets_its_own_device_address_asn_and_bgp_peer(compiled):
    """Every Local Network Gateway from its own site's values, not the first site's (a mutation check found no
    test with two sites)."""
    gateways = {r["name"]: r["properties"] for r in _deployed(compiled("two-sites"), "two-sites")
                if r["type"] == "Microsoft.Network/localNetworkGateways"}
    assert {name: (p.get("gatewayIpAddress") or p.get("fqdn"), p["bgpSettings"]["asn"], p["bgpSettings"]["bgpPeeringAddress"],
                   tuple(p["localNetworkAddressSpace"]["addressPrefixes"])) for name, p in gateways.items()} == {
        "lng-warehouse-lyon": ("vpn.warehouse-lyon.example.net", 65010, "192.168.255.1", ("192.168.50.0/24",)),
        "lng-site2": ("203.0.113.20", 65020, "192.168.60.1", ("192.168.60.0/24",)),
    }
    connections = {r["name"]: r["properties"] for r in _deployed(compiled("two-sites"), "two-sites")
                   if r["type"] == "Microsoft.Network/connections" and r["properties"]["connectionType"] == "IPsec"}
    assert {name: p["localNetworkGateway2"]["id"].rsplit("/", 1)[-1] for name, p in connections.items()} == {
        "vpngw-hub-weu-to-warehouse-lyon": "lng-warehouse-lyon", "vpngw-hub-weu-to-site2": "lng-site2"}


@pytest.mark.parametrize("name", ["seed", "multi-site", "two-sites"])
def test_gateway_subnet_table_keeps_gateway_route_propagation_on(compiled, name):
    """Learn: GatewaySubnet's route table must keep BGP route propagation; evaluated from the compiled template, so a
    template expression that switched it off fails here, not only in the stored copy of out/."""
    tables = {r["name"]: r["properties"] for r in _deployed(compiled(name), name) if r["type"] == "Microsoft.Network/routeTables"}
    gateway_table = next(p for n, p in tables.items() if n.endswith("GatewaySubnet-rt"))
    assert gateway_table["disableBgpRoutePropagation"] is False
    assert all(route["properties"]["nextHopType"] == "VirtualAppliance" for route in gateway_table["routes"])


def test_the_diagram_shows_each_spoke_sent_to_the_firewall():
    from generator import diagram, model

    t = model.build(load_example(EXAMPLES / "hub-spoke.json"))
    text = diagram.mermaid(t)
    for spoke in t.spokes:
        node = f"spoke_{spoke.name.replace('-', '_')}"
        assert any(line.strip().startswith(f"{node} ==>|") and line.strip().endswith("| afw") for line in text.splitlines()), spoke.name
    shared = next(line for line in text.splitlines() if line.strip().startswith("spoke_spoke_shared ==>"))
    assert "0.0.0.0/0" in shared  # internetThroughFirewall


def test_kept_ip_configuration_names_name_the_gateway_s_and_every_reference_to_them(bicep_rpc, tmp_path):
    """A portal-built gateway names its IP configurations default and activeActive: the redeploy keeps them, and the
    custom APIPA addresses and the APIPA connections refer to those names."""
    from conftest import compile_rendered

    data = _vpn_sites(lambda d: d["hub"]["vpnGateway"].update(ipConfigurationNames=["default", "activeActive"]))
    result = compile_rendered(bicep_rpc, data, tmp_path / "out")
    assert [str(d) for d in result.diagnostics] == []
    from azure_standin import deployed_resources
    from generator import model

    bodies = {(b["type"], b["name"]): b for b in deployed_resources(result.template, result.parameter_values, model.build(data), "rg-test")}
    gateway = bodies[("Microsoft.Network/virtualNetworkGateways", "vpngw-hub-vpn")]["properties"]
    assert [c["name"] for c in gateway["ipConfigurations"]] == ["default", "activeActive"]
    assert [p["ipconfigurationId"].rsplit("/", 1)[-1] for p in gateway["bgpSettings"]["bgpPeeringAddresses"]] == ["default", "activeActive"]
    connection = bodies[("Microsoft.Network/connections", "vpngw-hub-vpn-to-dc-frankfurt-fra-edge1")]["properties"]
    assert [c["ipConfigurationId"].rsplit("/", 1)[-1] for c in connection["gatewayCustomBgpIpAddresses"]] == ["default", "activeActive"]
