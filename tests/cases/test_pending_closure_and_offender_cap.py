"""Regression tests for the hostile review of the case workflow."""
from __future__ import annotations

import pytest

from caseapp.cases import service
from caseapp.cases.data import OffenderAccountData, SendBackData
from caseapp.cases.errors import CaseError

from .conftest import closure_data, intake_data


def test_a_pending_closure_request_cannot_be_replaced(make_case, people):
    """What the supervisor reviews must not change under them."""
    case = make_case("support")
    service.request_closure(people.officer, case, closure_data())
    summary_before = case.outcome_summary
    with pytest.raises(CaseError):
        service.request_closure(people.officer, case,
                                closure_data(outcome_summary="Something else entirely"))
    assert case.outcome_summary == summary_before
    service.reject_closure(people.supervisor, case, SendBackData("Bổ sung kết quả rà soát"))
    service.request_closure(people.officer, case,
                            closure_data(outcome_summary="A revised summary"))
    assert case.closure_pending


def test_offender_accounts_per_report_are_capped(people):
    accounts = tuple(OffenderAccountData(handle=f"acct{i}", platform="facebook")
                     for i in range(service.MAX_OFFENDER_ACCOUNTS + 1))
    with pytest.raises(CaseError) as info:
        service.record_intake(people.counselor, intake_data(offender_accounts=accounts))
    assert info.value.field == "offender_accounts"
