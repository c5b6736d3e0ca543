"""The KQL query that shows the transit in the firewall's logs: which site talked to which, through which rule.

Columns of the AZFWNetworkRule table: https://learn.microsoft.com/azure/azure-monitor/reference/tables/azfwnetworkrule
ipv4_is_in_any_range: https://learn.microsoft.com/kusto/query/ipv4-is-in-any-range-function
"""

from __future__ import annotations

import json

from .model import Topology, parse_network


def _string(text: str) -> str:
    """A KQL string literal (double quotes, backslash escapes, as in JSON)."""
    return json.dumps(str(text))


def transit_ends(t: Topology) -> list[tuple[str, list[str]]]:
    """Each on-premises site, branch and spoke with its prefixes: the ends of the transit the firewall carries."""
    ends = []
    for owner in t.on_premises + t.branches + t.spokes:
        prefixes = [str(p) for p in owner.address_prefixes if (n := parse_network(p)) is not None and n.prefixlen > 0]
        if prefixes:
            ends.append((str(owner.name), prefixes))
    return ends


def transit_query(t: Topology, hours: int = 1) -> str:
    """Flows between two different sites, branches or spokes seen by the network rules in the last `hours`."""
    cases = "".join(f"        ipv4_is_in_any_range(ip, dynamic([{', '.join(_string(p) for p in prefixes)}])), {_string(name)},\n"
                    for name, prefixes in transit_ends(t))
    return (
        "let place = (ip: string) {\n"
        "    case(\n"
        f"{cases}"
        '        "")\n'
        "};\n"
        "AZFWNetworkRule\n"
        f"| where TimeGenerated > ago({hours}h)\n"
        "| extend From = place(SourceIp), To = place(DestinationIp)\n"
        "| where isnotempty(From) and isnotempty(To) and From != To\n"
        # A flow no rule matched has an empty Rule and ActionReason "Default Action".
        "| summarize Flows = count(), Ports = make_set(DestinationPort, 10), LastSeen = max(TimeGenerated)\n"
        "    by From, To, Protocol, Action, Rule, ActionReason\n"
        "| order by From asc, To asc, Action asc\n"
    )
