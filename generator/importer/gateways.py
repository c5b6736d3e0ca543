"""The gateways and the Route Server of a running hub, with the names of everything hanging off them."""

from __future__ import annotations

from ..capture import Resource
from ..live import in_ip_configuration_order
from .evidence import LEFT_ALONE, RESET, Evidence


def _configurations(gateway: Resource) -> list[dict]:
    return [c for c in gateway.prop("ipConfigurations", default=[]) or [] if isinstance(c, dict)]


def public_ip_names(ev: Evidence, gateway: Resource) -> list[str]:
    """The names of a gateway's public IPs, instance by instance."""
    names = []
    for configuration in _configurations(gateway):
        reference = (configuration.get("properties") or {}).get("publicIPAddress")
        public_ip = ev.public_ip(reference)
        ev.use(public_ip)
        if public_ip is not None:
            names.append(public_ip.name)
        elif isinstance(reference, dict) and reference.get("id"):
            names.append(str(reference["id"]).rsplit("/", 1)[-1])
    return names


def sku(gateway: Resource) -> str:
    return str((gateway.sku or {}).get("name") or gateway.prop("sku", "name") or "")


def expressroute_gateway(ev: Evidence, gateway: Resource) -> dict:
    ev.use(gateway)
    found = {"name": gateway.name, "existing": True, "sku": sku(gateway)}
    names = public_ip_names(ev, gateway)
    if names and names[0] != f"{gateway.name}-pip":
        found["publicIpName"] = names[0]
    if not names:
        ev.leave(gateway, "no public IP", "gen gives an ExpressRoute gateway a public IP: the redeploy adds one (an IP "
                                          "configuration change of a running gateway: assumed refused or disruptive)", RESET)
    configurations = [str(c.get("name")) for c in _configurations(gateway)]
    if configurations and configurations[0] != "ipconfig1":
        found["ipConfigurationName"] = configurations[0]  # the portal's `default`, the az CLI's `vnetGatewayConfig0`
    bounds = gateway.prop("autoScaleConfiguration", "bounds")
    if isinstance(bounds, dict) and isinstance(bounds.get("max"), int):
        found["scaleUnits"] = {"min": bounds.get("min") or bounds["max"], "max": bounds["max"]}
    return found


def vpn_gateway(ev: Evidence, gateway: Resource, hub: bool) -> dict:
    ev.use(gateway)
    active = bool(gateway.prop("activeActive"))
    found = {"name": gateway.name, "existing": True, "sku": sku(gateway), "asn": gateway.prop("bgpSettings", "asn") or 65515}
    if active != hub:
        found["activeActive"] = active
    generation = gateway.prop("vpnGatewayGeneration")
    if generation in ("Generation1", "Generation2"):
        found["generation"] = generation  # what runs, so that a later resize keeps it
    names = public_ip_names(ev, gateway)
    default = [f"{gateway.name}-pip1", f"{gateway.name}-pip2"][:2 if active else 1]
    if names and names != default:
        found["publicIpNames"] = names
    custom = custom_bgp_addresses(ev, gateway)
    if custom and hub:
        found["customBgpIpAddresses"] = custom
    elif custom:
        ev.leave(gateway, "custom APIPA BGP addresses", "the spec holds them on the hub VPN gateway only: the redeploy removes "
                                                        "them from this branch gateway", RESET)
    configurations = [str(c.get("name")) for c in _configurations(gateway)]
    if configurations and configurations != [f"ipconfig{i + 1}" for i in range(len(configurations))]:
        found["ipConfigurationNames"] = configurations  # the portal's `default`, `activeActive`; the CLI's vnetGatewayConfig0
    if gateway.prop("enableBgp") is False:
        ev.leave(gateway, "BGP off", "every connection of gen's design runs BGP: the redeploy turns it on", RESET)
    return found


def custom_bgp_addresses(ev: Evidence, gateway: Resource) -> list[str]:
    """The custom APIPA address of each IP configuration, in their order (the first is instance 0)."""
    found = [list(p.get("customBgpIpAddresses") or []) for p in in_ip_configuration_order(gateway)]
    if not any(found):
        return []
    if any(len(addresses) != 1 for addresses in found):
        ev.leave(gateway, "custom APIPA BGP addresses beyond one per instance", "the spec holds one per instance: the redeploy "
                                                                                "keeps the first of each", RESET)
    return [addresses[0] for addresses in found if addresses]


def route_server(ev: Evidence, hub: Resource) -> dict | None:
    server, configuration = ev.route_server_of(hub)
    if server is None:
        return None
    ev.use(server, configuration)
    found = {"name": server.name, "existing": True}
    if server.prop("allowBranchToBranchTraffic") is False:
        found["branchToBranch"] = False
    preference = server.prop("hubRoutingPreference")
    if preference and preference != "ExpressRoute":
        found["hubRoutingPreference"] = preference
    public_ip = ev.public_ip(configuration.prop("publicIPAddress"))
    ev.use(public_ip)
    if public_ip and public_ip.name != f"{server.name}-pip":
        found["publicIpName"] = public_ip.name
    if configuration.name.split("/")[-1] != "ipconfig1":
        found["ipConfigurationName"] = configuration.name.split("/")[-1]
    for connection in server.prop("bgpConnections", default=[]) or []:
        child = ev.by_id((connection or {}).get("id")) if isinstance(connection, dict) else None
        ev.use(child)
        ev.leave(child.name if child else "virtualHubs/bgpConnections", "an NVA BGP peering of the Route Server",
                 "gen's design has no NVA peering the Route Server: it stays as it is (a child resource gen does not write)",
                 LEFT_ALONE)
    return found
