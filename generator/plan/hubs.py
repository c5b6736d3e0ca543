"""The plan of a spec of several hubs: one deployment per hub, all at once, then the peerings between them.

One deployment per region, not one for all: a region's failure or its hour-long gateways then never hold back the
other's, and the whole takes as long as the slowest hub plus the peerings, not the sum. The peerings come last
because each names a VNet of the other hub, which must exist when the peering is created
(https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering). Two deployments of one stage
run at once: a VNet or gateway both write would be a conflict (PLAN001), checked here like one template's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from . import Conflict, Plan, of_directory
from . import text as plan_text

PEERINGS = "peerings"


@dataclass
class HubsPlan:
    stages: list[list[tuple[str, Plan]]]  # [[(folder, plan) of each hub], [("peerings", plan)]]
    source: str = ""
    across: list[Conflict] = field(default_factory=list)  # between two deployments of one stage

    @property
    def conflicts(self) -> list[Conflict]:
        return [c for stage in self.stages for _, plan in stage for c in plan.conflicts] + self.across

    @property
    def total_minutes(self) -> float:
        return sum(max((plan.total_minutes for _, plan in stage), default=0.0) for stage in self.stages)

    @property
    def serial_minutes(self) -> float:
        return sum(plan.serial_minutes for stage in self.stages for _, plan in stage)

    @property
    def operations(self) -> list:
        return [op for stage in self.stages for _, plan in stage for op in plan.operations]

    @property
    def waves(self) -> list[list]:
        """The waves of each stage's deployments side by side (they run at once), then the next stage's."""
        found = []
        for stage in self.stages:
            depth = max((len(plan.waves) for _, plan in stage), default=0)
            found += [[op for _, plan in stage if i < len(plan.waves) for op in plan.waves[i]] for i in range(depth)]
        return found


def deployments(directory: Path) -> list[list[Path]]:
    """The deployments of a folder `gen render` wrote for several hubs, by stage: each hub's folder, then the peerings."""
    hubs = sorted(p.parent for p in directory.glob("*/main.bicep") if p.parent.name != PEERINGS)
    peerings = directory / PEERINGS
    return [hubs, [peerings]] if (peerings / "main.bicep").is_file() else [hubs]


def is_several(directory: Path) -> bool:
    return not (directory / "main.bicep").is_file() and (directory / PEERINGS / "main.bicep").is_file()


def _across(stage: list[tuple[str, Plan]]) -> list[Conflict]:
    found = []
    for i, (_, first) in enumerate(stage):
        for _, second in stage[i + 1:]:
            for a in first.operations:
                for b in second.operations:
                    shared = set(a.writes) & set(b.writes)
                    if shared:
                        found.append(Conflict(a, b, tuple((kind, name, "") for kind, name, *_ in sorted(shared)), False))
    return found


def of_plans(plans: dict[str, Plan], stages: list[list[Path]], source: str) -> HubsPlan:
    """The plan of deployments already planned (gen check compiles them together): `plans` by folder name."""
    staged = [[(path.name, plans[path.name]) for path in stage] for stage in stages]
    return HubsPlan(staged, source, [c for stage in staged for c in _across(stage)])


def of_directory_of_hubs(directory: Path, source: str | None = None) -> HubsPlan:
    stages = [[(path.name, of_directory(path, source=f"{source or directory}/{path.name}")) for path in stage]
              for stage in deployments(directory)]
    return HubsPlan(stages, source or str(directory), [c for stage in stages for c in _across(stage)])


def as_text(plan: HubsPlan) -> str:
    lines = [f"plan of {plan.source}: {sum(len(s) for s in plan.stages)} deployments in {len(plan.stages)} stages "
             f"(the hubs at once, one deployment each, then the peerings between them)", ""]
    for number, stage in enumerate(plan.stages, 1):
        slowest = max((p.total_minutes for _, p in stage), default=0.0)
        lines.append(f"stage {number}: {', '.join(name for name, _ in stage)} (~{plan_text.span(slowest)}, the slowest)")
    lines += [f"whole: ~{plan_text.span(plan.total_minutes)} (fully serial: {plan_text.span(plan.serial_minutes)})", ""]
    for stage in plan.stages:
        for name, one in stage:
            lines += [f"=== {name}", plan_text.as_text(one)]
    if plan.across:
        lines += [f"{len(plan.across)} conflict(s) between deployments that run at once:"]
        lines += [f"  {plan_text.CONFLICT_RULE} {c.message}" for c in plan.across]
    else:
        lines.append("conflicts between deployments: none (the deployments of one stage write different VNets and gateways)")
    return "\n".join(lines) + "\n"


def as_markdown(plan: HubsPlan) -> str:
    parts = [f"## Deployment plan of {len(plan.stages[0])} hubs\n",
             f"{len(plan.stages)} stages: every hub's deployment at once, then the peerings; about "
             f"{plan_text.span(plan.total_minutes)} in all.\n"]
    for stage in plan.stages:
        for name, one in stage:
            parts.append(plan_text.as_markdown(one, f"Deployment plan: {name}"))
    parts.append(f"Conflicts between deployments that run at once: {len(plan.across) or 'none'}.\n")
    return "\n".join(parts)


def as_json(plan: HubsPlan) -> str:
    return json.dumps({
        "source": plan.source,
        "stages": [[{"folder": name, "plan": json.loads(plan_text.as_json(one))} for name, one in stage] for stage in plan.stages],
        "criticalPathMinutes": plan.total_minutes,
        "conflictsAcross": [c.message for c in plan.across],
    }, indent=2) + "\n"


FORMATS = {"text": as_text, "markdown": as_markdown, "json": as_json}
