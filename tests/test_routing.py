"""The routing model: effective routes per hop and traces, checked against the seed's findings."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from generator import model, routing
from generator.routing import RouteEntry

ROOT = Path(__file__).resolve().parent.parent

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

SEED_FORWARD = ["onprem (10.20.10.133)", "ergw-hub", "afw-hub (10.0.3.4)", "vpngw-hub", "vpngw-branch1", "branch1 (10.50.1.4)"]
SEED_RETURN = ["branch1 (10.50.1.4)", "vpngw-branch1", "vpngw-hub", "afw-hub (10.0.3.4)", "ergw-hub", "onprem (10.20.10.133)"]
DIRECT_FORWARD = ["onprem (10.20.10.133)", "ergw-hub", "vpngw-hub", "vpngw-branch1", "branch1 (10.50.1.4)"]
DIRECT_RETURN = ["branch1 (10.50.1.4)", "vpngw-branch1", "vpngw-hub", "ergw-hub", "onprem (10.20.10.133)"]



def sites_and_branches(pairs):
    """The transit rows between sites and branches; the hub subnets' rows have tests of their own."""
    return [p for p in pairs if not p.source_name.startswith("hub/")]

def load(name: str = "seed-b2b-azfw.json") -> dict:
    return json.loads((EXAMPLES / name).read_text("utf-8"))


def topology(mutate=None, name: str = "seed-b2b-azfw.json") -> model.Topology:
    data = copy.deepcopy(load(name))
    if mutate:
        mutate(data)
    return model.build(data)


def rows(routes: list[RouteEntry]) -> list[tuple]:
    return [(r.prefix, r.next_hop, r.source, r.effective) for r in routes]


# --- traces ---------------------------------------------------------------------------------------


def test_seed_trace_crosses_the_firewall_both_ways():
    # The seed's traceroute from on-premises 10.20.10.133 to the branch VM 10.50.1.4 showed 10.0.3.7,
    # an address of AzureFirewallSubnet; the model's firewall address is the subnet's .4.
    result = routing.trace(topology(), "10.20.10.133", "10.50.1.4")
    assert result.forward == SEED_FORWARD
    assert result.back == SEED_RETURN
    assert (result.verdict, result.where, result.inspected) == ("delivered", None, True)
    assert result.render() == (
        "forward: onprem (10.20.10.133) → ergw-hub → afw-hub (10.0.3.4) → vpngw-hub → vpngw-branch1 → branch1 (10.50.1.4)\n"
        "return:  branch1 (10.50.1.4) → vpngw-branch1 → vpngw-hub → afw-hub (10.0.3.4) → ergw-hub → onprem (10.20.10.133)\n"
        "verdict: delivered, inspected by afw-hub both ways, allowed by rule 'allow-all' (Any *)\n"
        "source:  kept end to end (10.50.1.4 is in the policy's SNAT private ranges, 10.0.0.0/8)"
    )
    assert routing.format_trace(result) == result.render()


def test_without_inspection_transit_goes_gateway_to_gateway():
    result = routing.trace(topology(lambda d: d["hub"]["firewall"].update(inspectTransit=False)), "10.20.10.133", "10.50.1.4")
    assert result.forward == DIRECT_FORWARD
    assert result.back == DIRECT_RETURN
    assert (result.verdict, result.inspected) == ("delivered", False)
    assert result.render().endswith("verdict: delivered, not inspected (no firewall on either path)")


def test_without_a_firewall_transit_goes_gateway_to_gateway():
    t = topology(lambda d: d["hub"].pop("firewall"))
    result = routing.trace(t, "10.20.10.133", "10.50.1.4")
    assert result.forward == DIRECT_FORWARD
    assert result.back == DIRECT_RETURN
    assert (result.verdict, result.inspected) == ("delivered", False)
    assert "firewall-subnet" not in routing.effective_routes(t)


