"""Text typed into a form while the session ended: kept, sealed, for its owner only.

Someone writes a note for twenty minutes, the idle limit passes, they press
"save": the session is gone, and so would be the note. Instead the posted
text fields are sealed under a data key of their own (like a case's notes),
bound to the user the expired session belonged to, and handed back once, on
the form's page, after that same user logs in again. Nothing is ever put in
the browser's storage. A kept copy lives ``KEPT_FORM_MINUTES`` (30 by default)
and is then deleted with its data key, whether or not anyone came back for it.

What is kept: text, choices and ticks; never a password, a code or a file,
and at most ``MAX_FIELDS`` fields of ``MAX_CHARS`` characters (a session ends
under a person typing, not under a script). The audit log records that text
was kept, restored or dropped, and how many fields: never the text or the page.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from caseapp import clock
from caseapp.auditing.writer import record
from caseapp.crypto import new_data_key, unlock
from caseapp.extensions import db

from .models import KeptForm, User

MAX_FIELDS = 200
MAX_CHARS = 50_000
SECRET_NAMES = ("csrf_token", "password", "passphrase", "code", "secret")

# The grant that opens a kept copy is made by caseapp.permissions (the only grant
# issuer), a layer above this one: it registers the maker here, as for the TOTP secret.
_grant_maker: Callable[[User, KeptForm], Any] | None = None


def register_grant(maker: Callable[[User, KeptForm], Any]) -> None:
    global _grant_maker
    _grant_maker = maker


def _lifetime() -> timedelta:
    return timedelta(minutes=current_app.config["KEPT_FORM_MINUTES"])


def keepable_fields(form) -> dict[str, list[str]]:
    """The posted fields worth keeping (``form``: a MultiDict)."""
    fields: dict[str, list[str]] = {}
    for name in form:
        lowered = name.lower()
        if any(secret in lowered for secret in SECRET_NAMES) or len(name) > 200:
            continue
        values = [v[:MAX_CHARS] for v in form.getlist(name) if isinstance(v, str)]
        if any(v.strip() for v in values):
            fields[name] = values
        if len(fields) >= MAX_FIELDS:
            break
    return fields


def keep(user_id: str, page: str, action: str, fields: dict[str, list[str]]) -> bool:
    """Seal ``fields`` for ``user_id``; True when something was kept. An earlier
    kept copy of the same user is replaced (one form at a time)."""
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or not fields:
        return False
    purge_expired()
    _drop(user_id)
    now = clock.now()
    kept = KeptForm(user_id=user.id, created_at=now, expires_at=now + _lifetime())
    new_data_key(db.session, kept)
    # The owner inside the sealed content: the row's user_id is not under a MAC,
    # and a row moved to another person by hand opens for nobody (hostile review).
    kept.content = {"user_id": user.id, "page": page, "action": action, "fields": fields}
    db.session.add(kept)
    db.session.flush()
    record("session.form_kept", actor=user, object_type="user", object_id=user.id,
           details={"fields": len(fields)})
    return True


def _live(user: User) -> KeptForm | None:
    return db.session.scalar(select(KeptForm).where(
        KeptForm.user_id == user.id, KeptForm.expires_at > clock.now())
        .order_by(KeptForm.created_at.desc()).limit(1))


def _open(user: User, kept: KeptForm) -> dict:
    if _grant_maker is None:
        raise RuntimeError("caseapp.permissions has not registered the kept-form grant")
    unlock(kept, grant=_grant_maker(user, kept))
    content = kept.content or {}
    return content if content.get("user_id") == user.id else {}


def waiting_page(user: User) -> str | None:
    """The page of ``user``'s kept copy, if one is waiting (nothing is taken)."""
    kept = _live(user)
    return _open(user, kept).get("page") if kept is not None else None


def take_or_locate(user: User, page: str) -> tuple[dict | None, str | None]:
    """``user``'s kept copy for ``page`` (handed back, and deleted), or else the
    page a kept copy waits on (nothing taken): (content, None) or (None, page),
    (None, None) when nothing is kept. One read for both (every page asks)."""
    kept = _live(user)
    if kept is None:
        return None, None
    content = _open(user, kept)
    if content.get("page") != page:
        return None, content.get("page")
    _delete(kept)
    record("session.form_restored", actor=user, object_type="user", object_id=user.id,
           details={"fields": len(content.get("fields", {}))})
    return content, None


def _delete(kept: KeptForm) -> None:
    # The wrapped key is on the row: it goes with it.
    db.session.delete(kept)
    db.session.flush()


def _drop(user_id: str) -> None:
    for kept in db.session.scalars(select(KeptForm).where(KeptForm.user_id == user_id)):
        _delete(kept)


def purge_expired() -> int:
    """Delete every kept copy past its lifetime (with its data key)."""
    gone = list(db.session.scalars(select(KeptForm).where(KeptForm.expires_at <= clock.now())))
    for kept in gone:
        user_id = kept.user_id
        _delete(kept)
        record("session.form_dropped", actor="system", object_type="user", object_id=user_id)
    return len(gone)
