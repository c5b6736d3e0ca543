"""`gen device-config`: the configuration of a site's VPN device(s) for both tunnels to both gateway instances.

The spec says what the device must match (its addresses and ASN, the connection's IPsec policy, BGP or static);
the deployment says what Azure chose (the gateway instances' public IPs and BGP addresses, from the outputs in a
capture). Without a capture those are placeholders the output names. Each vendor module turns one `SiteConfig`
into files, following that vendor's documented Azure example (its module says which), and refuses what its
syntax cannot express.
"""

from __future__ import annotations

from .site import AzureSide, DeviceConfigError, SiteConfig, azure_side, site_config

# Vendor name -> module; each module has SOURCE (the documented example it follows) and render(config).
VENDORS = ("strongswan", "cisco-iosxe", "fortios", "panos", "junos")


def vendor_module(vendor: str):
    """The module that writes `vendor`'s configuration."""
    from importlib import import_module

    if vendor not in VENDORS:
        raise DeviceConfigError(f"no vendor {vendor!r}; gen writes: {', '.join(VENDORS)}")
    return import_module(f".{vendor.replace('-', '_')}", __name__)


def render(config: SiteConfig, vendor: str) -> dict[str, str]:
    """File name -> content of the site's device configuration(s) for `vendor`."""
    return vendor_module(vendor).render(config)


__all__ = ["VENDORS", "AzureSide", "DeviceConfigError", "SiteConfig", "azure_side", "render", "site_config", "vendor_module"]
