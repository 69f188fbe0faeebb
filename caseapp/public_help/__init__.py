"""The public help form: a child, a parent or a relative asks for help without
an account, and later sees where the request stands with a tracking code
(issue 18)."""
from __future__ import annotations


def init_app(app) -> None:
    from caseapp.cases import hooks, panels
    from caseapp.extensions import csrf
    from caseapp.notifications import events
    from caseapp.notifications.labels import register_kind

    from . import panel, views

    app.register_blueprint(views.bp)
    # The pages check their own double-submit token (codes.py): Flask-WTF's
    # would keep a token in a session, a row per anonymous visitor.
    csrf.exempt(views.bp)
    hooks.add(hooks.list_badges, panel.list_badges)
    panels.register(panel.PANEL)
    register_kind("public_request_danger", panel.DANGER_NOTICE, urgent=True)
    register_kind("public_request", panel.NOTICE)
    register_kind("public_message", panel.MESSAGE_NOTICE)
    events.register_settled("assigned", ("public_request", "public_request_danger"))
