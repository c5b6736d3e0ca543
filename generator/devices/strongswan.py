"""strongSwan (swanctl.conf) and FRR (frr.conf) on Linux: one tunnel per gateway instance, BGP over each.

Follows Microsoft's strongSwan sample for Azure route-based gateways (Azure/Azure-vpn-config-samples,
StrongSwan/5.3.5: IKEv2, pre-shared key, the Azure prefixes as the remote subnets) in today's swanctl syntax
(https://docs.strongswan.org/docs/latest/swanctl/swanctlConf.html), and FRR's BGP documentation
(https://docs.frrouting.org/en/latest/bgp.html) for the sessions Microsoft's BGP FAQ describes. Each tunnel carries
the device's and the instance's BGP addresses and the prefixes on both sides as traffic selectors, so it works with
the kernel's IPsec and with strongSwan's userspace one; two tunnels with the same prefixes make the kernel use one
and keep the other as fallback (BGP runs over both).
"""

from __future__ import annotations

import ipaddress

from .site import BGP_HOLD, BGP_KEEPALIVE, IKE_LIFETIME_SECONDS, TCP_MSS, Device, DeviceConfigError, SiteConfig, Tunnel, header

SOURCE = ("Azure/Azure-vpn-config-samples StrongSwan/5.3.5 (IKEv2, PSK) in swanctl syntax, "
          "https://docs.strongswan.org/docs/latest/swanctl/swanctlConf.html; FRR https://docs.frrouting.org/en/latest/bgp.html")

ENCRYPTION = {"AES128": "aes128", "AES192": "aes192", "AES256": "aes256", "DES3": "3des", "DES": "des", "None": "null",
              "GCMAES128": "aes128gcm16", "GCMAES192": "aes192gcm16", "GCMAES256": "aes256gcm16"}
INTEGRITY = {"MD5": "md5", "SHA1": "sha1", "SHA256": "sha256", "SHA384": "sha384"}
# DHGroup14 and DHGroup2048 are both MODP group 14; PFS2048 too; DHGroup24/PFS24 are group 24 (modp2048s256).
GROUPS = {"DHGroup1": "modp768", "PFS1": "modp768", "DHGroup2": "modp1024", "PFS2": "modp1024",
          "DHGroup14": "modp2048", "DHGroup2048": "modp2048", "PFS2048": "modp2048",
          "DHGroup24": "modp2048s256", "PFS24": "modp2048s256", "ECP256": "ecp256", "ECP384": "ecp384"}


def ike_proposal(config: SiteConfig) -> str:
    c = config.crypto
    if c.dh_group == "None":
        raise DeviceConfigError("dhGroup None: IKEv2 needs a Diffie-Hellman group, and strongSwan will not propose "
                                "one without; pick one in the site's ipsecPolicy (ECP384, DHGroup14, ...)")
    integrity = f"prf{INTEGRITY[c.ike_integrity]}" if c.ike_gcm else INTEGRITY[c.ike_integrity]  # GCM: the PRF only
    return f"{ENCRYPTION[c.ike_encryption]}-{integrity}-{GROUPS[c.dh_group]}"


def esp_proposal(config: SiteConfig) -> str:
    c = config.crypto
    parts = [ENCRYPTION[c.ipsec_encryption]]
    if not c.esp_gcm:  # GCM authenticates itself
        parts.append(INTEGRITY[c.ipsec_integrity])
    if c.pfs_group != "None":
        parts.append(GROUPS[c.pfs_group])
    return "-".join(parts)


def remote_selectors(config: SiteConfig, device: Device, tunnel: Tunnel) -> list[str]:
    """The Azure side of one tunnel: the prefixes Azure offers, and this instance's BGP address. Azure's default BGP
    addresses lie inside the hub's prefix; a prefix holding another instance's address is split around it, so that
    BGP to each instance can only take that instance's tunnel (selectors that overlap would send it down either)."""
    others = [ipaddress.ip_network(f"{t.azure_bgp_address}/32") for t in device.tunnels
              if t is not tunnel and t.azure_bgp_address and not t.azure_bgp_address.startswith("<")]
    found = []
    for prefix in config.azure_prefixes:
        pieces = [ipaddress.ip_network(prefix)]
        for other in others:
            pieces = [part for piece in pieces for part in (piece.address_exclude(other) if other.subnet_of(piece) else [piece])]
        found += [str(p) for p in sorted(pieces)] if len(pieces) > 1 else [prefix]
    return list(dict.fromkeys(found + ([f"{tunnel.azure_bgp_address}/32"] if tunnel.azure_bgp_address else [])))


def render(config: SiteConfig) -> dict[str, str]:
    files = {}
    for device in config.devices:
        files[f"{device.file_stem}.swanctl.conf"] = swanctl(config, device)
        if device.bgp_asn is not None:
            files[f"{device.file_stem}.frr.conf"] = frr(config, device)
    return files


