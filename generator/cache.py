"""gen's cache directory: work a later run can skip, like Python's __pycache__.

Two things are cached, both keyed by everything they depend on, so a stale entry is never
used: compiled Jinja templates (keyed by the template's source) and "this spec content is
schema-valid" verdicts (keyed by the schema's text and the spec's content). Importing the
schema validator and compiling templates are most of what a render costs.
`GEN_NO_CACHE=1` turns the cache off; `XDG_CACHE_HOME` moves it (default ~/.cache/gen).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from . import __version__


def directory(kind: str) -> Path | None:
    """A writable cache directory for `kind`, or None (no cache: gen works the same, only slower)."""
    if os.environ.get("GEN_NO_CACHE"):
        return None
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gen" / __version__ / kind
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return base if os.access(base, os.W_OK) else None


def key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def seen(kind: str, entry: str) -> bool:
    folder = directory(kind)
    return folder is not None and (folder / entry).is_file()


def remember(kind: str, entry: str) -> None:
    folder = directory(kind)
    if folder is None:
        return
    try:
        (folder / entry).touch()
    except OSError:
        pass  # a cache that cannot be written is only a slower run
