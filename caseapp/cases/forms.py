"""Forms of the case screens: they parse what a user typed into the domain's
typed inputs (:mod:`caseapp.cases.data`); checking it is the services' job.

Choices are filled in by the view from the admin-editable lists, and
``validate_choice`` is off: an unknown code reaches the service, which answers
with a message naming the field (the same message the API gives).
"""
from __future__ import annotations

from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
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
    SubmitField,
    TextAreaField,
    widgets,
)
from wtforms.validators import Length, ValidationError

from caseapp.core.base_form import AppForm
from caseapp.core.forms import DayField, DayTimeField, choice_list, marked

from . import data
from .models import HOTLINE_CHANNELS

LEVEL_LABELS = {"high": _l("High"), "medium": _l("Medium"), "low": _l("Low")}
LEGAL_GROUND_LABELS = {
    "emergency": _l("Emergency: the child is in danger"),
    "legal_duty": _l("Legal duty (a request of a competent authority)"),
}
# The ground on file for an intake whose consent is not complete.
INTAKE_GROUND_LABELS = {
    **LEGAL_GROUND_LABELS,
    "receive_report": _l("Duty to receive and record the report (Decree 56, Art. 25)"),
}
SHARING_BASIS_LABELS = {"consent": _l("Consent recorded for this agency"),
                        **LEGAL_GROUND_LABELS}
CONSENT_LABELS = {"given": _l("Given"), "refused": _l("Refused"),
                  "not_asked": _l("Not asked yet"), "too_young": _l("Under 7: not asked")}
CHILD_GROUP_LABELS = {
    "abused": _l("Harmed (abused)"),
    "at_risk": _l("At risk of violence, exploitation or abandonment"),
    "special_circumstances": _l("In special circumstances"),
}
PERSON_RELATION_LABELS = {
    "father": _l("Father"), "mother": _l("Mother"), "caregiver": _l("Caregiver"),
    "sibling": _l("Brother or sister"), "grandparent": _l("Grandparent"),
    "relative": _l("Other relative"), "teacher": _l("Teacher"), "other": _l("Other"),
}
YES_NO = (("yes", _l("Yes")), ("no", _l("No")))
SAFE_TONIGHT_LABELS = {
    "no": _l("No: the child is not safe tonight (immediate danger)"),
    "unknown": _l("Not known"),
    "yes": _l("Yes"),
}
REFERRAL_STATUS_LABELS = {
    "sent": _l("Sent"), "accepted": _l("Accepted"), "declined": _l("Declined"),
    "completed": _l("Completed"),
}
ACTION_KIND_LABELS = {
    "emergency": _l("Emergency measure"),
    "separation": _l("Emergency: temporary separation from the person or place causing harm"),
    "safe_place": _l("Emergency: a safe place to stay"),
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

class WholeNumberField(StringField):
    widget = widgets.NumberInput(min=0, max=17)
    message = _l("Give a whole number of years.")

    def process_formdata(self, valuelist):
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not self.raw:
            return
        try:
            self.data = int(self.raw)
        except ValueError:
            raise ValueError(self.message) from None

    def _value(self):
        if getattr(self, "raw", None):
            return self.raw
        return str(self.data) if self.data is not None else ""


class AgeField(WholeNumberField):
    widget = widgets.NumberInput(min=0, max=120)


class MoneyField(WholeNumberField):
    # Text, not a number input: people write "1.500.000", which a number input refuses.
    widget = widgets.TextInput()
    message = _l("Write the estimated cost in dong as a whole number, for example 1.500.000.")

    def process_formdata(self, valuelist):
        # "1.500.000" or "1 500 000" as people write sums in Vietnam; "1,5" (a
        # decimal comma: 1.5 million? 1.5 dong?) is refused, not guessed.
        self.raw = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not self.raw:
            return
        cleaned = self.raw.replace(".", "").replace(" ", "")
        if not cleaned.isdigit():
            raise ValueError(self.message)
        self.data = int(cleaned)


def _yes_no(value) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


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


def is_empty(field) -> bool:
    """Nothing typed, chosen or ticked in ``field``."""
    value = field.data
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | set | frozenset):
        return not value
    if hasattr(value, "filename"):  # an upload
        return not value.filename
    return value is None or value is False


