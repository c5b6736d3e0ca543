"""The rule catalogue: every check gen makes on a spec, each with an id, a severity, a title, a
description, a documentation link, and (for the rules that reason about a topology) a check.

A rule is a small function over the model, registered like a cfn-lint rule:

    @rule("ARS001", "Branch-to-branch must be on for ExpressRoute <-> VPN transit", ROUTE_SERVER_LINK)
    def branch_to_branch(topology, data):
        \"\"\"The longer description: what goes wrong in Azure, and why.\"\"\"
        ...
        yield ars.path + ".branchToBranch", "branchToBranch is false, so ..."

It yields `(spec path, message)` pairs; model objects carry their spec path (`branch.path`,
`prefix.path`), so a rule never rebuilds one. A rule that guards creating a resource (`creation=True`: a
SKU Azure no longer creates, a subnet size Azure asks for at creation) yields `(path, message, WARNING)`
for a resource the spec marks `existing`: what runs is judged as running, with what keeping it costs. The docstring is the description `gen rules`
shows. Helpers several families share live in `rules/helpers.py`; families never import each
other. SCHEMA and SEC000 are in the catalogue too: the schema stage (`spec.py`) reports them.
"""

from __future__ import annotations

import inspect
from types import SimpleNamespace
from dataclasses import dataclass, replace
from typing import Callable, Iterator

from .. import readme_link
from ..findings import ERROR, WARNING, Finding, sort_findings

SECRETS_LINK = "https://learn.microsoft.com/azure/azure-resource-manager/bicep/scenarios-secrets"


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    title: str
    link: str
    description: str
    check: Callable[..., Iterator[tuple[str, str]]] | None = None
    stage: str = "rules"  # "input"/"schema" (spec.py), "rules", "hubs" (several hubs), "acceptances", "plan", "verify"
    creation: bool = False  # it guards creating a resource: a warning for one that runs already

    def finding(self, path: str, message: str) -> Finding:
        return Finding(path, self.id, self.severity, message, self.title, self.link)


REGISTRY: dict[str, Rule] = {}


STAGES = ("input", "schema", "rules", "hubs", "acceptances", "plan", "verify")


def register(found: Rule) -> Rule:
    """Add a rule to the catalogue; the `rule` decorator does this for ordinary rules."""
    if found.id in REGISTRY:
        raise ValueError(f"rule id {found.id} registered twice")
    REGISTRY[found.id] = found
    return found


def rule(rule_id: str, title: str, link: str, severity: str = ERROR, creation: bool = False):
    """Register a rule; its docstring is the description `gen rules` shows."""

    def decorate(function):
        register(Rule(rule_id, severity, title, link, inspect.cleandoc(function.__doc__ or title), function, creation=creation))
        return function

    return decorate


# The checks of the load and schema stage, in the catalogue like every other rule.
INPUT = register(Rule(
    "INPUT", ERROR, "Spec file cannot be read as a JSON object", readme_link("errors-you-can-get"),
    "The file is missing, unreadable, not UTF-8, empty, not JSON (a trailing comma, a comment) or not a JSON "
    "object. Reported as one line (exit 2), or as the only finding of --format json/sarif.",
    stage="input",
))
SCHEMA = register(Rule(
    "SCHEMA", ERROR, "Spec does not match the schema", readme_link("field-reference"),
    "The spec's shape: required fields, types, allowed values and unknown keys (with a did-you-mean), all "
    "listed at once. The rules run only on a spec with the right shape, because they reason about it.",
    stage="schema",
))
DUPLICATE_KEY = register(Rule(
    "JSON001", ERROR, "A key appears twice in one JSON object", "https://www.rfc-editor.org/rfc/rfc8259#section-4",
    "RFC 8259: the names within an object should be unique, and parsers differ on duplicates (most keep the last "
    "one silently). A reviewer reading the first and gen reading the last would disagree on the design.",
    stage="schema",
))
SECRET_FIELD = register(Rule(
    "SEC000", ERROR, "Secret-like field in the spec (shared keys, passwords): refused", SECRETS_LINK,
    "A field named like a secret (sharedKey, password, authorizationKey, ...). The spec is committed and "
    "copied into the output; secrets are @secure() parameters read from environment variables when deploying.",
    stage="schema",
))


