"""Load a spec file and check it against the JSON Schema.

Two kinds of trouble, kept apart because scripts treat them differently:
`SpecInputError` (the file cannot be read as a JSON object: exit 2) and schema
findings (the JSON is there but has the wrong shape: exit 1, all listed at once).
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from . import cache
from .findings import Finding, format_path, sort_findings
from .rules import SCHEMA, SECRET_FIELD


class SpecInputError(Exception):
    """The spec file cannot be read as a JSON object. The message is one line for the user."""

    def __init__(self, message: str, line: int = 1):
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class LoadedSpec:
    """The raw spec with where it came from: its file and text (for line numbers), and what the spec says.

    `sha256` hashes the parsed spec, not its bytes: reformatting the file or a CRLF checkout changes nothing.
    """

    data: dict
    file_name: str
    sha256: str
    path: str = ""
    text: str = ""


def content_hash(data: dict) -> str:
    """sha256 of the spec's content in a canonical JSON form (sorted keys, no whitespace)."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load(path: str | Path) -> LoadedSpec:
    """Read `path` as a JSON object, or raise SpecInputError with a one-line reason."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SpecInputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SpecInputError(f"{path}: is a directory, not a spec file") from None
    except PermissionError:
        raise SpecInputError(f"{path}: permission denied") from None
    except OSError as exc:
        raise SpecInputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return parse(raw, path)


def parse(raw: bytes, path: str | Path) -> LoadedSpec:
    """A spec's bytes as a JSON object (`path` names it in messages), or SpecInputError."""
    path = Path(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecInputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise SpecInputError(f"{path}: the file is empty; `gen init` writes a starter spec")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecInputError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {_plain_words(text, exc)}", exc.lineno) from None
    except RecursionError:
        raise SpecInputError(f"{path}: JSON nested too deeply to be a spec") from None
    if not isinstance(data, dict):
        raise SpecInputError(f"{path}: the spec must be a JSON object, found {type(data).__name__}")
    return LoadedSpec(data=data, file_name=path.name, sha256=content_hash(data), path=str(path), text=text)


def _plain_words(text: str, exc: json.JSONDecodeError) -> str:
    """What is wrong, the way a person would say it, for the mistakes people make in JSON."""
    before = text[:exc.pos].rstrip()
    here = text[exc.pos:exc.pos + 2]
    if not text[exc.pos:].strip():
        return "the file ends too early (an unclosed bracket or brace?)"
    if here.startswith(("//", "/*")) or (here.startswith("#") and exc.msg.startswith("Expecting")):
        return "a comment; JSON has no comments (put notes in a `description` or a tag)"
    if before.endswith(",") and here[:1] in "]}":
        return "a trailing comma before the closing bracket; remove the comma"
    if here[:1] == "'":
        return "a string in single quotes; JSON strings take double quotes"
    if exc.msg.startswith("Expecting ',' delimiter") and here[:1] in "\"{[":
        return "a missing comma between two values"
    if exc.msg.startswith("Expecting property name"):
        return "a key without double quotes; JSON keys take double quotes"
    return exc.msg


@lru_cache(maxsize=1)
def _schema_text() -> str:
    return resources.files("generator.schemas").joinpath("spec.schema.json").read_text("utf-8")


@lru_cache(maxsize=1)
def schema() -> dict:
    """The spec's JSON Schema, shipped inside the package."""
    return json.loads(_schema_text())


def schema_findings(data: dict) -> list[Finding]:
    """Every way `data` breaks the schema, one finding each, sorted by spec path.

    A spec content found valid before (same schema text) is not checked again: importing the
    validator is the slowest part of gen, and the verdict depends on nothing else.
    """
    verdict = cache.key(_schema_text(), content_hash(data))
    if cache.seen("schema-valid", verdict):
        return []
    import jsonschema  # loaded only when a spec is checked

    validator = jsonschema.Draft202012Validator(schema(), format_checker=None)
    findings = sort_findings(set(_finding(error) for error in _leaf_errors(validator.iter_errors(data))))
    if not findings:
        cache.remember("schema-valid", verdict)
    return findings


def _leaf_errors(errors):
    """Skip the umbrella errors of `if/then` and keep the specific ones underneath."""
    for error in errors:
        if error.validator in ("allOf", "anyOf", "oneOf", "if", "then") and error.context:
            yield from _leaf_errors(error.context)
        else:
            yield error


def _show(value) -> str:
    """A value as JSON for a message: unicode as is, long values shortened."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _finding(error) -> Finding:
    path = format_path(error.absolute_path)
    message = error.message
    if error.validator == "additionalProperties":
        return _unknown_keys(error, path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        message = f"missing required field '{missing}'"
    elif error.validator == "enum":
        allowed = ", ".join(_show(v) for v in error.validator_value)
        message = f"{_show(error.instance)} is not one of {allowed}{_did_you_mean(error.instance, error.validator_value)}"
    elif error.validator == "const":
        message = f"{_show(error.instance)} should be {_show(error.validator_value)}"
    elif error.validator == "pattern":
        message = f"{_show(error.instance)} is not valid here: {error.schema.get('description', 'must match ' + error.validator_value)}"
    elif error.validator == "type":
        message = f"{_show(error.instance)} is not of type {error.validator_value}"
    return SCHEMA.finding(path, message)


def _unknown_keys(error, path: str) -> Finding:
    known = sorted(error.schema.get("properties", {}))
    unknown = sorted(set(error.instance) - set(known))
    parts = []
    for key in unknown:
        guess = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f" (did you mean '{guess[0]}'?)" if guess else ""
        parts.append(f"'{key}'{hint}")
    message = f"unknown field {', '.join(parts)}; allowed here: {', '.join(known)}"
    if any(key.lower() in ("sshpublickey", "publickey", "sshkey") for key in unknown):
        message += ". The test VMs' SSH public key comes from the environment variable TEST_VM_SSH_PUBLIC_KEY when you deploy"
    elif any(_looks_secret(key) for key in unknown):
        message = (
            f"secret-like field {', '.join(parts)} refused: secrets never go in the spec. Shared keys and "
            "authorization keys are @secure() parameters that main.bicepparam reads from environment variables "
            "(VPN_SHARED_KEY_<NAME>, ER_AUTH_KEY_<NAME>) when you deploy"
        )
        return SECRET_FIELD.finding(path, message)
    return SCHEMA.finding(path, message)


def _did_you_mean(value, allowed) -> str:
    """A suggestion for a value that is only a case or a letter away from an allowed one ("Site", "VpnGw2az")."""
    if not isinstance(value, str):
        return ""
    texts = [a for a in allowed if isinstance(a, str)]
    same_case = [a for a in texts if a.lower() == value.lower()]
    guess = same_case or difflib.get_close_matches(value, texts, n=1, cutoff=0.75)
    return f" (did you mean {_show(guess[0])}?)" if guess else ""


def _looks_secret(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in ("key", "secret", "password", "token"))
