"""The public help form (/help and its English twin /en/help), the page that
shows where a request stands (/help/status),.

Nobody logs in and nothing here opens a session: the forms carry the signed
double-submit token of :mod:`.codes` (its cookie is the only one these pages
set), the tracking code travels in a posted form only (never in an address),
and every page is ``no-store`` with ``Referrer-Policy: no-referrer``.
"""
from __future__ import annotations

from flask import Blueprint, current_app, g, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from limits import parse_many
from werkzeug.exceptions import RequestEntityTooLarge

from caseapp.core.safety import client_network
from caseapp.extensions import limiter

from . import codes, service

bp = Blueprint("public_help", __name__, template_folder="templates")

# A posted form bigger than this is refused before it is read (every field's
# limit together is far below it).
MAX_POST_BYTES = 32 * 1024
_SHOWN_ONCE = _l("Nothing was sent.")
# The field only a robot fills. Not "website", "url" or any other name a
# browser's autofill or a password manager recognises and fills for a person.
HONEYPOT = "extra_note"


@bp.before_request
def page_language():
    g.page_locale = "en" if request.path.startswith("/en/") else "vi"
    g.audit_without_address = True  # (caseapp.auditing.writer)
    request.max_content_length = MAX_POST_BYTES


@bp.after_request
def private_page(response):
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _prefix() -> str:
    return "/en" if g.get("page_locale") == "en" else ""


def _secure() -> bool:
    return bool(current_app.config.get("SESSION_COOKIE_SECURE"))


def _page(template: str, status: int = 200, *, rotate: bool = False, **context):
    """A page with a form token in its form and in the one cookie: the
    cookie's own while it is young (another tab's form stays good: opening
    "I have a code" beside a half-written form must not void it), a new one
    after something was saved (``rotate``: the page sent cannot be sent again)."""
    token = None if rotate else codes.reusable_token(request.cookies.get(
        codes.cookie_name(_secure())))
    token = token or codes.new_form_token()
    response = make_response(render_template(
        template, csrf_token=token, prefix=_prefix(), honeypot=HONEYPOT,
        leave_url=current_app.config["PUBLIC_HELP_LEAVE_URL"], **context), status)
    response.set_cookie(codes.cookie_name(_secure()), token, max_age=codes.max_age_seconds(),
                        httponly=True, samesite="Strict",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
                        path="/")
    return response


LIMITS = {
    # Every post of the form (mistakes too): bounds the work and the log.
    "post": ("PUBLIC_HELP_POSTS_PER_ADDRESS", "PUBLIC_HELP_POSTS_GLOBAL"),
    # Requests actually sent: a child who corrects a mistake five times is not
    # locked out of sending the sixth, right one.
    "submit": ("PUBLIC_HELP_LIMIT_PER_ADDRESS", "PUBLIC_HELP_LIMIT_GLOBAL"),
    # Every look-up of a code (each a guess).
    "status": ("PUBLIC_HELP_STATUS_LIMIT_PER_ADDRESS", "PUBLIC_HELP_STATUS_LIMIT_GLOBAL"),
}


def _over_limit(kind: str, *, count: bool = True) -> bool:
    """Whether ``kind``'s per-address or global limit is spent; if not, this
    post counts against both (``count``). An address past its own limit adds
    nothing to the global count: one machine cannot spend everyone's."""
    config = current_app.config
    per_address, overall = (parse_many(config[name]) for name in LIMITS[kind])
    address = client_network(request.remote_addr)
    ranges = [(item, address) for item in per_address] + [(item, "all") for item in overall]
    if not all(limiter.limiter.test(item, "public_help", kind, key) for item, key in ranges):
        return True
    if count:
        for item, key in ranges:
            limiter.limiter.hit(item, "public_help", kind, key)
    return False


def _limited():
    return _page("public_help/limited.html", 429)


def _token_problem() -> str | None:
    return codes.form_token_problem(request.cookies.get(codes.cookie_name(_secure())),
                                    request.form.get(codes.FIELD_NAME))


