"""The case page's registry of panels: features add sections to it, and
``cases`` names none of them.

A feature registers a :class:`PanelSpec` (from its ``panel.py``) in its
``init_app``: a name, a template, a column ("top" above everything, "main"
beside the child's details, "side" beside the actions) and
``context(user, case, child) -> dict | None`` (None: not shown to ``user``).
The "history" column holds records of what happened, folded below the rest.
A context may offer ``"next_steps"``: :class:`NextStep` items the page lists
in its "what to do next" block (an action of the feature, with its due time).
``child`` says whether the page already opened the child's data for ``user``
(checked and audited by the case page): a panel must not open it on its own.

A failed form of a feature goes back to the case page one way:
``render_case(case, panel_overrides={panel name: {context entries}})``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Context = Callable[[Any, Any, bool], dict | None]
COLUMNS = ("top", "main", "side", "history")


@dataclass(frozen=True)
class NextStep:
    """A link in the case page's "what to do next": the id of the form on the
    page, what it does, its due time (aware) if a deadline applies, whether
    it is routine (a note, a person) rather than a step of the procedure, and
    the URL of the form's own page when it is not on the case page."""

    anchor: str
    title: Any
    due: datetime | None = None
    routine: bool = False
    url: str | None = None

    @property
    def href(self) -> str:
        return self.url or f"#{self.anchor}"


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
