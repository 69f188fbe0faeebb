"""What a hotline counselor records on the call (issue 15): sealed like the rest of
the child's data, shown only to those entitled; an anonymous reporter known to
the people on the case only and printed on no copy; every mistake of the
intake form at once, in Vietnamese, nothing saved; dates typed dd/mm/yyyy."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import func, select, text

from caseapp import clock
from caseapp.cases import service
from caseapp.cases.data import ReporterData
from caseapp.cases.deadlines import VIETNAM
from caseapp.cases.errors import CaseError, CaseErrors
from caseapp.cases.models import Case
from caseapp.core.forms import DayField, parse_day
from caseapp.extensions import db
from caseapp.permissions import cases as rules
from tests.case_screens.test_api import Api, intake_json
from tests.case_screens.test_web_lifecycle import intake_form
from tests.cases.conftest import (
    CHILD_NAME,
    REPORTER_NAME,
    REPORTER_PHONE,
    audit_count,
    intake_data,
)

from .test_break_glass import request_glass

# Canaries: synthetic, and each appears nowhere else in the test data.
CALL_NUMBER = "T111-2026-88417"
WHEREABOUTS = "Đang trốn ở nhà văn hoá thôn Canary"
HARM_WHEN = "Khoảng ba tuần trước, canary"
ADVICE = "Đã khuyên em chặn tài khoản, canary lời khuyên"
ACCESS_NEEDS = "Em khiếm thính canary, chỉ nhắn tin"
HARM_DAY = date(2026, 11, 20)
CALL_SECRETS = [CALL_NUMBER, WHEREABOUTS, HARM_WHEN, ADVICE, ACCESS_NEEDS]


def call_data(**overrides):
    child = {"access_needs": ACCESS_NEEDS, **overrides.pop("child", {})}
    values = dict(hotline_call_number=CALL_NUMBER, child_whereabouts=WHEREABOUTS,
                  harm_when=HARM_WHEN, advice_given=ADVICE, safe_tonight="unknown",
                  child=child)
    values.update(overrides)
    return intake_data(**values)


def case_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


def body(response) -> str:
    return unescape(response.get_data(as_text=True))


# --- sealed --------------------------------------------------------------------------------

def test_the_call_is_sealed_in_the_database(people):
    received = clock.now().astimezone(VIETNAM).date()
    harm_day = received - timedelta(days=12)
    case = service.record_intake(people.counselor, call_data(harm_date=harm_day))
    db.session.commit()
    assert (case.hotline_call_number, case.child_whereabouts, case.harm_when,
            case.advice_given, case.child_access_needs, case.safe_tonight,
            case.harm_date) == (CALL_NUMBER, WHEREABOUTS, HARM_WHEN, ADVICE, ACCESS_NEEDS,
                                "unknown", harm_day)
    row = db.session.execute(text("SELECT * FROM cases WHERE id = :id"), {"id": case.id}).one()
    raw = b"".join(v if isinstance(v, bytes) else str(v).encode() for v in row if v is not None)
    for secret in [*CALL_SECRETS, harm_day.isoformat(), "unknown"]:
        assert secret.encode() not in raw, secret
    columns = Case.__table__.c
    for name in ("hotline_call_number", "harm_date", "harm_when", "child_whereabouts",
                 "safe_tonight", "advice_given", "child_access_needs"):
        value = db.session.execute(select(columns[name]).where(columns.id == case.id)).scalar()
        assert isinstance(value, bytes), name


def test_a_supervisor_reads_none_of_it_and_the_officer_all(people, login, make_case):
    case = make_case("assessment", **{"hotline_call_number": CALL_NUMBER,
                                      "child_whereabouts": WHEREABOUTS, "advice_given": ADVICE})
    officer = body(login(people.officer).get(f"/cases/{case.reference}"))
    for secret in (CALL_NUMBER, WHEREABOUTS, ADVICE):
        assert secret in officer
    supervisor = body(login(people.supervisor).get(f"/cases/{case.reference}"))
    for secret in (CALL_NUMBER, WHEREABOUTS, ADVICE, CHILD_NAME):
        assert secret not in supervisor
    outsider = login(people.other_officer).get(f"/cases/{case.reference}")
    assert outsider.status_code == 404 and CALL_NUMBER not in body(outsider)


def test_not_safe_tonight_is_immediate_danger(people):
    case = service.record_intake(people.counselor, call_data(safe_tonight="no",
                                                             immediate_danger=False))
    assert case.immediate_danger and case.emergency_due_at is not None
    safe = service.record_intake(people.counselor, call_data(safe_tonight="yes",
                                                             immediate_danger=False))
    assert not safe.immediate_danger and safe.emergency_due_at is None


@pytest.mark.parametrize("overrides,field", [
    ({"channel": "email"}, "hotline_call_number"),  # a number for a call that was not one
    ({"hotline_call_number": "<script>"}, "hotline_call_number"),
    ({"hotline_call_number": "1" * 33}, "hotline_call_number"),
    ({"safe_tonight": "maybe"}, "safe_tonight"),
    ({"harm_date": date(2099, 1, 1)}, "harm_date"),
    ({"harm_date": date(1990, 1, 1)}, "harm_date"),
    ({"child_whereabouts": "x" * 201}, "child_whereabouts"),
])
def test_call_details_are_checked(people, overrides, field):
    before = audit_count()
    with pytest.raises(CaseError) as error:
        service.record_intake(people.counselor, call_data(**overrides))
    assert error.value.field == field and str(error.value.message)
    assert case_count() == 0 and audit_count() == before


def test_the_harm_cannot_follow_the_report(people):
    received = clock.now().astimezone(VIETNAM).date()
    with pytest.raises(CaseError) as error:
        service.record_intake(people.counselor, call_data(harm_date=received + timedelta(1)))
    assert error.value.field == "harm_date"


def test_the_service_names_every_mistake_at_once(people):
    data = intake_data(channel="pigeon", requested_by="", harm_categories=(), narrative=" ",
                       help_requested=None, child={"full_name": "", "phone": "call me"},
                       safe_tonight="maybe")
    before = audit_count()
    with pytest.raises(CaseErrors) as error:
        service.record_intake(people.counselor, data)
    fields = [e.field for e in error.value.errors]
    assert set(fields) >= {"channel", "requested_by", "harm_categories", "narrative",
                           "help_requested", "child.full_name", "child.phone", "safe_tonight"}
    assert case_count() == 0 and audit_count() == before


def test_the_api_names_every_mistake_at_once(people, login):
    api = Api(login(people.counselor))
    answer = api.post("/cases", intake_json(channel="pigeon", narrative="", requested_by="",
                                            harm_categories=[]), expect=422)
    assert set(answer["fields"]) >= {"channel", "narrative", "requested_by", "harm_categories"}
    assert case_count() == 0


def test_the_api_takes_and_gives_the_call_in_iso(people, login):
    api = Api(login(people.counselor))
    recorded = api.post("/cases", intake_json(
        channel="hotline_111", hotline_call_number=CALL_NUMBER, harm_date="2026-11-20",
        harm_when=HARM_WHEN, child_whereabouts=WHEREABOUTS, safe_tonight="no",
        advice_given=ADVICE, immediate_danger=False,
        reporter={"name": REPORTER_NAME, "phone": REPORTER_PHONE, "anonymous": True},
        child={"full_name": CHILD_NAME, "access_needs": ACCESS_NEEDS}), expect=201)
    assert recorded["case"]["immediate_danger"] is True
    case = api.get(f"/cases/{recorded['reference']}").json["case"]
    assert case["harm_date"] == "2026-11-20" and case["safe_tonight"] == "no"
    assert case["hotline_call_number"] == CALL_NUMBER and case["advice_given"] == ADVICE
    assert case["child"]["access_needs"] == ACCESS_NEEDS
    # The counselor took the call: they know who called.
    assert case["reporter"]["name"] == REPORTER_NAME and case["reporter"]["anonymous"] is True


# --- the anonymous reporter --------------------------------------------------------------------

def anonymous_case(make_case, stage="support", **kwargs):
    return make_case(stage, reporter=ReporterData(REPORTER_NAME, "hàng xóm", REPORTER_PHONE,
                                                  "Xóm Canary", anonymous=True), **kwargs)


def test_who_may_see_an_anonymous_reporter(people, make_case):
    case = anonymous_case(make_case, assignees=[people.officer2])
    assert case.reporter_anonymous
    assert rules.can_see_reporter(people.officer, case)  # lead officer
    assert rules.can_see_reporter(people.officer2, case)  # assignee
    for outsider in (people.supervisor, people.province_supervisor, people.counselor,
                     people.other_officer):
        assert not rules.can_see_reporter(outsider, case)
    plain = make_case("support")
    assert rules.can_see_reporter(people.supervisor, plain)  # a rule about anonymity only


def test_the_lead_officer_sees_an_anonymous_reporter(people, login, make_case):
    case = anonymous_case(make_case)
    page = body(login(people.officer).get(f"/cases/{case.reference}"))
    assert REPORTER_NAME in page and REPORTER_PHONE in page
    assert "Đề nghị giữ bí mật danh tính" in page


def test_a_supervisor_never_sees_an_anonymous_reporter(people, login, make_case):
    # Reading a plan to approve it...
    case = anonymous_case(make_case, "assessment")
    service.record_needs_assessment(people.officer, case, _needs())
    service.draft_plan(people.officer, case, _plan())
    db.session.commit()
    supervisor = login(people.supervisor)
    page = body(supervisor.get(f"/cases/{case.reference}"))
    assert 'id="approval"' in page
    assert REPORTER_NAME not in page and REPORTER_PHONE not in page
    # ...nor through emergency access, which shows the child's other details.
    assert request_glass(supervisor, case.reference).status_code == 302
    page = body(supervisor.get(f"/cases/{case.reference}"))
    assert CHILD_NAME in page
    assert REPORTER_NAME not in page and REPORTER_PHONE not in page and "Xóm Canary" not in page
    assert "Đề nghị giữ bí mật danh tính" in page


def test_an_anonymous_reporter_is_printed_on_no_copy(people, login, make_case):
    case = anonymous_case(make_case)
    client = login(people.officer)
    for url in (f"/cases/{case.reference}/print/01",
                f"/cases/{case.reference}/print/01?copy=family"):
        response = client.get(url)
        assert response.status_code == 200, url
        html = body(response)
        assert CHILD_NAME in html
        for secret in (REPORTER_NAME, REPORTER_PHONE, "Xóm Canary", "hàng xóm"):
            assert secret not in html, (url, secret)
    full = body(client.get(f"/cases/{case.reference}/print/01"))
    assert "Người báo tin đề nghị giữ bí mật danh tính" in full
    # A reporter who did not ask is printed as before.
    plain = make_case("support")
    assert REPORTER_NAME in body(client.get(f"/cases/{plain.reference}/print/01"))


def test_form_01_prints_the_call(people, login, make_case):
    case = make_case("support", hotline_call_number=CALL_NUMBER,
                     child_whereabouts=WHEREABOUTS, advice_given=ADVICE, safe_tonight="no",
                     harm_when=HARM_WHEN, harm_date=HARM_DAY,
                     child={"access_needs": ACCESS_NEEDS})
    client = login(people.officer)
    full = body(client.get(f"/cases/{case.reference}/print/01"))
    for shown in (CALL_NUMBER, WHEREABOUTS, ADVICE, HARM_WHEN, "20/11/2026", ACCESS_NEEDS,
                  "Không (nguy hiểm tức thời)"):
        assert shown in full, shown
    family = body(client.get(f"/cases/{case.reference}/print/01?copy=family"))
    # Where the child is and what they were told to do: not for a guardian who may be
    # the danger.
    for withheld in (CALL_NUMBER, WHEREABOUTS, ADVICE):
        assert withheld not in family, withheld


def _needs():
    from tests.cases.conftest import needs_data
    return needs_data()


def _plan():
    from tests.cases.conftest import plan_data
    return plan_data()


# --- the intake form: every mistake at once ------------------------------------------------------

VI = {
    "summary": "Tin báo chưa được lưu. Hãy sửa các mục sau rồi lưu lại:",
    "received_at": "Nhập ngày giờ tiếp nhận thông tin.",
    "channel": "Chọn kênh tiếp nhận thông tin.",
    "safe_tonight": "Hãy cho biết đêm nay trẻ có an toàn không: có, không hoặc chưa rõ.",
    "help_requested": "Cho biết có yêu cầu hỗ trợ hay không: có hoặc không.",
    "child_name": "Nhập tên của trẻ (hoặc tên mà người báo tin gọi).",
    "harm_categories": "Chọn ít nhất một hình thức bị xâm hại trong danh sách.",
    "narrative": "Mô tả sự việc đã xảy ra.",
    "child_dob": "Ngày này không có trên lịch: hãy kiểm tra lại ngày và tháng.",
    "hotline_call_number": "Hãy ghi mã số cuộc gọi đúng như Tổng đài cung cấp",
    "phone": "Đây không phải là số điện thoại.",
}


def vi(field):
    return VI[field]


def test_an_empty_intake_shows_every_error_at_once(people, login):
    client = login(people.counselor)
    from tests.case_screens.conftest import token
    before = case_count(), audit_count()
    response = client.post("/cases/new", data={"csrf_token": token(client, "/cases/new")})
    html = body(response)
    assert response.status_code == 422
    assert VI["summary"] in html
    summary = html[html.index('id="error-summary"'):html.index("</ul>", html.index(
        'id="error-summary"'))]
    links = re.findall(r'<a href="#([\w-]+)">', summary)
    # Each required field that is empty, once, with a link to it.
    for field in ("received_at", "channel", "safe_tonight-0", "requested_by-0",
                  "help_requested-0", "child_name", "harm_categories-0", "narrative"):
        assert field in links, (field, links)
    assert "This field" not in html and "Not a valid" not in html  # nothing in English
    assert (case_count(), audit_count()) >= before and case_count() == before[0]


def test_six_mistakes_come_back_together_with_what_was_typed(people, login):
    client = login(people.counselor)
    response = client.post("/cases/new", data=intake_form(
        client, channel="", help_requested=None, child_name="", narrative="",
        child_dob="31/02/2011", safe_tonight=None, harm_categories=None,
        hotline_call_number="<bad>", child_address="Thôn Canary",
        advice_given=ADVICE))
    html = body(response)
    assert response.status_code == 422
    for field in ("channel", "help_requested", "child_name", "narrative", "child_dob",
                  "safe_tonight", "harm_categories"):
        assert vi(field) in html, field
    assert "Thôn Canary" in html and ADVICE in html  # typed text kept
    assert case_count() == 0


def test_one_round_trip_when_the_form_itself_is_fine(people, login):
    """The service's refusals (no form error) come back all together too."""
    client = login(people.counselor)
    response = client.post("/cases/new", data=intake_form(
        client, channel="pigeon", child_name="", narrative="", hotline_call_number="",
        reporter_phone="gọi tôi"))
    html = body(response)
    assert response.status_code == 422
    assert vi("channel") in html and vi("child_name") in html and vi("narrative") in html
    assert VI["phone"] in html
    assert case_count() == 0


