"""Consent to share a case with an agency (or the legal ground for it): a referral
needs one on file."""
from __future__ import annotations


def init_app(app) -> None:
    from caseapp.cases import hooks, panels

    from . import api, panel, service, views

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    panels.register(panel.PANEL)
    hooks.add(hooks.referral_check, service.check_referral_basis)
    hooks.add(hooks.referral_made, service.record_referral_ground)
