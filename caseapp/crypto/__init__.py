"""Field encryption for caseapp: envelope encryption with per-owner data keys.

Declaring (one line per field)::

    class Case(db.Model, SealedOwner):
        id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
        child_name = Sealed(str)
        date_of_birth = Sealed(date)

    class CaseNote(db.Model, SealedRecord):
        __sealed_key_owner__ = "case"          # uses the case's data key
        id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
        case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
        case: Mapped[Case] = relationship()
        text = Sealed(str)

Using (inside a request, where init_app opened a key scope)::

    case = Case(unit_id=unit.id)
    new_data_key(db.session, case)             # the creator is authorised
    case.child_name = "Nguyễn Thị Lan"
    ...
    unlock(case, grant=permissions.grant_view(user, case))   # after the check
    case.child_name                            # -> "Nguyễn Thị Lan"

Without the grant the read raises AccessNotGranted. See the submodules:
:mod:`.aead` (formats), :mod:`.keyring`, :mod:`.scope`, :mod:`.grants`,
:mod:`.fields`, :mod:`.rotation`, :mod:`.shredding`, :mod:`.blind_index`.
"""
from __future__ import annotations

from .blind_index import bits_for_population, blind_index, blind_index_hex
from .errors import (
    AccessNotGranted,
    CryptoError,
    DecryptionError,
    IssuerNotAllowed,
    KeyDestroyed,
    KeyFileInsecure,
    KeyRingError,
    KeysMissing,
    RetireRefused,
    RotationError,
    ScrubIncomplete,
    UnknownKeyVersion,
)
from .fields import Codec, Sealed, SealedOwner, SealedRecord, owner_classes, sealed_fields
from .grants import Grant
from .integration import current_keyring, init_app, reload_keyring
from .keyring import KeyProvider, KeyRing, load_keyring, write_keyfile
from .rotation import add_kek_version, key_status, retire_version, rotate_data_keys
from .scope import KeyScope, current_scope, key_scope, new_data_key, unlock
from .shredding import (
    READ_ONLY_OPTIONS,
    configure_sqlite_engine,
    destroy_data_key,
    destroy_owner_key,
    sqlite_scrub,
)

__all__ = [
    "READ_ONLY_OPTIONS",
    "AccessNotGranted",
    "Codec",
    "CryptoError",
    "DecryptionError",
    "Grant",
    "IssuerNotAllowed",
    "KeyDestroyed",
    "KeyFileInsecure",
    "KeyProvider",
    "KeyRing",
    "KeyRingError",
    "KeyScope",
    "KeysMissing",
    "RetireRefused",
    "RotationError",
    "ScrubIncomplete",
    "Sealed",
    "SealedOwner",
    "SealedRecord",
    "UnknownKeyVersion",
    "add_kek_version",
    "bits_for_population",
    "blind_index",
    "blind_index_hex",
    "configure_sqlite_engine",
    "current_keyring",
    "current_scope",
    "destroy_data_key",
    "destroy_owner_key",
    "init_app",
    "key_scope",
    "key_status",
    "load_keyring",
    "new_data_key",
    "owner_classes",
    "reload_keyring",
    "retire_version",
    "rotate_data_keys",
    "sealed_fields",
    "sqlite_scrub",
    "unlock",
    "write_keyfile",
]
