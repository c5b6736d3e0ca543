"""ARM template expressions: parse `[format('{0}-pip', parameters('name'))]` and evaluate it.

Only what a deployment plan needs: loop counts, conditions, names, dependsOn entries, and the
resource IDs that say which VNet or gateway an operation writes. Values Azure only knows at
deployment time (a public IP's address, a resource's runtime properties) evaluate to UNKNOWN,
and anything built from UNKNOWN is UNKNOWN too. The grammar and functions follow
https://learn.microsoft.com/azure/azure-resource-manager/templates/template-expressions and
template-functions.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable


class _Unknown:
    """A value only Azure knows at deployment time."""

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


UNKNOWN = _Unknown()


class ExpressionError(ValueError):
    """An expression gen cannot parse."""


# --- parsing -------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<punct>[(),.\[\]]))")


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple


@dataclass(frozen=True)
class Member:
    target: Any
    name: str


@dataclass(frozen=True)
class Index:
    target: Any
    index: Any


@dataclass(frozen=True)
class Literal:
    value: Any


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("[") and value.endswith("]") and not value.startswith("[[")


def parse(text: str):
    """The syntax tree of an expression string (with or without its brackets)."""
    if is_expression(text):
        text = text[1:-1]
    tokens = []
    at = 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        match = _TOKEN.match(text, at)
        if not match:
            raise ExpressionError(f"cannot read {text[at:at + 20]!r} in expression")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        at = match.end()
    node, rest = _expression(tokens, 0)
    if rest != len(tokens):
        raise ExpressionError(f"unexpected {tokens[rest][1]!r} in expression")
    return node


def _expression(tokens, at):
    kind, value = tokens[at]
    if kind == "string":
        node, at = Literal(value[1:-1].replace("''", "'")), at + 1
    elif kind == "number":
        node, at = Literal(int(value)), at + 1
    elif kind == "name":
        if at + 1 < len(tokens) and tokens[at + 1][1] == "(":
            args, at = [], at + 2
            while tokens[at][1] != ")":
                arg, at = _expression(tokens, at)
                args.append(arg)
                if tokens[at][1] == ",":
                    at += 1
            node, at = Call(value.lower(), tuple(args)), at + 1
        else:
            raise ExpressionError(f"{value!r} is not a function call")
    else:
        raise ExpressionError(f"unexpected {value!r}")
    while at < len(tokens) and tokens[at][1] in (".", "["):
        if tokens[at][1] == ".":
            node, at = Member(node, tokens[at + 1][1]), at + 2
        else:
            index, at = _expression(tokens, at + 1)
            if tokens[at][1] != "]":
                raise ExpressionError("missing ']'")
            node, at = Index(node, index), at + 1
    return node, at


def calls(node) -> list[Call]:
    """Every function call in a syntax tree (to find reference('symbol') dependencies)."""
    if isinstance(node, Call):
        return [node] + [c for arg in node.args for c in calls(arg)]
    if isinstance(node, Member):
        return calls(node.target)
    if isinstance(node, Index):
        return calls(node.target) + calls(node.index)
    return []


# --- evaluating ----------------------------------------------------------------------------------------


@dataclass
class Lambda:
    names: tuple[str, ...]
    body: Any
    environment: "Environment"


class Environment:
    """What an expression can see: the scope's functions (parameters, variables, reference, ...),
    the loop indexes, and lambda variables."""

    def __init__(self, functions: dict[str, Callable], copy_index: int | None = None,
                 property_indexes: dict[str, int] | None = None, lambda_values: dict[str, Any] | None = None):
        self.functions = functions
        self.copy_index = copy_index
        self.property_indexes = property_indexes or {}
        self.lambda_values = lambda_values or {}

    def with_property_index(self, name: str, index: int) -> "Environment":
        return Environment(self.functions, self.copy_index, {**self.property_indexes, name: index}, self.lambda_values)

    def with_lambda(self, values: dict[str, Any]) -> "Environment":
        return Environment(self.functions, self.copy_index, self.property_indexes, {**self.lambda_values, **values})


def evaluate(node, env: Environment):
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Member):
        target = evaluate(node.target, env)
        return _member(target, node.name)
    if isinstance(node, Index):
        target, index = evaluate(node.target, env), evaluate(node.index, env)
        return _member(target, index)
    return _call(node, env)


def _member(target, key):
    if target is UNKNOWN or key is UNKNOWN:
        return UNKNOWN
    try:
        if isinstance(target, Mapping):
            for existing in target:
                if isinstance(key, str) and isinstance(existing, str) and existing.lower() == key.lower():
                    return target[existing]
            return UNKNOWN
        if isinstance(target, list) and isinstance(key, int):
            return target[key] if -len(target) <= key < len(target) else UNKNOWN
    except (TypeError, KeyError):
        return UNKNOWN
    return UNKNOWN


def unique_string(*parts: str) -> str:
    """A stand-in for uniqueString(): 13 characters, deterministic. ARM's own hash differs; only names of
    nested deployments use it here, and a plan only needs them to be distinct."""
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:13]


def _strings(values) -> bool:
    return all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in values)


def _call(node: Call, env: Environment):
    name = node.function
    # Lazy functions first: only the branch that is taken is evaluated.
    if name == "if":
        condition = evaluate(node.args[0], env)
        if condition is UNKNOWN:
            return UNKNOWN
        return evaluate(node.args[1] if condition else node.args[2], env)
    if name == "lambda":
        return Lambda(tuple(evaluate(a, env) for a in node.args[:-1]), node.args[-1], env)
    if name == "lambdavariables":
        return env.lambda_values.get(evaluate(node.args[0], env), UNKNOWN)
    if name == "copyindex":
        args = [evaluate(a, env) for a in node.args]
        loop = next((a for a in args if isinstance(a, str)), None)
        offset = next((a for a in args if isinstance(a, int)), 0)
        index = env.property_indexes.get(loop) if loop else env.copy_index
        return UNKNOWN if index is None else index + offset
    if name in env.functions:
        return env.functions[name](*[evaluate(a, env) for a in node.args])
    args = [evaluate(a, env) for a in node.args]
    function = FUNCTIONS.get(name)
    if function is None:
        return UNKNOWN
    if any(a is UNKNOWN for a in args) and name not in ("coalesce", "createobject", "createarray", "union", "trycat"):
        return UNKNOWN
    try:
        return function(*args)
    except (TypeError, ValueError, IndexError, KeyError, AttributeError, ZeroDivisionError):
        return UNKNOWN


def _format(template, *args):
    def substitute(match):
        value = args[int(match.group(1))]
        return "true" if value is True else "false" if value is False else str(value)

    return re.sub(r"\{(\d+)(?::[^}]*)?\}", substitute, template)


def _apply(function: Lambda, *values):
    return evaluate(function.body, function.environment.with_lambda(dict(zip(function.names, values))))


def _to_object(items, key: Lambda, value: Lambda | None = None):
    return {_apply(key, item): (_apply(value, item) if value else item) for item in items}


def _coalesce(*values):
    return next((v for v in values if v is not None), None)


def _try_get(target, *keys):
    for key in keys:
        target = _member(target, key)
        if target is UNKNOWN:
            return None
    return target


def _union(*values):
    """ARM's union: objects merge recursively (a nested object too), later values win; a nested array is replaced,
    not merged (https://learn.microsoft.com/azure/azure-resource-manager/bicep/bicep-functions-object#union)."""
    if all(isinstance(v, dict) for v in values):
        merged: dict = {}
        for v in values:
            for key, value in v.items():
                merged[key] = _union(merged[key], value) if isinstance(merged.get(key), dict) and isinstance(value, dict) else value
        return merged
    if all(isinstance(v, list) for v in values):
        return list(dict.fromkeys(x for v in values for x in v if isinstance(x, (str, int))))
    return UNKNOWN


def _contains(container, item):
    if isinstance(container, dict):
        return any(isinstance(k, str) and isinstance(item, str) and k.lower() == item.lower() for k in container)
    if isinstance(container, str):
        return str(item) in container
    return item in container


def _equals(a, b):
    return a.lower() == b.lower() if isinstance(a, str) and isinstance(b, str) else a == b


FUNCTIONS: dict[str, Callable] = {
    "format": _format,
    "concat": lambda *a: "".join(map(str, a)) if _strings(a) else [x for v in a for x in v],
    "uniquestring": lambda *a: unique_string(*map(str, a)),
    "length": len,
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a // b,
    "mod": lambda a, b: a % b,
    "min": lambda *a: min(a[0] if len(a) == 1 else a),
    "max": lambda *a: max(a[0] if len(a) == 1 else a),
    "take": lambda v, n: v[:max(n, 0)],
    "skip": lambda v, n: v[max(n, 0):],
    "first": lambda v: v[0] if v else None,
    "last": lambda v: v[-1] if v else None,
    "empty": lambda v: v is None or len(v) == 0,
    "not": lambda v: not v,
    "and": lambda *a: all(a),
    "or": lambda *a: any(a),
    "equals": _equals,
    "greater": lambda a, b: a > b,
    "less": lambda a, b: a < b,
    "greaterorequals": lambda a, b: a >= b,
    "lessorequals": lambda a, b: a <= b,
    "createobject": lambda *a: {a[i]: a[i + 1] for i in range(0, len(a), 2)},
    "createarray": lambda *a: list(a),
    "union": _union,
    "contains": _contains,
    "coalesce": _coalesce,
    "trycat": _coalesce,
    "tryget": _try_get,
    "toobject": _to_object,
    "map": lambda items, f: [_apply(f, i) for i in items],
    "filter": lambda items, f: [i for i in items if _apply(f, i)],
    "range": lambda start, count: list(range(start, start + count)),
    "string": lambda v: v if isinstance(v, str) else ("true" if v is True else "false" if v is False else str(v)),
    "int": int,
    "bool": lambda v: v if isinstance(v, bool) else str(v).lower() == "true",
    "json": lambda v: None if v == "null" else UNKNOWN,
    "null": lambda: None,
    "true": lambda: True,
    "false": lambda: False,
    "tolower": lambda v: v.lower(),
    "toupper": lambda v: v.upper(),
    "replace": lambda v, a, b: v.replace(a, b),
    "split": lambda v, d: v.split(d) if isinstance(d, str) else UNKNOWN,
    "join": lambda v, d: d.join(map(str, v)),
    "startswith": lambda v, p: v.lower().startswith(p.lower()),
    "endswith": lambda v, p: v.lower().endswith(p.lower()),
    "items": lambda d: [{"key": k, "value": v} for k, v in d.items()],
    "shallowmerge": lambda items: {k: v for item in items for k, v in item.items()},
}
