"""`gen check`: the pull-request gate in one step, composed of the stages the other commands run.

For each spec: validate, render --check against its committed output, compile (every hub through one
compiler process; a compilation already done for the same files comes from the cache), plan from the
compiled template, and with a base revision the diff and the plan of what changes; with a capture,
verify. One report in the format the pull request wants, and one exit code: 2 when an input cannot be
read or there is no compiler, 1 when anything is wrong, 0 otherwise.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__, compiler, markdown, output, pipeline, spec
from .findings import ERROR, Finding


@dataclass
class HubCheck:
    """Everything gen check found out about one spec."""

    spec_file: str
    directory: Path | None = None  # the committed output it is compared with
    analysis: pipeline.Analysis | None = None
    input_error: str = ""  # the spec could not be read (exit 2)
    drift: list = field(default_factory=list)  # output.Drift
    build: compiler.BuildResult | None = None
    plan: object | None = None  # plan.Plan
    changes: list | None = None  # diff.Change, with --base
    changed_operations: list = field(default_factory=list)  # plan operations of the resources that change
    baseline: str = ""  # what the change was compared with: a git revision, a capture of what runs, or nothing
    cost: object | None = None  # cost.Delta against a git baseline; cost.Estimate of the spec otherwise
    verify: list[Finding] | None = None
    capture: str = ""  # the capture verify read (--capture), as given
    strict: bool = False

    @property
    def name(self) -> str:
        return self.analysis.fleet.name if self.analysis and self.analysis.fleet else Path(self.spec_file).stem

    @property
    def failed(self) -> bool:
        from . import diff

        return bool(
            self.input_error
            or (self.analysis is not None and self.analysis.failed(self.strict))
            or self.drift
            or (self.build is not None and not self.build.ok)
            or (self.plan is not None and self.plan.conflicts)
            or (self.changes is not None and diff.disruptive(self.changes))
            or (self.verify is not None and any(f.severity == ERROR for f in self.verify))
        )


@dataclass
class Report:
    hubs: list[HubCheck]
    base: str | None = None
    no_compiler: str = ""  # why nothing compiled (exit 2)

    @property
    def compiler(self) -> str:
        """Which compiler the hubs went through, for the report: a reviewer trusts a compile they can name."""
        said = next((h.build.compiler for h in self.hubs if h.build is not None), "")
        said = said.split(", cached")[0]
        version = said.split("(")[0].replace("Bicep", "").strip()
        if said and version != compiler.TESTED_BICEP:
            said += f"; gen is tested with Bicep {compiler.TESTED_BICEP}"
        return said

    @property
    def exit_code(self) -> int:
        if self.no_compiler or any(h.input_error for h in self.hubs):
            return 2
        return 1 if any(h.failed for h in self.hubs) else 0


def run(spec_files: list[str], base: str | None = None, capture: str | None = None, strict: bool = False,
        output_dirs: dict[str, Path] | None = None) -> Report:
    """Check every spec; the hubs compile through one compiler process (one per core from four hubs on), or come
    from the compile cache."""
    from . import diff, model
    from . import plan as planner

    report = Report([], base)
    rendered: list[tuple[HubCheck, Path]] = []
    with tempfile.TemporaryDirectory(prefix="gen-check-") as scratch:
        for index, spec_file in enumerate(spec_files):
            hub = HubCheck(spec_file, strict=strict)
            report.hubs.append(hub)
            try:
                hub.analysis = pipeline.analyse(spec_file)
            except spec.SpecInputError as exc:
                hub.input_error = str(exc)
                continue
            if hub.analysis.fleet is None or hub.analysis.errors:
                continue  # nothing to render: the findings say why
            hub.directory = (output_dirs or {}).get(spec_file) or output.rendered_from(spec_file) or hub.analysis.default_directory()
            files = pipeline.render_files(hub.analysis, hub.directory)
            hub.drift = output.check(files, hub.directory)
            fresh = Path(scratch) / str(index)
            output.write(files, fresh)
            rendered.append((hub, fresh))
            try:
                if capture is not None:  # what runs is the truest baseline: the change is compared with it
                    from . import verify
                    from .capture import Capture

                    hub.capture = str(capture).rstrip("/") or "."
                    if hub.analysis.several:  # one folder per hub
                        from .verify_hubs import verify_hubs

                        hub.verify = verify_hubs(hub.analysis.fleet, Path(capture))
                    else:
                        hub.verify = verify.verify(hub.analysis.topology, Path(capture))
                    if base is not None:
                        hub.changes = diff.live_of_hubs(Path(capture), hub.analysis.fleet) if hub.analysis.several \
                            else diff.compare_live(Capture(capture), hub.analysis.topology)
                        hub.baseline = f"what runs in Azure (the capture {capture}); the revision {base} is not used"
                elif base is not None:
                    hub.changes, hub.baseline, hub.cost = _changes(hub, base)
            except (diff.RevisionError, spec.SpecInputError) as exc:
                hub.input_error = str(exc)
            except Exception as exc:  # a capture that cannot be read
                from .capture import CaptureError

                if not isinstance(exc, CaptureError):
                    raise
                hub.input_error = str(exc)
        if rendered:
            from .plan import hubs as hubs_plan

            # A spec of several hubs compiles as its deployments: each hub's folder, then the peerings'.
            parts = [(hub, [d for stage in hubs_plan.deployments(fresh) for d in stage] if hub.analysis.several else [fresh])
                     for hub, fresh in rendered]
            try:
                results = iter(compiler.build_all([d for _, folders in parts for d in folders]))
            except (compiler.CompilerNotFound, compiler.CompilerFailed) as exc:
                report.no_compiler = str(exc)
                return report
            for hub, folders in parts:
                built = [next(results) for _ in folders]
                if not hub.analysis.several:
                    result = built[0]
                    hub.build = result
                    if result.template is not None:
                        hub.plan = planner.from_template(result.template, result.parameter_values, hub.name, hub.spec_file)
                else:
                    hub.build = compiler.BuildResult(folders[0].parent, built[0].compiler,
                                                     [d for b in built for d in b.diagnostics], None, None)
                    if all(b.template is not None for b in built):
                        plans = {d.name: planner.from_template(b.template, b.parameter_values, f"{hub.name}/{d.name}",
                                                               f"{hub.spec_file} ({d.name})") for d, b in zip(folders, built)}
                        hub.plan = hubs_plan.of_plans(plans, hubs_plan.deployments(folders[0].parent), hub.spec_file)
                if hub.plan is not None and hub.changes is not None:
                    hub.changed_operations = _operations_of(hub.plan, hub.changes)
    return report


def _changes(hub: HubCheck, base: str):
    from . import diff, hubs

    raw = diff.read_revision(base, hub.spec_file)
    commit = diff.short_commit(base, hub.spec_file)
    at = f"{base} ({commit})" if commit else base
    from . import cost, prices

    table = prices.load()
    if raw is None:
        before, said = None, f"nothing deployed yet: the spec is not at {at}, so every resource is new"
    else:
        old = spec.parse(raw, f"{base}:{hub.spec_file}")
        if spec.schema_findings(old.data):
            raise spec.SpecInputError(f"{old.path}: does not match the schema, so it cannot be compared")
        before = hubs.build(old.data)
        said = f"the spec at {at}, assumed to be what runs (not checked: --capture compares with what Azure holds)"
    try:
        paired = hubs.pairs(before, hub.analysis.fleet)  # hub by hub
    except ValueError as exc:
        raise spec.SpecInputError(str(exc)) from None
    changes, spent = [], None
    for old_topology, new_topology in paired:
        changes += diff.compare(old_topology, new_topology)
        delta = cost.delta(old_topology, new_topology, table)
        spent = delta if spent is None else cost.add_deltas(spent, delta)
    changes += diff.peering_changes(before, hub.analysis.fleet)  # what joins the hubs
    return changes, said, spent


def _plan_markdown(plan, title: str) -> str:
    from .plan import hubs as hubs_plan
    from .plan import text as plan_text

    return hubs_plan.as_markdown(plan) if isinstance(plan, hubs_plan.HubsPlan) else plan_text.as_markdown(plan, title)


def _plan_json(plan) -> str:
    from .plan import hubs as hubs_plan
    from .plan import text as plan_text

    return hubs_plan.as_json(plan) if isinstance(plan, hubs_plan.HubsPlan) else plan_text.as_json(plan)


def _operations_of(plan, changes) -> list:
    """The operations of the plan that write a resource the change creates, modifies or recreates: what the
    deployment of the change really runs (unchanged resources are rewritten by ARM in seconds)."""
    touched = {(c.type.lower(), c.resource.lower()) for c in changes if c.action in ("create", "modify", "recreate")}
    return [op for op in plan.operations if (op.type.lower(), op.name.lower()) in touched]


# --- the report ---------------------------------------------------------------------------------------------


def as_text(report: Report) -> str:
    from . import diff
    from .plan import text as plan_text
    from .report import render_findings

    lines = []
    if report.no_compiler:
        lines.append(f"gen check: no compiler: {report.no_compiler}")
    for hub in report.hubs:
        lines.append(f"== {hub.spec_file}" + (f" -> {hub.directory}/" if hub.directory else ""))
        if hub.input_error:
            lines.append(f"  unreadable: {hub.input_error}")
            continue
        lines += ["  " + line for line in render_findings(hub.analysis.findings, hub.spec_file, hub.analysis.loaded.text,
                                                          "text").splitlines()]
        if hub.directory is not None:
            lines.append(f"  output: {'up to date' if not hub.drift else 'OUT OF DATE: run gen render ' + hub.spec_file + ' -o ' + str(hub.directory)}")
            lines += [f"    {item}" for item in hub.drift]
        if hub.build is not None:
            errors = sum(d.level == "Error" for d in hub.build.diagnostics)
            warnings = sum(d.level == "Warning" for d in hub.build.diagnostics)
            lines.append(f"  compile: {errors} error(s), {warnings} warning(s)")
            lines += [f"    {_short_diagnostic(d, hub)}" for d in hub.build.diagnostics]
        if hub.plan is not None:
            lines.append(f"  plan: {len(hub.plan.operations)} operations in {len(hub.plan.waves)} waves, critical path "
                         f"{plan_text.span(hub.plan.total_minutes)}, {len(hub.plan.conflicts)} conflict(s)")
            lines += [f"    PLAN001 {c.message}" for c in hub.plan.conflicts]
        if hub.changes is not None:
            lines.append(f"  change against {hub.baseline}:")
            lines += ["    " + line for line in diff.as_text(hub.changes).splitlines()]
            if hub.cost is not None:
                from . import cost

                lines += ["  " + line for line in cost.delta_lines(hub.cost)]
            if hub.changed_operations:
                lines.append(f"  what the deployment of this change runs ({_span_of(hub.changed_operations)} if one after the other):")
                lines += [f"    {op.type.split('/', 1)[-1]} {op.name}: {plan_text.span(op.typical.minutes)}" for op in hub.changed_operations]
        if hub.verify is not None:
            lines += ["  " + line for line in render_findings(hub.verify, hub.capture, "", "text", keep_order=True).splitlines()]
    failed = [h for h in report.hubs if h.failed]
    if report.compiler:
        lines.append(f"compiler: {report.compiler}")
    lines.append(f"gen check: {len(report.hubs)} spec(s), {len(failed)} with something to fix" if failed or report.no_compiler
                 else f"gen check: {len(report.hubs)} spec(s), all clear")
    return "\n".join(lines) + "\n"


def _short_diagnostic(d, hub: HubCheck) -> str:
    """A diagnostic named by its file in the output directory, not the scratch copy gen compiled."""
    name = Path(d.file).name if "modules" not in Path(d.file).parts else f"modules/{Path(d.file).name}"
    return f"{hub.directory}/{name}:{d.line}:{d.column}: {d.level} {d.code}: {d.message}"


def _span_of(operations) -> str:
    from .plan import text as plan_text

    return plan_text.span(sum(op.typical.minutes for op in operations))


def as_markdown(report: Report) -> str:
    """One pull-request comment: a summary line per hub, then each hub's sections."""
    from . import diff
    from .plan import text as plan_text
    from .report import render_findings

    lines = ["## gen check", ""]
    if report.no_compiler:
        lines += [f"**No Bicep compiler**: {markdown.text(report.no_compiler)}", ""]
    lines += ["| spec | findings | output | compile | plan | change |", "|---|---|---|---|---|---|"]
    for hub in report.hubs:
        if hub.input_error:
            lines.append(f"| {markdown.code(hub.spec_file)} | unreadable: {markdown.text(hub.input_error)} | | | | |")
            continue
        findings = f"{len(hub.analysis.errors)} error(s), {len(hub.analysis.warnings)} warning(s)"
        drift = "–" if hub.directory is None else ("up to date" if not hub.drift else f"**{len(hub.drift)} file(s) out of date**")
        build = "–" if hub.build is None else ("clean" if hub.build.ok else f"**{len([d for d in hub.build.diagnostics if d.counts])} diagnostic(s)**")
        planned = "–" if hub.plan is None else f"{plan_text.span(hub.plan.total_minutes)}, {len(hub.plan.conflicts)} conflict(s)"
        change = "–" if hub.changes is None else ("⚠️ disruptive" if diff.disruptive(hub.changes) else f"{len(hub.changes)} change(s), no downtime")
        if hub.cost is not None and hub.cost.change != 0:  # what the reviewer learns a month later otherwise
            change += ("; cost change unknown" if hub.cost.change is None else
                       f"; {'+' if hub.cost.change > 0 else '-'}{abs(hub.cost.change):,.2f} {hub.cost.after.table.currency}/month")
        lines.append(f"| {markdown.code(hub.spec_file)} | {findings} | {drift} | {build} | {planned} | {change} |")
    if report.compiler:
        lines += ["", f"Compiled with {markdown.text(report.compiler)}."]
    for hub in report.hubs:
        if hub.input_error or hub.analysis is None:
            continue
        lines += ["", f"### {markdown.text(hub.spec_file)}", ""]
        if hub.analysis.findings:
            lines.append(render_findings(hub.analysis.findings, hub.spec_file, hub.analysis.loaded.text, "markdown"))
        if hub.drift:
            from .collect import quote

            command = f"gen render {quote(hub.spec_file)} -o {quote(str(hub.directory))}"
            lines += [f"Output {markdown.code(str(hub.directory))} is out of date: run {markdown.code(command)}.", ""]
            lines += [f"- {markdown.text(str(item))}" for item in hub.drift] + [""]
        if hub.build is not None and hub.build.diagnostics:
            lines += ["Compiler:", ""] + [f"- {markdown.text(_short_diagnostic(d, hub))}" for d in hub.build.diagnostics] + [""]
        if hub.changes is not None:
            lines += [f"Compared with {markdown.text(hub.baseline)}.", ""]
            lines.append(diff.as_markdown(hub.changes))
            if hub.cost is not None:
                from . import cost

                lines.append(cost.delta_markdown(hub.cost))
            if hub.changed_operations:
                lines += [f"What deploying this change runs ({_span_of(hub.changed_operations)} one after the other; "
                          f"unchanged resources are rewritten much faster, assumed):", "",
                          "| operation | typical |", "|---|---|"]
                lines += [f"| {op.type.split('/', 1)[-1]} {markdown.code(op.name)} | {plan_text.span(op.typical.minutes)} |"
                          for op in hub.changed_operations]
                lines.append("")
        elif hub.plan is not None:
            lines.append(_plan_markdown(hub.plan, f"Deployment plan of {markdown.text(hub.name)}"))
        if hub.verify is not None:
            lines.append(render_findings(hub.verify, hub.capture, "", "markdown", keep_order=True))
    return "\n".join(lines).rstrip("\n") + "\n"


