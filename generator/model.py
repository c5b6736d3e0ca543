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
from dataclasses import dataclass, field, fields, is_dataclass, replace
from functools import cached_property, lru_cache

from .regions import zones_of

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
class Scope:
    """Where a VNet and what hangs off it live: a resource group, in a subscription (None: the one deployed to)."""

    resource_group: SpecString
    subscription_id: SpecString | None = None

    @property
    def label(self) -> str:
        return f"resource group {self.resource_group}" + (f" (subscription {self.subscription_id})" if self.subscription_id else "")

    def same_as(self, other: "Scope") -> bool:
        return str(self.resource_group).lower() == str(other.resource_group).lower() and \
            str(self.subscription_id or "").lower() == str(other.subscription_id or "").lower()


@dataclass(frozen=True)
class AsDeployed:
    """What a running resource carries that gen does not design, kept as it is (`asDeployed` in the spec)."""

    key: SpecString  # "Microsoft.Network/publicIPAddresses/pip-vpngw-1"
    tags: tuple[tuple[str, str], ...] | None = None
    zones: tuple[str, ...] | None = None
    sku: dict | None = field(default=None, compare=False, hash=False)
    properties: dict | None = field(default=None, compare=False, hash=False)
    path: str = ""

    def as_parameter(self) -> dict:
        """Its entry in main.bicepparam's `asDeployed`: what each module merges into the resource it writes."""
        found: dict = {}
        if self.tags is not None:
            found["tags"] = dict(self.tags)
        if self.zones is not None:
            found["zones"] = list(self.zones)
        if self.sku is not None:
            found["sku"] = self.sku
        if self.properties:
            found["properties"] = self.properties
        return found


def snat_ranges(snat) -> tuple[str, ...]:
    """A policy's SNAT private ranges, "IANAPrivateRanges" (Azure's word for IANA's four) written out."""
    ranges = (snat or {}).get("privateRanges") if isinstance(snat, dict) else None
    ranges = ranges if isinstance(ranges, list) and ranges else ["IANAPrivateRanges"]
    return tuple(dict.fromkeys(r for item in ranges for r in (IANA_PRIVATE_RANGES if item == "IANAPrivateRanges" else (str(item),))))


def resource_key(resource_type: str, *names: str) -> str:
    """A resource's key in `asDeployed`: its type and name as a resource ID writes them after `providers/`
    (`Microsoft.Network/virtualNetworks/vnet-hub/subnets/GatewaySubnet`)."""
    namespace, *types = resource_type.split("/")
    return f"{namespace}/" + "/".join(f"{t}/{n}" for t, n in zip(types, names))


@dataclass(frozen=True)
class SubnetRouteTable:
    """What the spec says of a subnet's route table (`routeTable`, or just `routeTableName`): its name, and what a
    running table has besides gen's routes."""

    name: SpecString
    propagate_gateway_routes: bool | None = None  # None: gen's choice for the subnet
    extra_routes: tuple["Route", ...] = ()  # `routes`: written as given, beside gen's
    route_names: tuple[tuple[str, SpecString], ...] = ()  # `routeNames`: prefix -> the name of gen's route for it
    path: str = ""
    only_these_routes: bool = False  # `onlyTheseRoutes`: gen adds none of its routes
    resource_group: SpecString | None = None  # its own group, when not its VNet's


@dataclass(frozen=True)
class Subnet:
    name: SpecString
    prefix: SpecString
    path: str = ""
    nsg_id: SpecString | None = None  # an existing network security group to associate
    table: SubnetRouteTable | None = None  # the route table the spec names for it
    without_table: bool = False  # `routeTable: null`: it runs without one, and keeps so

    @property
    def network(self):
        return parse_network(self.prefix)

    @property
    def route_table_name(self) -> SpecString | None:
        return self.table.name if self.table else None


@dataclass(frozen=True)
class VirtualNetwork:
    name: SpecString
    address_space: tuple[SpecString, ...]
    subnets: tuple[Subnet, ...]
    label: str = ""  # how messages name it: "hub VNet 'vnet-hub'", "branch 'b1' (VNet 'vnet-b1')"
    path: str = ""
    dns_servers: tuple[SpecString, ...] = ()
    existing: bool = False

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
    existing: bool = False

    @property
    def az(self) -> bool:
        """A zone-redundant SKU: its public IPs are zoned where the region has zones; a non-AZ SKU's never are."""
        return self.sku.endswith("AZ")

    @property
    def locked(self) -> bool:
        """A running non-AZ gateway: Azure refuses every change to one since the SKU consolidation ("Existing VPN
        gateways not supported by an availability zone will no longer allow configuration changes", read 2026-12 at
        https://learn.microsoft.com/azure/vpn-gateway/gateway-sku-consolidation), so gen reads it and never writes it."""
        return self.existing and not self.az

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
    kept_ip_configuration_name: SpecString | None = None
    scale_units: tuple[int, int] | None = None  # ErGwScale: (min, max)
    existing: bool = False

    @property
    def public_ip_name(self) -> str:
        return self.kept_public_ip_name or f"{self.name}-pip"

    @property
    def ip_configuration_name(self) -> str:
        return self.kept_ip_configuration_name or "ipconfig1"

    @property
    def az(self) -> bool:
        """Zone-redundant: the AZ SKUs and ErGwScale ("zone-redundant by default", About ExpressRoute gateways)."""
        return self.sku.endswith("AZ") or self.sku == "ErGwScale"


@dataclass(frozen=True)
class RouteServer:
    name: SpecString
    branch_to_branch: bool
    hub_routing_preference: str
    path: str = ""
    kept_public_ip_name: SpecString | None = None
    kept_ip_configuration_name: SpecString | None = None
    existing: bool = False

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
    source_ip_groups: tuple[SpecString, ...] = ()
    destination_ip_groups: tuple[SpecString, ...] = ()
    destination_fqdns: tuple[SpecString, ...] = ()


@dataclass(frozen=True)
class ApplicationRule:
    """An application rule: HTTP(S) or MSSQL to FQDNs (or FQDN tags), matched on the name the client asks for."""

    name: SpecString
    description: SpecString
    source_addresses: tuple[SpecString, ...]
    protocols: tuple[tuple[str, int], ...]  # ("Https", 443)
    target_fqdns: tuple[SpecString, ...]
    fqdn_tags: tuple[SpecString, ...]
    path: str = ""
    source_ip_groups: tuple[SpecString, ...] = ()
    target_urls: tuple[SpecString, ...] = ()
    web_categories: tuple[SpecString, ...] = ()
    terminate_tls: bool = False


