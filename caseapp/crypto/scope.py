"""Key scopes: the only place unwrapped data keys live, and the decryption gate.

A :class:`KeyScope` is opened per request (by :func:`caseapp.crypto.init_app`)
or per command (``with key_scope(keyring): ...``) and held in a context
variable, so each request, thread and asyncio task sees only its own. It
starts empty. A data key enters it only

* through :func:`unlock` with a genuine :class:`~caseapp.crypto.grants.Grant`
  covering the owner (made by ``caseapp.permissions`` after its check), or
* through :func:`new_data_key` when the code creating the record makes its key.

Sealed fields look their key up here and raise
:class:`~caseapp.crypto.errors.AccessNotGranted` when it is absent -- so a
code path that skipped the permission check cannot decrypt. When the scope
closes, its keys are dropped (best effort: Python cannot zero memory that
OpenSSL or the interpreter copied).

A nested ``key_scope()`` starts empty too: least privilege, on purpose.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Connection, bindparam, event, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session, object_session

from caseapp import clock
from caseapp.database import new_id

from . import aead
from .errors import AccessNotGranted, DecryptionError, KeyDestroyed, UnknownKeyVersion
from .grants import Grant, is_genuine
from .keyring import KeyProvider
from .models import DataKey

_current: ContextVar[KeyScope | None] = ContextVar("caseapp_key_scope", default=None)

_IN_CHUNK = 500  # ids per IN (...) when loading data keys
_table_cache: dict[type, str] = {}


def owner_table(cls: type) -> str:
    """The table a key owner's data key is recorded against (the base table)."""
    try:
        return _table_cache[cls]
    except KeyError:
        name = sa_inspect(cls).base_mapper.local_table.name
        _table_cache[cls] = name
        return name


class KeyScope:
    """Unwrapped data keys for one request or command. See the module docs."""

    __slots__ = ("_closed", "_destroyed", "_keys", "_limited", "_provider", "_reload",
                 "grants")

    def __init__(self, provider: KeyProvider, *,
                 reload: Callable[[], KeyProvider | None] | None = None):
        self._provider = provider
        self._reload = reload
        self._keys: dict[str, aead.FieldKey] = {}
        # Keys admitted only by column-limited grants, with the columns they open.
        # Kept apart from _keys so the fast path of a read never admits them.
        self._limited: dict[str, tuple[aead.FieldKey, frozenset[str]]] = {}
        self._destroyed: set[str] = set()
        self._closed = False
        self.grants: list[Grant] = []

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{len(self._keys)} keys"
        return f"<KeyScope {state}>"

    def __reduce__(self):
        raise TypeError("key scopes cannot be pickled")

    @property
    def provider(self) -> KeyProvider:
        return self._provider

    def holds(self, key_id: str) -> bool:
        return key_id in self._keys

    def key(self, key_id: str | None, column: str | None = None) -> aead.FieldKey:
        """The unwrapped key ``key_id`` for ``column`` ("table.column"), or
        AccessNotGranted / KeyDestroyed."""
        found = self._keys.get(key_id) if key_id is not None else None
        if found is not None:
            return found
        limited = self._limited.get(key_id) if key_id is not None else None
        if limited is not None:
            if column is not None and column in limited[1]:
                return limited[0]
            raise AccessNotGranted(f"data key {key_id} is open here for other columns only "
                                   f"(not {column})")
        if key_id in self._destroyed:
            raise KeyDestroyed(key_id)
        if key_id is None:
            raise AccessNotGranted("the record has no data key yet (call new_data_key first)")
        raise AccessNotGranted(f"data key {key_id} is not unlocked in this scope "
                               "(no grant was presented for its owner)")

    def forget(self, key_id: str, *, destroyed: bool = False) -> None:
        self._keys.pop(key_id, None)
        self._limited.pop(key_id, None)
        if destroyed:
            self._destroyed.add(key_id)

    def close(self) -> None:
        self._keys.clear()
        self._limited.clear()
        self._destroyed.clear()
        self.grants.clear()
        self._closed = True

    # --- internals used by unlock / new_data_key -------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise AccessNotGranted("the key scope is closed")

    def _add(self, key_id: str, dek: bytes, columns: frozenset[str] | None = None
             ) -> aead.FieldKey:
        self._check_open()
        fk = aead.FieldKey(key_id, dek)
        if columns is None:
            self._keys[key_id] = fk
        else:
            self._limited[key_id] = (fk, columns)
        self._destroyed.discard(key_id)
        return fk

    def _widen(self, key_id: str, columns: frozenset[str] | None) -> bool:
        """A key already admitted for some columns: admit it for ``columns`` too
        (None: for all). False when the key is not held at all."""
        held = self._limited.get(key_id)
        if held is None:
            return False
        if columns is None:
            self._keys[key_id] = self._limited.pop(key_id)[0]
        else:
            self._limited[key_id] = (held[0], held[1] | columns)
        return True

    def _unwrap(self, dk: Any) -> bytes:
        try:
            return self._provider.unwrap(dk.wrapped, data_key_id=dk.id, version=dk.kek_version)
        except UnknownKeyVersion:
            # Another process may have rotated to a version this one has not
            # loaded yet: reload the key ring once, then retry.
            fresh = self._reload() if self._reload else None
            if fresh is None or not fresh.has_version(dk.kek_version):
                raise
            self._provider = fresh
            return fresh.unwrap(dk.wrapped, data_key_id=dk.id, version=dk.kek_version)


