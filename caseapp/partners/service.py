"""Partner API tokens: issue, revoke, authenticate; and what a token does
(file an intake once per idempotency key, read the stage of its cases).

Every change is checked here (so the screen and the CLI are checked alike),
audited here, and flushed; the request or the command commits once.
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from caseapp import clock
from caseapp.accounts.models import User
from caseapp.accounts.service_accounts import service_account, service_username
from caseapp.auditing.integrity import intact
from caseapp.auditing.writer import record
from caseapp.cases import service as cases
from caseapp.cases.data import IntakeData
from caseapp.cases.models import Case
from caseapp.crypto.row_integrity import prefetch
from caseapp.extensions import db
from caseapp.notifications.service import notify
from caseapp.paging import Key, Keyset, Window
from caseapp.permissions import active_admins, require, supervisors_over
from caseapp.permissions import partners as rules
from caseapp.units.models import Unit

from .models import SCOPES, ApiToken, IdempotencyKey

PREFIX = "cat_"  # "caseapp token": recognisable in a config file or a secret scanner
SECRET_BYTES = 32  # 256 random bits
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at: one write a minute at most
PURGE_BATCH = 200  # idempotency keys deleted per new key, at most


class TokenError(Exception):
    """An issue or revoke refused; ``field`` names the input it is about."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class KeyReused(Exception):
    """The idempotency key was used before with another body."""


class KeyMismatch(Exception):
    """The idempotency key's stored answer names no case this partner filed."""


@dataclass(frozen=True)
class NewToken:
    partner_name: str
    unit_code: str
    scopes: tuple[str, ...]
    days: int


@dataclass(frozen=True)
class Filed:
    """The answer to a filed intake (the first time, or repeated for its key)."""

    status: int
    reference: str
    stage: str
    replayed: bool = False


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def keyed_digest(purpose: str, value: str) -> str:
    """An HMAC under the app's secret key: what a partner sends as an
    Idempotency-Key (often a call id or a phone number) or a body (a child's
    report) is not turned back from the database file by guessing."""
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    return hmac.new(key, f"partner-{purpose}\0{value}".encode(), hashlib.sha256).hexdigest()


def partner_slug(name: str) -> str:
    """``Tổng đài 111`` → ``tong-dai-111``: the partner's part of a family name."""
    plain = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:30].strip("-") or "partner"


def family_of(partner_name: str, unit: Unit) -> str:
    return f"{partner_slug(partner_name)}.{unit.code}"[:64]


def max_days() -> int:
    return int(current_app.config["PARTNER_TOKEN_MAX_DAYS"])


# --- issue, list, revoke ------------------------------------------------------------------------

def issue_token(actor, data: NewToken) -> tuple[ApiToken, str]:
    """A new token and its secret (shown once: only its digest is kept)."""
    require(rules.can_manage_tokens(actor))
    name = " ".join((data.partner_name or "").split())
    if not 1 <= len(name) <= 100 or not name.isprintable():
        raise TokenError(_l("Give the partner's name (at most 100 characters)."),
                         field="partner_name")
    unit = db.session.scalar(select(Unit).where(Unit.code == (data.unit_code or "").strip()))
    if unit is None or not unit.is_active:
        raise TokenError(_l("Choose an active unit."), field="unit")
    scopes = tuple(dict.fromkeys(data.scopes))
    if not scopes or any(scope not in SCOPES for scope in scopes):
        raise TokenError(_l("Choose at least one of the scopes offered."), field="scopes")
    most = max_days()
    if isinstance(data.days, bool) or not isinstance(data.days, int) \
            or not 1 <= data.days <= most:
        raise TokenError(_l("A token lasts from 1 to %(most)d days.", most=most), field="days")
    family = family_of(name, unit)
    other = db.session.scalar(select(ApiToken.partner_name).where(
        ApiToken.family == family, ApiToken.partner_name != name).limit(1))
    if other is not None:
        # Two partners whose names shorten alike would share one service
        # account: each would read the stage of the other's reports.
        raise TokenError(_l("This name is too close to the partner \"%(other)s\" of this unit: "
                            "give the same name for the same partner, or a clearly different "
                            "one.", other=other), field="partner_name")
    secret = PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    now = clock.now()
    token = ApiToken(secret_hash=digest(secret), secret_hint=secret[:8], partner_name=name,
                     family=family, unit_id=unit.id, unit=unit,
                     scopes=" ".join(scopes),
                     created_by_id=actor.id if isinstance(actor, User) else None,
                     created_at=now, expires_at=now + timedelta(days=data.days))
    db.session.add(token)
    db.session.flush()
    record("partner_token.issue", actor=actor, object_type="partner_token", object_id=token.id,
           unit_path=unit.path, details={"unit": unit.code, "family": token.family,
                                         "scopes": list(scopes), "days": data.days})
    _tell("partner_token_issued", actor, unit)
    return token, secret