@dataclass(frozen=True)
class NatRule:
    """A DNAT rule: traffic to the firewall's public address and a port, translated to a private address."""

    name: SpecString
    description: SpecString
    source_addresses: tuple[SpecString, ...]
    destination_addresses: tuple[SpecString, ...]
    destination_ports: tuple[SpecString, ...]
    protocols: tuple[str, ...]
    translated_address: SpecString | None
    translated_fqdn: SpecString | None
    translated_port: SpecString | None
    path: str = ""
    source_ip_groups: tuple[SpecString, ...] = ()


NETWORK, APPLICATION, NAT = "network", "application", "nat"


@dataclass(frozen=True)
class RuleCollection:
    name: SpecString
    priority: int
    rule_type: str  # NETWORK, APPLICATION or NAT
    action: str  # "Allow", "Deny" or "Dnat"
    rules: tuple  # NetworkRule, ApplicationRule or NatRule
    path: str = ""


@dataclass(frozen=True)
class RuleCollectionGroup:
    name: SpecString
    priority: int
    collections: tuple[RuleCollection, ...]
    path: str = ""


@dataclass(frozen=True)
class FirewallDiagnostics:
    """Where the firewall's logs go: an existing Log Analytics workspace, or one gen creates."""

    workspace_resource_id: SpecString | None
    workspace_name: SpecString | None
    retention_days: int
    path: str = ""

    tier: str = "Standard"  # the firewall's: IDPS signatures exist on Premium only
    kept_setting_name: SpecString | None = None
    kept_categories: tuple[SpecString, ...] = ()
    category_groups: tuple[SpecString, ...] = ()  # `categoryGroups`: allLogs, audit
    resource_specific: bool = True  # Dedicated tables; False: the legacy AzureDiagnostics table
    metrics: bool = False  # AllMetrics too

    @property
    def setting_name(self) -> str:
        """The diagnostic setting on the firewall."""
        return self.kept_setting_name or "to-log-analytics"

    @property
    def categories(self) -> tuple[str, ...]:
        if self.category_groups:
            return tuple(self.kept_categories)  # a setting by groups sends only the categories it names besides
        return tuple(self.kept_categories) or self.designed_categories

    @property
    def designed_categories(self) -> tuple[str, ...]:
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
    existing: bool = False
    pinned_zones: tuple[str, ...] | None = None  # `zones` as the spec gives it
    kept_ip_configuration_name: SpecString | None = None
    kept_management_ip_configuration_name: SpecString | None = None
    threat_intel_mode: str = "Alert"
    dns_proxy: bool = False
    dns_servers: tuple[SpecString, ...] = ()
    classic_rules: bool = False
    ip_groups: tuple[tuple[str, tuple[str, ...]], ...] = ()  # `ipGroups`: (resource ID in lower case, its addresses)
    groups: tuple[RuleCollectionGroup, ...] = ()  # `ruleCollectionGroups`

    @cached_property  # every rule a trace matches asks
    def _ip_groups(self) -> dict[str, tuple[str, ...]]:
        return dict(self.ip_groups)

    def ip_group_addresses(self, ids) -> tuple[str, ...]:
        """The addresses of the IP groups `ids` names, as the spec says they hold (`ipGroups`)."""
        return tuple(a for i in ids for a in self._ip_groups.get(str(i).lower(), ())) if ids else ()

    @property
    def rule_counts(self) -> str:
        """What the firewall holds, for the output README: "3 network, 1 application rule(s) in 2 collection(s)"."""
        counts: dict[str, int] = {}
        for collection in self.collections:
            counts[collection.rule_type] = counts.get(collection.rule_type, 0) + len(collection.rules)
        rules = ", ".join(f"{n} {kind if kind != NAT else 'DNAT'}" for kind, n in counts.items()) or "no"
        return f"{rules} rule(s) in {len(self.collections)} collection(s)"

    @property
    def rule_group_name(self) -> str:
        """The rule collection group that holds the network rules."""
        return self.kept_rule_group_name or "network-rules"

    @property
    def ip_configuration_name(self) -> str:
        return self.kept_ip_configuration_name or "ipconfig1"

    @property
    def management_ip_configuration_name(self) -> str:
        return self.kept_management_ip_configuration_name or "management"

    @cached_property
    def rule_collection_groups(self) -> tuple[RuleCollectionGroup, ...]:
        """Every group of rules the firewall holds, by priority: `networkRules` as gen's Allow collection (priority 100 in
        a group of priority 200), then `ruleCollectionGroups`. The rules gen evaluates (gen trace) and writes."""
        found = list(self.groups)
        if self.network_rules:
            collection = RuleCollection(SpecString("allow-network"), 100, NETWORK, "Allow", self.network_rules,
                                        f"{self.path}.networkRules")
            found.append(RuleCollectionGroup(SpecString(self.rule_group_name), 200, (collection,), f"{self.path}.networkRules"))
        return tuple(sorted(found, key=lambda g: g.priority))

    @property
    def collections(self) -> tuple[RuleCollection, ...]:
        """Every collection in the order Azure Firewall reads them within a rule type: group priority, then its own."""
        return tuple(c for g in self.rule_collection_groups for c in sorted(g.collections, key=lambda c: c.priority))

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
    premium: bool = False  # an ExpressRoute Premium circuit: 10,000 prefixes from on-premises
    hub_name: str = ""  # of several hubs, the one this connection is from: each connection redeems its own authorization

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
        # "one authorization per virtual network" (https://learn.microsoft.com/powershell/module/az.network/
        # add-azexpressroutecircuitauthorization, read 2026-12): a circuit connected to two hubs needs one key per hub.
        return f"ER_AUTH_KEY_{env_suffix(self.name)}" + (f"_{env_suffix(self.hub_name)}" if self.hub_name else "")


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
    scope: Scope | None = None  # its own resource group / subscription, when not the hub's

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
    own_connection: "SiteConnection | None" = None  # `connection` of this device: what differs from the site's
    own_shared_key: bool = False  # `ownSharedKey`: its connection's key is its own, not the site's
    kept_gateway_prefixes: tuple[SpecString, ...] | None = None  # `localNetworkGatewayPrefixes`: a running LNG's space

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
    connection_protocol: str | None = None  # "IKEv2" (None: gen's default) or "IKEv1"


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

    def connection_of(self, device: SiteDevice) -> SiteConnection:
        """The IPsec settings of one device's connection: the site's, with what the device sets itself instead."""
        own = device.own_connection
        if own is None:
            return self.connection
        site = self.connection
        return SiteConnection(
            ipsec_policy=own.ipsec_policy or site.ipsec_policy,
            policy_based_traffic_selectors=own.policy_based_traffic_selectors
            if own.policy_based_traffic_selectors is not None else site.policy_based_traffic_selectors,
            dpd_timeout_seconds=own.dpd_timeout_seconds if own.dpd_timeout_seconds is not None else site.dpd_timeout_seconds,
            connection_mode=own.connection_mode if own.connection_mode is not None else site.connection_mode,
            path=own.path,
            connection_protocol=own.connection_protocol or site.connection_protocol,
        )

    @property
    def bgp_asns(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(d.bgp_asn for d in self.devices if d.bgp_asn is not None))

    @property
    def label(self) -> str:
        return f"site '{self.name}'"

    @property
    def secret_env(self) -> str:
        return f"VPN_SHARED_KEY_{env_suffix(self.name)}"

    def gateway_prefixes(self, device: SiteDevice) -> tuple[SpecString, ...]:
        """The address space of a device's Local Network Gateway. A device of a site with `devices` always speaks BGP
        (GW020), and "If you use BGP for a connection, leave the Address space field empty for the corresponding local
        network gateway resource" (VPN FAQ, BGP, read 2026-12: https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-
        vpn-faq#bgp): BGP carries the prefixes over every tunnel, and the UDRs keep the site's addressPrefixes. A
        one-device site keeps them as static routes besides. A running gateway keeps what it has
        (`localNetworkGatewayPrefixes`)."""
        if device.kept_gateway_prefixes is not None:
            return device.kept_gateway_prefixes
        return () if self.multi_device else tuple(self.address_prefixes)

    def shared_key_name(self, device: SiteDevice) -> str:
        """The key of `vpnSharedKeys` a device's connection uses: the site's, or its own (`ownSharedKey`)."""
        return f"{self.name}-{device.name}" if device.own_shared_key else str(self.name)

    def secret_env_of(self, device: SiteDevice) -> str:
        return f"VPN_SHARED_KEY_{env_suffix(self.shared_key_name(device))}"

    @property
    def shared_keys(self) -> tuple[tuple[str, str], ...]:
        """(key name, environment variable) of each shared key the site's connections use."""
        return tuple(dict.fromkeys((self.shared_key_name(d), self.secret_env_of(d)) for d in self.devices))


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
    scope: Scope | None = None  # its own resource group / subscription, when not the hub's
    location: SpecString | None = None  # its own region, when not the hub's (global peering)

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
    """A route table gen writes, and the subnets it is on: one subnet, or several that share it (even of several VNets)."""

    name: str
    routes: tuple[Route, ...]
    propagate_gateway_routes: bool = True
    placements: tuple[tuple[str, str], ...] = ()  # (VNet, subnet) of every subnet it is on
    scope: "Scope | None" = None  # where it lives: with the VNet of its first subnet
    path: str = ""  # the spec path that asks for it
    whole_vnets: tuple[tuple[str, tuple[str, ...]], ...] = ()  # VNets it is on every subnet of, with the ones that take none
    location: SpecString | None = None  # its VNet's region, when not the hub's (a spoke or branch elsewhere)

    @property
    def vnet(self) -> str:
        return self.placements[0][0] if self.placements else ""

    @property
    def subnet(self) -> str:
        return self.placements[0][1] if self.placements else ""

    @property
    def subnets(self) -> tuple[str, ...]:
        return tuple(subnet for _, subnet in self.placements)

    @property
    def placement(self) -> str:
        """Where it applies, for people: "`GatewaySubnet`", "`snet-a` and `snet-b` of `vnet-spoke`"."""
        by_vnet: dict[str, list[str]] = {}
        for vnet, subnet in self.placements:
            by_vnet.setdefault(vnet, []).append(f"`{subnet}`")
        whole = dict(self.whole_vnets)
        parts = []
        for vnet, subnets in by_vnet.items():
            if vnet in whole and len(subnets) > 1:
                parts.append(f"every subnet of `{vnet}`" + (f" but {', '.join(whole[vnet])}" if whole[vnet] else ""))
                continue
            listed = subnets[0] if len(subnets) == 1 else ", ".join(subnets[:-1]) + f" and {subnets[-1]}"
            parts.append(listed if vnet == self.vnet and len(by_vnet) == 1 and len(subnets) == 1 else f"{listed} of `{vnet}`")
        return "; ".join(parts)


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
class RemoteHub:
    """Another hub of a spec of several, as this hub sees it: across a global VNet peering, behind its own firewall.

    What crosses to it goes firewall to firewall: this hub's spokes send the remote prefixes to their own firewall,
    and this firewall's subnet sends them to the remote firewall, the pattern of
    https://learn.microsoft.com/azure/firewall/firewall-multi-hub-spoke (Multi-region architecture).
    """

    name: str  # the hub's name in `hubs`
    location: str
    vnet_name: str
    scope: "Scope"
    address_space: tuple[str, ...]
    firewall_name: str | None
    firewall_ip: str | None
    destinations: tuple[tuple[str, str], ...]  # (owner, prefix): its spokes' address spaces and its inspected hub subnets
    path: str  # "hubs[1]"

    @property
    def firewall_label(self) -> str | None:
        return f"{self.firewall_name} ({self.firewall_ip})" if self.firewall_name and self.firewall_ip else None


