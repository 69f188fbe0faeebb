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

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from caseapp.database import new_id

from . import aead
from .errors import AccessNotGranted, DecryptionError, KeyDestroyed, UnknownKeyVersion
from .grants import Grant, is_genuine
from .keyring import KeyProvider

_current: ContextVar[KeyScope | None] = ContextVar("caseapp_key_scope", default=None)

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

    __slots__ = ("_closed", "_destroyed", "_keys", "_limited", "_places", "_provider",
                 "_reload", "grants")

    def __init__(self, provider: KeyProvider, *,
                 reload: Callable[[], KeyProvider | None] | None = None):
        self._provider = provider
        self._reload = reload
        self._keys: dict[str, aead.FieldKey] = {}
        # Keys admitted only by column-limited grants, with the columns they open.
        # Kept apart from _keys so the fast path of a read never admits them.
        self._limited: dict[str, tuple[aead.FieldKey, frozenset[str]]] = {}
        self._destroyed: set[str] = set()
        # The row each admitted key came from ((table, id)): a key opens only the
        # fields of that owner and its records, so a key copied onto another
        # owner's row (a kept form has no row MAC) and unlocked there opens
        # nothing of the owner it was taken from.
        self._places: dict[str, tuple[str, Any]] = {}
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

    def place(self, key_id: str) -> tuple[str, Any] | None:
        """The owner row (table, id) key ``key_id`` was admitted from."""
        return self._places.get(key_id)

    def close(self) -> None:
        self._places.clear()
        self._keys.clear()
        self._limited.clear()
        self._destroyed.clear()
        self.grants.clear()
        self._closed = True

    # --- internals used by unlock / new_data_key -------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise AccessNotGranted("the key scope is closed")

    def _add(self, key_id: str, dek: bytes, place: tuple[str, Any],
             columns: frozenset[str] | None = None) -> aead.FieldKey:
        self._check_open()
        known = self._places.setdefault(key_id, place)
        if known != place:
            raise DecryptionError(f"data key {key_id} is claimed by two records",
                                  table=place[0], column="data_key_id", row_id=place[1])
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

    def _unwrap(self, key_id: str, wrapped: bytes, version: int | None) -> bytes:
        if version is None:
            raise DecryptionError(f"data key {key_id} has no KEK version",
                                  column="data_key_version", row_id=key_id)
        try:
            return self._provider.unwrap(wrapped, data_key_id=key_id, version=version)
        except UnknownKeyVersion:
            # Another process may have rotated to a version this one has not
            # loaded yet: reload the key ring once, then retry.
            fresh = self._reload() if self._reload else None
            if fresh is None or not fresh.has_version(version):
                raise
            self._provider = fresh
            return fresh.unwrap(wrapped, data_key_id=key_id, version=version)


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


def unlock(owner: Any, *, grant: Grant, session: Session | None = None) -> None:
    """Admit the data key(s) of ``owner`` (one key owner or several) to the scope.

    ``grant`` must be a genuine Grant covering every owner's id. Each data key
    is unwrapped once per scope, from the owner's own columns (they come with
    the owner row: no query). A destroyed key is remembered so reads raise
    :class:`KeyDestroyed`. Raises AccessNotGranted without a scope or a
    covering grant, DecryptionError for a tampered or misplaced key.
    ``session`` is accepted for compatibility and not needed.
    """
    scope = require_scope()
    if not is_genuine(grant):
        raise AccessNotGranted("unlock needs a Grant issued by caseapp.permissions")
    columns = grant.columns
    claimed: dict[str, tuple[str, str]] = {}
    for obj in _owners(owner):
        if not hasattr(obj, "data_key_id"):
            raise TypeError(f"{type(obj).__name__} owns no data key; unlock its key owner")
        if not grant.covers(obj.id):
            raise AccessNotGranted(f"the grant does not cover {owner_table(type(obj))} {obj.id}")
        key_id = obj.data_key_id
        if key_id is None:
            continue
        place = (owner_table(type(obj)), obj.id)
        if claimed.setdefault(key_id, place) != place:
            raise DecryptionError(f"data key {key_id} is claimed by two records",
                                  table=place[0], column="data_key_id", row_id=obj.id)
        known = scope._places.get(key_id)
        if known is not None and known != place:
            raise DecryptionError(f"data key {key_id} is claimed by two records",
                                  table=place[0], column="data_key_id", row_id=obj.id)
        if key_id in scope._keys or key_id in scope._destroyed \
                or scope._widen(key_id, columns):
            continue
        wrapped = obj.data_key_wrapped
        marker = type(obj).__key_destroyed_with__
        if wrapped is None or obj.data_key_destroyed_at is not None or (
                marker is not None and getattr(obj, marker) is not None):
            # Shredded. A wrapped key put back later (from an old copy) is still refused.
            scope.forget(key_id, destroyed=True)
            continue
        scope._add(key_id, scope._unwrap(key_id, wrapped, obj.data_key_version), place,
                   columns)
    scope.grants.append(grant)


def new_data_key(session: Session, owner: Any) -> str:
    """Create ``owner``'s data key, wrapped under the current KEK, and admit it.

    The creator of a record is authorised for it, so no grant is needed. The
    wrapped key is set on the owner's own columns and so written with the
    owner's row, in the same statement; a rollback drops it. Sets
    ``owner.data_key_id`` (assigning ``owner.id`` if still unset) and returns
    the new key's id. ``session`` is the owner's session (kept in the
    signature for callers; nothing else is written).
    """
    scope = require_scope()
    if getattr(owner, "data_key_id", None) is not None:
        raise ValueError("this record already has a data key")
    if getattr(owner, "id", None) is None:
        owner.id = new_id()
    key_id = new_id()
    dek = aead.new_data_key_bytes()
    version, wrapped = scope.provider.wrap(dek, data_key_id=key_id)
    owner.data_key_id = key_id
    owner.data_key_wrapped = wrapped
    owner.data_key_version = version
    scope._add(key_id, dek, (owner_table(type(owner)), owner.id))
    return key_id