def swanctl(config: SiteConfig, device: Device) -> str:
    c = config.crypto
    ike, esp = ike_proposal(config), esp_proposal(config)
    life = c.sa_lifetime_seconds
    start = "start" if device.initiates else "trap"
    lines = [header(config, device, "strongSwan swanctl.conf", SOURCE), "#",
             f"# Install as /etc/swanctl/conf.d/{device.file_stem}.conf, then: swanctl --load-all.",
             f"# Clamp TCP MSS at {TCP_MSS} towards Azure (Microsoft's requirement), e.g. iptables -t mangle -A FORWARD "
             f"-p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss {TCP_MSS}.",
             f"# Azure's DPD timeout on this connection: {device.dpd_timeout_seconds} s; its IKE SA lifetime is fixed at "
             f"{IKE_LIFETIME_SECONDS} s.",
             ]
    if device.bgp_address:
        lines.append(f"# The BGP address {device.bgp_address} must be on a local interface (e.g. ip address add "
                     f"{device.bgp_address}/32 dev lo).")
    lines += ["", "connections {"]
    local_ts = list(config.site_prefixes) + ([f"{device.bgp_address}/32"] if device.bgp_address else [])
    for tunnel in device.tunnels:
        remote_ts = remote_selectors(config, device, tunnel)
        name = f"{config.gateway}-{tunnel.instance}"
        lines += [
            f"  {name} {{",
            "    version = 2",
            f"    remote_addrs = {tunnel.azure_public_ip}",
            f"    proposals = {ike}",
            f"    rekey_time = {IKE_LIFETIME_SECONDS}s",
            "    dpd_delay = 10s",
            "    mobike = no",
            "    local {",
            "      auth = psk",
            f"      id = {device.public_address}",
            "    }",
            "    remote {",
            "      auth = psk",
            f"      id = {tunnel.azure_public_ip}",
            "    }",
            "    children {",
            f"      {name} {{",
            f"        local_ts = {', '.join(local_ts)}",
            f"        remote_ts = {', '.join(remote_ts)}",
            f"        esp_proposals = {esp}",
            f"        life_time = {life}s",
            f"        rekey_time = {life * 9 // 10}s",
            f"        life_bytes = {c.sa_data_size_kilobytes * 1024}",
            f"        start_action = {start}",
            "        dpd_action = restart",
            "        close_action = start" if device.initiates else "        close_action = trap",
            "      }",
            "    }",
            "  }",
        ]
    lines += ["}", "", "secrets {", f"  ike-{config.gateway} {{"]
    lines += [f"    id-{tunnel.instance} = {tunnel.azure_public_ip}" for tunnel in device.tunnels]
    lines += [f'    secret = "${{{device.psk_env}}}"', "  }", "}"]
    return "\n".join(lines) + "\n"


def frr(config: SiteConfig, device: Device) -> str:
    lines = [header(config, device, "FRR frr.conf", SOURCE, comment="!", ipsec=False), "!",
             "! eBGP to each gateway instance over its tunnel, sourced from the device's BGP address; both sessions",
             "! carry the same prefixes, so the routes are equal-cost (maximum-paths).",
             "frr defaults traditional",
             f"hostname {device.name}",
             "! Azure's BGP addresses are reached through the tunnels; the next hops resolve via the default route.",
             "ip nht resolve-via-default",
             "!",
             f"router bgp {device.bgp_asn}",
             f" bgp router-id {device.bgp_address}",
             "! The site's prefixes are announced whether or not this router holds a route to them.",
             " no bgp network import-check",
             " neighbor AZURE peer-group",
             f" neighbor AZURE remote-as {config.azure_asn}",
             " neighbor AZURE ebgp-multihop 2",
             f" neighbor AZURE update-source {device.bgp_address}",
             f" neighbor AZURE timers {BGP_KEEPALIVE} {BGP_HOLD}",
             "! Retry soon after a tunnel comes up (FRR's default is 120 s).",
             " neighbor AZURE timers connect 10",
             ]
    for tunnel in device.tunnels:
        lines += [f" neighbor {tunnel.azure_bgp_address} peer-group AZURE",
                  f" neighbor {tunnel.azure_bgp_address} description {config.gateway} instance {tunnel.instance}"]
    lines += [" !", " address-family ipv4 unicast"]
    lines += [f"  network {prefix}" for prefix in config.site_prefixes]
    lines += ["  neighbor AZURE route-map AZURE-IN in", "  neighbor AZURE route-map AZURE-OUT out",
              f"  maximum-paths {len(device.tunnels)}", " exit-address-family", "!"]
    lines += [f"ip prefix-list SITE seq {5 * (i + 1)} permit {p}" for i, p in enumerate(config.site_prefixes)]
    lines += [f"ip prefix-list AZURE seq {5 * (i + 1)} permit {p}" for i, p in enumerate(config.azure_prefixes)]
    lines += ["!", "route-map AZURE-OUT permit 10", " match ip address prefix-list SITE", "!",
              "route-map AZURE-IN permit 10", " match ip address prefix-list AZURE", "!"]
    return "\n".join(lines) + "\n"
