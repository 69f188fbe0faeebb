"""Helpers shared by the commands."""
from __future__ import annotations

import os
import sys

import click

from caseapp.crypto import key_scope
from caseapp.extensions import db


def fail(message: str, code: int = 1):
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def commit_or_fail(action):
    """Run ``action`` in a key scope and commit once; on a domain error roll
    back and exit 1. The scope holds only the data keys ``action`` unlocks."""
    try:
        with key_scope():
            result = action()
        db.session.commit()
        return result
    except Exception as exc:  # domain errors carry a translated .message
        db.session.rollback()
        message = getattr(exc, "message", None)
        if message is None:
            raise
        fail(str(message))


def make_private_dir(path: str) -> None:
    os.makedirs(path, mode=0o700, exist_ok=True)
