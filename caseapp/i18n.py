"""Language names shown in the switcher (each in its own language)."""

LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}
