"""The route ledger: every BGP session of the design against Azure's limit on it, at, under and over each limit, from
the spec (gen validate, gen routes --ledger) and from a capture (gen verify). Captures come from
tests/azure_standin.py, A STAND-IN FOR AZURE (a healthy deployment of the compiled template), edited where a test needs
Azure to report more routes."""

from __future__ import annotations

import copy
import ipaddress
import json

import pytest

from conftest import EXAMPLES, ONE_HUB_EXAMPLES, load_example
from generator import capture as captured
from generator import ledger, model, routing, verify
from test_cli import run, write_spec
from test_rules import run_rules
from test_verify import compiled, edit, healthy  # noqa: F401  (fixtures)


def prefixes(count: int, base: str = "10.128.0.0") -> list[str]:
    """`count` distinct /28s from `base` on."""
    start = int(ipaddress.ip_address(base))
    return [f"{ipaddress.ip_address(start + 16 * i)}/28" for i in range(count)]


def session(t, starts: str) -> ledger.Session:
    return next(s for s in ledger.from_spec(t) if s.name.startswith(starts))


@pytest.mark.parametrize("count,over,near", [(3199, False, False), (3200, False, True), (4000, False, True),
                                             (4001, True, False)])
def test_a_circuit_takes_4000_prefixes_from_on_premises(count, over, near):
    data = load_example()
    data["onPremises"][0]["advertisedPrefixes"] = prefixes(count, "10.20.0.0")
    t = model.build(data)
    s = session(t, "circuit of onprem")
    assert (s.count, s.limit, s.over, s.near) == (count, 4000, over, near)
    # The same prefixes reach the ExpressRoute gateway and, through Route Server, the branch: sessions of their own
    found = {f.rule_id for f in run_rules(data) if f.rule_id.startswith("LIM") and f.path == "onPremises[0]"}
    assert found == ({"LIM001"} if over else {"LIM002"} if near else set())
    if over:
        message = next(f.message for f in run_rules(data) if f.rule_id == "LIM001" and f.path == "onPremises[0]")
        assert "4,001 prefixes, Azure's limit is 4,000" in message and ledger.EXPRESSROUTE_LIMITS in message


@pytest.mark.parametrize("count,over", [(999, False), (1000, False), (1001, True)])
def test_branch_to_branch_advertises_at_most_1000_prefixes_to_on_premises(count, over):
    """The hub's address space, and through Route Server what the sites advertise: ARS002 past 1,000."""
    data = load_example(EXAMPLES / "vpn-sites.json")
    site = next(b for b in data["branches"] if b["kind"] == "site" and "devices" not in b)
    others = sum(1 for p in model.build(data).hub.vnet.address_space) + sum(
        len(b.advertised_prefixes) for b in model.build(data).branches if b.name != site["name"])
    wanted = count - others
    site["addressPrefixes"] = ["10.200.0.0/16"]
    site["advertisedPrefixes"] = prefixes(wanted - 1, "10.200.0.0")  # and the LNG's own address space: one more
    t = model.build(data)
    s = session(t, "ExpressRoute gateway")
    assert s.count == count and s.over == over and s.rule_id == "ARS002"
    errors = {f.rule_id for f in run_rules(data) if f.severity == "error"}
    assert ("ARS002" in errors) == over and "LIM001" not in errors


@pytest.mark.parametrize("sku,limit", [("ErGw1AZ", 4000), ("ErGw2AZ", 9500), ("ErGw3AZ", 9500), ("ErGwScale", 9500)])
def test_the_expressroute_gateway_learns_what_its_sku_takes(sku, limit):
    data = load_example()
    data["hub"]["expressRouteGateway"]["sku"] = sku
    data["onPremises"][0]["advertisedPrefixes"] = prefixes(3999, "10.20.0.0")
    t = model.build(data)
    s = session(t, "ExpressRoute gateway ergw-hub (")
    assert s.limit == limit and s.count == 3999 + 1  # and the branch's prefix, through Route Server
    assert s.over == (s.count > limit)


@pytest.mark.parametrize("count,over", [(4000, False), (4001, True)])
def test_a_vpn_gateway_takes_4000_prefixes_from_a_bgp_peer(count, over):
    data = load_example(EXAMPLES / "vpn-sites.json")
    index = next(i for i, b in enumerate(data["branches"]) if b["name"] == "shop-lisbon")
    data["branches"][index]["advertisedPrefixes"] = prefixes(count, "10.160.0.0")
    t = model.build(data)
    s = session(t, "site shop-lisbon -> hub VPN gateway")
    assert (s.count, s.limit, s.over) == (count, 4000, over)
    assert (("LIM001", f"branches[{index}]") in {(f.rule_id, f.path) for f in run_rules(data)}) == over


@pytest.mark.parametrize("extra,over", [(998, False), (999, True)])
def test_a_route_table_takes_1000_routes(extra, over):
    """The seed's GatewaySubnet table (on-premises and branch1) and a static site of `extra` /32s: one UDR each."""
    data = load_example()
    data["branches"].append({"name": "many", "kind": "site", "gatewayIpAddress": "198.51.100.7",
                             "addressPrefixes": [p.replace("/28", "/32") for p in prefixes(extra, "192.168.64.0")]})
    table = session(model.build(data), "route table vnet-hub-GatewaySubnet-rt")
    assert (table.count, table.limit, table.over) == (2 + extra, 1000, over)
    assert ("ARS003" in {f.rule_id for f in run_rules(data)}) == over


