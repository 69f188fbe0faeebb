"""The supervisor's queue: overdue cases first, then unassigned cases and cases
assigned to someone whose account is disabled, with the assign form at hand."""
from __future__ import annotations


def init_app(app) -> None:
    from . import views

    app.register_blueprint(views.bp)
