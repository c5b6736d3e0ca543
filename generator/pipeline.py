"""The stages wired together: load -> schema -> model -> rules, and render for a clean spec.

The CLI calls these and only prints; tests call them directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import __version__, model, rules, spec
from .findings import ERROR, Finding, sort_findings
from .render import render


@dataclass(frozen=True)
class Analysis:
    loaded: spec.LoadedSpec
    findings: list[Finding]
    topology: model.Topology | None  # None when the schema check failed

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def clean(self) -> bool:
        return self.topology is not None and not self.errors


def analyse(path: str | Path) -> Analysis:
    """Load and check a spec file. Raises spec.SpecInputError when it is not a readable JSON object."""
    loaded = spec.load(path)
    findings = spec.schema_findings(loaded.data)
    if findings:
        # The rules need the schema's shape: stop here and report the schema findings all at once.
        return Analysis(loaded, findings, None)
    topology = model.build(loaded.data)
    return Analysis(loaded, sort_findings(rules.check(topology, loaded.data)), topology)


def provenance(analysis: Analysis) -> dict:
    """Where the output comes from, for the manifest."""
    return {"generator": f"gen {__version__}", "spec": analysis.loaded.file_name, "sha256": analysis.loaded.sha256}


def render_files(analysis: Analysis) -> dict[str, str]:
    """The output files of a clean analysis."""
    if not analysis.clean:
        raise ValueError("the spec has errors; nothing is rendered")
    return render(analysis.topology, analysis.loaded.file_name, analysis.loaded.sha256)
