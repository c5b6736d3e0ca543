"""Findings as text for people, JSON for scripts, SARIF for pull-request annotations."""

from __future__ import annotations

import json

from . import __version__
from .findings import ERROR, Finding
from .locate import line_index, line_of

FORMATS = ("text", "json", "sarif")


def as_text(findings: list[Finding], spec_path: str, spec_text: str) -> str:
    lines_by_path = line_index(spec_text)
    out = []
    for f in findings:
        line = line_of(lines_by_path, f.path)
        out.append(f"{spec_path}:{line}: {f.severity} {f.rule_id} {f.path}: {f.message}")
        if f.link:
            out.append(f"    see {f.link}")
    errors = sum(f.severity == ERROR for f in findings)
    warnings = len(findings) - errors
    out.append(f"{errors} error(s), {warnings} warning(s) in {spec_path}")
    return "\n".join(out) + "\n"


def as_json(findings: list[Finding], spec_path: str, spec_text: str) -> str:
    lines_by_path = line_index(spec_text)
    items = [
        {
            "ruleId": f.rule_id,
            "severity": f.severity,
            "path": f.path,
            "line": line_of(lines_by_path, f.path),
            "message": f.message,
            "title": f.title,
            "link": f.link,
        }
        for f in findings
    ]
    return json.dumps({"spec": spec_path, "findings": items}, indent=2) + "\n"


def as_sarif(findings: list[Finding], spec_path: str, spec_text: str) -> str:
    """SARIF 2.1.0: GitHub code scanning and Azure DevOps turn it into annotations on the spec's lines."""
    lines_by_path = line_index(spec_text)
    rule_ids = sorted({f.rule_id for f in findings})
    first = {rule_id: next(f for f in findings if f.rule_id == rule_id) for rule_id in rule_ids}
    rules = [
        {
            "id": rule_id,
            "shortDescription": {"text": first[rule_id].title or rule_id},
            "helpUri": first[rule_id].link,
        }
        for rule_id in rule_ids
    ]
    results = [
        {
            "ruleId": f.rule_id,
            "ruleIndex": rule_ids.index(f.rule_id),
            "level": "error" if f.severity == ERROR else "warning",
            "message": {"text": f"{f.path}: {f.message}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": spec_path},
                        "region": {"startLine": line_of(lines_by_path, f.path)},
                    },
                    "logicalLocations": [{"fullyQualifiedName": f.path}],
                }
            ],
        }
        for f in findings
    ]
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "gen", "version": __version__, "rules": rules}}, "results": results}],
    }
    return json.dumps(sarif, indent=2) + "\n"


def render_findings(findings: list[Finding], spec_path: str, spec_text: str, fmt: str) -> str:
    return {"text": as_text, "json": as_json, "sarif": as_sarif}[fmt](findings, spec_path, spec_text)
