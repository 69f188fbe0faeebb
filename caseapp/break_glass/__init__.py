"""Break-glass: a supervisor's emergency, read-only, time-limited access to one case's
child data, with a written reason, notified and audited."""
from __future__ import annotations


def init_app(app) -> None:
    from caseapp.cases import panels
    from caseapp.permissions import cases as rules

    from . import panel, service, views

    app.register_blueprint(views.bp)
    for spec in panel.PANELS:
        panels.register(spec)
    rules.register_break_glass_lookup(service.active_access)
