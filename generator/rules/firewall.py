"""Rules: Azure Firewall rules and transit inspection (FW)."""

from __future__ import annotations

import ipaddress
import re

from .. import policy
from ..findings import WARNING
from ..model import NETWORK, parse_network
from . import rule
from .helpers import loose_network

FIREWALL_LINK = "https://learn.microsoft.com/azure/firewall/firewall-faq"
RULES_LINK = "https://learn.microsoft.com/azure/firewall/rule-processing"

PORT_RANGE = re.compile(r"^(\d{1,5})-(\d{1,5})$")


def _rules(topology):
    """Every network rule of the firewall, in every collection."""
    firewall = topology.hub.firewall
    return tuple(r for c in firewall.collections if c.rule_type == NETWORK for r in c.rules) if firewall else ()


def _collections(topology):
    firewall = topology.hub.firewall
    return firewall.collections if firewall else ()


def address_problem(text: str) -> str | None:
    """Why a firewall source/destination is unusable, or None: `*`, an IPv4 address, range or canonical CIDR."""
    if text == "*":
        return None
    if "/" in text:
        network = loose_network(text)
        if network is None:
            return "is not an IPv4 prefix in CIDR notation"
        if str(network) != text:
            return f"has host bits set: write its canonical form {network}"
        return None
    if "-" in text:
        # Azure Firewall also takes ranges such as 10.0.0.1-10.0.0.20.
        first, _, last = text.partition("-")
        try:
            low, high = ipaddress.IPv4Address(first), ipaddress.IPv4Address(last)
        except ValueError:
            return "is not an IPv4 address range (first-last)"
        return None if low <= high else "is a range whose first address is above its last"
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return "is not `*`, an IPv4 address, range or CIDR"
    return None


def port_problem(text: str) -> str | None:
    if text == "*":
        return None
    if text.isascii() and text.isdigit() and len(text) <= 5:
        return None if 1 <= int(text) <= 65535 else "is outside 1-65535"
    match = PORT_RANGE.match(text)
    if match:
        low, high = int(match[1]), int(match[2])
        if not (1 <= low <= 65535 and 1 <= high <= 65535):
            return "has a port outside 1-65535"
        return None if low <= high else "is a range whose first port is above its last"
    return "is not `*`, a port (1-65535) or a range such as 8000-8080"


@rule("FW001", "Firewall network rule names must be unique", RULES_LINK)
def rule_names_unique(topology, data):
    """Rules in a firewall policy rule collection are keyed by name (case-insensitively): a repeated name fails the
    deployment."""
    for collection in _collections(topology):
        seen = set()
        for network_rule in collection.rules:
            key = network_rule.name.casefold()
            if key in seen:
                yield network_rule.name.path, (
                    f"rule name '{network_rule.name}' is used twice in collection '{collection.name}': rules in a rule "
                    f"collection are keyed by name, so the deployment fails. Rename one")
            seen.add(key)


@rule("FW002", "Firewall rule address is not *, an IPv4 address, range or CIDR", RULES_LINK)
def rule_addresses(topology, data):
    """Azure Firewall network rules take `*`, an IPv4 address, a range (10.0.0.1-10.0.0.9) or a canonical CIDR."""
    for network_rule in (r for c in _collections(topology) for r in c.rules):
        for text in network_rule.source_addresses + getattr(network_rule, "destination_addresses", ()):
            problem = address_problem(text)
            if problem:
                yield text.path, (
                    f"{text!r} in rule '{network_rule.name}' {problem}; Azure Firewall takes `*`, an IPv4 address, "
                    f"a range (10.0.0.1-10.0.0.9) or a CIDR prefix here")


@rule("FW003", "Firewall rule port is not *, a port or a port range", RULES_LINK)
def rule_ports(topology, data):
    """Destination ports are `*`, a port (1-65535) or a range low-high."""
    for network_rule in _rules(topology):
        for text in network_rule.destination_ports:
            problem = port_problem(text)
            if problem:
                yield text.path, (
                    f"{text!r} in rule '{network_rule.name}' {problem}; Azure Firewall takes `*`, a port number "
                    f"(1-65535) or a range low-high")


