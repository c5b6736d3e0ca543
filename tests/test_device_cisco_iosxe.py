"""gen device-config --vendor cisco-iosxe: what each IOS-XE file says, for the sites of examples/vpn-sites.json.

The files are not run on a router here; these tests hold the translation of Azure's names to IOS-XE keywords, the
wiring of each tunnel to its instance (keyring, IKEv2 profile, IPsec profile, tunnel, BGP host route), the routing,
and every refusal.
"""

from __future__ import annotations

import ipaddress

import pytest

from conftest import EXAMPLES, load_example
from generator import devices, model
from generator.devices import cisco_iosxe

VPN_SITES = EXAMPLES / "vpn-sites.json"
OUTPUTS = {"hubVpnGatewayPublicIpAddresses": ["192.0.2.10", "192.0.2.11"],
           "hubVpnGatewayBgpPeeringAddress": "10.10.0.4,10.10.0.5"}
BRANCH = {"dc-frankfurt": 0, "shop-oslo": 1, "shop-lisbon": 2}
STRONG_POLICY = {"ikeEncryption": "AES256", "ikeIntegrity": "SHA256", "dhGroup": "DHGroup14",
                 "ipsecEncryption": "AES256", "ipsecIntegrity": "SHA256", "pfsGroup": "PFS2048",
                 "saLifeTimeSeconds": 3600, "saDataSizeKilobytes": 102400000}
GATEWAY = "vpngw-hub-vpn"


def site_config(site: str, outputs: dict | None = OUTPUTS, connection: dict | None = None, branch: dict | None = None):
    """The site's SiteConfig, with `connection` merged into its connection and `branch` into the branch itself (a
    None value removes that key)."""
    data = load_example(VPN_SITES)
    target = data["branches"][BRANCH[site]]
    for key, value in (branch or {}).items():
        if value is None:
            del target[key]
        else:
            target[key] = value
    target.setdefault("connection", {}).update(connection or {})
    t = model.build(data)
    return devices.site_config(t, site, devices.azure_side(t, outputs, "test"))


def render(site: str, **changes) -> dict[str, str]:
    return devices.render(site_config(site, **changes), "cisco-iosxe")


def with_policy(**changes) -> dict[str, str]:
    """shop-lisbon (BGP, route-based) with a custom ipsecPolicy: STRONG_POLICY with `changes`."""
    files = render("shop-lisbon", connection={"ipsecPolicy": {**STRONG_POLICY, **changes}})
    return files["shop-lisbon.ios"]


def block(text: str, head: str) -> list[str]:
    """The indented lines under the top-level line `head` (an IOS configuration mode and its commands)."""
    lines = text.splitlines()
    start = lines.index(head) + 1
    end = start
    while end < len(lines) and lines[end].startswith(" "):
        end += 1
    return lines[start:end]


def proposal(text: str) -> list[str]:
    return block(text, f"crypto ikev2 proposal {GATEWAY}")


def setting(lines: list[str], keyword: str) -> str:
    """The value of the one line in `lines` that starts with `keyword`."""
    [found] = [line.strip()[len(keyword):].strip() for line in lines if line.strip().startswith(keyword + " ")]
    return found


# --- the sites of the example ----------------------------------------------------------------------------------


