"""A capture folder read once, into typed objects: the one reader that verify, import and diff --live ask.

The folder is what `gen collect`'s script writes (README "After deploying"); any tool may write it:

    CAPTURE/
      capture.json                                   what wrote it: {"collector": "gen collect", "version": 2, ...}
      deployment.json                                az deployment group show
      route-server.json                              az network routeserver show
      gateways/<gateway>/bgp-peer-status.json        az network vnet-gateway list-bgp-peer-status
      gateways/<gateway>/learned-routes.json         az network vnet-gateway list-learned-routes
      gateways/<gateway>/advertised-routes/<ip>.json az network vnet-gateway list-advertised-routes --peer <ip>
      nics/<nic>/effective-routes.json               az network nic show-effective-route-table
      diagnostic-settings/<firewall>.json            az monitor diagnostic-settings list --resource <firewall id>
      resources/<subscription>/<group>/<provider>/<type>/<name>[/<child type>/<child name>].json
                                                     az resource show --ids <id> (public IPs and firewalls:
                                                     az rest GET of the Network provider, which keeps zones)

Every reader accepts the shapes Azure CLI versions have printed (shared/docs/azure-cli-outputs.md):
`{"value": [...]}` or a bare list, `disableBgpRoutePropagation` at the top or inside
`additionalProperties`, Route Server route dictionaries keyed by instance. Anything else is a
CaptureError naming the file and what it expected (exit 2): a file that is not a regular file,
lies outside the folder, is too large or too deeply nested, holds `null`, or has a value of the
wrong type where gen reads it. A file that is simply absent is "missing": the checks that need
it say so.
"""

from __future__ import annotations

import ipaddress

import json
import os
import stat
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

DEPLOYMENT = "deployment.json"
INFO = "capture.json"
# What `gen collect` records in capture.json: version 2 reads public IPs and firewalls with the Network provider's own
# GET, which returns their zones (the generic resources API behind az resource show drops them: azure-rest-api-specs#24859).
COLLECTOR_VERSION = 2
ROUTE_SERVER = "route-server.json"
RESOURCES = "resources"
MAX_FILE_BYTES = 50 * 1024 * 1024  # a learned-routes file of a gateway at its 4,000-prefix limit is a few MB


def bgp_status_file(gateway: str) -> str:
    return f"gateways/{gateway}/bgp-peer-status.json"


def learned_routes_file(gateway: str) -> str:
    return f"gateways/{gateway}/learned-routes.json"


def advertised_routes_dir(gateway: str) -> str:
    return f"gateways/{gateway}/advertised-routes"


def advertised_routes_file(gateway: str, peer: str) -> str:
    return f"{advertised_routes_dir(gateway)}/{peer}.json"


def effective_routes_file(nic: str) -> str:
    return f"nics/{nic}/effective-routes.json"


def diagnostic_settings_file(resource: str) -> str:
    return f"diagnostic-settings/{resource}.json"


def resource_file(resource_id: str, with_subscription: bool = True) -> str:
    """Where a resource's `az resource show` JSON lives: resources/<subscription>/<group>/<provider>/<type>/<name>.json,
    its ID without `subscriptions/`, `resourceGroups/` and `providers/`. Captures written before several subscriptions
    were read leave the subscription out (`with_subscription=False`); the reader accepts both."""
    text = str(resource_id)
    lowered = text.lower()
    if "/resourcegroups/" not in lowered:
        return f"{RESOURCES}/{text.strip('/').replace('/providers/', '/')}.json"
    start = lowered.index("/resourcegroups/")
    tail = text[start + len("/resourceGroups/"):]
    subscription = text[:start].rstrip("/").rsplit("/", 1)[-1]
    tail = tail.replace("/providers/", "/")
    return f"{RESOURCES}/{subscription}/{tail}.json" if with_subscription and subscription else f"{RESOURCES}/{tail}.json"


def id_part(resource_id, segment: str) -> str:
    """The value after a segment of a resource ID (`resourcegroups`, `subscriptions`, `virtualnetworks`), any case."""
    parts = str(resource_id or "").split("/")
    lowered = [p.lower() for p in parts]
    return parts[lowered.index(segment) + 1] if segment in lowered[:-1] else ""


