"""Palo Alto Networks PAN-OS, route-based: configuration-mode `set` commands, one tunnel interface per gateway instance.

Follows the example Microsoft's device table links for PAN-OS route-based gateways, Palo Alto's knowledge-base article
"Configuring IKEv2 IPsec VPN for Microsoft Azure Environment"
(https://knowledgebase.paloaltonetworks.com/KCSArticleDetail?id=kA10g000000Cm6WCAS): an IKE and an IPsec crypto
profile, an IKEv2-only IKE gateway with a pre-shared key, an IPsec tunnel bound to a tunnel interface, routes into
the tunnel interface. Here there is one gateway, tunnel and tunnel interface per instance of the hub gateway.

The keywords are PAN-OS's: the IPsec VPN administration guide
(https://docs.paloaltonetworks.com/network-security/ipsec-vpn/administration: Define IKE/IPSec Crypto Profiles, IKE
Phase 1 and 2) and the configuration schema Palo Alto publishes (PaloAltoNetworks/pan-os-codegen specs
ike-crypto-profile, ipsec-crypto-profile, ike-gateway, virtual-router; PaloAltoNetworks/pan-os-python network.py for
tunnel interfaces, proxy IDs and the virtual router's BGP). TCP MSS: PAN-OS has no MSS setting on tunnel interfaces;
it clamps TCP over a tunnel to the tunnel interface's MTU minus 40 bytes (knowledge base,
https://knowledgebase.paloaltonetworks.com/KCSArticleDetail?id=kA10g000000ClW3CAK), so the tunnel MTU is set to give
Microsoft's 1350. BGP runs from a loopback that holds the device's one BGP address, to each instance over its own
tunnel (a host route per instance, Microsoft's BGP FAQ), in the legacy virtual router (`network virtual-router`).
"""

from __future__ import annotations

import ipaddress

from .site import (BGP_HOLD, BGP_KEEPALIVE, IKE_LIFETIME_SECONDS, TCP_MSS, Crypto, Device, DeviceConfigError,
                   SiteConfig, Tunnel, header)

SOURCE = ("Palo Alto KB 'Configuring IKEv2 IPsec VPN for Microsoft Azure Environment', "
          "https://knowledgebase.paloaltonetworks.com/KCSArticleDetail?id=kA10g000000Cm6WCAS; PAN-OS IPsec VPN "
          "administration, https://docs.paloaltonetworks.com/network-security/ipsec-vpn/administration")
KNOWN_ISSUES = "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-about-vpn-devices#known"

IKE_ENCRYPTION = {"AES128": "aes-128-cbc", "AES192": "aes-192-cbc", "AES256": "aes-256-cbc",
                  "GCMAES128": "aes-128-gcm", "GCMAES256": "aes-256-gcm"}
HASH = {"MD5": "md5", "SHA1": "sha1", "SHA256": "sha256", "SHA384": "sha384"}
ESP_ENCRYPTION = {"AES128": "aes-128-cbc", "AES192": "aes-192-cbc", "AES256": "aes-256-cbc", "DES3": "3des",
                  "None": "null", "GCMAES128": "aes-128-gcm", "GCMAES256": "aes-256-gcm"}
# DHGroup14, DHGroup2048 and PFS2048 are all MODP group 14; ECP256 and ECP384 are groups 19 and 20.
GROUPS = {"DHGroup1": "group1", "PFS1": "group1", "DHGroup2": "group2", "PFS2": "group2",
          "DHGroup14": "group14", "DHGroup2048": "group14", "PFS2048": "group14",
          "ECP256": "group19", "ECP384": "group20"}
