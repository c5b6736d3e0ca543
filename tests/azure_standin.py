"""A STAND-IN FOR AZURE, not Azure: the capture a healthy deployment of a compiled template would give.

Nothing here has seen a subscription. It runs the compiled ARM template through gen's own evaluator
(generator/plan/arm.py: parameters, loops, module outputs) and writes each resource the way
`az resource show --ids ID` prints the ARM GET body, with the read-only properties Azure adds:
provisioningState, resourceGuid and etag everywhere; subnets and peerings inline in their VNet (with
the NICs and gateways in a subnet as ipConfigurations); the firewall's private IP; the gateways'
BGP peering addresses; the Route Server's instance IPs; route tables listing their subnets.

Shapes: the GET response examples of Azure/azure-rest-api-specs, specification/network/
resource-manager/Microsoft.Network/stable/2024-05-01/examples (VirtualNetworkGet.json,
VirtualNetworkGatewayGet.json, RouteTableGet.json, AzureFirewallGet.json, VirtualHubGet.json,
FirewallPolicyRuleCollectionGroupGet.json, VirtualNetworkPeeringGet.json, NetworkInterfaceGet.json)
and shared/docs/azure-cli-outputs.md for the BGP and route lists. Values Azure would choose (addresses
of gateway instances, public IPs) are made up in the documentation ranges and said so by their shape.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from pathlib import Path

from generator import capture, routing
from generator.failures import NO_FAILURE, Failures
from generator.model import Topology, VnetBranch
from generator.plan import arm
from generator.plan.expressions import UNKNOWN

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
_PLACEHOLDER_GROUP = f"/resourceGroups/{arm.RESOURCE_GROUP}/"


def _host(prefix: str, offset: int) -> str:
    return str(ipaddress.ip_network(prefix).network_address + offset)


def _guid(*parts: str) -> str:
    digest = hashlib.sha256("/".join(parts).encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def _clean(value):
    """Drop what only Azure knows at deployment time (the evaluator's UNKNOWN), and nulls ARM does not return."""
    if value is UNKNOWN:
        return None
    if isinstance(value, dict):
        cleaned = {k: _clean(v) for k, v in value.items()}
        return {k: v for k, v in cleaned.items() if v is not None}
    if isinstance(value, list):
        return [v for v in (_clean(item) for item in value) if v is not None]
    return value


def _regroup(value, group: str, subscription: str = SUBSCRIPTION):
    """The evaluator's placeholder resource group (and subscription) -> the capture's."""
    text = json.dumps(value).replace(_PLACEHOLDER_GROUP, f"/resourceGroups/{group}/")
    return json.loads(text.replace(f"/subscriptions/{arm.SUBSCRIPTION}/", f"/subscriptions/{subscription}/"))


def template_puts(template: dict, parameters: dict, deployment_name: str, group: str,
                  subscription: str = SUBSCRIPTION) -> list[dict]:
    """What Resource Manager is asked to PUT for each resource of the template, every expression evaluated: the
    body as written (a child resource on its own, `tags` and `zones` only where the template gives them)."""
    scope = arm.load(template, parameters, deployment_name)
    raw: list[dict] = []

    def collect(current: arm.Scope) -> None:
        for instance in current.all_instances():
            if instance.is_module:
                collect(instance.module)
                continue
            body = {
                "id": instance.resource_id,
                "name": instance.name.rsplit("/", 1)[-1],
                "type": instance.type,
                "location": _clean(instance.value(instance.resource.get("location"))),
                "properties": _clean(instance.value(instance.resource.get("properties", {}))) or {},
            }
            for key in ("sku", "zones", "tags"):
                if key in instance.resource:
                    body[key] = _clean(instance.value(instance.resource[key]))
            raw.append(body)

    collect(scope)
    return [_regroup(body, group, subscription) for body in raw]


def deployed_resources(template: dict, parameters: dict, topology: Topology, group: str) -> list[dict]:
    """Every resource of the template as `az resource show` prints it after a healthy deployment."""
    raw = template_puts(template, parameters, topology.name, group)
    for body in raw:
        body.setdefault("tags", {})
    return _as_azure_returns(raw, topology)


def _as_azure_returns(raw: list[dict], t: Topology) -> list[dict]:
    """Add what Azure adds, and fold child resources into the parents ARM returns them in."""
    by_id = {body["id"].lower(): body for body in raw}
    for body in raw:
        body["etag"] = f'W/"{_guid(body["id"])}"'
        body["properties"]["provisioningState"] = "Succeeded"
        body["properties"].setdefault("resourceGuid", _guid("guid", body["id"]))
    vnets = {b["id"].lower(): b for b in raw if b["type"] == "Microsoft.Network/virtualNetworks"}
    kept = []
    for body in raw:
        parent = body["id"].rsplit("/", 2)[0].lower()
        if body["type"] == "Microsoft.Network/virtualNetworks/subnets":
            vnets[parent]["properties"].setdefault("subnets", []).append(_child(body))
            continue
        if body["type"] == "Microsoft.Network/virtualNetworks/virtualNetworkPeerings":
            body["properties"].update(peeringState="Connected", peeringSyncLevel="FullyInSync")
            vnets[parent]["properties"].setdefault("virtualNetworkPeerings", []).append(_child(body))
            continue
        kept.append(body)
    for vnet in vnets.values():
        vnet["properties"].setdefault("subnets", [])
        vnet["properties"].setdefault("virtualNetworkPeerings", [])
    _add_runtime_values(kept, by_id, t)
    return kept


def _child(body: dict) -> dict:
    return {"id": body["id"], "name": body["name"], "etag": body["etag"], "type": body["type"], "properties": body["properties"]}


def _subnets(raw: list[dict]) -> dict[str, dict]:
    return {s["id"].lower(): s for b in raw if b["type"] == "Microsoft.Network/virtualNetworks"
            for s in b["properties"]["subnets"]}


def _add_runtime_values(raw: list[dict], by_id: dict, t: Topology) -> None:
    subnets = _subnets(raw)

    def joined(subnet_id: str, configuration_id: str) -> None:
        subnet = subnets.get(str(subnet_id).lower())
        if subnet is not None:
            subnet["properties"].setdefault("ipConfigurations", []).append({"id": configuration_id})

    for body in raw:
        kind, props = body["type"], body["properties"]
        if kind == "Microsoft.Network/routeTables":
            attached = [s for s in subnets.values() if s["properties"].get("routeTable", {}).get("id", "").lower() == body["id"].lower()]
            props["subnets"] = [{"id": s["id"]} for s in attached]
            for route in props.get("routes", []):
                route["id"] = f"{body['id']}/routes/{route['name']}"
                route["properties"]["provisioningState"] = "Succeeded"
        elif kind == "Microsoft.Network/publicIPAddresses":
            props["ipAddress"] = f"198.51.100.{int(_guid(body['id'])[:2], 16) % 250 + 1}"
        elif kind == "Microsoft.Network/virtualNetworkGateways":
            configurations = props.get("ipConfigurations", [])
            subnet = configurations[0]["properties"]["subnet"]["id"] if configurations else ""
            prefix = subnets.get(subnet.lower(), {}).get("properties", {}).get("addressPrefix", "10.255.0.0/27")
            first = 4 if props.get("gatewayType") == "Vpn" else 12
            addresses = [_host(prefix, first + i) for i in range(len(configurations))]
            for index, configuration in enumerate(configurations):
                configuration["id"] = f"{body['id']}/ipConfigurations/{configuration['name']}"
                configuration["properties"]["privateIPAddress"] = addresses[index]
                joined(configuration["properties"]["subnet"]["id"], configuration["id"])
            if props.get("gatewayType") == "Vpn":
                settings = props.setdefault("bgpSettings", {})
                settings["bgpPeeringAddress"] = ",".join(addresses)
                settings["peerWeight"] = 0
                # The custom APIPA addresses the template sets stay, per IP configuration, beside Azure's defaults.
                custom = {str(p.get("ipconfigurationId", "")).lower(): p.get("customBgpIpAddresses", [])
                          for p in settings.get("bgpPeeringAddresses") or []}
                settings["bgpPeeringAddresses"] = [
                    {"ipconfigurationId": c["id"], "defaultBgpIpAddresses": [address],
                     "customBgpIpAddresses": list(custom.get(c["id"].lower(), [])),
                     "tunnelIpAddresses": ["198.51.100.200"]} for c, address in zip(configurations, addresses)]
        elif kind == "Microsoft.Network/azureFirewalls":
            for configuration in props.get("ipConfigurations", []):
                configuration["id"] = f"{body['id']}/azureFirewallIpConfigurations/{configuration['name']}"
                configuration["properties"]["privateIPAddress"] = t.firewall_private_ip
                joined(configuration["properties"]["subnet"]["id"], configuration["id"])
        elif kind == "Microsoft.Network/virtualHubs":
            subnet_prefix = str(t.hub.vnet.subnet("RouteServerSubnet").prefix)
            props.update(virtualRouterAsn=65515, virtualRouterIps=[_host(subnet_prefix, 4), _host(subnet_prefix, 5)],
                         routingState="Provisioned", ipConfigurations=[{"id": f"{body['id']}/ipConfigurations/ipconfig1"}],
                         bgpConnections=[])
        elif kind == "Microsoft.Network/virtualHubs/ipConfigurations":
            joined(props.get("subnet", {}).get("id", ""), body["id"])
        elif kind == "Microsoft.Network/networkInterfaces":
            for configuration in props.get("ipConfigurations", []):
                configuration["id"] = f"{body['id']}/ipConfigurations/{configuration['name']}"
                subnet = subnets.get(configuration["properties"]["subnet"]["id"].lower(), {})
                configuration["properties"]["privateIPAddress"] = _host(subnet.get("properties", {}).get("addressPrefix", "10.0.0.0/24"), 4)
                joined(configuration["properties"]["subnet"]["id"], configuration["id"])
        elif kind == "Microsoft.Network/firewallPolicies":
            props["ruleCollectionGroups"] = [{"id": b["id"]} for b in raw
                                             if b["type"] == "Microsoft.Network/firewallPolicies/ruleCollectionGroups"
                                             and b["id"].lower().startswith(body["id"].lower() + "/")]
        elif kind == "Microsoft.Network/connections":
            props["connectionStatus"] = "Connected"


def write_capture(root: Path, template: dict, parameters: dict, t: Topology, group: str | None = None,
                  with_routing: bool = True, failed: Failures = NO_FAILURE) -> Path:
    """A whole capture folder: resources/, and (with_routing) what verify also reads, consistent with them; with
    `failed`, as the routing model says the hub looks while those elements are down (their BGP sessions Idle)."""
    group = group or f"rg-{t.name}"
    resources = deployed_resources(template, parameters, t, group)
    settings = [b for b in resources if b["type"] == "Microsoft.Insights/diagnosticSettings"]
    resources = [b for b in resources if b not in settings]
    for firewall in (b for b in resources if b["type"] == "Microsoft.Network/azureFirewalls"):
        path = root / capture.diagnostic_settings_file(firewall["name"])  # gen collect reads them, none or some
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"value": []}))
    for setting in settings:  # an extension resource: az monitor diagnostic-settings list prints it, not az resource list
        firewall = next(b for b in resources if b["type"] == "Microsoft.Network/azureFirewalls")
        path = root / capture.diagnostic_settings_file(firewall["name"])
        path.parent.mkdir(parents=True, exist_ok=True)
        setting_id = f"{firewall['id']}/providers/Microsoft.Insights/diagnosticSettings/{setting['name']}"
        path.write_text(json.dumps({"value": [{"id": setting_id, "name": setting["name"], "type": setting["type"],
                                               "properties": setting["properties"]}]}, indent=2))
    for body in resources:
        path = root / capture.resource_file(body["id"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(body, indent=2))
    if with_routing:
        write_routing(root, t, resources, group, failed)
    return root


def write_routing(root: Path, t: Topology, resources: list[dict], group: str, failed: Failures = NO_FAILURE) -> None:
    """deployment.json, route-server.json and each gateway's BGP sessions, learned and advertised routes: what a
    healthy hub shows (or one where `failed` is down), in the shapes of shared/docs/azure-cli-outputs.md."""
    def write(rel: str, document) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2))

    gateways = {b["name"]: b for b in resources if b["type"] == "Microsoft.Network/virtualNetworkGateways"}
    bgp = {name: g["properties"].get("bgpSettings", {}).get("bgpPeeringAddress", "") for name, g in gateways.items()}
    hub = t.hub
    route_server_ips = []
    for body in resources:
        if body["type"] == "Microsoft.Network/virtualHubs":
            route_server_ips = body["properties"]["virtualRouterIps"]
    outputs = {"hubVirtualNetworkResourceId": {"type": "String", "value": next(
        (b["id"] for b in resources if b["type"] == "Microsoft.Network/virtualNetworks" and b["name"] == hub.vnet.name), "")}}
    if hub.firewall:
        outputs.update(firewallPrivateIpAddress={"type": "String", "value": t.firewall_private_ip},
                       firewallPrivateIpAddressExpected={"type": "String", "value": t.firewall_private_ip},
                       firewallPrivateIpAddressMatches={"type": "Bool", "value": True})
    if hub.vpn_gateway:
        outputs["hubVpnGatewayBgpPeeringAddress"] = {"type": "String", "value": bgp.get(str(hub.vpn_gateway.name), "")}
    if hub.route_server:
        outputs["routeServerIps"] = {"type": "Array", "value": route_server_ips}
    if t.vnet_branches:
        outputs["branchVpnGateways"] = {"type": "Array", "value": [
            {"name": b.name, "publicIpAddresses": ["198.51.100.7"], "bgpPeeringAddress": bgp.get(str(b.vpn_gateway.name), "")}
            for b in t.vnet_branches]}
    write(capture.DEPLOYMENT, {"id": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{group}/providers/Microsoft.Resources/deployments/{t.name}",
                               "name": t.name, "resourceGroup": group,
                               "properties": {"provisioningState": "Succeeded", "outputs": outputs}})
    if hub.route_server:
        write(capture.ROUTE_SERVER, {"allowBranchToBranchTraffic": hub.route_server.branch_to_branch,
                                     "hubRoutingPreference": hub.route_server.hub_routing_preference,
                                     "name": hub.route_server.name, "provisioningState": "Succeeded",
                                     "routingState": "Provisioned", "sku": "Standard", "virtualRouterAsn": 65515,
                                     "virtualRouterIps": route_server_ips})

    def session(local: str, neighbor: str, asn: int) -> dict:
        return {"asn": asn, "connectedDuration": "3.03:14:13.1796961", "localAddress": local, "messagesReceived": 4995,
                "messagesSent": 5157, "neighbor": neighbor, "routesReceived": 18, "state": "Connected"}

    def addresses(name) -> list[str]:
        return [a for a in bgp.get(str(name), "").split(",") if a]

    sessions: dict[str, list] = {}
    edge = "10.255.255.4"  # the circuit's edge router, as the gateway lists it
    if hub.expressroute_gateway:
        er = str(hub.expressroute_gateway.name)
        er_address = _host(str(hub.vnet.subnet("GatewaySubnet").prefix), 12)
        sessions[er] = [session(er_address, ip, 65515) for ip in route_server_ips]
        if t.on_premises:
            sessions[er].append(session(er_address, edge, 12076))
    if hub.vpn_gateway:
        vpn = str(hub.vpn_gateway.name)
        sessions[vpn] = [session(local, ip, 65515) for local in addresses(vpn) for ip in route_server_ips]
        for branch in t.branches:
            if isinstance(branch, VnetBranch):
                remote = addresses(branch.vpn_gateway.name)
                sessions[vpn] += [session(local, r, branch.vpn_gateway.asn) for local in addresses(vpn) for r in remote]
                sessions[str(branch.vpn_gateway.name)] = [session(r, local, 65515) for r in remote for local in addresses(vpn)]
            else:
                custom = [str(a) for a in hub.vpn_gateway.custom_bgp_ip_addresses]
                for device in branch.devices:
                    if device.bgp:  # an APIPA device talks to each instance's custom APIPA address
                        froms = custom if device.apipa else addresses(vpn)
                        sessions[vpn] += [session(local, str(device.bgp_peering_address), device.bgp_asn) for local in froms]
    _take_down(sessions, t, failed, route_server_ips, addresses)
    learned = routing.expected_learned(t, failed)
    advertised = routing.expected_advertised(t, failed)
    on_premises = {str(p) for site in t.on_premises for p in site.advertised_prefixes}
    # A static site's prefixes are the VPN gateway's own routes (its Local Network Gateway's): origin Network.
    static = {str(p) for site in t.site_branches if not site.bgp for p in site.address_prefixes}
    # Who announces each branch prefix to the hub VPN gateway over eBGP: each BGP device of a site (from its own peer
    # address, its AS path its ASN), each VNet branch's gateway.
    announcers: dict[str, list[tuple[str, int]]] = {}
    for branch in t.branches:
        if isinstance(branch, VnetBranch):
            peers = [(a, branch.vpn_gateway.asn) for a in addresses(branch.vpn_gateway.name)[:1]]
        else:
            peers = [(str(d.bgp_peering_address), d.bgp_asn) for d in branch.devices if d.bgp
                     and (branch.name, d.name) not in failed.devices]
        for prefix in branch.advertised_prefixes:
            announcers.setdefault(str(prefix), []).extend(peers)
    for gateway, listed in sessions.items():
        write(capture.bgp_status_file(gateway), {"value": listed})
        local = listed[0]["localAddress"] if listed else ""
        routes = [{"asPath": "", "localAddress": local, "network": str(p), "nextHop": None, "origin": "Network",
                   "sourcePeer": local, "weight": 32768} for p in hub.vnet.address_space]
        hub_vpn = hub.vpn_gateway is not None and gateway == hub.vpn_gateway.name
        for p in learned.get(gateway, []):
            if hub_vpn and p in static:
                routes.append({"asPath": "", "localAddress": local, "network": p, "nextHop": None, "origin": "Network",
                               "sourcePeer": local, "weight": 32768})
            elif hub.expressroute_gateway and gateway == hub.expressroute_gateway.name and p in on_premises:
                # From the circuit: Microsoft's edge (AS 12076) passes on the site's own AS path.
                routes.append({"asPath": "12076-65020", "localAddress": local, "network": p, "nextHop": edge, "origin": "EBgp",
                               "sourcePeer": edge, "weight": 32769})
            elif hub_vpn and announcers.get(p):
                for peer, asn in announcers[p]:
                    routes.append({"asPath": str(asn), "localAddress": local, "network": p, "nextHop": peer, "origin": "EBgp",
                                   "sourcePeer": peer, "weight": 32768})
            else:  # through the Route Server (AS 65515, iBGP) or from the hub's gateway to a branch
                peer = listed[0]["neighbor"]
                routes.append({"asPath": "65110-65515", "localAddress": local, "network": p, "nextHop": peer, "origin": "IBgp",
                               "sourcePeer": peer, "weight": 32768})
        write(capture.learned_routes_file(gateway), {"value": routes})
        peers = advertised.get(gateway, {})
        for entry in listed:
            neighbor = entry["neighbor"]
            if entry["asn"] == 12076:
                prefixes = peers.get("circuits", [])
            else:
                owner = next((peer for peer, _ in peers.items() if peer == neighbor), None)
                owner = owner or next((b.name for b in t.vnet_branches if neighbor in addresses(b.vpn_gateway.name)), None)
                prefixes = peers.get(owner, []) if owner else []
            write(capture.advertised_routes_file(gateway, neighbor), {"value": [
                {"asPath": "65515", "localAddress": entry["localAddress"], "network": p, "nextHop": entry["localAddress"],
                 "origin": "Igp", "sourcePeer": entry["localAddress"], "weight": 0} for p in prefixes]})
    from generator.verify import test_vm_nics

    model_routes = routing.effective_routes(t, failed=failed)
    for nic, hop in test_vm_nics(t):
        table = []
        for entry in model_routes[hop]:
            ip = [t.firewall_private_ip] if entry.next_hop_kind == routing.APPLIANCE else ["13.81.113.28"] if entry.next_hop_kind == routing.GATEWAY else []
            table.append({"addressPrefix": [entry.prefix], "nextHopIpAddress": ip, "nextHopType": entry.next_hop_kind,
                          "source": "User" if entry.origin == "UDR" else "VirtualNetworkGateway" if entry.origin == "BGP" else "Default",
                          "state": "Active" if entry.effective else "Invalid",
                          # The older CLI shape: the propagation flag inside additionalProperties.
                          "additionalProperties": {"disableBgpRoutePropagation": False}})
        write(capture.effective_routes_file(nic), {"nextLink": None, "value": table})


