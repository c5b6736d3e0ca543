"""A Mermaid diagram of the topology for the generated README: GitHub and Azure DevOps draw it in the PR."""

from __future__ import annotations

import re

from .model import Topology, parse_network


def _id(kind: str, name: str) -> str:
    # Site, branch and spoke names are lowercase letters, digits and hyphens: '-' -> '_' keeps them apart.
    return f"{kind}_{re.sub(r'[^A-Za-z0-9]', '_', name)}"


def _label(*lines: str) -> str:
    # Mermaid takes HTML entities inside quoted labels; quotes and angle brackets are the ones that break it.
    escaped = [line.replace("&", "&amp;").replace('"', "#quot;").replace("<", "&lt;").replace(">", "&gt;") for line in lines]
    return '"' + "<br/>".join(escaped) + '"'


# Branches and spokes drawn one by one; the rest are one node each (the README's tables list them).
DIAGRAM_BRANCHES = 12


def mermaid(t: Topology) -> str:
    hub = t.hub
    lines = ["flowchart LR"]
    lines.append(f"  subgraph hub[{_label(hub.vnet.name + ' ' + ', '.join(hub.vnet.address_space))}]")
    if hub.expressroute_gateway:
        lines.append(f"    ergw[{_label(hub.expressroute_gateway.name, 'ExpressRoute gateway ' + hub.expressroute_gateway.sku)}]")
    if hub.vpn_gateway:
        mode = "active-active" if hub.vpn_gateway.active_active else "active-standby"
        lines.append(f"    vpngw[{_label(hub.vpn_gateway.name, f'VPN gateway AS {hub.vpn_gateway.asn}, {mode}')}]")
    if hub.route_server:
        state = "branch-to-branch on" if hub.route_server.branch_to_branch else "branch-to-branch OFF"
        lines.append(f"    ars[{_label(hub.route_server.name, 'Route Server, ' + state)}]")
    if hub.firewall:
        lines.append(f"    afw[{_label(hub.firewall.name, f'Azure Firewall {hub.firewall.tier}, {t.firewall_private_ip}')}]")
    lines.append("  end")
    for site in t.on_premises:
        node = _id("onprem", site.name)
        lines.append(f"  {node}[{_label(site.name, ', '.join(site.address_prefixes))}]")
        if hub.expressroute_gateway:
            circuit = site.circuit_id.rstrip("/").rsplit("/", 1)[-1]
            lines.append(f"  {node} ---|{_label('ExpressRoute ' + circuit)}| ergw")
    for branch in t.branches[:DIAGRAM_BRANCHES]:
        node = _id("branch", branch.name)
        if branch.kind == "vnet":
            lines.append(f"  {node}[{_label(branch.name, branch.vnet.name + ' ' + ', '.join(branch.address_prefixes), f'{branch.vpn_gateway.name} AS {branch.vpn_gateway.asn}')}]")
            link = "VNet-to-VNet, BGP"
        else:
            devices = f"{len(branch.devices)} VPN devices" if branch.multi_device else "VPN device"
            routing = f"AS {', '.join(map(str, branch.bgp_asns))}" if branch.bgp else "static"
            lines.append(f"  {node}[{_label(branch.name, ', '.join(branch.address_prefixes), f'{devices} {routing}')}]")
            link = "site-to-site, BGP" if branch.bgp else "site-to-site, static"
        if hub.vpn_gateway:
            lines.append(f"  vpngw ---|{_label(link)}| {node}")
    if len(t.branches) > DIAGRAM_BRANCHES:  # one node for the rest: a diagram of a hundred boxes shows nothing
        rest = t.branches[DIAGRAM_BRANCHES:]
        vnets = sum(1 for b in rest if b.kind == "vnet")
        kinds = ", ".join(part for part in (f"{vnets} VNet branches" if vnets else "",
                                             f"{len(rest) - vnets} VPN sites" if len(rest) > vnets else "") if part)
        lines.append(f"  more_branches[{_label(f'{len(rest)} more', kinds, 'the README lists them')}]")
        if hub.vpn_gateway:
            lines.append(f"  vpngw --- more_branches")
    for spoke in t.spokes[:DIAGRAM_BRANCHES]:
        node = _id("spoke", spoke.name)
        lines.append(f"  {node}[{_label(spoke.name, spoke.vnet.name + ' ' + ', '.join(spoke.vnet.address_space), 'spoke')}]")
        lines.append(f"  hub ---|{_label('peering, gateway transit')}| {node}")
    if len(t.spokes) > DIAGRAM_BRANCHES:
        lines.append(f"  more_spokes[{_label(f'{len(t.spokes) - DIAGRAM_BRANCHES} more spokes')}]")
        lines.append("  hub --- more_spokes")
    if hub.route_server:
        for gateway in ("ergw", "vpngw"):
            if (gateway == "ergw" and hub.expressroute_gateway) or (gateway == "vpngw" and hub.vpn_gateway):
                lines.append(f"  {gateway} -.-|BGP| ars")
    gateway_kinds = _steered(t, t.gateway_subnet_routes)
    if hub.expressroute_gateway and gateway_kinds - {"on-premises"}:
        lines.append(f"  ergw ==>|{_label('UDR: ' + _kinds(gateway_kinds - {'on-premises'}))}| afw")
    if hub.vpn_gateway and gateway_kinds - {"branch"}:
        lines.append(f"  vpngw ==>|{_label('UDR: ' + _kinds(gateway_kinds - {'branch'}))}| afw")
    for spoke in t.spokes[:DIAGRAM_BRANCHES]:
        tables = t.tables_of(spoke.vnet)
        kinds = _steered(t, [r for table in tables for r in table.routes])
        if kinds:
            lines.append(f"  {_id('spoke', spoke.name)} ==>|{_label('UDR: ' + _kinds(kinds))}| afw")
    for index, vm in enumerate(t.test_vms):
        node = f"vm_{index}"  # VM names may hold '.' and '_': numbered, so that two never share a node
        lines.append(f"  {node}([{_label(vm.name, 'test VM in ' + vm.subnet)}])")
        spokes, branches = [s.name for s in t.spokes], [b.name for b in t.branches]
        kind, names = ("spoke", spokes) if vm.vnet_ref in spokes else ("branch", branches)
        drawn = vm.vnet_ref not in names or names.index(vm.vnet_ref) < DIAGRAM_BRANCHES
        target = "hub" if vm.vnet_ref == "hub" else _id(kind, vm.vnet_ref) if drawn else ("more_spokes" if kind == "spoke" else "more_branches")
        lines.append(f"  {node} --- {target}")
    return "\n".join(lines)