def add_error(field, message) -> None:
    field.errors = [*field.errors, str(message)]


class CaseForm(AppForm):
    """A form about one case. ``FIELDS`` maps a service's field name to this form's.

    ``REQUIRED`` names the fields a save needs, with the message the service
    gives when one is missing (the service stays the judge: the API goes
    straight to it). The page marks them before anyone submits (``required``
    on the input, a marker on its label), and an empty submit reports every
    missing one at once instead of the service's first. A form that needs a
    field only on some cases says so with :meth:`require` and :meth:`release`.
    """

    FIELDS: ClassVar[dict[str, str]] = {}
    REQUIRED: ClassVar[dict[str, Any]] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.required: dict[str, Any] = {}
        for name, message in self.REQUIRED.items():
            self.require(name, message)

    def require(self, name: str, message) -> None:
        self.required[name] = message
        self._fields[name].flags.required = True

    def release(self, name: str) -> None:
        self.required.pop(name, None)
        self._fields[name].flags.required = False

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for name, message in self.required.items():
            field = self._fields[name]
            if not field.errors and is_empty(field):
                add_error(field, message)
                valid = False
        self._errors = None  # the cached summary predates the errors added here
        return valid

    def has_errors(self) -> bool:
        return bool(self.form_errors) or any(
            field.errors for field in self if field.type != "FieldList") or any(
            sub.errors for field in self if field.type == "FieldList"
            for row in field.entries for sub in row.form)

    def field_for(self, name: str | None):
        """The form field a CaseError's ``field`` is about, or None (a form-level error)."""
        if not name:
            return None
        for candidate in (self.FIELDS.get(name), self.FIELDS.get(name.split(".")[0]),
                          name.replace(".", "_"), name.split(".")[0]):
            if candidate and candidate in self._fields and candidate != "csrf_token":
                return self._fields[candidate]
        return None


NO_VERSION = 0  # case versions count from 1


class ShownVersion:
    """A form's ``version``: that of the record it was shown with (the case, a
    person of the family), so that a save made in between makes this one a
    conflict instead of being undone by it."""

    version = HiddenField()

    @property
    def expected_version(self) -> int:
        """The version the page was shown with. A form without one (a forged or
        hand-made request) names a version no record has, so it conflicts
        instead of overwriting whatever changed since."""
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return NO_VERSION


class VersionedForm(ShownVersion, CaseForm):
    """Carries the version of the case the form was shown with."""


# --- intake (Mẫu 01) -----------------------------------------------------------------------------

class SearchForm(AppForm):
    """"My cases"' search box: a case reference or its beginning (never a name:
    the list is not searched by any child's data)."""

    ref = StringField(_l("Case reference"), validators=[Length(max=20)])