def test_the_hotline_number_is_dropped_when_the_channel_is_not_the_hotline(people, login):
    client = login(people.counselor)
    response = client.post("/cases/new", data=intake_form(
        client, channel="email", hotline_call_number=CALL_NUMBER))
    assert response.status_code == 302
    case = db.session.scalar(select(Case))
    service.open_child_data(people.counselor, case)
    assert case.hotline_call_number is None


def test_required_fields_are_marked_before_submitting(people, login):
    html = body(login(people.counselor).get("/cases/new"))
    assert "Các mục có dấu sao là bắt buộc" in html
    for name in ("received_at", "child_name", "narrative"):
        tag = re.search(rf'<(?:input|textarea)[^>]*\bname="{name}"[^>]*>', html).group(0)
        assert 'aria-required="true"' in tag and "required" in tag, name
    assert 'id="safe_tonight-group" role="radiogroup"' in html
    assert html.count('class="req"') >= 9
    # The danger question comes first.
    assert html.index('name="immediate_danger"') < html.index('name="unit"')
    assert html.index('name="safe_tonight"') < html.index('name="child_name"')
    # Not required: no star.
    tag = re.search(r'<input[^>]*\bname="child_phone"[^>]*>', html).group(0)
    assert "aria-required" not in tag


# --- dates as dd/mm/yyyy -----------------------------------------------------------------------

