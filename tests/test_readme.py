"""The README is the front door: its generated sections match the tool, and it names every rule and field."""

from __future__ import annotations

import os
import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import update_readme  # noqa: E402


def test_generated_sections_are_current():
    readme = (ROOT / "README.md").read_text("utf-8")
    old = os.getcwd()
    os.chdir(ROOT)
    try:
        assert update_readme.refreshed(readme) == readme, "README.md is stale: run `make readme`"
    finally:
        os.chdir(old)


def test_readme_has_the_two_commands_and_every_rule():
    from generator.rules import all_rules

    readme = (ROOT / "README.md").read_text("utf-8")
    assert "make demo" in readme and "make test" in readme
    for rule in all_rules():
        assert f"[{rule.id}]" in readme, rule.id
    assert len(update_readme.SECTION.findall(readme)) == 11


def test_pre_commit_example_is_a_local_hook_the_hooks_file_also_offers():
    """No release tag is published, so the README shows a local hook and names no `rev:` that may not exist."""
    readme = (ROOT / "README.md").read_text("utf-8")
    block = readme[readme.index("pre-commit, with gen installed"):]
    block = block[block.index("```yaml"):]
    block = block[: block.index("```", 7)]
    assert "repo: local" in block and "entry: gen check" in block
    assert "rev:" not in block
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text("utf-8")
    assert "id: gen-check" in hooks and "entry: gen check" in hooks


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_the_readme_user_path_works_in_a_clean_shell(tmp_path):
    """The README's first-spec block, run as written after only `make setup`: nothing else on PATH, no
    AZURE_BICEP_* settings, gen and bicep found through `source .venv/bin/activate` alone."""
    import os
    import re
    import subprocess

    readme = (ROOT / "README.md").read_text("utf-8")
    block = re.search(r"<!-- tests/test_readme.py runs this block.*?-->\n```sh\n(.*?)```", readme, re.S).group(1)
    script = "set -e\n" + block.replace("../my-hubs", str(tmp_path / "my-hubs"))
    env = {"HOME": os.environ.get("HOME", str(tmp_path)), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    done = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 error(s), 0 warning(s) in out/multi-site/" in done.stdout
    assert "conflicts: none" in done.stdout and "verdict: delivered" in done.stdout


def test_the_readme_spec_sample_validates(tmp_path):
    """The first spec in "The spec" is what a reader copies: it must validate as written."""
    import json
    import re

    from generator import pipeline

    section = (ROOT / "README.md").read_text("utf-8").split("## The spec", 1)[1]
    sample = json.loads(re.search(r"```json\n(.*?)```", section, re.S).group(1))
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(sample), "utf-8")
    analysis = pipeline.analyse(path)
    assert analysis.clean, [f"{f.rule_id} {f.path}: {f.message}" for f in analysis.findings]
