"""Evidence: files of a case (never abuse material), sealed, and the custody record of
material the police hold."""
from __future__ import annotations


def init_app(app) -> None:
    from caseapp.cases import panels

    from . import panel, views

    app.register_blueprint(views.bp)
    panels.register(panel.PANEL)