@dataclass(frozen=True)
class CostAssumptions:
    """The usage the cost estimate assumes (`costAssumptions`); `given` names what the spec set, the rest is default."""

    firewall_data_gb: float = 1000
    log_ingestion_gb: float = 30
    er_scale_units: int = 1
    given: tuple[str, ...] = ()


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
    cost_assumptions: CostAssumptions = CostAssumptions()
    spokes: tuple[Spoke, ...] = ()
    scope: Scope = Scope(SpecString(""))  # the hub's: where main.bicep is deployed
    as_deployed: tuple[AsDeployed, ...] = ()
    remote_hubs: tuple[RemoteHub, ...] = ()  # the other hubs of a spec of several (generator/hubs.py fills it)
    hub_name: str = ""  # this hub's name in `hubs`; empty for a spec of one hub

    # --- walking: every object with its spec path ---------------------------------------------------

    @cached_property
    def _walked(self) -> tuple:
        return tuple(_walk(self))  # once: several rules walk the whole model, and a model never changes

    def walk(self):
        """Every model object that came from the spec, depth first in spec order."""
        return iter(self._walked)

    def each(self, kind: type) -> tuple:
        """Every object of one class, in spec order: `topology.each(VirtualNetwork)`."""
        return tuple(node for node in self._walked if isinstance(node, kind))

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

    def _firewall_routes(self, owners) -> tuple[Route, ...]:
        """One UDR per distinct prefix to the firewall; a prefix two owners share (one site over two circuits) once."""
        routes = {}
        for owner in owners:
            for prefix in owner.address_prefixes:
                routes.setdefault(str(prefix), Route(f"{owner.name}-{prefix.replace('/', '_')}", prefix, "VirtualAppliance",
                                                     self.firewall_private_ip, owner.path))
        return tuple(routes.values())

    def _remote_routes(self, via_remote_firewall: bool) -> tuple[Route, ...]:
        """One UDR per destination of every other hub: to this hub's firewall (spokes, inspected hub subnets), or from
        this firewall's subnet to the other hub's firewall. Exact prefixes, never a summary: a more specific route the
        subnet learns would win over a summary by longest prefix (https://learn.microsoft.com/azure/firewall/firewall-multi-hub-spoke)."""
        routes = []
        for remote in self.remote_hubs:
            next_hop = remote.firewall_ip if via_remote_firewall else self.firewall_private_ip
            if next_hop is None:
                continue
            routes += [Route(f"{owner}-{prefix.replace('/', '_')}", prefix, "VirtualAppliance", next_hop, remote.path)
                       for owner, prefix in remote.destinations]
        return tuple(routes)

    def _designed_hub_routes(self, subnet: Subnet) -> tuple[tuple[Route, ...], bool] | None:
        """The routes and gateway-route propagation gen designs for a hub subnet, or None: it needs no table.

        - GatewaySubnet: every on-premises, branch and spoke prefix -> the firewall (and with inspectHubSubnets every
          hub workload subnet), so that transit crosses the firewall both ways; propagation stays on.
        - AzureFirewallSubnet: 0.0.0.0/0 -> Internet when on-premises advertises a default route: the firewall must
          keep its own Internet path, which a learned 0/0 towards ExpressRoute would take away.
        - AzureFirewallManagementSubnet: only 0.0.0.0/0 -> Internet, propagation off. A VNet redeploy may drop the
          system table Azure associates there; Learn allows a customer table that holds just the default route to the
          Internet with propagation off (https://learn.microsoft.com/azure/firewall/management-nic).
        - a workload subnet with inspectHubSubnets: on-premises and branch prefixes -> the firewall, propagation off,
          so that a more specific prefix a site advertises cannot skip the firewall (the pattern of the firewall
          hybrid tutorial: https://learn.microsoft.com/azure/firewall/tutorial-hybrid-portal).
        """
        firewall, firewall_ip, name = self.hub.firewall, self.firewall_private_ip, subnet.name
        if name == GATEWAY_SUBNET:
            if not self.inspects_transit or firewall_ip is None:
                return None
            hub_subnets = self.hub_workload_subnets if self.inspects_hub_subnets else ()
            return self._firewall_routes(self.on_premises + self.branches + self.spokes) + tuple(
                Route(f"{s.name}-{s.prefix.replace('/', '_')}", s.prefix, "VirtualAppliance", firewall_ip, s.path)
                for s in hub_subnets), True
        if name == FIREWALL_SUBNET:
            # With routes to another hub's firewall the subnet needs its own 0/0 -> Internet as well: "If the Azure
            # Firewall is deployed without Management NIC, the Azure Firewall Subnet requires a default route with Next
            # Hop Internet" (https://learn.microsoft.com/azure/firewall/firewall-multi-hub-spoke, 06/26/2025).
            advertiser = next((s for s in self.on_premises if s.advertises_default_route), None)
            remote = self._remote_routes(via_remote_firewall=True) if firewall else ()
            if firewall is None or ((firewall.forced_tunneling or advertiser is None) and not remote):
                return None
            internet = () if firewall.forced_tunneling else (
                Route("default-to-internet", "0.0.0.0/0", "Internet", None, advertiser.path if advertiser else firewall.path),)
            return internet + remote, True
        if name == FIREWALL_MANAGEMENT_SUBNET:
            if firewall is None or not firewall.needs_management_ip:
                return None
            return (Route("default-to-internet", "0.0.0.0/0", "Internet", None, firewall.path),), False
        if subnet in self.hub_workload_subnets and self.inspects_hub_subnets and firewall_ip is not None:
            return self._firewall_routes(self.on_premises + self.branches) + self._remote_routes(False), False
        return None

    def _designed_spoke_routes(self, spoke: Spoke, subnet: Subnet) -> tuple[tuple[Route, ...], bool] | None:
        """A spoke subnet's: on-premises and branch prefixes (and with internetThroughFirewall 0.0.0.0/0) to the firewall,
        gateway routes not propagated unless the spec says so (https://learn.microsoft.com/azure/firewall/tutorial-hybrid-portal).
        Not on a subnet that takes no route table."""
        if not self.inspects_transit or self.firewall_private_ip is None or subnet.name in NO_ROUTE_TABLE_SUBNETS:
            return None
        internet = (Route("default-to-firewall", "0.0.0.0/0", "VirtualAppliance", self.firewall_private_ip, spoke.path),) \
            if spoke.internet_through_firewall else ()
        return self._firewall_routes(self.on_premises + self.branches) + self._remote_routes(False) + internet, \
            spoke.propagate_gateway_routes

    @cached_property
    def _route_table_plan(self) -> tuple[tuple["RouteTable", ...], dict, tuple[str, ...]]:
        """Every route table gen writes, which table is on each subnet, and the conflicts between subnets that share
        one (ROUTE001 reports them). Decided here, once: a subnet's table is gen's design for it (named by the spec, or
        `<hub VNet>-<subnet>-rt` in the hub and `<spoke VNet>-rt` in a spoke) plus the routes the spec adds; subnets
        that name the same table share it."""
        wanted = []  # (VNet, subnet, scope, gen's design for it or None, gen's default table name, region or None)
        hub = self.hub.vnet
        for subnet in hub.subnets:
            designed = self._designed_hub_routes(subnet)
            wanted.append((hub, subnet, self.scope, designed, f"{hub.name}-{subnet.name}-rt", None))
        for spoke in self.spokes:
            for subnet in spoke.vnet.subnets:
                wanted.append((spoke.vnet, subnet, self.scope_of(spoke), self._designed_spoke_routes(spoke, subnet),
                               spoke.route_table_name, spoke.location))
        for branch in self.vnet_branches:
            for subnet in branch.vnet.subnets:
                wanted.append((branch.vnet, subnet, self.scope_of(branch), None, f"{branch.vnet.name}-{subnet.name}-rt",
                               branch.location))
        tables: dict[tuple, dict] = {}
        on_subnet: dict[tuple[str, str], tuple] = {}
        conflicts: list[str] = []
        for vnet, subnet, scope, designed, default_name, region in wanted:
            spec_table = subnet.table
            if (designed is None and spec_table is None) or subnet.without_table:
                continue
            routes, propagate = designed if designed else ((), True)
            if spec_table is not None and spec_table.only_these_routes:
                routes = ()
            renamed = dict(spec_table.route_names) if spec_table else {}
            routes = tuple(Route(renamed[str(r.address_prefix)], r.address_prefix, r.next_hop_type, r.next_hop_ip, r.source)
                           if str(r.address_prefix) in renamed else r for r in routes)
            if spec_table is not None:
                routes += spec_table.extra_routes
                if spec_table.propagate_gateway_routes is not None:
                    propagate = spec_table.propagate_gateway_routes
            name = str(spec_table.name) if spec_table else default_name
            if spec_table is not None and spec_table.resource_group:
                scope = Scope(spec_table.resource_group, scope.subscription_id)
            key = (str(scope.resource_group).lower(), str(scope.subscription_id or "").lower(), name.lower())
            # A route table serves subnets of its own region (its first VNet's).
            entry = tables.setdefault(key, {"name": name, "routes": {}, "propagate": propagate, "placements": [], "scope": scope,
                                            "path": spec_table.path if spec_table else subnet.path, "location": region})
            if entry["propagate"] != propagate:
                conflicts.append(f"{subnet.path}: route table {name} is shared with {entry['placements'][0][1]} of "
                                 f"{entry['placements'][0][0]}, which needs gateway route propagation "
                                 f"{'on' if entry['propagate'] else 'off'}; this subnet needs it {'on' if propagate else 'off'}")
            for route in routes:
                other = entry["routes"].setdefault(str(route.name).lower(), route)
                if (other.address_prefix, other.next_hop_type, other.next_hop_ip) != (route.address_prefix, route.next_hop_type,
                                                                                      route.next_hop_ip):
                    conflicts.append(f"{subnet.path}: route {route.name} of the shared route table {name} is "
                                     f"{route.address_prefix} -> {route.next_hop_type} here and {other.address_prefix} -> "
                                     f"{other.next_hop_type} for {entry['placements'][0][1]}")
            entry["placements"].append((str(vnet.name), str(subnet.name)))
            on_subnet[(str(vnet.name).lower(), str(subnet.name).lower())] = key
        vnets = {str(v.name): v for v in self.vnets}

        def whole(placements) -> tuple:
            """The VNets a table is on every subnet of that takes one, and those that take none."""
            found = []
            for name in dict.fromkeys(vnet for vnet, _ in placements):
                on = {subnet for vnet, subnet in placements if vnet == name}
                subnets = [str(s.name) for s in vnets[name].subnets]
                exempt = tuple(s for s in subnets if s in NO_ROUTE_TABLE_SUBNETS)
                if on == set(subnets) - set(exempt):
                    found.append((name, exempt))
            return tuple(found)

        built = {key: RouteTable(entry["name"], tuple(entry["routes"].values()), entry["propagate"], tuple(entry["placements"]),
                                 entry["scope"], entry["path"], whole(entry["placements"]), entry["location"])
                 for key, entry in tables.items()}
        return tuple(built.values()), {where: built[key] for where, key in on_subnet.items()}, tuple(conflicts)

    @property
    def route_tables(self) -> tuple["RouteTable", ...]:
        """Every route table gen writes: the hub's subnets' first, then the spokes' and branches', each once."""
        return self._route_table_plan[0]

    @property
    def route_table_conflicts(self) -> tuple[str, ...]:
        return self._route_table_plan[2]

    def table_on(self, vnet: str, subnet: str) -> "RouteTable | None":
        """The route table gen puts on a subnet, or None."""
        return self._route_table_plan[1].get((str(vnet).lower(), str(subnet).lower()))

    def tables_of(self, vnet: VirtualNetwork) -> tuple["RouteTable", ...]:
        """The route tables on a VNet's subnets, each once, in subnet order."""
        found = (self.table_on(vnet.name, s.name) for s in vnet.subnets)
        return tuple(dict.fromkeys(t for t in found if t))

    @property
    def gateway_route_table(self) -> "RouteTable | None":
        """GatewaySubnet's route table (its routes: `_designed_hub_routes`)."""
        return self.table_on(self.hub.vnet.name, GATEWAY_SUBNET)

    @property
    def hub_subnet_route_tables(self) -> tuple["RouteTable", ...]:
        """The tables on the hub's workload subnets."""
        return tuple(dict.fromkeys(t for s in self.hub_workload_subnets if (t := self.table_on(self.hub.vnet.name, s.name))))

    @property
    def gateway_subnet_routes(self) -> tuple[Route, ...]:
        table = self.gateway_route_table
        return table.routes if table else ()

    @property
    def firewall_route_table(self) -> "RouteTable | None":
        return self.table_on(self.hub.vnet.name, FIREWALL_SUBNET)

    @property
    def firewall_subnet_routes(self) -> tuple[Route, ...]:
        table = self.firewall_route_table
        return table.routes if table else ()

    @property
    def firewall_management_route_table(self) -> "RouteTable | None":
        return self.table_on(self.hub.vnet.name, FIREWALL_MANAGEMENT_SUBNET)

    @property
    def hub_route_tables(self) -> tuple["RouteTable", ...]:
        """The tables on the hub's subnets."""
        return self.tables_of(self.hub.vnet)

    @property
    def spoke_route_tables(self) -> tuple["RouteTable", ...]:
        """The tables on the spokes' subnets, each once."""
        return tuple(dict.fromkeys(t for spoke in self.spokes for t in self.tables_of(spoke.vnet)))

    @cached_property
    def _route_groups(self) -> dict[str, tuple]:
        found = {}
        for vnet in self.vnets:
            groups: dict = {}
            for subnet in vnet.subnets:
                if vnet is self.hub.vnet and subnet.name in SPECIAL_SUBNETS:
                    continue  # the gateways' and the firewall's subnets are hops of their own
                table = self.table_on(vnet.name, subnet.name)
                key = (tuple(sorted((r.address_prefix, r.next_hop_type, r.next_hop_ip) for r in table.routes)),
                       table.propagate_gateway_routes) if table else None
                groups.setdefault(key, [table, []])[1].append(subnet)
            ordered = sorted(groups.values(), key=lambda g: -len(g[1]))  # stable: spec order among equals
            found[str(vnet.name).lower()] = tuple((table, tuple(subnets)) for table, subnets in ordered)
        return found

    def subnet_route_groups(self, vnet: VirtualNetwork) -> tuple[tuple["RouteTable | None", tuple[Subnet, ...]], ...]:
        """A VNet's subnets (the hub's workload subnets) grouped by the routes their tables hold: subnets that route
        alike, the largest group first (the VNet as a whole, for gen routes and gen trace), then the others."""
        return self._route_groups.get(str(vnet.name).lower(), ())

    # --- scopes -------------------------------------------------------------------------------------------

    def scope_of(self, owner) -> Scope:
        """Where a VNet's owner (the hub, a VNet branch, a spoke) and what hangs off it live."""
        return getattr(owner, "scope", None) or self.scope

    @property
    def scopes(self) -> tuple[Scope, ...]:
        """Every scope the design deploys into, the hub's first, each once."""
        found = [self.scope]
        for owner in self.vnet_branches + self.spokes:
            scope = self.scope_of(owner)
            if not any(scope.same_as(other) for other in found):
                found.append(scope)
        return tuple(found)

    # --- zones and what runs ---------------------------------------------------------------------------------

    @property
    def region_zones(self) -> tuple[str, ...]:
        """The zones of a zone-redundant resource here: 1, 2 and 3, or none in a region without zones."""
        return zones_of(self.location)

    @cached_property
    def _as_deployed(self) -> dict[str, list[tuple[str, str, AsDeployed]]]:
        """resource_key (lower case) -> [(subscription, group, entry)]: "" for an entry keyed by type and name only; an
        entry keyed by its resource ID (a name two scopes share) names its subscription and group."""
        found: dict[str, list] = {}
        for entry in self.as_deployed:
            key = str(entry.key)
            if key.lower().startswith("/subscriptions/"):
                parts = key.split("/")
                found.setdefault(key.split("/providers/", 1)[1].lower(), []).append((parts[2].lower(), parts[4].lower(), entry))
            else:
                found.setdefault(key.lower(), []).append(("", "", entry))
        return found

    def kept(self, key: str, scope: "Scope | None" = None) -> AsDeployed | None:
        """What the spec keeps of a running resource (`asDeployed`), by `resource_key`: the entry keyed by the ID of the
        resource in `scope` (default: the hub's) if there is one, else the entry keyed by type and name."""
        scope = scope or self.scope
        subscription = str(scope.subscription_id or self.scope.subscription_id or "").lower()
        group = str(scope.resource_group).lower()
        plain = None
        for entry_subscription, entry_group, entry in self._as_deployed.get(key.lower(), ()):
            if not entry_group:
                plain = entry
            elif entry_group == group and (not subscription or entry_subscription == subscription):
                return entry
        return plain

    @property
    def firewall_zones(self) -> tuple[str, ...]:
        """The firewall's zones, and its public IPs': the spec's, else zone-redundant where the region has zones."""
        firewall = self.hub.firewall
        if firewall is not None and firewall.pinned_zones is not None:
            return firewall.pinned_zones
        return self.region_zones

    def public_ip_zones(self, owner) -> tuple[str, ...]:
        """The zones gen gives a public IP by what uses it: the firewall's zones; none for a non-AZ gateway (Azure
        refuses zoned IPs there: RegionalVmssVpnGatewayPublicIpsMustNotHaveZonesConfigured); else the region's."""
        if isinstance(owner, Firewall):
            return self.firewall_zones
        if isinstance(owner, (VpnGateway, ExpressRouteGateway)) and not owner.az:
            return ()
        return self.region_zones

    @cached_property
    def firewall_parent_policy(self) -> str | None:
        """The name of the policy the firewall's policy inherits rules from (`basePolicy`, kept as it runs), or None.
        "Network rule collections inherited from a parent policy are always prioritized above network rule
        collections defined as part of a new policy" (https://learn.microsoft.com/azure/firewall-manager/policy-overview)."""
        firewall = self.hub.firewall
        if firewall is None or firewall.classic_rules:
            return None
        kept = self.kept(resource_key("Microsoft.Network/firewallPolicies", firewall.policy_name))
        parent = ((kept.properties or {}).get("basePolicy") or {}) if kept else {}
        return str(parent["id"]).rsplit("/", 1)[-1] if isinstance(parent, dict) and parent.get("id") else None

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

    @property
    def designed_snat_ranges(self) -> tuple[str, ...]:
        """The SNAT private ranges gen writes: none when Azure's default (IANA's private ranges) is the design."""
        return self.snat_private_ranges if self.public_address_prefixes else ()

    @cached_property
    def snat_private_ranges(self) -> tuple[str, ...]:
        """The firewall policy's SNAT private ranges: IANA's, plus every public-range prefix of a site or branch,
        so that transit keeps its source address both ways (https://learn.microsoft.com/azure/firewall/snat-private-range);
        a running policy's own ranges where the spec keeps them (`asDeployed`)."""
        firewall = self.hub.firewall
        kept = self.kept(resource_key("Microsoft.Network/firewallPolicies", firewall.policy_name)) if firewall else None
        running = (kept.properties or {}).get("snat") if kept else None
        if isinstance(running, dict) and running.get("privateRanges"):
            return snat_ranges(running)
        return IANA_PRIVATE_RANGES + tuple(str(p) for p in self.public_address_prefixes)

    @property
    def secrets(self) -> tuple[Secret, ...]:
        found = []
        for site in self.on_premises:
            found.append(Secret(site.secret_env, f"authorization key of circuit for {site.name} (empty when the circuit is in your subscription)", False))
        for branch in self.branches:
            if isinstance(branch, SiteBranch):
                for key, env in branch.shared_keys:
                    found.append(Secret(env, f"shared key of the VPN connection to {key}", True))
            else:
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
        group = str(self.scope.resource_group)
        found = [Permission("Network Contributor", self.scope.label,
                            "the VNets, gateways, Route Server, firewall, route tables and connections, and the deployment "
                            "itself (Microsoft.Network/*, Microsoft.Resources/deployments/*)",
                            f"{ROLES_LINK}/networking#network-contributor")]
        for scope in self.scopes[1:]:
            owners = [o for o in self.vnet_branches + self.spokes if self.scope_of(o).same_as(scope)]
            found.append(Permission(
                "Network Contributor", scope.label,
                f"{', '.join(o.label for o in owners)}: its VNet, route tables, gateway and peering, and the nested "
                f"deployment gen runs there; a peering also needs Microsoft.Network/virtualNetworks/peer/action on the VNet "
                f"at its other end (Network Contributor there grants it)",
                "https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering#permissions"))
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
    def new_public_ips(self) -> tuple[str, ...]:
        """The public IPs a deployment creates: those of a gateway, Route Server or firewall that does not run yet."""
        return self._public_ips(with_existing=False)

    @property
    def public_ips(self) -> tuple[str, ...]:
        """Every public IP of the design, created or running already (what the hub pays for)."""
        return self._public_ips(with_existing=True)

    def _public_ips(self, with_existing: bool) -> tuple[str, ...]:
        hub = self.hub
        owners = [hub.expressroute_gateway, hub.route_server, hub.firewall] + list(self.vpn_gateways)
        found = []
        for owner in (o for o in owners if o is not None and (with_existing or not o.existing)):
            if isinstance(owner, VpnGateway):
                found += owner.public_ip_names
            elif isinstance(owner, Firewall):
                found += [owner.public_ip_name] + ([owner.management_public_ip_name] if owner.needs_management_ip else [])
            else:
                found.append(owner.public_ip_name)
        return tuple(str(name) for name in found)

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


