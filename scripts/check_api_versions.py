"""Are the API versions in the templates still recent? (`make api-versions`)

Bicep's use-recent-api-versions rule measures age from today's date, so it is
off in the generated bicepconfig.json (output must not start failing by itself).
This script renders a spec that uses every module, turns the rule on and lints.
Run it when upgrading the pinned Bicep compiler or every few months.
"""

from __future__ import annotations

import copy
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator import compiler, model, output, render  # noqa: E402


def every_module_spec() -> dict:
    data = copy.deepcopy(json.loads((ROOT / "examples" / "multi-site.json").read_text()))
    data["testVms"] = [{"name": "vm-hub", "vnet": "hub", "subnet": "snet-shared"}]
    return data


def main() -> int:
    topology = model.build(every_module_spec())
    with tempfile.TemporaryDirectory() as work:
        directory = Path(work) / "out"
        output.write(render.render(topology, "multi-site.json", "0" * 64), directory)
        config = directory / "bicepconfig.json"
        config.write_text(config.read_text().replace('"use-recent-api-versions": { "level": "off" }', '"use-recent-api-versions": { "level": "warning" }'))
        with compiler.BicepJsonRpc() as rpc:
            diagnostics, _ = rpc.compile(directory / "main.bicep")
    stale = [d for d in diagnostics if d.code == "use-recent-api-versions"]
    for d in stale:
        print(f"{Path(d.file).name}:{d.line}: {d.message}")
    print(f"{len(stale)} API version(s) to update" if stale else "every API version is recent enough")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
