"""What a site's VPN device must match, vendor-neutral: the tunnels to the hub gateway's instances, the crypto, BGP.

Sources (read 2026-12-02):
- Azure's default IPsec/IKE proposals, used when the connection has no custom policy: "About VPN devices and
  IPsec/IKE parameters", https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-about-vpn-devices#ipsec
  (IKEv2 AES256/SHA256 with DH group 2 among the main mode offers; GCM AES256 without PFS first among the quick
  mode offers; quick mode lifetime 27,000 s and 102,400,000 KB).
- "IKE Main Mode SA lifetime is fixed at 28,800 seconds on the Azure VPN gateways" (IPsec/IKE requirements).
- An APIPA peer: "When you use APIPA addresses, Azure VPN Gateway doesn't initiate the BGP peering session. The
  on-premises VPN device must initiate the connection." https://learn.microsoft.com/azure/vpn-gateway/bgp-howto
- "The BGP keepalive timer is 60 seconds, and the hold timer is 180 seconds" and "Add a host route of the Azure BGP
  peer IP address on your VPN device. This route points to the IPsec S2S VPN tunnel." (VPN FAQ, BGP).
- Clamp TCP MSS at 1350 (or tunnel MTU 1400): vpn-gateway-about-vpn-devices.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import routing
from ..collect import shared_key_read
from ..model import IpsecPolicy, SiteBranch, Topology

DEVICES_LINK = "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-about-vpn-devices#ipsec"
IKE_LIFETIME_SECONDS = 28800  # fixed on Azure's side
BGP_KEEPALIVE, BGP_HOLD = 60, 180  # fixed on Azure's side
TCP_MSS = 1350


class DeviceConfigError(ValueError):
    """A device configuration gen cannot write (unknown site, a vendor that cannot express a setting): exit 2."""


# The crypto both sides use, in Azure's names (the vendor modules translate them): the connection's policy, or
# one of Azure's default offers.
Crypto = IpsecPolicy


# One combination Azure offers and accepts by default (route-based, IKEv2): main mode AES256/SHA256 with DH group 2,
# quick mode GCM AES256 without PFS. Weak (group 2): the README and the file say so, and suggest a custom policy.
AZURE_DEFAULT = IpsecPolicy("AES256", "SHA256", "DHGroup2", "GCMAES256", "GCMAES256", "None", 27000, 102400000)


@dataclass(frozen=True)
class AzureSide:
    """What Azure chose for the hub VPN gateway: each instance's public IP and default BGP address (None: unknown)."""

    public_ips: tuple[str | None, ...]
    bgp_addresses: tuple[str | None, ...]
    source: str  # where they come from: "the deployment outputs in CAPTURE", or "unknown (no --capture)"

    @property
    def known(self) -> bool:
        return all(self.public_ips) and all(self.bgp_addresses)


@dataclass(frozen=True)
class Tunnel:
    """One tunnel: from the device to one instance of the hub VPN gateway."""

    instance: int
    azure_public_ip: str  # or a placeholder
    azure_bgp_address: str | None  # None on a static connection; may be a placeholder

    @property
    def name(self) -> str:
        return f"azure-{self.instance}"


@dataclass(frozen=True)
class Device:
    name: str
    file_stem: str  # "<site>" or "<site>-<device>": the output files' names
    public_address: str  # gatewayIpAddress or fqdn: the address the device's IKE identifies itself by
    bgp_asn: int | None
    bgp_address: str | None
    apipa: bool
    tunnels: tuple[Tunnel, ...]
    psk_env: str  # the environment variable the deployment reads this device's shared key from
    dpd_timeout_seconds: int = 45  # its connection's (devices of one site may differ)
    key_read: str | None = None  # a running connection's: the command that exports its shared key as psk_env
    connection_mode: str = "Default"  # its connection's (devices of one site may differ)

    @property
    def initiates(self) -> bool:
        """The device must open IKE itself: Azure never does with ResponderOnly; with InitiatorOnly only Azure does."""
        return self.connection_mode != "InitiatorOnly"


@dataclass(frozen=True)
class SiteConfig:
    spec_name: str
    site: str
    gateway: str  # the hub VPN gateway
    azure_asn: int
    devices: tuple[Device, ...]
    site_prefixes: tuple[str, ...]  # what the device advertises (BGP) or routes to Azure from (static)
    azure_prefixes: tuple[str, ...]  # what Azure offers the site: hub, spokes, other branches, on-premises
    crypto: Crypto
    custom_crypto: bool  # the connection's own policy; False: one of Azure's default offers
    policy_based: bool
    azure: AzureSide

    @property
    def bgp(self) -> bool:
        return all(d.bgp_asn is not None for d in self.devices)

    @property
    def placeholders(self) -> tuple[str, ...]:
        found = []
        for device in self.devices:
            for tunnel in device.tunnels:
                found += [v for v in (tunnel.azure_public_ip, tunnel.azure_bgp_address) if v and v.startswith("<")]
        return tuple(dict.fromkeys(found))


