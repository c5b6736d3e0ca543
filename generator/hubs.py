"""Several hubs: a spec of `hubs` seen as one spec of one hub per region, plus what joins them.

Each hub becomes the spec it would be on its own (its spokes, its branches, the circuits connected to it), built
into today's Topology and checked by today's rules; the other hubs are `remote_hubs` of it (what its firewall
routes to the other firewalls). Findings of a region's rules name the paths of the spec the user wrote
(`hubs[1].vnet`, `spokes[3]`), never the projection's. A spec of one hub is the one-region case.

Design and sources: docs/multi-region.md and docs/multi-region-sources.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from . import model
from .findings import Finding
from .model import RemoteHub, Topology

LISTS = ("onPremises", "branches", "spokes", "testVms")
HUB_FIELDS = ("$comment", "vnet", "expressRouteGateway", "vpnGateway", "routeServer", "firewall")
SHARED_FIELDS = ("tags", "asDeployed", "costAssumptions")  # the spec's, given to every region as they are


def several(data: dict) -> bool:
    """A spec of several hubs (`hubs`), not of one (`hub`)."""
    return "hubs" in data


@dataclass(frozen=True)
class Region:
    """One hub of the spec, as the spec of one hub it would be on its own."""

    name: str  # the hub's name in `hubs`; "" for a spec of one hub
    index: int  # its place in `hubs`
    data: dict  # the projected spec of one hub
    topology: Topology
    paths: dict  # projected entry path -> the spec's: {"spokes[0]": "spokes[2]", "hub": "hubs[1]", ...}

    def spec_path(self, path: str) -> str:
        return translate(path, self.paths)


@dataclass(frozen=True)
class Fleet:
    """Every hub of a spec, each a Topology, and the peerings that join them."""

    name: str
    regions: tuple[Region, ...]

    @property
    def several(self) -> bool:
        return len(self.regions) > 1

    @property
    def topologies(self) -> tuple[Topology, ...]:
        return tuple(r.topology for r in self.regions)

    def region(self, name: str) -> Region:
        return next(r for r in self.regions if r.name == name)

    @property
    def peerings(self) -> tuple["HubPeering", ...]:
        """Both directions of the global VNet peering between every two hubs, in spec order."""
        found = []
        for region in self.regions:
            for remote in region.topology.remote_hubs:
                found.append(HubPeering(region.topology, remote))
        return tuple(found)


@dataclass(frozen=True)
class HubPeering:
    """One direction of a hub-to-hub global VNet peering, in the local hub's resource group.

    allowForwardedTraffic: the firewall forwards spoke traffic over it. No gateway transit and no remote gateways: a
    VNet with its own gateway cannot use a remote one, and "if you have two hub virtual networks that are peered and
    connected to a single circuit, set the Allow Gateway Transit option ... to false to avoid connectivity issues"
    (https://learn.microsoft.com/azure/expressroute/about-fastpath, 03/20/2025;
    https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering, 05/08/2025).
    """

    local: Topology
    remote: RemoteHub

    @property
    def name(self) -> str:
        return f"{self.local.hub.vnet.name}-to-{self.remote.vnet_name}"



# --- the projection -------------------------------------------------------------------------------------------


def _hub_names(entry: dict) -> list[tuple[str, dict]]:
    """The hubs an onPremises/branches/spokes entry connects to, with the connection's own settings."""
    if "connections" in entry:
        return [(c.get("hub"), c) for c in entry["connections"] if isinstance(c, dict)]
    return [(entry["hub"], {})] if "hub" in entry else []