@pytest.mark.parametrize("typed,day", [
    ("15/09/2011", date(2011, 9, 15)), ("5/9/2011", date(2011, 9, 5)),
    ("05-09-2011", date(2011, 9, 5)), ("05.09.2011", date(2011, 9, 5)),
    (" 15 / 09 / 2011 ", date(2011, 9, 15)),
    # ISO too: links and bookmarks made before carry it, and it cannot be misread.
    ("2011-09-15", date(2011, 9, 15)), ("29/02/2024", date(2024, 2, 29)),
    # Eight digits: a phone's number pad has no "/".
    ("15092011", date(2011, 9, 15)),
])
def test_a_day_is_read_as_people_write_it(typed, day):
    assert parse_day(typed, today=date(2026, 12, 1)) == day


@pytest.mark.parametrize("typed,message", [
    ("31/02/2011", "Ngày này không có trên lịch"),
    ("29/02/2023", "Ngày này không có trên lịch"),
    ("15/13/2011", "Ngày này không có trên lịch"),
    ("09/15/2011", "Ngày này không có trên lịch"),  # American order
    ("15/09/11", "Nhập ngày theo dạng dd/mm/yyyy, ví dụ 15/09/2011."),
    ("1509201", "Nhập ngày theo dạng dd/mm/yyyy, ví dụ 15/09/2011."),
    ("31022011", "Ngày này không có trên lịch"),
    ("hôm qua", "Nhập ngày theo dạng dd/mm/yyyy, ví dụ 15/09/2011."),
    ("15/09/9999", "Ngày này quá xa trong tương lai."),
    ("01/01/0001", "Ngày này quá xa trong quá khứ."),
])
def test_a_wrong_day_gets_a_message_not_an_error_page(app, typed, message):
    with pytest.raises(ValueError) as error:
        parse_day(typed, today=date(2026, 12, 1))
    assert message in str(error.value)