@pytest.mark.parametrize("mutate", [
    lambda d: d["hub"]["routeServer"].update(branchToBranch=False),
    lambda d: d["hub"].pop("routeServer"),
], ids=["branch-to-branch-off", "no-route-server"])
def test_without_branch_to_branch_nobody_learns_the_other_side(mutate):
    # Seed: with branch-to-branch disabled on-premises never even learns the branch prefixes.
    t = topology(mutate)
    result = routing.trace(t, "10.20.10.133", "10.50.1.4")
    assert (result.verdict, result.where, result.inspected) == ("no-route", "onprem:onprem", False)
    assert result.forward == ["onprem (10.20.10.133)"]
    # ... and the branch has nothing back but its default route to the Internet.
    assert (result.return_path.status, result.return_path.where) == ("no-route", "branch:branch1")
    assert result.back == ["branch1 (10.50.1.4)"]
    routes = routing.effective_routes(t)
    assert [r.prefix for r in routes["onprem:onprem"]] == ["10.0.0.0/16"]
    assert [r.prefix for r in routes["branch:branch1"] if r.origin == "BGP"] == ["10.0.0.0/16"]
    assert result.render().splitlines()[2] == "verdict: no-route at onprem:onprem (forward): onprem:onprem has no route to 10.50.1.4"


def test_udrs_for_one_direction_only_are_asymmetric():
    t = topology()
    branch_only = [r for r in t.gateway_subnet_routes if r.source.startswith("branches")]
    assert [r.address_prefix for r in branch_only] == ["10.50.0.0/16"]
    result = routing.trace(t, "10.20.10.133", "10.50.1.4", gateway_udrs=branch_only)
    assert result.forward == SEED_FORWARD
    assert result.back == DIRECT_RETURN  # the reply is not steered: VPN gateway straight to ExpressRoute
    assert (result.verdict, result.inspected) == ("asymmetric", False)
    assert result.render().endswith("verdict: asymmetric: forward crosses afw-hub, return crosses no firewall")


def test_hub_workload_reaches_the_branch_directly_both_ways():
    # No route table on the hub's workload subnet: BGP routes via the VPN gateway, and the reply
    # entering at the VPN gateway meets no UDR for the hub prefix.
    result = routing.trace(topology(), "10.0.2.4", "10.50.1.4")
    assert result.forward == ["vnet-hub (10.0.2.4)", "vpngw-hub", "vpngw-branch1", "branch1 (10.50.1.4)"]
    assert result.back == ["branch1 (10.50.1.4)", "vpngw-branch1", "vpngw-hub", "vnet-hub (10.0.2.4)"]
    assert (result.verdict, result.inspected) == ("delivered", False)


def test_site_branch_is_reached_through_the_firewall():
    result = routing.trace(topology(name="multi-site.json"), "172.16.0.4", "192.168.50.10", protocol="TCP", port=443)
    assert result.forward == ["dc-amsterdam (172.16.0.4)", "ergw-hub-weu", "afw-hub-weu (10.100.0.132)", "vpngw-hub-weu", "warehouse-lyon (192.168.50.10)"]
    assert result.back == ["warehouse-lyon (192.168.50.10)", "vpngw-hub-weu", "afw-hub-weu (10.100.0.132)", "ergw-hub-weu", "dc-amsterdam (172.16.0.4)"]
    assert (result.verdict, result.inspected) == ("delivered", True)


def test_branch_to_branch_crosses_the_hub_vpn_gateway_twice_without_a_loop():
    result = routing.trace(topology(name="multi-site.json"), "10.110.1.4", "10.120.1.4")
    assert result.forward == [
        "shop-paris (10.110.1.4)", "vpngw-shop-paris", "vpngw-hub-weu", "afw-hub-weu (10.100.0.132)",
        "vpngw-hub-weu", "vpngw-shop-madrid", "shop-madrid (10.120.1.4)",
    ]
    # Routed through the firewall both ways, but multi-site's policy has no branch-to-branch rule.
    assert (result.verdict, result.inspected) == ("denied", True)


def test_no_transit_between_two_expressroute_sites():
    result = routing.trace(topology(name="multi-site.json"), "172.16.0.4", "172.17.0.4")
    assert (result.verdict, result.where) == ("no-route", "onprem:dc-amsterdam")