@rule("FW004", "Transit inspection with no network rules denies all transit", RULES_LINK, severity=WARNING)
def no_rules(topology, data):
    """Azure Firewall denies what no rule allows: with transit inspected and no rule that allows anything, no
    on-premises <-> branch traffic passes."""
    if topology.inspects_transit and not any(c.action == "Allow" and c.rules for c in _collections(topology)):
        yield f"{topology.hub.firewall.path}.networkRules", (
            "inspectTransit sends on-premises <-> branch traffic through the firewall, but the policy has no network "
            "rules, so Azure Firewall denies all of it. Add rules, or accept that transit is blocked")


@rule("FW005", "Transit inspection with nothing to inspect", FIREWALL_LINK, severity=WARNING)
def nothing_to_inspect(topology, data):
    """Transit inspection needs both sides: on-premises sites and branches. With one side missing the
    GatewaySubnet route table steers nothing worth inspecting."""
    if not topology.inspects_transit or topology.remote_hubs:  # of several hubs: transit between regions goes through it
        return
    missing = [what for what, items in (("on-premises site", topology.on_premises), ("branch", topology.branches))
               if not items]
    if missing:
        yield f"{topology.hub.firewall.path}.inspectTransit", (
            f"inspectTransit is on but the spec has no {' and no '.join(missing)}: there is no on-premises <-> branch "
            f"transit to inspect. Set inspectTransit: false, or add the missing side")


SNAT_LINK = "https://learn.microsoft.com/azure/firewall/snat-private-range"


@rule("FW006", "Sites or branches on public address space: kept out of SNAT", SNAT_LINK, severity=WARNING)
def public_address_space(topology, data):
    """Azure Firewall SNATs network-rule traffic to any destination outside IANA's private ranges (RFC 1918 and
    RFC 6598): traffic to a site on public address space would arrive with the firewall's address as its source,
    and replies would not find their way back symmetrically. gen adds such prefixes to the policy's SNAT private
    ranges so transit keeps its source address; this warning says so, because it changes the policy."""
    if topology.hub.firewall is None:
        return
    for prefix in topology.public_address_prefixes:
        yield prefix.path, (
            f"{prefix} is outside IANA's private ranges: Azure Firewall would SNAT traffic to it to its own address. gen "
            f"adds it to the policy's SNAT private ranges (snat.privateRanges), so transit to it keeps its source address; "
            f"check that no Internet destination falls inside it")


@rule("FW007", "Hub workload subnets reach on-premises and branches without the firewall", FIREWALL_LINK, severity=WARNING)
def hub_subnets_not_inspected(topology, data):
    """The GatewaySubnet UDRs steer traffic that enters the hub through a gateway; traffic from the hub's own
    workload subnets (a test VM, shared services) goes straight to the gateways by their BGP routes, and its
    replies come back the same way: not inspected. `inspectHubSubnets: true` gives those subnets a route table to
    the firewall and GatewaySubnet the routes for the return. A subnet whose own route table already sends every
    on-premises and branch prefix to the firewall (a running hub's 0.0.0.0/0 with gateway route propagation off)
    is inspected: the routing model decides, subnet by subnet."""
    from .. import routing

    firewall = topology.hub.firewall
    if not topology.inspects_transit or firewall.inspect_hub_subnets or not (topology.on_premises or topology.branches):
        return
    workload = {str(s.name) for s in topology.hub_workload_subnets}
    names = [name for name in routing.subnets_past_firewall(topology) if name in workload]
    if names:
        yield f"{firewall.path}.inspectHubSubnets", (
            f"traffic from the hub's workload subnet(s) {', '.join(names)} to on-premises and branches skips the firewall "
            f"(only what enters through a gateway is steered to it). Set hub.firewall.inspectHubSubnets: true to inspect it "
            f"too, or accept this warning (acceptedWarnings) if those subnets are trusted")


LOGS_LINK = "https://learn.microsoft.com/azure/firewall/monitor-firewall"
WORKSPACE_ID = re.compile(r"^/subscriptions/[0-9a-f-]{36}/resourceGroups/[^/]+/providers/Microsoft\.OperationalInsights/workspaces/[^/]+$", re.IGNORECASE)


