"""Findings as text for people, JSON for scripts, SARIF for pull-request annotations; and the rule catalogue.

Findings are listed in the order of the spec's lines, so a reader goes through the file once.
An unreadable spec is reported in the same formats (with exit code 2), so that a CI job that
uploads SARIF never uploads an empty file.
"""

from __future__ import annotations

import json

from . import __version__, markdown
from .findings import ERROR, Finding
from .locate import line_index, line_of

FORMATS = ("text", "json", "sarif")


def _by_line(findings: list[Finding], spec_text: str) -> list[tuple[int, Finding]]:
    lines_by_path = line_index(spec_text)
    located = [(line_of(lines_by_path, f.path), f) for f in findings]
    return sorted(located, key=lambda item: (item[0], item[1].sort_key()))


def see(rule_id: str, link: str) -> str:
    """Where to read more: a Microsoft page, or gen's own README section and the command that prints it offline."""
    return f"{link} (or: gen rules --explain {rule_id})" if link.startswith("README.md") else link


def _counts(findings: list[Finding]) -> tuple[int, int, int]:
    errors = sum(f.severity == ERROR for f in findings)
    accepted = sum(bool(f.accepted) for f in findings)
    return errors, len(findings) - errors - accepted, accepted


def _where(f: Finding, spec_path: str, line: int) -> str:
    return f"{spec_path}/{f.file}" if f.file else f"{spec_path}:{line}"


def as_text(located: list[tuple[int, Finding]], spec_path: str) -> str:
    out, accepted = [], []
    for line, f in located:
        if f.accepted:
            accepted.append(f"{_where(f, spec_path, line)}: accepted {f.rule_id} {f.path}: {f.accepted}")
            continue
        out.append(f"{_where(f, spec_path, line)}: {f.severity} {f.rule_id} {f.path}: {f.message}")
        if f.link:
            out.append(f"    see {see(f.rule_id, f.link)}")
    errors, warnings, n_accepted = _counts([f for _, f in located])
    summary = f"{errors} error(s), {warnings} warning(s)" + (f", {n_accepted} accepted" if n_accepted else "")
    return "\n".join(out + accepted + [f"{summary} in {spec_path}"]) + "\n"


def _json_item(line: int, f: Finding) -> dict:
    item = {"ruleId": f.rule_id, "severity": f.severity, "path": f.path, "line": line, "message": f.message,
            "title": f.title, "link": f.link}
    if f.file:
        item["file"] = f.file
    if f.accepted:
        item["accepted"] = f.accepted
    return item


def as_json_items(findings: list[Finding]) -> list[dict]:
    """Findings as JSON objects, without line numbers (for documents that are not about one spec file)."""
    return [{k: v for k, v in _json_item(0, f).items() if k != "line"} for f in findings]


def as_json(located: list[tuple[int, Finding]], spec_path: str) -> str:
    items = [_json_item(line, f) for line, f in located]
    return json.dumps({"spec": spec_path, "findings": items}, indent=2) + "\n"


def _sarif_level(f: Finding) -> str:
    return "error" if f.severity == ERROR else "warning"


def as_sarif(located: list[tuple[int, Finding]], spec_path: str, successful: bool = True) -> str:
    """SARIF 2.1.0: GitHub code scanning and Azure DevOps turn it into annotations on the spec's lines.

    An accepted warning is a result with an in-source suppression carrying the spec's reason.
    """
    findings = [f for _, f in located]
    rule_ids = sorted({f.rule_id for f in findings})
    first = {rule_id: next(f for f in findings if f.rule_id == rule_id) for rule_id in rule_ids}
    rules = [
        {
            "id": rule_id,
            "shortDescription": {"text": first[rule_id].title or rule_id},
            "helpUri": first[rule_id].link,
            "defaultConfiguration": {"level": _sarif_level(first[rule_id])},
        }
        for rule_id in rule_ids
    ]
    results = []
    for line, f in located:
        result = {
            "ruleId": f.rule_id,
            "ruleIndex": rule_ids.index(f.rule_id),
            "level": _sarif_level(f),
            "message": {"text": f"{f.path}: {f.message}"},
            "locations": [
                {
                    "physicalLocation": {"artifactLocation": {"uri": f"{spec_path}/{f.file}" if f.file else spec_path},
                                         "region": {"startLine": line}},
                    "logicalLocations": [{"fullyQualifiedName": f.path}],
                }
            ],
        }
        if f.accepted:
            result["suppressions"] = [{"kind": "inSource", "justification": f.accepted}]
        results.append(result)
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "gen", "version": __version__, "rules": rules}},
            "invocations": [{"executionSuccessful": successful}],
            "results": results,
        }],
    }
    return json.dumps(sarif, indent=2) + "\n"


