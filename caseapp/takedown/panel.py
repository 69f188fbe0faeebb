"""The case page's takedown section: its line on the case page, and its own
page with each item, the requests made to take it down and their outcomes."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from caseapp import clock
from caseapp.cases.panels import NextStep, PanelSpec, section_url
from caseapp.cases.screens import user_names
from caseapp.permissions import takedown as rules

from .forms import (
    CHANNEL_LABELS,
    KIND_LABELS,
    OUTCOME_LABELS,
    PLATFORM_LABELS,
    ItemForm,
    OutcomeForm,
    RequestForm,
)
from .service import answer_days, counts, items_of, overdue_among, requests_of

SECTION = "takedown"


@dataclass
class Request:
    id: str
    channel: str
    sent_on: date
    due_at: datetime
    recorded_by: str
    outcome: str | None
    outcome_on: date | None
    overdue: bool
    ticket: str | None  # None: not shown to this viewer, or none given


@dataclass
class Item:
    id: str
    number: int
    platform: str
    kind: str
    link: str | None  # None: not shown to this viewer
    note: str | None
    requests: list[Request] = field(default_factory=list)

    @property
    def removed(self) -> bool:
        return any(r.outcome == "removed" for r in self.requests)


def item_form(*, submitted: bool = False) -> ItemForm:
    return ItemForm(prefix="takedown-item") if submitted else \
        ItemForm(prefix="takedown-item", formdata=None)


def request_form(items, *, child: bool, submitted: bool = False) -> RequestForm:
    """The request form, its items numbered as listed (``items``: the case's
    items in order); their links in the choices only with ``child``."""
    form = RequestForm(prefix="takedown-request") if submitted else \
        RequestForm(prefix="takedown-request", formdata=None)
    form.item.choices = [("", _("Choose…"))] + [
        (item.id, f"{n}. {PLATFORM_LABELS[item.platform]} · {KIND_LABELS[item.kind]}"
         + (f" · {item.link[:60]}" if child and item.link else ""))
        for n, item in enumerate(items, 1)]
    return form


def outcome_form(*, submitted: bool = False) -> OutcomeForm:
    return OutcomeForm(prefix="takedown-outcome") if submitted else \
        OutcomeForm(prefix="takedown-outcome", formdata=None)


def listed(case, child: bool, now: datetime) -> list[Item]:
    """The case's items in the order recorded, each with its requests; the
    links and tickets only with ``child`` (the page opened the child's data)."""
    rows = requests_of(case)
    names = user_names(r.recorded_by_id for r in rows)
    items = [Item(id=i.id, number=n, platform=i.platform, kind=i.kind,
                  link=i.link if child else None, note=i.note if child else None)
             for n, i in enumerate(items_of(case), 1)]
    by_id = {i.id: i for i in items}
    for r in rows:
        by_id[r.item_id].requests.append(Request(
            id=r.id, channel=r.channel, sent_on=r.sent_on,
            due_at=clock.as_utc(r.answer_due_at), recorded_by=names.get(r.recorded_by_id, ""),
            outcome=r.outcome, outcome_on=r.outcome_on, overdue=r.is_overdue(now),
            ticket=r.ticket if child else None))
    return items


def panel_context(user, case, child: bool) -> dict | None:
    """Everything the section's page shows ``user``; None when it is not shown."""
    if not rules.can_see_takedown(user, case):
        return None
    now = clock.now()
    items = listed(case, child, now)
    can_record = rules.can_record_takedown(user, case)
    return {
        "entries": items, "show_links": child, "answer_days": answer_days(),
        "platform_labels": PLATFORM_LABELS, "kind_labels": KIND_LABELS,
        "channel_labels": CHANNEL_LABELS, "outcome_labels": OUTCOME_LABELS,
        "item_form": item_form() if can_record else None,
        "request_form": request_form(items, child=child) if can_record and items else None,
        # The one form a refused outcome comes back in (its request's), and a
        # blank one for every other request waiting.
        "outcome_form": outcome_form() if can_record else None,
        "blank_outcome_form": outcome_form() if can_record else None,
    }


def summary(user, case, child: bool) -> dict | None:
    """The case page's line, counted in SQL: items, removed, waiting (overdue)."""
    if not rules.can_see_takedown(user, case):
        return None
    found = counts(case)
    line = _("Taking content down: %(n)d items, %(removed)d removed, %(waiting)d requests "
             "waiting", n=found.items, removed=found.removed, waiting=found.waiting)
    context: dict = {"line": line}
    if found.overdue:
        context["alert"] = _("%(n)d without an answer in time", n=found.overdue)
        if rules.can_record_takedown(user, case):
            context["next_steps"] = [NextStep(
                "takedown-outcome", _l("Chase the takedown requests without an answer"),
                url=section_url(case, SECTION, "takedown-items"))]
    return context


PANEL = PanelSpec("takedown", "takedown/_panel.html", "main", panel_context, order=65,
                  section=SECTION, title=_l("Taking harmful content down"), summary=summary)


def list_badges(case_ids: list[str], now: datetime) -> dict[str, list[tuple[str, str]]]:
    """"My cases": a badge on each row whose case has a request overdue (one
    statement for the page's rows)."""
    label = _("Takedown: no answer in time")
    return {case_id: [("overdue", label)] for case_id in overdue_among(case_ids, now)}
