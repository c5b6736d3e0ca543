"""The seed design, rendered and compiled by the real Bicep compiler, checked on the compiled ARM JSON.

One test per bullet of what the seed's output must be: the compiled template
says what Azure will be asked for, so the assertions read it rather than the
Bicep text.
"""

from __future__ import annotations

import pytest

from arm import by_type, module_param, module_template, modules, of_type, resources
from conftest import load_example

pytestmark = pytest.mark.compiler


@pytest.fixture(scope="module")
def seed(bicep_rpc, tmp_path_factory):
    from conftest import compile_rendered

    result = compile_rendered(bicep_rpc, load_example(), tmp_path_factory.mktemp("seed"), "seed-b2b-azfw.json")
    return {"dir": result.directory, "diagnostics": result.diagnostics, "template": result.template,
            "values": result.parameter_values, "unformatted": result.unformatted}


def assert_zoned_standard_public_ip(module: dict) -> None:
    """The one public IP module: Standard, Static, IPv4, zones 1-3 (what AZ gateways and Route Server require)."""
    pip, = by_type(module["properties"]["template"], "Microsoft.Network/publicIPAddresses")
    assert pip["sku"] == {"name": "Standard", "tier": "Regional"}
    assert pip["properties"]["publicIPAllocationMethod"] == "Static"
    assert pip["zones"] == ["1", "2", "3"]


def test_compiles_with_zero_diagnostics_lint_clean_and_format_stable(seed):
    # The linter runs with bicepconfig.json's rules raised to warning, so "no diagnostics" means lint-clean too.
    assert seed["diagnostics"] == []
    assert seed["template"] is not None
    assert seed["unformatted"] == []


def test_one_module_per_component(seed):
    assert sorted(p.name for p in (seed["dir"] / "modules").iterdir()) == [
        "expressroute-connection.bicep", "expressroute-gateway.bicep", "firewall.bicep", "public-ip.bicep",
        "route-server.bicep", "route-table.bicep", "virtual-network.bicep", "vnet-to-vnet-connection.bicep",
        "vpn-gateway.bicep",
    ]
    assert set(modules(seed["template"])) == {
        "routeTableDeployments", "hubNetwork", "expressRouteGatewayDeployment", "hubVpnGatewayDeployment",
        "routeServerDeployment", "firewallDeployment", "expressRouteConnectionDeployments", "branchNetworks",
        "branchVpnGateways", "vnetToVnetConnections",
    }


def test_hub_subnets_are_child_resources_written_one_at_a_time_and_gateway_subnet_has_the_route_table(seed):
    """Learn's current Bicep guidance: no `subnets` on the VNet (an API version >= 2023-11-01 then keeps subnets others
    added), each subnet a child resource; one at a time, since each write updates the VNet."""
    template = seed["template"]
    (_, _, vnet), = [r for r in of_type(template, "Microsoft.Network/virtualNetworks") if r[0] == ("hubNetwork",)]
    assert "subnets" not in vnet["properties"] and "copy" not in vnet["properties"]
    assert vnet["apiVersion"] >= "2023-11-01"
    (_, _, subnets), = [r for r in of_type(template, "Microsoft.Network/virtualNetworks/subnets") if r[0] == ("hubNetwork",)]
    assert subnets["copy"]["mode"] == "serial" and subnets["copy"]["batchSize"] == 1
    assert "routeTable" in subnets["properties"] and "networkSecurityGroup" in subnets["properties"]
    passed = module_param(template, "hubNetwork")
    assert passed["subnets"] == "[parameters('hubVirtualNetwork').subnets]"
    assert passed["routeTableResourceIds"] == {"GatewaySubnet": "[reference(format('routeTableDeployments[{0}]', 0)).outputs.resourceId.value]"}
    assert [s["name"] for s in seed["values"]["hubVirtualNetwork"]["subnets"]] == ["GatewaySubnet", "RouteServerSubnet", "subnet-001", "AzureFirewallSubnet"]


def test_vpn_gateway_is_route_based_az_active_active_with_two_zoned_public_ips_and_bgp(seed):
    gateway_template = module_template(seed["template"], "hubVpnGatewayDeployment")
    gateway = resources(gateway_template)["gateway"]["properties"]
    assert gateway["gatewayType"] == "Vpn" and gateway["vpnType"] == "RouteBased"
    assert gateway["enableBgp"] is True
    assert gateway["copy"][0]["name"] == "ipConfigurations"
    assert gateway["copy"][0]["count"] == "[length(parameters('publicIpNames'))]"
    public_ips = modules(gateway_template)["publicIps"]
    assert public_ips["copy"]["count"] == "[length(parameters('publicIpNames'))]"
    assert_zoned_standard_public_ip(public_ips)
    hub = seed["values"]["hubVpnGateway"]
    assert hub["activeActive"] is True
    assert len(hub["publicIpNames"]) == 2  # exactly two ipConfigurations and two public IPs
    assert hub["asn"] == 65515
    assert hub["sku"].endswith("AZ")
    passed = module_param(seed["template"], "hubVpnGatewayDeployment")
    assert passed["activeActive"] == "[parameters('hubVpnGateway').activeActive]"
    assert passed["asn"] == "[parameters('hubVpnGateway').asn]"


