"""The case page's break-glass panels: the supervisor's own active access (top), the
form to ask for one (beside the child's details), and every use with its reason."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from caseapp.cases.panels import NextStep, PanelSpec
from caseapp.cases.screens import user_names
from caseapp.permissions import cases as rules

from . import service
from .forms import BreakGlassForm, EndBreakGlassForm

ACTIVE_PANEL = "break_glass_active"
REQUEST_PANEL = "break_glass_request"
USES_PANEL = "break_glass_uses"


def active_context(user, case, child: bool) -> dict | None:
    glass = rules.active_break_glass(user, case)
    if glass is None:
        return None
    return {"glass": glass, "end_form": EndBreakGlassForm()}


def request_context(user, case, child: bool) -> dict | None:
    """Only to a supervisor of the case who does not see the child (and may ask)."""
    if child or not rules.can_break_glass(user, case):
        return None
    return {"form": BreakGlassForm(prefix="break_glass", formdata=None),
            "next_steps": [NextStep("break-glass", _l("Emergency access, only if the child is "
                                                      "in danger"), routine=True)]}


def uses_context(user, case, child: bool) -> dict | None:
    """The reasons are the case's data: only for the people who see the child
    (the page opened the case's key for them, and recorded that view)."""
    if not child:
        return None
    accesses = service.accesses_of_case(case)
    if not accesses:
        return None
    return {"accesses": accesses, "names": user_names(a.user_id for a in accesses),
            "reasons": {a.id: service.reason_or_unreadable(a) for a in accesses}}


def uses_summary(user, case, child: bool) -> dict | None:
    """The case page's line: how many (genuine) uses, no reason decrypted."""
    if not child:
        return None
    accesses = service.accesses_of_case(case)
    if not accesses:
        return None
    return {"line": _("Emergency accesses (break-glass): %(n)d", n=len(accesses))}


PANELS = (
    PanelSpec(ACTIVE_PANEL, "break_glass/_active.html", "top", active_context, order=0),
    # Asking is an action (beside the case's forms); the uses are history, on
    # their own page. The active access and the form to ask stay on the case
    # page: a supervisor must see at once that they are in a child's data
    # (and end it), and a child in danger must not wait for another page.
    PanelSpec(REQUEST_PANEL, "break_glass/_request.html", "side", request_context, order=10),
    PanelSpec(USES_PANEL, "break_glass/_uses.html", "history", uses_context, order=25,
              section="break-glass", title=_l("Emergency accesses (break-glass)"),
              summary=uses_summary),
)
