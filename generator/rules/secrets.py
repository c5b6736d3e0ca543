"""Rules: secrets and hostile free text anywhere in the spec (SEC).

Secret-looking *keys* are already refused by the schema (additionalProperties);
these rules look at string *values* (and tag keys, the only free-form keys).
A secret is never echoed back: the message names the keyword, not the value.
"""

from __future__ import annotations

import re

from ..findings import WARNING, format_path
from . import SECRETS_LINK, rule
from .helpers import has_control_character, tag_path

NAMING_LINK = "https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules"

SECRET_ASSIGNMENT = re.compile(r"(shared[-_ ]?key|password|passwd|secret|authorization[-_ ]?key)\s*[=:]", re.IGNORECASE)
# A long run of base64/hex-like characters with both letters and digits: a key or token pasted by mistake.
TOKEN = re.compile(r"[A-Za-z0-9+/_-]{40,}={0,2}")


def strings(value, parts=()):
    """Every string in the spec: (path parts, text, is_tag_key). Tag keys are the only free-text keys."""
    if isinstance(value, str):
        yield parts, value, False
    elif isinstance(value, dict):
        for key, item in value.items():
            if parts == ("tags",):
                yield parts, key, True
            yield from strings(item, parts + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings(item, parts + (index,))


def _where(parts, is_key: bool) -> str:
    if is_key:
        return "tags"
    if parts[:1] == ("tags",) and len(parts) == 2:
        return tag_path(parts[1])
    return format_path(parts)


@rule("SEC001", "Secret written into the spec", SECRETS_LINK)
def secret_values(topology, data):
    """A value like `password=...` or `sharedKey: ...` anywhere in the spec. The spec is committed and copied into
    the generated files; secrets are @secure() parameters read from environment variables when deploying."""
    for parts, text, is_key in strings(data):
        match = SECRET_ASSIGNMENT.search(text)
        if match:
            what = f"tag key {match.group(1)!r}" if is_key else f"a value containing '{match.group(1)}{text[match.end() - 1]}'"
            yield _where(parts, is_key), (
                f"{what} looks like a credential. Secrets never go in the spec (it is committed and copied into the "
                f"generated files): shared keys and authorization keys are @secure() parameters read from the "
                f"environment variables VPN_SHARED_KEY_<NAME> / ER_AUTH_KEY_<NAME> when deploying. Remove it and rotate it")


@rule("SEC002", "Control character in a string", NAMING_LINK)
def control_characters(topology, data):
    """Azure names, tags and rule descriptions take no control characters (newline, tab, ...), and they garble the
    generated files."""
    for parts, text, is_key in strings(data):
        if has_control_character(text):
            what = "tag key" if is_key else "value"
            yield _where(parts, is_key), (
                f"{what} {text!r} contains a control character (newline, tab, ...): Azure names, tags and rule "
                f"descriptions do not take them, and they garble the generated files. Remove it")


@rule("SEC003", "Free text contains what looks like a key or token", SECRETS_LINK, severity=WARNING)
def token_in_free_text(topology, data):
    """A long run of letters and digits in a description or tag looks like a key or token pasted by mistake."""
    for parts, text, is_key in strings(data):
        free_text = is_key or parts[:1] == ("tags",) or parts[-1:] == ("description",)
        if not free_text:
            continue
        for match in TOKEN.finditer(text):
            token = match.group(0)
            if any(c.isdigit() for c in token) and any(c.isalpha() for c in token):
                yield _where(parts, is_key), (
                    f"a {len(token)}-character token looks like a key pasted into free text: secrets "
                    f"belong in environment variables, never in the spec. Remove it if it is one")
                break