class CaptureError(Exception):
    """A capture that cannot be read as what `gen collect` writes; the message names the file and what it expected."""


# --- what the files hold -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deployment:
    provisioning_state: str | None
    outputs: dict  # name -> value
    error: str = ""  # the deployment's error message, when it failed
    resource_group: str = ""


@dataclass(frozen=True)
class RouteServerState:
    branch_to_branch: bool | None
    ips: tuple[str, ...]
    asn: int | None
    provisioning_state: str | None
    routing_state: str | None


@dataclass(frozen=True)
class BgpSession:
    neighbor: str
    state: str
    asn: int | None
    local_address: str | None
    routes_received: int | None


@dataclass(frozen=True)
class GatewayRoute:
    """A learned or advertised route of a gateway."""

    network: str
    origin: str | None
    next_hop: str | None
    as_path: str | None
    local_address: str | None
    source_peer: str | None


@dataclass(frozen=True)
class EffectiveRoute:
    prefixes: tuple[str, ...]
    next_hop_type: str
    next_hop_ips: tuple[str, ...]
    source: str | None
    state: str


@dataclass(frozen=True)
class DiagnosticSetting:
    name: str
    workspace_id: str | None
    categories: tuple[str, ...]  # the enabled log categories
    dedicated: bool  # resource-specific tables (logAnalyticsDestinationType Dedicated)
    metrics: bool = False  # a metric category enabled
    category_groups: tuple[str, ...] = ()  # the enabled category groups (allLogs, audit): not categories


@dataclass(frozen=True)
class Resource:
    """One Azure resource as `az resource show --ids` prints it (the ARM GET body)."""

    id: str
    type: str
    name: str
    location: str | None
    properties: dict
    file: str
    sku: dict = field(default_factory=dict)
    zones: tuple[str, ...] = ()
    tags: dict = field(default_factory=dict)

    @property
    def resource_group(self) -> str:
        return id_part(self.id, "resourcegroups")

    @property
    def subscription(self) -> str:
        return id_part(self.id, "subscriptions")

    @property
    def key(self) -> str:
        """What identifies it: its resource ID, in lower case (Azure compares IDs without case)."""
        return self.id.lower()

    def prop(self, *path, default=None):
        """A nested property (`prop("addressSpace", "addressPrefixes")`), or `default` when any step is absent."""
        node = self.properties
        for step in path:
            if isinstance(node, dict) and step in node:
                node = node[step]
            elif isinstance(node, list) and isinstance(step, int) and -len(node) <= step < len(node):
                node = node[step]
            else:
                return default
        return node


# --- the reader --------------------------------------------------------------------------------------------


