"""Hostile input and faults: every class of bad input ends in its documented exit code, one line, no traceback.

Exit codes (README "Errors you can get"): 0 ok, 1 findings, 2 bad input or usage, 3 a bug in gen.
A test per class of fault, then a property test that feeds random JSON to every command that reads a spec.
"""

from __future__ import annotations

import json
import re
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import EXAMPLES, SEED, examples, load_example
from generator import cli, output, spec
from test_cli import run, write_spec

HUB_SPOKE = EXAMPLES / "hub-spoke.json"


def no_traceback(result) -> bool:
    return "Traceback" not in (result.output + result.stderr) and result.exit_code != cli.EXIT_BUG


# --- specs that break the reader ---------------------------------------------------------------------


@pytest.mark.parametrize("command", ["validate", "render", "routes", "collect", "plan"])
def test_an_integer_of_thousands_of_digits_is_unreadable_input(tmp_path, command):
    path = tmp_path / "spec.json"
    path.write_text('{"name": "x", "asn": ' + "9" * 5000 + "}")
    result = run(command, path)
    assert result.exit_code == 2 and no_traceback(result)
    assert "integer" in result.stderr


@pytest.mark.parametrize("command", ["validate", "render", "routes", "collect"])
def test_a_lone_surrogate_is_refused_with_its_path(tmp_path, command):
    data = load_example()
    data["hub"]["vnet"]["name"] = "vnet-\ud800"
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(data))  # json escapes it as \ud800, which parses back to a lone surrogate
    result = run(command, path)
    assert result.exit_code == 2 and no_traceback(result)
    assert "hub.vnet.name: not valid Unicode" in result.stderr


def test_a_float_where_an_integer_belongs_is_a_schema_finding(tmp_path):
    data = load_example()
    data["hub"]["vpnGateway"]["asn"] = 65515.0
    result = run("render", write_spec(tmp_path, data), "-o", tmp_path / "out")
    assert result.exit_code == 1 and no_traceback(result)
    assert "hub.vpnGateway.asn: 65515.0 is not of type integer" in result.output
    assert not (tmp_path / "out").exists()


def test_values_out_of_the_schema_bounds_are_findings_with_short_messages(tmp_path):
    data = load_example()
    data["hub"]["vnet"]["name"] = "v" * 100_000
    data["onPremises"][0]["routingWeight"] = 10 ** 30
    result = run("validate", write_spec(tmp_path, data))
    assert result.exit_code == 1 and no_traceback(result)
    assert "100,000 characters; at most 80" in result.output and "out of range: at most 32000" in result.output
    assert max(len(line) for line in result.output.splitlines()) < 400


def test_a_duplicate_key_is_a_finding(tmp_path):
    text = (SEED.read_text().replace('"name": "vnet-hub",', '"name": "vnet-other", "name": "vnet-hub",', 1))
    result = run("validate", write_spec(tmp_path, text))
    assert result.exit_code == 1 and no_traceback(result)
    assert "JSON001 hub.vnet.name: 'name' is given more than once" in result.output


def test_comments_are_allowed_in_every_object(tmp_path):
    data = load_example(HUB_SPOKE)
    data["$comment"] = "the hub of the Tokyo region"
    data["hub"]["firewall"]["$comment"] = "rules reviewed by the security team"
    data["spokes"][0]["vnet"]["subnets"][0]["$comment"] = "app tier"
    assert run("validate", write_spec(tmp_path, data)).exit_code == 0


@pytest.mark.parametrize("make", ["fifo", "device", "directory", "huge"])
def test_files_that_are_not_specs_are_refused_without_reading_them(tmp_path, make):
    path = tmp_path / "spec.json"
    if make == "fifo":
        os.mkfifo(path)  # reading it would block for ever
    elif make == "device":
        path = Path("/dev/zero")  # reading it would never end
    elif make == "directory":
        path.mkdir()
    else:
        with path.open("w") as handle:
            handle.write('{"name": "x", "tags": {"a": "' + "x" * (spec.MAX_SPEC_BYTES + 10) + '"}}')
    result = run("validate", path)
    assert result.exit_code == 2 and no_traceback(result)
    assert {"fifo": "not a regular file", "device": "not a regular file", "directory": "is a directory",
            "huge": "a spec file is at most 5,242,880 bytes"}[make] in result.stderr


