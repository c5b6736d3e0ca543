"""Try adopting a capture the tests do not hold yet: import, schema and rules, render, the real compiler, then the
Resource Manager stand-in (tests/redeploy.py, NOT Azure) applies every PUT of the compiled template over the captured
resources and says what would change.

    PATH=.tools/bin:.venv/bin:$PATH AZURE_BICEP_USE_BINARY_FROM_PATH=true python scripts/adopt_check.py CAPTURE [-o SPEC]

Prints what import leaves out, the imported spec's findings, compiler diagnostics, then CHANGED (properties of running
resources a redeploy would change) and CREATED (resources it would create beside them); exit 0 when both are empty and
nothing is an error, else 1. A capture that passes belongs in tests/fixtures/captures/ (tests/test_adopt.py runs every
folder there).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from generator import model, rules, spec  # noqa: E402
from generator.capture import Capture  # noqa: E402
from generator.compiler import BicepJsonRpc, find_bicep  # noqa: E402
from generator.importer import import_capture  # noqa: E402


def main() -> int:
    import conftest
    import redeploy
    from azure_standin import template_puts
    from generator.live import home_subscription_of

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("capture", type=Path)
    parser.add_argument("-o", "--output", type=Path, help="write the imported spec here too")
    args = parser.parse_args()
    imported = import_capture(Capture(args.capture))
    if args.output:
        args.output.write_text(json.dumps(imported.spec, indent=2) + "\n")
    for item in imported.left_out:
        print(f"left out: {item.resource}: {item.what} ({item.redeploy})")
    schema = spec.schema_findings(imported.spec)
    for finding in schema:
        print(f"schema: {finding}")
    if schema:
        return 1
    topology = model.build(imported.spec)
    findings = rules.check(topology, imported.spec)
    for f in findings:
        print(f"{f.severity} {f.rule_id} {f.path}: {f.message[:160]}")
    if any(f.severity == "error" for f in findings):
        print("the imported spec has errors: gen render would write nothing")
        return 1
    with tempfile.TemporaryDirectory() as work, BicepJsonRpc(find_bicep(), conftest.compile_environment(topology)) as rpc:
        result = conftest.compile_rendered(rpc, imported.spec, Path(work))
    for diagnostic in result.diagnostics:
        print(f"compiler: {diagnostic}")
    subscription = imported.spec.get("subscriptionId") or home_subscription_of(Capture(args.capture), topology.hub.vnet.name,
                                                                               imported.spec["resourceGroup"])
    puts = template_puts(result.template, result.parameter_values, topology.name, imported.spec["resourceGroup"], subscription)
    bodies = [json.loads(p.read_text()) for p in sorted((args.capture / "resources").rglob("*.json"))]
    changed, created = redeploy.apply(bodies, puts)
    print("CHANGED:", *changed, sep="\n  ")
    print("CREATED:", *created, sep="\n  ")
    return 1 if changed or created or result.diagnostics else 0


if __name__ == "__main__":
    sys.exit(main())
