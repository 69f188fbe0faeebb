"""The stored formats: sealed field values and wrapped data keys.

Sealed field value (format 1)::

    0x01 | data key id (16 bytes, the owner's data_key_id) | nonce (12) | ciphertext | tag (16)

AES-256-GCM with a random 96-bit nonce and a 128-bit tag. Associated data
(not stored, rebuilt on read) binds the value to where it lives::

    b"caseapp/sealed\\0" | format | len16 table | len16 column | len16 row id | data key id (16)

so a value copied to another row, another column, another table or another
case's key fails authentication. The data key id names exactly one key: a
re-keyed record gets a new key and a new id. The KEK version is
deliberately *not* in a field's associated data -- rotation re-wraps data keys
without touching case data -- it is bound in the wrap instead.

Wrapped data key (format 1)::

    0x01 | nonce (12) | AES-256-GCM(KEK[version], DEK) | tag (16)

with associated data ``b"caseapp/dek-wrap\\0" | format | version (u32 BE) |
data key id (16)``, so a wrapped key copied to another owner row (under
that row's key id), or relabelled with another KEK version, fails to unwrap;
copied together with its id it unwraps to a key that opens nothing there,
since every sealed value binds its own row, table, column and key id.

Random nonces: the birthday bound for 96-bit nonces allows 2**32 messages per
key; every case has its own key and holds at most thousands of values.
"""
from __future__ import annotations

import functools
import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import DecryptionError

FORMAT_V1 = 1
KEY_ID_LEN = 16
NONCE_LEN = 12
TAG_LEN = 16
DEK_LEN = 32
HEADER_LEN = 1 + KEY_ID_LEN
MIN_SEALED_LEN = HEADER_LEN + NONCE_LEN + TAG_LEN

_FIELD_DOMAIN = b"caseapp/sealed\x00"
_WRAP_DOMAIN = b"caseapp/dek-wrap\x00"
_FORMAT_V1_BYTE = bytes([FORMAT_V1])


def new_nonce() -> bytes:
    """A fresh random 96-bit nonce (the only nonce source of both formats)."""
    return os.urandom(NONCE_LEN)


def new_data_key_bytes() -> bytes:
    """A fresh random 256-bit data key."""
    return os.urandom(DEK_LEN)


def key_id_bytes(key_id: str) -> bytes:
    """The 16-byte form of a data key id (a UUID string) used in headers and AAD."""
    if not isinstance(key_id, str):
        raise ValueError("data key ids are UUID strings")
    return _key_id_bytes(str(key_id))


@functools.lru_cache(maxsize=4096)  # key ids are not secret; each is parsed at wrap and unwrap
def _key_id_bytes(key_id: str) -> bytes:
    # The canonical form (what new_id makes) without uuid.UUID's general
    # parser: this runs for every unwrap and every key admitted to a scope.
    if len(key_id) == 36 and key_id[8] == key_id[13] == \
            key_id[18] == key_id[23] == "-":
        try:
            raw = bytes.fromhex(key_id[:8] + key_id[9:13] + key_id[14:18] + key_id[19:23]
                                + key_id[24:])
        except ValueError:
            raw = b""
        if len(raw) == KEY_ID_LEN:
            return raw
    try:
        return uuid.UUID(key_id).bytes
    except (ValueError, TypeError, AttributeError):
        raise ValueError("data key ids are UUID strings") from None


def _lp(text: str) -> bytes:
    raw = text.encode("utf-8")
    if len(raw) > 0xFFFF:
        raise ValueError("associated-data component too long")
    return len(raw).to_bytes(2, "big") + raw


def field_aad_prefix(table: str, column: str, fmt: int = FORMAT_V1) -> bytes:
    """The part of a field's associated data that is fixed per column."""
    return _FIELD_DOMAIN + bytes([fmt]) + _lp(table) + _lp(column)


def field_aad(table: str, column: str, row_id: str, key_id: str, fmt: int = FORMAT_V1) -> bytes:
    """The full associated data of one sealed value (documented above)."""
    return field_aad_prefix(table, column, fmt) + _lp(row_id) + key_id_bytes(key_id)


