"""Password policy: length and a block list, any Unicode, no composition rules."""
from __future__ import annotations

import pytest

from caseapp.accounts import passwords


def check(password, username="nguyenvana"):
    passwords.check_policy(password, 12, (username,))


@pytest.mark.parametrize("password", [
    "mây trắng bay qua núi",      # Vietnamese with diacritics and spaces
    "abcdefghijklmnop",           # no composition rules
    "🌧️ mưa rơi trên phố cổ",
])
def test_accepted(password):
    check(password)


@pytest.mark.parametrize("password,reason", [
    ("short pass", "at least 12"),
    ("qwertyuiop123", "too common"),
    ("PASSWORD1234", "too common"),
    ("my nguyenvana pass", "username"),
])
def test_rejected(app, password, reason):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("en"):
        with pytest.raises(passwords.PasswordPolicyError) as info:
            check(password)
        assert reason in str(info.value)


def test_length_counts_characters_after_nfc():
    decomposed = "e\u0301" * 12  # 12 characters once composed, 24 code points before
    check(decomposed)
    with pytest.raises(passwords.PasswordPolicyError):
        check("e\u0301" * 11)


def test_hasher_is_argon2id_and_verifies(app):
    hasher = app.extensions["caseapp_hasher"]
    stored = hasher.hash("mây trắng bay qua núi")
    assert stored.startswith("$argon2id$")
    assert hasher.verify(stored, "mây trắng bay qua núi")
    assert not hasher.verify(stored, "mây trắng bay qua nui")


def test_hasher_caps_concurrent_hashes():
    import threading

    hasher = passwords.Hasher(2, 19456, 1, concurrent=1, queue_timeout=0.01)
    hasher._slots.acquire()  # one hash "in flight"
    try:
        with pytest.raises(passwords.HasherBusy):
            hasher.hash("another long password")
    finally:
        hasher._slots.release()
    assert isinstance(hasher._slots, type(threading.BoundedSemaphore(1)))
