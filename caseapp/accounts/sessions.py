"""Server-side sessions in the database, shared by every app process.

The cookie holds a random token; the table holds only a keyed HMAC of it
(key outside the database, so a database writer cannot mint a session), the
owner, the timestamps that enforce the idle and absolute timeouts, and the
data with a MAC over (id, owner, data) so it cannot be edited in place.
Revoking is deleting rows, so it takes effect on the next request of every
process at once.
"""
from __future__ import annotations

import hmac
import logging
import secrets
from datetime import timedelta

from flask import current_app, request
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import delete
from sqlalchemy.exc import DBAPIError
from werkzeug.datastructures import CallbackDict

from caseapp import clock
from caseapp.database import LOCK_FROM_START, READING_METHODS, StaleRead, write_lock_for_session
from caseapp.extensions import db

from . import keys
from .models import UserSession

log = logging.getLogger("caseapp.sessions")

_serializer = TaggedJSONSerializer()
# How often a run of page reads moves a session's last_seen_at on (a write
# under SQLite's one write lock per request otherwise; issue 16's load run).
TOUCH_EVERY = timedelta(seconds=30)


def token_digest(token: str) -> str:
    return keys.mac_hex("session-id", token)


def _seal_data(row_id: str, user_id: str | None, data: dict) -> str:
    text = _serializer.dumps(data)
    return keys.mac_hex("session-data", row_id, user_id or "", text) + text


def _open_data(row: UserSession) -> dict | None:
    """The row's data, or None when the MAC does not match (edited in the database)."""
    mac, text = row.data[:64], row.data[64:]
    expected = keys.mac_hex("session-data", row.id, row.user_id or "", text)
    if not hmac.compare_digest(mac, expected):
        return None
    try:
        return _serializer.loads(text)
    except ValueError:
        return None


def _owner(session) -> str | None:
    """The user a session belongs to, including one half-way through logging
    in, so that revoking a user's sessions also ends a pending login."""
    pending = session.get("pending_login") or {}
    return session.get("_user_id") or pending.get("user_id")


class DatabaseSession(CallbackDict, SessionMixin):
    def __init__(self, initial=None, token: str | None = None):
        def on_update(_self):
            _self.modified = True

        super().__init__(initial, on_update)
        self.token = token
        self.new = token is None
        self.modified = False
        self.rotate_requested = False
        # Set when the browser presented a session that had timed out or been
        # revoked: the app records the expiry and tells the user.
        self.ended_user_id: str | None = None
        self.ended_reason: str | None = None
        # A passive request (the page asking how long is left) neither extends
        # the session nor, once it has ended, consumes it: the form posted next
        # must still find whose session it was.
        self.passive = False
        self.last_seen_at = None
        self.expires_at = None

    def rotate(self) -> None:
        """Issue a new session id (at login and password change: no fixation)."""
        self.rotate_requested = True
        self.modified = True

    @property
    def digest(self) -> str | None:
        return token_digest(self.token) if self.token else None


