"""Who sees what: the scoped query, 404s with audited denials, and child data behind grants."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from caseapp.cases import queries, service
from caseapp.cases.data import AssignmentData, NoteData
from caseapp.cases.errors import CaseError, CaseNotFound
from caseapp.cases.models import Case
from caseapp.crypto import AccessNotGranted, unlock
from caseapp.extensions import db
from caseapp.permissions import PermissionDenied
from caseapp.permissions import cases as rules

from .conftest import CHILD_NAME, NARRATIVE, audit_count, audit_rows


def refs(user) -> set[str]:
    return {c.reference for c in db.session.scalars(queries.visible_cases(user))}


@pytest.fixture
def cases(make_case, people):
    """One case per situation, all in the commune unit except ``elsewhere``."""
    return {
        "intake": make_case("intake"),
        "intake_assigned": make_case("intake", assigned=True),
        "assessment": make_case("assessment"),
        "helped_by_officer2": make_case("support", assignees=[people.officer2,
                                                              people.counselor]),
        "closed": make_case("closure"),
        "elsewhere": make_case("intake", recorder=people.other_officer, assigned=True,
                               supervisor=people.other_supervisor, lead=people.other_officer,
                               unit=people.other_district),
    }


def test_visible_cases_per_role(cases, people):
    r = {name: case.reference for name, case in cases.items()}
    local = {r[n] for n in ("intake", "intake_assigned", "assessment", "helped_by_officer2",
                            "closed")}
    # counselor: recorded and still at intake, or assigned
    assert refs(people.counselor) == {r["intake"], r["intake_assigned"],
                                      r["helped_by_officer2"]}
    # officer: assigned only
    assert refs(people.officer) == {r["intake_assigned"], r["assessment"],
                                    r["helped_by_officer2"], r["closed"]}
    assert refs(people.officer2) == {r["helped_by_officer2"]}
    # supervisors: their unit subtree
    assert refs(people.supervisor) == local
    assert refs(people.province_supervisor) == local | {r["elsewhere"]}
    assert refs(people.other_supervisor) == {r["elsewhere"]}
    assert refs(people.other_officer) == {r["elsewhere"]}
    # admin: none
    assert refs(people.admin) == set()


def test_scope_query_and_rule_agree(cases, people):
    for user in people.all().values():
        visible = refs(user)
        for case in cases.values():
            assert (case.reference in visible) == rules.can_view_case(user, case), \
                (user.username, case.reference)


def test_disabled_and_anonymous_see_nothing(cases, people):
    people.officer.is_enabled = False
    people.supervisor.is_enabled = False
    assert refs(people.officer) == set() and refs(people.supervisor) == set()
    assert refs(None) == set()


def test_counselor_loses_the_case_when_it_leaves_intake(make_case, people):
    case = make_case("intake", assigned=True)
    assert case.reference in refs(people.counselor)
    from .conftest import assessment_data

    service.transition(people.officer, case, "assessment", assessment_data())
    assert case.reference not in refs(people.counselor)
    with pytest.raises(CaseNotFound):
        queries.load_case(people.counselor, case.reference)


def test_sibling_unit_supervisor_sees_nothing_and_is_audited(cases, people):
    case = cases["assessment"]
    assert refs(people.other_supervisor) == {cases["elsewhere"].reference}
    with pytest.raises(CaseNotFound):
        queries.load_case(people.other_supervisor, case.reference)
    (row,) = audit_rows(action="case.denied", actor_id=people.other_supervisor.id)
    assert row.outcome == "denied" and row.object_id == case.reference
    assert row.unit_path == case.unit.path


def test_load_case_finds_visible_cases(cases, people):
    case = cases["assessment"]
    assert queries.load_case(people.officer, case.reference.lower()) is case
    assert queries.load_case(people.supervisor, case.reference) is case


@pytest.mark.parametrize("reference", ["HS-22222222", "nope", "Phạm Thị Quỳnh Như", ""])
def test_unknown_or_malformed_references_are_404_and_audited(people, reference):
    before = audit_count(action="case.denied")
    with pytest.raises(CaseNotFound):
        queries.load_case(people.officer, reference)
    assert audit_count(action="case.denied") == before + 1
    row = audit_rows(action="case.denied")[-1]
    # A malformed reference (which might be a name typed in a URL) is not logged.
    assert row.object_id == (reference if reference == "HS-22222222" else None)


def test_admin_gets_404_for_every_case(cases, people):
    for case in cases.values():
        with pytest.raises(CaseNotFound):
            queries.load_case(people.admin, case.reference)


# --- child data ------------------------------------------------------------------------------

def fresh(case) -> Case:
    """The case as a new request would load it: nothing unlocked."""
    from caseapp.crypto import current_scope

    current_scope().forget(case.data_key_id)
    db.session.expire_all()
    return db.session.get(Case, case.id)


def test_child_data_needs_a_grant(make_case, people):
    case = fresh(make_case("assessment"))
    with pytest.raises(AccessNotGranted):
        case.child_full_name  # noqa: B018
    with pytest.raises(AccessNotGranted):
        case.assessments[0].notes  # noqa: B018
    before = audit_count(action="case.view")
    service.open_child_data(people.officer, case)
    assert case.child_full_name == CHILD_NAME and case.narrative == NARRATIVE
    assert audit_count(action="case.view") == before + 1


def test_supervisor_sees_metadata_only(make_case, people):
    case = fresh(make_case("support"))
    assert case.stage == "support" and case.harm_category_codes  # metadata in clear
    with pytest.raises(PermissionDenied):
        service.open_child_data(people.supervisor, case)
    with pytest.raises(AccessNotGranted):
        case.child_full_name  # noqa: B018
    row = audit_rows(action="case.denied")[-1]
    assert row.actor_id == people.supervisor.id and row.object_id == case.reference


@pytest.mark.parametrize("who", ["officer2", "other_supervisor", "other_officer", "admin",
                                 "counselor"])
def test_outsiders_cannot_open_child_data(make_case, people, who):
    case = fresh(make_case("assessment"))
    with pytest.raises((CaseNotFound, PermissionDenied)):
        service.open_child_data(getattr(people, who), case)
    with pytest.raises(AccessNotGranted):
        case.child_full_name  # noqa: B018


def test_a_forged_grant_does_not_unlock(make_case):
    from caseapp.crypto.errors import IssuerNotAllowed
    from caseapp.crypto.grants import Grant

    case = fresh(make_case("assessment"))
    with pytest.raises(IssuerNotAllowed):
        Grant(reason="case.view", actor_id=None, owner_ids=frozenset([case.id]),
              capability=object())
    with pytest.raises(AccessNotGranted):
        unlock(case, grant=object())


def test_other_assignees_and_intake_recorder_can_read(make_case, people):
    intake = fresh(make_case("intake"))
    service.open_child_data(people.counselor, intake)
    assert intake.child_full_name == CHILD_NAME
    case = fresh(make_case("support", assignees=[people.officer2]))
    service.open_child_data(people.officer2, case)
    assert case.child_full_name == CHILD_NAME


def test_notes_need_the_case_key_and_a_place_on_the_case(make_case, people):
    case = make_case("assessment", assignees=[people.officer2])
    note = service.add_note(people.officer2, case, NoteData("Đã liên lạc với nhà trường"))
    assert note.stage == "assessment"
    with pytest.raises(PermissionDenied):
        service.add_note(people.supervisor, case, NoteData("Giám sát ghi chú"))
    with pytest.raises(CaseNotFound):
        service.add_note(people.other_supervisor, case, NoteData("Không được phép"))
    with pytest.raises(CaseError):
        service.add_note(people.officer, case, NoteData("   "))


# --- assignment --------------------------------------------------------------------------------

def test_assignment_stays_inside_the_supervisors_subtree(make_case, people):
    case = make_case("intake")
    # an officer of another district
    with pytest.raises(CaseError) as error:
        service.assign(people.supervisor, case, AssignmentData(people.other_officer.id))
    assert error.value.field == "lead_officer"
    # a counselor cannot lead
    with pytest.raises(CaseError):
        service.assign(people.supervisor, case, AssignmentData(people.counselor.id))
    # a supervisor from another district cannot assign at all
    with pytest.raises(CaseNotFound):
        service.assign(people.other_supervisor, case, AssignmentData(people.other_officer.id))
    # an officer cannot assign
    people_officer = people.officer
    with pytest.raises(CaseNotFound):
        service.assign(people_officer, case, AssignmentData(people_officer.id))
    # other assignees must be inside the subtree too
    with pytest.raises(CaseError) as error:
        service.assign(people.supervisor, case, AssignmentData(
            people.officer.id, (people.other_officer.id,)))
    assert error.value.field == "assignees"
    assert case.lead_officer_id is None and case.assignees == []
    service.assign(people.supervisor, case, AssignmentData(
        people.officer.id, (people.officer2.id, people.counselor.id)))
    assert case.lead_officer_id == people.officer.id
    assert case.assignee_ids == {people.officer2.id, people.counselor.id}


def test_a_lower_supervisor_cannot_assign_a_case_above_them(make_case, people, make_user):
    commune_supervisor = make_user("supervisor", unit=people.commune, totp=False).user
    case = make_case("intake", unit=people.district, recorder=people.officer2)
    with pytest.raises(CaseNotFound):
        service.assign(commune_supervisor, case, AssignmentData(people.officer.id))


def test_disabled_users_cannot_be_assigned(make_case, people):
    case = make_case("intake")
    people.officer.is_enabled = False
    with pytest.raises(CaseError):
        service.assign(people.supervisor, case, AssignmentData(people.officer.id))


def test_closed_cases_are_not_reassigned(make_case, people):
    case = make_case("closure")
    with pytest.raises(PermissionDenied):
        service.assign(people.supervisor, case, AssignmentData(people.officer2.id))


def test_queue_holds_unassigned_and_disabled_assignments(make_case, people):
    unassigned = make_case("intake")
    fine = make_case("assessment")
    orphaned = make_case("support", lead=people.officer2)
    helper_gone = make_case("support", assignees=[people.counselor])
    make_case("closure", lead=people.officer2)  # closed: never on the queue
    people.officer2.is_enabled = False
    people.counselor.is_enabled = False
    db.session.flush()
    queue = [c.reference for c in db.session.scalars(queries.assignment_queue(people.supervisor))]
    assert set(queue) == {unassigned.reference, orphaned.reference, helper_gone.reference}
    assert fine.reference not in queue
    assert list(db.session.scalars(queries.assignment_queue(people.officer))) == []
    assert list(db.session.scalars(queries.assignment_queue(people.other_supervisor))) == []


def test_reassignment_replaces_the_set_and_is_audited_once(make_case, people):
    case = make_case("assessment", assignees=[people.counselor])
    before = audit_count(action="case.assign")
    version = case.version_id
    service.assign(people.supervisor, case, AssignmentData(people.officer2.id,
                                                           (people.officer.id,)),
                   expected_version=version)
    assert case.lead_officer_id == people.officer2.id
    assert case.assignee_ids == {people.officer.id}
    assert audit_count(action="case.assign") == before + 1
    row = audit_rows(action="case.assign")[-1]
    assert '"removed":["' + people.counselor.id in row.details


def test_handled_is_sql_expressible(make_case, people):
    handled = {make_case("support").reference, make_case("referral").reference,
               make_case("closure", via="assessment").reference}
    not_handled = {make_case("intake").reference, make_case("intake", assigned=True).reference,
                   make_case("assessment").reference}
    found = set(db.session.scalars(select(Case.reference).where(queries.handled_clause())))
    assert handled <= found and not (not_handled & found)
    for reference in handled | not_handled:
        case = db.session.scalar(select(Case).where(Case.reference == reference))
        assert case.is_handled == (reference in handled)