def public_ip_placeholder(instance: int) -> str:
    return f"<azure-instance-{instance}-public-ip>"


def bgp_placeholder(instance: int) -> str:
    return f"<azure-instance-{instance}-bgp-ip>"


def azure_side(topology: Topology, outputs: dict | None, source: str) -> AzureSide:
    """The hub VPN gateway's addresses from the deployment outputs (`hubVpnGatewayPublicIpAddresses`,
    `hubVpnGatewayBgpPeeringAddress`), one per instance; None where the outputs do not say."""
    gateway = topology.hub.vpn_gateway
    count = gateway.instances if gateway else 1
    outputs = outputs or {}
    ips = outputs.get("hubVpnGatewayPublicIpAddresses")
    ips = [str(ip) for ip in ips] if isinstance(ips, list) else []
    bgp = [a.strip() for a in str(outputs.get("hubVpnGatewayBgpPeeringAddress") or "").split(",") if a.strip()]
    # `source` names the capture's path, which goes into every file's header comment: one line, whatever the path holds.
    source = "".join(c if c.isprintable() else "?" for c in source)
    return AzureSide(tuple((ips + [None] * count)[:count]), tuple((bgp + [None] * count)[:count]), source)


# Azure spells one Diffie-Hellman group several ways: PFS14 and PFS2048 are both group 14; PFSMM is "the main mode's
# group" (the PfsGroup enum of the REST API specs, virtualNetworkGateway.json). The vendors take the canonical names.
PFS_OF_DH = {"DHGroup1": "PFS1", "DHGroup2": "PFS2", "DHGroup14": "PFS2048", "DHGroup2048": "PFS2048", "DHGroup24": "PFS24",
             "ECP256": "ECP256", "ECP384": "ECP384", "None": "None"}


def normalized(policy: IpsecPolicy) -> IpsecPolicy:
    from dataclasses import replace

    pfs = {"PFS14": "PFS2048"}.get(policy.pfs_group, policy.pfs_group)
    if pfs == "PFSMM":
        pfs = PFS_OF_DH.get(policy.dh_group, "None")
    return replace(policy, pfs_group=pfs)


def site_config(topology: Topology, site_name: str, azure: AzureSide) -> SiteConfig:
    """Everything the device(s) of `site_name` must match, with Azure's addresses where known."""
    gateway = topology.hub.vpn_gateway
    if gateway is None:
        raise DeviceConfigError("the spec has no hub VPN gateway: there is no site-to-site connection to configure")
    site = next((s for s in topology.site_branches if s.name == site_name), None)
    if site is None:
        known = ", ".join(str(s.name) for s in topology.site_branches) or "none"
        raise DeviceConfigError(f"no site {site_name!r} in {topology.name}; its sites (kind: site): {known}")
    devices = tuple(_device(topology, site, device, azure) for device in site.devices)
    connection = site.connection
    for device in site.devices:
        own = site.connection_of(device)
        if (own.ipsec_policy, bool(own.policy_based_traffic_selectors)) != (
                connection.ipsec_policy, bool(connection.policy_based_traffic_selectors)):
            raise DeviceConfigError(f"device {device.name} of site {site.name} has its own IPsec policy or traffic selectors: "
                                    f"gen device-config writes a site's devices with one of each (their DPD timeout and "
                                    f"connection mode may differ); give the site one policy")
    if any(site.connection_of(device).connection_protocol == "IKEv1" for device in site.devices):
        raise DeviceConfigError(f"site {site.name}'s connection speaks IKEv1 (connectionProtocol): gen device-config writes "
                                f"IKEv2 configurations only. The device that runs this connection keeps its own "
                                f"configuration; moving to IKEv2 is a change of both ends (the spec's connectionProtocol "
                                f"and the device), made together")
    policy = connection.ipsec_policy
    crypto = normalized(policy) if policy else AZURE_DEFAULT
    return SiteConfig(
        spec_name=topology.name,
        site=str(site.name),
        gateway=str(gateway.name),
        azure_asn=gateway.asn,
        devices=devices,
        site_prefixes=tuple(str(p) for p in site.advertised_prefixes),  # what it really advertises (gen import keeps it)
        azure_prefixes=tuple(routing.offered_to(topology, site)),
        crypto=crypto,
        custom_crypto=policy is not None,
        policy_based=bool(connection.policy_based_traffic_selectors),
        azure=azure,
    )


