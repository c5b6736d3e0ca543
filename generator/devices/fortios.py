"""Fortinet FortiGate (FortiOS CLI): one route-based IKEv2 tunnel per gateway instance, BGP or static routes over each.

Follows Microsoft's FortiGate sample for Azure route-based gateways (Azure/Azure-vpn-config-samples,
Fortinet/Current/Route_Based_FortiGate_v5.4.md and "fortigate_show full-configuration.txt": an interface-mode
phase1/phase2 to the gateway, a static route to the Azure prefixes through the tunnel interface, a firewall policy
each way between the LAN and the tunnel, TCP MSS 1350 set on those policies), the example Microsoft's device table
gives for FortiGate with Fortinet's cookbook "IPsec VPN to Azure"
(https://docs.fortinet.com/document/fortigate/5.6.0/cookbook/255100/ipsec-vpn-to-azure), here for both instances
of an active-active gateway. Keywords and ranges: FortiOS's CLI reference
(https://docs.fortinet.com/document/fortigate/7.0.0/cli-reference/370620) and Fortinet's Terraform provider
documentation of the same tables (fortinetdev/terraform-provider-fortios, website/docs/r/
fortios_vpnipsec_phase1interface, _phase2interface, _routerbgp_neighbor): phase 1 proposals
aes128|aes192|aes256-md5|sha1|sha256|sha384 and aes128gcm|aes256gcm-prfsha1|256|384|512; phase 2 aes128gcm|aes256gcm,
<cipher>-<hash> and null-<hash>; DH groups 1, 2, 5, 14-21, 27-32; keylifeseconds 120-172800; keylifekbs
5120-4294967295.

Decisions:
- BGP runs from a loopback interface that holds the device's BGP address, to each instance over that instance's
  tunnel (a /32 route per Azure BGP address through its tunnel, as Microsoft's BGP FAQ asks; eBGP multihop with
  update-source the loopback, as Fortinet's "Configuring eBGP MultiHop" tip does): the local network gateway has one
  BGP address, and the device must reach both instances from it. FortiOS drops traffic to a loopback address that no
  firewall policy allows (FortiOS administration guide, "Loopback interface"), so a policy lets BGP in.
- Firewall policies are written, with <lan-interface> as their one placeholder: the tunnels carry nothing without
  them, and Microsoft's sample clamps TCP MSS on them.
- Policy-based traffic selectors: one phase2 per pair of site prefix and Azure prefix (Azure accepts the selectors
  the device proposes: https://learn.microsoft.com/azure/vpn-gateway/custom-traffic-selectors).
- Refused, with the alternative: DH/PFS group 24 and AES-192-GCM (FortiOS has neither), GCM IKE with an MD5 PRF,
  no DH group, and SA lifetimes outside FortiOS's ranges.

Assumed, not found in the documentation read: that the CLI skips the files' "#" comment lines when pasted, and that
`edit 0` takes the next free id in every table it is used in (firewall policy, router static, router bgp network).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from .site import (BGP_HOLD, BGP_KEEPALIVE, IKE_LIFETIME_SECONDS, TCP_MSS, Crypto, Device, DeviceConfigError,
                   SiteConfig, Tunnel, header)

SOURCE = ("Azure/Azure-vpn-config-samples Fortinet/Current (Route_Based_FortiGate_v5.4.md, "
          "fortigate_show full-configuration.txt), "
          "https://docs.fortinet.com/document/fortigate/5.6.0/cookbook/255100/ipsec-vpn-to-azure; "
          "FortiOS CLI reference https://docs.fortinet.com/document/fortigate/7.0.0/cli-reference/370620")

ENCRYPTION = {"AES128": "aes128", "AES192": "aes192", "AES256": "aes256", "DES3": "3des", "DES": "des", "None": "null",
              "GCMAES128": "aes128gcm", "GCMAES256": "aes256gcm"}
INTEGRITY = {"MD5": "md5", "SHA1": "sha1", "SHA256": "sha256", "SHA384": "sha384"}
GCM_PRF = {"SHA1": "prfsha1", "SHA256": "prfsha256", "SHA384": "prfsha384"}
# DHGroup14, DHGroup2048 and PFS2048 are all MODP group 14; ECP256 is group 19, ECP384 group 20.
GROUPS = {"DHGroup1": 1, "PFS1": 1, "DHGroup2": 2, "PFS2": 2, "DHGroup14": 14, "DHGroup2048": 14, "PFS2048": 14,
          "ECP256": 19, "ECP384": 20}
PHASE2_SECONDS = (120, 172800)
PHASE2_KILOBYTES = (5120, 4294967295)
DPD_RETRY_SECONDS = 10

# The names this file gives FortiOS objects (an interface name holds 15 characters at most), and the two it cannot know.
WAN, LAN = "<wan-interface>", "<lan-interface>"
LOOPBACK = "azure-bgp"
ZONE = "azure-vpn"
LOCAL_GROUP, REMOTE_GROUP = "azure-vpn-local", "azure-vpn-remote"
PREFIXES_OUT, PREFIXES_IN = "azure-vpn-out", "azure-vpn-in"


def ike_proposal(crypto: Crypto) -> str:
    if crypto.ike_gcm:  # GCM authenticates itself: Azure's ikeIntegrity is the PRF only
        if crypto.ike_integrity not in GCM_PRF:
            raise DeviceConfigError(f"ikeIntegrity {crypto.ike_integrity} with ikeEncryption {crypto.ike_encryption}: "
                                    f"FortiOS has no GCM phase 1 proposal with an {crypto.ike_integrity} PRF; "
                                    f"pick SHA256 or SHA384 in the site's ipsecPolicy")
        return f"{ENCRYPTION[crypto.ike_encryption]}-{GCM_PRF[crypto.ike_integrity]}"
    return f"{ENCRYPTION[crypto.ike_encryption]}-{INTEGRITY[crypto.ike_integrity]}"


def esp_proposal(crypto: Crypto) -> str:
    if crypto.ipsec_encryption not in ENCRYPTION:
        raise DeviceConfigError(f"ipsecEncryption {crypto.ipsec_encryption}: FortiOS has no AES-192-GCM phase 2 "
                                f"proposal (only aes128gcm and aes256gcm); pick GCMAES256 or GCMAES128 in the site's "
                                f"ipsecPolicy")
    if crypto.esp_gcm:  # no separate integrity
        return ENCRYPTION[crypto.ipsec_encryption]
    return f"{ENCRYPTION[crypto.ipsec_encryption]}-{INTEGRITY[crypto.ipsec_integrity]}"


def group(setting: str, value: str) -> int:
    if value == "None":
        raise DeviceConfigError(f"{setting} None: IKEv2 needs a Diffie-Hellman group, and FortiOS's dhgrp has no "
                                f"'none'; pick one in the site's ipsecPolicy (ECP384, DHGroup14, ...)")
    if value not in GROUPS:
        raise DeviceConfigError(f"{setting} {value}: FortiOS has no Diffie-Hellman group 24 (its groups: 1, 2, 5, "
                                f"14-21, 27-32); pick ECP384, ECP256 or a 2048-bit group (DHGroup14 / PFS2048) in the "
                                f"site's ipsecPolicy")
    return GROUPS[value]


def check_lifetimes(crypto: Crypto) -> None:
    for setting, value, keyword, (low, high), default in (
            ("saLifeTimeSeconds", crypto.sa_lifetime_seconds, "keylifeseconds", PHASE2_SECONDS, 27000),
            ("saDataSizeKilobytes", crypto.sa_data_size_kilobytes, "keylifekbs", PHASE2_KILOBYTES, 102400000)):
        if not low <= value <= high:
            raise DeviceConfigError(f"{setting} {value}: FortiOS's phase 2 {keyword} is {low}-{high}; set one in that "
                                    f"range in the site's ipsecPolicy (Azure's default is {default})")


@dataclass(frozen=True)
class Proposals:
    """The crypto of both phases in FortiOS's keywords; pfs None: no PFS."""

    ike: str
    esp: str
    dh: int
    pfs: int | None


