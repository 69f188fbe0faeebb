"""Declaring encrypted fields: ``child_name = Sealed(str)``, one line.

A :class:`Sealed` descriptor, assigned in a model class body, adds (from
``__set_name__``, which runs inside ``type.__new__`` before SQLAlchemy's
declarative scan in ``__init_subclass__``) a nullable ``LargeBinary`` column
named like the field, mapped under the private attribute ``_sealed_<name>``.
Reading and writing the field goes through the current key scope:

* ``obj.field`` decrypts with the owner's data key, or raises
  AccessNotGranted (key not unlocked), KeyDestroyed (shredded), or
  DecryptionError (tampered / moved / wrong key) -- never garbage;
* ``obj.field = value`` encrypts at once; only ciphertext is ever in the
  instance state, the session or the database;
* ``Model.field`` (on the class) returns the descriptor itself, whose repr
  names the column only. It cannot be compared in SQL (raises TypeError):
  search with a blind index instead.

Nothing is cached in clear: every read decrypts (a few microseconds), so a
closed scope makes an object already in memory unreadable too. Reading a
``Sealed(dict)`` returns a fresh dict each time: assign to change it.

An empty field is NULL, not a ciphertext; a NULL can therefore be
substituted for a value by someone who can write the database (the audit
log and backups are the defence there).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from operator import attrgetter, methodcaller
from typing import Any, ClassVar, Generic, NamedTuple, TypeVar, overload

from sqlalchemy import Integer, LargeBinary, String, event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Mapped, configure_mappers, declared_attr, mapped_column
from sqlalchemy.sql.elements import ClauseElement

from caseapp.database import UTCDateTime, new_id

from . import aead
from .errors import AccessNotGranted, DecryptionError
from .scope import _current, owner_table

T = TypeVar("T")


# --- codecs: python value <-> plaintext bytes ----------------------------------------------

class Codec(Generic[T]):
    python_type: type

    def encode(self, value: T) -> bytes:
        raise NotImplementedError

    def decode(self, raw: bytes) -> T:
        raise NotImplementedError

    def check(self, value: Any) -> bool:
        return isinstance(value, self.python_type)


class StrCodec(Codec[str]):
    python_type = str

    def encode(self, value: str) -> bytes:
        try:
            return value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("text cannot be encoded as UTF-8 (lone surrogate)") from None

    def decode(self, raw: bytes) -> str:
        return raw.decode("utf-8")


class BytesCodec(Codec[bytes]):
    python_type = bytes

    def check(self, value: Any) -> bool:
        return isinstance(value, bytes | bytearray | memoryview)

    def encode(self, value: bytes) -> bytes:
        return bytes(value)

    def decode(self, raw: bytes) -> bytes:
        return bytes(raw)


class DateCodec(Codec[date]):
    python_type = date

    def check(self, value: Any) -> bool:
        return isinstance(value, date) and not isinstance(value, datetime)

    def encode(self, value: date) -> bytes:
        return value.isoformat().encode("ascii")

    def decode(self, raw: bytes) -> date:
        return date.fromisoformat(raw.decode("ascii"))


class DateTimeCodec(Codec[datetime]):
    python_type = datetime

    def encode(self, value: datetime) -> bytes:
        return value.isoformat().encode("ascii")

    def decode(self, raw: bytes) -> datetime:
        return datetime.fromisoformat(raw.decode("ascii"))


class IntCodec(Codec[int]):
    python_type = int

    def check(self, value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    def encode(self, value: int) -> bytes:
        return str(int(value)).encode("ascii")

    def decode(self, raw: bytes) -> int:
        return int(raw.decode("ascii"))


class JsonCodec(Codec[Any]):
    """JSON (UTF-8, compact, key order kept) for ``dict`` or ``list`` fields."""

    def __init__(self, python_type: type):
        self.python_type = python_type

    def encode(self, value: Any) -> bytes:
        try:
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                              allow_nan=False).encode("utf-8")
        except (TypeError, ValueError):
            # json's message can quote the offending value: do not pass it on.
            raise TypeError(f"value is not JSON-serialisable as a {self.python_type.__name__}"
                            ) from None

    def decode(self, raw: bytes) -> Any:
        value = json.loads(raw.decode("utf-8"))
        if not isinstance(value, self.python_type):
            raise TypeError("decoded JSON has the wrong type")
        return value


_QUERY_LIKE = (str, bytes, bytearray, memoryview, int, float, date, dict, list, tuple, set,
               ClauseElement)

_CODECS: dict[type, Codec[Any]] = {
    str: StrCodec(), bytes: BytesCodec(), date: DateCodec(), datetime: DateTimeCodec(),
    int: IntCodec(), dict: JsonCodec(dict), list: JsonCodec(list),
}


# --- the descriptor ------------------------------------------------------------------------

class Sealed(Generic[T]):
    """An encrypted model field holding ``python_type`` values (or None).

    ``python_type`` is one of str, bytes, date, datetime, int, dict, list;
    or pass ``codec=`` (a :class:`Codec`) for anything else.
    """

    def __init__(self, python_type: type[T], *, codec: Codec[T] | None = None,
                 doc: str | None = None):
        if codec is None:
            try:
                codec = _CODECS[python_type]
            except KeyError:
                raise TypeError(f"no codec for {python_type!r}; pass codec=") from None
        self.python_type = python_type
        self.codec = codec
        self.__doc__ = doc
        self.name: str = ""
        self.private: str = ""
        self.owner: type | None = None
        # per mapped class (a Sealed on a mixin serves several tables)
        self._tables: dict[type, str] = {}
        self._prefixes: dict[type, bytes] = {}

    def __set_name__(self, owner: type, name: str) -> None:
        if self.owner is not None:
            raise TypeError("a Sealed() instance can be assigned to one attribute only")
        self.name = name
        self.private = f"_sealed_{name}"
        self.owner = owner
        if self.private in owner.__dict__:
            raise TypeError(f"{owner.__name__}.{self.private} is reserved for Sealed({name})")
        # Runs inside type.__new__, before DeclarativeBase.__init_subclass__
        # scans the class: the declarative scan then maps this column.
        setattr(owner, self.private, mapped_column(name, LargeBinary, nullable=True))

    # --- metadata ---------------------------------------------------------------------------

    @property
    def column_name(self) -> str:
        return self.name

    @property
    def table_name(self) -> str:
        """The table of the class that declared the field (see :meth:`table_for`)."""
        return self.table_for(self.owner)

    def table_for(self, cls: type) -> str:
        """The table holding this field's column for mapped class ``cls``."""
        found = self._tables.get(cls)
        if found is None:
            found = sa_inspect(cls).columns[self.private].table.name
            self._tables[cls] = found
        return found

    @property
    def column_attr(self) -> Any:
        """The mapped ciphertext column, e.g. for ``Model.field.column_attr.is_(None)``."""
        return getattr(self.owner, self.private)

    def _aad_prefix(self, cls: type) -> bytes:
        prefix = self._prefixes[cls] = aead.field_aad_prefix(self.table_for(cls), self.name)
        return prefix

    def __repr__(self) -> str:
        owner = self.owner.__name__ if self.owner else "?"
        return f"<Sealed({self.python_type.__name__}) {owner}.{self.name}>"

    # ``Model.field == value`` would silently build ``WHERE false``: refuse it.
    # Other comparisons (introspection tools, ``in`` on lists) fall back to identity.
    def __eq__(self, other: object) -> bool:  # type: ignore[override]
        if isinstance(other, Sealed):
            return self is other
        if other is None or isinstance(other, _QUERY_LIKE):
            raise TypeError(f"sealed field {self.name!r} cannot be compared or queried in "
                            "SQL; use a blind index")
        return NotImplemented

    def __ne__(self, other: object) -> bool:  # type: ignore[override]
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = object.__hash__

    # --- access -----------------------------------------------------------------------------

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> Sealed[T]: ...

    @overload
    def __get__(self, obj: object, objtype: type | None = None) -> T | None: ...

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        scope = _current.get()
        if scope is None:
            raise AccessNotGranted("no key scope is open")
        cls = type(obj)
        plan = _PLANS.get(cls) or _plan(cls)
        state = obj.__dict__
        # Loaded columns straight from the instance dict (the hot path); an
        # expired or unloaded one through the ORM.
        key_id = state["data_key_id"] if plan.own_key and "data_key_id" in state \
            else plan.key_id(obj)
        key = scope._keys.get(key_id)
        if key is None:  # raises AccessNotGranted / KeyDestroyed
            key = scope.key(key_id, f"{self.table_for(cls)}.{self.name}")
        row_id = state.get("id") or obj.id
        if plan.own_key:  # the hot path of _check_place: the record is its own key owner
            if scope._places.get(key_id) != (plan.owner_table, row_id):
                _check_place(scope, key_id, plan, obj)
        else:
            _check_place(scope, key_id, plan, obj)
        private = self.private
        blob = state[private] if private in state else getattr(obj, private)
        if blob is None:
            return None
        prefix = self._prefixes.get(cls) or self._aad_prefix(cls)
        bound = row_id if plan.own_key else _bound_row_id(cls, obj)
        try:
            raw = key.open(blob, prefix, bound, table=self._tables[cls], column=self.name)
        except DecryptionError:
            if bound == row_id:
                raise
            # Written before records bound their owner's id: the record's own id only.
            raw = key.open(blob, prefix, row_id, table=self._tables[cls], column=self.name)
        try:
            return self.codec.decode(raw)
        except (ValueError, TypeError):
            raise DecryptionError("sealed value does not decode as "
                                  f"{self.python_type.__name__}", table=self._tables[cls],
                                  column=self.name, row_id=row_id) from None

    def __set__(self, obj: Any, value: T | None) -> None:
        if value is not None and not self.codec.check(value):
            raise TypeError(f"{type(obj).__name__}.{self.name} holds "
                            f"{self.python_type.__name__}, not {type(value).__name__}")
        scope = _current.get()
        if scope is None:
            raise AccessNotGranted("no key scope is open")
        cls = type(obj)
        plan = _PLANS.get(cls) or _plan(cls)
        state = obj.__dict__
        key_id = state["data_key_id"] if plan.own_key and "data_key_id" in state \
            else plan.key_id(obj)
        key = scope._keys.get(key_id)
        if key is None:
            key = scope.key(key_id, f"{self.table_for(cls)}.{self.name}")
        row_id = state.get("id") or obj.id
        if not plan.own_key or row_id is None \
                or scope._places.get(key_id) != (plan.owner_table, row_id):
            _check_place(scope, key_id, plan, obj)
        if value is None:
            setattr(obj, self.private, None)
            return
        if row_id is None:
            row_id = obj.id = new_id()
        bound = row_id if plan.own_key else _bound_row_id(cls, obj)
        setattr(obj, self.private, self._seal(cls, key, value, bound))

    def _seal(self, cls: type, key: aead.FieldKey, value: T, bound: str) -> bytes:
        prefix = self._prefixes.get(cls) or self._aad_prefix(cls)
        return key.seal(self.codec.encode(value), prefix, bound)

    def seal_for_row(self, cls: type, key: aead.FieldKey, value: T | None, row_id: str, *,
                     owner_id: str | None = None) -> bytes | None:
        """The stored bytes of ``row.<field> = value`` for row ``row_id`` of mapped
        class ``cls`` under the unwrapped data ``key``: what the descriptor writes,
        for a bulk writer that inserts rows with SQL (``caseapp demo-data``).
        ``owner_id``: the key owner's id for a record of a case
        (``__sealed_key_owner__``), bound as the descriptor binds it."""
        if value is None:
            return None
        if not self.codec.check(value):
            raise TypeError(f"{cls.__name__}.{self.name} holds "
                            f"{self.python_type.__name__}, not {type(value).__name__}")
        return self._seal(cls, key, value, row_id if owner_id is None
                          else f"{row_id}@{owner_id}")

    def __delete__(self, obj: Any) -> None:
        self.__set__(obj, None)


