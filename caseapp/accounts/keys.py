"""Keys that protect accounts against someone who can write the database.

Derived (HKDF-SHA256) from the key ring, which lives outside the database:
with only the database in hand nobody can forge a session row, set a
password hash that verifies, or turn a dump of recovery-code digests into a
list to try offline.
"""
from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


@lru_cache(maxsize=16)
def _derive(root: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=f"caseapp/accounts/{purpose}".encode()).derive(root)


def derived(purpose: str) -> bytes:
    return _derive(current_app.extensions["caseapp_keys"].blind_index_key, purpose)


def mac_hex(purpose: str, *parts: str) -> str:
    message = "\x1f".join(parts).encode()
    return hmac.new(derived(purpose), message, hashlib.sha256).hexdigest()