def test_a_two_device_apipa_site_gets_a_file_per_device_each_with_both_tunnels_and_bgp_over_them():
    config = site_config("dc-frankfurt")
    files = devices.render(config, "cisco-iosxe")
    assert sorted(files) == ["dc-frankfurt-fra-edge1.ios", "dc-frankfurt-fra-edge2.ios"]
    for device in config.devices:
        text = files[f"{device.file_stem}.ios"]
        assert block(text, "interface Loopback100") == [f" description BGP address of {device.name} towards {GATEWAY}",
                                                        f" ip address {device.bgp_address} 255.255.255.255"]
        assert f" identity local address {device.public_address}" in text
        # Each instance's custom APIPA address, through its own tunnel.
        for tunnel, peer in zip(("Tunnel100", "Tunnel101"), ("169.254.21.2", "169.254.22.2")):
            assert setting(block(text, f"interface {tunnel}"), "ip unnumbered") == "Loopback100"
            assert f"ip route {peer} 255.255.255.255 {tunnel}" in text
            bgp = block(text, "router bgp 65030")
            for line in (f"{peer} remote-as 65515", f"{peer} ebgp-multihop 2", f"{peer} update-source Loopback100",
                         f"{peer} timers 60 180", f"{peer} activate", f"{peer} route-map {GATEWAY}-in in",
                         f"{peer} route-map {GATEWAY}-out out"):
                assert f" neighbor {line}" in bgp or f"  neighbor {line}" in bgp, line
        commands = [line for line in text.splitlines() if not line.startswith("!")]
        # APIPA: the device must open BGP, so nothing may make it passive.
        assert not any("passive" in line or "connection-mode" in line for line in commands)
        assert "Azure does not open BGP from an APIPA address" in text
        assert "  maximum-paths 2" in text
        assert "  network 10.30.0.0 mask 255.255.0.0" in text and "ip route 10.30.0.0 255.255.0.0 Null0 254" in text
        # The custom policy: GCM IKE with SHA384 as the PRF only, GCM ESP without integrity, PFS ECP384.
        assert proposal(text) == [" encryption aes-gcm-256", " prf sha384", " group 20"]
        assert f"crypto ipsec transform-set {GATEWAY} esp-gcm 256\n mode tunnel" in text
        assert text.count(" set pfs group20") == 2
        assert "compliance shield" not in text  # nothing weak


def test_exactly_the_site_prefixes_go_out_and_exactly_azure_s_come_in():
    config = site_config("dc-frankfurt")
    text = devices.render(config, "cisco-iosxe")["dc-frankfurt-fra-edge1.ios"]
    site = [line.split()[-1] for line in text.splitlines() if line.startswith(f"ip prefix-list {GATEWAY}-site ")]
    azure = [line.split()[-1] for line in text.splitlines() if line.startswith(f"ip prefix-list {GATEWAY}-azure ")]
    assert site == list(config.site_prefixes) == ["10.30.0.0/16"]
    assert azure == list(config.azure_prefixes) and "10.10.0.0/16" in azure
    assert block(text, f"route-map {GATEWAY}-out permit 10") == [f" match ip address prefix-list {GATEWAY}-site"]
    assert block(text, f"route-map {GATEWAY}-in permit 10") == [f" match ip address prefix-list {GATEWAY}-azure"]


@pytest.mark.parametrize("site", ["dc-frankfurt", "shop-oslo", "shop-lisbon"])
def test_each_tunnel_is_wired_to_its_own_instance_from_keyring_to_bgp_host_route(site):
    config = site_config(site)
    files = devices.render(config, "cisco-iosxe")
    for device in config.devices:
        text = files[f"{device.file_stem}.ios"]
        keyring = block(text, f"crypto ikev2 keyring {GATEWAY}")
        assert keyring.count(f"  pre-shared-key ${{{device.psk_env}}}") == len(device.tunnels) == 2
        for tunnel in device.tunnels:
            interface = block(text, f"interface Tunnel{100 + tunnel.instance}")
            assert setting(interface, "tunnel destination") == tunnel.azure_public_ip
            assert setting(interface, "tunnel source") == "<outside-interface>"
            assert " tunnel mode ipsec ipv4" in interface and " ip tcp adjust-mss 1350" in interface
            ipsec_profile = setting(interface, "tunnel protection ipsec profile")
            ikev2_profile = setting(block(text, f"crypto ipsec profile {ipsec_profile}"), "set ikev2-profile")
            ike = block(text, f"crypto ikev2 profile {ikev2_profile}")
            assert setting(ike, "match identity remote address") == f"{tunnel.azure_public_ip} 255.255.255.255"
            assert setting(ike, "keyring local") == GATEWAY and setting(ike, "lifetime") == "28800"
            assert setting(ike, "dpd") == "10 2 periodic"
            assert f"  address {tunnel.azure_public_ip}" in keyring
            if tunnel.azure_bgp_address:
                assert f"ip route {tunnel.azure_bgp_address} 255.255.255.255 Tunnel{100 + tunnel.instance}" in text
        assert "None" not in text


