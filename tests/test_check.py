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


@pytest.fixture
def repository(tmp_path, monkeypatch) -> Path:
    """Three hubs with their committed output, and a commit that changes one spec and re-renders it."""
    repo = tmp_path / "hubs"
    (repo / "specs").mkdir(parents=True)
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "gen@example.net")
    git(repo, "config", "user.name", "gen")
    monkeypatch.chdir(repo)
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
                    "plan: ", "change against HEAD~1:", "resize VpnGw1AZ -> VpnGw2AZ in place within Generation1",
                    "what the deployment of this change runs", "virtualNetworkGateways vpngw-hub: 45 min"):
        assert section in text, section
    assert text.count("change against HEAD~1:\n    no changes") == 2  # the other two hubs did not change
    markdown = run("check", *SPECS, "--base", "HEAD~1", "--format", "markdown").output
    assert markdown.startswith("## gen check") and "⚠️ disruptive" in markdown and markdown.endswith("\n")
    document = json.loads(run("check", *SPECS, "--base", "HEAD~1", "--format", "json").output)
    assert document["exitCode"] == 1 and [h["spec"] for h in document["hubs"]] == SPECS
    seed = document["hubs"][0]
    assert {"findings", "output", "compile", "plan", "changes", "changedOperations"} <= set(seed)
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