def _subnet_table(data: dict, path: str) -> SubnetRouteTable | None:
    """`routeTable` of a subnet, or just `routeTableName` (the same as a `routeTable` with only a name)."""
    table = data.get("routeTable")
    if table is None:
        name = _text(data, "routeTableName", path)
        return SubnetRouteTable(name, path=f"{path}.routeTableName") if name else None
    where = f"{path}.routeTable"
    routes = tuple(Route(_text(r, "name", f"{where}.routes[{k}]"), _text(r, "addressPrefix", f"{where}.routes[{k}]"),
                         r["nextHopType"], _text(r, "nextHopIpAddress", f"{where}.routes[{k}]"), f"{where}.routes[{k}]")
                   for k, r in enumerate(table.get("routes", [])))
    names = tuple((prefix, SpecString(name, f"{where}.routeNames.{prefix}")) for prefix, name in table.get("routeNames", {}).items())
    return SubnetRouteTable(_text(table, "name", where), table.get("propagateGatewayRoutes"), routes, names, where,
                            table.get("onlyTheseRoutes", False), _text(table, "resourceGroup", where))


def _vnet(data: dict, path: str, label: str) -> VirtualNetwork:
    return VirtualNetwork(
        name=_text(data, "name", path),
        address_space=_texts(data, "addressSpace", path),
        subnets=tuple(
            Subnet(_text(s, "name", f"{path}.subnets[{j}]"), _text(s, "prefix", f"{path}.subnets[{j}]"), f"{path}.subnets[{j}]",
                   _text(s, "networkSecurityGroupId", f"{path}.subnets[{j}]"), _subnet_table(s, f"{path}.subnets[{j}]"),
                   "routeTable" in s and s["routeTable"] is None)
            for j, s in enumerate(data["subnets"])
        ),
        label=label,
        path=path,
        dns_servers=_texts(data, "dnsServers", path),
        existing=data.get("existing", False),
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
        existing=data.get("existing", False),
    )


