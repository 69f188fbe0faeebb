"""The case page's "who has seen this child" panel, read from the audit log."""
from __future__ import annotations

import json
import re

from sqlalchemy import select

import audit
from caseapp.extensions import db
from tests.case_screens.conftest import token

from .test_break_glass import request_glass


def logged_views(reference):
    t = audit.audit_entries.c
    return db.session.execute(
        select(t.seq, t.actor_id, t.details)
        .where(t.object_type == "case", t.object_id == reference,
               t.action.in_(("case.view", "case.break_glass_reason", "case.export",
                             "case.print", "case.attachment_download")), t.outcome == "ok")
        .order_by(t.seq.desc())).all()


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


def test_panel_hidden_from_an_unassigned_supervisor(people, login, make_case):
    case = make_case("assessment")
    login(people.officer).get(f"/cases/{case.reference}")
    supervisor = login(people.supervisor)
    page = supervisor.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert 'id="who-viewed"' not in page
    request_glass(supervisor, case.reference)
    page = supervisor.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert 'id="who-viewed"' in page
    (access_id,) = re.findall(r'/break-glass/([\w-]+)/end', page)
    supervisor.post(f"/break-glass/{access_id}/end", data={"csrf_token": token(supervisor)})
    assert 'id="who-viewed"' not in supervisor.get(f"/cases/{case.reference}") \
        .get_data(as_text=True)
