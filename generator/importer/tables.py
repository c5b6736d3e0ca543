"""Route tables of a running hub, kept as they run: each subnet's table by name, gen's routes under the names they run
with, and every other route as it is (an exception to the Internet, a route for a hub subnet, a default route to the
firewall). A table that lacks routes gen would add keeps only its own (`onlyTheseRoutes`): adopting changes nothing,
and gen trace then routes by what runs."""

from __future__ import annotations

from .. import model
from ..capture import Resource
from .evidence import Evidence


def captured_routes(table: Resource) -> list[tuple[str, str, str, str | None]]:
    """(name, prefix, next hop type, next hop address) of every route of a captured table, in its order."""
    found = []
    for route in table.prop("routes", default=[]) or []:
        if not isinstance(route, dict):
            continue
        fields = route.get("properties") if isinstance(route.get("properties"), dict) else route
        found.append((str(route.get("name") or ""), str(fields.get("addressPrefix") or ""), str(fields.get("nextHopType") or ""),
                      fields.get("nextHopIpAddress")))
    return found


def firewall_routes(table: Resource | None, firewall_ip) -> list[tuple[str, str]]:
    """(route name, prefix) of each route of a table that sends to the firewall."""
    return [(name, prefix) for name, prefix, hop, address in (captured_routes(table) if table else [])
            if hop == "VirtualAppliance" and firewall_ip and address == firewall_ip]


def keep(ev: Evidence, spec: dict, vnets: list[tuple[dict, Resource]]) -> None:
    """Write each subnet's running table into the spec (`routeTable`), against what gen designs for the subnet.

    `vnets`: (the spec's vnet dict, the captured VNet) of the hub, the branches and the spokes."""
    designed = model.build(spec)  # gen's design for each subnet, from everything else the import decided
    for vnet_spec, vnet_resource in vnets:
        subnets = {s.name.split("/", 1)[1].lower(): s for s in ev.subnets(vnet_resource)}
        for entry in vnet_spec["subnets"]:
            captured = subnets.get(entry["name"].lower())
            table = ev.table_of(captured) if captured is not None else None
            design = designed.table_on(vnet_spec["name"], entry["name"])
            if table is None:
                if design is not None and captured is not None:
                    entry["routeTable"] = None  # it runs without one: a redeploy must not attach gen's
                continue
            ev.use(table)
            entry["routeTable"] = _table(table, design)
            if table.resource_group.lower() != vnet_resource.resource_group.lower():
                entry["routeTable"] = {"name": table.name, "resourceGroup": table.resource_group,
                                       **{k: v for k, v in entry["routeTable"].items() if k != "name"}}


def _table(table: Resource, design: model.RouteTable | None) -> dict:
    found: dict = {"name": table.name}
    running = captured_routes(table)
    designed = {str(r.address_prefix): r for r in design.routes} if design else {}
    extra, names = [], {}
    for name, prefix, hop, address in running:
        route = designed.get(prefix)
        if route is not None and (route.next_hop_type, route.next_hop_ip or None) == (hop, address or None):
            if route.name != name:
                names[prefix] = name
            continue
        value = {"name": name, "addressPrefix": prefix, "nextHopType": hop}
        if address:
            value["nextHopIpAddress"] = address
        extra.append(value)
    covered = {prefix for _, prefix, hop, address in running
               if prefix in designed and (designed[prefix].next_hop_type, designed[prefix].next_hop_ip or None) == (hop, address or None)}
    if set(designed) - covered:
        # Gen would add routes this table runs without: keep it as it runs, every route listed.
        found["onlyTheseRoutes"] = True
        extra = [{"name": name, "addressPrefix": prefix, "nextHopType": hop, **({"nextHopIpAddress": address} if address else {})}
                 for name, prefix, hop, address in running]
        names = {}
    propagate = not bool(table.prop("disableBgpRoutePropagation"))
    if propagate != (design.propagate_gateway_routes if design else True):
        found["propagateGatewayRoutes"] = propagate
    if extra:
        found["routes"] = extra
    if names:
        found["routeNames"] = dict(sorted(names.items()))
    return found
