"""Refresh the generated sections of README.md (field reference, rule table, traces and routes).

Each section sits between `<!-- BEGIN: <command> -->` and `<!-- END: <command> -->`
and holds that command's output; tests/test_readme.py fails when one is stale.
Run with `make readme`.
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
SECTION = re.compile(r"(<!-- BEGIN: (?P<command>.+?) -->\n)(?P<body>.*?)(<!-- END: (?P=command) -->)", re.S)


def command_output(command: str) -> str:
    """Output of a `gen ...` command, run in-process from the repository root."""
    from generator.cli import main

    args = shlex.split(command)[1:]
    result = CliRunner(mix_stderr=False).invoke(main, args, prog_name="gen")
    body = result.output
    if command.startswith(("gen trace", "gen routes", "gen resilience", "gen cost")):
        return f"```console\n$ {command}\n{body}```\n"
    return body


def refreshed(text: str) -> str:
    return SECTION.sub(lambda m: m.group(1) + command_output(m.group("command")) + m.group(4), text)


def main() -> int:
    import os

    os.chdir(ROOT)  # the commands name examples/ relative to the repository root
    readme = ROOT / "README.md"
    text = readme.read_text("utf-8")
    new = refreshed(text)
    if new != text:
        readme.write_text(new, "utf-8")
        print("README.md: generated sections refreshed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
