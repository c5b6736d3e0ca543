"""A plan as text for terminals, Markdown for pull requests and the output README, JSON for scripts."""

from __future__ import annotations

import json

from .. import markdown
from ..rules import PLAN_CONFLICT
from . import Operation, Plan
from .durations import Typical

CONFLICT_RULE = PLAN_CONFLICT.id


def clock(minutes: float) -> str:
    """A point in time from the start: 1:05 for 65 minutes (seconds are rounded down)."""
    hours, mins = divmod(int(minutes), 60)
    return f"{hours}:{mins:02d}"


def span(minutes: float) -> str:
    """A duration: 45 min, 30 s, 2 h 36 min."""
    if minutes < 1:
        return f"{round(minutes * 60)} s"
    hours, mins = divmod(round(minutes), 60)
    return f"{hours} h {mins:02d} min" if hours else f"{mins} min"


def _takes(typical: Typical) -> str:
    return ("~" if typical.estimated else "") + span(typical.minutes)


def _summary(plan: Plan) -> list[str]:
    share = 100 * plan.total_minutes / plan.serial_minutes if plan.serial_minutes else 100
    return [
        f"critical path: {span(plan.total_minutes)}" + (" (~: includes estimates)" if plan.estimated else ""),
        "  " + " → ".join(op.name for op in plan.critical_path),
        f"fully serial:  {span(plan.serial_minutes)} (the critical path is {share:.0f} % of it)",
    ]


def as_text(plan: Plan) -> str:
    lines = [f"plan of {plan.source}: {len(plan.operations)} operations in {len(plan.waves)} waves (~ = estimated duration)", ""]
    width = max((len(op.type) for op in plan.operations), default=0)
    lines.append(f"{'wave':>4}  {'starts':>6}  {'takes':>8}  {'type':<{width}}  name")
    for number, wave in enumerate(plan.waves, 1):
        for position, op in enumerate(wave):
            head = f"{number:>4}" if position == 0 else "    "
            lines.append(f"{head}  {clock(op.start):>6}  {_takes(op.typical):>8}  {op.type:<{width}}  {op.name}")
    lines += [""] + _summary(plan) + [""]
    lines += _sources(plan.operations)
    if plan.conflicts:
        lines += ["", f"{len(plan.conflicts)} conflict(s):"]
        lines += [f"  {CONFLICT_RULE} {c.message}" for c in plan.conflicts]
    else:
        lines += ["", "conflicts: none (no two operations that may run at once write the same VNet or gateway)"]
    return "\n".join(lines) + "\n"


def _sources(operations: list[Operation]) -> list[str]:
    """Where each duration comes from, once per figure."""
    seen: dict[tuple, Typical] = {}
    for op in operations:
        seen.setdefault((op.type, op.typical.basis), op.typical)
    lines = ["durations:"]
    for (kind, _), typical in sorted(seen.items()):
        lines.append(f"  {kind}: {_takes(typical)}, {typical.basis}" + (f" {typical.source}" if typical.source else ""))
    return lines


def as_markdown(plan: Plan, title: str = "Deployment plan", rows: int | None = None) -> str:
    """The plan as a table; with more operations than `rows`, one row per type of operation (on the critical path
    or not), with how many, the waves they span and when the first starts: `gen plan` lists each."""
    lines = [f"**{title}**: {len(plan.operations)} operations in {len(plan.waves)} waves; critical path "
             f"**{span(plan.total_minutes)}**{' (with estimates)' if plan.estimated else ''}, against "
             f"{span(plan.serial_minutes)} one after the other.", "",
             "| wave | starts | takes | what |", "|---|---|---|---|"]
    critical = {op.key for op in plan.critical_path}
    listed = [(number, op) for number, wave in enumerate(plan.waves, 1) for op in wave]
    if rows is None or len(listed) <= rows:
        for number, op in listed:
            what = f"{op.type} {markdown.code(op.name)}"
            lines.append(f"| {number} | {clock(op.start)} | {_takes(op.typical)} | {'**' + what + '**' if op.key in critical else what} |")
    else:
        groups: dict[tuple[str, bool], list[tuple[int, Operation]]] = {}
        for number, op in listed:
            groups.setdefault((op.type, op.key in critical), []).append((number, op))
        for (kind, on_path), members in sorted(groups.items(), key=lambda item: (item[1][0][0], not item[0][1])):
            (first, op), last = members[0], members[-1][0]
            takes = {_takes(o.typical) for _, o in members}
            what = (f"{len(members)} × {kind} ({markdown.code(op.name)}, ...)" if len(members) > 1
                    else f"{kind} {markdown.code(op.name)}")
            lines.append(f"| {first}{'–' + str(last) if last != first else ''} | {clock(op.start)} | "
                         f"{takes.pop() + (' each' if len(members) > 1 else '') if len(takes) == 1 else 'varies'} | "
                         f"{'**' + what + '**' if on_path else what} |")
        lines += ["", f"{len(listed)} operations, one row per type here (on the critical path or not): `gen plan` lists each."]
    lines += ["", "Bold: the critical path. Durations: " + "; ".join(_markdown_sources(plan.operations)) + "."]
    if plan.conflicts:
        lines += [""] + [f"- {CONFLICT_RULE} {markdown.text(c.message)}" for c in plan.conflicts]
    return "\n".join(lines) + "\n"


def _markdown_sources(operations: list[Operation]) -> list[str]:
    """Each duration once: a documented figure with its Microsoft source, an estimate marked ~ with why."""
    seen: dict[tuple, tuple[str, Typical]] = {}
    for op in operations:
        seen.setdefault((op.typical.minutes, op.typical.basis), (op.type.split("/", 1)[-1], op.typical))
    parts = []
    for kind, typical in sorted(seen.values(), key=lambda item: (item[1].estimated, item[0])):
        if typical.estimated:
            parts.append(f"{kind} {_takes(typical)} ({markdown.text(typical.basis)})")
        else:
            parts.append(f"{kind} {_takes(typical)}, [{markdown.text(typical.basis)}]({typical.source})")
    return parts


def as_json(plan: Plan) -> str:
    def operation(op: Operation) -> dict:
        return {"key": op.key, "type": op.type, "name": op.name, "wave": op.wave, "startMinutes": op.start,
                "minutes": op.typical.minutes, "estimated": op.typical.estimated, "source": op.typical.source,
                "after": sorted(op.after)}

    return json.dumps({
        "source": plan.source,
        "operations": [operation(op) for op in plan.operations],
        "waves": [[op.key for op in wave] for wave in plan.waves],
        "criticalPath": [op.key for op in plan.critical_path],
        "criticalPathMinutes": plan.total_minutes,
        "serialMinutes": plan.serial_minutes,
        "conflicts": [{"ruleId": CONFLICT_RULE, "first": c.first.key, "second": c.second.key,
                       "resource": {"type": c.resource[0], "name": c.resource[1]}, "message": c.message}
                      for c in plan.conflicts],
    }, indent=2) + "\n"


FORMATS = {"text": as_text, "markdown": as_markdown, "json": as_json}
