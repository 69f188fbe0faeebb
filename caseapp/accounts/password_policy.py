"""What a password must be: long, not common, not guessable.

NIST SP 800-63B: a length floor, no composition rules, and a check against
passwords known to be common or easy to guess. The guessability estimate is
zxcvbn's (Dropbox's estimator, with its 30,000 most common passwords); our
own list adds Vietnamese ones. Passwords made of the person's name, the
app's or the organisation's name, repeats, sequences and keyboard rows are
refused with the reason in the person's language and the advice to use a
passphrase.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache
from importlib import resources

from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MAX_PASSWORD_LENGTH = 1024
# zxcvbn's work grows with the length; what it sees of a long passphrase is enough.
ESTIMATE_CHARACTERS = 64
# At least 10^9 guesses by zxcvbn's estimate (its score 3 starts at 10^8), on
# the password as typed, folded (no diacritics) and with only its letters and
# digits: an online attacker throttled to a few tries a minute never gets there.
MIN_GUESSES_LOG10 = 9.0

PASSPHRASE_ADVICE = _l("Use a passphrase instead: four or five ordinary words that only you "
                       "would put together, with spaces between them.")


class PasswordPolicyError(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _fold(text: str) -> str:
    """Case-folded, without diacritics (đ → d), so "Đoàn" and "doan" are the same word."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """zxcvbn's 30,000 most common passwords and our Vietnamese additions, folded."""
    text = resources.files("caseapp").joinpath("data/common-passwords.txt").read_text("utf-8")
    ours = (line.strip() for line in text.splitlines() if line and not line.startswith("#"))
    return frozenset(_fold(p) for p in (*FREQUENCY_LISTS["passwords"], *ours))


@lru_cache(maxsize=1)
def vietnamese_words() -> tuple[str, ...]:
    """Words, names and places Vietnamese passwords are commonly made of, folded."""
    text = resources.files("caseapp").joinpath("data/vietnamese-words.txt").read_text("utf-8")
    return tuple(dict.fromkeys(_fold(line.strip()).replace(" ", "") for line in text.splitlines()
                               if line.strip() and not line.startswith("#")))


def _personal_words(words: tuple[str, ...]) -> list[str]:
    """Each forbidden word as typed, folded, and without its spaces."""
    found: set[str] = set()
    for word in words:
        for variant in (word.casefold(), _fold(word)):
            for form in (variant, variant.replace(" ", ""), *variant.split()):
                if len(form) >= 4:
                    found.add(form)
    return sorted(found)


def _refusal(result: dict, personal: list[str]):
    patterns = [m for m in result["sequence"] if m["pattern"] != "bruteforce"
                or len(m["token"]) > 3]
    kinds = {m["pattern"] for m in patterns}
    if any(m.get("dictionary_name") == "user_inputs" and m.get("matched_word") in personal
           for m in patterns):
        return _l("The password is made of your username, your name or the name of the "
                  "app or the organisation.")
    if "repeat" in kinds:
        return _l("The password repeats the same characters or words (like “aaaa” or "
                  "“abcabc”).")
    if "sequence" in kinds:
        return _l("The password is a sequence (like “abcd” or “1234”).")
    if "spatial" in kinds:
        return _l("The password follows a row of the keyboard (like “qwerty”).")
    if "dictionary" in kinds or "date" in kinds:
        return _l("The password is made of common words, names or dates.")
    return _l("This password is too easy to guess.")


def check_policy(password: str, min_length: int, forbidden: tuple[str, ...] = (),
                 context: tuple[str, ...] = ()) -> None:
    """Raise PasswordPolicyError with the reason and advice; return when acceptable.

    ``forbidden``: the username and the person's name, which the password may
    not contain at all. ``context``: the unit's, the app's and the
    organisation's names, which it may not be made of. Length counts
    characters after NFC.
    """
    normalised = unicodedata.normalize("NFC", password)
    if len(normalised) < min_length:
        raise PasswordPolicyError(
            _l("The password must have at least %(n)d characters.", n=min_length))
    if len(normalised) > MAX_PASSWORD_LENGTH:
        raise PasswordPolicyError(_l("The password is too long."))
    folded = _fold(normalised)
    if folded in common_passwords() or folded.replace(" ", "") in common_passwords():
        raise PasswordPolicyError(_policy_message(
            _l("This password is one of the most common passwords.")))
    for word in forbidden:
        if len(word) >= 4 and _fold(word) in folded:
            raise PasswordPolicyError(_policy_message(
                _l("The password must not contain your username or your name.")))
    personal = _personal_words(forbidden + context)
    stripped = folded
    for word in personal:
        stripped = stripped.replace(_fold(word), "")
    if sum(ch.isalpha() for ch in stripped) < 4 and personal and stripped != folded:
        raise PasswordPolicyError(_policy_message(
            _l("The password is made of your username, your name or the name of the "
               "app or the organisation.")))
    # Estimated on the folded text too (zxcvbn knows no Vietnamese and counts
    # an accented letter as rare): "mậtkhẩu" is as weak as "matkhau".
    words = personal + list(vietnamese_words())
    squeezed = "".join(ch for ch in folded if ch.isalnum())
    for candidate in (normalised, folded, squeezed):
        result = zxcvbn(candidate[:ESTIMATE_CHARACTERS], user_inputs=words)
        if result["guesses_log10"] < MIN_GUESSES_LOG10:
            raise PasswordPolicyError(_policy_message(_refusal(result, personal)))


def _policy_message(reason):
    return _l("%(reason)s %(advice)s", reason=reason, advice=PASSPHRASE_ADVICE)
