"""Azure regions, and which have availability zones: decided once, for the model (zones of what gen deploys) and the
rules (GW008, GW009)."""

from __future__ import annotations

# Public-cloud regions with availability zones, as `az account list-locations` names them
# (Microsoft Learn "Azure regions list", 2025).
ZONE_REGIONS = frozenset("""
    australiaeast austriaeast belgiumcentral brazilsouth canadacentral centralindia centralus chilecentral
    eastasia eastus eastus2 francecentral germanywestcentral indonesiacentral israelcentral italynorth
    japaneast japanwest koreacentral malaysiawest mexicocentral newzealandnorth northeurope norwayeast
    polandcentral qatarcentral southafricanorth southcentralus southeastasia spaincentral swedencentral
    switzerlandnorth uaenorth uksouth westeurope westus2 westus3
""".split()) | frozenset((
    # Sovereign clouds: Azure Government (https://learn.microsoft.com/azure/reliability/availability-zones-region-support)
    # and Azure operated by 21Vianet (https://learn.microsoft.com/azure/china/overview-regions).
    "usgovvirginia", "chinanorth3",
))
# Regions without availability zones (several are access-restricted), public and sovereign.
NO_ZONE_REGIONS = frozenset("""
    australiacentral australiacentral2 australiasoutheast brazilsoutheast canadaeast francesouth germanynorth
    jioindiacentral jioindiawest koreasouth northcentralus norwaywest southafricawest southindia swedensouth
    switzerlandwest uaecentral ukwest westcentralus westindia westus
    usgovarizona usgovtexas usdodeast usdodcentral chinaeast chinaeast2 chinaeast3 chinanorth chinanorth2
""".split())


ALL_ZONES = ("1", "2", "3")


def zones_of(location: str) -> tuple[str, ...]:
    """The zones a zone-redundant resource spans in a region: 1, 2 and 3, or none where the region has no zones.
    "If a region doesn't currently support availability zones, you can still create VPN Gateway AZ SKUs, but the
    deployment will remain regional" (https://learn.microsoft.com/azure/vpn-gateway/gateway-sku-consolidation, FAQ).
    A region gen does not know (GW008 reports it) is taken as having zones."""
    return () if str(location) in NO_ZONE_REGIONS else ALL_ZONES