def test_a_route_based_bgp_site_on_azure_s_defaults_peers_with_the_default_bgp_addresses():
    text = render("shop-lisbon")["shop-lisbon.ios"]
    assert "ip route 10.10.0.4 255.255.255.255 Tunnel100" in text
    assert "ip route 10.10.0.5 255.255.255.255 Tunnel101" in text
    assert " neighbor 10.10.0.4 remote-as 65515" in text and " neighbor 10.10.0.5 remote-as 65515" in text
    assert "IOS opens the sessions itself" in text and "APIPA" not in text
    assert "selectors" not in text  # route-based: any-to-any
    # Azure's default offer: AES256/SHA256/DH group 2, GCM ESP without PFS; IOS XE 17.11 refuses group 2 by default.
    assert proposal(text) == [" encryption aes-cbc-256", " integrity sha256", " group 2"]
    assert "set pfs" not in text and " set security-association lifetime seconds 27000" in text
    assert "refuse group 2 by default" in text and "crypto engine compliance shield disable" in text


def test_a_static_policy_based_site_routes_azure_s_prefixes_into_both_tunnels_and_proposes_every_prefix_pair():
    config = site_config("shop-oslo")
    files = devices.render(config, "cisco-iosxe")
    assert sorted(files) == ["shop-oslo.ios"]
    text = files["shop-oslo.ios"]
    assert "router bgp" not in text and "Loopback" not in text
    for prefix in config.azure_prefixes:
        network = ipaddress.ip_network(prefix)
        for tunnel in ("Tunnel100", "Tunnel101"):
            assert f"ip route {network.network_address} {network.netmask} {tunnel}" in text
    assert "ip route 10.10.0.0 255.255.0.0 Tunnel100" in text
    for instance in (0, 1):
        interface = block(text, f"interface Tunnel{100 + instance}")
        assert setting(interface, "ip unnumbered") == "<outside-interface>"
        assert setting(interface, "tunnel protection ipsec policy ipv4") == f"{GATEWAY}-{instance}-selectors"
        acl = block(text, f"ip access-list extended {GATEWAY}-{instance}-selectors")
        # A policy-based site reaches the hub VNet only (no transit): one pair.
        assert len(acl) == len(config.site_prefixes) * len(config.azure_prefixes) == 1
        assert " permit ip 10.31.0.0 0.0.0.255 10.10.0.0 0.0.255.255" in acl
    assert "multi-SA VTI (IOS XE 16.12 and later)" in text
    # Its policy: AES256/SHA256/DHGroup14 for IKE, AES256 + SHA256 with PFS2048 (group 14) for ESP, 3600 s.
    assert proposal(text) == [" encryption aes-cbc-256", " integrity sha256", " group 14"]
    assert f"crypto ipsec transform-set {GATEWAY} esp-aes 256 esp-sha256-hmac" in text
    assert text.count(" set pfs group14") == 2 and text.count(" set security-association lifetime seconds 3600") == 2


def test_a_static_route_based_site_has_no_selectors():
    text = render("shop-oslo", connection={"usePolicyBasedTrafficSelectors": False})["shop-oslo.ios"]
    assert "selectors" not in text and "ipsec policy" not in text
    assert "ip route 10.10.0.0 255.255.0.0 Tunnel101" in text


def test_a_policy_based_bgp_site_also_pairs_the_bgp_addresses_of_each_tunnel():
    text = render("shop-lisbon", connection={"usePolicyBasedTrafficSelectors": True,
                                             "ipsecPolicy": STRONG_POLICY})["shop-lisbon.ios"]
    first, second = (block(text, f"ip access-list extended {GATEWAY}-{instance}-selectors") for instance in (0, 1))
    assert " permit ip host 192.168.32.1 host 10.10.0.4" in first
    assert " permit ip host 192.168.32.1 host 10.10.0.5" in second
    assert " permit ip host 192.168.32.1 host 10.10.0.5" not in first


