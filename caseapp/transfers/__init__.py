"""Transfers of a case between units: a supervisor of the case asks, a supervisor
of the receiving unit accepts or declines; on acceptance who sees the child
moves with the case (its unit), its assignments are cleared and its deadlines
keep running."""
from __future__ import annotations


def init_app(app) -> None:
    from flask import url_for

    from caseapp.cases import hooks, panels
    from caseapp.notifications import labels
    from caseapp.notifications import service as notifications

    from . import api, panel, views

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    panels.register(panel.PANEL)
    panels.register(panel.BANNER)
    hooks.add(hooks.timeline_events, panel.timeline_events)
    hooks.add(hooks.list_badges, panel.list_badges)
    for kind, words in api.NOTICE_LABELS.items():
        labels.register_kind(kind, words)
        # The case page is a 404 for the receiving side until it accepts, and
        # for the sending side once it has: the transfers page serves both.
        notifications.register_destination(kind, lambda _n: url_for("transfers.transfers_page"))
