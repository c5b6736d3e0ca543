"""The GitHub Action (action.yml) and the Azure Pipelines template, run as far as they run without GitHub or Azure
DevOps: in a repository of the three examples with a change to review, every `run:` step of the action with the
environment GitHub gives it (GITHUB_ACTION_PATH, GITHUB_OUTPUT, ...), `gh` replaced by a stub that records what
it was asked to do, and the template's script step with its parameters filled in. So neither can rot unseen.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLES, ROOT, load_example

pytestmark = pytest.mark.compiler


def git(repo: Path, *args) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def repository(tmp_path_factory) -> Path:
    """A repository of hubs: three specs with their committed output, then a change to one of them (an
    ExpressRoute gateway resize) on top: the pull request gen check reviews."""
    repo = tmp_path_factory.mktemp("hubs")
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "gen@example.net")
    git(repo, "config", "user.name", "gen")
    (repo / "specs").mkdir()
    for example in ("seed-b2b-azfw", "multi-site", "hub-spoke"):
        shutil.copy(EXAMPLES / f"{example}.json", repo / "specs" / f"{example}.json")
        subprocess.run(["gen", "render", f"specs/{example}.json"], cwd=repo, check=True, capture_output=True)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "three hubs")
    seed = load_example()
    seed["hub"]["expressRouteGateway"]["sku"] = "ErGw2AZ"
    (repo / "specs" / "seed-b2b-azfw.json").write_text(json.dumps(seed, indent=2))
    subprocess.run(["gen", "render", "specs/seed-b2b-azfw.json"], cwd=repo, check=True, capture_output=True)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "resize the seed's ExpressRoute gateway")
    return repo


def github_env(tmp_path: Path) -> dict:
    """The files and variables GitHub gives a composite action's steps."""
    for name in ("output", "path", "env", "summary"):
        (tmp_path / name).write_text("")
    return {**os.environ, "GITHUB_ACTION_PATH": str(ROOT), "GITHUB_OUTPUT": str(tmp_path / "output"),
            "GITHUB_PATH": str(tmp_path / "path"), "GITHUB_ENV": str(tmp_path / "env"),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"), "RUNNER_TEMP": str(tmp_path),
            "GITHUB_REPOSITORY": "contoso/hubs"}


def outputs(path: Path) -> dict:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def test_the_action_is_a_composite_whose_steps_exist():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {"specs", "base", "comment", "sarif", "bicep", "github-token"}
    assert action["inputs"]["sarif"]["default"] == "auto" and action["inputs"]["bicep"]["default"] == "pinned"
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert step["shell"] == "bash"
            for word in step["run"].split():
                if word.startswith('"$GITHUB_ACTION_PATH/'):
                    assert (ROOT / word.strip('"').split("/", 1)[1]).is_file(), word
        else:
            assert step["uses"].startswith("github/codeql-action/upload-sarif@")


