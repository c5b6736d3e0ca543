"""The topology as typed, frozen objects, with every value the templates need already decided.

`build(data)` takes a schema-valid spec and never fails on a valid one: address
problems (bad CIDRs, missing subnets) leave derived values as None and the rules
report them. Templates stay declarative because names, routes, ordering and which
components exist are decided here, once.

Every object knows its spec path (`branches[2]`), and every string from the spec is a
`SpecString` that knows its own (`branches[2].addressPrefixes[0]`), so a rule can point
at the exact field without rebuilding the path by hand.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, fields, is_dataclass
from functools import cached_property, lru_cache

ROUTE_SERVER_ASN = 65515

GATEWAY_SUBNET = "GatewaySubnet"
ROUTE_SERVER_SUBNET = "RouteServerSubnet"
FIREWALL_SUBNET = "AzureFirewallSubnet"
FIREWALL_MANAGEMENT_SUBNET = "AzureFirewallManagementSubnet"
SPECIAL_SUBNETS = (GATEWAY_SUBNET, ROUTE_SERVER_SUBNET, FIREWALL_SUBNET, FIREWALL_MANAGEMENT_SUBNET)
# Azure Bastion does not take a route table on its subnet: https://learn.microsoft.com/azure/bastion/bastion-faq#udr
NO_ROUTE_TABLE_SUBNETS = ("AzureBastionSubnet",)

# What Azure Firewall does not SNAT by default: IANA RFC 1918 and RFC 6598 (shared address space).
# https://learn.microsoft.com/azure/firewall/snat-private-range
IANA_PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")

SSH_KEY_ENV = "TEST_VM_SSH_PUBLIC_KEY"
# Stand-ins in derived names when the gateway they derive from is missing (GW001/GW002 refuse such a spec).
MISSING_ER_GATEWAY, MISSING_VPN_GATEWAY = "ergw", "vpngw"


class SpecString(str):
    """A string of the spec that remembers where it was written, e.g. `hub.vnet.subnets[2].prefix`."""

    def __new__(cls, value: str, path: str = ""):
        text = super().__new__(cls, value)
        text.path = path
        return text

    def __reduce__(self):
        return SpecString, (str(self), self.path)


@lru_cache(maxsize=8192)
def parse_network(text: str) -> ipaddress.IPv4Network | None:
    """A canonical IPv4 prefix, or None for anything else (the rules explain why).

    Cached: rules and routing ask for the same prefixes many times, and parsing is most of their cost."""
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError:
        return None
    return network if isinstance(network, ipaddress.IPv4Network) and "/" in text else None


@lru_cache(maxsize=8192)
def address_number(text: str) -> int:
    """An IPv4 address as a number (ValueError for anything else); a trace asks for the same few at every hop."""
    return int(ipaddress.IPv4Address(text))


def env_suffix(name: str) -> str:
    """`shop-paris` -> `SHOP_PARIS`: the suffix of environment variables derived from spec names."""
    return re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_")


# --- the objects ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subnet:
    name: SpecString
    prefix: SpecString
    path: str = ""
    nsg_id: SpecString | None = None  # an existing network security group to associate
    route_table_name: SpecString | None = None  # the name of the table gen writes for it, when the spec keeps one

    @property
    def network(self):
        return parse_network(self.prefix)


@dataclass(frozen=True)
class VirtualNetwork:
    name: SpecString
    address_space: tuple[SpecString, ...]
    subnets: tuple[Subnet, ...]
    label: str = ""  # how messages name it: "hub VNet 'vnet-hub'", "branch 'b1' (VNet 'vnet-b1')"
    path: str = ""

    in_azure = True

    def subnet(self, name: str) -> Subnet | None:
        return next((s for s in self.subnets if s.name == name), None)

    @property
    def networks(self) -> tuple:
        return tuple(n for n in (parse_network(p) for p in self.address_space) if n)

    @property
    def address_prefixes(self) -> tuple[SpecString, ...]:
        return self.address_space


GENERATION1_ONLY = ("Basic", "VpnGw1", "VpnGw1AZ")
GENERATION2_ONLY = ("VpnGw4", "VpnGw5", "VpnGw4AZ", "VpnGw5AZ")


def default_generation(sku: str) -> str:
    """The generation gen 0.2 rendered for a SKU (it had no `generation` field): VpnGw1(AZ) and Basic exist only in
    Generation1; the larger SKUs were rendered as Generation2. Kept as the default so that no deployed gateway
    changes generation when gen is upgraded."""
    return "Generation1" if sku in GENERATION1_ONLY else "Generation2"


@dataclass(frozen=True)
class VpnGateway:
    name: SpecString
    sku: SpecString
    asn: int
    active_active: bool
    label: str = ""  # "hub VPN gateway", "branch 'b1' VPN gateway"
    path: str = ""
    pinned_generation: SpecString | None = None  # `generation` as the spec gives it
    kept_public_ip_names: tuple[SpecString, ...] = ()  # `publicIpNames`: the names of existing public IPs
    custom_bgp_ip_addresses: tuple[SpecString, ...] = ()  # APIPA addresses, instance by instance
    kept_ip_configuration_names: tuple[SpecString, ...] = ()  # `ipConfigurationNames`: an existing gateway's

    @property
    def instances(self) -> int:
        return 2 if self.active_active else 1

    @property
    def ip_configuration_names(self) -> tuple[str, ...]:
        """Its IP configurations, instance by instance: what custom APIPA addresses and connections refer to."""
        return self.kept_ip_configuration_names or tuple(f"ipconfig{i + 1}" for i in range(self.instances))

    @property
    def generation(self) -> str:
        return str(self.pinned_generation) if self.pinned_generation else default_generation(self.sku)

    @property
    def public_ip_names(self) -> tuple[str, ...]:
        if self.kept_public_ip_names:
            return self.kept_public_ip_names
        return (f"{self.name}-pip1", f"{self.name}-pip2") if self.active_active else (f"{self.name}-pip1",)


@dataclass(frozen=True)
class ExpressRouteGateway:
    name: SpecString
    sku: SpecString
    label: str = "hub ExpressRoute gateway"
    path: str = ""
    kept_public_ip_name: SpecString | None = None

    @property
    def public_ip_name(self) -> str:
        return self.kept_public_ip_name or f"{self.name}-pip"


@dataclass(frozen=True)
class RouteServer:
    name: SpecString
    branch_to_branch: bool
    hub_routing_preference: str
    path: str = ""
    kept_public_ip_name: SpecString | None = None
    kept_ip_configuration_name: SpecString | None = None

    @property
    def public_ip_name(self) -> str:
        return self.kept_public_ip_name or f"{self.name}-pip"

    @property
    def ip_configuration_name(self) -> str:
        return self.kept_ip_configuration_name or "ipconfig1"


@dataclass(frozen=True)
class NetworkRule:
    name: SpecString
    description: SpecString
    source_addresses: tuple[SpecString, ...]
    destination_addresses: tuple[SpecString, ...]
    destination_ports: tuple[SpecString, ...]
    protocols: tuple[str, ...]
    path: str = ""


@dataclass(frozen=True)
class FirewallDiagnostics:
    """Where the firewall's logs go: an existing Log Analytics workspace, or one gen creates."""

    workspace_resource_id: SpecString | None
    workspace_name: SpecString | None
    retention_days: int
    path: str = ""

    tier: str = "Standard"  # the firewall's: IDPS signatures exist on Premium only

    setting_name = "to-log-analytics"  # the diagnostic setting on the firewall

    @property
    def categories(self) -> tuple[str, ...]:
        """Resource-specific tables (logAnalyticsDestinationType Dedicated) this firewall can fill. Left out: flow
        trace and top flows (they need enabling on the firewall first), the aggregations, DNS queries (DNS proxy is
        off), and IDPS below Premium.
        https://learn.microsoft.com/azure/azure-monitor/reference/supported-logs/microsoft-network-azurefirewalls-logs
        https://learn.microsoft.com/azure/firewall/premium-features"""
        found = ("AZFWNetworkRule", "AZFWApplicationRule", "AZFWNatRule", "AZFWThreatIntel")
        return found + (("AZFWIdpsSignature",) if self.tier == "Premium" else ())