class IntakeForm(CaseForm):
    """Mẫu 01 (Decree 56, Art. 25), in the form's order."""

    FIELDS: ClassVar[dict[str, str]] = {
        "child.full_name": "child_name", "child.date_of_birth": "child_dob",
        "child.estimated_age": "child_age", "child.gender": "child_gender",
        "child.address": "child_address", "child.school": "child_school",
        "child.school_class": "child_class", "child.phone": "child_phone",
        "child.guardian_name": "guardian_name", "child.guardian_contact": "guardian_contact",
        "reporter.name": "reporter_name", "reporter.relation": "reporter_relation",
        "reporter.phone": "reporter_phone", "reporter.address": "reporter_address",
        "offender_accounts": "offender_accounts",
        "consent": "consent_guardian", "consent.child": "consent_child",
        "consent.guardian": "consent_guardian", "consent.legal_ground": "legal_ground",
        "consent.note": "consent_note",
        "people.0.full_name": "father_name", "people.0.age": "father_age",
        "people.0.occupation": "father_occupation", "people.1.full_name": "mother_name",
        "people.1.age": "mother_age", "people.1.occupation": "mother_occupation",
        "child.access_needs": "child_access_needs", "reporter.anonymous": "reporter_anonymous",
    }

    # In the order a call goes, the danger question first.
    immediate_danger = BooleanField(_l("The child is in immediate danger"))
    safe_tonight = radios(_l("Is the child safe tonight?"), SAFE_TONIGHT_LABELS.items(),
                          validators=[marked()])
    child_whereabouts = StringField(_l("Where the child is now"))
    unit = select_field(_l("Unit handling the case"), validators=[marked()])
    received_at = DayTimeField(_l("Received at"), validators=[marked()])
    channel = select_field(_l("How the report came in"), validators=[marked()])
    hotline_call_number = StringField(_l("Hotline 111 call number"),
                                      render_kw={"autocomplete": "off", "maxlength": 32,
                                                 "autocapitalize": "characters"})
    requested_by = radios(_l("Who asked for help"), validators=[marked()])
    help_requested = radios(_l("Was help requested?"), YES_NO, validators=[marked()])
    reporter_anonymous = BooleanField(_l("The reporter asks to stay anonymous"))
    reporter_name = StringField(_l("Reporter's name"))
    reporter_relation = StringField(_l("Relation to the child"))
    reporter_phone = StringField(_l("Reporter's phone"), render_kw={"inputmode": "tel"})
    reporter_address = StringField(_l("Reporter's address"))
    child_name = StringField(_l("Child's full name"), validators=[marked()])
    child_dob = DayField(_l("Date of birth"))
    child_age = WholeNumberField(_l("Estimated age (if the date of birth is unknown)"))
    child_gender = radios(_l("Gender"), default="unknown")
    child_group = radios(_l("The child is"), CHILD_GROUP_LABELS.items())
    child_address = StringField(_l("Address"))
    child_school = StringField(_l("School"))
    child_class = StringField(_l("Class"))
    child_phone = StringField(_l("Child's phone"), render_kw={"inputmode": "tel"})
    child_access_needs = TextAreaField(_l("A disability or need that changes how to reach "
                                          "the child"), render_kw={"rows": 2})
    harm_categories = _checkboxes(_l("Kinds of harm"), validators=[marked()])
    harm_date = DayField(_l("When the harm happened (the day)"))
    harm_when = StringField(_l("Or, if the day is not known, when roughly"))
    incident_place = StringField(_l("Where it happened"))
    platforms = _checkboxes(_l("Platforms"))
    offender_accounts = TextAreaField(_l("Offender accounts or links (one per line)"),
                                      render_kw={"rows": 3})
    narrative = TextAreaField(_l("What happened"), render_kw={"rows": 6},
                              validators=[marked()])
    evidence_location = StringField(_l("Where the material is held / police unit that took it"))
    child_condition = TextAreaField(_l("The child's condition now"), render_kw={"rows": 2})
    consequences = TextAreaField(_l("What may happen to the child without help"),
                                 render_kw={"rows": 2})
    father_name = StringField(_l("Father's name"))
    father_age = AgeField(_l("Father's age"))
    father_occupation = StringField(_l("Father's occupation"))
    mother_name = StringField(_l("Mother's name"))
    mother_age = AgeField(_l("Mother's age"))
    mother_occupation = StringField(_l("Mother's occupation"))
    family_circumstances = TextAreaField(_l("Family circumstances"), render_kw={"rows": 2})
    current_caregiver = StringField(_l("Who cares for the child now (if known)"))
    guardian_name = StringField(_l("Parent or guardian to contact"))
    guardian_contact = StringField(_l("Guardian's contact"))
    help_before_report = TextAreaField(_l("Help already given before the report"),
                                       render_kw={"rows": 2})
    advice_given = TextAreaField(_l("Advice already given on the call"), render_kw={"rows": 3})
    consent_child = select_field(_l("The child's consent (aged 7 or over)"),
                                 [(k, CONSENT_LABELS[k]) for k in ("not_asked", "given",
                                                                   "refused")])
    consent_guardian = select_field(_l("The parent's or guardian's consent"),
                                    [(k, CONSENT_LABELS[k]) for k in ("not_asked", "given",
                                                                      "refused")])
    legal_ground = select_field(_l("Ground used while consent is not complete"),
                                [("", _l("The duty to receive the report (default)"))]
                                + list(LEGAL_GROUND_LABELS.items()))
    consent_note = StringField(_l("Note on consent"))
    intake_notes = TextAreaField(_l("Additional notes"), render_kw={"rows": 2})

    def validate_safe_tonight(self, field) -> None:
        # Asked of the counselor on every call (the API may leave it out: its
        # older clients do not send it, and it is then recorded as not asked).
        if not field.data:
            raise ValidationError(_l("Say whether the child is safe tonight: yes, no, or not "
                                     "known."))

    def _people(self) -> tuple[data.PersonData, ...]:
        return tuple(data.PersonData(relation=relation, full_name=_text(name.data),
                                     age=age.data, occupation=_text(job.data))
                     for relation, name, age, job in (
                         ("father", self.father_name, self.father_age, self.father_occupation),
                         ("mother", self.mother_name, self.mother_age, self.mother_occupation)))

    def to_data(self) -> data.IntakeData:
        handles = [line.strip() for line in (self.offender_accounts.data or "").splitlines()]
        child = data.ChildData(
            full_name=_text(self.child_name.data), date_of_birth=self.child_dob.data,
            estimated_age=None if self.child_dob.data else self.child_age.data,
            gender=self.child_gender.data or "unknown", address=_text(self.child_address.data),
            school=_text(self.child_school.data), school_class=_text(self.child_class.data),
            phone=_text(self.child_phone.data), guardian_name=_text(self.guardian_name.data),
            guardian_contact=_text(self.guardian_contact.data),
            access_needs=_text(self.child_access_needs.data))
        return data.IntakeData(
            unit=self.unit.data or "", received_at=self.received_at.data,
            channel=self.channel.data or "", requested_by=self.requested_by.data or "",
            child=child,
            consent=data.ConsentData(child=self.consent_child.data or "not_asked",
                                     guardian=self.consent_guardian.data or "not_asked",
                                     legal_ground=self.legal_ground.data or None,
                                     note=_text(self.consent_note.data)),
            help_requested=_yes_no(self.help_requested.data),
            child_group=self.child_group.data or "",
            harm_categories=tuple(self.harm_categories.data or ()),
            platforms=tuple(self.platforms.data or ()),
            offender_accounts=tuple(data.OffenderAccountData(h) for h in handles if h),
            reporter=data.ReporterData(_text(self.reporter_name.data),
                                       _text(self.reporter_relation.data),
                                       _text(self.reporter_phone.data),
                                       _text(self.reporter_address.data),
                                       anonymous=bool(self.reporter_anonymous.data)),
            narrative=_text(self.narrative.data),
            immediate_danger=bool(self.immediate_danger.data),
            evidence_location=_text(self.evidence_location.data),
            incident_place=_text(self.incident_place.data),
            child_condition=_text(self.child_condition.data),
            consequences_without_help=_text(self.consequences.data),
            family_circumstances=_text(self.family_circumstances.data),
            current_caregiver=_text(self.current_caregiver.data),
            help_before_report=_text(self.help_before_report.data),
            intake_notes=_text(self.intake_notes.data),
            people=self._people(),
            # Asked (and shown) for a hotline call only: a number typed before the
            # channel changed is not part of the report.
            hotline_call_number=(_text(self.hotline_call_number.data)
                                 if self.channel.data in HOTLINE_CHANNELS else ""),
            harm_date=self.harm_date.data, harm_when=_text(self.harm_when.data),
            child_whereabouts=_text(self.child_whereabouts.data),
            safe_tonight=self.safe_tonight.data or "",
            advice_given=_text(self.advice_given.data))


