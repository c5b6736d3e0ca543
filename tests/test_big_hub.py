"""A hub of 100 branches, as a reviewer reads it: a README of a few hundred lines that still shows every exception, and
the complete transit and routes in CSV files beside it that `gen trace` and `gen routes` agree with."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from generator import model, routing, tables
from generator.cli import main
from parsers import mermaid_blocks, parse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import bench  # noqa: E402  (the 100-branch spec the bench measures)


def _render(tmp_path: Path, data: dict) -> Path:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(data, indent=2))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["render", str(spec), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_a_hundred_branches_fit_a_readme_a_reviewer_reads(tmp_path):
    out = _render(tmp_path, bench.branches_spec(100))
    readme = (out / "README.md").read_text()
    assert len(readme.splitlines()) < 400
    # The transit by class, and every flow that is not inspected named with where it goes
    assert "| on-premises | VNet branch | 100 | delivered, inspected both ways, allowed by rule 'allow-all'" in readme
    assert "| hub/subnet-001 | delivered, NOT inspected | every VNet branch (100) |" in readme
    assert "| hub/subnet-001 | delivered, NOT inspected | onprem |" in readme
    assert "Branch to branch: 4950 pairs, too many to list" in readme
    # What gets deployed and the secrets: the first rows, then how many more
    assert "| 79 more branches | b21, b22, b23, b24, b25, b26, b27, b28, b29, b30 and 69 more |" in readme
    assert "| VirtualAppliance 10.0.3.4 | 101 |" in readme  # the GatewaySubnet table by next hop
    assert "201 × Microsoft.Network/connections" in readme and "`gen plan` lists each" in readme
    assert "| 100 branch VPN gateways (b0, b1, b2, ...) | VpnGw1AZ | 73,000 hours |" in readme  # the cost, one line
    # The diagram draws a dozen branches and one node for the rest, and Mermaid parses it
    diagram = mermaid_blocks(readme)[0]
    assert "branch_b11[" in diagram and "branch_b12[" not in diagram and '"88 more<br/>88 VNet branches' in diagram
    verdict = parse("mermaid", {"100 branches": diagram}, tmp_path / "mermaid")["100 branches"]
    assert verdict["ok"], verdict


def test_the_files_beside_the_readme_hold_every_flow_and_route_that_gen_trace_and_routes_give(tmp_path):
    data = bench.branches_spec(100)
    out = _render(tmp_path, data)
    t = model.build(data)
    flows = _rows((out / tables.TRANSIT_FILE).read_text())
    assert len(flows) == 201  # 100 on-premises -> branch, 101 from the hub subnet; branch pairs: gen trace
    b99 = next(f for f in flows if f["to"] == "b99" and f["from"] == "onprem")
    traced = routing.trace(t, b99["from_ip"], b99["to_ip"])
    assert (b99["verdict"], b99["inspected"]) == (traced.verdict, "yes" if traced.inspected else "no")
    assert b99["path_forward"] == traced.forward_path.text and b99["path_return"] == traced.return_path.text
    routes = _rows((out / tables.ROUTES_FILE).read_text())
    at_b99 = [(r["prefix"], r["next_hop"], r["effective"]) for r in routes if r["hop"] == "branch:b99"]
    expected = routing.effective_routes(t)["branch:b99"]
    assert at_b99 == [(r.prefix, r.next_hop, "yes" if r.effective else "no") for r in expected]
    assert ("10.100.98.0/24", "vpngw-b99", "yes") in at_b99  # a branch learns every other branch's prefix


def test_the_deploy_loop_reads_every_key_into_the_environment(tmp_path):
    out = _render(tmp_path, bench.branches_spec(40))
    readme = (out / "README.md").read_text()
    block = readme.split("```sh\n", 1)[1].split("az bicep upgrade", 1)[0]
    assert block.startswith("for name in \\\n")
    keys = "".join(f"key-{i}\n" for i in range(40))
    script = block + 'env | grep "^VPN_SHARED_KEY_" | sort -V\necho "value=${value-unset}"\n'
    result = subprocess.run(["bash", "-c", script], input=keys, capture_output=True, text=True, timeout=30,
                            env={"PATH": os.environ["PATH"]})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:40] == [f"VPN_SHARED_KEY_B{i}=key-{i}" for i in range(40)]
    assert lines[-1] == "value=unset"  # the last key read does not stay in a shell variable


def test_a_small_hub_keeps_every_flow_in_the_readme():
    from conftest import render_data  # the seed, rendered in process

    data = json.loads((ROOT / "examples" / "seed-b2b-azfw.json").read_text())
    files = render_data(data)
    assert "| onprem (10.20.0.4) | branch1 (10.50.1.4) |" in files["README.md"]
    assert "by class of endpoints" not in files["README.md"]
    assert [f["to"] for f in _rows(files[tables.TRANSIT_FILE])] == ["branch1", "onprem", "branch1"]


def test_a_csv_cell_never_starts_a_spreadsheet_formula():
    from generator.routing import RouteEntry

    text = tables.routes_csv({"hub-vnet": [RouteEntry("10.0.0.0/16", "=HYPERLINK(\"http://x\")", "VnetLocal", "@SUM(1)"),
                                           RouteEntry("10.1.0.0/16", "-2+3", "VnetLocal", "+cmd|' /C calc'!A0")]})
    rows = _rows(text)
    assert [r["next_hop"] for r in rows] == ["'=HYPERLINK(\"http://x\")", "'-2+3"]
    assert [r["source"] for r in rows] == ["'@SUM(1)", "'+cmd|' /C calc'!A0"]
    assert rows[0]["prefix"] == "10.0.0.0/16"  # everything else as it is


def test_sites_and_spokes_by_the_dozen_keep_the_readme_readable(tmp_path):
    """Forty two-device sites and forty spokes (each with a route table): every table cut, a loop for the devices."""
    data = bench.sites_spec(40)
    for site in data["branches"]:
        base = site["bgp"]["peeringAddress"].rsplit(".", 1)[0]
        site["devices"] = [{"name": "e1", "gatewayIpAddress": site.pop("gatewayIpAddress"),
                            "bgp": {"asn": site["bgp"]["asn"], "peeringAddress": f"{base}.1"}},
                           {"name": "e2", "gatewayIpAddress": f"203.0.113.{1 + int(base.split('.')[2]) % 250}",
                            "bgp": {"asn": site.pop("bgp")["asn"], "peeringAddress": f"{base}.2"}}]
    data["hub"]["vpnGateway"]["sku"] = "VpnGw4AZ"  # 80 tunnels
    data["spokes"] = [{"name": f"sp{i}", "vnet": {"name": f"vnet-sp{i}", "addressSpace": [f"10.{200 + i // 50}.{i % 50}.0/24"],
                       "subnets": [{"name": "app", "prefix": f"10.{200 + i // 50}.{i % 50}.0/25"}]}} for i in range(40)]
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(data))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["render", str(spec), "-o", str(out)])
    assert result.exit_code == 0, result.output
    readme = (out / "README.md").read_text()
    table_rows: dict[str, int] = {}
    section = ""
    for line in readme.splitlines():
        if line.startswith("## "):
            section = line
        elif line.startswith("|") and not line.startswith("|---"):
            table_rows[section] = table_rows.get(section, 0) + 1
    assert max(table_rows.values()) <= 2 * tables.README_ROWS, table_rows
    assert len(readme.splitlines()) < 700
    assert "### The VPN devices of the other 30 sites" in readme and "site39" in readme.split("for site in", 1)[1]
    assert "more route tables" in readme
