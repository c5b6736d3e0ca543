"""Every value a capture holds may have the wrong type: a null where Azure writes a list, a number for a name, a
string with a newline for an address. The readers (gen import, gen verify, gen device-config, gen diff --live) check
each value where it enters and refuse a wrong one with the file and path (exit 2): no capture makes them fail as a
bug (exit 3), and none writes a value it did not check.

The property test walks every captured file of the hand-built hubs, replaces one value at a time with a value of
another type (a fixed seed picks which), and runs the readers in-process. Allowed outcomes: a result, or CaptureError
/ ImportFailure naming the file.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from generator import diff, model, verify
from generator.capture import Capture, CaptureError
from generator.importer import ImportFailure, import_capture

CAPTURES = Path(__file__).parent / "fixtures" / "captures"
WRONG = [None, 0, -1, 1.5, True, "", "x\ny", "<azure-instance-0-public-ip>", [], {}, ["10.0.0.4"], {"id": 7}]


def leaves(value, path=()):
    """Every (path, value) inside a JSON document, containers included."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, path + (index,))


def replaced(document, path, value):
    if not path:
        return value
    copy = json.loads(json.dumps(document))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


def mutations(seed: int, count: int) -> list[tuple[str, Path, tuple, object]]:
    """(capture name, file, path inside it, wrong value): drawn with a fixed seed from every value of every file."""
    pool = []
    for capture in sorted(p for p in CAPTURES.iterdir() if (p / "resources").is_dir()):
        for file in sorted(capture.rglob("*.json")):
            if file.name == "capture.json":
                continue
            document = json.loads(file.read_text())
            for path, _ in leaves(document):
                pool.append((capture.name, file.relative_to(capture), path))
    chosen = random.Random(seed).sample(pool, count)
    rng = random.Random(seed + 1)
    return [(name, file, path, rng.choice(WRONG)) for name, file, path in chosen]


def read_everything(root: Path) -> None:
    """What the commands that read a capture do with it, in-process."""
    imported = import_capture(Capture(root))
    topology = model.build(imported.spec)
    diff.compare_live(Capture(root), topology)
    verify.verify(topology, root)


@pytest.mark.parametrize("case", mutations(30, 400), ids=lambda c: f"{c[0]}/{c[1]}:{'.'.join(map(str, c[2]))}={c[3]!r}")
def test_a_value_of_the_wrong_type_is_refused_or_read_never_a_bug(tmp_path, case):
    name, file, path, value = case
    root = tmp_path / name
    shutil.copytree(CAPTURES / name, root)
    target = root / file
    target.write_text(json.dumps(replaced(json.loads(target.read_text()), path, value)))
    try:
        read_everything(root)
    except (CaptureError, ImportFailure) as refused:
        assert str(file.name) in str(refused) or file.parts[0] in str(refused), refused
    except Exception as bug:  # noqa: BLE001 - what the boundary would call a bug in gen
        if "schema" in type(bug).__name__.lower():
            return
        raise AssertionError(f"{type(bug).__name__}: {bug}") from bug


# --- the deployment's outputs: what device-config and verify write into configurations and commands ---------------


@pytest.fixture(scope="module")
def deployed(bicep_rpc, tmp_path_factory):
    """The vpn-sites example deployed by the Azure stand-in (tests/azure_standin.py): a capture with deployment.json."""
    from azure_standin import write_capture
    from conftest import EXAMPLES, compile_rendered, load_example

    data = load_example(EXAMPLES / "vpn-sites.json")
    work = tmp_path_factory.mktemp("deployed")
    result = compile_rendered(bicep_rpc, data, work / "out")
    capture = write_capture(work / "capture", result.template, result.parameter_values, model.build(data))
    (work / "spec.json").write_text(json.dumps(data))
    return work / "spec.json", capture


@pytest.mark.compiler
@pytest.mark.parametrize("output, value", [
    ("hubVpnGatewayPublicIpAddresses", ["198.51.100.1\nset system root-authentication", "198.51.100.2"]),
    ("hubVpnGatewayPublicIpAddresses", ["<azure-instance-0-public-ip>", "198.51.100.2"]),
    ("hubVpnGatewayPublicIpAddresses", "198.51.100.1"),
    ("hubVpnGatewayBgpPeeringAddress", ["10.10.0.4", "10.10.0.5"]),
    ("hubVpnGatewayBgpPeeringAddress", "10.10.0.4,10.10.0.5\nneighbor 6.6.6.6"),
    ("firewallPrivateIpAddress", 42),
], ids=["newline-in-ip", "placeholder-ip", "ips-not-a-list", "bgp-as-list", "newline-in-bgp", "number"])
def test_an_output_that_is_not_an_address_is_refused_for_every_vendor(deployed, tmp_path, output, value):
    from generator.capture import DEPLOYMENT
    from test_cli import run

    spec, original = deployed
    capture = tmp_path / "capture"
    shutil.copytree(original, capture)
    document = json.loads((capture / DEPLOYMENT).read_text())
    document["properties"]["outputs"][output] = {"type": "Array" if isinstance(value, list) else "String", "value": value}
    (capture / DEPLOYMENT).write_text(json.dumps(document))
    for vendor in ("strongswan", "cisco-iosxe", "fortios", "panos", "junos"):
        result = run("device-config", spec, "dc-frankfurt", "--vendor", vendor, "--capture", capture)
        assert result.exit_code == 2 and f"output {output}" in result.stderr, (vendor, result.output, result.stderr)
    assert run("verify", spec, capture).exit_code == 2


@pytest.mark.compiler
def test_a_capture_path_with_a_line_break_stays_in_the_header_comment(deployed, tmp_path):
    from test_cli import run

    spec, original = deployed
    capture = tmp_path / "cap\nset system services telnet"
    shutil.copytree(original, capture)
    result = run("device-config", spec, "dc-frankfurt", "--vendor", "junos", "--capture", capture)
    assert result.exit_code == 0, result.stderr
    assert not [line for line in result.output.splitlines() if line.startswith("set system services telnet")]


def test_a_learned_route_that_is_not_a_prefix_is_refused_not_ignored(tmp_path):
    """A route list naming "10.1.0.0/33" is no evidence verify can judge: refused with its file, never "as designed"."""
    from generator.capture import learned_routes_file

    root = tmp_path / "portal-hub"
    shutil.copytree(CAPTURES / "portal-hub", root)
    path = root / learned_routes_file("hub-vpngw")
    document = json.loads(path.read_text())
    routes = document["value"] if isinstance(document, dict) else document
    routes[0]["network"] = "10.1.0.0/33"
    path.write_text(json.dumps(document))
    with pytest.raises(CaptureError, match="not an address prefix"):
        read_everything(root)
