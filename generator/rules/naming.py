"""Rules: Azure resource names, names derived from them, uniqueness, references and tags (NAME).

Everything is deployed into one resource group, so names of one resource type
must be distinct there; Azure compares names case-insensitively. A name with a
control character is left to SEC002.
"""

from __future__ import annotations

import difflib
import re

from ..model import (
    SPECIAL_SUBNETS,
    ExpressRouteGateway,
    Firewall,
    NetworkRule,
    RouteServer,
    SpecString,
    Subnet,
    VirtualNetwork,
    VpnGateway,
)
from . import rule
from .helpers import has_control_character, tag_path

NAMING_LINK = "https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules"
VM_NAMING_LINK = "https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftcompute"
TAGS_LINK = "https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources"
ER_LINK = "https://learn.microsoft.com/azure/expressroute/expressroute-about-virtual-network-gateways"

MAX_NAME = 80
NAME_CHARS = re.compile(r"^[A-Za-z0-9._-]+$")
# Linux computer-name rule, kept simple: 1-64 letters, digits and hyphens, no hyphen at either end, not all digits.
VM_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?$")
CIRCUIT_ID = re.compile(
    r"^/subscriptions/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"/resourceGroups/[-\w.()]{0,89}[-\w()]"
    r"/providers/Microsoft\.Network/expressRouteCircuits/[A-Za-z0-9](?:[A-Za-z0-9._-]{0,78}[A-Za-z0-9_])?$",
    re.IGNORECASE,
)
TAG_KEY_FORBIDDEN = set('<>%&\\?/')
MAX_TAGS, MAX_TAG_KEY, MAX_TAG_VALUE = 50, 512, 256


def name_problem(name: str) -> str | None:
    """Why `name` breaks Azure's network resource name rule, or None."""
    if not 1 <= len(name) <= MAX_NAME:
        return f"is {len(name)} characters long; Azure allows 1-{MAX_NAME}"
    if not NAME_CHARS.match(name):
        bad = "".join(sorted({c for c in name if not NAME_CHARS.match(c)}))
        return f"contains {bad!r}; only letters, digits, '.', '-' and '_' are allowed"
    if not name[0].isalnum():
        return "must start with a letter or digit"
    if not (name[-1].isalnum() or name[-1] == "_"):
        return "must end with a letter, digit or '_'"
    return None


# What each named object of the model is, in Azure's words.
NAMED = {VirtualNetwork: "virtual network", Subnet: "subnet", ExpressRouteGateway: "ExpressRoute gateway",
         VpnGateway: "VPN gateway", RouteServer: "Route Server", Firewall: "firewall", NetworkRule: "firewall network rule"}


def _named_resources(topology):
    """(name, what) of every Azure resource name written in the spec (test VMs and the workspace aside); names are
    SpecStrings."""
    for node in topology.walk():
        if type(node) in NAMED:
            yield node.name, NAMED[type(node)]
        if isinstance(node, Firewall) and node.named_policy:
            yield node.named_policy, "firewall policy"
    for derived in topology.derived_names:
        if isinstance(derived.name, SpecString) and derived.name.path:  # a name the spec keeps
            yield derived.name, derived.resource_type


def _valid(name: str) -> bool:
    return name_problem(name) is None and not has_control_character(name)


def _duplicates(entries):
    """Yield (path, name, first path) for every entry whose name was seen before with a different owner key.

    `entries` are (path, name, owner key); equal owner keys mean the clash comes from a duplicate that another rule
    already reports (e.g. two gateways with one name give two identical public IP names).
    """
    seen = {}
    for path, name, owner in entries:
        key = name.casefold()
        if key in seen and seen[key][1] != owner:
            yield path, name, seen[key][0]
        seen.setdefault(key, (path, owner))


@rule("NAME001", "Resource name breaks Azure's naming rules", NAMING_LINK)
def resource_names(topology, data):
    """Network resource names: 1-80 letters, digits, '.', '-' and '_', starting with a letter or digit and ending
    with a letter, digit or '_'."""
    for name, what in _named_resources(topology):
        if has_control_character(name):
            continue  # SEC002
        problem = name_problem(name)
        if problem:
            yield name.path, (f"{what} name {name!r} {problem} (Azure: 1-80 letters, digits, '.', '-' and '_', starting with a "
                         f"letter or digit and ending with a letter, digit or '_')")


@rule("NAME002", "Name derived from a spec name is longer than 80 characters", NAMING_LINK)
def derived_names(topology, data):
    """gen derives names from spec names (`<gateway>-pip1`, `<firewall>-policy`, connection names); each must fit
    Azure's 80 characters too."""
    for derived in topology.derived_names:
        if all(_valid(s) for s in derived.sources) and len(derived.name) > MAX_NAME:
            yield derived.path, (f"the {derived.resource_type} gen derives from this name, {derived.name!r}, is {len(derived.name)} "
                                 f"characters long; Azure allows {MAX_NAME}: shorten the name by {len(derived.name) - MAX_NAME} or more")


