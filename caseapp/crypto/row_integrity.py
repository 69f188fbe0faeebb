"""Row MACs: rows that grant access to a child cannot be forged in the database.

Someone who can write the database but does not hold the key file could
otherwise give themselves a case (insert a ``case_assignees`` row), promote
an account (``users.role``), move a case to their unit, lift a restriction
or stretch a break-glass. Each such row carries ``access_mac``: a keyed
HMAC-SHA256, under a key derived from the key ring (kept outside the
database), over the table, the row's identity and the columns that decide
access (``__access_fields__``).

* Written by the ORM as the row is inserted or its access columns change
  (mapper events, so no code path can forget it) -- but never for a row
  that was already forged when it was loaded: a flush that would bless one
  raises :class:`RowIntegrityError`.
* Checked when the row is loaded; :func:`is_intact` answers for an instance.
  The layers that decide access (the login, the permission rules, the
  scoped query) treat a row that is not intact as absent and report it.
* SQL aggregates (counts on dashboards) read columns without loading rows
  and are not checked; SECURITY.md says so.

Rows from before this mechanism have no MAC; ``caseapp keys seal-rows``
seals those once, after the upgrade.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, has_app_context
from sqlalchemy import String, event, inspect, select
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from .errors import CryptoError

_INTACT = "_access_intact"
_KEY_CACHE = "caseapp_row_integrity_key"


class RowIntegrityError(CryptoError):
    """A change would re-seal a row whose stored MAC did not match."""


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


def compute(obj: Any) -> str:
    """The MAC ``obj`` should carry for its current values."""
    cls = type(obj)
    mapper = inspect(cls)
    names = [col.key for col in mapper.primary_key] + list(cls.__access_fields__)
    return _compute_for(cls, mapper, {name: getattr(obj, name) for name in names})


def is_intact(obj: Any) -> bool:
    """True when ``obj``'s access columns are as the app last wrote them."""
    known = obj.__dict__.get(_INTACT)
    if known is None:
        known = _check(obj)
    return known


def _check(obj: Any) -> bool:
    stored = obj.__dict__.get("access_mac")
    if not stored or not has_app_context():
        intact = False
    else:
        intact = hmac.compare_digest(stored, compute(obj))
    obj.__dict__[_INTACT] = intact
    return intact


class AccessSealed:
    """Mixin: the row carries ``access_mac`` over ``__access_fields__``."""

    __access_fields__: ClassVar[tuple[str, ...]] = ()

    @declared_attr
    def access_mac(cls) -> Mapped[str | None]:
        return mapped_column(String(64), nullable=True)


def _check_if_loaded(target: Any) -> None:
    """Check at load time, while the values are as stored (the app may change
    them in memory before it flushes)."""
    target.__dict__.pop(_INTACT, None)
    loaded = target.__dict__
    if "access_mac" in loaded and all(name in loaded for name in target.__access_fields__):
        _check(target)


@event.listens_for(AccessSealed, "load", propagate=True)
def _on_load(target: Any, _context: Any) -> None:
    _check_if_loaded(target)


@event.listens_for(AccessSealed, "refresh", propagate=True)
def _on_refresh(target: Any, _context: Any, _attrs: Any) -> None:
    _check_if_loaded(target)


def _apply_defaults(mapper: Any, target: Any) -> None:
    """Column defaults are filled in after before_insert; the MAC must cover
    the values the row will hold, so fill them in now."""
    for name in target.__access_fields__:
        if getattr(target, name) is not None:
            continue
        column = mapper.columns[name]
        default = column.default
        if default is None:
            continue
        if default.is_scalar:
            setattr(target, name, default.arg)
        elif default.is_callable:
            setattr(target, name, default.arg(None))


@event.listens_for(AccessSealed, "before_insert", propagate=True)
def _seal_new(mapper: Any, _connection: Any, target: Any) -> None:
    _apply_defaults(mapper, target)
    target.access_mac = compute(target)
    target.__dict__[_INTACT] = True


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
    target.access_mac = compute(target)
    target.__dict__[_INTACT] = True


def _stored_row_intact(mapper: Any, connection: Any, target: Any) -> bool:
    """Read the row before this update and check its MAC: a forged row is
    never re-sealed, whatever the session remembers of it."""
    table = mapper.local_table
    keys = {col.key: getattr(target, col.key) for col in mapper.primary_key}
    where = [table.c[col.name] == keys[col.key] for col in mapper.primary_key]
    row = connection.execute(select(table).where(*where)).mappings().first()
    if row is None or not row["access_mac"]:
        return False
    values = {prop.key: row[prop.columns[0].name] for prop in mapper.column_attrs
              if prop.columns[0].name in row}
    expected = _compute_for(type(target), mapper, values)
    return hmac.compare_digest(row["access_mac"], expected)


def _compute_for(cls: type, mapper: Any, values: dict[str, Any]) -> str:
    identity = [_text(values[col.key]) for col in mapper.primary_key]
    parts = [mapper.local_table.name, *identity]
    parts += [f"{name}={_text(values[name])}" for name in cls.__access_fields__]
    message = "\x1f".join(parts).encode("utf-8")
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def sealed_models() -> list[type]:
    """Every mapped class that carries an access MAC."""
    found = []
    stack = list(AccessSealed.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        found.append(cls)
    return sorted(found, key=lambda c: c.__name__)


def seal_unsealed_rows(session: Any, models: list[type]) -> dict[str, int]:
    """MAC every row that has none (rows from before row MACs). A row whose
    MAC is present but wrong is never touched."""
    counts: dict[str, int] = {}
    for cls in models:
        rows = session.scalars(select(cls).where(cls.access_mac.is_(None))).all()
        for row in rows:
            row.access_mac = compute(row)
        counts[inspect(cls).local_table.name] = len(rows)
    session.flush()
    return counts
