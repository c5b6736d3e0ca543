"""gen device-config --vendor junos: the Juniper SRX set commands for each site of the vpn-sites example.

Each test reads the commands a device would load: the crypto translated from Azure's names, a gateway, VPN and st0
unit per instance of the hub VPN gateway, BGP or static routing, traffic selectors, zones, and every refusal.
"""

from __future__ import annotations

import pytest

from conftest import EXAMPLES, load_example
from generator import devices, model
from test_cli import run, write_spec

VPN_SITES = EXAMPLES / "vpn-sites.json"
OUTPUTS = {"hubVpnGatewayPublicIpAddresses": ["192.0.2.10", "192.0.2.11"],
           "hubVpnGatewayBgpPeeringAddress": "10.10.0.4,10.10.0.5"}
OSLO = 1  # shop-oslo's index in the example's branches: static, policy-based, a custom AES256/SHA256 policy
LISBON = 2  # shop-lisbon: BGP from a regular address, Azure's default crypto
IKE = "set security ike proposal azure-ike"
ESP = "set security ipsec proposal azure-esp"
PFS = "set security ipsec policy azure-esp perfect-forward-secrecy keys"
BGP = "set protocols bgp group azure"
STATIC = "set routing-options static route"
POLICY = "set policy-options policy-statement"
AZURE_FOR_OSLO = ["10.10.0.0/16", "10.30.0.0/16", "10.32.0.0/24", "10.60.0.0/16", "10.20.0.0/16"]
HUB_ONLY = ["10.10.0.0/16"]  # what a policy-based site reaches: the hub VNet, no transit


def render(site: str, data: dict | None = None, outputs: dict | None = OUTPUTS) -> dict[str, str]:
    t = model.build(data or load_example(VPN_SITES))
    return devices.render(devices.site_config(t, site, devices.azure_side(t, outputs, "test")), "junos")


def commands(text: str) -> list[str]:
    """The lines Junos loads: everything but comments and blank lines."""
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def oslo(data: dict | None = None) -> list[str]:
    return commands(render("shop-oslo", data)["shop-oslo.junos.set"])


def oslo_policy(**changes) -> dict:
    data = load_example(VPN_SITES)
    data["branches"][OSLO]["connection"]["ipsecPolicy"].update(changes)
    return data


def lisbon(data: dict | None = None, outputs: dict | None = OUTPUTS) -> list[str]:
    return commands(render("shop-lisbon", data, outputs)["shop-lisbon.junos.set"])


# --- each device, each tunnel ----------------------------------------------------------------------------------