KIND_ORDER = ("on-premises", "branch", "spoke", "hub subnet", "0.0.0.0/0")


def _steered(t: Topology, routes) -> set[str]:
    """What the routes that go to the firewall carry, by kind of owner: what an arrow to the firewall is labelled."""
    owners = [("on-premises", s.address_prefixes) for s in t.on_premises] + [("branch", b.address_prefixes) for b in t.branches]
    owners += [("spoke", s.vnet.address_space) for s in t.spokes] + [("hub subnet", t.hub.vnet.address_space)]
    found = set()
    for route in routes:
        if route.next_hop_type != "VirtualAppliance" or route.next_hop_ip != t.firewall_private_ip:
            continue
        network = parse_network(route.address_prefix)
        if str(route.address_prefix) == "0.0.0.0/0":
            found.add("0.0.0.0/0")
            continue
        for kind, prefixes in owners:
            if network is not None and any((o := parse_network(p)) is not None and network.subnet_of(o) for p in prefixes):
                found.add(kind)
                break
    return found


def _kinds(kinds: set[str]) -> str:
    named = [k for k in KIND_ORDER if k in kinds and k != "0.0.0.0/0"]
    text = " and ".join([", ".join(named[:-1]), named[-1]] if len(named) > 1 else named)
    text = f"{text} prefixes" if text else ""
    return ", ".join(filter(None, [text, "0.0.0.0/0" if "0.0.0.0/0" in kinds else ""]))
