"""Writing the output directory: all or nothing, user files untouched, byte-identical every time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import EXAMPLES, MULTI_SITE, ROOT, SEED, load_example, render_data
from generator import output, prices
from generator import spec as spec_module
from generator.provenance import GENERATED_MARK


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_write_creates_files_and_manifest(tmp_path):
    files = render_data(load_example())
    out = tmp_path / "out"
    written = output.write(files, out)
    assert written == sorted(files)
    assert set(snapshot(out)) == set(files) | {output.MANIFEST}
    assert output.read_manifest(out).keys() == files.keys()
    assert output.check(files, out) == []
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.gen-")]  # no staging left behind


def test_user_files_are_kept_and_stale_generated_files_removed(tmp_path):
    out = tmp_path / "out"
    output.write(render_data(load_example()), out)
    (out / "NOTES.md").write_text("mine")
    (out / "extra").mkdir()
    (out / "extra" / "keep.txt").write_text("mine too")
    without_firewall = load_example()
    del without_firewall["hub"]["firewall"]
    output.write(render_data(without_firewall), out)
    assert (out / "NOTES.md").read_text() == "mine"
    assert (out / "extra" / "keep.txt").read_text() == "mine too"
    assert not (out / "modules" / "firewall.bicep").exists()


def test_refuses_to_overwrite_a_file_gen_did_not_write(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "main.bicep").write_text("// my own template\n")
    with pytest.raises(output.OutputConflict, match="main.bicep"):
        output.write(render_data(load_example()), out)
    assert (out / "main.bicep").read_text() == "// my own template\n"


def test_a_crash_before_the_swap_leaves_the_previous_output(tmp_path, monkeypatch):
    out = tmp_path / "out"
    output.write(render_data(load_example()), out)
    before = snapshot(out)

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(output, "_swap_in", crash)
    with pytest.raises(output.OutputConflict, match="disk full.*previous output is unchanged"):
        output.write(render_data(load_example(MULTI_SITE)), out)
    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_sigkill_during_render_leaves_old_or_new_output_never_a_mix(tmp_path):
    """Kill `gen render` at many moments; the directory is always exactly the old or the new output."""
    out = tmp_path / "out"
    gen = [sys.executable, "-m", "generator.cli"]
    subprocess.run([*gen, "render", str(SEED), "-o", str(out)], check=True, capture_output=True)
    old = snapshot(out)
    new_dir = tmp_path / "new"
    subprocess.run([*gen, "render", str(MULTI_SITE), "-o", str(new_dir)], check=True, capture_output=True)
    new = snapshot(new_dir)
    outcomes = set()
    for attempt in range(16):
        process = subprocess.Popen([*gen, "render", str(MULTI_SITE), "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.03 * attempt)
        process.send_signal(signal.SIGKILL)
        process.wait()
        now = snapshot(out)
        assert now in (old, new), f"attempt {attempt}: a mix of old and new output"
        outcomes.add("new" if now == new else "old")
        if now == new:  # put the old output back for the next attempt
            subprocess.run([*gen, "render", str(SEED), "-o", str(out)], check=True, capture_output=True)
    assert "old" in outcomes  # at least one kill landed before the swap


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_output_is_byte_identical_across_hash_seeds_directories_and_locales(tmp_path, example):
    results = []
    for index, (seed, locale) in enumerate((("0", "C"), ("1", "C.UTF-8"), ("12345", "POSIX"), ("7", "C"))):
        cwd = tmp_path / f"cwd{index}"
        cwd.mkdir()
        env = {**os.environ, "PYTHONHASHSEED": seed, "LC_ALL": locale, "LANG": locale, "GEN_NO_CACHE": "1"}
        spec = os.path.relpath(example, cwd)
        subprocess.run([sys.executable, "-m", "generator.cli", "render", spec, "-o", "rendered"], cwd=cwd, env=env, check=True, capture_output=True)
        results.append(snapshot(cwd / "rendered"))
    assert results[0] == results[1] == results[2] == results[3]
    manifest = json.loads(results[0][output.MANIFEST])
    assert manifest["specSha256"] == spec_module.content_hash(json.loads(example.read_text()))


def test_every_generated_file_carries_the_mark_and_only_the_manifest_and_readme_the_provenance(tmp_path):
    out = tmp_path / "out"
    subprocess.run([sys.executable, "-m", "generator.cli", "render", str(SEED), "-o", str(out)], check=True, capture_output=True)
    manifest = json.loads((out / output.MANIFEST).read_text())
    assert manifest["spec"] == os.path.relpath(SEED, out) and manifest["generator"].startswith("gen ")
    for path in sorted(out.rglob("*")):
        if not path.is_file() or path.name == output.MANIFEST:
            continue
        text = path.read_text()
        if path.suffix == ".csv":  # CSV has no comments: a mark would be a row; the manifest names the file instead
            assert path.relative_to(out).as_posix() in manifest["files"]
            assert not any(word in text for word in ("2026-", "2025-11", "UTC")), path.name
            continue
        assert GENERATED_MARK in "\n".join(text.splitlines()[:2]), path.name
        assert (manifest["specSha256"][:16] in text) == (path.name == "README.md"), path.name
        # no timestamps: the only dates are the price table's (gen's own data, the same for every render)
        table = prices.load()
        dated = {table.recorded} | {p.date for p in table.prices.values() if p.date}
        for date in sorted(dated, key=len, reverse=True):
            text = text.replace(date, "")
        assert not any(word in text for word in ("2026-", "2025-11", "UTC")), path.name


def _render(spec_path: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator.cli", "render", str(spec_path), "-o", str(out), *extra],
                          capture_output=True, text=True)


def test_a_one_port_change_touches_only_the_files_whose_content_changes(tmp_path):
    data = load_example()
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(data, indent=2))
    out = tmp_path / "out"
    assert _render(spec_path, out).returncode == 0
    before = snapshot(out)
    data["hub"]["firewall"]["networkRules"][0]["destinationPorts"] = ["22"]
    spec_path.write_text(json.dumps(data, indent=2))
    assert _render(spec_path, out).returncode == 0
    after = snapshot(out)
    # transit.csv: the rule that allows each flow now names port 22, and the pull request's diff shows it
    assert sorted(k for k in before if before[k] != after[k]) == sorted([output.MANIFEST, "README.md", "main.bicepparam",
                                                                          "transit.csv"])
    assert b"(Any 22)" in after["transit.csv"] and after["routes.csv"] == before["routes.csv"]


def test_reformatting_the_spec_or_crlf_is_no_drift(tmp_path):
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(SEED.read_text())
    out = tmp_path / "out"
    assert _render(spec_path, out).returncode == 0
    spec_path.write_bytes(json.dumps(load_example(), indent=4).replace("\n", "\r\n").encode())
    checked = _render(spec_path, out, "--check")
    assert checked.returncode == 0, checked.stderr


def test_rendering_another_spec_into_the_same_directory_is_refused_unless_forced(tmp_path):
    out = tmp_path / "out"
    other = tmp_path / "other.json"
    other.write_text(SEED.read_text())
    assert _render(SEED, out).returncode == 0
    before = snapshot(out)
    refused = _render(other, out)
    assert refused.returncode == 2 and "holds the output of" in refused.stderr and "--force" in refused.stderr
    assert snapshot(out) == before
    assert _render(other, out, "--force").returncode == 0


def test_a_hand_edit_of_a_generated_file_is_refused_unless_forced(tmp_path):
    out = tmp_path / "out"
    assert _render(SEED, out).returncode == 0
    edited = out / "modules" / "route-table.bicep"
    edited.write_text(edited.read_text() + "// tuned by hand\n")
    refused = _render(SEED, out)
    assert refused.returncode == 2 and "modules/route-table.bicep" in refused.stderr
    assert edited.read_text().endswith("// tuned by hand\n")
    assert _render(SEED, out, "--force").returncode == 0
    assert not edited.read_text().endswith("// tuned by hand\n")


def test_check_diff_prints_a_unified_diff_and_a_users_own_file_is_never_stale(tmp_path):
    out = tmp_path / "out"
    assert _render(SEED, out).returncode == 0
    (out / "NOTES.md").write_text("mine\n")
    assert _render(SEED, out, "--check").returncode == 0  # the user's file is not drift
    param = out / "main.bicepparam"
    param.write_text(param.read_text().replace("'japaneast'", "'westeurope'"))
    checked = _render(SEED, out, "--check", "--diff")
    assert checked.returncode == 1
    assert "--- a/main.bicepparam" in checked.stdout and "-param location = 'westeurope'" in checked.stdout
    assert "+param location = 'japaneast'" in checked.stdout
    assert "NOTES.md" not in checked.stdout + checked.stderr


def test_committed_example_output_is_fresh():
    """out/<name>/ holds the rendered examples; a stale copy fails here (run `make out`)."""
    from generator import pipeline

    for spec in sorted(EXAMPLES.glob("*.json")):
        analysis = pipeline.analyse(spec)
        directory = ROOT / "out" / analysis.fleet.name
        files = pipeline.render_files(analysis, directory)
        assert output.check(files, directory) == [], f"{directory} is stale: run `make out`"


def _branches(count: int) -> dict:
    """The seed with `count` VNet branches, each a /24 with its own gateway and ASN."""
    data = load_example(SEED)
    data["branches"] = [
        {"name": f"b{i}", "kind": "vnet",
         "vnet": {"name": f"vnet-b{i}", "addressSpace": [f"10.100.{i}.0/24"],
                  "subnets": [{"name": "GatewaySubnet", "prefix": f"10.100.{i}.0/27"}, {"name": "app", "prefix": f"10.100.{i}.128/25"}]},
         "vpnGateway": {"name": f"vpngw-b{i}", "sku": "VpnGw1AZ", "asn": 64600 + i}}
        for i in range(count)
    ]
    return data


@pytest.mark.parametrize("count,listed", [(10, True), (11, False)])
def test_readme_lists_branch_pairs_while_they_stay_readable(count, listed):
    files = render_data(_branches(count))
    readme, transit = files["README.md"], files["transit.csv"]
    pairs = count * (count - 1) // 2
    # Past README_ROWS flows the README shows the transit by class; transit.csv holds every flow.
    assert ("\nb0,10.100.0.132,b1,10.100.1.132,delivered,yes," in transit) == listed
    assert (f"| VNet branch | VNet branch | {pairs} | delivered, inspected both ways" in readme) == listed
    assert (f"Branch to branch: {pairs} pairs, too many to list" in readme) == (not listed)
    assert "\nonprem,10.20.0.4,b10,10.100.10.132,delivered,yes," in transit or count == 10  # site to branch: always
    # 10 branches: 66 flows with the pairs, by class; 11 branches: 23 flows without them, one by one
    assert (f"| on-premises | VNet branch | {count} | delivered, inspected both ways" in readme) == listed
    assert ("| onprem (10.20.0.4) | b10 (10.100.10.132) |" in readme) == (not listed)