# gen plan's check of the compiled template.
PLAN_CONFLICT = register(Rule(
    "PLAN001", ERROR, "Two operations may run at once and write the same VNet or gateway",
    "https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/common-deployment-errors",
    "Read from the compiled template: two operations neither of which waits for the other, writing the same VNet "
    "(gateways, firewall, Route Server, NICs, peerings) or the same gateway (its connections, the Route Server's "
    "peering). Azure refuses the second with AnotherOperationInProgress, after the first gateway has run for up to "
    "an hour. Order them with dependsOn.",
    stage="plan",
))


def all_rules() -> list[Rule]:
    """The whole catalogue, schema-stage rules first, then by id."""
    _load_families()
    return sorted(REGISTRY.values(), key=lambda r: (STAGES.index(r.stage), r.id))


def check(topology, data: dict) -> list[Finding]:
    """Run every rule on a schema-valid spec; warnings the spec accepts carry their reason. Sorted by path."""
    from . import acceptance

    findings = []
    for r in all_rules():
        if r.stage == "rules":
            mine = []
            for path, message, *severity in r.check(topology, data):
                finding = r.finding(path, message)
                mine.append(replace(finding, severity=severity[0]) if severity else finding)
            findings += _capped(r, mine)
    return sort_findings(acceptance.apply(topology, findings))


def check_fleet(fleet, data: dict) -> list[Finding]:
    """Every rule on a spec of several hubs: each hub's own rules on the spec of that hub alone, named by the spec's
    paths (a finding two hubs share, such as one about a circuit both connect to, once), then the HUB rules over every
    hub at once, then the spec's acceptances."""
    from .. import hubs
    from ..model import accepted_warnings
    from . import acceptance

    if not fleet.several:
        return check(fleet.regions[0].topology, data)
    findings = []
    for region in fleet.regions:
        findings += [hubs.translate_finding(f, region.paths) for f in check(region.topology, region.data)]
    for r in all_rules():
        if r.stage == "hubs":
            findings += _capped(r, [r.finding(path, message) for path, message in r.check(fleet, data)])
    spec = SimpleNamespace(accepted_warnings=accepted_warnings(data))  # all acceptance.apply reads
    return sort_findings(acceptance.apply(spec, list(dict.fromkeys(findings))))


REPEATS_SHOWN = 50  # of one rule: a spec of 200,000 equal prefixes gives 50 findings and a count, not 200,000


def _capped(r: Rule, found: list[Finding]) -> list[Finding]:
    """A rule's findings, the first REPEATS_SHOWN of each severity and one more that counts the rest."""
    kept = []
    for severity in dict.fromkeys(f.severity for f in found):
        same = [f for f in found if f.severity == severity]
        kept += same[:REPEATS_SHOWN]
        if len(same) > REPEATS_SHOWN:
            rest = same[REPEATS_SHOWN:]
            kept.append(replace(r.finding(rest[0].path, f"and {len(rest)} more {r.id} finding(s) like the ones above (from "
                                                        f"{rest[0].path} on): fix those first, then validate again"),
                                severity=severity))
    return kept


def _load_families() -> None:
    # Importing a family module registers its rules.
    from . import (  # noqa: F401
        acceptance, addressing, adoption, asn, firewall, gateways, hubs, ipsec, limits, naming, routeserver, secrets,
        spokes, verification,
    )


__all__ = ["ERROR", "WARNING", "Rule", "rule", "all_rules", "check", "check_fleet", "INPUT", "SCHEMA", "SECRET_FIELD", "DUPLICATE_KEY"]