def test_expressroute_gateway_and_one_connection_per_circuit_with_secure_authorization_key(seed):
    template = seed["template"]
    er = module_template(template, "expressRouteGatewayDeployment")
    assert resources(er)["gateway"]["properties"]["gatewayType"] == "ExpressRoute"
    assert_zoned_standard_public_ip(modules(er)["publicIp"])
    connection_module = modules(template)["expressRouteConnectionDeployments"]
    assert connection_module["copy"]["count"] == "[length(parameters('expressRouteConnections'))]"
    connection_template = connection_module["properties"]["template"]
    connection, = (r["properties"] for r in by_type(connection_template, "Microsoft.Network/connections"))
    assert connection["connectionType"] == "ExpressRoute"
    assert connection["peer"] == {"id": "[parameters('circuitResourceId')]"}
    assert connection_template["parameters"]["authorizationKey"]["type"] == "securestring"
    assert template["parameters"]["expressRouteAuthorizationKeys"]["type"] == "secureObject"
    assert [c["circuitResourceId"].rsplit("/", 1)[1] for c in seed["values"]["expressRouteConnections"]] == ["er-tokyo"]


def test_route_server_standard_with_branch_to_branch_and_public_ip(seed):
    ars = module_template(seed["template"], "routeServerDeployment")
    hub = resources(ars)["routeServer"]
    assert hub["type"] == "Microsoft.Network/virtualHubs"
    assert hub["properties"]["sku"] == "Standard"
    assert hub["properties"]["allowBranchToBranchTraffic"] == "[parameters('allowBranchToBranchTraffic')]"
    assert seed["values"]["routeServer"]["allowBranchToBranchTraffic"] is True
    ipconfig = resources(ars)["ipConfiguration"]
    assert ipconfig["type"] == "Microsoft.Network/virtualHubs/ipConfigurations"
    assert ipconfig["properties"]["subnet"] == {"id": "[parameters('routeServerSubnetResourceId')]"}
    assert "publicIPAddress" in ipconfig["properties"]
    assert_zoned_standard_public_ip(modules(ars)["publicIp"])
    passed = module_param(seed["template"], "routeServerDeployment")
    assert "RouteServerSubnet" in passed["routeServerSubnetResourceId"]


def test_firewall_with_policy_and_rule_collection_group_from_network_rules(seed):
    fw = module_template(seed["template"], "firewallDeployment")
    found = resources(fw)
    assert found["firewall"]["type"] == "Microsoft.Network/azureFirewalls"
    assert found["firewall"]["properties"]["sku"]["name"] == "AZFW_VNet"
    assert found["firewall"]["properties"]["firewallPolicy"] == {"id": "[resourceId('Microsoft.Network/firewallPolicies', parameters('policyName'))]"}
    group = found["networkRuleGroup"]
    assert group["type"] == "Microsoft.Network/firewallPolicies/ruleCollectionGroups"
    collection = group["properties"]["ruleCollections"][0]
    assert collection["ruleCollectionType"] == "FirewallPolicyFilterRuleCollection"
    assert collection["action"] == {"type": "Allow"}
    assert collection["copy"][0]["input"]["ruleType"] == "NetworkRule"
    rules = seed["values"]["firewall"]["networkRules"]
    assert rules == [{"name": "allow-all", "description": "", "sourceAddresses": ["*"], "destinationAddresses": ["*"], "destinationPorts": ["*"], "ipProtocols": ["Any"]}]
    assert seed["values"]["firewall"]["tier"] == "Standard"


def test_gateway_subnet_route_table_sends_onprem_and_branch_prefixes_to_the_computed_firewall_ip(seed):
    rt = module_template(seed["template"], "routeTableDeployments")
    table = resources(rt)["routeTable"]
    assert table["properties"]["disableBgpRoutePropagation"] == "[not(parameters('propagateGatewayRoutes'))]"
    gateway_table, = seed["values"]["routeTables"]
    assert (gateway_table["subnetName"], gateway_table["propagateGatewayRoutes"]) == ("GatewaySubnet", True)
    routes = gateway_table["routes"]
    assert [(r["addressPrefix"], r["nextHopType"], r["nextHopIpAddress"]) for r in routes] == [
        ("10.20.0.0/16", "VirtualAppliance", "10.0.3.4"),  # on-premises
        ("10.50.0.0/16", "VirtualAppliance", "10.0.3.4"),  # branch
    ]
    # The next hop is computed (first usable address of AzureFirewallSubnet 10.0.3.0/24), not read
    # from the firewall: the route table module does not depend on the firewall module.
    assert "firewallDeployment" not in str(modules(seed["template"])["routeTableDeployments"].get("dependsOn", []))
    assert seed["values"]["firewall"]["expectedPrivateIpAddress"] == "10.0.3.4"


