from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import EqualTo

from caseapp.core.base_form import AppForm
from caseapp.core.forms import max_length, required


class LoginForm(AppForm):
    username = StringField(_l("Username"), validators=[required(), max_length(64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), validators=[required(), max_length(1024)],
                             render_kw={"autocomplete": "current-password"})


class CodeForm(AppForm):
    code = StringField(_l("Code from your authenticator app, or a recovery code"),
                       validators=[required(), max_length(32)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class EnrolForm(AppForm):
    code = StringField(_l("6-digit code shown by the app"),
                       validators=[required(), max_length(8, 6)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class PasswordChangeForm(AppForm):
    current_password = PasswordField(_l("Current password"), validators=[required()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"), validators=[required()],
                                 render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[required(),
                                        EqualTo("new_password", _l("The passwords differ."))],
                            render_kw={"autocomplete": "new-password"})


class ConfirmForm(AppForm):
    """A bare form for POST buttons: carries only the CSRF token."""


class RecoveryCodesForm(AppForm):
    current_password = PasswordField(_l("Current password"), validators=[required()],
                                     render_kw={"autocomplete": "current-password"})
