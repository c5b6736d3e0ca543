"""The stages wired together: load -> schema -> model -> rules, and render for a clean spec.

The CLI calls these and only prints; tests call them directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import hubs, model, rules, spec
from .findings import ERROR, Finding, sort_findings
from .provenance import Provenance, provenance


@dataclass(frozen=True)
class Analysis:
    loaded: spec.LoadedSpec
    findings: list[Finding]  # accepted warnings included, marked
    topology: model.Topology | None  # None when the schema check failed, or for a spec of several hubs
    fleet: hubs.Fleet | None = None  # every hub: one region for a spec of one hub; None when the schema check failed

    @property
    def several(self) -> bool:
        return self.fleet is not None and self.fleet.several

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        """Warnings the spec does not accept."""
        return [f for f in self.findings if f.severity != ERROR and not f.accepted]

    @property
    def accepted(self) -> list[Finding]:
        return [f for f in self.findings if f.accepted]

    @property
    def clean(self) -> bool:
        return self.fleet is not None and not self.errors

    def failed(self, strict: bool = False) -> bool:
        """Errors, a spec of the wrong shape, or (strict) a warning the spec does not accept."""
        return not self.clean or (strict and bool(self.warnings))

    def default_directory(self) -> Path:
        return Path("out") / self.fleet.name

    def provenance(self, directory: str | Path) -> Provenance:
        return provenance(self.loaded.path, self.loaded.sha256, directory)


def analyse(path: str | Path) -> Analysis:
    """Load and check a spec file. Raises spec.SpecInputError when it is not a readable JSON object."""
    return analyse_loaded(spec.load(path))


def analyse_loaded(loaded: spec.LoadedSpec) -> Analysis:
    """Check a spec already read (a file, or a git revision of one)."""
    findings = sort_findings(spec.schema_findings(loaded.data) + spec.duplicate_key_findings(loaded))
    if findings:
        # The rules need the schema's shape: stop here and report the schema findings all at once.
        return Analysis(loaded, findings, None)
    if hubs.several(loaded.data):
        fleet = hubs.build(loaded.data)
        return Analysis(loaded, rules.check_fleet(fleet, loaded.data), None, fleet)
    topology = model.build(loaded.data)
    return Analysis(loaded, sort_findings(rules.check(topology, loaded.data)), topology, hubs.of_one(loaded.data, topology))


def render_files(analysis: Analysis, directory: str | Path) -> dict[str, str]:
    """The output files of a clean analysis, as they will be written into `directory`."""
    from .render import render  # Jinja is loaded only by the commands that render

    if not analysis.clean:
        raise ValueError("the spec has errors; nothing is rendered")
    if analysis.several:
        from .render_hubs import render_fleet

        return render_fleet(analysis.fleet, analysis.provenance(directory))
    return render(analysis.topology, analysis.provenance(directory))