def render(config: SiteConfig) -> dict[str, str]:
    crypto = config.crypto
    check_lifetimes(crypto)
    proposals = Proposals(ike_proposal(crypto), esp_proposal(crypto), group("dhGroup", crypto.dh_group),
                          None if crypto.pfs_group == "None" else group("pfsGroup", crypto.pfs_group))
    return {f"{device.file_stem}.fortios.conf": fortios(config, device, proposals) for device in config.devices}


def subnet(prefix: str) -> str:
    """'10.30.0.0/16' -> '10.30.0.0 255.255.0.0', FortiOS's form."""
    network = ipaddress.ip_network(prefix)
    return f"{network.network_address} {network.netmask}"


def host(address: str) -> str:
    """An address, or a placeholder for one, as a /32 in FortiOS's form."""
    return f"{address} 255.255.255.255"


def quoted(*names: str) -> str:
    return " ".join(f'"{name}"' for name in names)


def table(path: str, entries: list[tuple[str, list[str]]]) -> list[str]:
    """A FortiOS `config` table: each entry is (edit key, its lines), the lines without indentation."""
    lines = [f"config {path}"]
    for key, body in entries:
        lines += [f"    edit {key}"] + [f"        {line}" for line in body] + ["    next"]
    return lines + ["end"]


def indented(lines: list[str]) -> list[str]:
    return [f"    {line}" for line in lines]


