"""Walk compiled ARM JSON: the main template and every nested module deployment inside it."""

from __future__ import annotations


def resources(template: dict):
    """Symbolic name -> resource, for both ARM layouts (languageVersion 2.0 uses a dict)."""
    found = template.get("resources", {})
    if isinstance(found, dict):
        return dict(found)
    return {r.get("name", str(i)): r for i, r in enumerate(found)}


def modules(template: dict) -> dict[str, dict]:
    """Symbolic name -> module deployment resource of `template` (not nested further)."""
    return {name: r for name, r in resources(template).items() if r.get("type") == "Microsoft.Resources/deployments"}


def module_template(template: dict, symbol: str) -> dict:
    return modules(template)[symbol]["properties"]["template"]


def walk(template: dict, trail: tuple = ()):
    """Yield (trail of module symbols, symbol, resource) for every resource, nested modules included."""
    for name, resource in resources(template).items():
        yield trail, name, resource
        if resource.get("type") == "Microsoft.Resources/deployments":
            yield from walk(resource["properties"]["template"], (*trail, name))


def of_type(template: dict, resource_type: str) -> list[tuple]:
    return [(trail, name, r) for trail, name, r in walk(template) if r.get("type") == resource_type]


def module_param(template: dict, symbol: str) -> dict:
    """Parameter expressions main.bicep passes to a module: name -> expression (string or value)."""
    return {k: v.get("value") for k, v in modules(template)[symbol]["properties"]["parameters"].items()}


def by_type(template: dict, resource_type: str) -> list[dict]:
    """Resources of one type directly in `template` (works for both ARM layouts)."""
    return [r for r in resources(template).values() if r.get("type") == resource_type]