def _diagnostics(data: dict, path: str, tier: str) -> FirewallDiagnostics:
    workspace = data.get("workspace") or {}
    return FirewallDiagnostics(
        workspace_resource_id=_text(data, "workspaceResourceId", path),
        workspace_name=_text(workspace, "name", f"{path}.workspace") if workspace else None,
        retention_days=workspace.get("retentionInDays", 30),
        tier=tier,
        path=path,
        kept_setting_name=_text(data, "settingName", path),
        kept_categories=_texts(data, "categories", path),
        category_groups=_texts(data, "categoryGroups", path),
        resource_specific=data.get("resourceSpecificTables", True),
        metrics=data.get("metrics", False),
    )


def _network_rule(r: dict, rule_path: str) -> NetworkRule:
    return NetworkRule(
        name=_text(r, "name", rule_path),
        description=_text(r, "description", rule_path, ""),
        source_addresses=_texts(r, "sourceAddresses", rule_path),
        destination_addresses=_texts(r, "destinationAddresses", rule_path),
        destination_ports=_texts(r, "destinationPorts", rule_path),
        protocols=tuple(r.get("protocols", ())),
        path=rule_path,
        source_ip_groups=_texts(r, "sourceIpGroups", rule_path),
        destination_ip_groups=_texts(r, "destinationIpGroups", rule_path),
        destination_fqdns=_texts(r, "destinationFqdns", rule_path),
    )


