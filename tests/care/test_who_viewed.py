"""The case page's "who has seen this child" panel, read from the audit log: one
line per person, day and kind of access, with a count, in words; history,
folded below the forms."""
from __future__ import annotations

import re

from sqlalchemy import select

import audit
from caseapp.extensions import db
from tests.case_actions import section_links, section_page
from tests.cases.conftest import CHILD_NAME

from .test_break_glass import request_glass

# What a person must never read in the panel: route names, audit codes, role codes.
CODES = ("cases.case_page", "printing.print_form", "evidence.download", "api.", "case.view",
         "case.print", "break_glass_reason", "(officer)", "(supervisor)", "assignment")


def logged_views(reference):
    t = audit.audit_entries.c
    return db.session.execute(
        select(t.seq, t.actor_id, t.details)
        .where(t.object_type == "case", t.object_id == reference,
               t.action.in_(("case.view", "case.break_glass_reason", "case.export",
                             "case.print", "case.attachment_download")), t.outcome == "ok")
        .order_by(t.seq.desc())).all()


REASON_TEXT = "Em đang gặp nguy hiểm, cán bộ phụ trách không nghe máy"


def visible(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def panel(page):
    """The panel's lines as (text, count), and its HTML."""
    section = page.split('id="who-viewed"', 1)[1].split("</details>", 1)[0]
    lines = [(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text)).strip(), int(count))
             for count, text in re.findall(r'<li [^>]*data-count="(\d+)"[^>]*>(.*?)</li>',
                                           section, re.S)]
    return lines, section


def today(page):
    return re.search(r'<time datetime="\d{4}-\d\d-\d\d">(\d\d/\d\d/\d{4})</time>',
                     page.split('id="who-viewed"', 1)[1]).group(1)


def test_repeated_views_fold_into_one_line_with_a_count(people, login, make_case):
    case = make_case("support")
    officer = login(people.officer)
    for _ in range(2):
        officer.get(f"/cases/{case.reference}")
    officer.get(f"/cases/{case.reference}/print/01")
    officer.get(f"/cases/{case.reference}/print/01")
    officer.get(f"/cases/{case.reference}/print/01?copy=family")
    case_page = officer.get(f"/cases/{case.reference}").get_data(as_text=True)  # the third view
    # The case page says how many, and links to the list (no further view recorded).
    assert "Những ai đã xem thông tin của trẻ: 1 người, 6 lượt" in visible(case_page)
    page = officer.get(section_links(case_page)["who-viewed"]).get_data(as_text=True)
    lines, section = panel(page)
    day = today(page)
    texts = {text.split(" · lần cuối", 1)[0]: count for text, count in lines}
    assert texts == {
        f"cb.minh (Cán bộ phụ trách) · {day} · xem hồ sơ ×3": 3,
        f"cb.minh (Cán bộ phụ trách) · {day} · in Mẫu 01 ×2": 2,
        f"cb.minh (Cán bộ phụ trách) · {day} · in Mẫu 01 (bản gửi gia đình)": 1,
    }, lines
    # Every audited access is counted, once.
    assert sum(count for _, count in lines) == len(logged_views(case.reference)) == 6
    for code in CODES:
        assert code not in visible(section), code
    # On the case page a line after the forms: a page view of one's own does not
    # push the actions down; on its own page, open.
    assert 'id="who-viewed"' not in case_page
    assert case_page.index('id="next"') < case_page.index('id="act-note"') \
        < case_page.index('id="section-who-viewed"')
    assert '<details class="card history" id="who-viewed" open>' in page


def test_each_person_and_kind_of_access_has_its_line(people, login, make_case):
    case = make_case("support", assignees=[people.officer2])
    login(people.officer2).get(f"/cases/{case.reference}")
    supervisor = login(people.supervisor)
    request_glass(supervisor, case.reference)
    supervisor.get(f"/cases/{case.reference}")
    officer = login(people.officer)
    officer.get(f"/api/v1/cases/{case.reference}")
    page = section_page(officer, case.reference, "who-viewed")
    lines, section = panel(page)
    rows = logged_views(case.reference)
    assert sum(count for _, count in lines) == len(rows) >= 4
    text = " | ".join(t for t, _ in lines)
    assert "cb.hoa (Cán bộ phụ trách)" in text and "xem hồ sơ (qua API)" in text
    assert "gs.tuan (Giám sát viên)" in text or "gs.tuan (" in text
    # Break-glass stands out, in words.
    assert re.search(r'class="via-break_glass"[^>]*>.*?truy cập khẩn cấp', section, re.S)
    for code in CODES:
        assert code not in visible(section), code


def test_a_metadata_only_supervisor_sees_who_looked_but_no_reason(people, login, make_case):
    """Who looked, when and how is no child data: the supervisors who oversee the
    case see it too; a break-glass reason (sealed, may describe the child) is shown
    only with the child's details."""
    from caseapp.break_glass import service as care

    case = make_case("assessment")
    login(people.officer).get(f"/cases/{case.reference}")
    care.break_glass(people.province_supervisor, case, REASON_TEXT)
    db.session.commit()
    supervisor = login(people.supervisor)
    case_page = supervisor.get(f"/cases/{case.reference}").get_data(as_text=True)
    page = section_page(supervisor, case.reference, "who-viewed")
    for html in (case_page, page):
        assert CHILD_NAME not in html and REASON_TEXT not in html
    lines, section = panel(page)
    assert sum(count for _, count in lines) == len(logged_views(case.reference)) == 1
    assert "cb.minh" in section and "xem hồ sơ" in section
