"""A capture seen as a hub: which resources live where and connect to what, matched by resource ID.

Every importer step asks this one object; it also keeps the books of the import: which captured resources the
spec describes (`use`), and what it leaves out, with why and what a redeploy does to it (`leave`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..capture import Capture, GatewayRoute, Resource, id_part

VNET = "microsoft.network/virtualnetworks"
SUBNET = "microsoft.network/virtualnetworks/subnets"
PEERING = "microsoft.network/virtualnetworks/virtualnetworkpeerings"
GATEWAY = "microsoft.network/virtualnetworkgateways"
CONNECTION = "microsoft.network/connections"
LOCAL_GATEWAY = "microsoft.network/localnetworkgateways"
ROUTE_TABLE = "microsoft.network/routetables"
HUB = "microsoft.network/virtualhubs"
HUB_IP_CONFIGURATION = "microsoft.network/virtualhubs/ipconfigurations"
FIREWALL = "microsoft.network/azurefirewalls"
POLICY = "microsoft.network/firewallpolicies"
RULES = "microsoft.network/firewallpolicies/rulecollectiongroups"
PUBLIC_IP = "microsoft.network/publicipaddresses"
WORKSPACE = "microsoft.operationalinsights/workspaces"
LEFT_ALONE, RESET, CREATED_BESIDE = "left alone", "reset", "created beside it"
ASSUMED = "nothing changes, but the spec rests on an assumption: check it"


class ImportFailure(Exception):
    """The capture holds no hub gen can describe; the message says what is missing (exit 2)."""


@dataclass(frozen=True)
class LeftOut:
    resource: str  # "routeTables rt-shared-custom", "virtualNetworkGateways vpngw-weu"
    what: str  # the resource itself, or the property left out
    why: str
    redeploy: str  # LEFT_ALONE, RESET, CREATED_BESIDE, or a gen diff action with its downtime

    def as_json(self) -> dict:
        return {"resource": self.resource, "what": self.what, "why": self.why, "redeploy": self.redeploy}


def label(resource: Resource) -> str:
    return f"{resource.type.split('/', 1)[-1]} {resource.name}"


def vnet_id_of(subnet_id) -> str:
    """The VNet ID of a subnet ID (…/virtualNetworks/<vnet>/subnets/<subnet>), in lower case; "" for anything else."""
    text = str(subnet_id or "")
    lowered = text.lower()
    marker = lowered.find("/subnets/")
    return lowered[:marker] if marker > 0 and "/virtualnetworks/" in lowered else ""


class Evidence:
    def __init__(self, capture: Capture):
        self.capture = capture
        self.used: set[str] = set()
        self.left_out: list[LeftOut] = []

    # --- lookups ---------------------------------------------------------------------------------------

    def of_type(self, kind: str) -> list[Resource]:
        return self.capture.of_type(kind)

    def by_id(self, resource_id) -> Resource | None:
        return self.capture.by_id(resource_id)

    def use(self, *resources: Resource | None) -> None:
        for resource in resources:
            if resource is not None:
                self.used.add(resource.key)

    def leave(self, resource: Resource | str, what: str, why: str, redeploy: str) -> None:
        item = LeftOut(resource if isinstance(resource, str) else label(resource), what, why, redeploy)
        if item not in self.left_out:
            self.left_out.append(item)

    def subnets(self, vnet: Resource) -> list[Resource]:
        """A VNet's subnets, in the order Azure lists them."""
        found = []
        for entry in vnet.prop("subnets", default=[]) or []:
            if isinstance(entry, dict):
                subnet = self.by_id(entry.get("id")) or self.capture.find("Microsoft.Network/virtualNetworks/subnets",
                                                                           f"{vnet.name}/{entry.get('name')}", vnet)
                if subnet is not None:
                    found.append(subnet)
        return found

    def vnet_of(self, subnet_id) -> Resource | None:
        return self.by_id(vnet_id_of(subnet_id))

    def lives_in(self, resource: Resource, vnet: Resource, key: str = "ipConfigurations") -> bool:
        """Whether a gateway's or firewall's first IP configuration is in a subnet of `vnet`."""
        return vnet_id_of(resource.prop(key, 0, "properties", "subnet", "id")) == vnet.key

    def gateways_in(self, vnet: Resource) -> list[Resource]:
        return [g for g in self.of_type(GATEWAY) if self.lives_in(g, vnet)]

    def gateway_vnet(self, gateway: Resource) -> Resource | None:
        return self.vnet_of(gateway.prop("ipConfigurations", 0, "properties", "subnet", "id"))

    def connections_of(self, gateway: Resource | None, kind: str) -> list[Resource]:
        """The connections whose first gateway is `gateway`, of one connectionType (ExpressRoute, IPsec, Vnet2Vnet)."""
        if gateway is None:
            return []
        return [c for c in self.of_type(CONNECTION) if str(c.prop("connectionType")).lower() == kind.lower()
                and str(c.prop("virtualNetworkGateway1", "id") or "").lower() == gateway.key]

    def table_of(self, subnet: Resource) -> Resource | None:
        return self.by_id(subnet.prop("routeTable", "id"))

    def learned(self, gateway: Resource | None) -> list[GatewayRoute]:
        return (self.capture.learned_routes(gateway.name) or []) if gateway is not None else []

    def route_server_of(self, vnet: Resource) -> tuple[Resource | None, Resource | None]:
        """The Route Server in a VNet and its IP configuration (a child resource)."""
        for route_server in self.of_type(HUB):
            for entry in route_server.prop("ipConfigurations", default=[]) or []:
                configuration = self.by_id((entry or {}).get("id")) if isinstance(entry, dict) else None
                if configuration is not None and vnet_id_of(configuration.prop("subnet", "id")) == vnet.key:
                    return route_server, configuration
        return None, None

    def find_hub(self) -> Resource:
        """The VNet whose subnets hold the hub: the Route Server, the ExpressRoute gateway and the firewall count most
        (a branch VNet holds a VPN gateway too)."""
        scores: dict[str, int] = {}

        def score(vnet_id: str, points: int) -> None:
            if vnet_id:
                scores[vnet_id] = scores.get(vnet_id, 0) + points

        for gateway in self.of_type(GATEWAY):
            score(vnet_id_of(gateway.prop("ipConfigurations", 0, "properties", "subnet", "id")),
                  4 if str(gateway.prop("gatewayType")).lower() == "expressroute" else 1)
        for configuration in self.of_type(HUB_IP_CONFIGURATION):
            score(vnet_id_of(configuration.prop("subnet", "id")), 8)
        for firewall in self.of_type(FIREWALL):
            score(vnet_id_of(firewall.prop("ipConfigurations", 0, "properties", "subnet", "id")), 2)
        candidates = [v for v in self.of_type(VNET) if v.key in scores]
        if not candidates:
            raise ImportFailure(f"{self.capture.root}: no hub here: no captured VNet holds a VPN or ExpressRoute gateway, a Route "
                                f"Server or a firewall (gen collect --resource-group RG captures a resource group)")
        return max(candidates, key=lambda v: (scores[v.key], v.name.lower()))

    def public_ip(self, reference) -> Resource | None:
        """The public IP an IP configuration's `publicIPAddress` names."""
        return self.by_id((reference or {}).get("id") if isinstance(reference, dict) else None)


def group_of(resource: Resource | str) -> str:
    return id_part(resource.id if isinstance(resource, Resource) else resource, "resourcegroups")


def subscription_of(resource: Resource | str) -> str:
    return id_part(resource.id if isinstance(resource, Resource) else resource, "subscriptions")
