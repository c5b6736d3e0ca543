"""What every stage reports about a spec: findings with a rule id and a spec path."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Finding:
    """One problem in a spec, anchored at a spec path such as `hub.vnet.subnets[1].prefix`."""

    path: str
    rule_id: str
    severity: str
    message: str
    title: str = ""
    link: str = ""
    accepted: str = ""  # the reason, when the spec accepts this warning deliberately (acceptedWarnings)
    file: str = ""  # another file than the spec it is about (gen verify: a file of the capture)

    def accept(self, reason: str) -> "Finding":
        return replace(self, accepted=reason)

    def at_file(self, file: str) -> "Finding":
        return replace(self, file=file)

    def sort_key(self) -> tuple:
        return (path_sort_key(self.path), self.rule_id, self.message)


def path_sort_key(path: str) -> tuple:
    """Sort `a.b[10]` after `a.b[9]`: numbers compare as numbers."""
    # (0, n) before (1, text): a tag named "1" and a tag named "a" still compare.
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"[.\[\]]+", path) if part)


def sort_findings(findings) -> list[Finding]:
    return sorted(findings, key=Finding.sort_key)


def format_path(parts) -> str:
    """Turn a JSON pointer-like sequence ('hub', 'vnet', 'subnets', 1) into `hub.vnet.subnets[1]`."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(spec)"
