"""On a real SQLite file of its own: the links of harmful items and the ticket
numbers of removal requests are never in the bytes on disk."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from caseapp.cases import service as cases
from caseapp.cases.data import AssignmentData
from caseapp.cases.models import Case
from caseapp.crypto import key_scope, sqlite_scrub
from caseapp.extensions import db
from caseapp.takedown import service
from tests.cases.conftest import intake_data
from tests.cases.test_raw_database import database_bytes, make_people, own_app  # noqa: F401

from .conftest import today

pytestmark = pytest.mark.no_db_isolation
LINKS = ["https://www.tiktok.com/@canary.takedown.4471/video/7301", "zalo.me/g/canarygroup88"]
TICKETS = ["TT-CANARY-TICKET-99120", "A05-CANARY-REF-3345"]
NOTE = "Canary ghi chú về bài đăng"


def test_links_and_tickets_are_never_in_clear_in_the_database_file(own_app):  # noqa: F811
    path = own_app.config["DB_PATH"]
    with own_app.app_context():
        with key_scope():
            people = make_people()
            case = cases.record_intake(people.counselor, intake_data())
            cases.assign(people.supervisor, case, AssignmentData(people.officer.id, ()))
            for n, (link, ticket) in enumerate(zip(LINKS, TICKETS, strict=True)):
                item = service.add_item(people.officer, case, service.ItemData(
                    ("tiktok", "zalo")[n], "post", link, NOTE))
                request = service.record_request(people.officer, case, service.RequestData(
                    item.id, "platform_report", today(), ticket))
            service.record_outcome(people.officer, case, service.OutcomeData(
                request.id, "removed", today()))
        db.session.commit()
        reference = db.session.scalar(select(Case.reference))
        db.session.remove()
        sqlite_scrub(db.engine)
        db.engine.dispose()
    raw = database_bytes(path)
    # positive controls: the metadata is in clear...
    assert reference.encode() in raw and b"platform_report" in raw and b"removed" in raw
    # ...the links, their parts, the tickets and the note are not.
    for secret in (*LINKS, *TICKETS, NOTE, "canary.takedown", "canarygroup88", "CANARY-TICKET",
                   "CANARY-REF"):
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            assert secret.encode(encoding) not in raw, (secret, encoding)
