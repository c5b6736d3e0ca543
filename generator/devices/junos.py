"""Juniper SRX (Junos) `set` commands: a route-based VPN per gateway instance, each on its own st0 unit, BGP over each.

Follows Microsoft's SRX sample for Azure route-based gateways (Azure/Azure-vpn-config-samples,
Juniper/Current/SRX/Site-to-Site_VPN_using_Juniper_SRX.md and juniper-srx-junos_12.1_show_configuration.txt: an IKE
proposal, policy and gateway with `version v2-only`, an IPsec VPN bound to an unnumbered st0 unit, host-inbound IKE
on the external zone, `set security flow tcp-mss ipsec-vpn mss 1350`, static routes into st0), once per instance of
the active-active gateway, with the keywords of the Junos CLI reference (proposal (Security IKE), prf-algorithm,
dead-peer-detection, Traffic Selectors in Route-Based VPNs, hold-time (Protocols BGP)) and Juniper KB30997 (traffic to
a loopback address is looked up from the ingress zone to the loopback's zone).

Decisions:
- The device's BGP address lives on lo0.0 (Junos refuses one address on two interfaces) and the st0 units stay
  unnumbered, as in Microsoft's sample; a /32 static route sends each instance's BGP address into its own st0 unit,
  and BGP runs multihop from lo0. Junos opens the sessions itself (nothing passive), as APIPA peering requires.
- Policy-based traffic selectors become `traffic-selector` stanzas, one per (site prefix, Azure prefix) pair on each
  VPN; Junos then inserts the routes to the Azure prefixes itself while each SA is up (auto route insertion).
- The st0 units (and lo0.0 for BGP) go into a new zone `azure`; policies between the site's zone (a placeholder) and
  it allow the site's prefixes to the Azure prefixes and back, from a global address book.
"""

from __future__ import annotations

import ipaddress

from .site import BGP_HOLD, IKE_LIFETIME_SECONDS, TCP_MSS, Device, DeviceConfigError, SiteConfig, Tunnel, header

SOURCE = ("Azure/Azure-vpn-config-samples Juniper/Current/SRX (Site-to-Site_VPN_using_Juniper_SRX.md, "
          "juniper-srx-junos_12.1_show_configuration.txt: route-based st0, IKE v2-only, tcp-mss 1350); "
          "Junos CLI reference https://www.juniper.net/documentation/us/en/software/junos/cli-reference/")

IKE_ENCRYPTION = {"AES128": "aes-128-cbc", "AES192": "aes-192-cbc", "AES256": "aes-256-cbc",
                  "GCMAES128": "aes-128-gcm", "GCMAES256": "aes-256-gcm"}
IKE_INTEGRITY = {"MD5": "md5", "SHA1": "sha1", "SHA256": "sha-256", "SHA384": "sha-384"}
# Junos ties the PRF to a GCM IKE cipher and refuses another (prf-algorithm: "aes-256-gcm ... internally associated
# with a PRF-384"); aes-128-gcm with PRF-256 is assumed, as in Suite B's GCM-128 (RFC 6379).
GCM_IKE_PRF = {"GCMAES128": "SHA256", "GCMAES256": "SHA384"}
# DHGroup14, DHGroup2048 and PFS2048 are all MODP group 14; DHGroup24/PFS24 group 24; ECP256 group 19; ECP384 group 20.
GROUPS = {"DHGroup1": "group1", "PFS1": "group1", "DHGroup2": "group2", "PFS2": "group2",
          "DHGroup14": "group14", "DHGroup2048": "group14", "PFS2048": "group14",
          "DHGroup24": "group24", "PFS24": "group24", "ECP256": "group19", "ECP384": "group20"}
# aes-192-gcm is assumed: the pages read name aes-128-gcm and aes-256-gcm for IPsec proposals.
ESP_ENCRYPTION = {"AES128": "aes-128-cbc", "AES192": "aes-192-cbc", "AES256": "aes-256-cbc", "DES3": "3des-cbc",
                  "DES": "des-cbc", "GCMAES128": "aes-128-gcm", "GCMAES192": "aes-192-gcm", "GCMAES256": "aes-256-gcm"}
ESP_INTEGRITY = {"MD5": "hmac-md5-96", "SHA1": "hmac-sha1-96", "SHA256": "hmac-sha-256-128"}

IPSEC_LIFETIME_MAX = 86400  # the top of Junos's lifetime-seconds range (180 to 86,400)
TRAFFIC_SELECTORS_MAX = 200  # per VPN
DPD_INTERVAL = 10  # Junos's default; its threshold runs 1 to 5
ZONE = "azure"
PLACEHOLDERS = {
    "<external-interface>": "the interface IKE leaves by, towards the internet (e.g. ge-0/0/0.0)",
    "<external-zone>": "its security zone",
    "<trust-zone>": "the security zone of the site's networks",
}


