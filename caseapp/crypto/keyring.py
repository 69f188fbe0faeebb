"""Key-encryption keys and the other long-lived secrets, kept outside the database.

A :class:`KeyRing` holds

* the versioned key-encryption keys (KEKs) that wrap every data key,
  ``{version: 32 bytes}``, one of them current, plus the numbers of retired
  versions (their key material is gone: a backup copy of a data key wrapped
  under a retired version can no longer be unwrapped);
* ``blind_index_key`` (32 bytes) for :mod:`caseapp.crypto.blind_index`;
* ``audit_mac_key`` (32 bytes) for the audit hash chain;
* ``audit_signing_key`` (Ed25519, from a 32-byte seed) for audit checkpoints.

It comes from the environment variable ``CASEAPP_KEYS`` (base64 of the key
file's JSON) when set, else from ``<instance>/keys.json`` written by
``caseapp keys init`` with mode 0600. Nothing here logs or prints a key; a
KeyRing's repr shows version numbers only, and it refuses to be pickled.

:class:`KeyProvider` is the seam for an external KMS: anything that can wrap
and unwrap a data key by KEK version. The KeyRing is the embedded, local
provider.
"""
from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import stat
from collections.abc import Iterable, Mapping
from typing import Protocol, runtime_checkable

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import aead
from .errors import KeyFileInsecure, KeyRingError, KeysMissing, UnknownKeyVersion

KEYFILE_NAME = "keys.json"
ENV_VAR = "CASEAPP_KEYS"
FILE_FORMAT = "caseapp-keys/1"
KEY_LEN = 32


@runtime_checkable
class KeyProvider(Protocol):
    """Wraps and unwraps data keys by KEK version (local key file, or a KMS later).

    ``wrap`` uses the current version unless told otherwise and returns
    ``(version, wrapped)``; both must bind the data key id and the version
    (the local provider does so with AES-GCM associated data).
    """

    @property
    def current_version(self) -> int: ...

    def has_version(self, version: int) -> bool: ...

    def wrap(self, dek: bytes, *, data_key_id: str,
             version: int | None = None) -> tuple[int, bytes]: ...

    def unwrap(self, wrapped: bytes, *, data_key_id: str, version: int) -> bytes: ...


def _check_key(name: str, value: bytes) -> bytes:
    if not isinstance(value, bytes | bytearray) or len(value) != KEY_LEN:
        raise KeyRingError(f"{name} must be {KEY_LEN} bytes")
    return bytes(value)