def test_a_two_device_apipa_site_gets_a_file_per_device_each_with_both_tunnels_and_bgp_over_each():
    files = render("dc-frankfurt")
    assert sorted(files) == ["dc-frankfurt-fra-edge1.junos.set", "dc-frankfurt-fra-edge2.junos.set"]
    for name, own, public in (("fra-edge1", "169.254.21.1", "203.0.113.10"),
                              ("fra-edge2", "169.254.22.1", "203.0.113.11")):
        lines = commands(files[f"dc-frankfurt-{name}.junos.set"])
        for instance, azure_ip, azure_bgp in ((0, "192.0.2.10", "169.254.21.2"), (1, "192.0.2.11", "169.254.22.2")):
            gateway, vpn = f"set security ike gateway azure-{instance}", f"set security ipsec vpn azure-{instance}"
            assert {f"{gateway} address {azure_ip}", f"{gateway} version v2-only",
                    f"{gateway} local-identity inet {public}", f"{gateway} external-interface <external-interface>",
                    f"{vpn} bind-interface st0.{instance}", f"{vpn} ike gateway azure-{instance}",
                    f"{vpn} establish-tunnels immediately", f"set interfaces st0 unit {instance} family inet",
                    f"set security zones security-zone azure interfaces st0.{instance}",
                    # Each instance's custom APIPA address, through its own tunnel (Microsoft's BGP FAQ).
                    f"{STATIC} {azure_bgp}/32 next-hop st0.{instance}",
                    f'{BGP} neighbor {azure_bgp} description "vpngw-hub-vpn instance {instance}"'} <= set(lines)
        assert {f"set interfaces lo0 unit 0 family inet address {own}/32", f"{BGP} local-address {own}",
                "set routing-options autonomous-system 65030", f"{BGP} peer-as 65515", f"{BGP} type external",
                f"{BGP} hold-time 180", f"{BGP} multipath", f"{BGP} multihop ttl 2",
                "set security zones security-zone azure interfaces lo0.0",
                "set security zones security-zone azure host-inbound-traffic protocols bgp",
                f"{POLICY} azure-export term site from route-filter 10.30.0.0/16 exact",
                'set security ike policy azure-ike pre-shared-key ascii-text "${VPN_SHARED_KEY_DC_FRANKFURT}"',
                "set security flow tcp-mss ipsec-vpn mss 1350", f"{IKE} lifetime-seconds 28800"} <= set(lines)
        assert sum(line.startswith(f"{BGP} neighbor") for line in lines) == 2
        assert not any("passive" in line for line in lines)  # APIPA: Azure never opens BGP; the device must
        assert not any("traffic-selector" in line for line in lines)
    # The site's custom policy: GCM both ways, ECP384 for IKE and PFS.
    lines = commands(files["dc-frankfurt-fra-edge1.junos.set"])
    assert {f"{IKE} encryption-algorithm aes-256-gcm", f"{IKE} dh-group group20", f"{PFS} group20",
            f"{ESP} encryption-algorithm aes-256-gcm", f"{ESP} lifetime-seconds 27000",
            f"{ESP} lifetime-kilobytes 102400000"} <= set(lines)
    integrity = (f"{IKE} authentication-algorithm", f"{ESP} authentication-algorithm")
    assert not any(line.startswith(integrity) for line in lines)


def test_bgp_imports_exactly_azure_s_prefixes_and_spreads_them_over_both_tunnels():
    lines = lisbon()
    azure = ["10.10.0.0/16", "10.30.0.0/16", "10.31.0.0/24", "10.60.0.0/16", "10.20.0.0/16"]
    imports = [line.split()[-2] for line in lines if "azure-import term azure from route-filter" in line]
    ecmp = [line.split()[-2] for line in lines if "azure-ecmp term azure from route-filter" in line]
    assert sorted(imports) == sorted(ecmp) == sorted(azure)
    assert {f"{POLICY} azure-import then reject", f"{POLICY} azure-export then reject", f"{BGP} import azure-import",
            f"{BGP} export azure-export", f"{STATIC} 10.32.0.0/24 discard", f"{STATIC} 10.10.0.4/32 next-hop st0.0",
            f"{STATIC} 10.10.0.5/32 next-hop st0.1",
            "set routing-options forwarding-table export azure-ecmp"} <= set(lines)


def test_azure_s_default_crypto_is_one_of_its_offers_and_the_file_says_it_is_weak():
    text = render("shop-lisbon")["shop-lisbon.junos.set"]
    lines = commands(text)
    assert {f"{IKE} encryption-algorithm aes-256-cbc", f"{IKE} authentication-algorithm sha-256",
            f"{IKE} dh-group group2", f"{ESP} encryption-algorithm aes-256-gcm",
            f"{ESP} lifetime-seconds 27000"} <= set(lines)
    assert not any(line.startswith(PFS) for line in lines)
    assert "DH group 2, 1024-bit, is weak" in text


def test_without_a_capture_azure_s_addresses_are_the_placeholders_the_header_names():
    text = render("shop-lisbon", outputs=None)["shop-lisbon.junos.set"]
    lines = commands(text)
    assert {"set security ike gateway azure-0 address <azure-instance-0-public-ip>",
            "set security ike gateway azure-1 address <azure-instance-1-public-ip>",
            f"{STATIC} <azure-instance-0-bgp-ip>/32 next-hop st0.0",
            f"{STATIC} <azure-instance-1-bgp-ip>/32 next-hop st0.1",
            f'{BGP} neighbor <azure-instance-1-bgp-ip> description "vpngw-hub-vpn instance 1"'} <= set(lines)
    header = text.split("\n\n")[0]
    for placeholder in ("<azure-instance-0-public-ip>", "<azure-instance-1-bgp-ip>", "<external-interface>",
                        "<external-zone>", "<trust-zone>"):
        assert placeholder in header


