"""A mutation round: small plausible bugs put into gen's code one at a time, and the tests of behaviour run against
each. A mutation the tests do not notice is a behaviour no test holds.

    PATH=.tools/bin:.venv/bin:$PATH AZURE_BICEP_USE_BINARY_FROM_PATH=true python scripts/mutation_round.py \
        [--count 80] [--seed 26] [--module generator/resilience.py ...] [--report bench/mutation.md]

Each mutation is one of: a comparison flipped (== and !=, < and <=, > and >=, in and not in, is and is not), `and`
and `or` swapped, a `not` dropped, True and False swapped, an integer off by one, an `if` condition negated. They are
drawn with a fixed seed from every candidate in the modules (by default the code that landed last: adoption, failures,
verify, diff, check, output, devices), applied to a scratch copy of the repository (never to this checkout), and the
test files that exercise the module run with `-x`. Tests that compare against stored expected output (the committed
examples, the README's generated sections) are left out: a mutation they alone catch would ship once someone
regenerates them, so it counts as not caught. The report lists every survivor with its line.
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# module -> the test files that exercise it
ADOPTION = ["tests/test_import.py", "tests/test_adopt_points.py", "tests/test_capture_values.py", "tests/test_adopt.py",
            "tests/test_topologies.py"]
DEVICES = ["tests/test_device_config.py", "tests/test_device_cisco_iosxe.py", "tests/test_device_fortios.py",
           "tests/test_device_junos.py", "tests/test_device_panos.py"]
TESTS = {
    "generator/failures.py": ["tests/test_resilience.py", "tests/test_verify.py"],
    "generator/resilience.py": ["tests/test_resilience.py"],
    "generator/verify.py": ["tests/test_verify.py", "tests/test_adopt_points.py", "tests/test_capture_values.py"],
    "generator/runtime.py": ["tests/test_verify.py", "tests/test_adopt_points.py", "tests/test_capture_values.py", *DEVICES],
    "generator/importer/__init__.py": ADOPTION,
    "generator/importer/evidence.py": ADOPTION,
    "generator/importer/networks.py": ADOPTION,
    "generator/importer/gateways.py": ADOPTION,
    "generator/importer/sites.py": ADOPTION,
    "generator/importer/firewall.py": ADOPTION,
    "generator/importer/tables.py": ADOPTION,
    "generator/importer/kept.py": ADOPTION,
    "generator/diff.py": ["tests/test_diff.py", *ADOPTION],
    "generator/live.py": ["tests/test_diff.py", *ADOPTION],
    "generator/check.py": ["tests/test_check.py", "tests/test_action.py"],
    "generator/output.py": ["tests/test_output.py", "tests/test_hostile.py", "tests/test_cli.py"],
    "generator/markdown.py": ["tests/test_escaping.py", "tests/test_hostile.py"],
    "generator/devices/site.py": [*DEVICES, "tests/test_adopt_points.py"],
    "generator/policy.py": ["tests/test_routing.py", "tests/test_adopt_points.py", "tests/test_resilience.py", "tests/test_rules.py"],
    "generator/arm_rules.py": ADOPTION,
    "generator/ledger.py": ["tests/test_ledger.py", "tests/test_rules.py", "tests/test_check.py"],
    "generator/rules/limits.py": ["tests/test_ledger.py", "tests/test_rules.py"],
    "generator/cost.py": ["tests/test_cost.py"],
    "generator/prices.py": ["tests/test_cost.py"],
    "generator/tables.py": ["tests/test_big_hub.py", "tests/test_output.py"],
}
# Stored expected output: not a test of behaviour (see the docstring).
GOLDEN = ["tests/test_output.py::test_committed_example_output_is_fresh", "tests/test_readme.py",
          "tests/test_device_config.py::test_each_vendor_writes_the_reviewed_files"]

FLIPS = {ast.Eq: "!=", ast.NotEq: "==", ast.Lt: "<=", ast.LtE: "<", ast.Gt: ">=", ast.GtE: ">", ast.In: "not in",
         ast.NotIn: "in", ast.Is: "is not", ast.IsNot: "is"}
SYMBOL = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.In: "in",
          ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not"}


@dataclass(frozen=True)
class Mutation:
    module: str
    line: int
    start: int  # character offsets in the line
    end: int
    replacement: str
    kind: str

    def apply(self, text: str) -> str:
        lines = text.splitlines(keepends=True)
        source = lines[self.line - 1]
        lines[self.line - 1] = source[:self.start] + self.replacement + source[self.end:]
        return "".join(lines)

    def describe(self, text: str) -> str:
        source = text.splitlines()[self.line - 1]
        return f"{self.module}:{self.line}: {self.kind}: `{source[self.start:self.end]}` -> `{self.replacement}`"


def candidates(module: str) -> list[Mutation]:
    text = (ROOT / module).read_text()
    tree = ast.parse(text)
    lines = text.splitlines()
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) and node.body
                  and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and node.lineno == node.end_lineno:
            op = type(node.ops[0])
            if op in FLIPS:
                line = lines[node.lineno - 1]
                gap_start, gap_end = node.left.end_col_offset, node.comparators[0].col_offset
                gap = line[gap_start:gap_end]
                at = gap.find(SYMBOL[op])
                if at >= 0 and node.left.end_lineno == node.lineno:
                    found.append(Mutation(module, node.lineno, gap_start + at, gap_start + at + len(SYMBOL[op]),
                                          FLIPS[op], "comparison"))
        elif isinstance(node, ast.BoolOp) and len(node.values) == 2 and node.lineno == node.end_lineno:
            word = "and" if isinstance(node.op, ast.And) else "or"
            line = lines[node.lineno - 1]
            gap_start, gap_end = node.values[0].end_col_offset, node.values[1].col_offset
            at = line[gap_start:gap_end].find(f" {word} ")
            if at >= 0:
                found.append(Mutation(module, node.lineno, gap_start + at + 1, gap_start + at + 1 + len(word),
                                      "or" if word == "and" else "and", "boolean"))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not) and node.lineno == node.operand.lineno:
            found.append(Mutation(module, node.lineno, node.col_offset, node.operand.col_offset, "", "not dropped"))
        elif isinstance(node, ast.Constant) and id(node) not in docstrings and node.lineno == node.end_lineno:
            if node.value is True or node.value is False:
                found.append(Mutation(module, node.lineno, node.col_offset, node.end_col_offset, str(not node.value), "boolean constant"))
            elif type(node.value) is int and lines[node.lineno - 1][node.col_offset:node.end_col_offset].isdigit():
                found.append(Mutation(module, node.lineno, node.col_offset, node.end_col_offset, str(node.value + 1), "integer"))
        elif isinstance(node, ast.If) and node.test.lineno == node.test.end_lineno:
            found.append(Mutation(module, node.test.lineno, node.test.col_offset, node.test.end_col_offset,
                                  f"not ({ast.get_source_segment(text, node.test)})", "condition negated"))
    return sorted(set(found), key=lambda m: (m.line, m.start, m.kind))


def run_tests(work: Path, tests: list[str], timeout: int) -> str:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *[f"--deselect={g}" for g in GOLDEN], *tests]
    try:
        done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "killed (timeout)"
    if done.returncode == 0:
        return "survived"
    if done.returncode == 1:
        return "killed"
    return f"error {done.returncode}"  # the mutant does not import or collect: not a test's catch, reported apart


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=80)
    parser.add_argument("--seed", type=int, default=26)
    parser.add_argument("--module", action="append", help="only these modules (default: every module of the table)")
    parser.add_argument("--report", type=Path, default=ROOT / "bench" / "mutation.md")
    parser.add_argument("--timeout", type=int, default=600)
    args = parser.parse_args()
    modules = args.module or list(TESTS)
    pool = [m for module in modules for m in candidates(module)]
    chosen = sorted(random.Random(args.seed).sample(pool, min(args.count, len(pool))), key=lambda m: (m.module, m.line))
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch) / "repo"
        shutil.copytree(ROOT, work, ignore=shutil.ignore_patterns(".git", "__pycache__", ".venv", ".tools", "out", "node_modules"),
                        symlinks=True)
        for link in (".venv", ".tools", "node_modules"):
            if (ROOT / link).exists():
                (work / link).symlink_to(ROOT / link)
        shutil.copytree(ROOT / "out", work / "out")
        for number, mutation in enumerate(chosen, 1):
            path = work / mutation.module
            original = path.read_text()
            path.write_text(mutation.apply(original))
            started = time.monotonic()
            verdict = run_tests(work, TESTS[mutation.module], args.timeout)
            path.write_text(original)
            results.append((mutation, mutation.describe(original), verdict, time.monotonic() - started))
            print(f"[{number}/{len(chosen)}] {verdict:9} {results[-1][1]}", flush=True)
    killed = sum(v.startswith("killed") for _, _, v, _ in results)
    errors = sum(v.startswith("error") for _, _, v, _ in results)
    scored = len(results) - errors
    lines = [f"# Mutation round (seed {args.seed}, {len(results)} mutations of {len(pool)} candidates)", "",
             f"Run by `python scripts/mutation_round.py --count {args.count} --seed {args.seed}` on {time.strftime('%Y-%m-%d')}.",
             "Stored-output tests left out; a mutant that does not import is not scored.", "",
             f"**{killed} of {scored} caught by tests of behaviour ({100 * killed / max(scored, 1):.0f} %)**; "
             f"{errors} not scored.", "", "| verdict | mutation | seconds |", "|---|---|---|"]
    lines += [f"| {verdict} | `{escaped}` | {seconds:.0f} |"
              for _, text, verdict, seconds in results for escaped in [text.replace("|", "\\|")]]
    args.report.write_text("\n".join(lines) + "\n")
    print(f"{killed}/{scored} caught; report in {args.report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
