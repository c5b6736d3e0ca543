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
    from azure_standin import deployed_resources
    from conftest import compile_rendered
    from generator import model

    result = compile_rendered(bicep_rpc, load_example(), tmp_path_factory.mktemp("seed"), "seed-b2b-azfw.json")
    # What ARM is asked to PUT, every expression of the compiled template evaluated (tests/azure_standin.py).
    put = deployed_resources(result.template, result.parameter_values, model.build(load_example()), "rg-b2b-azfw")
    return {"dir": result.directory, "diagnostics": result.diagnostics, "template": result.template,
            "values": result.parameter_values, "unformatted": result.unformatted,
            "put": {(r["type"], r["name"]): r for r in put}}


def assert_zoned_standard_public_ip(seed, name: str) -> None:
    """A public IP as ARM is asked for it: Standard, Static, IPv4, zones 1-3 (what AZ gateways and Route Server
    require in a region with zones)."""
    pip = seed["put"][("Microsoft.Network/publicIPAddresses", name)]
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
    assert "routeTableDeployments" in str(modules(template)["hubNetwork"]["dependsOn"])  # tables first: named by ID
    assert [s["name"] for s in seed["values"]["hubVirtualNetwork"]["subnets"]] == ["GatewaySubnet", "RouteServerSubnet", "subnet-001", "AzureFirewallSubnet"]
    hub = seed["put"][("Microsoft.Network/virtualNetworks", "vnet-hub")]["properties"]
    gateway_subnet = next(s for s in hub["subnets"] if s["name"] == "GatewaySubnet")["properties"]  # as ARM returns it
    assert gateway_subnet["routeTable"]["id"].endswith("/routeTables/vnet-hub-GatewaySubnet-rt")


def test_vpn_gateway_is_route_based_az_active_active_with_two_zoned_public_ips_and_bgp(seed):
    gateway_template = module_template(seed["template"], "hubVpnGatewayDeployment")
    gateway = seed["put"][("Microsoft.Network/virtualNetworkGateways", "vpngw-hub")]["properties"]
    assert gateway["gatewayType"] == "Vpn" and gateway["vpnType"] == "RouteBased"
    assert gateway["enableBgp"] is True
    assert [c["name"] for c in gateway["ipConfigurations"]] == ["ipconfig1", "ipconfig2"]
    public_ips = modules(gateway_template)["publicIps"]
    assert public_ips["copy"]["count"] == "[length(parameters('publicIpNames'))]"
    for name in ("vpngw-hub-pip1", "vpngw-hub-pip2"):
        assert_zoned_standard_public_ip(seed, name)
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
    assert seed["put"][("Microsoft.Network/virtualNetworkGateways", "ergw-hub")]["properties"]["gatewayType"] == "ExpressRoute"
    assert_zoned_standard_public_ip(seed, "ergw-hub-pip")
    connection_module = modules(template)["expressRouteConnectionDeployments"]
    assert connection_module["copy"]["count"] == "[length(parameters('expressRouteConnections'))]"
    connection_template = connection_module["properties"]["template"]
    connection = seed["put"][("Microsoft.Network/connections", "ergw-hub-onprem")]["properties"]
    assert connection["connectionType"] == "ExpressRoute"
    assert connection["peer"]["id"].endswith("/expressRouteCircuits/er-tokyo")
    assert connection_template["parameters"]["authorizationKey"]["type"] == "securestring"
    assert template["parameters"]["expressRouteAuthorizationKeys"]["type"] == "secureObject"
    assert [c["circuitResourceId"].rsplit("/", 1)[1] for c in seed["values"]["expressRouteConnections"]] == ["er-tokyo"]


def test_route_server_standard_with_branch_to_branch_and_public_ip(seed):
    ars = module_template(seed["template"], "routeServerDeployment")
    hub = seed["put"][("Microsoft.Network/virtualHubs", "ars-hub")]
    assert hub["properties"]["sku"] == "Standard"
    assert hub["properties"]["allowBranchToBranchTraffic"] is True
    assert seed["values"]["routeServer"]["allowBranchToBranchTraffic"] is True
    ipconfig = resources(ars)["ipConfiguration"]
    assert ipconfig["type"] == "Microsoft.Network/virtualHubs/ipConfigurations"
    assert ipconfig["properties"]["subnet"] == {"id": "[parameters('routeServerSubnetResourceId')]"}
    assert "publicIPAddress" in ipconfig["properties"]
    assert_zoned_standard_public_ip(seed, "ars-hub-pip")
    passed = module_param(seed["template"], "routeServerDeployment")
    assert "RouteServerSubnet" in passed["routeServerSubnetResourceId"]


def test_firewall_with_policy_and_rule_collection_group_from_network_rules(seed):
    firewall = seed["put"][("Microsoft.Network/azureFirewalls", "afw-hub")]
    assert firewall["properties"]["sku"]["name"] == "AZFW_VNet"
    assert firewall["properties"]["firewallPolicy"]["id"].endswith("/firewallPolicies/afw-hub-policy")
    assert "networkRuleCollections" not in firewall["properties"]  # a policy or classic rules, never both
    assert firewall["zones"] == ["1", "2", "3"]
    group = seed["put"][("Microsoft.Network/firewallPolicies/ruleCollectionGroups", "network-rules")]
    collection, = group["properties"]["ruleCollections"]
    assert collection["ruleCollectionType"] == "FirewallPolicyFilterRuleCollection"
    assert collection["action"] == {"type": "Allow"}
    assert collection["rules"] == [{"ruleType": "NetworkRule", "name": "allow-all", "ipProtocols": ["Any"], "sourceAddresses": ["*"],
                                    "destinationAddresses": ["*"], "destinationPorts": ["*"]}]
    assert seed["values"]["firewall"]["tier"] == "Standard"
    policy = seed["put"][("Microsoft.Network/firewallPolicies", "afw-hub-policy")]["properties"]
    assert policy["threatIntelMode"] == "Alert" and "snat" not in policy  # IANA's private ranges: Azure's default


def test_gateway_subnet_route_table_sends_onprem_and_branch_prefixes_to_the_computed_firewall_ip(seed):
    table = seed["put"][("Microsoft.Network/routeTables", "vnet-hub-GatewaySubnet-rt")]
    assert table["properties"]["disableBgpRoutePropagation"] is False
    gateway_table, = seed["values"]["routeTables"]
    assert (gateway_table["name"], gateway_table["propagateGatewayRoutes"]) == ("vnet-hub-GatewaySubnet-rt", True)
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
    connections = [r for (kind, _), r in seed["put"].items() if kind == "Microsoft.Network/connections"
                   and r["properties"]["connectionType"] == "Vnet2Vnet"]
    assert len(connections) == 2
    assert all(c["properties"]["enableBgp"] is True for c in connections)
    assert "sharedKey" in str(resources(v2v)["hubToBranch"]["properties"]) and "sharedKey" in str(resources(v2v)["branchToHub"]["properties"])
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