def fortios(config: SiteConfig, device: Device, proposals: Proposals) -> str:
    bgp = device.bgp_asn is not None
    lines = [header(config, device, "FortiOS CLI", SOURCE), "#",
             f"# Fill in {WAN} (the interface facing the internet) and {LAN} (the interface towards "
             f"{', '.join(config.site_prefixes)}): the spec does not name them.",
             "# Paste into the CLI of the root VDOM (on a FortiGate with VDOMs: config vdom, edit <vdom> first). "
             "Policies, static routes and BGP networks use `edit 0` (the next free id): paste once.",
             f"# Azure's DPD timeout on this connection: {device.dpd_timeout_seconds} s; its IKE SA lifetime is fixed "
             f"at {IKE_LIFETIME_SECONDS} s. TCP MSS is clamped at {TCP_MSS} on the firewall policies, as Microsoft's "
             f"sample does.",
             ""]
    if bgp:
        lines += ["# The device's BGP address, reachable through either tunnel.",
                  *table("system interface", [(quoted(LOOPBACK), [
                      'set vdom "root"', "set type loopback", f"set ip {host(device.bgp_address)}",
                      "set allowaccess ping"])])]
    lines += tunnels(config, device, proposals)
    lines += firewall(config, device)
    lines += routes(config, device)
    if bgp:
        lines += bgp_config(config, device)
    return "\n".join(lines) + "\n"


def selectors(config: SiteConfig, device: Device, tunnel: Tunnel) -> list[tuple[str, str]]:
    """(local, remote) of each phase2 of one tunnel: any to any on a route-based connection (the routes choose the
    tunnel); with policy-based selectors every pair of site and Azure prefix, and the BGP addresses when BGP runs."""
    if not config.policy_based:
        return [("0.0.0.0 0.0.0.0", "0.0.0.0 0.0.0.0")]
    pairs = [(subnet(local), subnet(remote)) for local in config.site_prefixes for remote in config.azure_prefixes]
    if device.bgp_address and tunnel.azure_bgp_address:
        pairs.append((host(device.bgp_address), host(tunnel.azure_bgp_address)))
    return pairs


def tunnels(config: SiteConfig, device: Device, proposals: Proposals) -> list[str]:
    crypto = config.crypto
    phase1, phase2 = [], []
    for tunnel in device.tunnels:
        body = [f"set interface {quoted(WAN)}", "set ike-version 2", "set peertype any", "set net-device disable",
                f"set proposal {proposals.ike}", f"set dhgrp {proposals.dh}", f"set keylife {IKE_LIFETIME_SECONDS}",
                "set dpd on-idle", f"set dpd-retryinterval {DPD_RETRY_SECONDS}"]
        if not device.initiates:  # InitiatorOnly: Azure refuses IKE the device opens (FortiOS 6.4 or later)
            body.append("set passive-mode enable")
        body += [f"set remote-gw {tunnel.azure_public_ip}", f'set psksecret "${{{device.psk_env}}}"']
        phase1.append((quoted(tunnel.name), body))

        pairs = selectors(config, device, tunnel)
        for number, (local, remote) in enumerate(pairs, 1):
            body = [f"set phase1name {quoted(tunnel.name)}", f"set proposal {proposals.esp}"]
            body += ["set pfs disable"] if proposals.pfs is None else ["set pfs enable", f"set dhgrp {proposals.pfs}"]
            body += ["set keylife-type both", f"set keylifeseconds {crypto.sa_lifetime_seconds}",
                     f"set keylifekbs {crypto.sa_data_size_kilobytes}",
                     f"set auto-negotiate {'enable' if device.initiates else 'disable'}",
                     f"set src-subnet {local}", f"set dst-subnet {remote}"]
            phase2.append((quoted(tunnel.name if len(pairs) == 1 else f"{tunnel.name}-{number}"), body))
    return [f"# One tunnel to each instance of {config.gateway}.",
            *table("vpn ipsec phase1-interface", phase1),
            *(["# Policy-based traffic selectors: one phase2 per pair of site and Azure prefix."]
              if config.policy_based else []),
            *table("vpn ipsec phase2-interface", phase2),
            "# Both tunnels in one zone, for the firewall policies.",
            *table("system zone", [(quoted(ZONE), [f"set interface {quoted(*(t.name for t in device.tunnels))}"])])]