class _Plan(NamedTuple):
    """How instances of a class find their data key (cached per class: hot path)."""

    key_id: Callable[[Any], str | None]
    own_key: bool  # the record's own ``data_key_id``, bound to its own id only
    owner_table: str | None  # where an own key is admitted from (own_key only)


_PLANS: dict[type, _Plan] = {}


def _key_owner(cls: type, obj: Any) -> Any:
    """The record owning ``obj``'s data key: itself, or the end of its
    ``__sealed_key_owner__`` path (None when the path ends early)."""
    path = getattr(cls, "__sealed_key_owner__", None)
    if not path:
        return obj
    owner: Any = obj
    for part in path.split("."):
        owner = getattr(owner, part)
        if owner is None:
            return None
    return owner


def _check_place(scope: Any, key_id: str | None, plan: _Plan, obj: Any) -> None:
    """The key was admitted from this record's own key owner, not from another
    row that holds a copy of it (see KeyScope._places)."""
    owner = obj if plan.own_key else _key_owner(type(obj), obj)
    place = scope._places.get(key_id)
    if owner is None or place is None or place != (owner_table(type(owner)), owner.id):
        raise AccessNotGranted(f"data key {key_id} was not admitted for this record's owner")


def _bound_row_id(cls: type, obj: Any) -> str:
    """The row id as bound in associated data: a record of a case (any
    ``__sealed_key_owner__``) binds its owner's id too, so a record moved to
    another case (its ``case_id`` rewritten, the keys swapped) fails to open."""
    path = getattr(cls, "__sealed_key_owner__", None)
    if not path:
        return obj.id
    owner: Any = obj
    for part in path.split("."):
        owner = getattr(owner, part)
        if owner is None:
            return obj.id
    return f"{obj.id}@{owner.id}"


