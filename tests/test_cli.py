"""The `gen` command as a user and a script see it: help, exit codes, messages, files written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import MULTI_SITE, ROOT, SEED, load_example
from generator.cli import main

SHARED_EXAMPLES = ROOT.parent / "shared" / "examples"


def run(*args, cwd=None):
    runner = CliRunner(mix_stderr=False)
    if cwd:
        old = os.getcwd()
        os.chdir(cwd)
    try:
        return runner.invoke(main, list(map(str, args)), catch_exceptions=False, prog_name="gen")
    finally:
        if cwd:
            os.chdir(old)


def write_spec(tmp_path: Path, data, name="spec.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2))
    return path


def test_help_teaches_the_commands_and_exit_codes():
    result = run("--help")
    assert result.exit_code == 0
    commands = ("validate", "render", "build", "plan", "diff", "collect", "verify", "routes", "trace", "rules", "schema", "init")
    for word in (*commands, "Exit codes"):
        assert word in result.output
    for command in commands:
        sub = run(command, "--help")
        assert sub.exit_code == 0 and "Usage: gen " + command in sub.output


def test_version():
    assert run("--version").output.startswith("gen, version ")


@pytest.mark.parametrize("example", [SEED, MULTI_SITE])
def test_examples_validate_clean(example):
    result = run("validate", example)
    assert result.exit_code == 0, result.output
    assert "0 error(s), 1 warning(s)" in result.output and " warning FW007 " in result.output  # see EXAMPLE_WARNINGS


@pytest.mark.skipif(not SHARED_EXAMPLES.is_dir(), reason="only inside the project's workspace, where ../shared/examples exists")
def test_bundled_examples_are_the_shared_ones_unchanged():
    for shared in SHARED_EXAMPLES.glob("*.json"):
        assert (ROOT / "examples" / shared.name).read_bytes() == shared.read_bytes(), shared.name


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "no such file"),
        ("", "the file is empty"),
        ("{\n  \"name\": \n", "spec.json:3:1: not valid JSON"),
        ("[1, 2]", "must be a JSON object, found list"),
        (b"\xff\xfe\x00", "not UTF-8"),
    ],
)
def test_unreadable_input_exits_2_with_one_line(tmp_path, content, message):
    path = tmp_path / "spec.json"
    if content is not None:
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    for command in ("validate", "render", "routes"):
        result = run(command, path)
        assert result.exit_code == 2
        assert message in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert "Traceback" not in result.stderr + result.output


def test_directory_as_spec_exits_2(tmp_path):
    result = run("validate", tmp_path)
    assert result.exit_code == 2 and "is a directory" in result.stderr


def test_usage_error_exits_2():
    assert run("render").exit_code == 2
    assert run("validate", "--format", "xml", SEED).exit_code == 2


def test_schema_errors_all_listed_with_paths_sorted_and_did_you_mean(tmp_path):
    data = load_example()
    data["hub"]["vnet"]["subnets"][1]["prefx"] = "x"
    data["hub"]["firewall"]["tier"] = "Gold"
    del data["location"]
    result = run("validate", write_spec(tmp_path, data))
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if " SCHEMA " in line]
    assert len(lines) == 3
    # In the order of the spec's lines: the missing field at the top object, then the subnets, then the firewall.
    assert "(spec): missing required field 'location'" in lines[0]
    assert "hub.vnet.subnets[1]" in lines[1] and "did you mean 'prefix'" in lines[1]
    assert "hub.firewall.tier" in lines[2] and '"Gold" is not one of' in lines[2]
    assert "3 error(s)" in result.output


def test_findings_point_at_the_spec_line(tmp_path):
    data = load_example()
    data["hub"]["firewall"]["tier"] = "Gold"
    path = write_spec(tmp_path, data)
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if '"Gold"' in text)
    result = run("validate", path)
    assert f"{path}:{line}: error SCHEMA hub.firewall.tier" in result.output


def test_secret_in_spec_refused_with_how_secrets_are_passed(tmp_path):
    data = load_example()
    data["branches"][0]["sharedKey"] = "hunter2"
    result = run("validate", write_spec(tmp_path, data))
    assert result.exit_code == 1
    assert "SEC000" in result.output and "VPN_SHARED_KEY_<NAME>" in result.output
    assert "hunter2" not in result.output


def test_json_and_sarif_formats(tmp_path):
    data = load_example()
    data["hub"]["firewall"]["tier"] = "Gold"
    path = write_spec(tmp_path, data)
    as_json = json.loads(run("validate", path, "--format", "json").output)
    assert as_json["findings"][0]["ruleId"] == "SCHEMA" and as_json["findings"][0]["path"] == "hub.firewall.tier"
    sarif = json.loads(run("validate", path, "--format", "sarif").output)
    result = sarif["runs"][0]["results"][0]
    assert sarif["version"] == "2.1.0"
    assert result["ruleId"] == "SCHEMA" and result["level"] == "error"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] > 1
    data = load_example()
    data["acceptedWarnings"] = [{"rule": "FW007", "path": "hub.firewall.inspectHubSubnets", "reason": "test VMs only"}]
    clean = json.loads(run("validate", write_spec(tmp_path, data), "--format", "sarif").output)
    assert [r.get("suppressions") for r in clean["runs"][0]["results"]] == [[{"kind": "inSource", "justification": "test VMs only"}]]


def test_render_writes_nothing_when_the_spec_has_errors(tmp_path):
    data = load_example()
    data["hub"]["routeServer"]["branchToBranch"] = False
    out = tmp_path / "out"
    result = run("render", write_spec(tmp_path, data), "-o", out)
    assert result.exit_code == 1
    assert "nothing written" in result.stderr
    assert not out.exists()


def test_render_default_directory_is_out_spec_name(tmp_path):
    result = run("render", SEED, cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "b2b-azfw" / "main.bicep").is_file()
    assert "VPN_SHARED_KEY_BRANCH1" in result.output


def test_render_check_reports_drift_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    assert run("render", SEED, "-o", out, "--check").exit_code == 1
    assert not out.exists()
    assert run("render", SEED, "-o", out).exit_code == 0
    clean = run("render", SEED, "-o", out, "--check")
    assert clean.exit_code == 0 and "up to date" in clean.output
    (out / "main.bicepparam").write_text((out / "main.bicepparam").read_text().replace("10.0.3.4", "10.0.3.5"))
    (out / "modules" / "firewall.bicep").unlink()
    drift = run("render", SEED, "-o", out, "--check")
    assert drift.exit_code == 1
    assert "changed  main.bicepparam  (-3 +3 lines against the spec's rendering, first at line" in drift.stderr
    assert "missing  modules/firewall.bicep" in drift.stderr
    stale_spec = load_example()
    del stale_spec["hub"]["firewall"]
    assert run("render", SEED, "-o", out, "--force").exit_code == 0  # discards the hand edit above
    stale = run("render", write_spec(tmp_path, stale_spec), "-o", out, "--check")
    assert "stale    modules/firewall.bicep" in stale.stderr


def _unpinned(data: dict) -> dict:
    """A starter spec without the generations gen init pins (test_init_pins_each_vpn_gateway_generation)."""
    for gateway in [data["hub"].get("vpnGateway")] + [b.get("vpnGateway") for b in data.get("branches", [])]:
        (gateway or {}).pop("generation", None)
    return data


def test_init_writes_the_seed_shaped_starter_that_validates(tmp_path):
    result = run("init", tmp_path / "spec.json")
    assert result.exit_code == 0
    assert _unpinned(json.loads((tmp_path / "spec.json").read_text())) == load_example()
    assert run("init", tmp_path / "spec.json").exit_code == 2  # never overwrites by surprise
    assert run("init", tmp_path / "spec.json", "--example", "multi-site", "--force").exit_code == 0
    assert _unpinned(json.loads((tmp_path / "spec.json").read_text())) == load_example(MULTI_SITE)
    from generator.cli import EXAMPLES as OFFERED
    assert sorted(OFFERED.values()) == sorted(p.name for p in (ROOT / "examples").glob("*.json"))  # every example is offered
    assert run("init", tmp_path / "spokes.json", "--example", "hub-spoke").exit_code == 0
    assert run("validate", tmp_path / "spokes.json").exit_code == 0


def test_schema_prints_the_json_schema():
    schema = json.loads(run("schema").output)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


# Hosts whose pages the rules cite: Microsoft's documentation and repositories, and the JSON RFC.
CITED_HOSTS = ("https://learn.microsoft.com/", "https://github.com/Azure/", "https://github.com/MicrosoftDocs/",
               "https://www.rfc-editor.org/")


def readme_anchors() -> set[str]:
    """The anchors GitHub gives the README's headings."""
    import re

    headings = re.findall(r"^#+ (.+)$", (Path(__file__).parent.parent / "README.md").read_text("utf-8"), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_rules_lists_ids_titles_and_links_that_exist():
    result = run("rules", "--format", "json")
    listed = json.loads(result.output)
    assert len(listed) >= 20
    anchors = readme_anchors()
    for r in listed:
        assert r["id"] and r["title"], r
        link = r["link"]
        if link.startswith("README.md#"):
            assert link.split("#", 1)[1] in anchors, f"{r['id']}: {link} names no section of the README"
        else:
            assert link.startswith(CITED_HOSTS), f"{r['id']}: {link} is not a Microsoft page"


def test_rules_explain_prints_one_rule_offline():
    result = run("rules", "--explain", "ars001")
    assert result.exit_code == 0
    assert result.output.startswith("ARS001  error") and "Source: https://learn.microsoft.com/" in result.output
    unknown = run("rules", "--explain", "ARS01")
    assert unknown.exit_code == 2 and "did you mean ARS001?" in unknown.stderr


def test_build_without_main_bicep_exits_2(tmp_path):
    result = run("build", tmp_path)
    assert result.exit_code == 2 and "no main.bicep" in result.stderr


def add_unused_parameter(out: Path) -> None:
    """Break a rendered module the way a hand edit would: the strict linter must catch it."""
    module = out / "modules" / "route-table.bicep"
    module.write_text(module.read_text().replace("param tags object = {}", "param tags object = {}\n\nparam unused string = ''"))


@pytest.mark.compiler
def test_build_compiles_rendered_output_and_fails_on_a_warning(tmp_path, bicep_rpc):
    out = tmp_path / "out"
    run("render", SEED, "-o", out)
    ok = run("build", out)
    assert ok.exit_code == 0, ok.output
    assert "0 error(s), 0 warning(s)" in ok.output
    add_unused_parameter(out)
    bad = run("build", out)
    assert bad.exit_code == 1
    assert "no-unused-params" in bad.output


@pytest.mark.compiler
def test_az_bicep_build_compiles_the_seed(tmp_path, bicep_rpc):
    """The Azure CLI path users take: `az bicep build` with the pinned binary from PATH."""
    out = tmp_path / "out"
    run("render", SEED, "-o", out)
    az = subprocess.run(["which", "az"], capture_output=True, text=True).stdout.strip()
    if not az:
        pytest.fail("`az` (Azure CLI) not found: `make setup` installs it (Debian package azure-cli)", pytrace=False)
    env = {**os.environ, "AZURE_BICEP_USE_BINARY_FROM_PATH": "true", "AZURE_BICEP_CHECK_VERSION": "false"}
    env["PATH"] = str(Path(bicep_rpc.bicep).parent) + os.pathsep + env["PATH"]
    completed = subprocess.run([az, "bicep", "build", "--file", str(out / "main.bicep"), "--stdout"],
                               capture_output=True, text=True, env=env, timeout=300)
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["resources"]
    assert "Warning" not in completed.stderr and "Error" not in completed.stderr


@pytest.mark.compiler
def test_build_falls_back_to_az_bicep_build_and_reports_its_diagnostics(tmp_path, bicep_rpc, monkeypatch):
    """Without a bicep binary gen build runs `az bicep build` and parses what it prints."""
    from generator import compiler

    out = tmp_path / "out"
    run("render", SEED, "-o", out)
    monkeypatch.setattr(compiler, "find_bicep", lambda: None)
    monkeypatch.setenv("PATH", str(Path(bicep_rpc.bicep).parent) + os.pathsep + os.environ["PATH"])
    monkeypatch.setenv("AZURE_BICEP_USE_BINARY_FROM_PATH", "true")
    monkeypatch.setenv("AZURE_BICEP_CHECK_VERSION", "false")
    ok = run("build", out)
    assert ok.exit_code == 0, ok.output
    assert "az bicep build (main.bicep only; no bicep binary for params and format checks): 0 error(s), 0 warning(s)" in ok.output
    add_unused_parameter(out)
    bad = run("build", out)
    assert bad.exit_code == 1
    assert "Warning no-unused-params" in bad.output


def test_non_editable_install_renders_from_another_directory(tmp_path):
    """`pip install .` ships templates/, schemas/ and examples/ inside the package."""
    # Build from a copy of the tracked files: the build leaves nothing in the checkout, and cannot use
    # anything that is not committed.
    source = tmp_path / "source"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, tracked):
        if (ROOT / rel).is_file():
            (source / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, source / rel)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    # Offline (Debian packages seen through --system-site-packages) or, where they are missing, from PyPI.
    offline = subprocess.run([str(venv / "bin" / "python"), "-c", "import click, jinja2, jsonschema, setuptools"], capture_output=True).returncode == 0
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *(["--no-build-isolation", "--no-deps"] if offline else []), str(source)]
    completed = subprocess.run(pip, capture_output=True, text=True, cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    gen = str(venv / "bin" / "gen")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    assert subprocess.run([gen, "init", "spec.json"], cwd=elsewhere, env=env, capture_output=True).returncode == 0
    rendered = subprocess.run([gen, "render", "spec.json"], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert rendered.returncode == 0, rendered.stderr
    assert (elsewhere / "out" / "b2b-azfw" / "modules" / "vpn-gateway.bicep").is_file()
    located = subprocess.run([str(venv / "bin" / "python"), "-c", "import generator.templates as t; print(t.__file__)"],
                             cwd=elsewhere, env=env, capture_output=True, text=True).stdout
    assert str(ROOT) not in located and "site-packages" in located


def test_trace_exit_codes_follow_the_verdict():
    seed = run("trace", SEED, "--from", "10.20.10.133", "--to", "10.50.1.4")
    assert seed.exit_code == 0 and "verdict: delivered, inspected by afw-hub both ways" in seed.output
    broken = ROOT / "tests" / "fixtures" / "specs" / "bad" / "ARS001-branch-to-branch-off.json"
    no_route = run("trace", broken, "--from", "10.20.10.133", "--to", "10.50.1.4")
    assert no_route.exit_code == 1 and "verdict: no-route at onprem:onprem" in no_route.output
    assert "the spec has 1 error(s)" in no_route.stderr
    denied = run("trace", MULTI_SITE, "--from", "172.16.0.4", "--to", "10.110.1.4", "--protocol", "tcp", "--port", "3389")
    assert denied.exit_code == 1 and "verdict: denied" in denied.output
    allowed = run("trace", MULTI_SITE, "--from", "172.16.0.4", "--to", "10.110.1.4", "--protocol", "tcp", "--port", "22")
    assert allowed.exit_code == 0 and "allowed by rule 'dc-to-branches-ssh-https'" in allowed.output
    nowhere = run("trace", SEED, "--from", "172.31.0.1", "--to", "10.50.1.4")
    assert nowhere.exit_code == 2 and "172.31.0.1 is in no prefix of the design and is not a public" in nowhere.stderr
    from_internet = run("trace", SEED, "--from", "8.8.8.8", "--to", "10.50.1.4")
    assert from_internet.exit_code == 2 and "the design takes no flow from there" in from_internet.stderr


def test_routes_shows_one_hop_or_all_and_refuses_unknown_hops():
    one = run("routes", SEED, "--at", "gateway-subnet")
    assert one.exit_code == 0 and one.output.startswith("gateway-subnet\n")
    assert "UDR onprem-10.20.0.0_16" in one.output
    everything = run("routes", SEED)
    for hop in ("onprem:onprem", "gateway-subnet", "firewall-subnet", "hub-vnet", "branch:branch1"):
        assert f"\n{hop}\n" in "\n" + everything.output
    unknown = run("routes", SEED, "--at", "nowhere")
    assert unknown.exit_code == 2 and "no hop 'nowhere'" in unknown.stderr


BAD = ROOT / "tests" / "fixtures" / "specs" / "bad"


@pytest.mark.parametrize("fixture", sorted(p.name for p in BAD.glob("*.json")))
def test_every_bad_spec_through_the_cli(fixture, tmp_path):
    """The corpus as users meet it: exit code, rule id and spec path on the line, nothing rendered."""
    from generator.rules import REGISTRY, all_rules
    from test_rules import EXPECTED

    all_rules()
    rule_id, path = EXPECTED[fixture]
    result = run("validate", BAD / fixture)
    error = REGISTRY[rule_id].severity == "error"
    assert result.exit_code == (1 if error else 0), result.output
    assert any(f" {rule_id} {path}: " in line for line in result.output.splitlines()), result.output
    rendered = run("render", BAD / fixture, "-o", tmp_path / "out")
    assert rendered.exit_code == (1 if error else 0)
    assert (tmp_path / "out").exists() == (not error)


def _no_traceback(result) -> bool:
    return result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("fixture", sorted(p.name for p in BAD.glob("*.json")))
def test_every_bad_spec_through_every_reader_never_a_traceback(fixture):
    """routes and trace run on specs with rule errors: findings, a verdict or one line, never a traceback."""
    routes = run("routes", BAD / fixture)
    assert _no_traceback(routes) and routes.exit_code in (0, 1), routes.output
    for source, destination in (("10.20.10.133", "10.50.1.4"), ("172.16.0.10", "10.110.1.4"), ("192.168.50.4", "10.120.1.4")):
        traced = run("trace", BAD / fixture, "--from", source, "--to", destination)
        assert _no_traceback(traced) and traced.exit_code in (0, 1, 2), traced.output
    for fmt in ("json", "sarif"):
        validated = run("validate", BAD / fixture, "--format", fmt)
        assert _no_traceback(validated)
        json.loads(validated.stdout)


@pytest.mark.parametrize("prefix", ["", "10.110.0.0/33", "fd00::/8", "10.110.0.1", "abc"])
def test_readers_route_specs_with_unreadable_prefixes(tmp_path, prefix):
    data = load_example(MULTI_SITE)
    data["branches"][0]["vnet"]["addressSpace"] = [prefix]
    data["onPremises"][0]["addressPrefixes"].append(prefix)
    path = write_spec(tmp_path, data)
    routes = run("routes", path)
    assert _no_traceback(routes) and routes.exit_code == 0 and "ADDR" not in routes.output
    traced = run("trace", path, "--from", "172.17.0.10", "--to", "10.120.1.4", "--protocol", "tcp", "--port", "22")
    assert _no_traceback(traced) and traced.exit_code == 0 and "delivered" in traced.output


# --- a network engineer's first afternoon ------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "sarif"])
@pytest.mark.parametrize("content,line", [("", 1), ('{"name": "x",}', 1), ('{\n  "name": "x"\n  // a note\n}', 3)])
def test_unreadable_input_in_json_and_sarif_carries_the_error(tmp_path, fmt, content, line):
    path = tmp_path / "spec.json"
    path.write_text(content)
    result = run("validate", path, "--format", fmt)
    assert result.exit_code == 2
    document = json.loads(result.stdout)
    if fmt == "json":
        finding, = document["findings"]
    else:
        run_log, = document["runs"]
        assert run_log["invocations"] == [{"executionSuccessful": False}]
        finding, = run_log["results"]
        finding = {"ruleId": finding["ruleId"], "line": finding["locations"][0]["physicalLocation"]["region"]["startLine"]}
    assert (finding["ruleId"], finding["line"]) == ("INPUT", line)


@pytest.mark.parametrize("content,words", [
    ('{"name": "x",}', "trailing comma"),
    ('{"name": "x" // note\n}', "JSON has no comments"),
    ("{'name': 'x'}", "double quotes"),
    ('{"name": "x" "location": "y"}', "missing comma"),
    ('{"hub": {"vnet": ', "ends too early"),
])
def test_json_syntax_errors_in_plain_words(tmp_path, content, words):
    path = tmp_path / "spec.json"
    path.write_text(content)
    result = run("validate", path)
    assert result.exit_code == 2 and words in result.stderr, result.stderr


def test_sarif_levels_follow_the_severity(tmp_path):
    data = load_example(MULTI_SITE)
    sarif = json.loads(run("validate", write_spec(tmp_path, data), "--format", "sarif").stdout)
    result, = sarif["runs"][0]["results"]
    assert (result["ruleId"], result["level"]) == ("FW007", "warning")
    data["acceptedWarnings"] = [{"rule": "FW007", "path": "hub.firewall.inspectHubSubnets", "reason": "trusted subnet"}]
    accepted, = json.loads(run("validate", write_spec(tmp_path, data), "--format", "sarif").stdout)["runs"][0]["results"]
    assert accepted["suppressions"] == [{"kind": "inSource", "justification": "trusted subnet"}]


def test_case_only_typos_get_a_suggestion(tmp_path):
    data = load_example(MULTI_SITE)
    data["branches"][2]["kind"] = "Site"
    data["hub"]["vpnGateway"]["sku"] = "VpnGw2az"
    output = run("validate", write_spec(tmp_path, data)).output
    assert '"Site" is not one of "vnet", "site" (did you mean "site"?)' in output
    assert '(did you mean "VpnGw2AZ"?)' in output


def test_build_says_what_a_file_or_missing_directory_is(tmp_path):
    spec = run("build", SEED)
    assert spec.exit_code == 2 and "is a file" in spec.stderr
    missing = run("build", tmp_path / "nothing")
    assert missing.exit_code == 2 and "no such directory" in missing.stderr


def test_routes_accepts_azure_subnet_names_as_hops():
    result = run("routes", SEED, "--at", "GatewaySubnet")
    assert result.exit_code == 0 and result.output.startswith("gateway-subnet\n")


def test_trace_says_which_protocols_pass_without_protocol():
    only_ssh_https = run("trace", MULTI_SITE, "--from", "172.16.0.4", "--to", "10.110.1.4")
    assert only_ssh_https.exit_code == 1
    assert "partial:" in only_ssh_https.output and "UDP and ICMP denied" in only_ssh_https.output
    assert run("trace", MULTI_SITE, "--from", "172.16.0.4", "--to", "10.110.1.4", "--protocol", "any").exit_code == 1
    assert run("trace", MULTI_SITE, "--from", "172.16.0.4", "--to", "10.110.1.4", "--protocol", "tcp", "--port", "22").exit_code == 0
    icmp_port = run("trace", MULTI_SITE, "--from", "172.16.0.4", "--to", "10.110.1.4", "--protocol", "icmp", "--port", "22")
    assert icmp_port.exit_code == 2 and "ICMP has no ports" in icmp_port.stderr


@pytest.mark.parametrize("command", ["validate", "render", "build", "plan", "routes", "trace", "rules", "schema", "init"])
def test_every_command_help_has_an_example(command):
    result = run(command, "--help")
    assert result.exit_code == 0 and "Example" in result.output, result.output


def test_the_tested_bicep_version_is_the_pinned_one():
    from generator.compiler import TESTED_BICEP

    assert f'Version="[{TESTED_BICEP}]"' in (ROOT / "tools" / "bicep" / "bicep.csproj").read_text()


def test_init_pins_each_vpn_gateway_generation(tmp_path):
    assert run("init", tmp_path / "hub.json", "--example", "multi-site").exit_code == 0
    data = json.loads((tmp_path / "hub.json").read_text())
    assert data["hub"]["vpnGateway"]["generation"] == "Generation2"
    assert {b["vpnGateway"]["generation"] for b in data["branches"] if b["kind"] == "vnet"} == {"Generation1"}
    assert run("validate", tmp_path / "hub.json").exit_code == 0


def test_validate_takes_several_specs_and_exits_with_the_worst(tmp_path):
    bad = ROOT / "tests" / "fixtures" / "specs" / "bad" / "ARS001-branch-to-branch-off.json"
    both = run("validate", SEED, MULTI_SITE)
    assert both.exit_code == 0 and both.output.count("0 error(s)") == 2
    assert run("validate", SEED, bad).exit_code == 1
    assert run("validate", SEED, tmp_path / "missing.json").exit_code == 2
    assert run("validate", SEED, MULTI_SITE, "--format", "sarif").exit_code == 2
