"""Accounts: users, passwords, second factor, login throttling and sessions."""
from __future__ import annotations


def init_app(app) -> None:
    from . import views

    app.register_blueprint(views.bp)
