"""Every UI string has a Vietnamese translation, and the compiled catalog is current."""
from __future__ import annotations

import re
from html import unescape
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "caseapp" / "translations" / "vi" / "LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]


def source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
            ROOT / "caseapp", METHODS, keywords=KEYWORDS,
            options_map={"**/templates/**.html": {"extensions": "jinja2.ext.do"}}):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_message_has_a_vietnamese_translation():
    with open(CATALOG / "messages.po", "rb") as handle:
        catalog = read_po(handle)
    missing = sorted(m for m in source_messages()
                     if not catalog.get(m) or not catalog.get(m).string
                     or catalog.get(m).fuzzy)
    assert missing == [], "missing Vietnamese translations:\n" + "\n".join(missing)


def test_compiled_catalog_matches_the_po_file():
    with open(CATALOG / "messages.po", "rb") as handle:
        po = read_po(handle)
    with open(CATALOG / "messages.mo", "rb") as handle:
        mo = read_mo(handle)
    def same(string):  # a plural's forms: a tuple in the .po, a list from the .mo
        return tuple(string) if isinstance(string, (list, tuple)) else string

    for message in po:
        if message.id and message.string and not message.fuzzy:
            compiled = mo.get(message.id)
            assert compiled is not None and same(compiled.string) == same(message.string), \
                f"stale messages.mo (run `pybabel compile -d caseapp/translations`): {message.id}"


def test_switching_language_is_remembered(client, auth, make_user):
    from tests.conftest import csrf_token

    counselor = make_user("counselor")
    auth.login(counselor)
    assert "Xin chào" in client.get("/").get_data(as_text=True)
    token = csrf_token(client, "/")
    client.post("/language", data={"csrf_token": token, "locale": "en", "next": "/"})
    assert "Hello" in client.get("/").get_data(as_text=True)
    auth.logout()
    auth.login(counselor)
    assert "Hello" in client.get("/").get_data(as_text=True)


def test_anonymous_language_choice(client):
    from tests.conftest import csrf_token

    assert "Đăng nhập" in client.get("/login").get_data(as_text=True)
    token = csrf_token(client)
    client.post("/language", data={"csrf_token": token, "locale": "en", "next": "/login"})
    assert "Log in" in client.get("/login").get_data(as_text=True)


# --- the libraries' own messages --------------------------------------------------------

def _catalog():
    with open(CATALOG / "messages.po", "rb") as handle:
        return read_po(handle)


def _translated(catalog, message_id) -> bool:
    found = catalog.get(message_id)
    if found is None or found.fuzzy:
        return False
    strings = found.string if isinstance(found.string, tuple) else (found.string,)
    return all(strings)


def test_every_wtforms_default_message_has_a_vietnamese_translation():
    """WTForms ships no Vietnamese: each message its validators and fields can say
    (its own catalogue template, whatever version is installed) is in ours."""
    import wtforms

    pot = Path(wtforms.__file__).parent / "locale" / "wtforms.pot"
    with open(pot, "rb") as handle:
        template = read_po(handle)
    catalog = _catalog()
    ids = [m.id[0] if isinstance(m.id, tuple) else m.id for m in template if m.id]
    assert len(ids) > 30 and "Not a valid date value." in ids
    missing = [i for i in ids if not _translated(catalog, i)]
    assert missing == [], "WTForms messages without Vietnamese:\n" + "\n".join(missing)


def test_every_flask_wtf_message_is_ours():
    """Flask-WTF's CSRF refusals (raised untranslated) map to our messages, and its
    file validators' messages are in the catalogue."""
    import re

    import flask_wtf

    from caseapp.core.base_form import CSRF_MESSAGES

    source = (Path(flask_wtf.__file__).parent / "csrf.py").read_text("utf-8")
    raised = set(re.findall(r'ValidationError\("([^"]+)"\)', source))
    assert raised and raised <= CSRF_MESSAGES.keys()
    catalog = _catalog()
    assert all(_translated(catalog, m._args[0]) for m in CSRF_MESSAGES.values())
    files = (Path(flask_wtf.__file__).parent / "file.py").read_text("utf-8")
    for message in re.findall(r'gettext\(\s*"([^"{]+(?:\{extensions\})?)"\s*\)', files):
        assert _translated(catalog, message), message


