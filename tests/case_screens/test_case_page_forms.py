"""Every form of the case page, submitted as a browser sends it when nothing was
filled in: every missing field at once, each message under its field and in
the summary at the top of the form, in Vietnamese; the form posts to its own
fragment (a refused submit opens the page at the form); required fields are
marked before anyone submits; filling what was flagged is enough to save."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest

from caseapp.cases import service
from caseapp.cases.actions import ACTIONS
from caseapp.data_rights import service as data_rights
from caseapp.data_rights.service import DataRequestData
from caseapp.extensions import db
from tests.case_actions import form_page
from tests.cases.conftest import closure_data, needs_data, plan_data


def today() -> str:
    """Today in Viet Nam, read when a form is filled: a constant read at import
    was yesterday for a case made after midnight there (a CI run at 17:00 UTC)."""
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y")
VIETNAMESE = re.compile(r"[àáảãạăắằẳẵặâấầẩẫậèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵđ]",
                        re.IGNORECASE)


# --- what a browser sends ---------------------------------------------------------------------

@dataclass
class Form:
    action: str
    name: str
    controls: list = field(default_factory=list)  # (tag, attrs, text)


class Forms(HTMLParser):
    """The page's forms and their controls, enough to submit one as a browser would."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.current: Form | None = None
        self.capture = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.current = Form(attrs.get("action", ""), attrs.get("data-action", ""))
            self.forms.append(self.current)
        elif self.current is None:
            return
        elif tag in ("input", "button"):
            self.current.controls.append([tag, attrs, ""])
        elif tag in ("textarea", "select"):
            self.capture = [tag, attrs, "", []]
            self.current.controls.append(self.capture)
        elif tag == "option" and self.capture and self.capture[0] == "select":
            self.capture[3].append(attrs)

    def handle_data(self, data):
        if self.capture is not None and self.capture[0] == "textarea":
            self.capture[2] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag in ("textarea", "select"):
            self.capture = None

    def one(self, name: str) -> Form:
        found = [f for f in self.forms if f.name == name]
        assert found, f"no form {name!r} on the page"
        return found[0]


def browser_payload(form: Form, *, clear_checkboxes=False) -> dict:
    """What a browser posts for ``form`` when nobody typed or chose anything."""
    data: dict = {}
    for control in form.controls:
        tag, attrs = control[0], control[1]
        name = attrs.get("name")
        if not name or tag == "button":
            continue
        kind = attrs.get("type", "text")
        if tag == "textarea":
            data[name] = control[2].lstrip("\n")
        elif tag == "select":
            options = control[3]
            chosen = [o for o in options if "selected" in o] or options[:1]
            if chosen:
                data[name] = chosen[0].get("value", "")
        elif kind in ("radio", "checkbox"):
            if "checked" in attrs and not (kind == "checkbox" and clear_checkboxes):
                data.setdefault(name, []).append(attrs.get("value", "on"))
        elif kind == "file":
            continue
        else:
            data[name] = attrs.get("value", "")
    return data


def post(client, form: Form, data: dict):
    return client.post(form.action.split("#", 1)[0], data=data)


def error_ids(html: str) -> set[str]:
    return set(re.findall(r'<div class="error" id="([\w-]+)-error">', html))


# --- the forms ----------------------------------------------------------------------------------

def waiting_plan(people, make_case):
    case = make_case("assessment")
    service.record_needs_assessment(people.officer, case, needs_data())
    service.draft_plan(people.officer, case, plan_data())
    db.session.commit()
    return case


def needs_done(people, make_case):
    case = make_case("assessment")
    service.record_needs_assessment(people.officer, case, needs_data())
    db.session.commit()
    return case


def closure_waiting(people, make_case):
    case = make_case("support")
    service.request_closure(people.officer, case, closure_data())
    db.session.commit()
    return case


def open_request(people, make_case):
    case = make_case("support")
    data_rights.record_request(people.officer, case, DataRequestData(
        kind="access", requested_by="guardian"))
    db.session.commit()
    return case


REVIEW = ("review_harm", "review_access", "review_obstacles", "review_self_protection",
          "review_recovery")

