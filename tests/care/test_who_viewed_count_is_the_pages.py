"""Hostile review 2: the case page's "who has seen this child" line must count
what its page lists. The line counts listed entries from the index alone
(audit_entry_cases, which accepts inserts), where the page keeps an entry only
when its MAC-covered details name the child: a row added by hand to the index
inflates the line (an insider can make a child look widely viewed, or hide a
real view among fake ones) while the page shows no such access."""
from __future__ import annotations

from caseapp.auditing import reads as audit_reads
from caseapp.auditing.models import audit_entry_cases
from caseapp.auditing.writer import record
from caseapp.auditlog.who_viewed import LIST_ACTIONS, VIEW_ACTIONS, child_data_views
from caseapp.extensions import db


def test_the_summary_counts_only_what_the_page_lists(people, make_case):
    shown = make_case("support", assigned=True)
    victim = make_case("support", assigned=True)
    seq = record("case.list", actor=people.officer, object_type="case",
                 details={"child": [shown.reference]}, cases={shown.reference: True})
    # One forged index row: the genuine entry did not hand out victim's data.
    db.session.connection().execute(audit_entry_cases.insert(), [
        {"seq": seq, "reference": victim.reference, "child_data": True}])
    db.session.commit()
    listed = child_data_views(victim)
    assert listed == []
    people_n, accesses = audit_reads.case_access_counts(victim.reference, VIEW_ACTIONS,
                                                        LIST_ACTIONS)
    assert (people_n, accesses) == (0, 0)
