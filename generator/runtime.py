"""What Azure chose when it deployed the hub (addresses no spec holds), read from a capture: the deployment's outputs
when gen deployed the hub, else the resources themselves (a hub gen did not deploy has no deployment of gen's, but
its gateway, firewall and Route Server say the same things).

The outputs are named as main.bicep names them: `firewallPrivateIpAddress`, `hubVpnGatewayPublicIpAddresses`,
`hubVpnGatewayBgpPeeringAddress`, `routeServerIps`, `branchVpnGateways`. `gen verify` and `gen device-config` ask
here, never the files.
"""

from __future__ import annotations

import ipaddress

from .capture import DEPLOYMENT, Capture, CaptureError, Resource
from .model import Topology

# The outputs that hold addresses, and their shape: one address, a list of them (null where Azure has none yet),
# or the gateway's comma-separated BGP addresses. Each reaches device configurations and az commands, so each is
# checked here, where it enters.
ADDRESS, ADDRESSES, COMMA_SEPARATED = "address", "addresses", "comma-separated"
ADDRESS_OUTPUTS = {"firewallPrivateIpAddress": ADDRESS, "hubVpnGatewayPublicIpAddresses": ADDRESSES,
                   "hubVpnGatewayBgpPeeringAddress": COMMA_SEPARATED, "routeServerIps": ADDRESSES}


def outputs(capture: Capture, t: Topology) -> tuple[dict, str]:
    """(outputs, where they come from). Resources fill what the deployment does not hold (or every output, without
    one), so that a capture of resource groups (`gen collect -g`) is enough. An address that is not one is refused
    (CaptureError, exit 2) with the output that holds it."""
    deployment = capture.deployment()
    found = dict(deployment.outputs) if deployment is not None else {}
    if deployment is not None:
        _check_addresses(found, capture.root / DEPLOYMENT)
    read = _from_resources(capture, t)
    source = "the deployment outputs" if deployment is not None else "the captured resources (no deployment of gen's)"
    for key, value in read.items():
        found.setdefault(key, value)
    return found, source


def _check_addresses(found: dict, where) -> None:
    for key, shape in ADDRESS_OUTPUTS.items():
        if key in found:
            _check(found[key], shape, f"{where}: output {key}")
    for index, branch in enumerate(found.get("branchVpnGateways") or []):
        if isinstance(branch, dict):
            _check(branch.get("publicIpAddresses"), ADDRESSES, f"{where}: output branchVpnGateways[{index}].publicIpAddresses")
            _check(branch.get("bgpPeeringAddress"), COMMA_SEPARATED, f"{where}: output branchVpnGateways[{index}].bgpPeeringAddress")


def _check(value, shape: str, where: str) -> None:
    if value is None:
        return
    if shape == ADDRESSES:
        if not isinstance(value, list):
            raise CaptureError(f"{where} is {type(value).__name__}, a list of addresses expected")
        for index, item in enumerate(value):
            _check(item, ADDRESS, f"{where}[{index}]")
    elif shape == COMMA_SEPARATED:
        if not isinstance(value, str):
            raise CaptureError(f"{where} is {type(value).__name__}, the gateway's comma-separated BGP addresses expected")
        for part in filter(None, (p.strip() for p in value.split(","))):
            _check(part, ADDRESS, where)
    else:
        try:
            ipaddress.IPv4Address(value if isinstance(value, str) else "")
        except ValueError:
            raise CaptureError(f"{where} is {value!r}, not an IPv4 address") from None


def _find(capture: Capture, kind: str, name, t: Topology) -> Resource | None:
    anchor = f"/subscriptions/{t.scope.subscription_id or 'x'}/resourceGroups/{t.scope.resource_group}/"
    return capture.find(kind, str(name), near=anchor)


def _public_ips(capture: Capture, gateway: Resource) -> list[str | None]:
    found = []
    for configuration in gateway.prop("ipConfigurations", default=[]) or []:
        reference = ((configuration or {}).get("properties") or {}).get("publicIPAddress") if isinstance(configuration, dict) else None
        public_ip = capture.by_id((reference or {}).get("id") if isinstance(reference, dict) else None)
        address = public_ip.prop("ipAddress") if public_ip is not None else None
        if isinstance(address, str):
            _check(address, ADDRESS, f"{capture.root / public_ip.file}: ipAddress")
        found.append(address if isinstance(address, str) else None)
    return found


def _bgp_addresses(gateway: Resource) -> str:
    """The gateway's default BGP addresses, instance by instance, comma-separated (as the output prints them)."""
    address = gateway.prop("bgpSettings", "bgpPeeringAddress")
    if isinstance(address, str):
        _check(address, COMMA_SEPARATED, f"{gateway.file}: bgpSettings.bgpPeeringAddress")
    return address if isinstance(address, str) else ""


def _from_resources(capture: Capture, t: Topology) -> dict:
    found: dict = {}
    hub = t.hub
    if hub.firewall:
        firewall = _find(capture, "Microsoft.Network/azureFirewalls", hub.firewall.name, t)
        address = firewall.prop("ipConfigurations", 0, "properties", "privateIPAddress") if firewall else None
        if isinstance(address, str):
            _check(address, ADDRESS, f"{firewall.file}: ipConfigurations[0].properties.privateIPAddress")
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
            _check(found["routeServerIps"], ADDRESSES, f"{server.file}: virtualRouterIps")
    branches = []
    for branch in t.vnet_branches:
        gateway = _find(capture, "Microsoft.Network/virtualNetworkGateways", branch.vpn_gateway.name, t)
        if gateway is not None:
            branches.append({"name": str(branch.name), "publicIpAddresses": _public_ips(capture, gateway),
                             "bgpPeeringAddress": _bgp_addresses(gateway)})
    if branches:
        found["branchVpnGateways"] = branches
    return found
