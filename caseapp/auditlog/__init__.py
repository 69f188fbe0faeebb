"""Reading the audit log (admins, supervisors), exporting it, and the app-wide
hooks that keep it complete: the start-up entry, denied requests, and
periodic signed checkpoints.

The hooks are attached to the ``auditlog`` blueprint as app-wide hooks
(``after_app_request``, ``teardown_app_request``), so registering the
blueprint is the whole wiring.
"""
from __future__ import annotations


def init_app(app) -> None:
    from caseapp.cases import panels

    from . import panel, views

    app.register_blueprint(views.bp)
    panels.register(panel.PANEL)
