"""The case page's "who has seen this child" panel, read from the audit log."""
from __future__ import annotations

import json
import re

from sqlalchemy import select

import audit
from caseapp.extensions import db
from tests.cases.conftest import CHILD_NAME

from .test_break_glass import request_glass


def logged_views(reference):
    t = audit.audit_entries.c
    return db.session.execute(
        select(t.seq, t.actor_id, t.details)
        .where(t.object_type == "case", t.object_id == reference,
               t.action.in_(("case.view", "case.break_glass_reason", "case.export",
                             "case.print", "case.attachment_download")), t.outcome == "ok")
        .order_by(t.seq.desc())).all()


REASON_TEXT = "Em đang gặp nguy hiểm, cán bộ phụ trách không nghe máy"


def panel_seqs(page):
    section = page.split('id="who-viewed"', 1)[1].split("</section>", 1)[0]
    return [int(s) for s in re.findall(r'data-seq="(\d+)"', section)], section


def test_panel_lists_exactly_the_audit_entries(people, login, make_case):
    case = make_case("support", assignees=[people.officer2])
    login(people.officer2).get(f"/cases/{case.reference}")
    supervisor = login(people.supervisor)
    request_glass(supervisor, case.reference)
    supervisor.get(f"/cases/{case.reference}")
    officer = login(people.officer)
    officer.get(f"/api/v1/cases/{case.reference}")
    page = officer.get(f"/cases/{case.reference}").get_data(as_text=True)
    seqs, section = panel_seqs(page)
    rows = logged_views(case.reference)
    assert seqs == [r.seq for r in rows]
    assert len(rows) >= 4
    assert "gs.tuan" in section and "cb.hoa" in section and "cb.minh" in section
    assert "cases.case_page" in section and 'class="via-break_glass"' in section
    vias = {json.loads(r.details)["via"] for r in rows}
    assert vias == {"assignment", "break_glass"}


def test_a_metadata_only_supervisor_sees_who_looked_but_no_reason(people, login, make_case):
    """Who looked, when and how is no child data: the supervisors who oversee the
    case see it too; a break-glass reason (sealed, may describe the child) is shown
    only with the child's details."""
    from caseapp.break_glass import service as care

    case = make_case("assessment")
    login(people.officer).get(f"/cases/{case.reference}")
    care.break_glass(people.province_supervisor, case, REASON_TEXT)
    db.session.commit()
    page = login(people.supervisor).get(f"/cases/{case.reference}").get_data(as_text=True)
    assert CHILD_NAME not in page and REASON_TEXT not in page
    seqs, section = panel_seqs(page)
    assert seqs == [r.seq for r in logged_views(case.reference)]
    assert "cb.minh" in section