def test_outputs_compare_the_computed_firewall_ip_with_the_real_one(seed):
    outputs = seed["template"]["outputs"]
    assert outputs["firewallPrivateIpAddress"]["value"] == "[reference('firewallDeployment').outputs.privateIpAddress.value]"
    assert outputs["firewallPrivateIpAddressExpected"]["value"] == "[parameters('firewall').expectedPrivateIpAddress]"
    assert outputs["firewallPrivateIpAddressMatches"]["type"] == "bool"
    assert outputs["firewallPrivateIpAddressMatches"]["value"] == (
        "[equals(reference('firewallDeployment').outputs.privateIpAddress.value, parameters('firewall').expectedPrivateIpAddress)]"
    )
    fw = module_template(seed["template"], "firewallDeployment")
    assert fw["outputs"]["privateIpAddress"]["value"] == "[reference('firewall').ipConfigurations[0].properties.privateIPAddress]"


def test_branch_vnet_gateway_and_two_vnet2vnet_connections_with_bgp_and_one_secure_key(seed):
    template = seed["template"]
    branch = seed["values"]["vnetBranches"][0]
    assert branch["vpnGateway"]["asn"] == 65050
    assert module_param(template, "branchVpnGateways")["asn"] == "[parameters('vnetBranches')[copyIndex()].vpnGateway.asn]"
    v2v = module_template(template, "vnetToVnetConnections")
    connections = [r for r in resources(v2v).values() if r["type"] == "Microsoft.Network/connections"]
    assert len(connections) == 2
    assert all(c["properties"]["connectionType"] == "Vnet2Vnet" and c["properties"]["enableBgp"] is True for c in connections)
    assert all(c["properties"]["sharedKey"] == "[parameters('sharedKey')]" for c in connections)
    one, two = (c["properties"] for c in connections)
    assert one["virtualNetworkGateway1"] == two["virtualNetworkGateway2"]
    assert one["virtualNetworkGateway2"] == two["virtualNetworkGateway1"]
    assert v2v["parameters"]["sharedKey"]["type"] == "securestring"
    assert template["parameters"]["vpnSharedKeys"]["type"] == "secureObject"


def test_ordering_every_writer_of_the_hub_vnet_one_after_the_other(seed):
    """Gateways, then the firewall (after the gateways, as Azure Landing Zones order it), then the Route Server,
    then the ExpressRoute connections, then the VNet-to-VNet ones: each waits for the one before."""
    found = modules(seed["template"])
    assert "expressRouteGatewayDeployment" in found["hubVpnGatewayDeployment"]["dependsOn"]
    assert "hubVpnGatewayDeployment" in found["firewallDeployment"]["dependsOn"]
    assert "firewallDeployment" in found["routeServerDeployment"]["dependsOn"]
    assert "routeServerDeployment" in found["expressRouteConnectionDeployments"]["dependsOn"]
    assert "expressRouteConnectionDeployments" in found["vnetToVnetConnections"]["dependsOn"]
    for symbol in ("expressRouteConnectionDeployments", "vnetToVnetConnections"):
        assert found[symbol]["copy"]["mode"] == "serial" and found[symbol]["copy"]["batchSize"] == 1
    # The two directions of a VNet-to-VNet pair write both gateways: one after the other.
    pair = resources(module_template(seed["template"], "vnetToVnetConnections"))
    assert pair["branchToHub"]["dependsOn"] == ["hubToBranch"]
    # Free to run in parallel: the branch network is another VNet.
    assert "dependsOn" not in found["branchNetworks"]


def test_bicepparam_carries_values_and_reads_secrets_from_the_environment(seed):
    text = (seed["dir"] / "main.bicepparam").read_text()
    assert "param vpnSharedKeys = {\n  branch1: readEnvironmentVariable('VPN_SHARED_KEY_BRANCH1')\n}" in text
    assert "readEnvironmentVariable('ER_AUTH_KEY_ONPREM', '')" in text
    assert seed["values"]["location"] == "japaneast"
    # Nothing in the output directory holds a secret value.
    for path in seed["dir"].rglob("*"):
        if path.is_file():
            assert "placeholder-secret" not in path.read_text()


def test_readme_has_deploy_commands_parameters_and_secrets(seed):
    readme = (seed["dir"] / "README.md").read_text()
    assert "az deployment group what-if --resource-group rg-b2b-azfw --name b2b-azfw --parameters main.bicepparam" in readme
    assert "az deployment group create --resource-group rg-b2b-azfw --name b2b-azfw --parameters main.bicepparam" in readme
    assert "`VPN_SHARED_KEY_BRANCH1`" in readme and "`ER_AUTH_KEY_ONPREM`" in readme
    assert "seed-b2b-azfw.json" in readme or "spec.json" in readme


def test_every_parameter_and_output_has_a_description(seed):
    def check(template, where):
        for section in ("parameters", "outputs"):
            for name, entry in template.get(section, {}).items():
                assert entry.get("metadata", {}).get("description"), f"{where}: {section} {name} has no description"
        assert template["metadata"].get("name") and template["metadata"].get("description"), where

    check(seed["template"], "main")
    for symbol in modules(seed["template"]):
        check(module_template(seed["template"], symbol), symbol)