def test_a_repeated_step_is_a_loop():
    # The design cannot loop (the VPN gateway encapsulates); a firewall route back to itself would.
    t = topology()
    routes = routing.effective_routes(t)
    routes["firewall-subnet"] = [RouteEntry("10.50.0.0/16", "afw-hub (10.0.3.4)", "VirtualAppliance", "UDR back-to-self")]
    walker = routing._Walker(t, routes)
    path = walker.walk(routing.locate(t, "10.20.10.133"), routing.locate(t, "10.50.1.4"))
    assert (path.status, path.where) == ("loop", "afw-hub (10.0.3.4)")
    assert path.hops == ("onprem (10.20.10.133)", "ergw-hub", "afw-hub (10.0.3.4)", "afw-hub (10.0.3.4)")


def test_an_address_outside_every_prefix_is_refused():
    with pytest.raises(ValueError) as error:
        routing.trace(topology(), "10.20.10.133", "192.0.2.1")
    message = str(error.value)
    assert message.startswith("192.0.2.1 is in no prefix of the design")
    assert "10.20.0.0/16 (onprem), 10.50.0.0/16 (branch1), 10.0.0.0/16 (vnet-hub)" in message
    with pytest.raises(ValueError, match="not an IP address"):
        routing.trace(topology(), "onprem", "10.50.1.4")


# --- the transit matrix ---------------------------------------------------------------------------


def test_multi_site_transit_matrix_is_delivered_and_inspected():
    pairs = sites_and_branches(routing.transit_matrix(topology(name="multi-site.json")))
    assert [(p.source_name, p.destination_name, p.source_ip, p.destination_ip) for p in pairs] == [
        ("dc-amsterdam", "shop-paris", "172.16.0.4", "10.110.1.4"),
        ("dc-amsterdam", "shop-madrid", "172.16.0.4", "10.120.1.4"),
        ("dc-amsterdam", "warehouse-lyon", "172.16.0.4", "192.168.50.4"),
        ("dc-frankfurt", "shop-paris", "172.17.0.4", "10.110.1.4"),
        ("dc-frankfurt", "shop-madrid", "172.17.0.4", "10.120.1.4"),
        ("dc-frankfurt", "warehouse-lyon", "172.17.0.4", "192.168.50.4"),
        # Branch to branch: inspected too, and the policy of multi-site allows none of it.
        ("shop-paris", "shop-madrid", "10.110.1.4", "10.120.1.4"),
        ("shop-paris", "warehouse-lyon", "10.110.1.4", "192.168.50.4"),
        ("shop-madrid", "warehouse-lyon", "10.120.1.4", "192.168.50.4"),
    ]
    # multi-site's policy lets the datacentres reach the branches on TCP 22 and 443 only.
    assert all((p.verdict, p.inspected, p.assumptions, p.denied_protocols) == ("partial", True, (), ("UDP", "ICMP"))
               for p in pairs[:6])
    assert all((p.verdict, p.assumptions) == ("denied", (routing.BRANCH_TO_BRANCH_ASSUMED,)) for p in pairs[6:])
    assert pairs[2].forward == "dc-amsterdam (172.16.0.4) → ergw-hub-weu → afw-hub-weu (10.100.0.132) → vpngw-hub-weu → warehouse-lyon (192.168.50.4)"


def test_branch_to_branch_through_the_firewall_is_labelled_assumed():
    data = load("multi-site.json")
    data["hub"]["firewall"]["networkRules"].append({"name": "branches", "sourceAddresses": ["10.110.0.0/16"],
                                                   "destinationAddresses": ["10.120.0.0/16"], "destinationPorts": ["*"],
                                                   "protocols": ["Any"]})
    result = routing.trace(model.build(data), "10.110.1.4", "10.120.1.4")
    assert result.verdict == "delivered" and result.inspected
    assert result.render().splitlines()[-1] == f"assumed: {routing.BRANCH_TO_BRANCH_ASSUMED}"
    # Without inspection the VPN gateway forwards between its connections itself: nothing assumed.
    data["hub"]["firewall"]["inspectTransit"] = False
    assert routing.trace(model.build(data), "10.110.1.4", "10.120.1.4").assumptions == ()