def _take_down(sessions: dict[str, list], t: Topology, failed: Failures, route_server_ips, addresses) -> None:
    """The sessions of what failed as a gateway lists them then: Idle, nothing received."""
    hub = t.hub
    down_neighbors: set[str] = set()
    down_locals: set[str] = set()
    if failed.route_server:
        down_neighbors |= set(route_server_ips)
    if t.on_premises and set(failed.circuits) >= {s.name for s in t.on_premises}:
        down_neighbors.add("10.255.255.4")  # the one edge router the stand-in lists for all circuits
    for branch in t.branches:
        if branch.name in failed.branches:
            if isinstance(branch, VnetBranch):
                down_neighbors |= set(addresses(branch.vpn_gateway.name))
                for entry in sessions.get(str(branch.vpn_gateway.name), []):
                    entry.update(state="Idle", routesReceived=0, connectedDuration=None)
            else:
                down_neighbors |= {str(d.bgp_peering_address) for d in branch.devices if d.bgp}
    for site, device in failed.devices:
        branch = next(b for b in t.site_branches if b.name == site)
        down_neighbors |= {str(d.bgp_peering_address) for d in branch.devices if d.name == device and d.bgp}
    if hub.vpn_gateway:
        instances = addresses(hub.vpn_gateway.name)
        down_locals |= {instances[i] for i in failed.vpn_instances if i < len(instances)}
    for gateway, listed in sessions.items():
        hub_vpn = hub.vpn_gateway is not None and gateway == str(hub.vpn_gateway.name)
        for entry in listed:
            lost_instance = (hub_vpn and entry["localAddress"] in down_locals) or entry["neighbor"] in down_locals
            if entry["neighbor"] in down_neighbors or lost_instance:
                entry.update(state="Idle", routesReceived=0, connectedDuration=None)