def test_every_form_takes_its_messages_from_our_catalogue(app):
    """Every form class derives from AppForm, so WTForms speaks Vietnamese."""
    import importlib
    import pkgutil

    from flask_wtf import FlaskForm

    import caseapp
    from caseapp.core.base_form import AppForm

    for module in pkgutil.walk_packages(caseapp.__path__, "caseapp."):
        if module.name.endswith("gunicorn_settings"):
            continue
        importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [c for c in subclasses(FlaskForm) if c.__module__.startswith("caseapp.")]
    assert len(ours) > 20
    strays = [f"{c.__module__}.{c.__name__}" for c in ours if not issubclass(c, AppForm)]
    assert strays == [], "forms not derived from caseapp.core.base_form.AppForm: " \
        + ", ".join(strays)


def test_library_defaults_are_said_in_vietnamese(app):
    from wtforms import DateField, IntegerField, SelectField, StringField
    from wtforms.validators import DataRequired, Length, NumberRange

    from caseapp.core.base_form import AppForm
    from caseapp.core.forms import choice_list

    class Sample(AppForm):
        class Meta:
            csrf = False

        when = DateField()
        count = IntegerField(validators=[NumberRange(min=1, max=9)])
        kind = SelectField(choices=choice_list([("a", "A")]))
        name = StringField(validators=[DataRequired(), Length(min=5)])
        other = IntegerField(validators=[NumberRange(min=1, max=9)])

    from werkzeug.datastructures import MultiDict

    with app.test_request_context():
        form = Sample(MultiDict({"when": "31/02/2026", "count": "x", "kind": "zz",
                                 "name": "ab", "other": "12"}))
        assert not form.validate()
        assert form.errors == {
            "when": ["Ngày không hợp lệ."],
            "count": ["Hãy nhập một số nguyên.",
                      "Số phải nằm trong khoảng từ 1 đến 9."],
            "kind": ["Lựa chọn không hợp lệ: hãy chọn một mục trong danh sách."],
            "name": ["Nhập ít nhất 5 ký tự."],
            "other": ["Số phải nằm trong khoảng từ 1 đến 9."],
        }


# --- one name for one thing ------------------------------------------------------------

# Words once used for a concept that has one name on every screen: (avoid, use).
GLOSSARY = (
    ("loại hình xâm hại", "hình thức bị xâm hại"),
    ("hình thức xâm hại", "hình thức bị xâm hại"),
    ("hình thức bị tổn hại", "hình thức bị xâm hại"),
    ("xác thực hai bước", "xác thực hai lớp"),
    ("trường hợp trùng", "khả năng trùng"),
)


def test_one_concept_has_one_name():
    """The kind of harm is "hình thức bị xâm hại" in its label and its errors alike,
    the second factor "xác thực hai lớp" everywhere."""
    wrong = []
    for message in _catalog():
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            for avoid, use in GLOSSARY:
                if avoid in (string or "").lower():
                    wrong.append(f"{message.id!r}: says {avoid!r}, not {use!r}")
    assert wrong == [], "\n".join(wrong)


# --- no English on a Vietnamese page ------------------------------------------------------

from tests.case_screens.conftest import login, token  # noqa: E402,F401  (fixtures)
from tests.cases.conftest import make_case, password_hash, people  # noqa: E402,F401

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w+\}")
# The public help form's English twin (/en/help...) is English by its address.
SKIPPED_ENDPOINTS = {"static", "auditlog.export_csv", "accounts.enrol_qr", "accounts.logout",
                     "public_help.form_en", "public_help.status_en"}


def english_needles() -> list[str]:
    """Source strings of three words or more (each piece between placeholders) whose
    Vietnamese differs: finding one on a Vietnamese page means an untranslated text."""
    needles = set()
    for message in _catalog():
        if not message.id or isinstance(message.id, tuple) or message.string == message.id:
            continue
        for piece in PLACEHOLDER.split(message.id):
            piece = piece.strip(" .,:;()")
            if len(piece.split()) >= 3:
                needles.add(piece)
    return sorted(needles)