def _project(data: dict, index: int) -> tuple[dict, dict]:
    """The spec of one hub, and the map from its entry paths to the spec's."""
    hub = data["hubs"][index]
    name = hub["name"]
    projected = {"name": f"{data['name']}-{name}"[:40].rstrip("-"), "location": hub["location"],
                 "resourceGroup": hub.get("resourceGroup", f"rg-{data['name']}-{name}"),
                 "hub": {key: hub[key] for key in HUB_FIELDS if key in hub}}
    paths = {"hub": f"hubs[{index}]", "location": f"hubs[{index}].location", "resourceGroup": f"hubs[{index}].resourceGroup",
             "subscriptionId": f"hubs[{index}].subscriptionId", "name": "name"}
    if "subscriptionId" in hub:
        projected["subscriptionId"] = hub["subscriptionId"]
    for key in SHARED_FIELDS:
        if key in data:
            projected[key] = data[key]
    if "tags" in hub:  # the hub's own tags over the spec's
        projected["tags"] = {**data.get("tags", {}), **hub["tags"]}
        paths.update({f"tags.{key}": f"hubs[{index}].tags.{key}" for key in hub["tags"]})
        if not data.get("tags"):
            paths["tags"] = f"hubs[{index}].tags"
    local_vnets = {name}
    for list_name in ("onPremises", "branches", "spokes"):
        kept = []
        for i, entry in enumerate(data.get(list_name, [])):
            for hub_name, connection in _hub_names(entry):
                if hub_name != name:
                    continue
                own = {k: v for k, v in entry.items() if k not in ("hub", "connections")}
                for key in ("routingWeight", "connectionName"):
                    if key in connection:
                        own[key] = connection[key]
                m = entry.get("connections", []).index(connection) if connection else None
                kept.append((own, i, m))
                if list_name != "onPremises":
                    local_vnets.add(entry.get("name"))
        if list_name == "onPremises":
            # The circuit of this region first (highest weight): where several circuits carry one network, the
            # trace leaves and enters through the one Azure prefers.
            kept.sort(key=lambda item: -item[0].get("routingWeight", 0))
        projected[list_name] = [own for own, _, _ in kept]
        for j, (_, i, m) in enumerate(kept):
            paths[f"{list_name}[{j}]"] = f"{list_name}[{i}]"
            if m is not None:
                paths[f"{list_name}[{j}].routingWeight"] = f"{list_name}[{i}].connections[{m}].routingWeight"
                paths[f"{list_name}[{j}].connectionName"] = f"{list_name}[{i}].connections[{m}].connectionName"
    vms = []
    for i, vm in enumerate(data.get("testVms", [])):
        if vm.get("vnet") in local_vnets:
            paths[f"testVms[{len(vms)}]"] = f"testVms[{i}]"
            vms.append({**vm, "vnet": "hub"} if vm.get("vnet") == name else vm)
    projected["testVms"] = vms
    return projected, paths


_ENTRY = re.compile(r"^(hub|location|resourceGroup|subscriptionId|name|(?:onPremises|branches|spokes|testVms)\[\d+\](?:\.routingWeight|\.connectionName)?)(?=$|[.\[])")
_IN_TEXT = re.compile(r"\b(?:(?:onPremises|branches|spokes|testVms)\[\d+\]|hub(?=\.(?:vnet|expressRouteGateway|vpnGateway|routeServer|firewall)\b))")


def translate(path: str, paths: dict) -> str:
    """A projected spec path as the spec's: `spokes[0].vnet` -> `spokes[2].vnet`, `hub.firewall` -> `hubs[1].firewall`."""
    if not paths:
        return path
    if path.startswith("tags"):  # a tag key may hold dots: the whole key, or the tags as a whole
        return next((paths[k] + path[len(k):] for k in sorted(paths, key=len, reverse=True)
                     if k.startswith("tags") and (path == k or path.startswith(k + "."))), path)
    match = _ENTRY.match(path)
    if match is None or match.group(1) not in paths:
        return path
    return paths[match.group(1)] + path[match.end(1):]


def translate_text(text: str, paths: dict) -> str:
    """The paths a message names in its text, as the spec's."""
    if not paths:
        return text
    return _IN_TEXT.sub(lambda m: paths.get(m.group(0), m.group(0)), text)


def translate_finding(finding: Finding, paths: dict) -> Finding:
    return replace(finding, path=translate(finding.path, paths), message=translate_text(finding.message, paths))