def current_scope() -> KeyScope | None:
    """The key scope of the running request/command, or None."""
    return _current.get()


def require_scope() -> KeyScope:
    scope = _current.get()
    if scope is None:
        raise AccessNotGranted("no key scope is open (open one with key_scope())")
    scope._check_open()
    return scope


@contextmanager
def key_scope(provider: KeyProvider | None = None, *,
              reload: Callable[[], KeyProvider | None] | None = None) -> Iterator[KeyScope]:
    """Open an empty key scope for the enclosed block.

    Without ``provider``, uses the Flask app's key ring (:func:`current_keyring`).
    """
    if provider is None:
        from .integration import _app_reloader, current_keyring

        provider = current_keyring()
        reload = reload or _app_reloader()
    scope = KeyScope(provider, reload=reload)
    token = _current.set(scope)
    try:
        yield scope
    finally:
        scope.close()
        _current.reset(token)


def _owners(owner: Any) -> list[Any]:
    if isinstance(owner, list | tuple | set | frozenset):
        return list(owner)
    if hasattr(owner, "data_key_id"):
        return [owner]
    if isinstance(owner, Iterable):
        return list(owner)
    return [owner]


_KEY_COLUMNS = DataKey.__table__.c
_SELECT_KEYS = (select(_KEY_COLUMNS.id, _KEY_COLUMNS.owner_table, _KEY_COLUMNS.owner_id,
                       _KEY_COLUMNS.kek_version, _KEY_COLUMNS.wrapped)
                .where(_KEY_COLUMNS.id.in_(bindparam("key_ids", expanding=True))))
_INSERT_KEY = DataKey.__table__.insert()


def _connection(session: Session) -> Connection:
    return session.connection(bind_arguments={"mapper": sa_inspect(DataKey)})


def unlock(owner: Any, *, grant: Grant, session: Session | None = None) -> None:
    """Admit the data key(s) of ``owner`` (one key owner or several) to the scope.

    ``grant`` must be a genuine Grant covering every owner's id. Each data key
    is unwrapped once per scope. Its row comes from ``owner.data_key`` when
    that was eager-loaded with the owner (``joinedload(Case.data_key)``: no
    extra query), else from one query per 500 owners. Each key is checked to
    belong to its owner (table and id). A destroyed key is remembered so
    reads raise :class:`KeyDestroyed`. Raises AccessNotGranted without a scope
    or a covering grant, DecryptionError for a tampered or misplaced key.
    """
    scope = require_scope()
    if not is_genuine(grant):
        raise AccessNotGranted("unlock needs a Grant issued by caseapp.permissions")
    owners = _owners(owner)
    wanted, rows = _wanted_keys(scope, owners, grant)
    missing = [k for k in wanted if k not in rows]
    if missing:
        rows.update(_load_keys(missing, owners, session))
    for key_id, (table, oid) in wanted.items():
        row = rows.get(key_id)
        if row is None:
            raise DecryptionError(f"data key {key_id} does not exist", table=table,
                                  column="data_key_id", row_id=oid)
        if row.owner_table != table or row.owner_id != oid:
            raise DecryptionError(f"data key {key_id} belongs to another record",
                                  table=table, column="data_key_id", row_id=oid)
        if row.wrapped is None:
            scope.forget(key_id, destroyed=True)
            continue
        scope._add(key_id, scope._unwrap(row), grant.columns)
    scope.grants.append(grant)


