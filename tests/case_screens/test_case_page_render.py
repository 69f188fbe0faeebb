"""What the case page's faster rendering must keep: the same HTML attributes and
fields as WTForms and the shared field macro write, and each string in the
language asked for, even when a request switches language half-way."""
from __future__ import annotations

import re

from flask_babel import force_locale, gettext
from markupsafe import Markup

from caseapp.cases.actions import ACTIONS
from caseapp.core.forms import WTFORMS_HTML_PARAMS, field_html, html_params

SKIPPED_TYPES = ("HiddenField", "CSRFTokenField", "SubmitField", "FieldList", "BooleanField",
                 "RadioField", "SelectMultipleField")


def test_attributes_are_written_as_wtforms_writes_them():
    examples = [
        {"name": "a", "id": "b", "class_": "x y", "checked": True, "readonly": False,
         "data_foo_bar": 'q"<>&\'', "aria_describedby": "z"},
        {"value": Markup('safe "quoted" <i>')},
        {"value": 3, "max": None, "min": 0},
        {"placeholder": "it's <b>", "value": ""},
        {"value": "Nguyễn & con"},
    ]
    for attrs in examples:
        ours = html_params(**attrs)
        assert ours == WTFORMS_HTML_PARAMS(**attrs)
        assert isinstance(ours, Markup)


def test_every_action_field_is_written_as_the_field_macro_writes_it(app):
    with app.test_request_context("/"):
        macro = app.jinja_env.from_string(
            '{% from "_forms.html" import field %}{{ field(f) }}')
        compared = 0
        for name, spec in ACTIONS.items():
            form = spec.form(prefix=name, formdata=None)
            for f in form:
                if f.type in SKIPPED_TYPES:
                    continue
                if getattr(f, "choices", ()) is None:
                    f.choices = [("a", "A <b>")]
                for errors in ([], ["A <script> mistake", "another"]):
                    f.errors = errors
                    expected = re.sub(r"\s+", " ", macro.render(f=f)).strip()
                    assert re.sub(r"\s+", " ", str(field_html(f))).strip() == expected
                    compared += 1
        assert compared > 40
        # an explicit hint too
        f = ACTIONS["note"].form(prefix="note", formdata=None).text
        f.errors = []
        html = str(field_html(f, hint="Một gợi ý <ngắn>"))
        assert 'aria-describedby="note-text-hint"' in html
        assert '<p class="hint" id="note-text-hint">Một gợi ý &lt;ngắn&gt;</p>' in html


def test_a_language_switched_inside_a_request_is_used_at_once(app):
    with app.test_request_context("/"):
        with force_locale("vi"):
            vietnamese = gettext("Add a note")
        with force_locale("en"):
            english = gettext("Add a note")
        with force_locale("vi"):
            again = gettext("Add a note")
            assert str(ACTIONS["note"].title) == vietnamese
    assert english == "Add a note" and vietnamese != english and again == vietnamese


def test_a_row_read_again_in_one_request_is_believed_only_with_the_same_values(
        app, people, make_case):
    """The case page reads the same rows again after its audit entry (the session
    expires them): the same genuine values are not checked twice, but a row
    changed by hand in between is checked, refused and reported."""
    from sqlalchemy import text

    from caseapp.auditing.integrity import intact
    from caseapp.cases.models import Case
    from caseapp.extensions import db
    from tests.cases.conftest import audit_count
    from tests.sql_statements import statements_run

    case = make_case("support", lead=people.officer)
    with app.test_request_context("/"):
        row = db.session.get(Case, case.id)
        assert intact(row)
        db.session.expire(row)
        assert row.stage == "support"  # read again from the database
        again, statements = statements_run(lambda: intact(row))
        assert again and statements == 0  # its anchor is not looked up again
        # A database writer moves the case to another unit, keeping its MAC.
        db.session.execute(text("UPDATE cases SET unit_id = :u WHERE id = :i"),
                           {"u": people.other_district.id, "i": case.id})
        db.session.commit()
        db.session.expire_all()
        row = db.session.get(Case, case.id)
        assert not intact(row)
        assert audit_count(action="integrity.violation", object_id=case.reference) == 1


def test_the_next_request_checks_the_row_again(app, people, make_case):
    from caseapp.auditing.integrity import intact
    from caseapp.cases.models import Case
    from caseapp.extensions import db
    from tests.sql_statements import statements_run

    case = make_case("support", lead=people.officer)
    for _ in range(2):
        with app.test_request_context("/"):
            db.session.expire_all()
            row = db.session.get(Case, case.id)
            assert row.stage == "support"
            genuine, statements = statements_run(lambda row=row: intact(row))
            assert genuine and statements >= 1  # its anchor looked up in each request