def test_the_action_steps_run_a_pull_request_review(repository, tmp_path):
    env = github_env(tmp_path)
    setup = subprocess.run(["bash", str(ROOT / "scripts/action/setup.sh")], env=env, capture_output=True, text=True)
    assert setup.returncode == 0, setup.stderr
    assert (tmp_path / "path").read_text().split() == [str(ROOT / ".tools/bin"), str(ROOT / ".venv/bin")]
    env["PATH"] = ":".join((tmp_path / "path").read_text().split() + [env["PATH"]])
    env.update(GEN_SPECS="specs/*.json", GEN_BASE="HEAD~1")
    check = subprocess.run(["bash", str(ROOT / "scripts/action/check.sh")], cwd=repository, env=env, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr  # the step never fails: the comment and the upload must run
    said = outputs(tmp_path / "output")
    assert said["exit-code"] == "1"  # a gateway resize has downtime: a second reviewer should look
    report = Path(said["report"]).read_text()
    assert report.startswith("## gen check") and report.count("| `specs/") == 3
    assert "### specs/seed-b2b-azfw.json" in report and "ErGw1AZ -> ErGw2AZ" in report
    assert "What deploying this change runs" in report and "`ergw-hub`" in report
    sarif = json.loads(Path(said["sarif"]).read_text())
    assert sarif["version"] == "2.1.0" and {r["ruleId"] for r in sarif["runs"][0]["results"]} == {"FW007"}
    assert report in (tmp_path / "summary").read_text()

    calls = tmp_path / "gh-calls"
    comments = tmp_path / "comments.json"
    comments.write_text("[]")
    stub = tmp_path / "stub" / "gh"
    stub.parent.mkdir()
    # A stand-in for the GitHub CLI (not GitHub): lists the comments of comments.json through the --jq filter the
    # step gives (gh applies it itself; jq stands in for it), and records every call with the body file it sends.
    stub.write_text('#!/bin/sh\necho "$@" >> "' + str(calls) + '"\n'
                    'for a in "$@"; do case "$a" in body=@*) cp "${a#body=@}" "' + str(tmp_path / "sent.md") + '";; esac; done\n'
                    'if [ "$1 $2" = "api repos/contoso/hubs/issues/7/comments" ]; then '
                    'jq -r "$5" "' + str(comments) + '"; fi\n')
    stub.chmod(0o755)
    comment_env = {**env, "PATH": f"{stub.parent}:{env['PATH']}", "GEN_PULL_REQUEST": "7", "GEN_REPORT": said["report"]}
    posted = subprocess.run(["bash", str(ROOT / "scripts/action/comment.sh")], env=comment_env, capture_output=True, text=True)
    assert posted.returncode == 0 and "posted" in posted.stdout, posted.stderr
    assert "--method POST repos/contoso/hubs/issues/7/comments -F body=@" in calls.read_text()
    assert (tmp_path / "sent.md").read_text().startswith("<!-- gen-check -->\n## gen check")
    # Someone else's comment with the marker is never edited; the bot's own is.
    comments.write_text(json.dumps([{"id": 41, "body": "<!-- gen-check --> not gen", "user": {"login": "mallory"}},
                                    {"id": 42, "body": "<!-- gen-check -->\nold", "user": {"login": "github-actions[bot]"}}]))
    updated = subprocess.run(["bash", str(ROOT / "scripts/action/comment.sh")], env=comment_env, capture_output=True, text=True)
    assert updated.returncode == 0 and "updated comment 42" in updated.stdout, updated.stderr
    assert "--method PATCH repos/contoso/hubs/issues/comments/42" in calls.read_text() and "comments/41" not in calls.read_text()
    # A report longer than a comment holds is cut below GitHub's limit, with a note.
    long_report = tmp_path / "long.md"
    long_report.write_text("## gen check\n" + "x" * 200_000)
    subprocess.run(["bash", str(ROOT / "scripts/action/comment.sh")], env={**comment_env, "GEN_REPORT": str(long_report)},
                   capture_output=True, text=True, check=True)
    sent = (tmp_path / "sent.md").read_text()
    assert len(sent) < 65_536 and "whole of it is in the job summary" in sent
    final = subprocess.run(["bash", "-c", 'exit "${GEN_EXIT:-2}"'], env={**env, "GEN_EXIT": said["exit-code"]})
    assert final.returncode == 1


def pipelines_step(template: dict, values: dict[str, str]) -> tuple[str, dict]:
    """The check step as Azure Pipelines runs it: its script, and its env with the template expressions filled in."""
    step = template["steps"][1]
    env = {}
    for key, value in step["env"].items():
        for name, given in values.items():
            value = value.replace("${{ parameters.%s }}" % name, given)
        env[key] = value
    return step["bash"], env


def test_the_azure_pipelines_template_runs(repository, tmp_path):
    """Laid out as Azure Pipelines lays out two checkouts: the spec repository and gen, each in its own folder under
    the sources directory; the job runs in the sources directory itself."""
    template = yaml.safe_load((ROOT / "ci/azure-pipelines/gen-check.yml").read_text())
    assert [p["name"] for p in template["parameters"]] == ["specs", "base", "genPath", "bicep"]
    sources = tmp_path / "s"
    sources.mkdir()
    shutil.copytree(repository, sources / "hubs", symlinks=True)
    script, values = pipelines_step(template, {"specs": "specs/*.json", "base": "HEAD~1", "genPath": str(ROOT)})
    values["GEN_OUT"] = str(tmp_path / "gen-check")
    env = {**os.environ, **values, "BUILD_SOURCESDIRECTORY": str(sources), "BUILD_REPOSITORY_NAME": "contoso/hubs"}
    ran = subprocess.run(["bash", "-c", script], cwd=sources, env=env, capture_output=True, text=True)
    assert ran.returncode == 1, ran.stderr  # the disruptive change
    assert (tmp_path / "gen-check" / "report.md").read_text().startswith("## gen check")
    assert (tmp_path / "gen-check" / "gen.sarif").is_file()
    # A base that tries to run a command stays a value: gen says it is no revision, nothing runs.
    _, hostile = pipelines_step(template, {"specs": "specs/*.json", "base": "origin/main$(touch${IFS}pwned)", "genPath": str(ROOT)})
    hostile["GEN_OUT"] = str(tmp_path / "hostile")
    ran = subprocess.run(["bash", "-c", script], cwd=sources,
                         env={**os.environ, **hostile, "BUILD_SOURCESDIRECTORY": str(sources), "BUILD_REPOSITORY_NAME": "contoso/hubs"},
                         capture_output=True, text=True)
    assert ran.returncode == 2 and not (sources / "hubs" / "pwned").exists() and not (sources / "pwned").exists()


def _gh_answering(tmp_path: Path, answer: str, code: int) -> Path:
    """A stand-in for the GitHub CLI (not GitHub): answers the code-scanning API with `answer` and exit `code`, as gh
    does (its error message on stderr)."""
    stub = tmp_path / "gh-stub" / "gh"
    stub.parent.mkdir(exist_ok=True)
    stream = ">&2" if code else ""
    stub.write_text(f"#!/bin/sh\necho '{answer}' {stream}\nexit {code}\n")
    stub.chmod(0o755)
    return stub.parent


@pytest.mark.parametrize("answer,code,uploads", [
    ('[{"id": 1, "tool": {"name": "gen check"}}]', 0, True),  # code scanning on, analyses uploaded before
    ("gh: no analysis found (HTTP 404)", 1, True),  # code scanning on, nothing uploaded yet
    ("gh: Advanced Security must be enabled for this repository to use code scanning. (HTTP 403)", 1, False),
    ("gh: Resource not accessible by integration (HTTP 403)", 1, False),  # no security-events permission
])
def test_sarif_is_uploaded_only_where_the_repository_takes_it(tmp_path, answer, code, uploads):
    env = github_env(tmp_path)
    env["PATH"] = f"{_gh_answering(tmp_path, answer, code)}:{env['PATH']}"
    ran = subprocess.run(["bash", str(ROOT / "scripts/action/sarif.sh")], env=env, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr
    assert outputs(tmp_path / "output")["upload"] == ("true" if uploads else "false")
    summary = (tmp_path / "summary").read_text()
    assert ("SARIF not uploaded" in summary and 'sarif: "false"' in summary) == (not uploads)
    for choice, said in (("true", "true"), ("false", "false")):  # the workflow's own choice is never second-guessed
        (tmp_path / "output").write_text("")
        subprocess.run(["bash", str(ROOT / "scripts/action/sarif.sh")], env={**env, "GEN_SARIF": choice}, check=True)
        assert outputs(tmp_path / "output")["upload"] == said


def test_a_runner_with_its_own_bicep_still_compiles_with_the_pinned_one(tmp_path):
    """Hosted runners ship a bicep on PATH: the action's set-up keeps the pinned one unless told otherwise."""
    other = tmp_path / "runner-tools" / "bicep"
    other.parent.mkdir()
    other.write_text("#!/bin/sh\necho 'Bicep CLI version 0.30.3 (runner)'\n")
    other.chmod(0o755)
    env = github_env(tmp_path)
    env["PATH"] = f"{other.parent}:{env['PATH']}"
    setup = subprocess.run(["bash", str(ROOT / "scripts/action/setup.sh")], env=env, capture_output=True, text=True)
    assert setup.returncode == 0, setup.stderr
    pinned = re.search(r'Version="\[(.*)\]"', (ROOT / "tools/bicep/bicep.csproj").read_text())[1]
    assert f"/azure.bicep.commandline.linux-x64/{pinned}/" in os.readlink(ROOT / ".tools/bin/bicep")
    assert "0.30.3" not in setup.stdout + setup.stderr


def test_the_azure_pipelines_template_runs_with_a_single_checkout(repository, tmp_path):
    """`checkout: self` alone: the spec repository is the sources directory itself, gen elsewhere (genPath)."""
    template = yaml.safe_load((ROOT / "ci/azure-pipelines/gen-check.yml").read_text())
    sources = tmp_path / "s"
    shutil.copytree(repository, sources, symlinks=True)
    script, values = pipelines_step(template, {"specs": "specs/*.json", "base": "HEAD", "genPath": str(ROOT), "bicep": "pinned"})
    values["GEN_OUT"] = str(tmp_path / "gen-check")
    env = {**os.environ, **values, "BUILD_SOURCESDIRECTORY": str(sources), "BUILD_REPOSITORY_NAME": "contoso/hubs"}
    ran = subprocess.run(["bash", "-c", script], cwd=sources, env=env, capture_output=True, text=True)
    assert ran.returncode == 0, ran.stdout + ran.stderr  # HEAD is what is committed: no change, a clean check
    report = (tmp_path / "gen-check" / "report.md").read_text()
    assert report.count("| `specs/") == 3 and "Compiled with Bicep " in report
    assert "Compared with the spec at HEAD (" in report
    # A broken spec fails the same job
    (sources / "specs" / "multi-site.json").write_text("{ not json")
    ran = subprocess.run(["bash", "-c", script], cwd=sources, env=env, capture_output=True, text=True)
    assert ran.returncode == 2


def test_specs_given_one_per_line_are_all_checked(repository, tmp_path):
    """A workflow's `specs: |` block gives one spec a line: every line is a spec, not only the first."""
    env = github_env(tmp_path)
    env["PATH"] = f"{ROOT / '.tools/bin'}:{ROOT / '.venv/bin'}:{env['PATH']}"
    env.update(GEN_SPECS="specs/seed-b2b-azfw.json\nspecs/multi-site.json\n", GEN_BASE="")
    check = subprocess.run(["bash", str(ROOT / "scripts/action/check.sh")], cwd=repository, env=env, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    report = Path(outputs(tmp_path / "output")["report"]).read_text()
    assert report.count("| `specs/") == 2
