"""gen device-config: what each vendor's file says, and, for strongSwan + FRR, that it comes up.

The lab test runs the generated swanctl.conf and frr.conf unchanged in network namespaces against A STAND-IN FOR
AZURE (tests/vpn_lab.py: two namespaces playing the hub gateway's instances, configured from the parameters gen
renders for the deployment). It proves that the two halves gen writes agree; it is not Azure.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys

import pytest

import vpn_lab
from conftest import EXAMPLES, ROOT, load_example
from generator import devices, model
from test_cli import run, write_spec

VPN_SITES = EXAMPLES / "vpn-sites.json"
sys.path.insert(0, str(ROOT / "scripts"))


def topology():
    return model.build(load_example(VPN_SITES))


def config(site: str, outputs: dict | None = None):
    t = topology()
    return devices.site_config(t, site, devices.azure_side(t, outputs, "test"))


# --- what the files say --------------------------------------------------------------------------------------


def test_a_two_device_apipa_site_gets_files_per_device_with_both_tunnels_and_its_policy():
    files = devices.render(config("dc-frankfurt"), "strongswan")
    assert sorted(files) == ["dc-frankfurt-fra-edge1.frr.conf", "dc-frankfurt-fra-edge1.swanctl.conf",
                             "dc-frankfurt-fra-edge2.frr.conf", "dc-frankfurt-fra-edge2.swanctl.conf"]
    swanctl = files["dc-frankfurt-fra-edge2.swanctl.conf"]
    assert swanctl.count("proposals = aes256gcm16-prfsha384-ecp384") == 2  # GCM IKE: SHA384 is the PRF
    assert swanctl.count("esp_proposals = aes256gcm16-ecp384") == 2  # GCM ESP: no integrity; PFS ECP384
    assert "local_ts = 10.30.0.0/16, 169.254.22.1/32" in swanctl
    assert "169.254.21.2/32" in swanctl and "169.254.22.2/32" in swanctl  # each instance's custom APIPA address
    assert 'secret = "${VPN_SHARED_KEY_DC_FRANKFURT}"' in swanctl  # the variable the deployment reads
    frr = files["dc-frankfurt-fra-edge2.frr.conf"]
    assert "router bgp 65030" in frr and "neighbor AZURE remote-as 65515" in frr
    assert "neighbor 169.254.21.2 peer-group AZURE" in frr and "neighbor 169.254.22.2 peer-group AZURE" in frr
    assert "passive" not in frr  # with APIPA the device opens BGP: Azure does not
    assert "maximum-paths 2" in frr
    assert "ip prefix-list SITE seq 5 permit 10.30.0.0/16" in frr


def test_without_a_capture_azure_s_addresses_are_named_placeholders_and_with_one_they_are_filled():
    placeholders = config("shop-lisbon")
    assert placeholders.placeholders == ("<azure-instance-0-public-ip>", "<azure-instance-0-bgp-ip>",
                                         "<azure-instance-1-public-ip>", "<azure-instance-1-bgp-ip>")
    outputs = {"hubVpnGatewayPublicIpAddresses": ["192.0.2.10", "192.0.2.11"], "hubVpnGatewayBgpPeeringAddress": "10.10.0.4,10.10.0.5"}
    filled = config("shop-lisbon", outputs)
    assert filled.placeholders == ()
    files = devices.render(filled, "strongswan")
    assert "remote_addrs = 192.0.2.11" in files["shop-lisbon.swanctl.conf"]
    assert "neighbor 10.10.0.5 peer-group AZURE" in files["shop-lisbon.frr.conf"]
    # Azure's defaults: one of its offers, and the file says the group is weak.
    assert "proposals = aes256-sha256-modp1024" in files["shop-lisbon.swanctl.conf"]
    assert "DH group 2, 1024-bit, is weak" in files["shop-lisbon.swanctl.conf"]


def test_a_static_policy_based_site_gets_tunnels_without_bgp():
    files = devices.render(config("shop-oslo"), "strongswan")
    assert sorted(files) == ["shop-oslo.swanctl.conf"]
    swanctl = files["shop-oslo.swanctl.conf"]
    assert "local_ts = 10.31.0.0/24\n" in swanctl and "/32" not in swanctl.split("connections {")[1]
    assert "proposals = aes256-sha256-modp2048" in swanctl and "esp_proposals = aes256-sha256-modp2048" in swanctl
    assert "life_time = 3600s" in swanctl


def test_a_setting_strongswan_cannot_propose_is_refused():
    data = load_example(VPN_SITES)
    data["branches"][1]["connection"]["ipsecPolicy"]["dhGroup"] = "None"
    t = model.build(data)
    with pytest.raises(devices.DeviceConfigError, match="dhGroup None"):
        devices.render(devices.site_config(t, "shop-oslo", devices.azure_side(t, None, "test")), "strongswan")


def test_cli_prints_writes_refuses_and_says_what_to_fill_in(tmp_path):
    spec = write_spec(tmp_path, load_example(VPN_SITES))
    printed = run("device-config", spec, "shop-lisbon", "--vendor", "strongswan")
    assert printed.exit_code == 0 and "# ==> shop-lisbon.swanctl.conf <==" in printed.output
    target = tmp_path / "devices"
    assert run("device-config", spec, "shop-lisbon", "--vendor", "strongswan", "-o", target).exit_code == 0
    assert sorted(p.name for p in target.iterdir()) == ["shop-lisbon.frr.conf", "shop-lisbon.swanctl.conf"]
    again = run("device-config", spec, "shop-lisbon", "--vendor", "strongswan", "-o", target)
    assert again.exit_code == 2 and "--force" in again.stderr
    assert run("device-config", spec, "shop-lisbon", "--vendor", "strongswan", "-o", target, "--force").exit_code == 0
    unknown = run("device-config", spec, "shop-rome", "--vendor", "strongswan")
    assert unknown.exit_code == 2 and "dc-frankfurt, shop-oslo, shop-lisbon" in unknown.stderr
    capture = vpn_lab.write_capture(tmp_path / "capture", topology())
    filled = run("device-config", spec, "shop-lisbon", "--vendor", "strongswan", "--capture", capture)
    assert filled.exit_code == 0 and "remote_addrs = 192.0.2.10" in filled.output and "<azure-instance" not in filled.output


def test_cli_refuses_a_spec_with_errors(tmp_path):
    data = load_example(VPN_SITES)
    data["hub"]["vpnGateway"]["customBgpIpAddresses"] = ["169.254.30.2", "169.254.22.2"]  # GW019
    result = run("device-config", write_spec(tmp_path, data), "dc-frankfurt", "--vendor", "strongswan")
    assert result.exit_code == 1 and "GW019" in result.output + result.stderr


# --- the lab: strongSwan + FRR against the stand-in -----------------------------------------------------------


@pytest.fixture
def lab(tmp_path):
    reason = vpn_lab.unavailable()
    if reason:
        message = f"NO VPN LAB: {reason}. The strongSwan + FRR test cannot run."
        if os.environ.get("GEN_ALLOW_NO_NETNS") == "1":
            pytest.skip(message + " (GEN_ALLOW_NO_NETNS=1 allows skipping it)")
        pytest.fail(message + " make test installs the packages; run as root, or set GEN_ALLOW_NO_NETNS=1 where "
                              "namespaces cannot be made (never in CI).", pytrace=False)
    built = vpn_lab.Lab(tmp_path / "lab")
    try:
        yield built
    finally:
        built.close()


@pytest.mark.parametrize("site", ["dc-frankfurt", "shop-lisbon", "shop-oslo"])
def test_the_generated_device_configuration_comes_up_against_the_stand_in(lab, tmp_path, site):
    """Every tunnel established, every BGP session Established, the site's prefixes on the Azure side and Azure's on
    the site, and a TCP connection from the site to a hub host through the tunnels."""
    t = topology()
    psk = secrets.token_hex(16)
    spec = write_spec(tmp_path, load_example(VPN_SITES))
    capture = vpn_lab.write_capture(tmp_path / "capture", t)
    out = tmp_path / "devices"
    assert run("device-config", spec, site, "--vendor", "strongswan", "--capture", capture, "-o", out).exit_code == 0
    config = devices.site_config(t, site, devices.azure_side(t, {k: v["value"] for k, v in vpn_lab.deployment_outputs(t).items()}, "lab"))

    # The Azure side: one namespace per instance.
    azure = []
    for number, instance in enumerate(vpn_lab.instance_configs(t, site, psk)):
        namespace = lab.namespace(f"az{number}")
        lab.attach(namespace, instance.public_ip)
        for address in instance.addresses:
            lab.sh(namespace, f"ip address add {address} dev lo")
        vpn_lab.listen(lab, namespace, vpn_lab.HUB_HOST, tmp_path / f"listen{number}.log")
        ipsec = lab.strongswan(namespace, f"azure{number}", instance.swanctl)
        routing = lab.frr(namespace, f"azure{number}-frr", instance.frr) if instance.frr else None
        azure.append((ipsec, routing))

    # The site: its device(s), each with the files gen wrote, the shared key substituted as the header says.
    site_side = []
    for number, device in enumerate(config.devices):
        namespace = lab.namespace(f"dev{number}")
        lab.attach(namespace, device.public_address)
        lab.sh(namespace, f"ip address add {config.site_prefixes[0].replace('.0/', '.1/').split('/')[0]}/32 dev lo")
        if device.bgp_address:
            lab.sh(namespace, f"ip address add {device.bgp_address}/32 dev lo")
        text = (out / f"{device.file_stem}.swanctl.conf").read_text()
        substituted = subprocess.run(["envsubst", f"${device.psk_env}"], input=text, capture_output=True, text=True, check=True,
                                     env={**os.environ, device.psk_env: psk}).stdout
        assert psk in substituted
        ipsec = lab.strongswan(namespace, f"device{number}", substituted)
        routing = lab.frr(namespace, f"device{number}-frr", (out / f"{device.file_stem}.frr.conf").read_text()) if device.bgp_asn else None
        site_side.append((namespace, device, ipsec, routing))

    for _, device, ipsec, _ in site_side:
        vpn_lab.wait_for(lambda: lab.installed_children(ipsec) >= len(device.tunnels), 45,
                         f"{device.name}: {len(device.tunnels)} tunnel(s) established")
    if config.bgp:
        for _, device, _, routing in site_side:
            def established():
                peers = lab.vtysh(routing, "show bgp summary json").get("ipv4Unicast", {}).get("peers", {})
                return len(peers) == len(device.tunnels) and all(p.get("state") == "Established" for p in peers.values()) and peers
            vpn_lab.wait_for(established, 60, f"{device.name}: every BGP session Established")
            learned = vpn_lab.wait_for(lambda: set(lab.vtysh(routing, "show ip bgp json").get("routes", {})) >= set(config.azure_prefixes)
                                       and lab.vtysh(routing, "show ip bgp json")["routes"], 30, f"{device.name}: Azure's prefixes learned")
            for prefix in config.azure_prefixes:  # from both instances: equal-cost paths
                assert len(learned[prefix]) == len(device.tunnels), prefix
        for instance, (_, routing) in enumerate(azure):
            routes = vpn_lab.wait_for(lambda: set(lab.vtysh(routing, "show ip bgp json").get("routes", {})) >= set(config.site_prefixes)
                                      and lab.vtysh(routing, "show ip bgp json")["routes"], 30, f"instance {instance}: the site's prefixes")
            assert len(routes[config.site_prefixes[0]]) == len(config.devices)  # from every device of the site
    for namespace, device, _, _ in site_side:
        # From the device's own BGP address where it has one: replies to the site's prefix may take another
        # device's tunnel, which in the lab leads to another namespace.
        source = device.bgp_address or config.site_prefixes[0].replace(".0/", ".1/").split("/")[0]
        vpn_lab.wait_for(lambda: vpn_lab.tcp_through(lab, namespace, source, vpn_lab.HUB_HOST), 20,
                         f"{device.name}: TCP from {source} to the hub host {vpn_lab.HUB_HOST} through a tunnel")


# --- every vendor: reviewed files, and the example it follows ---------------------------------------------------


@pytest.mark.parametrize("vendor", devices.VENDORS)
def test_each_vendor_writes_the_reviewed_files(vendor):
    """tests/fixtures/device-configs/<vendor>/ holds the reviewed output for the vpn-sites example (written by
    scripts/update_device_configs.py: `make device-configs`); anything else gen writes fails here."""
    import update_device_configs

    directory = update_device_configs.GOLDEN / vendor
    expected = update_device_configs.expected(vendor)
    assert sorted(p.name for p in directory.iterdir()) == sorted(expected), "run make device-configs and review the change"
    for name, text in expected.items():
        assert (directory / name).read_text() == text, f"{vendor}/{name} changed: run make device-configs and review it"
    assert not any(name.endswith(".refused") and "not written yet" in text for name, text in expected.items())


@pytest.mark.parametrize("vendor", devices.VENDORS)
def test_each_vendor_names_the_documented_example_it_follows(vendor):
    module = devices.vendor_module(vendor)
    assert "https://" in module.SOURCE or "Azure-vpn-config-samples" in module.SOURCE
    assert module.__doc__ and len(module.__doc__) > 200
    files = devices.render(config("shop-lisbon"), vendor)
    assert all(module.SOURCE in text for text in files.values())  # each file says where it comes from


def test_each_site_asks_for_its_own_shared_key():
    """Two sites, two variables: a config that asked for another site's key would bring up no tunnel."""
    topology = model.build(load_example(VPN_SITES))
    frankfurt = devices.site_config(topology, "dc-frankfurt", devices.AzureSide((None, None), (None, None), "none"))
    lisbon = devices.site_config(topology, "shop-lisbon", devices.AzureSide((None, None), (None, None), "none"))
    assert {d.psk_env for d in lisbon.devices} == {"VPN_SHARED_KEY_SHOP_LISBON"}
    assert {d.psk_env for d in frankfurt.devices} == {"VPN_SHARED_KEY_DC_FRANKFURT"}
    written = run("device-config", VPN_SITES, "shop-lisbon", "--vendor", "strongswan").output
    assert "${VPN_SHARED_KEY_SHOP_LISBON}" in written and "DC_FRANKFURT" not in written
