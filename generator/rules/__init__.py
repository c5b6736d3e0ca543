"""The rule engine: each Azure or design rule is a small function registered with an id.

A rule takes the Topology and the schema-valid spec dict (for exact spec paths)
and yields `(path, message)` pairs; `check()` turns them into findings with the
rule's id, severity, title and link. Adding a rule = one decorated function in
the module of its family + one bad fixture under tests/fixtures/specs/bad/ +
one line in the README's rule table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

from ..findings import ERROR, WARNING, Finding, sort_findings
from ..model import Topology


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    title: str
    link: str
    check: Callable[[Topology, dict], Iterator[tuple[str, str]]]


REGISTRY: dict[str, Rule] = {}


def rule(rule_id: str, title: str, link: str, severity: str = ERROR):
    """Register a rule: `@rule("ARS001", "Branch-to-branch must be on ...", "https://learn.microsoft.com/...")`."""

    def register(function):
        if rule_id in REGISTRY:
            raise ValueError(f"rule id {rule_id} registered twice")
        REGISTRY[rule_id] = Rule(rule_id, severity, title, link, function)
        return function

    return register


def all_rules() -> list[Rule]:
    _load_families()
    return sorted(REGISTRY.values(), key=lambda r: r.id)


def check(topology: Topology, data: dict) -> list[Finding]:
    """Run every rule; findings sorted by spec path."""
    findings = []
    for r in all_rules():
        for path, message in r.check(topology, data):
            findings.append(Finding(path, r.id, r.severity, message, r.title, r.link))
    return sort_findings(findings)


def _load_families() -> None:
    # Importing a family module registers its rules.
    from . import addressing, asn, firewall, gateways, naming, routeserver, secrets  # noqa: F401


__all__ = ["ERROR", "WARNING", "Rule", "rule", "all_rules", "check"]
