"""In-app notifications: a kind and a case reference, never child data."""
from __future__ import annotations


def init_app(app) -> None:
    from caseapp.accounts import events

    from . import service, views

    app.register_blueprint(views.bp)
    events.subscribe(service.notify_account_event)