def no_arg_pages(app) -> set[str]:
    return {rule.rule for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and not rule.arguments
            and rule.endpoint not in SKIPPED_ENDPOINTS and not rule.rule.startswith("/api/")}


def english_on(html: str, needles: list[str]) -> list[str]:
    text = unescape(re.sub(r"\s+", " ", html))
    return [n for n in needles if n in text]


def test_no_page_of_any_role_shows_an_untranslated_source_string(app, people, make_case,  # noqa: F811
                                                                 login):  # noqa: F811
    """Every page each role reaches (every argument-free page, a case at each
    point of its life, its printed forms, the admin's pages) and the errors of
    empty forms, under the Vietnamese locale: no known English source string."""
    needles = english_needles()
    assert len(needles) > 500
    open_case = make_case("support", assignees=(people.counselor,))
    closed = make_case("closure", via="referral")
    pages = no_arg_pages(app) | {"/help", "/login"}
    case_pages = {f"/cases/{c.reference}" for c in (open_case, closed)} | {
        f"/cases/{open_case.reference}/print/{code}" for code in ("01", "02", "03", "04")}
    admin_pages = {f"/admin/users/{people.officer.id}", "/admin/users/new", "/admin/units/new"}
    found: dict[str, list[str]] = {}
    anonymous = app.test_client()
    for path in ("/login", "/help"):
        found.update({f"anonymous {path}": english_on(
            anonymous.get(path).get_data(as_text=True), needles)})
    for role in ("counselor", "officer", "supervisor", "admin"):
        client = login(getattr(people, role))
        extra = admin_pages if role == "admin" else case_pages
        for path in sorted(pages | extra):
            response = client.get(path)
            if response.mimetype == "text/html":
                found[f"{role} {path}"] = english_on(response.get_data(as_text=True), needles)
        # Errors of empty or wrong forms, the validators' defaults included.
        posts = {"/admin/units/new": {}, "/admin/users/new": {"role": "nobody"}} \
            if role == "admin" else {"/cases/new": {"received_at": "32/13/2026"}}
        for path, fields in posts.items():
            response = client.post(path, data={"csrf_token": token(client, path), **fields})
            found[f"{role} POST {path}"] = english_on(response.get_data(as_text=True), needles)
        bad_filter = client.get("/audit/?action=nothing&date_from=bad&outcome=zz")
        found[f"{role} /audit/ (bad filter)"] = english_on(bad_filter.get_data(as_text=True),
                                                          needles)
    shown = {where: hits for where, hits in found.items() if hits}
    assert shown == {}, "English on Vietnamese pages:\n" + "\n".join(
        f"{where}: {hits}" for where, hits in shown.items())


def test_switching_language_keeps_the_page_and_its_query(client):
    """The switch on page 2 of a list comes back to page 2 (UX walk: it went to page 1)."""
    import re

    html = client.get("/login?after=WyJ4Il0&closed=1&next=/x").get_data(as_text=True)
    back = re.search(r'name="next" value="([^"]+)"', html).group(1)
    # the page's position comes back; nothing else of the query is echoed
    assert back.replace("&amp;", "&") == "/login?after=WyJ4Il0&closed=1"


def test_a_deadline_at_the_end_of_a_day_reads_as_that_day(app):
    """Deadlines that end a working day are the local midnight after it: shown as
    "hết ngày 05/12/2026", not "06/12/2026 00:00", which reads as the next day."""
    from datetime import UTC, datetime

    from flask_babel import force_locale

    from caseapp.i18n import format_deadline

    midnight_hanoi = datetime(2026, 12, 5, 17, 0, tzinfo=UTC)  # 06/12 00:00 in Vietnam
    with app.test_request_context("/"), force_locale("vi"):
        assert format_deadline(midnight_hanoi) == "hết ngày 05/12/2026"
        assert format_deadline(datetime(2026, 12, 5, 5, 30, tzinfo=UTC)) == "05/12/2026 12:30"
        assert format_deadline(None) == ""
    with app.test_request_context("/"), force_locale("en"):
        assert format_deadline(midnight_hanoi) == "by the end of 05/12/2026"