class FieldKey:
    """An unwrapped data key, ready to seal and open field values.

    Lives only inside a :class:`~caseapp.crypto.scope.KeyScope`; holds the
    AESGCM object (created once per key per scope) and the header bytes.
    """

    __slots__ = ("_aead", "_last", "header", "key_id", "key_id_raw")

    def __init__(self, key_id: str, key: bytes):
        if len(key) != DEK_LEN:
            raise ValueError("data keys are 32 bytes")
        self.key_id = key_id
        self.key_id_raw = key_id_bytes(key_id)
        self.header = _FORMAT_V1_BYTE + self.key_id_raw
        self._aead = AESGCM(key)
        self._last: tuple[str | None, bytes] = (None, b"")

    def _aad_tail(self, row_id: str) -> bytes:
        """``len16 row id | key id`` of the associated data; a record's fields are
        sealed and opened one after another, so the last row's is kept (one
        attribute holding both, so threads sharing a key never pair a row with
        another row's tail)."""
        last = self._last
        if last[0] == row_id:
            return last[1]
        rid = row_id.encode("utf-8")
        tail = len(rid).to_bytes(2, "big") + rid + self.key_id_raw
        self._last = (row_id, tail)
        return tail

    def __repr__(self) -> str:
        return f"<FieldKey {self.key_id}>"

    def __reduce__(self):
        raise TypeError("unwrapped data keys cannot be pickled")

    def seal(self, plaintext: bytes, aad_prefix: bytes, row_id: str) -> bytes:
        nonce = new_nonce()
        return self.header + nonce + self._aead.encrypt(nonce, plaintext,
                                                        aad_prefix + self._aad_tail(row_id))

    def _seal_with_nonce(self, plaintext: bytes, aad_prefix: bytes, row_id: str,
                         nonce: bytes) -> bytes:
        """Test seam for known-answer tests only: never call with a fixed nonce in code."""
        aad = aad_prefix + _lp(row_id) + self.key_id_raw
        return self.header + nonce + self._aead.encrypt(nonce, plaintext, aad)

    def open(self, blob: bytes, aad_prefix: bytes, row_id: str, *, table: str,
             column: str) -> bytes:
        if blob[:HEADER_LEN] != self.header or len(blob) < MIN_SEALED_LEN:
            self._reject_header(blob, table, column, row_id)
        try:
            return self._aead.decrypt(blob[HEADER_LEN:HEADER_LEN + NONCE_LEN],
                                      blob[HEADER_LEN + NONCE_LEN:],
                                      aad_prefix + self._aad_tail(row_id))
        except InvalidTag:
            raise DecryptionError("sealed value failed authentication (tampered or moved)",
                                  table=table, column=column, row_id=row_id) from None

    def _reject_header(self, blob: bytes, table: str, column: str, row_id: str) -> None:
        if len(blob) < MIN_SEALED_LEN:
            reason = "sealed value is truncated"
        elif blob[0] != FORMAT_V1:
            reason = f"unsupported sealed-value format {blob[0]}"
        else:
            reason = "value was sealed under another data key"
        raise DecryptionError(reason, table=table, column=column, row_id=row_id)


def sealed_key_id(blob: bytes) -> str | None:
    """The data key id named in a sealed value's header (None if malformed)."""
    if len(blob) < MIN_SEALED_LEN or blob[0] != FORMAT_V1:
        return None
    return str(uuid.UUID(bytes=bytes(blob[1:HEADER_LEN])))


# --- wrapping data keys under a KEK ---------------------------------------------------------

def wrap_aad(data_key_id: str, kek_version: int, fmt: int = FORMAT_V1) -> bytes:
    return (_WRAP_DOMAIN + bytes([fmt]) + int(kek_version).to_bytes(4, "big")
            + key_id_bytes(data_key_id))


def wrap_with(aead: AESGCM, dek: bytes, *, data_key_id: str, kek_version: int,
              nonce: bytes | None = None) -> bytes:
    if len(dek) != DEK_LEN:
        raise ValueError("data keys are 32 bytes")
    nonce = nonce or new_nonce()
    return (_FORMAT_V1_BYTE + nonce
            + aead.encrypt(nonce, dek, wrap_aad(data_key_id, kek_version)))


def unwrap_with(aead: AESGCM, wrapped: bytes, *, data_key_id: str, kek_version: int) -> bytes:
    wrapped = bytes(wrapped)
    if len(wrapped) != 1 + NONCE_LEN + DEK_LEN + TAG_LEN or wrapped[0] != FORMAT_V1:
        raise DecryptionError(f"wrapped data key {data_key_id} is malformed",
                              column="data_key_wrapped", row_id=data_key_id)
    try:
        dek = aead.decrypt(wrapped[1:1 + NONCE_LEN], wrapped[1 + NONCE_LEN:],
                           wrap_aad(data_key_id, kek_version))
    except InvalidTag:
        raise DecryptionError(
            f"data key {data_key_id} failed to unwrap under KEK version {kek_version} "
            "(tampered, moved or labelled with the wrong version)",
            column="data_key_wrapped", row_id=data_key_id) from None
    return dek
