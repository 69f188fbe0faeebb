"""Awareness sessions: the programme's prevention target (every school holds
them). Anyone with a role in a unit records its sessions, supervisors those
of the units below theirs; the figures show each school year's coverage."""
from __future__ import annotations


def init_app(app) -> None:
    from . import views

    app.register_blueprint(views.bp)
