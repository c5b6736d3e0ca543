"""Measure what users wait for, and record it in bench/results.md (`make bench`).

- spec -> files in memory (load, schema, rules, render) for each example;
- `gen build` of the seed: one `bicep jsonrpc` process for compile, params and format;
- the same checks as separate `bicep build` / `bicep lint` / `bicep format` processes, and
  `az bicep build`: why gen and its tests drive the compiler through jsonrpc.
Timings are wall-clock medians on the machine it runs on; numbers, not assertions.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator import compiler, output, pipeline  # noqa: E402


def median_seconds(function, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def large_spec() -> dict:
    """10 circuits and 30 VNet branches: 300 transit pairs traced for the generated README."""
    data = json.loads((ROOT / "examples" / "seed-b2b-azfw.json").read_text())
    data["hub"]["expressRouteGateway"]["sku"] = "ErGw3AZ"
    data["hub"]["vpnGateway"]["sku"] = "VpnGw4AZ"
    data["onPremises"] = [
        {"name": f"dc{i}", "addressPrefixes": [f"172.{16 + i}.0.0/16"],
         "expressRouteCircuitId": f"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/expressRouteCircuits/c{i}"}
        for i in range(10)
    ]
    data["branches"] = [
        {"name": f"b{i}", "kind": "vnet",
         "vnet": {"name": f"vnet-b{i}", "addressSpace": [f"10.{100 + i}.0.0/16"],
                  "subnets": [{"name": "GatewaySubnet", "prefix": f"10.{100 + i}.0.0/27"}, {"name": "app", "prefix": f"10.{100 + i}.1.0/24"}]},
         "vpnGateway": {"name": f"vpngw-b{i}", "sku": "VpnGw1AZ", "asn": 65001 + i}}
        for i in range(30)
    ]
    return data


def main() -> int:
    rows = []
    work = Path(tempfile.mkdtemp(prefix="gen-bench-"))
    (work / "large.json").write_text(json.dumps(large_spec()))
    for label, path in (("seed-b2b-azfw.json", ROOT / "examples" / "seed-b2b-azfw.json"),
                        ("multi-site.json", ROOT / "examples" / "multi-site.json"),
                        ("10 circuits x 30 VNet branches", work / "large.json")):
        analysis = pipeline.analyse(path)
        assert analysis.clean, analysis.errors
        seconds = median_seconds(lambda: pipeline.render_files(pipeline.analyse(path)), 10)
        rows.append((f"validate + render {label} (in memory)", "10", seconds))

    try:
        seed = work / "seed"
        output.write(pipeline.render_files(pipeline.analyse(ROOT / "examples" / "seed-b2b-azfw.json")), seed)
        rows.append(("`gen build` seed (one bicep jsonrpc process)", "3", median_seconds(lambda: compiler.build(seed), 3)))
        bicep = compiler.find_bicep()
        bicep_files = [*seed.glob("*.bicep"), *seed.glob("modules/*.bicep")]

        def separate_processes():
            subprocess.run([bicep, "build", str(seed / "main.bicep"), "--stdout"], capture_output=True, check=True)
            subprocess.run([bicep, "lint", str(seed / "main.bicep")], capture_output=True, check=True)
            for file in bicep_files:
                subprocess.run([bicep, "format", str(file), "--stdout"], capture_output=True, check=True)

        rows.append((f"same checks as {2 + len(bicep_files)} separate bicep processes", "1", median_seconds(separate_processes, 1)))
        az = shutil.which("az")
        if az:
            env = {**os.environ, "AZURE_BICEP_USE_BINARY_FROM_PATH": "true", "AZURE_BICEP_CHECK_VERSION": "false",
                   "PATH": str(Path(bicep).parent) + os.pathsep + os.environ["PATH"]}
            rows.append(("`az bicep build` seed", "1", median_seconds(
                lambda: subprocess.run([az, "bicep", "build", "--file", str(seed / "main.bicep"), "--stdout"], capture_output=True, check=True, env=env), 1)))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    lines = [
        "# Benchmarks",
        "",
        f"Recorded by `make bench` (scripts/bench.py) on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {compiler.describe()}. Wall-clock medians.",
        "",
        "| what | runs | median |",
        "|---|---|---|",
    ]
    lines += [f"| {what} | {runs} | {seconds * 1000:.0f} ms |" for what, runs, seconds in rows]
    text = "\n".join(lines) + "\n"
    (ROOT / "bench").mkdir(exist_ok=True)
    (ROOT / "bench" / "results.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
