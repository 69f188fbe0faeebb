"""Blind indexes: keyed, truncated HMACs of normalised values for duplicate warnings.

``blind_index(kind, value, key)`` = the first ``bits`` bits of
``HMAC-SHA256(K_kind, normalise_kind(value))`` where
``K_kind = HMAC-SHA256(blind_index_key, "caseapp/blind-index/v1/" + kind)`` --
one derived key per kind, so the same input under two kinds gives unrelated
values and an index of one kind cannot be joined against another.

Kinds and their normalisation
-----------------------------
``child_phone``, ``reporter_phone``
    :func:`normalise_phone`: Vietnamese numbers to E.164 ``+84...``
    ("0912 345 678", "+84 912345678", "84912345678", "(+84) 91-234-5678" are
    one value); the 2018 conversion of 11-digit mobile numbers (0168 x -> 038 x,
    ...) is applied; other countries keep their ``+CC``.
``child_dob_family``
    ``(date_of_birth, family_name)``: ISO date + ``|`` + :func:`normalise_text`
    of the family name. There is deliberately no index of a full name alone:
    names are too few and too common to hide behind a short HMAC.
``offender_handle``
    :func:`normalise_handle`: lower-cased, scheme, ``www.``/``m.``, ``@``,
    query (except Facebook's ``profile.php?id=``), fragment and trailing
    slash removed: "https://www.facebook.com/ABC/" == "facebook.com/abc".

Vietnamese text (:func:`normalise_text`): Unicode NFC, case-folded,
whitespace collapsed, and the tone mark of the open syllables -oa, -oe, -uy
placed on the second vowel ("Hòa" == "Hoà", "Thủy" == "Thuỷ": old and new
spelling styles). Diacritics are kept: "Nguyễn" and "Nguyen" are different
values. An intake that typed a name without diacritics simply misses the
warning; a looser, unaccented variant would multiply false matches across
the many families sharing a handful of surnames.

Truncation (CipherSweet's rule)
-------------------------------
A blind index must *not* identify a record: each value should be shared by
several records, so that the index alone says only "maybe". With an expected
population of ``N`` indexed values and at least 2 records per index value::

    bits = clamp(floor(log2(N)) - 1, 8, 32)

:func:`bits_for_population` computes it. ``DEFAULT_BITS`` = 16 is the value for a
district keeping roughly 2**17 (131k) to 2**18 indexed values over its
retention period; for exactly 100,000 the formula gives 15. Configure it from
the real expected population, and do not change it for an existing index
(every stored value would need recomputing).
"""
from __future__ import annotations

import hashlib
import hmac
import math
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

DEFAULT_BITS = 16
MIN_BITS = 8
MAX_BITS = 32
_DOMAIN = b"caseapp/blind-index/v1/"

KINDS = ("child_phone", "child_dob_family", "reporter_phone", "offender_handle")


def bits_for_population(population: int, *, min_per_value: int = 2) -> int:
    """CipherSweet's truncation: ``floor(log2(N / min_per_value))`` = ``floor(log2 N) - 1``
    for 2 per value, clamped to [8, 32]."""
    if population < 1:
        return MIN_BITS
    bits = math.floor(math.log2(population)) - max(0, math.ceil(math.log2(min_per_value)))
    return max(MIN_BITS, min(MAX_BITS, bits))


# --- normalisation ---------------------------------------------------------------------------

_TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng
_OPEN_SYLLABLE_TONE = re.compile(
    rf"(?<![qQ])([oO])([{_TONES}])([aAeE])(?![\w\u0300-\u036f])"
    rf"|(?<![qQ])([uU])([{_TONES}])([yY])(?![\w\u0300-\u036f])")


def _move_tone(match: re.Match[str]) -> str:
    if match.group(1):
        return match.group(1) + match.group(3) + match.group(2)
    return match.group(4) + match.group(6) + match.group(5)


def normalise_text(value: str) -> str:
    """NFC, casefold, collapse whitespace, one tone placement for -oa/-oe/-uy."""
    if not isinstance(value, str):
        raise TypeError("text expected")
    text = unicodedata.normalize("NFC", value).casefold()
    text = " ".join(text.split())
    decomposed = unicodedata.normalize("NFD", text)
    decomposed = _OPEN_SYLLABLE_TONE.sub(_move_tone, decomposed)
    return unicodedata.normalize("NFC", decomposed)


# Mobile prefixes renumbered in 2018 (11 digits -> 10 digits).
_OLD_MOBILE_PREFIXES = {
    "162": "32", "163": "33", "164": "34", "165": "35", "166": "36", "167": "37",
    "168": "38", "169": "39",  # Viettel
    "120": "70", "121": "79", "122": "77", "126": "76", "128": "78",  # MobiFone
    "123": "83", "124": "84", "125": "85", "127": "81", "129": "82",  # VinaPhone
    "186": "56", "188": "58",  # Vietnamobile
    "199": "59",  # Gmobile
}


