"""The admin-editable lists: seeded with the issue's stable codes, edited as data."""
from __future__ import annotations

import pytest

from caseapp.cases import reference_data
from caseapp.cases.errors import CaseError
from caseapp.permissions import PermissionDenied

from .conftest import audit_rows

STABLE_CODES = {
    # online_form: the public help form's (issue 18), beside online_report.
    "channel": ["hotline_111", "hotline_app", "online_form", "online_report", "police",
                "school", "commune", "walk_in", "phone", "email", "other"],
    "requested_by": ["child", "relative", "community", "agency"],
    "harm_category": ["csam", "grooming", "sextortion", "live_abuse", "cyberbullying",
                      "privacy_exposure", "fraud", "harmful_content", "compulsive_use",
                      "trafficking", "self_harm", "other"],
    "platform": ["facebook", "zalo", "tiktok", "youtube", "game", "other"],
    "gender": ["female", "male", "other", "unknown"],
}


@pytest.mark.parametrize("kind", sorted(STABLE_CODES))
def test_the_migration_seeded_the_stable_codes_in_order(app, kind):
    assert [e.code for e in reference_data.entries(kind)] == STABLE_CODES[kind]


def test_agencies_and_closure_reasons_are_seeded(app):
    agencies = {e.code for e in reference_data.entries("agency")}
    assert {"commune_committee", "police", "cybercrime_police", "hotline_111", "school",
            "health_facility", "social_work_centre", "legal_aid", "womens_union",
            "health_social_dept"} == agencies
    assert "unfounded" in {e.code for e in reference_data.entries("closure_reason")}


def test_labels_are_vietnamese_first(app):
    with app.test_request_context():
        assert reference_data.label("harm_category", "cyberbullying") == "Bắt nạt trên mạng"
        assert reference_data.label("harm_category", "nope") == "nope"
    entry = reference_data.get("channel", "walk_in")
    assert entry.label("en") == "Walk-in" and entry.label("vi") == "Đến trực tiếp"


def test_admin_adds_relabels_and_retires_entries(people):
    entry = reference_data.save_entry(people.admin, "agency", "Youth_Union",
                                      "Đoàn Thanh niên", "Youth Union")
    assert entry.code == "youth_union" and entry.position > 10
    reference_data.save_entry(people.admin, "agency", "youth_union", "Tỉnh đoàn", "Province union")
    assert reference_data.get("agency", "youth_union").label_vi == "Tỉnh đoàn"
    reference_data.set_active(people.admin, "agency", "youth_union", False)
    assert reference_data.get("agency", "youth_union") is None
    assert reference_data.get("agency", "youth_union", active_only=False) is not None
    actions = [r.action for r in audit_rows(object_type="reference")]
    assert actions == ["reference.create", "reference.update", "reference.disable"]


@pytest.mark.parametrize("code,vi,en", [("", "a", "b"), ("có dấu", "a", "b"),
                                        ("ok", "", "b"), ("ok", "a", "x" * 201)])
def test_entry_validation(people, code, vi, en):
    with pytest.raises(CaseError):
        reference_data.save_entry(people.admin, "platform", code, vi, en)


@pytest.mark.parametrize("who", ["supervisor", "officer", "counselor"])
def test_only_admins_edit_lists(people, who):
    with pytest.raises(PermissionDenied):
        reference_data.save_entry(getattr(people, who), "platform", "threads", "Threads",
                                  "Threads")
    with pytest.raises(PermissionDenied):
        reference_data.set_active(getattr(people, who), "platform", "zalo", False)


def test_unknown_list(app):
    with pytest.raises(ValueError):
        reference_data.entries("colours")
    with pytest.raises(CaseError):
        reference_data.set_active("system", "platform", "nope", False)
