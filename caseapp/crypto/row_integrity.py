"""Row MACs: rows that grant access to a child cannot be forged in the database.

Someone who can write the database but does not hold the key file could
otherwise give themselves a case (insert a ``case_assignees`` row), promote
an account (``users.role``), swap in their own password hash, move a case or
a unit, lift a restriction, stretch a break-glass, or forge an account change.
Each such row carries:

* ``access_mac``: a keyed HMAC-SHA256, under a key derived from the key ring
  (kept outside the database), over the table, the row's identity, its
  ``access_version`` and the columns that decide access (``__access_fields__``);
* ``access_version``: a counter raised at each seal, and the same version in a
  "row.sealed" entry of the audit log, written on the same connection in the
  same transaction. A row put back to an older state with its older (genuine)
  MAC no longer matches the newest entry: rollback is caught too.

Written by the ORM as the row is inserted or its access columns change
(mapper events, so no code path can forget it), never for a row whose stored
MAC does not match (:class:`RowIntegrityError`). :func:`is_intact` answers for
an instance: MAC genuine and version current. The layers that decide access
(the login, the permission rules, the scoped query) treat a row that is not
intact as absent and report it. SQL aggregates (counts on dashboards) read
columns without loading rows and are not checked; SECURITY.md says so.

Rows from before this mechanism have no MAC; ``caseapp keys seal-rows``
seals those once, after the upgrade.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, has_app_context
from sqlalchemy import Integer, String, event, inspect, literal, select
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, object_session

import audit

from .errors import CryptoError

_INTACT = "_access_intact"
_ANCHOR = "_access_anchor"  # (version, seq) of the newest "row.sealed" entry, when prefetched
_KEY_CACHE = "caseapp_row_integrity_key"
ANCHOR_ACTION = "row.sealed"


class RowIntegrityError(CryptoError):
    """A change would re-seal a row whose stored MAC did not match."""


def _keys():
    return current_app.extensions["caseapp_keys"]


def _key() -> bytes:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    cached = app.extensions.get(_KEY_CACHE)
    ring = app.extensions["caseapp_keys"]
    if cached is None or cached[0] is not ring:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                       info=b"caseapp/row-integrity").derive(ring.blind_index_key)
        cached = app.extensions[_KEY_CACHE] = (ring, derived)
    return cached[1]


def _text(value: Any) -> str:
    if value is None:
        return "\x00"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _identity_names(cls: type, mapper: Any) -> list[str]:
    """The columns that name the row in its MAC: the primary key, or the
    class's ``__access_identity__`` when the key is only known after the
    INSERT (an autoincrement id)."""
    own = getattr(cls, "__access_identity__", None)
    return list(own) if own else [col.key for col in mapper.primary_key]


def _identity(cls: type, mapper: Any, values: dict[str, Any]) -> str:
    return "/".join(_text(values[name]) for name in _identity_names(cls, mapper))


def anchor_id(table: str, identity: str) -> str:
    """The audit entry's object id for a row (a digest: composite keys are long)."""
    return "row:" + hashlib.sha256(f"{table}|{identity}".encode()).hexdigest()[:40]


def _compute_for(cls: type, mapper: Any, values: dict[str, Any]) -> str:
    parts = [mapper.local_table.name, _identity(cls, mapper, values),
             f"v={_text(values.get('access_version'))}"]
    parts += [f"{name}={_text(values[name])}" for name in cls.__access_fields__]
    message = "\x1f".join(parts).encode("utf-8")
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def compute(obj: Any) -> str:
    """The MAC ``obj`` should carry for its current values."""
    cls = type(obj)
    mapper = inspect(cls)
    names = _identity_names(cls, mapper) + ["access_version", *cls.__access_fields__]
    return _compute_for(cls, mapper, {name: getattr(obj, name) for name in names})


def row_anchor_id(obj: Any) -> str:
    cls = type(obj)
    mapper = inspect(cls)
    values = {name: getattr(obj, name) for name in _identity_names(cls, mapper)}
    return anchor_id(mapper.local_table.name, _identity(cls, mapper, values))


# --- checking ------------------------------------------------------------------------------

def is_intact(obj: Any) -> bool:
    """True when ``obj``'s access columns are as the app last wrote them: the
    MAC is genuine and its version is the newest the audit log knows."""
    unwrap = getattr(obj, "_get_current_object", None)  # Flask-Login's current_user proxy
    if unwrap is not None:
        obj = unwrap()
    known = obj.__dict__.get(_INTACT)
    if known is None:
        known = _check(obj)
    return known