@dataclass(frozen=True)
class Firewall:
    name: SpecString
    tier: str
    inspect_transit: bool
    forced_tunneling: bool
    network_rules: tuple[NetworkRule, ...]
    inspect_hub_subnets: bool = False
    diagnostics: FirewallDiagnostics | None = None
    path: str = ""
    named_policy: SpecString | None = None  # `policyName` as the spec gives it
    kept_public_ip_name: SpecString | None = None
    kept_management_public_ip_name: SpecString | None = None
    kept_rule_group_name: SpecString | None = None

    @property
    def rule_group_name(self) -> str:
        """The rule collection group that holds the network rules."""
        return self.kept_rule_group_name or "network-rules"

    @property
    def policy_name(self) -> str:
        return str(self.named_policy) if self.named_policy else f"{self.name}-policy"

    @property
    def public_ip_name(self) -> str:
        return self.kept_public_ip_name or f"{self.name}-pip"

    @property
    def needs_management_ip(self) -> bool:
        # Basic always runs its management traffic on a separate subnet and public IP; forced tunnelling too.
        return self.tier == "Basic" or self.forced_tunneling

    @property
    def management_public_ip_name(self) -> str:
        return self.kept_management_public_ip_name or f"{self.name}-mgmt-pip"


@dataclass(frozen=True)
class OnPremisesSite:
    name: SpecString
    address_prefixes: tuple[SpecString, ...]
    circuit_id: SpecString
    routing_weight: int
    advertises_default_route: bool
    connection_name: str
    advertised: tuple[SpecString, ...] = ()  # advertisedPrefixes, when the spec gives them
    fast_path: bool = False
    path: str = ""

    in_azure = False

    @property
    def label(self) -> str:
        return f"on-premises site '{self.name}'"

    @property
    def advertised_prefixes(self) -> tuple[SpecString, ...]:
        """What its routers announce over BGP; the UDRs use address_prefixes."""
        return self.advertised or self.address_prefixes

    @property
    def secret_env(self) -> str:
        return f"ER_AUTH_KEY_{env_suffix(self.name)}"


class _AzureNetwork:
    """An Azure VNet joined through the hub (a VNet branch, a spoke): its addresses are its address space, and
    that is what BGP carries for it (its own VPN gateway, or the hub's gateways for a peered VNet that uses them)."""

    in_azure = True

    @property
    def address_prefixes(self) -> tuple[SpecString, ...]:
        return self.vnet.address_space

    @property
    def advertised_prefixes(self) -> tuple[SpecString, ...]:
        return self.vnet.address_space


@dataclass(frozen=True)
class VnetBranch(_AzureNetwork):
    name: SpecString
    vnet: VirtualNetwork
    vpn_gateway: VpnGateway
    hub_to_branch_connection: str
    branch_to_hub_connection: str
    path: str = ""
    location: SpecString | None = None  # its own region, when not the hub's

    kind = "vnet"

    @property
    def label(self) -> str:
        return f"branch '{self.name}'"

    @property
    def secret_env(self) -> str:
        return f"VPN_SHARED_KEY_{env_suffix(self.name)}"


APIPA_AZURE_RANGE = (ipaddress.IPv4Address("169.254.21.0"), ipaddress.IPv4Address("169.254.22.255"))


def is_apipa(address) -> bool:
    """A link-local (APIPA, 169.254.0.0/16) BGP address: Azure peers with it only from a custom APIPA address."""
    try:
        return ipaddress.IPv4Address(str(address)).is_link_local
    except ValueError:
        return False


@dataclass(frozen=True)
class SiteDevice:
    """One VPN device of a site: its own Local Network Gateway and connection to the hub VPN gateway."""

    name: SpecString
    gateway_ip_address: SpecString | None
    fqdn: SpecString | None
    bgp_asn: int | None  # None: a static connection (no BGP)
    bgp_peering_address: SpecString | None
    local_network_gateway_name: str
    connection_name: str
    path: str = ""

    @property
    def bgp(self) -> bool:
        return self.bgp_asn is not None

    @property
    def apipa(self) -> bool:
        return self.bgp and is_apipa(self.bgp_peering_address)

    @property
    def endpoint(self) -> SpecString | None:
        return self.gateway_ip_address or self.fqdn


