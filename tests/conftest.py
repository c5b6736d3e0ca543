"""Shared fixtures: the real Bicep compiler, specs, and rendering into temporary directories.

The compiler tests never skip: without a Bicep compiler the run fails loudly,
because a green run that compiled nothing would be a lie.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests: `make test` replays the same examples every run and stores none (a fresh clone and
# every later run agree); `make soak` explores with new random examples, ten times as many.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("soak", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
SOAK_FACTOR = 10 if os.environ.get("HYPOTHESIS_PROFILE") == "soak" else 1


def examples(count: int) -> int:
    """A property test's number of examples: `count` in CI, more in `make soak`."""
    return count * SOAK_FACTOR

from generator import compiler, model, rules, spec
from generator.provenance import Provenance
from generator.render import render

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SEED = EXAMPLES / "seed-b2b-azfw.json"
MULTI_SITE = EXAMPLES / "multi-site.json"
MULTI_REGION = EXAMPLES / "multi-region.json"
# The examples of one hub: what tests of the one-hub model (model.build, render) iterate over; the spec of several
# hubs has tests of its own (tests/test_hubs.py).
ONE_HUB_EXAMPLES = sorted(p for p in EXAMPLES.glob("*.json") if "hubs" not in json.loads(p.read_text("utf-8")))


def load_example(path: Path = SEED) -> dict:
    return json.loads(path.read_text("utf-8"))


def render_data(data: dict, spec_file: str = "spec.json") -> dict[str, str]:
    """Render a spec dict that must be clean: schema and rules report no error."""
    assert spec.schema_findings(data) == []
    topology = model.build(data)
    errors = [f for f in rules.check(topology, data) if f.severity == "error"]
    assert errors == [], errors
    return render(topology, Provenance("gen test", spec_file, "0" * 64))


def write_files(files: dict[str, str], directory: Path) -> Path:
    for rel, text in files.items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return directory


def pytest_report_header(config):
    return f"bicep compiler: {compiler.describe()}"


@pytest.fixture(scope="session")
def bicep_rpc():
    """One `bicep jsonrpc` process for the whole run; secrets read by .bicepparam files get placeholders."""
    binary = compiler.find_bicep()
    if not binary:
        pytest.fail(
            "NO BICEP COMPILER: the compiler tests cannot run. `make test` installs it (scripts/setup.sh); "
            "otherwise put `bicep` on PATH. These tests are never skipped.",
            pytrace=False,
        )
    env = {**os.environ, **_secret_env_placeholders()}
    with compiler.BicepJsonRpc(binary, env) as rpc:
        yield rpc


def _secret_env_placeholders() -> dict[str, str]:
    # Every environment variable any test spec may need; names derive from spec names.
    names = {"TEST_VM_SSH_PUBLIC_KEY": "placeholder-secret"}
    for prefix in ("VPN_SHARED_KEY_", "ER_AUTH_KEY_"):
        for suffix in ("BRANCH1", "BRANCH2", "BRANCH3", "SHOP_PARIS", "SHOP_MADRID", "WAREHOUSE_LYON", "ONPREM", "ONPREM2",
                       "DC_AMSTERDAM", "DC_FRANKFURT", "SHOP_OSLO", "SHOP_LISBON", "BRANCH_NORTH", "SITE1", "SITE2", "SITE3", "B0", "B1", "B2", "B3", "O0", "O1", "O2", "O3",
                       # the hubs of tests/fixtures/captures, as gen import names their sites
                       "DUBLIN", "CORK", "GALWAY", "EREVN", "ONPREM_VNET", "AMSTERDAM", "LYON_DC", "CORK_FW1", "CORK_FW2",
                       "DC_FRANKFURT_FRA_EDGE1", "DC_FRANKFURT_FRA_EDGE2",
                       # the multi-region example: one authorization per connection of a circuit to a hub
                       "ONPREM_AMS_WEU", "ONPREM_AMS_NEU", "ONPREM_DUB_WEU", "ONPREM_DUB_NEU", "SITE_PARIS", "SITE_OSLO"):
            names[prefix + suffix] = "placeholder-secret"
    return names


def compile_environment(topology) -> dict[str, str]:
    """The environment a compiler needs for this design's .bicepparam: a placeholder for each secret it reads."""
    return {**os.environ, **_secret_env_placeholders(), **{s.env: "placeholder-secret" for s in topology.secrets}}


class Compiled:
    """A rendered directory after the compiler saw it."""

    def __init__(self, directory: Path, diagnostics, template: dict | None, parameters: dict | None, unformatted: list[str]):
        self.directory = directory
        self.diagnostics = diagnostics
        self.template = template
        self.parameters = parameters
        self.unformatted = unformatted

    @property
    def parameter_values(self) -> dict:
        return {name: entry.get("value") for name, entry in (self.parameters or {}).get("parameters", {}).items()}


def compile_rendered(bicep_rpc, data: dict, directory: Path, spec_file: str = "spec.json") -> Compiled:
    """Render a spec dict into `directory`, compile main.bicep and main.bicepparam, and check `bicep format`."""
    write_files(render_data(data, spec_file), directory)
    diagnostics, template = bicep_rpc.compile(directory / "main.bicep")
    param_diagnostics, parameters = bicep_rpc.compile_params(directory / "main.bicepparam")
    unformatted = [
        str(path.relative_to(directory))
        for path in sorted([*directory.glob("*.bicep"), *directory.glob("modules/*.bicep"), directory / "main.bicepparam"])
        if bicep_rpc.format(path) != path.read_text("utf-8")
    ]
    return Compiled(directory, diagnostics + param_diagnostics, template, parameters, unformatted)


@pytest.fixture
def compile_spec(bicep_rpc, tmp_path):
    """compile_rendered into a fresh temporary directory."""
    return lambda data, name="out": compile_rendered(bicep_rpc, data, tmp_path / name)


def variant(base: dict, mutate) -> dict:
    """A deep copy of `base` changed by `mutate(copy)`."""
    data = copy.deepcopy(base)
    mutate(data)
    return data
