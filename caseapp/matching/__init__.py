"""Duplicate children and repeat offenders: blind indexes compared at intake, in SQL,
no other case decrypted; supervisors of both cases link or dismiss."""
from __future__ import annotations


def init_app(app) -> None:
    from caseapp.cases import hooks, panels

    from . import panel, service, views

    app.register_blueprint(views.bp)
    panels.register(panel.PANEL)
    hooks.add(hooks.after_intake, service.flag_matches)
    hooks.add(hooks.intake_flags, service.match_flags)
    hooks.add(hooks.before_purge, service.forget_child_matches)
