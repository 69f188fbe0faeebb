"""Exceptions of the field-encryption layer.

Messages name tables, columns, row ids, key ids and key versions -- never a
plaintext, a ciphertext or key material. Every exception is raised ``from
None`` where it replaces a lower-level error, so a traceback does not drag
the `cryptography` context (or its arguments) along.
"""
from __future__ import annotations


class CryptoError(Exception):
    """Base class of every error raised by :mod:`caseapp.crypto`."""


class AccessNotGranted(CryptoError):
    """A sealed field was read or written without its data key in the current
    key scope: either no scope is open, or the code path never called
    :func:`caseapp.crypto.unlock` with a grant for the record's owner."""


class DecryptionError(CryptoError):
    """A stored value (or a wrapped data key) failed authentication: it was
    tampered with, moved to another row, column or case, or sealed under
    another key. Never returns garbage instead."""

    def __init__(self, message: str, *, table: str | None = None, column: str | None = None,
                 row_id: str | None = None):
        self.table = table
        self.column = column
        self.row_id = row_id
        where = ".".join(p for p in (table, column) if p)
        if where or row_id:
            message = f"{message} [{where or '?'} row {row_id or '?'}]"
        super().__init__(message)


class KeyDestroyed(CryptoError):
    """The record's data key was destroyed (crypto-shredded): its sealed
    fields are unreadable for good."""

    def __init__(self, data_key_id: str):
        self.data_key_id = data_key_id
        super().__init__(f"data key {data_key_id} was destroyed; its fields are unreadable")


class KeyRingError(CryptoError):
    """The key ring (key file or CASEAPP_KEYS) is unusable."""


class KeysMissing(KeyRingError):
    """No key file and no CASEAPP_KEYS: run ``caseapp keys init``."""


class KeyFileInsecure(KeyRingError):
    """The key file can be read by group or others (or is not a regular file)."""


class UnknownKeyVersion(KeyRingError):
    """A data key is wrapped under a KEK version this key ring does not hold
    (never had it, or it was retired)."""

    def __init__(self, version: int, *, retired: bool = False):
        self.version = version
        self.retired = retired
        state = "was retired" if retired else "is not in the key ring"
        super().__init__(f"key-encryption key version {version} {state}")


class RotationError(CryptoError):
    """Rotation finished but some data keys could not be re-wrapped."""

    def __init__(self, failed: list[str], rotated: int):
        self.failed = failed
        self.rotated = rotated
        shown = ", ".join(failed[:5]) + (" ..." if len(failed) > 5 else "")
        super().__init__(f"{len(failed)} data key(s) could not be re-wrapped "
                         f"({rotated} were): {shown}")


class RetireRefused(CryptoError):
    """A KEK version cannot be retired while data keys are still wrapped by it."""


class ScrubIncomplete(CryptoError):
    """The WAL checkpoint could not finish (a reader held the WAL open)."""


class IssuerNotAllowed(CryptoError):
    """:func:`caseapp.crypto.grants.issue_grant` was called from a module that is
    not a registered grant issuer (by default only ``caseapp.permissions``)."""