def _plan(cls: type) -> _Plan:
    own = getattr(cls, "sealed_key_id", None)
    no_path = getattr(cls, "__sealed_key_owner__", None) is None
    if own is SealedRecord.sealed_key_id and no_path:
        plan = _Plan(attrgetter("data_key_id"), True, owner_table(cls))
    elif own is not None:
        plan = _Plan(methodcaller("sealed_key_id"), False, None)
    else:
        plan = _Plan(attrgetter("data_key_id"), no_path, owner_table(cls) if no_path else None)
    _PLANS[cls] = plan
    return plan


def sealed_fields(cls: type) -> dict[str, Sealed[Any]]:
    """The Sealed fields of a model class (including inherited ones), by name."""
    found: dict[str, Sealed[Any]] = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, Sealed):
                found[name] = value
    return found


# --- mixins ------------------------------------------------------------------------------

class SealedRecord:
    """Mixin for a model with Sealed fields. Needs ``id``: a UUID string primary
    key (assigned here at construction if not given; never change it).

    The data key is the record's own (``data_key_id``, see :class:`SealedOwner`)
    unless ``__sealed_key_owner__`` names an attribute path to the key owner,
    e.g. ``"case"`` for a note that uses its case's key. Associated data still
    binds the record's own table, column and id. Override :meth:`sealed_key_id`
    for anything else.
    """

    __sealed_key_owner__: ClassVar[str | None] = None

    def sealed_key_id(self) -> str | None:
        path = type(self).__sealed_key_owner__
        if path is None:
            return self.data_key_id  # type: ignore[attr-defined, no-any-return]
        target: Any = self
        for part in path.split("."):
            target = getattr(target, part)
            if target is None:
                return None
        return target.sealed_key_id()  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {getattr(self, 'id', None)}>"


