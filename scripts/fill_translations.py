"""Fill empty Vietnamese msgstr entries from dict files.

Usage: python scripts/fill_translations.py FILE.py [FILE.py ...]
Each FILE.py defines VI = {"English msgid": "bản dịch tiếng Việt", ...}.
Run scripts/update-translations before (to extract) and after (to compile).
"""
import runpy
import sys

from babel.messages.pofile import read_po, write_po

CATALOG = "caseapp/translations/vi/LC_MESSAGES/messages.po"


def main(paths: list[str]) -> int:
    translations: dict[str, str] = {}
    for path in paths:
        translations.update(runpy.run_path(path)["VI"])
    with open(CATALOG, "rb") as handle:
        catalog = read_po(handle)
    missing = []
    for message in catalog:
        if not message.id:
            continue
        if message.id in translations and (not message.string or message.fuzzy):
            message.string = translations[message.id]
            message.flags.discard("fuzzy")
        if not message.string:
            missing.append(message.id)
    with open(CATALOG, "wb") as handle:
        write_po(handle, catalog, width=100)
    for message_id in missing:
        print("missing:", message_id)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