def test_line_numbers_of_a_large_spec_come_from_one_pass(tmp_path):
    from generator import locate

    counted = []
    original = str.count
    data = load_example()
    data["hub"]["firewall"]["networkRules"] *= 2000
    text = json.dumps(data, indent=2)

    class Spy(str):
        def count(self, *args):  # the quadratic version recounted newlines before every value
            counted.append(args)
            return original(self, *args)

    positions = locate.line_index(Spy(text))
    assert not counted
    assert positions["hub.firewall.networkRules[1999].name"] > positions["hub.firewall.networkRules[0].name"]


# --- output directories and files ------------------------------------------------------------------------


def test_an_empty_output_directory_is_refused(tmp_path):
    result = run("render", SEED, "-o", "", cwd=tmp_path)
    assert result.exit_code == 2 and no_traceback(result) and "output directory is empty" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_symlink_loop_as_output_is_refused(tmp_path):
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    for extra in ([], ["--check"]):
        result = run("render", SEED, "-o", tmp_path / "loop" / "x", *extra)
        assert result.exit_code == 2 and no_traceback(result), result.stderr


def test_a_path_too_long_for_the_file_system_is_input_error(tmp_path):
    long = tmp_path / ("d" * 300)
    for command in (["build", long], ["plan", long], ["render", SEED, "-o", long]):
        result = run(*command)
        assert result.exit_code == 2 and no_traceback(result), (command, result.stderr)


def test_rendering_keeps_the_output_directory_mode(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o750)
    assert run("render", SEED, "-o", out).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o750
    assert run("render", SEED, "-o", out).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o750


