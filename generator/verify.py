"""`gen collect` and `gen verify`: capture a deployed hub with read-only `az` commands, and compare
the capture with the routing model.

The capture folder is the contract between the two (others may produce it too; the README
documents it):

    CAPTURE/
      deployment.json                                az deployment group show -g RG -n NAME
      route-server.json                              az network routeserver show -g RG -n ARS
      gateways/<gateway>/bgp-peer-status.json        az network vnet-gateway list-bgp-peer-status -g RG -n GW
      gateways/<gateway>/learned-routes.json         az network vnet-gateway list-learned-routes -g RG -n GW
      gateways/<gateway>/advertised-routes/<ip>.json az network vnet-gateway list-advertised-routes -g RG -n GW --peer IP
      nics/<nic>/effective-routes.json               az network nic show-effective-route-table -g RG -n NIC

Every reader accepts the shapes Azure CLI versions have produced (shared/docs/azure-cli-outputs.md):
`{"value": [...]}` or a bare list, `disableBgpRoutePropagation` at the top or inside
`additionalProperties`, Route Server route dictionaries keyed by instance.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from . import routing
from .findings import Finding
from .model import Topology, VnetBranch, parse_network
from .rules.verification import (
    FIREWALL_ADDRESS,
    FIREWALL_BYPASS,
    NIC_ROUTE,
    NOT_CAPTURED,
    ROUTE_MISSING,
    SESSION_DOWN,
    SESSION_MISSING,
    UNKNOWN_PREFIX,
)

DEPLOYMENT = "deployment.json"
ROUTE_SERVER = "route-server.json"
LEARNED_ORIGINS = ("EBgp", "IBgp")  # what a gateway learned over BGP; "Network" is its own VNet or an LNG's static prefixes
EXPRESSROUTE_ASN = 12076  # the Microsoft edge routers (MSEE) an ExpressRoute gateway peers with


def bgp_status_file(gateway: str) -> str:
    return f"gateways/{gateway}/bgp-peer-status.json"


def learned_routes_file(gateway: str) -> str:
    return f"gateways/{gateway}/learned-routes.json"


def advertised_routes_file(gateway: str, peer: str) -> str:
    return f"gateways/{gateway}/advertised-routes/{peer}.json"


def effective_routes_file(nic: str) -> str:
    return f"nics/{nic}/effective-routes.json"


def _gateways(t: Topology) -> list[str]:
    """The gateways a capture holds: the hub's, then each VNet branch's."""
    names = [t.hub.expressroute_gateway.name] if t.hub.expressroute_gateway else []
    return names + [g.name for g in t.vpn_gateways]


def test_vm_nics(t: Topology) -> list[tuple[str, str]]:
    """(NIC name, routing hop) of each test VM: the hub's workload subnets, a VNet branch or a spoke."""
    spokes = {s.name for s in t.spokes}

    def hop(ref: str) -> str:
        return routing.HUB_VNET_HOP if ref == "hub" else f"spoke:{ref}" if ref in spokes else f"branch:{ref}"

    return [(f"{vm.name}-nic", hop(vm.vnet_ref)) for vm in t.test_vms]


# --- gen collect -----------------------------------------------------------------------------------------


