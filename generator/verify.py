"""`gen verify`: compare a capture of the deployed hub (capture.py reads it) with the design.

Two kinds of checks. The control plane: BGP sessions, the prefixes each gateway learned and
advertises, the Route Server's branch-to-branch flag, the firewall's address. The data path:
the route tables on each subnet and the routes in them, read from the resources as Azure
Resource Manager returns them, and each test VM's effective routes. Evidence that is missing
or a deployment that did not succeed is an error, never a skipped check: a capture that proves
nothing must not pass.

Findings come in the order a person fixes them (rules/verification.py): missing evidence, then
causes (a table detached, a session down), then the effects they explain (prefixes not learned,
NIC routes), each cause with the `az` command that shows it.
"""

from __future__ import annotations

from pathlib import Path

from . import ledger, resilience, routing
from .collect import quote
from .capture import (
    DEPLOYMENT,
    ROUTE_SERVER,
    Capture,
    CaptureError,
    advertised_routes_dir,
    bgp_status_file,
    effective_routes_file,
    learned_routes_file,
)
from .failures import NO_FAILURE, Failures, parse
from .findings import Finding
from .inventory import DIAGNOSTIC_SETTING, ROUTE_TABLE, SUBNET, VNET, inventory
from .model import (
    FIREWALL_SUBNET,
    GATEWAY_SUBNET,
    ROUTE_SERVER_SUBNET,
    RouteTable,
    Topology,
    VnetBranch,
    parse_network,
)
from .rules.verification import (
    BRANCH_TO_BRANCH,
    CAUSES,
    DEPLOYMENT_STATE,
    DRIFT,
    EVIDENCE,
    FIREWALL_ADDRESS,
    FAILURE_SEEN,
    FIREWALL_BYPASS,
    NIC_ROUTE,
    NOT_ADVERTISED,
    NEAR_LIMIT,
    NOT_CAPTURED,
    OVER_LIMIT,
    RESOURCE_MISSING,
    ROUTE_CONTENT,
    ROUTE_MISSING,
    ROUTE_TABLE_PLACEMENT,
    SESSION_DOWN,
    SESSION_MISSING,
    UNKNOWN_PREFIX,
)

__all__ = ["CaptureError", "verify", "test_vm_nics", "summary"]

GATEWAY_TYPE = "Microsoft.Network/virtualNetworkGateways"
LEARNED_ORIGINS = ("EBgp", "IBgp")  # what a gateway learned over BGP; "Network" is its own VNet or an LNG's static prefixes
EXPRESSROUTE_ASN = 12076  # the Microsoft edge routers (MSEE) an ExpressRoute gateway peers with
NEXT_HOP_TYPES = {routing.APPLIANCE: "VirtualAppliance", routing.GATEWAY: "VirtualNetworkGateway",
                  routing.VNET_LOCAL: "VnetLocal", routing.INTERNET: "Internet"}


def gateways(t: Topology) -> list[str]:
    """The gateways a capture holds: the hub's, then each VNet branch's."""
    names = [t.hub.expressroute_gateway.name] if t.hub.expressroute_gateway else []
    return names + [g.name for g in t.vpn_gateways]


def test_vm_nics(t: Topology) -> list[tuple[str, str]]:
    """(NIC name, routing hop) of each test VM: the hub's workload subnets, a VNet branch or a spoke."""
    spokes = {s.name: s for s in t.spokes}

    def hop(vm) -> str:
        if vm.vnet_ref != "hub" and vm.vnet_ref not in spokes:
            return f"branch:{vm.vnet_ref}"
        groups = routing.subnet_hops(t, spokes.get(vm.vnet_ref))
        return next((name for name, _, subnets in groups if any(s.name == vm.subnet for s in subnets)), groups[0][0])

    return [(f"{vm.name}-nic", hop(vm)) for vm in t.test_vms]


def verify(t: Topology, root: Path) -> list[Finding]:
    """Every way the capture differs from what the design should do, in the order to fix them."""
    return verify_with_ledger(t, root)[0]


def verify_with_ledger(t: Topology, root: Path) -> tuple[list[Finding], list]:
    """The findings, and the route ledger as Azure reports it (read from the same capture, once)."""
    check = _Verification(t, Capture(root))
    check.run()
    return check.ordered(), check.sessions