def test_an_advertised_prefix_more_specific_than_its_udr_skips_the_firewall_one_way():
    """Longest prefix first: the BGP route for 172.16.10.0/24 beats the UDR for 172.16.0.0/16 on GatewaySubnet."""
    data = load("multi-site.json")
    data["onPremises"][0]["advertisedPrefixes"] = ["172.16.10.0/24", "172.16.0.0/16"]
    t = model.build(data)
    result = routing.trace(t, "10.110.1.4", "172.16.10.20")
    assert result.verdict == "asymmetric"
    assert result.forward_path.firewalls == () and result.return_path.firewalls == ("afw-hub-weu",)
    assert result.forward == ["shop-paris (10.110.1.4)", "vpngw-shop-paris", "vpngw-hub-weu", "ergw-hub-weu", "dc-amsterdam (172.16.10.20)"]
    covered = routing.trace(t, "10.110.1.4", "172.16.20.20", protocol="UDP", port=53)
    assert covered.verdict in ("delivered", "denied") and covered.inspected


def test_snat_keeps_the_source_of_a_site_on_public_address_space():
    data = load("multi-site.json")
    data["onPremises"][0]["addressPrefixes"].append("198.18.0.0/16")
    t = model.build(data)
    assert t.snat_private_ranges[-1] == "198.18.0.0/16"
    result = routing.trace(t, "198.18.1.1", "10.110.1.4", protocol="TCP", port=22)
    assert result.snat.startswith("kept end to end") and "198.18.0.0/16" not in result.snat
    back = routing.trace(t, "10.110.1.4", "198.18.1.1")
    assert back.snat == "kept end to end (198.18.1.1 is in the policy's SNAT private ranges, 198.18.0.0/16)"


def test_seed_transit_matrix_without_branch_to_branch():
    pairs = sites_and_branches(routing.transit_matrix(topology(lambda d: d["hub"]["routeServer"].update(branchToBranch=False))))
    assert [(p.verdict, p.where, p.inspected, p.forward) for p in pairs] == [
        ("no-route", "onprem:onprem", False, "onprem (10.20.0.4) ✗ no route at onprem:onprem"),
    ]


def test_representative_host_avoids_the_gateway_subnet():
    # A VNet branch with only a GatewaySubnet: the first .4 outside it.
    def only_gateway_subnet(d):
        d["branches"][0]["vnet"]["subnets"] = [{"name": "GatewaySubnet", "prefix": "10.50.0.0/24"}]
    pairs = sites_and_branches(routing.transit_matrix(topology(only_gateway_subnet)))
    assert [(p.source_ip, p.destination_ip, p.verdict) for p in pairs] == [("10.20.0.4", "10.50.1.4", "delivered")]


# --- effective routes -----------------------------------------------------------------------------


def test_seed_gateway_subnet_udrs_win_over_bgp():
    routes = routing.effective_routes(topology())
    assert list(routes) == ["onprem:onprem", "gateway-subnet", "firewall-subnet", "hub-vnet", "branch:branch1"]
    assert rows(routes["gateway-subnet"]) == [
        ("10.0.0.0/16", "VnetLocal", "system", True),
        ("10.20.0.0/16", "afw-hub (10.0.3.4)", "UDR onprem-10.20.0.0_16", True),
        ("10.20.0.0/16", "ergw-hub", "BGP via ergw-hub", False),
        ("10.50.0.0/16", "afw-hub (10.0.3.4)", "UDR branch1-10.50.0.0_16", True),
        ("10.50.0.0/16", "vpngw-hub", "BGP via vpngw-hub", False),
        ("0.0.0.0/0", "Internet", "system", True),
    ]
    assert routing.lookup(routes["gateway-subnet"], "10.50.1.4").source == "UDR branch1-10.50.0.0_16"
    # The firewall learns both sides over BGP, so it sends the transit on to the right gateway.
    assert rows(routes["firewall-subnet"]) == [
        ("10.0.0.0/16", "VnetLocal", "system", True),
        ("10.20.0.0/16", "ergw-hub", "BGP via ergw-hub", True),
        ("10.50.0.0/16", "vpngw-hub", "BGP via vpngw-hub", True),
        ("0.0.0.0/0", "Internet", "system", True),
    ]


