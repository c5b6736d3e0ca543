"""Measure what users wait for, and record it in bench/results.md (`make bench`).

Whole processes, the way a user or a CI job runs gen (`.venv/bin/gen`), against the Bicep
compiler's own start-up: numbers, not assertions (tests never time anything). Each figure the
project promises has its target next to it, and whether this run met it.

- `gen render` of the seed, cold (no cache) and warm (compiled templates and the schema verdict
  cached, the usual re-render), against one whole-process `bicep build` of the same output;
- how render time grows with the number of branches (10, 100, 400);
- many hubs in one call: `gen render --check` of N specs and `gen build` of N directories through
  one compiler process, against N separate calls.
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

from generator import compiler, pipeline  # noqa: E402

GEN = str(ROOT / ".venv" / "bin" / "gen")
SEED = ROOT / "examples" / "seed-b2b-azfw.json"


def median_ms(command: list[str], runs: int, env: dict, cwd: Path | None = None) -> float:
    """Median wall clock of `runs` runs, after two unmeasured ones (disk cache, bytecode)."""
    samples = []
    for _ in range(2):
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd, check=False)
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd, check=False)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def branches_spec(count: int) -> dict:
    """The seed with `count` VNet branches, each a /24 with its own gateway and ASN."""
    data = json.loads(SEED.read_text())
    data["hub"]["vpnGateway"]["sku"] = "VpnGw4AZ"
    data["branches"] = [
        {"name": f"b{i}", "kind": "vnet",
         "vnet": {"name": f"vnet-b{i}", "addressSpace": [f"10.{100 + i // 250}.{i % 250}.0/24"],
                  "subnets": [{"name": "GatewaySubnet", "prefix": f"10.{100 + i // 250}.{i % 250}.0/27"},
                              {"name": "app", "prefix": f"10.{100 + i // 250}.{i % 250}.128/25"}]},
         "vpnGateway": {"name": f"vpngw-b{i}", "sku": "VpnGw1AZ", "asn": 64512 + i}}
        for i in range(count)
    ]
    return data


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="gen-bench-"))
    # Bytecode as users have it (pip compiles it), and a cache of our own so "cold" and "warm" are known.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(XDG_CACHE_HOME=str(work / "cache"), PATH=f"{ROOT / '.tools' / 'bin'}{os.pathsep}{env['PATH']}")
    cold = {**env, "GEN_NO_CACHE": "1"}
    lines: list[str] = []
    try:
        seed_out = work / "seed"
        render_seed = [GEN, "render", str(SEED), "-o", str(seed_out), "--force"]
        subprocess.run(render_seed, env=env, check=True, capture_output=True)  # warms the cache, compiles bytecode
        warm_ms = median_ms(render_seed, 20, env)
        cold_ms = median_ms(render_seed, 20, cold)
        bicep = compiler.find_bicep() or str(ROOT / ".tools" / "bin" / "bicep")
        bicep_ms = median_ms([bicep, "build", str(seed_out / "main.bicep"), "--stdout"], 5, env)
        lines += [
            "## `gen render` of the seed against one `bicep build` of its output",
            "",
            "| whole process | runs | median | share of `bicep build` | target |",
            "|---|---|---|---|---|",
            f"| `bicep build main.bicep` (the seed's output) | 5 | {bicep_ms:.0f} ms | 100 % | |",
            f"| `gen render` seed, warm (templates and schema verdict cached) | 20 | {warm_ms:.0f} ms | "
            f"{100 * warm_ms / bicep_ms:.1f} % | ≤ 5 %: {'met' if warm_ms <= 0.05 * bicep_ms else 'NOT met'} |",
            f"| `gen render` seed, cold (`GEN_NO_CACHE=1`: first render of a spec) | 20 | {cold_ms:.0f} ms | "
            f"{100 * cold_ms / bicep_ms:.1f} % | |",
            "",
        ]

        rows = []
        for count in (10, 100, 400):
            path = work / f"branches-{count}.json"
            path.write_text(json.dumps(branches_spec(count)))
            analysis = pipeline.analyse(path)
            validate_ms = median_ms([GEN, "validate", str(path)], 5, env)
            if analysis.clean:
                command = [GEN, "render", str(path), "-o", str(work / f"out-{count}"), "--force"]
                subprocess.run(command, env=env, check=True, capture_output=True)
                render_cell = f"{median_ms(command, 5, env):.0f} ms"
                ratio = median_ms(command, 5, env) / warm_ms
                rows.append((count, f"{validate_ms:.0f} ms", render_cell, f"{ratio:.1f}×"))
            else:
                refused = ", ".join(sorted({f.rule_id for f in analysis.errors}))
                rows.append((count, f"{validate_ms:.0f} ms", f"refused ({refused}: above Azure's limits)", "–"))
        lines += [
            "## Growth with the number of VNet branches (whole process, warm)",
            "",
            "| branches | `gen validate` | `gen render` | render / seed render |",
            "|---|---|---|---|",
            *[f"| {count} | {v} | {r} | {ratio} |" for count, v, r, ratio in rows],
            "",
            "Target: 100 branches ≤ 3× the seed's render: "
            + ("met." if rows[1][3] != "–" and float(rows[1][3][:-1]) <= 3 else "NOT met."),
            "400 branches are above what one VPN gateway and one route table take (GW005, ARS003), so gen refuses",
            "to render them; `gen validate` shows the cost of checking such a spec.",
            "",
        ]

        hubs = 4
        specs, dirs = [], []
        for i in range(hubs):
            data = json.loads(SEED.read_text())
            data["name"] = f"hub{i}"
            path = work / f"hub{i}.json"
            path.write_text(json.dumps(data))
            subprocess.run([GEN, "render", str(path)], env=env, cwd=work, check=True, capture_output=True)  # out/hub<i>/
            specs.append(str(path))
            dirs.append(str(work / "out" / f"hub{i}"))
        check_one = median_ms([GEN, "render", "--check", specs[0]], 5, env, cwd=work)
        check_all = median_ms([GEN, "render", "--check", *specs], 5, env, cwd=work)
        build_one = median_ms([GEN, "build", dirs[0]], 3, env)
        build_all = median_ms([GEN, "build", *dirs], 3, env)
        lines += [
            f"## {hubs} hubs in one call",
            "",
            "| whole process | runs | median | the same as separate calls |",
            "|---|---|---|---|",
            f"| `gen render --check` of {hubs} specs | 5 | {check_all:.0f} ms | {hubs} × {check_one:.0f} ms = {hubs * check_one:.0f} ms |",
            f"| `gen build` of {hubs} directories (one compiler process) | 3 | {build_all:.0f} ms | "
            f"{hubs} × {build_one:.0f} ms = {hubs * build_one:.0f} ms |",
            "",
        ]
        rows = []
        for example in sorted((ROOT / "examples").glob("*.json")):
            done = subprocess.run([GEN, "plan", str(example), "--format", "json"], env=env, capture_output=True, text=True)
            planned = json.loads(done.stdout)
            ops = {op["key"]: op for op in planned["operations"]}
            path = " → ".join(ops[key]["name"] for key in planned["criticalPath"])
            total, serial = planned["criticalPathMinutes"], planned["serialMinutes"]
            rows.append(f"| {example.name} | {len(planned['waves'])} | {_hours(total)} | {_hours(serial)} | "
                        f"{100 * total / serial:.0f} % | {len(planned['conflicts'])} | {path} |")
        lines += [
            "## Deployment plans of the examples (`gen plan`)",
            "",
            "Typical durations from Microsoft's pages, estimates where none gives a figure (see `gen plan`);",
            "a first deployment, into an empty resource group.",
            "",
            "| example | waves | critical path | fully serial | ratio | conflicts | critical path |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    header = [
        "# Benchmarks",
        "",
        f"Recorded by `make bench` (scripts/bench.py) on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, Bicep {compiler_version()}. Wall-clock medians of whole processes;",
        "they move by tens of milliseconds from run to run on a shared machine.",
        "",
    ]
    text = "\n".join(header + lines)
    (ROOT / "bench").mkdir(exist_ok=True)
    (ROOT / "bench" / "results.md").write_text(text)
    print(text)
    return 0


def _hours(minutes: float) -> str:
    return f"{int(minutes // 60)} h {int(round(minutes % 60)):02d} min"


def compiler_version() -> str:
    bicep = compiler.find_bicep()
    if not bicep:
        return "(none)"
    said = subprocess.run([bicep, "--version"], capture_output=True, text=True).stdout
    return said.split("version")[-1].split("(")[0].strip() if "version" in said else said.strip()


if __name__ == "__main__":
    sys.exit(main())