def _check(obj: Any) -> bool:
    stored = obj.access_mac  # loads the row's attributes if they were expired
    intact = bool(stored) and has_app_context() and hmac.compare_digest(stored, compute(obj))
    if intact:
        intact = _anchored(obj)
    obj.__dict__[_INTACT] = intact
    return intact


def _anchored(obj: Any) -> bool:
    anchor = obj.__dict__.get(_ANCHOR)
    session = object_session(obj)
    if anchor is None:
        if session is None:
            return False
        # A decision on one row: its entry must be genuine, not only present
        # (the newest entry and the MAC it chains to, in one statement).
        found = _newest_anchor(session.connection(), row_anchor_id(obj))
        if found is None or not found[1]:
            return False
        return found[0] == obj.access_version
    return anchor[0] == obj.access_version


def _version_of(details: str | None) -> int | None:
    try:
        parsed = json.loads(details or "{}")
    except ValueError:
        return None
    version = parsed.get("version") if isinstance(parsed, dict) else None
    if isinstance(version, int) and not isinstance(version, bool):
        return version
    return None


def _newest_anchor(connection: Any, anchor: str) -> tuple[int, bool] | None:
    """(version, entry genuine) of the newest "row.sealed" entry of ``anchor``
    that names a version, as :func:`_newest_anchors` and
    :func:`audit.entry_is_authentic` would answer together."""
    entries = audit.entries_of_object(connection, _keys().audit_mac_key, ANCHOR_ACTION, anchor)
    try:
        for entry in entries:
            version = _version_of(entry.details)
            if version is not None:
                return version, entry.authentic
        return None
    finally:
        entries.close()


def _newest_anchors(connection: Any, ids: list[str]) -> dict[str, tuple[int, int]]:
    """{anchor id: (version, seq)} of the newest "row.sealed" entry of each."""
    entries = audit.audit_entries
    # Each id is looked up by the object index. On SQLite the action's test is
    # kept off the action's index (``|| ''``): with a sampled ANALYZE that
    # guessed a few hundred entries per action, SQLite read every "row.sealed"
    # entry instead (a million at 1,000,000 cases: 1 s on each list page).
    action = entries.c.action.op("||")(literal("")) \
        if connection.dialect.name == "sqlite" else entries.c.action
    found: dict[str, tuple[int, int]] = {}
    for start in range(0, len(ids), 500):
        rows = connection.execute(
            select(entries.c.object_id, entries.c.seq, entries.c.details)
            .where(action == ANCHOR_ACTION,
                   entries.c.object_id.in_(ids[start:start + 500]))
            .order_by(entries.c.seq)).all()
        for row in rows:
            version = _version_of(row.details)
            if version is not None:
                found[row.object_id] = (version, row.seq)
    return found


def prefetch(objs: Iterable[Any]) -> None:
    """Look up the anchors of many rows in one query (a list page). Entries
    are not MAC-checked one by one here; opening a row checks its own."""
    objs = [o for o in objs if o is not None and _INTACT not in o.__dict__]
    if not objs:
        return
    session = object_session(objs[0])
    if session is None:
        return
    found = _newest_anchors(session.connection(), [row_anchor_id(o) for o in objs])
    for obj in objs:
        anchor = found.get(row_anchor_id(obj))
        obj.__dict__[_ANCHOR] = anchor if anchor is not None else (None, None)


def _check_if_loaded(target: Any) -> None:
    """Check the MAC at load time, while the values are as stored (the app may
    change them in memory before it flushes); the anchor is looked up on use."""
    target.__dict__.pop(_INTACT, None)
    target.__dict__.pop(_ANCHOR, None)
    loaded = target.__dict__
    needed = ("access_mac", "access_version", *target.__access_fields__)
    if all(name in loaded for name in needed):
        stored = loaded.get("access_mac")
        if not stored or not hmac.compare_digest(stored, compute(target)):
            target.__dict__[_INTACT] = False


# --- the mixin and the ORM events ------------------------------------------------------------

class AccessSealed:
    """Mixin: the row carries ``access_mac`` and ``access_version`` over ``__access_fields__``."""

    __access_fields__: ClassVar[tuple[str, ...]] = ()

    @declared_attr
    def access_mac(cls) -> Mapped[str | None]:
        return mapped_column(String(64), nullable=True)

    @declared_attr
    def access_version(cls) -> Mapped[int]:
        return mapped_column(Integer, default=0, server_default="0")


@event.listens_for(AccessSealed, "load", propagate=True)
def _on_load(target: Any, _context: Any) -> None:
    _check_if_loaded(target)