# Azure settings PAN-OS cannot write: its groups are 1, 2, 5, 14, 15, 16, 19, 20, 21; its ESP ciphers are 3des,
# aes-128/192/256-cbc, aes-128-ccm, aes-128-gcm, aes-256-gcm and null (pan-os-codegen's crypto profile schemas).
REFUSED = {
    ("dhGroup", "None"): "IKEv2 needs a Diffie-Hellman group and a PAN-OS IKE crypto profile cannot propose none; "
                         "pick ECP384, ECP256 or DHGroup14",
    ("dhGroup", "DHGroup24"): "PAN-OS has no DH group 24 (it offers groups 1, 2, 5, 14, 15, 16, 19, 20, 21); "
                              "pick ECP384, ECP256 or DHGroup14",
    ("pfsGroup", "PFS24"): "PAN-OS has no DH group 24 for PFS (it offers groups 1, 2, 5, 14, 15, 16, 19, 20, 21); "
                           "pick ECP384, ECP256 or PFS2048",
    ("ipsecEncryption", "GCMAES192"): "PAN-OS's ESP has aes-128-gcm and aes-256-gcm, no 192-bit GCM; "
                                      "pick GCMAES256 (ipsecIntegrity GCMAES256)",
    ("ipsecEncryption", "DES"): "PAN-OS's IPsec crypto profile has no des (3des, aes-cbc, aes-gcm, null); "
                                "pick AES256 or GCMAES256",
}

# PAN-OS counts a lifetime or a lifesize in one unit, at most 65535 of it.
UNIT_MAX = 65535
TIME_UNITS = (("seconds", 1), ("minutes", 60), ("hours", 3600))
SIZE_UNITS = (("kb", 1), ("mb", 1024), ("gb", 1024 ** 2), ("tb", 1024 ** 3))

# Names gen chooses; the header lists them so that a taken one can be renamed before pasting.
VIRTUAL_ROUTER = "default"  # as PAN-OS ships it
ZONE = "azure-vpn"
LOOPBACK = "loopback.1"
IKE_PROFILE, IPSEC_PROFILE = "azure-ike", "azure-ipsec"
PEER_GROUP = "azure"
OUTSIDE_INTERFACE, LAN_ZONE = "<outside-interface>", "<lan-zone>"
DPD_INTERVAL = 10  # seconds between IKEv2 liveness checks (PAN-OS allows 2 to 100)
TUNNEL_MTU = TCP_MSS + 40  # PAN-OS clamps TCP MSS over a tunnel to its MTU minus 40


def refuse_what_panos_lacks(crypto: Crypto) -> None:
    settings = {"dhGroup": crypto.dh_group, "pfsGroup": crypto.pfs_group, "ipsecEncryption": crypto.ipsec_encryption}
    for (setting, value), why in REFUSED.items():
        if settings[setting] == value:
            raise DeviceConfigError(f"{setting} {value}: {why} in the site's ipsecPolicy")