@rule("NAME003", "Test VM name is not a valid computer name", VM_NAMING_LINK)
def vm_names(topology, data):
    """A test VM's name is also its Linux host name: 1-64 letters, digits and hyphens, not starting or ending with a
    hyphen, not only digits."""
    for vm in topology.test_vms:
        if has_control_character(vm.name):
            continue  # SEC002
        if not VM_NAME.match(vm.name) or vm.name.isdigit():
            yield vm.name.path, (
                f"test VM name {vm.name!r} is also its Linux host name: use 1-64 letters, digits and hyphens, not starting "
                f"or ending with a hyphen and not only digits")


@rule("NAME004", "Virtual network names must be unique", NAMING_LINK)
def vnet_names_unique(topology, data):
    """Everything is deployed into one resource group, where VNets need distinct names (case-insensitively)."""
    entries = [(vnet.name.path, vnet.name, vnet.path) for vnet in topology.vnets]
    for path, name, first in _duplicates(entries):
        yield path, f"virtual network name '{name}' is also used at {first}: VNets in one resource group need distinct names"


@rule("NAME005", "Virtual network gateway names must be unique", NAMING_LINK)
def gateway_names_unique(topology, data):
    """ExpressRoute and VPN gateways are all virtualNetworkGateways: one resource type, distinct names."""
    gateways = ((topology.hub.expressroute_gateway,) if topology.hub.expressroute_gateway else ()) + topology.vpn_gateways
    entries = [(g.name.path, g.name, g.path) for g in gateways]
    for path, name, first in _duplicates(entries):
        yield path, (f"gateway name '{name}' is also used at {first}: ExpressRoute and VPN gateways "
                     f"are all virtualNetworkGateways and need distinct names in one resource group")


@rule("NAME006", "Branch and on-premises site names must be unique", NAMING_LINK)
def site_names_unique(topology, data):
    """Branch and on-premises site names key the connections, parameters and secret environment variables."""
    entries = [(s.name.path, s.name, s.path) for s in topology.on_premises + topology.branches + topology.spokes]
    for path, name, first in _duplicates(entries):
        yield path, (f"name '{name}' is also used at {first}: branch and on-premises site names key the connections, "
                     f"parameters and secret environment variables (VPN_SHARED_KEY_<NAME>, ER_AUTH_KEY_<NAME>). Rename one")


@rule("NAME007", "Connection names must be unique", NAMING_LINK)
def connection_names_unique(topology, data):
    """Connection names derive from gateway and site names; two derivations may meet in one name."""
    # Owner key: the kind of entry plus its source names; equal keys are duplicates NAME005/NAME006 already report.
    entries = [(d.path, d.name, (re.sub(r"\[\d+\]", "", d.path), tuple(s.casefold() for s in d.sources)))
               for d in topology.derived_names if d.resource_type == "connection"]
    for path, name, first in _duplicates(entries):
        yield path, (f"this makes a connection named '{name}', which the entry at {first} also makes: connections are one "
                     f"resource type in one resource group. Rename the gateway or site")


@rule("NAME008", "Public IP names must be unique", NAMING_LINK)
def public_ip_names_unique(topology, data):
    """Public IP names derive from gateway, Route Server and firewall names; two derivations may meet in one name."""
    entries = [(d.path, d.name, (_resource_type(d.path), d.sources[0].casefold()))
               for d in topology.derived_names if d.resource_type == "public IP"]
    for path, name, first in _duplicates(entries):
        yield path, (f"this makes a public IP named '{name}', which the resource at {first} already gives its public IP: "
                     f"public IPs need distinct names in one resource group. Rename one of the two")


def _resource_type(path: str) -> str:
    """The Azure resource type behind a name path: all gateways share one type, so equal names there are NAME005's."""
    return "virtualNetworkGateways" if "Gateway" in path else path


@rule("NAME009", "ExpressRoute circuit id is not a circuit resource id", ER_LINK)
def circuit_ids(topology, data):
    """The connection's peer is the circuit's resource ID, as `az network express-route show --query id` prints it."""
    for site in topology.on_premises:
        if not CIRCUIT_ID.match(site.circuit_id):
            yield site.circuit_id.path, (
                f"{site.circuit_id!r} is not an ExpressRoute circuit resource id: expected /subscriptions/<subscription "
                f"GUID>/resourceGroups/<resource group>/providers/Microsoft.Network/expressRouteCircuits/<circuit name> "
                f"(az network express-route show --query id)")


