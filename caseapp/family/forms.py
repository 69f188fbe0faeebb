"""Forms of the family section: a person (add or edit), removing one, the household."""
from __future__ import annotations

from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, StringField, TextAreaField, widgets

from caseapp.cases.forms import AgeField, CaseForm, ShownVersion, WholeNumberField, select_field
from caseapp.core.base_form import AppForm

from .service import HouseholdData, MemberData

RELATION_LABELS = {
    "father": _l("Father"),
    "mother": _l("Mother"),
    "step_parent": _l("Step-parent"),
    "grandparent": _l("Grandparent"),
    "sibling": _l("Sibling"),
    "caregiver": _l("Other caregiver"),
    "teacher": _l("Teacher"),
    "other": _l("Other"),
}


class YearField(WholeNumberField):
    widget = widgets.NumberInput(min=1900, max=2100)
    message = _l("Give the year of birth as a number, for example 1985.")


class MemberForm(ShownVersion, CaseForm):
    REQUIRED: ClassVar[dict[str, Any]] = {"full_name": _l("Give the person's name.")}

    relation = select_field(_l("Relation to the child"), RELATION_LABELS.items())
    full_name = StringField(_l("Name"))
    birth_year = YearField(_l("Year of birth"))
    age = AgeField(_l("Age (if the year is not known)"))
    occupation = StringField(_l("Occupation"))
    contact = StringField(_l("Contact (phone, address)"))
    lives_with_child = BooleanField(_l("Lives with the child"))
    may_be_abuser = BooleanField(_l("May be the abuser or in contact with the abuser: "
                                    "do not contact through the case"))

    def to_data(self) -> MemberData:
        return MemberData(relation=self.relation.data or "",
                          full_name=self.full_name.data or "",
                          birth_year=self.birth_year.data, age=self.age.data,
                          occupation=self.occupation.data or "",
                          contact=self.contact.data or "",
                          lives_with_child=self.lives_with_child.data is True,
                          may_be_abuser=self.may_be_abuser.data is True)

    def fill(self, member) -> MemberForm:
        """Put an (unlocked) person's record into the form, for editing."""
        self.relation.data = member.relation or "other"
        self.full_name.data = member.full_name or ""
        self.birth_year.data = member.birth_year
        self.age.data = member.age
        self.occupation.data = member.occupation or ""
        self.contact.data = member.contact or ""
        self.lives_with_child.data = member.lives_with
        self.may_be_abuser.data = member.flagged
        self.version.data = str(member.version_id)
        return self


class RemoveMemberForm(ShownVersion, AppForm):
    """Removing is made on the version shown too: a person flagged meanwhile is
    not removed unseen."""

    member_id = HiddenField()


class HouseholdForm(ShownVersion, CaseForm):
    lives_with = StringField(_l("Who the child lives with"))
    circumstances = TextAreaField(_l("Household circumstances"), render_kw={"rows": 3})

    def to_data(self) -> HouseholdData:
        return HouseholdData(lives_with=self.lives_with.data or "",
                             circumstances=self.circumstances.data or "")
