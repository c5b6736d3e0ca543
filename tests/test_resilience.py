"""What survives a failure: gen trace --fail and gen resilience on the examples, one test per known case."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from conftest import EXAMPLES, MULTI_SITE, SEED, load_example
from generator import model, resilience, routing
from generator.failures import FailureError, elements, parse
from test_cli import run, write_spec

HUB_SPOKE = EXAMPLES / "hub-spoke.json"


def two_circuits() -> dict:
    """The seed's on-premises network over two circuits (the second with the higher weight)."""
    data = load_example(SEED)
    second = copy.deepcopy(data["onPremises"][0])
    second.update(name="onprem2", routingWeight=10,
                  expressRouteCircuitId=second["expressRouteCircuitId"].replace("er-tokyo", "er-osaka"))
    data["onPremises"].append(second)
    return data


def outcome(result: resilience.Resilience, label: str) -> resilience.Outcome:
    return next(o for o in result.outcomes if o.failure.label == label)


def effects(o: resilience.Outcome) -> dict[str, str]:
    return {e.flow: e.effect for e in o.effects}


@pytest.mark.parametrize("path", [SEED, MULTI_SITE, HUB_SPOKE], ids=lambda p: p.name)
def test_every_single_failure_has_a_verdict_per_flow(path):
    t = model.build(load_example(path))
    result = resilience.analyse(t)
    flows = len(routing.flows(t))
    assert result.flows == flows and len(result.outcomes) >= 6
    assert all(len(o.effects) == flows for o in result.outcomes)
    assert all(e.effect in (resilience.KEPT, resilience.LOST_INSPECTION, resilience.ASYMMETRIC, resilience.BROKEN,
                            resilience.ALREADY) for o in result.outcomes for e in o.effects)
    # Single points of failure come first.
    points = [o.single_point for o in result.outcomes]
    assert points == sorted(points, reverse=True)
    assert not result.failed  # no example claims redundancy it lacks, and no failure makes traffic skip the firewall


def test_losing_one_of_two_circuits_to_the_same_network_keeps_every_flow_delivered_and_inspected():
    t = model.build(two_circuits())
    result = resilience.analyse(t)
    for circuit in ("circuit:onprem", "circuit:onprem2"):
        assert set(effects(outcome(result, circuit)).values()) == {resilience.KEPT}, circuit
    preferred = routing.trace(t, "10.50.1.4", "10.20.1.4")
    assert "circuit er-osaka of onprem2 (weight 10 over 0)" in preferred.forward_path.text  # the heavier circuit
    standby = routing.trace(t, "10.50.1.4", "10.20.1.4", failed=parse(t, ["circuit:onprem2"]))
    assert standby.verdict == "delivered" and standby.inspected  # over the other circuit, through the firewall both ways


def test_losing_one_vpn_instance_keeps_every_flow():
    for path in (SEED, MULTI_SITE, HUB_SPOKE):
        result = resilience.analyse(model.build(load_example(path)))
        for instance in ("vpn-instance:0", "vpn-instance:1"):
            assert not outcome(result, instance).single_point, (path.name, instance)


def test_losing_the_route_server_breaks_expressroute_vpn_transit_but_not_on_premises_to_the_hub():
    o = outcome(resilience.analyse(model.build(load_example(HUB_SPOKE))), "route-server")
    found = effects(o)
    assert found["onprem -> branch1"] == resilience.BROKEN
    assert found["hub/subnet-001 -> onprem"] == resilience.KEPT
    assert found["spoke-app -> onprem"] == resilience.KEPT and found["spoke-app -> branch1"] == resilience.KEPT


def test_losing_the_firewall_black_holes_every_inspected_flow_while_hub_local_traffic_survives():
    t = model.build(load_example(HUB_SPOKE))
    o = outcome(resilience.analyse(t), "firewall")
    for effect in o.effects:
        before = routing.trace(t, *next((f.source_ip, f.destination_ip) for f in routing.flows(t)
                                        if f"{f.source_name} -> {f.destination_name}" == effect.flow))
        if before.inspected:
            assert (effect.effect, effect.verdict) == (resilience.BROKEN, "black-holed"), effect
        elif before.verdict == "delivered":
            assert effect.effect == resilience.KEPT, effect  # hub <-> spoke over the peering
    assert effects(o)["hub/subnet-001 -> spoke-app"] == resilience.KEPT