@dataclass(frozen=True)
class IpsecPolicy:
    """A custom IPsec/IKE policy: Azure offers and accepts only this combination on the connection."""

    ike_encryption: str
    ike_integrity: str
    dh_group: str
    ipsec_encryption: str
    ipsec_integrity: str
    pfs_group: str
    sa_lifetime_seconds: int
    sa_data_size_kilobytes: int
    path: str = ""

    @property
    def ike_gcm(self) -> bool:
        return self.ike_encryption.startswith("GCM")

    @property
    def esp_gcm(self) -> bool:
        return self.ipsec_encryption.startswith("GCM")

    def as_arm(self) -> dict:
        """The `ipsecPolicies[0]` entry of the connection, in ARM's property names."""
        return {"saLifeTimeSeconds": self.sa_lifetime_seconds, "saDataSizeKilobytes": self.sa_data_size_kilobytes,
                "ipsecEncryption": self.ipsec_encryption, "ipsecIntegrity": self.ipsec_integrity,
                "ikeEncryption": self.ike_encryption, "ikeIntegrity": self.ike_integrity,
                "dhGroup": self.dh_group, "pfsGroup": self.pfs_group}


@dataclass(frozen=True)
class SiteConnection:
    """What the spec sets on a site's connection(s); None: Azure's default, and the Bicep leaves it out."""

    ipsec_policy: IpsecPolicy | None = None
    policy_based_traffic_selectors: bool | None = None
    dpd_timeout_seconds: int | None = None
    connection_mode: str | None = None
    path: str = ""


@dataclass(frozen=True)
class SiteBranch:
    name: SpecString
    address_prefixes: tuple[SpecString, ...]
    devices: tuple[SiteDevice, ...]  # one for a site without `devices`
    connection: SiteConnection = SiteConnection()
    advertised: tuple[SpecString, ...] = ()  # advertisedPrefixes, when the spec gives them
    path: str = ""
    multi_device: bool = False  # the spec lists `devices`

    kind = "site"

    @property
    def advertised_prefixes(self) -> tuple[SpecString, ...]:
        """What its VPN device announces over BGP; the UDRs and the Local Network Gateway use address_prefixes."""
        return self.advertised or self.address_prefixes
    in_azure = False

    @property
    def bgp(self) -> bool:
        """Every device peers over BGP (a static site has one device and no BGP)."""
        return all(d.bgp for d in self.devices)

    @property
    def bgp_asns(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(d.bgp_asn for d in self.devices if d.bgp_asn is not None))

    @property
    def label(self) -> str:
        return f"site '{self.name}'"

    @property
    def secret_env(self) -> str:
        return f"VPN_SHARED_KEY_{env_suffix(self.name)}"


@dataclass(frozen=True)
class Spoke(_AzureNetwork):
    """A workload VNet peered with the hub: it uses the hub's gateways, and its subnets send on-premises and
    branch prefixes to the firewall."""

    name: SpecString
    vnet: VirtualNetwork
    internet_through_firewall: bool
    propagate_gateway_routes: bool
    hub_to_spoke_peering: str
    spoke_to_hub_peering: str
    path: str = ""
    route_table_name: str = ""

    @property
    def label(self) -> str:
        return f"spoke '{self.name}'"

    @property
    def route_table_subnets(self) -> tuple[str, ...]:
        """The subnets its route table goes on: every one Azure lets take a route table."""
        return tuple(str(s.name) for s in self.vnet.subnets if s.name not in NO_ROUTE_TABLE_SUBNETS)


@dataclass(frozen=True)
class TestVm:
    name: SpecString
    vnet_ref: SpecString  # "hub" or a VNet branch's name
    vnet_name: str | None  # the VNet it resolves to; None when the reference is unknown (NAME010)
    subnet: SpecString
    size: SpecString
    admin_username: SpecString
    path: str = ""


@dataclass(frozen=True)
class Route:
    """One UDR: `name` is unique in its table, `source` is the spec path of the entry that asked for it."""

    name: str
    address_prefix: str
    next_hop_type: str
    next_hop_ip: str | None
    source: str


@dataclass(frozen=True)
class RouteTable:
    """A route table gen writes, and the subnet it is associated with: a hub subnet, or "*" for every subnet of a spoke."""

    name: str
    subnet: str
    routes: tuple[Route, ...]
    propagate_gateway_routes: bool = True
    vnet: str = ""  # a spoke's VNet, for subnet "*"
    vnet_has_exempt: bool = False  # that VNet has a subnet that takes no route table (NO_ROUTE_TABLE_SUBNETS)

    @property
    def placement(self) -> str:
        """Where it applies, for people: "`GatewaySubnet`" or "every subnet of `vnet-spoke-app`"."""
        if self.subnet != "*":
            return f"`{self.subnet}`"
        return f"every subnet of `{self.vnet}`" + (f" but {', '.join(NO_ROUTE_TABLE_SUBNETS)}" if self.vnet_has_exempt else "")


@dataclass(frozen=True)
class Secret:
    """A value gen never sees: a @secure() parameter filled from an environment variable at deploy time."""

    env: str
    purpose: str
    required: bool


@dataclass(frozen=True)
class Permission:
    """A right the deployer needs: the built-in role that grants it, where, and for what in this design."""

    role: str
    scope: str
    needed_for: str
    link: str


ROLES_LINK = "https://learn.microsoft.com/azure/role-based-access-control/built-in-roles"


@dataclass(frozen=True)
class DerivedName:
    """A resource name gen makes up from spec names: the path of the name it derives from, and those names."""

    path: str
    name: str
    resource_type: str  # "public IP", "route table", "connection", "firewall policy", ...
    sources: tuple[str, ...]


@dataclass(frozen=True)
class AcceptedWarning:
    """A warning the spec accepts deliberately: (rule id, spec path) with the reason a reviewer reads."""

    rule: SpecString
    finding_path: SpecString
    reason: SpecString
    path: str = ""