@event.listens_for(AccessSealed, "refresh", propagate=True)
def _on_refresh(target: Any, _context: Any, _attrs: Any) -> None:
    _check_if_loaded(target)


def _apply_defaults(mapper: Any, target: Any) -> None:
    """Column defaults are filled in after before_insert; the MAC must cover
    the values the row will hold, so fill them in now."""
    for name in (*_identity_names(type(target), mapper), *target.__access_fields__):
        if getattr(target, name) is not None:
            continue
        default = mapper.columns[name].default
        if default is None:
            continue
        if default.is_scalar:
            setattr(target, name, default.arg)
        elif default.is_callable:
            setattr(target, name, default.arg(None))


def _seal(connection: Any, target: Any) -> None:
    """Raise the version, MAC the row and anchor the version in the audit log."""
    target.access_version = (target.access_version or 0) + 1
    target.access_mac = compute(target)
    keys = _keys()
    mapper = inspect(type(target))
    seq = audit.append(connection, keys.audit_mac_key, action=ANCHOR_ACTION,
                       actor_type="system", object_type=mapper.local_table.name,
                       object_id=row_anchor_id(target),
                       details={"version": target.access_version})
    target.__dict__[_INTACT] = True
    target.__dict__[_ANCHOR] = (target.access_version, seq)


@event.listens_for(AccessSealed, "before_insert", propagate=True)
def _seal_new(mapper: Any, connection: Any, target: Any) -> None:
    _apply_defaults(mapper, target)
    target.access_version = 0
    _seal(connection, target)


@event.listens_for(AccessSealed, "before_update", propagate=True)
def _reseal_changed(mapper: Any, connection: Any, target: Any) -> None:
    state = inspect(target)
    changed = any(state.attrs[name].history.has_changes() for name in target.__access_fields__)
    if not changed:
        return
    if not _stored_row_intact(mapper, connection, target):
        raise RowIntegrityError(
            f"{type(target).__name__} row {state.identity} is not intact in the database; "
            "refusing to re-seal it")
    _seal(connection, target)


@event.listens_for(AccessSealed, "before_delete", propagate=True)
def _tombstone(_mapper: Any, connection: Any, target: Any) -> None:
    """A deleted row's anchor moves on, so the row put back later with its old
    MAC (a removed assignment restored by hand) does not match."""
    keys = _keys()
    mapper = inspect(type(target))
    audit.append(connection, keys.audit_mac_key, action=ANCHOR_ACTION, actor_type="system",
                 object_type=mapper.local_table.name, object_id=row_anchor_id(target),
                 details={"version": (target.access_version or 0) + 1, "deleted": 1})


def _stored_row_intact(mapper: Any, connection: Any, target: Any) -> bool:
    """Read the row before this update and check its MAC and its anchor: a
    forged row is never re-sealed, whatever the session remembers of it."""
    table = mapper.local_table
    keys = {col.key: getattr(target, col.key) for col in mapper.primary_key}
    where = [table.c[col.name] == keys[col.key] for col in mapper.primary_key]
    row = connection.execute(select(table).where(*where)).mappings().first()
    if row is None or not row["access_mac"]:
        return False
    values = {prop.key: row[prop.columns[0].name] for prop in mapper.column_attrs
              if prop.columns[0].name in row}
    if not hmac.compare_digest(row["access_mac"], _compute_for(type(target), mapper, values)):
        return False
    row_id = anchor_id(table.name, _identity(type(target), mapper, values))
    found = _newest_anchors(connection, [row_id]).get(row_id)
    return found is not None and found[0] == values.get("access_version")


# --- sealing rows from before row MACs ------------------------------------------------------

def sealed_models() -> list[type]:
    """Every mapped class that carries an access MAC."""
    found = []
    stack = list(AccessSealed.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        found.append(cls)
    return sorted(found, key=lambda c: c.__name__)


def unsealed_rows(session: Any, models: list[type]) -> dict[str, list[Any]]:
    """Rows that have no MAC at all, by table (rows from before row MACs)."""
    return {inspect(cls).local_table.name: list(session.scalars(
        select(cls).where(cls.access_mac.is_(None)))) for cls in models}


def seal_rows(session: Any, rows: Iterable[Any]) -> int:
    """MAC and anchor each of ``rows``. A row whose MAC is present but wrong is
    never touched (only rows without any MAC are passed here)."""
    count = 0
    connection = session.connection()
    for row in rows:
        if row.access_mac is not None:
            continue
        _seal(connection, row)
        count += 1
    session.flush()
    return count
