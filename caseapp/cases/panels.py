"""The case page's registry of panels: features add sections to it, and
``cases`` names none of them.

A feature registers a :class:`PanelSpec` (from its ``panel.py``) in its
``init_app``: a name, a template, a column ("top" above everything, "main"
beside the child's details, "side" beside the actions) and
``context(user, case, child) -> dict | None`` (None: not shown to ``user``).
``child`` says whether the page already opened the child's data for ``user``
(checked and audited by the case page): a panel must not open it on its own.

A failed form of a feature goes back to the case page one way:
``render_case(case, panel_overrides={panel name: {context entries}})``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Context = Callable[[Any, Any, bool], dict | None]
COLUMNS = ("top", "main", "side")


@dataclass(frozen=True)
class PanelSpec:
    name: str
    template: str
    column: str
    context: Context
    order: int = 100


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    column: str
    context: dict[str, Any]


_registry: dict[str, PanelSpec] = {}


def register(spec: PanelSpec) -> None:
    if spec.column not in COLUMNS:
        raise ValueError(f"unknown panel column {spec.column!r}")
    _registry[spec.name] = spec


def case_panels(user, case, child: bool, overrides: dict | None = None) -> list[Panel]:
    """The panels shown to ``user``, in their order; ``overrides`` maps a panel's
    name to context entries that replace its own (a submitted form with errors)."""
    shown = []
    for spec in sorted(_registry.values(), key=lambda s: (s.order, s.name)):
        context = spec.context(user, case, child)
        if context is None:
            continue
        context.update((overrides or {}).get(spec.name, {}))
        shown.append(Panel(spec.name, spec.template, spec.column, context))
    return shown
