"""Forms of the case screens: they parse what a user typed into the domain's
typed inputs (:mod:`caseapp.cases.data`); checking it is the services' job.

Choices are filled in by the view from the admin-editable lists, and
``validate_choice`` is off: an unknown code reaches the service, which answers
with a message naming the field (the same message the API gives).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)

from caseapp.core.forms import choice_list

from . import data

LEVEL_LABELS = {"high": _l("High"), "medium": _l("Medium"), "low": _l("Low")}
LEGAL_GROUND_LABELS = {
    "emergency": _l("Emergency: the child is in danger"),
    "legal_duty": _l("Legal duty (a request of a competent authority)"),
}
SHARING_BASIS_LABELS = {"consent": _l("Consent recorded for this agency"),
                        **LEGAL_GROUND_LABELS}
REFERRAL_STATUS_LABELS = {
    "sent": _l("Sent"), "accepted": _l("Accepted"), "declined": _l("Declined"),
    "completed": _l("Completed"),
}
ACTION_KIND_LABELS = {
    "emergency": _l("Emergency action"),
    "counselling": _l("Counselling"),
    "psychological": _l("Psychological support"),
    "medical": _l("Medical care"),
    "legal": _l("Legal support"),
    "education": _l("Schooling support"),
    "online_safety": _l("Online safety (accounts, content removal)"),
    "family": _l("Family support"),
    "other": _l("Other"),
}
REOPEN_REASON_LABELS = {
    "new_information": _l("New information"),
    "new_incident": _l("A new incident"),
    "closed_in_error": _l("Closed in error"),
    "other": _l("Other"),
}


# --- fields that say in the user's language what is wrong with a date or a number ------------

class LocalDateTimeField(StringField):
    """A local date and time to the minute (``<input type="datetime-local">``)."""

    widget = widgets.DateTimeLocalInput()
    formats = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not self.raw:
            return
        for fmt in self.formats:
            try:
                self.data = datetime.strptime(self.raw, fmt)
                return
            except ValueError:
                continue
        raise ValueError(_l("Give the date and time as day, month, year, hour and minute."))

    def _value(self):
        if getattr(self, "raw", None):
            return self.raw
        return self.data.strftime("%Y-%m-%dT%H:%M") if isinstance(self.data, datetime) else ""


class LocalDateField(StringField):
    widget = widgets.DateInput()

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not self.raw:
            return
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                self.data = datetime.strptime(self.raw, fmt).date()
                return
            except ValueError:
                continue
        raise ValueError(_l("Give the date as day, month and year."))

    def _value(self):
        if getattr(self, "raw", None):
            return self.raw
        return self.data.isoformat() if isinstance(self.data, date) else ""


class WholeNumberField(StringField):
    widget = widgets.NumberInput(min=0, max=17)

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not self.raw:
            return
        try:
            self.data = int(self.raw)
        except ValueError:
            raise ValueError(_l("Give a whole number of years.")) from None

    def _value(self):
        if getattr(self, "raw", None):
            return self.raw
        return str(self.data) if self.data is not None else ""


def _checkboxes(label, **kwargs):
    return SelectMultipleField(label, choices=[], validate_choice=False,
                               widget=widgets.ListWidget(prefix_label=False),
                               option_widget=widgets.CheckboxInput(), **kwargs)


def select_field(label, choices=(), **kwargs):
    return SelectField(label, choices=choice_list(choices), validate_choice=False, **kwargs)


def radios(label, choices=(), **kwargs):
    return RadioField(label, choices=choice_list(choices), validate_choice=False, **kwargs)


def _text(value) -> str:
    return (value or "").strip()


class CaseForm(FlaskForm):
    """A form about one case. ``FIELDS`` maps a service's field name to this form's."""

    FIELDS: ClassVar[dict[str, str]] = {}

    def field_for(self, name: str | None):
        """The form field a CaseError's ``field`` is about, or None (a form-level error)."""
        if not name:
            return None
        for candidate in (self.FIELDS.get(name), self.FIELDS.get(name.split(".")[0]),
                          name.replace(".", "_"), name.split(".")[0]):
            if candidate and candidate in self._fields and candidate != "csrf_token":
                return self._fields[candidate]
        return None


class VersionedForm(CaseForm):
    """Carries the version of the case the form was shown with (a later save conflicts)."""

    version = HiddenField()

    @property
    def expected_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


# --- intake (Mẫu 01) -----------------------------------------------------------------------------