# (form, how the case is made, who, the fields the empty submit must flag, what to
#  fill then (beyond the flagged fields' values: a case-level precondition), extra)
CASES = [
    ("assign", lambda p, m: m("intake"), "supervisor", {"lead_officer"},
     lambda p: {"lead_officer": p.officer.id}),
    ("assess", lambda p, m: m("intake", assigned=True), "officer",
     {"harm", "access", "obstacles", "risk_level", "notes"},
     lambda p: {"harm": "high", "access": "low", "obstacles": "low", "risk_level": "high",
                "notes": "Em lo sợ"}),
    ("needs", lambda p, m: m("assessment"), "officer",
     {"condition", "family", "service_needs", "notes"},
     lambda p: {"condition": "Em lo lắng", "family": "Mẹ quan tâm",
                "service_needs": "Tư vấn tâm lý", "notes": "Cần hỗ trợ"}),
    ("plan", needs_done, "officer", {"goals", "items-0-action"},
     lambda p: {"goals": "Em an toàn", "items-0-action": "Tư vấn tâm lý"}),
    ("return_plan", waiting_plan, "supervisor", {"reason"},
     lambda p: {"reason": "Ghi rõ người phụ trách"}),
    ("decision", lambda p, m: m("support"), "officer", {"number", "decided_on", "signatory"},
     lambda p: {"number": "15/QĐ-UBND", "decided_on": today(), "signatory": "Chủ tịch xã"}),
    ("support_action", lambda p, m: m("support"), "officer", {"description"},
     lambda p: {"description": "Gọi điện hỏi thăm"}),
    ("refer", lambda p, m: m("support"), "officer", {"agency", "reason"},
     # No consent to share is on file: the referral goes on a legal ground.
     lambda p: {"agency": "cybercrime_police", "reason": "Cần gỡ tài khoản",
                "sharing_basis": "emergency"}),
    ("add_referral", lambda p, m: m("referral"), "officer", {"agency", "reason"},
     lambda p: {"agency": "police", "reason": "Cần điều tra", "sharing_basis": "emergency"}),
    ("return", lambda p, m: m("referral"), "officer", {"reason"},
     lambda p: {"reason": "Cơ quan đã xử lý xong"}),
    ("request_closure", lambda p, m: m("support"), "officer",
     {"reason", "outcome_summary", *REVIEW},
     lambda p: {"reason": "resolved", "outcome_summary": "Em đã an toàn",
                **{name: "low" for name in REVIEW}}),
    ("request_closure", lambda p, m: m("assessment"), "officer", {"reason", "outcome_summary"},
     lambda p: {"reason": "unfounded", "outcome_summary": "Không có trẻ bị hại"}),
    ("reject_closure", closure_waiting, "supervisor", {"reason"},
     lambda p: {"reason": "Chưa đủ thông tin"}),
    ("note", lambda p, m: m("support"), "officer", {"text"}, lambda p: {"text": "Đã gọi mẹ"}),
    ("harm_categories", lambda p, m: m("support", harm_categories=("cyberbullying",)),
     "officer", {"harm_categories"}, lambda p: {"harm_categories": "cyberbullying"}),
    ("data_request", lambda p, m: m("support"), "officer", {"kind", "requested_by"},
     lambda p: {"kind": "access", "requested_by": "guardian"}),
    ("answer_data_request", open_request, "supervisor", {"decision", "answer"},
     lambda p: {"decision": "refused", "answer": "Chưa xác minh được người yêu cầu"}),
    ("sharing_consent", lambda p, m: m("support"), "officer", {"agency"},
     lambda p: {"agency": "police", "child": "y", "guardian": "y"}),
    ("break_glass", lambda p, m: m("assessment"), "supervisor", {"reason"},
     lambda p: {"reason": "Em đang gặp nguy hiểm, cán bộ không nghe máy"}),
    ("evidence_custody", lambda p, m: m("support"), "officer", {"location"},
     lambda p: {"location": "Điện thoại của em, đã giao công an"}),
    ("evidence_upload", lambda p, m: m("support", harm_categories=("cyberbullying",)),
     "officer", {"file", "confirm_no_abuse"}, None),
]
IDS = [f"{c[0]}-{i}" for i, c in enumerate(CASES)]


def prefix_of(form: Form) -> str:
    token = next(c[1]["name"] for c in form.controls
                 if c[1].get("name", "").endswith("csrf_token"))
    return token[: -len("csrf_token")]


