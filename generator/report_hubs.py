"""The README of a spec of several hubs: each hub, the order to deploy, what joins the hubs and what crosses them.

Each hub's own folder has the README of a hub (its routes, transit, plan, cost); this one is about what no single hub
shows: the peerings, the routes firewall to firewall, the bow-tie, what Route Server does not carry between regions,
the flows across hubs and what survives the loss of a region, a hub, a circuit or the peering.
"""

from __future__ import annotations

from . import markdown, resilience_hubs, routing_hubs
from .diagram import _id, _label
from .hubs import Fleet
from .provenance import comment_header
from .render import shell_word
from .routing import DELIVERED, PARTIAL

MULTI_HUB = "https://learn.microsoft.com/azure/firewall/firewall-multi-hub-spoke"
ROUTE_SERVER_FAQ = "https://learn.microsoft.com/azure/route-server/route-server-faq"
MANAGE_PEERING = "https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering"
FASTPATH = "https://learn.microsoft.com/azure/expressroute/about-fastpath"
REMOTE_VNET = routing_hubs.ER_REMOTE_VNET
OPTIMIZE = "https://learn.microsoft.com/azure/expressroute/expressroute-optimize-routing"
DISASTER_RECOVERY = routing_hubs.ER_DISASTER_RECOVERY


def mermaid(fleet: Fleet) -> str:
    """Every hub as a box with its gateways and firewall, its spokes and sites beside it, the circuits in the middle."""
    lines = ["flowchart LR"]
    circuits: dict[str, str] = {}
    for region in fleet.regions:
        t, key = region.topology, region.name
        hub = t.hub
        lines.append(f"  subgraph {_id('hub', key)}[{_label(f'hub {key}: {hub.vnet.name} ' + ', '.join(hub.vnet.address_space), t.location)}]")
        if hub.expressroute_gateway:
            lines.append(f"    {_id('ergw', key)}[{_label(hub.expressroute_gateway.name, 'ExpressRoute gateway')}]")
        if hub.vpn_gateway:
            lines.append(f"    {_id('vpngw', key)}[{_label(hub.vpn_gateway.name, f'VPN gateway AS {hub.vpn_gateway.asn}')}]")
        if hub.route_server:
            lines.append(f"    {_id('ars', key)}[{_label(hub.route_server.name, 'Route Server')}]")
        if hub.firewall:
            lines.append(f"    {_id('afw', key)}[{_label(hub.firewall.name, f'Azure Firewall, {t.firewall_private_ip}')}]")
        lines.append("  end")
        for spoke in t.spokes:
            lines.append(f"  {_id('spoke', spoke.name)}[{_label(spoke.name, ', '.join(spoke.vnet.address_space))}]")
            lines.append(f"  {_id('hub', key)} ---|{_label('peering')}| {_id('spoke', spoke.name)}")
        for branch in t.branches:
            lines.append(f"  {_id('branch', branch.name)}[{_label(branch.name, ', '.join(branch.address_prefixes))}]")
            if hub.vpn_gateway:
                lines.append(f"  {_id('vpngw', key)} ---|{_label('VPN')}| {_id('branch', branch.name)}")
        for site in t.on_premises:
            node = _id("circuit", site.name)
            if node not in circuits:
                circuit = site.circuit_id.rstrip("/").rsplit("/", 1)[-1]
                circuits[node] = circuit
                lines.append(f"  {node}[{_label(site.name, circuit, ', '.join(site.address_prefixes))}]")
            if hub.expressroute_gateway:
                lines.append(f"  {node} ---|{_label(f'weight {site.routing_weight}')}| {_id('ergw', key)}")
    for i, a in enumerate(fleet.regions):
        for b in fleet.regions[i + 1:]:
            lines.append(f"  {_id('hub', a.name)} <-->|{_label('global VNet peering')}| {_id('hub', b.name)}")
    return "\n".join(lines)


def _verdict(result, across: bool) -> str:
    if result is None:
        return "—"
    if result.verdict in (DELIVERED, PARTIAL):
        return "delivered" + (f", inspected by {markdown.text(', '.join(dict.fromkeys(result.forward_path.firewalls)))}"
                              if result.inspected else "")
    text = f"**{result.verdict}**" + (f" at {markdown.text(result.where)}" if result.where else "")
    if across and result.verdict == "no-route":
        text += " (by design: see What each side learns)"
    return text


