"""Cisco IOS-XE: a route-based IPsec virtual tunnel interface (VTI) to each gateway instance, BGP or static routes.

Follows Microsoft's route-based sample for Cisco ASR/ISR (Azure/Azure-vpn-config-samples,
Cisco/Current/ASR/cisco-asr-ios-15.2-Route_Based.txt and Cisco/Current/ISR/cisco-isr-ios-15.1-dynamic-routing*:
`crypto ikev2 proposal`/`policy`/`keyring`/`profile`, a transform set in tunnel mode, an IPsec profile, and a
`tunnel mode ipsec ipv4` interface with `ip tcp adjust-mss 1350`), once per instance of the active-active gateway,
with the connection's crypto in the keywords of Cisco's IOS XE 17 Security and VPN Configuration Guide (IKEv2,
IPsec, VTI). BGP follows Microsoft's BGP FAQ: a host route to each Azure BGP address through its own tunnel, eBGP
multihop from the loopback holding the device's BGP address, keepalive 60 s and hold 180 s.

Policy-based traffic selectors: a VTI proposes any-to-any, where Azure then expects "the combinations of prefixes
from both networks" (https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-connect-multiple-policybased-rm-ps).
IOS XE 16.12 and later let a VTI propose those from an access list (`tunnel protection ipsec policy ipv4`, Cisco's
"Configure Multi-SA Virtual Tunnel Interface", https://www.cisco.com/c/en/us/support/docs/security-vpn/
ipsec-negotiation-ike-protocols/214728-configure-multi-sa-virtual-tunnel-interf.html), so such a connection keeps
its tunnels and routes: a crypto map instead could not use both gateway instances at once.
"""

from __future__ import annotations

import ipaddress

from .site import (BGP_HOLD, BGP_KEEPALIVE, IKE_LIFETIME_SECONDS, TCP_MSS, Device, DeviceConfigError, SiteConfig,
                   Tunnel, header)

SOURCE = ("Azure/Azure-vpn-config-samples Cisco/Current/ASR/cisco-asr-ios-15.2-Route_Based.txt (IKEv2, PSK, VTI), "
          "one VTI per gateway instance; https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-about-vpn-devices; "
          "Cisco IOS XE 17 Security and VPN Configuration Guide (IKEv2, IPsec, VTI)")

OUTSIDE_INTERFACE = "<outside-interface>"  # not in the spec: the user names the router's Internet-facing interface
LOOPBACK = "Loopback100"  # holds the device's BGP address; an arbitrary number, like the tunnels'
FIRST_TUNNEL = 100  # Tunnel100 to instance 0, Tunnel101 to instance 1
DPD_INTERVAL, DPD_RETRY = 10, 2

IKE_ENCRYPTION = {"GCMAES256": "aes-gcm-256", "GCMAES128": "aes-gcm-128",
                  "AES256": "aes-cbc-256", "AES192": "aes-cbc-192", "AES128": "aes-cbc-128"}
IKE_INTEGRITY = {"SHA384": "sha384", "SHA256": "sha256", "SHA1": "sha1", "MD5": "md5"}
# DHGroup14 and DHGroup2048 are both MODP group 14; PFS2048 too; DHGroup24/PFS24 are group 24.
GROUPS = {"DHGroup1": 1, "PFS1": 1, "DHGroup2": 2, "PFS2": 2, "DHGroup14": 14, "DHGroup2048": 14, "PFS2048": 14,
          "DHGroup24": 24, "PFS24": 24, "ECP256": 19, "ECP384": 20}
# The transform set's esp-gcm takes 128 or 256 bits only: GCMAES192 has no keyword.
ESP_ENCRYPTION = {"GCMAES256": "esp-gcm 256", "GCMAES128": "esp-gcm 128", "AES256": "esp-aes 256",
                  "AES192": "esp-aes 192", "AES128": "esp-aes 128", "DES3": "esp-3des", "DES": "esp-des",
                  "None": "esp-null"}
ESP_INTEGRITY = {"SHA256": "esp-sha256-hmac", "SHA1": "esp-sha-hmac", "MD5": "esp-md5-hmac"}
# `set security-association lifetime`: the ranges of Cisco's command reference (assumed: not checked on a router).
SA_SECONDS_RANGE = (120, 2592000)
SA_KILOBYTES_RANGE = (2560, 4294967295)
# IOS XE 17.11.1 and later refuse these unless `crypto engine compliance shield disable` is set and the router
# reloaded (Cisco field notice FN72510); that the PFS groups follow the IKE groups is assumed.
FIELD_NOTICE = "https://www.cisco.com/c/en/us/support/docs/field-notices/725/fn72510.html"
WEAK_ON_IOS_XE = {"ike_integrity": {"MD5"}, "dh_group": {"DHGroup1", "DHGroup2", "DHGroup24"},
                  "ipsec_encryption": {"DES3", "DES", "None"}, "ipsec_integrity": {"MD5"},
                  "pfs_group": {"PFS1", "PFS2", "PFS24"}}