# --- actions on a case -----------------------------------------------------------------------

class AssignForm(VersionedForm):
    FIELDS: ClassVar[dict[str, str]] = {"lead_officer": "lead_officer", "assignees": "assignees"}
    REQUIRED: ClassVar[dict[str, Any]] = {
        "lead_officer": _l("Choose an active case officer of your units as lead officer.")}

    lead_officer = select_field(_l("Lead officer"))
    assignees = _checkboxes(_l("Others working on the case"))

    def to_data(self) -> data.AssignmentData:
        return data.AssignmentData(self.lead_officer.data or "",
                                   tuple(self.assignees.data or ()))


class AssessForm(VersionedForm):
    """Mẫu 02 (Decree 56, Art. 26)."""

    REQUIRED: ClassVar[dict[str, Any]] = {
        **{name: _l("Rate each criterion of the risk assessment: high, medium or low.")
           for name in ("harm", "access", "obstacles")},
        "risk_level": _l("Choose the risk level: high, medium or low."),
        "notes": _l("Write the assessment note."),
    }
    harm = radios(_l("How serious is the harm to the child?"), LEVEL_LABELS.items())
    access = radios(_l("Can the person causing harm reach the child?"), LEVEL_LABELS.items())
    obstacles = radios(_l("Obstacles to the child's safety where the child is cared for"),
                       LEVEL_LABELS.items())
    immediate_danger = BooleanField(_l("The child's life, health or dignity is in serious "
                                       "danger now"))
    caregiver_harms = BooleanField(_l("The parents or caregiver are the ones causing harm"))
    emergency_measures = BooleanField(_l("Emergency measures are applied (within 12 hours)"))
    risk_level = radios(_l("Overall risk level"), LEVEL_LABELS.items())
    notes = TextAreaField(_l("Assessment note"), render_kw={"rows": 4})

    def to_data(self) -> data.AssessmentData:
        return data.AssessmentData(risk_level=self.risk_level.data or "",
                                   notes=self.notes.data or "",
                                   immediate_danger=bool(self.immediate_danger.data),
                                   harm=self.harm.data or "", access=self.access.data or "",
                                   obstacles=self.obstacles.data or "",
                                   caregiver_harms=bool(self.caregiver_harms.data),
                                   emergency_measures=bool(self.emergency_measures.data))


