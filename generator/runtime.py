"""What Azure chose when it deployed the hub (addresses no spec holds), read from a capture: the deployment's outputs
when gen deployed the hub, else the resources themselves (a hub gen did not deploy has no deployment of gen's, but
its gateway, firewall and Route Server say the same things).

The outputs are named as main.bicep names them: `firewallPrivateIpAddress`, `hubVpnGatewayPublicIpAddresses`,
`hubVpnGatewayBgpPeeringAddress`, `routeServerIps`, `branchVpnGateways`. `gen verify` and `gen device-config` ask
here, never the files.
"""

from __future__ import annotations

from .capture import Capture, Resource
from .model import Topology


def outputs(capture: Capture, t: Topology) -> tuple[dict, str]:
    """(outputs, where they come from). Resources fill what the deployment does not hold (or every output, without
    one), so that a capture of resource groups (`gen collect -g`) is enough."""
    deployment = capture.deployment()
    found = dict(deployment.outputs) if deployment is not None else {}
    read = _from_resources(capture, t)
    source = "the deployment outputs" if deployment is not None else "the captured resources (no deployment of gen's)"
    for key, value in read.items():
        found.setdefault(key, value)
    return found, source


def _find(capture: Capture, kind: str, name, t: Topology) -> Resource | None:
    anchor = f"/subscriptions/{t.scope.subscription_id or 'x'}/resourceGroups/{t.scope.resource_group}/"
    return capture.find(kind, str(name), near=anchor)


def _public_ips(capture: Capture, gateway: Resource) -> list[str | None]:
    found = []
    for configuration in gateway.prop("ipConfigurations", default=[]) or []:
        reference = ((configuration or {}).get("properties") or {}).get("publicIPAddress") if isinstance(configuration, dict) else None
        public_ip = capture.by_id((reference or {}).get("id") if isinstance(reference, dict) else None)
        address = public_ip.prop("ipAddress") if public_ip is not None else None
        found.append(address if isinstance(address, str) else None)
    return found


def _bgp_addresses(gateway: Resource) -> str:
    """The gateway's default BGP addresses, instance by instance, comma-separated (as the output prints them)."""
    address = gateway.prop("bgpSettings", "bgpPeeringAddress")
    return address if isinstance(address, str) else ""


def _from_resources(capture: Capture, t: Topology) -> dict:
    found: dict = {}
    hub = t.hub
    if hub.firewall:
        firewall = _find(capture, "Microsoft.Network/azureFirewalls", hub.firewall.name, t)
        address = firewall.prop("ipConfigurations", 0, "properties", "privateIPAddress") if firewall else None
        if isinstance(address, str):
            found.update(firewallPrivateIpAddress=address, firewallPrivateIpAddressExpected=t.firewall_private_ip,
                         firewallPrivateIpAddressMatches=address == t.firewall_private_ip)
    if hub.vpn_gateway:
        gateway = _find(capture, "Microsoft.Network/virtualNetworkGateways", hub.vpn_gateway.name, t)
        if gateway is not None:
            found["hubVpnGatewayPublicIpAddresses"] = _public_ips(capture, gateway)
            found["hubVpnGatewayBgpPeeringAddress"] = _bgp_addresses(gateway)
    if hub.route_server:
        server = _find(capture, "Microsoft.Network/virtualHubs", hub.route_server.name, t)
        ips = server.prop("virtualRouterIps") if server else None
        if isinstance(ips, list):
            found["routeServerIps"] = [ip for ip in ips if isinstance(ip, str)]
    branches = []
    for branch in t.vnet_branches:
        gateway = _find(capture, "Microsoft.Network/virtualNetworkGateways", branch.vpn_gateway.name, t)
        if gateway is not None:
            branches.append({"name": str(branch.name), "publicIpAddresses": _public_ips(capture, gateway),
                             "bgpPeeringAddress": _bgp_addresses(gateway)})
    if branches:
        found["branchVpnGateways"] = branches
    return found
