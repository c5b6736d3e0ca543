"""gen device-config --vendor fortios: the FortiOS CLI each site's FortiGate gets, read back as FortiOS nests it."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest

from conftest import EXAMPLES, load_example
from generator import devices, model
from generator.devices import fortios

VPN_SITES = EXAMPLES / "vpn-sites.json"
OUTPUTS = {"hubVpnGatewayPublicIpAddresses": ["192.0.2.10", "192.0.2.11"],
           "hubVpnGatewayBgpPeeringAddress": "10.10.0.4,10.10.0.5"}


def site_config(site: str, outputs: dict | None = OUTPUTS, data: dict | None = None):
    t = model.build(data or load_example(VPN_SITES))
    return devices.site_config(t, site, devices.azure_side(t, outputs, "test"))


def with_policy(site: str, **changes) -> dict:
    """The example with `changes` to `site`'s ipsecPolicy (spec names)."""
    data = copy.deepcopy(load_example(VPN_SITES))
    branch = next(b for b in data["branches"] if b["name"] == site)
    branch["connection"]["ipsecPolicy"].update(changes)
    return data


def parse(text: str) -> dict:
    """FortiOS CLI -> {"config path": {edit key: {"set": {name: value}, "config": {...}}}} for tables, or
    {"set": ..., "config": ...} for a `config` without edits. Fails on an unbalanced config/edit."""
    root: dict = {"set": {}, "config": {}}
    stack = [root]
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word == "config":
            block = {"set": {}, "config": {}, "edit": {}}
            stack[-1]["config"][rest] = block
            stack.append(block)
        elif word == "edit":
            entry = {"set": {}, "config": {}}
            table = stack[-1]["edit"]
            key = rest.strip('"')
            table[key if key != "0" else len(table)] = entry  # edit 0: the next free id
            stack.append(entry)
        elif word in ("next", "end"):
            assert len(stack) > 1, f"unbalanced {word}"
            stack.pop()
        elif word == "set":
            name, _, value = rest.partition(" ")
            stack[-1]["set"][name] = value
        else:
            raise AssertionError(f"not FortiOS CLI: {raw!r}")
    assert stack == [root], "a config or edit is not closed"
    return root["config"]


def parsed(config, stem: str) -> dict:
    return parse(devices.render(config, "fortios")[f"{stem}.fortios.conf"])


def edits(cli: dict, path: str) -> dict:
    return cli[path]["edit"]


def neighbors(cli: dict) -> dict:
    return cli["router bgp"]["config"]["neighbor"]["edit"]


# --- one file per device, one tunnel per instance -----------------------------------------------------------------


def test_a_two_device_apipa_site_gets_a_file_per_device_with_a_tunnel_to_each_instance():
    files = devices.render(site_config("dc-frankfurt"), "fortios")
    assert sorted(files) == ["dc-frankfurt-fra-edge1.fortios.conf", "dc-frankfurt-fra-edge2.fortios.conf"]
    for stem, address in (("dc-frankfurt-fra-edge1", "169.254.21.1"), ("dc-frankfurt-fra-edge2", "169.254.22.1")):
        cli = parse(files[f"{stem}.fortios.conf"])
        phase1 = edits(cli, "vpn ipsec phase1-interface")
        remote = {name: p["set"]["remote-gw"] for name, p in phase1.items()}
        assert remote == {"azure-0": "192.0.2.10", "azure-1": "192.0.2.11"}
        for p in phase1.values():
            assert p["set"]["ike-version"] == "2" and p["set"]["net-device"] == "disable"
            assert p["set"]["interface"] == '"<wan-interface>"'
            assert p["set"]["keylife"] == "28800"  # Azure's fixed IKE SA lifetime
            assert p["set"]["dpd"] == "on-idle"
            assert p["set"]["psksecret"] == '"${VPN_SHARED_KEY_DC_FRANKFURT}"'  # the variable the deployment reads
            assert p["set"]["proposal"] == "aes256gcm-prfsha384" and p["set"]["dhgrp"] == "20"
        phase2 = edits(cli, "vpn ipsec phase2-interface")
        assert {p["set"]["phase1name"] for p in phase2.values()} == {'"azure-0"', '"azure-1"'}
        for p in phase2.values():
            assert p["set"]["proposal"] == "aes256gcm" and p["set"]["pfs"] == "enable" and p["set"]["dhgrp"] == "20"
            assert p["set"]["keylifeseconds"] == "27000" and p["set"]["keylifekbs"] == "102400000"
            assert p["set"]["auto-negotiate"] == "enable"
            assert p["set"]["src-subnet"] == p["set"]["dst-subnet"] == "0.0.0.0 0.0.0.0"  # route-based: routes choose
        loopback = edits(cli, "system interface")["azure-bgp"]["set"]
        assert loopback["type"] == "loopback" and loopback["ip"] == f"{address} 255.255.255.255"