class NeedsForm(CaseForm):
    """Mẫu 03 (Decree 56, Art. 27(1) a-h) and the needs meeting (Art. 27(2))."""

    REQUIRED: ClassVar[dict[str, Any]] = {
        "condition": _l("Describe the child's physical, psychological and emotional state."),
        "family": _l("Describe the family, the child's relationships and the parents' "
                     "ability to protect the child."),
        "service_needs": _l("Say what the child needs (care, treatment, social, schooling, "
                            "legal, counselling)."),
        "notes": _l("Write the conclusion of the needs assessment."),
    }
    condition = TextAreaField(_l("a) The child's physical, psychological and emotional state"),
                              render_kw={"rows": 2})
    family = TextAreaField(_l("b) Family, the child's relationships, the parents' ability to "
                              "protect the child"), render_kw={"rows": 2})
    risk_factors = TextAreaField(_l("c) What could make the harm happen again"),
                                 render_kw={"rows": 2})
    learning = TextAreaField(_l("d) Schooling, and the child's ability to protect themself"),
                             render_kw={"rows": 2})
    community = TextAreaField(_l("e) Safety and support of the community where the child "
                                 "lives"), render_kw={"rows": 2})
    service_needs = TextAreaField(_l("f) Needs: medical care and treatment, social, schooling "
                                     "or vocational, legal, counselling or therapy"),
                                  render_kw={"rows": 2})
    child_views = TextAreaField(_l("g) The child's views and wishes"), render_kw={"rows": 2})
    caregiver_views = TextAreaField(_l("h) The parents' or caregiver's views (unless they "
                                       "cause the harm)"), render_kw={"rows": 2})
    meeting_date = DayField(_l("Needs meeting: date"))
    meeting_chair = StringField(_l("Chaired by"))
    meeting_participants = TextAreaField(_l("Who took part"), render_kw={"rows": 2})
    meeting_measures = TextAreaField(_l("Measures agreed"), render_kw={"rows": 2})
    notes = TextAreaField(_l("Conclusion"), render_kw={"rows": 3})

    def to_data(self) -> data.NeedsAssessmentData:
        texts = {name: _text(getattr(self, name).data) for name in (
            "condition", "family", "risk_factors", "learning", "community", "service_needs",
            "child_views", "caregiver_views", "meeting_chair", "meeting_participants",
            "meeting_measures")}
        return data.NeedsAssessmentData(notes=self.notes.data or "",
                                        meeting_date=self.meeting_date.data, **texts)


class SupportForm(VersionedForm):
    note = TextAreaField(_l("Note"), render_kw={"rows": 2})

    def to_data(self) -> data.SupportData:
        return data.SupportData(note=self.note.data or "")