def render(config: SiteConfig) -> dict[str, str]:
    ike, esp = ike_proposal(config), ipsec_proposal(config)
    return {f"{device.file_stem}.junos.set": junos(config, device, ike, esp) for device in config.devices}


def ike_proposal(config: SiteConfig) -> list[str]:
    c = config.crypto
    if c.dh_group == "None":
        raise DeviceConfigError("dhGroup None: IKEv2 needs a Diffie-Hellman group and a Junos IKE proposal has no "
                                "'none'; pick one in the site's ipsecPolicy (ECP384, DHGroup14, ...)")
    if c.ike_gcm and GCM_IKE_PRF[c.ike_encryption] != c.ike_integrity:
        prf = GCM_IKE_PRF[c.ike_encryption]
        raise DeviceConfigError(
            f"ikeEncryption {c.ike_encryption} with ikeIntegrity {c.ike_integrity}: Junos ties "
            f"{IKE_ENCRYPTION[c.ike_encryption]} to the PRF HMAC-{prf} and refuses another; set ikeIntegrity {prf} in "
            f"the site's ipsecPolicy, or a CBC ikeEncryption (AES256) with {c.ike_integrity}")
    p = "set security ike proposal azure-ike"
    lines = [f"{p} authentication-method pre-shared-keys",
             f"{p} encryption-algorithm {IKE_ENCRYPTION[c.ike_encryption]}"]
    if c.ike_gcm:
        lines.append(f"# GCM authenticates itself; Junos uses HMAC-{c.ike_integrity} as its PRF, as Azure's "
                     f"ikeIntegrity {c.ike_integrity} asks.")
    else:
        lines.append(f"{p} authentication-algorithm {IKE_INTEGRITY[c.ike_integrity]}")
    return lines + [f"{p} dh-group {GROUPS[c.dh_group]}", f"{p} lifetime-seconds {IKE_LIFETIME_SECONDS}"]


def ipsec_proposal(config: SiteConfig) -> list[str]:
    c = config.crypto
    if c.ipsec_encryption == "None":
        raise DeviceConfigError("ipsecEncryption None: the Junos IPsec proposal documentation names no null ESP "
                                "encryption; pick an encryption in the site's ipsecPolicy (GCMAES256, AES256, ...)")
    p = "set security ipsec proposal azure-esp"
    lines = [f"{p} protocol esp", f"{p} encryption-algorithm {ESP_ENCRYPTION[c.ipsec_encryption]}"]
    if not c.esp_gcm:  # GCM authenticates itself
        lines.append(f"{p} authentication-algorithm {ESP_INTEGRITY[c.ipsec_integrity]}")
    if c.sa_lifetime_seconds > IPSEC_LIFETIME_MAX:
        lines.append(f"# Azure's SA lifetime, {c.sa_lifetime_seconds} s, is beyond Junos's {IPSEC_LIFETIME_MAX} s; "
                     f"IKEv2 does not negotiate lifetimes, so this device simply rekeys first.")
    # lifetime-kilobytes: Azure's range (1,024 to 2,147,483,647) is assumed to lie within Junos's.
    lines += [f"{p} lifetime-seconds {min(c.sa_lifetime_seconds, IPSEC_LIFETIME_MAX)}",
              f"{p} lifetime-kilobytes {c.sa_data_size_kilobytes}"]
    policy = "set security ipsec policy azure-esp"
    if c.pfs_group != "None":
        lines.append(f"{policy} perfect-forward-secrecy keys {GROUPS[c.pfs_group]}")
    return lines + [f"{policy} proposals azure-esp"]


def traffic_selectors(config: SiteConfig, device: Device, tunnel: Tunnel) -> list[tuple[str, str]]:
    """(local, remote) pairs one tunnel proposes: none unless the connection is policy-based, where Azure accepts the
    device's own; BGP between the device and this instance needs its pair too."""
    if not config.policy_based:
        return []
    pairs = [(site, azure) for site in config.site_prefixes for azure in config.azure_prefixes]
    if device.bgp_address:
        pairs.append((f"{device.bgp_address}/32", f"{tunnel.azure_bgp_address}/32"))
    if len(pairs) > TRAFFIC_SELECTORS_MAX:
        raise DeviceConfigError(
            f"usePolicyBasedTrafficSelectors: {len(pairs)} traffic selectors per tunnel (each site prefix to each "
            f"Azure prefix) exceed the {TRAFFIC_SELECTORS_MAX} Junos allows on one VPN; summarise the prefixes, or "
            f"turn usePolicyBasedTrafficSelectors off (the SRX is route-based)")
    return pairs