def _form_context(answers: service.HelpAnswers | None = None, problems: dict | None = None):
    default = service.default_unit()
    return dict(answers=answers or service.HelpAnswers(), problems=problems or {},
                harms=service.offered_harms(), platforms=service.offered_platforms(),
                units=service.offered_units(), default_unit=default,
                who=service.WHO, danger=service.DANGER, contact_ways=service.CONTACT_WAYS,
                limits={"story": service.MAX_STORY, "name": service.MAX_NAME,
                        "phone": service.MAX_PHONE,
                        "other_contact": service.MAX_OTHER_CONTACT})


def _answers() -> service.HelpAnswers:
    form = request.form

    def text(name: str) -> str:
        return form.get(name, "")

    return service.HelpAnswers(
        who=text("who"), harms=tuple(form.getlist("harms"))[:50],
        platforms=tuple(form.getlist("platforms"))[:50], story=text("story"),
        name=text("name"), age=text("age")[:3], phone=text("phone"),
        other_contact=text("other_contact"), contact_way=text("contact_way"),
        unit=text("unit"), danger=text("danger"))


@bp.route("/help", methods=["GET", "POST"], endpoint="form")
@bp.route("/en/help", methods=["GET", "POST"], endpoint="form_en")
def help_form():
    if request.method == "GET":
        return _page("public_help/form.html", **_form_context())
    try:
        request.form  # noqa: B018  (read now: a body over the limit is refused here)
    except RequestEntityTooLarge:
        return _page("public_help/form.html", 413, too_big=True, **_form_context())
    if _over_limit("post"):
        # A post of our own form (its token) keeps its answers on the page, as
        # past the "submit" limit below: what a child wrote is not lost to a
        # school's shared address.
        return _page("public_help/limited.html", 429,
                     answers=None if _token_problem() else _answers())
    problem = _token_problem()
    if problem:
        # Nothing of a refused post is shown again: another site could otherwise
        # make this page say what it wants.
        service.refused_token(problem)
        return _page("public_help/form.html", 400, token_refused=True, **_form_context())
    answers = _answers()
    if request.form.get(HONEYPOT):
        # Never answered as sent: a person can fill the hidden field (a page
        # shown without its style, an assistive tool, an autofill), and a
        # child told "sent" whose request was dropped would wait for nobody.
        # The answers come back with the field shown, to be emptied; a robot
        # gets the same form back every time, and creates nothing.
        service.asked_again()
        return _page("public_help/form.html", 400, asked_again=True, **_form_context(
            answers, {"form": _l("Your request was not sent yet. Check your answers, keep the "
                                 "box just above the Send button empty, and press Send "
                                 "again.")}))
    if _over_limit("submit", count=False):
        # The answers stay on the page (this visitor's own, under a valid
        # token): nothing typed is lost while they call.
        return _page("public_help/limited.html", 429, answers=answers)
    try:
        code = service.send(answers)
    except service.HelpProblems as exc:
        return _page("public_help/form.html", 400, **_form_context(answers, exc.problems))
    _over_limit("submit")
    return _page("public_help/sent.html", rotate=True, code=code,
                 danger=answers.danger == "yes")


@bp.route("/help/status", methods=["GET", "POST"], endpoint="status")
@bp.route("/en/help/status", methods=["GET", "POST"], endpoint="status_en")
def status():
    if request.method == "GET":
        return _page("public_help/status.html")
    try:
        request.form  # noqa: B018
    except RequestEntityTooLarge:
        return _page("public_help/status.html", 413, problems={"message": _SHOWN_ONCE})
    if _over_limit("status"):
        return _limited()
    problem = _token_problem()
    if problem:
        service.refused_token(problem)
        return _page("public_help/status.html", 400, token_refused=True)
    typed = request.form.get("code", "")
    found = service.find(typed)
    if found is None:
        return _page("public_help/status.html", 404, not_found=True)
    shown = dict(stage=service.stage_of(found), stages=service.STAGES, code=typed[:64],
                 max_message=service.MAX_MESSAGE)
    if "message" not in request.form:
        return _page("public_help/status.html", **shown)
    try:
        service.leave_message(found, request.form.get("message", ""))
    except service.HelpProblems as exc:
        return _page("public_help/status.html", 400, problems=exc.problems,
                     message=request.form.get("message", "")[:service.MAX_MESSAGE * 2],
                     **shown)
    return _page("public_help/status.html", rotate=True, message_sent=True, **shown)