class PlanItemForm(Form):
    action = StringField(_l("Service or task"))
    who = StringField(_l("Who is responsible"))
    provider = StringField(_l("Service provider mobilised"))
    start = DayField(_l("Start"))
    due = DayField(_l("Expected end"))
    cost = MoneyField(_l("Estimated cost (VND)"), render_kw={"inputmode": "numeric"})


# How many rows the plan form shows: a new plan starts with a few empty ones; a
# revision with every item of the version before and one empty row. "Add a row"
# gives one more, up to MAX_PLAN_ROWS.
NEW_PLAN_ROWS = 3
MAX_PLAN_ROWS = 40


class PlanItemsField(FieldList):
    """The plan's rows: as many as were posted, each named "Activity n" on the
    page and in the error summary. ``max_entries`` is one more than a plan may
    hold: a post with thousands of rows is not built in full, and the form
    still sees one row too many and says so (rather than dropping rows unseen)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.type = "FieldList"  # rendered and summarised like any list of sub-forms

    @staticmethod
    def row_label(number: int):
        return _l("Activity %(n)d", n=number)


def _row_typed(row) -> bool:
    return any(not is_empty(sub) or getattr(sub, "raw", "") for sub in row.form)


class PlanForm(VersionedForm):
    REQUIRED: ClassVar[dict[str, Any]] = {"goals": _l("Write the goals of the plan.")}

    goals = TextAreaField(_l("Goals of the plan (form 04)"), render_kw={"rows": 3})
    items = PlanItemsField(FormField(PlanItemForm), _l("Services and tasks of the plan"),
                           min_entries=1, max_entries=MAX_PLAN_ROWS + 1)
    follow_up_at = DayTimeField(_l("Next follow-up"))
    # Posts the form back with one more empty row, saving nothing (no script needed).
    add_row = SubmitField(_l("Add a row"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # At least one activity: the first row's says so before anyone submits.
        self.items.flags.required = True
        if self.items.entries:
            self.items.entries[0].form.action.flags.required = True

    def can_add_row(self) -> bool:
        return len(self.items) < MAX_PLAN_ROWS

    def wants_another_row(self) -> bool:
        return bool(self.add_row.data) and self.can_add_row()

    def show_rows(self, count: int) -> None:
        """At least ``count`` rows on the page (never fewer than were typed)."""
        while len(self.items) < min(count, MAX_PLAN_ROWS):
            self.items.append_entry()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        rows = self.items.entries
        if len(rows) > MAX_PLAN_ROWS:
            self.form_errors.append(str(_l("A plan has at most %(n)d activities: group some "
                                           "of them.", n=MAX_PLAN_ROWS)))
            valid = False
        for row in rows:
            action = row.form.action
            # A row with something in it but no activity would be dropped unseen.
            if _row_typed(row) and is_empty(action) and not action.errors:
                add_error(action, _l("Say what will be done."))
                valid = False
        if rows and not any(not is_empty(row.form.action) for row in rows):
            first = rows[0].form.action
            if not first.errors:
                add_error(first, _l("Add at least one action to the plan."))
            valid = False
        for row in rows:
            row.form._errors = None
        self._errors = None
        return valid

    def field_for(self, name):
        if name == "items" and self.items.entries:
            return self.items.entries[0].form.action
        if name and name.startswith("items.") and name.count(".") == 2:
            _, index, part = name.split(".")
            rows = [row for row in self.items if _text(row.form.action.data)]
            if index.isdigit() and int(index) < len(rows):
                return rows[int(index)].form._fields.get(part)
        return super().field_for(name)

    def to_data(self) -> data.PlanData:
        items = tuple(data.PlanItem(action=_text(row.form.action.data),
                                    who=_text(row.form.who.data), due=row.form.due.data,
                                    start=row.form.start.data,
                                    provider=_text(row.form.provider.data),
                                    cost=row.form.cost.data)
                      for row in self.items if _text(row.form.action.data))
        return data.PlanData(goals=self.goals.data or "", items=items,
                             follow_up_at=self.follow_up_at.data)


class ApprovePlanForm(VersionedForm):
    plan_id = HiddenField()


class SendBackForm(VersionedForm):
    """Send a plan or a closure request back: the reason is what the officer reads."""

    REQUIRED: ClassVar[dict[str, Any]] = {
        "reason": _l("Say what must change: the officer reads it.")}
    reason = TextAreaField(_l("What must change"), render_kw={"rows": 2})

    def to_data(self) -> data.SendBackData:
        return data.SendBackData(reason=self.reason.data or "")


class DecisionRecordForm(CaseForm):
    """The commune chairman's decision (Mẫu 05) as it came back."""

    REQUIRED: ClassVar[dict[str, Any]] = {
        "number": _l("Give the decision's number."),
        "decided_on": _l("Give the decision's date."),
        "signatory": _l("Give who signed the decision."),
    }
    number = StringField(_l("Decision number"))
    decided_on = DayField(_l("Date of the decision"))
    signatory = StringField(_l("Signed by"))

    def to_data(self) -> data.DecisionData:
        return data.DecisionData(number=_text(self.number.data),
                                 decided_on=self.decided_on.data,
                                 signatory=_text(self.signatory.data))