def test_bgp_runs_from_the_loopback_to_each_instance_over_its_own_tunnel():
    cli = parsed(site_config("dc-frankfurt"), "dc-frankfurt-fra-edge2")
    bgp = cli["router bgp"]
    assert bgp["set"]["as"] == "65030" and bgp["set"]["router-id"] == "169.254.22.1"
    assert bgp["set"]["ebgp-multipath"] == "enable"  # equal-cost over both tunnels
    assert sorted(neighbors(cli)) == ["169.254.21.2", "169.254.22.2"]  # the spec's APIPA address of each instance
    for neighbor in neighbors(cli).values():
        assert neighbor["set"]["remote-as"] == "65515"
        assert neighbor["set"]["ebgp-enforce-multihop"] == "enable"
        assert neighbor["set"]["update-source"] == '"azure-bgp"'
        assert neighbor["set"]["keep-alive-timer"] == "60" and neighbor["set"]["holdtime-timer"] == "180"
        assert "passive" not in neighbor["set"]  # with APIPA the device opens BGP: Azure does not
    routes = [r["set"] for r in edits(cli, "router static").values() if "device" in r["set"]]
    assert [(r["dst"], r["device"]) for r in routes] == [("169.254.21.2 255.255.255.255", '"azure-0"'),
                                                         ("169.254.22.2 255.255.255.255", '"azure-1"')]
    bgp_policy = next(p["set"] for p in edits(cli, "firewall policy").values() if p["set"]["name"] == '"azure-vpn-bgp"')
    # FortiOS drops traffic to a loopback address that no policy allows
    assert bgp_policy["dstintf"] == '"azure-bgp"' and bgp_policy["service"] == '"BGP"'


def test_bgp_advertises_exactly_the_site_prefixes_and_accepts_exactly_azure_s():
    config = site_config("shop-lisbon")
    cli = parsed(config, "shop-lisbon")
    lists = edits(cli, "router prefix-list")
    out = [r["set"]["prefix"] for r in lists["azure-vpn-out"]["config"]["rule"]["edit"].values()]
    into = [r["set"]["prefix"] for r in lists["azure-vpn-in"]["config"]["rule"]["edit"].values()]
    assert out == ["10.32.0.0 255.255.255.0"]
    assert into == [fortios.subnet(p) for p in config.azure_prefixes] and "10.10.0.0 255.255.0.0" in into
    bgp = cli["router bgp"]
    assert [n["set"]["prefix"] for n in bgp["config"]["network"]["edit"].values()] == ["10.32.0.0 255.255.255.0"]
    assert bgp["set"]["network-import-check"] == "disable"
    for neighbor in neighbors(cli).values():
        filters = (neighbor["set"]["prefix-list-out"], neighbor["set"]["prefix-list-in"])
        assert filters == ('"azure-vpn-out"', '"azure-vpn-in"')
    assert sorted(neighbors(cli)) == ["10.10.0.4", "10.10.0.5"]  # Azure's default BGP addresses