@pytest.mark.parametrize("name,make,who,flagged,fill", CASES, ids=IDS)
def test_an_empty_submit_shows_every_missing_field_at_once(people, make_case, login, name,
                                                           make, who, flagged, fill):
    case = make(people, make_case)
    client = login(getattr(people, who))
    # Where the person finds it: on the case page, or the page its link there leads to.
    page = form_page(client, case.reference, name)
    form = Forms(page).one(name)
    prefix = prefix_of(form)

    # Marked before anyone submits: `required` (or a required radio group) and the marker.
    for field_name in flagged:
        control = f"{prefix}{field_name}"
        marked = re.search(rf'<(input|textarea|select)[^>]*name="{re.escape(control)}"[^>]*>',
                           page)
        group = re.search(rf'<fieldset[^>]*id="{re.escape(control)}-group"[^>]*>\s*<legend>'
                          rf'[^<]*<span class="required-mark"', page)
        assert group or (marked and " required" in marked.group(0)), control
    section = page.split(f'data-action="{name}"', 1)[1].split("</form>", 1)[0]
    assert "Các mục có dấu * là bắt buộc." in section

    # The form posts to its own place on its page.
    anchor = form.action.split("#", 1)[1]
    assert f'id="{anchor}"' in page

    response = post(client, form, browser_payload(form, clear_checkboxes=True))
    assert response.status_code == 422, response.status_code
    html = response.get_data(as_text=True)
    assert error_ids(html) == {f"{prefix}{f}" for f in flagged}

    # The summary at the top of the form: every error, each a link to its field, in Vietnamese.
    after_anchor = html.split(f'id="{anchor}"', 1)[1]
    summary = after_anchor.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert after_anchor.index('class="error-summary"') < after_anchor.index("</form>")
    links = re.findall(r'<a href="#([\w-]+)">([^<]+)</a>', summary)
    assert len(links) == len(flagged), links
    for target, text in links:
        assert f'id="{target}"' in html, target
        assert VIETNAMESE.search(text.split(":", 1)[1]), text
    for field_id in error_ids(html):
        message = html.split(f'id="{field_id}-error">', 1)[1].split("</div>", 1)[0]
        assert VIETNAMESE.search(message), message
        described = re.search(rf'<[^>]*aria-describedby="[^"]*{re.escape(field_id)}-error[^"]*"'
                              r'[^>]*>', html)
        assert described, field_id
    if name not in ACTIONS:
        # A feature's form, on the case page (break-glass) or its section's page:
        # the page says it at its top too, with a link to the form; a section's
        # page comes back itself, not the case page.
        top = 'id="next"' if 'id="next"' in html else 'class="section-page"'
        assert 'class="section-page"' in html or name == "break_glass"
        assert html.index('id="form-failed"') < html.index(top)
        assert f'href="#{anchor}"' in html.split('id="form-failed"', 1)[1].split("</p>", 1)[0]
    else:
        # A case action's own page comes back (the note's too, whose form is
        # also on the case page): the form its first card, its title and the
        # summary before any field; not the case page.
        assert 'id="next"' not in html
        assert html.index('<section class="card') == html.index(f'<section class="card action '
                                                                f'action-page" id="{anchor}"')
        assert html.index(f'id="{anchor}"') < html.index("<h1>") < \
            html.index('class="error-summary"')

    if fill is None:
        return
    # Filling what was flagged is enough: no second round of errors.
    page = form_page(client, case.reference, name)
    form = Forms(page).one(name)
    data = browser_payload(form)
    data.update({f"{prefix}{k}": v for k, v in fill(people).items()})
    saved = post(client, form, data)
    assert saved.status_code == 302, error_ids(saved.get_data(as_text=True))
    assert saved.headers["Location"].endswith("#top") or "#" in saved.headers["Location"]


def test_a_refused_action_keeps_what_was_typed(people, make_case, login):
    case = make_case("support")
    client = login(people.officer)
    form = Forms(form_page(client, case.reference, "support_action")).one("support_action")
    data = browser_payload(form)
    data["support_action-kind"] = "legal"
    html = post(client, form, data).get_data(as_text=True)
    assert re.search(r'<option[^>]*value="legal"[^>]*selected', html) or \
        re.search(r'<option[^>]*selected[^>]*value="legal"', html)
    assert error_ids(html) == {"support_action-description"}


def test_admin_forms_mark_their_required_fields_too(people, login):
    """The shared field macro marks what a validator requires, on every screen."""
    page = login(people.admin).get("/admin/units/new").get_data(as_text=True)
    assert re.search(r'<label for="code">[^<]*<span class="required-mark"', page)

