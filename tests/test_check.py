"""gen check, the pull-request gate: every section in one report, the documented exit codes, and one compile per hub
(a second check, plan or build of the same files does not start the compiler)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import EXAMPLES, SEED, load_example
from generator import compiler
from test_cli import run

pytestmark = pytest.mark.compiler


def git(repo: Path, *args) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def spec_repository(tmp_path: Path, monkeypatch) -> Path:
    """An empty git repository of specs (specs/), the working directory of the test."""
    repo = tmp_path / "hubs"
    (repo / "specs").mkdir(parents=True)
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "gen@example.net")
    git(repo, "config", "user.name", "gen")
    monkeypatch.chdir(repo)
    return repo


@pytest.fixture
def repository(tmp_path, monkeypatch) -> Path:
    """Three hubs with their committed output, and a commit that changes one spec and re-renders it."""
    repo = spec_repository(tmp_path, monkeypatch)
    for example in ("seed-b2b-azfw", "multi-site", "hub-spoke"):
        shutil.copy(EXAMPLES / f"{example}.json", repo / "specs" / f"{example}.json")
        assert run("render", f"specs/{example}.json").exit_code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "three hubs")
    seed = load_example()
    seed["hub"]["vpnGateway"].update(sku="VpnGw2AZ", generation="Generation1")
    (repo / "specs" / "seed-b2b-azfw.json").write_text(json.dumps(seed, indent=2))
    assert run("render", "specs/seed-b2b-azfw.json").exit_code == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "resize the hub VPN gateway in place")
    return repo


SPECS = ["specs/seed-b2b-azfw.json", "specs/multi-site.json", "specs/hub-spoke.json"]


def test_check_with_a_base_gives_one_report_with_every_section(repository):
    result = run("check", *SPECS, "--base", "HEAD~1")
    assert result.exit_code == 1, result.output + result.stderr  # a resize has brief downtime: disruptive
    text = result.output
    for section in ("== specs/seed-b2b-azfw.json -> out/b2b-azfw/", "output: up to date", "compile: 0 error(s), 0 warning(s)",
                    "plan: ", "change against the spec at HEAD~1 (", "resize VpnGw1AZ -> VpnGw2AZ in place within Generation1",
                    "what the deployment of this change runs", "virtualNetworkGateways vpngw-hub: 45 min"):
        assert section in text, section
    # The baseline is named with its commit, and said to be assumed deployed: nothing checked that it runs
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD~1"], capture_output=True, text=True).stdout.strip()
    said = f"change against the spec at HEAD~1 ({commit}), assumed to be what runs (not checked: --capture compares"
    assert text.count(said) == 3 and text.count("what Azure holds):\n    no changes") == 2  # the other two: no change
    markdown = run("check", *SPECS, "--base", "HEAD~1", "--format", "markdown").output
    assert markdown.startswith("## gen check") and "⚠️ disruptive" in markdown and markdown.endswith("\n")
    document = json.loads(run("check", *SPECS, "--base", "HEAD~1", "--format", "json").output)
    assert document["exitCode"] == 1 and [h["spec"] for h in document["hubs"]] == SPECS
    seed = document["hubs"][0]
    assert {"findings", "output", "compile", "plan", "changes", "changedOperations", "baseline", "ledger", "cost"} <= set(seed)
    circuit = next(s for s in seed["ledger"] if s["session"].startswith("circuit of onprem"))
    assert (circuit["prefixes"], circuit["limit"], circuit["headroom"]) == (1, 4000, 3999)
    assert seed["baseline"].startswith(f"the spec at HEAD~1 ({commit}), assumed to be what runs")
    sarif = json.loads(run("check", *SPECS, "--format", "sarif").output)
    located = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
    assert located == {"specs/seed-b2b-azfw.json", "specs/multi-site.json"}  # FW007 in both, at their lines
    # A spec with only a warning: the result and its rule are warnings, never errors (a SARIF error fails code scanning).
    assert {r["level"] for r in sarif["runs"][0]["results"]} == {"warning"}
    assert {r["defaultConfiguration"]["level"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]} == {"warning"}


def test_check_without_a_change_passes(repository):
    result = run("check", *SPECS)
    assert result.exit_code == 0 and "all clear" in result.output


def test_out_of_date_output_fails_the_check(repository):
    readme = repository / "out" / "multi-site" / "main.bicepparam"
    readme.write_text(readme.read_text() + "// edited\n")
    result = run("check", *SPECS)
    assert result.exit_code == 1 and "OUT OF DATE: run gen render specs/multi-site.json -o out/multi-site" in result.output


def test_output_rendered_elsewhere_is_found_by_its_manifest(repository):
    assert run("render", "specs/hub-spoke.json", "-o", "deploy/spokes").exit_code == 0
    shutil.rmtree(repository / "out" / "hub-spoke")
    result = run("check", "specs/hub-spoke.json")
    assert result.exit_code == 0 and "-> deploy/spokes/" in result.output


def test_unreadable_input_exits_2(repository):
    assert run("check", "specs/missing.json").exit_code == 2
    result = run("check", SPECS[0], "--base", "no-such-revision")
    assert result.exit_code == 2 and "not a git revision" in result.stderr


def test_each_hub_compiles_once(repository, monkeypatch):
    """The first check compiles every hub in one process; a second check, a plan and a build of the same files
    take the compilations from the cache and never start the compiler."""
    assert run("check", *SPECS).exit_code == 0

    class NoCompiler:
        def __init__(self, *args, **kwargs):
            raise AssertionError("the compiler was started again for files it has compiled")

    monkeypatch.setattr(compiler, "BicepJsonRpc", NoCompiler)
    assert run("check", *SPECS).exit_code == 0
    assert run("plan", "out/b2b-azfw").exit_code == 0
    assert run("plan", "specs/multi-site.json").exit_code == 0
    assert run("build", "out/hub-spoke").exit_code == 0


def test_no_compiler_exits_2(repository, monkeypatch):
    monkeypatch.setattr(compiler, "find_bicep", lambda: None)
    monkeypatch.setenv("PATH", "/nonexistent")
    result = run("check", SPECS[0])
    assert result.exit_code == 2 and "compiler" in result.stderr.lower()


def test_the_report_says_a_new_spec_has_nothing_deployed_to_compare_with(repository):
    shutil.copy(EXAMPLES / "vpn-sites.json", repository / "specs" / "vpn-sites.json")
    assert run("render", "specs/vpn-sites.json").exit_code == 0
    result = run("check", "specs/vpn-sites.json", "--base", "HEAD")
    assert "change against nothing deployed yet: the spec is not at HEAD (" in result.output
    markdown = run("check", "specs/vpn-sites.json", "--base", "HEAD", "--format", "markdown").output
    assert "Compared with nothing deployed yet: the spec is not at HEAD" in markdown


def test_a_capture_of_a_hub_gen_did_not_build_is_the_baseline_and_adopting_it_changes_nothing(tmp_path, monkeypatch):
    """The portal hub's capture (tests/fixtures/captures/portal-hub): imported, rendered, then checked against what runs."""
    capture = Path(__file__).parent / "fixtures" / "captures" / "portal-hub"
    monkeypatch.chdir(tmp_path)
    assert run("import", str(capture), "-o", "hub.json").exit_code == 1  # 1: a peering to a VNet outside the capture is left out
    assert run("render", "hub.json").exit_code == 0
    result = run("check", "hub.json", "--base", "HEAD", "--capture", str(capture))
    assert result.exit_code == 0, result.output + result.stderr
    assert f"change against what runs in Azure (the capture {capture}); the revision HEAD is not used:" in result.output
    assert "deployment.json" not in result.output and f"0 error(s), 0 warning(s) in {capture}" in result.output  # its path
    document = json.loads(run("check", "hub.json", "--base", "HEAD", "--capture", str(capture), "--format", "json").output)
    assert document["hubs"][0]["baseline"].startswith("what runs in Azure") and not document["hubs"][0]["changes"]["disruptive"]


def test_compiler_warnings_and_errors_are_counted_apart(repository):
    """The compiler's diagnostics of a hub, as the text report counts them (gen's own output has none to show)."""
    from generator import check as checker

    report = checker.run(["specs/seed-b2b-azfw.json"])
    hub = report.hubs[0]
    where = str(repository / "out" / "b2b-azfw" / "main.bicep")
    hub.build.diagnostics = [compiler.Diagnostic(where, 3, 1, "Warning", "no-unused-vars", "unused"),
                             compiler.Diagnostic(where, 4, 1, "Warning", "no-unused-params", "unused"),
                             compiler.Diagnostic(where, 5, 1, "Error", "BCP035", "missing property")]
    text = checker.as_text(report)
    assert "compile: 1 error(s), 2 warning(s)" in text and "out/b2b-azfw/main.bicep:3:1: Warning no-unused-vars" in text


def test_warnings_fail_the_check_only_when_strict(repository):
    from generator import check as checker

    assert not checker.run(["specs/seed-b2b-azfw.json"]).hubs[0].failed  # FW007 is a warning
    assert checker.run(["specs/seed-b2b-azfw.json"], strict=True).hubs[0].failed