# --- static, policy-based -----------------------------------------------------------------------------------------


def test_a_static_policy_based_site_gets_a_phase2_per_prefix_pair_and_routes_through_both_tunnels():
    config = site_config("shop-oslo")
    cli = parsed(config, "shop-oslo")
    assert "router bgp" not in cli and "system interface" not in cli and "router prefix-list" not in cli
    phase2 = edits(cli, "vpn ipsec phase2-interface")
    for tunnel in ("azure-0", "azure-1"):
        pairs = [(p["set"]["src-subnet"], p["set"]["dst-subnet"])
                 for p in phase2.values() if p["set"]["phase1name"] == f'"{tunnel}"']
        assert pairs == [("10.31.0.0 255.255.255.0", fortios.subnet(p)) for p in config.azure_prefixes]
    for p in phase2.values():
        assert (p["set"]["proposal"], p["set"]["dhgrp"], p["set"]["keylifeseconds"]) == ("aes256-sha256", "14", "3600")
    for p in edits(cli, "vpn ipsec phase1-interface").values():
        assert p["set"]["proposal"] == "aes256-sha256" and p["set"]["dhgrp"] == "14"  # DHGroup14
    routes = [r["set"] for r in edits(cli, "router static").values()]
    through = {(r["dst"], r["device"]) for r in routes if "device" in r}
    assert through == {(fortios.subnet(p), f'"{t}"') for p in config.azure_prefixes for t in ("azure-0", "azure-1")}
    assert all("distance" not in r for r in routes if "device" in r)  # equal distance: ECMP over both tunnels
    blackholes = [r["dst"] for r in routes if r.get("blackhole") == "enable"]
    assert blackholes == [fortios.subnet(p) for p in config.azure_prefixes]
    assert all(r["distance"] == "254" for r in routes if "blackhole" in r)


def test_a_route_based_static_site_has_one_any_to_any_phase2_per_tunnel():
    cli = parsed(replace(site_config("shop-oslo"), policy_based=False), "shop-oslo")
    phase2 = edits(cli, "vpn ipsec phase2-interface")
    assert sorted(phase2) == ["azure-0", "azure-1"]
    assert all(p["set"]["src-subnet"] == "0.0.0.0 0.0.0.0" for p in phase2.values())


def test_policy_based_selectors_with_bgp_carry_the_bgp_addresses_too():
    cli = parsed(replace(site_config("shop-lisbon"), policy_based=True), "shop-lisbon")
    pairs = {(p["set"]["phase1name"], p["set"]["src-subnet"], p["set"]["dst-subnet"])
             for p in edits(cli, "vpn ipsec phase2-interface").values()}
    assert ('"azure-0"', "192.168.32.1 255.255.255.255", "10.10.0.4 255.255.255.255") in pairs
    assert ('"azure-1"', "192.168.32.1 255.255.255.255", "10.10.0.5 255.255.255.255") in pairs


def test_firewall_policies_allow_the_site_and_azure_both_ways_with_the_mss_clamp():
    cli = parsed(site_config("shop-oslo"), "shop-oslo")
    zone = edits(cli, "system zone")["azure-vpn"]["set"]
    assert zone["interface"] == '"azure-0" "azure-1"'
    policies = {p["set"]["name"]: p["set"] for p in edits(cli, "firewall policy").values()}
    assert sorted(policies) == ['"from-azure-vpn"', '"to-azure-vpn"']
    out, back = policies['"to-azure-vpn"'], policies['"from-azure-vpn"']
    assert (out["srcintf"], out["dstintf"]) == ('"<lan-interface>"', '"azure-vpn"')
    assert (back["srcintf"], back["dstintf"]) == ('"azure-vpn"', '"<lan-interface>"')
    for policy in (out, back):
        assert policy["tcp-mss-sender"] == policy["tcp-mss-receiver"] == "1350" and policy["action"] == "accept"
    def members(group: str) -> list[str]:
        names = edits(cli, "firewall addrgrp")[group]["set"]["member"].split()
        return [edits(cli, "firewall address")[name.strip('"')]["set"]["subnet"] for name in names]

    remote = members("azure-vpn-remote")
    assert "10.10.0.0 255.255.0.0" in remote and "10.31.0.0 255.255.255.0" not in remote  # not the site's own
    assert members("azure-vpn-local") == ["10.31.0.0 255.255.255.0"]