# --- building ---------------------------------------------------------------------------------------------------


def _remote(topology: Topology, index: int) -> RemoteHub:
    """A hub as the others see it: its address space, its firewall and what lies behind it."""
    firewall = topology.hub.firewall
    destinations = [(str(spoke.name), str(prefix)) for spoke in topology.spokes for prefix in spoke.vnet.address_space]
    if topology.inspects_hub_subnets:
        destinations += [(str(s.name), str(s.prefix)) for s in topology.hub_workload_subnets]
    return RemoteHub(
        name=topology.hub_name, location=str(topology.location), vnet_name=str(topology.hub.vnet.name), scope=topology.scope,
        address_space=tuple(str(p) for p in topology.hub.vnet.address_space),
        firewall_name=str(firewall.name) if firewall else None, firewall_ip=topology.firewall_private_ip,
        destinations=tuple(dict.fromkeys(destinations)), path=f"hubs[{index}]",
    )


def of_one(data: dict, topology: Topology) -> Fleet:
    """A spec of one hub: the one-region case."""
    return Fleet(str(data["name"]), (Region("", 0, data, topology, {}),))


def _of_hub(topology: Topology, name: str) -> Topology:
    return replace(topology, hub_name=name, on_premises=tuple(replace(s, hub_name=name) for s in topology.on_premises))


def _share_as_deployed(topologies: list[Topology]) -> list[Topology]:
    """Each hub keeps the `asDeployed` entries that name a resource it renders; an entry no hub renders stays with the
    first, whose ASD001 reports it (once, not once per hub)."""
    from .inventory import written, written_for

    owned = []
    for t in topologies:
        renders = written(t)
        owned.append(tuple(e for e in t.as_deployed if written_for(renders, str(e.key)) is not None))
    claimed = {str(e.path) for entries in owned for e in entries}
    orphans = tuple(e for e in topologies[0].as_deployed if str(e.path) not in claimed) if topologies else ()
    return [replace(t, as_deployed=entries + (orphans if i == 0 else ())) for i, (t, entries) in enumerate(zip(topologies, owned))]


def build(data: dict) -> Fleet:
    """The hubs of a schema-valid spec: one region for `hub`, one per entry of `hubs`."""
    if not several(data):
        return of_one(data, model.build(data))
    projected = [_project(data, i) for i in range(len(data["hubs"]))]
    alone = [_of_hub(model.build({k: v for k, v in p.items() if k != "acceptedWarnings"}), data["hubs"][i]["name"])
             for i, (p, _) in enumerate(projected)]
    alone = _share_as_deployed(alone)
    remotes = [_remote(t, i) for i, t in enumerate(alone)]
    regions = tuple(
        Region(data["hubs"][i]["name"], i, p, replace(t, remote_hubs=tuple(r for j, r in enumerate(remotes) if j != i)), paths)
        for i, ((p, paths), t) in enumerate(zip(projected, alone)))
    return Fleet(str(data["name"]), regions)


def pairs(old: Fleet | None, new: Fleet) -> list[tuple[Topology | None, Topology]]:
    """Each hub of `new` with the hub of `old` it was (the same hub VNet name; None: a new hub). A hub `old` has and
    `new` has not is refused: removing a hub is deleting a region, done by hand (gen diff says so)."""
    before = {str(r.topology.hub.vnet.name).lower(): r.topology for r in old.regions} if old else {}
    after = {str(r.topology.hub.vnet.name).lower() for r in new.regions}
    gone = sorted(name for name in before if name not in after)
    if gone:
        raise ValueError(f"the hub(s) of {', '.join(gone)} are gone from the new spec: gen diff compares hubs that stay or "
                         f"come; removing a hub is removing its resource group, by hand")
    return [(before.get(str(r.topology.hub.vnet.name).lower()), r.topology) for r in new.regions]


__all__ = ["Fleet", "Region", "HubPeering", "build", "several", "translate", "translate_finding", "pairs", "of_one"]
