"""Rules: the IPsec/IKE settings of site-to-site connections (VPN): what Azure accepts, and what it advises against.

The values themselves (each algorithm, DPD 9-3600 s, SA lifetimes of at least 300 s and 1024 KB) are the
schema's enums and ranges, from the VPN FAQ's table of supported algorithms (read 2026-12-02); these rules
are the combinations and the advice the schema cannot hold.
"""

from __future__ import annotations

from ..findings import WARNING
from . import rule

# "If GCMAES is used as for IPsec Encryption algorithm, you must select the same GCMAES algorithm and key length
# for IPsec Integrity" (Configure IPsec/IKE policy for S2S VPN, read 2026-12-02).
POLICY_LINK = "https://learn.microsoft.com/azure/vpn-gateway/ipsec-ike-policy-howto"
# The cryptographic requirements page and the FAQ's table of algorithms.
CRYPTO_LINK = "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-about-compliance-crypto"

# Broken or no protection: single DES, MD5, the 768-bit MODP group, and no encryption at all.
WEAK = {
    "ipsecEncryption": {"DES": "single DES", "DES3": "3DES", "None": "no encryption"},
    "ipsecIntegrity": {"MD5": "MD5"},
    "ikeIntegrity": {"MD5": "MD5"},
    "dhGroup": {"DHGroup1": "the 768-bit group 1", "None": "no Diffie-Hellman group"},
    "pfsGroup": {"PFS1": "the 768-bit group 1"},
}


def _policies(topology):
    for site in topology.site_branches:
        if site.connection.ipsec_policy is not None:
            yield site, site.connection.ipsec_policy


@rule("VPN001", "IPsec GCM encryption and integrity differ", POLICY_LINK)
def gcm_pairs(topology, data):
    """With a GCM IPsec encryption the integrity must be the same GCM algorithm and key length (GCM authenticates
    itself), and a GCM integrity needs that GCM encryption: Azure refuses any other pairing."""
    for site, policy in _policies(topology):
        encryption, integrity = policy.ipsec_encryption, policy.ipsec_integrity
        if (encryption.startswith("GCM") or integrity.startswith("GCM")) and encryption != integrity:
            yield f"{policy.path}.ipsecIntegrity", (
                f"site '{site.name}': ipsecEncryption {encryption} with ipsecIntegrity {integrity}: with GCM both must be the "
                f"same GCM algorithm and key length (e.g. GCMAES256 and GCMAES256), or neither GCM (e.g. AES256 with SHA256)")


@rule("VPN002", "The IPsec policy uses a broken algorithm", CRYPTO_LINK, severity=WARNING)
def weak_algorithms(topology, data):
    """Azure still accepts single DES, 3DES, MD5, DH group 1 and no encryption for old devices; each is broken or no
    protection. Accept the warning only for a device that can do nothing better."""
    keys = {"ipsecEncryption": "ipsec_encryption", "ipsecIntegrity": "ipsec_integrity", "ikeIntegrity": "ike_integrity",
            "dhGroup": "dh_group", "pfsGroup": "pfs_group"}
    for site, policy in _policies(topology):
        for key, attribute in keys.items():
            value = getattr(policy, attribute)
            if value in WEAK[key]:
                yield f"{policy.path}.{key}", (
                    f"site '{site.name}': {key} {value} is {WEAK[key][value]}, which gives the tunnel little or no "
                    f"protection: use AES256 or GCMAES256, SHA256 or better, DHGroup14/ECP256 or better, if the device can")


SELECTORS_LINK = "https://learn.microsoft.com/azure/vpn-gateway/custom-traffic-selectors"


@rule("VPN003", "Custom traffic selectors gen does not model", SELECTORS_LINK, severity=WARNING)
def custom_selectors(topology, data):
    """A connection that runs with custom traffic selectors (`trafficSelectorPolicies`, kept as it runs) decides which
    prefixes its tunnel carries. gen trace and device-config model a policy-based site as one that reaches the hub VNet
    only, and a route-based one by its routes: their verdicts may be wrong for this site."""
    from ..model import resource_key

    for site, device in topology.site_devices:
        kept = topology.kept(resource_key("Microsoft.Network/connections", str(device.connection_name)))
        if kept and (kept.properties or {}).get("trafficSelectorPolicies"):
            yield device.path or site.path, (
                f"connection {device.connection_name} of site '{site.name}' runs with custom traffic selectors, which gen "
                f"keeps but does not model: gen trace and gen device-config may be wrong about what its tunnel carries")
