"""gen plan: the deployment as ARM runs the compiled template, its critical path and its conflicts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import MULTI_SITE, ROOT, SEED, compile_rendered, load_example
from generator import plan
from generator.plan import durations
from generator.plan.expressions import UNKNOWN, Environment, evaluate, parse
from test_cli import run

pytestmark = pytest.mark.compiler


def _plan_of(bicep_rpc, directory: Path) -> plan.Plan:
    diagnostics, template = bicep_rpc.compile(directory / "main.bicep")
    assert [d for d in diagnostics if d.level == "Error"] == []
    _, parameters = bicep_rpc.compile_params(directory / "main.bicepparam")
    values = {k: v.get("value") for k, v in parameters["parameters"].items()}
    return plan.from_template(template, values, "test")


def _drop_depends_on(path: Path, symbol: str) -> None:
    """Delete the explicit dependsOn block (and its comment) of one module of main.bicep."""
    lines = path.read_text().splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(f"module {symbol} "))
    at = next(i for i in range(start, len(lines)) if lines[i].strip() == "dependsOn: [")
    end = next(i for i in range(at, len(lines)) if lines[i].strip() == "]")
    del lines[at - 1:end + 1]  # the comment above it too
    path.write_text("".join(lines))


def test_the_seed_plan_is_serial_where_it_must_be_and_parallel_elsewhere(bicep_rpc, tmp_path):
    result = compile_rendered(bicep_rpc, load_example(SEED), tmp_path / "out")
    planned = plan.from_template(result.template, result.parameter_values, "b2b-azfw")
    assert planned.conflicts == []
    names = [op.name for op in planned.critical_path]
    # The hub chain: VNet, ExpressRoute gateway, VPN gateway, firewall, Route Server, then the connections.
    chain = ["vnet-hub", "ergw-hub", "vpngw-hub", "afw-hub", "ars-hub/ipconfig1", "ergw-hub-onprem"]
    assert [n for n in names if n in chain] == chain
    start = {op.name: op.start for op in planned.operations}
    assert start["vpngw-branch1"] < start["ergw-hub"] + 45  # the branch gateway runs beside the hub chain
    # route table, VNet and its four subnets one by one, the gateways, firewall, Route Server, connections
    assert planned.total_minutes == pytest.approx(0.5 + 0.5 + 4 * 0.5 + 45.5 + 45.5 + 12 + 31 + 3 + 6)
    assert planned.serial_minutes > planned.total_minutes


@pytest.mark.parametrize("symbol,writers", [
    ("firewallDeployment", {"vpngw-hub", "afw-hub"}),
    ("routeServerDeployment", {"afw-hub", "ars-hub/ipconfig1"}),
    ("vnetToVnetConnections", {"ergw-hub-onprem", "vpngw-hub-to-vpngw-branch1"}),
])
def test_a_dropped_depends_on_is_a_conflict(bicep_rpc, tmp_path, symbol, writers):
    directory = tmp_path / "out"
    compile_rendered(bicep_rpc, load_example(SEED), directory)
    _drop_depends_on(directory / "main.bicep", symbol)
    conflicts = _plan_of(bicep_rpc, directory).conflicts
    pairs = [{c.first.name, c.second.name} for c in conflicts]
    assert writers in pairs, [c.message for c in conflicts]


def same_plan(from_readme: plan.Plan, from_compiler: plan.Plan) -> None:
    """The README's plan (order.py + plan/modules.py) and gen plan's (the compiled template) are one set of figures:
    the same operations, waves, start times, critical path and totals."""
    def shape(p: plan.Plan):
        return sorted((op.wave, op.start, op.type.lower(), op.name.lower()) for op in p.operations)

    assert shape(from_readme) == shape(from_compiler)
    assert [op.name.lower() for op in from_readme.critical_path] == [op.name.lower() for op in from_compiler.critical_path]
    assert (from_readme.total_minutes, from_readme.serial_minutes) == (from_compiler.total_minutes, from_compiler.serial_minutes)


def test_every_duration_has_a_source_or_says_it_is_an_estimate():
    for typical in (*durations.BY_TYPE.values(), durations.VPN_GATEWAY, durations.EXPRESSROUTE_GATEWAY, durations.SMALL):
        assert typical.basis
        assert typical.estimated or typical.source.startswith("https://learn.microsoft.com/")
        assert (not typical.estimated) or "estimate" in typical.basis


def test_cli_plan_of_a_spec_and_a_directory(tmp_path):
    spec = tmp_path / "spec.json"
    assert run("init", spec).exit_code == 0  # gen init's starter plans clean
    result = run("plan", spec)
    assert result.exit_code == 0, result.output
    assert "conflicts: none" in result.output and "critical path:" in result.output
    assert any(line.split()[-2:] == ["Microsoft.Network/virtualNetworkGateways", "ergw-hub"] for line in result.output.splitlines())
    out = tmp_path / "out"
    assert run("render", MULTI_SITE, "-o", out).exit_code == 0
    as_json = json.loads(run("plan", out, "--format", "json").output)
    assert as_json["conflicts"] == [] and as_json["criticalPathMinutes"] < as_json["serialMinutes"]
    assert "| wave | starts | takes | what |" in run("plan", out, "--format", "markdown").output


def test_cli_plan_exit_codes(tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert run("render", SEED, "-o", out).exit_code == 0
    _drop_depends_on(out / "main.bicep", "firewallDeployment")
    conflicting = run("plan", out)
    assert conflicting.exit_code == 1 and "PLAN001" in conflicting.output
    assert run("plan", tmp_path / "nowhere.json").exit_code == 2
    assert run("plan", tmp_path).exit_code == 2  # a directory without main.bicep
    bad = ROOT / "tests" / "fixtures" / "specs" / "bad" / "ARS001-branch-to-branch-off.json"
    assert run("plan", bad).exit_code == 1
    from generator import compiler

    monkeypatch.setattr(compiler, "find_bicep", lambda: None)
    missing = run("plan", out)
    assert missing.exit_code == 2 and "bicep" in missing.stderr


@pytest.mark.parametrize("expression,expected", [
    ("[format('{0}-pip{1}', parameters('name'), add(copyIndex(), 1))]", "gw-pip2"),
    ("[length(parameters('list'))]", 3),
    ("[parameters('object').inner.value]", "x"),
    ("[if(equals(parameters('name'), 'gw'), 'yes', reference('nothing').x)]", "yes"),
    ("[toObject(parameters('list'), lambda('i', string(lambdaVariables('i'))), lambda('i', mul(lambdaVariables('i'), 2)))]",
     {"1": 2, "2": 4, "3": 6}),
    ("[tryGet(parameters('object'), 'missing')]", None),
    ("[concat('a', 'b', '''c''')]", "ab'c'"),  # '' is a quote inside a string
    ("[reference('somewhere').outputs.x.value]", UNKNOWN),
])
def test_expressions_evaluate_what_a_plan_needs(expression, expected):
    values = {"name": "gw", "list": [1, 2, 3], "object": {"inner": {"value": "x"}}}
    env = Environment({"parameters": values.get, "reference": lambda *a: UNKNOWN}, copy_index=1)
    assert evaluate(parse(expression), env) == expected