# --- static and policy-based sites -----------------------------------------------------------------------------


def test_a_policy_based_static_site_proposes_each_site_prefix_to_each_azure_prefix_on_each_tunnel():
    lines = oslo()
    for instance in (0, 1):
        vpn = f"set security ipsec vpn azure-{instance}"
        selectors = [line[len(vpn):] for line in lines if line.startswith(f"{vpn} traffic-selector")]
        assert selectors == [f" traffic-selector ts-{n} local-ip 10.31.0.0/24 remote-ip {p}"
                             for n, p in enumerate(HUB_ONLY, 1)]
    # Junos routes to each remote-ip itself while the SA is up: no static route to Azure, no BGP, no loopback.
    assert not any(line.startswith((STATIC, BGP, "set interfaces lo0")) for line in lines)
    assert "set security zones security-zone azure interfaces lo0.0" not in lines
    assert {f"{IKE} encryption-algorithm aes-256-cbc", f"{IKE} authentication-algorithm sha-256",
            f"{IKE} dh-group group14", f"{ESP} authentication-algorithm hmac-sha-256-128", f"{PFS} group14",
            f"{ESP} lifetime-seconds 3600"} <= set(lines)


def test_a_route_based_static_site_routes_azure_s_prefixes_into_both_tunnels():
    data = load_example(VPN_SITES)
    data["branches"][OSLO]["connection"]["usePolicyBasedTrafficSelectors"] = False
    lines = oslo(data)
    for prefix in AZURE_FOR_OSLO:
        assert {f"{STATIC} {prefix} next-hop st0.0", f"{STATIC} {prefix} next-hop st0.1"} <= set(lines)
    assert not any("traffic-selector" in line for line in lines)


def test_a_policy_based_bgp_site_adds_each_instance_s_bgp_pair_to_its_own_tunnel():
    data = load_example(VPN_SITES)
    data["branches"][LISBON]["connection"] = {"usePolicyBasedTrafficSelectors": True}
    lines = lisbon(data)
    for instance, azure_bgp in ((0, "10.10.0.4"), (1, "10.10.0.5")):
        selector = f"traffic-selector ts-2 local-ip 192.168.32.1/32 remote-ip {azure_bgp}/32"
        assert f"set security ipsec vpn azure-{instance} {selector}" in lines
    assert not any(line.startswith(f"{STATIC} 10.10.0.") for line in lines)  # inserted by Junos


def test_the_site_s_zone_and_azure_s_allow_the_prefixes_both_ways():
    lines = oslo()
    outbound = "set security policies from-zone <trust-zone> to-zone azure policy site-to-azure"
    inbound = "set security policies from-zone azure to-zone <trust-zone> policy azure-to-site"
    assert {"set security address-book global address site-10.31.0.0-24 10.31.0.0/24",
            "set security address-book global address-set site-prefixes address site-10.31.0.0-24",
            "set security address-book global address-set azure-prefixes address azure-10.10.0.0-16",
            "set security zones security-zone <external-zone> host-inbound-traffic system-services ike",
            f"{outbound} match source-address site-prefixes", f"{outbound} match destination-address azure-prefixes",
            f"{inbound} match source-address azure-prefixes", f"{inbound} match destination-address site-prefixes",
            f"{inbound} then permit"} <= set(lines)


# --- the crypto, name by name ----------------------------------------------------------------------------------


@pytest.mark.parametrize("azure, junos", [("AES128", "aes-128-cbc"), ("AES192", "aes-192-cbc"),
                                          ("AES256", "aes-256-cbc")])
