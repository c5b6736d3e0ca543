"""`gen import` of several hubs: a capture folder with one folder per hub, each imported as a hub on its own, then
joined into one spec of `hubs`.

What joins the hubs is gen's design in a spec of several, so it is not kept as a hub's own: the peering to another
hub's VNet (peerings/ renders it), the firewall subnet's routes to another hub's firewall with its 0.0.0.0/0 ->
Internet, and the routes that send another hub's spokes to the local firewall. A circuit connected to several hubs
becomes one `onPremises` entry with one connection per hub (a bow-tie), each with its weight and name.
"""

from __future__ import annotations

from pathlib import Path

import re

from ..capture import Capture
from . import Imported, ImportFailure, import_capture
from .networks import item_name

HUB_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")  # the schema's itemName: a folder is named as its hub

ONE_HUB_KEYS = ("location", "resourceGroup", "subscriptionId")


def hub_folders(root: Path) -> list[Path]:
    """The folders of a capture of several hubs: each one a capture of one hub (it holds resources/)."""
    if (root / "resources").is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / "resources").is_dir())


def _spokes_of(spec: dict) -> list[str]:
    return [p for s in spec.get("spokes", []) for p in s["vnet"]["addressSpace"]]


def _firewall_ip(spec: dict) -> str | None:
    import ipaddress

    subnet = next((s for s in spec["hub"]["vnet"]["subnets"] if s["name"] == "AzureFirewallSubnet"), None)
    return str(ipaddress.ip_network(subnet["prefix"]).network_address + 4) if subnet and "firewall" in spec["hub"] else None


def _strip_joining_routes(spec: dict, others: list[dict]) -> None:
    """Drop the routes a spec of several hubs designs itself: to another hub's spokes, and the firewall subnet's 0/0."""
    remote = {p for other in others for p in _spokes_of(other)}
    firewalls = {ip for other in others + [spec] if (ip := _firewall_ip(other))}
    vnets = [spec["hub"]["vnet"]] + [s["vnet"] for s in spec.get("spokes", [])]
    for vnet in vnets:
        for subnet in vnet["subnets"]:
            table = subnet.get("routeTable")
            if not table or "routes" not in table:
                continue
            kept = [r for r in table["routes"]
                    if not (r.get("addressPrefix") in remote and r.get("nextHopIpAddress") in firewalls)
                    and not (subnet["name"] == "AzureFirewallSubnet" and r.get("addressPrefix") == "0.0.0.0/0"
                             and r.get("nextHopType") == "Internet")]
            if kept:
                table["routes"] = kept
            else:
                del table["routes"]


def _joining_peerings(folder: Path, others: list[dict]) -> set[str]:
    """`vnet/peering` of each peering in this hub's capture whose remote VNet is another hub's (its group and name)."""
    theirs = {(str(o.get("resourceGroup", "")).lower(), o["hub"]["vnet"]["name"].lower()) for o in others}
    found = set()
    for resource in Capture(folder).resources.values():
        if resource.type.lower() != "microsoft.network/virtualnetworks":
            continue
        for peering in resource.prop("virtualNetworkPeerings", default=[]) or []:
            properties = peering.get("properties") if isinstance(peering, dict) and isinstance(peering.get("properties"), dict) else {}
            remote = properties.get("remoteVirtualNetwork") if isinstance(properties.get("remoteVirtualNetwork"), dict) else {}
            parts = str(remote.get("id", "")).lower().split("/")
            group = parts[parts.index("resourcegroups") + 1] if "resourcegroups" in parts[:-1] else ""
            if (group, parts[-1]) in theirs:
                found.add(f"{resource.name}/{peering.get('name')}".lower())
    return found


def import_hubs(root: Path, name: str | None = None) -> Imported:
    folders = hub_folders(root)
    for folder in folders:
        if not HUB_NAME.fullmatch(folder.name):
            raise ImportFailure(f"{folder}: a hub's folder is named as its hub (lowercase letters, digits and hyphens, as gen "
                                f"collect writes it), because gen verify finds each hub by it: rename it, e.g. to "
                                f"{item_name(folder.name)}")
    if len(folders) < 2:
        raise ImportFailure(f"{root}: a capture of several hubs has a folder per hub, and this one has "
                            f"{len(folders)} ({', '.join(f.name for f in folders)}): import the hub alone with gen import "
                            f"{folders[0] if folders else root}")
    parts = [(folder.name, import_capture(Capture(folder))) for folder in folders]
    specs = [imported.spec for _, imported in parts]
    for spec in specs:
        _strip_joining_routes(spec, [s for s in specs if s is not spec])
    joined: dict = {"name": item_name(name) if name else item_name(root.resolve().name)}
    hubs, circuits, left_out, used = [], {}, [], set()
    for (key, imported), spec in zip(parts, specs):
        hub = {"name": key}  # the folder is named as the hub (checked above)
        hub.update({k: spec[k] for k in ONE_HUB_KEYS if k in spec})
        hub.update(spec["hub"])
        hubs.append(hub)
        for site in spec.get("onPremises", []):
            connection = {"hub": hub["name"]}
            for field in ("routingWeight", "connectionName"):
                if field in site:
                    connection[field] = site.pop(field)
            entry = circuits.setdefault(site["expressRouteCircuitId"].lower(), {**site, "connections": []})
            entry["connections"].append(connection)
        for list_name in ("branches", "spokes"):
            joined.setdefault(list_name, []).extend({**item, "hub": hub["name"]} for item in spec.get(list_name, []))
        joined.setdefault("testVms", []).extend(spec.get("testVms", []))
        for key_, value in spec.get("asDeployed", {}).items():
            joined.setdefault("asDeployed", {})[key_] = value
        others = [s for s in specs if s is not spec]
        joining = _joining_peerings(root / key, others)
        left_out += [item for item in imported.left_out
                     if not ("virtualNetworkPeerings" in item.resource and item.resource.split()[-1].lower() in joining)]
        used |= imported.used
    # The tags every hub shares are the spec's; what one hub's resources carry beyond them, that hub's own.
    tagged = [spec.get("tags", {}) for spec in specs]
    shared = {k: v for k, v in tagged[0].items() if all(t.get(k) == v for t in tagged[1:])} if tagged else {}
    if shared:
        joined["tags"] = shared
    for hub, tags in zip(hubs, tagged):
        own = {k: v for k, v in tags.items() if shared.get(k) != v}
        if own:
            hub["tags"] = own
    joined["hubs"] = hubs
    if circuits:
        joined["onPremises"] = list(circuits.values())
    order = ["name", "tags", "asDeployed", "hubs", "onPremises", "branches", "spokes", "testVms"]
    ordered = {k: joined[k] for k in order if joined.get(k)}
    return Imported(ordered, left_out, used)
