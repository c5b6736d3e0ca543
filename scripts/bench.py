"""Measure what users wait for, and record it in bench/results.md (`make bench`).

Whole processes, the way a user or a CI job runs gen (`.venv/bin/gen`), against the Bicep
compiler's own start-up: numbers, not assertions (tests never time anything). Each figure the
project promises has its target next to it, and whether this run met it.

- `gen render` of the seed, cold (no cache) and warm (compiled templates and the schema verdict
  cached, the usual re-render), against one whole-process `bicep build` of the same output;
- how render time grows with the number of branches (10, 100, 400);
- many hubs in one call: `gen render --check` of N specs and `gen build` of N directories through
  one compiler process, against N separate calls;
- `gen check` (the pull-request gate) of the seed and of four hubs, cold and warm compile cache, against
  one `bicep build`;
- `gen verify` and `gen import` of a 100-branch capture (written by tests/azure_standin.py, A STAND-IN FOR
  AZURE: what a healthy deployment of the compiled template would return), and `gen resilience`.
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
PYTHON = str(ROOT / ".venv" / "bin" / "python")
SEED = ROOT / "examples" / "seed-b2b-azfw.json"


def paired_ms(first: list[str], second: list[str], runs: int, env: dict) -> tuple[float, float]:
    """Medians of two commands run in turn, so that a ratio compares them under the same load."""
    a, b = [], []
    for _ in range(2):
        subprocess.run(first, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
        subprocess.run(second, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    for _ in range(runs):
        for command, samples in ((first, a), (second, b)):
            start = time.perf_counter()
            subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
            samples.append(time.perf_counter() - start)
    return statistics.median(a) * 1000, statistics.median(b) * 1000


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
        start_ms = median_ms([GEN, "--version"], 20, env)
        imports_ms = median_ms([PYTHON, "-c", "import generator.render, generator.cli"], 20, env)
        bicep = compiler.find_bicep() or str(ROOT / ".tools" / "bin" / "bicep")
        bicep_ms = median_ms([bicep, "build", str(seed_out / "main.bicep"), "--stdout"], 5, env)
        met = warm_ms <= 0.03 * bicep_ms
        lines += [
            "## `gen render` of the seed against one `bicep build` of its output",
            "",
            "| whole process | runs | median | share of `bicep build` | target |",
            "|---|---|---|---|---|",
            f"| `bicep build main.bicep` (the seed's output) | 5 | {bicep_ms:.0f} ms | 100 % | |",
            f"| `gen render` seed, warm (templates and schema verdict cached) | 20 | {warm_ms:.0f} ms | "
            f"{100 * warm_ms / bicep_ms:.1f} % | ≤ 3 %: {'met' if met else 'NOT met'} |",
            f"| `gen render` seed, cold (`GEN_NO_CACHE=1`: first render of a spec) | 20 | {cold_ms:.0f} ms | "
            f"{100 * cold_ms / bicep_ms:.1f} % | |",
            f"| `gen --version` (the interpreter and click, nothing else) | 20 | {start_ms:.0f} ms | "
            f"{100 * start_ms / bicep_ms:.1f} % | |",
            f"| `python -c 'import generator.render, generator.cli'` (start-up and every import render needs) | 20 | "
            f"{imports_ms:.0f} ms | {100 * imports_ms / bicep_ms:.1f} % | |",
            "",
        ]
        if not met:
            lines += [
                f"Not met: start-up and imports alone take {imports_ms:.0f} ms ({100 * imports_ms / bicep_ms:.1f} % of "
                f"`bicep build`), so a render that",
                f"does its work in {max(warm_ms - imports_ms, 0):.0f} ms cannot reach 3 % of a {bicep_ms:.0f} ms compile. "
                "The imports are what the output",
                "needs (jinja2, click, the routing model for the README's traces and failure table); the work itself",
                "is the difference between the two rows.",
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
                render, seed = paired_ms(command, render_seed, 9, env)  # in turn: the same load for both
                rows.append((count, f"{validate_ms:.0f} ms", f"{render:.0f} ms (seed {seed:.0f} ms)", f"{render / seed:.2f}×"))
            else:
                refused = ", ".join(sorted({f.rule_id for f in analysis.errors}))
                rows.append((count, f"{validate_ms:.0f} ms", f"refused ({refused}: above Azure's limits)", "–"))
        lines += [
            "## Growth with the number of VNet branches (whole process, warm)",
            "",
            "| branches | `gen validate` | `gen render` (the seed's, run in turn with it) | render / seed render |",
            "|---|---|---|---|",
            *[f"| {count} | {v} | {r} | {ratio} |" for count, v, r, ratio in rows],
            "",
            "Target: 100 branches ≤ 1.5× the seed's render: "
            + ("met: the README shows the transit by class and cuts its tables at 30 rows; the complete matrices "
               "are transit.csv and routes.csv beside it." if rows[1][3] != "–" and float(rows[1][3][:-1]) <= 1.5 else
               "NOT met: each branch learns every other branch's prefixes, and routes.csv holds every one of them "
               "(100 tables of 100+ routes), so the work grows with the square of the branches."),
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
        build_one = median_ms([GEN, "build", dirs[0]], 3, cold)  # no compile cache: the compiler's own cost
        build_all = median_ms([GEN, "build", *dirs], 3, cold)
        lines += [
            f"## {hubs} hubs in one call",
            "",
            "| whole process | runs | median | the same as separate calls |",
            "|---|---|---|---|",
            f"| `gen render --check` of {hubs} specs | 5 | {check_all:.0f} ms | {hubs} × {check_one:.0f} ms = {hubs * check_one:.0f} ms |",
            f"| `gen build` of {hubs} directories (a compiler process per core, `GEN_NO_CACHE=1`) | 3 | {build_all:.0f} ms | "
            f"{hubs} × {build_one:.0f} ms = {hubs * build_one:.0f} ms |",
            "",
        ]
        lines += _pull_request_gate(work, env, specs, bicep_ms)
        lines += _day_two(work, env)
        lines += _sizes(work, env)
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


def _pull_request_gate(work: Path, env: dict, specs: list[str], bicep_ms: float) -> list[str]:
    """gen check of one hub and of four, with the compile cache empty (each run a new cache) and warm."""
    def cold_env() -> dict:
        return {**env, "XDG_CACHE_HOME": tempfile.mkdtemp(dir=work, prefix="cache-")}

    def median_cold(command: list[str], runs: int) -> float:
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=cold_env(), cwd=work, check=False)
            samples.append(time.perf_counter() - start)
        return statistics.median(samples) * 1000

    one, four = [GEN, "check", specs[0]], [GEN, "check", *specs]
    done = subprocess.run(one, env=env, cwd=work, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"gen check of the seed did not pass:\n{done.stdout}{done.stderr}")
    rows = [
        ("`gen check` seed, compile cache empty", median_cold(one, 3), 1.2),
        ("`gen check` seed, compile cache warm (the files compiled before)", median_ms(one, 5, env, cwd=work), 1.2),
        ("`gen check` of 4 hubs, compile cache empty (a compiler process per core)", median_cold(four, 3), 2.0),
        ("`gen check` of 4 hubs, compile cache warm", median_ms(four, 5, env, cwd=work), 2.0),
    ]
    many = []
    for i in range(20):  # a repository of 20 hubs: each its own name, address space and output folder
        data = json.loads(SEED.read_text())
        data["name"] = f"region{i}"
        path = work / f"region{i}.json"
        path.write_text(json.dumps(data))
        subprocess.run([GEN, "render", str(path)], env=env, cwd=work, check=True, capture_output=True)
        many.append(str(path))
    rows.append(("`gen check` of 20 hubs, compile cache empty (a compiler process per core, one report)",
                 median_cold([GEN, "check", *many], 3), 3.0))
    return [
        "## The pull-request gate: `gen check` against one `bicep build`",
        "",
        "`gen check` validates, compares the committed output, compiles (once per hub), lints, checks the",
        "format and plans. The compile cache keys on the files' content and the compiler: a spec whose output",
        "did not change is not compiled again.",
        "",
        "| whole process | median | × one `bicep build` | target |",
        "|---|---|---|---|",
        *[f"| {label} | {ms:.0f} ms | {ms / bicep_ms:.2f}× | ≤ {target}×: {'met' if ms <= target * bicep_ms else 'NOT met'} |"
          for label, ms, target in rows],
        "",
    ]


def _day_two(work: Path, env: dict) -> list[str]:
    """gen verify and gen import of a 100-branch hub's capture; gen resilience of the seed."""
    sys.path.insert(0, str(ROOT / "tests"))
    from azure_standin import write_capture  # A STAND-IN FOR AZURE: see its docstring

    from generator import model

    data = branches_spec(100)
    spec = work / "branches-100-capture.json"
    spec.write_text(json.dumps(data))
    out = work / "out-100-capture"
    subprocess.run([GEN, "render", str(spec), "-o", str(out), "--force"], env=env, check=True, capture_output=True)
    built = compiler.build_all([out])[0]
    capture = write_capture(work / "capture-100", built.template, built.parameter_values, model.build(data))
    files = sum(1 for p in capture.rglob("*.json"))
    verify_ms = median_ms([GEN, "verify", str(spec), str(capture)], 5, env)
    import_ms = median_ms([GEN, "import", str(capture), "-o", str(work / "imported.json"), "--force"], 5, env)
    resilience_ms = median_ms([GEN, "resilience", str(SEED)], 5, env)
    resilience_100_ms = median_ms([GEN, "resilience", str(spec)], 3, env)
    return [
        "## Day two: verify, import, resilience",
        "",
        f"The capture is {files} files written by tests/azure_standin.py, a stand-in for Azure (what a healthy",
        "deployment of the compiled 100-branch template returns), not a subscription's.",
        "",
        "| whole process | runs | median | target |",
        "|---|---|---|---|",
        f"| `gen verify` of a 100-branch capture | 5 | {verify_ms:.0f} ms | < 1 s: {'met' if verify_ms < 1000 else 'NOT met'} |",
        f"| `gen import` of a 100-branch capture | 5 | {import_ms:.0f} ms | < 1 s: {'met' if import_ms < 1000 else 'NOT met'} |",
        f"| `gen resilience` of the seed | 5 | {resilience_ms:.0f} ms | < 2 s: {'met' if resilience_ms < 2000 else 'NOT met'} |",
        f"| `gen resilience` of the 100-branch hub | 3 | {resilience_100_ms:.0f} ms | |",
        "",
    ]