class Capture:
    """A capture folder. Each file is read at most once; `missing` lists the files asked for and absent."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        try:
            info = self.root.stat()
        except (OSError, RuntimeError) as exc:
            raise CaptureError(f"{root}: no such folder ({getattr(exc, 'strerror', None) or exc}); "
                               f"`gen collect` writes the script that fills it") from None
        if not stat.S_ISDIR(info.st_mode):
            raise CaptureError(f"{root}: not a folder; a capture is the folder `gen collect`'s script fills")
        self._real_root = self.root.resolve()
        self.missing: list[str] = []
        self._cache: dict[str, object] = {}

    # -- raw files --

    def _path(self, rel: str) -> Path | None:
        """The file for `rel`, checked: a regular file inside the folder. None when absent."""
        path = self.root / rel
        try:
            info = path.lstat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CaptureError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        if stat.S_ISLNK(info.st_mode):
            try:
                target = path.resolve(strict=True)
            except (OSError, RuntimeError):
                raise CaptureError(f"{path}: a symbolic link that leads nowhere (a loop, or a missing file)") from None
            if not target.is_relative_to(self._real_root):
                raise CaptureError(f"{path}: a symbolic link to {target}, outside the capture; copy the file in instead")
            info = target.stat()
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a pipe or a device?)"
            raise CaptureError(f"{path}: {kind}, where gen collect writes the JSON of an az command")
        if info.st_size > MAX_FILE_BYTES:
            raise CaptureError(f"{path}: {info.st_size:,} bytes; a capture file is at most {MAX_FILE_BYTES:,} bytes")
        return path

    def document(self, rel: str, expected: str):
        """The parsed JSON of `rel` (None when absent, noted as missing). `expected` names the command for messages."""
        if rel in self._cache:
            return self._cache[rel]
        path = self._path(rel)
        if path is None:
            self.missing.append(rel)
            self._cache[rel] = None
            return None
        try:
            with open(path, "rb") as handle:
                text = handle.read(MAX_FILE_BYTES + 1).decode("utf-8-sig")
            document = json.loads(text)
        except RecursionError:
            raise CaptureError(f"{path}: JSON nested too deeply to be the output of {expected}") from None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise CaptureError(f"{path}: not the JSON {expected} writes ({_short(exc)})") from None
        if document is None:
            raise CaptureError(f"{path}: holds null, not the output of {expected}; capture it again")
        _check_text(document, path)
        self._cache[rel] = document
        return document

    # -- typed readers --

    def zones_are_read(self) -> bool:
        """Whether the capture holds the zones of public IPs and firewalls (gen collect version 2 and later); an older
        capture's missing zones say nothing about the resource."""
        document = self.document(INFO, "gen collect")
        if document is None:
            self.missing.remove(INFO)  # optional: its absence says the capture is older
            return False
        version = document.get("version") if isinstance(document, dict) else None
        return isinstance(version, int) and not isinstance(version, bool) and version >= COLLECTOR_VERSION

    def deployment(self) -> Deployment | None:
        document = self.document(DEPLOYMENT, "az deployment group show")
        if document is None:
            return None
        where = self.root / DEPLOYMENT
        body = _object(document, where, "the deployment")
        properties = _object(body.get("properties", {}), where, "properties")
        raw_outputs = _object(properties.get("outputs") or {}, where, "properties.outputs")
        outputs = {}
        for name, entry in raw_outputs.items():
            outputs[name] = _object(entry, where, f"properties.outputs.{name}").get("value")
        error = properties.get("error")
        message = ""
        if isinstance(error, dict):
            message = str(error.get("message") or error.get("code") or "")
        group = body.get("resourceGroup") if isinstance(body.get("resourceGroup"), str) else ""
        return Deployment(_optional_text(properties, "provisioningState", where, "properties"), outputs, message, group)

    def route_server(self) -> RouteServerState | None:
        document = self.document(ROUTE_SERVER, "az network routeserver show")
        if document is None:
            return None
        where = self.root / ROUTE_SERVER
        body = _object(document, where, "the Route Server")
        # `az network routeserver show` is flat; `az resource show` nests the same under properties.
        fields = body.get("properties") if isinstance(body.get("properties"), dict) else body
        ips = fields.get("virtualRouterIps")
        ips = [] if ips is None else ips
        if not isinstance(ips, list) or not all(isinstance(ip, str) for ip in ips):
            raise CaptureError(f"{where}: virtualRouterIps is {_kind(ips)}; expected a list of IP address strings")
        flag = fields.get("allowBranchToBranchTraffic")
        if flag is not None and not isinstance(flag, bool):
            raise CaptureError(f"{where}: allowBranchToBranchTraffic is {_kind(flag)}; expected true or false")
        asn = fields.get("virtualRouterAsn")
        if asn is not None and (not isinstance(asn, int) or isinstance(asn, bool)):
            raise CaptureError(f"{where}: virtualRouterAsn is {_kind(asn)}; expected a number")
        return RouteServerState(flag, tuple(ips), asn, _optional_text(fields, "provisioningState", where),
                                _optional_text(fields, "routingState", where))

    def bgp_sessions(self, gateway: str) -> list[BgpSession] | None:
        rel = bgp_status_file(gateway)
        document = self.document(rel, "az network vnet-gateway list-bgp-peer-status")
        if document is None:
            return None
        where = self.root / rel
        found = []
        for index, entry in enumerate(_entries(document, where)):
            found.append(BgpSession(
                neighbor=_text(entry, "neighbor", where, f"[{index}]"),
                state=_optional_text(entry, "state", where, f"[{index}]") or "Unknown",
                asn=_optional_int(entry, "asn", where, f"[{index}]"),
                local_address=_optional_text(entry, "localAddress", where, f"[{index}]"),
                routes_received=_optional_int(entry, "routesReceived", where, f"[{index}]"),
            ))
        return found

    def learned_routes(self, gateway: str) -> list[GatewayRoute] | None:
        rel = learned_routes_file(gateway)
        return self._routes(rel, "az network vnet-gateway list-learned-routes")

    def advertised_routes(self, gateway: str) -> dict[str, list[GatewayRoute]] | None:
        """Peer address -> what the gateway advertises to it; None when the capture has no advertised routes."""
        folder = self.root / advertised_routes_dir(gateway)
        if not folder.is_dir():
            self.missing.append(advertised_routes_dir(gateway) + "/")
            return None
        found = {}
        for path in sorted(folder.glob("*.json")):
            rel = path.relative_to(self.root).as_posix()
            found[path.stem] = self._routes(rel, "az network vnet-gateway list-advertised-routes") or []
        return found

    def _routes(self, rel: str, command: str) -> list[GatewayRoute] | None:
        document = self.document(rel, command)
        if document is None:
            return None
        where = self.root / rel
        found = []
        for index, entry in enumerate(_entries(document, where)):
            network = _text(entry, "network", where, f"[{index}]")
            try:  # a route of a gateway is to a prefix: anything else is no route verify could judge, and no "as designed"
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise CaptureError(f"{where}: [{index}].network is {network!r}, not an address prefix") from None
            found.append(GatewayRoute(
                network=network,
                origin=_optional_text(entry, "origin", where, f"[{index}]"),
                next_hop=_optional_text(entry, "nextHop", where, f"[{index}]"),
                as_path=_optional_text(entry, "asPath", where, f"[{index}]"),
                local_address=_optional_text(entry, "localAddress", where, f"[{index}]"),
                source_peer=_optional_text(entry, "sourcePeer", where, f"[{index}]"),
            ))
        return found

    def effective_routes(self, nic: str) -> list[EffectiveRoute] | None:
        rel = effective_routes_file(nic)
        document = self.document(rel, "az network nic show-effective-route-table")
        if document is None:
            return None
        where = self.root / rel
        found = []
        for index, entry in enumerate(_entries(document, where)):
            found.append(EffectiveRoute(
                prefixes=_texts(entry, "addressPrefix", where, f"[{index}]"),
                next_hop_type=_optional_text(entry, "nextHopType", where, f"[{index}]") or "None",
                next_hop_ips=_texts(entry, "nextHopIpAddress", where, f"[{index}]"),
                source=_optional_text(entry, "source", where, f"[{index}]"),
                state=_optional_text(entry, "state", where, f"[{index}]") or "Active",
            ))
        return found

    def diagnostic_settings(self, resource: str) -> list[DiagnosticSetting] | None:
        """The diagnostic settings of a resource (`az monitor diagnostic-settings list` prints them flat or under
        `properties`); None when not captured (noted as missing only by callers that need them)."""
        rel = diagnostic_settings_file(resource)
        path = self._path(rel)
        if path is None:
            return None
        document = self.document(rel, "az monitor diagnostic-settings list")
        where = self.root / rel
        found = []
        for index, entry in enumerate(_entries(document, where)):
            fields = entry.get("properties") if isinstance(entry.get("properties"), dict) else entry
            logs = fields.get("logs") or []
            if not isinstance(logs, list):
                raise CaptureError(f"{where}: [{index}].logs is {_kind(logs)}; expected a list")
            enabled = [log for log in logs if isinstance(log, dict) and log.get("enabled")]
            # A log entry names a category or a category group (allLogs): two things a setting writes differently
            # (https://learn.microsoft.com/azure/azure-monitor/essentials/diagnostic-settings).
            categories = tuple(str(log["category"]) for log in enabled if log.get("category"))
            groups = tuple(str(log["categoryGroup"]) for log in enabled if not log.get("category") and log.get("categoryGroup"))
            metrics = fields.get("metrics") or []
            found.append(DiagnosticSetting(_text(entry, "name", where, f"[{index}]"),
                                           _optional_text(fields, "workspaceId", where, f"[{index}]"), categories,
                                           fields.get("logAnalyticsDestinationType") == "Dedicated",
                                           isinstance(metrics, list) and any(isinstance(m, dict) and m.get("enabled") for m in metrics),
                                           groups))
        return found

    @cached_property
    def resources(self) -> dict[str, Resource]:
        """Every resource under resources/, keyed by resource ID in lower case; child names are `parent/child`.
        Several resource groups and subscriptions may hold resources of the same type and name."""
        folder = self.root / RESOURCES
        if not folder.exists():
            return {}
        if not folder.is_dir():
            raise CaptureError(f"{folder}: not a folder; gen collect writes one JSON file per resource into it")
        found: dict[str, Resource] = {}
        for directory, folders, names in os.walk(folder):
            folders.sort()
            for name in sorted(names):
                path = Path(directory) / name
                rel = path.relative_to(self.root).as_posix()
                if not name.endswith(".json"):
                    continue
                resource = self._resource(rel)
                if resource.key in found:
                    raise CaptureError(f"{self.root / rel}: {resource.id} is captured twice (also in {found[resource.key].file})")
                found[resource.key] = resource
        for resource in list(found.values()):
            for child in _inline_children(resource):
                found.setdefault(child.key, child)  # a child captured on its own keeps its own file
        return found

    def by_id(self, resource_id) -> Resource | None:
        return self.resources.get(str(resource_id or "").lower())

    def of_type(self, kind: str) -> list[Resource]:
        """Every resource of a type (any case), by name, then resource group."""
        wanted = kind.lower()
        return sorted((r for r in self.resources.values() if r.type.lower() == wanted),
                      key=lambda r: (r.name.lower(), r.resource_group.lower(), r.subscription.lower()))

    def find(self, kind: str, name: str, near: Resource | str | None = None) -> Resource | None:
        """The resource of a type and name (`parent/child` for a child); with several of that name, the one in the
        resource group (and subscription) of `near` (a resource, or a resource ID), else the first."""
        wanted = str(name or "").lower()
        matches = [r for r in self.of_type(kind) if r.name.lower() == wanted]
        if len(matches) > 1 and near is not None:
            anchor = near.id if isinstance(near, Resource) else str(near)
            group, subscription = id_part(anchor, "resourcegroups").lower(), id_part(anchor, "subscriptions").lower()
            matches.sort(key=lambda r: (r.resource_group.lower() != group, r.subscription.lower() != subscription))
        return matches[0] if matches else None

    def _resource(self, rel: str) -> Resource:
        from .capture_shapes import problems

        document = self.document(rel, "az resource show --ids")
        where = self.root / rel
        body = _object(document, where, "a resource")
        resource_id = _text(body, "id", where)
        kind = _text(body, "type", where)
        wrong = problems(kind, body)
        if wrong:
            raise CaptureError(f"{where}: {wrong[0]}" + (f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""))
        name = _text(body, "name", where)
        expected = resource_file(resource_id)
        if rel.lower() not in (expected.lower(), resource_file(resource_id, with_subscription=False).lower()):
            raise CaptureError(f"{where}: holds {kind} {resource_id.rsplit('/', 1)[-1]} ({resource_id}), not what its path says; "
                               f"gen collect names each file after the resource ID ({expected})")
        id_parts = resource_id.split("/providers/")[-1].split("/")
        if [p.lower() for p in kind.split("/")] != [p.lower() for p in id_parts[:1] + id_parts[1::2]]:
            raise CaptureError(f"{where}: type {kind} does not match its ID {resource_id}: a file of another resource?")
        properties = _object(body.get("properties") or {}, where, "properties")
        sku = body.get("sku") or {}
        zones = body.get("zones") or []
        tags = body.get("tags") or {}
        if not isinstance(sku, dict) or not isinstance(zones, list) or not isinstance(tags, dict):
            raise CaptureError(f"{where}: sku, zones or tags of the wrong type (an object, a list and an object expected)")
        return Resource(resource_id, kind, _child_name(resource_id, name), _optional_text(body, "location", where),
                        properties, rel, sku, tuple(str(z) for z in zones), tags)