def test_a_zone_outage_takes_down_nothing_gen_deploys_and_says_why():
    result = resilience.analyse(model.build(load_example(SEED)))
    assert not outcome(result, "zone:2").single_point
    texts = " ".join(b.text for b in result.behaviours)
    # Learn's reliability pages (read 2026-12): gateways "up to one minute", the firewall "a few seconds", with the
    # requests in flight through the failed zone lost; never "no downtime".
    assert "up to one minute" in texts and "typically a few seconds" in texts and "might terminate and require retries" in texts
    assert "no downtime" not in texts and "non-AZ" not in texts and "zonal" not in texts


def adopted(name: str) -> dict:
    from generator.capture import Capture
    from generator.importer import import_capture

    return import_capture(Capture(Path(__file__).parent / "fixtures" / "captures" / name)).spec


def test_a_zone_outage_takes_down_the_non_az_gateways_an_adopted_hub_runs():
    """The portal hub runs VpnGw2 and Standard (no AZ): any zone may hold their instances, so each zone's outage is
    taken to take both down, and the verdicts say so instead of what gen would deploy."""
    topology = model.build(adopted("portal-hub"))
    result = resilience.analyse(topology)
    for zone in ("zone:1", "zone:2", "zone:3"):
        lost = outcome(result, zone)
        assert lost.failure.expressroute_gateway and lost.failure.vpn_instances == {0, 1}
        assert effects(lost)["dublin -> cork"] == resilience.BROKEN
    texts = [b.text for b in result.behaviours]
    assert any("hub VPN gateway `hub-vpngw` (VpnGw2, no AZ)" in t for t in texts)
    assert any("don't support the distribution of the gateway across multiple availability zones" in t for t in texts)
    assert not any("up to one minute" in t for t in texts)  # no gateway here is zone-redundant
    # A firewall that runs without zones is zone-redundant by the platform's default, and is said to be.
    assert not outcome(result, "zone:1").failure.firewall
    assert any("zone redundant by default" in t for t in texts) and any("typically a few seconds" in t for t in texts)


def test_a_zonal_firewall_and_a_zonal_gateway_go_down_with_their_zone_only():
    data = load_example(SEED)
    data["hub"]["firewall"]["zones"] = ["2"]
    pips = model.build(data).hub.vpn_gateway.public_ip_names
    data["asDeployed"] = {f"Microsoft.Network/publicIPAddresses/{pip}": {"zones": ["3"]} for pip in pips}
    result = resilience.analyse(model.build(data))
    assert outcome(result, "zone:2").failure.firewall and not outcome(result, "zone:3").failure.firewall
    assert outcome(result, "zone:3").failure.vpn_instances == {0, 1}
    assert not outcome(result, "zone:1").single_point
    assert effects(outcome(result, "zone:2"))["onprem -> branch1"] == resilience.BROKEN
    texts = " ".join(b.text for b in result.behaviours)
    assert "firewall `" in texts and "(zonal: zone 2)" in texts and "(zonal: zone 3)" in texts


def test_broken_claimed_redundancy_and_lost_inspection_fail_the_check():
    """Two circuits for one network, where the second circuit's site does not advertise the prefixes the first one
    does: failing the first loses the network although the spec claims it is reached twice."""
    data = two_circuits()
    data["onPremises"][1]["advertisedPrefixes"] = ["10.99.0.0/16"]  # its routers advertise something else
    data["acceptedWarnings"] = []
    t = model.build(data)
    result = resilience.analyse(t)
    o = outcome(result, "circuit:onprem")
    assert o.redundancy_broken and o.fails_the_check and result.failed
    assert run("resilience", write_spec_dir(data)).exit_code == 1


def write_spec_dir(data: dict):
    import tempfile
    from pathlib import Path

    return write_spec(Path(tempfile.mkdtemp()), data)


def test_every_behaviour_has_a_source_or_says_it_is_assumed():
    result = resilience.analyse(model.build(load_example(HUB_SPOKE)))
    assert result.behaviours
    for behaviour in result.behaviours:
        assert behaviour.source.startswith("https://learn.microsoft.com/") or behaviour.assumed
    text, markdown = resilience.as_text(result), resilience.as_markdown(result)
    assumed = [b for b in result.behaviours if b.assumed]
    assert assumed  # the hub-spoke example has a firewall: what a UDR does when it is down is documented nowhere
    for behaviour in assumed:
        assert f"assumed: {behaviour.text}" in text
        assert f"{resilience.markdown.text(behaviour.text)} (assumed)" in markdown