def test_without_a_capture_azure_s_addresses_are_the_named_placeholders():
    text = render("shop-lisbon", outputs=None)["shop-lisbon.ios"]
    assert "Fill in <azure-instance-0-public-ip>, <azure-instance-0-bgp-ip>" in text
    assert setting(block(text, "interface Tunnel100"), "tunnel destination") == "<azure-instance-0-public-ip>"
    assert setting(block(text, "interface Tunnel101"), "tunnel destination") == "<azure-instance-1-public-ip>"
    assert "  address <azure-instance-1-public-ip>" in text
    assert " match identity remote address <azure-instance-0-public-ip> 255.255.255.255" in text
    assert "ip route <azure-instance-0-bgp-ip> 255.255.255.255 Tunnel100" in text
    assert " neighbor <azure-instance-1-bgp-ip> remote-as 65515" in text
    # An APIPA site's Azure BGP addresses are its spec's own: only the public IPs are placeholders.
    frankfurt = render("dc-frankfurt", outputs=None)["dc-frankfurt-fra-edge1.ios"]
    assert "<azure-instance-0-public-ip>" in frankfurt and "bgp-ip>" not in frankfurt
    assert " neighbor 169.254.22.2 remote-as 65515" in frankfurt


def test_every_file_names_the_placeholders_the_user_fills_in_and_the_example_it_follows():
    for site in BRANCH:
        for name, text in render(site).items():
            assert text.startswith("! Cisco IOS-XE configuration of VPN device")
            assert cisco_iosxe.SOURCE in text and "Azure-vpn-config-samples" in text
            assert "replacing <outside-interface>" in text and "Shared key: ${VPN_SHARED_KEY_" in text
            assert all(line.startswith(("!", " ")) or line.split()[0] in
                       ("crypto", "interface", "ip", "router", "route-map") for line in text.splitlines()), name


def test_connection_mode_and_identity_follow_the_spec():
    initiator_only = render("shop-oslo", connection={"connectionMode": "InitiatorOnly"})["shop-oslo.ios"]
    assert "connectionMode InitiatorOnly" in initiator_only
    assert "InitiatorOnly" not in render("shop-oslo", connection={"connectionMode": "ResponderOnly"})["shop-oslo.ios"]
    by_name = render("shop-oslo", branch={"gatewayIpAddress": None, "fqdn": "vpn.oslo.example"})
    assert " identity local fqdn vpn.oslo.example" in by_name["shop-oslo.ios"]


# --- each of Azure's algorithm names ---------------------------------------------------------------------------


@pytest.mark.parametrize("azure, keyword", [("GCMAES256", "aes-gcm-256"), ("GCMAES128", "aes-gcm-128"),
                                            ("AES256", "aes-cbc-256"), ("AES192", "aes-cbc-192"),
                                            ("AES128", "aes-cbc-128")])
def test_ike_encryption(azure, keyword):
    assert proposal(with_policy(ikeEncryption=azure))[0] == f" encryption {keyword}"


@pytest.mark.parametrize("encryption, role", [("AES256", "integrity"), ("GCMAES256", "prf")])
@pytest.mark.parametrize("azure, keyword", [("SHA384", "sha384"), ("SHA256", "sha256"), ("SHA1", "sha1"),
                                            ("MD5", "md5")])
def test_ike_integrity_is_the_prf_only_with_gcm(encryption, role, azure, keyword):
    lines = proposal(with_policy(ikeEncryption=encryption, ikeIntegrity=azure))
    assert lines[1:] == [f" {role} {keyword}", " group 14"]


@pytest.mark.parametrize("azure, group", [("DHGroup24", 24), ("ECP384", 20), ("ECP256", 19), ("DHGroup14", 14),
                                          ("DHGroup2048", 14), ("DHGroup2", 2), ("DHGroup1", 1)])
def test_dh_group(azure, group):
    assert proposal(with_policy(dhGroup=azure))[2:] == [f" group {group}"]


@pytest.mark.parametrize("azure, transforms", [("GCMAES256", "esp-gcm 256"), ("GCMAES128", "esp-gcm 128"),
                                               ("AES256", "esp-aes 256 esp-sha256-hmac"),
                                               ("AES192", "esp-aes 192 esp-sha256-hmac"),
                                               ("AES128", "esp-aes 128 esp-sha256-hmac"),
                                               ("DES3", "esp-3des esp-sha256-hmac"), ("DES", "esp-des esp-sha256-hmac"),
                                               ("None", "esp-null esp-sha256-hmac")])