def as_markdown(located: list[tuple[int, Finding]], spec_path: str) -> str:
    """A table for a pull-request comment or a run log."""
    errors, warnings, accepted = _counts([f for _, f in located])
    lines = [f"**{markdown.text(spec_path)}**: {errors} error(s), {warnings} warning(s)" + (f", {accepted} accepted" if accepted else ""), ""]
    if located:
        lines += ["| severity | rule | where | finding |", "|---|---|---|---|"]
        for line, f in located:
            message = markdown.text((f.accepted and f"accepted: {f.accepted}") or f.message)
            where = f"{markdown.code(f.file)} {markdown.code(f.path)}" if f.file else f"line {line}, {markdown.code(f.path)}"
            lines.append(f"| {f.severity} | [{f.rule_id}]({f.link}) | {where} | {message} |")
    return "\n".join(lines) + "\n"


def render_findings(findings: list[Finding], spec_path: str, spec_text: str, fmt: str, keep_order: bool = False) -> str:
    """`keep_order`: the findings come in the order to read them (gen verify: causes first), not by spec line."""
    formats = {"text": as_text, "json": as_json, "sarif": as_sarif, "markdown": as_markdown}
    located = [(1, f) for f in findings] if keep_order else _by_line(findings, spec_text)
    return formats[fmt](located, spec_path)


def render_input_error(finding: Finding, spec_path: str, line: int, fmt: str) -> str:
    """An unreadable spec in a machine format (text callers print the one line themselves)."""
    if fmt == "sarif":
        return as_sarif([(line, finding)], spec_path, successful=False)
    return as_json([(line, finding)], spec_path)


# --- the rule catalogue ------------------------------------------------------------------------------


CREATION = "warning for what runs"  # a creation rule: an error for what gen would create


def _severity(r) -> str:
    return f"{r.severity}, {CREATION}" if getattr(r, "creation", False) else r.severity


def rules_listing(catalogue, fmt: str) -> str:
    """`gen rules`: every rule with id, severity, title, link, and in markdown and json its description. A rule that
    guards creating a resource says that it warns for one that runs (`existing`)."""
    if fmt == "json":
        return json.dumps([{"id": r.id, "severity": r.severity, "creation": bool(getattr(r, "creation", False)), "stage": r.stage,
                            "title": r.title, "description": r.description, "link": r.link} for r in catalogue], indent=2) + "\n"
    if fmt == "markdown":
        lines = ["| id | severity | rule |", "|---|---|---|"]
        for r in catalogue:
            description = " ".join(r.description.split()).replace("|", "\\|")
            lines.append(f"| [{r.id}]({r.link}) | {_severity(r)} | **{r.title}**. {description} |")
        return "\n".join(lines) + "\n"
    return "".join(f"{r.id:9} {r.severity:8} {r.title}{' (' + CREATION + ')' if getattr(r, 'creation', False) else ''}\n"
                   f"{'':18}{r.link}\n" for r in catalogue)


def explain(r) -> str:
    """`gen rules --explain ID`: one rule's whole text, readable offline."""
    import textwrap

    body = textwrap.fill(" ".join(r.description.split()), width=88, break_on_hyphens=False)
    return (f"{r.id}  {_severity(r)}  (checked by: {STAGE_WORDS.get(r.stage, r.stage)})\n{r.title}\n\n{body}\n\n"
            f"Source: {r.link}\n")


STAGE_WORDS = {"input": "reading the spec", "schema": "the schema check", "rules": "gen validate (every command that reads a spec)",
               "acceptances": "gen validate, on acceptedWarnings", "plan": "gen plan", "verify": "gen verify",
               "check": "gen check"}