def _transit_rows(traced: list) -> list[str]:
    rows = ["| From | To | Verdict | Path there |", "|---|---|---|---|"]
    for flow, result in traced:
        across = not set(flow.source_hubs) & set(flow.destination_hubs)
        name = f"{flow.source_name} ({', '.join(flow.source_hubs)})"
        other = f"{flow.destination_name} ({', '.join(flow.destination_hubs)})"
        path = result.forward_path.text if result else ""
        rows.append(f"| {markdown.text(name)} | {markdown.text(other)} | {_verdict(result, across)} | {markdown.code(path)} |")
    return rows


def _learns(fleet: Fleet) -> list[str]:
    rows = ["| Who | Learns from its own hub | Learns about the other hubs |", "|---|---|---|"]
    for region in fleet.regions:
        t = region.topology
        others = ", ".join(r.name for r in fleet.regions if r is not region)
        for branch in t.branches:
            # What the hub's VPN gateway teaches a branch: on-premises only through Route Server branch-to-branch.
            onprem = ", on-premises (Route Server branch-to-branch)" if t.exchanges_routes and t.on_premises else \
                " (no on-premises: " + ("no Route Server exchanges ExpressRoute and VPN routes here)" if t.on_premises else
                                        "this hub has no circuit)")
            rows.append(f"| {markdown.text(branch.name)} (VPN, hub {region.name}) | hub {region.name}, its spokes{onprem} | "
                        f"nothing: the routes of hub {others} never reach hub {region.name}'s VPN gateway |")
        for spoke in t.spokes:
            remote = ", ".join(p for r in t.remote_hubs for _, p in r.destinations)
            rows.append(f"| {markdown.text(spoke.name)} (spoke, hub {region.name}) | its hub over the peering; on-premises and "
                        f"branches by UDR to {markdown.text(t.hub.firewall.name) if t.hub.firewall else 'the firewall'} | "
                        f"{markdown.text(remote) or 'nothing'} by UDR to its own firewall, then firewall to firewall |")
    sites = dict.fromkeys(str(s.name) for r in fleet.regions for s in r.topology.on_premises)
    for site in sites:
        connected = [r.name for r in fleet.regions if any(s.name == site for s in r.topology.on_premises)]
        rows.append(f"| {markdown.text(site)} (on-premises) | each hub its circuit connects to ({', '.join(connected)}) "
                    f"advertises its own VNet, spokes and (branch-to-branch) VPN sites | the same, from each hub directly |")
    return rows


