"""`gen plan`: the deployment as Azure Resource Manager will run it, read from the compiled template.

The operation graph comes from the compiled ARM JSON (arm.py), not from the spec, so a wrong
`dependsOn` in a template shows up here. From it: the waves (what can run at the same time),
the critical path with typical durations (durations.py), the total of a fully serial order,
and the conflicts: two operations that may run at once and write the same VNet or gateway,
which Azure refuses with AnotherOperationInProgress.

The output README's plan uses the same schedule on main.bicep's modules (`from_steps`), from the
order decided in order.py; tests check that both agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import arm, modules
from .durations import Typical, typical

VNET = "Microsoft.Network/virtualNetworks"
GATEWAY = "Microsoft.Network/virtualNetworkGateways"
# Which writes are documented as conflicting, and which gen assumes on the safe side.
SAME_VNET = ("operations on one VNet at a time: Azure Landing Zones serialise gateways and firewall for this "
             "(https://github.com/Azure/Enterprise-Scale/issues/1726)")
SAME_GATEWAY = ("one operation on a gateway at a time: connections one by one "
                "(https://learn.microsoft.com/azure/expressroute/expressroute-howto-linkvnet-arm)")
ASSUMED = "assumed, not documented"


@dataclass(eq=False)
class Operation:
    key: str  # where it sits in the template, e.g. "hubVpnGatewayDeployment/gateway"
    type: str  # Azure resource type
    name: str  # Azure resource name
    typical: Typical
    after: set = field(default_factory=set)  # operations it waits for (keys)
    writes: dict = field(default_factory=dict)  # (resource type, name) -> why two writes conflict
    start: float = 0.0
    wave: int = 0

    @property
    def end(self) -> float:
        return self.start + self.typical.minutes

    @property
    def label(self) -> str:
        return f"{self.type.split('/', 1)[-1]} {self.name}"


@dataclass(frozen=True)
class Conflict:
    first: Operation
    second: Operation
    resources: tuple[tuple[str, str, str], ...]  # (type, name, "subscription/group") both write
    assumed: bool  # every shared write is an assumption, none documented

    @property
    def message(self) -> str:
        written = ", ".join(f"{kind.rsplit('/', 1)[-1]} '{name}'" for kind, name, *_ in self.resources)
        basis = ASSUMED if self.assumed else "Azure refuses it with AnotherOperationInProgress"
        return (f"{self.first.label} and {self.second.label} may run at the same time and both write {written} "
                f"({basis}): make one wait for the other with dependsOn")


@dataclass
class Plan:
    operations: list[Operation]  # in start order
    critical_path: list[Operation]
    conflicts: list[Conflict]
    source: str = ""  # what was planned: a directory, a spec, or "main.bicep's modules"

    @property
    def total_minutes(self) -> float:
        return max((op.end for op in self.operations), default=0.0)

    @property
    def serial_minutes(self) -> float:
        return sum(op.typical.minutes for op in self.operations)

    @property
    def waves(self) -> list[list[Operation]]:
        found: dict[int, list[Operation]] = {}
        for op in self.operations:
            found.setdefault(op.wave, []).append(op)
        return [found[w] for w in sorted(found)]

    @property
    def estimated(self) -> bool:
        """Whether an estimate (no documented figure) lies on the critical path."""
        return any(op.typical.estimated for op in self.critical_path)


# --- from a compiled template ------------------------------------------------------------------------------


class PlanInputError(Exception):
    """The directory does not compile into a template gen can plan; the message says why."""


def of_directory(directory, source: str | None = None) -> Plan:
    """Compile a rendered directory with the real compiler and plan what Azure will run.

    Raises compiler.CompilerNotFound without a compiler, PlanInputError when it does not compile.
    """
    from pathlib import Path

    from .. import compiler

    directory = Path(directory)
    result = compiler.compile_directory(directory)
    errors = [d for d in result.diagnostics if d.level == "Error"]
    if errors or result.template is None:
        shown = "; ".join(str(d) for d in errors[:3]) or "no template"
        raise PlanInputError(f"{directory}: does not compile ({shown}); `gen build {directory}` shows every diagnostic")
    name = result.template.get("metadata", {}).get("name") or directory.name
    return from_template(result.template, result.parameter_values, name, source or str(directory))


def from_template(template: dict, parameters: dict, deployment_name: str, source: str = "") -> Plan:
    """The plan of a compiled main.bicep with its parameter values (from the compiled main.bicepparam)."""
    scope = arm.load(template, parameters, deployment_name)
    leaves: dict[str, Operation] = {}
    groups: dict[str, list[str]] = {}  # instance key -> keys of the leaf operations inside it

    def collect(current: arm.Scope, inherited: list) -> None:
        for instance in current.all_instances():
            waits = inherited + instance.depends
            if instance.is_module:
                collect(instance.module, waits)
                continue
            properties = instance.value(instance.resource.get("properties", {}))
            op = Operation(instance.key, instance.type, instance.name, typical(instance.type, properties))
            op.after = {dependency.key for dependency in waits}
            op.writes = _writes(instance.type, instance.name, properties,
                                f"{instance.scope.subscription}/{instance.scope.group}".lower())
            leaves[op.key] = op

    collect(scope, [])
    for op in leaves.values():
        op.after = {leaf for key in op.after for leaf in _leaves_of(key, leaves, groups)}
    _expand_writes(list(leaves.values()))
    return _schedule(list(leaves.values()), source)


def _leaves_of(key: str, leaves: dict, groups: dict) -> list[str]:
    """The leaf operations an instance stands for: itself, or everything inside a module instance."""
    if key in leaves:
        return [key]
    if key not in groups:
        groups[key] = [k for k in leaves if k.startswith(key + "/")]
    return groups[key]


def _where(value) -> str:
    """The subscription and resource group a resource ID names ("sub/group", lower case): two resources of one name in
    two groups are two resources (ALZ names every landing zone's route table rtb-spoke-to-hub)."""
    parts = str(value).split("/")
    lowered = [p.lower() for p in parts]
    if "subscriptions" in lowered and "resourcegroups" in lowered:
        return f"{parts[lowered.index('subscriptions') + 1]}/{parts[lowered.index('resourcegroups') + 1]}".lower()
    return ""


def _subnet_vnets(*subnet_ids) -> dict:
    found = {}
    for value in subnet_ids:
        parsed = arm.parse_resource_id(value)
        if parsed and parsed[0].lower().startswith(VNET.lower()):
            found[(VNET, parsed[1][0], _where(value))] = SAME_VNET
    return found


def _subnet_ids(configurations) -> list:
    configurations = configurations if isinstance(configurations, list) else [configurations]
    return [((c or {}).get("properties") or {}).get("subnet", {}).get("id") for c in configurations if isinstance(c, dict)]


def _writes(resource_type: str, name: str, properties: dict, where: str = "") -> dict:
    """What an operation writes besides itself: the VNet of its subnets, the gateways it connects. Each written resource
    is (type, name, "subscription/group")."""
    kind = resource_type.lower()
    writes = {(resource_type, name, where): "the same resource"}
    properties = properties if isinstance(properties, dict) else {}
    if kind in ("microsoft.network/virtualnetworkgateways", "microsoft.network/azurefirewalls"):
        ids = _subnet_ids(properties.get("ipConfigurations", []))
        ids += _subnet_ids(properties.get("managementIpConfiguration"))
        writes.update(_subnet_vnets(*ids))
    elif kind == "microsoft.network/virtualhubs/ipconfigurations":
        writes.update(_subnet_vnets(properties.get("subnet", {}).get("id")))
    elif kind == "microsoft.network/networkinterfaces":
        writes.update({k: f"{SAME_VNET}; for a NIC joining the subnet {ASSUMED}" for k in
                       _subnet_vnets(*_subnet_ids(properties.get("ipConfigurations", [])))})
    elif kind == "microsoft.network/connections":
        for side in ("virtualNetworkGateway1", "virtualNetworkGateway2"):
            gateway = (properties.get(side) or {}).get("id")
            parsed = arm.parse_resource_id(gateway)
            if parsed:
                writes[(GATEWAY, parsed[1][0], _where(gateway))] = SAME_GATEWAY
    elif kind == "microsoft.network/virtualnetworks/virtualnetworkpeerings":
        writes[(VNET, name.split("/")[0], where)] = SAME_VNET
        remote_id = (properties.get("remoteVirtualNetwork") or {}).get("id")
        remote = arm.parse_resource_id(remote_id)
        if remote:
            writes[(VNET, remote[1][0], _where(remote_id))] = SAME_VNET
    elif "/" in kind.split("/", 1)[1]:  # a child resource writes its parent
        parent_type = resource_type.rsplit("/", 1)[0]
        writes[(parent_type, name.split("/")[0], where)] = "a child resource writes its parent"
    return writes


def _expand_writes(operations: list[Operation]) -> None:
    """Writes through another resource: a connection writes its gateways' VNet (assumed); a Route Server's
    IP configuration peers with (writes) every gateway of its VNet."""
    vnet_of = {}
    for op in operations:
        if op.type.lower() == GATEWAY.lower():
            gateway = next((r for r in op.writes if r[0] == op.type and r[1] == op.name), None)
            for resource in op.writes:
                if resource[0] == VNET and gateway is not None:
                    vnet_of[(GATEWAY, gateway[1], gateway[2])] = resource
    for op in operations:
        kind = op.type.lower()
        if kind == "microsoft.network/connections":
            for resource in list(op.writes):
                if resource[0] == GATEWAY and resource in vnet_of:
                    op.writes.setdefault(vnet_of[resource], f"{SAME_VNET}; for a connection through its gateway {ASSUMED}")
        elif kind == "microsoft.network/virtualhubs/ipconfigurations":
            vnets = {r for r in op.writes if r[0] == VNET}
            for gateway, vnet in vnet_of.items():
                if vnet in vnets:
                    op.writes.setdefault(gateway, "Route Server peers with every gateway of its VNet as it is created")


# --- from main.bicep's modules (the output README) -------------------------------------------------------


def from_steps(steps) -> Plan:
    """The plan of main.bicep's modules expanded into their Azure operations (plan/modules.py), from the order
    decided in order.py: the same operations, waves and figures `gen plan` reads from the compiled template."""
    operations: dict[str, Operation] = {}
    instances: dict[str, list[list[str]]] = {}  # symbol -> per instance, the keys of its operations
    for step in steps:
        per_instance: list[list[str]] = []
        for index, parts in enumerate(step.operations):
            prefix = f"{step.symbol}[{index}]" if step.loop else step.symbol
            waits: set[str] = set()
            for needed in step.needs + step.after:
                paired = needed.endswith("[]")
                earlier = instances.get(needed.removesuffix("[]"), [])
                for keys in ([earlier[index]] if paired and index < len(earlier) else earlier):
                    waits.update(keys)
            if step.serial and per_instance:
                waits.update(per_instance[-1])
            keys = [f"{prefix}/{name}" for name, _, _ in parts]
            for (name, kind, inner), key in zip(parts, keys):
                gateway_type = {"gatewayType": modules.EXPRESSROUTE_GATEWAY} if step.module == "expressroute-gateway" else {}
                op = Operation(key, kind, name, typical(kind, gateway_type))
                op.after = set(waits) | {keys[i] for i in inner}
                operations[key] = op
            per_instance.append(keys)
        instances[step.symbol] = per_instance
    return _schedule(list(operations.values()), "main.bicep")


# --- the schedule ------------------------------------------------------------------------------------------


def _schedule(operations: list[Operation], source: str) -> Plan:
    """Earliest start of each operation, its wave, the critical path, and the conflicts."""
    by_key = {op.key: op for op in operations}
    ordered = _topological(operations, by_key)
    for op in ordered:
        before = [by_key[k] for k in op.after]
        op.start = max((b.end for b in before), default=0.0)
        op.wave = 1 + max((b.wave for b in before), default=0)
    path = []
    if ordered:
        # The operation that ends last (max keeps the first of a tie), then back along what it waited for.
        current = max(ordered, key=lambda op: op.end)
        while current is not None:
            path.append(current)
            before = [by_key[k] for k in sorted(current.after)]  # sorted: ties go the same way in every run
            current = max(before, key=lambda op: op.end, default=None)
        path.reverse()
    ordered.sort(key=lambda op: (op.wave, op.start, op.key))
    return Plan(ordered, path, _conflicts(ordered), source)


def _topological(operations: list[Operation], by_key: dict) -> list[Operation]:
    remaining = {op.key: set(op.after) & set(by_key) for op in operations}
    ordered = []
    while remaining:
        ready = sorted(k for k, waits in remaining.items() if not waits)
        if not ready:
            raise ValueError(f"the template's dependencies form a cycle: {', '.join(sorted(remaining))}")
        for key in ready:
            ordered.append(by_key[key])
            del remaining[key]
        for waits in remaining.values():
            waits.difference_update(ready)
    return ordered


def _conflicts(operations: list[Operation]) -> list[Conflict]:
    """Pairs that write the same resource and may run at the same time (neither waits for the other)."""
    # Each operation's ancestors as the bits of an int (bit i: operation i): a union of sets of hundreds of keys for
    # each of hundreds of operations was most of a 100-branch plan's time.
    index = {op.key: i for i, op in enumerate(operations)}
    bits: dict[str, int] = {}
    for op in operations:  # in topological order already (waves ascend)
        found = 0
        for key in op.after:
            if key in index:
                found |= (1 << index[key]) | bits.get(key, 0)
        bits[op.key] = found
    writers: dict[tuple, list[Operation]] = {}
    for op in operations:
        for resource in op.writes:
            writers.setdefault(resource, []).append(op)
    shared: dict[tuple[str, str], list[tuple]] = {}  # pair of operation keys -> resources both write
    for resource, ops in sorted(writers.items()):
        for i, first in enumerate(ops):
            for second in ops[i + 1:]:
                if not (bits[second.key] >> index[first.key]) & 1 and not (bits[first.key] >> index[second.key]) & 1:
                    shared.setdefault((first.key, second.key), []).append(resource)
    by_key = {op.key: op for op in operations}
    return [
        Conflict(by_key[a], by_key[b], tuple(resources),
                 all(ASSUMED in by_key[a].writes[r] or ASSUMED in by_key[b].writes[r] for r in resources))
        for (a, b), resources in shared.items()
    ]
