"""Forms of the notifications page."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField


class MarkReadForm(FlaskForm):
    notification = HiddenField()