def normalise_phone(value: str) -> str:
    """A phone number in E.164 (``+84`` national significant number for Vietnam).

    Raises ValueError (without echoing the input) if it is not a number.
    """
    if not isinstance(value, str):
        raise TypeError("text expected")
    text = unicodedata.normalize("NFKC", value).strip()
    international = text.startswith("+")
    digits = re.sub(r"\D", "", text)
    if international:
        if not digits.startswith("84"):
            if not 8 <= len(digits) <= 15:
                raise ValueError("not a phone number")
            return "+" + digits
        national = digits[2:]
    elif digits.startswith("0084"):
        national = digits[4:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        national = digits
    national = national.lstrip("0") if national.startswith("0") else national
    if len(national) == 10 and national[:3] in _OLD_MOBILE_PREFIXES:
        national = _OLD_MOBILE_PREFIXES[national[:3]] + national[3:]
    if not 8 <= len(national) <= 10:
        raise ValueError("not a Vietnamese phone number")
    return "+84" + national


_HOST_PREFIXES = ("www.", "m.", "mobile.", "web.")
# A platform's address alone names no account: refused, or every report that
# typed it would "match" every other.
_PLATFORM_ROOTS = frozenset({
    "facebook.com", "fb.com", "messenger.com", "instagram.com", "tiktok.com", "youtube.com",
    "zalo.me", "x.com", "twitter.com", "t.me", "telegram.org", "discord.com", "discord.gg",
    "snapchat.com", "threads.net", "reddit.com", "roblox.com", "m.me"})
# Query parameters that identify an account, a post or a video (kept), and the
# platforms' own pages that name no account (refused without such a parameter).
_KEPT_PARAMS = ("id", "fbid", "story_fbid", "v")
_NOT_ACCOUNTS = frozenset({"home.php", "profile.php", "photo.php", "story.php", "permalink.php",
                           "watch", "groups", "foryou", "explore", "search", "hashtag",
                           "messages", "login", "share", "reel", "reels", "stories", "feed"})


def normalise_handle(value: str) -> str:
    """An account handle or profile link, lower-cased and stripped of decoration."""
    if not isinstance(value, str):
        raise TypeError("text expected")
    text = unicodedata.normalize("NFKC", value).strip().casefold()
    text = "".join(text.split())
    if not text:
        raise ValueError("empty handle")
    if "://" in text or re.match(r"^[a-z0-9-]+(\.[a-z0-9-]+)+(/|$)", text):
        parts = urlsplit(text if "://" in text else "//" + text)
        host = parts.hostname or ""
        for prefix in _HOST_PREFIXES:
            if host.startswith(prefix) and "." in host[len(prefix):]:
                host = host[len(prefix):]
                break
        path = parts.path.rstrip("/")
        if not path and parts.fragment.startswith("!/"):
            path = parts.fragment[1:].rstrip("/")  # an old "facebook.com/#!/name" link
        # The query parameters that name an account or a post; the rest is tracking.
        params = parse_qs(parts.query)
        kept = sorted((k, params[k][0]) for k in _KEPT_PARAMS if params.get(k, [""])[0])
        query = ("?" + "&".join(f"{k}={v}" for k, v in kept)) if kept else ""
        segments = [s.lstrip("@") for s in path.split("/") if s.lstrip("@")]
        if not host or (host in _PLATFORM_ROOTS and not query and (
                not segments or (len(segments) == 1 and segments[0] in _NOT_ACCOUNTS))):
            raise ValueError("no account in this link")
        return host + ("/" + "/".join(segments) if segments else "") + query
    handle = text.lstrip("@").strip("/")
    if not handle.strip("@/.#?!:-") or handle in _PLATFORM_ROOTS:
        raise ValueError("no account name")
    return handle


def _dob_family(value: Any) -> str:
    try:
        dob, family = value
    except (TypeError, ValueError):
        raise TypeError("child_dob_family takes (date_of_birth, family_name)") from None
    if isinstance(dob, datetime):
        dob = dob.date()
    if isinstance(dob, str):
        dob = date.fromisoformat(dob.strip())
    if not isinstance(dob, date):
        raise TypeError("date of birth must be a date")
    family_norm = normalise_text(family)
    if not family_norm:
        raise ValueError("empty family name")
    return dob.isoformat() + "|" + family_norm


NORMALISERS: dict[str, Callable[[Any], str]] = {
    "child_phone": normalise_phone,
    "reporter_phone": normalise_phone,
    "child_dob_family": _dob_family,
    "offender_handle": normalise_handle,
}


# --- the index ---------------------------------------------------------------------------

def _kind_key(key: bytes, kind: str) -> bytes:
    return hmac.new(key, _DOMAIN + kind.encode("ascii"), hashlib.sha256).digest()


def blind_index(kind: str, value: Any, key: bytes, *, bits: int = DEFAULT_BITS) -> int:
    """The blind index of ``value`` (normalised for ``kind``) as an int < 2**bits.

    ``key`` is ``keyring.blind_index_key``. Raises ValueError/TypeError for
    input that does not normalise (never echoing it).
    """
    try:
        normalise = NORMALISERS[kind]
    except KeyError:
        raise ValueError(f"unknown blind-index kind {kind!r}") from None
    if not MIN_BITS <= bits <= MAX_BITS:
        raise ValueError(f"bits must be within [{MIN_BITS}, {MAX_BITS}]")
    if len(key) != 32:
        raise ValueError("the blind-index key is 32 bytes")
    message = normalise(value).encode("utf-8")
    digest = hmac.new(_kind_key(key, kind), message, hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") >> (32 - bits)


def blind_index_hex(kind: str, value: Any, key: bytes, *, bits: int = DEFAULT_BITS) -> str:
    """:func:`blind_index` as fixed-width lower-case hex (``ceil(bits/4)`` digits)."""
    return format(blind_index(kind, value, key, bits=bits), f"0{(bits + 3) // 4}x")
