"""The base of every form: WTForms' and Flask-WTF's own messages in our catalogue.

WTForms ships no Vietnamese, and Flask-WTF would look only in WTForms' own
catalogues: a date, a choice or a length check would answer in English
on a Vietnamese page. :class:`AppForm` hands WTForms our translations instead;
the library's messages are listed in :mod:`caseapp.core.validator_messages`
so that they are extracted into our catalogue (a test checks every one of
them has a Vietnamese translation, and that every form derives from here).
"""
from __future__ import annotations

from flask import has_app_context
from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.csrf import _FlaskFormCSRF
from wtforms.validators import ValidationError

from caseapp.core.text import HIDDEN_CHARACTER, has_nul

# Flask-WTF raises these untranslated (it passes them through no gettext).
CSRF_MESSAGES = {
    "The CSRF token is missing.": _l("The form's security token is missing: reload the page "
                                     "and try again."),
    "The CSRF session token is missing.": _l("Your session has ended: log in again, then "
                                             "send the form again."),
    "The CSRF token has expired.": _l("The form expired: reload the page and try again."),
    "The CSRF token is invalid.": _l("The form did not come from this page: reload the page "
                                     "and try again."),
    "The CSRF tokens do not match.": _l("The form did not come from this page: reload the "
                                        "page and try again."),
}


class CatalogueTranslations:
    """What WTForms asks of a translations object, answered from our catalogue."""

    def gettext(self, string: str) -> str:
        if not has_app_context():
            return string
        return get_translations().ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        if not has_app_context():
            return singular if n == 1 else plural
        return get_translations().ungettext(singular, plural, n)


TRANSLATIONS = CatalogueTranslations()


class TranslatedCSRF(_FlaskFormCSRF):
    """Flask-WTF's form-level CSRF check, its refusals in the reader's language."""

    def validate_csrf_token(self, form, field):
        try:
            super().validate_csrf_token(form, field)
        except ValidationError as error:
            message = error.args[0] if error.args else ""
            raise ValidationError(str(CSRF_MESSAGES.get(message, message))) from None


class AppForm(FlaskForm):
    """Every form of the app derives from this one."""

    class Meta:
        csrf_class = TranslatedCSRF

        def get_translations(self, form):
            return TRANSLATIONS

    def validate(self, extra_validators=None) -> bool:
        """WTForms' validation, and no field holding a NUL: nobody types one,
        and PostgreSQL refuses it in a text column, a crash wherever a value
        was stored unchecked (fuzzing the forms found a unit's name)."""
        valid = super().validate(extra_validators)
        for field in self:
            if has_nul(field.raw_data or ()):
                field.errors = [*field.errors, str(HIDDEN_CHARACTER)]
                valid = False
        return valid
