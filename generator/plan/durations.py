"""How long Azure typically takes to create each kind of resource, and where that figure comes from.

A row with a source quotes Microsoft Learn; a row without one is an estimate, and every plan
says so next to it. The figures are what a first deployment takes; a redeploy of an unchanged
resource is usually much faster.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Typical:
    minutes: float
    source: str  # a Microsoft Learn page, or "" for an estimate
    basis: str  # what the source says, or why the estimate

    @property
    def estimated(self) -> bool:
        return not self.source


VPN_GATEWAY = Typical(45, "https://learn.microsoft.com/azure/vpn-gateway/tutorial-create-gateway-portal",
                      "\"A gateway can take 45 minutes or more to fully create and deploy.\"")
EXPRESSROUTE_GATEWAY = Typical(45, "https://learn.microsoft.com/azure/expressroute/expressroute-howto-add-gateway-portal-resource-manager",
                               "\"Creating virtual network gateway can take up to 45 minutes to complete.\"")
ROUTE_SERVER = Typical(30, "https://learn.microsoft.com/azure/route-server/quickstart-create-route-server-portal",
                       "\"The deployment of the Route Server can take up to 30 minutes.\" (its IP configuration)")
FIREWALL = Typical(10, "", "Learn says only \"a few minutes\" (firewall/management-nic): estimated 10")
CONNECTION = Typical(3, "", "Learn says \"the connection is established after a few minutes\" "
                            "(vpn-gateway/vpn-gateway-bgp-resource-manager-ps): estimated 3")
VIRTUAL_MACHINE = Typical(3, "", "not documented: estimated 3 minutes for a small Linux VM")
SMALL = Typical(0.5, "", "not documented: estimated 30 seconds")
POLICY = Typical(1, "", "not documented: estimated 1 minute")

BY_TYPE = {
    "microsoft.network/virtualhubs": Typical(1, "", "the hub resource itself; its IP configuration is the long part: estimated 1"),
    "microsoft.network/virtualhubs/ipconfigurations": ROUTE_SERVER,
    "microsoft.network/azurefirewalls": FIREWALL,
    "microsoft.network/connections": CONNECTION,
    "microsoft.network/firewallpolicies": POLICY,
    "microsoft.network/firewallpolicies/rulecollectiongroups": POLICY,
    "microsoft.compute/virtualmachines": VIRTUAL_MACHINE,
}


def typical(resource_type: str, properties: dict | None = None) -> Typical:
    """The typical creation time of one resource; gateways depend on their gatewayType."""
    kind = resource_type.lower()
    if kind == "microsoft.network/virtualnetworkgateways":
        gateway_type = str((properties or {}).get("gatewayType", "")).lower()
        return EXPRESSROUTE_GATEWAY if gateway_type == "expressroute" else VPN_GATEWAY
    return BY_TYPE.get(kind, SMALL)
