"""argon2id hashing with a cap on concurrent hashes, and the password policy.

Passwords are peppered (HMAC with a key outside the database) before argon2:
someone who can write the users table cannot set a hash that verifies, and
a stolen table cannot be cracked without the key file.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import unicodedata
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import lazy_gettext as _l

MAX_PASSWORD_LENGTH = 1024


class HasherBusy(RuntimeError):
    """Too many hashes in flight; the caller answers 503 instead of queueing forever."""


class PasswordPolicyError(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class Hasher:
    def __init__(self, time_cost: int, memory_kib: int, parallelism: int, concurrent: int,
                 queue_timeout: float, pepper: bytes = b""):
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        self._slots = threading.BoundedSemaphore(concurrent)
        self._queue_timeout = queue_timeout
        self._dummy: str | None = None
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

    def hash(self, password: str) -> str:
        return self._run(self._hasher.hash, self._peppered(password))

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """Constant work whether or not the account exists: an unknown user is
        checked against a dummy hash with the same parameters."""
        if stored_hash is None:
            if self._dummy is None:
                self._dummy = self.hash(secrets.token_urlsafe(16))
            stored_hash = self._dummy
            password = password + "\x00never"
        try:
            return bool(self._run(self._hasher.verify, stored_hash, self._peppered(password)))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)


def init_app(app) -> None:
    from .keys import _derive

    c = app.config
    app.extensions["caseapp_hasher"] = Hasher(
        c["ARGON2_TIME_COST"], c["ARGON2_MEMORY_COST_KIB"], c["ARGON2_PARALLELISM"],
        c["ARGON2_MAX_CONCURRENT"], c["ARGON2_QUEUE_TIMEOUT_SECONDS"],
        pepper=_derive(app.extensions["caseapp_keys"].blind_index_key, "password-pepper"),
    )


def hasher() -> Hasher:
    return current_app.extensions["caseapp_hasher"]


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    text = resources.files("caseapp").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().casefold() for line in text.splitlines() if line and not line.startswith("#")
    )


def check_policy(password: str, min_length: int, forbidden: tuple[str, ...] = ()) -> None:
    """NIST 800-63B style: length and a block list, no composition rules.
    Any Unicode is allowed; length counts characters after NFC normalisation."""
    normalised = unicodedata.normalize("NFC", password)
    if len(normalised) < min_length:
        raise PasswordPolicyError(
            _l("The password must have at least %(n)d characters.", n=min_length)
        )
    if len(normalised) > MAX_PASSWORD_LENGTH:
        raise PasswordPolicyError(_l("The password is too long."))
    folded = normalised.casefold()
    if folded in _common_passwords():
        raise PasswordPolicyError(
            _l("This password is too common. Choose a longer phrase that only you know.")
        )
    if any(word and word.casefold() in folded for word in forbidden if len(word) >= 4):
        raise PasswordPolicyError(_l("The password must not contain your username."))


def normalise(password: str) -> str:
    return unicodedata.normalize("NFC", password)