def test_ipsec_encryption_with_gcm_needing_no_separate_integrity(azure, transforms):
    integrity = azure if azure.startswith("GCM") else "SHA256"  # Azure's rule: GCM pairs with the same GCM
    text = with_policy(ipsecEncryption=azure, ipsecIntegrity=integrity)
    assert f"crypto ipsec transform-set {GATEWAY} {transforms}\n mode tunnel\n" in text


@pytest.mark.parametrize("azure, keyword", [("SHA256", "esp-sha256-hmac"), ("SHA1", "esp-sha-hmac"),
                                            ("MD5", "esp-md5-hmac")])
def test_ipsec_integrity(azure, keyword):
    assert f"crypto ipsec transform-set {GATEWAY} esp-aes 256 {keyword}\n" in with_policy(ipsecIntegrity=azure)


@pytest.mark.parametrize("azure, group", [("PFS24", 24), ("ECP384", 20), ("ECP256", 19), ("PFS2048", 14), ("PFS2", 2),
                                          ("PFS1", 1), ("None", None)])
def test_pfs_group_in_each_ipsec_profile(azure, group):
    text = with_policy(pfsGroup=azure)
    for instance in (0, 1):
        profile = block(text, f"crypto ipsec profile {GATEWAY}-{instance}")
        assert [line for line in profile if "pfs" in line] == ([f" set pfs group{group}"] if group else [])


def test_sa_lifetimes_in_each_ipsec_profile():
    text = with_policy(saLifeTimeSeconds=2592000, saDataSizeKilobytes=2560)
    for instance in (0, 1):
        profile = block(text, f"crypto ipsec profile {GATEWAY}-{instance}")
        assert setting(profile, "set security-association lifetime seconds") == "2592000"
        assert setting(profile, "set security-association lifetime kilobytes") == "2560"


@pytest.mark.parametrize("changes, keyword", [
    ({"dhGroup": "DHGroup2"}, "group 2"), ({"dhGroup": "DHGroup1"}, "group 1"), ({"dhGroup": "DHGroup24"}, "group 24"),
    ({"ikeIntegrity": "MD5"}, "integrity md5"), ({"ikeEncryption": "GCMAES256", "ikeIntegrity": "MD5"}, "prf md5"),
    ({"ipsecEncryption": "DES3"}, "esp-3des"), ({"ipsecEncryption": "DES"}, "esp-des"),
    ({"ipsecEncryption": "None"}, "esp-null"), ({"ipsecIntegrity": "MD5"}, "esp-md5-hmac"),
    ({"pfsGroup": "PFS2"}, "set pfs group2"), ({"pfsGroup": "PFS24"}, "set pfs group24")])
def test_algorithms_ios_xe_17_11_refuses_by_default_are_named_with_the_way_out(changes, keyword):
    text = with_policy(**changes)
    [note] = [line for line in text.splitlines() if line.startswith("! IOS XE 17.11.1 and later refuse")]
    assert f"refuse {keyword} by default" in note and "fn72510" in note
    assert "crypto engine compliance shield disable" in text
    assert "compliance shield" not in with_policy()  # the strong policy needs none


# --- refusals ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("changes, setting_named, alternative", [
    ({"dhGroup": "None"}, "dhGroup None", "ECP384, DHGroup14"),
    ({"ipsecEncryption": "GCMAES192", "ipsecIntegrity": "GCMAES192"}, "ipsecEncryption GCMAES192", "use GCMAES256"),
    ({"saLifeTimeSeconds": 2592001}, "saLifeTimeSeconds 2592001", "120 to 2592000"),
    ({"saDataSizeKilobytes": 2559}, "saDataSizeKilobytes 2559", "2560 to 4294967295"),
])
def test_a_setting_ios_xe_cannot_express_is_refused_naming_it_and_the_alternative(changes, setting_named, alternative):
    with pytest.raises(devices.DeviceConfigError) as refused:
        with_policy(**changes)
    assert setting_named in str(refused.value) and alternative in str(refused.value)