def write_hubs_capture(root: Path, fleet, compiled: dict) -> Path:
    """A capture of several hubs: one folder per hub (each as write_capture writes one hub), and the peerings
    deployment's peerings inline in each hub VNet, Connected (both sides exist once both are deployed).
    `compiled`: folder name -> an object with `template` and `parameter_values` (each hub's and "peerings")."""
    for region in fleet.regions:
        c = compiled[region.name]
        write_capture(root / region.name, c.template, c.parameter_values, region.topology,
                      group=str(region.topology.scope.resource_group))
    c = compiled["peerings"]
    for body in template_puts(c.template, c.parameter_values, "peerings", str(fleet.regions[0].topology.scope.resource_group)):
        vnet_id = body["id"].rsplit("/", 2)[0]
        region = next(r for r in fleet.regions if vnet_id.lower().endswith(f"/{str(r.topology.hub.vnet.name).lower()}"))
        path = root / region.name / capture.resource_file(vnet_id)
        vnet = json.loads(path.read_text())
        body["properties"].update(peeringState="Connected", peeringSyncLevel="FullyInSync", provisioningState="Succeeded",
                                  resourceGuid=_guid("guid", body["id"]))
        vnet["properties"]["virtualNetworkPeerings"].append({"id": body["id"], "name": body["name"], "etag": f'W/"{_guid(body["id"])}"',
                                                             "type": body["type"], "properties": body["properties"]})
        path.write_text(json.dumps(vnet, indent=2))
    return root
