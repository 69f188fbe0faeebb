"""Getting a case's harmful content taken down: each item (its link, never the
content), the requests to remove it, their outcomes; overdue requests on
"My cases" and in the notification scan; removal figures for supervisors."""
from __future__ import annotations


def init_app(app) -> None:
    from caseapp.cases import hooks, panels
    from caseapp.notifications import events

    from . import api, panel, service, views

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    panels.register(panel.PANEL)
    hooks.add(hooks.list_badges, panel.list_badges)
    hooks.add(hooks.before_purge, service.forget_link_indexes)
    if service.overdue_notices not in events.SCANNERS:
        events.SCANNERS.append(service.overdue_notices)
