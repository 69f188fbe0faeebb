"""The case page's care panels (evidence, matches, consent and data rights,
printable forms), each owned by its own module.

Every module listed in :data:`PANEL_MODULES` exposes ``PANEL_TEMPLATE``,
``PANEL_COLUMN`` ("main" beside the child's details, "side" beside the
actions) and ``panel_context(user, case, child) -> dict | None`` (None: the
panel is not shown to this user). ``child`` says whether this page already
opened the child's data for ``user`` (a check and an audited grant done by
the case page): a panel must not open it again on its own.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any

PANEL_MODULES = (
    "caseapp.care.matching",
    "caseapp.care.data_rights",
    "caseapp.care.consent",
    "caseapp.care.evidence",
    "caseapp.care.printing",
)


@dataclass(frozen=True)
class Panel:
    template: str
    column: str
    context: dict[str, Any]


def case_panels(user, case, child: bool, overrides: dict | None = None) -> list[Panel]:
    """The panels shown to ``user``. ``overrides`` maps a module name to context
    entries that replace the panel's own (a submitted form with its errors)."""
    panels = []
    for name in PANEL_MODULES:
        module = import_module(name)
        context = module.panel_context(user, case, child)
        if context is not None:
            context.update((overrides or {}).get(name, {}))
            panels.append(Panel(module.PANEL_TEMPLATE, module.PANEL_COLUMN, context))
    return panels