def as_json(report: Report) -> str:
    from . import diff
    from .plan import text as plan_text
    from .report import as_json_items

    hubs = []
    for hub in report.hubs:
        entry: dict = {"spec": hub.spec_file, "failed": hub.failed}
        if hub.input_error:
            entry["inputError"] = hub.input_error
        else:
            entry["findings"] = as_json_items(hub.analysis.findings)
            if hub.analysis.topology is not None:
                from . import ledger

                entry["ledger"] = [{"session": s.name, "prefixes": s.count, "limit": s.limit, "headroom": s.headroom,
                                    "source": s.link} for s in ledger.from_spec(hub.analysis.topology)]
            entry["output"] = None if hub.directory is None else {"directory": str(hub.directory), "drift": [str(d) for d in hub.drift]}
            if hub.build is not None:
                entry["compile"] = [{"file": _short_diagnostic(d, hub).split(":")[0], "line": d.line, "level": d.level,
                                     "code": d.code, "message": d.message} for d in hub.build.diagnostics]
            if hub.plan is not None:
                entry["plan"] = json.loads(_plan_json(hub.plan))
            if hub.changes is not None:
                entry["changes"] = json.loads(diff.as_json(hub.changes))
                entry["baseline"] = hub.baseline
                if hub.cost is not None:
                    from . import cost

                    entry["cost"] = cost.delta_json(hub.cost)
                entry["changedOperations"] = [{"type": op.type, "name": op.name, "minutes": op.typical.minutes}
                                              for op in hub.changed_operations]
            if hub.verify is not None:
                entry["verify"] = as_json_items(hub.verify)
        hubs.append(entry)
    document = {"generator": f"gen {__version__}", "compiler": report.compiler, "base": report.base,
                "exitCode": report.exit_code, "hubs": hubs}
    if report.no_compiler:
        document["noCompiler"] = report.no_compiler
    return json.dumps(document, indent=2) + "\n"


