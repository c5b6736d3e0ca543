"""On-premises sites (ExpressRoute connections), VPN sites (Local Network Gateways) and VNet branches, with the
prefixes each owns, decided from evidence:

- a VPN site's prefixes are its Local Network Gateway's address space, else what its BGP peers advertise (the hub
  VPN gateway's learned routes from them), else the GatewaySubnet routes gen names after it;
- devices form one site when their evidence is shared: the same BGP ASN and the same prefixes (Microsoft's highly
  available design: one Local Network Gateway and one connection per device, https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-highlyavailable);
- an ExpressRoute site's prefixes are the GatewaySubnet routes gen names after it, else the firewall routes that no
  VPN site, branch, spoke or hub subnet owns, else what its circuit advertises; a prefix another site owns is never
  handed to it.
"""

from __future__ import annotations

from typing import NamedTuple

import json

from ..capture import Resource
from ..model import parse_network
from .evidence import ASSUMED, LEFT_ALONE, RESET, Evidence
from .gateways import vpn_gateway
from .networks import item_name, scope, unique, vnet

IPSEC_KEYS = ("ikeEncryption", "ikeIntegrity", "dhGroup", "ipsecEncryption", "ipsecIntegrity", "pfsGroup",
              "saLifeTimeSeconds", "saDataSizeKilobytes")
# What a connection's settings are when Azure's defaults apply (a device that differs from its site says so).
DEFAULT_SETTINGS = {"usePolicyBasedTrafficSelectors": False, "dpdTimeoutSeconds": 45, "connectionMode": "Default",
                    "connectionProtocol": "IKEv2"}


def _common_stem(names: list[str]) -> str:
    """The hyphen-separated words several names start with: dc-frankfurt-edge1, dc-frankfurt-edge2 -> dc-frankfurt."""
    words = [name.split("-") for name in names]
    common = []
    for parts in zip(*words):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return "-".join(common) if all(len(w) > len(common) for w in words) else ""


def connection_settings(ev: Evidence, connection: Resource) -> dict:
    """The spec's `connection` of a site-to-site connection: what differs from Azure's defaults, in the spellings the
    schema takes (Azure's own: PFS14 and PFS2048 are both group 14)."""
    found = {}
    policies = [p for p in connection.prop("ipsecPolicies", default=[]) or [] if isinstance(p, dict)]
    if policies:
        found["ipsecPolicy"] = {key: policies[0][key] for key in IPSEC_KEYS if key in policies[0]}
    if len(policies) > 1:
        ev.leave(connection, "IPsec/IKE policies beyond the first", "Azure applies one custom policy per connection: the "
                                                                    "redeploy keeps the first", RESET)
    if connection.prop("usePolicyBasedTrafficSelectors"):
        found["usePolicyBasedTrafficSelectors"] = True
    dpd = connection.prop("dpdTimeoutSeconds")
    if isinstance(dpd, int) and not isinstance(dpd, bool) and dpd not in (0, 45):  # 0: never set (Azure's 45 applies)
        if 9 <= dpd <= 3600:
            found["dpdTimeoutSeconds"] = dpd
        else:
            ev.leave(connection, f"dead peer detection timeout {dpd} s", "outside the 9-3600 s Azure accepts when it is set: the "
                                                                          "redeploy sets Azure's default (45 s)", RESET)
    if connection.prop("connectionMode") not in (None, "", "Default"):
        found["connectionMode"] = connection.prop("connectionMode")
    if str(connection.prop("connectionProtocol") or "IKEv2") == "IKEv1":
        found["connectionProtocol"] = "IKEv1"
    return found


def _peer_prefixes(ev: Evidence, vpn: Resource, peer: str) -> list[str]:
    """What a BGP peer of the hub VPN gateway advertises: its learned routes from that peer (eBGP)."""
    return list(dict.fromkeys(r.network for r in ev.learned(vpn) if r.source_peer == peer and r.origin == "EBgp"
                              and parse_network(r.network) is not None))


class _Device(NamedTuple):
    """One site-to-site connection and what says which site it is."""

    connection: Resource
    lng: Resource
    evidence: list[str]  # the site's prefixes: the gateway's address space, else what its BGP peer advertises
    key: tuple  # devices with one key are one site (the same ASN and prefixes)
    space: list[str]  # the gateway's address space as it runs
    learned: list[str]  # what its BGP peer advertises


def _named(udrs: list[tuple[str, str]], stem: str) -> list[str]:
    """GatewaySubnet routes gen names after an owner: `<owner>-<prefix with _>`."""
    return [prefix for route, prefix in udrs if route.lower() == f"{stem}-{prefix.replace('/', '_')}".lower()]