@rule("FW008", "Firewall diagnostics need exactly one workspace", LOGS_LINK)
def diagnostics_workspace(topology, data):
    """The firewall's logs go to one Log Analytics workspace: an existing one named by its resource ID, or one gen
    creates (`workspace`), not both and not neither."""
    firewall = topology.hub.firewall
    diagnostics = firewall.diagnostics if firewall else None
    if diagnostics is None:
        return
    given = [bool(diagnostics.workspace_resource_id), bool(diagnostics.workspace_name)]
    if given.count(True) != 1:
        yield diagnostics.path, ("give exactly one of workspaceResourceId (an existing Log Analytics workspace) and workspace "
                                 "(one gen creates)")
    elif diagnostics.workspace_resource_id and not WORKSPACE_ID.match(diagnostics.workspace_resource_id):
        yield diagnostics.workspace_resource_id.path, (
            f"{diagnostics.workspace_resource_id!r} is not a Log Analytics workspace resource ID: expected /subscriptions/<id>/"
            f"resourceGroups/<group>/providers/Microsoft.OperationalInsights/workspaces/<name> "
            f"(az monitor log-analytics workspace show --query id)")


@rule("FW009", "An inspected source that no firewall rule allows", RULES_LINK, severity=WARNING)
def inspected_but_denied(topology, data):
    """A spoke, or a hub workload subnet with inspectHubSubnets, is routed through the firewall; Azure Firewall denies
    what no rule allows, so a source that no network rule names (directly, by a prefix covering it, or `*`) reaches
    nothing through it: every flow the route tables send there is dropped."""
    firewall = topology.hub.firewall
    if firewall is None or not topology.inspects_transit:
        return
    sources = [(s.path, f"spoke '{s.name}'", s.vnet.address_space) for s in topology.spokes if topology.spoke_route_tables]
    if topology.inspects_hub_subnets:
        sources += [(s.path, f"hub subnet '{s.name}'", (s.prefix,)) for s in topology.hub_workload_subnets]
    for path, label, prefixes in sources:
        networks = [n for n in (parse_network(p) for p in prefixes) if n]
        if networks and not any(policy.rules_from(firewall, n) for n in networks):
            yield path, (f"{label} ({', '.join(map(str, networks))}) is routed through {firewall.name}, but no network rule "
                         f"has it as a source: the firewall drops every flow from it (replies to flows others start still "
                         f"pass). Add a rule for what it needs, or accept this warning with the reason")


POLICY_INHERITANCE_LINK = "https://learn.microsoft.com/azure/firewall-manager/policy-overview#inheritance"


@rule("FW010", "Rules gen does not see decide some flows", POLICY_INHERITANCE_LINK, severity=WARNING)
def rules_not_seen(topology, data):
    """gen trace and gen resilience judge flows by the rules the spec holds. A policy that inherits from a parent
    policy ("Network rule collections inherited from a parent policy are always prioritized above network rule
    collections defined as part of a new policy") and rules that name IP groups the spec does not describe (`ipGroups`) decide flows gen
    cannot see: its verdicts for them may be wrong."""
    firewall = topology.hub.firewall
    if firewall is None:
        return
    parent = topology.firewall_parent_policy
    if parent:
        yield f"{firewall.path}.policyName", (
            f"policy {firewall.policy_name} inherits rules from {parent}, which the spec does not hold: the parent's rule "
            f"collections come first, so gen trace's verdicts (allowed, denied) may be wrong for flows they match")
    named = {str(i) for c in firewall.collections for r in c.rules
             for i in (*getattr(r, "source_ip_groups", ()), *getattr(r, "destination_ip_groups", ()))}
    unknown = sorted(i for i in named if not firewall.ip_group_addresses((i,)))
    if unknown:
        yield f"{firewall.path}.ipGroups", (
            f"rules name IP group(s) {', '.join(i.rsplit('/', 1)[-1] for i in unknown)} whose addresses the spec does not "
            f"hold (hub.firewall.ipGroups; gen import reads them when the capture has them): gen trace takes those rules "
            f"as not matching")
