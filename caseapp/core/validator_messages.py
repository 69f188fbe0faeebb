"""WTForms' and Flask-WTF's default messages, for our catalogue.

Nothing calls these at run time: WTForms asks for the same English strings
through :class:`caseapp.core.base_form.CatalogueTranslations`, and finds them
in our catalogue because they are written here, where Babel extracts them.
Copied from WTForms' own ``wtforms.pot`` (and Flask-WTF's file validators);
tests/unit/test_i18n.py fails when the installed WTForms has one we lack.
"""
from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - Babel's name for "extract, do not translate now"
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """Marks a message with a plural for extraction (Babel's keyword)."""
    return singular if n == 1 else plural


MESSAGES = (
    N_("Invalid field name '%s'."),
    N_("Field must be equal to %(other_name)s."),
    ngettext("Field must be at least %(min)d character long.",
             "Field must be at least %(min)d characters long.", 2),
    ngettext("Field cannot be longer than %(max)d character.",
             "Field cannot be longer than %(max)d characters.", 2),
    ngettext("Field must be exactly %(max)d character long.",
             "Field must be exactly %(max)d characters long.", 2),
    N_("Field must be between %(min)d and %(max)d characters long."),
    N_("Number must be at least %(min)s."),
    N_("Number must be at most %(max)s."),
    N_("Number must be between %(min)s and %(max)s."),
    N_("Date must be at least %(min)s."),
    N_("Date must be at most %(max)s."),
    N_("Date must be between %(min)s and %(max)s."),
    N_("This field is required."),
    N_("Invalid input."),
    N_("Invalid email address."),
    N_("Invalid IP address."),
    N_("Invalid Mac address."),
    N_("Invalid URL."),
    N_("Invalid UUID."),
    N_("Invalid value, must be one of: %(values)s."),
    N_("Invalid value, can't be any of: %(values)s."),
    N_("This field cannot be edited."),
    N_("This field is disabled and cannot have a value."),
    N_("Invalid CSRF Token."),
    N_("CSRF token missing."),
    N_("CSRF failed."),
    N_("CSRF token expired."),
    N_("Invalid Choice: could not coerce."),
    N_("Choices cannot be None."),
    N_("Not a valid choice."),
    N_("Invalid choice(s): one or more data inputs could not be coerced."),
    ngettext("'%(value)s' is not a valid choice for this field.",
             "'%(value)s' are not valid choices for this field.", 2),
    N_("Not a valid datetime value."),
    N_("Not a valid date value."),
    N_("Not a valid time value."),
    N_("Not a valid week value."),
    N_("Not a valid integer value."),
    N_("Not a valid decimal value."),
    N_("Not a valid float value."),
    # Flask-WTF's file validators.
    N_("File does not have an approved extension: {extensions}"),
    N_("File does not have an approved extension."),
)