@dataclass(frozen=True)
class Hub:
    vnet: VirtualNetwork
    expressroute_gateway: ExpressRouteGateway | None
    vpn_gateway: VpnGateway | None
    route_server: RouteServer | None
    firewall: Firewall | None
    path: str = "hub"


# Component names: what the design contains. render maps each to its module file(s).
COMPONENTS = (
    "virtual-network", "route-table", "expressroute-gateway", "expressroute-connection", "vpn-gateway",
    "vnet-to-vnet-connection", "site-to-site-connection", "route-server", "firewall", "firewall-diagnostics", "vnet-peering",
    "linux-vm",
)


@dataclass(frozen=True)
class Topology:
    name: str
    location: SpecString
    tags: tuple[tuple[str, str], ...]
    hub: Hub
    on_premises: tuple[OnPremisesSite, ...]
    branches: tuple[VnetBranch | SiteBranch, ...]  # in spec order, VNet and site alike
    test_vms: tuple[TestVm, ...]
    accepted_warnings: tuple[AcceptedWarning, ...] = ()
    spokes: tuple[Spoke, ...] = ()

    # --- walking: every object with its spec path ---------------------------------------------------

    def walk(self):
        """Every model object that came from the spec, depth first in spec order."""
        yield from _walk(self)

    def each(self, kind: type) -> tuple:
        """Every object of one class, in spec order: `topology.each(VirtualNetwork)`."""
        return tuple(node for node in self.walk() if isinstance(node, kind))

    # --- what the design contains ------------------------------------------------------------------

    @property
    def vnet_branches(self) -> tuple[VnetBranch, ...]:
        return tuple(b for b in self.branches if isinstance(b, VnetBranch))

    @property
    def site_branches(self) -> tuple[SiteBranch, ...]:
        return tuple(b for b in self.branches if isinstance(b, SiteBranch))

    @property
    def site_devices(self) -> tuple[tuple[SiteBranch, SiteDevice], ...]:
        """Every VPN device of every site: each is one Local Network Gateway and one connection."""
        return tuple((site, device) for site in self.site_branches for device in site.devices)

    @property
    def vnets(self) -> tuple[VirtualNetwork, ...]:
        """The hub VNet first, then each VNet branch's, then each spoke's."""
        return (self.hub.vnet,) + tuple(b.vnet for b in self.vnet_branches) + tuple(s.vnet for s in self.spokes)

    @property
    def vpn_gateways(self) -> tuple[VpnGateway, ...]:
        """The hub VPN gateway (if any), then each VNet branch's."""
        hub = (self.hub.vpn_gateway,) if self.hub.vpn_gateway else ()
        return hub + tuple(b.vpn_gateway for b in self.vnet_branches)

    @property
    def address_owners(self) -> tuple:
        """Everything that owns addresses joined through the hub: the hub VNet, each branch, each on-premises site.

        Each has `label`, `in_azure` and `address_prefixes` (SpecStrings).
        """
        return (self.hub.vnet,) + self.branches + self.spokes + self.on_premises

    @property
    def has_expressroute_connections(self) -> bool:
        return bool(self.on_premises and self.hub.expressroute_gateway)

    @property
    def exchanges_routes(self) -> bool:
        """ExpressRoute and VPN learn each other's routes: Route Server with branch-to-branch and both gateways.

        Seed: with branch-to-branch disabled, on-premises never learns the branch prefixes;
        the gateways do not exchange routes directly.
        """
        hub = self.hub
        return bool(hub.route_server and hub.route_server.branch_to_branch and hub.expressroute_gateway and hub.vpn_gateway)

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
    def hub_workload_subnets(self) -> tuple[Subnet, ...]:
        """The hub's own subnets for workloads (test VMs, shared services): not a gateway, Route Server or firewall subnet."""
        return tuple(s for s in self.hub.vnet.subnets if s.name not in SPECIAL_SUBNETS + NO_ROUTE_TABLE_SUBNETS)

    @property
    def inspects_hub_subnets(self) -> bool:
        return self.inspects_transit and self.hub.firewall.inspect_hub_subnets and bool(self.hub_workload_subnets)

    def _table_name(self, subnet_name: str) -> str:
        """The route table gen writes for a hub subnet: the name the spec keeps, or `<hub VNet>-<subnet>-rt`."""
        subnet = self.hub.vnet.subnet(subnet_name)
        return (subnet.route_table_name if subnet and subnet.route_table_name else None) or f"{self.hub.vnet.name}-{subnet_name}-rt"

    def _firewall_routes(self, owners) -> tuple[Route, ...]:
        """One UDR per distinct prefix to the firewall; a prefix two owners share (one site over two circuits) once."""
        routes = {}
        for owner in owners:
            for prefix in owner.address_prefixes:
                routes.setdefault(str(prefix), Route(f"{owner.name}-{prefix.replace('/', '_')}", prefix, "VirtualAppliance",
                                                     self.firewall_private_ip, owner.path))
        return tuple(routes.values())

    @property
    def gateway_route_table(self) -> RouteTable | None:
        """GatewaySubnet's route table: every on-premises and every branch prefix -> the firewall, and with
        inspectHubSubnets every hub workload subnet too.

        Both directions are covered so that the return traffic crosses the same firewall.
        """
        if not self.inspects_transit or self.firewall_private_ip is None:
            return None
        hub_subnets = self.hub_workload_subnets if self.inspects_hub_subnets else ()
        routes = self._firewall_routes(self.on_premises + self.branches + self.spokes) + tuple(
            Route(f"{s.name}-{s.prefix.replace('/', '_')}", s.prefix, "VirtualAppliance", self.firewall_private_ip, s.path)
            for s in hub_subnets
        )
        return RouteTable(self._table_name(GATEWAY_SUBNET), GATEWAY_SUBNET, routes)

    @property
    def hub_subnet_route_tables(self) -> tuple[RouteTable, ...]:
        """With inspectHubSubnets: each hub workload subnet sends on-premises and branch prefixes to the firewall.

        Gateway route propagation is off there, so that a more specific prefix a site advertises cannot skip the
        firewall (the pattern of the firewall hybrid tutorial: https://learn.microsoft.com/azure/firewall/tutorial-hybrid-portal).
        """
        if not self.inspects_hub_subnets or self.firewall_private_ip is None:
            return ()
        routes = self._firewall_routes(self.on_premises + self.branches)
        return tuple(RouteTable(self._table_name(s.name), s.name, routes, propagate_gateway_routes=False)
                     for s in self.hub_workload_subnets)

    @property
    def gateway_subnet_routes(self) -> tuple[Route, ...]:
        table = self.gateway_route_table
        return table.routes if table else ()

    @property
    def firewall_route_table(self) -> RouteTable | None:
        """0.0.0.0/0 -> Internet on AzureFirewallSubnet when on-premises advertises a default route.

        The firewall must keep its own Internet path; a learned 0/0 towards ExpressRoute would take it away.
        """
        if self.hub.firewall is None or self.hub.firewall.forced_tunneling:
            return None
        advertiser = next((s for s in self.on_premises if s.advertises_default_route), None)
        if advertiser is None:
            return None
        route = Route("default-to-internet", "0.0.0.0/0", "Internet", None, advertiser.path)
        return RouteTable(self._table_name(FIREWALL_SUBNET), FIREWALL_SUBNET, (route,))

    @property
    def firewall_subnet_routes(self) -> tuple[Route, ...]:
        table = self.firewall_route_table
        return table.routes if table else ()

    @property
    def firewall_management_route_table(self) -> RouteTable | None:
        """AzureFirewallManagementSubnet's route table: only 0.0.0.0/0 -> Internet, gateway routes not propagated.

        Azure associates a system route table with this subnet, and a VNet redeploy whose inline subnet names no
        route table may drop such an association (subnets are rewritten as the template lists them). Learn allows
        a customer route table there if it holds just the default route to the Internet with propagation off, so
        gen writes that one and every redeploy writes it again.
        https://learn.microsoft.com/azure/firewall/management-nic
        """
        if self.hub.firewall is None or not self.hub.firewall.needs_management_ip:
            return None
        route = Route("default-to-internet", "0.0.0.0/0", "Internet", None, self.hub.firewall.path)
        return RouteTable(self._table_name(FIREWALL_MANAGEMENT_SUBNET), FIREWALL_MANAGEMENT_SUBNET, (route,),
                          propagate_gateway_routes=False)

    @property
    def route_tables(self) -> tuple[RouteTable, ...]:
        tables = (self.gateway_route_table, self.firewall_route_table, self.firewall_management_route_table)
        return tuple(t for t in tables if t) + self.hub_subnet_route_tables

    @property
    def spoke_route_tables(self) -> tuple[RouteTable, ...]:
        """One route table per spoke, on every subnet of it: on-premises and branch prefixes (and with
        internetThroughFirewall 0.0.0.0/0) to the firewall, gateway routes not propagated unless the spec says so.
        https://learn.microsoft.com/azure/firewall/tutorial-hybrid-portal"""
        if not self.inspects_transit or self.firewall_private_ip is None:
            return ()
        transit = self._firewall_routes(self.on_premises + self.branches)
        tables = []
        for spoke in self.spokes:
            internet = (Route("default-to-firewall", "0.0.0.0/0", "VirtualAppliance", self.firewall_private_ip, spoke.path),) \
                if spoke.internet_through_firewall else ()
            tables.append(RouteTable(spoke.route_table_name, "*", transit + internet, spoke.propagate_gateway_routes,
                                     vnet=str(spoke.vnet.name),
                                     vnet_has_exempt=len(spoke.route_table_subnets) < len(spoke.vnet.subnets)))
        return tuple(tables)

    @cached_property  # every trace through the firewall asks (SNAT): computed once per design
    def public_address_prefixes(self) -> tuple[SpecString, ...]:
        """On-premises and branch prefixes outside IANA's private ranges: Azure Firewall would SNAT traffic to them."""
        private = [parse_network(r) for r in IANA_PRIVATE_RANGES]
        found = []
        for owner in self.on_premises + self.branches:
            for prefix in owner.address_prefixes:
                network = parse_network(prefix)
                if network is not None and network.prefixlen > 0 and not any(network.subnet_of(p) for p in private):
                    found.append(prefix)
        return tuple(dict.fromkeys(found))

    @cached_property
    def snat_private_ranges(self) -> tuple[str, ...]:
        """The firewall policy's SNAT private ranges: IANA's, plus every public-range prefix of a site or branch,
        so that transit keeps its source address both ways. https://learn.microsoft.com/azure/firewall/snat-private-range"""
        return IANA_PRIVATE_RANGES + tuple(str(p) for p in self.public_address_prefixes)

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
        """What the design contains, in the fixed order of COMPONENTS."""
        present = {
            "virtual-network": True,
            "route-table": bool(self.route_tables or self.spoke_route_tables),
            "expressroute-gateway": bool(self.hub.expressroute_gateway),
            "expressroute-connection": self.has_expressroute_connections,
            "vpn-gateway": bool(self.vpn_gateways),
            "vnet-to-vnet-connection": bool(self.vnet_branches),
            "vnet-peering": bool(self.spokes),
            "firewall-diagnostics": bool(self.hub.firewall and self.hub.firewall.diagnostics),
            "site-to-site-connection": bool(self.site_branches),
            "route-server": bool(self.hub.route_server),
            "firewall": bool(self.hub.firewall),
            "linux-vm": bool(self.test_vms),
        }
        return tuple(c for c in COMPONENTS if present[c])

    @property
    def permissions(self) -> tuple[Permission, ...]:
        """What deploying this design needs, component by component (each from Learn's built-in roles and the
        services' permission pages)."""
        group = f"rg-{self.name}"
        found = [Permission("Network Contributor", f"resource group {group}",
                            "the VNets, gateways, Route Server, firewall, route tables and connections, and the deployment "
                            "itself (Microsoft.Network/*, Microsoft.Resources/deployments/*)",
                            f"{ROLES_LINK}/networking#network-contributor")]
        if self.test_vms:
            found.append(Permission("Virtual Machine Contributor", f"resource group {group}",
                                    "the test VMs (Network Contributor alone does not create VMs; it grants the NICs' subnet "
                                    "join)", f"{ROLES_LINK}/compute#virtual-machine-contributor"))
        for site in self.on_premises:
            circuit_group = _resource_group_of(site.circuit_id)
            if circuit_group and circuit_group.lower() != group.lower():
                found.append(Permission(
                    "Network Contributor (or a role with Microsoft.Network/expressRouteCircuits/join/action)",
                    f"the circuit of {site.name} (resource group {circuit_group})",
                    f"connecting to it without an authorization key in {site.secret_env}; with a key from the circuit's "
                    f"owner no right on the circuit is needed", "https://learn.microsoft.com/azure/expressroute/roles-permissions"))
        firewall = self.hub.firewall
        if firewall and firewall.diagnostics:
            found.append(Permission("Monitoring Contributor", f"the firewall {firewall.name}", "its diagnostic setting",
                                    f"{ROLES_LINK}/monitor#monitoring-contributor"))
            where = (f"resource group {group}" if firewall.diagnostics.workspace_name else
                     f"the workspace {str(firewall.diagnostics.workspace_resource_id).rsplit('/', 1)[-1]}")
            found.append(Permission("Log Analytics Contributor", where,
                                    "creating the workspace" if firewall.diagnostics.workspace_name else
                                    "sending the firewall's logs to it (assumed enough: Learn names no narrower role)",
                                    f"{ROLES_LINK}/analytics#log-analytics-contributor"))
        for subnet in self.each(Subnet):
            if subnet.nsg_id:
                found.append(Permission("Network Contributor (or Microsoft.Network/networkSecurityGroups/join/action)",
                                        f"the network security group {subnet.nsg_id.rsplit('/', 1)[-1]}",
                                        f"associating it with subnet {subnet.name}",
                                        "https://learn.microsoft.com/azure/virtual-network/manage-network-security-group#permissions"))
        return tuple(dict.fromkeys(found))

    @property
    def derived_names(self) -> tuple[DerivedName, ...]:
        """Every resource name gen makes up from spec names (NAME002, NAME007 and NAME008 check them), and the names a
        spec keeps instead (`publicIpNames`, `connectionName`, ...: SpecStrings, checked like any name, NAME001)."""
        hub, names = self.hub, []

        def add(path: str, name: str, kind: str, sources: tuple) -> None:
            kept = isinstance(name, SpecString) and name.path
            names.append(DerivedName(name.path, name, kind, (name,)) if kept else DerivedName(path, name, kind, sources))

        for table in self.route_tables:
            add(hub.vnet.name.path, table.name, "route table", (hub.vnet.name,))
        for spoke, table in zip(self.spokes, self.spoke_route_tables):
            add(spoke.vnet.name.path, table.name, "route table", (spoke.vnet.name,))
        for spoke in self.spokes:
            for peering in (spoke.hub_to_spoke_peering, spoke.spoke_to_hub_peering):
                add(spoke.vnet.name.path, peering, "peering", (hub.vnet.name, spoke.vnet.name))
        if hub.expressroute_gateway:
            gateway = hub.expressroute_gateway
            add(gateway.name.path, gateway.public_ip_name, "public IP", (gateway.name,))
        for gateway in self.vpn_gateways:
            for ip in gateway.public_ip_names:
                add(gateway.name.path, ip, "public IP", (gateway.name,))
        if hub.route_server:
            ars = hub.route_server
            add(ars.name.path, ars.public_ip_name, "public IP", (ars.name,))
        if hub.firewall:
            fw = hub.firewall
            if not fw.named_policy:
                add(fw.name.path, fw.policy_name, "firewall policy", (fw.name,))
            add(fw.name.path, fw.public_ip_name, "public IP", (fw.name,))
            if fw.needs_management_ip:
                add(fw.name.path, fw.management_public_ip_name, "public IP", (fw.name,))
        er_name, vpn_name = self.gateway_names
        for site in self.on_premises:
            add(site.name.path, site.connection_name, "connection", (er_name, site.name))
        for branch in self.branches:
            if isinstance(branch, VnetBranch):
                gateway = branch.vpn_gateway
                for connection in (branch.hub_to_branch_connection, branch.branch_to_hub_connection):
                    add(gateway.name.path, connection, "connection", (vpn_name, gateway.name))
            else:
                for device in branch.devices:
                    sources = (branch.name, device.name) if branch.multi_device else (branch.name,)
                    where = device.name.path if branch.multi_device else branch.name.path
                    add(where, device.local_network_gateway_name, "Local Network Gateway", sources)
                    add(where, device.connection_name, "connection", (vpn_name, *sources))
        return tuple(names)

    @property
    def gateway_names(self) -> tuple[str, str]:
        return _gateway_names(self.hub)

    def vnet_named(self, ref: str) -> VirtualNetwork | None:
        """The VNet a test VM refers to: `hub`, a VNet branch's name or a spoke's."""
        if ref == "hub":
            return self.hub.vnet
        owner = next((o for o in self.vnet_branches + self.spokes if o.name == ref), None)
        return owner.vnet if owner else None


