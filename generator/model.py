"""The topology as typed, frozen objects, with every value the templates need already decided.

`build(data)` takes a schema-valid spec and never fails on a valid one: address
problems (bad CIDRs, missing subnets) leave derived values as None and the rules
report them. Templates stay declarative because names, routes and ordering are
decided here.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, replace

ROUTE_SERVER_ASN = 65515

GATEWAY_SUBNET = "GatewaySubnet"
ROUTE_SERVER_SUBNET = "RouteServerSubnet"
FIREWALL_SUBNET = "AzureFirewallSubnet"
FIREWALL_MANAGEMENT_SUBNET = "AzureFirewallManagementSubnet"
SPECIAL_SUBNETS = (GATEWAY_SUBNET, ROUTE_SERVER_SUBNET, FIREWALL_SUBNET, FIREWALL_MANAGEMENT_SUBNET)

SSH_KEY_ENV = "TEST_VM_SSH_PUBLIC_KEY"
MISSING_ER_GATEWAY, MISSING_VPN_GATEWAY = "ergw", "vpngw"  # placeholders in derived names


def parse_network(text: str) -> ipaddress.IPv4Network | None:
    """A canonical IPv4 prefix, or None for anything else (the rules explain why)."""
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError:
        return None
    return network if isinstance(network, ipaddress.IPv4Network) and "/" in text else None


def env_suffix(name: str) -> str:
    """`shop-paris` -> `SHOP_PARIS`: the suffix of environment variables derived from spec names."""
    return re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_")


@dataclass(frozen=True)
class Subnet:
    name: str
    prefix: str

    @property
    def network(self):
        return parse_network(self.prefix)


@dataclass(frozen=True)
class VirtualNetwork:
    name: str
    address_space: tuple[str, ...]
    subnets: tuple[Subnet, ...]

    def subnet(self, name: str) -> Subnet | None:
        return next((s for s in self.subnets if s.name == name), None)

    @property
    def networks(self) -> tuple:
        return tuple(n for n in (parse_network(p) for p in self.address_space) if n)


@dataclass(frozen=True)
class VpnGateway:
    name: str
    sku: str
    asn: int
    active_active: bool

    @property
    def generation(self) -> str:
        # VpnGw1(AZ) and Basic exist only in Generation1; the larger SKUs run faster as Generation2.
        return "Generation1" if self.sku in ("Basic", "VpnGw1", "VpnGw1AZ") else "Generation2"

    @property
    def public_ip_names(self) -> tuple[str, ...]:
        return (f"{self.name}-pip1", f"{self.name}-pip2") if self.active_active else (f"{self.name}-pip1",)


@dataclass(frozen=True)
class ExpressRouteGateway:
    name: str
    sku: str

    @property
    def public_ip_name(self) -> str:
        return f"{self.name}-pip"


@dataclass(frozen=True)
class RouteServer:
    name: str
    branch_to_branch: bool
    hub_routing_preference: str

    @property
    def public_ip_name(self) -> str:
        return f"{self.name}-pip"


@dataclass(frozen=True)
class NetworkRule:
    name: str
    description: str
    source_addresses: tuple[str, ...]
    destination_addresses: tuple[str, ...]
    destination_ports: tuple[str, ...]
    protocols: tuple[str, ...]


@dataclass(frozen=True)
class Firewall:
    name: str
    tier: str
    inspect_transit: bool
    forced_tunneling: bool
    network_rules: tuple[NetworkRule, ...]

    @property
    def policy_name(self) -> str:
        return f"{self.name}-policy"

    @property
    def public_ip_name(self) -> str:
        return f"{self.name}-pip"

    @property
    def needs_management_ip(self) -> bool:
        # Basic always runs its management traffic on a separate subnet and public IP; forced tunnelling too.
        return self.tier == "Basic" or self.forced_tunneling

    @property
    def management_public_ip_name(self) -> str:
        return f"{self.name}-mgmt-pip"


@dataclass(frozen=True)
class OnPremisesSite:
    name: str
    address_prefixes: tuple[str, ...]
    circuit_id: str
    routing_weight: int
    advertises_default_route: bool
    connection_name: str

    @property
    def secret_env(self) -> str:
        return f"ER_AUTH_KEY_{env_suffix(self.name)}"


@dataclass(frozen=True)
class VnetBranch:
    name: str
    vnet: VirtualNetwork
    vpn_gateway: VpnGateway
    hub_to_branch_connection: str
    branch_to_hub_connection: str

    kind = "vnet"

    @property
    def address_prefixes(self) -> tuple[str, ...]:
        return self.vnet.address_space

    @property
    def secret_env(self) -> str:
        return f"VPN_SHARED_KEY_{env_suffix(self.name)}"


@dataclass(frozen=True)
class SiteBranch:
    name: str
    address_prefixes: tuple[str, ...]
    gateway_ip_address: str | None
    fqdn: str | None
    bgp_asn: int
    bgp_peering_address: str
    local_network_gateway_name: str
    connection_name: str

    kind = "site"

    @property
    def secret_env(self) -> str:
        return f"VPN_SHARED_KEY_{env_suffix(self.name)}"


@dataclass(frozen=True)
class TestVm:
    name: str
    vnet_ref: str  # "hub" or a VNet branch's name
    vnet_name: str | None
    subnet: str
    size: str
    admin_username: str


@dataclass(frozen=True)
class Route:
    """One UDR: `name` is unique in its table, `source` says which spec entry asked for it."""

    name: str
    address_prefix: str
    next_hop_type: str
    next_hop_ip: str | None
    source: str


@dataclass(frozen=True)
class Secret:
    """A value gen never sees: a @secure() parameter filled from an environment variable at deploy time."""

    env: str
    purpose: str
    required: bool


@dataclass(frozen=True)
class Hub:
    vnet: VirtualNetwork
    expressroute_gateway: ExpressRouteGateway | None
    vpn_gateway: VpnGateway | None
    route_server: RouteServer | None
    firewall: Firewall | None


@dataclass(frozen=True)
class Topology:
    name: str
    location: str
    tags: tuple[tuple[str, str], ...]
    hub: Hub
    on_premises: tuple[OnPremisesSite, ...]
    branches: tuple[VnetBranch | SiteBranch, ...]  # in spec order, VNet and site alike
    test_vms: tuple[TestVm, ...]

    # --- derived values -------------------------------------------------------------------------

    @property
    def vnet_branches(self) -> tuple[VnetBranch, ...]:
        return tuple(b for b in self.branches if isinstance(b, VnetBranch))

    @property
    def site_branches(self) -> tuple[SiteBranch, ...]:
        return tuple(b for b in self.branches if isinstance(b, SiteBranch))

    @property
    def firewall_private_ip(self) -> str | None:
        """The firewall's frontend IP: Azure gives it the first usable address (.4) of AzureFirewallSubnet.

        Computed rather than read from the firewall resource: the GatewaySubnet route table lives in
        the same VNet as the firewall, and reading the address would make a VNet -> route table ->
        firewall -> VNet cycle. main.bicep outputs the address the firewall really got next to this one.
        """
        if self.hub.firewall is None:
            return None
        subnet = self.hub.vnet.subnet(FIREWALL_SUBNET)
        network = subnet.network if subnet else None
        if network is None or network.num_addresses < 8:
            return None
        return str(network.network_address + 4)

    @property
    def inspects_transit(self) -> bool:
        return self.hub.firewall is not None and self.hub.firewall.inspect_transit

    @property
    def gateway_subnet_routes(self) -> tuple[Route, ...]:
        """UDRs on GatewaySubnet: every on-premises and every branch prefix -> the firewall.

        Both directions are covered so that the return traffic crosses the same firewall.
        """
        if not self.inspects_transit or self.firewall_private_ip is None:
            return ()
        routes = []
        for index, site in enumerate(self.on_premises):
            for prefix in site.address_prefixes:
                routes.append(self._firewall_route(site.name, prefix, f"onPremises[{index}]"))
        for index, branch in enumerate(self.branches):
            for prefix in branch.address_prefixes:
                routes.append(self._firewall_route(branch.name, prefix, f"branches[{index}]"))
        return tuple(routes)

    def _firewall_route(self, owner: str, prefix: str, source: str) -> Route:
        name = f"{owner}-{prefix.replace('/', '_')}"
        return Route(name, prefix, "VirtualAppliance", self.firewall_private_ip, source)

    @property
    def firewall_subnet_routes(self) -> tuple[Route, ...]:
        """0.0.0.0/0 -> Internet on AzureFirewallSubnet when on-premises advertises a default route.

        The firewall must keep its own Internet path; a learned 0/0 towards ExpressRoute would take it away.
        """
        if self.hub.firewall is None or self.hub.firewall.forced_tunneling:
            return ()
        advertisers = [i for i, s in enumerate(self.on_premises) if s.advertises_default_route]
        if not advertisers:
            return ()
        return (Route("default-to-internet", "0.0.0.0/0", "Internet", None, f"onPremises[{advertisers[0]}]"),)

    @property
    def secrets(self) -> tuple[Secret, ...]:
        found = []
        for site in self.on_premises:
            found.append(Secret(site.secret_env, f"authorization key of circuit for {site.name} (empty when the circuit is in your subscription)", False))
        for branch in self.branches:
            found.append(Secret(branch.secret_env, f"shared key of the VPN connection to {branch.name}", True))
        if self.test_vms:
            found.append(Secret(SSH_KEY_ENV, "SSH public key for the test VMs (not secret, but yours)", True))
        return tuple(found)

    @property
    def components(self) -> tuple[str, ...]:
        """Which module templates this topology uses, in a fixed order."""
        wanted = ["virtual-network"]
        if self.gateway_subnet_routes or self.firewall_subnet_routes:
            wanted.append("route-table")
        if self.hub.expressroute_gateway:
            wanted.append("expressroute-gateway")
        if self.on_premises and self.hub.expressroute_gateway:
            wanted.append("expressroute-connection")
        if self.hub.vpn_gateway or self.vnet_branches:
            wanted.append("vpn-gateway")
        if self.vnet_branches:
            wanted.append("vnet-to-vnet-connection")
        if self.site_branches:
            wanted.append("site-to-site-connection")
        if self.hub.route_server:
            wanted.append("route-server")
        if self.hub.firewall:
            wanted.append("firewall")
        if self.test_vms:
            wanted.append("linux-vm")
        return tuple(wanted)

    def vnet_named(self, ref: str) -> VirtualNetwork | None:
        """The VNet a test VM refers to: `hub` or a VNet branch's name."""
        if ref == "hub":
            return self.hub.vnet
        branch = next((b for b in self.vnet_branches if b.name == ref), None)
        return branch.vnet if branch else None