@rule("NAME010", "Test VM refers to an unknown VNet", NAMING_LINK)
def vm_vnet_refs(topology, data):
    """A test VM goes into the hub VNet, a kind: vnet branch or a spoke, named by `hub` or the branch's or spoke's name."""
    choices = ["hub"] + [b.name for b in topology.vnet_branches + topology.spokes]
    sites = {b.name for b in topology.site_branches}
    for vm in topology.test_vms:
        if vm.vnet_name is not None:
            continue
        if vm.vnet_ref in sites:
            why = f"'{vm.vnet_ref}' is a site branch (kind: site), not an Azure VNet"
        else:
            guess = difflib.get_close_matches(vm.vnet_ref, choices, n=1)
            why = f"no VNet is called {vm.vnet_ref!r}" + (f" (did you mean '{guess[0]}'?)" if guess else "")
        yield vm.vnet_ref.path, f"{why}: a test VM goes into 'hub', a kind: vnet branch or a spoke ({', '.join(choices)})"


@rule("NAME011", "Test VM subnet is unknown or reserved for Azure", NAMING_LINK)
def vm_subnet_refs(topology, data):
    """A test VM joins a workload subnet of its VNet: the gateway, Route Server and firewall subnets take no VMs."""
    for vm in topology.test_vms:
        vnet = topology.vnet_named(vm.vnet_ref)
        if vnet is None:
            continue  # NAME010
        names = [s.name for s in vnet.subnets]
        if vm.subnet in SPECIAL_SUBNETS:
            yield vm.subnet.path, (f"{vm.subnet} is reserved for Azure's gateways, Route Server or firewall: VMs "
                                           f"cannot be placed there. Use a workload subnet such as "
                                           f"{next((n for n in names if n not in SPECIAL_SUBNETS), 'a new one')}")
        elif vm.subnet not in names:
            guess = difflib.get_close_matches(vm.subnet, names, n=1)
            hint = f" (did you mean '{guess[0]}'?)" if guess else ""
            yield vm.subnet.path, f"VNet '{vnet.name}' has no subnet {vm.subnet!r}{hint}; its subnets: {', '.join(names)}"


@rule("NAME012", "Tags break Azure's tag limits", TAGS_LINK)
def tags(topology, data):
    """Azure allows 50 tags per resource, keys up to 512 characters without < > % & \\ ? /, values up to 256."""
    tag_data = data.get("tags", {})
    if len(tag_data) > MAX_TAGS:
        yield "tags", f"{len(tag_data)} tags; Azure allows at most {MAX_TAGS} per resource"
    for key, value in tag_data.items():
        if len(key) > MAX_TAG_KEY:
            yield "tags", f"tag key {key[:40]!r}... is {len(key)} characters long; Azure allows {MAX_TAG_KEY}"
        bad = sorted(TAG_KEY_FORBIDDEN & set(key))
        if bad:
            yield tag_path(key), f"tag key {key!r} contains {' '.join(bad)}: Azure refuses < > % & \\ ? / in tag names"
        if len(value) > MAX_TAG_VALUE:
            yield tag_path(key), f"tag value is {len(value)} characters long; Azure allows {MAX_TAG_VALUE}"


@rule("NAME013", "Test VM names must be unique", VM_NAMING_LINK)
def vm_names_unique(topology, data):
    """Test VMs (and their NICs `<name>-nic`) need distinct names in the resource group."""
    entries = [(vm.name.path, vm.name, vm.path) for vm in topology.test_vms]
    for path, name, first in _duplicates(entries):
        yield path, f"test VM name '{name}' is also used at {first}: VMs (and their NICs '<name>-nic') need distinct names"


# Azure refuses these Linux admin user names on a VM.
RESERVED_ADMIN_NAMES = {
    "administrator", "admin", "user", "user1", "test", "user2", "test1", "user3", "admin1", "1", "123", "a", "actuser",
    "adm", "admin2", "aspnet", "backup", "console", "david", "guest", "john", "owner", "root", "server", "sql",
    "support", "support_388945a0", "sys", "test2", "test3", "user4", "user5",
}
ADMIN_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
VM_SIZE = re.compile(r"^(Standard|Basic)_[A-Za-z0-9_]+$")


@rule("NAME014", "Test VM admin user name or size refused by Azure", VM_NAMING_LINK)
def test_vm_admin_and_size(topology, data):
    """Azure refuses reserved admin user names (admin, root, ...) and names that are not Linux user names; the size
    must be an Azure size name."""
    for vm in topology.test_vms:
        if vm.admin_username.lower() in RESERVED_ADMIN_NAMES:
            yield vm.admin_username.path, (
                f"admin user name {vm.admin_username!r} is reserved: Azure refuses it on a Linux VM. Use another, "
                f"e.g. azureuser (the default)")
        elif not ADMIN_NAME.match(vm.admin_username):
            yield vm.admin_username.path, (
                f"admin user name {vm.admin_username!r} is not a Linux user name: 1-32 lowercase letters, digits, '_' "
                f"or '-', starting with a letter or '_'")
        if not VM_SIZE.match(vm.size):
            yield vm.size.path, (
                f"VM size {vm.size!r} is not an Azure size name such as Standard_B1s (`az vm list-sizes -l LOCATION`)")


