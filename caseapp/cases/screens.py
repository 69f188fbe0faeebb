"""What the screens of several packages share: labels, names of people, choices, the
field-error helper and the case page itself (which features extend with panels).

Not a views module: no routes here, so any package above ``cases`` may use it.
"""
from __future__ import annotations

from datetime import datetime

from flask import g
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import and_, or_, select

from caseapp import clock
from caseapp.accounts.models import User
from caseapp.core.forms import choice_list
from caseapp.extensions import db
from caseapp.permissions import cases as rules
from caseapp.units.models import Unit

from . import reference_data
from .errors import CaseError
from .forms import (
    AssignForm,
)
from .models import Case

DEADLINE_LABELS = {
    "emergency": _l("Emergency action"),
    "assessment": _l("Risk assessment"),
    "needs": _l("Needs assessment"),
    "plan_draft": _l("Drafting the support plan"),
    "plan_approval": _l("Approving the support plan"),
    "decision": _l("Commune's decision on the plan"),
    "follow_up": _l("Follow-up"),
}


def locale_code() -> str:
    locale = get_locale()
    return str(locale) if locale else "vi"


def reference_choices(kind: str, blank=None):
    locale = locale_code()
    pairs = [(entry.code, entry.label(locale)) for entry in reference_data.entries(kind)]
    return choice_list(([("", blank)] if blank is not None else []) + pairs)


def label(kind: str, code: str | None) -> str:
    return reference_data.label(kind, code)


def local_now() -> datetime:
    """Now, in the app's time zone, without seconds (what a datetime-local input shows)."""
    return clock.now().astimezone(clock.local_timezone()).replace(
        second=0, microsecond=0, tzinfo=None)


def put_error(form, exc: CaseError) -> None:
    """A service's refusal onto the field it names, or at the top of the form;
    every one of them when the service found several (CaseErrors)."""
    for error in getattr(exc, "errors", (exc,)):
        field = form.field_for(error.field)
        message = str(error.message)
        if field is not None:
            if message not in field.errors:
                field.errors = [*field.errors, message]
        elif message not in form.form_errors:
            form.form_errors.append(message)


def user_names(ids) -> dict[str, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {u.id: (u.display_name or u.username)
            for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def assignable_users(supervisor) -> list:
    """Active officers and counselors of the supervisor's unit subtree, as the
    choices name them: id, names, role and unit code, read as columns (no
    account rows, keys or MACs for a list of names: who may be assigned is
    checked on the rows when the form is posted, rules.can_be_assigned)."""
    prefix = supervisor.unit.path
    return list(db.session.execute(
        select(User.id, User.display_name, User.username, User.role,
               Unit.code.label("unit_code"))
        .join(Unit, User.unit_id == Unit.id)
        .where(User.is_enabled.is_(True), User.role.in_(rules.ASSIGNABLE_ROLES),
               Unit.path.startswith(prefix, autoescape=True))
        .order_by(User.role.desc(), User.display_name, User.username)))


def person_label(person) -> str:
    return f"{person.display_name or person.username} ({person.username}, {person.unit_code})"


def fill_assign_choices(form: AssignForm, case: Case) -> None:
    # The same people for every case of the page (the supervision queue has one
    # form per waiting case): looked up once per request.
    choices = g.get("assign_choices")
    if choices is None:
        people = assignable_users(current_user)
        choices = g.assign_choices = (
            choice_list([("", _("Choose the lead officer"))]
                        + [(u.id, person_label(u)) for u in people if u.role == "officer"]),
            choice_list((u.id, person_label(u)) for u in people))
    form.lead_officer.choices, form.assignees.choices = list(choices[0]), list(choices[1])


# The quick assign form of a waiting case offers at most this many officers,
# the nearest first; the case's own assign page offers every one.
NEAREST_SHOWN = 15


def _paths_up_to(path: str, top: str) -> list[str]:
    """The unit ``path`` ("/1/7/12/") and its ancestors' paths that lie inside
    ``top``'s subtree (``top`` included), the unit itself first."""
    ids = path.strip("/").split("/") if path.strip("/") else []
    chain = ["/" + "/".join(ids[:n]) + "/" for n in range(len(ids), 0, -1)]
    return [p for p in chain if p.startswith(top)]


def nearest_officers(supervisor, cases) -> dict[str, list]:
    """For each case, the enabled officers a supervisor would pick first: its
    current lead (when an enabled officer of the subtree: the form keeps them),
    then those of the case's own unit, then of each unit above it up to and
    including the supervisor's (nearest unit first, then by name), at most
    ``NEAREST_SHOWN``. One statement for all the cases, read as columns like
    :func:`assignable_users`: who may be assigned is checked on the rows when
    the form is posted (rules.can_be_assigned)."""
    top = supervisor.unit.path
    chains = {case.id: _paths_up_to(case.unit.path, top) for case in cases}
    paths = {p for chain in chains.values() for p in chain}
    leads = {case.lead_officer_id for case in cases if case.lead_officer_id}
    if not paths and not leads:
        return {case.id: [] for case in cases}
    wanted = [Unit.path.in_(paths)] if paths else []
    if leads:
        wanted.append(and_(User.id.in_(leads), Unit.path.startswith(top, autoescape=True)))
    found = db.session.execute(
        select(User.id, User.display_name, User.username, User.role,
               Unit.code.label("unit_code"), Unit.path.label("unit_path"))
        .join(Unit, User.unit_id == Unit.id)
        .where(User.is_enabled.is_(True), User.role == "officer", or_(*wanted))
        .order_by(User.display_name, User.username)).all()
    by_unit: dict[str, list] = {}
    by_id = {}
    for person in found:
        by_unit.setdefault(person.unit_path, []).append(person)
        by_id[person.id] = person
    offered = {}
    for case in cases:
        people = [by_id[case.lead_officer_id]] if case.lead_officer_id in by_id else []
        people += [p for path in chains[case.id] for p in by_unit.get(path, ())
                   if p.id != case.lead_officer_id]
        offered[case.id] = people[:NEAREST_SHOWN]
    return offered


def fill_nearest_choices(form: AssignForm, people) -> None:
    """The quick form's choices: ``people`` (:func:`nearest_officers`) alone."""
    pairs = [(p.id, person_label(p)) for p in people]
    form.lead_officer.choices = choice_list([("", _("Choose the lead officer")), *pairs])
    form.assignees.choices = choice_list(pairs)


def intake_units() -> list[Unit]:
    prefix = current_user.unit.path
    units = db.session.scalars(select(Unit).where(Unit.path.startswith(prefix, autoescape=True),
                                                  Unit.is_active.is_(True))
                               .order_by(Unit.path)).all()
    return list(units)

