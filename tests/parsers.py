"""The real Mermaid and Kusto parsers (tools/node, pinned by its package-lock.json), run on generated text.

Never skipped: without Node.js or tools/node/node_modules the tests fail and say how to fix it,
because a diagram nobody parsed can still break the picture in a pull request.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

NODE_TOOLS = Path(__file__).resolve().parent.parent / "tools" / "node"


def parse(tool: str, texts: dict[str, str], directory: Path) -> dict[str, dict]:
    """Run tools/node/<tool>.mjs ("mermaid" or "kql") once over every text: name -> its JSON verdict."""
    node = shutil.which("node")
    if node is None or not (NODE_TOOLS / "node_modules").is_dir():
        pytest.fail("NO NODE PARSERS: the Mermaid and KQL checks cannot run. `make test` installs them (scripts/setup.sh "
                    "runs npm ci in tools/node; it needs Node.js 20.19+ and npm). These tests are never skipped.",
                    pytrace=False)
    directory.mkdir(parents=True, exist_ok=True)
    files = {}
    for index, (name, text) in enumerate(texts.items()):
        path = directory / f"{index:03d}.{tool}"
        path.write_text(text, encoding="utf-8")
        files[str(path)] = name
    result = subprocess.run([node, str(NODE_TOOLS / f"{tool}.mjs"), *files], capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    verdicts = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(verdicts) == len(files), result.stdout + result.stderr
    return {files[v["file"]]: v for v in verdicts}


def mermaid_blocks(markdown: str) -> list[str]:
    """The ```mermaid blocks of a Markdown text."""
    blocks, current = [], None
    for line in markdown.splitlines():
        if current is None and line.strip() == "```mermaid":
            current = []
        elif current is not None and line.strip() == "```":
            blocks.append("\n".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return blocks