def test_two_renders_of_different_specs_into_one_new_directory_never_both_win(tmp_path):
    """The ownership check and the swap happen under one lock: the second render sees the first's output and
    refuses it (exit 2), whichever runs first; never both exit 0 with one silently replaced."""
    other = load_example()
    other["name"] = "other"
    specs = [SEED, write_spec(tmp_path, other, "other.json")]
    for attempt in range(5):
        out = tmp_path / f"out{attempt}"
        codes = []
        processes = [subprocess.Popen([sys.executable, "-m", "generator.cli", "render", str(s), "-o", str(out)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for s in specs]
        for process in processes:
            process.wait(timeout=120)
            codes.append(process.returncode)
        assert sorted(codes) == [0, 2], codes
        manifest = json.loads((out / output.MANIFEST).read_text())
        winner = specs[codes.index(0)]
        assert manifest["spec"].endswith(winner.name)


def test_concurrent_renders_into_sibling_directories_all_succeed(tmp_path):
    results = []

    def render(name: str) -> None:
        results.append(subprocess.run([sys.executable, "-m", "generator.cli", "render", str(SEED), "-o", str(tmp_path / name)],
                                      capture_output=True, text=True).returncode)

    threads = [threading.Thread(target=render, args=(f"hub{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert results == [0, 0, 0, 0]
    assert not list(tmp_path.glob(".hub*.gen-*"))  # no staging directory left behind


def _disk_full(monkeypatch):
    real_fsync = os.fsync

    def fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", fsync)
    return real_fsync


def test_a_full_disk_leaves_the_previous_init_spec_whole(tmp_path, monkeypatch):
    target = tmp_path / "spec.json"
    target.write_text("my own spec, precious")
    _disk_full(monkeypatch)
    result = run("init", target, "--force")
    assert result.exit_code == 2 and "No space left" in result.stderr and "nothing was changed" in result.stderr
    assert target.read_text() == "my own spec, precious"
    assert [p.name for p in tmp_path.iterdir()] == ["spec.json"]


def test_a_full_disk_leaves_the_previous_collect_script_whole(tmp_path, monkeypatch):
    target = tmp_path / "collect.sh"
    target.write_text("#!/bin/sh\necho previous\n")
    _disk_full(monkeypatch)
    result = run("collect", SEED, "-o", target)
    assert result.exit_code == 2 and no_traceback(result)
    assert target.read_text() == "#!/bin/sh\necho previous\n"


def test_a_full_disk_during_render_leaves_the_previous_output(tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert run("render", SEED, "-o", out).exit_code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    _disk_full(monkeypatch)
    other = load_example(HUB_SPOKE)
    other["name"] = "b2b-azfw"
    result = run("render", write_spec(tmp_path, other), "-o", out, "--force")
    assert result.exit_code == 2 and "No space left" in result.stderr
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


# --- git ------------------------------------------------------------------------------------------------


def test_diff_git_without_git_on_path(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no git here
    result = run("diff", "--git", "HEAD", SEED)
    assert result.exit_code == 2 and no_traceback(result) and "needs git on PATH" in result.stderr


@pytest.mark.parametrize("revision", ["x" * 131_066, "", "--output=/tmp/x", "HEAD\n"])
def test_diff_git_with_a_revision_that_cannot_be_one(revision):
    result = run("diff", "--git", revision, SEED)
    assert result.exit_code == 2 and no_traceback(result) and "not a git revision" in result.stderr


# --- the boundary ---------------------------------------------------------------------------------------


def test_an_unexpected_error_is_one_line_and_exit_3(tmp_path, monkeypatch):
    from generator import routing

    def broken(*args, **kwargs):
        raise KeyError("hop")

    monkeypatch.setattr(routing, "effective_routes", broken)
    result = run("routes", SEED)
    assert result.exit_code == cli.EXIT_BUG
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "this is a bug in gen" in result.stderr and "KeyError" in result.stderr
    monkeypatch.setenv("GEN_DEBUG", "1")
    debug = run("routes", SEED)
    assert debug.exit_code == cli.EXIT_BUG and "Traceback" in debug.stderr


# --- random JSON through every command ------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


@st.composite
def mutated_specs(draw) -> str:
    """A valid spec with one value replaced by random JSON, or random JSON, or broken text."""
    choice = draw(st.integers(0, 2))
    if choice == 0:
        return json.dumps(draw(JSON_VALUES))
    data = load_example(draw(st.sampled_from([SEED, HUB_SPOKE])))
    node, parent, key = data, None, None
    for _ in range(draw(st.integers(1, 4))):
        if isinstance(node, dict) and node:
            chosen = draw(st.sampled_from(sorted(node)))
        elif isinstance(node, list) and node:
            chosen = draw(st.integers(0, len(node) - 1))
        else:
            break
        parent, key = node, chosen
        if not (isinstance(node[chosen], (dict, list)) and draw(st.booleans())):
            break
        node = node[chosen]
    if parent is not None:
        parent[key] = draw(JSON_VALUES)
    text = json.dumps(data)
    return text[: draw(st.integers(0, len(text)))] if choice == 2 and draw(st.booleans()) else text


COMMANDS = (["validate"], ["render", "--check"], ["routes"], ["trace", "--from", "10.20.0.4", "--to", "10.50.1.4"],
            ["collect"], ["diff", str(SEED)])


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=mutated_specs())
def test_random_json_through_every_command_exits_0_1_or_2(tmp_path, text):
    path = tmp_path / "random.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    for command in COMMANDS:
        args = command[:1] + ([path] if command[0] != "diff" else [command[1], path]) + command[1:][:0]
        if command[0] == "trace":
            args = ["trace", path] + command[1:]
        elif command[0] == "render":
            args = ["render", path, "--check", "-o", tmp_path / "never"]
        result = run(*args)
        assert result.exit_code in (0, 1, 2), (command, result.exit_code, result.stderr[-500:])
        assert no_traceback(result), (command, result.stderr[-500:])


# --- Markdown: what a pull-request viewer renders -------------------------------------------------------------

PAYLOADS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<iframe src=https://evil.example>",
            "![x](https://evil.example/beacon.png)", "[click](javascript:alert(1))", "a | b | c", "**bold** _it_ `code`",
            "$x^2$", "~~gone~~"]


def _markdown_rows_are_whole(text: str) -> None:
    """Every row of every table has as many cells as its header: no value split a row with `|`."""
    header = None
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = len(re.findall(r"(?<!\\)\|", line))
        if header is None:
            header = cells
        assert cells == header, line


def test_no_spec_value_reaches_the_readme_as_markup(tmp_path):
    data = load_example(HUB_SPOKE)
    data["tags"] = {f"tag{i}": payload for i, payload in enumerate(PAYLOADS)}
    data["tags"]["k|ey [x](javascript:1) *"] = "v"
    workspace = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-logs/providers/Microsoft.OperationalInsights/workspaces/"
    data["hub"]["firewall"]["diagnostics"] = {"workspaceResourceId": workspace + "<img src=x onerror=alert(1)>|x"}
    data["acceptedWarnings"] = [{"rule": "FW004", "path": "<b>x</b>|y", "reason": PAYLOADS[0] + PAYLOADS[3] + PAYLOADS[5]}]
    result = run("render", write_spec(tmp_path, data), "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output + result.stderr
    readme = (tmp_path / "out" / "README.md").read_text()
    for raw in ("<script", "<img", "<iframe", "![x]", "**bold**", "~~gone~~", "$x^2$", "<b>"):
        assert raw not in readme, raw
    assert not re.search(r"(?<!\\)\]\(javascript", readme)  # a link needs an unescaped ]
    _markdown_rows_are_whole(readme)


def test_re_rendering_swaps_the_directory_in_one_step(tmp_path, monkeypatch):
    """Where the OS offers an atomic exchange (Linux renameat2), the new output takes the old one's place in one step:
    a reader polling the directory never finds it missing. The two-rename fallback, which leaves a moment without it,
    is not taken here."""
    import os
    import sys

    from generator import output

    if not sys.platform.startswith("linux"):
        pytest.skip("renameat2 is Linux's")
    spec = write_spec(tmp_path, load_example(SEED))
    target = tmp_path / "out"
    assert run("render", spec, "-o", target).exit_code == 0
    before = os.stat(target).st_ino
    real = os.rename

    def rename(source, destination, *args, **kwargs):
        assert os.fspath(source) != os.fspath(target), "the output directory was renamed away: it was missing for a moment"
        return real(source, destination, *args, **kwargs)

    monkeypatch.setattr(output.os, "rename", rename)
    data = load_example(SEED)
    data["tags"] = {"owner": "someone-else"}
    spec.write_text(json.dumps(data))
    assert run("render", spec, "-o", target).exit_code == 0
    assert os.stat(target).st_ino != before and "someone-else" in (target / "main.bicepparam").read_text()


# --- round two: no injection through commands gen prints, output folders that never lose a user's file ----------------


def test_an_output_folder_keeps_what_the_user_put_there_as_it_is(tmp_path):
    """A link to a folder stays a link, a 0700 folder stays 0700, a FIFO is carried without being opened (opening one
    waits for a writer, holding the lock), and a folder merely named like gen's staging folder is not deleted."""
    spec = write_spec(tmp_path, load_example(SEED))
    target = tmp_path / "out"
    assert run("render", spec, "-o", target).exit_code == 0
    (tmp_path / "elsewhere").mkdir()
    (target / "linked").symlink_to(tmp_path / "elsewhere")
    private = target / "private"
    private.mkdir()
    private.chmod(0o700)
    os.mkfifo(target / "pipe")
    lookalike = tmp_path / ".out.gen-mine"
    lookalike.mkdir()
    (lookalike / "notes.txt").write_text("mine")
    done = []
    worker = threading.Thread(target=lambda: done.append(run("render", spec, "-o", target, "--force")), daemon=True)
    worker.start()
    worker.join(60)
    assert done and done[0].exit_code == 0, "the render hung on the FIFO"
    assert (target / "linked").is_symlink() and os.readlink(target / "linked") == str(tmp_path / "elsewhere")
    assert stat.S_IMODE((target / "private").stat().st_mode) == 0o700
    assert stat.S_ISFIFO(os.lstat(target / "pipe").st_mode)
    assert (lookalike / "notes.txt").read_text() == "mine"


def test_an_output_path_that_is_a_link_is_refused_with_what_to_do(tmp_path):
    spec = write_spec(tmp_path, load_example(SEED))
    for name, points_to in (("dangling", tmp_path / "nowhere"), ("null", Path("/dev/null")), ("folder", tmp_path)):
        link = tmp_path / name
        link.symlink_to(points_to)
        result = run("render", spec, "-o", link)
        assert result.exit_code == 2 and "is a symbolic link" in result.stderr and no_traceback(result)


def test_no_command_writes_over_the_spec_it_reads(tmp_path):
    spec = write_spec(tmp_path, load_example(SEED))
    before = spec.read_text()
    for command in (["collect", spec, "-o", spec], ["check", spec, "-o", spec]):
        result = run(*command)
        assert result.exit_code == 2 and "which this command reads" in result.stderr
    assert spec.read_text() == before


def test_a_committed_manifest_never_leads_check_out_of_the_output_folder(tmp_path):
    spec = write_spec(tmp_path, load_example(SEED))
    target = tmp_path / "out"
    assert run("render", spec, "-o", target).exit_code == 0
    (tmp_path / "secret.txt").write_text("do not print me")
    manifest = json.loads((target / ".gen-manifest.json").read_text())
    manifest["files"]["../secret.txt"] = "0" * 64
    manifest["files"]["/etc/passwd"] = "0" * 64
    (target / ".gen-manifest.json").write_text(json.dumps(manifest))
    result = run("render", spec, "-o", target, "--check", "--diff")
    assert "do not print me" not in result.output and "secret.txt" not in result.output and "passwd" not in result.output


def test_a_delete_command_gen_prints_quotes_what_old_holds(tmp_path):
    """OLD is never rule-checked: a name there reaches the printed az command as one quoted word."""
    from generator import diff, model

    old = load_example(SEED)
    old["hub"]["vnet"]["subnets"].append({"name": "x$(touch pwned)", "prefix": "10.0.9.0/24"})
    new = load_example(SEED)
    changes = [c for c in diff.compare(model.build(old), model.build(new)) if c.command]
    command = next(c.command for c in changes if "x$(touch pwned)" in c.command)
    assert "'x$(touch pwned)'" in command


def test_check_markdown_keeps_a_file_name_with_a_backtick_out_of_markup(tmp_path):
    data = load_example(SEED)
    spec = tmp_path / "we`ird.json"
    spec.write_text(json.dumps(data))
    assert run("render", spec, "-o", tmp_path / "out").exit_code == 0
    (tmp_path / "out" / "main.bicep").write_text("// changed\n")
    report = run("check", spec, "--format", "markdown").output
    assert "we`ird" not in report.replace("we\\`ird", "")


def test_a_spec_value_never_mentions_anyone_in_a_pull_request_comment():
    from generator import markdown

    assert "@\N{ZERO WIDTH SPACE}octocat" in markdown.text("ping @octocat")
    assert "@octocat" not in markdown.text("ping @octocat")


def test_resilience_of_a_spec_with_errors_is_a_finding():
    bad = Path(__file__).parent / "fixtures" / "specs" / "bad" / "ADDR004-subnets-overlap.json"
    assert run("resilience", bad).exit_code == 1


def test_a_flood_of_one_finding_is_shown_once_with_a_count(tmp_path):
    """200 equal site prefixes: 50 findings of ADDR008 and one that counts the rest, not hundreds (SARIF stays small)."""
    from generator import model, rules

    data = load_example(EXAMPLES / "multi-site.json")
    site = next(b for b in data["branches"] if b.get("kind") == "site")
    site["addressPrefixes"] = [site["addressPrefixes"][0]] * 200
    found = [f for f in rules.check(model.build(data), data) if f.rule_id == "ADDR008"]
    assert len(found) == 51 and "more ADDR008 finding(s)" in found[-1].message


def test_the_pre_commit_hook_hands_gen_check_specs_not_gens_own_files():
    import yaml

    hook = next(h for h in yaml.safe_load((Path(__file__).parent.parent / ".pre-commit-hooks.yaml").read_text())
                if h["id"] == "gen-check")
    files, exclude = re.compile(hook["files"]), re.compile(hook["exclude"])
    for path in ("out/hub/bicepconfig.json", "out/hub/.gen-manifest.json", "capture/capture.json",
                 "capture/resources/sub/rg/Microsoft.Network/virtualNetworks/hub.json"):
        assert files.search(path) and exclude.search(path), path
    assert files.search("specs/hub.json") and not exclude.search("specs/hub.json")