def _tell(kind: str, actor, unit: Unit) -> None:
    """No intake channel opens or closes unseen: the supervisors over the unit
    (the reports it files land in their queue) and the other admins are told."""
    told = [u.id for u in supervisors_over(unit)] + [u.id for u in active_admins()]
    notify([uid for uid in told if uid != getattr(actor, "id", None)], kind)


def revoke_token(actor, token: ApiToken) -> bool:
    """Revoke ``token`` at once (False when it was revoked already)."""
    require(rules.can_manage_tokens(actor))
    if token.revoked_at is not None:
        return False
    token.revoked_at = clock.now()
    token.revoked_by_id = actor.id if isinstance(actor, User) else None
    db.session.flush()
    record("partner_token.revoke", actor=actor, object_type="partner_token", object_id=token.id,
           unit_path=token.unit.path, details={"unit": token.unit.code, "family": token.family})
    _tell("partner_token_revoked", actor, token.unit)
    return True


PAGE_SIZE = 50
# The admin's list, newest first (index ix_partner_tokens_list_order).
KEYSET = Keyset(Key(ApiToken.created_at, "time", descending=True),
                Key(ApiToken.id, "str", descending=True))


def all_tokens() -> list[ApiToken]:
    """Every token, newest first (the command line's list)."""
    return list(db.session.scalars(KEYSET.order(select(ApiToken))))


def tokens_window(*, after: str | None = None, before: str | None = None,
                  size: int | None = None) -> Window:
    """A page of the tokens, newest first, each with its unit read in the same
    query and the rows' anchors in one more."""
    window = KEYSET.read(select(ApiToken).options(joinedload(ApiToken.unit)), after, before,
                         size or PAGE_SIZE, db.session.scalars)
    prefetch(window.rows)
    prefetch({t.unit for t in window.rows})
    return window


def count_tokens() -> int:
    return db.session.scalar(select(func.count()).select_from(ApiToken)) or 0


def find_token(token_id: str) -> ApiToken | None:
    if not token_id or len(token_id) > 36:
        return None
    return db.session.get(ApiToken, token_id)


# --- authentication ------------------------------------------------------------------------------

def authenticate(secret: str | None) -> tuple[ApiToken | None, str]:
    """(the token, "ok"), or (the token or None, why not: "missing", "unknown",
    "revoked", "expired"). The secret is looked up by its digest."""
    if not secret:
        return None, "missing"
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None, "unknown"
    wanted = digest(secret)
    token = db.session.scalar(select(ApiToken).where(ApiToken.secret_hash == wanted))
    if token is None or not hmac.compare_digest(token.secret_hash, wanted) \
            or not intact(token, actor="anonymous"):
        # A row changed outside the app (reported by intact) is no token.
        return None, "unknown"
    if token.revoked_at is not None:
        return token, "revoked"
    if token.expires_at <= clock.now():
        return token, "expired"
    return token, "ok"


def touch(token: ApiToken) -> None:
    """Note the token's use, at most once a minute (spares a write per call)."""
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        token.last_used_at = now


def partner_account(token: ApiToken, *, make: bool = False) -> User | None:
    """The service account that files the partner's intakes in the token's unit."""
    if make:
        return service_account("partner", token.family, token.unit,
                               f"Đối tác: {token.partner_name}")
    return db.session.scalar(select(User).where(
        User.username == service_username("partner", token.family)))


