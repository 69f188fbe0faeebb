"""Security headers on every response.

No inline script or style anywhere, so the CSP can forbid both outright.
Every page is ``no-store``: pages show child data or sit one click from it,
and a shared school computer's cache must not keep them.
"""
from __future__ import annotations

from flask import current_app, request

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
])


def init_app(app) -> None:
    @app.after_request
    def set_security_headers(response):
        headers = response.headers
        headers["Content-Security-Policy"] = CSP
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"
        # same-origin, not no-referrer: Flask-WTF's CSRF check over HTTPS
        # requires a same-site Referer; other sites still get nothing.
        # A page may ask for less (the public help form: no-referrer).
        headers.setdefault("Referrer-Policy", "same-origin")
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Cross-Origin-Resource-Policy"] = "same-origin"
        headers["Permissions-Policy"] = ("camera=(), microphone=(), geolocation=(), "
                                         "interest-cohort=()")
        if current_app.config["HSTS_SECONDS"]:
            headers["Strict-Transport-Security"] = (
                f"max-age={current_app.config['HSTS_SECONDS']}; includeSubDomains"
            )
        if request.endpoint == "static":
            headers["Cache-Control"] = "public, max-age=3600"
        else:
            headers["Cache-Control"] = "no-store"
            headers["Pragma"] = "no-cache"
        return response