# What ARM returns inside its parent: (parent type, property, child type). Checked like any resource.
INLINE_CHILDREN = (
    ("microsoft.network/virtualnetworks", "subnets", "Microsoft.Network/virtualNetworks/subnets"),
    ("microsoft.network/virtualnetworks", "virtualNetworkPeerings", "Microsoft.Network/virtualNetworks/virtualNetworkPeerings"),
)


def _inline_children(parent: Resource) -> list[Resource]:
    found = []
    for parent_type, key, child_type in INLINE_CHILDREN:
        if parent.type.lower() != parent_type:
            continue
        items = parent.properties.get(key) or []
        where = f"{parent.file}: properties.{key}"
        if not isinstance(items, list):
            raise CaptureError(f"{where} is {_kind(items)}; expected a list")
        for index, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise CaptureError(f"{where}[{index}] is not an object with a name")
            properties = item.get("properties") or {}
            if not isinstance(properties, dict):
                raise CaptureError(f"{where}[{index}].properties is {_kind(properties)}; expected an object")
            child_id = item.get("id") if isinstance(item.get("id"), str) else f"{parent.id}/{key}/{item['name']}"
            found.append(Resource(child_id, child_type, f"{parent.name}/{item['name']}", parent.location, properties, parent.file))
    return found


