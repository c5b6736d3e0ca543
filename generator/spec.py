"""Load a spec file and check it against the JSON Schema.

Two kinds of trouble, kept apart because scripts treat them differently:
`SpecInputError` (the file cannot be read as a JSON object: exit 2) and schema
findings (the JSON is there but has the wrong shape: exit 1, all listed at once).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import stat
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from . import cache
from .findings import Finding, format_path, sort_findings
from .rules import DUPLICATE_KEY, SCHEMA, SECRET_FIELD


# A spec is a few kilobytes; a file far larger is a mistake (a log, a capture) or an attack on the parser.
MAX_SPEC_BYTES = 5 * 1024 * 1024


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
    duplicate_keys: tuple[tuple[str, str], ...] = ()  # (spec path of the object, key) for each key given twice


def content_hash(data: dict) -> str:
    """sha256 of the spec's content in a canonical JSON form (sorted keys, no whitespace)."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load(path: str | Path) -> LoadedSpec:
    """Read `path` as a JSON object, or raise SpecInputError with a one-line reason."""
    return parse(read_bounded(path, "spec", MAX_SPEC_BYTES, SpecInputError), path)


def read_bounded(path: str | Path, what: str, limit: int, error: type[Exception]) -> bytes:
    """The bytes of a regular file of at most `limit` bytes, or `error` with a one-line reason.

    A FIFO, a device (/dev/zero) or a directory is refused before it is opened, so that reading
    never blocks or runs without end."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except PermissionError:
        raise error(f"{path}: permission denied") from None
    except (OSError, RuntimeError) as exc:  # a symlink loop, a name too long
        raise error(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise error(f"{path}: is a directory, not a {what} file")
    if not stat.S_ISREG(info.st_mode):
        raise error(f"{path}: not a regular file (a pipe or a device?); give gen the {what} file itself")
    if info.st_size > limit:
        raise error(f"{path}: {info.st_size:,} bytes; a {what} file is at most {limit:,} bytes")
    try:
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
    except PermissionError:
        raise error(f"{path}: permission denied") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(raw) > limit:
        raise error(f"{path}: more than {limit:,} bytes; a {what} file is at most {limit:,} bytes")
    return raw


def parse(raw: bytes, path: str | Path) -> LoadedSpec:
    """A spec's bytes as a JSON object (`path` names it in messages), or SpecInputError."""
    path = Path(path)
    if len(raw) > MAX_SPEC_BYTES:
        raise SpecInputError(f"{path}: more than {MAX_SPEC_BYTES:,} bytes; a spec file is at most {MAX_SPEC_BYTES:,} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecInputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise SpecInputError(f"{path}: the file is empty; `gen init` writes a starter spec")
    data, duplicates = decode_json(text, path, SpecInputError)
    if not isinstance(data, dict):
        raise SpecInputError(f"{path}: the spec must be a JSON object, found {type(data).__name__}")
    where = _first_unencodable(data)
    if where is not None:
        raise SpecInputError(f"{path}: {where}: not valid Unicode text (a lone surrogate escape such as \\ud800)")
    return LoadedSpec(data=data, file_name=path.name, sha256=content_hash(data), path=str(path), text=text,
                      duplicate_keys=duplicates)


def decode_json(text: str, path, error: type[Exception]):
    """Parse JSON text; returns (data, duplicate keys as (object path, key)). Every failure is `error`, one line."""
    seen: list[tuple[dict, list[str]]] = []

    def pairs(items):
        found: dict = {}
        twice = []
        for key, value in items:
            if key in found:
                twice.append(key)
            found[key] = value
        if twice:
            seen.append((found, twice))
        return found

    try:
        data = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise error(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {_plain_words(text, exc)}", exc.lineno) from None
    except RecursionError:
        raise error(f"{path}: JSON nested too deeply") from None
    except ValueError as exc:  # an integer of thousands of digits
        raise error(f"{path}: not a value gen can read ({exc})") from None
    if not seen:
        return data, ()
    paths = {id(obj): where for where, obj in _objects(data)}
    return data, tuple((paths.get(id(obj), "(spec)"), key) for obj, keys in seen for key in keys)


def _objects(data, where: tuple = ()):
    """(spec path, object) of every JSON object in `data`, iteratively (a deep document must not recurse)."""
    stack = [(where, data)]
    while stack:
        here, node = stack.pop()
        if isinstance(node, dict):
            yield format_path(here), node
            stack += [((*here, key), value) for key, value in node.items()]
        elif isinstance(node, list):
            stack += [((*here, index), value) for index, value in enumerate(node)]


def _first_unencodable(data) -> str | None:
    """The spec path of the first string (key or value) that is not valid Unicode, e.g. a lone surrogate."""
    stack = [((), data)]
    while stack:
        here, node = stack.pop()
        texts = []
        if isinstance(node, dict):
            texts = list(node)
            stack += [((*here, key), value) for key, value in node.items()]
        elif isinstance(node, list):
            stack += [((*here, index), value) for index, value in enumerate(node)]
        elif isinstance(node, str):
            texts = [node]
        for text in texts:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                return format_path(here)
    return None


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

    validator = _validator_class()(schema(), format_checker=None)
    found = set(_finding(error) for error in _leaf_errors(validator.iter_errors(data))) if isinstance(data, dict) else set()
    findings = sort_findings(found | set(_hub_or_hubs(data)))
    if not findings:
        cache.remember("schema-valid", verdict)
    return findings



ONE_HUB_ONLY = ("location", "resourceGroup", "subscriptionId")  # a spec of several hubs gives these per hub


def _hub_or_hubs(data: dict):
    """One hub (`hub`, with the spec's `location`) or several (`hubs`, each with its own): the shape JSON Schema
    states badly (an anyOf of required lists reads as two unrelated errors)."""
    if "hub" in data and "hubs" in data:
        yield SCHEMA.finding("hubs", "give `hub` (one hub) or `hubs` (several, one per region), not both")
    elif "hubs" in data:
        for key in ONE_HUB_ONLY:
            if key in data:
                yield SCHEMA.finding(key, f"'{key}' belongs to each hub when the spec has several: move it into each "
                                          f"entry of `hubs`")
    else:
        for key in ("location", "hub"):
            if key not in data:
                yield SCHEMA.finding("(spec)", f"missing required field '{key}'" + (
                    " (or `hubs`, a list of hubs, for several regions)" if key == "hub" else ""))
        for list_name in ("onPremises", "branches", "spokes"):
            entries = data.get(list_name)
            for i, entry in enumerate(entries if isinstance(entries, list) else []):
                for key in ("hub", "connections"):
                    if isinstance(entry, dict) and key in entry:
                        yield SCHEMA.finding(f"{list_name}[{i}].{key}", f"'{key}' names one of several hubs, and this "
                                                                       f"spec has one (`hub`): remove it")

@lru_cache(maxsize=1)
def _validator_class():
    """Draft 2020-12, except that an integer is an integer: JSON Schema counts 65515.0 as one, and a float
    where Azure wants an int (an ASN, a weight) must be refused here, not crash the render."""
    import jsonschema

    base = jsonschema.Draft202012Validator
    checker = base.TYPE_CHECKER.redefine("integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool))
    return jsonschema.validators.extend(base, type_checker=checker)


def duplicate_key_findings(loaded: LoadedSpec) -> list[Finding]:
    """A key given twice in one object: JSON parsers keep the last one silently, so the reader of the spec
    and gen would disagree on what it says."""
    return [DUPLICATE_KEY.finding(f"{where}.{key}" if where != "(spec)" else key,
                                  f"'{key}' is given more than once in this object; JSON keeps only the last one, so "
                                  f"the earlier ones are silently ignored: keep one")
            for where, key in loaded.duplicate_keys]


def _leaf_errors(errors):
    """Skip the umbrella errors of `if/then` and keep the specific ones underneath."""
    for error in errors:
        if error.validator in ("allOf", "anyOf", "oneOf", "if", "then") and error.context:
            yield from _leaf_errors(error.context)
        else:
            yield error


def _show(value) -> str:
    """A value as JSON for a message: unicode as is, long values shortened (a huge value is never copied whole)."""
    if isinstance(value, str) and len(value) > 200:
        value = value[:200]
    elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        return f"an integer of {len(str(value)):,} digits" if value.bit_length() < 14000 else "an integer of thousands of digits"
    elif isinstance(value, (list, dict)):
        text = json.dumps(value, ensure_ascii=False)[:200] if _small(value) else ("[...]" if isinstance(value, list) else "{...}")
        return text if len(text) <= 80 else text[:77] + "..."
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _small(value, budget: int = 200) -> bool:
    """Whether a JSON value has few enough items to print a part of it cheaply."""
    stack, seen = [value], 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > budget:
            return False
        if isinstance(node, dict):
            stack += node.values()
        elif isinstance(node, list):
            stack += node
    return True


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
        wanted = error.validator_value
        message = f"{_show(error.instance)} is not of type {wanted}"
        if wanted == "integer" and isinstance(error.instance, float):
            message += " (write it without a decimal point or exponent)"
    elif error.validator in ("maxLength", "minLength"):
        bound = "at most" if error.validator == "maxLength" else "at least"
        message = f"{_show(error.instance)} has {len(error.instance):,} characters; {bound} {error.validator_value} here"
    elif error.validator in ("maximum", "minimum"):
        bound = "at most" if error.validator == "maximum" else "at least"
        message = f"{_show(error.instance)} is out of range: {bound} {error.validator_value}"
    elif error.validator in ("maxItems", "minItems"):
        bound = "at most" if error.validator == "maxItems" else "at least"
        message = f"{len(error.instance):,} item(s); {bound} {error.validator_value} here"
    elif len(message) > 300:
        message = message[:297] + "..."
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