def refuse_what_ios_xe_cannot_express(config: SiteConfig) -> None:
    c = config.crypto
    if c.dh_group == "None":
        raise DeviceConfigError("dhGroup None: IKEv2 needs a Diffie-Hellman group and an IOS-XE `crypto ikev2 "
                                "proposal` is incomplete without one; pick one in the site's ipsecPolicy "
                                "(ECP384, DHGroup14, ...)")
    if c.ipsec_encryption not in ESP_ENCRYPTION:
        raise DeviceConfigError(f"ipsecEncryption {c.ipsec_encryption}: IOS-XE's transform set has esp-gcm 128 and "
                                "256 only; use GCMAES256 (or GCMAES128) for both ipsecEncryption and ipsecIntegrity")
    low, high = SA_SECONDS_RANGE
    if not low <= c.sa_lifetime_seconds <= high:
        raise DeviceConfigError(f"saLifeTimeSeconds {c.sa_lifetime_seconds}: IOS-XE's `set security-association "
                                f"lifetime seconds` takes {low} to {high}; set saLifeTimeSeconds within that range "
                                "(Azure's default: 27000)")
    low, high = SA_KILOBYTES_RANGE
    if not low <= c.sa_data_size_kilobytes <= high:
        raise DeviceConfigError(f"saDataSizeKilobytes {c.sa_data_size_kilobytes}: IOS-XE's `set security-association "
                                f"lifetime kilobytes` takes {low} to {high}; set saDataSizeKilobytes within that "
                                "range (Azure's default: 102400000)")


def ike_proposal(config: SiteConfig) -> list[str]:
    c = config.crypto
    # With GCM the IKE integrity is GCM itself: Azure's ikeIntegrity is then the PRF only.
    integrity = "prf" if c.ike_gcm else "integrity"
    return [f" encryption {IKE_ENCRYPTION[c.ike_encryption]}", f" {integrity} {IKE_INTEGRITY[c.ike_integrity]}",
            f" group {GROUPS[c.dh_group]}"]


def transform_set(config: SiteConfig) -> str:
    c = config.crypto
    if c.esp_gcm:  # GCM authenticates itself: no separate integrity
        return ESP_ENCRYPTION[c.ipsec_encryption]
    return f"{ESP_ENCRYPTION[c.ipsec_encryption]} {ESP_INTEGRITY[c.ipsec_integrity]}"


def weak_keywords(config: SiteConfig) -> list[str]:
    """The keywords of this file that IOS XE 17.11.1 and later refuse by default."""
    c = config.crypto
    found = []
    if c.ike_integrity in WEAK_ON_IOS_XE["ike_integrity"]:
        found.append(f"{'prf' if c.ike_gcm else 'integrity'} md5")
    if c.dh_group in WEAK_ON_IOS_XE["dh_group"]:
        found.append(f"group {GROUPS[c.dh_group]}")
    if c.ipsec_encryption in WEAK_ON_IOS_XE["ipsec_encryption"]:
        found.append(ESP_ENCRYPTION[c.ipsec_encryption])
    if not c.esp_gcm and c.ipsec_integrity in WEAK_ON_IOS_XE["ipsec_integrity"]:
        found.append(ESP_INTEGRITY[c.ipsec_integrity])
    if c.pfs_group in WEAK_ON_IOS_XE["pfs_group"]:
        found.append(f"set pfs group{GROUPS[c.pfs_group]}")
    return found


def tunnel_interface(tunnel: Tunnel) -> str:
    return f"Tunnel{FIRST_TUNNEL + tunnel.instance}"


def mask(prefix: str) -> str:
    """'10.30.0.0/16' -> '10.30.0.0 255.255.0.0', as `ip route` takes it."""
    network = ipaddress.ip_network(prefix)
    return f"{network.network_address} {network.netmask}"


def wildcard(prefix: str) -> str:
    """'10.30.0.0/16' -> '10.30.0.0 0.0.255.255', as an access list takes it."""
    network = ipaddress.ip_network(prefix)
    if network.prefixlen == 32:
        return f"host {network.network_address}"
    return f"{network.network_address} {network.hostmask}"