class IntakeForm(CaseForm):
    FIELDS: ClassVar[dict[str, str]] = {
        "child.full_name": "child_name", "child.date_of_birth": "child_dob",
        "child.estimated_age": "child_age", "child.gender": "child_gender",
        "child.address": "child_address", "child.school": "child_school",
        "child.school_class": "child_class", "child.phone": "child_phone",
        "child.guardian_name": "guardian_name", "child.guardian_contact": "guardian_contact",
        "reporter.name": "reporter_name", "reporter.relation": "reporter_relation",
        "reporter.phone": "reporter_phone", "offender_accounts": "offender_accounts",
        "consent": "consent_guardian", "consent.legal_ground": "legal_ground",
        "consent.note": "consent_note",
    }

    unit = select_field(_l("Unit handling the case"))
    received_at = LocalDateTimeField(_l("Received at"))
    channel = select_field(_l("How the report came in"))
    requested_by = radios(_l("Who asked for help"))
    help_requested = BooleanField(_l("Help was requested"), default=True)
    reporter_name = StringField(_l("Reporter's name"))
    reporter_relation = StringField(_l("Relation to the child"))
    reporter_phone = StringField(_l("Reporter's phone"), render_kw={"inputmode": "tel"})
    child_name = StringField(_l("Child's full name"))
    child_dob = LocalDateField(_l("Date of birth"))
    child_age = WholeNumberField(_l("Estimated age (if the date of birth is unknown)"))
    child_gender = radios(_l("Gender"), default="unknown")
    child_address = StringField(_l("Address"))
    child_school = StringField(_l("School"))
    child_class = StringField(_l("Class"))
    child_phone = StringField(_l("Child's phone"), render_kw={"inputmode": "tel"})
    guardian_name = StringField(_l("Parent or guardian"))
    guardian_contact = StringField(_l("Guardian's contact"))
    harm_categories = _checkboxes(_l("Kinds of harm"))
    platforms = _checkboxes(_l("Platforms"))
    offender_accounts = TextAreaField(_l("Offender accounts or links (one per line)"),
                                      render_kw={"rows": 3})
    narrative = TextAreaField(_l("What happened"), render_kw={"rows": 6})
    evidence_location = StringField(_l("Where the material is held / police unit that took it"))
    immediate_danger = BooleanField(_l("The child is in immediate danger"))
    consent_child = BooleanField(_l("The child (aged 7 or over) consents"))
    consent_guardian = BooleanField(_l("The parent or guardian consents"))
    legal_ground = select_field(_l("Or the legal ground used without consent"),
                           [("", _l("None: consent recorded"))] + list(LEGAL_GROUND_LABELS.items()))
    consent_note = StringField(_l("Note on consent"))

    def to_data(self) -> data.IntakeData:
        handles = [line.strip() for line in (self.offender_accounts.data or "").splitlines()]
        child = data.ChildData(
            full_name=_text(self.child_name.data), date_of_birth=self.child_dob.data,
            estimated_age=None if self.child_dob.data else self.child_age.data,
            gender=self.child_gender.data or "unknown", address=_text(self.child_address.data),
            school=_text(self.child_school.data), school_class=_text(self.child_class.data),
            phone=_text(self.child_phone.data), guardian_name=_text(self.guardian_name.data),
            guardian_contact=_text(self.guardian_contact.data))
        return data.IntakeData(
            unit=self.unit.data or "", received_at=self.received_at.data,
            channel=self.channel.data or "", requested_by=self.requested_by.data or "",
            child=child,
            consent=data.ConsentData(child=True if self.consent_child.data else None,
                                     guardian=bool(self.consent_guardian.data),
                                     legal_ground=self.legal_ground.data or None,
                                     note=_text(self.consent_note.data)),
            help_requested=bool(self.help_requested.data),
            harm_categories=tuple(self.harm_categories.data or ()),
            platforms=tuple(self.platforms.data or ()),
            offender_accounts=tuple(data.OffenderAccountData(h) for h in handles if h),
            reporter=data.ReporterData(_text(self.reporter_name.data),
                                       _text(self.reporter_relation.data),
                                       _text(self.reporter_phone.data)),
            narrative=_text(self.narrative.data),
            immediate_danger=bool(self.immediate_danger.data),
            evidence_location=_text(self.evidence_location.data))


# --- actions on a case -----------------------------------------------------------------------

class AssignForm(VersionedForm):
    FIELDS: ClassVar[dict[str, str]] = {"lead_officer": "lead_officer", "assignees": "assignees"}

    lead_officer = select_field(_l("Lead officer"))
    assignees = _checkboxes(_l("Others working on the case"))

    def to_data(self) -> data.AssignmentData:
        return data.AssignmentData(self.lead_officer.data or "",
                                   tuple(self.assignees.data or ()))


class AssessForm(VersionedForm):
    risk_level = radios(_l("Risk level (form 02)"), LEVEL_LABELS.items())
    immediate_danger = BooleanField(_l("The child is in immediate danger"))
    notes = TextAreaField(_l("Assessment note"), render_kw={"rows": 4})

    def to_data(self) -> data.AssessmentData:
        return data.AssessmentData(risk_level=self.risk_level.data or "",
                                   notes=self.notes.data or "",
                                   immediate_danger=bool(self.immediate_danger.data))


class NeedsForm(CaseForm):
    notes = TextAreaField(_l("Needs assessment (form 03)"), render_kw={"rows": 4})

    def to_data(self) -> data.NeedsAssessmentData:
        return data.NeedsAssessmentData(notes=self.notes.data or "")


class SupportForm(VersionedForm):
    FIELDS: ClassVar[dict[str, str]] = {"needs_assessment": "needs"}

    needs = TextAreaField(_l("Needs assessment (form 03), if not recorded yet"),
                          render_kw={"rows": 3})
    note = TextAreaField(_l("Note"), render_kw={"rows": 2})

    def to_data(self) -> data.SupportData:
        needs = _text(self.needs.data)
        return data.SupportData(
            needs_assessment=data.NeedsAssessmentData(notes=needs) if needs else None,
            note=self.note.data or "")


