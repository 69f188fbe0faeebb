"""The 100% figure (/figures), the programme's report (`caseapp report`) and its
verification from the audit log."""
from __future__ import annotations


def init_app(app) -> None:
    from . import api, views

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
