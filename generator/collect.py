"""`gen collect`: the bash script of read-only `az` commands that fills a capture folder (capture.py reads it).

Two kinds of capture, one script shape:
- of a spec's deployment (`gen collect SPEC`): the deployment's outputs, the Route Server, the test VMs'
  effective routes, and everything below;
- of resource groups gen did not deploy (`gen collect --resource-group RG ...`), for `gen import`:
  every resource in them, each gateway's BGP sessions and routes.

Every value that reaches the script is quoted for the shell by `shell.quote`, and the script is
checked with `bash -n` before anyone sees it: a name in a spec never runs as a command.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess

from .capture import (
    COLLECTOR_VERSION,
    DEPLOYMENT,
    INFO,
    RESOURCES,
    ROUTE_SERVER,
    advertised_routes_dir,
    bgp_status_file,
    diagnostic_settings_file,
    effective_routes_file,
    learned_routes_file,
)

# The API reads the script makes besides `show` and `list`: POST operations that change nothing, which the Reader
# role does not grant (it has only */read). https://learn.microsoft.com/azure/role-based-access-control/built-in-roles
READ_ACTIONS = (
    "Microsoft.Network/virtualNetworkGateways/getBgpPeerStatus/action",
    "Microsoft.Network/virtualNetworkGateways/getLearnedRoutes/action",
    "Microsoft.Network/virtualNetworkGateways/getAdvertisedRoutes/action",
    "Microsoft.Network/networkInterfaces/effectiveRouteTable/action",
)
ROLE_NOTE = ("Needs Reader on the resource group(s), plus the actions that read BGP sessions, learned and advertised "
             "routes and effective routes: " + ", ".join(READ_ACTIONS) + " (Network Contributor grants them; Reader "
             "alone does not).")
# The API version of the public IPs' and firewalls' GET (the Network provider's, which returns `zones`).
NETWORK_GET_API = "2024-05-01"
# Children that ARM returns by ID only, read one by one: (parent type, property that lists their IDs).
CHILD_LISTS = (
    ("Microsoft.Network/firewallPolicies", "properties.ruleCollectionGroups[].id"),
    ("Microsoft.Network/virtualHubs", "properties.ipConfigurations[].id"),
    ("Microsoft.Network/virtualHubs", "properties.bgpConnections[].id"),
)


class ScriptError(Exception):
    """The script gen wrote does not parse: never handed to a user (a bug in gen; the message says where)."""


def quote(value: str) -> str:
    """The one way a value enters the script: one shell word, whatever it holds."""
    return shlex.quote(str(value))


def shared_key_read(topology, env: str, connection: str) -> str:
    """The read-only command that exports a running connection's shared key into the variable gen's files read:
    adopting a hub keeps its keys, never sets new ones
    (https://learn.microsoft.com/cli/azure/network/vpn-connection/shared-key#az-network-vpn-connection-shared-key-show)."""
    scope = topology.scope
    subscription = f" --subscription {quote(str(scope.subscription_id))}" if scope.subscription_id else ""
    return (f"{env}=$(az network vpn-connection shared-key show --resource-group {quote(str(scope.resource_group))}"
            f"{subscription} --connection-name {quote(str(connection))} --query value -o tsv) && export {env}")


def script(resource_groups: list[str], deployment: str | None = None, spec_name: str | None = None,
           route_server: str | None = None, nics: tuple[str, ...] = (), say_next: bool = True) -> str:
    """The capture script. With `deployment`, the spec's deployment is captured too (its outputs, its Route Server
    `route_server`, the test VM `nics`); without, only what the resource groups hold."""
    what = f"the deployed hub {spec_name}" if spec_name else f"the resource group(s) {', '.join(resource_groups)}"
    reader = "gen verify SPEC CAPTURE" if deployment else "gen import CAPTURE"
    q = quote
    lines = [
        "#!/usr/bin/env bash",
        f"# Captures {what} for `{reader}`.",
        "# Read-only: az show and list, and the POST queries that read BGP sessions and routes; nothing in Azure changes.",
        *(f"# {part}" for part in _wrap(ROLE_NOTE)),
        "# Usage: bash collect.sh [CAPTURE]   (default: capture)",
        "set -uo pipefail",
        f"RESOURCE_GROUPS=({' '.join(q(g) for g in resource_groups)})",
        'CAPTURE="${1:-capture}"',
        'mkdir -p "$CAPTURE"',
        f"printf '%s\\n' {quote(json.dumps({'collector': 'gen collect', 'version': COLLECTOR_VERSION}))} > \"$CAPTURE/{INFO}\"",
        "FAILED=0",
        "",
        "capture() {  # capture FILE COMMAND...: the command's JSON into CAPTURE/FILE; a failure is counted, not fatal",
        '  local file="$CAPTURE/$1"; shift',
        '  mkdir -p "$(dirname "$file")"',
        '  if "$@" --output json > "$file.part"; then',
        '    mv "$file.part" "$file"; echo "captured: $file" >&2',
        "  else",
        '    rm -f "$file.part"; FAILED=$((FAILED + 1)); echo "FAILED: $file ($*)" >&2',
        "  fi",
        "}",
        "",
        "resource_file() {  # a resource ID -> resources/<subscription>/<group>/<provider>/<type>/<name>[/<child type>/<child name>].json",
        f"  printf '%s' \"$1\" | sed -E 's#^/subscriptions/([^/]+)/resourcegroups/#{RESOURCES}/\\1/#I; s#/providers/#/#g; s#$#.json#'",
        "}",
        "",
    ]
    # The hub's group comes first, as GROUP or SUBSCRIPTION/GROUP: the deployment, Route Server and NICs are there.
    lines += ['HUB_ENTRY="${RESOURCE_GROUPS[0]}"; HUB_GROUP="${HUB_ENTRY##*/}"; HUB_SUBSCRIPTION=()',
              'if [ "$HUB_GROUP" != "$HUB_ENTRY" ]; then HUB_SUBSCRIPTION=(--subscription "${HUB_ENTRY%/*}"); fi', ""]
    if deployment:
        lines += [f'capture {q(DEPLOYMENT)} az deployment group show --resource-group "$HUB_GROUP" "${{HUB_SUBSCRIPTION[@]}}" '
                  f'--name {q(deployment)}']
        if route_server:
            lines += [f'capture {q(ROUTE_SERVER)} az network routeserver show --resource-group "$HUB_GROUP" '
                      f'"${{HUB_SUBSCRIPTION[@]}}" --name {q(route_server)}']
        lines.append("")
    lines += [
        "# Every resource, as Azure Resource Manager returns it (subnets, peerings and routes inline). A group is",
        "# GROUP, or SUBSCRIPTION/GROUP for one in another subscription (a spoke of a landing zone).",
        'for entry in "${RESOURCE_GROUPS[@]}"; do',
        '  group="${entry##*/}"; in_subscription=()',
        '  if [ "$group" != "$entry" ]; then in_subscription=(--subscription "${entry%/*}"); fi',
        '  az resource list --resource-group "$group" "${in_subscription[@]}" --query "[].[id, type]" --output tsv > "$CAPTURE.ids" \\',
        '    || FAILED=$((FAILED + 1))',
        "  while IFS=$'\\t' read -r id type; do",
        '    case "${type,,}" in',
        "      microsoft.network/publicipaddresses|microsoft.network/azurefirewalls)",
        "        # The generic resources API behind az resource show drops a public IP's zones (Azure/azure-rest-api-specs",
        "        # issue 24859; azure-powershell issue 15905): read the Network provider's own GET body, which has them.",
        f'        capture "$(resource_file "$id")" az rest --method get --url "$id?api-version={NETWORK_GET_API}"',
        "        ;;",
        "      *)",
        '        capture "$(resource_file "$id")" az resource show --ids "$id"',
        "        ;;",
        "    esac",
        '    case "${type,,}" in',
    ]
    for parent in dict.fromkeys(parent for parent, _ in CHILD_LISTS):
        queries = [query for kind, query in CHILD_LISTS if kind == parent]
        lines.append(f"      {parent.lower()})")
        for query in queries:
            lines += [
                f'        for child in $(az resource show --ids "$id" --query {q(query)} --output tsv); do',
                '          capture "$(resource_file "$child")" az resource show --ids "$child"',
                "        done",
            ]
        lines.append("        ;;")
    lines += [
        "      microsoft.network/azurefirewalls)",
        "        # Extension resources are not in az resource list: the firewall's diagnostic settings, read apart.",
        f'        capture "{_template(diagnostic_settings_file, "${id##*/}")}" az monitor diagnostic-settings list --resource "$id"',
        "        ;;",
        "      microsoft.network/virtualnetworkgateways)",
        '        gateway="${id##*/}"; gateway_group="${id#*/resourceGroups/}"; gateway_group="${gateway_group%%/*}"',
        '        gateway_subscription="${id#/subscriptions/}"; gateway_subscription="${gateway_subscription%%/*}"',
        f'        capture "{_template(bgp_status_file)}" az network vnet-gateway list-bgp-peer-status --resource-group "$gateway_group" --subscription "$gateway_subscription" --name "$gateway"',
        f'        capture "{_template(learned_routes_file)}" az network vnet-gateway list-learned-routes --resource-group "$gateway_group" --subscription "$gateway_subscription" --name "$gateway"',
        "        # The peers are known once deployed: read them from the gateway (either output shape).",
        '        for peer in $(az network vnet-gateway list-bgp-peer-status --resource-group "$gateway_group" --subscription "$gateway_subscription" --name "$gateway" '
        '--query "value[].neighbor || [].neighbor" --output tsv); do',
        f'          capture "{_template(advertised_routes_dir)}/$peer.json" az network vnet-gateway list-advertised-routes '
        '--resource-group "$gateway_group" --subscription "$gateway_subscription" --name "$gateway" --peer "$peer"',
        "        done",
        "        ;;",
        "    esac",
        '  done < "$CAPTURE.ids"',
        'rm -f "$CAPTURE.ids"',
        "done",
    ]
    for nic in nics:
        lines += ["", f'capture {q(effective_routes_file(nic))} az network nic show-effective-route-table '
                      f'--resource-group "$HUB_GROUP" "${{HUB_SUBSCRIPTION[@]}}" --name {q(nic)}']
    lines += [
        "",
        'if [ "$FAILED" -gt 0 ]; then',
        '  echo "$FAILED capture(s) failed (see above): the checks that need them will say so" >&2',
        "  exit 1",
        "fi",
    ]
    if say_next:  # a hub of several: the script of the hubs says what comes next, of the whole capture
        lines.append(f'echo "captured into $CAPTURE/: run {reader.replace("CAPTURE", "$CAPTURE")}"')
    text = "\n".join(lines) + "\n"
    check_syntax(text)
    return text


def hubs_script(scripts: list[tuple[str, str]], spec_name: str) -> str:
    """The capture script of several hubs: each hub's own script, run into CAPTURE/<hub>/ (what gen verify and gen
    import read for a spec of several hubs)."""
    lines = ["#!/usr/bin/env bash", f"# Captures the {len(scripts)} hubs of {spec_name}, each into CAPTURE/<hub>/, for "
             "`gen verify SPEC CAPTURE`. Each part is the script `gen collect` writes for that hub: read-only.",
             "# Usage: bash collect.sh [CAPTURE]   (default: capture)", "set -uo pipefail", 'CAPTURE="${1:-capture}"',
             "FAILED=0", ""]
    for index, (hub, text) in enumerate(scripts):
        marker = f"GEN_HUB_{index}_SCRIPT"
        while marker in text:
            marker += "_"
        # From a file, not from stdin: a command of the script that reads stdin would eat the rest of it.
        lines += [f"# --- hub {hub}", 'part="$(mktemp)"', f"cat > \"$part\" <<'{marker}'", text.rstrip("\n"), marker,
                  f'bash "$part" "$CAPTURE"/{quote(hub)} || FAILED=$((FAILED + 1))', 'rm -f "$part"', ""]
    lines += ['if [ "$FAILED" -gt 0 ]; then echo "$FAILED hub(s) not fully captured (above)" >&2; exit 1; fi',
              'echo "captured into $CAPTURE/, a folder per hub: run gen verify SPEC $CAPTURE"']
    text = "\n".join(lines) + "\n"
    check_syntax(text)
    return text


def _template(layout, variable: str = "$gateway") -> str:
    """A capture path of capture.py's layout with a shell variable in it (the layout is decided there, once)."""
    return layout("\x00").replace("\x00", variable)


def _wrap(text: str, width: int = 110) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width)


def check_syntax(text: str) -> None:
    """`bash -n`: refuse to hand out a script bash would not parse. Without bash there is nothing to ask."""
    bash = shutil.which("bash")
    if bash is None:
        return
    checked = subprocess.run([bash, "-n"], input=text, capture_output=True, text=True)
    if checked.returncode != 0:
        raise ScriptError(f"the capture script does not parse ({checked.stderr.strip()[:200]})")
