"""Local development and `caseapp quickstart`: plain-HTTP loopback, so the
cookie cannot be Secure/__Host- and HSTS would pin the browser to HTTPS."""

ENV = "development"
SESSION_COOKIE_NAME = "caseapp"
SESSION_COOKIE_SECURE = False
PREFERRED_URL_SCHEME = "http"
HSTS_SECONDS = 0
