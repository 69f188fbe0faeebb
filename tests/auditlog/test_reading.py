"""Reading the audit log: who sees which entries, filters, pages, CSV export,
and that reading (and being refused) is itself recorded."""
from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest

from caseapp.auditlog import service
from caseapp.auditlog.views import CSV_COLUMNS
from caseapp.permissions import PermissionDenied
from tests.auditlog.conftest import entries
from tests.conftest import Auth


@pytest.fixture
def tree(make_unit):
    """district ─ commune ─ school, and another district beside it."""
    district = make_unit("HUYEN-A")
    commune = make_unit("XA-A1", parent=district)
    school = make_unit("THCS-A1", parent=commune)
    other = make_unit("HUYEN-B")
    return district, commune, school, other


@pytest.fixture
def seeded(tree, add_entry):
    district, commune, school, other = tree
    add_entry(ref="REF-DISTRICT", unit=district)
    add_entry(ref="REF-COMMUNE", unit=commune)
    add_entry(ref="REF-SCHOOL", unit=school)
    add_entry(ref="REF-OTHER", unit=other)
    add_entry("app.start")  # no unit: admins only
    return tree


def refs(page_or_entries) -> set[str]:
    items = getattr(page_or_entries, "entries", page_or_entries)
    return {e.object_id for e in items if e.object_id and e.object_id.startswith("REF-")}


ALL_REFS = {"REF-DISTRICT", "REF-COMMUNE", "REF-SCHOOL", "REF-OTHER"}


def test_admin_sees_the_whole_log(client, make_user, seeded):
    admin = make_user("admin", unit=seeded[0])
    page = service.search(admin.user, service.AuditFilter())
    assert refs(page) == ALL_REFS
    assert "app.start" in {e.action for e in page.entries}

    Auth(client).login(admin)
    html = client.get("/audit/").get_data(as_text=True)
    for ref in ALL_REFS:
        assert ref in html


