"""The spec's field reference as a Markdown table, made from the schema (the one source of truth).

The README embeds this table; a test fails when the two differ.
"""

from __future__ import annotations

import json


def _target(schema: dict, ref: str) -> dict:
    """The node a local `$ref` (`#/$defs/hub/properties/vnet`) points at."""
    node = schema
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


def _resolve(schema: dict, node: dict) -> dict:
    """Follow `$ref` into `$defs`, keeping the referring node's own description."""
    while "$ref" in node:
        node = {**_target(schema, node["$ref"]), **{k: v for k, v in node.items() if k != "$ref"}}
    return node


HUB_FIELD = "#/$defs/hub/properties/"  # an entry of `hubs` takes the fields of `hub`: listed once, under `hub`


def _type(node: dict) -> str:
    if "const" in node:
        return json.dumps(node["const"])
    if "enum" in node:
        return " \\| ".join(json.dumps(v) for v in node["enum"])
    kind = node.get("type", "")
    if kind == "array":
        return "array"
    return kind


def fields(schema: dict) -> list[tuple[str, str, bool, str, str]]:
    """(path, type, required, default, description) for every field, depth first in schema order."""
    rows: list = []

    def walk(node: dict, path: str, required: bool, note: str = "") -> None:
        node = _resolve(schema, node)
        if path:
            default = json.dumps(node["default"]) if "default" in node else ""
            rows.append((path, _type(node), required, default, (note + node.get("description", "")).strip()))
        if node.get("type") == "array" and "items" in node:
            item = _resolve(schema, node["items"])
            variants = [c["then"] for c in item.get("allOf", []) if "then" in c]
            if variants:
                walk(item["properties"]["kind"], f"{path}[].kind", True)
                for variant in variants:
                    variant = _resolve(schema, variant)
                    kind = variant["properties"]["kind"]["const"]
                    walk_object(variant, f"{path}[]", f"(kind {kind}) ")
            else:
                walk_object(item, f"{path}[]", "")
        elif node.get("type") == "object":
            walk_object(node, path, "")

    def walk_object(node: dict, path: str, note: str) -> None:
        for name, child in node.get("properties", {}).items():
            if (path.endswith("[]") and name == "kind" and note) or name == "$comment":
                continue  # a kind is listed once; `$comment` is allowed everywhere, said once below the table
            where = f"{path}.{name}" if path else name
            if str(child.get("$ref", "")).startswith(HUB_FIELD):
                rows.append((where, "object", name in node.get("required", []), "", f"As `hub.{name}` (below)."))
                continue
            walk(child, where, name in node.get("required", []), note)

    walk(schema, "", True)
    return rows


def markdown(schema: dict) -> str:
    lines = ["| field | type | required | default | what it is |", "|---|---|---|---|---|"]
    for path, kind, required, default, description in fields(schema):
        if path == "$schema":
            continue
        shown_default = f"`{default}`" if default else ""
        text = description.replace("|", "\\|")
        lines.append(f"| `{path}` | {kind} | {'yes' if required else ''} | {shown_default} | {text} |")
    comment = schema.get("$defs", {}).get("comment", {}).get("description")
    if comment:
        lines += ["", f"Every object also takes `$comment`: {comment}"]
    return "\n".join(lines) + "\n"
