"""The case page's family section: its line on the case page and its own page."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from caseapp.cases.panels import PanelSpec
from caseapp.cases.screens import user_names
from caseapp.crypto import current_scope
from caseapp.permissions import family as rules

from .forms import RELATION_LABELS, HouseholdForm, MemberForm, RemoveMemberForm
from .service import household_of, member_count, members_of

ADD_PREFIX = "family"
HOUSEHOLD_PREFIX = "household"


def edit_prefix(member_id: str) -> str:
    """Each person's edit form has its own prefix (ids unique on the page)."""
    return f"m-{member_id}"


def add_form(*, submitted: bool = False) -> MemberForm:
    return MemberForm(prefix=ADD_PREFIX) if submitted else \
        MemberForm(prefix=ADD_PREFIX, formdata=None)


def edit_form(member_id: str, *, submitted: bool = False) -> MemberForm:
    prefix = edit_prefix(member_id)
    return MemberForm(prefix=prefix) if submitted else MemberForm(prefix=prefix, formdata=None)


def household_form(household=None, *, submitted: bool = False) -> HouseholdForm:
    if submitted:
        return HouseholdForm(prefix=HOUSEHOLD_PREFIX)
    form = HouseholdForm(prefix=HOUSEHOLD_PREFIX, formdata=None)
    # 0: there was none when the form was shown (one saved meanwhile conflicts)
    form.version.data = str(household.version_id if household is not None else 0)
    if household is not None:
        form.lives_with.data = household.lives_with or ""
        form.circumstances.data = household.circumstances or ""
    return form


def panel_context(user, case, child: bool) -> dict | None:
    """The people (flagged ones marked, their contact behind a warning), the
    household, and for the people working on the case the forms. Only for
    those who see the child's data (``child``: the page opened it)."""
    if case.is_purged or not child or not rules.can_see_family(user, case):
        return None
    members = members_of(case)
    household = household_of(case)
    editable = rules.can_edit_family(user, case)
    form = add_form() if editable else None
    from_intake = False
    if form is not None and not members and (case.guardian_name or case.guardian_contact):
        # The guardian typed at intake is the first person most cases record:
        # offered in the add form (checked and completed, then added by hand).
        form.full_name.data = case.guardian_name or ""
        form.contact.data = case.guardian_contact or ""
        from_intake = True
    return {
        "members": members,
        "relation_labels": RELATION_LABELS,
        "household": household,
        "names": user_names([m.recorded_by_id for m in members]
                            + ([household.recorded_by_id] if household else [])),
        "flagged": sum(1 for m in members if m.flagged),
        "add_form": form,
        "add_from_intake": from_intake,
        "edit_forms": {m.id: edit_form(m.id).fill(m) for m in members} if editable else {},
        "remove_form": RemoveMemberForm(prefix="remove", formdata=None) if editable else None,
        "household_form": household_form(household) if editable else None,
        "open_edit": None,
    }


def summary(user, case, child: bool) -> dict | None:
    """The case page's line: how many people, and how many must not be contacted
    (the flag is sealed: read from the case the page opened)."""
    if case.is_purged or not child or not rules.can_see_family(user, case):
        return None
    count = member_count(case)
    line = _("Family and caregivers: %(n)d people", n=count)
    context: dict = {"line": line}
    scope = current_scope()
    # The section page asks before it opens the case (whether to show it at
    # all); the case page after: the warning is counted only once it is open.
    if count and scope is not None and scope.holds(case.sealed_key_id()):
        flagged = sum(1 for m in members_of(case) if m.flagged)
        if flagged:
            context["alert"] = _("Do not contact: %(n)d", n=flagged)
    return context


PANEL = PanelSpec("family", "family/_panel.html", "main", panel_context, order=45,
                  section="family", title=_l("Family and caregivers"), summary=summary)
