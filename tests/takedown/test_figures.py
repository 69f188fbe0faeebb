"""The supervision page's removal figures agree with the requests recorded:
the share of items removed and the median days to removal by platform,
expected values computed here from the fixtures; the page shows no case
reference and no child data; supervisors only."""
from __future__ import annotations

import statistics
from datetime import timedelta

import pytest

from caseapp import clock
from caseapp.takedown import service
from tests.cases.conftest import CHILD_NAME, HANDLE, SECRETS

from .conftest import today

# (platform, [(channel, days ago sent, outcome, days ago of the outcome)]) per item.
PLAN = [
    ("facebook", [("platform_report", 30, "removed", 27)]),
    ("facebook", [("platform_report", 30, "refused", 20), ("police", 19, "removed", 10)]),
    ("facebook", [("trusted_flagger", 12, None, None)]),
    ("facebook", [("platform_report", 9, "removed", 8)]),
    ("tiktok", [("platform_report", 20, "removed", 15)]),
    ("tiktok", [("information_safety", 20, "restricted", 14)]),
    ("telegram", [("platform_report", 40, "no_answer", 25)]),
    ("zalo", [("police", 6, "removed", 2)]),
]


def record(people, make_case):
    """The plan's items and requests over two cases of the district, and one
    removed item in another district (outside the supervisor's scope)."""
    # Reported 120 days ago: no request is dated before its case's report.
    received = clock.now().replace(second=0, microsecond=0) - timedelta(days=120)
    cases = [make_case("support", received_at=received), make_case("support",
                                                                   received_at=received)]
    for n, (platform, requests) in enumerate(PLAN):
        case = cases[n % 2]
        item = service.add_item(people.officer, case, service.ItemData(
            platform, "post", f"https://{platform}.example/canary-{n}"))
        for channel, sent, outcome, answered in requests:
            row = service.record_request(people.officer, case, service.RequestData(
                item.id, channel, today() - timedelta(days=sent), f"TICKET-CANARY-{n}"))
            if outcome:
                service.record_outcome(people.officer, case, service.OutcomeData(
                    row.id, outcome, today() - timedelta(days=answered)))
    other = make_case("support", unit=people.other_district, recorder=people.other_officer,
                      lead=people.other_officer, supervisor=people.other_supervisor,
                      received_at=received)
    item = service.add_item(people.other_officer, other, service.ItemData(
        "facebook", "post", "https://facebook.example/elsewhere"))
    row = service.record_request(people.other_officer, other, service.RequestData(
        item.id, "police", today() - timedelta(days=100), ""))
    service.record_outcome(people.other_officer, other, service.OutcomeData(
        row.id, "removed", today()))
    return cases, other


def expected():
    """Per platform (and None: all): (items, removed, median days), from PLAN."""
    found = {}
    for key in [*dict.fromkeys(p for p, _ in PLAN), None]:
        items = [r for p, r in PLAN if key is None or p == key]
        days = []
        for requests in items:
            removed = [answered for _c, _s, outcome, answered in requests if outcome == "removed"]
            if removed:
                first = max(sent for _c, sent, _o, _a in requests)  # earliest day: most days ago
                days.append(first - max(removed))
        found[key] = (len(items), len(days), statistics.median(days) if days else None)
    return found


@pytest.fixture
def recorded_plan(people, make_case):
    cases, other = record(people, make_case)
    from caseapp.extensions import db
    db.session.commit()
    return cases, other


def test_the_figures_agree_with_the_requests_recorded(people, recorded_plan):
    from caseapp.takedown import figures

    rows, total = figures.by_platform(people.supervisor)
    want = expected()
    assert {r.platform: (r.items, r.removed, r.median_days) for r in rows} == \
        {k: v for k, v in want.items() if k is not None}
    assert (total.items, total.removed, total.median_days) == want[None]
    facebook = next(r for r in rows if r.platform == "facebook")
    assert facebook.share == 3 / 4 and facebook.median_days == 3  # days 3, 9, 1 -> 3
    # The other district's supervisor sees only theirs.
    (theirs,), their_total = figures.by_platform(people.other_supervisor)
    assert (theirs.platform, theirs.items, theirs.removed, theirs.median_days) == \
        ("facebook", 1, 1, 100)


def test_the_page_shows_the_figures_and_no_case_or_child_data(people, login, recorded_plan):
    cases, other = recorded_plan
    client = login(people.supervisor)
    page = client.get("/supervision/takedown")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-platform="facebook"' in html and 'data-platform="telegram"' in html
    assert "75,0 %" in html or "75.0 %" in html
    # The chart is drawn on the server: an image beside its table, no script from elsewhere.
    assert 'src="data:image/svg+xml;base64,' in html and 'src="http' not in html
    for case in (*cases, other):
        assert case.reference not in html
    for secret in (*SECRETS, CHILD_NAME, HANDLE, "canary", "CANARY", "elsewhere"):
        assert secret not in html
    assert "gỡ" in html.lower()  # Vietnamese first
    assert "/supervision/takedown" in client.get("/supervision").get_data(as_text=True)


@pytest.mark.parametrize("who", ["officer", "counselor", "admin"])
def test_the_page_is_for_supervisors(people, login, who):
    assert login(getattr(people, who)).get("/supervision/takedown").status_code == 403


def test_no_requests_says_so(people, login):
    html = login(people.supervisor).get("/supervision/takedown").get_data(as_text=True)
    assert "Chưa có yêu cầu gỡ nào" in html
