"""Adopting a running hub changes nothing: `gen import` of a capture, `gen render`, the real Bicep compiler, then every
PUT of the compiled template applied over the captured resources by tests/redeploy.py (a stand-in for Resource
Manager written apart from gen's own view): no property of a running resource changes and nothing is created beside
it; and `gen diff --live CAPTURE IMPORTED` reports no change.

The hubs: every example and topology variant (deployed by tests/azure_standin.py, a stand-in for Azure), and the
hand-built captures of tests/fixtures/captures (SOURCES.md there): `brownfield` (names that are not gen's, P2S, a route
added by hand), `portal-hub` (built in the portal: non-AZ gateways, a /27 RouteServerSubnet, classic rules with Deny,
application and DNAT collections, DNS proxy, tags, no zones, spokes in another subscription sharing one route table,
two APIPA devices with empty Local Network Gateways) and `lab-hub` (a public lab's ARM templates and az CLI script).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import redeploy
from azure_standin import template_puts, write_capture
from conftest import compile_environment, compile_rendered
from generator import diff, model, rules, spec
from generator.capture import Capture
from generator.compiler import BicepJsonRpc, find_bicep
from generator.importer import import_capture
from generator.live import home_subscription_of
from test_cli import run
from test_topologies import VARIANTS

pytestmark = pytest.mark.compiler

CAPTURES = Path(__file__).parent / "fixtures" / "captures"
# Every capture folder there: one added later (scripts/adopt_check.py tries it first) is held to the same no-op.
HAND_BUILT = sorted(p.name for p in CAPTURES.iterdir() if (p / "resources").is_dir())


def captured_bodies(root: Path) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted((root / "resources").rglob("*.json"))]


def adopt(bicep_rpc, capture: Path, work: Path):
    """Import the capture, render and compile the spec, and apply its PUTs over the capture: (imported, changes,
    created)."""
    imported = import_capture(Capture(capture))
    assert spec.schema_findings(imported.spec) == []
    topology = model.build(imported.spec)
    assert [f for f in rules.check(topology, imported.spec) if f.severity == "error"] == []
    if any(s.env not in os.environ and s.env not in bicep_rpc.environment for s in topology.secrets):
        with BicepJsonRpc(find_bicep(), compile_environment(topology)) as own:  # secrets named after its sites
            result = compile_rendered(own, imported.spec, work)
    else:
        result = compile_rendered(bicep_rpc, imported.spec, work)
    assert result.diagnostics == [] and result.unformatted == []
    subscription = imported.spec.get("subscriptionId") or home_subscription_of(Capture(capture), topology.hub.vnet.name,
                                                                               imported.spec["resourceGroup"])
    puts = template_puts(result.template, result.parameter_values, topology.name, imported.spec["resourceGroup"], subscription)
    changed, created = redeploy.apply(captured_bodies(capture), puts)
    return imported, changed, created


@pytest.mark.parametrize("name", HAND_BUILT)
def test_adopting_a_hand_built_hub_changes_nothing(bicep_rpc, tmp_path, name):
    imported, changed, created = adopt(bicep_rpc, CAPTURES / name, tmp_path / "out")
    assert changed == [] and created == []
    target = tmp_path / "hub.json"
    target.write_text(json.dumps(imported.spec, indent=2))
    live = run("diff", "--live", CAPTURES / name, target)
    assert live.exit_code == 0, live.output
    assert all(line.startswith(("unmanaged", " ")) for line in live.output.splitlines()[:-1] if line), live.output
    assert live.output.splitlines()[-1].startswith(("no change to what the spec deploys", "no changes")), live.output


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_adopting_what_gen_deployed_changes_nothing(bicep_rpc, tmp_path, name):
    """Every example and variant, deployed (the stand-in), captured and adopted: the same resources, as they run."""
    original = model.build(VARIANTS[name]())
    deployed = compile_rendered(bicep_rpc, VARIANTS[name](), tmp_path / "original")
    capture = write_capture(tmp_path / "capture", deployed.template, deployed.parameter_values, original)
    imported, changed, created = adopt(bicep_rpc, capture, tmp_path / "imported")
    assert changed == [] and created == []
    assert [c for c in diff.compare_live(Capture(capture), model.build(imported.spec)) if c.action != diff.UNMANAGED] == []


def test_a_change_the_stand_in_must_see(bicep_rpc, tmp_path):
    """The judge is not blind: a spec that drops what runs (a DNS server, a tag, a kept route, a zone) is caught."""
    imported = import_capture(Capture(CAPTURES / "portal-hub")).spec
    imported["hub"]["vnet"]["dnsServers"] = ["10.100.4.4"]
    imported["tags"]["owner"] = "someone-else"
    del imported["hub"]["vnet"]["subnets"][3]["routeTable"]["routes"][1]  # the operator's SSH exception
    imported["hub"]["firewall"]["zones"] = ["1", "2", "3"]
    capture = CAPTURES / "portal-hub"
    topology = model.build(imported)
    result = compile_rendered(bicep_rpc, imported, tmp_path / "out")
    puts = template_puts(result.template, result.parameter_values, topology.name, imported["resourceGroup"],
                         imported["subscriptionId"])
    changed, _ = redeploy.apply(captured_bodies(capture), puts)
    text = "\n".join(changed)
    assert "virtualNetworks hub-vnet: properties.dhcpOptions.dnsServers" in text
    assert "tags" in text and "routes[mgmt-ssh-exception]: removed" in text
    assert "azureFirewalls hub-fw: zones [] -> ['1', '2', '3']" in text


def test_a_running_non_az_vpn_gateway_is_read_and_never_written(bicep_rpc, tmp_path):
    """Azure refuses every change to a non-AZ VPN gateway since the SKU consolidation ("Existing VPN gateways not
    supported by an availability zone will no longer allow configuration changes"): the portal hub's VpnGw2 gets no
    PUT at all, its connections still name it, and its outputs are read from what runs."""
    imported = import_capture(Capture(CAPTURES / "portal-hub")).spec
    topology = model.build(imported)
    assert topology.hub.vpn_gateway.locked
    result = compile_rendered(bicep_rpc, imported, tmp_path / "out")
    assert "write: !(hubVpnGateway.?readOnly ?? false)" in (tmp_path / "out" / "main.bicep").read_text()
    puts = template_puts(result.template, result.parameter_values, topology.name, imported["resourceGroup"],
                         imported["subscriptionId"])
    written = {put["id"].rsplit("/", 1)[-1] for put in puts}
    assert "hub-vpngw" not in written and "hub-ergw" in written and "conn-cork-fw1" in written
    upgraded = json.loads(json.dumps(imported))
    upgraded["hub"]["vpnGateway"]["sku"] = "VpnGw2AZ"  # migrated: gen writes it again
    assert not model.build(upgraded).hub.vpn_gateway.locked
