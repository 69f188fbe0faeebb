"""Accounts: users, passwords, second factor, login throttling and sessions."""
from __future__ import annotations


def init_app(app) -> None:
    from . import idle, views

    app.register_blueprint(views.bp)
    idle.init_app(app)