def selectors(config: SiteConfig, device: Device, tunnel: Tunnel) -> list[str]:
    """The access list a multi-SA VTI proposes: every site prefix with every Azure prefix, and, with BGP, the
    device's BGP address with this instance's (that Azure pairs those too on a policy-based connection is assumed)."""
    lines = [f" permit ip {wildcard(site)} {wildcard(azure)}"
             for site in config.site_prefixes for azure in config.azure_prefixes]
    if device.bgp_address:
        lines.append(f" permit ip host {device.bgp_address} host {tunnel.azure_bgp_address}")
    return lines


def render(config: SiteConfig) -> dict[str, str]:
    refuse_what_ios_xe_cannot_express(config)
    return {f"{device.file_stem}.ios": device_config(config, device) for device in config.devices}


def device_config(config: SiteConfig, device: Device) -> str:
    c = config.crypto
    name = config.gateway
    bgp = device.bgp_asn is not None
    tunnels = [tunnel_interface(t) for t in device.tunnels]
    numbered = ", ".join(tunnels + ([LOOPBACK] if bgp else []))
    lines = [header(config, device, "Cisco IOS-XE", SOURCE, comment="!"), "!",
             f"! Paste in configuration mode after replacing {OUTSIDE_INTERFACE} with the Internet-facing interface",
             f"! (its address, or the NAT in front of it, is {device.public_address}); it must admit UDP 500 and 4500 "
             f"and ESP from {', '.join(t.azure_public_ip for t in device.tunnels)}.",
             f"! The interface numbers ({numbered}) are arbitrary: change them if the router uses them already.",
             f"! Azure's DPD timeout on this connection: {device.dpd_timeout_seconds} s; its IKE SA lifetime is fixed "
             f"at {IKE_LIFETIME_SECONDS} s.",
             ]
    if not device.initiates:
        lines.append("! connectionMode InitiatorOnly: Azure opens IKE; a VTI also tries to, which Azure turns down "
                     "(assumed harmless).")
    weak = weak_keywords(config)
    if weak:
        lines += [f"! IOS XE 17.11.1 and later refuse {', '.join(weak)} by default ({FIELD_NOTICE}):",
                  "! `crypto engine compliance shield disable` and a reload re-allow weak algorithms; a stronger "
                  "ipsecPolicy is the better fix."]
    lines += ["!", f"crypto ikev2 proposal {name}", *ike_proposal(config), "!",
              f"crypto ikev2 policy {name}", f" proposal {name}", "!",
              f"crypto ikev2 keyring {name}"]
    for tunnel in device.tunnels:
        lines += [f" peer {name}-{tunnel.instance}", f"  address {tunnel.azure_public_ip}",
                  f"  pre-shared-key ${{{device.psk_env}}}"]
    lines += ["!", f"! DPD every {DPD_INTERVAL} s: a dead instance's tunnel goes down and takes its routes with it."]
    for tunnel in device.tunnels:
        lines += [f"crypto ikev2 profile {name}-{tunnel.instance}",
                  f" match address local interface {OUTSIDE_INTERFACE}",
                  f" match identity remote address {tunnel.azure_public_ip} 255.255.255.255",
                  local_identity(device.public_address),
                  " authentication remote pre-share",
                  " authentication local pre-share",
                  f" keyring local {name}",
                  f" lifetime {IKE_LIFETIME_SECONDS}",
                  f" dpd {DPD_INTERVAL} {DPD_RETRY} periodic",
                  "!"]
    lines += [f"crypto ipsec transform-set {name} {transform_set(config)}", " mode tunnel"]
    for tunnel in device.tunnels:
        lines += ["!", f"crypto ipsec profile {name}-{tunnel.instance}", f" set transform-set {name}"]
        if c.pfs_group != "None":
            lines.append(f" set pfs group{GROUPS[c.pfs_group]}")
        lines += [f" set security-association lifetime seconds {c.sa_lifetime_seconds}",
                  f" set security-association lifetime kilobytes {c.sa_data_size_kilobytes}",
                  f" set ikev2-profile {name}-{tunnel.instance}"]
    if config.policy_based:
        lines += ["!",
                  "! usePolicyBasedTrafficSelectors: Azure expects each site prefix paired with each Azure prefix,",
                  "! not any-to-any; a multi-SA VTI (IOS XE 16.12 and later) proposes these pairs, and routing still "
                  "picks the tunnel."]
        for tunnel in device.tunnels:
            lines += [f"ip access-list extended {name}-{tunnel.instance}-selectors", *selectors(config, device, tunnel)]
    if bgp:
        lines += ["!", f"interface {LOOPBACK}", f" description BGP address of {device.name} towards {name}",
                  f" ip address {device.bgp_address} 255.255.255.255"]
    for tunnel, interface in zip(device.tunnels, tunnels):
        lines += ["!", f"interface {interface}", f" description {name} instance {tunnel.instance}",
                  f" ip unnumbered {LOOPBACK if bgp else OUTSIDE_INTERFACE}",
                  f" ip tcp adjust-mss {TCP_MSS}",
                  f" tunnel source {OUTSIDE_INTERFACE}",
                  " tunnel mode ipsec ipv4",
                  f" tunnel destination {tunnel.azure_public_ip}"]
        if config.policy_based:
            lines.append(f" tunnel protection ipsec policy ipv4 {name}-{tunnel.instance}-selectors")
        lines.append(f" tunnel protection ipsec profile {name}-{tunnel.instance}")
    lines.append("!")
    lines += bgp_config(config, device, tunnels) if bgp else static_routes(config, tunnels)
    return "\n".join(lines) + "\n"