class KeyRing:
    """Immutable set of keys; also the local :class:`KeyProvider`."""

    __slots__ = (
        "_aeads",
        "_audit_mac",
        "_audit_seed",
        "_blind",
        "_current",
        "_keks",
        "_retired",
        "_signing",
    )

    def __init__(self, keks: Mapping[int, bytes], current_version: int, *,
                 blind_index_key: bytes, audit_mac_key: bytes, audit_signing_seed: bytes,
                 retired: Iterable[int] = ()):
        keks = {int(v): _check_key(f"KEK version {v}", k) for v, k in keks.items()}
        retired = frozenset(int(v) for v in retired)
        if not keks:
            raise KeyRingError("a key ring needs at least one KEK version")
        if any(v < 1 for v in keks) or any(v < 1 for v in retired):
            raise KeyRingError("KEK versions are positive integers")
        if int(current_version) not in keks:
            raise KeyRingError(f"current KEK version {current_version} is not in the key ring")
        if retired & keks.keys():
            raise KeyRingError("a retired KEK version still has key material")
        self._keks = keks
        self._current = int(current_version)
        self._retired = retired
        self._blind = _check_key("blind_index_key", blind_index_key)
        self._audit_mac = _check_key("audit_mac_key", audit_mac_key)
        self._audit_seed = _check_key("audit_signing_seed", audit_signing_seed)
        self._aeads: dict[int, AESGCM] = {}
        self._signing: Ed25519PrivateKey | None = None

    # --- construction ---------------------------------------------------------------------

    @classmethod
    def generate(cls) -> KeyRing:
        """A fresh key ring: KEK version 1 current, all other keys random."""
        return cls({1: secrets.token_bytes(KEY_LEN)}, 1,
                   blind_index_key=secrets.token_bytes(KEY_LEN),
                   audit_mac_key=secrets.token_bytes(KEY_LEN),
                   audit_signing_seed=secrets.token_bytes(KEY_LEN))

    def _replace(self, **changes) -> KeyRing:
        args = {"keks": self._keks, "current_version": self._current,
                "blind_index_key": self._blind, "audit_mac_key": self._audit_mac,
                "audit_signing_seed": self._audit_seed, "retired": self._retired}
        args.update(changes)
        return KeyRing(**args)

    def with_new_version(self) -> KeyRing:
        """A copy with a new random KEK version that is current (old ones stay)."""
        version = max(self._keks.keys() | self._retired) + 1
        return self._replace(keks={**self._keks, version: secrets.token_bytes(KEY_LEN)},
                             current_version=version)

    def without_version(self, version: int) -> KeyRing:
        """A copy with ``version`` retired: its key material dropped, its number kept."""
        if version == self._current:
            raise KeyRingError("the current KEK version cannot be retired")
        if version not in self._keks:
            raise UnknownKeyVersion(version, retired=version in self._retired)
        keks = {v: k for v, k in self._keks.items() if v != version}
        return self._replace(keks=keks, retired=self._retired | {version})

    # --- accessors ------------------------------------------------------------------------

    @property
    def current_version(self) -> int:
        return self._current

    @property
    def versions(self) -> tuple[int, ...]:
        """KEK versions with key material, ascending."""
        return tuple(sorted(self._keks))

    @property
    def retired(self) -> frozenset[int]:
        return self._retired

    def has_version(self, version: int) -> bool:
        return version in self._keks

    @property
    def blind_index_key(self) -> bytes:
        return self._blind

    @property
    def audit_mac_key(self) -> bytes:
        return self._audit_mac

    @property
    def audit_signing_key(self) -> Ed25519PrivateKey:
        if self._signing is None:
            self._signing = Ed25519PrivateKey.from_private_bytes(self._audit_seed)
        return self._signing

    @property
    def audit_verify_key(self) -> Ed25519PublicKey:
        return self.audit_signing_key.public_key()

    def __repr__(self) -> str:
        return (f"KeyRing(versions={list(self.versions)}, current={self._current}, "
                f"retired={sorted(self._retired)})")

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError("key rings cannot be pickled; use write_keyfile")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, KeyRing):
            return NotImplemented
        return (self._keks == other._keks and self._current == other._current
                and self._retired == other._retired and self._blind == other._blind
                and self._audit_mac == other._audit_mac
                and self._audit_seed == other._audit_seed)

    __hash__ = None  # type: ignore[assignment]

    # --- KeyProvider ----------------------------------------------------------------------

    def _aead(self, version: int) -> AESGCM:
        found = self._aeads.get(version)
        if found is None:
            try:
                kek = self._keks[version]
            except KeyError:
                raise UnknownKeyVersion(version, retired=version in self._retired) from None
            found = self._aeads[version] = AESGCM(kek)
        return found

    def wrap(self, dek: bytes, *, data_key_id: str,
             version: int | None = None) -> tuple[int, bytes]:
        version = self._current if version is None else int(version)
        return version, aead.wrap_with(self._aead(version), dek, data_key_id=data_key_id,
                                       kek_version=version)

    def unwrap(self, wrapped: bytes, *, data_key_id: str, version: int) -> bytes:
        return aead.unwrap_with(self._aead(int(version)), wrapped, data_key_id=data_key_id,
                                kek_version=int(version))

    # --- serialisation --------------------------------------------------------------------

    def to_json(self) -> str:
        """The key file's content. Handle like the keys themselves."""
        def b64(b):
            return base64.b64encode(b).decode("ascii")
        return json.dumps({
            "format": FILE_FORMAT,
            "current_version": self._current,
            "kek_versions": {str(v): b64(k) for v, k in sorted(self._keks.items())},
            "retired": sorted(self._retired),
            "blind_index_key": b64(self._blind),
            "audit_mac_key": b64(self._audit_mac),
            "audit_signing_seed": b64(self._audit_seed),
        }, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> KeyRing:
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("format") != FILE_FORMAT:
                raise KeyRingError(f"not a {FILE_FORMAT} key file")
            def unb64(s):
                return base64.b64decode(s, validate=True)
            return cls({int(v): unb64(k) for v, k in data["kek_versions"].items()},
                       int(data["current_version"]),
                       blind_index_key=unb64(data["blind_index_key"]),
                       audit_mac_key=unb64(data["audit_mac_key"]),
                       audit_signing_seed=unb64(data["audit_signing_seed"]),
                       retired=[int(v) for v in data.get("retired", [])])
        except KeyRingError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
            # Never echo the content: it is key material.
            raise KeyRingError("the key ring is malformed") from None

    def to_env(self) -> str:
        """The value for ``CASEAPP_KEYS``: base64 of the key file's JSON."""
        return base64.b64encode(self.to_json().encode("utf-8")).decode("ascii")

    @classmethod
    def from_env(cls, value: str) -> KeyRing:
        value = value.strip()
        try:
            text = value if value.startswith("{") else base64.b64decode(value, validate=True)
        except (ValueError, binascii.Error):
            raise KeyRingError(f"{ENV_VAR} is not base64 of a key file") from None
        return cls.from_json(text)


def keyfile_path(instance_path: str) -> str:
    return os.path.join(instance_path, KEYFILE_NAME)


def load_keyring(instance_path: str, environ: Mapping[str, str] = os.environ) -> KeyRing:
    """The key ring from ``CASEAPP_KEYS`` if set, else from ``<instance>/keys.json``.

    Raises :class:`KeysMissing` (telling to run ``caseapp keys init``) when
    neither exists, and :class:`KeyFileInsecure` when the key file can be read
    or written by group or others.
    """
    env_value = environ.get(ENV_VAR)
    if env_value:
        return KeyRing.from_env(env_value)
    path = keyfile_path(instance_path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        raise KeysMissing(
            f"no encryption keys: {ENV_VAR} is not set and {path} does not exist. "
            "Run `caseapp keys init` to create them (and back the key file up "
            "apart from the database).") from None
    except OSError as exc:
        raise KeyRingError(f"cannot open key file {path}: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise KeyFileInsecure(f"key file {path} is not a regular file")
        if os.name == "posix" and st.st_mode & 0o077:
            raise KeyFileInsecure(
                f"key file {path} is accessible by group or others "
                f"(mode {stat.S_IMODE(st.st_mode):04o}); refusing to use it. "
                f"Run `chmod 600 {path}` and check who could have copied it.")
        with os.fdopen(fd, "rb") as fh:
            fd = -1
            content = fh.read()
    finally:
        if fd >= 0:
            os.close(fd)
    return KeyRing.from_json(content)


def write_keyfile(path: str, keyring: KeyRing) -> None:
    """Write ``keyring`` to ``path`` atomically with mode 0600.

    Writes a temporary file in the same folder (created 0600, never wider),
    fsyncs it, ``os.replace``-s it over ``path`` and fsyncs the folder, so a
    crash leaves either the old file or the new one.
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, mode=0o700, exist_ok=True)
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    data = keyring.to_json().encode("utf-8")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                 0o600)
    try:
        if os.name == "posix":
            os.fchmod(fd, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    os.close(fd)
    try:
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    if os.name == "posix":
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
