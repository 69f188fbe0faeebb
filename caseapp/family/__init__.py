"""Family and caregivers: the people around the child and the household, sealed
under the case's key, with the "may be the abuser" flag that keeps a person
from being contacted through the case (issue 17)."""
from __future__ import annotations


def init_app(app) -> None:
    from caseapp.cases import panels

    from . import api, panel, views

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    panels.register(panel.PANEL)