# --- shape checks --------------------------------------------------------------------------------------------


def _child_name(resource_id: str, name: str) -> str:
    """`parent/child` for a child resource (as ARM templates name it), the name for a top-level one."""
    segments = resource_id.split("/providers/")[-1].split("/")[1:]  # type/name/childtype/childname...
    names = segments[1::2]
    return "/".join(names) if len(names) > 1 else name


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 120 else text[:117] + "..."


def _kind(value) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__)


def _object(value, where: Path, what: str) -> dict:
    if not isinstance(value, dict):
        raise CaptureError(f"{where}: {what} is {_kind(value)}; expected an object")
    return value


def _entries(document, where: Path) -> list[dict]:
    """The list of an az output: `{"value": [...]}`, a bare list, or a dictionary of lists keyed by instance."""
    if isinstance(document, dict) and isinstance(document.get("value"), list):
        items = document["value"]
    elif isinstance(document, list):
        items = document
    elif isinstance(document, dict) and document and all(isinstance(v, list) for v in document.values()):
        items = [item for value in document.values() for item in value]
    else:
        raise CaptureError(f"{where}: {_kind(document)} without a list of entries; expected {{\"value\": [...]}} or a list")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise CaptureError(f"{where}: entry [{index}] is {_kind(item)}; expected an object")
    return items


