"""Read a compiled ARM template the way Azure Resource Manager runs it: resources, copy loops,
nested deployments (modules), conditions and dependencies, down to every Azure operation.

How ARM runs a deployment (https://learn.microsoft.com/azure/azure-resource-manager/templates/resource-dependency,
.../copy-resources, .../linked-templates): a resource starts when everything in its `dependsOn`
(and every resource its `reference()` calls name) has finished; resources with nothing to wait for
start at once; a copy loop's instances run in parallel, or in batches of `batchSize` with
`mode: serial`; a nested deployment starts when its own dependencies have finished and is done
when every resource inside it is. A resource whose `condition` is false is skipped, and
depending on it waits for nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from .expressions import UNKNOWN, Environment, ExpressionError, calls, evaluate, is_expression, parse

DEPLOYMENTS = "Microsoft.Resources/deployments"
SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"  # a plan never deploys: any subscription will do
RESOURCE_GROUP = "resource-group"
_INSTANCE = re.compile(r"^(?P<symbol>[A-Za-z_][A-Za-z0-9_]*)(?:\[(?P<index>\d+)\])?$")


@dataclass(eq=False)
class Instance:
    """One resource of a template, or one instance of a copy loop."""

    key: str  # "hubVpnGatewayDeployment/publicIps[1]"
    symbol: str
    index: int | None
    resource: dict
    scope: "Scope"
    depends: list["Instance"] = field(default_factory=list)  # in the same scope

    @property
    def type(self) -> str:
        return self.resource.get("type", "")

    @property
    def is_module(self) -> bool:
        return self.type.lower() == DEPLOYMENTS.lower()

    @cached_property
    def environment(self) -> Environment:
        return self.scope.environment(self.index)

    def value(self, raw):
        """A JSON value of the resource with every expression in it evaluated (property copy loops expanded)."""
        return self.scope.resolve(raw, self.environment)

    @cached_property
    def name(self) -> str:
        name = self.value(self.resource.get("name", ""))
        return name if isinstance(name, str) else self.key

    @cached_property
    def module(self) -> "Scope":
        """The scope of a nested deployment's template."""
        properties = self.resource.get("properties", {})
        passed = {key: self.value(entry.get("value")) for key, entry in properties.get("parameters", {}).items()
                  if isinstance(entry, dict) and "value" in entry}
        # A module scoped to another resource group or subscription (Bicep `scope: resourceGroup(sub, rg)`) names
        # them on its deployment resource; otherwise it deploys where its parent does.
        subscription = self.value(self.resource.get("subscriptionId", self.scope.subscription))
        group = self.value(self.resource.get("resourceGroup", self.scope.group))
        return Scope(properties.get("template", {}), passed, self.name, f"{self.key}/", self.scope.root,
                     subscription if isinstance(subscription, str) else self.scope.subscription,
                     group if isinstance(group, str) else self.scope.group)

    @property
    def resource_id(self) -> str:
        names = self.name.split("/")
        return resource_id(self.scope.subscription, self.scope.group, self.type, *names)