class DatabaseSessionInterface(SessionInterface):
    session_class = DatabaseSession
    # Paths whose requests are passive (set by caseapp.accounts.idle).
    passive_paths: frozenset[str] = frozenset()
    # Path prefixes whose requests authenticate otherwise (a partner's bearer
    # token): a session cookie sent there is neither read nor touched.
    cookieless_prefixes: tuple[str, ...] = ()

    def _idle(self, app) -> timedelta:
        return timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])

    def _absolute(self, app) -> timedelta:
        return timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"])

    def open_session(self, app, request):
        token = request.cookies.get(self.get_cookie_name(app))
        if request.path.startswith(self.cookieless_prefixes):
            return DatabaseSession()
        if not token or len(token) > 128:
            return DatabaseSession()
        row = db.session.get(UserSession, token_digest(token))
        now = clock.now()
        if row is None:
            return DatabaseSession()
        passive = request.path in self.passive_paths
        ended = None
        if row.expires_at <= now:
            ended = "absolute"
        elif row.last_seen_at + self._idle(app) <= now:
            ended = "idle"
        if ended:
            fresh = DatabaseSession()
            fresh.ended_user_id = row.user_id
            fresh.ended_reason = ended
            fresh.passive = passive
            if not passive:
                db.session.delete(row)
            return fresh
        data = _open_data(row)
        if data is None:
            # Forged or edited in the database: treat as no session at all.
            db.session.delete(row)
            return DatabaseSession()
        opened = DatabaseSession(data, token=token)
        opened.passive = passive
        opened.last_seen_at, opened.expires_at = row.last_seen_at, row.expires_at
        return opened

    def remaining(self, app, session: DatabaseSession, *, touched: bool = False) -> timedelta:
        """Time left before ``session`` ends (idle or absolute): as of its last
        request, or (``touched``) of this one, which extends it."""
        if session.last_seen_at is None or session.expires_at is None:
            return timedelta(0)
        last_seen = clock.now() if touched else session.last_seen_at
        ends = min(last_seen + self._idle(app), session.expires_at)
        return max(ends - clock.now(), timedelta(0))

    def save_session(self, app, session: DatabaseSession, response):
        try:
            try:
                self._save(app, session, response)
            except StaleRead:
                # Another worker committed between this page's commit and the
                # session's write: nothing was written; save it again holding
                # the write lock from the start (the row is re-read under it).
                # A page's transaction begins reading and takes the lock at
                # its first write, and waiting for the lock means another
                # writer commits first: begun that way the second try was
                # stale again under load (the load run's "session not saved",
                # and a login form answered 400 for want of its session).
                db.session.rollback()
                request.environ[LOCK_FROM_START] = True
                self._save(app, session, response)
        except DBAPIError as exc:
            # The database cannot be written (read-only, full, restarting): the
            # answer is already decided (a 503 says so); the session row keeps
            # its last state and the next request tries again. The error's
            # kind only (its text may quote the statement's values).
            db.session.rollback()
            log.warning("session not saved: the database cannot be written (%s)",
                        type(getattr(exc, "orig", exc)).__name__)

    def _save(self, app, session: DatabaseSession, response):
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        now = clock.now()
        old_digest = session.digest
        if session.passive:
            return

        if not session:
            if old_digest:
                db.session.execute(delete(UserSession).where(UserSession.id == old_digest))
                db.session.commit()
                response.delete_cookie(name, domain=domain, path=path)
            elif session.ended_user_id:
                db.session.commit()
                response.delete_cookie(name, domain=domain, path=path)
            return

        user_id = _owner(session)
        if session.new or session.rotate_requested:
            if old_digest:
                db.session.execute(delete(UserSession).where(UserSession.id == old_digest))
            self._prune(app, now)
            token = secrets.token_urlsafe(32)
            row_id = token_digest(token)
            # An anonymous session (a login form's CSRF token) lives one idle
            # period at most, so a flood of GETs leaves little behind.
            lifetime = self._absolute(app) if user_id else self._idle(app)
            db.session.add(UserSession(
                id=row_id, user_id=user_id, created_at=now, last_seen_at=now,
                expires_at=now + lifetime, data=_seal_data(row_id, user_id, dict(session)),
            ))
            db.session.commit()
            response.set_cookie(
                name, token, httponly=self.get_cookie_httponly(app),
                secure=self.get_cookie_secure(app),
                samesite=self.get_cookie_samesite(app), domain=domain, path=path,
            )
            response.vary.add("Cookie")
            return

        if not session.modified and self._fresh(app, session, now):
            # A page read seconds after the last touch changes nothing worth a
            # write: the row's last_seen_at is moved on at most every
            # TOUCH_EVERY, so the idle limit may end the session that much
            # sooner than a full idle period after the last page, never later.
            return
        # Read and updated under the write lock: a revocation in between
        # (another worker deleting the row) is seen, not overwritten.
        write_lock_for_session(db.session)
        row = db.session.get(UserSession, old_digest)
        if row is None:
            # Revoked while this request ran: do not resurrect it.
            response.delete_cookie(name, domain=domain, path=path)
            return
        row.last_seen_at = now
        if session.modified:
            row.user_id = user_id
            row.data = _seal_data(row.id, user_id, dict(session))
        db.session.commit()
        response.vary.add("Cookie")

    def _fresh(self, app, session: DatabaseSession, now) -> bool:
        """A page's request (GET) whose session was touched less than
        :data:`TOUCH_EVERY` ago (at most a thirtieth of the idle period). A
        posted form always touches it: "stay signed in" extends exactly."""
        from flask import request

        if request.method not in READING_METHODS or session.last_seen_at is None:
            return False
        every = min(TOUCH_EVERY, self._idle(app) / 30)
        return timedelta(0) <= now - session.last_seen_at < every

    def _prune(self, app, now) -> None:
        """Opportunistic clean-up of timed-out rows when a session is created
        (by the indexed absolute expiry; idle rows are refused on sight)."""
        db.session.execute(delete(UserSession).where(UserSession.expires_at <= now))


def revoke_user_sessions(user_id: str, keep_digest: str | None = None) -> int:
    stmt = delete(UserSession).where(UserSession.user_id == user_id)
    if keep_digest:
        stmt = stmt.where(UserSession.id != keep_digest)
    return db.session.execute(stmt).rowcount or 0


def warn_seconds() -> int:
    """How long before the idle limit the page warns: the setting, cut to just
    under the idle limit when that is shorter (a short limit alone is valid)."""
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    return min(int(current_app.config["SESSION_WARN_SECONDS"]), idle - 3)
