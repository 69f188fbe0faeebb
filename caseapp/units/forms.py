"""A unit chosen in a form: a select of the units while they are few, their
code typed past that (a province has thousands of communes and schools: a
select of them all is a page of several hundred kilobytes and a picker no one
can use on a phone). The service a form posts to checks the code as it checks
a choice; the template renders the field with ``_forms.html``'s ``unit_field``."""
from __future__ import annotations

from flask_babel import gettext as _

from caseapp.core.forms import choice_list

from . import service

# The most units a select offers; past it the field takes a code.
UNIT_CHOICES_MAX = 300


def offer_units(field, *, blank: bool = False, keep: str | None = None) -> None:
    """Active units (and ``keep``, a present unit even if no longer active) as
    ``field``'s choices in the tree's order, or past ``UNIT_CHOICES_MAX`` units
    a code to type (``field.by_code``; what is typed is read in capitals).
    ``blank``: a first choice of none (a unit at the top)."""
    if service.count_units() > UNIT_CHOICES_MAX:
        field.by_code, field.validate_choice, field.choices = True, False, []
        field.data = (field.data or "").strip().upper()
        return
    field.by_code = False
    choices = [(u.code, f"{'· ' * u.depth}{u.name} ({u.code})") for u in service.tree()
               if u.is_active or u.code == keep]
    field.choices = choice_list(([("", _("(top level)"))] if blank else []) + choices)
