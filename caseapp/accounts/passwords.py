"""argon2id hashing with a cap on concurrent hashes (the policy is in password_policy).

Passwords are peppered (HMAC with a key outside the database) before argon2:
someone who can write the users table cannot set a hash that verifies, and
a stolen table cannot be cracked without the key file.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app

from .keys import _derive

MAX_PASSWORD_LENGTH = 1024


class HasherBusy(RuntimeError):
    """Too many hashes in flight; the caller answers 503 instead of queueing forever."""


class Hasher:
    def __init__(self, time_cost: int, memory_kib: int, parallelism: int, concurrent: int,
                 queue_timeout: float, pepper: bytes = b""):
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        self._slots = threading.BoundedSemaphore(concurrent)
        self._queue_timeout = queue_timeout
        self._dummy = self._unmatchable_hash()
        self._pepper = pepper

    def _peppered(self, password: str) -> str:
        return hmac.new(self._pepper, password.encode(), hashlib.sha256).hexdigest()

    def _run(self, fn, *args):
        if not self._slots.acquire(timeout=self._queue_timeout):
            raise HasherBusy()
        try:
            return fn(*args)
        finally:
            self._slots.release()

    def _unmatchable_hash(self) -> str:
        """A hash in the real parameters whose digest is random bytes: checking a
        password against it costs one argon2 run like a real account's, and it
        needs no hash of its own at first use (which would make the first
        unknown username of a worker take twice as long)."""
        h = self._hasher

        def b64(raw: bytes) -> str:
            return base64.b64encode(raw).decode().rstrip("=")

        return (f"$argon2id$v=19$m={h.memory_cost},t={h.time_cost},p={h.parallelism}"
                f"${b64(os.urandom(h.salt_len))}${b64(os.urandom(h.hash_len))}")

    def hash(self, password: str) -> str:
        return self._run(self._hasher.hash, self._peppered(password))

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """Constant work whether or not the account exists: an unknown user is
        checked against a dummy hash with the same parameters."""
        if stored_hash is None or not stored_hash.startswith("$argon2"):
            # No account, or one with no password (a service account's marker):
            # the same work as a real check against a hash nothing matches.
            stored_hash = self._dummy
        try:
            return bool(self._run(self._hasher.verify, stored_hash, self._peppered(password)))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)


def init_app(app) -> None:
    c = app.config
    app.extensions["caseapp_hasher"] = Hasher(
        c["ARGON2_TIME_COST"], c["ARGON2_MEMORY_COST_KIB"], c["ARGON2_PARALLELISM"],
        c["ARGON2_MAX_CONCURRENT"], c["ARGON2_QUEUE_TIMEOUT_SECONDS"],
        pepper=_derive(app.extensions["caseapp_keys"].blind_index_key, "password-pepper"),
    )


def hasher() -> Hasher:
    return current_app.extensions["caseapp_hasher"]


def normalise(password: str) -> str:
    return unicodedata.normalize("NFC", password)