def collect_script(t: Topology, resource_group: str, deployment: str) -> str:
    """A bash script of read-only az commands that fills a capture folder for `gen verify`."""
    q = shlex.quote
    lines = [
        "#!/usr/bin/env bash",
        f"# Captures the deployed hub {t.name} for `gen verify SPEC CAPTURE`. Read-only: only `show` and `list`",
        "# commands; nothing in Azure changes. Usage: bash collect.sh [CAPTURE]  (default: capture)",
        "set -euo pipefail",
        f"RG={q(resource_group)}",
        'CAPTURE="${1:-capture}"',
        "",
        "capture() {  # capture FILE COMMAND...: write the command's JSON output to CAPTURE/FILE",
        '  local file="$CAPTURE/$1"; shift',
        '  mkdir -p "$(dirname "$file")"',
        '  echo "capture: $file"',
        '  "$@" --output json > "$file"',
        "}",
        "",
        f'capture {DEPLOYMENT} az deployment group show --resource-group "$RG" --name {q(deployment)}',
    ]
    if t.hub.route_server:
        lines.append(f'capture {ROUTE_SERVER} az network routeserver show --resource-group "$RG" --name {q(t.hub.route_server.name)}')
    for gateway in _gateways(t):
        g = q(gateway)
        lines += [
            "",
            f'capture {q(bgp_status_file(gateway))} az network vnet-gateway list-bgp-peer-status --resource-group "$RG" --name {g}',
            f'capture {q(learned_routes_file(gateway))} az network vnet-gateway list-learned-routes --resource-group "$RG" --name {g}',
            # The peers are known once deployed: read them from the gateway (either output shape).
            f'for peer in $(az network vnet-gateway list-bgp-peer-status --resource-group "$RG" --name {g} '
            '--query "value[].neighbor || [].neighbor" --output tsv); do',
            f'  capture "{advertised_routes_file(gateway, "$peer")}" az network vnet-gateway list-advertised-routes '
            f'--resource-group "$RG" --name {g} --peer "$peer"',
            "done",
        ]
    for nic, _ in test_vm_nics(t):
        lines += ["", f'capture {q(effective_routes_file(nic))} az network nic show-effective-route-table --resource-group "$RG" --name {q(nic)}']
    lines += ["", 'echo "captured into $CAPTURE/: run gen verify SPEC $CAPTURE"']
    return "\n".join(lines) + "\n"


# --- reading a capture -------------------------------------------------------------------------------------


class CaptureError(Exception):
    """A capture file that is not the JSON a command produces; the message names it (exit 2)."""