def in_units(amount: int, units: tuple[tuple[str, int], ...]) -> tuple[str, int, int]:
    """(unit, count, what that comes to): the most PAN-OS can write that is not above `amount`, the smallest unit
    on a tie (so an exact value keeps its unit)."""
    candidates = [(unit, min(UNIT_MAX, amount // size), size) for unit, size in units]
    unit, count, size = max(candidates, key=lambda candidate: candidate[1] * candidate[2])
    return unit, count, count * size


def tunnel_interface(tunnel: Tunnel) -> str:
    return f"tunnel.{tunnel.instance + 1}"


def members(items) -> str:
    return "[ " + " ".join(items) + " ]"


def render(config: SiteConfig) -> dict[str, str]:
    refuse_what_panos_lacks(config.crypto)
    return {f"{device.file_stem}.panos.txt": panos(config, device) for device in config.devices}


def panos(config: SiteConfig, device: Device) -> str:
    names = [*(tunnel_interface(t) for t in device.tunnels), *([LOOPBACK] if device.bgp_address else []),
             f"zone {ZONE}", f"virtual router {VIRTUAL_ROUTER}", f"crypto profiles {IKE_PROFILE}, {IPSEC_PROFILE}"]
    lines = [header(config, device, "PAN-OS", SOURCE), "#",
             "# Load: `configure`, paste the set lines (grep '^set ' FILE), review, `commit`.",
             f"# Fill in {OUTSIDE_INTERFACE} (the internet-facing interface, already in a zone and in virtual router "
             f"{VIRTUAL_ROUTER}) and {LAN_ZONE} (the zone of {', '.join(config.site_prefixes)}).",
             f"# Names gen chose (rename any already taken): {', '.join(names)}.",
             "# Written for a single virtual system and the legacy virtual router; with Advanced Routing (logical "
             "routers) the routing part differs.",
             f"# Azure's DPD timeout on this connection: {device.dpd_timeout_seconds} s; its IKE SA lifetime is fixed "
             f"at {IKE_LIFETIME_SECONDS} s.",
             "# Microsoft's known issue for PAN-OS before 7.1.4: \"upgrade to 7.1.4\" and \"change the Phase 2 SA (or "
             f"Quick Mode SA) lifetime to 28,800 seconds (8 hours)\" ({KNOWN_ISSUES}).",
             ]
    lines += crypto_profiles(config)
    lines += interfaces(config, device)
    lines += ike_gateways(config, device)
    lines += ipsec_tunnels(config, device)
    lines += routes(config, device)
    if device.bgp_asn is not None:
        lines += bgp(config, device)
    lines += security_rules(config)
    return "\n".join(lines) + "\n"


def crypto_profiles(config: SiteConfig) -> list[str]:
    c = config.crypto
    ike = f"set network ike crypto-profiles ike-crypto-profiles {IKE_PROFILE}"
    ipsec = f"set network ike crypto-profiles ipsec-crypto-profiles {IPSEC_PROFILE}"
    lines = ["", "# IKE (phase 1): the connection's policy, IKE SA lifetime as Azure's."]
    if c.ike_gcm:
        lines.append("# GCM in IKE needs PAN-OS 10.0.3 or later; the hash is then the PRF (assumed from Palo Alto's "
                     "own example, aes-256-gcm with sha384).")
    lines += [f"{ike} encryption {IKE_ENCRYPTION[c.ike_encryption]}",
              f"{ike} hash {HASH[c.ike_integrity]}",
              f"{ike} dh-group {GROUPS[c.dh_group]}",
              f"{ike} lifetime seconds {IKE_LIFETIME_SECONDS}",
              "", "# IPsec (phase 2): ESP." + (" GCM authenticates itself: no separate authentication."
                                              if c.esp_gcm else ""),
              f"{ipsec} esp encryption {ESP_ENCRYPTION[c.ipsec_encryption]}",
              f"{ipsec} esp authentication {'none' if c.esp_gcm else HASH[c.ipsec_integrity]}",
              f"{ipsec} dh-group {'no-pfs' if c.pfs_group == 'None' else GROUPS[c.pfs_group]}"]
    for kind, amount, units, what in (("lifetime", c.sa_lifetime_seconds, TIME_UNITS, "s"),
                                      ("lifesize", c.sa_data_size_kilobytes, SIZE_UNITS, "KB")):
        unit, count, written = in_units(amount, units)
        if written < amount:
            lines.append(f"# Azure's {amount} {what} is more than PAN-OS counts (65535 of one unit): {count} {unit}, "
                         "a little less; IKEv2 does not negotiate lifetimes (RFC 7296, 2.8), each side rekeys on its "
                         "own.")
        lines.append(f"{ipsec} {kind} {unit} {count}")
    return lines


def interfaces(config: SiteConfig, device: Device) -> list[str]:
    lines = ["", f"# One unnumbered tunnel interface per gateway instance: routes point at it. MTU {TUNNEL_MTU}: "
                 f"PAN-OS clamps TCP MSS to the tunnel MTU minus 40, Microsoft's {TCP_MSS}."]
    for tunnel in device.tunnels:
        unit = f"set network interface tunnel units {tunnel_interface(tunnel)}"
        lines += [f'{unit} comment "{config.gateway} instance {tunnel.instance}"', f"{unit} mtu {TUNNEL_MTU}"]
    in_zone = [tunnel_interface(t) for t in device.tunnels]
    if device.bgp_address:
        lines += ["# The device's BGP address, on a loopback: one address for the sessions over both tunnels (if an "
                  "interface holds it already, leave this out and use that interface below).",
                  f"set network interface loopback units {LOOPBACK} ip {device.bgp_address}/32"]
        in_zone.append(LOOPBACK)
    lines += [f"# One zone for all tunnels: a session may leave by one tunnel and return by the other (ECMP)."
              + (" BGP between the loopback and the tunnels stays inside it (PAN-OS allows intrazone traffic by "
                 "default)." if device.bgp_address else ""),
              f"set zone {ZONE} network layer3 {members(in_zone)}",
              f"set network virtual-router {VIRTUAL_ROUTER} interface {members(in_zone)}"]
    return lines


def local_id(device: Device) -> str:
    try:
        ipaddress.ip_address(device.public_address)
    except ValueError:
        return f"fqdn id {device.public_address}"
    return f"ipaddr id {device.public_address}"


def ike_gateways(config: SiteConfig, device: Device) -> list[str]:
    passive = "no" if device.initiates else "yes"
    lines = ["", "# One IKEv2-only gateway per instance. NAT traversal in case the firewall sits behind NAT; "
                 + ("the firewall opens IKE itself (not passive)." if device.initiates else
                    "passive: Azure opens IKE (connection mode InitiatorOnly).")]
    for tunnel in device.tunnels:
        gateway = f"set network ike gateway {tunnel.name}-ike"
        lines += [f"{gateway} protocol version ikev2",
                  f"{gateway} protocol ikev2 ike-crypto-profile {IKE_PROFILE}",
                  f"{gateway} protocol ikev2 dpd enable yes",
                  f"{gateway} protocol ikev2 dpd interval {DPD_INTERVAL}",
                  f'{gateway} authentication pre-shared-key key "${{{device.psk_env}}}"',
                  f"{gateway} local-address interface {OUTSIDE_INTERFACE}",
                  f"{gateway} local-id type {local_id(device)}",
                  f"{gateway} peer-address ip {tunnel.azure_public_ip}",
                  f"{gateway} protocol-common nat-traversal enable yes",
                  f"{gateway} protocol-common passive-mode {passive}"]
    return lines


def traffic_selectors(config: SiteConfig, device: Device, tunnel: Tunnel) -> list[tuple[str, str]]:
    """(local, remote) per proxy ID: each site prefix to each Azure prefix, and the BGP addresses to each other."""
    pairs = [(site, azure) for site in config.site_prefixes for azure in config.azure_prefixes]
    if device.bgp_address and tunnel.azure_bgp_address:
        pairs.append((f"{device.bgp_address}/32", f"{tunnel.azure_bgp_address}/32"))
    return pairs


def ipsec_tunnels(config: SiteConfig, device: Device) -> list[str]:
    lines = ["", "# One IPsec tunnel per instance, bound to its tunnel interface."]
    if config.policy_based:
        lines.append("# Policy-based traffic selectors: Azure accepts the device's; PAN-OS proposes one proxy ID per "
                     "pair of prefixes.")
    else:
        lines.append("# No proxy ID: PAN-OS proposes 0.0.0.0/0 both ways, which Azure's route-based gateway accepts.")
    for tunnel in device.tunnels:
        ipsec = f"set network tunnel ipsec {tunnel.name}-ipsec"
        lines += [f"{ipsec} auto-key ike-gateway {tunnel.name}-ike",
                  f"{ipsec} auto-key ipsec-crypto-profile {IPSEC_PROFILE}",
                  f"{ipsec} tunnel-interface {tunnel_interface(tunnel)}"]
        if config.policy_based:
            lines += [f"{ipsec} auto-key proxy-id ts{number} local {local} remote {remote} protocol any"
                      for number, (local, remote) in enumerate(traffic_selectors(config, device, tunnel), 1)]
    return lines


def routes(config: SiteConfig, device: Device) -> list[str]:
    router = f"set network virtual-router {VIRTUAL_ROUTER}"
    lines = [""]
    if len(device.tunnels) > 1:
        lines += [f"# Equal-cost paths over the {len(device.tunnels)} tunnels (changing ECMP restarts the virtual "
                  "router).",
                  f"{router} ecmp enable yes",
                  f"{router} ecmp max-path {min(4, len(device.tunnels))}"]
    if device.bgp_asn is not None:
        lines.append("# A host route to each instance's BGP address through its own tunnel (Microsoft's BGP FAQ).")
        lines += [f"{router} routing-table ip static-route {t.name}-bgp destination {t.azure_bgp_address}/32 "
                  f"interface {tunnel_interface(t)}" for t in device.tunnels]
    else:
        lines.append("# Static routing: the Azure prefixes through every tunnel. PAN-OS keeps a tunnel interface up "
                     "while its tunnel is down (assumed), so a route only leaves with tunnel monitoring.")
        lines += [f"{router} routing-table ip static-route {t.name}-net{number} destination {prefix} "
                  f"interface {tunnel_interface(t)}"
                  for t in device.tunnels for number, prefix in enumerate(config.azure_prefixes, 1)]
    return lines


def bgp(config: SiteConfig, device: Device) -> list[str]:
    protocol = f"set network virtual-router {VIRTUAL_ROUTER} protocol bgp"
    group = f"{protocol} peer-group {PEER_GROUP}"
    lines = ["", "# eBGP to each instance from the loopback; learned routes go into the routing table (install-route)."]
    lines += [f"{protocol} enable yes",
              f"{protocol} router-id {device.bgp_address}",
              f"{protocol} local-as {device.bgp_asn}",
              f"{protocol} install-route yes",
              f"{protocol} reject-default-route yes"]
    if max(device.bgp_asn, config.azure_asn) > 65535:
        lines.append(f"{protocol} routing-options as-format 4-byte")
    lines += ["# Announce the site's prefixes with the BGP address as next hop.",
              f"{group} type ebgp export-nexthop use-self", f"{group} enable yes"]
    if device.apipa:
        lines.append("# APIPA: Azure does not open BGP from an APIPA address, so the firewall must (outgoing allowed).")
    for tunnel in device.tunnels:
        peer = f"{group} peer {tunnel.name}"
        lines += [f"{peer} enable yes",
                  f"{peer} peer-as {config.azure_asn}",
                  f"{peer} local-address interface {LOOPBACK}",
                  f"{peer} local-address ip {device.bgp_address}/32",
                  f"{peer} peer-address ip {tunnel.azure_bgp_address}",
                  f"{peer} connection-options multihop 2",
                  f"{peer} connection-options keep-alive-interval {BGP_KEEPALIVE}",
                  f"{peer} connection-options hold-time {BGP_HOLD}",
                  f"{peer} connection-options outgoing-bgp-connection allow yes",
                  f"{peer} connection-options incoming-bgp-connection allow yes"]
    lines.append("# The site's prefixes. PAN-OS redistributes a prefix while the virtual router has a route to it "
                 "(assumed): a floating discard route (the highest distance, 240) keeps one there, used only for what "
                 "no other route covers.")
    router = f"set network virtual-router {VIRTUAL_ROUTER}"
    for number, prefix in enumerate(config.site_prefixes, 1):
        lines += [f"{router} routing-table ip static-route site-{number} destination {prefix} nexthop discard "
                  "admin-dist 240",
                  f"{protocol} redist-rules {prefix} address-family-identifier ipv4",
                  f"{protocol} redist-rules {prefix} set-origin igp",
                  f"{protocol} redist-rules {prefix} enable yes"]
    lines.append("# Send exactly the site's prefixes, accept exactly what Azure offers; a route no rule allows is "
                 "dropped (assumed).")
    for direction, rule, prefixes in (("export", "site-to-azure", config.site_prefixes),
                                      ("import", "azure-to-site", config.azure_prefixes)):
        policy = f"{protocol} policy {direction} rules {rule}"
        lines += [f"{policy} enable yes", f"{policy} used-by {PEER_GROUP}"]
        lines += [f"{policy} match address-prefix {prefix} exact yes" for prefix in prefixes]
        lines.append(f"{policy} action allow")
    return lines


def security_rules(config: SiteConfig) -> list[str]:
    rules = "set rulebase security rules"
    common = "source-user any category any application any service any action allow"
    return ["", f"# PAN-OS denies traffic between zones by default: these allow the site's networks ({LAN_ZONE}) and "
                "Azure's to reach each other; narrow application and service to taste.",
            f"{rules} {config.site}-to-azure from {LAN_ZONE} to {ZONE} source {members(config.site_prefixes)} "
            f"destination {members(config.azure_prefixes)} {common}",
            f"{rules} azure-to-{config.site} from {ZONE} to {LAN_ZONE} source {members(config.azure_prefixes)} "
            f"destination {members(config.site_prefixes)} {common}"]