def test_seed_on_premises_and_branch_learn_each_other():
    routes = routing.effective_routes(topology())
    assert rows(routes["onprem:onprem"]) == [
        ("10.0.0.0/16", "ergw-hub", "BGP via ergw-hub", True),
        ("10.50.0.0/16", "ergw-hub", "BGP via ergw-hub", True),
    ]
    assert rows(routes["branch:branch1"]) == [
        ("10.0.0.0/16", "vpngw-branch1", "BGP via vpngw-hub", True),
        ("10.20.0.0/16", "vpngw-branch1", "BGP via vpngw-hub", True),
        ("10.50.0.0/16", "VnetLocal", "system", True),
        ("0.0.0.0/0", "Internet", "system", True),
    ]


def test_default_route_from_on_premises_keeps_the_firewall_on_the_internet():
    routes = routing.effective_routes(topology(lambda d: d["onPremises"][0].update(advertisesDefaultRoute=True)))
    defaults = [r for r in routes["firewall-subnet"] if r.prefix == "0.0.0.0/0"]
    assert [(r.next_hop, r.source, r.effective) for r in defaults] == [
        ("Internet", "UDR default-to-internet", True),
        ("ergw-hub", "BGP via ergw-hub", False),
        ("Internet", "system", False),
    ]
    # Without that UDR (hub workload subnet), the learned default wins over the system one.
    assert routing.lookup(routes["hub-vnet"], "198.51.100.1").next_hop == "ergw-hub"


def test_tables_are_sorted_by_prefix_length_then_address():
    for routes in routing.effective_routes(topology(name="multi-site.json")).values():
        keys = [(-r.network.prefixlen, int(r.network.network_address)) for r in routes]
        assert keys == sorted(keys)
    branch = routing.effective_routes(topology(name="multi-site.json"))["branch:shop-paris"]
    assert [r.prefix for r in branch] == [
        "192.168.50.0/24", "10.100.0.0/20", "10.110.0.0/16", "10.120.0.0/16", "172.16.0.0/16", "172.17.0.0/16", "0.0.0.0/0",
    ]


def test_format_routes_shows_every_source_and_the_shadowed_routes():
    routes = routing.effective_routes(topology())
    text = routing.format_routes(routes, "gateway-subnet")
    assert text.splitlines() == [
        "gateway-subnet",
        "  prefix        next hop            next hop type          source                    effective",
        "  10.0.0.0/16   VnetLocal           VnetLocal              system                    yes",
        "  10.20.0.0/16  afw-hub (10.0.3.4)  VirtualAppliance       UDR onprem-10.20.0.0_16   yes",
        "  10.20.0.0/16  ergw-hub            VirtualNetworkGateway  BGP via ergw-hub          no (shadowed by UDR)",
        "  10.50.0.0/16  afw-hub (10.0.3.4)  VirtualAppliance       UDR branch1-10.50.0.0_16  yes",
        "  10.50.0.0/16  vpngw-hub           VirtualNetworkGateway  BGP via vpngw-hub         no (shadowed by UDR)",
        "  0.0.0.0/0     Internet            Internet               system                    yes",
    ]
    everything = routing.format_routes(routes)
    assert [line for line in everything.splitlines() if line and not line.startswith(" ")] == list(routes)
    with pytest.raises(ValueError, match="unknown hop 'nowhere'"):
        routing.format_routes(routes, "nowhere")


def test_every_pair_of_places_in_multi_site():
    # Transit (on-premises <-> branch, branch <-> branch) is inspected; the hub reaches everyone directly;
    # two ExpressRoute sites never reach each other (that would be Global Reach).
    t = topology(name="multi-site.json")
    on_premises = {"172.16.0.4", "172.17.0.4"}
    branches = {"10.110.1.4", "10.120.1.4", "192.168.50.4"}
    for source in sorted(on_premises | branches | {"10.100.1.4"}):
        for destination in sorted(on_premises | branches | {"10.100.1.4"}):
            result = routing.trace(t, source, destination)
            transit = source != destination and {source, destination} <= on_premises | branches
            if source != destination and {source, destination} <= on_premises:
                expected = "no-route"
            elif transit:
                # The firewall's policy decides: DCs may reach branches on TCP 22/443 only (partial: UDP and ICMP
                # dropped); nothing allows branch -> DC .4.
                expected = "partial" if source in on_premises else "denied"
            else:
                expected = "delivered"
            assert (source, destination, result.verdict, result.inspected) == (source, destination, expected, transit and expected != "no-route")
            if expected != "no-route":
                assert result.forward[-1].endswith(f"({destination})") and result.back[-1].endswith(f"({source})")


