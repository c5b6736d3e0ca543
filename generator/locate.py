"""Line numbers of spec paths, so that findings can point at a line (SARIF annotations in pull requests).

Python's json module does not keep positions, so this is a small scanner over
the same text: it records where each value starts, by spec path.
"""

from __future__ import annotations

import bisect
import json
import re

from .findings import format_path

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_SCALAR = re.compile(r"-?[0-9.eE+-]+|true|false|null")


def line_index(text: str) -> dict[str, int]:
    """Spec path (`hub.vnet.subnets[1].prefix`) -> 1-based line where its value starts. Empty if not JSON."""
    positions: dict[str, int] = {}
    # Where every line starts, found once: a value's line is then a binary search, not a recount of the text
    # before it (which made 40,000 array items take half a minute).
    newlines = [match.start() for match in re.finditer("\n", text)]
    try:
        _value(text, _skip(text, 0), [], positions, newlines)
    except (IndexError, ValueError, RecursionError):
        return {}
    return positions


def line_of(positions: dict[str, int], path: str) -> int:
    """The line of `path`, or of its nearest ancestor that exists (a missing field points at its parent)."""
    while path:
        if path in positions:
            return positions[path]
        path = re.sub(r"(\.[^.\[\]]+|\[\d+\])$", "", path) if re.search(r"(\.[^.\[\]]+|\[\d+\])$", path) else ""
    return positions.get("(spec)", 1)


def _skip(text: str, at: int) -> int:
    return _WHITESPACE.match(text, at).end()


def _value(text: str, at: int, path: list, positions: dict, newlines: list[int]) -> int:
    positions[format_path(path)] = bisect.bisect_left(newlines, at) + 1
    char = text[at]
    if char == "{":
        at = _skip(text, at + 1)
        if text[at] == "}":
            return at + 1
        while True:
            match = _STRING.match(text, at)
            if not match:
                raise ValueError("expected a key")
            key = json.loads(match.group())
            at = _skip(text, match.end())
            if text[at] != ":":
                raise ValueError("expected ':'")
            at = _skip(text, _value(text, _skip(text, at + 1), [*path, key], positions, newlines))
            if text[at] == "}":
                return at + 1
            if text[at] != ",":
                raise ValueError("expected ','")
            at = _skip(text, at + 1)
    if char == "[":
        at = _skip(text, at + 1)
        if text[at] == "]":
            return at + 1
        index = 0
        while True:
            at = _skip(text, _value(text, at, [*path, index], positions, newlines))
            if text[at] == "]":
                return at + 1
            if text[at] != ",":
                raise ValueError("expected ','")
            at = _skip(text, at + 1)
            index += 1
    match = _STRING.match(text, at) or _SCALAR.match(text, at)
    if not match:
        raise ValueError("unexpected character")
    return match.end()
