"""Administration screens: users and units. Admins never see cases."""
from __future__ import annotations


def init_app(app) -> None:
    from . import views

    app.register_blueprint(views.bp)
    app.register_blueprint(views.changes_bp)
