"""Hostile strings reach Bicep only through `bicep_string`: they compile to exactly the same literal, or are refused."""

from __future__ import annotations

import pytest

from conftest import load_example, variant
from generator import model, rules, spec
from generator.render import bicep_literal, bicep_string

HOSTILE = [
    "it's",
    "${evil}",
    "$${x}",
    "back\\slash\\",
    "'; resource x 'y' = {",
    "ünïcødé ✓ 日本語 🚀",
    "\\${not interpolated}\\'",
    "trailing backslash \\",
]


def test_bicep_string_escapes_what_bicep_would_interpret():
    assert bicep_string("it's") == "'it\\'s'"
    assert bicep_string("${x}") == "'\\${x}'"
    assert bicep_string("a\\b") == "'a\\\\b'"
    assert bicep_string("line\nbreak\ttab") == "'line\\nbreak\\ttab'"
    assert bicep_string("\x01") == "'\\u{1}'"


def test_bicep_literal_quotes_keys_that_are_not_identifiers():
    assert bicep_literal({"dc-amsterdam": 1, "ok": True, "if": None}) == "{\n  'dc-amsterdam': 1\n  ok: true\n  'if': null\n}"


@pytest.mark.compiler
def test_hostile_free_text_compiles_to_the_same_literal(compile_spec):
    def mutate(data):
        data["tags"] = {f"k{i}": value for i, value in enumerate(HOSTILE)}
        for i, value in enumerate(HOSTILE):
            data["hub"]["firewall"]["networkRules"].append({
                "name": f"rule-{i}", "description": value, "sourceAddresses": ["*"], "destinationAddresses": ["*"],
                "destinationPorts": ["*"], "protocols": ["TCP"],
            })

    result = compile_spec(variant(load_example(), mutate))
    assert result.diagnostics == []
    values = result.parameter_values
    assert list(values["tags"].values()) == HOSTILE
    rules = values["firewall"]["ruleCollectionGroups"][0]["ruleCollections"][0]["rules"]
    assert [r["description"] for r in rules[1:]] == HOSTILE


@pytest.mark.parametrize("value", ["line\nbreak", "tab\there", "nul\x00", "bell\x07"])
def test_control_characters_in_free_text_are_refused(value):
    data = variant(load_example(), lambda d: d["hub"]["firewall"]["networkRules"][0].__setitem__("description", value))
    assert spec.schema_findings(data) == []
    findings = rules.check(model.build(data), data)
    assert any(f.severity == "error" and f.path == "hub.firewall.networkRules[0].description" for f in findings), findings


@pytest.mark.parametrize("value", ["a`b", "`", "``x``", "rt`$(x)`", "name with ` and |", "x` [link](http://e)"])
def test_a_backtick_in_a_value_never_ends_up_in_a_code_span_unescaped(value):
    """markdown.code puts plain names in a code span; anything with a backtick goes through text(), which escapes it,
    so no value closes a span early and turns the rest into markup."""
    from generator import markdown

    shown = markdown.code(value)
    assert not shown.startswith("`")  # never a code span around a value holding one
    unescaped = [i for i, c in enumerate(shown) if c == "`" and (i == 0 or shown[i - 1] != "\\")]
    assert unescaped == [], shown
    assert markdown.code("vnet-hub") == "`vnet-hub`"