# --- building the model from a schema-valid spec ---------------------------------------------------


def _vnet(data: dict) -> VirtualNetwork:
    return VirtualNetwork(
        name=data["name"],
        address_space=tuple(data["addressSpace"]),
        subnets=tuple(Subnet(s["name"], s["prefix"]) for s in data["subnets"]),
    )


def _vpn_gateway(data: dict, *, hub: bool) -> VpnGateway:
    return VpnGateway(
        name=data["name"],
        sku=data["sku"],
        asn=data["asn"],
        active_active=data.get("activeActive", hub),
    )


def build(data: dict) -> Topology:
    """Turn a schema-valid spec into a Topology."""
    hub_data = data["hub"]
    er = hub_data.get("expressRouteGateway")
    vpn = hub_data.get("vpnGateway")
    ars = hub_data.get("routeServer")
    fw = hub_data.get("firewall")
    hub = Hub(
        vnet=_vnet(hub_data["vnet"]),
        expressroute_gateway=ExpressRouteGateway(er["name"], er["sku"]) if er else None,
        vpn_gateway=_vpn_gateway(vpn, hub=True) if vpn else None,
        route_server=RouteServer(ars["name"], ars.get("branchToBranch", True), ars.get("hubRoutingPreference", "ExpressRoute")) if ars else None,
        firewall=Firewall(
            name=fw["name"],
            tier=fw["tier"],
            inspect_transit=fw.get("inspectTransit", True),
            forced_tunneling=fw.get("forcedTunneling", False),
            network_rules=tuple(
                NetworkRule(
                    name=r["name"],
                    description=r.get("description", ""),
                    source_addresses=tuple(r["sourceAddresses"]),
                    destination_addresses=tuple(r["destinationAddresses"]),
                    destination_ports=tuple(r["destinationPorts"]),
                    protocols=tuple(r["protocols"]),
                )
                for r in fw.get("networkRules", [])
            ),
        ) if fw else None,
    )
    # Connection names derive from the gateway names; without the gateway the rules refuse the spec anyway.
    er_name = er["name"] if er else MISSING_ER_GATEWAY
    vpn_name = vpn["name"] if vpn else MISSING_VPN_GATEWAY
    on_premises = tuple(
        OnPremisesSite(
            name=s["name"],
            address_prefixes=tuple(s["addressPrefixes"]),
            circuit_id=s["expressRouteCircuitId"],
            routing_weight=s.get("routingWeight", 0),
            advertises_default_route=s.get("advertisesDefaultRoute", False),
            connection_name=f"{er_name}-{s['name']}",
        )
        for s in data.get("onPremises", [])
    )
    branches = []
    for b in data.get("branches", []):
        if b["kind"] == "vnet":
            gateway = _vpn_gateway(b["vpnGateway"], hub=False)
            branches.append(VnetBranch(
                name=b["name"],
                vnet=_vnet(b["vnet"]),
                vpn_gateway=gateway,
                hub_to_branch_connection=f"{vpn_name}-to-{gateway.name}",
                branch_to_hub_connection=f"{gateway.name}-to-{vpn_name}",
            ))
        else:
            branches.append(SiteBranch(
                name=b["name"],
                address_prefixes=tuple(b["addressPrefixes"]),
                gateway_ip_address=b.get("gatewayIpAddress"),
                fqdn=b.get("fqdn"),
                bgp_asn=b["bgp"]["asn"],
                bgp_peering_address=b["bgp"]["peeringAddress"],
                local_network_gateway_name=f"lng-{b['name']}",
                connection_name=f"{vpn_name}-to-{b['name']}",
            ))
    topology = Topology(
        name=data["name"],
        location=data["location"],
        tags=tuple(sorted(data.get("tags", {}).items())),
        hub=hub,
        on_premises=on_premises,
        branches=tuple(branches),
        test_vms=(),
    )
    vms = tuple(
        TestVm(
            name=v["name"],
            vnet_ref=v["vnet"],
            vnet_name=(topology.vnet_named(v["vnet"]).name if topology.vnet_named(v["vnet"]) else None),
            subnet=v["subnet"],
            size=v.get("size", "Standard_B1s"),
            admin_username=v.get("adminUsername", "azureuser"),
        )
        for v in data.get("testVms", [])
    )
    # Test VMs name their VNet by reference ("hub" or a branch), resolved against the topology just built.
    return replace(topology, test_vms=vms)