def local_identity(public_address: str) -> str:
    """The device's IKE identity: its public address, which Azure knows from the Local Network Gateway (also behind
    NAT, where the interface's own address differs). A device known by FQDN sends that name (assumed accepted)."""
    try:
        ipaddress.IPv4Address(public_address)
    except ValueError:
        return f" identity local fqdn {public_address}"
    return f" identity local address {public_address}"


def static_routes(config: SiteConfig, tunnels: list[str]) -> list[str]:
    lines = ["! Azure's prefixes into every tunnel: equal-cost, and a tunnel that goes down takes its routes along."]
    lines += [f"ip route {mask(prefix)} {interface}" for prefix in config.azure_prefixes for interface in tunnels]
    return lines


def bgp_config(config: SiteConfig, device: Device, tunnels: list[str]) -> list[str]:
    name = config.gateway
    lines = ["! Each Azure BGP address through its own tunnel (Microsoft's BGP FAQ: a host route to the IPsec tunnel)."]
    lines += [f"ip route {tunnel.azure_bgp_address} 255.255.255.255 {interface}"
              for tunnel, interface in zip(device.tunnels, tunnels)]
    lines += ["! IOS announces a network only when the routing table holds exactly that prefix: a discard route at",
              "! distance 254 anchors each site prefix; the site's more specific routes still carry the traffic."]
    lines += [f"ip route {mask(prefix)} Null0 254" for prefix in config.site_prefixes]
    lines.append("!")
    lines += [f"ip prefix-list {name}-site seq {5 * (i + 1)} permit {p}" for i, p in enumerate(config.site_prefixes)]
    lines += [f"ip prefix-list {name}-azure seq {5 * (i + 1)} permit {p}" for i, p in enumerate(config.azure_prefixes)]
    lines += ["!", f"route-map {name}-out permit 10", f" match ip address prefix-list {name}-site",
              "!", f"route-map {name}-in permit 10", f" match ip address prefix-list {name}-azure", "!"]
    opens = ("Azure does not open BGP from an APIPA address: IOS opens the sessions itself (nothing here makes it "
             "passive)." if device.apipa else "IOS opens the sessions itself; Azure may too.")
    lines += ["! eBGP to each gateway instance over its tunnel, from the loopback holding the device's BGP address.",
              f"! {opens}",
              "! Both instances announce the same prefixes: maximum-paths uses every tunnel (equal-cost multipath).",
              f"router bgp {device.bgp_asn}"]
    for tunnel in device.tunnels:
        peer = tunnel.azure_bgp_address
        lines += [f" neighbor {peer} remote-as {config.azure_asn}",
                  f" neighbor {peer} description {name} instance {tunnel.instance}",
                  f" neighbor {peer} ebgp-multihop 2",
                  f" neighbor {peer} update-source {LOOPBACK}",
                  f" neighbor {peer} timers {BGP_KEEPALIVE} {BGP_HOLD}"]
    lines += [" !", " address-family ipv4"]
    lines += [f"  network {network.network_address} mask {network.netmask}"
              for network in map(ipaddress.ip_network, config.site_prefixes)]
    for tunnel in device.tunnels:
        peer = tunnel.azure_bgp_address
        lines += [f"  neighbor {peer} activate",
                  f"  neighbor {peer} route-map {name}-in in",
                  f"  neighbor {peer} route-map {name}-out out"]
    lines += [f"  maximum-paths {len(device.tunnels)}", " exit-address-family", "!"]
    return lines