class Sites:
    """The sites and branches behind the hub's gateways; `owned` collects every prefix some owner holds."""

    def __init__(self, ev: Evidence, hub: Resource, vpn: Resource | None, er: Resource | None, udrs: list[tuple[str, str]],
                 taken: set[str]):
        self.ev, self.hub, self.vpn, self.er, self.udrs, self.taken = ev, hub, vpn, er, udrs, taken
        self.owned: set[str] = set()

    # --- VNet branches --------------------------------------------------------------------------------------

    def vnet_branches(self) -> list[dict]:
        ev, vpn, found = self.ev, self.vpn, []
        for connection in ev.connections_of(vpn, "Vnet2Vnet"):
            other = ev.by_id(connection.prop("virtualNetworkGateway2", "id"))
            back = next((c for c in ev.connections_of(other, "Vnet2Vnet")
                         if str(c.prop("virtualNetworkGateway2", "id") or "").lower() == vpn.key), None) if other else None
            branch_vnet = ev.gateway_vnet(other) if other else None
            if other is None or branch_vnet is None or back is None:
                ev.use(connection)
                ev.leave(connection, "the VNet-to-VNet connection", "its other gateway, its VNet or the connection back is not "
                                                                   "in the capture (capture its resource group too)", LEFT_ALONE)
                continue
            ev.use(connection, back)
            entry = {"name": unique(item_name(branch_vnet.name, strip=("vnet-",)), self.taken), "kind": "vnet",
                     **scope(branch_vnet, self.hub), "vnet": vnet(ev, branch_vnet), "vpnGateway": vpn_gateway(ev, other, hub=False)}
            if other.location and vpn.location and other.location.lower() != vpn.location.lower():
                entry["location"] = other.location
            if connection.name != f"{vpn.name}-to-{other.name}":
                entry["hubToBranchConnectionName"] = connection.name
            if back.name != f"{other.name}-to-{vpn.name}":
                entry["branchToHubConnectionName"] = back.name
            self.owned |= set(entry["vnet"]["addressSpace"])
            found.append(entry)
        return found

    # --- VPN sites ------------------------------------------------------------------------------------------

    def vpn_sites(self) -> list[dict]:
        ev, vpn = self.ev, self.vpn
        devices = []
        for connection in ev.connections_of(vpn, "IPsec"):
            lng = ev.by_id(connection.prop("localNetworkGateway2", "id"))
            ev.use(connection)
            if lng is None:
                ev.leave(connection, "the site-to-site connection", "its Local Network Gateway is not in the capture (capture "
                                                                   "its resource group too)", LEFT_ALONE)
                continue
            ev.use(lng)
            space = [str(p) for p in lng.prop("localNetworkAddressSpace", "addressPrefixes", default=[]) or []]
            asn, peer = lng.prop("bgpSettings", "asn"), lng.prop("bgpSettings", "bgpPeeringAddress")
            bgp = bool(connection.prop("enableBgp")) and asn and peer
            learned = _peer_prefixes(ev, vpn, str(peer)) if bgp else []
            # The BGP peer's own /32, which an older VPN page asked to put in the gateway, is no prefix of the site.
            own = [p for p in space if not (bgp and p in (str(peer), f"{peer}/32"))]
            evidence = own or learned
            key = ("bgp", asn, tuple(sorted(evidence))) if bgp and evidence else ("one", connection.key)
            devices.append(_Device(connection, lng, evidence, key, space, learned))
        groups: dict = {}
        for device in devices:
            groups.setdefault(device.key, []).append(device)
        found = []
        for group in groups.values():
            site = self._site(group)
            if site is not None:
                found.append(site)
        return found

    def _site(self, group: list["_Device"]) -> dict | None:
        ev = self.ev
        first = group[0]
        stems = [item_name(d.lng.name, strip=("lng-",)) for d in group]
        name = stems[0] if len(group) == 1 else (self._named_site(stems, first.evidence) or _common_stem(stems) or f"{stems[0]}-site")
        prefixes = first.evidence or next((p for s in [name] + stems for p in [_named(self.udrs, s)] if p), [])
        if not prefixes:
            ev.leave(first.connection, "the site", "neither its Local Network Gateway, its BGP peer's routes nor the GatewaySubnet "
                                                   "routes say its prefixes: it stays as it is (gen collect captures the learned "
                                                   "routes that would)", LEFT_ALONE)
            return None
        name = unique(name, self.taken)
        self.owned |= set(prefixes)
        entry = {"name": name, "kind": "site", "addressPrefixes": list(prefixes)}
        advertised = list(dict.fromkeys(p for d in group for p in d.learned))
        if advertised and set(advertised) != set(prefixes):
            entry["advertisedPrefixes"] = advertised  # what its peers really send, besides the gateway's space
        settings = [connection_settings(ev, d.connection) for d in group]
        if len(group) == 1:
            entry.update(self._device(first, name, None, list(prefixes)))
        else:
            devices = []
            for device, stem, own in zip(group, stems, settings):
                short = stem[len(name) + 1:] if stem.startswith(f"{name}-") else stem
                # The running keys cannot be read, and may differ: each device's connection keeps its own.
                fields = {"name": item_name(short), **self._device(device, name, item_name(short), []), "ownSharedKey": True}
                if "bgp" not in fields:
                    ev.leave(device.connection, "a device without BGP among several", "the devices of one site each need BGP "
                                                                                      "(Microsoft's highly available design)", RESET)
                differs = {k: own.get(k, DEFAULT_SETTINGS.get(k)) for k in set(own) | set(settings[0])
                           if own.get(k, DEFAULT_SETTINGS.get(k)) != settings[0].get(k, DEFAULT_SETTINGS.get(k))}
                if "ipsecPolicy" in differs and differs["ipsecPolicy"] is None:
                    ev.leave(device.connection, "Azure's default IPsec proposals", "another device of its site has a custom "
                                                                                   "policy and the spec cannot unset it per "
                                                                                   "device", RESET)
                    differs.pop("ipsecPolicy")
                if differs:
                    fields["connection"] = dict(sorted(differs.items()))
                devices.append(fields)
            entry["devices"] = devices
        if settings[0]:
            entry["connection"] = settings[0]
        return entry

    def _named_site(self, stems: list[str], prefixes: list[str]) -> str:
        """The site gen named the GatewaySubnet routes of these devices after (`<site>-<prefix>`), when every device's
        name starts with it: gen's own `lng-<site>-<device>`."""
        for route, prefix in self.udrs:
            suffix = f"-{prefix.replace('/', '_')}"
            if prefix in prefixes and route.endswith(suffix):
                site = route[: -len(suffix)]
                if site and all(stem.startswith(f"{site}-") for stem in stems):
                    return item_name(site)
        return ""

    def _device(self, device: "_Device", site: str, name: str | None, written: list[str]) -> dict:
        """The fields of one device (or of a one-device site): address, BGP, kept names, and the gateway's address space
        where it is not what gen writes (`written`)."""
        connection, lng = device.connection, device.lng
        found = {}
        if lng.prop("gatewayIpAddress"):
            found["gatewayIpAddress"] = lng.prop("gatewayIpAddress")
        elif lng.prop("fqdn"):
            found["fqdn"] = lng.prop("fqdn")
        asn, peer = lng.prop("bgpSettings", "asn"), lng.prop("bgpSettings", "bgpPeeringAddress")
        if connection.prop("enableBgp") and asn and peer:
            found["bgp"] = {"asn": asn, "peeringAddress": peer}
        elif lng.prop("bgpSettings", "asn"):
            self.ev.leave(lng, "BGP settings of a static connection's Local Network Gateway", "the connection runs without BGP, "
                                                                                               "so the spec has none: the "
                                                                                               "redeploy removes them", RESET)
        stem = f"{site}-{name}" if name else site
        if lng.name != f"lng-{stem}":
            found["localNetworkGatewayName"] = lng.name
        if connection.name != f"{self.vpn.name}-to-{stem}":
            found["connectionName"] = connection.name
        if sorted(device.space) != sorted(written):
            found["localNetworkGatewayPrefixes"] = list(device.space)
        return found

    # --- on-premises over ExpressRoute ----------------------------------------------------------------------------

    def on_premises(self, claimed: set[str]) -> list[dict]:
        """One site per ExpressRoute connection of the hub's gateway. `claimed`: prefixes of the hub and the spokes, which
        are never on-premises."""
        ev, er = self.ev, self.er
        connections = ev.connections_of(er, "ExpressRoute")
        learned = list(dict.fromkeys(r.network for r in ev.learned(er) if r.origin == "EBgp"
                                     and str(r.as_path or "").startswith("12076"))) if er else []
        taken = claimed | self.owned
        unclaimed = [prefix for _, prefix in self.udrs if prefix not in taken and not _inside(prefix, claimed)]
        found = []
        for connection in connections:
            ev.use(connection)
            site = unique(item_name(connection.name, strip=(f"{er.name.lower()}-", "conn-er-", "connection-to-", "conn-",
                                                            "con-", "cn-")), self.taken)
            named = [p for p in _named(self.udrs, site) if p not in self.owned]
            prefixes = named or (unclaimed if len(connections) == 1 else []) or [p for p in learned if p not in taken]
            if not named and len(connections) > 1 and prefixes:
                ev.leave(connection, "which prefixes this circuit carries", "the routes say only what all circuits carry together: "
                                                                           "assumed every circuit carries them all; correct "
                                                                           "addressPrefixes per site", ASSUMED)
            if not prefixes:
                ev.leave(connection, "the site", "neither the GatewaySubnet routes nor the circuits' learned routes say which "
                                                 "prefixes it carries: it stays as it is (write the site in onPremises with "
                                                 "its addressPrefixes and connectionName to manage it)", LEFT_ALONE)
                continue
            entry = {"name": site, "addressPrefixes": list(dict.fromkeys(prefixes)),
                     "expressRouteCircuitId": str(connection.prop("peer", "id") or "")}
            weight = connection.prop("routingWeight")
            if weight:
                entry["routingWeight"] = weight
            if connection.prop("expressRouteGatewayBypass"):
                entry["fastPath"] = True
            if connection.name != f"{er.name}-{site}":
                entry["connectionName"] = connection.name
            found.append(entry)
        return found


def _inside(prefix: str, owned: set[str]) -> bool:
    """Whether a prefix lies inside one an owner holds (a route for a hub subnet is the hub's, not on-premises)."""
    network = parse_network(prefix)
    return network is not None and any((o := parse_network(p)) is not None and network.subnet_of(o) for p in owned)


def settings_json(settings: dict) -> str:
    return json.dumps(settings, sort_keys=True)
