"""A stand-in for the Azure CLI (not Azure): answers the read-only commands `gen collect` scripts run from a capture
folder's files, so that a test can run the script for real and compare what it writes with what it read.

Installed as `az` on PATH by tests (see `install`); FAKE_AZ_CAPTURE names the capture to serve and
FAKE_AZ_SUBSCRIPTION the subscription `az` defaults to (as `az account set` would). The answers are the files
themselves, shaped like real `az` output (tests/fixtures/captures/SOURCES.md says where each shape comes from);
`--query` is JMESPath, as az evaluates it (azure-cli depends on the jmespath package), and `--output tsv` prints
one value per line (a row's values tab-separated). Anything else exits 2 naming the command, as az does for an
unknown one.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import jmespath

CAPTURE = Path(os.environ.get("FAKE_AZ_CAPTURE", "."))


def install(bin_dir: Path, capture: Path, subscription: str) -> dict:
    """An `az` in bin_dir that runs this stand-in; the environment a subprocess needs to find it."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    stub = bin_dir / "az"
    stub.write_text(f"#!/bin/sh\nexec {sys.executable} {Path(__file__).resolve()} \"$@\"\n")
    stub.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_AZ_CAPTURE": str(capture),
            "FAKE_AZ_SUBSCRIPTION": subscription}


def _options(argv: list[str]) -> tuple[list[str], dict[str, str]]:
    words, options, i = [], {}, 0
    while i < len(argv):
        if argv[i].startswith("--"):
            options[argv[i][2:]] = argv[i + 1] if i + 1 < len(argv) else ""
            i += 2
        else:
            words.append(argv[i])
            i += 1
    return words, options


def _resources() -> dict[str, dict]:
    bodies = {}
    for path in sorted((CAPTURE / "resources").rglob("*.json")):
        body = json.loads(path.read_text())
        bodies[body["id"].lower()] = body
    return bodies


def _print(value, options: dict[str, str]) -> None:
    if "query" in options:
        value = jmespath.search(options["query"], value)
    if options.get("output") == "tsv":
        rows = value if isinstance(value, list) else [value]
        for row in rows:
            if row is not None:
                print("\t".join(map(str, row)) if isinstance(row, list) else row)
    else:
        print(json.dumps(value, indent=2))


def _gateway_file(options: dict[str, str], name: str):
    return json.loads((CAPTURE / "gateways" / options["name"] / name).read_text())


def main(argv: list[str]) -> int:
    words, options = _options(argv)
    command = " ".join(words)
    resources = _resources()
    if command == "resource list":
        subscription = options.get("subscription", os.environ.get("FAKE_AZ_SUBSCRIPTION", "")).lower()
        prefix = f"/subscriptions/{subscription}/resourcegroups/{options['resource-group'].lower()}/providers/"
        # az resource list lists top-level resources only: a child's ID has more than type/name after the provider.
        found = [b for key, b in resources.items() if key.startswith(prefix) and key[len(prefix):].count("/") == 2]
        _print(found, options)
    elif command == "resource show":
        _print(resources[options["ids"].lower()], options)
    elif command == "rest":
        _print(resources[options["url"].split("?")[0].lower()], options)
    elif command == "monitor diagnostic-settings list":
        name = options["resource"].rsplit("/", 1)[1]
        path = CAPTURE / "diagnostic-settings" / f"{name}.json"
        _print(json.loads(path.read_text()) if path.exists() else [], options)
    elif command == "network vnet-gateway list-bgp-peer-status":
        _print(_gateway_file(options, "bgp-peer-status.json"), options)
    elif command == "network vnet-gateway list-learned-routes":
        _print(_gateway_file(options, "learned-routes.json"), options)
    elif command == "network vnet-gateway list-advertised-routes":
        _print(_gateway_file(options, f"advertised-routes/{options['peer']}.json"), options)
    else:
        print(f"ERROR: the stand-in az does not answer '{command}'", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
