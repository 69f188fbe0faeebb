"""In-app notifications: a kind and a case reference, never child data."""
from __future__ import annotations


def init_app(app) -> None:
    from caseapp.accounts import events as account_events
    from caseapp.cases import hooks

    from . import events, service, views

    app.register_blueprint(views.bp)
    account_events.subscribe(service.notify_account_event)
    hooks.add(hooks.case_event, events.on_case_event)
    app.teardown_request(events.maybe_scan)