def test_firewall_policy_decides_the_verdict_of_inspected_transit():
    t = topology(name="multi-site.json")
    allowed = routing.trace(t, "172.16.0.4", "10.110.1.4", protocol="TCP", port=22)
    assert (allowed.verdict, allowed.allowed_by) == ("delivered", "rule 'dc-to-branches-ssh-https' (TCP 22, 443)")
    assert routing.trace(t, "172.16.0.4", "10.110.1.4", protocol="TCP", port=3389).verdict == "denied"
    assert routing.trace(t, "172.16.0.4", "10.110.1.4", protocol="UDP", port=22).verdict == "denied"
    dns = routing.trace(t, "10.120.1.4", "172.17.0.10", protocol="UDP", port=53)
    assert (dns.verdict, dns.allowed_by) == ("delivered", "rule 'branches-to-dc-dns' (UDP/TCP 53)")
    denied = routing.trace(t, "10.110.1.4", "10.120.1.4")
    assert "no network rule of its policy allows 10.110.1.4 -> 10.120.1.4" in routing.format_trace(denied)
    # Without inspection the policy is not on the path.
    t_open = topology(lambda d: d["hub"]["firewall"].update(inspectTransit=False), name="multi-site.json")
    assert routing.trace(t_open, "10.110.1.4", "10.120.1.4").verdict == "delivered"


def test_transit_matrix_skips_a_branch_whose_address_space_is_unreadable():
    """Found by `make soak`: a workload subnet outside an unreadable address space is no address of the branch."""
    t = topology(lambda d: d["branches"][0]["vnet"].update(addressSpace=[""]))
    assert sites_and_branches(routing.transit_matrix(t)) == []


def test_two_circuits_to_one_network_are_one_row_of_the_transit_table():
    """One network reached over two circuits is one flow, not two identical rows (a reviewer counts rows)."""
    def two_circuits(d):
        second = copy.deepcopy(d["onPremises"][0])
        second.update(name="onprem2", expressRouteCircuitId=second["expressRouteCircuitId"].replace("er-tokyo", "er-osaka"),
                      routingWeight=10)
        d["onPremises"].append(second)

    pairs = sites_and_branches(routing.transit_matrix(topology(two_circuits)))
    assert [(p.source_name, p.destination_name) for p in pairs] == [("onprem / onprem2", "branch1")]
    assert pairs[0].verdict == "delivered" and "circuit er-osaka of onprem2" in pairs[0].return_path  # weight 10 wins


def test_hub_subnet_rows_say_whether_the_firewall_sees_them():
    seed = [p for p in routing.transit_matrix(topology()) if p.source_name.startswith("hub/")]
    assert [(p.source_name, p.destination_name, p.verdict, p.inspected) for p in seed] == [
        ("hub/subnet-001", "onprem", "delivered", False), ("hub/subnet-001", "branch1", "delivered", False)]
    hub_spoke = model.build(json.loads((ROOT / "examples" / "hub-spoke.json").read_text()))
    rows = {(p.source_name, p.destination_name): p for p in routing.transit_matrix(hub_spoke)}
    assert rows[("hub/subnet-001", "onprem")].inspected and rows[("hub/subnet-001", "onprem")].verdict == "partial"
    assert not rows[("hub/subnet-001", "spoke-app")].inspected  # hub <-> spoke goes over the peering
    assert rows[("spoke-app", "spoke-shared")].verdict == "no-route"  # gen writes no spoke-to-spoke route