def _text(entry: dict, key: str, where: Path, at: str = "") -> str:
    value = entry.get(key)
    if not isinstance(value, str):
        raise CaptureError(f"{where}: {at}{'.' if at else ''}{key} is {_kind(value)}; expected a string")
    return value


def _optional_text(entry: dict, key: str, where: Path, at: str = "") -> str | None:
    value = entry.get(key)
    if value is not None and not isinstance(value, str):
        raise CaptureError(f"{where}: {at}{'.' if at else ''}{key} is {_kind(value)}; expected a string")
    return value


def _optional_int(entry: dict, key: str, where: Path, at: str = "") -> int | None:
    value = entry.get(key)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        said = f"the negative number {value}" if isinstance(value, int) and not isinstance(value, bool) else _kind(value)
        raise CaptureError(f"{where}: {at}{'.' if at else ''}{key} is {said}; expected a whole number, 0 or more")
    return value


def _texts(entry: dict, key: str, where: Path, at: str = "") -> tuple[str, ...]:
    """A string or a list of strings (az prints both for addressPrefix and nextHopIpAddress); absent: ()."""
    value = entry.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise CaptureError(f"{where}: {at}{'.' if at else ''}{key} is {_kind(value)}; expected a string or a list of strings")


def _check_text(document, where: Path) -> None:
    """Refuse strings that are not valid Unicode (a lone surrogate escape): they cannot be printed or compared."""
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack += list(node.keys()) + list(node.values())
        elif isinstance(node, list):
            stack += node
        elif isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                raise CaptureError(f"{where}: a string that is not valid Unicode ({node[:40]!r})") from None
