"""Follow-ups of a case and the progress of its plan's goals (issue 17): goals
as records with a status and dated progress notes; follow-ups planned (day,
kind, who goes), then done or missed with their outcome; all words sealed."""
from __future__ import annotations


def init_app(app) -> None:
    from caseapp.cases import hooks, panels
    from caseapp.notifications import events

    from . import api, panel, service, views

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    panels.register(panel.PANEL)
    panels.register(panel.REVIEW_PANEL)
    hooks.add(hooks.follow_up_due, service.case_follow_up_due)
    if service.coming_follow_ups not in events.SCANNERS:
        events.SCANNERS.append(service.coming_follow_ups)