def _resource_group_of(resource_id: str) -> str | None:
    parts = str(resource_id).split("/")
    lowered = [p.lower() for p in parts]
    return parts[lowered.index("resourcegroups") + 1] if "resourcegroups" in lowered[:-1] else None


def _gateway_names(hub: Hub) -> tuple[str, str]:
    """(ExpressRoute gateway name, hub VPN gateway name) that connection names derive from.

    Without the gateway, GW001/GW002 refuse the spec; a stand-in keeps the derived names readable meanwhile.
    """
    er, vpn = hub.expressroute_gateway, hub.vpn_gateway
    return (er.name if er else MISSING_ER_GATEWAY, vpn.name if vpn else MISSING_VPN_GATEWAY)


def _walk(node):
    """Depth-first over dataclass fields and tuples, yielding every object that has a spec path."""
    if is_dataclass(node):
        if getattr(node, "path", ""):
            yield node
        for field in fields(node):
            yield from _walk(getattr(node, field.name))
    elif isinstance(node, tuple):
        for item in node:
            yield from _walk(item)


# --- building the model from a schema-valid spec ---------------------------------------------------


def _text(data: dict, key: str, path: str, default: str | None = None) -> SpecString | None:
    value = data.get(key, default)
    return None if value is None else SpecString(value, f"{path}.{key}")


