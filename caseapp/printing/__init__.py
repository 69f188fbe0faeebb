"""Printable forms Mẫu 01–06 of a case, in Vietnamese, each print checked and audited."""
from __future__ import annotations


def init_app(app) -> None:
    from caseapp.cases import panels

    from . import panel, views

    app.register_blueprint(views.bp)
    panels.register(panel.PANEL)