def test_the_ledger_lists_each_session_with_its_headroom(tmp_path):
    data = load_example()
    t = model.build(data)
    table = session(t, "route table vnet-hub-GatewaySubnet-rt")
    assert (table.count, table.limit, table.rule_id) == (2, 1000, "ARS003")
    spec = write_spec(tmp_path, data)
    result = run("routes", spec, "--ledger")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["session", "prefixes", "limit", "headroom"]
    assert any(line.startswith("circuit of onprem: on-premises -> ExpressRoute private peering") and
               line.split()[-3:] == ["1", "4,000", "3,999"] for line in lines)
    assert ledger.EXPRESSROUTE_LIMITS in result.output and ledger.VPN_BGP_FAQ in result.output
    over = copy.deepcopy(data)
    over["onPremises"][0]["advertisedPrefixes"] = prefixes(4001, "10.20.0.0")
    (tmp_path / "over").mkdir()
    result = run("routes", write_spec(tmp_path / "over", over), "--ledger")
    assert result.exit_code == 1 and "OVER" in result.output


def test_a_healthy_capture_shows_every_session_with_its_headroom(healthy):
    t, root, spec = healthy("vpn-sites")
    result = run("verify", spec, str(root))
    assert result.exit_code == 0, result.output
    assert "route ledger (what Azure reports, against its limits):" in result.output
    sessions = ledger.from_capture(t, captured.Capture(root))
    assert sessions and all(not s.over and not s.near for s in sessions)
    assert any(s.name.startswith("ergw-hub-vpn") and " <- circuit edge" in s.name and s.limit == 4000 for s in sessions)
    assert any(" <- site shop-lisbon " in s.name and s.limit == 4000 for s in sessions)
    # Azure's own peers (the Route Server's instances) are shown without a limit, never judged
    ips = captured.Capture(root).route_server().ips
    azure = [s for s in sessions if any(f" <- {ip} " in s.name for ip in ips)]
    assert azure and all(s.limit is None for s in azure)
    assert any(s.name.startswith("ergw-hub-vpn (ErGw1AZ) learns") and s.limit == 4000 for s in sessions)


@pytest.mark.parametrize("received,rule", [(3300, "VER018"), (4001, "VER017")])
def test_verify_reports_a_peer_near_or_past_the_limit(healthy, received, rule):
    t, root, spec = healthy("vpn-sites")
    status = root / captured.bgp_status_file("vpngw-hub-vpn")
    lisbon = next(str(d.bgp_peering_address) for b in t.site_branches if b.name == "shop-lisbon" for d in b.devices)

    def more(document):
        for entry in document["value"] if isinstance(document, dict) else document:
            if entry["neighbor"] == lisbon:
                entry["routesReceived"] = received
    edit(status, more)
    result = run("verify", spec, str(root))
    assert f"{rule} " in result.output and "<- site shop-lisbon" in result.output
    assert result.exit_code == (1 if rule == "VER017" else 0)


@pytest.mark.parametrize("example", [p.name for p in ONE_HUB_EXAMPLES])
def test_the_counts_are_what_routing_offers_each_branch(example):
    """The ledger counts in one pass what routing.offered_to lists branch by branch (which is quadratic): the same."""
    data = load_example(EXAMPLES / example)
    data["branches"].append({"name": "echo", "kind": "site", "gatewayIpAddress": "198.51.100.99",
                             "addressPrefixes": [data["hub"]["vnet"]["addressSpace"][0]]})  # gives what the hub gives
    t = model.build(data)
    assert routing.offered_counts(t) == {b.name: len(routing.offered_to(t, b)) for b in t.branches}



def test_a_branch_gateway_peering_with_the_hub_at_65515_is_judged_and_the_route_server_is_not(healthy):
    """The hub's VPN gateway runs ASN 65515 like Azure's own peers: a VNet branch's session with it still has the
    VPN limit; what the ExpressRoute gateway advertises to the Route Server is not what a circuit takes."""
    t, root, spec = healthy("seed")

    def flood(document):
        document["value"][0]["routesReceived"] = 5000
    edit(root / captured.bgp_status_file("vpngw-branch1"), flood)
    status = json.loads((root / captured.bgp_status_file("ergw-hub")).read_text())
    route_server = next(e["neighbor"] for e in status["value"] if e["asn"] == 65515)
    advertised = root / captured.advertised_routes_file("ergw-hub", route_server)
    advertised.parent.mkdir(parents=True, exist_ok=True)
    advertised.write_text(json.dumps({"value": [{"network": p, "nextHop": "10.0.0.4", "origin": "Igp", "asPath": "65515",
                                                 "localAddress": "10.0.0.4", "sourcePeer": "10.0.0.4", "weight": 0}
                                                for p in prefixes(1001, "10.200.0.0")]}))
    found = [f for f in verify.verify(t, root) if f.rule_id == "VER017"]
    assert [f.path for f in found] == ["vpngw-branch1"] and "5,000 prefixes, Azure's limit is 4,000" in found[0].message
    assert found[0].file == captured.bgp_status_file("vpngw-branch1")


def test_a_premium_circuit_takes_10000_prefixes():
    data = load_example()
    data["onPremises"][0].update(premium=True, advertisedPrefixes=prefixes(4001, "10.20.0.0"))
    s = session(model.build(data), "circuit of onprem")
    assert (s.limit, s.over) == (10000, False) and "Premium" not in s.relief


@pytest.mark.parametrize("sku,limit", [("Standard", 4000), ("HighPerformance", 9500), ("UltraPerformance", 9500)])
def test_a_legacy_expressroute_gateway_that_runs_learns_what_its_sku_takes(sku, limit):
    data = load_example()
    data["hub"]["expressRouteGateway"]["sku"] = sku
    data["onPremises"][0]["advertisedPrefixes"] = prefixes(limit, "10.20.0.0")
    s = session(model.build(data), "ExpressRoute gateway ergw-hub (")
    assert (s.limit, s.count, s.over) == (limit, limit + 1, True)
