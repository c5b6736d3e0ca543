"""Rules: the route ledger's limits (LIM). Each BGP session of the design carries the prefixes `ledger.from_spec`
counts; past Azure's limit the session drops (or the route table is refused), near it one more site or spoke tips it.
ARS002 (Azure's advertisement to on-premises) and ARS003 (the GatewaySubnet table) read the same ledger."""

from __future__ import annotations

from .. import ledger
from ..findings import WARNING
from . import rule

LEDGER_LINK = ledger.ROUTE_TABLE_LIMITS  # Azure's networking limits; each message names the page of its own limit


def _said(session: ledger.Session) -> str:
    return (f"{session.name}: {session.count:,} prefixes, Azure's limit is {session.limit:,}; past it {session.beyond} "
            f"({session.link}). To bring it under: {session.relief}")


@rule("LIM001", "A BGP session or route table carries more prefixes than Azure takes", LEDGER_LINK)
def over_a_limit(topology, data):
    """Each BGP session of the design (a circuit's private peering each way, what the ExpressRoute gateway learns,
    each VPN peer each way) and each route table, counted from the spec: past the limit Azure drops the session
    or refuses the table. `gen routes SPEC --ledger` shows every session with its headroom."""
    for session in ledger.from_spec(topology):
        if session.over and session.rule_id == "LIM001":
            yield session.path, _said(session)


@rule("LIM002", "A BGP session or route table is near Azure's limit", LEDGER_LINK, severity=WARNING)
def near_a_limit(topology, data):
    """At 80 % of a limit or more: the next site, spoke or unsummarised prefix may take the session down."""
    for session in ledger.from_spec(topology):
        if session.near:
            yield session.path, (f"{session.name}: {session.count:,} of {session.limit:,} prefixes "
                                 f"({100 * session.count // session.limit} %; {session.link}). {session.relief}")