# --- placeholders, connection modes ---------------------------------------------------------------------------------


def test_without_a_capture_azure_s_addresses_are_named_placeholders():
    text = devices.render(site_config("shop-lisbon", outputs=None), "fortios")["shop-lisbon.fortios.conf"]
    cli = parse(text)
    assert [p["set"]["remote-gw"] for p in edits(cli, "vpn ipsec phase1-interface").values()] == [
        "<azure-instance-0-public-ip>", "<azure-instance-1-public-ip>"]
    assert sorted(neighbors(cli)) == ["<azure-instance-0-bgp-ip>", "<azure-instance-1-bgp-ip>"]
    assert "Fill in <azure-instance-0-public-ip>, <azure-instance-0-bgp-ip>" in text
    head = text.split("\n\n")[0]
    assert "<wan-interface>" in head and "<lan-interface>" in head  # the header names what the spec cannot
    assert "DH group 2, 1024-bit, is weak" in text  # Azure's default offer, said so
    apipa = parsed(site_config("dc-frankfurt", outputs=None), "dc-frankfurt-fra-edge1")
    assert sorted(neighbors(apipa)) == ["169.254.21.2", "169.254.22.2"]  # APIPA addresses: from the spec


def test_initiator_only_makes_the_device_wait_for_azure():
    waiting = parsed(with_mode(site_config("shop-oslo"), "InitiatorOnly"), "shop-oslo")
    assert all(p["set"]["passive-mode"] == "enable" for p in edits(waiting, "vpn ipsec phase1-interface").values())
    assert all(p["set"]["auto-negotiate"] == "disable" for p in edits(waiting, "vpn ipsec phase2-interface").values())
    for mode in ("Default", "ResponderOnly"):
        opening = parsed(with_mode(site_config("shop-oslo"), mode), "shop-oslo")
        assert all("passive-mode" not in p["set"] for p in edits(opening, "vpn ipsec phase1-interface").values())


def test_every_file_names_the_example_it_follows_and_stays_fortios_cli():
    for site in ("dc-frankfurt", "shop-oslo", "shop-lisbon"):
        for text in devices.render(site_config(site), "fortios").values():
            assert fortios.SOURCE in text and "Azure-vpn-config-samples" in fortios.SOURCE
            parse(text)  # every line a comment or FortiOS CLI, every config and edit closed


# --- each Azure algorithm, in FortiOS's keywords ------------------------------------------------------------------


def proposals(site: str = "shop-oslo", **policy) -> tuple[dict, dict]:
    cli = parsed(site_config(site, data=with_policy(site, **policy)), site)
    phase1 = next(iter(edits(cli, "vpn ipsec phase1-interface").values()))["set"]
    phase2 = next(iter(edits(cli, "vpn ipsec phase2-interface").values()))["set"]
    return phase1, phase2


@pytest.mark.parametrize("encryption, integrity, expected", [
    ("GCMAES256", "SHA384", "aes256gcm-prfsha384"), ("GCMAES256", "SHA256", "aes256gcm-prfsha256"),
    ("GCMAES128", "SHA256", "aes128gcm-prfsha256"), ("GCMAES128", "SHA1", "aes128gcm-prfsha1"),
    ("AES256", "SHA384", "aes256-sha384"), ("AES256", "SHA256", "aes256-sha256"), ("AES192", "SHA1", "aes192-sha1"),
    ("AES128", "SHA256", "aes128-sha256"), ("AES128", "MD5", "aes128-md5"),
])
def test_ike_encryption_and_integrity(encryption, integrity, expected):
    phase1, _ = proposals(ikeEncryption=encryption, ikeIntegrity=integrity)
    assert phase1["proposal"] == expected