def unit(tunnel: Tunnel) -> str:
    return f"st0.{tunnel.instance}"


def local_identity(device: Device) -> str:
    try:
        ipaddress.ip_address(device.public_address)
    except ValueError:
        return f"hostname {device.public_address}"
    return f"inet {device.public_address}"


def junos(config: SiteConfig, device: Device, ike: list[str], esp: list[str]) -> str:
    units = ", ".join(unit(t) for t in device.tunnels)
    lines = [header(config, device, "Junos (Juniper SRX)", SOURCE), "#",
             "# Load in configuration mode with `load set terminal` (paste, then Ctrl-D) or `load set FILE`, then "
             "`commit check` and `commit`.",
             "# Fill in: " + "; ".join(f"{name}: {meaning}" for name, meaning in PLACEHOLDERS.items()) + ".",
             f"# Uses {units} and a new security zone {ZONE}: renumber or rename them if the device has them already.",
             f"# Azure's DPD timeout on this connection: {device.dpd_timeout_seconds} s; its IKE SA lifetime is fixed "
             f"at {IKE_LIFETIME_SECONDS} s.",
             "",
             f"# IKE: IKEv2 only, one gateway per instance of {config.gateway}, the same key for both.",
             *ike,
             "set security ike policy azure-ike proposals azure-ike",
             f'set security ike policy azure-ike pre-shared-key ascii-text "${{{device.psk_env}}}"']
    # Declare Azure dead about when Azure gives up on this device.
    threshold = max(1, min(5, device.dpd_timeout_seconds // DPD_INTERVAL))
    for tunnel in device.tunnels:
        g = f"set security ike gateway {tunnel.name}"
        lines += [f"{g} ike-policy azure-ike", f"{g} address {tunnel.azure_public_ip}",
                  f"{g} external-interface <external-interface>", f"{g} local-identity {local_identity(device)}",
                  f"{g} version v2-only", f"{g} dead-peer-detection probe-idle-tunnel",
                  f"{g} dead-peer-detection interval {DPD_INTERVAL}", f"{g} dead-peer-detection threshold {threshold}"]
    lines += ["", "# IPsec: a VPN per instance, each bound to its own st0 unit (unnumbered, as in Microsoft's sample).",
              *esp]
    if not device.initiates:
        lines.append("# Connection mode InitiatorOnly: Azure opens the tunnels, so the device waits for traffic.")
    establish = "immediately" if device.initiates else "on-traffic"
    for tunnel in device.tunnels:
        v = f"set security ipsec vpn {tunnel.name}"
        lines += [f'set interfaces st0 unit {tunnel.instance} description "{config.gateway} instance '
                  f'{tunnel.instance}"',
                  f"set interfaces st0 unit {tunnel.instance} family inet",
                  f"{v} bind-interface {unit(tunnel)}", f"{v} ike gateway {tunnel.name}",
                  f"{v} ike ipsec-policy azure-esp", f"{v} establish-tunnels {establish}"]
        for number, (local, remote) in enumerate(traffic_selectors(config, device, tunnel), 1):
            lines.append(f"{v} traffic-selector ts-{number} local-ip {local} remote-ip {remote}")
    lines += ["# Clamp TCP MSS in the tunnels, as Azure requires.",
              f"set security flow tcp-mss ipsec-vpn mss {TCP_MSS}",
              "", *zones(config, device), "", *routes(config, device)]
    if device.bgp_asn is not None:
        lines += ["", *bgp_session(config, device)]
    return "\n".join(lines) + "\n"


def zones(config: SiteConfig, device: Device) -> list[str]:
    z = f"set security zones security-zone {ZONE}"
    lines = ["# Zones: IKE reaches the device on the external zone (if <external-interface> has its own "
             "host-inbound-traffic, which overrides the zone's, add ike there).",
             "set security zones security-zone <external-zone> host-inbound-traffic system-services ike",
             *[f"{z} interfaces {unit(t)}" for t in device.tunnels]]
    if device.bgp_address:
        bgp = f"set security policies from-zone {ZONE} to-zone {ZONE} policy azure-bgp"
        lines += [f"# BGP arrives on the st0 units for {device.bgp_address} on lo0.0, so lo0.0 joins {ZONE} too (if "
                  f"lo0.0 is in another zone already, allow bgp there and a policy from {ZONE} to it).",
                  f"{z} interfaces lo0.0", f"{z} host-inbound-traffic protocols bgp",
                  f"{bgp} match source-address any", f"{bgp} match destination-address any",
                  f"{bgp} match application junos-bgp", f"{bgp} then permit"]
    lines += ["# The site's prefixes to Azure's and back (a global address book; on a device that still uses zone "
              "address books, define these in the zones instead).",
              "# New policies go to the end of each zone pair's list: `insert ... before` any policy that denies "
              "first."]
    book = "set security address-book global"
    for kind, prefixes in (("site", config.site_prefixes), ("azure", config.azure_prefixes)):
        names = [f"{kind}-{prefix.replace('/', '-')}" for prefix in prefixes]
        lines += [f"{book} address {name} {prefix}" for name, prefix in zip(names, prefixes)]
        lines += [f"{book} address-set {kind}-prefixes address {name}" for name in names]
    for source, destination in (("site", "azure"), ("azure", "site")):
        zone = {"site": "<trust-zone>", "azure": ZONE}
        policy = (f"set security policies from-zone {zone[source]} to-zone {zone[destination]} "
                  f"policy {source}-to-{destination}")
        lines += [f"{policy} match source-address {source}-prefixes",
                  f"{policy} match destination-address {destination}-prefixes",
                  f"{policy} match application any", f"{policy} then permit"]
    return lines


def routes(config: SiteConfig, device: Device) -> list[str]:
    static = "set routing-options static route"
    if config.policy_based:
        lines = ["# Routing: Junos inserts a route to each traffic selector's remote-ip through its st0 unit while "
                 "the SA is up (auto route insertion)."]
    elif device.bgp_asn is not None:
        lines = ["# Routing: each instance's BGP address through its own tunnel (Azure's BGP FAQ: a host route to "
                 "the Azure BGP peer IP pointing to the tunnel).",
                 *[f"{static} {t.azure_bgp_address}/32 next-hop {unit(t)}" for t in device.tunnels]]
    else:
        lines = ["# Routing: Azure's prefixes through both tunnels; a tunnel without an SA takes its route down "
                 "(assumed: Junos marks a point-to-point st0 unit down without an SA).",
                 *[f"{static} {p} next-hop {unit(t)}" for p in config.azure_prefixes for t in device.tunnels]]
    ecmp = "set policy-options policy-statement azure-ecmp term azure"
    return lines + ["# Equal-cost routes to Azure over both tunnels in the forwarding table (Junos's keyword is "
                    "per-packet; assumed to keep each flow on one tunnel).",
                    *[f"{ecmp} from route-filter {p} exact" for p in config.azure_prefixes],
                    f"{ecmp} then load-balance per-packet",
                    "set routing-options forwarding-table export azure-ecmp"]


def bgp_session(config: SiteConfig, device: Device) -> list[str]:
    group = "set protocols bgp group azure"
    export = "set policy-options policy-statement azure-export"
    imports = "set policy-options policy-statement azure-import"
    lines = [f"# BGP: eBGP to each instance from {device.bgp_address} on lo0.0; the device opens the sessions "
             f"(nothing passive) and keeps Azure's timers (keepalive a third of the hold time).",
             f"# If {device.bgp_address} is on another interface already, leave it there instead (Junos refuses one "
             f"address on two interfaces); that interface's zone must then allow bgp.",
             f"set interfaces lo0 unit 0 family inet address {device.bgp_address}/32",
             f"# The device's AS for all of its BGP: if it already has another, keep that and use `{group} local-as "
             f"{device.bgp_asn}` instead.",
             f"set routing-options autonomous-system {device.bgp_asn}",
             "# Announce the site's prefixes whether or not the device holds a route to all of each; any route it "
             "has wins over these last-resort discards."]
    for prefix in config.site_prefixes:
        lines += [f"set routing-options static route {prefix} discard",
                  f"set routing-options static route {prefix} preference 250"]
    lines += [f"{export} term site from route-filter {p} exact" for p in config.site_prefixes]
    lines += [f"{export} term site then accept", f"{export} then reject"]
    lines += [f"{imports} term azure from route-filter {p} exact" for p in config.azure_prefixes]
    lines += [f"{imports} term azure then accept", f"{imports} then reject",
              f"{group} type external", f"{group} peer-as {config.azure_asn}",
              f"{group} local-address {device.bgp_address}", f"{group} multihop ttl 2",
              f"{group} hold-time {BGP_HOLD}", f"{group} import azure-import", f"{group} export azure-export",
              f"{group} multipath"]
    return lines + [f'{group} neighbor {t.azure_bgp_address} description "{config.gateway} instance {t.instance}"'
                    for t in device.tunnels]
