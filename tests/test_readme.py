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
    assert len(update_readme.SECTION.findall(readme)) == 4


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
