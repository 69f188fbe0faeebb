"""Partner systems (a hotline's call software, a school platform) filing
reports with an API token: tokens (issued and revoked by admins), the
partner API under /api/v1/partner, the admin screen and the idempotency keys."""
from __future__ import annotations


def init_app(app) -> None:
    from caseapp.extensions import csrf

    from . import api, views

    # A bearer token, never a cookie: no session is read there, so no CSRF token.
    csrf.exempt(api.bp)
    interface = app.session_interface
    interface.cookieless_prefixes = (*getattr(interface, "cookieless_prefixes", ()),
                                     api.PREFIX + "/")
    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
