"""What an uploaded file is, from its content: signatures, text without markup, PDFs parsed
in a capped child process; and the padding that hides a file's exact size."""
from __future__ import annotations

import re
import struct

from flask import current_app
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l

from . import pdf_scan

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif",
              "image/webp": "webp", "application/pdf": "pdf", "text/plain": "txt"}


TYPE_LABELS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF",
               "image/webp": "WebP", "application/pdf": "PDF", "text/plain": _l("Text")}


# Names a browser or a user gives to images and documents: a text file with
# such a name or label is a disguise, not evidence.
BINARY_SUFFIXES = ("png", "jpg", "jpeg", "jfif", "gif", "webp", "pdf", "bmp", "tif", "tiff",
                   "heic", "heif", "avif", "ico")


FILENAME_MAX_LENGTH = 200


# NUL and every control character but tab, LF and CR (C0, DEL, C1).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


# Markup and scripts that a browser or a shell would run: text starting with a
# tag or a shebang, or holding an active element anywhere.
_MARKUP_START = re.compile(r"^\s*(#!|<[A-Za-z!?/])")


_ACTIVE = re.compile(r"<\s*(script|svg|html|iframe|object|embed|body|\?xml|!doctype)\b",
                     re.IGNORECASE)


_PDF_HEADER = re.compile(rb"^%PDF-[12]\.\d")


def pdf_problem(content: bytes) -> str | None:
    """Why a PDF cannot be kept, or None: see :mod:`caseapp.evidence.pdf_scan` (run in
    a child process with a memory and time cap)."""
    return pdf_scan.check(content, seconds=int(current_app.config.get("PDF_CHECK_SECONDS", 15)))


def sniff(content: bytes) -> str | None:
    """The media type ``content`` really is (one of ATTACHMENT_MEDIA_TYPES), or None.

    Images and PDF by their signatures; plain text is valid UTF-8 without
    control characters (tab, LF and CR allowed) and without markup or a
    script header. The name and the browser's content type play no part.
    """
    if content.startswith(b"\x89PNG\r\n\x1a\n") and content[12:16] == b"IHDR":
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP" and content[12:15] == b"VP8":
        return "image/webp"
    if _PDF_HEADER.match(content) and b"%%EOF" in content[-1024:]:
        return "application/pdf"
    if plain_text(content):
        return "text/plain"
    return None


def decode_text(content: bytes) -> str | None:
    """``content`` as text if it is valid UTF-8 without control characters, else None."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if _CONTROL.search(text) else text


def active_text(text: str) -> bool:
    """Text that is a web page, an SVG or XML document, or a script."""
    text = text.lstrip("\ufeff")
    return bool(_MARKUP_START.match(text) or _ACTIVE.search(text))


def plain_text(content: bytes) -> bool:
    text = decode_text(content)
    return text is not None and not active_text(text)


def claims_binary(filename: str, declared_type: str) -> bool:
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    declared = (declared_type or "").split(";", 1)[0].strip().lower()
    return suffix in BINARY_SUFFIXES or declared.startswith("image/") \
        or declared == "application/pdf"


def clean_filename(name: str | None) -> str:
    """The file's own name without folders or control characters (kept sealed, shown
    to the people who see the child's data, never sent in a header or logged)."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _CONTROL.sub("", name).strip()
    return name[:FILENAME_MAX_LENGTH]


# Files are padded to a multiple of this before sealing, and only that rounded
# size is in clear (column, audit entry, ciphertext length): an exact size and
# type would let someone holding the database confirm that a file they have
# (the image a sextortionist sent) is held here.
SIZE_BUCKET = 64 * 1024


_LENGTH = struct.Struct(">Q")


def size_bucket(size: int) -> int:
    return max(SIZE_BUCKET, -(-size // SIZE_BUCKET) * SIZE_BUCKET)


def padded_size(size: int) -> int:
    """The size in clear of a file of ``size`` bytes once padded."""
    return size_bucket(size + _LENGTH.size)


def pad(content: bytes) -> bytes:
    """The exact length (8 bytes), the content, zeros up to the next bucket."""
    body = _LENGTH.pack(len(content)) + content
    return body + bytes(size_bucket(len(body)) - len(body))


def unpad(stored: bytes) -> bytes:
    (length,) = _LENGTH.unpack_from(stored)
    return stored[_LENGTH.size:_LENGTH.size + length]


def size_label(size: int) -> str:
    if size < 1024:
        return _l("%(n)s bytes", n=format_decimal(size))
    if size < 1024 * 1024:
        return f"{format_decimal(round(size / 1024, 1))} KB"
    return f"{format_decimal(round(size / (1024 * 1024), 1))} MB"