@pytest.mark.parametrize("azure, group", [("DHGroup1", "1"), ("DHGroup2", "2"), ("DHGroup14", "14"),
                                          ("DHGroup2048", "14"), ("ECP256", "19"), ("ECP384", "20")])
def test_dh_groups(azure, group):
    phase1, _ = proposals(dhGroup=azure)
    assert phase1["dhgrp"] == group


@pytest.mark.parametrize("encryption, integrity, expected", [
    ("GCMAES256", "GCMAES256", "aes256gcm"), ("GCMAES128", "GCMAES128", "aes128gcm"),
    ("AES256", "SHA256", "aes256-sha256"), ("AES192", "SHA1", "aes192-sha1"), ("AES128", "MD5", "aes128-md5"),
    ("DES3", "SHA256", "3des-sha256"), ("DES", "SHA1", "des-sha1"), ("None", "SHA256", "null-sha256"),
])
def test_ipsec_encryption_and_integrity(encryption, integrity, expected):
    _, phase2 = proposals(ipsecEncryption=encryption, ipsecIntegrity=integrity)
    assert phase2["proposal"] == expected


@pytest.mark.parametrize("azure, group", [("PFS1", "1"), ("PFS2", "2"), ("PFS2048", "14"), ("ECP256", "19"),
                                          ("ECP384", "20")])
def test_pfs_groups(azure, group):
    _, phase2 = proposals(pfsGroup=azure)
    assert (phase2["pfs"], phase2["dhgrp"]) == ("enable", group)


def test_no_pfs_disables_it_explicitly():  # FortiOS enables PFS by default
    _, phase2 = proposals(pfsGroup="None")
    assert phase2["pfs"] == "disable" and "dhgrp" not in phase2


def test_sa_lifetimes_within_fortios_ranges():
    _, phase2 = proposals(saLifeTimeSeconds=172800, saDataSizeKilobytes=5120)
    assert (phase2["keylife-type"], phase2["keylifeseconds"], phase2["keylifekbs"]) == ("both", "172800", "5120")


# --- what FortiOS cannot express ------------------------------------------------------------------------------------


@pytest.mark.parametrize("policy, message", [
    ({"dhGroup": "DHGroup24"}, "dhGroup DHGroup24: FortiOS has no Diffie-Hellman group 24"),
    ({"pfsGroup": "PFS24"}, "pfsGroup PFS24: FortiOS has no Diffie-Hellman group 24"),
    ({"dhGroup": "None"}, "dhGroup None: IKEv2 needs a Diffie-Hellman group"),
    ({"ipsecEncryption": "GCMAES192", "ipsecIntegrity": "GCMAES192"},
     "ipsecEncryption GCMAES192: FortiOS has no AES-192-GCM"),
    ({"ikeEncryption": "GCMAES256", "ikeIntegrity": "MD5"}, "ikeIntegrity MD5 with ikeEncryption GCMAES256"),
    ({"saLifeTimeSeconds": 172801}, "saLifeTimeSeconds 172801: FortiOS's phase 2 keylifeseconds is 120-172800"),
    ({"saDataSizeKilobytes": 5119}, "saDataSizeKilobytes 5119: FortiOS's phase 2 keylifekbs is 5120-4294967295"),
])
def test_a_setting_fortios_cannot_express_is_refused_with_the_alternative(policy, message):
    with pytest.raises(devices.DeviceConfigError, match=message) as refused:
        devices.render(site_config("dc-frankfurt", data=with_policy("dc-frankfurt", **policy)), "fortios")
    assert "pick" in str(refused.value) or "set one in that range" in str(refused.value)


def with_mode(config, mode):
    """The site's devices with one connection mode (it is each device's connection's)."""
    return replace(config, devices=tuple(replace(d, connection_mode=mode) for d in config.devices))