def firewall(config: SiteConfig, device: Device) -> list[str]:
    """Address objects of both sides, a policy each way between the LAN and the tunnels, and with BGP one from the
    tunnels to the loopback: FortiOS drops traffic to a loopback address that no policy allows."""
    local = {f"{config.site}-{p.replace('/', '_')}": subnet(p) for p in config.site_prefixes}
    remote = {f"azure-{p.replace('/', '_')}": subnet(p) for p in config.azure_prefixes}
    peers = {f"{t.name}-bgp-peer": host(t.azure_bgp_address) for t in device.tunnels if t.azure_bgp_address}
    own = {f"{device.name}-bgp": host(device.bgp_address)} if device.bgp_address else {}
    addresses = [(quoted(name), [f"set subnet {value}"]) for name, value in {**local, **remote, **own, **peers}.items()]
    groups = [(quoted(LOCAL_GROUP), [f"set member {quoted(*local)}"]),
              (quoted(REMOTE_GROUP), [f"set member {quoted(*remote)}"])]

    def policy(name: str, source: str, destination: str, ends: tuple[str, str], service: str, mss: bool):
        return ("0", [f"set name {quoted(name)}", f"set srcintf {quoted(source)}", f"set dstintf {quoted(destination)}",
                      f"set srcaddr {ends[0]}", f"set dstaddr {ends[1]}", "set action accept",
                      'set schedule "always"', f"set service {quoted(service)}"]
                + ([f"set tcp-mss-sender {TCP_MSS}", f"set tcp-mss-receiver {TCP_MSS}"] if mss else []))

    policies = [policy("to-azure-vpn", LAN, ZONE, (quoted(LOCAL_GROUP), quoted(REMOTE_GROUP)), "ALL", True),
                policy("from-azure-vpn", ZONE, LAN, (quoted(REMOTE_GROUP), quoted(LOCAL_GROUP)), "ALL", True)]
    if own:
        policies.append(policy("azure-vpn-bgp", ZONE, LOOPBACK, (quoted(*peers), quoted(*own)), "BGP", False))
    return [*table("firewall address", addresses), *table("firewall addrgrp", groups),
            "# Traffic between the site and Azure, both ways" + (", and BGP to the loopback." if own else "."),
            *table("firewall policy", policies)]


def routes(config: SiteConfig, device: Device) -> list[str]:
    if device.bgp_asn is not None:
        comment = "# A host route to each instance's BGP address through its tunnel (Microsoft's BGP FAQ)."
        entries = [("0", [f"set dst {host(t.azure_bgp_address)}", f"set device {quoted(t.name)}",
                          f'set comment "BGP peer: {config.gateway} instance {t.instance}"']) for t in device.tunnels]
    else:  # the same distance through both tunnels: equal-cost
        comment = "# The Azure prefixes through both tunnels, equal-cost."
        entries = [("0", [f"set dst {subnet(p)}", f"set device {quoted(t.name)}"])
                   for p in config.azure_prefixes for t in device.tunnels]
    entries += [("0", [f"set dst {subnet(p)}", "set blackhole enable", "set distance 254",
                       'set comment "Azure, while both tunnels are down"']) for p in config.azure_prefixes]
    return [comment, "# Blackhole routes keep Azure-bound traffic off the internet while both tunnels are down.",
            *table("router static", entries)]


def prefix_list(name: str, prefixes: tuple[str, ...]) -> tuple[str, list[str]]:
    rules = table("rule", [(str(number), ["set action permit", f"set prefix {subnet(p)}"])
                           for number, p in enumerate(prefixes, 1)])
    return quoted(name), rules


def bgp_config(config: SiteConfig, device: Device) -> list[str]:
    neighbors = [(quoted(t.azure_bgp_address), [
        f'set description "{config.gateway} instance {t.instance}"',
        f"set remote-as {config.azure_asn}",
        "set ebgp-enforce-multihop enable",
        f"set update-source {quoted(LOOPBACK)}",
        f"set keep-alive-timer {BGP_KEEPALIVE}",
        f"set holdtime-timer {BGP_HOLD}",
        "set soft-reconfiguration enable",
        f"set prefix-list-in {quoted(PREFIXES_IN)}",
        f"set prefix-list-out {quoted(PREFIXES_OUT)}",
    ]) for t in device.tunnels]
    networks = [("0", [f"set prefix {subnet(p)}"]) for p in config.site_prefixes]
    return [
        "# Advertise exactly the site's prefixes; accept exactly Azure's.",
        *table("router prefix-list", [prefix_list(PREFIXES_OUT, config.site_prefixes),
                                      prefix_list(PREFIXES_IN, config.azure_prefixes)]),
        "# eBGP to each instance from the loopback; both sessions carry the same prefixes, so the routes are",
        "# equal-cost (ebgp-multipath). The site's prefixes are announced whether or not a route to them is here.",
        "config router bgp",
        f"    set as {device.bgp_asn}",
        f"    set router-id {device.bgp_address}",
        "    set ebgp-multipath enable",
        "    set network-import-check disable",
        *indented(table("neighbor", neighbors)),
        *indented(table("network", networks)),
        "end",
    ]
