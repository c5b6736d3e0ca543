"""The hub VNet, VNet branches and spokes: subnets, DNS servers, where each lives, and the peerings."""

from __future__ import annotations

import re

from ..capture import Resource
from ..live import name_of
from .evidence import GATEWAY, LEFT_ALONE, PEERING, RESET, Evidence, group_of, subscription_of

ITEM_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")


def item_name(text: str, strip: tuple[str, ...] = ()) -> str:
    """A spec item name (lowercase letters, digits, hyphens) from an Azure name: `vnet-shop-paris` -> `shop-paris`."""
    lowered = text.lower()
    stripped = True
    while stripped:  # `hub-ergw-conn-dublin`: the gateway's name, then `conn-`
        stripped = False
        for prefix in strip:
            if lowered.startswith(prefix) and len(lowered) > len(prefix):
                lowered, stripped = lowered[len(prefix):], True
                break
    cleaned = re.sub(r"[^a-z0-9-]+", "-", lowered).strip("-")[:40].strip("-")
    return cleaned or "x"


def unique(name: str, taken: set[str]) -> str:
    """`name`, or `name-2`, `name-3`... when an item of the spec has it already."""
    found, n = name, 2
    while found in taken:
        found = f"{name[:36]}-{n}"
        n += 1
    taken.add(found)
    return found


def vnet(ev: Evidence, resource: Resource) -> dict:
    """A VNet as the spec holds it: every subnet (what others put there too: gen keeps their settings in
    asDeployed, so a redeploy writes them as they are), its DNS servers, `existing`."""
    ev.use(resource)
    subnets = []
    for subnet in ev.subnets(resource):
        short = subnet.name.split("/", 1)[1]
        prefixes = subnet.prop("addressPrefixes") or []
        if not subnet.prop("addressPrefix") and len(prefixes) != 1:
            ev.use(subnet)
            ev.leave(subnet, "the subnet", f"it has {len(prefixes)} address prefixes, the spec one: left out of the spec, the "
                                           f"redeploy leaves it alone (subnets are child resources)", LEFT_ALONE)
            continue
        ev.use(subnet)
        entry = {"name": short, "prefix": str(subnet.prop("addressPrefix") or prefixes[0])}
        nsg = subnet.prop("networkSecurityGroup", "id")
        if nsg:
            entry["networkSecurityGroupId"] = nsg
        subnets.append(entry)
    found = {"name": resource.name, "existing": True,
             "addressSpace": list(resource.prop("addressSpace", "addressPrefixes", default=[]) or [])}
    dns = resource.prop("dhcpOptions", "dnsServers", default=[]) or []
    if dns:
        found["dnsServers"] = [str(d) for d in dns]
    found["subnets"] = subnets
    return found


def scope(resource: Resource, hub: Resource) -> dict:
    """`resourceGroup` and `subscriptionId` of an owner that lives elsewhere than the hub."""
    found = {}
    if group_of(resource).lower() != group_of(hub).lower() or subscription_of(resource).lower() != subscription_of(hub).lower():
        found["resourceGroup"] = group_of(resource)
    if subscription_of(resource).lower() != subscription_of(hub).lower():
        found["subscriptionId"] = subscription_of(resource)
    return found


def spokes(ev: Evidence, hub: Resource, taken: set[str]) -> list[dict]:
    """One spoke per VNet peered with the hub that has no gateway of its own (one with a gateway is a branch)."""
    found = []
    for peering in ev.of_type(PEERING):
        if peering.key.rsplit("/virtualnetworkpeerings/", 1)[0] != hub.key:
            continue
        remote = ev.by_id(peering.prop("remoteVirtualNetwork", "id"))
        if remote is None:
            ev.use(peering)
            ev.leave(peering, "the peering", "its remote VNet is not in the capture (capture its resource group too: gen collect "
                                             "-g <group> -g <group>...)", LEFT_ALONE)
            continue
        if ev.gateways_in(remote):
            continue  # a VNet with its own gateway is a branch, not a spoke
        back = next((p for p in ev.of_type(PEERING) if p.key.rsplit("/virtualnetworkpeerings/", 1)[0] == remote.key
                     and str(p.prop("remoteVirtualNetwork", "id") or "").lower() == hub.key), None)
        ev.use(peering, back)
        entry = {"name": unique(item_name(remote.name, strip=("vnet-",)), taken), **scope(remote, hub), "vnet": vnet(ev, remote)}
        if remote.location and hub.location and remote.location.replace(" ", "").lower() != hub.location.replace(" ", "").lower():
            entry["location"] = remote.location  # a spoke in another region, over global peering
        hub_side, spoke_side = peering.name.split("/", 1)[1], back.name.split("/", 1)[1] if back else ""
        if hub_side != f"{hub.name}-to-{remote.name}":
            entry["hubToSpokePeeringName"] = hub_side
        if back is not None and spoke_side != f"{remote.name}-to-{hub.name}":
            entry["spokeToHubPeeringName"] = spoke_side
        if back is None:
            ev.leave(peering, "the spoke's peering back to the hub", "not in the capture: the redeploy creates it (capture the "
                                                                     "spoke's resource group too)", "created")
        elif not back.prop("useRemoteGateways"):
            ev.leave(back, "useRemoteGateways off", "gen's spokes use the hub's gateways: the redeploy turns it on, and the spoke "
                                                    "learns on-premises and branch routes", RESET)
        found.append(entry)
    return found


def remote_gateway_name(connection: Resource) -> str:
    return name_of(connection.prop("virtualNetworkGateway2", "id"))


def is_gateway(resource: Resource | None) -> bool:
    return resource is not None and resource.type.lower() == GATEWAY
