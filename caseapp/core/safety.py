"""Small helpers that keep redirects on this site, and a client's network for
per-address limits."""
from __future__ import annotations

import ipaddress
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


def client_network(address: str | None) -> str:
    """The key a per-address limit counts by: an IPv4 address as it is, an IPv6
    address as its /64 (one subscriber's network: each of its 2**64 addresses
    must not get an allowance of its own)."""
    if not address:
        return "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if parsed.version == 6:
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)
