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

A panel that costs (reads many rows, decrypts, renders long lists or forms)
has its own page, a *section*: ``section`` names it in its URL
(``/cases/<reference>/sections/<section>``, views.section_page) and
``summary(user, case, child) -> dict | None`` gives the case page its short
line instead (``{"line": text}``, computed with a cheap SQL aggregate, plus
``next_steps`` if it has any), rendered by ``summary_template``. The summary
decides who is shown the panel: None there is a 403 on the section page, so
``summary`` and ``context`` must agree on it. Something a person must see at
once for the child's safety stays on the case page (a panel without a
section, or a summary template that shows it).

A failed form of a feature goes back to where the form is, one way:
``page.render_panel_failure(case, panel name, {context entries}, ...)``: the
section page for a panel that has one, else the case page.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import request, url_for

from caseapp import paging

Context = Callable[[Any, Any, bool], dict | None]
# "approval": shown to a supervisor reading what they are asked to approve,
# under the closure request (cases/_approval.html).
COLUMNS = ("top", "main", "side", "history", "approval")


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
    # Its own page (see the module's docstring): the URL's segment, the page's
    # title, and the case page's short line about it.
    section: str | None = None
    title: Any = None
    summary: Context | None = None
    summary_template: str = "cases/_section_line.html"
    # Whether its page shows the child's data (opened, and audited as a view,
    # for the people who may see it); False: ``child`` is False on its page.
    child_data: bool = True


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    column: str
    context: dict[str, Any]
    section: str | None = None
    title: Any = None


_registry: dict[str, PanelSpec] = {}


def register(spec: PanelSpec) -> None:
    if spec.column not in COLUMNS:
        raise ValueError(f"unknown panel column {spec.column!r}")
    _registry[spec.name] = spec


def spec_of(name: str) -> PanelSpec | None:
    return _registry.get(name)


def section_spec(section: str) -> PanelSpec | None:
    """The panel whose own page is ``section``, or None (an unknown section)."""
    return next((s for s in _registry.values() if s.section == section), None)


def way_back() -> str | None:
    """The list this case was opened from (its ``back`` parameter, checked and
    rebuilt by :func:`caseapp.paging.back_link`), carried from the case page
    to an action's or a section's page, into its form (a hidden field, checked
    again when posted) and the redirect after it; None for anything else,
    which is then neither followed nor shown."""
    raw = request.form.get("back") if request.method == "POST" else request.args.get("back")
    return paging.back_link(raw)


def section_url(case, section: str, anchor: str | None = None) -> str:
    """The section's page (views.section_page): the case's reference, the
    section's fixed name and the checked way back to the list, nothing else
    (no child data in a URL)."""
    return url_for("cases.section_page", reference=case.reference, section=section,
                   back=way_back(), _anchor=anchor or None)


def case_panels(user, case, child: bool, overrides: dict | None = None) -> list[Panel]:
    """The panels shown to ``user`` on the case page, in their order: a panel
    with its own page as its summary line; ``overrides`` maps a panel's name to
    context entries that replace its own (a submitted form with errors)."""
    shown = []
    for spec in sorted(_registry.values(), key=lambda s: (s.order, s.name)):
        if spec.section and spec.summary is not None:
            context = spec.summary(user, case, child)
            if context is None:
                continue
            context.setdefault("url", section_url(case, spec.section))
            shown.append(Panel(spec.name, spec.summary_template, spec.column, context,
                               spec.section, spec.title))
            continue
        context = spec.context(user, case, child)
        if context is None:
            continue
        context.update((overrides or {}).get(spec.name, {}))
        shown.append(Panel(spec.name, spec.template, spec.column, context))
    return shown


def is_shown(spec: PanelSpec, user, case, child: bool) -> bool:
    """Whether the case page shows ``spec`` to ``user`` (its summary, the cheap check)."""
    check = spec.summary if spec.summary is not None else spec.context
    return check(user, case, child) is not None


def section_panel(spec: PanelSpec, user, case, child: bool,
                  overrides: dict | None = None) -> Panel | None:
    """The whole panel for its own page, or None when it is not shown to ``user``."""
    context = spec.context(user, case, child)
    if context is None:
        return None
    context.update((overrides or {}).get(spec.name, {}))
    return Panel(spec.name, spec.template, spec.column, context, spec.section, spec.title)