class PersonForm(CaseForm):
    FIELDS: ClassVar[dict[str, str]] = {"person.relation": "relation",
                                        "person.full_name": "full_name",
                                        "person.age": "age", "person.occupation": "occupation",
                                        "person.contact": "contact"}
    REQUIRED: ClassVar[dict[str, Any]] = {"full_name": _l("Give the person's name.")}

    relation = select_field(_l("Relation to the child"), PERSON_RELATION_LABELS.items())
    full_name = StringField(_l("Name"))
    age = AgeField(_l("Age"))
    occupation = StringField(_l("Occupation"))
    contact = StringField(_l("Contact"))

    def to_data(self) -> data.PersonData:
        return data.PersonData(relation=self.relation.data or "",
                               full_name=_text(self.full_name.data), age=self.age.data,
                               occupation=_text(self.occupation.data),
                               contact=_text(self.contact.data))


class SupportActionForm(CaseForm):
    REQUIRED: ClassVar[dict[str, Any]] = {"description": _l("Describe what was done.")}

    kind = select_field(_l("Kind of action"), ACTION_KIND_LABELS.items())
    description = TextAreaField(_l("What was done"), render_kw={"rows": 3})
    performed_at = DayTimeField(_l("When (empty: now)"))
    next_follow_up_at = DayTimeField(_l("Next follow-up"))

    def to_data(self) -> data.SupportActionData:
        return data.SupportActionData(kind=self.kind.data or "",
                                      description=self.description.data or "",
                                      performed_at=self.performed_at.data,
                                      next_follow_up_at=self.next_follow_up_at.data)


class ReferralForm(VersionedForm):
    REQUIRED: ClassVar[dict[str, Any]] = {
        "agency": _l("Choose the agency the case is referred to."),
        "reason": _l("Give the reason for the referral."),
        "sharing_basis": _l("Say on what basis the child's data is shared: consent or a "
                            "legal ground."),
    }

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
    REQUIRED: ClassVar[dict[str, Any]] = {
        "harm_categories": _l("Choose at least one kind of harm from the list.")}

    harm_categories = _checkboxes(_l("Kinds of harm"))


class ConsentForm(VersionedForm):
    """Consent asked after the intake: the same questions as the intake's."""

    FIELDS: ClassVar[dict[str, str]] = {
        "consent.child": "consent_child", "consent.guardian": "consent_guardian",
        "consent.legal_ground": "legal_ground", "consent.note": "consent_note"}

    consent_child = select_field(_l("The child's consent (aged 7 or over)"),
                                 [(k, CONSENT_LABELS[k]) for k in ("not_asked", "given",
                                                                   "refused")])
    consent_guardian = select_field(_l("The parent's or guardian's consent"),
                                    [(k, CONSENT_LABELS[k]) for k in ("not_asked", "given",
                                                                      "refused")])
    legal_ground = select_field(_l("Ground used while consent is not complete"),
                                [("", _l("The duty to receive the report (default)"))]
                                + list(LEGAL_GROUND_LABELS.items()))
    consent_note = StringField(_l("Note on consent (how and when it was asked)"))

    def to_data(self) -> data.ConsentData:
        return data.ConsentData(child=self.consent_child.data or "not_asked",
                                guardian=self.consent_guardian.data or "not_asked",
                                legal_ground=self.legal_ground.data or None,
                                note=_text(self.consent_note.data))


