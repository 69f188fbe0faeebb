"""TOTP second factor (RFC 6238 via pyotp) and one-time recovery codes."""
from __future__ import annotations

import hmac
import io
import secrets

import pyotp
import segno

from caseapp import clock

from .keys import mac_hex


def new_secret() -> str:
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, username: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def qr_svg(uri: str) -> bytes:
    qr = segno.make(uri, error="m")
    buffer = io.BytesIO()
    # svgclass/lineclass None: no inline styling attributes that CSP would flag.
    qr.save(buffer, kind="svg", scale=5, border=2, xmldecl=False, svgclass=None, lineclass=None)
    return buffer.getvalue()


def matching_step(secret: str, code: str, last_step: int | None, window: int) -> int | None:
    """The time step the code belongs to, if valid and newer than the last one
    used; None otherwise. Each code is accepted once."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(clock.now())
    found = None
    for step in range(current - window, current + window + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    if found is None or (last_step is not None and found <= last_step):
        return None
    return found


def new_recovery_codes(count: int) -> list[str]:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return [
        "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))
        for _ in range(count)
    ]


def recovery_digest(code: str) -> str:
    """Keyed, so a database copy gives nothing to try offline."""
    normalised = "".join(ch for ch in code.lower() if ch.isalnum())
    return mac_hex("recovery-code", normalised)
