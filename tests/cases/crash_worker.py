"""Helper process for test_raw_database: starts a transition, writes its audit
entry inside the transaction, then dies before the commit.

usage: python crash_worker.py DB_PATH INSTANCE_PATH REFERENCE OFFICER_ID
(the key ring comes from the environment variable CASES_TEST_KEYS)
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def main() -> int:
    from sqlalchemy import func, select

    import audit
    from caseapp import create_app
    from caseapp.accounts.models import User
    from caseapp.cases import service
    from caseapp.cases.data import SupportData
    from caseapp.cases.models import Case
    from caseapp.crypto import KeyRing, key_scope
    from caseapp.extensions import db

    db_path, instance, reference, officer_id = sys.argv[1:5]
    app = create_app({"INSTANCE_PATH": instance, "SECRET_KEY": "crash-worker-" + "x" * 40,
                      "CASEAPP_KEYRING": KeyRing.from_env(os.environ["CASES_TEST_KEYS"]),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}"}, env="testing")
    with app.app_context(), key_scope():
        case = db.session.scalar(select(Case).where(Case.reference == reference))
        officer = db.session.get(User, officer_id)
        service.transition(officer, case, "support",
                           SupportData(note="Không bao giờ được lưu"))
        db.session.flush()
        entries = db.session.scalar(select(func.count()).select_from(audit.audit_entries))
        print(f"in-transaction stage={case.stage} entries={entries}", flush=True)
        os._exit(17)  # the process dies: no commit, no rollback, no clean-up
    return 0


if __name__ == "__main__":
    sys.exit(main())