def test_ike_cbc_encryption_carries_its_integrity(azure, junos):
    lines = oslo(oslo_policy(ikeEncryption=azure))
    assert {f"{IKE} encryption-algorithm {junos}", f"{IKE} authentication-algorithm sha-256"} <= set(lines)


@pytest.mark.parametrize("azure, prf, junos", [("GCMAES256", "SHA384", "aes-256-gcm"),
                                               ("GCMAES128", "SHA256", "aes-128-gcm")])
def test_ike_gcm_encryption_leaves_out_the_integrity_its_prf_is_implied(azure, prf, junos):
    text = render("shop-oslo", oslo_policy(ikeEncryption=azure, ikeIntegrity=prf))["shop-oslo.junos.set"]
    assert f"{IKE} encryption-algorithm {junos}" in commands(text)
    assert not any(line.startswith(f"{IKE} authentication-algorithm") for line in commands(text))
    assert f"Junos uses HMAC-{prf} as its PRF" in text


@pytest.mark.parametrize("azure, junos", [("MD5", "md5"), ("SHA1", "sha1"), ("SHA256", "sha-256"),
                                          ("SHA384", "sha-384")])
def test_ike_integrity(azure, junos):
    assert f"{IKE} authentication-algorithm {junos}" in oslo(oslo_policy(ikeIntegrity=azure))


@pytest.mark.parametrize("azure, junos", [("DHGroup1", "group1"), ("DHGroup2", "group2"), ("DHGroup14", "group14"),
                                          ("DHGroup2048", "group14"), ("DHGroup24", "group24"), ("ECP256", "group19"),
                                          ("ECP384", "group20")])
def test_ike_dh_group(azure, junos):
    assert f"{IKE} dh-group {junos}" in oslo(oslo_policy(dhGroup=azure))


@pytest.mark.parametrize("azure, junos", [("AES128", "aes-128-cbc"), ("AES192", "aes-192-cbc"),
                                          ("AES256", "aes-256-cbc"), ("DES3", "3des-cbc"), ("DES", "des-cbc")])
def test_esp_cbc_encryption_carries_its_integrity(azure, junos):
    lines = oslo(oslo_policy(ipsecEncryption=azure))
    assert {f"{ESP} encryption-algorithm {junos}", f"{ESP} authentication-algorithm hmac-sha-256-128"} <= set(lines)


@pytest.mark.parametrize("azure, junos", [("GCMAES128", "aes-128-gcm"), ("GCMAES192", "aes-192-gcm"),
                                          ("GCMAES256", "aes-256-gcm")])
def test_esp_gcm_encryption_has_no_separate_integrity(azure, junos):
    lines = oslo(oslo_policy(ipsecEncryption=azure, ipsecIntegrity=azure))
    assert f"{ESP} encryption-algorithm {junos}" in lines
    assert not any(line.startswith(f"{ESP} authentication-algorithm") for line in lines)


@pytest.mark.parametrize("azure, junos", [("MD5", "hmac-md5-96"), ("SHA1", "hmac-sha1-96"),
                                          ("SHA256", "hmac-sha-256-128")])
def test_esp_integrity(azure, junos):
    assert f"{ESP} authentication-algorithm {junos}" in oslo(oslo_policy(ipsecIntegrity=azure))


@pytest.mark.parametrize("azure, junos", [("PFS1", "group1"), ("PFS2", "group2"), ("PFS2048", "group14"),
                                          ("PFS24", "group24"), ("ECP256", "group19"), ("ECP384", "group20")])
def test_pfs_group(azure, junos):
    lines = oslo(oslo_policy(pfsGroup=azure))
    assert [line for line in lines if line.startswith(PFS)] == [f"{PFS} {junos}"]


def test_no_pfs_writes_no_pfs():
    assert not any(line.startswith(PFS) for line in oslo(oslo_policy(pfsGroup="None")))


