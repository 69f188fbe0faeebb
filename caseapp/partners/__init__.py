"""Partner systems (a hotline's call software, a school platform) filing
reports with an API token: tokens (issued and revoked by admins), the
partner API under /api/v1/partner, the admin screen and the idempotency keys."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l


def init_app(app) -> None:
    from caseapp.extensions import csrf
    from caseapp.notifications.labels import register_kind

    from . import api, views

    register_kind("partner_token_issued",
                  _l("A partner system was given a token to file reports into your units."))
    register_kind("partner_token_revoked",
                  _l("A partner system's token to file reports into your units was revoked."))

    # A bearer token, never a cookie: no session is read there, so no CSRF token.
    csrf.exempt(api.bp)
    interface = app.session_interface
    interface.cookieless_prefixes = (*getattr(interface, "cookieless_prefixes", ()),
                                     api.PREFIX + "/")
    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
