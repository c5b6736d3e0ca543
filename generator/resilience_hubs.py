"""`gen resilience` for several hubs: each region, hub, circuit of the bow-tie and hub-to-hub peering taken down in
turn, and every flow across the hubs traced again. Each hub's own failures (a gateway instance, a zone) are in its own
README and `gen resilience` of the spec of that hub alone; what the model does for each failure is said with its
Learn page, or as assumed (routing_hubs.BEHAVIOURS)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from . import markdown
from .hubs import Fleet
from .routing import DELIVERED, PARTIAL
from .routing_hubs import BEHAVIOURS, HubFailures, hub_elements, parse_hub_failures, transit

KEPT, LOST_INSPECTION, ASYMMETRIC, BROKEN, GONE, ALREADY = ("kept", "lost inspection", "asymmetric", "broken",
                                                            "gone with its region", "already broken")
PASSES = (DELIVERED, PARTIAL)


@dataclass(frozen=True)
class HubOutcome:
    failure: HubFailures
    effects: tuple[tuple[str, str, str], ...]  # (flow, effect, where)

    def count(self, effect: str) -> int:
        return sum(e == effect for _, e, _ in self.effects)

    @property
    def broken(self) -> list[str]:
        return [f"{flow} ({where})" if where else flow for flow, effect, where in self.effects if effect == BROKEN]


@dataclass(frozen=True)
class HubResilience:
    flows: int
    outcomes: tuple[HubOutcome, ...]

    @property
    def skips_firewall(self) -> bool:
        return any(o.count(LOST_INSPECTION) for o in self.outcomes)


def _effect(before, after) -> tuple[str, str]:
    if after is None:
        return GONE, ""
    if before.verdict not in PASSES:
        return ALREADY, ""
    if after.verdict not in PASSES:
        return (ASYMMETRIC if after.verdict == "asymmetric" else BROKEN), after.where or ""
    if before.inspected and not after.inspected:
        return LOST_INSPECTION, ""
    return KEPT, ""


def analyse(fleet: Fleet, baseline: list | None = None) -> HubResilience:
    """Each failure against every flow; `baseline`: the flows traced with nothing failed, when the caller has them."""
    baseline = transit(fleet) if baseline is None else baseline
    outcomes = []
    for element in hub_elements(fleet):
        failure = parse_hub_failures(fleet, [element])
        after = transit(fleet, failure, only=[flow for flow, _ in baseline])
        effects = tuple((f"{flow.source_name} ↔ {flow.destination_name}", *_effect(before, result))
                        for (flow, before), (_, result) in zip(baseline, after))
        outcomes.append(HubOutcome(failure, effects))
    return HubResilience(len(baseline), tuple(outcomes))


def behaviours(result: HubResilience) -> list:
    kinds = dict.fromkeys(kind for outcome in result.outcomes for kind in outcome.failure.kinds)
    return [b for kind in kinds for b in BEHAVIOURS[kind]]


def as_markdown(result: HubResilience, title: str = "What survives across hubs") -> str:
    lines = [f"## {title}", "",
             f"Each region, hub, circuit and hub-to-hub peering taken down in turn, against the {result.flows} flows between "
             f"every on-premises network, site, branch and spoke of every hub (`gen resilience` prints it; each hub's own "
             f"failures are in its folder's README).", "",
             "| Down | Kept | Broken | Gone with its region | Lost inspection | What breaks |", "|---|---|---|---|---|---|"]
    for o in result.outcomes:
        broken = ", ".join(o.broken[:6]) + (f" and {len(o.broken) - 6} more" if len(o.broken) > 6 else "")
        lines.append(f"| `{markdown.text(o.failure.label)}` | {o.count(KEPT)} | {o.count(BROKEN) + o.count(ASYMMETRIC)} | "
                     f"{o.count(GONE)} | {o.count(LOST_INSPECTION)} | {markdown.text(broken) or '—'} |")
    lines += ["", "What the model does for each failure:", ""]
    for b in behaviours(result):
        lines.append(f"- {markdown.text(b.text)}: " + (f"[Learn]({b.source})" if b.source else "**assumed**"))
    return "\n".join(lines) + "\n"


def as_text(result: HubResilience) -> str:
    lines = [f"{result.flows} flows across the hubs; each element below taken down alone:"]
    for o in result.outcomes:
        lines.append(f"  {o.failure.label}: {o.count(KEPT)} kept, {o.count(BROKEN) + o.count(ASYMMETRIC)} broken, "
                     f"{o.count(GONE)} gone with the region, {o.count(LOST_INSPECTION)} lost inspection")
        for flow in o.broken:
            lines.append(f"    broken: {flow}")
    lines.append("")
    for b in behaviours(result):
        lines.append(f"{'source' if b.source else 'assumed'}: {b.text}" + (f" ({b.source})" if b.source else ""))
    return "\n".join(lines) + "\n"


def as_json(result: HubResilience) -> str:
    return json.dumps({"flows": result.flows, "outcomes": [
        {"down": o.failure.label, "effects": [{"flow": f, "effect": e, "where": w} for f, e, w in o.effects]}
        for o in result.outcomes],
        "behaviours": [{"text": b.text, "source": b.source or "assumed"} for b in behaviours(result)]}, indent=2) + "\n"


FORMATS = {"text": as_text, "markdown": as_markdown, "json": as_json}
