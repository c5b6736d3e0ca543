"""`gen import`: a running hub (a capture, read by capture.py) written back as a spec, the inverse of render.

It recognises the design gen generates in whatever Azure holds: the hub VNet (the one whose
GatewaySubnet holds the gateways, next to the Route Server and the firewall), its gateways, Route
Server, firewall and policy, the GatewaySubnet route table (whose routes to the firewall say which
prefixes are on-premises), ExpressRoute connections, VNet branches (VNet-to-VNet pairs), sites
(Local Network Gateways), spokes (VNets peered with the hub). Names that differ from what gen would
derive are kept in the spec (`connectionName`, `publicIpNames`, ...), so the imported spec renders
to the same resources.

What it cannot express it does not guess: every resource or property left out is listed with why
and what a redeploy of the imported spec does to it (left alone, reset, or created beside it).
Secrets are never read: `az resource show` does not return shared keys, and the spec names the
environment variables as usual.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from .capture import Capture, Resource
from .live import in_ip_configuration_order, name_of
from .model import (
    FIREWALL_MANAGEMENT_SUBNET,
    FIREWALL_SUBNET,
    GATEWAY_SUBNET,
    ROUTE_SERVER_SUBNET,
    SPECIAL_SUBNETS,
    default_generation,
    parse_network,
)

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
ITEM_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")


class ImportFailure(Exception):
    """The capture holds no hub gen can describe; the message says what is missing (exit 2)."""


@dataclass(frozen=True)
class LeftOut:
    resource: str  # "routeTables rt-shared-custom", "virtualNetworkGateways vpngw-weu"
    what: str  # the resource itself, or the property left out
    why: str
    redeploy: str  # LEFT_ALONE, RESET or CREATED_BESIDE

    def as_json(self) -> dict:
        return {"resource": self.resource, "what": self.what, "why": self.why, "redeploy": self.redeploy}


@dataclass
class Imported:
    spec: dict
    left_out: list[LeftOut] = field(default_factory=list)
    used: set = field(default_factory=set)  # keys of the captured resources the spec describes


def _common_stem(names: list[str]) -> str:
    """The hyphen-separated words several names start with: dc-frankfurt-edge1, dc-frankfurt-edge2 -> dc-frankfurt."""
    words = [name.split("-") for name in names]
    common = []
    for parts in zip(*words):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return "-".join(common) if all(len(w) > len(common) for w in words) else ""


def item_name(text: str, strip: tuple[str, ...] = ()) -> str:
    """A spec item name (lowercase letters, digits, hyphens) from an Azure name: `vnet-shop-paris` -> `shop-paris`."""
    lowered = text.lower()
    for prefix in strip:
        if lowered.startswith(prefix) and len(lowered) > len(prefix):
            lowered = lowered[len(prefix):]
            break
    cleaned = re.sub(r"[^a-z0-9-]+", "-", lowered).strip("-")[:40].strip("-")
    return cleaned or "x"


def import_capture(capture: Capture, name: str | None = None) -> Imported:
    return _Importer(capture).run(name)


class _Importer:
    def __init__(self, capture: Capture):
        self.capture = capture
        self.resources = capture.resources
        self.result = Imported({})

    # --- lookups ----------------------------------------------------------------------------------------

    def of_type(self, kind: str) -> list[Resource]:
        return self.capture.of_type(kind)

    def get(self, kind: str, name: str) -> Resource | None:
        return self.capture.find(kind, name)

    def by_id(self, resource_id) -> Resource | None:
        return self.capture.by_id(resource_id)

    def use(self, resource: Resource | None) -> None:
        if resource is not None:
            self.result.used.add(resource.key)

    def leave(self, resource: Resource | str, what: str, why: str, redeploy: str) -> None:
        label = resource if isinstance(resource, str) else f"{resource.type.split('/', 1)[-1]} {resource.name}"
        self.result.left_out.append(LeftOut(label, what, why, redeploy))

    def vnet_of(self, subnet_id) -> str | None:
        """The VNet name of a subnet ID (.../virtualNetworks/<vnet>/subnets/<subnet>)."""
        parts = str(subnet_id or "").split("/")
        lowered = [p.lower() for p in parts]
        return parts[lowered.index("virtualnetworks") + 1] if "virtualnetworks" in lowered[:-1] else None

    def subnets(self, vnet: Resource) -> list[Resource]:
        """A VNet's subnets, in the order Azure lists them."""
        listed = [s.get("name") for s in vnet.prop("subnets", default=[]) or [] if isinstance(s, dict)]
        found = [self.get(SUBNET, f"{vnet.name}/{name}") for name in listed]
        return [s for s in found if s is not None]

    def gateway_vnet(self, gateway: Resource) -> str | None:
        return self.vnet_of(gateway.prop("ipConfigurations", 0, "properties", "subnet", "id"))

    # --- the whole --------------------------------------------------------------------------------------

    def run(self, name: str | None) -> Imported:
        hub = self.find_hub()
        spec: dict = {"name": "", "location": hub.location or ""}
        self.result.spec = spec
        hub_spec: dict = {}
        spec["hub"] = hub_spec
        gateways = [g for g in self.of_type(GATEWAY) if (self.gateway_vnet(g) or "").lower() == hub.name.lower()]
        er = next((g for g in gateways if str(g.prop("gatewayType")).lower() == "expressroute"), None)
        vpn = next((g for g in gateways if str(g.prop("gatewayType")).lower() == "vpn"), None)
        firewall = next((f for f in self.of_type(FIREWALL) if (self.vnet_of(f.prop("ipConfigurations", 0, "properties", "subnet", "id"))
                                                               or "").lower() == hub.name.lower()), None)
        firewall_ip = firewall.prop("ipConfigurations", 0, "properties", "privateIPAddress") if firewall else None
        tables = self.tables_of(hub)
        gateway_table = tables.get(GATEWAY_SUBNET)
        udrs = self.firewall_routes(gateway_table, firewall_ip)
        hub_spec["vnet"] = self.vnet(hub, hub_tables=tables, firewall_ip=firewall_ip)
        if er is not None:
            hub_spec["expressRouteGateway"] = self.expressroute_gateway(er)
        if vpn is not None:
            hub_spec["vpnGateway"] = self.vpn_gateway(vpn, hub=True)
        route_server = self.route_server(hub)
        if route_server is not None:
            hub_spec["routeServer"] = route_server
        branches, branch_prefixes = self.branches(vpn, udrs)
        order = [prefix for _, prefix in udrs]  # gen writes GatewaySubnet's routes in spec order: keep it
        branches.sort(key=lambda b: min((order.index(p) for p in _prefixes(b) if p in order), default=len(order)))
        spokes = self.spokes(hub, firewall_ip)
        spoke_prefixes = {p for s in spokes for p in s["vnet"]["addressSpace"]}
        on_premises = self.on_premises(er, udrs, branch_prefixes | spoke_prefixes | set(hub_spec["vnet"]["addressSpace"]))
        if firewall is not None:
            hub_spec["firewall"] = self.firewall(firewall, hub, tables, udrs, on_premises)
        self.unused_gateways(gateways, er, vpn)
        if on_premises:
            spec["onPremises"] = on_premises
        if branches:
            spec["branches"] = branches
        if spokes:
            spec["spokes"] = spokes
        spec["name"] = item_name(name) if name else item_name(hub.resource_group or hub.name, strip=("rg-",))
        self.tags(spec)
        self.leftovers()
        return self.result

    def find_hub(self) -> Resource:
        """The VNet whose GatewaySubnet holds the gateways: with the Route Server, the ExpressRoute gateway and the
        firewall counting most (a branch VNet holds a VPN gateway too)."""
        scores: dict[str, int] = {}
        for gateway in self.of_type(GATEWAY):
            vnet = (self.gateway_vnet(gateway) or "").lower()
            scores[vnet] = scores.get(vnet, 0) + (4 if str(gateway.prop("gatewayType")).lower() == "expressroute" else 1)
        for configuration in self.of_type(HUB_IP_CONFIGURATION):
            vnet = (self.vnet_of(configuration.prop("subnet", "id")) or "").lower()
            scores[vnet] = scores.get(vnet, 0) + 8
        for firewall in self.of_type(FIREWALL):
            vnet = (self.vnet_of(firewall.prop("ipConfigurations", 0, "properties", "subnet", "id")) or "").lower()
            scores[vnet] = scores.get(vnet, 0) + 2
        candidates = [v for v in self.of_type(VNET) if v.name.lower() in scores]
        if not candidates:
            raise ImportFailure(f"{self.capture.root}: no hub here: no captured VNet holds a VPN or ExpressRoute gateway, a Route "
                                f"Server or a firewall (gen collect --resource-group RG captures a resource group)")
        return max(candidates, key=lambda v: (scores[v.name.lower()], v.name.lower()))

    # --- VNets and route tables ---------------------------------------------------------------------------

    def tables_of(self, vnet: Resource) -> dict[str, Resource]:
        """Subnet name -> the route table attached to it."""
        found = {}
        for subnet in self.subnets(vnet):
            table = self.get(ROUTE_TABLE, name_of(subnet.prop("routeTable", "id"))) if subnet.prop("routeTable", "id") else None
            if table is not None:
                found[subnet.name.split("/", 1)[1]] = table
        return found

    @staticmethod
    def firewall_routes(table: Resource | None, firewall_ip) -> list[tuple[str, str]]:
        """(route name, prefix) of each route of a table that sends to the firewall."""
        found = []
        for route in (table.prop("routes", default=[]) or []) if table else []:
            fields = route.get("properties") or {}
            if fields.get("nextHopType") == "VirtualAppliance" and firewall_ip and fields.get("nextHopIpAddress") == firewall_ip:
                found.append((str(route.get("name")), str(fields.get("addressPrefix"))))
        return found

    def vnet(self, vnet: Resource, hub_tables: dict | None = None, firewall_ip=None) -> dict:
        self.use(vnet)
        subnets = []
        for subnet in self.subnets(vnet):
            short = subnet.name.split("/", 1)[1]
            owned = [key for key in ("delegations", "serviceEndpoints", "natGateway", "serviceAssociationLinks") if subnet.prop(key)]
            if owned and short not in SPECIAL_SUBNETS:
                # Someone else's subnet (a DNS resolver's, a service's): not declared, so the redeploy leaves it alone.
                self.use(subnet)
                self.leave(subnet, "the subnet", f"it carries {', '.join(owned)} that the spec cannot hold; left out of the "
                                                 f"spec so that the redeploy does not reset them", LEFT_ALONE)
                continue
            self.use(subnet)
            entry = {"name": short, "prefix": str(subnet.prop("addressPrefix") or (subnet.prop("addressPrefixes") or [""])[0])}
            nsg = subnet.prop("networkSecurityGroup", "id")
            if nsg:
                if short in SPECIAL_SUBNETS:
                    self.leave(subnet, f"network security group {name_of(nsg)}", f"{short} takes no NSG in gen's design (SUBNET007)", RESET)
                else:
                    entry["networkSecurityGroupId"] = nsg
            if hub_tables is not None and short in hub_tables and short not in SPECIAL_SUBNETS:
                table = hub_tables[short]
                if self.firewall_routes(table, firewall_ip) and table.prop("disableBgpRoutePropagation"):
                    entry["routeTableName"] = table.name  # a hub subnet inspected by the firewall (inspectHubSubnets)
            subnets.append(entry)
        return {"name": vnet.name, "addressSpace": list(vnet.prop("addressSpace", "addressPrefixes", default=[]) or []),
                "subnets": subnets}

    # --- gateways -------------------------------------------------------------------------------------------

    def public_ips(self, gateway: Resource, default: tuple[str, ...]) -> list[str] | None:
        """The names of a gateway's public IPs, or None when they are gen's own names."""
        names = []
        for configuration in gateway.prop("ipConfigurations", default=[]) or []:
            public_ip = self.by_id(((configuration.get("properties") or {}).get("publicIPAddress") or {}).get("id"))
            self.use(public_ip)
            names.append(public_ip.name if public_ip else name_of(((configuration.get("properties") or {}).get("publicIPAddress") or {}).get("id")))
        return None if tuple(names) == default else names

    def expressroute_gateway(self, gateway: Resource) -> dict:
        self.use(gateway)
        found = {"name": gateway.name, "sku": str((gateway.sku or {}).get("name") or gateway.prop("sku", "name"))}
        kept = self.public_ips(gateway, (f"{gateway.name}-pip",))
        if kept:
            found["publicIpName"] = kept[0]
        return found

    def vpn_gateway(self, gateway: Resource, hub: bool) -> dict:
        self.use(gateway)
        sku = str((gateway.sku or {}).get("name") or gateway.prop("sku", "name"))
        active = bool(gateway.prop("activeActive"))
        found = {"name": gateway.name, "sku": sku, "asn": gateway.prop("bgpSettings", "asn") or 65515}
        if active != hub:
            found["activeActive"] = active
        generation = gateway.prop("vpnGatewayGeneration")
        if generation in ("Generation1", "Generation2"):
            found["generation"] = generation  # what is deployed, so that a later SKU change keeps it
        default = (f"{gateway.name}-pip1", f"{gateway.name}-pip2") if active else (f"{gateway.name}-pip1",)
        kept = self.public_ips(gateway, default)
        if kept:
            found["publicIpNames"] = kept
        custom = self.custom_bgp_addresses(gateway)
        if custom:
            found["customBgpIpAddresses"] = custom
        configurations = [str(c.get("name")) for c in gateway.prop("ipConfigurations", default=[]) or [] if isinstance(c, dict)]
        if configurations and configurations != [f"ipconfig{i + 1}" for i in range(len(configurations))]:
            found["ipConfigurationNames"] = configurations  # a portal-built gateway's: default, activeActive
        if gateway.prop("vpnClientConfiguration"):
            self.leave(gateway, "point-to-site configuration (vpnClientConfiguration)",
                       "gen designs site-to-site and VNet-to-VNet only", RESET)
        for key in ("natRules", "customRoutes", "vpnGatewayConnectionPolicy"):
            if gateway.prop(key):
                self.leave(gateway, key, "gen does not write it", RESET)
        if gateway.prop("enableBgp") is False:
            self.leave(gateway, "BGP off", "every connection of gen's design runs BGP: the redeploy turns it on", RESET)
        return found

    def custom_bgp_addresses(self, gateway: Resource) -> list[str]:
        """The custom APIPA address of each IP configuration, in their order (ipconfig1 is instance 0)."""
        found = [list(p.get("customBgpIpAddresses") or []) for p in in_ip_configuration_order(gateway)]
        if not any(found):
            return []
        if any(len(addresses) != 1 for addresses in found):
            self.leave(gateway, "custom APIPA BGP addresses beyond one per instance", "the spec holds one per instance", RESET)
        return [addresses[0] for addresses in found if addresses]

    def route_server(self, hub: Resource) -> dict | None:
        for route_server in self.of_type(HUB):
            configuration = self.by_id(route_server.prop("ipConfigurations", 0, "id"))
            vnet = self.vnet_of(configuration.prop("subnet", "id")) if configuration else None
            if (vnet or "").lower() != hub.name.lower():
                continue
            self.use(route_server)
            self.use(configuration)
            found = {"name": route_server.name}
            if route_server.prop("allowBranchToBranchTraffic") is False:
                found["branchToBranch"] = False
            preference = route_server.prop("hubRoutingPreference")
            if preference and preference != "ExpressRoute":
                found["hubRoutingPreference"] = preference
            public_ip = self.by_id(configuration.prop("publicIPAddress", "id")) if configuration else None
            self.use(public_ip)
            if public_ip and public_ip.name != f"{route_server.name}-pip":
                found["publicIpName"] = public_ip.name
            if configuration and configuration.name.split("/")[-1] != "ipconfig1":
                found["ipConfigurationName"] = configuration.name.split("/")[-1]
            if route_server.prop("bgpConnections"):
                self.leave(route_server, "NVA BGP peerings (bgpConnections)", "gen's design has no NVA peering the Route Server",
                           LEFT_ALONE)
            return found
        return None

    def unused_gateways(self, gateways: list[Resource], er, vpn) -> None:
        for gateway in gateways:
            if gateway is not er and gateway is not vpn:
                self.leave(gateway, "the gateway", "gen's hub has one ExpressRoute and one VPN gateway", LEFT_ALONE)

    # --- connections ------------------------------------------------------------------------------------------

    def connections(self, gateway: Resource | None, kind: str) -> list[Resource]:
        if gateway is None:
            return []
        return [c for c in self.of_type(CONNECTION) if str(c.prop("connectionType")) == kind
                and name_of(c.prop("virtualNetworkGateway1", "id")).lower() == gateway.name.lower()]

    def on_premises(self, er: Resource | None, udrs: list[tuple[str, str]], known: set) -> list[dict]:
        """One site per ExpressRoute connection. Its prefixes: the GatewaySubnet routes gen names after it
        (`<site>-<prefix>`), else the firewall routes no branch, spoke or hub holds, else what the gateway learned
        from its circuits."""
        connections = self.connections(er, "ExpressRoute")
        found = []
        learned = self.learned_onprem(er) if er else []
        for connection in connections:
            self.use(connection)
            site = item_name(connection.name, strip=(f"{er.name.lower()}-", "conn-er-", "conn-", "con-", "cn-"))
            named = [prefix for route, prefix in udrs if route.lower().startswith(f"{site}-")]
            unclaimed = [prefix for _, prefix in udrs if prefix not in known]
            prefixes = named or (unclaimed if len(connections) == 1 or not learned else []) or learned
            if not named and not (unclaimed and len(connections) == 1) and learned and len(connections) > 1:
                self.leave(connection, "which prefixes this circuit carries", "the routes say only what all circuits carry "
                                                                              "together: assumed every circuit carries them all; "
                                                                              "correct addressPrefixes per site", LEFT_ALONE)
            entry = {"name": site, "addressPrefixes": list(dict.fromkeys(prefixes)),
                     "expressRouteCircuitId": str(connection.prop("peer", "id") or "")}
            if not prefixes:
                self.leave(connection, "the site's prefixes", "neither the GatewaySubnet routes nor the learned routes say "
                                                             "which prefixes it carries: write them in addressPrefixes", LEFT_ALONE)
            weight = connection.prop("routingWeight")
            if weight:
                entry["routingWeight"] = weight
            if connection.prop("expressRouteGatewayBypass"):
                entry["fastPath"] = True
            if connection.name != f"{er.name}-{site}":
                entry["connectionName"] = connection.name
            found.append(entry)
        return found

    def learned_onprem(self, er: Resource) -> list[str]:
        """What the ExpressRoute gateway learned from its circuits (AS path through 12076, Microsoft's edge)."""
        routes = self.capture.learned_routes(er.name) or []
        return list(dict.fromkeys(r.network for r in routes if r.origin == "EBgp" and str(r.as_path or "").startswith("12076")))

    def branches(self, vpn: Resource | None, udrs: list[tuple[str, str]] = ()) -> tuple[list[dict], set]:
        found, prefixes = [], set()
        if vpn is None:
            return found, prefixes
        for connection in self.connections(vpn, "Vnet2Vnet"):
            other = self.get(GATEWAY, name_of(connection.prop("virtualNetworkGateway2", "id")))
            back = next((c for c in self.of_type(CONNECTION) if str(c.prop("connectionType")) == "Vnet2Vnet"
                         and name_of(c.prop("virtualNetworkGateway1", "id")).lower() == (other.name.lower() if other else "")
                         and name_of(c.prop("virtualNetworkGateway2", "id")).lower() == vpn.name.lower()), None)
            vnet = self.get(VNET, self.gateway_vnet(other)) if other else None
            if other is None or vnet is None or back is None:
                self.leave(connection, "the VNet-to-VNet connection", "its other gateway, its VNet or the connection back is "
                                                                     "not in the capture", LEFT_ALONE)
                continue
            self.use(connection)
            self.use(back)
            entry = {"name": item_name(vnet.name, strip=("vnet-",)), "kind": "vnet", "vnet": self.vnet(vnet),
                     "vpnGateway": self.vpn_gateway(other, hub=False)}
            if other.location and vpn.location and other.location.lower() != vpn.location.lower():
                entry["location"] = other.location
            if connection.name != f"{vpn.name}-to-{other.name}":
                entry["hubToBranchConnectionName"] = connection.name
            if back.name != f"{other.name}-to-{vpn.name}":
                entry["branchToHubConnectionName"] = back.name
            prefixes |= set(entry["vnet"]["addressSpace"])
            found.append(entry)
        for site in self.sites(vpn, udrs):
            prefixes |= set(site["addressPrefixes"])
            found.append(site)
        return found, prefixes

    def sites(self, vpn: Resource, udrs: list[tuple[str, str]] = ()) -> list[dict]:
        """One site per Local Network Gateway, except that devices of one site become one site with `devices`:
        BGP Local Network Gateways with the same address space and connections with the same settings (Microsoft's
        highly available design: one Local Network Gateway and one connection per device)."""
        pairs = []
        for connection in self.connections(vpn, "IPsec"):
            lng = self.get(LOCAL_GATEWAY, name_of(connection.prop("localNetworkGateway2", "id")))
            if lng is None:
                self.leave(connection, "the site-to-site connection", "its Local Network Gateway is not in the capture", LEFT_ALONE)
                continue
            self.use(connection)
            self.use(lng)
            pairs.append((connection, lng))
        groups: dict = {}
        for connection, lng in pairs:
            bgp = bool(connection.prop("enableBgp")) and lng.prop("bgpSettings", "asn") and lng.prop("bgpSettings", "bgpPeeringAddress")
            key = (tuple(lng.prop("localNetworkAddressSpace", "addressPrefixes", default=[]) or []), lng.prop("bgpSettings", "asn"),
                   json.dumps(self.connection_settings(connection), sort_keys=True)) if bgp else (id(connection),)
            groups.setdefault(key, []).append((connection, lng))
        return [site for site in (self.site(group, vpn, udrs) for group in groups.values()) if site is not None]

    def connection_settings(self, connection: Resource) -> dict:
        """The spec's `connection` of a site-to-site connection: what differs from Azure's defaults."""
        found = {}
        policies = [p for p in connection.prop("ipsecPolicies", default=[]) or [] if isinstance(p, dict)]
        if policies:
            keys = ("ikeEncryption", "ikeIntegrity", "dhGroup", "ipsecEncryption", "ipsecIntegrity", "pfsGroup",
                    "saLifeTimeSeconds", "saDataSizeKilobytes")
            found["ipsecPolicy"] = {key: policies[0][key] for key in keys if key in policies[0]}
        if connection.prop("usePolicyBasedTrafficSelectors"):
            found["usePolicyBasedTrafficSelectors"] = True
        if connection.prop("dpdTimeoutSeconds") not in (None, 45):
            found["dpdTimeoutSeconds"] = connection.prop("dpdTimeoutSeconds")
        if connection.prop("connectionMode") not in (None, "Default"):
            found["connectionMode"] = connection.prop("connectionMode")
        return found

    def site(self, group: list, vpn: Resource, udrs: list[tuple[str, str]] = ()) -> dict | None:
        connection, lng = group[0]
        stems = [item_name(l.name, strip=("lng-",)) for _, l in group]
        name = stems[0]
        prefixes = list(lng.prop("localNetworkAddressSpace", "addressPrefixes", default=[]) or [])
        if len(group) > 1:
            # The devices' Local Network Gateways hold no prefixes (BGP carries them); gen names a GatewaySubnet route
            # after its site (`<site>-<prefix>`): that names the site and gives its prefixes.
            named = {}
            for route, prefix in udrs:
                stem = route[: -len(prefix) - 1]
                if route.endswith(f"-{prefix.replace('/', '_')}") and all(s.startswith(f"{stem}-") for s in stems):
                    named.setdefault(stem, []).append(prefix)
            name = max(named, key=len) if named else _common_stem(stems) or f"{stems[0]}-site"
            prefixes = prefixes or named.get(name, [])
        if not prefixes:
            self.leave(connection, "the site", "neither its Local Network Gateways nor the GatewaySubnet routes say its "
                                               "prefixes", LEFT_ALONE)
            return None
        entry = {"name": name, "kind": "site", "addressPrefixes": prefixes}
        if len(group) == 1:
            entry.update(self.device(connection, lng, vpn, name, None))
        else:
            entry["devices"] = [{"name": stem[len(name) + 1:] or stem, **self.device(c, l, vpn, name, stem[len(name) + 1:] or stem)}
                                for (c, l), stem in zip(group, stems)]
        settings = self.connection_settings(connection)
        if settings:
            entry["connection"] = settings
        for c, _ in group:
            if c.prop("trafficSelectorPolicies"):
                self.leave(c, "custom traffic selectors", "this version of the spec has no field for them", RESET)
        if len(connection.prop("ipsecPolicies", default=[]) or []) > 1:
            self.leave(connection, "IPsec/IKE policies beyond the first", "Azure takes one policy per connection", RESET)
        return entry

    def device(self, connection: Resource, lng: Resource, vpn: Resource, site: str, device: str | None) -> dict:
        """The fields of one device (or of a one-device site): address, BGP, kept names."""
        found = {}
        if lng.prop("gatewayIpAddress"):
            found["gatewayIpAddress"] = lng.prop("gatewayIpAddress")
        elif lng.prop("fqdn"):
            found["fqdn"] = lng.prop("fqdn")
        asn, peer = lng.prop("bgpSettings", "asn"), lng.prop("bgpSettings", "bgpPeeringAddress")
        if connection.prop("enableBgp") and asn and peer:
            found["bgp"] = {"asn": asn, "peeringAddress": peer}
        stem = f"{site}-{device}" if device else site
        if lng.name != f"lng-{stem}":
            found["localNetworkGatewayName"] = lng.name
        if connection.name != f"{vpn.name}-to-{stem}":
            found["connectionName"] = connection.name
        return found

    # --- spokes -------------------------------------------------------------------------------------------------

    def spokes(self, hub: Resource, firewall_ip) -> list[dict]:
        found = []
        for peering in self.of_type(PEERING):
            if peering.name.split("/")[0].lower() != hub.name.lower():
                continue
            vnet = self.get(VNET, name_of(peering.prop("remoteVirtualNetwork", "id")))
            if vnet is None:
                self.leave(peering, "the peering", "its remote VNet is not in the capture (another resource group?)", LEFT_ALONE)
                continue
            if any(g for g in self.of_type(GATEWAY) if (self.gateway_vnet(g) or "").lower() == vnet.name.lower()):
                continue  # a VNet with its own gateway is a branch, not a spoke
            back = next((p for p in self.of_type(PEERING) if p.name.split("/")[0].lower() == vnet.name.lower()
                         and name_of(p.prop("remoteVirtualNetwork", "id")).lower() == hub.name.lower()), None)
            self.use(peering)
            self.use(back)
            entry = {"name": item_name(vnet.name, strip=("vnet-",)), "vnet": self.vnet(vnet)}
            tables = self.tables_of(vnet)
            table = next(iter(tables.values()), None)
            if table is not None:
                self.use(table)
                routes = {str((r.get("properties") or {}).get("addressPrefix")): r for r in table.prop("routes", default=[]) or []}
                if "0.0.0.0/0" in routes and ((routes["0.0.0.0/0"].get("properties") or {}).get("nextHopIpAddress") == firewall_ip):
                    entry["internetThroughFirewall"] = True
                if not table.prop("disableBgpRoutePropagation"):
                    entry["propagateGatewayRoutes"] = True
                if table.name != f"{vnet.name}-rt":
                    entry["routeTableName"] = table.name
                if len({t.name for t in tables.values()}) > 1:
                    self.leave(vnet, "several route tables", "gen gives a spoke's subnets one table", RESET)
            if peering.name.split("/", 1)[1] != f"{hub.name}-to-{vnet.name}":
                entry["hubToSpokePeeringName"] = peering.name.split("/", 1)[1]
            if back is not None and back.name.split("/", 1)[1] != f"{vnet.name}-to-{hub.name}":
                entry["spokeToHubPeeringName"] = back.name.split("/", 1)[1]
            if back is None:
                self.leave(peering, "the spoke's peering back to the hub", "not in the capture", CREATED_BESIDE)
            elif not back.prop("useRemoteGateways"):
                self.leave(back, "useRemoteGateways off", "gen's spokes use the hub's gateways: the redeploy turns it on", RESET)
            found.append(entry)
        return found

    # --- the firewall --------------------------------------------------------------------------------------------

    def firewall(self, firewall: Resource, hub: Resource, tables: dict, udrs, on_premises: list) -> dict:
        self.use(firewall)
        found = {"name": firewall.name, "tier": str((firewall.prop("sku") or {}).get("tier") or "Standard")}
        policy = self.get(POLICY, name_of(firewall.prop("firewallPolicy", "id")))
        if policy is not None:
            self.use(policy)
            if policy.name != f"{firewall.name}-policy":
                found["policyName"] = policy.name
        else:
            self.leave(firewall, "classic rules (no firewall policy)", "gen writes a firewall policy", RESET)
        public_ip = self.by_id(firewall.prop("ipConfigurations", 0, "properties", "publicIPAddress", "id"))
        self.use(public_ip)
        if public_ip and public_ip.name != f"{firewall.name}-pip":
            found["publicIpName"] = public_ip.name
        management = firewall.prop("managementIpConfiguration")
        if management:
            management_ip = self.by_id(((management.get("properties") or {}).get("publicIPAddress") or {}).get("id"))
            self.use(management_ip)
            if found["tier"] != "Basic":
                found["forcedTunneling"] = True
            if management_ip and management_ip.name != f"{firewall.name}-mgmt-pip":
                found["managementPublicIpName"] = management_ip.name
        gateway_table = tables.get(GATEWAY_SUBNET)
        if gateway_table is not None and udrs:
            self.use(gateway_table)
            if gateway_table.name != f"{hub.name}-{GATEWAY_SUBNET}-rt":
                self.route_table_name(GATEWAY_SUBNET, gateway_table.name)
            for route in gateway_table.prop("routes", default=[]) or []:
                fields = route.get("properties") or {}
                if fields.get("nextHopType") != "VirtualAppliance" or fields.get("nextHopIpAddress") != firewall.prop(
                        "ipConfigurations", 0, "properties", "privateIPAddress"):
                    self.leave(gateway_table, f"route {route.get('name')} ({fields.get('addressPrefix')} -> {fields.get('nextHopType')})",
                               "gen writes GatewaySubnet's routes from the spec: on-premises, branch and spoke prefixes to the "
                               "firewall", RESET)
        else:
            found["inspectTransit"] = False
        workload = [s for s in hub_subnet_names(self.result.spec) if s not in SPECIAL_SUBNETS and s != "AzureBastionSubnet"]
        inspected = [s for s in workload if "routeTableName" in self.subnet_entry(s)]
        for name in inspected:
            if inspected == workload:
                self.use(tables[name])
            else:
                self.leave(tables[name], "the route table", "gen sends all hub workload subnets through the firewall or none "
                                                           "(inspectHubSubnets): the redeploy detaches it", RESET)
            if inspected != workload or tables[name].name == f"{hub.name}-{name}-rt":
                self.subnet_entry(name).pop("routeTableName")
        if inspected and inspected == workload:
            found["inspectHubSubnets"] = True
        for special in (FIREWALL_SUBNET, FIREWALL_MANAGEMENT_SUBNET):
            table = tables.get(special)
            if table is not None:
                self.use(table)
                if table.name != f"{hub.name}-{special}-rt":
                    self.route_table_name(special, table.name)
                if special == FIREWALL_SUBNET and on_premises:
                    on_premises[0]["advertisesDefaultRoute"] = True  # the 0/0 -> Internet table exists for a site's default route
        found["networkRules"] = self.network_rules(policy, found) if policy else []
        if policy is not None and not self.capture.diagnostic_settings(firewall.name) is None:
            diagnostics = self.diagnostics(firewall)
            if diagnostics:
                found["diagnostics"] = diagnostics
        elif policy is not None:
            self.leave(firewall, "its diagnostic settings", "the capture did not read them (extension resources are not in az "
                                                            "resource list): add hub.firewall.diagnostics if it logs", LEFT_ALONE)
        return found

    def subnet_entry(self, name: str) -> dict:
        return next(s for s in self.result.spec["hub"]["vnet"]["subnets"] if s["name"] == name)

    def route_table_name(self, subnet: str, table: str) -> None:
        self.subnet_entry(subnet)["routeTableName"] = table

    def network_rules(self, policy: Resource, found: dict) -> list[dict]:
        """The Allow network rules of every group, in priority order, into the one group gen writes: the first group
        that has some keeps its name; the others stay as they are (their rules then live twice, which changes
        nothing); what a group holds besides is listed."""
        from .live import _network_rules, _other_rules

        rules, kept = [], None
        groups = sorted((g for g in self.of_type(RULES) if g.name.split("/")[0].lower() == policy.name.lower()),
                        key=lambda g: g.prop("priority") or 0)
        for group in groups:
            self.use(group)  # accounted for below, whatever it holds
            own = _network_rules(group)
            if own and kept is None:
                kept = group
                self.use(group)
                if group.name.split("/")[-1] != "network-rules":
                    found["ruleCollectionGroupName"] = group.name.split("/")[-1]
            for name, sources, destinations, ports, protocols in own:
                rules.append({"name": name, "sourceAddresses": list(sources), "destinationAddresses": list(destinations),
                              "destinationPorts": list(ports), "protocols": list(protocols)})
            for what in _other_rules(group):
                self.leave(group, what, "the spec holds Allow network rules on addresses only",
                           RESET if group is kept else LEFT_ALONE)
            if own and group is not kept:
                self.leave(group, "the rule collection group itself", f"its network rules are imported into "
                                                                      f"{kept.name.split('/')[-1]}; this group stays as it is",
                           LEFT_ALONE)
        descriptions = {}
        for group in groups:
            for collection in group.prop("ruleCollections", default=[]) or []:
                for rule in (collection.get("rules") or []) if isinstance(collection, dict) else []:
                    if isinstance(rule, dict) and rule.get("description"):
                        descriptions[rule.get("name")] = rule["description"]
        for rule in rules:
            if descriptions.get(rule["name"]):
                rule["description"] = descriptions[rule["name"]][:140]
        return rules

    def diagnostics(self, firewall: Resource) -> dict | None:
        settings = self.capture.diagnostic_settings(firewall.name) or []
        setting = next((s for s in settings if s.workspace_id), None)
        if setting is None:
            return None
        if setting.name != "to-log-analytics":
            self.leave(f"diagnosticSettings {setting.name}", "its name", "gen names the firewall's setting to-log-analytics",
                       CREATED_BESIDE)
        workspace = self.by_id(setting.workspace_id)
        if workspace is not None:
            self.use(workspace)
            return {"workspace": {"name": workspace.name, "retentionInDays": workspace.prop("retentionInDays") or 30}}
        return {"workspaceResourceId": setting.workspace_id}

    # --- the rest -------------------------------------------------------------------------------------------------

    def tags(self, spec: dict) -> None:
        used = [r for r in self.resources.values() if r.key in self.result.used and r.type.lower() not in (SUBNET, PEERING)]
        sets = {tuple(sorted((r.tags or {}).items())) for r in used}
        if len(sets) == 1 and next(iter(sets)):
            spec["tags"] = dict(next(iter(sets)))
        elif len(sets) > 1:
            common = dict(sorted(set.intersection(*(set(s) for s in sets))))
            if common:
                spec["tags"] = common
            self.leave("(tags)", "tags that differ between resources",
                       f"gen puts one set of tags on every resource{': ' + ', '.join(f'{k}={v}' for k, v in common.items()) if common else ''}",
                       RESET)

    def leftovers(self) -> None:
        for resource in sorted(self.resources.values(), key=lambda r: (r.type.lower(), r.name.lower())):
            if resource.key in self.result.used:
                continue
            kind = resource.type.lower()
            if kind == SUBNET or kind == PEERING:
                continue  # inline in a VNet: listed with it, or the VNet is not part of the hub
            if kind == ROUTE_TABLE:
                attached = [name_of(s.get("id")) for s in resource.prop("subnets", default=[]) or [] if isinstance(s, dict)]
                hub_subnets = hub_subnet_names(self.result.spec)
                on_hub = [s for s in attached if s in hub_subnets]
                if on_hub:
                    self.leave(resource, "the route table", f"gen writes no table for subnet {', '.join(on_hub)} (or another one): the "
                                                           f"redeploy detaches it; the table itself stays", RESET)
                    continue
            self.leave(resource, "the resource", "not part of the hub design gen describes", LEFT_ALONE)


def _prefixes(branch: dict) -> list[str]:
    return branch["vnet"]["addressSpace"] if branch["kind"] == "vnet" else branch["addressPrefixes"]


def hub_subnet_names(spec: dict) -> list[str]:
    return [s["name"] for s in spec.get("hub", {}).get("vnet", {}).get("subnets", [])]
