"""The README of a spec of several hubs: what each hub is, the order to deploy, and what crosses between them."""

from __future__ import annotations


def readme(fleet, source, context) -> str:
    return "# placeholder\n"
