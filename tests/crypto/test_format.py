"""The stored formats are stable: known-answer tests, layout, nonces."""
from __future__ import annotations

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from caseapp.crypto import DecryptionError, aead
from tests.conftest import examples

KEY = bytes(range(32))
KEY_ID = "00000000-0000-4000-8000-000000000001"
ROW_ID = "11111111-1111-4111-8111-111111111111"
NONCE = bytes(range(12))
PLAINTEXT = "Nguyễn Thị Lan".encode()

# Pinned: changing any of these breaks every stored value. Bump FORMAT instead.
EXPECTED_FIELD_HEX = (
    "01" "00000000000040008000000000000001"  # format 1 | data key id
    "000102030405060708090a0b"  # nonce
    "0965a362245e4775ad15ff6a0a625821e2b81cb5fb034b05ac4235f620872cd2298e"  # ct | tag
)
EXPECTED_WRAP_HEX = (
    "01" "6465666768696a6b6c6d6e6f"  # format 1 | nonce
    "b56c8cd0dbb4f2cad45dd5d3861a9062d993f76d2adf785adb5974646b54393c"  # wrapped DEK
    "fb6e065a2c37476632ab98b08992a94a"  # tag
)


def test_field_known_answer():
    key = aead.FieldKey(KEY_ID, KEY)
    prefix = aead.field_aad_prefix("cases", "child_name")
    blob = key._seal_with_nonce(PLAINTEXT, prefix, ROW_ID, NONCE)
    assert blob.hex() == EXPECTED_FIELD_HEX
    assert key.open(blob, prefix, ROW_ID, table="cases", column="child_name") == PLAINTEXT


def test_field_known_answer_independent_of_helpers():
    """Rebuild the documented associated data by hand and decrypt with bare AESGCM."""
    def lp(s: str) -> bytes:
        raw = s.encode()
        return len(raw).to_bytes(2, "big") + raw

    aad = (b"caseapp/sealed\x00" + b"\x01" + lp("cases") + lp("child_name") + lp(ROW_ID)
           + bytes.fromhex(KEY_ID.replace("-", "")))
    blob = bytes.fromhex(EXPECTED_FIELD_HEX)
    assert blob[0] == 1 and blob[1:17].hex() == KEY_ID.replace("-", "")
    assert AESGCM(KEY).decrypt(blob[17:29], blob[29:], aad) == PLAINTEXT
    assert aead.sealed_key_id(blob) == KEY_ID


def test_wrap_known_answer():
    kek = bytes(range(32, 64))
    wrapped = aead.wrap_with(AESGCM(kek), KEY, data_key_id=KEY_ID, kek_version=3,
                             nonce=bytes(range(100, 112)))
    assert wrapped.hex() == EXPECTED_WRAP_HEX
    aad = (b"caseapp/dek-wrap\x00" + b"\x01" + (3).to_bytes(4, "big")
           + bytes.fromhex(KEY_ID.replace("-", "")))
    assert AESGCM(kek).decrypt(wrapped[1:13], wrapped[13:], aad) == KEY
    assert aead.unwrap_with(AESGCM(kek), wrapped, data_key_id=KEY_ID, kek_version=3) == KEY


def test_layout_sizes():
    key = aead.FieldKey(KEY_ID, KEY)
    blob = key.seal(b"abc", aead.field_aad_prefix("t", "c"), ROW_ID)
    assert len(blob) == 1 + 16 + 12 + 3 + 16
    assert blob[:17] == key.header


def test_million_nonces_never_repeat():
    nonce = aead.new_nonce
    seen = {nonce() for _ in range(1_000_000)}
    assert len(seen) == 1_000_000
    assert all(len(n) == 12 for n in list(seen)[:1000])


def test_sealing_uses_fresh_nonces():
    key = aead.FieldKey(KEY_ID, KEY)
    prefix = aead.field_aad_prefix("t", "c")
    blobs = {key.seal(b"same", prefix, ROW_ID) for _ in range(1000)}
    assert len(blobs) == 1000


@settings(max_examples=examples(80, 400), deadline=None, database=None)
@given(st.binary(max_size=2048), st.text(max_size=40), st.text(max_size=40),
       st.text(min_size=1, max_size=40))
def test_low_level_round_trip_and_every_byte_flip(plaintext, table, column, row_id):
    key = aead.FieldKey(KEY_ID, KEY)
    prefix = aead.field_aad_prefix(table, column)
    blob = key.seal(plaintext, prefix, row_id)
    assert key.open(blob, prefix, row_id, table=table, column=column) == plaintext
    for i in {0, 1, 16, 17, 28, 29, len(blob) - 1}:
        flipped = bytearray(blob)
        flipped[i] ^= 0x01
        try:
            key.open(bytes(flipped), prefix, row_id, table=table, column=column)
        except DecryptionError:
            pass
        else:
            raise AssertionError(f"flip at {i} went unnoticed")


def test_truncated_value_is_an_error():
    key = aead.FieldKey(KEY_ID, KEY)
    prefix = aead.field_aad_prefix("t", "c")
    blob = key.seal(b"x", prefix, ROW_ID)
    for cut in (0, 1, 17, 29, len(blob) - 1):
        try:
            key.open(blob[:cut], prefix, ROW_ID, table="t", column="c")
        except DecryptionError as exc:
            assert "t.c" in str(exc) and ROW_ID in str(exc)
        else:
            raise AssertionError("truncation went unnoticed")