def as_sarif(report: Report) -> str:
    """Every finding of every spec, each at its spec line: GitHub turns them into annotations on the pull request."""
    from .locate import line_index, line_of
    from .report import as_sarif as sarif_of

    located = []
    for hub in report.hubs:
        if hub.analysis is None:
            continue
        lines = line_index(hub.analysis.loaded.text)
        located += [(line_of(lines, f.path), f.at_file("") if not f.file else f, hub.spec_file) for f in hub.analysis.findings]
        # What verify found in the capture: at the capture's file when it names one, else at the spec's line of its path.
        located += [(None if f.file else line_of(lines, f.path), f, f"{hub.capture}/{f.file}" if f.file else hub.spec_file)
                    for f in hub.verify or []]
    documents = json.loads(sarif_of([], "", successful=not report.no_compiler))
    run_ = documents["runs"][0]
    rule_ids = sorted({f.rule_id for _, f, _ in located})
    first = {rule_id: next(f for _, f, _ in located if f.rule_id == rule_id) for rule_id in rule_ids}
    run_["tool"]["driver"]["rules"] = [{"id": r, "shortDescription": {"text": first[r].title or r}, "helpUri": first[r].link,
                                        "defaultConfiguration": {"level": "error" if first[r].severity == ERROR else "warning"}}
                                       for r in rule_ids]
    run_["results"] = [{
        "ruleId": f.rule_id, "ruleIndex": rule_ids.index(f.rule_id), "level": "error" if f.severity == ERROR else "warning",
        "message": {"text": f"{f.path}: {f.message}"},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": spec_file},
                                            **({"region": {"startLine": line}} if line else {})},
                       "logicalLocations": [{"fullyQualifiedName": f.path}]}],
        **({"suppressions": [{"kind": "inSource", "justification": f.accepted}]} if f.accepted else {}),
    } for line, f, spec_file in located]
    return json.dumps(documents, indent=2) + "\n"


FORMATS = {"text": as_text, "markdown": as_markdown, "json": as_json, "sarif": as_sarif}