def _texts(data: dict, key: str, path: str) -> tuple[SpecString, ...]:
    return tuple(SpecString(v, f"{path}.{key}[{j}]") for j, v in enumerate(data.get(key, ())))


def _vnet(data: dict, path: str, label: str) -> VirtualNetwork:
    return VirtualNetwork(
        name=_text(data, "name", path),
        address_space=_texts(data, "addressSpace", path),
        subnets=tuple(
            Subnet(_text(s, "name", f"{path}.subnets[{j}]"), _text(s, "prefix", f"{path}.subnets[{j}]"), f"{path}.subnets[{j}]",
                   _text(s, "networkSecurityGroupId", f"{path}.subnets[{j}]"), _text(s, "routeTableName", f"{path}.subnets[{j}]"))
            for j, s in enumerate(data["subnets"])
        ),
        label=label,
        path=path,
    )


def _vpn_gateway(data: dict, path: str, label: str, *, hub: bool) -> VpnGateway:
    return VpnGateway(
        name=_text(data, "name", path),
        sku=_text(data, "sku", path),
        asn=data["asn"],
        active_active=data.get("activeActive", hub),
        label=label,
        path=path,
        pinned_generation=_text(data, "generation", path),
        kept_public_ip_names=_texts(data, "publicIpNames", path),
        custom_bgp_ip_addresses=_texts(data, "customBgpIpAddresses", path),
        kept_ip_configuration_names=_texts(data, "ipConfigurationNames", path),
    )