def summary(findings: list[Finding]) -> str:
    """One line: how many causes and how many effects they explain."""
    evidence = sum(f.rule_id in EVIDENCE for f in findings)
    causes = sum(f.rule_id in CAUSES for f in findings)
    effects = len(findings) - evidence - causes
    if not findings:
        return "the deployment routes as designed"
    parts = [f"{evidence} missing piece(s) of evidence" if evidence else "", f"{causes} cause(s)" if causes else "",
             f"{effects} effect(s){' they may explain' if causes or evidence else ''}" if effects else ""]
    return "; ".join(p for p in parts if p) + " (fix the first lines first)"


class _Verification:
    def __init__(self, t: Topology, capture: Capture):
        self.t = t
        self.capture = capture
        self.findings: list[Finding] = []
        self.sessions: list = []  # the route ledger, as the capture reports it
        self.deployment = capture.deployment()
        # The hub's resource group: where the deployment ran, else where the capture holds the hub VNet.
        hub_vnet = capture.find(VNET, t.hub.vnet.name, near=f"/subscriptions/x/resourceGroups/{t.scope.resource_group}/")
        group = (self.deployment.resource_group if self.deployment else "") or (hub_vnet.resource_group if hub_vnet else "")
        self.group = group or str(t.scope.resource_group)

    def _group_of(self, kind: str, name) -> str:
        """The resource group a resource lives in, as the capture holds it (a branch's gateway, a firewall of an
        adopted hub may live apart from the hub's), quoted for a shell; the hub's group when the capture lacks it."""
        found = self.capture.find(kind, str(name), near=f"/subscriptions/x/resourceGroups/{self.group}/")
        return quote((found.resource_group if found is not None else "") or self.group)

    def report(self, rule, where: str, message: str, file: str) -> None:
        self.findings.append(rule.finding(where, message).at_file(file))

    def ordered(self) -> list[Finding]:
        rank = {rule: i for i, rule in enumerate(EVIDENCE + CAUSES)}
        return sorted(self.findings, key=lambda f: rank.get(f.rule_id, len(rank)))  # stable: effects keep their order

    def run(self) -> None:
        t, capture = self.t, self.capture
        self._check_deployment()
        from .runtime import outputs as runtime_outputs

        outputs, _ = runtime_outputs(capture, t)
        self._check_firewall(outputs)
        self._check_route_server()
        sessions = self._expected_sessions(outputs)
        listed: dict[str, list] = {}
        for gateway in gateways(t):
            found = capture.bgp_sessions(gateway)
            if found is not None:
                listed[gateway] = found
                self._check_sessions(gateway, sessions.get(gateway, {}), found)
        failed = self._check_failure(listed, outputs)
        expected_learned = routing.expected_learned(t, failed)
        for gateway in gateways(t):
            learned = capture.learned_routes(gateway)
            if learned is not None:
                self._check_learned(gateway, expected_learned.get(gateway, []), learned)
        self._check_advertised(listed, outputs, failed)
        self._check_resources()
        model_routes = routing.effective_routes(t, failed=failed)
        for nic, hop in test_vm_nics(t):
            table = capture.effective_routes(nic)
            if table is not None:
                self._check_nic(nic, model_routes.get(hop, []), table)
        self._check_limits()
        if t.hub.route_server and capture.find("Microsoft.Network/virtualHubs", t.hub.route_server.name) is not None:
            # The Route Server's resource says what `az network routeserver show` would (a capture of resource groups).
            capture.missing[:] = [m for m in capture.missing if m != ROUTE_SERVER]
        for rel in dict.fromkeys(capture.missing):
            self.report(NOT_CAPTURED, rel, f"{rel} is not in the capture: the checks that need it cannot run. Run the "
                                           f"collect script again (gen collect SPEC) and read what it says failed", rel)

    # --- the deployment --------------------------------------------------------------------------------

    def _check_deployment(self) -> None:
        deployment = self.deployment
        if deployment is None:
            if self.capture.resources:  # a hub gen did not deploy: its resources say what the outputs would
                self.capture.missing[:] = [m for m in self.capture.missing if m != DEPLOYMENT]
            return  # else listed as missing evidence
        if deployment.provisioning_state != "Succeeded":
            why = f": {deployment.error}" if deployment.error else ""
            self.report(DEPLOYMENT_STATE, self.t.name,
                        f"the deployment {self.t.name} is {deployment.provisioning_state or 'in no known state'}, not "
                        f"Succeeded{why}; what follows may all come from that. Show: az deployment group show "
                        f"--resource-group {self.group} --name {self.t.name} --query properties.error", DEPLOYMENT)

    def _check_firewall(self, outputs: dict) -> None:
        t = self.t
        if t.hub.firewall is None or not outputs:
            return
        actual, expected = outputs.get("firewallPrivateIpAddress"), t.firewall_private_ip
        if outputs.get("firewallPrivateIpAddressMatches") is False or (actual and expected and actual != expected):
            self.report(FIREWALL_ADDRESS, t.hub.firewall.name,
                        f"firewall {t.hub.firewall.name} got {actual or 'another address'}, but the route tables send transit "
                        f"to {expected}: redeploy with the firewall's address in AzureFirewallSubnet's first usable place, or "
                        f"fix the UDRs. Show: az network firewall show --resource-group "
                        f"{self._group_of('Microsoft.Network/azureFirewalls', t.hub.firewall.name)} --name "
                        f"{quote(str(t.hub.firewall.name))} --query ipConfigurations[0].privateIPAddress", DEPLOYMENT)

    def _check_route_server(self) -> None:
        ars = self.t.hub.route_server
        if ars is None or not ars.branch_to_branch:
            return
        state = self.capture.route_server()
        flag, file = (state.branch_to_branch, ROUTE_SERVER) if state else (None, ROUTE_SERVER)
        if state is None:
            resource = self.capture.find("Microsoft.Network/virtualHubs", ars.name)
            if resource is not None:
                flag, file = resource.prop("allowBranchToBranchTraffic"), resource.file
        if flag is False:
            # Off acts as the Route Server's outage does for transit (failures.BEHAVIOURS["route-server"]): name the flows.
            stopped = [e.flow for e in resilience.outcome(self.t, Failures(route_server=True, labels=("branch-to-branch off",))).effects
                       if e.effect not in (resilience.KEPT, resilience.ALREADY)]
            self.report(BRANCH_TO_BRANCH, ars.name,
                        f"Route Server {ars.name} has branch-to-branch off: the ExpressRoute and VPN gateways stop exchanging "
                        f"routes, so on-premises and the branches lose each other"
                        + (f" ({len(stopped)} flow(s) of the design stop: {', '.join(stopped[:10])}"
                           f"{', ...' if len(stopped) > 10 else ''})" if stopped else "")
                        + f". Fix: az network routeserver update --resource-group "
                          f"{self._group_of('Microsoft.Network/virtualHubs', ars.name)} --name {quote(str(ars.name))} "
                          f"--allow-b2b-traffic true (or redeploy)", file)

    # --- BGP -------------------------------------------------------------------------------------------

    def _expected_sessions(self, outputs: dict) -> dict[str, dict[str, str]]:
        """Gateway -> {neighbour address: what the neighbour is}: the BGP sessions the design needs."""
        t, hub = self.t, self.t.hub
        found: dict[str, dict[str, str]] = {name: {} for name in gateways(t)}
        if hub.route_server:
            state = self.capture.route_server()
            ips = list(state.ips) if state and state.ips else _strings(outputs.get("routeServerIps"))
            for gateway in [g.name for g in (hub.expressroute_gateway, hub.vpn_gateway) if g]:
                found[gateway].update({ip: f"Route Server {hub.route_server.name} instance {ip}" for ip in ips})
        if hub.vpn_gateway:
            hub_addresses = _addresses(outputs.get("hubVpnGatewayBgpPeeringAddress"))
            by_name = {str(entry.get("name")): entry for entry in _as_list(outputs.get("branchVpnGateways")) if isinstance(entry, dict)}
            for branch in t.branches:
                if isinstance(branch, VnetBranch):
                    for address in _addresses((by_name.get(branch.name) or {}).get("bgpPeeringAddress")):
                        found[hub.vpn_gateway.name][address] = f"branch {branch.name} gateway {branch.vpn_gateway.name}"
                    for address in hub_addresses:
                        found[branch.vpn_gateway.name][address] = f"hub VPN gateway {hub.vpn_gateway.name}"
                else:
                    for device in branch.devices:
                        if device.bgp:
                            who = f"site {branch.name}'s VPN device" + (f" {device.name}" if branch.multi_device else "")
                            found[hub.vpn_gateway.name][str(device.bgp_peering_address)] = who
        return found

    def _check_sessions(self, gateway: str, expected: dict[str, str], listed) -> None:
        file = bgp_status_file(gateway)
        show = (f"Show: az network vnet-gateway list-bgp-peer-status --resource-group "
                f"{self._group_of(GATEWAY_TYPE, gateway)} --name {quote(str(gateway))}")
        by_neighbor: dict[str, list] = {}
        for session in listed:
            by_neighbor.setdefault(session.neighbor, []).append(session)
        for address, who in expected.items():
            if address not in by_neighbor:
                self.report(SESSION_MISSING, gateway, f"{gateway} has no BGP session with {who} ({address}). {show}", file)
                continue
            for session in by_neighbor[address]:
                if session.state != "Connected":
                    local = f" from {session.local_address}" if session.local_address else ""
                    self.report(SESSION_DOWN, gateway, f"{gateway}{local} <-> {who} ({address}): {session.state}, not "
                                                       f"Connected. {show}", file)
        edge = [s for s in listed if s.asn == EXPRESSROUTE_ASN]
        er = self.t.hub.expressroute_gateway
        if er is not None and gateway == er.name and self.t.has_expressroute_connections and not edge:
            self.report(SESSION_MISSING, gateway, f"{gateway} has no BGP session with the ExpressRoute edge (ASN "
                                                  f"{EXPRESSROUTE_ASN}): no circuit is connected and up. {show}", file)
        for session in edge:
            if session.state != "Connected":
                self.report(SESSION_DOWN, gateway, f"{gateway} <-> ExpressRoute edge {session.neighbor} (ASN {EXPRESSROUTE_ASN}): "
                                                   f"{session.state}, not Connected. {show}", file)

    def _check_limits(self) -> None:
        """Each session Azure reports against its limit (the route ledger from the capture)."""
        self.sessions = ledger.from_capture(self.t, self.capture)
        for session in self.sessions:
            gateway, file = session.path.split(":", 1)[1], session.file
            if session.over:
                self.report(OVER_LIMIT, gateway, f"{session.name}: {session.count:,} prefixes, Azure's limit is "
                                                 f"{session.limit:,}; past it {session.beyond} ({session.link}). "
                                                 f"To bring it under: {session.relief}", file)
            elif session.near:
                self.report(NEAR_LIMIT, gateway, f"{session.name}: {session.count:,} of {session.limit:,} prefixes "
                                                 f"({session.link}). {session.relief}", file)

    # --- a failure in the capture ------------------------------------------------------------------------

    def _check_failure(self, listed: dict[str, list], outputs: dict) -> Failures:
        """The elements the hub gateways' BGP sessions show down, as `gen trace --fail` names them; reported with the
        outcome the model predicts for them. The routes checks that follow expect that failure, not the whole design."""
        labels, evidence, unclear, gateway = self._failed_elements(listed, outputs)
        if not labels and not unclear:
            return NO_FAILURE
        file = bgp_status_file(gateway or next(iter(listed)))
        if not labels:
            self.report(FAILURE_SEEN, self.t.name, f"the capture shows {'; '.join(unclear)}: gen cannot tell which element "
                                                   f"failed, so routes are checked against the whole design", file)
            return NO_FAILURE
        failed = parse(self.t, labels)
        predicted = resilience.outcome(self.t, failed)
        broken = [e for e in predicted.effects if e.effect != resilience.KEPT and e.effect != resilience.ALREADY]
        lines = [f"{e.flow}: {e.effect} ({e.verdict}{' at ' + e.where if e.where else ''})" for e in broken]
        kept = predicted.count(resilience.KEPT)
        still = self._not_withdrawn(failed)
        verdict = (f"the model predicts {kept} flow(s) kept" + (f" and {len(broken)} changed: " + "; ".join(lines) if broken else
                                                                ", nothing broken"))
        routes = (f". Routes it withdraws that are still learned (the capture may predate convergence): {', '.join(still)}"
                  if still else ". The learned and advertised routes agree with it (what it withdraws is not reported "
                                "missing); gen resilience says what the model assumes")
        more = f". Also: {'; '.join(unclear)}" if unclear else ""
        self.report(FAILURE_SEEN, " + ".join(labels),
                    f"the capture shows {' + '.join(labels)} down ({'; '.join(evidence)}): {verdict}{routes}{more}. "
                    f"Trace a flow under it: gen trace SPEC --from IP --to IP {' '.join('--fail ' + x for x in labels)}",
                    file)
        return failed

    def _failed_elements(self, listed: dict[str, list], outputs: dict) -> tuple[list[str], list[str], list[str], str]:
        """(element labels, the evidence for each, what is down but names no one element, the gateway that shows
        the first of them)."""
        t, hub = self.t, self.t.hub
        labels: list[str] = []
        evidence: list[str] = []
        unclear: list[str] = []

        def down(sessions) -> bool:
            return bool(sessions) and all(s.state != "Connected" for s in sessions)

        route_server_ips = set()
        if hub.route_server:
            state = self.capture.route_server()
            route_server_ips = set(state.ips) if state and state.ips else set(_strings(outputs.get("routeServerIps")))
        hub_gateways = [g.name for g in (hub.expressroute_gateway, hub.vpn_gateway) if g and g.name in listed]
        to_route_server = [s for g in hub_gateways for s in listed[g] if s.neighbor in route_server_ips]
        if down(to_route_server):
            labels.append("route-server")
            evidence.append(f"every session of {' and '.join(hub_gateways)} with Route Server is down")
        vpn = hub.vpn_gateway
        if vpn and vpn.name in listed:
            peers = self._branch_peers(outputs)
            instances = _addresses(outputs.get("hubVpnGatewayBgpPeeringAddress"))
            # An instance is down when all of its sessions are, the Route Server's too: a peer down alone (a site, a
            # branch) leaves the instance's other sessions up. One peer and no Route Server cannot tell them apart.
            mine = {i: [s for s in listed[vpn.name] if s.local_address == a] for i, a in enumerate(instances)}
            telling = {i: found for i, found in mine.items() if len({s.neighbor for s in found}) > 1}
            dead = [i for i, found in telling.items() if down(found)]
            sessions = [s for s in listed[vpn.name] if s.neighbor in peers]
            if dead and len(dead) < len(instances):
                for i in dead:
                    labels.append(f"vpn-instance:{i}")
                    evidence.append(f"every session of {vpn.name} from instance {i} ({instances[i]}) is down, the other's up")
            elif dead:
                labels += ["vpn-instance:0", "vpn-instance:1"]  # the whole gateway, as `--fail` names it
                evidence.append(f"every session of {vpn.name} is down")
            else:
                for address, element in peers.items():
                    if down([s for s in sessions if s.neighbor == address]):
                        labels.append(element)
                        evidence.append(f"{vpn.name} <-> {element} ({address}) is down on every tunnel, or never came up")
        er = hub.expressroute_gateway
        if er and er.name in listed and t.on_premises:
            edge = [s for s in listed[er.name] if s.asn == EXPRESSROUTE_ASN]
            if down(edge):
                labels += [f"circuit:{site.name}" for site in t.on_premises]
                evidence.append(f"every session of {er.name} with the ExpressRoute edge is down")
            elif any(s.state != "Connected" for s in edge):
                lost = sorted(s.neighbor for s in edge if s.state != "Connected")
                unclear.append(f"{er.name}'s sessions with the ExpressRoute edge {', '.join(lost)} down while others are up "
                               f"(one link of a circuit, or one circuit of several: the capture does not say which circuit)")
        shown = [g.name for g in (vpn, er) if g and g.name in listed and any(s.state != "Connected" for s in listed[g.name])]
        return labels, evidence, unclear, (shown[0] if shown else "")

    def _branch_peers(self, outputs: dict) -> dict[str, str]:
        """The hub VPN gateway's BGP neighbours: address -> the element that fails with it (`site:NAME`, `branch:NAME`)."""
        by_name = {str(e.get("name")): e for e in _as_list(outputs.get("branchVpnGateways")) if isinstance(e, dict)}
        found = {}
        for branch in self.t.branches:
            if isinstance(branch, VnetBranch):
                for address in _addresses((by_name.get(branch.name) or {}).get("bgpPeeringAddress")):
                    found[address] = f"branch:{branch.name}"
            else:
                for device in branch.devices:
                    if device.bgp:
                        found[str(device.bgp_peering_address)] = (f"site:{branch.name}/{device.name}" if branch.multi_device
                                                                  else f"site:{branch.name}")
        return found

    def _not_withdrawn(self, failed: Failures) -> list[str]:
        """Routes the failure withdraws that a hub gateway still lists as learned."""
        before, after = routing.expected_learned(self.t), routing.expected_learned(self.t, failed)
        found = []
        for gateway, prefixes in before.items():
            routes = self.capture.learned_routes(gateway)
            if routes is None:
                continue
            learned = {r.network for r in routes if r.origin in LEARNED_ORIGINS}
            found += [f"{p} at {gateway}" for p in prefixes if p not in after.get(gateway, []) and p in learned]
        return found

    def _check_learned(self, gateway: str, expected: list[str], routes) -> None:
        t = self.t
        file = learned_routes_file(gateway)
        learned = {}
        # A static site's prefixes are the VPN gateway's own routes (its Local Network Gateway's): origin Network.
        static = {str(p) for site in t.site_branches if not site.bgp for p in site.address_prefixes}
        for route in routes:
            if (route.origin in LEARNED_ORIGINS or route.network in static) and parse_network(route.network):
                learned.setdefault(route.network, route)
        for prefix in expected:
            if prefix not in learned:
                self.report(ROUTE_MISSING, gateway, f"{gateway} has not learned {prefix} over BGP: nothing routes that traffic", file)
        hub_gateways = [g.name for g in (t.hub.expressroute_gateway, t.hub.vpn_gateway) if g]
        if gateway in hub_gateways and t.inspects_transit:
            self._check_bypass(gateway, learned, file)

    def _check_bypass(self, gateway: str, learned: dict, file: str) -> None:
        t = self.t
        udrs = [n for n in (parse_network(r.address_prefix) for r in t.gateway_subnet_routes) if n]
        known = [n for owner in t.address_owners for n in (parse_network(p) for p in owner.address_prefixes) if n]
        for prefix in learned:
            network = parse_network(prefix)
            if network in udrs or any(network.subnet_of(v) for v in t.hub.vnet.networks):
                continue
            covering = [u for u in udrs if network.subnet_of(u)]
            if covering:
                udr = max(covering, key=lambda u: u.prefixlen)
                self.report(FIREWALL_BYPASS, gateway, (
                    f"{gateway} learned {prefix}, more specific than the UDR for {udr}: Azure takes the longest prefix first, "
                    f"so traffic to {prefix} leaves GatewaySubnet gateway to gateway and skips the firewall one way while the "
                    f"reply crosses it, and the firewall drops it. Advertise {udr} only, or add {prefix} to the spec"), file)
            elif any(network.overlaps(k) for k in known):
                self.report(FIREWALL_BYPASS, gateway, (
                    f"{gateway} learned {prefix}, which overlaps the spec's networks but no GatewaySubnet UDR covers: transit "
                    f"to it goes gateway to gateway, past the firewall. Advertise the spec's prefixes exactly"), file)
            else:
                self.report(UNKNOWN_PREFIX, gateway, (
                    f"{gateway} learned {prefix}, which belongs to nothing in the spec: transit to it is not inspected. Add "
                    f"the network to the spec, or stop advertising it"), file)

    def _check_advertised(self, listed: dict[str, list], outputs: dict, failed: Failures) -> None:
        """What the hub gateways advertise: the ExpressRoute gateway the branch and spoke prefixes to its circuits,
        the VPN gateway the on-premises prefixes to its sites (less what a failure seen in the capture withdraws)."""
        t = self.t
        expected = routing.expected_advertised(t, failed)
        branch_addresses = {str(e.get("name")): _addresses(e.get("bgpPeeringAddress"))
                            for e in _as_list(outputs.get("branchVpnGateways")) if isinstance(e, dict)}
        devices = {str(d.bgp_peering_address): f"site {s.name}" + (f" device {d.name}" if s.multi_device else "")
                   for s in t.site_branches for d in s.devices if d.bgp}
        for gateway, peers in expected.items():
            sessions = listed.get(gateway)
            if sessions is None:
                continue  # its BGP sessions are missing evidence already
            advertised = self.capture.advertised_routes(gateway)
            if advertised is None:
                continue  # listed as missing evidence
            for peer, prefixes in peers.items():
                if peer == "circuits":
                    addresses = [s.neighbor for s in sessions if s.asn == EXPRESSROUTE_ASN]
                    label = "its circuits (ExpressRoute edge {})"
                else:
                    addresses = branch_addresses.get(peer, [peer])
                    label = f"{devices.get(peer) or ('site ' + peer if peer[0].isdigit() else 'branch ' + peer)} ({{}})"
                missing: dict[tuple[str, ...], list[str]] = {}  # the prefixes missing -> the peers that miss them
                for address in addresses:
                    routes = advertised.get(address)
                    file = f"{advertised_routes_dir(gateway)}/{address}.json"
                    if routes is None:
                        self.report(NOT_CAPTURED, file, f"{file} is not in the capture: what {gateway} advertises to "
                                                        f"{label.format(address)} cannot be checked", file)
                        continue
                    networks = {r.network for r in routes}
                    lacking = tuple(p for p in prefixes if p not in networks and p != routing.DEFAULT_ROUTE)
                    if lacking:
                        missing.setdefault(lacking, []).append(address)
                for lacking, where in missing.items():  # one finding for the edges of one circuit that miss the same
                    file = f"{advertised_routes_dir(gateway)}/{where[0]}.json"
                    self.report(NOT_ADVERTISED, gateway, (
                        f"{gateway} does not advertise {', '.join(lacking)} to {label.format(', '.join(where))}: that side "
                        f"has no route to it. Show: az network vnet-gateway list-advertised-routes --resource-group "
                        f"{self._group_of(GATEWAY_TYPE, gateway)} --name {quote(str(gateway))} --peer {quote(where[0])}"), file)

    # --- the data path: subnets and their route tables -----------------------------------------------------

    def _check_resources(self) -> None:
        t, capture = self.t, self.capture
        resources = capture.resources
        if not resources:
            capture.missing.append("resources/")
            return
        from . import live

        home = str(t.scope.subscription_id or "") or live.home_subscription_of(capture, t.hub.vnet.name, self.group)
        deployed = live.inventory(capture, home)
        for key, resource in inventory(t).items():
            if resource.type in (DIAGNOSTIC_SETTING,):
                continue  # an extension resource: az resource list does not list it
            if key not in deployed:
                self.report(RESOURCE_MISSING, resource.name, f"{resource.type.split('/', 1)[-1]} {resource.name} ({resource.role}) "
                                                             f"is not in the resource group {resource.group}", "resources/")
        for vnet, subnet_name, table in self._designed_placements():
            self._check_placement(vnet, subnet_name, table)
        for table in t.route_tables:
            self._check_routes(table)
        self._check_drift()

    def _check_drift(self) -> None:
        """Everything the next redeploy would change on what the spec declares: drift, and what it resets."""
        from . import diff, live

        deployed = live.inventory(self.capture)
        explained = {f.path.lower() for f in self.findings}  # a table detached, a route moved: said already, as a cause
        for change in diff.compare_live(self.capture, self.t, self.group):
            if change.detail.startswith(("drift: ", "reset: ")) and change.resource.lower() not in explained:
                file = next((r.path for r in deployed.values() if r.name.lower() == change.resource.lower()), "resources/")
                self.report(DRIFT, change.resource, f"{change.type.split('/', 1)[-1]} {change.resource}: {change.detail} "
                                                    f"({change.action}, downtime {change.downtime})", file)

    def _designed_placements(self):
        """(VNet, subnet, designed table or None) for every subnet whose table gen decides: every subnet the design
        gives a table, and the hub's gateway, Route Server and firewall subnets, which must have theirs or none."""
        t = self.t
        for vnet in t.vnets:
            for subnet in vnet.subnets:
                table = t.table_on(vnet.name, subnet.name)
                special = vnet is t.hub.vnet and subnet.name in (GATEWAY_SUBNET, ROUTE_SERVER_SUBNET, FIREWALL_SUBNET)
                if table is not None or special:
                    yield vnet.name, str(subnet.name), table

    def _check_placement(self, vnet: str, subnet_name: str, table: RouteTable | None) -> None:
        subnet = self.capture.find(SUBNET, f"{vnet}/{subnet_name}")
        if subnet is None:
            vnet_resource = self.capture.find(VNET, vnet)
            if vnet_resource is not None:
                self.report(RESOURCE_MISSING, f"{vnet}/{subnet_name}", f"subnet {subnet_name} is not in VNet {vnet}", vnet_resource.file)
            return
        attached = subnet.prop("routeTable", "id")
        attached_name = attached.rsplit("/", 1)[-1] if isinstance(attached, str) else None
        group = quote(subnet.resource_group or self.group)  # the subnet's own group: a spoke's may not be the hub's
        show = (f"Show: az network vnet subnet show --resource-group {group} --vnet-name {quote(vnet)} --name {quote(subnet_name)} "
                f"--query routeTable.id")
        if table is None:
            if attached_name:
                why = ("Route Server does not support a route table on its subnet" if subnet_name == ROUTE_SERVER_SUBNET else
                       "the firewall needs its own Internet path and the gateway routes; only the designed 0.0.0.0/0 -> "
                       "Internet table belongs there")
                self.report(ROUTE_TABLE_PLACEMENT, f"{vnet}/{subnet_name}", f"{subnet_name} has the route table {attached_name}, "
                                                                          f"which the design does not give it: {why}. {show}",
                            subnet.file)
            return
        if attached_name is None:
            effect = ("transit between on-premises and the branches goes gateway to gateway both ways: symmetric, so it "
                      "works, but the firewall never sees it" if subnet_name == GATEWAY_SUBNET else
                      "its traffic to on-premises and the branches goes straight to the gateways, past the firewall one way")
            self.report(ROUTE_TABLE_PLACEMENT, f"{vnet}/{subnet_name}", f"{subnet_name} of {vnet} has no route table; the design "
                                                                      f"attaches {table.name}: {effect}. Fix: redeploy, or az "
                                                                      f"network vnet subnet update --resource-group {group} "
                                                                      f"--vnet-name {quote(vnet)} --name {quote(subnet_name)} "
                                                                      f"--route-table {quote(self._table_reference(table, subnet))}",
                        subnet.file)
        elif attached_name.lower() != table.name.lower():
            self.report(ROUTE_TABLE_PLACEMENT, f"{vnet}/{subnet_name}", f"{subnet_name} of {vnet} has the route table "
                                                                      f"{attached_name}, not the designed {table.name}. {show}",
                        subnet.file)

    def _table_reference(self, table: RouteTable, subnet) -> str:
        """How `az network vnet subnet update --route-table` names a table: its name in the subnet's group, else its ID."""
        group = str((table.scope.resource_group if table.scope else None) or self.group)
        if group.lower() == str(subnet.resource_group or self.group).lower():
            return str(table.name)
        subscription = str((table.scope.subscription_id if table.scope else None) or subnet.subscription)
        return f"/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.Network/routeTables/{table.name}"

    def _check_routes(self, table: RouteTable) -> None:
        resource = self.capture.find(ROUTE_TABLE, table.name, near=f"/subscriptions/x/resourceGroups/"
                                     f"{(table.scope.resource_group if table.scope else None) or self.group}/")
        if resource is None:
            return  # RESOURCE_MISSING says so
        show = (f"Show: az network route-table route list --resource-group {quote(resource.resource_group or self.group)} "
                f"--route-table-name {quote(table.name)} --output table")
        propagation_off = resource.prop("disableBgpRoutePropagation")
        if propagation_off is not None and bool(propagation_off) == table.propagate_gateway_routes:
            state = "off" if propagation_off else "on"
            why = (" (GatewaySubnet needs it on, or the gateways stop working as Learn warns)" if table.subnet == GATEWAY_SUBNET
                   else "")
            self.report(ROUTE_CONTENT, table.name, f"{table.name} has gateway route propagation {state}; the design has it "
                                                   f"{'on' if table.propagate_gateway_routes else 'off'}{why}. {show}",
                        resource.file)
        routes = {}
        for entry in resource.prop("routes", default=[]) or []:
            if isinstance(entry, dict):
                properties = entry.get("properties") if isinstance(entry.get("properties"), dict) else entry
                routes[str(properties.get("addressPrefix"))] = properties
        for route in table.routes:
            found = routes.get(route.address_prefix)
            if found is None:
                self.report(ROUTE_CONTENT, table.name, f"{table.name} has no route for {route.address_prefix}: that traffic "
                                                       f"skips the firewall. {show}", resource.file)
                continue
            if str(found.get("nextHopType")) != route.next_hop_type or (route.next_hop_ip and found.get("nextHopIpAddress") != route.next_hop_ip):
                now = f"{found.get('nextHopType')} {found.get('nextHopIpAddress') or ''}".strip()
                self.report(ROUTE_CONTENT, table.name, f"{table.name} sends {route.address_prefix} to {now}, not "
                                                       f"{route.next_hop_type} {route.next_hop_ip or ''}".rstrip()
                            + f": where no firewall listens, that traffic is lost or uninspected. {show}", resource.file)

    # --- test VMs --------------------------------------------------------------------------------------

    def _check_nic(self, nic: str, model_routes: list, routes) -> None:
        t = self.t
        file = effective_routes_file(nic)
        active: dict[str, list] = {}
        for route in routes:
            if route.state != "Active":
                continue
            for prefix in route.prefixes:
                active.setdefault(prefix, []).append(route)
        for entry in model_routes:
            if not entry.effective or entry.next_hop_kind not in NEXT_HOP_TYPES:
                continue
            wanted = NEXT_HOP_TYPES[entry.next_hop_kind]
            found = active.get(entry.prefix)
            if not found:
                self.report(NIC_ROUTE, nic, f"{nic} has no active route for {entry.prefix}; the model expects {wanted}", file)
                continue
            types = {r.next_hop_type for r in found}
            if wanted not in types:
                self.report(NIC_ROUTE, nic, f"{nic} sends {entry.prefix} to {', '.join(sorted(types))}; the model expects "
                                            f"{wanted} ({entry.source})", file)
            elif wanted == "VirtualAppliance" and t.firewall_private_ip:
                ips = {ip for r in found for ip in r.next_hop_ips}
                if t.firewall_private_ip not in ips:
                    self.report(NIC_ROUTE, nic, f"{nic} sends {entry.prefix} to {', '.join(sorted(ips))}; the firewall is "
                                                f"{t.firewall_private_ip}", file)


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _strings(value) -> list[str]:
    return [v for v in _as_list(value) if isinstance(v, str)]


def _addresses(text) -> list[str]:
    """The BGP peering addresses of a gateway output: comma-separated ("10.0.0.4,10.0.0.5")."""
    if not isinstance(text, str):
        return []
    return [part.strip() for part in text.split(",") if part.strip()]
