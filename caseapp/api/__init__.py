"""JSON API under /api/v1 (session cookie plus X-CSRFToken header for the web client)."""
from __future__ import annotations


def init_app(app) -> None:
    from . import views

    app.register_blueprint(views.bp)
