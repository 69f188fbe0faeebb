"""The two secrets of the public form: its CSRF token and the tracking code.

**CSRF without a session.** An anonymous visitor gets no server-side session
(no row per visitor that a flood of page views would pile up): the form carries
a token signed with the app's secret (itsdangerous, salted, dated), and the same
token in a cookie. A post is accepted when both are present, equal, genuine and
younger than ``PUBLIC_HELP_FORM_MINUTES``: another site can make a browser post
the form but can neither read nor set our cookie, so it cannot send the pair.

**Tracking code.** 80 random bits written as 16 characters of Crockford's
base32 in four groups ("7K3M-Q9XD-2FHN-8WRA"): no I, L, O or U, so nothing is
misread aloud; a typed O is read as 0 and I or L as 1. Only an HMAC of the
code under the app's secret is stored.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from caseapp import clock

COOKIE_NAME = "help_csrf"
# Over HTTPS the browser is told the cookie is this host's alone (the __Host-
# prefix: Secure, path /, no Domain), so a sibling subdomain cannot plant a
# token of its own for a cross-site post.
SECURE_COOKIE_NAME = "__Host-help_csrf"


def cookie_name(secure: bool) -> str:
    return SECURE_COOKIE_NAME if secure else COOKIE_NAME
FIELD_NAME = "csrf"
_SALT = "caseapp.public_help.csrf"

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
CODE_LENGTH = 16  # x 5 bits = 80 bits
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


# --- CSRF ----------------------------------------------------------------------------------

class _AppClockSigner(TimestampSigner):
    """Dated by the app's clock (caseapp.clock), as every other expiry is."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT,
                                  signer=_AppClockSigner)


def new_form_token() -> str:
    return _serializer().dumps(secrets.token_urlsafe(16))


def reusable_token(cookie: str | None) -> str | None:
    """``cookie`` if it is a token of ours in its first half-life (a page made
    with it leaves its form at least that long), else None."""
    if not cookie or len(cookie) > 200:
        return None
    try:
        _serializer().loads(cookie, max_age=max_age_seconds() // 2)
    except BadSignature:  # forged, or past its half-life (SignatureExpired)
        return None
    return cookie


def max_age_seconds() -> int:
    return int(current_app.config["PUBLIC_HELP_FORM_MINUTES"]) * 60


def form_token_problem(cookie: str | None, field: str | None) -> str | None:
    """None when the pair is good; else why not ("missing", "mismatch",
    "expired", "forged"), for the audit entry."""
    if not cookie or not field or len(cookie) > 200 or len(field) > 200:
        return "missing"
    if not hmac.compare_digest(cookie.encode(), field.encode()):
        return "mismatch"
    try:
        _serializer().loads(field, max_age=max_age_seconds())
    except SignatureExpired:
        return "expired"
    except BadSignature:
        return "forged"
    return None


# --- tracking codes --------------------------------------------------------------------------

def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise(typed: str) -> str | None:
    """The code's 16 characters from what a person typed (spaces, dashes and
    case ignored; O read as 0, I and L as 1), or None when it cannot be one."""
    if not isinstance(typed, str) or len(typed) > 64:
        return None
    cleaned = "".join(c for c in typed.upper() if c not in " -.\t").translate(_READ_AS)
    if len(cleaned) != CODE_LENGTH or any(c not in ALPHABET for c in cleaned):
        return None
    return cleaned


def code_hash(normalised: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"public-help-code:" + normalised.encode(),
                    hashlib.sha256).hexdigest()