class ReferralStatusForm(CaseForm):
    referral_id = HiddenField()
    status = select_field(_l("New status"), [(s, REFERRAL_STATUS_LABELS[s])
                                        for s in ("accepted", "declined", "completed")])
    at = DayTimeField(_l("Date (empty: now)"))
    outcome = TextAreaField(_l("Outcome"), render_kw={"rows": 2})

    def to_data(self) -> data.ReferralStatusData:
        return data.ReferralStatusData(status=self.status.data or "", at=self.at.data,
                                       outcome=self.outcome.data or "")


class ReturnForm(VersionedForm):
    REQUIRED: ClassVar[dict[str, Any]] = {
        "reason": _l("Say why the case came back from referral.")}

    reason = TextAreaField(_l("Why the case came back"), render_kw={"rows": 2})

    def to_data(self) -> data.ReturnData:
        return data.ReturnData(reason=self.reason.data or "")


class ClosureRequestForm(VersionedForm):
    """The lead officer's closure request with the review (Mẫu 06); from
    assessment (no plan was made) the review is not asked (:meth:`early`)."""

    REQUIRED: ClassVar[dict[str, Any]] = {
        "reason": _l("Choose the reason for closing."),
        "outcome_summary": _l("Summarise the outcome."),
        **{name: _l("Rate each point of the review (form 06): high, medium or low.")
           for name in ("review_harm", "review_access", "review_obstacles",
                        "review_self_protection", "review_recovery")},
    }

    reason = select_field(_l("Reason for closing"))
    outcome_summary = TextAreaField(_l("Outcome summary"), render_kw={"rows": 3})
    review_harm = radios(_l("1a. Harm to the child: is it still serious? (high: still very "
                            "serious)"), LEVEL_LABELS.items())
    review_access = radios(_l("1a. The abuser's access to the child (high: can still reach "
                              "the child, often)"), LEVEL_LABELS.items())
    review_obstacles = radios(_l("1a. Obstacles to the child's safety where they are cared "
                                 "for (high: many)"), LEVEL_LABELS.items())
    review_self_protection = radios(_l("1b. The child's ability to protect themself (high: "
                                       "strong)"), LEVEL_LABELS.items())
    review_recovery = radios(_l("1b. The child's recovery, physical, psychological and "
                                "emotional (high: well recovered)"), LEVEL_LABELS.items())
    review_notes = TextAreaField(_l("Review notes"), render_kw={"rows": 2})

    def early(self) -> None:
        """Closing from assessment: the review of a plan carried out is not asked."""
        for name in ("review_harm", "review_access", "review_obstacles",
                     "review_self_protection", "review_recovery"):
            self.release(name)

    def to_data(self) -> data.ClosureData:
        return data.ClosureData(reason=self.reason.data or "",
                                outcome_summary=self.outcome_summary.data or "",
                                review_harm=self.review_harm.data or "",
                                review_access=self.review_access.data or "",
                                review_obstacles=self.review_obstacles.data or "",
                                review_self_protection=self.review_self_protection.data or "",
                                review_recovery=self.review_recovery.data or "",
                                review_notes=self.review_notes.data or "")


class DecisionForm(VersionedForm):
    """Approve or send back a closure request: nothing but the version."""


class ReopenForm(VersionedForm):
    REQUIRED: ClassVar[dict[str, Any]] = {"reason": _l("Choose why the case is reopened.")}

    reason = select_field(_l("Why the case is reopened"), REOPEN_REASON_LABELS.items())

    def to_data(self) -> data.ReopenData:
        return data.ReopenData(reason=self.reason.data or "")


class NoteForm(CaseForm):
    REQUIRED: ClassVar[dict[str, Any]] = {"text": _l("Write the note.")}

    text = TextAreaField(_l("Note"), render_kw={"rows": 3})

    def to_data(self) -> data.NoteData:
        return data.NoteData(text=self.text.data or "")