def _diagnostics(data: dict, path: str, tier: str) -> FirewallDiagnostics:
    workspace = data.get("workspace") or {}
    return FirewallDiagnostics(
        workspace_resource_id=_text(data, "workspaceResourceId", path),
        workspace_name=_text(workspace, "name", f"{path}.workspace") if workspace else None,
        retention_days=workspace.get("retentionInDays", 30),
        tier=tier,
        path=path,
    )


def _firewall(data: dict) -> Firewall:
    path = "hub.firewall"
    rules = []
    for k, r in enumerate(data.get("networkRules", [])):
        rule_path = f"{path}.networkRules[{k}]"
        rules.append(NetworkRule(
            name=_text(r, "name", rule_path),
            description=_text(r, "description", rule_path, ""),
            source_addresses=_texts(r, "sourceAddresses", rule_path),
            destination_addresses=_texts(r, "destinationAddresses", rule_path),
            destination_ports=_texts(r, "destinationPorts", rule_path),
            protocols=tuple(r["protocols"]),
            path=rule_path,
        ))
    return Firewall(
        name=_text(data, "name", path),
        tier=data["tier"],
        inspect_transit=data.get("inspectTransit", True),
        forced_tunneling=data.get("forcedTunneling", False),
        network_rules=tuple(rules),
        inspect_hub_subnets=data.get("inspectHubSubnets", False),
        diagnostics=_diagnostics(data["diagnostics"], f"{path}.diagnostics", data["tier"]) if "diagnostics" in data else None,
        path=path,
        named_policy=_text(data, "policyName", path),
        kept_public_ip_name=_text(data, "publicIpName", path),
        kept_management_public_ip_name=_text(data, "managementPublicIpName", path),
        kept_rule_group_name=_text(data, "ruleCollectionGroupName", path),
    )


def _hub(data: dict) -> Hub:
    er, vpn, ars, fw = (data.get(k) for k in ("expressRouteGateway", "vpnGateway", "routeServer", "firewall"))
    vnet = _vnet(data["vnet"], "hub.vnet", f"hub VNet '{data['vnet']['name']}'")
    return Hub(
        vnet=vnet,
        expressroute_gateway=ExpressRouteGateway(
            _text(er, "name", "hub.expressRouteGateway"), _text(er, "sku", "hub.expressRouteGateway"), path="hub.expressRouteGateway",
            kept_public_ip_name=_text(er, "publicIpName", "hub.expressRouteGateway"),
        ) if er else None,
        vpn_gateway=_vpn_gateway(vpn, "hub.vpnGateway", "hub VPN gateway", hub=True) if vpn else None,
        route_server=RouteServer(
            _text(ars, "name", "hub.routeServer"), ars.get("branchToBranch", True), ars.get("hubRoutingPreference", "ExpressRoute"),
            path="hub.routeServer", kept_public_ip_name=_text(ars, "publicIpName", "hub.routeServer"),
            kept_ip_configuration_name=_text(ars, "ipConfigurationName", "hub.routeServer"),
        ) if ars else None,
        firewall=_firewall(fw) if fw else None,
    )


def _branch(b: dict, path: str, vpn_name: str) -> VnetBranch | SiteBranch:
    name = _text(b, "name", path)
    if b["kind"] == "vnet":
        gateway = _vpn_gateway(b["vpnGateway"], f"{path}.vpnGateway", f"branch '{name}' VPN gateway", hub=False)
        return VnetBranch(
            name=name,
            vnet=_vnet(b["vnet"], f"{path}.vnet", f"branch '{name}' (VNet '{b['vnet']['name']}')"),
            vpn_gateway=gateway,
            hub_to_branch_connection=_text(b, "hubToBranchConnectionName", path) or f"{vpn_name}-to-{gateway.name}",
            branch_to_hub_connection=_text(b, "branchToHubConnectionName", path) or f"{gateway.name}-to-{vpn_name}",
            path=path,
            location=_text(b, "location", path),
        )
    devices = tuple(_device(d, f"{path}.devices[{k}]", name, vpn_name) for k, d in enumerate(b["devices"])) if "devices" in b else (
        SiteDevice(
            name=name,
            gateway_ip_address=_text(b, "gatewayIpAddress", path),
            fqdn=_text(b, "fqdn", path),
            bgp_asn=b["bgp"]["asn"] if "bgp" in b else None,
            bgp_peering_address=_text(b["bgp"], "peeringAddress", f"{path}.bgp") if "bgp" in b else None,
            local_network_gateway_name=_text(b, "localNetworkGatewayName", path) or f"lng-{name}",
            connection_name=_text(b, "connectionName", path) or f"{vpn_name}-to-{name}",
            path=path,
        ),)
    return SiteBranch(
        name=name,
        address_prefixes=_texts(b, "addressPrefixes", path),
        devices=devices,
        connection=_site_connection(b.get("connection"), f"{path}.connection"),
        advertised=_texts(b, "advertisedPrefixes", path),
        path=path,
        multi_device="devices" in b,
    )


