"""Warnings a spec accepts deliberately (`acceptedWarnings`), and the two rules that keep that honest (ACC).

An acceptance names a warning by rule id and spec path, with a reason a reviewer reads; the
warning is then listed as accepted instead of counted (the output README lists it too).
Errors are what Azure would refuse or what breaks the design: they can never be accepted.
"""

from __future__ import annotations

from .. import readme_link
from ..findings import ERROR, WARNING, Finding
from . import REGISTRY, Rule, register

ACCEPT_LINK = readme_link("accepting-a-warning")

ACCEPTS_AN_ERROR = register(Rule(
    "ACC001", ERROR, "Accepted warning names an error or an unknown rule", ACCEPT_LINK,
    "Only warnings can be accepted: an error is a deployment Azure refuses or a design that does not "
    "work, and accepting it would only hide that. Fix the spec instead.",
    stage="acceptances",
))
ACCEPTS_NOTHING = register(Rule(
    "ACC002", WARNING, "Accepted warning matches no finding", ACCEPT_LINK,
    "The acceptance names a rule and path that report nothing (any more): remove it, so that the list "
    "of accepted warnings stays the list a reviewer should read.",
    stage="acceptances",
))


def apply(topology, findings: list[Finding]) -> list[Finding]:
    """The findings with accepted warnings marked, plus a finding for each acceptance that cannot apply."""
    marked = list(findings)
    for accepted in topology.accepted_warnings:
        target = REGISTRY.get(str(accepted.rule))
        if target is None or target.severity != WARNING:
            what = f"{accepted.rule} is an error rule" if target else f"there is no rule {accepted.rule!r} (`gen rules` lists them)"
            marked.append(ACCEPTS_AN_ERROR.finding(accepted.rule.path, f"{what}: only warnings can be accepted"))
            continue
        hits = [i for i, f in enumerate(marked) if f.rule_id == accepted.rule and f.path == accepted.finding_path]
        if not hits:
            marked.append(ACCEPTS_NOTHING.finding(accepted.finding_path.path, (
                f"{accepted.rule} reports nothing at {accepted.finding_path}: remove this acceptance "
                f"(or correct its path: `gen validate` prints each warning's path)")))
        for i in hits:
            marked[i] = marked[i].accept(str(accepted.reason))
    return marked