def test_cli_trace_with_failures_and_resilience_formats(tmp_path):
    down = run("trace", SEED, "--from", "10.20.10.133", "--to", "10.50.1.4", "--fail", "firewall")
    assert down.exit_code == 1 and "verdict: black-holed at afw-hub (10.0.3.4)" in down.output and "assumed:" in down.output
    assert run("trace", SEED, "--from", "10.20.10.133", "--to", "10.50.1.4", "--fail", "vpn-instance:1").exit_code == 0
    unknown = run("trace", SEED, "--from", "10.20.10.133", "--to", "10.50.1.4", "--fail", "circuit:nowhere")
    assert unknown.exit_code == 2 and "its elements: circuit:onprem" in unknown.stderr
    text = run("resilience", HUB_SPOKE)
    assert text.exit_code == 0 and "single points of failure first" in text.output
    markdown = run("resilience", HUB_SPOKE, "--format", "markdown").output
    assert "| `firewall` |" in markdown and "([source](https://learn.microsoft.com/" in markdown
    document = json.loads(run("resilience", SEED, "--pairs", "--format", "json").output)
    assert any(o["failure"] == ["route-server", "firewall"] for o in document["outcomes"])
    with pytest.raises(FailureError):
        parse(model.build(load_example(SEED)), ["zone:4"])


def test_the_output_readme_has_the_single_failure_table():
    from conftest import render_data

    readme = render_data(load_example(HUB_SPOKE))["README.md"]
    assert "## What survives a failure" in readme and "| `route-server` |" in readme


def overlapping_site() -> dict:
    """multi-site with a site whose prefix covers another's (a less specific one over a branch)."""
    data = load_example(MULTI_SITE)
    site = next(b for b in data["branches"] if b.get("kind") == "site")
    site["advertisedPrefixes"] = [*site["addressPrefixes"], "10.110.0.0/15"]
    return data


@pytest.mark.parametrize("make", [lambda: load_example(SEED), lambda: load_example(MULTI_SITE),
                                  lambda: load_example(HUB_SPOKE), two_circuits, overlapping_site],
                         ids=["seed", "multi-site", "hub-spoke", "two-circuits", "overlapping-site"])
def test_only_the_flows_a_failure_can_touch_are_traced_again_and_the_rest_are_the_same(make):
    """The shortcut for circuits, sites and branches gives what tracing every flow again gives."""
    t = model.build(make())
    flows = routing.flows(t)
    baseline = {(p.source_name, p.destination_name): p for p in routing.transit_matrix(t, only=flows)}
    for name in elements(t):
        failure = parse(t, [name])
        full = {(p.source_name, p.destination_name): p for p in routing.transit_matrix(t, failed=failure, only=flows)}
        fast = resilience._outcome(t, failure, flows, baseline)
        slow = tuple(resilience._effect(baseline[k], full[k]) for k in baseline)
        assert fast.effects == slow, name


VPN_SITES = EXAMPLES / "vpn-sites.json"


def test_losing_one_device_of_a_two_device_site_keeps_every_flow_and_losing_both_does_not():
    t = model.build(load_example(VPN_SITES))
    result = resilience.analyse(t)
    for device in ("fra-edge1", "fra-edge2"):
        one = outcome(result, f"site:dc-frankfurt/{device}")
        assert set(effects(one).values()) <= {resilience.KEPT, resilience.ALREADY} and not one.fails_the_check
        assert effects(one)["dc-amsterdam -> dc-frankfurt"] == resilience.KEPT
    both = resilience.outcome(t, parse(t, ["site:dc-frankfurt/fra-edge1", "site:dc-frankfurt/fra-edge2"]))
    assert effects(both)["dc-amsterdam -> dc-frankfurt"] == resilience.BROKEN  # every device down: the site is
    assert "site:dc-frankfurt" not in failures_elements(t)  # the site as a whole is a pair of failures, not one


def failures_elements(t):
    from generator.failures import elements

    return elements(t)


