"""What several rule families need: the one place they share (families never import each other)."""

from __future__ import annotations

import ipaddress
import re
import unicodedata

from ..model import GATEWAY_SUBNET


def loose_network(text: str):
    """The IPv4 prefix as typed, host bits allowed; None when it is no IPv4 CIDR at all."""
    if "/" not in text:
        return None
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    return network if isinstance(network, ipaddress.IPv4Network) else None


def has_control_character(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" for c in text)


def tag_path(key: str) -> str:
    """`tags.<key>` for a readable key, plain `tags` when the key itself is the garbage."""
    return f"tags.{key}" if re.fullmatch(r"[^.\[\]\s]{1,64}", key) and not has_control_character(key) else "tags"


def cidr_fields(topology):
    """Every CIDR the spec writes (a SpecString each): address spaces, site prefixes, subnet prefixes."""
    for owner in topology.address_owners:
        yield from owner.address_prefixes
        yield from getattr(owner, "advertised", ())
    for vnet in topology.vnets:
        for subnet in vnet.subnets:
            yield subnet.prefix


def gateway_subnet_network(topology):
    subnet = topology.hub.vnet.subnet(GATEWAY_SUBNET)
    return subnet.network if subnet else None


def udr_prefixes(topology):
    """(prefix, owner) of every prefix that becomes a GatewaySubnet UDR to the firewall, when transit is inspected."""
    if not topology.inspects_transit:
        return
    for owner in topology.address_owners[1:]:  # everything but the hub itself
        for prefix in owner.address_prefixes:
            yield prefix, owner


def hits_gateway_subnet(topology, network) -> bool:
    """A non-default UDR prefix that overlaps GatewaySubnet (ADDR007's case)."""
    gateway = gateway_subnet_network(topology)
    return bool(topology.inspects_transit and gateway and network.prefixlen > 0 and network.overlaps(gateway))