def test_trace_to_the_internet_through_the_firewall_and_straight_out():
    hub_spoke = model.build(json.loads((ROOT / "examples" / "hub-spoke.json").read_text()))
    through = routing.trace(hub_spoke, "10.61.1.4", "8.8.8.8", protocol="TCP", port=443)
    assert through.verdict == "delivered" and through.inspected and through.destination.kind == "internet"
    assert "spoke-shared-to-internet-web" in through.allowed_by and not through.assumptions
    direct = routing.trace(hub_spoke, "10.60.1.4", "8.8.8.8")
    assert direct.verdict == "delivered" and not direct.inspected and direct.assumptions == (routing.INTERNET_RETURN,)
    with pytest.raises(ValueError, match="not a public"):
        routing.trace(hub_spoke, "10.60.1.4", "172.31.0.1")


def test_a_static_site_is_routed_from_its_local_network_gateway_not_bgp():
    """shop-oslo has no BGP: the hub learns its prefix from the Local Network Gateway's address space, and the site's
    own table is what its device routes into the tunnel; shop-lisbon (BGP) still learns shop-oslo over BGP."""
    topo = topology(name="vpn-sites.json")
    tables = routing.effective_routes(topo)
    firewall = {r.prefix: r.source for r in tables["firewall-subnet"]}
    assert firewall["10.31.0.0/24"] == "static via vpngw-hub-vpn (Local Network Gateway lng-shop-oslo)"
    assert firewall["10.32.0.0/24"] == "BGP via vpngw-hub-vpn"
    assert {r.source for r in tables["branch:shop-oslo"]} == {"static on the device, tunnel to vpngw-hub-vpn"}
    assert {r.prefix: r.source for r in tables["branch:shop-lisbon"]}["10.31.0.0/24"] == "BGP via vpngw-hub-vpn"


# --- behaviours a mutation round found held only by stored output ---------------------------------------------------


def test_a_failed_circuits_prefixes_leave_the_hubs_routes_but_its_udrs_stay():
    from conftest import SEED, load_example
    from generator.failures import parse
    from test_cli import run

    topology = model.build(load_example(SEED))
    failed = parse(topology, ["circuit:onprem"])
    before = routing.effective_routes(topology)["gateway-subnet"]
    after = routing.effective_routes(topology, failed=failed)["gateway-subnet"]
    assert any(r.prefix == "10.20.0.0/16" and r.origin == "BGP" for r in before)
    assert not any(r.prefix == "10.20.0.0/16" and r.origin == "BGP" for r in after)
    assert any(r.prefix == "10.20.0.0/16" and r.origin == "UDR" for r in after)  # a UDR does not fail over
    assert "10.20.0.0/16" not in [p for prefixes in routing.expected_learned(topology, failed).values() for p in prefixes]
    assert "10.20.0.0/16" in [p for prefixes in routing.expected_learned(topology).values() for p in prefixes]
    shown = run("routes", SEED, "--at", "gateway-subnet", "--fail", "circuit:onprem")
    assert shown.exit_code == 0 and "failed: circuit:onprem" in shown.output and "BGP via ergw-hub" not in shown.output
    assert run("routes", SEED, "--fail", "circuit:nowhere").exit_code == 2


def test_a_policy_based_site_reaches_the_hub_only():
    """ "they can only connect to the Azure virtual network; they cannot transit to other on-premises networks or
    virtual networks via the same Azure VPN gateway" (policy-based devices, Learn)."""
    from conftest import EXAMPLES, load_example

    topology = model.build(load_example(EXAMPLES / "vpn-sites.json"))
    oslo = "10.31.0.10"
    to_branch = routing.trace(topology, oslo, "10.60.0.10")
    to_site = routing.trace(topology, oslo, "10.32.0.10")
    assert to_branch.verdict == routing.NO_ROUTE and to_site.verdict == routing.NO_ROUTE
    from_branch = routing.trace(topology, "10.60.0.10", oslo)
    assert from_branch.verdict == routing.NO_ROUTE and "policy-based traffic selectors" in from_branch.forward_path.reason
    to_hub = routing.trace(topology, oslo, "10.10.2.10")
    assert to_hub.verdict in (routing.DELIVERED, routing.DENIED)