# --- filing an intake ----------------------------------------------------------------------------

def _file(token: ApiToken, data: IntakeData) -> Case:
    data = dataclasses.replace(data, unit=token.unit.code)
    return cases.record_outside_intake(partner_account(token, make=True), token.unit, data,
                                       token=token.id, via="partner")


def _key_window() -> timedelta:
    return timedelta(hours=int(current_app.config["PARTNER_IDEMPOTENCY_HOURS"]))


def _purge_keys(now: datetime) -> None:
    """Keys past their window, a bounded batch at a time (as each new key comes)."""
    stale = (select(IdempotencyKey.id).where(IdempotencyKey.created_at < now - _key_window())
             .order_by(IdempotencyKey.created_at).limit(PURGE_BATCH))
    db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id.in_(
        stale.scalar_subquery())), execution_options={"synchronize_session": False})


def _known_key(family: str, key_hash: str, now: datetime) -> IdempotencyKey | None:
    row = db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.family == family,
                                                         IdempotencyKey.key_hash == key_hash))
    if row is not None and row.created_at < now - _key_window():
        db.session.delete(row)  # expired: the key is free again
        db.session.flush()
        return None
    return row


def _replay(token: ApiToken, row: IdempotencyKey, body_hash: str) -> Filed:
    if not hmac.compare_digest(row.body_hash, body_hash):
        raise KeyReused()
    # The key's row is not under a MAC: the answer is given again only for a
    # case this partner filed (a row written into the database by hand, naming
    # another case, must not swallow a report).
    case = db.session.scalar(select(Case).where(Case.reference == (row.reference or "")))
    if not rules.token_may_read_case(token, partner_account(token), case):
        raise KeyMismatch()
    return Filed(row.status, case.reference, row.answered_stage or "", replayed=True)


def file_intake(token: ApiToken, data: IntakeData, *, key: str | None = None,
                body_hash: str = "") -> Filed:
    """File ``data`` into the token's unit through the partner's service account.

    With an idempotency ``key``: the first request files the case and keeps its
    answer; a later one with the same key (in the token's family, within
    PARTNER_IDEMPOTENCY_HOURS) gets that answer again, or :class:`KeyReused`
    if its body differs. Two at once: the unique (family, key) row lets one
    insert; the other waits for it (PostgreSQL's unique index; SQLite's one
    writer) and then answers as a repeat.
    """
    require(rules.token_has_scope(token, "intake:create"))
    if key is None:
        case = _file(token, data)
        return Filed(201, case.reference, case.stage)
    key_hash, now = keyed_digest("idempotency-key", f"{token.family}\0{key}"), clock.now()
    known = _known_key(token.family, key_hash, now)
    if known is not None:
        return _replay(token, known, body_hash)
    _purge_keys(now)
    try:
        with db.session.begin_nested():
            row = IdempotencyKey(family=token.family, key_hash=key_hash, body_hash=body_hash,
                                 token_id=token.id, status=201, created_at=now)
            db.session.add(row)
            db.session.flush()  # the claim: a second request stops here until this one ends
            # A refused intake (CaseErrors) undoes the claim with the savepoint:
            # the same key may then be sent again, corrected.
            case = _file(token, data)
            row.reference, row.answered_stage = case.reference, case.stage
            db.session.flush()
    except IntegrityError:
        winner = db.session.scalar(select(IdempotencyKey).where(
            IdempotencyKey.family == token.family, IdempotencyKey.key_hash == key_hash))
        if winner is None:
            raise
        return _replay(token, winner, body_hash)
    return Filed(201, case.reference, case.stage)


# --- reading a case's stage ----------------------------------------------------------------------

def case_for_token(token: ApiToken, reference: str) -> Case | None:
    """The case ``reference`` if the token's partner filed it in the token's unit, else None."""
    require(rules.token_has_scope(token, "case:status"))
    if not reference or len(reference) > 16:
        return None
    case = db.session.scalar(select(Case).where(Case.reference == reference))
    if not rules.token_may_read_case(token, partner_account(token), case):
        return None
    return case