def _wanted_keys(scope: KeyScope, owners: list, grant: Grant
                 ) -> tuple[dict[str, tuple[str, str]], dict[str, Any]]:
    """The keys to unwrap ({key id: (owner table, owner id)}) and the rows already
    eager-loaded with their owners."""
    wanted: dict[str, tuple[str, str]] = {}
    rows: dict[str, Any] = {}
    for obj in owners:
        if not hasattr(obj, "data_key_id"):
            raise TypeError(f"{type(obj).__name__} owns no data key; unlock its key owner")
        table = owner_table(type(obj))
        if not grant.covers(obj.id):
            raise AccessNotGranted(f"the grant does not cover {table} {obj.id}")
        key_id = obj.data_key_id
        if key_id is None or key_id in scope._keys or key_id in scope._destroyed \
                or scope._widen(key_id, grant.columns):
            continue
        previous = wanted.setdefault(key_id, (table, obj.id))
        if previous != (table, obj.id):
            raise DecryptionError(f"data key {key_id} is claimed by two records",
                                  table=table, column="data_key_id", row_id=obj.id)
        loaded = obj.__dict__.get("data_key")  # eager-loaded with the owner?
        if isinstance(loaded, DataKey) and loaded.id == key_id and \
                "wrapped" in loaded.__dict__:
            rows[key_id] = loaded
    return wanted, rows


def _load_keys(missing: list[str], owners: list, session: Session | None) -> dict[str, Any]:
    """One query per 500 keys, on the owners' session."""
    if session is None:
        session = next((s for s in map(object_session, owners) if s is not None), None)
    if session is None:
        raise ValueError("the owners are in no session; pass session=")
    _insert_pending(session)
    conn = _connection(session)
    rows: dict[str, Any] = {}
    for i in range(0, len(missing), _IN_CHUNK):
        for row in conn.execute(_SELECT_KEYS, {"key_ids": missing[i:i + _IN_CHUNK]}):
            rows[row.id] = row
    return rows


_PENDING = "caseapp.crypto.pending_data_keys"


def _insert_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        _connection(session).execute(_INSERT_KEY, pending)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    # New data keys go in first, in one executemany, ahead of their owners' rows.
    _insert_pending(session)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous: Any) -> None:
    session.info.pop(_PENDING, None)


def new_data_key(session: Session, owner: Any) -> str:
    """Create ``owner``'s data key, wrapped under the current KEK, and admit it.

    The creator of a record is authorised for it, so no grant is needed. The
    ``data_keys`` row is inserted at the session's next flush, ahead of the
    owner's row and in the same transaction (many new keys: one executemany);
    a rollback drops it. Sets ``owner.data_key_id`` (assigning ``owner.id`` if
    still unset) and returns the new key's id.
    """
    scope = require_scope()
    if getattr(owner, "data_key_id", None) is not None:
        raise ValueError("this record already has a data key")
    if getattr(owner, "id", None) is None:
        owner.id = new_id()
    key_id = new_id()
    dek = aead.new_data_key_bytes()
    version, wrapped = scope.provider.wrap(dek, data_key_id=key_id)
    session.info.setdefault(_PENDING, []).append({
        "id": key_id, "owner_table": owner_table(type(owner)), "owner_id": owner.id,
        "kek_version": version, "wrapped": wrapped, "created_at": clock.now()})
    owner.data_key_id = key_id
    scope._add(key_id, dek)
    return key_id
