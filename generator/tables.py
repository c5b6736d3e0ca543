"""The complete transit matrix and every hop's routes as CSV files beside the output README, and the README's view of
a hub too big to list flow by flow: the transit by class of endpoints, with every exception spelled out.

The CSV files hold everything, in a stable order (the order `gen trace` and `gen routes` give), one row per line, so
that a pull request's diff shows the flows and routes a change moves. The README keeps a reviewer's screen: below
README_ROWS rows a table is listed whole, as for the examples; above, it is summarised and names the file.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from . import routing
from .model import Topology

# The most rows a README table lists; a longer one is summarised and the file beside the README holds it whole.
# Every example lists everything.
README_ROWS = 30
# The deployment plan is read row by row (what runs when): it lists up to twice as many (the examples' have 35).
PLAN_ROWS = 2 * README_ROWS
# Route tables shown route by route; the others are named, each in main.bicepparam.
README_TABLES = 5

README_NAMES = 10  # names listed in one cell before "and N more"

TRANSIT_FILE = "transit.csv"
ROUTES_FILE = "routes.csv"

INSPECTED = "delivered, inspected both ways"


def outcome_kind(pair: routing.TransitPair) -> str:
    """The outcome without where it happens: flows that fail alike at different places are one class."""
    return outcome(pair).split(" at ", 1)[0]


def outcome(pair: routing.TransitPair) -> str:
    """The verdict of a flow in words, as the README's transit table gives it (rules aside)."""
    if pair.verdict == routing.DELIVERED:
        return INSPECTED if pair.inspected else "delivered, NOT inspected"
    if pair.verdict == routing.DENIED:
        return "denied, inspected both ways, no rule allows it"
    if pair.verdict == routing.PARTIAL:
        return f"partial, inspected both ways; {' and '.join(pair.denied_protocols)} denied"
    return pair.verdict + (f" at {pair.where}" if pair.where else "")


def _cell(value: str) -> str:
    """A CSV cell a spreadsheet shows as text: one that starts like a formula (= + - @, or a tab or carriage return)
    gets a leading apostrophe (OWASP, CSV injection): the files are opened in spreadsheets, and names come from specs
    and adopted hubs gen did not choose."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


_FORMULA = frozenset(("=", "+", "-", "@", "\t", "\r"))


def _row(writer, cells) -> None:
    writer.writerow([f"'{c}" if c[:1] in _FORMULA else c for c in map(str, cells)])  # _cell, inline: 10,000s of rows


def transit_csv(transit: list[routing.TransitPair]) -> str:
    """Every flow the README's transit covers, both directions traced: one row per flow."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["from", "from_ip", "to", "to_ip", "verdict", "inspected", "allowed_by", "denied_by",
                     "path_forward", "path_return", "assumed"])
    for p in transit:
        _row(writer, [p.source_name, p.source_ip, p.destination_name, p.destination_ip, p.verdict,
                      "yes" if p.inspected else "no", p.allowed_by, p.denied_by, p.forward, p.return_path,
                      "; ".join(p.assumptions)])
    return out.getvalue()


def routes_csv(routes: dict[str, list[routing.RouteEntry]]) -> str:
    """Every hop's routes as `gen routes` prints them: one row per route, losers marked."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["hop", "prefix", "next_hop", "next_hop_type", "source", "effective"])
    for hop, table in routes.items():
        # tens of thousands of rows at a hundred branches: guarded per value, not per cell (a prefix is digits, a
        # type and a source start with gen's own words; a hop and a next hop carry names)
        guarded = _cell(hop)
        next_hops: dict[str, str] = {}
        writer.writerows((guarded, r.prefix, next_hops.get(r.next_hop) or next_hops.setdefault(r.next_hop, _cell(r.next_hop)),
                          r.next_hop_kind, _cell(r.source), "yes" if r.effective else "no") for r in table)
    return out.getvalue()


# --- the transit by class ---------------------------------------------------------------------------------------------


def endpoint_classes(t: Topology) -> dict[str, str]:
    """Endpoint name (as the transit names it) -> its class."""
    classes = {str(s.name): "on-premises" for s in t.on_premises}
    classes.update({str(b.name): "VNet branch" for b in t.vnet_branches})
    classes.update({str(b.name): "VPN site" for b in t.site_branches})
    classes.update({str(s.name): "spoke" for s in t.spokes})
    return classes


def _class_of(classes: dict[str, str], name: str) -> str:
    return classes.get(name, "hub subnet" if name.startswith("hub/") else "other")


@dataclass(frozen=True)
class ClassRow:
    """Flows from one class of endpoints to another with one outcome, and one of them as the example."""

    source: str
    destination: str
    flows: int
    outcome: str
    example: routing.TransitPair


@dataclass(frozen=True)
class ExceptionRow:
    """Flows from one endpoint that are not delivered and inspected both ways, and where they go."""

    source: str
    outcome: str
    destinations: str  # "every VNet branch (100)" or the names


def by_class(t: Topology, transit: list[routing.TransitPair]) -> list[ClassRow]:
    classes = endpoint_classes(t)
    groups: dict[tuple[str, str, str, str], list[routing.TransitPair]] = {}
    for p in transit:  # flows allowed by different rules are different rows; where a flow fails is the example's
        key = (_class_of(classes, p.source_name), _class_of(classes, p.destination_name), outcome_kind(p), p.allowed_by)
        groups.setdefault(key, []).append(p)
    return [ClassRow(s, d, len(flows), o, flows[0]) for (s, d, o, _), flows in groups.items()]


def exceptions(t: Topology, transit: list[routing.TransitPair]) -> list[ExceptionRow]:
    """Every flow that is not delivered and inspected both ways, grouped by its outcome and the classes of its ends,
    each side named: "every VNet branch (100)" when a side holds all the endpoints of its class in the matrix, else
    the names (the first few, and how many more: transit.csv lists each flow)."""
    classes = endpoint_classes(t)
    everyone: dict[str, set[str]] = {}
    for p in transit:
        for name in (p.source_name, p.destination_name):
            everyone.setdefault(_class_of(classes, name), set()).add(name)
    groups: dict[tuple[str, str, str], tuple[list[str], list[str]]] = {}
    for p in transit:
        if outcome(p) == INSPECTED:
            continue
        key = (outcome_kind(p), _class_of(classes, p.source_name), _class_of(classes, p.destination_name))
        sources, destinations = groups.setdefault(key, ([], []))
        sources.append(p.source_name)
        destinations.append(p.destination_name)

    def side(kind: str, names: list[str]) -> str:
        names = list(dict.fromkeys(names))
        if len(names) > 1 and set(names) == everyone.get(kind, set()):
            return f"every {kind} ({len(names)})"
        return first_names(names) + ("" if len(names) <= README_NAMES else f" ({TRANSIT_FILE})")

    return [ExceptionRow(side(source, sources), said, side(destination, destinations))
            for (said, source, destination), (sources, destinations) in groups.items()]


def first_names(names: list[str]) -> str:
    """Names for one README cell: the first few, and how many more."""
    names = [str(n) for n in names]
    if len(names) <= README_NAMES:
        return ", ".join(names)
    return ", ".join(names[:README_NAMES]) + f" and {len(names) - README_NAMES} more"
