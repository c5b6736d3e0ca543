"""Does the firewall let a flow through? Its rules, evaluated like Azure Firewall.

Azure Firewall reads network rule collections in order (a policy: by rule collection group priority, then
collection priority; classic rules: by collection priority, the same order once imported) and the first rule that
matches decides: Allow or Deny ("The rules are terminating":
https://learn.microsoft.com/azure/firewall/rule-processing). It denies what no rule allows, and it is stateful: the
reply of an allowed flow needs no rule of its own. Rules match on source, destination, protocol and port; without a
protocol or port every protocol or port counts, so the question becomes "does some rule allow anything from here to
there". Application rules match the name a client asks for (HTTP Host, TLS SNI), which an address-level trace does
not know: they are not evaluated here. Rules that name IP groups match the addresses the spec says those
hold (`ipGroups`, which gen import reads); an IP group the spec does not describe, and FQDNs, are taken as not matching.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from .model import NETWORK, Firewall, NetworkRule, Topology, address_number, parse_network


@lru_cache(maxsize=4096)
def _address_range(pattern: str) -> tuple[int, int] | None:
    """A rule's address pattern (*, an address, a range a-b, a CIDR) as the first and last address it covers, as
    numbers; None when it is none of those (FW002 reports it). Parsed once: every trace asks again."""
    pattern = pattern.strip()
    if pattern == "*":
        return 0, 2**32 - 1
    try:
        if "-" in pattern:
            first, last = (int(ipaddress.IPv4Address(part.strip())) for part in pattern.split("-", 1))
            return first, last
        network = ipaddress.IPv4Network(pattern, strict=False)
        return int(network.network_address), int(network.broadcast_address)
    except ValueError:
        return None


def _address_matches(pattern: str, address: int) -> bool:
    covered = _address_range(pattern)
    return covered is not None and covered[0] <= address <= covered[1]


def _port_matches(pattern: str, port: int | None) -> bool:
    if port is None or pattern.strip() == "*":
        return True
    try:
        low, _, high = pattern.strip().partition("-")
        return int(low) <= port <= int(high or low)
    except ValueError:
        return False


def _network_collections(firewall: Firewall):
    return [c for c in firewall.collections if c.rule_type == NETWORK]


def _matches(rule: NetworkRule, src: int, dst: int, protocol: str | None, port: int | None, firewall: Firewall) -> bool:
    if protocol is not None and not ({"Any", protocol.upper()} & set(rule.protocols)):
        return False
    sources = tuple(rule.source_addresses) + firewall.ip_group_addresses(rule.source_ip_groups)
    destinations = tuple(rule.destination_addresses) + firewall.ip_group_addresses(rule.destination_ip_groups)
    return (any(_address_matches(p, src) for p in sources)
            and any(_address_matches(p, dst) for p in destinations)
            and any(_port_matches(p, port) for p in rule.destination_ports))


def decision(firewall: Firewall, source: str, destination: str, protocol: str | None = None,
             port: int | None = None) -> tuple[str, NetworkRule] | None:
    """("Allow" or "Deny", the rule) of the first network rule that matches the flow, or None: no rule matches, and
    the firewall drops it."""
    src, dst = address_number(source), address_number(destination)
    for collection in _network_collections(firewall):
        for rule in collection.rules:
            if _matches(rule, src, dst, protocol, port, firewall):
                return collection.action, rule
    return None


def denying_rule(firewall: Firewall, source: str, destination: str, protocol: str | None = None,
                 port: int | None = None) -> str:
    """The Deny rule that matches the flow before any Allow rule, described with its collection; "" when none does
    (the firewall then drops the flow because nothing allows it)."""
    src, dst = address_number(source), address_number(destination)
    for collection in _network_collections(firewall):
        for rule in collection.rules:
            if _matches(rule, src, dst, protocol, port, firewall):
                return f"Deny rule '{rule.name}' of collection '{collection.name}'" if collection.action == "Deny" else ""
    return ""


def matching_rule(firewall: Firewall, source: str, destination: str, protocol: str | None = None, port: int | None = None) -> NetworkRule | None:
    """The rule that allows the flow, or None: no rule allows it (none matches, or a Deny rule matches first)."""
    found = decision(firewall, source, destination, protocol, port)
    return found[1] if found and found[0] == "Allow" else None


def rules_from(firewall: Firewall, network) -> list[NetworkRule]:
    """The Allow network rules whose sources cover any address of `network` (an IPv4Network): what lets it through."""
    first, last = int(network.network_address), int(network.broadcast_address)
    found = []
    for collection in _network_collections(firewall):
        if collection.action != "Allow":
            continue
        for rule in collection.rules:
            sources = tuple(rule.source_addresses) + firewall.ip_group_addresses(rule.source_ip_groups)
            ranges = [r for r in (_address_range(p) for p in sources) if r]
            if any(low <= last and first <= high for low, high in ranges):
                found.append(rule)
    return found


def describe(rule: NetworkRule) -> str:
    return f"rule '{rule.name}' ({'/'.join(rule.protocols)} {', '.join(rule.destination_ports)})"


PROTOCOLS = ("TCP", "UDP", "ICMP")


def allowance(firewall: Firewall, source: str, destination: str, protocol: str | None = None,
              port: int | None = None) -> tuple[list[tuple[str, NetworkRule]], list[str]]:
    """Which protocols the policy lets through from source to destination, and by which rule; and which it drops.

    With a protocol, only that one is asked about; without, each of TCP, UDP and ICMP (ICMP has no port,
    so a port narrows the question to TCP and UDP).
    """
    asked = [protocol.upper()] if protocol else [p for p in PROTOCOLS if not (port and p == "ICMP")]
    allowed, denied = [], []
    for name in asked:
        rule = matching_rule(firewall, source, destination, name, port)
        if rule is None:
            denied.append(name)
        else:
            allowed.append((name, rule))
    return allowed, denied


def describe_allowance(allowed: list[tuple[str, NetworkRule]]) -> str:
    """'rule 'x' (TCP 22)' when one rule allows everything asked, else each protocol with its rule."""
    rules = list(dict.fromkeys(rule for _, rule in allowed))
    if len(rules) == 1:
        return describe(rules[0])
    return ", ".join(f"{name} by rule '{rule.name}'" for name, rule in allowed)


def snat_effect(topology: Topology, destination: str) -> str:
    """What the firewall does to the source address of network-rule traffic to `destination`.

    It SNATs to its own address unless the destination is in the policy's SNAT private ranges
    (https://learn.microsoft.com/azure/firewall/snat-private-range); gen puts every site and branch prefix there.
    """
    address = ipaddress.IPv4Address(destination)
    kept = next((r for r in topology.snat_private_ranges if (n := parse_network(r)) and address in n), None)
    if kept:
        return f"kept end to end ({destination} is in the policy's SNAT private ranges, {kept})"
    return f"translated to the firewall's address ({destination} is outside the policy's SNAT private ranges)"