def test_sa_lifetimes_and_a_lifetime_beyond_junos_s_range_rekeys_at_its_top():
    assert {f"{ESP} lifetime-seconds 7200", f"{ESP} lifetime-kilobytes 2048"} <= set(
        oslo(oslo_policy(saLifeTimeSeconds=7200, saDataSizeKilobytes=2048)))
    text = render("shop-oslo", oslo_policy(saLifeTimeSeconds=100000))["shop-oslo.junos.set"]
    assert f"{ESP} lifetime-seconds 86400" in commands(text) and "100000 s, is beyond Junos's 86400 s" in text


# --- the connection's other settings ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode, establish", [("Default", "immediately"), ("ResponderOnly", "immediately"),
                                             ("InitiatorOnly", "on-traffic")])
def test_the_device_opens_the_tunnels_unless_only_azure_initiates(mode, establish):
    data = load_example(VPN_SITES)
    data["branches"][OSLO]["connection"]["connectionMode"] = mode
    lines = oslo(data)
    assert {f"set security ipsec vpn azure-0 establish-tunnels {establish}",
            f"set security ipsec vpn azure-1 establish-tunnels {establish}"} <= set(lines)


@pytest.mark.parametrize("timeout, threshold", [(9, 1), (45, 4), (3600, 5)])
def test_dead_peer_detection_gives_up_about_when_azure_does(timeout, threshold):
    data = load_example(VPN_SITES)
    data["branches"][OSLO]["connection"]["dpdTimeoutSeconds"] = timeout
    lines = oslo(data)
    assert {"set security ike gateway azure-1 dead-peer-detection interval 10",
            f"set security ike gateway azure-1 dead-peer-detection threshold {threshold}"} <= set(lines)


def test_a_device_known_by_its_fqdn_identifies_itself_by_it():
    data = load_example(VPN_SITES)
    del data["branches"][OSLO]["gatewayIpAddress"]
    data["branches"][OSLO]["fqdn"] = "vpn.oslo.example.net"
    assert "set security ike gateway azure-0 local-identity hostname vpn.oslo.example.net" in oslo(data)


# --- what Junos cannot express ---------------------------------------------------------------------------------


@pytest.mark.parametrize("changes, message", [
    ({"dhGroup": "None"}, "dhGroup None"),
    ({"ipsecEncryption": "None"}, "ipsecEncryption None"),
    ({"ikeEncryption": "GCMAES256", "ikeIntegrity": "SHA256"},
     "GCMAES256 with ikeIntegrity SHA256.*set ikeIntegrity SHA384"),
    ({"ikeEncryption": "GCMAES128", "ikeIntegrity": "SHA384"},
     "GCMAES128 with ikeIntegrity SHA384.*set ikeIntegrity SHA256"),
])
def test_a_setting_junos_cannot_express_is_refused_with_the_alternative(changes, message):
    with pytest.raises(devices.DeviceConfigError, match=message):
        render("shop-oslo", oslo_policy(**changes))


def test_more_traffic_selectors_than_a_junos_vpn_holds_are_refused():
    data = load_example(VPN_SITES)
    data["branches"][OSLO]["addressPrefixes"] = [f"10.31.{i}.0/24" for i in range(200)]  # 200 x the hub VNet
    assert sum("traffic-selector" in line for line in oslo(data)) == 2 * 200
    data["branches"][OSLO]["addressPrefixes"].append("10.31.200.0/24")
    with pytest.raises(devices.DeviceConfigError, match="usePolicyBasedTrafficSelectors: 201 traffic selectors"):
        render("shop-oslo", data)


def test_cli_writes_the_junos_file_and_refuses_with_exit_2(tmp_path):
    printed = run("device-config", write_spec(tmp_path, load_example(VPN_SITES)), "shop-lisbon", "--vendor", "junos")
    assert printed.exit_code == 0
    assert "set security ike gateway azure-1 address <azure-instance-1-public-ip>" in printed.output
    refused = run("device-config", write_spec(tmp_path, oslo_policy(dhGroup="None")), "shop-oslo", "--vendor", "junos")
    assert refused.exit_code == 2 and "dhGroup None" in refused.stderr