def test_supervisor_sees_only_their_unit_subtree(client, make_user, seeded):
    commune = seeded[1]
    supervisor = make_user("supervisor", unit=commune)
    page = service.search(supervisor.user, service.AuditFilter())
    assert refs(page) == {"REF-COMMUNE", "REF-SCHOOL"}
    assert "app.start" not in {e.action for e in page.entries}

    Auth(client).login(supervisor)
    response = client.get("/audit/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "REF-COMMUNE" in html and "REF-SCHOOL" in html
    assert "REF-DISTRICT" not in html and "REF-OTHER" not in html
    # Filtering by another unit's reference finds nothing, and exports nothing either.
    html = client.get("/audit/?reference=REF-OTHER").get_data(as_text=True)
    assert "<code>REF-OTHER</code>" not in html and "<tbody>" not in html
    export = client.get("/audit/export.csv?reference=REF-OTHER").get_data(as_text=True)
    assert "REF-OTHER" not in export


def test_district_supervisor_sees_the_units_below(make_user, seeded):
    supervisor = make_user("supervisor", unit=seeded[0])
    assert refs(service.search(supervisor.user, service.AuditFilter())) == ALL_REFS - {"REF-OTHER"}


@pytest.mark.parametrize("role", ["counselor", "officer"])
def test_other_roles_are_refused_and_the_refusal_is_recorded(client, make_user, seeded, role):
    user = make_user(role, unit=seeded[1])
    with pytest.raises(PermissionDenied):
        service.search(user.user, service.AuditFilter())
    Auth(client).login(user)
    for path in ("/audit/", "/audit/export.csv"):
        response = client.get(path + "?reference=Nguyen-Van-An&user=typed.name")
        assert response.status_code == 403, path
    denied = entries(action="access.denied")
    assert [(e.object_id, e.outcome, e.actor_id, e.actor_role, e.unit_path) for e in denied] == [
        ("auditlog.index", "denied", user.user.id, role, seeded[1].path),
        ("auditlog.export_csv", "denied", user.user.id, role, seeded[1].path),
    ]
    assert json.loads(denied[0].details) == {"method": "GET", "reason": "forbidden"}
    blob = repr([tuple(e) for e in entries()])
    assert "Nguyen" not in blob and "typed.name" not in blob
    assert entries(action="audit.export") == [] and entries(action="audit.view") == []
    # No link to a page they cannot open.
    assert "/audit/" not in client.get("/").get_data(as_text=True)


def test_admin_pages_refused_to_a_supervisor_are_recorded(client, make_user):
    supervisor = make_user("supervisor")
    Auth(client).login(supervisor)
    assert client.get("/admin/users?q=secret-search").status_code == 403
    (entry,) = entries(action="access.denied")
    assert entry.object_type == "endpoint" and entry.object_id == "admin.users"
    assert entry.actor_id == supervisor.user.id and entry.outcome == "denied"
    assert "secret-search" not in repr(tuple(entry))


def test_anonymous_reader_is_sent_to_log_in(client):
    response = client.get("/audit/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_nav_link_for_admins_and_supervisors(client, make_user):
    Auth(client).login(make_user("supervisor"))
    assert 'href="/audit/"' in client.get("/").get_data(as_text=True)


# -- filters --------------------------------------------------------------------------


def test_filter_by_user_reference_action_and_outcome(make_user, add_entry, tree):
    district = tree[0]
    admin = make_user("admin", unit=district)
    officer = make_user("officer", unit=district, totp=False)
    add_entry("case.view", ref="VN-1", actor=officer.user, unit=district)
    add_entry("case.update", ref="VN-1", actor=officer.user, unit=district, outcome="failed")
    add_entry("case.view", ref="VN-2", actor=admin.user, unit=district)
    add_entry("auth.login", actor=officer.user, unit=district, outcome="denied")

    def find(**kw):
        return [(e.action, e.object_id, e.outcome)
                for e in service.search(admin.user, service.AuditFilter(**kw)).entries]

    assert find(username=officer.username.upper()) == [
        ("auth.login", None, "denied"), ("case.update", "VN-1", "failed"),
        ("case.view", "VN-1", "ok")]
    assert find(username="nobody-like-this") == []
    assert find(reference="VN-1") == [("case.update", "VN-1", "failed"),
                                      ("case.view", "VN-1", "ok")]
    assert find(action="case.view") == [("case.view", "VN-2", "ok"), ("case.view", "VN-1", "ok")]
    assert [a for a, _, _ in find(action="case.")] == ["case.view", "case.update", "case.view"]
    assert find(action="case.*") == find(action="case.")
    assert find(outcome="denied") == [("auth.login", None, "denied")]
    assert find(username=officer.username, reference="VN-1", outcome="failed") == [
        ("case.update", "VN-1", "failed")]
    system = service.search(admin.user, service.AuditFilter(username="system")).entries
    assert system and {e.actor_type for e in system} == {"system"}


def test_filter_by_local_dates(make_user, add_entry):
    admin = make_user("admin")
    # 17:30 UTC on 1 March is 00:30 on 2 March in Vietnam (UTC+7).
    add_entry(ref="LATE-UTC", occurred_at=datetime(2026, 3, 1, 17, 30, tzinfo=UTC))
    add_entry(ref="EARLY-UTC", occurred_at=datetime(2026, 3, 1, 16, 59, tzinfo=UTC))

    def find(**kw):
        return {e.object_id for e in service.search(admin.user, service.AuditFilter(**kw)).entries
                if e.object_id}

    assert find(date_from=date(2026, 3, 2), date_to=date(2026, 3, 2)) == {"LATE-UTC"}
    assert find(date_from=date(2026, 3, 1), date_to=date(2026, 3, 1)) == {"EARLY-UTC"}
    assert find(date_to=date(2026, 2, 28)) == set()


def test_filter_form_through_the_page(client, make_user, add_entry):
    admin = make_user("admin")
    add_entry(ref="VN-7", occurred_at=datetime(2026, 5, 1, 3, 0, tzinfo=UTC))
    add_entry(ref="VN-8", occurred_at=datetime(2026, 5, 3, 3, 0, tzinfo=UTC))
    Auth(client).login(admin)
    html = client.get("/audit/?date_from=2026-05-02&date_to=2026-05-31").get_data(as_text=True)
    assert "VN-8" in html and "VN-7" not in html
    assert "03/05/2026 10:00" in html  # shown in Vietnam time, as dd/MM/yyyy HH:mm
    bad = client.get("/audit/?date_from=2026-05-09&date_to=2026-05-01")
    assert bad.status_code == 200 and "VN-8" not in bad.get_data(as_text=True)
    assert client.get("/audit/export.csv?date_from=not-a-date").status_code == 400
    assert client.get("/audit/export.csv?date_to=0001-01-01").status_code == 400
    far = client.get("/audit/?date_from=0001-01-01")
    assert far.status_code == 200 and "Ngày này quá xa trong quá khứ." in far.get_data(
        as_text=True)
    # Typed as people write dates (dd/mm/yyyy), shown back the same way.
    html = client.get("/audit/?date_from=02/05/2026&date_to=31/05/2026").get_data(as_text=True)
    assert "VN-8" in html and "VN-7" not in html and 'value="02/05/2026"' in html
    impossible = client.get("/audit/?date_from=31/02/2026").get_data(as_text=True)
    assert "Ngày này không có trên lịch" in impossible
    assert client.get("/audit/?before=abc").status_code == 400


# -- paging ---------------------------------------------------------------------------


def test_pages_of_fifty_newest_first(client, make_user, add_entry):
    admin = make_user("admin")
    first = add_entry("case.note", ref="P-0")
    for i in range(1, 120):
        add_entry("case.note", ref=f"P-{i}")
    only = service.AuditFilter(action="case.note")

    page1 = service.search(admin.user, only)
    assert [e.seq for e in page1.entries] == list(range(first + 119, first + 69, -1))
    assert page1.newer is None and page1.older == first + 70
    page2 = service.search(admin.user, only, before=page1.older)
    assert len(page2.entries) == 50 and page2.entries[0].seq == first + 69
    assert page2.newer == first + 69
    page3 = service.search(admin.user, only, before=page2.older)
    assert [e.seq for e in page3.entries] == list(range(first + 19, first - 1, -1))
    assert page3.older is None
    back = service.search(admin.user, only, after=page3.newer)
    assert back.entries == page2.entries
    assert back.older == page2.older and back.newer == page2.newer
    newest = service.search(admin.user, only, after=page2.newer)
    assert newest.entries == page1.entries and newest.newer is None

    Auth(client).login(admin)
    html = client.get("/audit/?action=case.note").get_data(as_text=True)
    assert "P-119" in html and "P-70<" in html and "P-69<" not in html
    assert f"before={page1.older}" in html and "action=case.note" in html
    html = client.get(f"/audit/?action=case.note&before={page1.older}").get_data(as_text=True)
    assert "P-69<" in html and "P-119" not in html and f"after={page2.newer}" in html


# -- recording the reading ------------------------------------------------------------


def test_viewing_the_log_is_recorded_without_typed_text(client, make_user, add_entry):
    admin = make_user("admin")
    add_entry("case.view", ref="VN-9")
    Auth(client).login(admin)
    client.get("/audit/?reference=VN-9&outcome=ok")
    client.get("/audit/?reference=Nguyen.Thi.Hoa&user=le.van.tam&action=keys.retire")
    # An action is chosen from the list: anything else is refused, read nothing, recorded nothing.
    typed = client.get("/audit/?action=hoa.").get_data(as_text=True)
    assert "Hãy sửa bộ lọc ở trên để xem các mục." in typed
    first, second = entries(action="audit.view")
    assert first.actor_id == admin.user.id and first.object_type == "audit_log"
    assert json.loads(first.details) == {"reference": "VN-9", "outcome": "ok", "shown": 1}
    assert json.loads(second.details) == {"reference": "(no match)", "actor": "(no match)",
                                          "action": "(no match)", "shown": 0}
    blob = repr([tuple(e) for e in entries()])
    assert "Nguyen" not in blob and "le.van.tam" not in blob and "hoa." not in blob


def test_csv_export_streams_the_filtered_view_and_is_recorded(client, make_user, add_entry,
                                                              tree):
    district = tree[0]
    admin = make_user("admin", unit=district)
    add_entry("case.view", ref="VN-1", unit=district, details={"stage": "intake"})
    add_entry("case.view", ref="VN-2", unit=district,
              occurred_at=datetime(2026, 1, 1, 20, 0, tzinfo=UTC))
    add_entry("case.update", ref="=cmd|calc", unit=district)
    Auth(client).login(admin)

    response = client.get("/audit/export.csv?action=case.")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="audit-')
    assert response.headers["Cache-Control"] == "no-store"
    assert response.is_streamed
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert [r["object_id"] for r in rows] == ["'=cmd|calc", "VN-2", "VN-1"]
    vn2 = rows[1]
    assert vn2["occurred_at_utc"] == "2026-01-01T20:00:00+00:00"
    assert vn2["occurred_at_local"] == "2026-01-02T03:00:00+07:00"
    assert vn2["unit"] == district.name and vn2["unit_path"] == district.path
    assert json.loads(rows[2]["details"]) == {"stage": "intake"}
    assert len(rows[0]["mac"]) == 64

    (export,) = entries(action="audit.export")
    assert export.actor_id == admin.user.id and export.outcome == "ok"
    details = json.loads(export.details)
    assert details["action"] == "case." and details["head"] >= 3
    # The export does not list itself, nor anything written after it started.
    assert "audit.export" not in body


def test_export_of_more_than_one_batch(client, make_user, add_entry, monkeypatch):
    monkeypatch.setattr(service, "EXPORT_BATCH", 7)
    admin = make_user("admin")
    for i in range(30):
        add_entry("case.note", ref=f"B-{i}")
    Auth(client).login(admin)
    body = client.get("/audit/export.csv?action=case.note").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert [r["object_id"] for r in rows] == [f"B-{i}" for i in range(29, -1, -1)]


def test_empty_export_has_the_header_only(client, make_user):
    Auth(client).login(make_user("supervisor"))
    body = client.get("/audit/export.csv?reference=NOTHING").get_data(as_text=True)
    assert body.lstrip("\ufeff").splitlines() == [",".join(CSV_COLUMNS)]