class PlanItemForm(Form):
    action = StringField(_l("Action"))
    who = StringField(_l("Who"))
    due = LocalDateField(_l("By when"))


class PlanForm(VersionedForm):
    goals = TextAreaField(_l("Goals of the plan (form 04)"), render_kw={"rows": 3})
    items = FieldList(FormField(PlanItemForm), min_entries=3, max_entries=12)
    follow_up_at = LocalDateTimeField(_l("Next follow-up"))

    def field_for(self, name):
        if name and name.startswith("items.") and name.count(".") == 2:
            _, index, part = name.split(".")
            rows = [row for row in self.items if _text(row.form.action.data)]
            if index.isdigit() and int(index) < len(rows):
                return rows[int(index)].form._fields.get(part)
        return super().field_for(name)

    def to_data(self) -> data.PlanData:
        items = tuple(data.PlanItem(action=_text(row.form.action.data),
                                    who=_text(row.form.who.data), due=row.form.due.data)
                      for row in self.items if _text(row.form.action.data))
        return data.PlanData(goals=self.goals.data or "", items=items,
                             follow_up_at=self.follow_up_at.data)


class ApprovePlanForm(VersionedForm):
    plan_id = HiddenField()


class SupportActionForm(CaseForm):
    kind = select_field(_l("Kind of action"), ACTION_KIND_LABELS.items())
    description = TextAreaField(_l("What was done"), render_kw={"rows": 3})
    performed_at = LocalDateTimeField(_l("When (empty: now)"))
    next_follow_up_at = LocalDateTimeField(_l("Next follow-up"))

    def to_data(self) -> data.SupportActionData:
        return data.SupportActionData(kind=self.kind.data or "",
                                      description=self.description.data or "",
                                      performed_at=self.performed_at.data,
                                      next_follow_up_at=self.next_follow_up_at.data)


class ReferralForm(VersionedForm):
    agency = select_field(_l("Agency"))
    reason = TextAreaField(_l("Reason for the referral"), render_kw={"rows": 3})
    sharing_basis = radios(_l("Basis for sharing the child's data"),
                            SHARING_BASIS_LABELS.items(), default="consent")
    what_was_sent = TextAreaField(_l("What was sent"), render_kw={"rows": 2})

    def to_data(self) -> data.ReferralData:
        return data.ReferralData(agency=self.agency.data or "", reason=self.reason.data or "",
                                 sharing_basis=self.sharing_basis.data or "",
                                 what_was_sent=self.what_was_sent.data or "")


class HarmCategoriesForm(VersionedForm):
    harm_categories = _checkboxes(_l("Kinds of harm"))


class ReferralStatusForm(CaseForm):
    referral_id = HiddenField()
    status = select_field(_l("New status"), [(s, REFERRAL_STATUS_LABELS[s])
                                        for s in ("accepted", "declined", "completed")])
    at = LocalDateTimeField(_l("Date (empty: now)"))
    outcome = TextAreaField(_l("Outcome"), render_kw={"rows": 2})

    def to_data(self) -> data.ReferralStatusData:
        return data.ReferralStatusData(status=self.status.data or "", at=self.at.data,
                                       outcome=self.outcome.data or "")


class ReturnForm(VersionedForm):
    reason = TextAreaField(_l("Why the case came back"), render_kw={"rows": 2})

    def to_data(self) -> data.ReturnData:
        return data.ReturnData(reason=self.reason.data or "")


class ClosureRequestForm(VersionedForm):
    reason = select_field(_l("Reason for closing"))
    outcome_summary = TextAreaField(_l("Outcome summary"), render_kw={"rows": 3})
    review_harm = radios(_l("Harm to the child (form 06)"), LEVEL_LABELS.items())
    review_access = radios(_l("The abuser's access to the child"), LEVEL_LABELS.items())
    review_obstacles = radios(_l("Obstacles in the care environment"), LEVEL_LABELS.items())
    review_notes = TextAreaField(_l("Review notes"), render_kw={"rows": 2})

    def to_data(self) -> data.ClosureData:
        return data.ClosureData(reason=self.reason.data or "",
                                outcome_summary=self.outcome_summary.data or "",
                                review_harm=self.review_harm.data or "",
                                review_access=self.review_access.data or "",
                                review_obstacles=self.review_obstacles.data or "",
                                review_notes=self.review_notes.data or "")


class DecisionForm(VersionedForm):
    """Approve or send back a closure request: nothing but the version."""


class ReopenForm(VersionedForm):
    reason = select_field(_l("Why the case is reopened"), REOPEN_REASON_LABELS.items())

    def to_data(self) -> data.ReopenData:
        return data.ReopenData(reason=self.reason.data or "")


class NoteForm(CaseForm):
    text = TextAreaField(_l("Note"), render_kw={"rows": 3})

    def to_data(self) -> data.NoteData:
        return data.NoteData(text=self.text.data or "")
