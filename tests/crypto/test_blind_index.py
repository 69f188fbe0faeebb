"""Blind indexes: normalisation, domain separation, truncation."""
from __future__ import annotations

from datetime import date

import pytest

from caseapp.crypto.blind_index import (
    DEFAULT_BITS,
    KINDS,
    bits_for_population,
    blind_index,
    blind_index_hex,
    normalise_handle,
    normalise_phone,
    normalise_text,
)

KEY = bytes(range(32))


@pytest.mark.parametrize("raw", [
    "0912 345 678", "+84 912345678", "84912345678", "0912345678", "+84 (0) 912-345-678",
    "(+84) 91.234.5678", "0084 912 345 678", "912345678", "０９１２３４５６７８",
])
def test_phone_forms_are_one_value(raw):
    assert normalise_phone(raw) == "+84912345678"


def test_phone_details():
    assert normalise_phone("01689 123 456") == "+84389123456"  # renumbered in 2018
    assert normalise_phone("0389 123 456") == "+84389123456"
    assert normalise_phone("024 3825 1234") == "+842438251234"  # Hà Nội landline
    assert normalise_phone("0845 123 456") == "+84845123456"  # 084 prefix, not a country code
    assert normalise_phone("+1 (202) 555-0147") == "+12025550147"
    for bad in ("111", "abc", "", "+84 12"):
        with pytest.raises(ValueError) as err:
            normalise_phone(bad)
        assert bad not in str(err.value) or bad == ""


def test_vietnamese_text():
    assert normalise_text("  NGUYỄN   Thị\tLan ") == "nguyễn thị lan"
    # NFD input (as some keyboards and macOS produce) equals NFC input
    assert normalise_text("Nguye\u0302\u0303n") == normalise_text("Nguyễn")
    assert normalise_text("ĐẶNG") == "đặng"
    # old and new tone placement
    assert normalise_text("Hòa") == normalise_text("Hoà")
    assert normalise_text("Thủy") == normalise_text("Thuỷ")
    assert normalise_text("khỏe") == normalise_text("khoẻ")
    assert normalise_text("Họa") == normalise_text("Hoạ")
    # closed syllables and qu- are left alone
    assert normalise_text("Hoàng") == "hoàng"
    assert normalise_text("Quý") == "quý"
    assert normalise_text("Toàn") == "toàn"
    # diacritics are kept, documented
    assert normalise_text("Nguyễn") != normalise_text("Nguyen")


@pytest.mark.parametrize("raw", [
    "facebook.com/abc", "https://www.facebook.com/ABC/", "http://facebook.com/abc",
    "m.facebook.com/abc", "HTTPS://FACEBOOK.COM/@abc", " facebook.com/abc#posts ",
    "https://www.facebook.com/abc?fbclid=IwAR0xyz",
])
def test_handle_forms_are_one_value(raw):
    assert normalise_handle(raw) == "facebook.com/abc"


def test_handle_details():
    assert normalise_handle("@Abc_123") == "abc_123"
    assert normalise_handle("abc_123/") == "abc_123"
    assert normalise_handle("https://www.tiktok.com/@Nick.Name") == "tiktok.com/nick.name"
    assert normalise_handle("https://www.facebook.com/profile.php?id=1000123&ref=x") == \
        "facebook.com/profile.php?id=1000123"
    assert normalise_handle("facebook.com/abc") != normalise_handle("tiktok.com/abc")


def test_equal_inputs_equal_indexes():
    assert blind_index("child_phone", "0912 345 678", KEY) == \
        blind_index("child_phone", "+84912345678", KEY)
    assert blind_index("offender_handle", "facebook.com/abc", KEY) == \
        blind_index("offender_handle", "https://www.facebook.com/ABC/", KEY)
    assert blind_index("child_dob_family", (date(2012, 3, 4), "NGUYỄN "), KEY) == \
        blind_index("child_dob_family", ("2012-03-04", "nguyễn"), KEY)
    assert blind_index("child_dob_family", (date(2012, 3, 4), "Nguyễn"), KEY) != \
        blind_index("child_dob_family", (date(2012, 3, 5), "Nguyễn"), KEY, bits=32)


def test_kinds_are_domain_separated():
    for phone in ("0912345678", "0987654321", "0241234567"):
        child = blind_index("child_phone", phone, KEY, bits=32)
        reporter = blind_index("reporter_phone", phone, KEY, bits=32)
        assert child != reporter
    # and at the default width, for a fixed key, over a sample
    same = sum(blind_index("child_phone", f"09{i:08d}", KEY) ==
               blind_index("reporter_phone", f"09{i:08d}", KEY) for i in range(200))
    assert same <= 2


def test_key_matters():
    other = bytes(32)
    assert blind_index("child_phone", "0912345678", KEY, bits=32) != \
        blind_index("child_phone", "0912345678", other, bits=32)


def test_no_full_name_index():
    assert set(KINDS) == {"child_phone", "child_dob_family", "reporter_phone",
                          "offender_handle"}
    with pytest.raises(ValueError):
        blind_index("child_name", "Nguyễn Thị Lan", KEY)
    with pytest.raises(TypeError):
        blind_index("child_dob_family", "Nguyễn Thị Lan", KEY)


def test_truncation_width_and_hex():
    for bits in (8, 12, 16, 20, 32):
        value = blind_index("child_phone", "0912345678", KEY, bits=bits)
        assert 0 <= value < 2 ** bits
        text = blind_index_hex("child_phone", "0912345678", KEY, bits=bits)
        assert len(text) == (bits + 3) // 4 and int(text, 16) == value
    # truncation is a prefix of the full HMAC
    full = blind_index("child_phone", "0912345678", KEY, bits=32)
    assert blind_index("child_phone", "0912345678", KEY, bits=16) == full >> 16
    for bits in (7, 33):
        with pytest.raises(ValueError):
            blind_index("child_phone", "0912345678", KEY, bits=bits)


def test_bits_formula():
    assert DEFAULT_BITS == 16
    assert bits_for_population(100_000) == 15  # floor(16.6) - 1
    assert bits_for_population(150_000) == 16
    assert bits_for_population(1000) == 8  # clamped
    assert bits_for_population(10 ** 12) == 32  # clamped
    assert bits_for_population(2 ** 20, min_per_value=4) == 18


def test_collisions_are_common_at_the_chosen_width():
    """Each index value should match several records: that is the point."""
    n = 20_000
    bits = bits_for_population(n)
    values = [blind_index("child_phone", f"09{i:08d}", KEY, bits=bits) for i in range(n)]
    assert len(set(values)) < n * 0.6
