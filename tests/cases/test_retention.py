"""Retention: old closed cases are crypto-shredded; their metadata stays."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from caseapp import clock
from caseapp.cases import queries, retention, service
from caseapp.cases.data import NoteData, ReopenData
from caseapp.cases.errors import CaseNotFound
from caseapp.cases.models import Case
from caseapp.cli import cases as cases_cli
from caseapp.crypto import KeyDestroyed, current_scope, grants, key_scope, unlock
from caseapp.crypto.row_integrity import is_intact
from caseapp.extensions import db
from caseapp.permissions import PermissionDenied

from .conftest import audit_rows

grants.allow_issuer(__name__)  # stands in for an insider skipping the checks
issue_grant = grants.issue_grant


def test_purge_shreds_only_cases_closed_past_retention(app, make_case, people):
    old = make_case("closure")
    open_case = make_case("support")
    days = app.config["RETENTION_DAYS"]
    clock.travel(timedelta(days=days - 1))
    recent = make_case("closure", child={"date_of_birth": None, "estimated_age": 10})
    assert retention.purge() == 0
    clock.travel(timedelta(days=2))
    assert retention.count_due() == 1
    assert retention.purge() == 1
    assert old.purged_at is not None and recent.purged_at is None and open_case.purged_at is None
    # Metadata stays; the key is gone for good.
    assert old.stage == "closure" and old.closure_reason_code == "resolved"
    assert old.harm_category_codes and old.unit_id == people.commune.id
    assert old.data_key_wrapped is None and old.data_key_destroyed_at is not None
    assert old.child_phone_index is None and old.child_dob_family_index is None
    assert all(a.handle_index is None for a in old.offender_accounts)
    assert recent.child_phone_index is not None
    (entry,) = audit_rows(action="case.purged")
    assert entry.object_id == old.reference and entry.actor_type == "system"
    assert retention.purge() == 0  # idempotent


def test_a_purged_case_is_unreadable_and_frozen(app, make_case, people):
    case = make_case("closure")
    clock.travel(timedelta(days=app.config["RETENTION_DAYS"] + 1))
    retention.purge()
    db.session.commit()
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.is_purged
    # still listed (metadata), still found by its reference
    assert queries.load_case(people.supervisor, case.reference) is case
    with pytest.raises(PermissionDenied):
        service.open_child_data(people.officer, case)
    with pytest.raises(KeyDestroyed):
        current_scope().forget(case.data_key_id, destroyed=True)
        case.child_full_name  # noqa: B018
    with pytest.raises(PermissionDenied):
        service.reopen(people.supervisor, case, ReopenData("new_information"))
    with pytest.raises((PermissionDenied, CaseNotFound)):
        service.add_note(people.officer, case, NoteData("..."))


@pytest.mark.parametrize("restored", ["key", "key and purge mark"])
def test_a_shredded_key_put_back_from_an_old_copy_is_caught(app, make_case, people, restored):
    """A database writer restores the wrapped key from a backup onto the purged
    case and clears the shred mark: the case is still purged, so the key stays
    refused, even to code that skips every permission check; clearing the purge
    mark too breaks the row MAC, so the case is treated as forged."""
    case = make_case("closure")
    case_id, reference = case.id, case.reference
    old = db.session.execute(text("SELECT data_key_wrapped FROM cases WHERE id = :id"),
                             {"id": case_id}).scalar()
    clock.travel(timedelta(days=app.config["RETENTION_DAYS"] + 1))
    assert retention.purge() == 1
    db.session.commit()
    cleared = "data_key_destroyed_at = NULL" + (
        ", purged_at = NULL" if restored == "key and purge mark" else "")
    db.session.execute(text(f"UPDATE cases SET data_key_wrapped = :old, {cleared} "
                            "WHERE id = :id"), {"old": old, "id": case_id})
    db.session.commit()
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    assert case.data_key_wrapped == old and case.data_key_destroyed_at is None
    if restored == "key":
        assert is_intact(case)
        with key_scope():
            unlock(case, grant=issue_grant("insider", None, case.id))
            with pytest.raises(KeyDestroyed):
                _ = case.child_full_name
    else:
        assert not is_intact(case)
    with pytest.raises((CaseNotFound, PermissionDenied)):
        found = queries.load_case(people.supervisor, reference)
        service.open_child_data(people.supervisor, found)


def test_retention_purge_command(app, runner, make_case, monkeypatch):
    import caseapp.crypto

    scrubbed = []
    # The test's own open transaction would keep the WAL busy: record the call instead.
    monkeypatch.setattr(caseapp.crypto, "sqlite_scrub", lambda engine: scrubbed.append(engine))
    old_id = make_case("closure").id
    clock.travel(timedelta(days=app.config["RETENTION_DAYS"] + 1))
    dry = runner.invoke(cases_cli.purge, ["--dry-run"])
    assert dry.exit_code == 0 and dry.output.startswith("1 case(s)")
    result = runner.invoke(cases_cli.purge, [])
    assert result.exit_code == 0, result.output
    assert "purged 1 case(s)" in result.output and scrubbed
    assert db.session.scalar(select(Case.purged_at).where(Case.id == old_id)) is not None


def test_retention_days_must_be_sane(app, monkeypatch):
    monkeypatch.setitem(app.config, "RETENTION_DAYS", 0)
    with pytest.raises(ValueError):
        retention.purge()
