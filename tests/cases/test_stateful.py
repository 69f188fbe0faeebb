"""Random sequences of actions by random users (Hypothesis stateful testing).

A small independent model of DESIGN.md (who sees what, which moves exist,
who may make them) predicts every outcome; the machine checks that

* every action succeeds exactly when the model says it may, and fails the
  way the model says (404 outside scope, 403 inside it, domain error for a
  move that does not exist) -- so no case ever reaches an invalid state;
* child data opens only for people in scope (each action runs in a fresh key
  scope, as a request would), and never shows otherwise;
* the scoped query matches the model for every user after every step;
* the audit log holds exactly one entry per change, per view and per denial.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

import audit
from caseapp.cases import queries, service
from caseapp.cases.data import (
    AssignmentData,
    ClosureApproval,
    NoteData,
    ReopenData,
    ReturnData,
    SupportData,
)
from caseapp.cases.errors import CaseError, CaseNotFound
from caseapp.crypto import AccessNotGranted, key_scope
from caseapp.extensions import db
from caseapp.permissions import PermissionDenied
from tests.conftest import examples

from .conftest import (
    CHILD_NAME,
    assessment_data,
    closure_data,
    intake_data,
    needs_data,
    plan_data,
    referral_data,
)

EDGES = {("intake", "assessment"), ("assessment", "support"), ("support", "referral"),
         ("referral", "support"), ("assessment", "closure"), ("support", "closure"),
         ("referral", "closure"), ("closure", "assessment")}
LEAD_MOVES = {("intake", "assessment"), ("assessment", "support"), ("support", "referral"),
              ("referral", "support")}
STAGES = ("intake", "assessment", "support", "referral", "closure")
USERS = ("counselor", "officer", "officer2", "supervisor", "province_supervisor",
         "other_supervisor", "other_officer", "admin")
UNITS = ("commune", "district", "other_district")
# Half the time the "right" person or the next stage: random enough to try every
# wrong combination, guided enough to walk cases through the whole workflow.
ACTOR = st.one_of(st.just("right"), st.sampled_from(USERS))
NEXT = st.one_of(st.just("next"), st.sampled_from(STAGES))


@dataclass
class Model:
    """What the test believes about one case, kept apart from the application."""

    case: object
    unit_path: str
    recorder: str
    stage: str = "intake"
    lead: str | None = None
    assignees: set[str] = field(default_factory=set)
    closure_requested: bool = False
    planned: bool = False  # a plan approved since the case (re-)entered assessment


def active(user) -> bool:
    return user.is_enabled and user.role != "admin"


def sees(user, m: Model) -> bool:
    if not active(user):
        return False
    if user.role == "supervisor":
        return m.unit_path.startswith(user.unit.path)
    return on_case(user, m)


def on_case(user, m: Model) -> bool:
    return active(user) and (user.id == m.lead or user.id in m.assignees
                             or (user.id == m.recorder and m.stage == "intake"))


def supervises(user, m: Model) -> bool:
    return active(user) and user.role == "supervisor" and m.unit_path.startswith(user.unit.path)


def may_move(user, m: Model, target: str) -> bool:
    edge = (m.stage, target)
    if edge in LEAD_MOVES:
        return active(user) and user.role == "officer" and user.id == m.lead
    if target == "closure":
        return supervises(user, m) and m.closure_requested
    return supervises(user, m)  # reopen


def data_for(source: str, target: str):
    return {("intake", "assessment"): assessment_data(),
            ("assessment", "support"): SupportData(note="Bắt đầu hỗ trợ"),
            ("support", "referral"): referral_data(sharing_basis="legal_duty"),
            ("referral", "support"): ReturnData("Trả về"),
            ("closure", "assessment"): ReopenData("new_information")}.get(
        (source, target), ClosureApproval())


def test_random_actions_keep_every_rule(app, people):  # noqa: C901 (the machine's rules)
    users = people.all()
    units = {"commune": people.commune, "district": people.district,
             "other_district": people.other_district}

    reached: set[tuple[str, str]] = set()
    users_by_id = {u.id: u for u in users.values()}

    class CaseMachine(RuleBasedStateMachine):
        cases = Bundle("cases")

        def __init__(self):
            super().__init__()
            self.savepoint = db.session.begin_nested()
            self.models: dict[str, Model] = {}
            self.expected = {"change": 0, "view": 0, "denied": 0}
            self.first_seq = self.head()

        def teardown(self):
            self.savepoint.rollback()
            for user in users.values():
                user.is_enabled = True

        @staticmethod
        def head() -> int:
            return db.session.scalar(select(func.max(audit.audit_entries.c.seq))) or 0

        def expect_denial(self, call, error):
            with pytest.raises(error):
                call()
            self.expected["denied"] += 1

        # --- rules ---------------------------------------------------------------------

        @initialize(target=cases)
        def first_intake(self):
            return self.intake("right", "right", danger=False)

        @rule(target=cases, who=ACTOR, where=st.one_of(st.just("right"), st.sampled_from(UNITS)),
              danger=st.booleans())
        def another_intake(self, who, where, danger):
            return self.intake(who, where, danger)

        def intake(self, who, where, danger):
            user = users["counselor" if who == "right" else who]
            unit = units["commune" if where == "right" else where]
            allowed = active(user) and user.role in ("counselor", "officer") \
                and unit.path.startswith(user.unit.path)
            with key_scope():
                if not allowed:
                    self.expect_denial(lambda: service.record_intake(
                        user, intake_data(unit.code, immediate_danger=danger)), PermissionDenied)
                    return multiple()
                case = service.record_intake(user, intake_data(unit.code,
                                                               immediate_danger=danger))
            self.expected["change"] += 1
            model = Model(case, unit.path, user.id)
            self.models[case.id] = model
            return model

        @rule(m=cases, who=ACTOR, lead=ACTOR, helper=st.sampled_from((None,) + USERS))
        def assign(self, m, who, lead, helper):
            actor = users["supervisor" if who == "right" else who]
            lead_user = users["officer" if lead == "right" else lead]
            helper_user = users[helper] if helper else None
            def call():
                return service.assign(actor, m.case, AssignmentData(
                    lead_user.id, (helper_user.id,) if helper_user else ()))
            with key_scope():
                if not sees(actor, m):
                    return self.expect_denial(call, CaseNotFound)
                if actor.role != "supervisor" or m.stage == "closure":
                    return self.expect_denial(call, PermissionDenied)

                def fits(user, roles):
                    return active(user) and user.role in roles \
                        and user.unit.path.startswith(actor.unit.path)

                ok = fits(lead_user, ("officer",)) and (
                    helper_user is None or helper_user is lead_user
                    or fits(helper_user, ("officer", "counselor")))
                if not ok:
                    with pytest.raises(CaseError):
                        call()
                    return None
                call()
            self.expected["change"] += 1
            m.lead = lead_user.id
            m.assignees = {helper_user.id} if helper_user and helper_user is not lead_user \
                else set()
            return None

        @rule(m=cases, who=ACTOR, to=NEXT, pick=st.integers(0, 1))
        def move(self, m, who, to, pick):
            if to == "next":
                options = sorted(t for s, t in EDGES if s == m.stage)
                to = options[pick % len(options)]
            target = to
            if who == "right":
                lead = next((u for u in users.values() if u.id == m.lead), users["officer"])
                actor = lead if (m.stage, target) in LEAD_MOVES else users["supervisor"]
            else:
                actor = users[who]
            def call():
                return service.transition(actor, m.case, target,
                                          data_for(m.stage, target))
            with key_scope():
                if not sees(actor, m):
                    return self.expect_denial(call, CaseNotFound)
                if m.stage == "closure" and target != "assessment":
                    # A closed case takes no work; reopening is the only way out.
                    return self.expect_denial(call, PermissionDenied)
                if (m.stage, target) not in EDGES:
                    with pytest.raises(CaseError):
                        call()
                    return None
                if not may_move(actor, m, target):
                    return self.expect_denial(call, PermissionDenied)
                if (m.stage, target) == ("assessment", "support") and not m.planned:
                    # Support carries out an approved plan: refused, nothing written.
                    with pytest.raises(CaseError):
                        call()
                    return None
                call()
            self.expected["change"] += 1
            reached.add((m.stage, target))
            if target == "closure" or m.stage == "closure":
                m.closure_requested = False
            if target == "assessment":
                m.planned = False
            m.stage = target
            return None

        @rule(m=cases)
        def plan(self, m):
            """The lead officer assesses the needs and drafts the plan; a supervisor
            approves it (Decree 56, Art. 27-28)."""
            lead = users_by_id.get(m.lead)
            if m.stage != "assessment" or lead is None or not lead.is_enabled:
                return None
            with key_scope():
                service.record_needs_assessment(lead, m.case, needs_data())
                service.draft_plan(lead, m.case, plan_data())
                service.approve_plan(users["supervisor"], m.case, m.case.latest_plan.id)
            self.expected["change"] += 3
            m.planned = True
            return None

        @rule(m=cases, pick=st.integers(0, 1))
        def advance(self, m, pick):
            """The right person takes the case one step on (so runs reach every stage)."""
            if m.lead is None or not users_by_id[m.lead].is_enabled:
                return self.assign(m, "right", "right", None)
            if m.stage in ("support", "referral", "assessment") and not m.closure_requested \
                    and pick:
                return self.request_closure(m, "right")
            if m.stage == "assessment" and not m.planned:
                return self.plan(m)
            return self.move(m, "right", "next", pick)

        @rule(m=cases, who=ACTOR)
        def request_closure(self, m, who):
            actor = next((u for u in users.values() if u.id == m.lead), users["officer"]) \
                if who == "right" else users[who]
            # Before support only the reasons that need no plan (no review then).
            data = closure_data(reason="unfounded") if m.stage == "assessment" \
                else closure_data()
            def call():
                return service.request_closure(actor, m.case, data)
            with key_scope():
                if not sees(actor, m):
                    return self.expect_denial(call, CaseNotFound)
                allowed = actor.role == "officer" and active(actor) and actor.id == m.lead \
                    and m.stage in ("assessment", "support", "referral")
                if not allowed:
                    return self.expect_denial(call, PermissionDenied)
                if m.closure_requested:
                    # A pending request cannot be replaced under the supervisor.
                    with pytest.raises(CaseError):
                        call()
                    return None
                call()
            self.expected["change"] += 1
            m.closure_requested = True
            return None

        @rule(m=cases, who=st.sampled_from(USERS))
        def note(self, m, who):
            actor = users[who]
            def call():
                return service.add_note(actor, m.case, NoteData("Ghi chú"))
            with key_scope():
                if not sees(actor, m):
                    return self.expect_denial(call, CaseNotFound)
                if not on_case(actor, m) or m.stage == "closure":
                    # A closed case takes no more work until it is reopened.
                    return self.expect_denial(call, PermissionDenied)
                call()
            self.expected["change"] += 1
            return None

        @rule(m=cases, who=st.sampled_from(USERS))
        def read(self, m, who):
            actor = users[who]
            with key_scope():
                if not sees(actor, m):
                    self.expect_denial(lambda: service.open_child_data(actor, m.case),
                                       CaseNotFound)
                elif not on_case(actor, m):
                    self.expect_denial(lambda: service.open_child_data(actor, m.case),
                                       PermissionDenied)
                else:
                    service.open_child_data(actor, m.case)
                    self.expected["view"] += 1
                    assert m.case.child_full_name == CHILD_NAME
                    return
                with pytest.raises(AccessNotGranted):
                    m.case.child_full_name  # noqa: B018

        @rule(who=st.sampled_from(("officer", "officer2", "counselor")))
        def toggle_account(self, who):
            users[who].is_enabled = not users[who].is_enabled

        # --- invariants ------------------------------------------------------------------

        @invariant()
        def states_are_valid(self):
            for m in self.models.values():
                case = m.case
                assert case.stage == m.stage
                if case.stage != "intake":
                    assert case.lead_officer_id and case.assessed_at and case.risk_level
                if case.stage in ("support", "referral"):
                    assert any(a.kind == "needs" and a.has_meeting for a in case.assessments)
                    assert case.approved_plan is not None and not case.plan_missing
                    assert case.support_started_at is not None
                if case.stage == "referral":
                    assert case.referrals
                if case.stage == "closure":
                    assert case.closed_at and case.closure_approved_by_id
                    assert case.closure_reason_code and case.next_deadline_at is None
                else:
                    assert case.closed_at is None
                assert [t.to_stage for t in case.transitions][-1:] in ([], [case.stage])

        @invariant()
        def scope_matches_the_model(self):
            for user in users.values():
                seen = {c.id for c in db.session.scalars(queries.visible_cases(user))}
                assert seen == {cid for cid, m in self.models.items() if sees(user, m)}

        @invariant()
        def one_entry_per_change_view_and_denial(self):
            rows = db.session.execute(select(audit.audit_entries.c.action).where(
                audit.audit_entries.c.seq > self.first_seq)).scalars().all()
            counted = {"view": rows.count("case.view"), "denied": rows.count("case.denied"),
                       "change": sum(1 for a in rows if a.startswith("case.")
                                     and a not in ("case.view", "case.denied", "case.match_found",
                                                   "case.matched_by_intake"))}
            assert counted == self.expected

    run_state_machine_as_test(CaseMachine, settings=settings(
        max_examples=examples(25, 120), stateful_step_count=40, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
    # The guided rules walk cases through the workflow (each run reaches most edges).
    assert ("intake", "assessment") in reached and len(reached) >= 3