class Scope:
    """A template and the values its expressions see: the main template, or one module instance's."""

    def __init__(self, template: dict, parameters: dict, deployment_name: str, prefix: str = "", root: "Scope | None" = None,
                 subscription: str = SUBSCRIPTION, group: str = RESOURCE_GROUP):
        self.template = template
        self.subscription = subscription
        self.group = group
        self.deployment_name = deployment_name
        self.prefix = prefix
        self.root = root or self
        self._parameters = parameters
        self._variables: dict = {}
        self.instances: dict[str, list[Instance]] = {}
        self._build()

    # --- values --------------------------------------------------------------------------------------

    def parameter(self, name: str):
        if name in self._parameters:
            return self._parameters[name]
        declared = self.template.get("parameters", {}).get(name, {})
        if "defaultValue" in declared:
            return self.resolve(declared["defaultValue"], self.environment(None))
        return UNKNOWN

    def variable(self, name: str):
        if name not in self._variables:
            self._variables[name] = UNKNOWN  # a variable that refers to itself stays unknown
            declared = self.template.get("variables", {})
            # A variable's for-expression compiles to a copy loop in `variables.copy` (Bicep: `var x = [for ...]`).
            loop = next((entry for entry in declared.get("copy", []) if isinstance(entry, dict) and entry.get("name") == name), None)
            if loop is not None:
                self._variables[name] = self.resolve({"copy": [loop]}, self.environment(None)).get(name, UNKNOWN)
            else:
                self._variables[name] = self.resolve(declared.get(name), self.environment(None))
        return self._variables[name]

    def environment(self, index: int | None) -> Environment:
        return Environment({
            "parameters": self.parameter,
            "variables": self.variable,
            "reference": self.reference,
            "resourceinfo": lambda target, *rest: UNKNOWN,
            "deployment": lambda: {"name": self.deployment_name},
            "resourcegroup": lambda: {"name": self.group, "location": UNKNOWN,
                                      "id": f"/subscriptions/{self.subscription}/resourceGroups/{self.group}"},
            "subscription": lambda: {"subscriptionId": self.subscription, "id": f"/subscriptions/{self.subscription}"},
            "resourceid": lambda *args: resource_id(*args, scope=(self.subscription, self.group)),
            "environment": lambda: {"name": "AzureCloud"},
        }, copy_index=index)

    def resolve(self, raw, env: Environment):
        if is_expression(raw):
            try:
                return evaluate(parse(raw), env)
            except ExpressionError:
                return UNKNOWN
        if isinstance(raw, str):
            return raw[1:] if raw.startswith("[[") else raw
        if isinstance(raw, list):
            return [self.resolve(item, env) for item in raw]
        if isinstance(raw, dict):
            resolved = {key: self.resolve(value, env) for key, value in raw.items() if key != "copy"}
            for loop in raw.get("copy", []) if isinstance(raw.get("copy"), list) else []:
                count = self.resolve(loop.get("count"), env)
                if isinstance(count, int):
                    resolved[loop["name"]] = [self.resolve(loop.get("input"), env.with_property_index(loop["name"], i))
                                              for i in range(count)]
            return resolved
        return raw

    def reference(self, target, *rest):
        """reference('symbol') of a module gives its outputs; any other resource's state is known only at deployment."""
        instance = self.find(target) if isinstance(target, str) else None
        if instance is None or not instance.is_module:
            return UNKNOWN
        return {"outputs": _Outputs(instance.module)}

    # --- the resources -----------------------------------------------------------------------------------

    def _build(self) -> None:
        found = self.template.get("resources", {})
        entries = found.items() if isinstance(found, dict) else _array_entries(found)
        for symbol, resource in entries:
            if resource.get("existing"):
                continue
            copy = resource.get("copy")
            if copy:
                count = self.resolve(copy.get("count"), self.environment(None))
                count = count if isinstance(count, int) else 1
                indexes = list(range(count))
            else:
                indexes = [None]
            kept = []
            for index in indexes:
                key = f"{self.prefix}{symbol}" + (f"[{index}]" if index is not None else "")
                instance = Instance(key, symbol, index, resource, self)
                if "condition" in resource and self.resolve(resource["condition"], instance.environment) is False:
                    continue
                kept.append(instance)
            self.instances[symbol] = kept

    def find(self, reference: str) -> Instance | None:
        """The instance named `symbol` or `symbol[i]`, or whose resource ID is `reference`."""
        match = _INSTANCE.match(reference)
        if match and match["symbol"] in self.instances:
            kept = self.instances[match["symbol"]]
            if match["index"] is None:
                return kept[0] if len(kept) == 1 else None
            return next((i for i in kept if i.index == int(match["index"])), None)
        return next((i for i in self.all_instances() if i.resource_id.lower() == reference.lower()), None)

    def all_instances(self) -> list[Instance]:
        return [instance for kept in self.instances.values() for instance in kept]

    def link(self) -> None:
        """Fill in each instance's dependencies in this scope: dependsOn, reference() calls, serial batches."""
        for symbol, kept in self.instances.items():
            for instance in kept:
                targets = []
                for entry in instance.resource.get("dependsOn", []):
                    targets += self._targets(instance.value(entry) if is_expression(entry) else entry)
                # A module's own template names resources of its own scope: only its parameters are read here.
                scanned = {k: v for k, v in instance.resource.items() if k != "properties"} if instance.is_module else instance.resource
                if instance.is_module:
                    scanned["parameters"] = instance.resource.get("properties", {}).get("parameters", {})
                for text in _expressions(scanned):
                    try:
                        tree = parse(text)
                    except ExpressionError:
                        continue
                    for call in calls(tree):
                        if call.function in ("reference", "resourceinfo", "listkeys") and call.args:
                            targets += self._targets(evaluate(call.args[0], instance.environment))
                instance.depends = [t for t in dict.fromkeys(targets) if t is not instance]
            copy = kept[0].resource.get("copy", {}) if kept else {}
            if copy.get("mode", "").lower() == "serial":
                size = max(int(copy.get("batchSize", 1) or 1), 1)
                for position, instance in enumerate(kept):
                    if position >= size:
                        start = (position // size - 1) * size
                        instance.depends += [p for p in kept[start:start + size] if p not in instance.depends]
        for instance in self.all_instances():
            if instance.is_module:
                instance.module.link()

    def _targets(self, reference) -> list[Instance]:
        """Instances a dependsOn entry or a reference() names: a symbol means every instance of a loop."""
        if not isinstance(reference, str):
            return []
        match = _INSTANCE.match(reference)
        if match and match["symbol"] in self.instances and match["index"] is None:
            return list(self.instances[match["symbol"]])
        found = self.find(reference)
        return [found] if found else []


def _array_entries(resources: list) -> list[tuple[str, dict]]:
    """Templates without symbolic names (languageVersion 1) list resources: name each by its type,
    numbered when a type repeats; their dependsOn entries are resource IDs, matched by `find`."""
    names = [r.get("type", "resource").rsplit("/", 1)[-1] for r in resources]
    return [(name if names.count(name) == 1 else f"{name}{i}", r) for i, (name, r) in enumerate(zip(names, resources))]


class _Outputs(Mapping):
    """A module's outputs, each evaluated when it is asked for: {"value": ...} like ARM's reference()."""

    def __init__(self, scope: Scope):
        self.scope = scope
        self.declared = scope.template.get("outputs", {})

    def __getitem__(self, name):
        output = self.declared[name]
        return {"value": self.scope.resolve(output.get("value"), self.scope.environment(None))}

    def __iter__(self):
        return iter(self.declared)

    def __len__(self):
        return len(self.declared)


def _expressions(value):
    """Every expression string inside a JSON value."""
    if is_expression(value):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _expressions(item)
    elif isinstance(value, list):
        for item in value:
            yield from _expressions(item)


def resource_id(*args, scope: tuple[str, str] = (SUBSCRIPTION, RESOURCE_GROUP)) -> str:
    """resourceId([subscriptionId], [resourceGroupName], resourceType, name1, name2, ...), in `scope` (subscription,
    resource group) unless the call names them."""
    if any(a is UNKNOWN for a in args):
        return UNKNOWN
    args = [str(a) for a in args]
    position = next((i for i, a in enumerate(args) if "/" in a and "." in a.split("/")[0]), None)
    if position is None:
        return UNKNOWN
    subscription, group = scope
    if position == 2:
        subscription, group = args[0], args[1]
    elif position == 1:
        group = args[0]
    namespace, *types = args[position].split("/")
    names = args[position + 1:]
    path = "/".join(f"{t}/{n}" for t, n in zip(types, names))
    return f"/subscriptions/{subscription}/resourceGroups/{group}/providers/{namespace}/{path}"


def parse_resource_id(value) -> tuple[str, tuple[str, ...]] | None:
    """("Microsoft.Network/virtualNetworks/subnets", ("vnet-hub", "GatewaySubnet")) from a resource ID."""
    if not isinstance(value, str) or "/providers/" not in value:
        return None
    parts = value.split("/providers/", 1)[1].strip("/").split("/")
    if len(parts) < 3:
        return None
    namespace, rest = parts[0], parts[1:]
    types, names = rest[0::2], rest[1::2]
    return f"{namespace}/{'/'.join(types)}", tuple(names)


def load(template: dict, parameters: dict, deployment_name: str) -> Scope:
    """The main template's scope with its parameter values, every module and dependency resolved."""
    scope = Scope(template, parameters, deployment_name)
    scope.link()
    return scope
