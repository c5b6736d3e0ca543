"""Spec values in Markdown: the one escaping path for everything gen writes into Markdown.

Pull-request viewers render the output README, the plan, the diff and findings tables. A tag
value, a workspace name or an accepted warning's reason comes from whoever wrote the spec and
must appear as the text it is: never as HTML (`<script>`, `<img onerror>`), a link or image
(`[x](javascript:...)`, `![](https://remote)`), emphasis, or a `|` that splits a table row.
"""

from __future__ import annotations

import re

# CommonMark lets a backslash escape any ASCII punctuation. Values never start a line (they sit in table cells
# and sentences), so only inline markup needs escaping: code, emphasis, links and images (`[`), strikethrough,
# GitHub's math (`$`) and the cell separator. The rest stays readable in the raw file a reviewer diffs.
_MARKUP = set("\\`*_[]|~$")
_ENTITIES = {"<": "&lt;", "&": "&amp;"}  # no tag or entity starts without these; `->` stays readable
# A value shown as code: plain names, prefixes and ids, nothing a code span or a table could misread.
_PLAIN = re.compile(r'^[A-Za-z0-9 ._:/,=+@()"\-]*$')


def text(value) -> str:
    """`value` as literal Markdown text: what could start HTML made entities, markup characters escaped, lines joined."""
    out = []
    for char in " ".join(str(value).splitlines()):
        if char in _ENTITIES:
            out.append(_ENTITIES[char])
        elif char in _MARKUP:
            out.append("\\" + char)
        elif char == "@":
            out.append("@\N{ZERO WIDTH SPACE}")  # no spec value mentions (pings) someone in a pull-request comment
        elif not char.isprintable():
            out.append("\N{REPLACEMENT CHARACTER}")
        else:
            out.append(char)
    return "".join(out)


def code(value) -> str:
    """`value` as a code span when that is safe (a name, a prefix, an id), else as escaped text."""
    value = str(value)
    if value and _PLAIN.match(value):
        return f"`{value}`"
    return text(value)