def test_a_moment_typed_on_a_number_pad_is_read(app):
    from caseapp.core.forms import parse_day_time

    assert parse_day_time("15092011 1430", today=date(2026, 12, 1)) == datetime(2011, 9, 15,
                                                                                14, 30)


def test_the_day_field_renders_dd_mm_yyyy(app):
    from werkzeug.datastructures import MultiDict
    from wtforms import Form

    class One(Form):
        day = DayField("Day")

    with app.test_request_context():
        shown = One(data={"day": date(2011, 9, 15)}).day()
        assert 'value="15/09/2011"' in shown and 'inputmode="numeric"' in shown
        assert 'placeholder="dd/mm/yyyy"' in shown and 'type="text"' in shown
        typed = One(MultiDict({"day": "5/9/2011"}))
        assert typed.validate() and typed.day.data == date(2011, 9, 5)
        bad = One(MultiDict({"day": "31/02/2011"}))
        assert not bad.validate() and bad.day.errors and 'value="31/02/2011"' in bad.day()


def test_the_intake_form_shows_its_dates_as_dd_mm_yyyy(people, login):
    html = body(login(people.counselor).get("/cases/new"))
    value = re.search(r'name="received_at"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*'
                      r'name="received_at"', html)
    shown = value.group(1) or value.group(2)
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", shown), shown
    assert 'type="date"' not in html and 'type="datetime-local"' not in html