def _firewall_rule(rule_type: str, r: dict, rule_path: str):
    if rule_type == NETWORK:
        return _network_rule(r, rule_path)
    if rule_type == APPLICATION:
        protocols = tuple((text.split(":")[0], int(text.split(":")[1])) for text in r.get("applicationProtocols", ()))
        return ApplicationRule(_text(r, "name", rule_path), _text(r, "description", rule_path, ""),
                               _texts(r, "sourceAddresses", rule_path), protocols, _texts(r, "targetFqdns", rule_path),
                               _texts(r, "fqdnTags", rule_path), rule_path, _texts(r, "sourceIpGroups", rule_path),
                               _texts(r, "targetUrls", rule_path), _texts(r, "webCategories", rule_path),
                               r.get("terminateTls", False))
    return NatRule(_text(r, "name", rule_path), _text(r, "description", rule_path, ""), _texts(r, "sourceAddresses", rule_path),
                   _texts(r, "destinationAddresses", rule_path), _texts(r, "destinationPorts", rule_path),
                   tuple(r.get("protocols", ())), _text(r, "translatedAddress", rule_path), _text(r, "translatedFqdn", rule_path),
                   _text(r, "translatedPort", rule_path), rule_path, _texts(r, "sourceIpGroups", rule_path))


def _rule_groups(data: dict, path: str) -> tuple[RuleCollectionGroup, ...]:
    groups = []
    for g, group in enumerate(data.get("ruleCollectionGroups", [])):
        group_path = f"{path}.ruleCollectionGroups[{g}]"
        collections = []
        for c, collection in enumerate(group["ruleCollections"]):
            where = f"{group_path}.ruleCollections[{c}]"
            rules = tuple(_firewall_rule(collection["ruleType"], r, f"{where}.rules[{k}]") for k, r in enumerate(collection["rules"]))
            collections.append(RuleCollection(_text(collection, "name", where), collection["priority"], collection["ruleType"],
                                              collection["action"], rules, where))
        groups.append(RuleCollectionGroup(_text(group, "name", group_path), group["priority"], tuple(collections), group_path))
    return tuple(groups)


