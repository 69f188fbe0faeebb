"""Small helpers that keep redirects on this site."""
from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """Only a local path may be a redirect target (no open redirects)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    # Control characters, spaces and anything outside printable ASCII: urlsplit drops
    # some of them silently, and a header value must not carry them.
    if any(ord(c) < 0x21 or ord(c) > 0x7e for c in target):
        return None
    return target