def readme(fleet: Fleet, source, context: dict) -> str:
    names = ", ".join(r.name for r in fleet.regions)
    traced = routing_hubs.transit(fleet)  # once: the transit table and the failures' baseline
    lines = [comment_header("<!--"), f"# {markdown.text(fleet.name)}: {len(fleet.regions)} hubs ({markdown.text(names)})", "",
             f"Rendered by {source.generator} from `{markdown.text(source.spec)}` (sha256 `{source.sha256}`). Each hub is "
             "a deployment of its own in its own folder (with its own README: routes, transit, plan, cost); the global VNet "
             "peerings between the hubs are one more, in `peerings/`.", "",
             "| Hub | Region | Resource group | VNet | Firewall | Folder |", "|---|---|---|---|---|---|"]
    for region in fleet.regions:
        t = region.topology
        firewall = f"{t.hub.firewall.name} ({t.firewall_private_ip})" if t.hub.firewall else "none"
        lines.append(f"| {region.name} | {markdown.text(t.location)} | {markdown.text(t.scope.resource_group)} | "
                     f"{markdown.text(t.hub.vnet.name)} {markdown.text(', '.join(t.hub.vnet.address_space))} | "
                     f"{markdown.text(firewall)} | [{region.name}/]({region.name}/README.md) |")
    lines += ["", "```mermaid", mermaid(fleet), "```", "", "## Deploy", "",
              "Every hub at once (one deployment per region: one region's failure never holds back the other's, and the "
              "whole takes as long as the slowest), then the peerings, which name each other's VNets and so need both to "
              f"exist ([Learn]({MANAGE_PEERING})). `gen plan` shows both stages. Each hub's README says what to set first "
              "(its secrets) and how to check it with `what-if`; from this folder:", "", "```sh"]
    for region in fleet.regions:
        for scope in region.topology.scopes:
            lines.append(f"az group create --name {shell_word(scope.resource_group)} --location "
                         f"{shell_word(region.topology.location)}"
                         + (f" --subscription {shell_word(scope.subscription_id)}" if scope.subscription_id else ""))
    lines.append("pids=()")
    for folder, group, subscription, name in context["deploy_order"][:-1]:
        lines.append(f"az deployment group create -g {shell_word(group)}{subscription} -n {name} -p {folder}/main.bicepparam "
                     f"& pids+=($!)")
    lines.append('failed=0; for pid in "${pids[@]}"; do wait "$pid" || failed=1; done')
    folder, group, subscription, name = context["deploy_order"][-1]
    lines += ["# The peerings only once every hub is deployed:",
              f'[ "$failed" = 0 ] && az deployment group create -g {shell_word(group)}{subscription} -n {name} '
              f"-p {folder}/main.bicepparam",
              "```", "", "Each hub's secrets are named in its README; a circuit connected to several hubs needs one "
              "authorization key per connection (`ER_AUTH_KEY_<SITE>_<HUB>`): \"one authorization per virtual network\" "
              "([Learn](https://learn.microsoft.com/powershell/module/az.network/add-azexpressroutecircuitauthorization)).", "",
              "## Between the hubs", "",
              f"- **Peering** both ways, `allowForwardedTraffic: true`, `allowGatewayTransit: false`, `useRemoteGateways: false`: "
              f"each hub has gateways of its own, and two hubs on one circuit must not lend theirs "
              f"([Learn: FastPath, gateway transit]({FASTPATH}); [Learn: peering]({MANAGE_PEERING})).",
              f"- **Firewall to firewall**: each spoke sends the other hubs' spokes to its own firewall, and each "
              f"AzureFirewallSubnet sends them to the other firewall, with gateway route propagation on and (unless the "
              f"firewall tunnels its Internet traffic, with a management NIC) its own 0.0.0.0/0 → Internet "
              f"([Learn]({MULTI_HUB})). Exact prefixes, not summaries: a more specific route learned elsewhere would win "
              f"over a summary. Only spokes (and hub subnets with `inspectHubSubnets`) are routed between hubs: a hub's "
              f"other subnets and its VPN sites are not.",
              f"- **No hairpin**: the ExpressRoute gateways are written with `allowRemoteVnetTraffic: false`, so traffic "
              f"between hubs never goes down to the circuit's edge routers and back ([Learn]({REMOTE_VNET})).",
              f"- **Bow-tie**: a circuit connected to several hubs has one connection per hub; the higher weight goes to "
              f"the hub of the circuit's own region, so each region sends through its local circuit first and fails over "
              f"to the other ([Learn]({OPTIMIZE})). The weight steers Azure → on-premises only: for the return to take "
              f"the same circuit, on-premises prefers each region's prefixes on that region's local circuit (local "
              f"preference on its edge routers, [Learn]({DISASTER_RECOVERY})); `gen trace` assumes it does.", ""]
    for region in fleet.regions:
        t = region.topology
        remote = [r for r in t.firewall_subnet_routes if r.next_hop_ip and r.next_hop_ip != t.firewall_private_ip]
        if remote:
            routes = ", ".join(f"{r.address_prefix} → {r.next_hop_ip}" for r in remote)
            lines.append(f"- {markdown.text(t.hub.firewall.name)} (hub {region.name}) routes {markdown.text(routes)}.")
    lines += ["", "## What each side learns", "",
              f"Route Servers do not exchange routes over peering, and routes one Route Server relayed are dropped by the "
              f"other when they come back through a circuit ([Learn: Route Server FAQ]({ROUTE_SERVER_FAQ})). So a VPN site "
              f"reaches on-premises and its own region, not the other region's sites or spokes; `gen trace` shows that as "
              f"a no-route, by design.", ""] + _learns(fleet)
    lines += ["", "## Transit across the hubs", "",
              "Every on-premises network, site and spoke to every other, by a representative host, traced both ways "
              "(`gen trace SPEC --from IP --to IP` for one):", ""] + _transit_rows(traced)
    lines += ["", resilience_hubs.as_markdown(resilience_hubs.analyse(fleet, traced)).rstrip()]
    return "\n".join(lines) + "\n"