def _firewall(data: dict) -> Firewall:
    path = "hub.firewall"
    rules = [_network_rule(r, f"{path}.networkRules[{k}]") for k, r in enumerate(data.get("networkRules", []))]
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
        existing=data.get("existing", False),
        pinned_zones=tuple(data["zones"]) if "zones" in data else None,
        kept_ip_configuration_name=_text(data, "ipConfigurationName", path),
        kept_management_ip_configuration_name=_text(data, "managementIpConfigurationName", path),
        threat_intel_mode=data.get("threatIntelMode", "Alert"),
        dns_proxy=data.get("dnsProxy", False),
        dns_servers=_texts(data, "dnsServers", path),
        classic_rules=data.get("classicRules", False),
        groups=_rule_groups(data, path),
        ip_groups=tuple((key.lower(), tuple(values)) for key, values in sorted((data.get("ipGroups") or {}).items())),
    )


def _hub(data: dict) -> Hub:
    er, vpn, ars, fw = (data.get(k) for k in ("expressRouteGateway", "vpnGateway", "routeServer", "firewall"))
    vnet = _vnet(data["vnet"], "hub.vnet", f"hub VNet '{data['vnet']['name']}'")
    return Hub(
        vnet=vnet,
        expressroute_gateway=ExpressRouteGateway(
            _text(er, "name", "hub.expressRouteGateway"), _text(er, "sku", "hub.expressRouteGateway"), path="hub.expressRouteGateway",
            kept_public_ip_name=_text(er, "publicIpName", "hub.expressRouteGateway"),
            kept_ip_configuration_name=_text(er, "ipConfigurationName", "hub.expressRouteGateway"),
            scale_units=(er["scaleUnits"]["min"], er["scaleUnits"]["max"]) if "scaleUnits" in er else None,
            existing=er.get("existing", False),
        ) if er else None,
        vpn_gateway=_vpn_gateway(vpn, "hub.vpnGateway", "hub VPN gateway", hub=True) if vpn else None,
        route_server=RouteServer(
            _text(ars, "name", "hub.routeServer"), ars.get("branchToBranch", True), ars.get("hubRoutingPreference", "ExpressRoute"),
            path="hub.routeServer", kept_public_ip_name=_text(ars, "publicIpName", "hub.routeServer"),
            kept_ip_configuration_name=_text(ars, "ipConfigurationName", "hub.routeServer"), existing=ars.get("existing", False),
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
            scope=_scope(b, path),
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
            kept_gateway_prefixes=_texts(b, "localNetworkGatewayPrefixes", path) if "localNetworkGatewayPrefixes" in b else None,
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
        own_connection=_site_connection(d["connection"], f"{path}.connection") if "connection" in d else None,
        own_shared_key=d.get("ownSharedKey", False),
        kept_gateway_prefixes=_texts(d, "localNetworkGatewayPrefixes", path) if "localNetworkGatewayPrefixes" in d else None,
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
        connection_protocol=data.get("connectionProtocol"),
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
        scope=_scope(data, path),
        location=_text(data, "location", path),
    )


def _scope(data: dict, path: str) -> Scope | None:
    """An owner's own scope when the spec gives one; the group defaults to the hub's (`build` fills it in)."""
    if "resourceGroup" not in data and "subscriptionId" not in data:
        return None
    return Scope(_text(data, "resourceGroup", path), _text(data, "subscriptionId", path))


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
            premium=s.get("premium", False),
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
    accepted = accepted_warnings(data)
    scope = Scope(SpecString(data["resourceGroup"], "resourceGroup") if "resourceGroup" in data
                  else SpecString(f"rg-{data['name']}", "name"),
                  SpecString(data["subscriptionId"], "subscriptionId") if "subscriptionId" in data else None)
    # An owner that names only its subscription keeps the hub's group name there.
    branches = tuple(replace(b, scope=Scope(b.scope.resource_group or scope.resource_group, b.scope.subscription_id))
                     if getattr(b, "scope", None) else b for b in branches)
    spokes = tuple(replace(s, scope=Scope(s.scope.resource_group or scope.resource_group, s.scope.subscription_id))
                   if s.scope else s for s in spokes)
    kept = tuple(AsDeployed(SpecString(key, f"asDeployed.{key}"),
                            tuple(sorted(entry["tags"].items())) if "tags" in entry else None,
                            tuple(entry["zones"]) if "zones" in entry else None, entry.get("sku"), entry.get("properties"),
                            f"asDeployed.{key}")
                 for key, entry in data.get("asDeployed", {}).items())
    return Topology(
        name=data["name"],
        location=SpecString(data["location"], "location"),
        tags=tuple(sorted(data.get("tags", {}).items())),
        hub=hub,
        on_premises=on_premises,
        branches=branches,
        test_vms=test_vms,
        accepted_warnings=accepted,
        cost_assumptions=_cost_assumptions(data.get("costAssumptions", {})),
        spokes=spokes,
        scope=scope,
        as_deployed=kept,
    )


def accepted_warnings(data: dict) -> tuple[AcceptedWarning, ...]:
    return tuple(
        AcceptedWarning(_text(a, "rule", f"acceptedWarnings[{i}]"), _text(a, "path", f"acceptedWarnings[{i}]"),
                        _text(a, "reason", f"acceptedWarnings[{i}]"), f"acceptedWarnings[{i}]")
        for i, a in enumerate(data.get("acceptedWarnings", []))
    )


def _cost_assumptions(given: dict) -> CostAssumptions:
    keys = {"firewallDataProcessedGb": "firewall_data_gb", "logIngestionGb": "log_ingestion_gb",
            "erGatewayScaleUnits": "er_scale_units"}
    return CostAssumptions(**{field: given[key] for key, field in keys.items() if key in given},
                           given=tuple(key for key in keys if key in given))