def test_a_trace_names_the_devices_of_a_site_and_the_one_left(tmp_path):
    spec = write_spec(tmp_path, load_example(VPN_SITES))
    both = run("trace", spec, "--from", "10.20.0.10", "--to", "10.30.0.10")
    assert both.exit_code == 0 and "fra-edge1 + fra-edge2 (ECMP" in both.output
    one = run("trace", spec, "--from", "10.20.0.10", "--to", "10.30.0.10", "--fail", "site:dc-frankfurt/fra-edge1")
    assert one.exit_code == 0 and "fra-edge2 (fra-edge1 down)" in one.output
    assert "vpn-gateway-highlyavailable" in one.output
    wrong = run("trace", spec, "--from", "10.20.0.10", "--to", "10.30.0.10", "--fail", "site:dc-frankfurt/fra-edge9")
    assert wrong.exit_code == 2 and "site:dc-frankfurt/fra-edge1" in wrong.stderr
    isolated = run("trace", spec, "--from", "10.20.0.10", "--to", "10.31.0.10")  # shop-oslo: policy-based selectors
    assert isolated.exit_code == 1 and "reaches the hub VNet only" in isolated.output
    assert "vpn-gateway-connect-multiple-policybased-rm-ps" in isolated.output
    data = load_example(VPN_SITES)
    data["branches"][1]["connection"]["usePolicyBasedTrafficSelectors"] = False
    static = run("trace", write_spec(tmp_path, data, "route-based.json"), "--from", "10.20.0.10", "--to", "10.31.0.10")
    # A static site's prefixes reach Route Server as BGP-learned ones do ("Whether you enable BGP on the VPN gateway or
    # not, the gateway advertises the routes it learns to the Route Server"): delivered, and no longer an assumption.
    assert static.exit_code == 0 and "verdict: delivered" in static.output and "assumed:" not in static.output


def test_a_pair_names_the_element_that_breaks_each_flow_and_blames_no_other():
    """circuit:dc-amsterdam + one Frankfurt device: Amsterdam's flows break because its circuit is down, not because
    Frankfurt lost a device, so the site's claimed redundancy holds."""
    result = resilience.analyse(model.build(load_example(VPN_SITES)), pairs=True)
    pair = outcome(result, "circuit:dc-amsterdam + site:dc-frankfurt/fra-edge1")
    broken = {e.flow: e for e in pair.effects if e.effect == resilience.BROKEN}
    assert broken["dc-amsterdam -> dc-frankfurt"].cause == "circuit:dc-amsterdam"
    assert pair.redundancy_broken == () and not pair.fails_the_check
    assert "by circuit:dc-amsterdam" in resilience.as_text(result)
    both = outcome(result, "site:dc-frankfurt/fra-edge1 + site:dc-frankfurt/fra-edge2")
    assert {e.cause for e in both.effects if e.effect == resilience.BROKEN} == {"together"}


def test_a_failure_that_makes_a_flow_skip_the_firewall_fails_the_check_and_comes_first(monkeypatch, tmp_path):
    """A failure after which a flow is still delivered but no longer crosses the firewall is "lost inspection", and one
    after which it goes asymmetric is a single point of failure: gen resilience lists the first before everything
    else and exits 1 for it. The routing model is made to answer so for one VPN instance each (no example does)."""
    import dataclasses

    real = routing.transit_matrix

    def matrix(topology, *args, **kwargs):
        pairs, failed = real(topology, *args, **kwargs), kwargs.get("failed")
        if failed is not None and failed.vpn_instances == {0}:
            return [dataclasses.replace(p, inspected=False) if p.inspected else p for p in pairs]
        if failed is not None and failed.vpn_instances == {1}:
            return [dataclasses.replace(p, verdict=routing.ASYMMETRIC) if p.inspected else p for p in pairs]
        return pairs

    monkeypatch.setattr(resilience.routing, "transit_matrix", matrix)
    result = resilience.analyse(model.build(load_example(SEED)))
    first, second = result.outcomes[0], outcome(result, "vpn-instance:1")
    assert first.failure.label == "vpn-instance:0" and first.skips_firewall and first.fails_the_check
    assert set(effects(first).values()) >= {resilience.LOST_INSPECTION}
    assert second.single_point and not second.fails_the_check
    survivors = [o for o in result.outcomes if not o.single_point and not o.fails_the_check]
    assert survivors and all(result.outcomes.index(second) < result.outcomes.index(o) for o in survivors)
    assert resilience.ASYMMETRIC in effects(second).values()
    assert result.failed
    cli = run("resilience", SEED)
    assert cli.exit_code == 1 and "vpn-instance:0: FAILS" in cli.output
