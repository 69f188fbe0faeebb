"""Requests of a child or guardian about their data: to see, correct, restrict or delete
it (Decree 13/2023), answered by a supervisor of the case."""
from __future__ import annotations


def init_app(app) -> None:
    from caseapp.cases import panels
    from caseapp.notifications import events

    from . import panel, service, views

    app.register_blueprint(views.bp)
    panels.register(panel.PANEL)
    if service.due_requests not in events.SCANNERS:
        events.SCANNERS.append(service.due_requests)