@event.listens_for(SealedRecord, "init", propagate=True)
def _assign_id_at_construction(target: Any, args: tuple, kwargs: dict) -> None:
    # Row ids take part in associated data, so they exist before any field is set.
    if kwargs.get("id") is None:
        # This listener can run before the mapper's own first-init hook.
        configure_mappers()
        if target.id is None:
            target.id = new_id()


class SealedOwner(SealedRecord):
    """Mixin for a record that owns a data key (a case; a user's TOTP secret).

    The key lives on the owner's own row, wrapped, in four columns that come
    with every load of the owner (so :func:`~caseapp.crypto.unlock` needs no
    query of its own):

    * ``data_key_id``: the key's own id (a UUID, unique per table), named in
      every sealed value's header and associated data and in the wrap's
      associated data -- a key copied to another row opens nothing there;
    * ``data_key_wrapped``: the data key wrapped by KEK ``data_key_version``
      (NULL once destroyed);
    * ``data_key_version``: the KEK version (indexed: rotation walks by it);
    * ``data_key_destroyed_at``: when the key was shredded (a key restored
      into ``data_key_wrapped`` later is still refused).

    ``__key_destroyed_with__`` may name a column that, once set, means the key
    was shredded whatever the key columns say (a case's ``purged_at``, which
    its row MAC covers): so a wrapped key put back from an old copy, with
    ``data_key_destroyed_at`` cleared too, still opens nothing.

    The model still declares its ``id`` (UUID string primary key).
    """

    __key_destroyed_with__: ClassVar[str | None] = None

    @declared_attr
    def data_key_id(cls) -> Mapped[str | None]:
        # unique: one data key never serves two records (shredding one must not hit another)
        return mapped_column(String(36), index=True, unique=True, nullable=True)

    @declared_attr
    def data_key_wrapped(cls) -> Mapped[bytes | None]:
        return mapped_column(LargeBinary, nullable=True)

    @declared_attr
    def data_key_version(cls) -> Mapped[int | None]:
        return mapped_column(Integer, index=True, nullable=True)

    @declared_attr
    def data_key_destroyed_at(cls) -> Mapped[datetime | None]:
        return mapped_column(UTCDateTime, nullable=True)

    @property
    def data_key_destroyed(self) -> bool:
        """True once the key was shredded (its fields are unreadable for good)."""
        return self.data_key_destroyed_at is not None or (
            self.data_key_id is not None and self.data_key_wrapped is None)


def owner_classes() -> dict[str, type]:
    """Every mapped key owner (any metadata) by its base table's name: the base
    class of each :class:`SealedOwner` subclass. Two classes mapping the same
    table name (test models) count once."""
    found: dict[str, type] = {}
    todo = list(SealedOwner.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        mapper = sa_inspect(cls, raiseerr=False)
        if mapper is None:
            continue
        base = mapper.base_mapper
        found.setdefault(base.local_table.name, base.class_)
    return found