WORKSPACE_NAMING_LINK = ("https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules"
                         "#microsoftoperationalinsights")
WORKSPACE_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{2,61}[A-Za-z0-9])$")


@rule("NAME015", "Log Analytics workspace name breaks Azure's naming rules", WORKSPACE_NAMING_LINK)
def workspace_name(topology, data):
    """A Log Analytics workspace is named with 4-63 letters, digits and hyphens, starting and ending with a letter or
    digit: not the network resources' rule."""
    firewall = topology.hub.firewall
    name = firewall.diagnostics.workspace_name if firewall and firewall.diagnostics else None
    if name is not None and not WORKSPACE_NAME.match(name):
        yield name.path, (f"workspace name {name!r} is not a Log Analytics workspace name: 4-63 letters, digits and hyphens, "
                          f"starting and ending with a letter or digit")


NSG_LINK = "https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview"
NSG_ID = re.compile(r"^/subscriptions/[0-9a-f-]{36}/resourceGroups/[-\w.()]{0,89}[-\w()]/providers/Microsoft\.Network/"
                    r"networkSecurityGroups/[A-Za-z0-9](?:[A-Za-z0-9._-]{0,78}[A-Za-z0-9_])?$", re.IGNORECASE)


@rule("NAME016", "Subnet network security group is not an NSG resource ID", NSG_LINK)
def nsg_ids(topology, data):
    """`networkSecurityGroupId` names an existing network security group by its resource ID; gen associates it with
    the subnet and does not create it."""
    for subnet in topology.each(Subnet):
        if subnet.nsg_id is not None and not NSG_ID.match(subnet.nsg_id):
            yield subnet.nsg_id.path, (
                f"{subnet.nsg_id[:120]!r} is not a network security group resource ID: expected /subscriptions/<id>/"
                f"resourceGroups/<group>/providers/Microsoft.Network/networkSecurityGroups/<name> "
                f"(az network nsg show --query id)")


@rule("NAME017", "A kept resource name has no resource to name", NAMING_LINK)
def kept_names_fit(topology, data):
    """Names kept for existing resources (gen import writes them) must match what the design deploys: one public IP
    name and one IP configuration name per gateway instance (two when active-active)."""
    for gateway in topology.vpn_gateways:
        kept = gateway.kept_public_ip_names
        wanted = 2 if gateway.active_active else 1
        if kept and len(kept) != wanted:
            yield kept[0].path.rsplit("[", 1)[0], (
                f"{gateway.label} is {'active-active' if gateway.active_active else 'active-standby'}: it has {wanted} "
                f"public IP(s), but publicIpNames lists {len(kept)}")
        configurations = gateway.kept_ip_configuration_names
        if configurations and len(configurations) != wanted:
            yield configurations[0].path.rsplit("[", 1)[0], (
                f"{gateway.label} has {wanted} instance(s), but ipConfigurationNames lists {len(configurations)}")


NIC_LINK = "https://learn.microsoft.com/azure/virtual-network/network-overview#network-interfaces"


@rule("NAME018", "Test VM in a VNet of another subscription than the hub's", NIC_LINK)
def vm_in_the_hubs_subscription(topology, data):
    """A test VM and its NIC are deployed with the hub (its resource group and subscription), and "each NIC must be
    connected to a VNet that exists in the same Azure location and subscription as the NIC" (Learn, Virtual networks
    and virtual machines in Azure). A VNet of another resource group is fine; one of another subscription is not."""
    owners = {str(o.name): o for o in (*topology.vnet_branches, *topology.spokes)}
    hub = str(topology.scope.subscription_id or "").lower()
    for vm in topology.test_vms:
        owner = owners.get(str(vm.vnet_ref))
        scope = topology.scope_of(owner) if owner is not None else None
        # The hub's subscription unnamed is the one deployed to, which may well be the VNet's: only a named one can differ.
        if scope is not None and hub and scope.subscription_id and str(scope.subscription_id).lower() != hub:
            yield vm.vnet_ref.path, (f"test VM '{vm.name}' joins {owner.label} in subscription {scope.subscription_id}, but a "
                                     f"VM's NIC must be in its VNet's subscription and the test VMs deploy with the hub "
                                     f"({hub}): put the VM in a VNet of the hub's subscription")