def _device(topology: Topology, site: SiteBranch, device, azure: AzureSide) -> Device:
    gateway = topology.hub.vpn_gateway
    tunnels = []
    for instance in range(gateway.instances):
        public_ip = azure.public_ips[instance] or public_ip_placeholder(instance)
        if not device.bgp:
            bgp = None
        elif device.apipa:  # the custom APIPA address of this instance, from the spec
            bgp = str(gateway.custom_bgp_ip_addresses[instance])
        else:
            bgp = azure.bgp_addresses[instance] or bgp_placeholder(instance)
        tunnels.append(Tunnel(instance, public_ip, bgp))
    return Device(
        name=str(device.name),
        file_stem=f"{site.name}-{device.name}" if site.multi_device else str(site.name),
        public_address=str(device.endpoint),
        bgp_asn=device.bgp_asn,
        bgp_address=str(device.bgp_peering_address) if device.bgp else None,
        apipa=device.apipa,
        tunnels=tuple(tunnels),
        psk_env=site.secret_env_of(device),
        dpd_timeout_seconds=site.connection_of(device).dpd_timeout_seconds or 45,
        connection_mode=site.connection_of(device).connection_mode or "Default",
        key_read=shared_key_read(topology, site.secret_env_of(device), str(device.connection_name))
        if topology.hub.vnet.existing else None,
    )


def _inside(address: str, prefix: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(address) in ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        return False


def header(config: SiteConfig, device: Device, vendor: str, source: str, comment: str = "#", ipsec: bool = True) -> str:
    """The lines every file starts with: what it is for, where Azure's values come from, what to fill in."""
    c = comment
    lines = [
        f"{c} {vendor} configuration of VPN device {device.name} of site {config.site} (spec {config.spec_name}), written by gen.",
        f"{c} {len(device.tunnels)} tunnel(s), one to each instance of the hub VPN gateway {config.gateway}"
        + (f", BGP over each (Azure ASN {config.azure_asn})." if device.bgp_asn is not None else ", static routes (no BGP)."),
        f"{c} Azure's addresses: {config.azure.source}."
        + (f" Fill in {', '.join(config.placeholders)} from `az deployment group show ... --query properties.outputs`."
           if config.placeholders else ""),
    ]
    if ipsec:
        lines.append(f"{c} Shared key: ${{{device.psk_env}}}, the variable the deployment reads; substitute it when installing, "
                     f"e.g. envsubst '${device.psk_env}' < FILE.")
        if device.key_read:
            lines.append(f"{c} The connection runs already: use its own key, never a new one (the tunnel drops until both "
                         f"ends match): {device.key_read}")
    lines.append(f"{c} Follows: {source}")
    if ipsec and not config.custom_crypto:
        lines.append(f"{c} Crypto: one of Azure's default offers (DH group 2, 1024-bit, is weak): set the connection's "
                     f"ipsecPolicy in the spec for a stronger one ({DEVICES_LINK}).")
    if device.apipa:
        lines.append(f"{c} APIPA BGP: Azure does not open the BGP session from an APIPA address; this device must.")
    elif device.bgp_address and any(_inside(device.bgp_address, p) for p in config.site_prefixes):
        lines.append(f"{c} The BGP address {device.bgp_address} lies in the site's own prefixes: if an interface of this device "
                     f"holds it already, peer from that interface instead of the BGP address this file adds.")
    return "\n".join(lines)


def describe(topology: Topology, site: SiteBranch) -> str:
    """One paragraph for the output README: the device(s), their tunnels, routing and crypto (Markdown)."""
    from ..markdown import code, text

    gateway = topology.hub.vpn_gateway
    per_device = gateway.instances
    parts = []
    for device in site.devices:
        routing_text = (f"BGP ASN {device.bgp_asn} from {code(device.bgp_peering_address)}"
                        + (" (APIPA: the device opens the session)" if device.apipa else "")) if device.bgp else "static routes"
        name = f"{code(device.name)} at " if site.multi_device else ""
        parts.append(f"{name}{code(device.endpoint)}, {routing_text}")
    tunnels = per_device * len(site.devices)
    crypto = site.connection.ipsec_policy
    crypto_text = (f"custom IPsec policy: IKE {crypto.ike_encryption}/{crypto.ike_integrity}/{crypto.dh_group}, ESP "
                   f"{crypto.ipsec_encryption}/{crypto.ipsec_integrity}, PFS {crypto.pfs_group}, SA {crypto.sa_lifetime_seconds} s"
                   if crypto else "Azure's default IPsec/IKE proposals (DH group 2: consider a custom ipsecPolicy)")
    extras = []
    if site.connection.policy_based_traffic_selectors:
        extras.append("policy-based traffic selectors (the device proposes its prefixes to the Azure prefixes)")
    if site.connection.dpd_timeout_seconds:
        extras.append(f"DPD timeout {site.connection.dpd_timeout_seconds} s")
    if site.connection.connection_mode and site.connection.connection_mode != "Default":
        extras.append(f"connection mode {site.connection.connection_mode}")
    reach = (f"{tunnels} tunnels, one from each device to each instance of {code(gateway.name)}" if site.multi_device
             else f"{tunnels} tunnel(s), one to each instance of {code(gateway.name)}")
    return (f"{'; '.join(parts)}: {reach}; {text(crypto_text)}" + (f"; {text(', '.join(extras))}" if extras else "") + ".")


def command(site: SiteBranch) -> str:
    return f"gen device-config SPEC {site.name} --vendor strongswan --capture capture -o devices/{site.name}"
