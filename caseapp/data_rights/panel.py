"""The case page's data-rights panel."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from caseapp import clock
from caseapp.cases.panels import NextStep, PanelSpec, section_url
from caseapp.permissions import cases as rules

from .forms import (
    DATA_REQUEST_KIND_LABELS,
    DATA_REQUEST_STATUS_LABELS,
    DATA_REQUESTER_LABELS,
    DataAnswerForm,
    DataRequestForm,
    LiftRestrictionForm,
)
from .service import request_states, requests_of


def panel_context(user, case, child: bool) -> dict | None:
    """Requests (metadata for everyone who sees the case; their texts with ``child``),
    and the forms the user may use."""
    rows = requests_of(case)
    if case.is_purged and not rows:
        return None
    answerable = rules.can_answer_data_request(user, case)
    now = clock.now()
    # Answering an open request is an action with a due date: in "what to do next".
    steps = [NextStep(f"answer-{r.id}", _l("Answer the request about the child's data"),
                      r.due_at) for r in rows if r.status == "open"] if answerable else []
    return {
        "requests": rows,
        "show_texts": child and not case.is_purged,
        "now": now,
        "next_steps": steps,
        "kind_labels": DATA_REQUEST_KIND_LABELS,
        "requester_labels": DATA_REQUESTER_LABELS,
        "status_labels": DATA_REQUEST_STATUS_LABELS,
        "form": DataRequestForm(prefix="data_request", formdata=None)
        if rules.can_record_data_request(user, case) else None,
        "answer_form": DataAnswerForm(prefix="answer", formdata=None) if answerable else None,
        # The other open requests' forms stay blank when one answer comes back refused.
        "blank_answer": DataAnswerForm(prefix="answer", formdata=None) if answerable else None,
        "lift_form": LiftRestrictionForm(prefix="lift", formdata=None) if answerable else None,
    }


SECTION = "data-rights"


def summary(user, case, child: bool) -> dict | None:
    """The case page's line (how many requests, how many open, whether the
    case is restricted) and each open request's answer in "what to do next",
    linking to its form on the section's page; read without any text."""
    rows = request_states(case)
    if case.is_purged and not rows:
        return None
    open_rows = [(rid, due) for rid, status, due in rows if status == "open"]
    line = _("Requests about the child's data: %(n)d", n=len(rows))
    if open_rows:
        opened = _("open: %(n)d", n=len(open_rows))  # (extraction skips f-strings)
        line = f"{line} · {opened}"
    steps = [NextStep(f"answer-{rid}", _l("Answer the request about the child's data"), due,
                      url=section_url(case, SECTION, f"answer-{rid}"))
             for rid, due in open_rows] if rules.can_answer_data_request(user, case) else []
    late = any(due <= clock.now() for _rid, due in open_rows)
    return {"line": line, "next_steps": steps,
            "alert": _("Restricted") if case.is_restricted else _("Overdue") if late else None}


PANEL = PanelSpec("data_rights", "data_rights/_panel.html", "main", panel_context, order=40,
                  section=SECTION, title=_l("Requests about the child's data"),
                  summary=summary)
