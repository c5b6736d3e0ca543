"""Write the reviewed device configurations of the vpn-sites example (tests/fixtures/device-configs/<vendor>/).

Each vendor's files for every site of examples/vpn-sites.json, with Azure's addresses as a deployment would
report them (the lab's: tests/vpn_lab.py). tests/test_device_config.py fails when gen writes anything else:
a change to a vendor's output is reviewed as a change to these files. Run with `make device-configs`
(or `python scripts/update_device_configs.py [VENDOR...]`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator import devices, model  # noqa: E402

SPEC = ROOT / "examples" / "vpn-sites.json"
GOLDEN = ROOT / "tests" / "fixtures" / "device-configs"
# What the lab's stand-in deployment reports (tests/vpn_lab.py): the instances' public IPs and default BGP addresses.
OUTPUTS = {"hubVpnGatewayPublicIpAddresses": ["192.0.2.10", "192.0.2.11"], "hubVpnGatewayBgpPeeringAddress": "10.10.0.4,10.10.0.5"}


def expected(vendor: str) -> dict[str, str]:
    """File name -> content, for every site of the example; a site the vendor refuses gets a .refused file."""
    topology = model.build(json.loads(SPEC.read_text()))
    azure = devices.azure_side(topology, OUTPUTS, "the deployment outputs (hubVpnGatewayPublicIpAddresses, hubVpnGatewayBgpPeeringAddress)")
    found = {}
    for site in topology.site_branches:
        try:
            found.update(devices.render(devices.site_config(topology, site.name, azure), vendor))
        except devices.DeviceConfigError as exc:
            found[f"{site.name}.refused"] = f"{exc}\n"
    return found


def main(vendors: list[str]) -> int:
    for vendor in vendors or list(devices.VENDORS):
        directory = GOLDEN / vendor
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.iterdir():
            stale.unlink()
        for name, text in expected(vendor).items():
            (directory / name).write_text(text)
        print(f"{directory.relative_to(ROOT)}: {', '.join(sorted(p.name for p in directory.iterdir()))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
