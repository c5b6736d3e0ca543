"""gen device-config --vendor panos: PAN-OS `set` commands for each device of a site, one tunnel per gateway instance.

Each test builds the vpn-sites example's configuration and reads the lines a PAN-OS firewall would take: the crypto
keywords for every Azure name, a gateway, tunnel and tunnel interface per instance, BGP from the loopback with a host
route per instance, proxy IDs and static routes for the policy-based static site, placeholders without a capture, and
a refusal for every Azure setting PAN-OS has no keyword for.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from conftest import EXAMPLES, load_example
from generator import devices, model

OUTPUTS = {"hubVpnGatewayPublicIpAddresses": ["192.0.2.10", "192.0.2.11"],
           "hubVpnGatewayBgpPeeringAddress": "10.10.0.4,10.10.0.5"}
IKE_PROFILE = "set network ike crypto-profiles ike-crypto-profiles azure-ike"
IPSEC_PROFILE = "set network ike crypto-profiles ipsec-crypto-profiles azure-ipsec"
BGP = "set network virtual-router default protocol bgp"
ROUTE = "set network virtual-router default routing-table ip static-route"


def site(name: str, outputs: dict | None = OUTPUTS, data: dict | None = None) -> devices.SiteConfig:
    t = model.build(data or load_example(EXAMPLES / "vpn-sites.json"))
    return devices.site_config(t, name, devices.azure_side(t, outputs, "test"))


def only_file(config: devices.SiteConfig) -> str:
    (text,) = devices.render(config, "panos").values()
    return text


def with_crypto(config: devices.SiteConfig, **changes) -> devices.SiteConfig:
    return dataclasses.replace(config, crypto=dataclasses.replace(config.crypto, **changes))


def set_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("set ")]


# --- files, tunnels, gateways -----------------------------------------------------------------------------------


def test_a_two_device_site_gets_a_file_per_device_each_with_a_tunnel_to_both_instances():
    files = devices.render(site("dc-frankfurt"), "panos")
    assert sorted(files) == ["dc-frankfurt-fra-edge1.panos.txt", "dc-frankfurt-fra-edge2.panos.txt"]
    for text in files.values():
        for instance, public_ip in enumerate(("192.0.2.10", "192.0.2.11")):
            gateway = f"set network ike gateway azure-{instance}-ike"
            assert f"{gateway} peer-address ip {public_ip}" in text
            assert f"{gateway} protocol version ikev2" in text  # IKEv2 only
            assert f"{gateway} protocol ikev2 ike-crypto-profile azure-ike" in text
            assert f"{gateway} protocol ikev2 dpd enable yes" in text
            assert f"{gateway} local-address interface <outside-interface>" in text
            assert f'{gateway} authentication pre-shared-key key "${{VPN_SHARED_KEY_DC_FRANKFURT}}"' in text
            assert f"{gateway} protocol-common passive-mode no" in text
            tunnel = f"set network tunnel ipsec azure-{instance}-ipsec"
            assert f"{tunnel} auto-key ike-gateway azure-{instance}-ike" in text
            assert f"{tunnel} auto-key ipsec-crypto-profile azure-ipsec" in text
            assert f"{tunnel} tunnel-interface tunnel.{instance + 1}" in text
            assert f"set network interface tunnel units tunnel.{instance + 1} mtu 1390" in text  # MSS 1350
        assert "protocol ikev1" not in text and "proxy-id" not in text  # route-based: 0.0.0.0/0 both ways
    assert "local-id type ipaddr id 203.0.113.10" in files["dc-frankfurt-fra-edge1.panos.txt"]
    assert "local-id type ipaddr id 203.0.113.11" in files["dc-frankfurt-fra-edge2.panos.txt"]


def test_every_file_starts_with_the_header_and_names_what_to_fill_in():
    text = only_file(site("shop-lisbon"))
    assert text.startswith("# PAN-OS configuration of VPN device shop-lisbon of site shop-lisbon")
    assert "panos" in devices.VENDORS and devices.vendor_module("panos").SOURCE in text
    assert "<outside-interface>" in text.split("\nset ")[0] and "<lan-zone>" in text.split("\nset ")[0]
    assert "DH group 2, 1024-bit, is weak" in text  # Azure's default offer
    assert all(line.startswith(("set ", "#")) for line in text.splitlines() if line)


# --- crypto: every Azure name to its PAN-OS keyword -------------------------------------------------------------


@pytest.mark.parametrize(("azure", "panos"), [("GCMAES256", "aes-256-gcm"), ("GCMAES128", "aes-128-gcm"),
                                              ("AES256", "aes-256-cbc"), ("AES192", "aes-192-cbc"),
                                              ("AES128", "aes-128-cbc")])
def test_ike_encryption(azure, panos):
    text = only_file(with_crypto(site("shop-oslo"), ike_encryption=azure))
    assert f"{IKE_PROFILE} encryption {panos}\n" in text
    assert ("10.0.3" in text) == azure.startswith("GCM")  # GCM in IKE needs PAN-OS 10.0.3


@pytest.mark.parametrize(("azure", "panos"), [("SHA384", "sha384"), ("SHA256", "sha256"), ("SHA1", "sha1"),
                                              ("MD5", "md5")])
@pytest.mark.parametrize("encryption", ["AES256", "GCMAES256"])
def test_ike_integrity_is_the_hash_with_gcm_too(azure, panos, encryption):
    text = only_file(with_crypto(site("shop-oslo"), ike_integrity=azure, ike_encryption=encryption))
    assert f"{IKE_PROFILE} hash {panos}\n" in text


@pytest.mark.parametrize(("azure", "panos"), [("ECP384", "group20"), ("ECP256", "group19"), ("DHGroup14", "group14"),
                                              ("DHGroup2048", "group14"), ("DHGroup2", "group2"),
                                              ("DHGroup1", "group1")])
def test_dh_group(azure, panos):
    assert f"{IKE_PROFILE} dh-group {panos}\n" in only_file(with_crypto(site("shop-oslo"), dh_group=azure))


@pytest.mark.parametrize(("encryption", "integrity", "esp_encryption", "esp_authentication"), [
    ("GCMAES256", "GCMAES256", "aes-256-gcm", "none"), ("GCMAES128", "GCMAES128", "aes-128-gcm", "none"),
    ("AES256", "SHA256", "aes-256-cbc", "sha256"), ("AES192", "SHA1", "aes-192-cbc", "sha1"),
    ("AES128", "MD5", "aes-128-cbc", "md5"), ("DES3", "SHA256", "3des", "sha256"), ("None", "SHA1", "null", "sha1")])
def test_esp_encryption_and_authentication(encryption, integrity, esp_encryption, esp_authentication):
    text = only_file(with_crypto(site("shop-oslo"), ipsec_encryption=encryption, ipsec_integrity=integrity))
    assert f"{IPSEC_PROFILE} esp encryption {esp_encryption}\n" in text
    assert f"{IPSEC_PROFILE} esp authentication {esp_authentication}\n" in text  # GCM authenticates itself


@pytest.mark.parametrize(("azure", "panos"), [("ECP384", "group20"), ("ECP256", "group19"), ("PFS2048", "group14"),
                                              ("PFS2", "group2"), ("PFS1", "group1"), ("None", "no-pfs")])
def test_pfs_group(azure, panos):
    assert f"{IPSEC_PROFILE} dh-group {panos}\n" in only_file(with_crypto(site("shop-oslo"), pfs_group=azure))


def test_lifetimes_ike_fixed_as_azure_s_and_the_sa_s_in_the_unit_that_holds_them():
    text = only_file(site("shop-oslo"))
    assert f"{IKE_PROFILE} lifetime seconds 28800\n" in text
    assert f"{IPSEC_PROFILE} lifetime seconds 3600\n" in text
    # 102,400,000 KB is more than 65535 of any unit: 97 GB, the most PAN-OS can write below it.
    assert f"{IPSEC_PROFILE} lifesize gb 97\n" in text and "RFC 7296" in text
    exact = only_file(with_crypto(site("shop-oslo"), sa_lifetime_seconds=86400, sa_data_size_kilobytes=2048))
    assert f"{IPSEC_PROFILE} lifetime minutes 1440\n" in exact and f"{IPSEC_PROFILE} lifesize kb 2048\n" in exact
    assert "RFC 7296" not in exact  # nothing rounded
    rounded = only_file(with_crypto(site("shop-oslo"), sa_lifetime_seconds=100000))
    assert f"{IPSEC_PROFILE} lifetime minutes 1666\n" in rounded


def test_azure_s_default_crypto():
    text = only_file(site("shop-lisbon"))
    for line in ("encryption aes-256-cbc", "hash sha256", "dh-group group2"):
        assert f"{IKE_PROFILE} {line}\n" in text
    for line in ("esp encryption aes-256-gcm", "esp authentication none", "dh-group no-pfs", "lifetime seconds 27000"):
        assert f"{IPSEC_PROFILE} {line}\n" in text


# --- refusals ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "message"), [
    ({"dh_group": "DHGroup24"}, "dhGroup DHGroup24: PAN-OS has no DH group 24"),
    ({"dh_group": "None"}, "dhGroup None: IKEv2 needs a Diffie-Hellman group"),
    ({"pfs_group": "PFS24"}, "pfsGroup PFS24: PAN-OS has no DH group 24"),
    ({"ipsec_encryption": "GCMAES192", "ipsec_integrity": "GCMAES192"}, "ipsecEncryption GCMAES192: .*no 192-bit GCM"),
    ({"ipsec_encryption": "DES", "ipsec_integrity": "SHA1"}, "ipsecEncryption DES: .*no des"),
])
def test_a_setting_pan_os_cannot_write_is_refused_with_the_alternative(changes, message):
    with pytest.raises(devices.DeviceConfigError, match=message) as refused:
        devices.render(with_crypto(site("dc-frankfurt"), **changes), "panos")
    assert "pick" in str(refused.value) and "ipsecPolicy" in str(refused.value)


def test_a_refusal_comes_from_the_spec_too():
    data = load_example(EXAMPLES / "vpn-sites.json")
    data["branches"][1]["connection"]["ipsecPolicy"]["dhGroup"] = "DHGroup24"
    with pytest.raises(devices.DeviceConfigError, match="DHGroup24"):
        devices.render(site("shop-oslo", data=data), "panos")


# --- BGP --------------------------------------------------------------------------------------------------------


def test_apipa_bgp_peers_each_instance_from_the_loopback_through_its_own_tunnel_and_opens_the_session():
    text = devices.render(site("dc-frankfurt"), "panos")["dc-frankfurt-fra-edge2.panos.txt"]
    assert "set network interface loopback units loopback.1 ip 169.254.22.1/32" in text
    assert "set zone azure-vpn network layer3 [ tunnel.1 tunnel.2 loopback.1 ]" in text
    assert f"{BGP} router-id 169.254.22.1\n" in text and f"{BGP} local-as 65030\n" in text
    assert f"{BGP} install-route yes\n" in text
    for instance, azure_bgp in enumerate(("169.254.21.2", "169.254.22.2")):  # each instance's custom APIPA address
        peer = f"{BGP} peer-group azure peer azure-{instance}"
        assert f"{peer} peer-address ip {azure_bgp}\n" in text
        assert f"{peer} peer-as 65515\n" in text
        assert f"{peer} local-address interface loopback.1\n" in text
        assert f"{peer} local-address ip 169.254.22.1/32\n" in text
        assert f"{peer} connection-options multihop 2\n" in text
        assert f"{peer} connection-options keep-alive-interval 60\n" in text
        assert f"{peer} connection-options hold-time 180\n" in text
        assert f"{peer} connection-options outgoing-bgp-connection allow yes\n" in text  # Azure will not open it
        assert f"{ROUTE} azure-{instance}-bgp destination {azure_bgp}/32 interface tunnel.{instance + 1}\n" in text
    assert "allow no" not in text and "passive-mode yes" not in text
    assert "set network virtual-router default ecmp enable yes" in text
    assert "set network virtual-router default ecmp max-path 2" in text


def test_bgp_exports_exactly_the_site_s_prefixes_and_imports_what_azure_offers():
    config = site("dc-frankfurt")
    text = devices.render(config, "panos")["dc-frankfurt-fra-edge1.panos.txt"]
    exported = re.findall(r"policy export rules site-to-azure match address-prefix (\S+) exact yes", text)
    imported = re.findall(r"policy import rules azure-to-site match address-prefix (\S+) exact yes", text)
    assert exported == list(config.site_prefixes) == ["10.30.0.0/16"]
    assert imported == list(config.azure_prefixes) and "10.10.0.0/16" in imported
    assert f"{BGP} redist-rules 10.30.0.0/16 enable yes\n" in text
    assert f"{ROUTE} site-1 destination 10.30.0.0/16 nexthop discard admin-dist 240\n" in text  # kept announceable
    assert f"{BGP} peer-group azure type ebgp export-nexthop use-self\n" in text
    for rule in ("export rules site-to-azure", "import rules azure-to-site"):
        assert f"{BGP} policy {rule} used-by azure\n" in text and f"{BGP} policy {rule} action allow\n" in text


def test_a_bgp_site_with_a_regular_address_peers_with_azure_s_default_bgp_addresses():
    text = only_file(site("shop-lisbon"))
    assert "set network interface loopback units loopback.1 ip 192.168.32.1/32" in text
    assert f"{BGP} peer-group azure peer azure-0 peer-address ip 10.10.0.4\n" in text
    assert f"{BGP} peer-group azure peer azure-1 peer-address ip 10.10.0.5\n" in text
    assert f"{ROUTE} azure-1-bgp destination 10.10.0.5/32 interface tunnel.2\n" in text
    assert "APIPA" not in text and "as-format" not in text


def test_a_four_byte_asn_switches_bgp_to_4_byte_as_format():
    config = site("shop-lisbon")
    device = dataclasses.replace(config.devices[0], bgp_asn=4200000001)
    text = only_file(dataclasses.replace(config, devices=(device,)))
    assert f"{BGP} local-as 4200000001\n" in text and f"{BGP} routing-options as-format 4-byte\n" in text


# --- static, policy-based ---------------------------------------------------------------------------------------


def test_a_static_policy_based_site_gets_a_proxy_id_per_prefix_pair_and_static_routes_through_both_tunnels():
    config = site("shop-oslo")
    text = only_file(config)
    assert "protocol bgp" not in text and "loopback" not in text
    pairs = [(local, remote) for local in config.site_prefixes for remote in config.azure_prefixes]
    assert pairs == [("10.31.0.0/24", "10.10.0.0/16")]  # a policy-based site reaches the hub VNet only
    for instance in (0, 1):
        found = re.findall(rf"set network tunnel ipsec azure-{instance}-ipsec auto-key proxy-id ts\d+ "
                           r"local (\S+) remote (\S+) protocol any", text)
        assert found == pairs
        routed = re.findall(rf"{ROUTE} azure-{instance}-net\d+ destination (\S+) interface tunnel\.{instance + 1}\n",
                            text)
        assert routed == list(config.azure_prefixes)
    assert "set network virtual-router default ecmp enable yes" in text


def test_a_route_based_static_site_proposes_no_proxy_id():
    data = load_example(EXAMPLES / "vpn-sites.json")
    del data["branches"][1]["connection"]["usePolicyBasedTrafficSelectors"]
    assert "proxy-id" not in only_file(site("shop-oslo", data=data))


def test_policy_based_with_bgp_also_selects_the_bgp_addresses():
    config = dataclasses.replace(site("dc-frankfurt"), policy_based=True)
    text = devices.render(config, "panos")["dc-frankfurt-fra-edge1.panos.txt"]
    assert ("set network tunnel ipsec azure-1-ipsec auto-key proxy-id ts6 local 169.254.21.1/32 "
            "remote 169.254.22.2/32 protocol any") in text


# --- placeholders, connection mode, zones -----------------------------------------------------------------------


def test_without_a_capture_azure_s_addresses_are_placeholders_the_header_names():
    text = only_file(site("shop-lisbon", outputs=None))
    assert "set network ike gateway azure-0-ike peer-address ip <azure-instance-0-public-ip>\n" in text
    assert "set network ike gateway azure-1-ike peer-address ip <azure-instance-1-public-ip>\n" in text
    assert f"{BGP} peer-group azure peer azure-1 peer-address ip <azure-instance-1-bgp-ip>\n" in text
    assert f"{ROUTE} azure-0-bgp destination <azure-instance-0-bgp-ip>/32 interface tunnel.1\n" in text
    assert "Fill in <azure-instance-0-public-ip>, <azure-instance-0-bgp-ip>" in text
    assert "192.0.2." not in text and "10.10.0.4" not in text


def test_initiator_only_makes_the_firewall_passive_and_responder_only_does_not():
    config = site("shop-oslo")
    initiator = only_file(with_mode(config, "InitiatorOnly"))
    assert initiator.count("protocol-common passive-mode yes") == 2 and "passive-mode no" not in initiator
    responder = only_file(with_mode(config, "ResponderOnly"))
    assert responder.count("protocol-common passive-mode no") == 2


def test_a_device_known_by_fqdn_identifies_itself_by_fqdn():
    config = site("shop-oslo")
    device = dataclasses.replace(config.devices[0], public_address="vpn.oslo.example.com")
    text = only_file(dataclasses.replace(config, devices=(device,)))
    assert text.count("local-id type fqdn id vpn.oslo.example.com") == 2


def test_the_tunnels_share_a_zone_and_rules_allow_the_site_and_azure_both_ways():
    config = site("shop-oslo")
    text = only_file(config)
    assert "set zone azure-vpn network layer3 [ tunnel.1 tunnel.2 ]" in text
    assert "set network virtual-router default interface [ tunnel.1 tunnel.2 ]" in text
    azure = "[ " + " ".join(config.azure_prefixes) + " ]"
    assert (f"set rulebase security rules shop-oslo-to-azure from <lan-zone> to azure-vpn source [ 10.31.0.0/24 ] "
            f"destination {azure} ") in text
    assert (f"set rulebase security rules azure-to-shop-oslo from azure-vpn to <lan-zone> source {azure} "
            f"destination [ 10.31.0.0/24 ] ") in text
    assert all(line.endswith("action allow") for line in set_lines(text) if " rulebase security " in line)


def with_mode(config, mode):
    """The site's devices with one connection mode (it is each device's connection's)."""
    return dataclasses.replace(config, devices=tuple(dataclasses.replace(d, connection_mode=mode) for d in config.devices))
