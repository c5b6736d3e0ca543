"""`gen resilience`: every single failure (and with --pairs, every pair) against every flow of the transit table.

For each failure the routing model recomputes (routing.py with failures.py): BGP routes that disappear,
static UDRs that still point where they did. Each flow then keeps its verdict, loses inspection (traffic
that now skips the firewall), goes asymmetric, or breaks (no route, black-holed at a hop that is down).
Single points of failure come first. What the model assumes about a failure is said next to it.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
from dataclasses import dataclass, replace
from functools import lru_cache

from . import markdown, routing
from .failures import Behaviour, Failures, elements, parse
from .model import Topology, parse_network

KEPT, LOST_INSPECTION, ASYMMETRIC, BROKEN, ALREADY = "kept", "lost inspection", "asymmetric", "broken", "already broken"
DELIVERED = (routing.DELIVERED, routing.PARTIAL)


@dataclass(frozen=True)
class FlowEffect:
    flow: str  # "onprem -> branch1"
    effect: str  # KEPT, LOST_INSPECTION, ASYMMETRIC, BROKEN or ALREADY
    verdict: str  # the verdict under the failure
    where: str | None
    cause: str = ""  # of a pair (or more): the element(s) whose failure alone breaks the flow, else "together"


@dataclass(frozen=True)
class Outcome:
    failure: Failures
    effects: tuple[FlowEffect, ...]
    redundancy_broken: tuple[str, ...]  # what the spec claims redundant that this failure breaks

    def count(self, effect: str) -> int:
        return sum(e.effect == effect for e in self.effects)

    @property
    def single_point(self) -> bool:
        return any(e.effect in (BROKEN, ASYMMETRIC) for e in self.effects)

    @property
    def skips_firewall(self) -> bool:
        return any(e.effect == LOST_INSPECTION for e in self.effects)

    @property
    def fails_the_check(self) -> bool:
        """What `gen resilience` exits 1 for: broken claimed redundancy, or traffic that skips the firewall."""
        return bool(self.redundancy_broken) or self.skips_firewall


@dataclass(frozen=True)
class Resilience:
    flows: int
    outcomes: tuple[Outcome, ...]  # single points of failure first
    behaviours: tuple[Behaviour, ...] = ()  # what the model does for the failures above, each once

    @property
    def failed(self) -> bool:
        return any(o.fails_the_check for o in self.outcomes)

    @property
    def already(self) -> list[str]:
        """Flows not delivered with nothing failed (a spoke the design keeps from another): no failure can break them."""
        return [e.flow for e in self.outcomes[0].effects if e.effect == ALREADY] if self.outcomes else []


def analyse(topology: Topology, pairs: bool = False, with_branch_pairs: bool = True) -> Resilience:
    """Every single failure of the design (every pair with `pairs`) against every flow of the transit table."""
    flows = routing.flows(topology, with_branch_pairs)
    baseline = {_key(p): p for p in routing.transit_matrix(topology, only=flows)}
    names = elements(topology)
    singles = {n: _outcome(topology, parse(topology, [n]), flows, baseline) for n in names}
    outcomes = list(singles.values())
    if pairs:
        outcomes += [_outcome(topology, parse(topology, c), flows, baseline, singles) for c in itertools.combinations(names, 2)]
    ordered = sorted(outcomes, key=lambda o: (not o.fails_the_check, not o.single_point))
    behaviours = tuple(dict.fromkeys(b for o in ordered for b in o.failure.behaviours(topology)))
    return Resilience(len(flows), tuple(ordered), behaviours)


def outcome(topology: Topology, failure: Failures) -> Outcome:
    """What one failure (or a set of them, as `gen verify` finds in a capture) does to every flow."""
    flows = routing.flows(topology)
    baseline = {_key(p): p for p in routing.transit_matrix(topology, only=flows)}
    return _outcome(topology, failure, flows, baseline)


def _outcome(topology: Topology, failure: Failures, flows, baseline: dict, singles: dict | None = None) -> Outcome:
    """What `failure` does to every flow. With `singles` (each element's own outcome), a flow a combination breaks
    names its cause: the element that breaks it alone, or "together"."""
    if not _changes_routing(failure):
        after = baseline  # a zone outage that takes down no part: every part is zone-redundant
    else:
        touched = _touched(topology, failure, flows)
        after = {**baseline, **{_key(p): p for p in routing.transit_matrix(topology, failed=failure, only=touched)}}
    effects = tuple(_effect(baseline[key], after[key]) for key in baseline)
    if singles is not None and len(failure.labels) > 1:
        effects = tuple(_with_cause(effect, index, failure.labels, singles) for index, effect in enumerate(effects))
    return Outcome(failure, effects, _redundancy_broken(topology, failure, effects))


def _with_cause(effect: FlowEffect, index: int, labels, singles: dict) -> FlowEffect:
    if effect.effect in (KEPT, ALREADY):
        return effect
    alone = [label for label in labels if singles[label].effects[index].effect not in (KEPT, ALREADY)]
    return replace(effect, cause=" and ".join(alone) or "together")


def _touched(topology: Topology, failure: Failures, flows) -> list:
    """The flows a failure can change. A circuit, site or branch only withdraws its own prefixes and takes down its
    own gateway or device: a flow whose two ends lie outside those prefixes looks up no route they hold, so it keeps
    its paths (what keeps `gen resilience` of a hundred branches in seconds). Anything in the hub touches every flow."""
    if failure.vpn_instances or failure.expressroute_gateway or failure.route_server or failure.firewall:
        return list(flows)
    owners = [s for s in topology.on_premises if s.name in failure.circuits]
    owners += [b for b in topology.branches if b.name in failure.branches or any(site == b.name for site, _ in failure.devices)]
    networks = [n for owner in owners for n in map(parse_network, [*owner.address_prefixes, *owner.advertised_prefixes]) if n]
    return [f for f in flows if any(_within(f.source_ip, n) or _within(f.destination_ip, n) for n in networks)]


def _within(ip: str, network) -> bool:
    return _address(ip) in network


@lru_cache(maxsize=None)
def _address(ip: str) -> ipaddress.IPv4Address:
    return ipaddress.ip_address(ip)


def _key(pair) -> tuple[str, str]:
    return pair.source_name, pair.destination_name


def _changes_routing(failure: Failures) -> bool:
    return bool(failure.circuits or failure.branches or failure.devices or failure.vpn_instances
                or failure.expressroute_gateway or failure.route_server or failure.firewall)


def _effect(before, after) -> FlowEffect:
    flow = f"{before.source_name} -> {before.destination_name}"
    if before.verdict not in DELIVERED:
        return FlowEffect(flow, ALREADY, after.verdict, after.where)
    if after.verdict in DELIVERED:
        effect = LOST_INSPECTION if before.inspected and not after.inspected else KEPT
        return FlowEffect(flow, effect, after.verdict, after.where)
    if after.verdict == routing.ASYMMETRIC:
        return FlowEffect(flow, ASYMMETRIC, after.verdict, after.where)
    return FlowEffect(flow, BROKEN, after.verdict, after.where)


def _redundancy_broken(topology: Topology, failure: Failures, effects) -> tuple[str, ...]:
    """What the spec claims redundant must survive the loss of one part: a network reached over several circuits,
    a site with several devices."""
    found = []

    def ends(flow: str) -> list[str]:
        return [part for end in flow.split(" -> ") for part in end.split(" / ")]

    def caused_by(effect: FlowEffect, label: str) -> bool:
        return not effect.cause or label in effect.cause.split(" and ") or effect.cause == "together"

    for name in failure.circuits:
        site = next(s for s in topology.on_premises if s.name == name)
        prefixes = set(map(str, site.address_prefixes))
        twins = [s.name for s in topology.on_premises if s.name != name and set(map(str, s.address_prefixes)) == prefixes
                 and s.name not in failure.circuits]
        if twins:
            broken = [e.flow for e in effects if e.effect in (BROKEN, ASYMMETRIC, LOST_INSPECTION)
                      and any(part in ends(e.flow) for part in (name, *twins)) and caused_by(e, f"circuit:{name}")]
            if broken:
                found.append(f"{name} shares its prefixes with {', '.join(twins)}, yet {', '.join(broken)} break(s)")
    for site_name in sorted({site for site, _ in failure.devices} - set(failure.branches)):
        devices = [f"site:{site_name}/{device}" for site, device in failure.devices if site == site_name]
        broken = [e.flow for e in effects if e.effect in (BROKEN, ASYMMETRIC, LOST_INSPECTION) and site_name in ends(e.flow)
                  and any(caused_by(e, label) for label in devices)]
        if broken:
            found.append(f"site {site_name} has other devices up, yet {', '.join(broken)} break(s)")
    return tuple(found)


# --- reports -------------------------------------------------------------------------------------------------


def _cell(outcome: Outcome, effect: str) -> str:
    flows = [e.flow for e in outcome.effects if e.effect == effect]
    return f"{len(flows)}" + (f": {', '.join(flows)}" if flows else "")


def as_text(result: Resilience) -> str:
    lines = [f"{len(result.outcomes)} failure(s) against {result.flows} flow(s); single points of failure first", ""]
    if result.already:
        lines[-1:] = [f"not delivered with nothing failed, so left out: {', '.join(result.already)}", ""]
    for outcome in result.outcomes:
        mark = "FAILS" if outcome.fails_the_check else "single point of failure" if outcome.single_point else "survives"
        lines.append(f"{outcome.failure.label}: {mark}: {outcome.count(KEPT)} kept, {outcome.count(LOST_INSPECTION)} lose "
                     f"inspection, {outcome.count(ASYMMETRIC)} asymmetric, {outcome.count(BROKEN)} broken")
        for effect in outcome.effects:
            if effect.effect not in (KEPT, ALREADY):
                lines.append(f"    {effect.flow}: {effect.effect} ({effect.verdict}{' at ' + effect.where if effect.where else ''})"
                             + (f", by {effect.cause}" if effect.cause else ""))
        lines += [f"    claimed redundancy broken: {text}" for text in outcome.redundancy_broken]
    lines += ["", "what the model does when a part fails:"]
    lines += [f"  {'assumed' if b.assumed else 'source'}: {b.text}" + (f" ({b.source})" if b.source else "") for b in result.behaviours]
    broken = sum(o.fails_the_check for o in result.outcomes)
    lines += ["", f"{broken} failure(s) break claimed redundancy or make traffic skip the firewall" if broken
              else "no failure breaks claimed redundancy or makes traffic skip the firewall"]
    return "\n".join(lines) + "\n"


def as_markdown(result: Resilience, title: str = "What survives a failure") -> str:
    lines = [f"**{title}**: {len(result.outcomes)} single failures against {result.flows} flows of the transit "
             f"table (`gen resilience` computes it; single points of failure first).", "",
             "| failure | kept | lose inspection | asymmetric | broken |", "|---|---|---|---|---|"]
    if result.already:
        lines[1:1] = ["", markdown.text(f"Not delivered with nothing failed, so left out: {', '.join(result.already)}.")]
    for outcome in result.outcomes:
        lines.append(f"| {markdown.code(outcome.failure.label)} | {outcome.count(KEPT)} | "
                     f"{markdown.text(_cell(outcome, LOST_INSPECTION))} | {markdown.text(_cell(outcome, ASYMMETRIC))} | "
                     f"{markdown.text(_cell(outcome, BROKEN))} |")
    lines += ["", "What the model does when a part fails:", ""]
    lines += [f"- {markdown.text(b.text)}" + (f" ([source]({b.source}))" if b.source else " (assumed)") for b in result.behaviours]
    return "\n".join(lines) + "\n"


def as_json(result: Resilience) -> str:
    return json.dumps({
        "flows": result.flows,
        "failed": result.failed,
        "notDeliveredWithoutFailure": result.already,
        "outcomes": [{
            "failure": list(o.failure.labels), "singlePointOfFailure": o.single_point, "failsTheCheck": o.fails_the_check,
            "redundancyBroken": list(o.redundancy_broken),
            "effects": [{"flow": e.flow, "effect": e.effect, "verdict": e.verdict, "where": e.where, **({"cause": e.cause} if e.cause else {})}
                        for e in o.effects],
        } for o in result.outcomes],
        "behaviours": [{"text": b.text, "source": b.source or None} for b in result.behaviours],
    }, indent=2) + "\n"


FORMATS = {"text": as_text, "markdown": as_markdown, "json": as_json}