class _Capture:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.missing: list[str] = []

    def read(self, rel: str):
        """The parsed file, or None (and noted as not captured) when it is absent."""
        path = self.root / rel
        if not path.is_file():
            self.missing.append(rel)
            return None
        try:
            return json.loads(path.read_text("utf-8-sig"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise CaptureError(f"{path}: not the JSON an az command writes ({exc})") from None


def entries(document) -> list[dict]:
    """The list of an az output: `{"value": [...]}`, a bare list, or (Route Server peer routes) a dictionary of
    lists keyed by instance (`RouteServiceRole_IN_0`)."""
    if isinstance(document, list):
        return [e for e in document if isinstance(e, dict)]
    if isinstance(document, dict):
        if isinstance(document.get("value"), list):
            return [e for e in document["value"] if isinstance(e, dict)]
        if document and all(isinstance(v, list) for v in document.values()):
            return [e for v in document.values() for e in entries(v)]
    return []


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _outputs(deployment) -> dict:
    """Deployment outputs, name -> value (`properties.outputs.<name>.value`)."""
    found = ((deployment or {}).get("properties") or {}).get("outputs") or {}
    return {name: (entry or {}).get("value") for name, entry in found.items() if isinstance(entry, dict)}


def _addresses(text) -> list[str]:
    """The BGP peering addresses of a gateway output: comma-separated ("10.0.0.4,10.0.0.5")."""
    return [part.strip() for part in str(text or "").split(",") if part.strip()]


# --- gen verify --------------------------------------------------------------------------------------------


def verify(t: Topology, root: Path) -> list[Finding]:
    """Every way the capture differs from what the design should do."""
    capture = _Capture(root)
    findings: list[Finding] = []

    def report(rule, where: str, message: str, file: str) -> None:
        findings.append(rule.finding(where, message).at_file(file))

    outputs = _outputs(capture.read(DEPLOYMENT))
    _check_firewall(t, outputs, report)
    sessions = _expected_sessions(t, outputs, capture)
    expected_learned = routing.expected_learned(t)
    for gateway in _gateways(t):
        status = capture.read(bgp_status_file(gateway))
        if status is not None:
            _check_sessions(gateway, sessions.get(gateway, {}), entries(status), report)
        learned = capture.read(learned_routes_file(gateway))
        if learned is not None:
            _check_learned(t, gateway, expected_learned.get(gateway, []), entries(learned), report)
    model_routes = routing.effective_routes(t)
    for nic, hop in test_vm_nics(t):
        table = capture.read(effective_routes_file(nic))
        if table is not None:
            _check_nic(t, nic, model_routes.get(hop, []), entries(table), report)
    for rel in capture.missing:
        report(NOT_CAPTURED, rel, f"{rel} is not in {root}: the checks that need it are skipped (gen collect writes it)", rel)
    return findings


def _check_firewall(t: Topology, outputs: dict, report) -> None:
    if t.hub.firewall is None or not outputs:
        return
    actual, expected = outputs.get("firewallPrivateIpAddress"), t.firewall_private_ip
    if outputs.get("firewallPrivateIpAddressMatches") is False or (actual and expected and actual != expected):
        report(FIREWALL_ADDRESS, t.hub.firewall.name,
               f"firewall {t.hub.firewall.name} got {actual or 'another address'}, but the route tables send transit to "
               f"{expected}: redeploy with the firewall's address in AzureFirewallSubnet's first usable place, or fix the UDRs",
               DEPLOYMENT)


def _expected_sessions(t: Topology, outputs: dict, capture: _Capture) -> dict[str, dict[str, str]]:
    """Gateway -> {neighbour address: what the neighbour is}: the BGP sessions the design needs."""
    found: dict[str, dict[str, str]] = {name: {} for name in _gateways(t)}
    hub = t.hub
    if hub.route_server:
        route_server = capture.read(ROUTE_SERVER) or {}
        ips = _as_list(route_server.get("virtualRouterIps")) or _as_list(outputs.get("routeServerIps"))
        for gateway in ([hub.expressroute_gateway.name] if hub.expressroute_gateway else []) + ([hub.vpn_gateway.name] if hub.vpn_gateway else []):
            found[gateway].update({ip: f"Route Server {hub.route_server.name} instance {ip}" for ip in ips})
    if hub.vpn_gateway:
        hub_addresses = _addresses(outputs.get("hubVpnGatewayBgpPeeringAddress"))
        by_name = {entry.get("name"): entry for entry in _as_list(outputs.get("branchVpnGateways")) if isinstance(entry, dict)}
        for branch in t.branches:
            if isinstance(branch, VnetBranch):
                for address in _addresses((by_name.get(branch.name) or {}).get("bgpPeeringAddress")):
                    found[hub.vpn_gateway.name][address] = f"branch {branch.name} gateway {branch.vpn_gateway.name}"
                for address in hub_addresses:
                    found[branch.vpn_gateway.name][address] = f"hub VPN gateway {hub.vpn_gateway.name}"
            else:
                found[hub.vpn_gateway.name][str(branch.bgp_peering_address)] = f"site {branch.name}'s VPN device"
    return found


def _check_sessions(gateway: str, expected: dict[str, str], listed: list[dict], report) -> None:
    file = bgp_status_file(gateway)
    by_neighbor: dict[str, list[dict]] = {}
    for entry in listed:
        by_neighbor.setdefault(str(entry.get("neighbor")), []).append(entry)
    for address, who in expected.items():
        if address not in by_neighbor:
            report(SESSION_MISSING, gateway, f"{gateway} has no BGP session with {who} ({address})", file)
            continue
        for entry in by_neighbor[address]:
            if entry.get("state") != "Connected":
                local = f" from {entry['localAddress']}" if entry.get("localAddress") else ""
                report(SESSION_DOWN, gateway, f"{gateway}{local} <-> {who} ({address}): {entry.get('state')}, not Connected", file)
    msee = [e for e in listed if e.get("asn") == EXPRESSROUTE_ASN]
    for entry in msee:
        if entry.get("state") != "Connected":
            report(SESSION_DOWN, gateway, f"{gateway} <-> ExpressRoute edge {entry.get('neighbor')} (ASN {EXPRESSROUTE_ASN}): "
                                          f"{entry.get('state')}, not Connected", file)


def _check_learned(t: Topology, gateway: str, expected: list[str], routes: list[dict], report) -> None:
    file = learned_routes_file(gateway)
    learned = {}
    for route in routes:
        if route.get("origin") in LEARNED_ORIGINS and parse_network(str(route.get("network"))):
            learned.setdefault(str(route["network"]), route)
    for prefix in expected:
        if prefix not in learned:
            report(ROUTE_MISSING, gateway, f"{gateway} has not learned {prefix} over BGP: nothing routes that traffic", file)
    hub_gateways = [g.name for g in (t.hub.expressroute_gateway, t.hub.vpn_gateway) if g]
    if gateway in hub_gateways and t.inspects_transit:
        _check_bypass(t, gateway, learned, report, file)


def _check_bypass(t: Topology, gateway: str, learned: dict, report, file: str) -> None:
    udrs = [n for n in (parse_network(r.address_prefix) for r in t.gateway_subnet_routes) if n]
    known = [n for owner in t.address_owners for n in (parse_network(p) for p in owner.address_prefixes) if n]
    for prefix in learned:
        network = parse_network(prefix)
        if network in udrs or any(network.subnet_of(v) for v in t.hub.vnet.networks):
            continue
        covering = [u for u in udrs if network.subnet_of(u)]
        if covering:
            udr = max(covering, key=lambda u: u.prefixlen)
            report(FIREWALL_BYPASS, gateway, (
                f"{gateway} learned {prefix}, more specific than the UDR for {udr}: Azure takes the longest prefix first, so "
                f"traffic to {prefix} leaves GatewaySubnet gateway to gateway and skips the firewall one way while the reply "
                f"crosses it, and the firewall drops it. Advertise {udr} only, or add {prefix} to the spec"), file)
        elif any(network.overlaps(k) for k in known):
            report(FIREWALL_BYPASS, gateway, (
                f"{gateway} learned {prefix}, which overlaps the spec's networks but no GatewaySubnet UDR covers: transit to it "
                f"goes gateway to gateway, past the firewall. Advertise the spec's prefixes exactly"), file)
        else:
            report(UNKNOWN_PREFIX, gateway, (
                f"{gateway} learned {prefix}, which belongs to nothing in the spec: transit to it is not inspected. Add the "
                f"network to the spec, or stop advertising it"), file)


NEXT_HOP_TYPES = {routing.APPLIANCE: "VirtualAppliance", routing.GATEWAY: "VirtualNetworkGateway",
                  routing.VNET_LOCAL: "VnetLocal", routing.INTERNET: "Internet"}


def _check_nic(t: Topology, nic: str, model_routes: list, routes: list[dict], report) -> None:
    file = effective_routes_file(nic)
    active: dict[str, list[dict]] = {}
    for route in routes:
        if route.get("state", "Active") != "Active":
            continue
        for prefix in _as_list(route.get("addressPrefix")):
            active.setdefault(str(prefix), []).append(route)
    for entry in model_routes:
        if not entry.effective or entry.next_hop_kind not in NEXT_HOP_TYPES:
            continue
        wanted = NEXT_HOP_TYPES[entry.next_hop_kind]
        found = active.get(entry.prefix)
        if not found:
            report(NIC_ROUTE, nic, f"{nic} has no active route for {entry.prefix}; the model expects {wanted}", file)
            continue
        types = {str(r.get("nextHopType")) for r in found}
        if wanted not in types:
            report(NIC_ROUTE, nic, f"{nic} sends {entry.prefix} to {', '.join(sorted(types))}; the model expects {wanted} ({entry.source})", file)
        elif wanted == "VirtualAppliance" and t.firewall_private_ip:
            ips = {ip for r in found for ip in _as_list(r.get("nextHopIpAddress"))}
            if t.firewall_private_ip not in ips:
                report(NIC_ROUTE, nic, f"{nic} sends {entry.prefix} to {', '.join(sorted(ips))}; the firewall is {t.firewall_private_ip}", file)
