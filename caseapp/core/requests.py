"""The request class: uploads stay in memory.

Werkzeug spools an uploaded file larger than 500 KiB to a temporary file on
disk. Evidence is a child's data: it must reach the disk only sealed, so
every upload is kept in memory until it is encrypted (the whole request is
capped by MAX_CONTENT_LENGTH, so memory is bounded).
"""
from __future__ import annotations

import io
from typing import IO

from flask import Request


class InMemoryUploadRequest(Request):
    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None,
                         content_length: int | None = None) -> IO[bytes]:
        return io.BytesIO()