def test_no_form_of_the_app_uses_the_browsers_date_input():
    """Every date input of every form is a DayField or DayTimeField."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2] / "caseapp"
    offenders = []
    for path in [*root.rglob("*.py"), *root.rglob("*.html")]:
        source = path.read_text(encoding="utf-8")
        if re.search(r'\bDateField\b|\bDateTimeField\b|DateTimeLocalInput|widgets\.DateInput|'
                     r'type="?date', source):
            offenders.append(str(path.relative_to(root)))
    assert offenders == []


def test_shredding_the_case_shreds_the_call(people):
    from caseapp.cases import retention
    from caseapp.crypto.errors import KeyDestroyed

    case = service.record_intake(people.counselor, call_data(
        reporter=ReporterData(REPORTER_NAME, anonymous=True)))
    db.session.commit()
    retention.shred(case, clock.now(), reason="retention")
    db.session.commit()
    for name in ("hotline_call_number", "child_whereabouts", "harm_when", "advice_given",
                 "child_access_needs", "safe_tonight", "reporter_name"):
        with pytest.raises(KeyDestroyed):
            getattr(case, name)
    assert case.reporter_anonymous  # the rule stays; nobody can read what it guarded


def test_a_day_field_counts_years_from_the_date_in_vietnam(app, travel):
    """At 01:00 on New Year's Day in Vietnam it is still 31 December in UTC:
    a day of the new year is this year's, not "too far in the future"."""
    from datetime import UTC

    from werkzeug.datastructures import MultiDict
    from wtforms import Form

    from caseapp import clock

    class Meeting(Form):
        day = DayField("Day", latest_years_ahead=0)

    new_year_eve_utc = datetime(2026, 12, 31, 18, 0, tzinfo=UTC)  # 01:00, 1/1/2027 in Vietnam
    travel(seconds=(new_year_eve_utc - clock.now()).total_seconds())
    assert clock.now().date() == date(2026, 12, 31)
    with app.test_request_context():
        form = Meeting(MultiDict({"day": "01/01/2027"}))
        assert form.validate(), form.errors
        assert form.day.data == date(2027, 1, 1)
        refused = Meeting(MultiDict({"day": "01/01/2028"}))
        assert not refused.validate()
        assert "quá xa trong tương lai" in str(refused.errors["day"])


def test_the_services_count_years_from_the_date_in_vietnam_too(app, travel):
    """The check behind every form and the API: at 01:00 on 1/1/2027 in Vietnam
    (still 2026 in UTC), a moment ten years on is within the years allowed."""
    from datetime import UTC

    from caseapp import clock
    from caseapp.cases import guards

    new_year_eve_utc = datetime(2026, 12, 31, 18, 0, tzinfo=UTC)
    travel(seconds=(new_year_eve_utc - clock.now()).total_seconds())
    with app.test_request_context():
        assert guards.aware_datetime(datetime(2037, 1, 1, 9, 0), "when").year == 2037
        guards.check_day(date(2037, 1, 1), "day")
        with pytest.raises(guards.CaseError):
            guards.aware_datetime(datetime(2038, 1, 1, 9, 0), "when")