def sites_spec(count: int) -> dict:
    """The seed with `count` VPN sites, each a /24 behind its own public IP with BGP (what a hostile or huge
    pull request can hold: gen refuses it above Azure's limits, and must say so in seconds)."""
    data = json.loads(SEED.read_text())
    data["branches"] = [
        {"name": f"site{i}", "kind": "site", "addressPrefixes": [f"10.{64 + i // 250}.{i % 250}.0/24"],
         "gatewayIpAddress": f"198.51.{100 + i // 250}.{1 + i % 250}",
         "bgp": {"asn": 64512 + i, "peeringAddress": f"10.{64 + i // 250}.{i % 250}.1"}}
        for i in range(count)
    ]
    return data


def _sizes(work: Path, env: dict) -> list[str]:
    """How validate and resilience grow with the number of sites: the pair checks use an index."""
    rows = []
    for count in (1600, 6400):
        spec = work / f"sites-{count}.json"
        spec.write_text(json.dumps(sites_spec(count)))
        rows.append(f"| `gen validate`, {count} VPN sites ({spec.stat().st_size // 1024} KB) | 3 | "
                    f"{median_ms([GEN, 'validate', str(spec)], 3, env):.0f} ms | seconds: refused above Azure's limits |")
    spec = work / "sites-100.json"
    spec.write_text(json.dumps(sites_spec(100)))
    rows.append(f"| `gen resilience`, 100 VPN sites | 3 | {median_ms([GEN, 'resilience', str(spec)], 3, env):.0f} ms | |")
    return ["## Specs far above Azure's limits", "",
            "Before the address checks used an index, validating 6,400 sites took 27.7 s and a 5 MB spec did not",
            "finish in 20 minutes; `gen resilience` of 100 sites took 17 s.", "",
            "| whole process | runs | median | target |", "|---|---|---|---|", *rows, ""]


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