def _device(d: dict, path: str, site: str, vpn_name: str) -> SiteDevice:
    name = _text(d, "name", path)
    return SiteDevice(
        name=name,
        gateway_ip_address=_text(d, "gatewayIpAddress", path),
        fqdn=_text(d, "fqdn", path),
        bgp_asn=d["bgp"]["asn"],
        bgp_peering_address=_text(d["bgp"], "peeringAddress", f"{path}.bgp"),
        local_network_gateway_name=_text(d, "localNetworkGatewayName", path) or f"lng-{site}-{name}",
        connection_name=_text(d, "connectionName", path) or f"{vpn_name}-to-{site}-{name}",
        path=path,
    )


def _site_connection(data: dict | None, path: str) -> SiteConnection:
    if not data:
        return SiteConnection(path=path)
    policy = data.get("ipsecPolicy")
    policy_path = f"{path}.ipsecPolicy"
    return SiteConnection(
        ipsec_policy=IpsecPolicy(
            ike_encryption=policy["ikeEncryption"], ike_integrity=policy["ikeIntegrity"], dh_group=policy["dhGroup"],
            ipsec_encryption=policy["ipsecEncryption"], ipsec_integrity=policy["ipsecIntegrity"], pfs_group=policy["pfsGroup"],
            sa_lifetime_seconds=policy.get("saLifeTimeSeconds", 27000),
            sa_data_size_kilobytes=policy.get("saDataSizeKilobytes", 102400000),
            path=policy_path,
        ) if policy else None,
        policy_based_traffic_selectors=data.get("usePolicyBasedTrafficSelectors"),
        dpd_timeout_seconds=data.get("dpdTimeoutSeconds"),
        connection_mode=data.get("connectionMode"),
        path=path,
    )


def _spoke(data: dict, path: str, hub_vnet: str) -> Spoke:
    name = _text(data, "name", path)
    vnet = _vnet(data["vnet"], f"{path}.vnet", f"spoke '{name}' (VNet '{data['vnet']['name']}')")
    return Spoke(
        name=name,
        vnet=vnet,
        internet_through_firewall=data.get("internetThroughFirewall", False),
        propagate_gateway_routes=data.get("propagateGatewayRoutes", False),
        hub_to_spoke_peering=_text(data, "hubToSpokePeeringName", path) or f"{hub_vnet}-to-{vnet.name}",
        spoke_to_hub_peering=_text(data, "spokeToHubPeeringName", path) or f"{vnet.name}-to-{hub_vnet}",
        path=path,
        route_table_name=_text(data, "routeTableName", path) or f"{vnet.name}-rt",
    )


def build(data: dict) -> Topology:
    """Turn a schema-valid spec into a Topology."""
    hub = _hub(data["hub"])
    er_name, vpn_name = _gateway_names(hub)
    on_premises = tuple(
        OnPremisesSite(
            name=_text(s, "name", f"onPremises[{i}]"),
            address_prefixes=_texts(s, "addressPrefixes", f"onPremises[{i}]"),
            circuit_id=_text(s, "expressRouteCircuitId", f"onPremises[{i}]"),
            routing_weight=s.get("routingWeight", 0),
            advertises_default_route=s.get("advertisesDefaultRoute", False),
            connection_name=_text(s, "connectionName", f"onPremises[{i}]") or f"{er_name}-{s['name']}",
            advertised=_texts(s, "advertisedPrefixes", f"onPremises[{i}]"),
            fast_path=s.get("fastPath", False),
            path=f"onPremises[{i}]",
        )
        for i, s in enumerate(data.get("onPremises", []))
    )
    branches = tuple(_branch(b, f"branches[{i}]", vpn_name) for i, b in enumerate(data.get("branches", [])))
    spokes = tuple(_spoke(s, f"spokes[{i}]", hub.vnet.name) for i, s in enumerate(data.get("spokes", [])))
    vnet_of = {"hub": hub.vnet.name, **{b.name: b.vnet.name for b in branches + spokes if not isinstance(b, SiteBranch)}}
    test_vms = tuple(
        TestVm(
            name=_text(v, "name", f"testVms[{i}]"),
            vnet_ref=_text(v, "vnet", f"testVms[{i}]"),
            vnet_name=vnet_of.get(v["vnet"]),
            subnet=_text(v, "subnet", f"testVms[{i}]"),
            size=_text(v, "size", f"testVms[{i}]", "Standard_B1s"),
            admin_username=_text(v, "adminUsername", f"testVms[{i}]", "azureuser"),
            path=f"testVms[{i}]",
        )
        for i, v in enumerate(data.get("testVms", []))
    )
    accepted = tuple(
        AcceptedWarning(_text(a, "rule", f"acceptedWarnings[{i}]"), _text(a, "path", f"acceptedWarnings[{i}]"),
                        _text(a, "reason", f"acceptedWarnings[{i}]"), f"acceptedWarnings[{i}]")
        for i, a in enumerate(data.get("acceptedWarnings", []))
    )
    return Topology(
        name=data["name"],
        location=SpecString(data["location"], "location"),
        tags=tuple(sorted(data.get("tags", {}).items())),
        hub=hub,
        on_premises=on_premises,
        branches=branches,
        test_vms=test_vms,
        accepted_warnings=accepted,
        spokes=spokes,
    )
