"""Generated Mermaid and KQL read by the real parsers: every example's README diagram, every topology
variant, hostile names, and the firewall-log query against the schema of its Log Analytics table."""

from __future__ import annotations

import json

import pytest

from conftest import EXAMPLES, MULTI_REGION, ONE_HUB_EXAMPLES, load_example, render_data, variant
from generator import diagram, logs, model, pipeline
from parsers import mermaid_blocks, parse
from test_topologies import VARIANTS

pytestmark = pytest.mark.parsers

HUB_SPOKE = EXAMPLES / "hub-spoke.json"


def _hostile(data: dict) -> None:
    """Names with every character that means something to Mermaid: quotes, brackets, pipes, entities, keywords."""
    data["hub"]["vnet"]["name"] = 'vnet "hub" [x] (y) {z}'
    data["hub"]["vnet"]["subnets"][2]["name"] = "snet %% not a comment"
    data["hub"]["firewall"]["name"] = "afw|<b>bold</b>|"
    data["hub"]["routeServer"]["name"] = "end"
    data["hub"]["expressRouteGateway"]["name"] = "subgraph"
    data["onPremises"][0]["name"] = "click"
    data["onPremises"][0]["expressRouteCircuitId"] += ']) --> x["'
    data["branches"][0]["name"] = "style"
    data["branches"][0]["vnet"]["name"] = "vnet;#amp;&amp;"
    data["spokes"][0]["name"] = "graph"
    data["spokes"][0]["vnet"]["name"] = "日本語 ✓ `tick`"
    data["testVms"] = [{"name": "vm.1_a", "vnet": "graph", "subnet": "snet-app"},
                       {"name": "vm-1.a", "vnet": "style", "subnet": "subnet-001"}]


def test_every_example_readme_diagram_parses(tmp_path):
    texts = {}
    for path in ONE_HUB_EXAMPLES:
        blocks = mermaid_blocks(render_data(load_example(path), path.name)["README.md"])
        assert len(blocks) == 1, path.name
        texts[path.name] = blocks[0]
    # Several hubs: the README of the hubs and each hub's own.
    several = pipeline.render_files(pipeline.analyse(MULTI_REGION), tmp_path / "multi-region")
    for name in ("README.md", "weu/README.md", "neu/README.md"):
        blocks = mermaid_blocks(several[name])
        assert len(blocks) == 1, name
        texts[f"multi-region {name}"] = blocks[0]
    assert "hub-spoke.json" in texts
    verdicts = parse("mermaid", texts, tmp_path)
    assert {name: (v["ok"], v.get("type"), v.get("error")) for name, v in verdicts.items()} == {
        name: (True, "flowchart-v2", None) for name in texts}


def test_every_topology_variant_diagram_parses(tmp_path):
    texts = {name: diagram.mermaid(model.build(make())) for name, make in VARIANTS.items()}
    texts["hub-spoke without inspection"] = diagram.mermaid(model.build(variant(load_example(HUB_SPOKE), lambda d: d["hub"].pop("firewall"))))
    failed = {name: v["error"] for name, v in parse("mermaid", texts, tmp_path).items() if not v["ok"]}
    assert failed == {}


def test_hostile_names_cannot_break_the_diagram(tmp_path):
    text = diagram.mermaid(model.build(variant(load_example(HUB_SPOKE), _hostile)))
    verdict = parse("mermaid", {"hostile": text}, tmp_path)["hostile"]
    assert verdict["ok"], verdict["error"] + "\n" + text
    assert "vnet #quot;hub#quot; [x] (y) {z}" in text  # the label keeps the text, quotes as Mermaid entities
    assert "vm_0" in text and "vm_1" in text  # two VM names that differ only in punctuation stay two nodes


def test_the_mermaid_check_fails_on_a_broken_diagram(tmp_path):
    """The check can fail: an unquoted bracket in a label is what escaping protects against."""
    verdicts = parse("mermaid", {"good": 'flowchart LR\n  a["x [1]"] --> b', "bad": "flowchart LR\n  a[x [1]] --> b"}, tmp_path)
    assert verdicts["good"]["ok"] and not verdicts["bad"]["ok"]


def test_the_transit_query_parses_against_the_firewall_log_schema(tmp_path):
    hub_spoke = render_data(load_example(HUB_SPOKE), "hub-spoke.json")
    existing = variant(load_example(HUB_SPOKE), lambda d: d["hub"]["firewall"].update(diagnostics={
        "workspaceResourceId": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-logs/providers/"
                               "Microsoft.OperationalInsights/workspaces/central"}))
    texts = {"hub-spoke": hub_spoke["transit.kql"], "existing workspace": render_data(existing)["transit.kql"],
             "quoted name": logs.transit_query(model.build(variant(load_example(HUB_SPOKE),
                                                                     lambda d: d["spokes"][0].update(name='a"b\\c'))))}
    texts["misspelt column"] = texts["hub-spoke"].replace("SourceIp", "SourceIP")
    verdicts = parse("kql", texts, tmp_path)
    assert {name: v["errors"] for name, v in verdicts.items() if name != "misspelt column"} == {
        "hub-spoke": [], "existing workspace": [], "quoted name": []}
    assert "SourceIP" in verdicts["misspelt column"]["errors"][0]


def test_the_transit_query_names_every_site_branch_and_spoke():
    query = logs.transit_query(model.build(load_example(HUB_SPOKE)))
    for name, prefixes in (("onprem", "10.20.0.0/16"), ("branch1", "10.50.0.0/16"), ("spoke-app", "10.60.0.0/16"),
                           ("spoke-shared", "10.61.0.0/16")):
        assert f'ipv4_is_in_any_range(ip, dynamic([{json.dumps(prefixes)}])), "{name}",' in query
    assert "| where TimeGenerated > ago(1h)" in query
    assert "From != To" in query  # transit only: flows inside one place are not listed
    assert "Rule, ActionReason" in query  # a flow no rule matched has an empty Rule: the reason says "Default Action"
